//
// liveness/detail/keepalive_time.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The time arithmetic of keepalive, shared by the options (impl/keepalive.hpp) and every
// platform's code (keepalive_posix.hpp, keepalive_windows.hpp): the bound
// `idle + interval * probes`, the user timeout that follows from the options, and the
// rounding up to whole seconds that most kernels impose, with the note that reports it.
// No Asio, no socket: unit-tested directly (tests/unit/keepalive_time_test.cpp).
//
#ifndef LIVENESS_DETAIL_KEEPALIVE_TIME_HPP
#define LIVENESS_DETAIL_KEEPALIVE_TIME_HPP

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace liveness {
namespace detail {

using ka_ms = std::chrono::milliseconds;

/// a + b, saturating at the largest representable duration (inputs are non-negative).
inline ka_ms saturating_add(ka_ms a, ka_ms b) noexcept {
  const auto max = std::numeric_limits<ka_ms::rep>::max();
  if (b.count() > max - a.count()) return ka_ms(max);
  return a + b;
}

/// d * n, saturating (inputs are non-negative).
inline ka_ms saturating_mul(ka_ms d, std::int64_t n) noexcept {
  const auto max = std::numeric_limits<ka_ms::rep>::max();
  if (n != 0 && d.count() > max / n) return ka_ms(max);
  return ka_ms(d.count() * n);
}

/// `idle + interval * probes`, saturating; negative inputs count as zero.
inline ka_ms keepalive_bound(ka_ms idle, ka_ms interval, std::int64_t probes) noexcept {
  if (idle.count() < 0) idle = ka_ms(0);
  if (interval.count() < 0) interval = ka_ms(0);
  if (probes < 0) probes = 0;
  return saturating_add(idle, saturating_mul(interval, probes));
}

/// The user timeout to apply for a requested one (`keepalive_options::user_timeout`):
///  - none requested (`derive_user_timeout`): the keepalive bound of `idle`, `interval` and
///    `probes` while keepalive is on, so that a dead peer is declared in the same time
///    whether or not data is in flight; zero (none) while keepalive is off;
///  - a positive time: that time;
///  - zero (`no_user_timeout`) or negative: zero, none.
/// The options pass the values they ask for; the platform code passes the values the
/// kernel really got (after rounding, Windows' fixed probe count).
inline ka_ms user_timeout_to_apply(const std::optional<ka_ms>& requested, bool enabled,
                                   ka_ms idle, ka_ms interval, std::int64_t probes) noexcept {
  if (!requested) return enabled ? keepalive_bound(idle, interval, probes) : ka_ms(0);
  if (requested->count() < 0) return ka_ms(0);
  return *requested;
}

/// Rounds up to a whole second (the input is non-negative and already range-checked).
inline ka_ms ceil_to_seconds(ka_ms d) noexcept { return ka_ms((d.count() + 999) / 1000 * 1000); }

/// Adds "<what> <asked> ms rounded up to <applied> s: <why>" to `notes` when the kernel
/// got another value than the one asked for (`applied` = `ceil_to_seconds(asked)`).
inline void note_rounded_up(std::vector<std::string>& notes, const std::string& what,
                            ka_ms asked, ka_ms applied, const char* why) {
  if (asked == applied) return;
  notes.push_back(what + " " + std::to_string(asked.count()) + " ms rounded up to " +
                  std::to_string(applied.count() / 1000) + " s: " + why);
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_KEEPALIVE_TIME_HPP
