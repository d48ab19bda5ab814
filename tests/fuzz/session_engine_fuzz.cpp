//
// tests/fuzz/session_engine_fuzz.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// libFuzzer target: random fact sequences (received bytes, FIN, writes that wait or not,
// user operations, reads by the application, time) against the session engine's
// invariants, for the line and length-prefixed codecs:
//  - the engine shuts down exactly once, and a shut-down engine never acts again;
//  - what it holds for the application stays within read_buffer_limit plus one read;
//  - it never asks to read while its inbox is full, dead or draining;
//  - after time passes without a shutdown, its next deadline lies after now (no busy
//    loop), and it never is in the past after any fact;
//  - a death carries a named liveness error.
#include <liveness/codec/length_prefixed.hpp>
#include <liveness/codec/line.hpp>
#include <liveness/core/clock.hpp>
#include <liveness/engine/session_engine.hpp>

#include "fuzz_common.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace {

namespace core = liveness::core;
namespace codec = liveness::codec;
namespace engine = liveness::engine;
using namespace std::chrono_literals;

using liveness_fuzz::reader;

template <class Codec>
void run(reader& in, typename Codec::options co) {
  core::manual_clock clock;
  core::ping_pong_options hb;
  hb.interval = std::chrono::milliseconds(50 + 10 * (in.byte() & 31));
  hb.timeout = std::chrono::milliseconds(50 + 10 * (in.byte() & 31));
  const std::uint8_t role = in.byte();
  hb.pinger = static_cast<core::ping_role>(role % 4);
  hb.progress_pongs = (role & 4) == 0;
  hb.hello = (role & 8) != 0;               // agreement (docs/session.md)
  hb.too_many_pings = (role & 16) == 0;
  hb.min_ping_interval = std::chrono::milliseconds(10 * (in.byte() & 3));  // <= interval
  engine::limits l;
  l.max_write_chunk = 1 + (in.byte() & 63);
  l.read_buffer_limit = 16 + (in.byte() & 127);
  l.message_timeout = std::chrono::milliseconds(10 * (in.byte() & 63));
  l.first_message_timeout = std::chrono::milliseconds(10 * (in.byte() & 63));
  l.close_linger = std::chrono::milliseconds(10 * (in.byte() & 63));
  const auto side = (in.byte() & 1) ? liveness::role::client : liveness::role::server;
  engine::session_engine<Codec> e(core::detector(hb, side, clock.now()), co, l, clock.now());

  int shutdowns = 0;
  bool writing_user = false;   // a user chunk is ours
  std::size_t heartbeat_bytes = 0;  // a heartbeat write is ours
  std::size_t largest_read = 0;
  const auto after = [&](const engine::actions& a) {
    if (a.shut_down) {
      ++shutdowns;
      LIVENESS_FUZZ_CHECK(shutdowns == 1);
      LIVENESS_FUZZ_CHECK(e.dead() || e.closed());
      if (e.dead()) liveness_fuzz::check_named_error(e.reason());
    }
    if (e.dead() || e.closed()) {
      LIVENESS_FUZZ_CHECK(!e.wants_read());
      LIVENESS_FUZZ_CHECK(!e.next_deadline());
      LIVENESS_FUZZ_CHECK(e.take_heartbeats().empty());
    }
    if (e.inbox().full() || e.read_closed()) LIVENESS_FUZZ_CHECK(!e.wants_read());
    LIVENESS_FUZZ_CHECK(e.inbox().cost() < l.read_buffer_limit + largest_read + 64);
  };

  std::string bytes;
  while (!in.done()) {
    const std::uint8_t op = in.byte();
    const auto now = [&] { return clock.now(); };
    switch (op & 15) {
      case 0:
      case 1:
      case 2: {  // bytes from the peer, only while the engine reads (as the shell does)
        const std::size_t n = 1 + (op >> 4);
        bytes.clear();
        for (std::size_t i = 0; i < n && !in.done(); ++i) bytes.push_back(static_cast<char>(in.byte()));
        if (bytes.empty() || !e.wants_read()) break;
        if (bytes.size() > largest_read) largest_read = bytes.size();
        after(e.on_received(now(), bytes.data(), bytes.size()));
        break;
      }
      case 3:
        if (e.wants_read()) after(e.on_eof(now()));
        break;
      case 4:  // time passes up to the deadline, or a bit
      case 5: {
        const auto nd = e.next_deadline();
        if (nd && (op & 16)) clock.advance_to(*nd);
        else clock.advance(std::chrono::milliseconds(op >> 3));
        const auto a = e.on_time(now());
        after(a);
        if (!a.shut_down && !e.dead() && !e.closed()) {
          const auto next = e.next_deadline();
          LIVENESS_FUZZ_CHECK(!next || *next > now());
        }
        break;
      }
      case 6: {  // the shell flushes heartbeats
        const auto out = e.take_heartbeats();
        if (!out.empty()) {
          LIVENESS_FUZZ_CHECK(!writing_user && heartbeat_bytes == 0);
          heartbeat_bytes = out.size();
        }
        break;
      }
      case 7:
        if (heartbeat_bytes) {
          after(e.on_heartbeats_written(now(), heartbeat_bytes));
          heartbeat_bytes = 0;
        }
        break;
      case 8: {  // a user chunk starts (the writer must be free)
        if (e.writer_busy() || e.dead() || e.closed()) break;
        const std::string data(1 + (op >> 4) * 7, (op & 32) ? '\n' : 'x');
        codec::chunk_header h;
        const std::size_t n = e.begin_user_chunk(data.data(), data.size(), (op & 16) != 0, h);
        LIVENESS_FUZZ_CHECK(n >= 1 && n <= data.size() && n <= l.max_write_chunk);
        LIVENESS_FUZZ_CHECK(h.size <= codec::chunk_header::capacity);
        writing_user = true;
        if (op & 64) e.on_user_write_waiting(now());
        break;
      }
      case 9:
        if (writing_user) {
          writing_user = false;
          after(e.on_user_written(now(), op >> 4, (op & 16) != 0));
        }
        break;
      case 10:
        if (writing_user) {
          writing_user = false;
          after(e.on_write_failed(now(), liveness::make_error_code(liveness::error::peer_reset)));
        } else {
          after(e.on_transport_error(now(), liveness::make_error_code(liveness::error::peer_reset)));
        }
        break;
      case 11: {  // the application reads
        if (e.inbox().message_ready() && (op & 16))
          e.consume_message(now());
        else if (e.inbox().held() > 0)
          e.consume(now(), 1 + (op >> 5) % e.inbox().held());
        break;
      }
      case 12:
        after(e.set_message_read_pending(now(), (op & 16) != 0));
        break;
      case 13:
        e.on_user_op_begin((op & 16) != 0);
        after(e.on_user_op_end((op & 16) != 0));
        break;
      case 14:
        if ((op >> 4) == 15) after(e.close());
        break;
      default:
        break;
    }
    // No fact leaves a deadline in the past unseen: one lying before now is acted on at
    // the next on_time (the shell's timer fires at once).
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in{data, size};
  const std::uint8_t pick = in.byte();
  if (pick & 1) {
    codec::length_prefixed_options o;
    o.max_frame_size = 64;
    o.max_message_size = (pick & 2) ? 0 : 256;
    run<codec::length_prefixed>(in, o);
  } else {
    codec::line_options o;
    o.max_line_length = 64;
    if (pick & 2) o.framing = codec::line_framing::bare;
    run<codec::line>(in, o);
  }
  return 0;
}
