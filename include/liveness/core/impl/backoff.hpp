//
// liveness/core/impl/backoff.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_CORE_IMPL_BACKOFF_HPP
#define LIVENESS_CORE_IMPL_BACKOFF_HPP

#include <cmath>
#include <limits>
#include <random>

namespace liveness {
namespace core {
namespace detail {

class backoff_category_impl final : public sys::error_category {
 public:
  const char* name() const noexcept override { return "liveness.backoff"; }
  std::string message(int ev) const override {
    switch (static_cast<backoff_error>(ev)) {
      case backoff_error::negative_min_delay:
        return "reconnect/backoff min_delay (or connect_timeout) is negative";
      case backoff_error::max_below_min:
        return "reconnect/backoff max_delay is smaller than min_delay";
      case backoff_error::bad_multiplier:
        return "reconnect/backoff multiplier must be a finite number >= 1";
      case backoff_error::zero_max_attempts:
        return "reconnect/backoff max_attempts is zero (leave it empty to retry forever)";
      case backoff_error::negative_stable_after:
        return "reconnect/backoff stable_after is negative";
    }
    return "unknown liveness.backoff error";
  }
};

}  // namespace detail

inline const sys::error_category& backoff_category() noexcept {
  static const detail::backoff_category_impl instance;
  return instance;
}

inline error_code make_error_code(backoff_error e) noexcept {
  return error_code(static_cast<int>(e), backoff_category());
}

inline error_code backoff_options::validate() const noexcept {
  if (min_delay < duration::zero()) return make_error_code(backoff_error::negative_min_delay);
  if (max_delay < min_delay) return make_error_code(backoff_error::max_below_min);
  if (!(multiplier >= 1.0) || !std::isfinite(multiplier))
    return make_error_code(backoff_error::bad_multiplier);
  if (max_attempts && *max_attempts == 0)
    return make_error_code(backoff_error::zero_max_attempts);
  if (stable_after < duration::zero())
    return make_error_code(backoff_error::negative_stable_after);
  return {};
}

inline backoff::backoff(const backoff_options& options) : options_(options) {
  if (auto ec = options_.validate()) throw system_error(ec);
}

inline duration backoff::cap(std::uint32_t n) const noexcept {
  const auto lo = options_.min_delay;
  const auto hi = options_.max_delay;
  if (lo <= duration::zero()) return duration::zero();  // growth multiplies the floor
  if (lo >= hi) return hi;
  // min_delay * multiplier^n in floating point; anything not below max_delay is the cap
  // (pow may overflow to infinity, which compares as not below).
  const double c = static_cast<double>(lo.count()) * std::pow(options_.multiplier, n);
  if (!(c < static_cast<double>(hi.count()))) return hi;
  const auto v = duration(static_cast<duration::rep>(c));
  return v < lo ? lo : v;
}

template <class URBG>
duration backoff::delay(std::uint32_t n, URBG& g) const {
  const duration c = cap(n);
  if (!options_.jitter || c <= options_.min_delay) return c;
  std::uniform_int_distribution<duration::rep> dist(options_.min_delay.count(), c.count());
  return duration(dist(g));
}

template <class URBG>
std::optional<duration> backoff::on_failed(URBG& g) {
  connected_ = false;
  if (attempts_ < std::numeric_limits<std::uint32_t>::max()) ++attempts_;
  if (options_.max_attempts && attempts_ >= *options_.max_attempts) return std::nullopt;
  return delay(attempts_, g);
}

inline void backoff::on_connected(time_point now) noexcept {
  connected_ = true;
  connected_at_ = now;
}

template <class URBG>
std::optional<duration> backoff::on_disconnected(time_point now, URBG& g) {
  const bool was_up = connected_;
  connected_ = false;
  if (was_up && elapsed(connected_at_, now) >= options_.stable_after) {
    attempts_ = 0;
    return delay(1, g);  // the first retry of a new streak
  }
  return on_failed(g);
}

}  // namespace core
}  // namespace liveness

#endif  // LIVENESS_CORE_IMPL_BACKOFF_HPP
