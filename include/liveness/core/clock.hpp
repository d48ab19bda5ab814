//
// liveness/core/clock.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The time vocabulary of the sans-I/O core: steady-clock time points and durations,
// overflow-safe arithmetic on them, and a manual clock for tests.
//
// The core never reads a clock itself: every detector call takes the current time as an
// argument (`now`). A session passes `std::chrono::steady_clock::now()`; a test passes
// `manual_clock::now()` and moves time with `advance`, so no test ever sleeps.
//
#ifndef LIVENESS_CORE_CLOCK_HPP
#define LIVENESS_CORE_CLOCK_HPP

#include <chrono>

namespace liveness {
namespace core {

/// The clock whose time points the core works with (monotonic, never adjusted).
using clock_type = std::chrono::steady_clock;
/// A point in time on `clock_type`.
using time_point = clock_type::time_point;
/// A span of time, in `clock_type`'s resolution (nanoseconds on common platforms).
using duration = clock_type::duration;

/// `t + d`, clamped to `[time_point::min(), time_point::max()]` instead of overflowing.
/// A negative `d` moves backwards, clamped the same way.
constexpr time_point add_saturated(time_point t, duration d) noexcept {
  using rep = duration::rep;
  const rep a = t.time_since_epoch().count();
  const rep b = d.count();
  if (b > 0 && a > duration::max().count() - b) return time_point::max();
  if (b < 0 && a < duration::min().count() - b) return time_point::min();
  return t + d;
}

/// `a + b` for durations, clamped to `[duration::min(), duration::max()]`.
constexpr duration add_saturated(duration a, duration b) noexcept {
  const auto x = a.count();
  const auto y = b.count();
  if (y > 0 && x > duration::max().count() - y) return duration::max();
  if (y < 0 && x < duration::min().count() - y) return duration::min();
  return a + b;
}

/// Time elapsed from `from` to `to`: `to - from`, but never negative (zero when `to` is
/// earlier) and clamped to `duration::max()` instead of overflowing.
constexpr duration elapsed(time_point from, time_point to) noexcept {
  if (to <= from) return duration::zero();
  const auto a = to.time_since_epoch().count();
  const auto b = from.time_since_epoch().count();
  // a > b here. a - b overflows only when b < 0 and a > max + b.
  if (b < 0 && a > duration::max().count() + b) return duration::max();
  return duration(a - b);
}

/// A clock that moves only when told to: the time source of unit tests.
///
/// It has the nested types of a standard clock (`rep`, `period`, `duration`, `time_point`,
/// `is_steady`) and produces `std::chrono::steady_clock` time points, so its readings can
/// be passed anywhere the core expects the current time. Unlike a standard clock its
/// `now()` is a member function: each instance is an independent timeline.
///
/// Thread safety: distinct objects: safe; shared object: unsafe.
class manual_clock {
 public:
  using rep = clock_type::rep;
  using period = clock_type::period;
  using duration = core::duration;
  using time_point = core::time_point;
  /// Readings never decrease.
  static constexpr bool is_steady = true;

  /// Where a default-constructed clock starts: one day after the steady clock's epoch.
  /// Deliberately not the epoch itself, so that code mistaking `time_point{}` for "never"
  /// shows up in tests.
  static constexpr time_point default_start = time_point(std::chrono::hours(24));

  /// A clock reading `default_start`.
  constexpr manual_clock() noexcept = default;

  /// A clock reading `start`.
  constexpr explicit manual_clock(time_point start) noexcept : now_(start) {}

  /// The current reading.
  constexpr time_point now() const noexcept { return now_; }

  /// Moves the clock forward by `d` (saturating at `time_point::max()`). A negative `d`
  /// is ignored: the clock is steady.
  constexpr void advance(duration d) noexcept {
    if (d > duration::zero()) now_ = add_saturated(now_, d);
  }

  /// Moves the clock forward to `t`. Does nothing when `t` is not later than `now()`.
  constexpr void advance_to(time_point t) noexcept {
    if (t > now_) now_ = t;
  }

 private:
  time_point now_ = default_start;
};

}  // namespace core
}  // namespace liveness

#endif  // LIVENESS_CORE_CLOCK_HPP
