//
// liveness/impl/session_options.ipp
//
// The non-template code of <liveness/session.hpp>: included by that
// header when header-only, compiled once by <liveness/src.hpp> with
// LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_IMPL_SESSION_OPTIONS_IPP
#define LIVENESS_IMPL_SESSION_OPTIONS_IPP

#include <liveness/session.hpp>

namespace liveness {

namespace detail {

LIVENESS_DECL core::duration budget_reserve(core::duration budget) noexcept {
  return std::max<core::duration>(budget / 50, std::chrono::milliseconds(20));
}

LIVENESS_DECL detection_report make_detection_report(core::duration heartbeat,
                                                     core::duration keepalive,
                                                     core::duration in_flight) {
  detection_report r;
  r.hung_process = heartbeat;
  r.dead_host_idle = std::min(heartbeat, keepalive);
  r.dead_host_sending = std::min(heartbeat, in_flight);
  // The first of the largest, the heartbeat's own failure first: when the heartbeat sets
  // all three, it is the hang that only the heartbeat can see.
  const bool sees_hang = heartbeat != core::duration::max();
  r.worst = sees_hang ? r.hung_process : r.dead_host_idle;
  r.worst_failure = sees_hang ? failure::hung_process : failure::dead_host_idle;
  if (r.dead_host_idle > r.worst) {
    r.worst = r.dead_host_idle;
    r.worst_failure = failure::dead_host_idle;
  }
  if (r.dead_host_sending > r.worst) {
    r.worst = r.dead_host_sending;
    r.worst_failure = failure::dead_host_sending;
  }
  return r;
}

LIVENESS_DECL std::string format_bound(core::duration d) {
  if (d == core::duration::max()) return "never";
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03llds", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

}  // namespace detail

LIVENESS_DECL core::duration detection_report::of(liveness::failure f) const noexcept {
  switch (f) {
    case failure::hung_process: return hung_process;
    case failure::dead_host_idle: return dead_host_idle;
    case failure::dead_host_sending: return dead_host_sending;
  }
  return core::duration::max();
}

LIVENESS_DECL std::string detection_report::to_string() const {
  return "worst " + detail::format_bound(worst) + " (" + liveness::to_string(worst_failure) +
         "); hung_process " + detail::format_bound(hung_process) + ", dead_host_idle " +
         detail::format_bound(dead_host_idle) + ", dead_host_sending " +
         detail::format_bound(dead_host_sending);
}

}  // namespace liveness

#endif  // LIVENESS_IMPL_SESSION_OPTIONS_IPP
