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
