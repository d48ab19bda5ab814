//
// liveness/core/impl/detector_options.ipp
//
// The non-template code of <liveness/core/detector_options.hpp>: included by that
// header when header-only, compiled once by <liveness/src.hpp> with
// LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_CORE_IMPL_DETECTOR_OPTIONS_IPP
#define LIVENESS_CORE_IMPL_DETECTOR_OPTIONS_IPP

#include <liveness/core/detector_options.hpp>

#include <algorithm>

namespace liveness {

namespace core {

LIVENESS_DECL error_code idle_timeout_options::validate() const noexcept {
  if (timeout <= duration::zero()) return error_code(error::heartbeat_invalid_options);
  return {};
}

LIVENESS_DECL error_code ping_pong_options::validate() const noexcept {
  if (interval <= duration::zero() || timeout <= duration::zero() ||
      min_ping_interval < duration::zero())
    return error_code(error::heartbeat_invalid_options);
  // Two ends with these options would strike each other's ordinary pings.
  if (max_ping_strikes > 0 && min_ping_interval > interval)
    return error_code(error::heartbeat_invalid_options);
  switch (pinger) {
    case ping_role::client:
    case ping_role::server:
    case ping_role::both:
    case ping_role::answer_only:
      return {};
  }
  return error_code(error::heartbeat_invalid_options);
}

LIVENESS_DECL duration ping_pong_options::detection_bound() const noexcept {
  return add_saturated(interval, timeout);
}

LIVENESS_DECL duration ping_pong_options::max_agreed_interval() const noexcept {
  return (std::max)(interval, timeout);
}

LIVENESS_DECL duration ping_pong_options::agreed_detection_bound() const noexcept {
  if (!hello && !too_many_pings) return detection_bound();
  return add_saturated(max_agreed_interval(), timeout);
}

LIVENESS_DECL std::uint64_t ping_pong_options::ping_burst() const noexcept {
  return 16 * (static_cast<std::uint64_t>(max_ping_strikes) + 1);
}

}  // namespace core
}  // namespace liveness

#endif  // LIVENESS_CORE_IMPL_DETECTOR_OPTIONS_IPP
