//
// tests/fuzz/mqtt_decoder_fuzz.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// libFuzzer target for codec::mqtt_decoder and the encoder's view of the same bytes.
//
// Input: byte 0 picks max_packet_size, byte 1 a chunk size; the rest is the stream.
// Invariants checked:
//  - fed whole and in chunks, the events and the error are the same;
//  - nothing is lost, added or changed: the packets handed out, with C0 00 for each ping and
//    D0 00 for each pong, are the input (a prefix of it when the stream failed);
//  - pings and pongs come between packets; no packet exceeds max_packet_size;
//  - an encoder that follows the same bytes allows a heartbeat exactly where the decoder is
//    between packets (while the stream is valid);
//  - every error is frame_too_large or protocol_error, named.
#include <liveness/codec/mqtt.hpp>

#include "fuzz_common.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace codec = liveness::codec;
using liveness::error;
using liveness::error_code;

struct recorder {
  std::size_t max_packet = 0;
  std::vector<std::string> events;  // "P<packet>", "i" ping, "o" pong
  std::string current;
  bool open = false;
  void on_message_begin() {
    LIVENESS_FUZZ_CHECK(!open);
    open = true;
    current.clear();
  }
  void on_data(const char* p, std::size_t n) {
    LIVENESS_FUZZ_CHECK(open && n > 0);
    current.append(p, n);
    LIVENESS_FUZZ_CHECK(current.size() <= max_packet);
  }
  void on_message_end() {
    LIVENESS_FUZZ_CHECK(open);
    open = false;
    events.push_back("P" + current);
  }
  void on_ping(const char*, std::size_t n) {
    LIVENESS_FUZZ_CHECK(!open && n == 0);
    events.emplace_back("i");
  }
  void on_pong(const char*, std::size_t n) {
    LIVENESS_FUZZ_CHECK(!open && n == 0);
    events.emplace_back("o");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  liveness_fuzz::reader in{data, size};
  codec::mqtt_options o;
  o.max_packet_size = 2 + static_cast<std::size_t>(in.byte()) * 8;
  const std::size_t chunk = 1 + in.byte() % 64;
  const std::string stream(reinterpret_cast<const char*>(in.p), in.n);

  codec::mqtt_decoder whole(o);
  recorder w;
  w.max_packet = o.max_packet_size;
  const error_code ec = whole.feed(stream.data(), stream.size(), w);

  codec::mqtt_decoder pieces(o);
  codec::mqtt_encoder follower(o);
  recorder c;
  c.max_packet = o.max_packet_size;
  error_code ec2;
  for (std::size_t pos = 0; pos < stream.size() && !ec2; pos += chunk) {
    const std::size_t n = std::min(chunk, stream.size() - pos);
    ec2 = pieces.feed(stream.data() + pos, n, c);
    if (!ec2) {
      codec::chunk_header h;
      LIVENESS_FUZZ_CHECK(follower.frame_chunk(stream.data() + pos, n, n, false, h) == n);
      LIVENESS_FUZZ_CHECK(h.size == 0);
      LIVENESS_FUZZ_CHECK(follower.heartbeat_allowed() == pieces.at_packet_boundary());
    }
  }
  LIVENESS_FUZZ_CHECK(ec == ec2);
  LIVENESS_FUZZ_CHECK(w.events == c.events);

  std::string out;
  for (const auto& e : w.events) {
    if (e == "i")
      out += std::string("\xC0\x00", 2);
    else if (e == "o")
      out += std::string("\xD0\x00", 2);
    else
      out += e.substr(1);
  }
  if (!ec) {
    LIVENESS_FUZZ_CHECK(out == stream.substr(0, out.size()));
    // What is not handed out yet is the packet in progress.
    LIVENESS_FUZZ_CHECK(whole.mid_unit() == (out.size() < stream.size()));
    if (!whole.mid_unit()) LIVENESS_FUZZ_CHECK(out == stream);
    LIVENESS_FUZZ_CHECK(!whole.finish(w) == !whole.mid_unit());
  } else {
    liveness_fuzz::check_named_error(ec);
    LIVENESS_FUZZ_CHECK(ec == error::frame_too_large || ec == error::protocol_error);
    LIVENESS_FUZZ_CHECK(out == stream.substr(0, out.size()));
    LIVENESS_FUZZ_CHECK(whole.feed(stream.data(), stream.size(), w) == ec);  // sticky
  }
  return 0;
}
