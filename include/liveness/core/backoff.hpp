//
// liveness/core/backoff.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The reconnect schedule, sans-I/O: exponential backoff with jitter, a floor and a cap, an
// optional attempt limit, and a reset only after a connection has stayed up for a while.
//
// Schedule. The retry after the n-th unsuccessful attempt in a row (n >= 1) waits
//
//     cap(n)   = min(max_delay, min_delay * multiplier^n)
//     delay(n) = uniform(min_delay, cap(n))        (jitter on; `cap(n)` with jitter off)
//
// that is "full jitter", applied after the cap, over the range above the floor: the first
// retry waits between min_delay and min_delay * multiplier, the next up to twice that, and
// so on up to max_delay. Every retry is jittered, the first one included, so a fleet that
// lost its server at the same moment does not come back in step. We chose
// uniform(min_delay, cap) over the classic uniform(0, cap) clamped to min_delay because the
// clamp piles a share min_delay/cap(n) of all clients onto exactly min_delay, which is the
// synchronised reconnect storm jitter is meant to prevent. (With multiplier 1 the range is
// empty: every delay is min_delay.) The random source is a UniformRandomBitGenerator passed
// by the caller (seed it in tests).
//
// Attempts. `attempts()` counts the connection attempts in a row that did not lead to a
// stable connection: a failed resolve or connect, or a connection that died before it was up
// for `stable_after`. With `max_attempts` set, the failure that brings the count to
// `max_attempts` gives up (no further delay). A connection that was up for at least
// `stable_after` resets the count: the retry after it is a first retry again (n = 1).
//
#ifndef LIVENESS_CORE_BACKOFF_HPP
#define LIVENESS_CORE_BACKOFF_HPP

#include <liveness/config.hpp>
#include <liveness/core/clock.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>

namespace liveness {
namespace core {

/// Why `backoff_options::validate` refused a schedule (category "liveness.backoff").
enum class backoff_error {
  /// `min_delay` is negative.
  negative_min_delay = 1,
  /// `max_delay` is smaller than `min_delay`.
  max_below_min,
  /// `multiplier` is below 1, infinite or not a number.
  bad_multiplier,
  /// `max_attempts` is set to zero.
  zero_max_attempts,
  /// `stable_after` is negative.
  negative_stable_after,
};

/// The category of `backoff_error`; its name() is "liveness.backoff".
const sys::error_category& backoff_category() noexcept;

/// Makes an error_code of the "liveness.backoff" category. Found by ADL.
error_code make_error_code(backoff_error e) noexcept;

/// The parameters of the schedule. A plain aggregate with good defaults.
struct backoff_options {
  /// The shortest delay before a retry (the floor of every delay). Zero is allowed: since
  /// the growth multiplies the floor, every retry is then immediate. Negative is refused.
  duration min_delay = std::chrono::milliseconds(100);
  /// The longest delay (the cap). Must not be smaller than `min_delay`.
  duration max_delay = std::chrono::seconds(30);
  /// Growth factor per retry. Must be at least 1 (1 = constant ceiling).
  double multiplier = 2.0;
  /// Give up after this many attempts in a row without a stable connection. Empty: never
  /// give up. Zero is refused.
  std::optional<std::uint32_t> max_attempts;
  /// A connection must stay up this long before the attempt count (and the delay) resets.
  duration stable_after = std::chrono::seconds(10);
  /// Randomise every delay over [min_delay, cap(n)]. Off: every delay is exactly cap(n)
  /// (deterministic, for tests and single clients).
  bool jitter = true;

  /// Success, or a `backoff_error` that names the refused field.
  error_code validate() const noexcept;
};

/// The schedule's state machine. Drive it with what happened; it says how long to wait.
///
/// A plain copyable value. Thread safety: distinct objects: safe; shared object: unsafe.
class backoff {
 public:
  /// Throws `liveness::system_error` with the `options.validate()` error when invalid.
  explicit backoff(const backoff_options& options = {});

  const backoff_options& options() const noexcept { return options_; }

  /// `min(max_delay, min_delay * multiplier^n)`, computed without overflow.
  duration cap(std::uint32_t n) const noexcept;

  /// The delay after `n` unsuccessful attempts in a row: uniform over [min_delay, cap(n)]
  /// drawn from `g` (a UniformRandomBitGenerator), or `cap(n)` when jitter is off.
  /// (`n` = 0 gives min_delay.)
  template <class URBG>
  duration delay(std::uint32_t n, URBG& g) const;

  /// A connection attempt failed before connecting (resolve, connect, setup). Counts it;
  /// returns `delay(attempts())`, the wait before the next attempt, or empty when
  /// `max_attempts` is reached (give up).
  template <class URBG>
  std::optional<duration> on_failed(URBG& g);

  /// The connection came up at `now`.
  void on_connected(time_point now) noexcept;

  /// The connection went down at `now`. If it had been up for at least `stable_after`,
  /// the count resets and the delay is `delay(1)`, a first retry's (never gives up);
  /// otherwise this counts as a failed attempt, as `on_failed`.
  template <class URBG>
  std::optional<duration> on_disconnected(time_point now, URBG& g);

  /// Attempts in a row that did not lead to a stable connection.
  std::uint32_t attempts() const noexcept { return attempts_; }

  /// True while a connection is up (between `on_connected` and `on_disconnected`).
  bool connected() const noexcept { return connected_; }

  /// Forgets the count, as after a stable connection.
  void reset() noexcept {
    attempts_ = 0;
    connected_ = false;
  }

 private:
  backoff_options options_;
  std::uint32_t attempts_ = 0;
  bool connected_ = false;
  time_point connected_at_{};
};

}  // namespace core
}  // namespace liveness

namespace std {
template <>
struct is_error_code_enum<liveness::core::backoff_error> : true_type {};
}  // namespace std

#if defined(LIVENESS_USE_BOOST_ASIO)
namespace boost {
namespace system {
template <>
struct is_error_code_enum<liveness::core::backoff_error> : std::true_type {};
}  // namespace system
}  // namespace boost
#endif

#include <liveness/core/impl/backoff.hpp>
#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/core/impl/backoff.ipp>
#endif

#endif  // LIVENESS_CORE_BACKOFF_HPP
