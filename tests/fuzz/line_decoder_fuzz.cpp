//
// tests/fuzz/line_decoder_fuzz.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// libFuzzer target for codec::line_decoder.
//
// Input: byte 0 picks the options (framing, CRLF, texts), byte 1 max_line_length, byte 2
// a chunk size; the rest is the stream. Invariants checked:
//  - newline framing: feeding the stream whole and in chunks gives the same events and the
//    same error;
//  - bare framing (a feed call is one read): each read is either heartbeats only, exactly
//    covering it, or user data only (all of it, or up to a frame_too_large), and it is
//    heartbeats exactly when its bytes are a sequence of whole texts;
//  - the events re-encode to the input: user bytes are the input bytes in order, each
//    heartbeat is its text (plus "\n" or, when accepted, "\r\n" in newline framing) at
//    that place in the input and, in newline framing, at a line start;
//  - without error, finish() accounts for every input byte; with an error, it is
//    frame_too_large, named, and the user line delivered is exactly max_line_length long;
//  - at most max_text_size + 1 bytes are ever held back;
//  - invalid options are refused with codec_invalid_options, never a crash.
#include <liveness/codec/line.hpp>

#include "fuzz_common.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace codec = liveness::codec;

struct event {
  char kind;  // 'd' data, 'i' ping, 'o' pong
  std::string bytes;
  bool operator==(const event& o) const { return kind == o.kind && bytes == o.bytes; }
};

struct recorder {
  std::vector<event> events;
  void on_data(const char* p, std::size_t n) {
    LIVENESS_FUZZ_CHECK(n > 0);
    if (!events.empty() && events.back().kind == 'd')
      events.back().bytes.append(p, n);
    else
      events.push_back({'d', std::string(p, n)});
  }
  void on_ping(const char*, std::size_t n) {
    LIVENESS_FUZZ_CHECK(n == 0);
    events.push_back({'i', {}});
  }
  void on_pong(const char*, std::size_t n) {
    LIVENESS_FUZZ_CHECK(n == 0);
    events.push_back({'o', {}});
  }
};

struct result {
  std::vector<event> events;
  liveness::error_code ec;
};

// Bare framing: `read` is a sequence of whole ping/pong texts.
bool whole_texts(const codec::line_options& o, const char* read, std::size_t size) {
  const std::string r(read, size);
  std::size_t pos = 0;
  while (pos < r.size()) {
    if (r.compare(pos, o.ping.size(), o.ping) == 0)
      pos += o.ping.size();
    else if (r.compare(pos, o.pong.size(), o.pong) == 0)
      pos += o.pong.size();
    else
      return false;
  }
  return size != 0;
}

// Bare framing: the events of one read are whole texts covering it, or its bytes as data
// (a prefix of them with an error).
void check_bare_read(const codec::line_options& o, const char* read, std::size_t size,
                     const std::vector<event>& events, const liveness::error_code& ec) {
  const bool texts = whole_texts(o, read, size);
  if (texts) {
    LIVENESS_FUZZ_CHECK(!ec);
    for (const auto& e : events) LIVENESS_FUZZ_CHECK(e.kind != 'd');
    return;
  }
  LIVENESS_FUZZ_CHECK(events.size() <= 1);
  if (!events.empty()) LIVENESS_FUZZ_CHECK(events[0].kind == 'd');
  const std::size_t delivered = events.empty() ? 0 : events[0].bytes.size();
  LIVENESS_FUZZ_CHECK(ec ? delivered < size : delivered == size);
}

result decode(const codec::line_options& o, const char* data, std::size_t size,
              std::size_t chunk) {
  codec::line_decoder d(o);
  recorder r;
  result out;
  const bool bare = o.framing == codec::line_framing::bare;
  for (std::size_t pos = 0; pos < size;) {
    const std::size_t n = chunk == 0 ? size - pos : std::min(chunk, size - pos);
    if (bare) {
      recorder one_read;
      out.ec = d.feed(data + pos, n, one_read);
      check_bare_read(o, data + pos, n, one_read.events, out.ec);
      LIVENESS_FUZZ_CHECK(d.buffered() == 0);
      for (const auto& e : one_read.events) {
        if (e.kind == 'd')
          r.on_data(e.bytes.data(), e.bytes.size());
        else
          r.events.push_back(e);
      }
    } else {
      out.ec = d.feed(data + pos, n, r);
      LIVENESS_FUZZ_CHECK(d.buffered() <= codec::line_options::max_text_size + 1);
    }
    pos += n;
    if (out.ec) break;
  }
  if (!out.ec) out.ec = d.finish(r);
  if (!out.ec) LIVENESS_FUZZ_CHECK(d.buffered() == 0);
  out.events = std::move(r.events);
  return out;
}

// The events re-encode to the input (see the top of this file).
void check_reencodes(const codec::line_options& o, const char* data, std::size_t n,
                     const result& r) {
  const bool bare = o.framing == codec::line_framing::bare;
  std::size_t pos = 0;
  std::size_t line = 0;  // user bytes of the current user line (bare: since the last '\n')
  for (const auto& e : r.events) {
    if (e.kind == 'd') {
      LIVENESS_FUZZ_CHECK(e.bytes.size() <= n - pos);
      LIVENESS_FUZZ_CHECK(e.bytes.compare(0, std::string::npos, data + pos, e.bytes.size()) == 0);
      for (const char c : e.bytes) {
        if (c == '\n') {
          line = 0;
        } else {
          ++line;
          LIVENESS_FUZZ_CHECK(line <= o.max_line_length);
        }
      }
      pos += e.bytes.size();
      continue;
    }
    const std::string& text = e.kind == 'i' ? o.ping : o.pong;
    if (!bare) LIVENESS_FUZZ_CHECK(pos == 0 || data[pos - 1] == '\n');
    LIVENESS_FUZZ_CHECK(text.size() <= n - pos);
    LIVENESS_FUZZ_CHECK(text.compare(0, std::string::npos, data + pos, text.size()) == 0);
    pos += text.size();
    if (!bare) {
      if (pos < n && data[pos] == '\n') {
        pos += 1;
      } else {
        LIVENESS_FUZZ_CHECK(o.accept_crlf && n - pos >= 2 && data[pos] == '\r' &&
                            data[pos + 1] == '\n');
        pos += 2;
      }
      LIVENESS_FUZZ_CHECK(line == 0);
    }
  }
  if (!r.ec) {
    LIVENESS_FUZZ_CHECK(pos == n);
  } else {
    LIVENESS_FUZZ_CHECK(r.ec == liveness::error::frame_too_large);
    liveness_fuzz::check_named_error(r.ec);
    LIVENESS_FUZZ_CHECK(pos < n);
    LIVENESS_FUZZ_CHECK(line == o.max_line_length);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size < 3) return 0;
  const unsigned sel = bytes[0];
  codec::line_options o;
  o.framing = (sel & 1) ? codec::line_framing::bare : codec::line_framing::newline;
  o.accept_crlf = (sel & 2) != 0;
  switch ((sel >> 2) & 7) {
    case 0: break;  // PING / PONG
    case 1: o.ping = "Msgtest"; o.pong = "OK"; break;
    case 2: o.ping = "PING"; o.pong = "PINGPONG"; break;  // shared prefix (bare: refused)
    case 3: o.ping = "a"; o.pong = "b"; break;
    case 4: o.ping = "aab"; o.pong = "aba"; break;        // overlapping candidates
    case 5: o.ping = "x\ny"; break;                        // refused: newline in a text
    case 6: o.ping = std::string(64, 'p'); o.pong = std::string(63, 'p') + "q"; break;
    default: o.ping = o.pong; break;                       // refused: equal texts
  }
  o.max_line_length = bytes[1] == 255 ? 64 * 1024 : std::size_t(bytes[1]) + 1;
  const std::size_t chunk = bytes[2] % 17;  // 0: the whole stream at once
  const char* data = reinterpret_cast<const char*>(bytes + 3);
  const std::size_t n = size - 3;

  if (auto ec = o.validate()) {
    LIVENESS_FUZZ_CHECK(ec == liveness::error::codec_invalid_options);
    liveness_fuzz::check_named_error(ec);
    bool threw = false;
    try {
      codec::line_decoder d(o);
    } catch (const liveness::system_error& e) {
      threw = e.code() == ec;
    }
    LIVENESS_FUZZ_CHECK(threw);
    return 0;
  }

  const result whole = decode(o, data, n, 0);
  const result split = decode(o, data, n, chunk == 0 ? 1 : chunk);
  if (o.framing == codec::line_framing::newline) {
    LIVENESS_FUZZ_CHECK(whole.ec == split.ec);
    LIVENESS_FUZZ_CHECK(whole.events == split.events);
  }

  check_reencodes(o, data, n, whole);
  if (o.framing == codec::line_framing::bare) check_reencodes(o, data, n, split);
  return 0;
}
