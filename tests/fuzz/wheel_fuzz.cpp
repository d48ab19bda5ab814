//
// tests/fuzz/wheel_fuzz.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// libFuzzer target for timer::wheel, against a reference model written from the documented
// rules (and a std::multimap of due times): random options (resolution, slots), arms,
// re-arms and cancels of up to 32 entries with deadlines past, now, near and beyond one
// revolution (and at the end of time), expiries driven at next_expiry() or at random times
// (sometimes backwards), and callbacks that arm and cancel entries. Checked on every step:
//  - every armed entry fires exactly once, never before its deadline; a cancelled or
//    re-armed entry fires only for its latest arming;
//  - the entries handed out by expire(now) are exactly those the model says are due;
//  - driven at next_expiry(), an entry whose deadline was not already past when it was
//    armed fires less than one resolution after its deadline;
//  - next_expiry() is empty exactly when the wheel is, and never later than the earliest
//    due time of the model; size() and armed() agree with the model.
#include <liveness/timer/wheel.hpp>

#include "fuzz_common.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace {

namespace core = liveness::core;
using core::duration;
using core::time_point;
using liveness::timer::wheel;
using liveness::timer::wheel_entry;
using liveness::timer::wheel_options;

using liveness_fuzz::reader;

constexpr std::uint64_t ready_tick = ~std::uint64_t(0);  // model: due at the next expire
constexpr std::size_t entries = 32;

struct item : wheel_entry {
  std::size_t id = 0;
};

struct model_entry {
  bool armed = false;
  time_point deadline{};
  std::uint64_t tick = 0;  // due tick, or ready_tick
  bool past = false;       // the deadline was before the latest now when armed
  std::multimap<time_point, std::size_t>::iterator where;
};

struct model {
  time_point origin;
  std::int64_t res;
  time_point last_now;
  std::uint64_t processed = 0;
  model_entry e[entries];
  std::multimap<time_point, std::size_t> due;  // due time (start of the tick) -> id

  std::uint64_t floor_tick(time_point t) const {
    if (t <= origin) return 0;
    return static_cast<std::uint64_t>(core::elapsed(origin, t).count() / res);
  }
  std::uint64_t ceil_tick(time_point t) const {
    if (t <= origin) return 0;
    const auto x = core::elapsed(origin, t).count();
    return static_cast<std::uint64_t>(x / res + (x % res != 0 ? 1 : 0));
  }
  time_point tick_start(std::uint64_t t) const {
    const auto max_ticks = static_cast<std::uint64_t>(duration::max().count() / res);
    if (t > max_ticks) return time_point::max();
    return core::add_saturated(origin, duration(static_cast<duration::rep>(t) * res));
  }
  void unarm(std::size_t i) {
    if (!e[i].armed) return;
    due.erase(e[i].where);
    e[i].armed = false;
  }
  void arm(std::size_t i, time_point d) {
    unarm(i);
    model_entry& m = e[i];
    m.armed = true;
    m.deadline = d;
    m.past = d < last_now;
    std::uint64_t t = ceil_tick(d);
    time_point at;
    if (t <= processed) {
      if (d >= last_now) {
        t = ready_tick;
        at = last_now;
      } else {
        t = processed + 1;
        at = tick_start(t);
      }
    } else {
      at = tick_start(t);
    }
    m.tick = t;
    m.where = due.emplace(at, i);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in{data, size};
  const std::uint8_t r = in.byte();
  const std::uint8_t sl = in.byte();
  duration res;
  switch (r >> 6) {
    case 0: res = std::chrono::nanoseconds(1 + (r & 63)); break;
    case 1: res = std::chrono::microseconds(1 + (r & 63)); break;
    case 2: res = std::chrono::milliseconds(1 + (r & 63)); break;
    default: res = std::chrono::milliseconds(64 * (1 + (r & 63))); break;
  }
  const std::size_t slots = static_cast<std::size_t>(sl) * 4;  // 0..1020: rounded to >= 64
  const time_point origin = time_point{} + std::chrono::hours(24) +
                            std::chrono::nanoseconds(in.byte());
  wheel w(origin, {res, slots});
  LIVENESS_FUZZ_CHECK(w.options().resolution == res);
  LIVENESS_FUZZ_CHECK(w.options().slots >= 64 && w.options().slots >= slots);
  const auto revolution = res * static_cast<duration::rep>(w.options().slots);

  model m;
  m.origin = origin;
  m.res = res.count();
  m.last_now = origin;
  std::vector<item> items(entries);
  for (std::size_t i = 0; i < entries; ++i) items[i].id = i;
  time_point clock = origin;  // the driver's clock

  auto pick_deadline = [&](std::uint8_t b, time_point base) -> time_point {
    switch (b >> 5) {
      case 0: return base;  // "now"
      case 1: return core::add_saturated(base, -res * static_cast<duration::rep>(b & 31) / 8);
      case 2: return core::add_saturated(base, res * static_cast<duration::rep>(b & 31) / 4);
      case 3: return core::add_saturated(base, res * static_cast<duration::rep>(b & 31));
      case 4: return core::add_saturated(base, revolution * static_cast<duration::rep>(b & 3) +
                                                   res * static_cast<duration::rep>(b & 28));
      case 5: return m.tick_start(m.processed + (b & 7));  // exactly on a tick boundary
      case 6: return core::add_saturated(base, revolution * static_cast<duration::rep>(b & 31));
      default: return (b & 1) ? time_point::max() : time_point::min();
    }
  };

  auto check_state = [&] {
    LIVENESS_FUZZ_CHECK(w.size() == m.due.size());
    for (std::size_t i = 0; i < entries; ++i) LIVENESS_FUZZ_CHECK(items[i].armed() == m.e[i].armed);
    const auto next = w.next_expiry();
    LIVENESS_FUZZ_CHECK(static_cast<bool>(next) == !m.due.empty());
    if (next) LIVENESS_FUZZ_CHECK(*next <= m.due.begin()->first);
  };

  while (!in.done()) {
    const std::uint8_t op = in.byte();
    const std::uint8_t arg = in.byte();
    const std::size_t i = (op >> 3) % entries;
    switch (op & 7) {
      case 0:
      case 1: {  // arm or re-arm
        const time_point d = pick_deadline(arg, clock);
        m.arm(i, d);
        w.arm(items[i], d);
        break;
      }
      case 2:  // cancel
        m.unarm(i);
        w.cancel(items[i]);
        break;
      default: {  // expire, at next_expiry (mostly) or at another time
        const auto next = w.next_expiry();
        time_point now;
        bool at_next = false;
        if ((op & 7) <= 5 && next) {
          now = *next > clock ? *next : clock;
          at_next = now == *next;
        } else if ((op & 7) == 6) {
          now = core::add_saturated(clock, res * static_cast<duration::rep>(arg) / 16);
        } else {
          now = core::add_saturated(clock, -res * static_cast<duration::rep>(arg & 15));
        }
        if (now == time_point::max()) break;  // the end of time: nothing to drive
        if (now > clock) clock = now;
        // The model: what is due at `now` (entries due at once wait for a `now` that is not
        // earlier than the latest one).
        const bool forward = now >= m.last_now;
        if (forward) m.last_now = now;
        const std::uint64_t target = m.floor_tick(now);
        if (target > m.processed) m.processed = target;
        bool expected[entries] = {};
        std::size_t expected_count = 0;
        for (std::size_t k = 0; k < entries; ++k) {
          const model_entry& me = m.e[k];
          if (me.armed && ((me.tick == ready_tick && forward) ||
                           (me.tick != ready_tick && me.tick <= m.processed))) {
            expected[k] = true;
            ++expected_count;
          }
        }
        bool handed[entries] = {};
        std::size_t calls = 0;
        std::uint8_t action = arg;
        const std::size_t n = w.expire(now, [&](wheel_entry& e) {
          const std::size_t k = static_cast<item&>(e).id;
          LIVENESS_FUZZ_CHECK(expected[k]);
          LIVENESS_FUZZ_CHECK(!handed[k]);
          LIVENESS_FUZZ_CHECK(!e.armed());
          handed[k] = true;
          ++calls;
          const model_entry& me = m.e[k];
          LIVENESS_FUZZ_CHECK(now >= me.deadline);  // never early
          if (at_next && !me.past)
            LIVENESS_FUZZ_CHECK(now - me.deadline < res);  // less than one tick late
          m.unarm(k);
          // The callback arms or cancels entries (itself included), as owners do.
          action = static_cast<std::uint8_t>(action * 37 + 11);
          const std::size_t j = (action >> 2) % entries;
          if ((action & 3) == 0) {
            const time_point d = pick_deadline(static_cast<std::uint8_t>(action ^ 0x5a), now);
            if (expected[j] && !handed[j]) expected[j] = false, --expected_count;
            m.arm(j, d);
            w.arm(items[j], d);
          } else if ((action & 3) == 1) {
            if (expected[j] && !handed[j]) expected[j] = false, --expected_count;
            m.unarm(j);
            w.cancel(items[j]);
          }
        });
        LIVENESS_FUZZ_CHECK(n == calls);
        for (std::size_t k = 0; k < entries; ++k)
          if (expected[k]) LIVENESS_FUZZ_CHECK(handed[k]);  // exactly the due ones
        (void)expected_count;
        break;
      }
    }
    check_state();
  }
  // Drain: everything armed (short of the end of time) fires exactly once.
  for (int guard = 0; guard < 2000 && !m.due.empty(); ++guard) {
    const auto next = w.next_expiry();
    LIVENESS_FUZZ_CHECK(next);
    if (m.due.begin()->first == time_point::max()) break;
    const time_point now = *next > clock ? *next : clock;
    if (now == time_point::max()) break;
    clock = now;
    if (now > m.last_now) m.last_now = now;
    const std::uint64_t target = m.floor_tick(now);
    if (target > m.processed) m.processed = target;
    w.expire(now, [&](wheel_entry& e) {
      const std::size_t k = static_cast<item&>(e).id;
      const model_entry& me = m.e[k];
      LIVENESS_FUZZ_CHECK(me.armed);
      LIVENESS_FUZZ_CHECK(me.tick == ready_tick || me.tick <= m.processed);
      LIVENESS_FUZZ_CHECK(now >= me.deadline);
      m.unarm(k);
    });
    check_state();
  }
  for (std::size_t k = 0; k < entries; ++k) w.cancel(items[k]);
  LIVENESS_FUZZ_CHECK(w.empty());
  return 0;
}
