//
// liveness/duration.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// How liveness reads a duration from text: the fields of a keepalive spec
// (`keepalive_options::parse`) and the duration flags of the examples use this one grammar.
// Sans-I/O: no Asio.
//
#ifndef LIVENESS_DURATION_HPP
#define LIVENESS_DURATION_HPP

#include <liveness/config.hpp>
#include <liveness/core/clock.hpp>

#include <chrono>
#include <string_view>

namespace liveness {

/// The library's time span (`std::chrono::steady_clock::duration`): budgets, heartbeat
/// times, deadlines, detection bounds. Any `std::chrono` duration converts to it.
using duration = core::duration;

/// What `parse_duration` makes of a number written without a unit.
enum class unitless {
  /// Refused: a unit is required ("30" is not a duration).
  refused,
  /// Seconds: "30" is 30 s (as in keepalive specs, like nginx's `so_keepalive`).
  seconds,
};

/// Parses a duration: a whole number, optionally negative, and a unit, `ms`, `s`, `m` or
/// `h` ("250ms", "30s", "2m", "1h", "-5s"); a number without a unit as `bare` says.
/// Nothing else is taken: no blanks, no `+`, no fraction, no other unit or letter case, no
/// text after the unit. Leading zeros are allowed ("007s" is 7 s).
///
/// On success returns the duration and clears `ec`. On failure returns zero and sets `ec`
/// to `errc::invalid_argument` (not a duration) or `errc::result_out_of_range` (a duration
/// whose milliseconds do not fit in `std::chrono::milliseconds::rep`), of the backend's
/// error vocabulary (`liveness::sys`). Which values make sense (zero, negative, a maximum)
/// is the caller's to check.
std::chrono::milliseconds parse_duration(std::string_view text, error_code& ec,
                                         unitless bare = unitless::refused) noexcept;

}  // namespace liveness

#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/impl/duration.ipp>
#endif

#endif  // LIVENESS_DURATION_HPP
