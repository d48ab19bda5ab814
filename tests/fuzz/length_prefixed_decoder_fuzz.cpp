//
// tests/fuzz/length_prefixed_decoder_fuzz.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// libFuzzer target for codec::length_prefixed_decoder.
//
// Input: byte 0 picks max_frame_size, byte 1 max_message_size, byte 2 a chunk size; the
// rest is the stream. Invariants checked:
//  - the events and the error equal those of a small reference parser written from the
//    frame format (documented in length_prefixed.hpp), fed whole and in chunks;
//  - data is handed out in place (pointers into the fed chunk);
//  - the decoded messages, pings and pongs re-encode with the encoder into a stream that
//    decodes to the same events, and, when every message was one frame with no heartbeat
//    inside, into the input;
//  - every error is frame_too_large or protocol_error, named.
#include <liveness/codec/length_prefixed.hpp>

#include "fuzz_common.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace codec = liveness::codec;
using liveness::error;
using liveness::error_code;

struct event {
  char kind;  // 'b' begin, 'd' data, 'e' end, 'i' ping, 'o' pong
  std::string bytes;
  bool operator==(const event& o) const { return kind == o.kind && bytes == o.bytes; }
};

void add(std::vector<event>& v, char kind, const char* p, std::size_t n) {
  if (kind == 'd' && !v.empty() && v.back().kind == 'd')
    v.back().bytes.append(p, n);
  else
    v.push_back({kind, std::string(p, n)});
}

struct recorder {
  const char* chunk_begin = nullptr;
  const char* chunk_end = nullptr;
  std::vector<event> events;
  void on_message_begin() { add(events, 'b', nullptr, 0); }
  void on_data(const char* p, std::size_t n) {
    LIVENESS_FUZZ_CHECK(n > 0);
    LIVENESS_FUZZ_CHECK(p >= chunk_begin && p + n <= chunk_end);  // in place
    add(events, 'd', p, n);
  }
  void on_message_end() { add(events, 'e', nullptr, 0); }
  void on_ping(const char* p, std::size_t n) {
    LIVENESS_FUZZ_CHECK(n <= codec::length_prefixed_options::max_heartbeat_payload);
    add(events, 'i', p, n);
  }
  void on_pong(const char* p, std::size_t n) {
    LIVENESS_FUZZ_CHECK(n <= codec::length_prefixed_options::max_heartbeat_payload);
    add(events, 'o', p, n);
  }
};

struct result {
  std::vector<event> events;
  error_code ec;
  bool single_frame_messages = true;  // reference only
};

result decode(const codec::length_prefixed_options& o, const std::string& in,
              std::size_t chunk) {
  codec::length_prefixed_decoder d(o);
  recorder r;
  result out;
  for (std::size_t pos = 0; pos < in.size();) {
    const std::size_t n = chunk == 0 ? in.size() - pos : std::min(chunk, in.size() - pos);
    r.chunk_begin = in.data() + pos;
    r.chunk_end = r.chunk_begin + n;
    out.ec = d.feed(in.data() + pos, n, r);
    pos += n;
    if (out.ec) break;
  }
  if (!out.ec) out.ec = d.finish(r);
  // Sticky: more bytes change nothing.
  if (out.ec) {
    const std::size_t before = r.events.size();
    r.chunk_begin = in.data();
    r.chunk_end = in.data() + in.size();
    LIVENESS_FUZZ_CHECK(d.feed("\0\0\0\0\0", 5, r) == out.ec);
    LIVENESS_FUZZ_CHECK(r.events.size() == before);
  }
  out.events = std::move(r.events);
  return out;
}

/// The frame format, parsed the simple way (whole input at once).
result reference(const codec::length_prefixed_options& o, const std::string& in) {
  result out;
  auto& ev = out.events;
  std::size_t pos = 0;
  bool in_message = false;
  std::uint64_t message = 0;
  int frames_in_message = 0;
  const auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(in[i]));
  };
  while (pos < in.size()) {
    if (in.size() - pos < 4) return out.ec = error::protocol_error, out;  // truncated header
    const std::uint32_t len = byte(pos) << 24 | byte(pos + 1) << 16 | byte(pos + 2) << 8 |
                              byte(pos + 3);
    if (len > o.max_frame_size) return out.ec = error::frame_too_large, out;
    if (in.size() - pos < 5) return out.ec = error::protocol_error, out;
    const std::uint32_t type = byte(pos + 4);
    pos += 5;
    const std::size_t avail = std::min<std::size_t>(len, in.size() - pos);
    if (type == 0x00 || type == 0x80) {
      if (o.max_message_size != 0 && message + len > o.max_message_size)
        return out.ec = error::frame_too_large, out;
      message += len;
      if (!in_message) {
        in_message = true;
        frames_in_message = 0;
        add(ev, 'b', nullptr, 0);
      }
      ++frames_in_message;
      if (avail != 0) add(ev, 'd', in.data() + pos, avail);
      pos += avail;
      if (avail < len) return out.ec = error::protocol_error, out;  // truncated payload
      if (type == 0x00) {
        add(ev, 'e', nullptr, 0);
        if (frames_in_message != 1) out.single_frame_messages = false;
        in_message = false;
        message = 0;
      }
    } else if (type == 0x01 || type == 0x02) {
      if (len > 64) return out.ec = error::protocol_error, out;
      if (avail < len) return out.ec = error::protocol_error, out;
      if (in_message) out.single_frame_messages = false;
      add(ev, type == 0x01 ? 'i' : 'o', in.data() + pos, len);
      pos += len;
    } else {
      return out.ec = error::protocol_error, out;
    }
  }
  if (in_message) out.ec = error::protocol_error;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size < 3) return 0;
  codec::length_prefixed_options o;
  // Small limits so that the fuzzer reaches them; 0 for max_frame_size must be refused.
  if (bytes[0] != 255) o.max_frame_size = bytes[0];
  o.max_message_size = bytes[1] == 255 ? 0 : bytes[1];
  const std::size_t chunk = bytes[2] % 13;
  const std::string in(reinterpret_cast<const char*>(bytes + 3), size - 3);

  if (auto ec = o.validate()) {
    LIVENESS_FUZZ_CHECK(ec == error::codec_invalid_options);
    liveness_fuzz::check_named_error(ec);
    bool threw = false;
    try {
      codec::length_prefixed_decoder d(o);
    } catch (const liveness::system_error& e) {
      threw = e.code() == ec;
    }
    LIVENESS_FUZZ_CHECK(threw);
    return 0;
  }

  const result ref = reference(o, in);
  const result whole = decode(o, in, 0);
  const result split = decode(o, in, chunk == 0 ? 1 : chunk);
  LIVENESS_FUZZ_CHECK(whole.ec == ref.ec);
  LIVENESS_FUZZ_CHECK(whole.events == ref.events);
  LIVENESS_FUZZ_CHECK(split.ec == ref.ec);
  LIVENESS_FUZZ_CHECK(split.events == ref.events);
  if (whole.ec) {
    LIVENESS_FUZZ_CHECK(whole.ec == error::frame_too_large || whole.ec == error::protocol_error);
    liveness_fuzz::check_named_error(whole.ec);
    return 0;
  }

  // Re-encode with the encoder: a message's bytes as data frames of at most max_frame_size
  // (one frame when it fits), heartbeats with their payloads; a heartbeat inside a message
  // goes between data frames, as it came.
  const codec::length_prefixed_encoder enc(o);
  std::string out;
  std::string pending;  // message bytes not yet framed
  bool in_message = false;
  bool framed = false;  // a frame of the current message is out
  const auto frame = [&](std::size_t from, std::size_t n, bool more) {
    const auto h = enc.data_header(n, more);
    out.append(h.data(), h.size());
    out.append(pending, from, n);
    framed = true;
  };
  const auto flush = [&](bool last) {
    std::size_t sent = 0;
    while (pending.size() - sent > o.max_frame_size) {
      frame(sent, o.max_frame_size, true);
      sent += o.max_frame_size;
    }
    const std::size_t rest = pending.size() - sent;
    if (last || rest != 0 || !framed) frame(sent, rest, !last);
    pending.clear();
  };
  for (const auto& e : whole.events) {
    switch (e.kind) {
      case 'b': in_message = true; framed = false; break;
      case 'd': pending += e.bytes; break;
      case 'e': flush(true); in_message = false; break;
      case 'i':
      case 'o': {
        if (in_message) flush(false);
        const auto f = e.kind == 'i' ? enc.ping(e.bytes.data(), e.bytes.size())
                                     : enc.pong(e.bytes.data(), e.bytes.size());
        out.append(f.data(), f.size());
        break;
      }
    }
  }
  const result again = decode(o, out, 0);
  LIVENESS_FUZZ_CHECK(!again.ec);
  LIVENESS_FUZZ_CHECK(again.events == whole.events);
  if (ref.single_frame_messages) LIVENESS_FUZZ_CHECK(out == in);
  return 0;
}
