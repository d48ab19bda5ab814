//
// tests/fuzz/detector_fuzz.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// libFuzzer target for core::detector: random options (every mode, role and pinger, values
// within validate(), extremes included, pings after our own silence or not) and a random
// sequence of every event, with times that mostly move forward, sometimes jump far (up to
// the end of time) and sometimes go backwards. Invariants checked after every step:
//  - invalid options are refused by the constructor with heartbeat_invalid_options;
//  - after poll(now), next_deadline() is empty or lies after the latest time seen (the
//    documented contract, progress pongs included);
//  - peer_dead is reported exactly once, with a non-empty reason that is the detector's
//    reason, and only once the detector is dead; a dead detector stays dead, asks for no
//    ping, pong or progress pong, has no outstanding ping and no pending pong, and after
//    the report has no deadline; while death waits for poll, the deadline is due;
//  - the reason is one the mode can give (or the one declared);
//  - every counter is monotone; pongs_sent counts the pongs reported written;
//  - on_ping_received asks for a pong only when none is pending, and then one is pending;
//    send_ping only from an end that pings, and then a ping is outstanding;
//  - the answer budget: answered pings since the start <= ping_burst() + elapsed /
//    min_ping_interval (flood guard on); the strike counter never exceeds max_ping_strikes
//    while alive.
#include <liveness/core/detector.hpp>

#include "fuzz_common.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace {

namespace core = liveness::core;
using core::duration;
using core::time_point;
using liveness::error;
using liveness::error_code;

using liveness_fuzz::reader;

duration pick_duration(reader& in, bool allow_zero) {
  const std::uint8_t b = in.byte();
  switch (b >> 5) {  // 8 classes
    case 0: return allow_zero ? duration::zero() : std::chrono::milliseconds(1);
    case 1: return std::chrono::nanoseconds(1 + (b & 31));
    case 2: return std::chrono::milliseconds(1 + (b & 31));
    case 3: return std::chrono::milliseconds(10 * (1 + (b & 31)));
    case 4: return std::chrono::milliseconds(100 * (1 + (b & 31)));
    case 5: return std::chrono::seconds(1 + (b & 31));
    case 6: return std::chrono::hours(1 + (b & 31));
    default: return (b & 1) ? duration::max() : duration::max() / 2;
  }
}

struct counters {
  std::uint64_t v[10] = {};
  explicit counters(const core::detector_stats& s) {
    v[0] = s.bytes_received;
    v[1] = s.bytes_sent;
    v[2] = s.pings_sent;
    v[3] = s.pongs_received;
    v[4] = s.pings_received;
    v[5] = s.pongs_sent;
    v[6] = s.pongs_coalesced;
    v[7] = s.progress_pongs;
    v[8] = s.progress_pings;
    v[9] = 0;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in{data, size};
  const std::uint8_t mode_byte = in.byte();
  const time_point start = time_point{} + std::chrono::hours(1);
  const int mode = mode_byte % 3;
  const liveness::role local = (mode_byte & 4) ? liveness::role::server : liveness::role::client;

  core::ping_pong_options pp;
  core::idle_timeout_options idle;
  std::optional<core::detector> made;
  if (mode == 0) {
    made.emplace(start);
  } else if (mode == 1) {
    idle.timeout = pick_duration(in, true);
    if ((in.byte() & 15) == 0) idle.timeout = -idle.timeout;
    const bool valid = !idle.validate();
    try {
      made.emplace(idle, start);
      LIVENESS_FUZZ_CHECK(valid);
    } catch (const liveness::system_error& e) {
      LIVENESS_FUZZ_CHECK(!valid);
      LIVENESS_FUZZ_CHECK(e.code() == error::heartbeat_invalid_options);
      return 0;
    }
  } else {
    pp.interval = pick_duration(in, true);
    pp.timeout = pick_duration(in, true);
    const std::uint8_t role = in.byte();
    pp.pinger = static_cast<core::ping_role>(role % 5);  // 4: not a ping_role
    pp.progress_pongs = (role / 5) % 2 == 0;
    pp.min_ping_interval = pick_duration(in, true);
    if ((in.byte() & 31) == 0) pp.min_ping_interval = -pp.min_ping_interval;
    const std::uint8_t s = in.byte();
    pp.max_ping_strikes = s >= 250 ? 0xFFFFFFFFu : s % 6;
    pp.ping_after_own_silence = (mode_byte & 8) != 0;
    pp.hello = (mode_byte & 16) != 0;  // agreement
    pp.too_many_pings = (mode_byte & 32) == 0;
    const bool valid = !pp.validate();
    try {
      made.emplace(pp, local, start);
      LIVENESS_FUZZ_CHECK(valid);
    } catch (const liveness::system_error& e) {
      LIVENESS_FUZZ_CHECK(!valid);
      LIVENESS_FUZZ_CHECK(e.code() == error::heartbeat_invalid_options);
      return 0;
    }
  }
  core::detector& d = *made;
  const bool guard = mode == 2 && pp.max_ping_strikes != 0 &&
                     pp.min_ping_interval > duration::zero();

  // ping_burst * min_ping_interval, saturated.
  duration tolerance = duration::zero();
  if (guard) {
    const auto burst = pp.ping_burst();
    const auto c = static_cast<std::uint64_t>(pp.min_ping_interval.count());
    tolerance = c > static_cast<std::uint64_t>(duration::max().count()) / burst
                    ? duration::max()
                    : duration(static_cast<duration::rep>(c * burst));
  }

  time_point now = start;
  time_point latest = start;
  time_point epoch = start;  // start or last reset
  int deaths_reported = 0;
  std::uint64_t answered = 0;  // pings answered since epoch
  bool write_waiting = false;  // what the last on_write_waiting said
  error_code declared;         // first reason passed to declare_dead
  counters before(d.stats());

  auto check_common = [&] {
    LIVENESS_FUZZ_CHECK(d.is_dead() == static_cast<bool>(d.reason()));
    LIVENESS_FUZZ_CHECK(deaths_reported <= 1);
    if (d.is_dead()) {
      LIVENESS_FUZZ_CHECK(!d.ping_outstanding());
      LIVENESS_FUZZ_CHECK(!d.pong_pending());
      const auto r = d.reason();
      const bool expected =
          (declared && r == declared) || (mode == 1 && r == error::idle_timeout) ||
          (mode == 2 && (r == error::heartbeat_timeout || r == error::ping_flood));
      LIVENESS_FUZZ_CHECK(expected);
      if (r == error::ping_flood) LIVENESS_FUZZ_CHECK(guard);
      if (deaths_reported == 0) {
        const auto nd = d.next_deadline();
        LIVENESS_FUZZ_CHECK(nd && *nd <= latest);  // due: poll at once
      } else {
        LIVENESS_FUZZ_CHECK(!d.next_deadline());
      }
    } else {
      LIVENESS_FUZZ_CHECK(deaths_reported == 0);
      if (guard && pp.max_ping_strikes != 0xFFFFFFFFu)
        LIVENESS_FUZZ_CHECK(d.stats().ping_strikes <= pp.max_ping_strikes);
    }
    if (mode != 2) {
      LIVENESS_FUZZ_CHECK(!d.ping_outstanding());
      LIVENESS_FUZZ_CHECK(!d.pong_pending());
    }
    if (!d.sends_pings()) LIVENESS_FUZZ_CHECK(!d.ping_outstanding());
    // An end that pings after its own silence writes no progress pongs.
    if (pp.ping_after_own_silence && d.sends_pings())
      LIVENESS_FUZZ_CHECK(d.stats().progress_pongs == 0);
    if (mode == 0) LIVENESS_FUZZ_CHECK(!d.next_deadline() || d.is_dead());
    // The answer budget (rule 2 of the flood guard).
    // Each answer moves `paid` on by min_ping_interval from at least the epoch, and `paid`
    // never lies more than ping_burst * min_ping_interval after the latest time; unless
    // that arithmetic saturated (times near the end of time).
    if (guard && core::add_saturated(latest, core::add_saturated(tolerance,
                                                                 pp.min_ping_interval)) !=
                     time_point::max() &&
        tolerance != duration::max()) {
      const auto span = core::elapsed(epoch, latest);
      const std::uint64_t per = static_cast<std::uint64_t>(span / pp.min_ping_interval);
      LIVENESS_FUZZ_CHECK(answered <= pp.ping_burst() + per);
    }
    const counters after(d.stats());
    for (int i = 0; i < 10; ++i) LIVENESS_FUZZ_CHECK(after.v[i] >= before.v[i]);
    before = after;
  };

  auto do_poll = [&] {
    const bool dead_before = d.is_dead();
    const auto r = d.poll(now);
    switch (r.kind) {
      case core::action::none:
        LIVENESS_FUZZ_CHECK(!r.reason);
        LIVENESS_FUZZ_CHECK(!(d.is_dead() && deaths_reported == 0));
        break;
      case core::action::send_ping:
        LIVENESS_FUZZ_CHECK(!dead_before && !d.is_dead());
        LIVENESS_FUZZ_CHECK(d.sends_pings());
        LIVENESS_FUZZ_CHECK(d.ping_outstanding());
        break;
      case core::action::peer_dead:
        LIVENESS_FUZZ_CHECK(d.is_dead());
        LIVENESS_FUZZ_CHECK(r.reason);
        LIVENESS_FUZZ_CHECK(r.reason == d.reason());
        ++deaths_reported;
        break;
    }
    // The contract: after poll, the next deadline lies after now or is empty.
    const auto nd = d.next_deadline();
    LIVENESS_FUZZ_CHECK(!nd || *nd > latest);
  };

  while (!in.done()) {
    const std::uint8_t op = in.byte();
    const std::uint8_t t = in.byte();
    // Time: mostly forward, sometimes far, sometimes backwards (the detector then keeps
    // the latest time it has seen).
    if (t < 160) {
      now = core::add_saturated(latest, std::chrono::milliseconds(t));
    } else if (t < 200) {
      now = core::add_saturated(latest, std::chrono::milliseconds(100 * (t - 159)));
    } else if (t < 230) {
      now = core::add_saturated(latest, -std::chrono::milliseconds(t - 199));
    } else if (t < 250) {
      now = core::add_saturated(latest, std::chrono::hours(t - 229));
    } else if (t < 255) {
      now = core::add_saturated(latest, std::chrono::nanoseconds(t - 249));
    } else {
      now = time_point::max() - std::chrono::seconds(1);
    }
    // Whether the detector is told `now` (observers and no-ops are not).
    const std::uint8_t kind = op & 15;
    const bool told = kind <= 8 || kind == 10 || kind == 11 || kind == 12 || kind == 13 ||
                      (kind == 9 && (op >> 4) >= 14) ||
                      (kind == 14 && (op >> 4) >= 10 && (op >> 4) <= 13) ||
                      (kind == 14 && (op >> 4) <= 1);  // the peer's hello or notice
    if (told && now > latest) latest = now;
    const std::size_t n = static_cast<std::size_t>(op >> 4) * 1000;
#ifdef LIVENESS_FUZZ_TRACE
    {
      const auto nd = d.next_deadline();
      std::fprintf(stderr, "op %d/%d now %lld latest %lld deadline %lld out %d pend %d dead %d\n",
                   op & 15, op >> 4, static_cast<long long>((now - start).count()),
                   static_cast<long long>((latest - start).count()),
                   nd ? static_cast<long long>((*nd - start).count()) : -1LL,
                   d.ping_outstanding(), d.pong_pending(), d.is_dead());
    }
#endif

    switch (op & 15) {
      case 0: d.on_received(now, n); break;
      case 1: {
        const bool pending = d.pong_pending();
        const bool dead = d.is_dead();
        const bool answer = d.on_ping_received(now);
        if (answer) {
          LIVENESS_FUZZ_CHECK(!pending && !dead && mode == 2 && !d.is_dead());
          LIVENESS_FUZZ_CHECK(d.pong_pending());
          ++answered;
        }
        break;
      }
      case 2:
        d.on_sent(now, 5);
        d.on_pong_sent(now);
        LIVENESS_FUZZ_CHECK(!d.pong_pending());
        break;
      case 3: d.on_pong_received(now); break;
      case 4: d.on_sent(now, n); break;
      case 5: d.on_peer_progress(now); break;
      case 6: d.on_data_received(now); break;
      case 7: {
        const bool pending = d.pong_pending();
        if (d.take_progress_pong(now)) {
          LIVENESS_FUZZ_CHECK(!pending && !d.is_dead() && mode == 2);
          LIVENESS_FUZZ_CHECK(d.pong_pending());
        }
        break;
      }
      case 8: d.on_ping_sent(now); break;
      case 9:
        if ((op >> 4) == 15) {
          const error_code reason = error::protocol_error;
          if (!d.is_dead() && !declared) declared = reason;
          d.declare_dead(now, reason);
        } else if ((op >> 4) == 14) {
          d.declare_dead(now, error_code());  // ignored
        }
        break;
      case 10:
      case 11:
      case 12:
        // As a session does: poll, then collect a due progress pong.
        do_poll();
        check_common();
        if (d.take_progress_pong(now)) LIVENESS_FUZZ_CHECK(d.pong_pending());
        break;
      case 13:
        do_poll();
        break;
      case 14:
        // The facts a session reports about its own side (held ping, paused reads, a
        // write waiting for the peer's window), each way.
        if ((op >> 4) <= 2) {
          // Agreement: the peer's hello or notice, our notice; the interval in force and
          // the silence we wait stay within the options' bound.
          if ((op >> 4) == 0) {
            core::hello_values v;
            v.interval = pick_duration(in, true);
            v.timeout = pick_duration(in, true);
            v.min_ping_interval = pick_duration(in, true);
            v.pings = (in.byte() & 1) != 0;
            d.on_hello_received(now, v);
          }
          if ((op >> 4) == 1) d.on_too_many_pings_received(now);
          if ((op >> 4) == 2) (void)d.take_too_many_pings();
          if (mode == 2) {
            const auto& st = d.stats();
            LIVENESS_FUZZ_CHECK(st.ping_interval >= pp.interval);
            LIVENESS_FUZZ_CHECK(st.ping_interval <= pp.max_agreed_interval());
            LIVENESS_FUZZ_CHECK(st.peer_silence_limit <=
                                core::add_saturated(pp.max_agreed_interval(), pp.timeout));
            LIVENESS_FUZZ_CHECK(d.detection_bound() == pp.agreed_detection_bound());
          }
        }
        if ((op >> 4) == 10) d.on_ping_held(now);
        if ((op >> 4) == 11) d.on_reading_paused(now, true);
        if ((op >> 4) == 12) d.on_reading_paused(now, false);
        if ((op >> 4) == 13) d.on_write_waiting(now, write_waiting = !write_waiting);
        if ((op >> 4) == 15) {
          d.reset(now);  // starts again at `now`, even an earlier one
          latest = now;
          epoch = now;
          deaths_reported = 0;
          answered = 0;
          declared = error_code();
          LIVENESS_FUZZ_CHECK(!d.is_dead());
          before = counters(d.stats());
        }
        break;
      default: {
        // Observers only.
        const auto nd = d.next_deadline();
        (void)nd;
        (void)d.stats().silent_for(now);
        break;
      }
    }
    check_common();
  }
  return 0;
}
