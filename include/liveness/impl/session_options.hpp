//
// liveness/impl/session_options.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// session_options' presets (suggested, within), its detection bound and validation, and
// detection_report. Sans-I/O arithmetic: the session's own detection_bound() feeds it the
// keepalive values the kernel applied.
//
#ifndef LIVENESS_IMPL_SESSION_OPTIONS_HPP
#define LIVENESS_IMPL_SESSION_OPTIONS_HPP

#include <liveness/detail/keepalive_time.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <type_traits>

namespace liveness {
namespace detail {

using std::chrono::seconds;

/// How late the kernel reports a user timeout: it notices it when a retransmission timer
/// fires (Linux: at least 200 ms; about 230 ms measured on loopback).
constexpr core::duration retransmission_slack = std::chrono::milliseconds(250);

/// What `within()` keeps back from a budget for timer lateness and the report's own
/// handling: 2 %, at least 20 ms.
LIVENESS_DECL core::duration budget_reserve(core::duration budget) noexcept;

/// The heartbeat's bound of a policy's options: interval + timeout (ping_pong; as far as
/// agreement may stretch it, `agreed_detection_bound()`, when the codec carries agreement
/// frames), timeout (idle_timeout), never (none).
template <class Policy, class Options>
core::duration heartbeat_bound(const Options& o) noexcept {
  if constexpr (std::is_base_of_v<core::ping_pong_options, Options>) {
    if constexpr (codec::carries_agreement_v<typename Policy::codec>)
      return o.agreed_detection_bound();
    else
      return o.detection_bound();
  } else if constexpr (std::is_same_v<Options, core::idle_timeout_options>) {
    return o.timeout;
  } else {
    return core::duration::max();
  }
}

/// The three bounds from their parts (`never` = duration::max()). A policy without a
/// heartbeat leaves the hung process out of `worst`.
LIVENESS_DECL detection_report make_detection_report(core::duration heartbeat,
                                                     core::duration keepalive,
                                                     core::duration in_flight);

LIVENESS_DECL std::string format_bound(core::duration d);

}  // namespace detail

template <class Policy>
session_options<Policy> session_options<Policy>::suggested(liveness::role r) {
  session_options o;
  o.role = r;
  if (r == liveness::role::server) {
    o.message_timeout = std::chrono::seconds(10);
    o.first_message_timeout = std::chrono::seconds(30);
  }
  return o;
}

template <class Policy>
core::duration session_options<Policy>::smallest_budget() noexcept {
  if (detail::heartbeat_bound<Policy>(typename Policy::options{}) == core::duration::max())
    return std::chrono::milliseconds(2500);
  return std::chrono::milliseconds(1500);
}

template <class Policy>
session_options<Policy> session_options<Policy>::within(core::duration budget,
                                                        liveness::role r, error_code& ec) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  session_options o = suggested(r);
  if (budget < smallest_budget()) {
    ec = error::budget_too_small;
    return o;
  }
  ec = {};
  // What the timers may use; the reserve absorbs timer lateness.
  const core::duration avail = budget - detail::budget_reserve(budget);

  // Keepalive, in the whole seconds the kernels take: idle + interval * probes within the
  // budget (the standard 20 s + 3 x 5 s at 35 s, 4 s + 3 x 1 s at 7 s), and the user
  // timeout, which the kernel reports up to one retransmission timeout late, too.
  const auto whole = [](core::duration d) {
    return std::chrono::duration_cast<seconds>(d).count();
  };
  // Every value within what Linux and Windows both accept (idle and interval at most
  // 32767 s, the user timeout at most 2147483 s), so that a long budget stays valid.
  constexpr long long max_keepalive_s = 32767;
  constexpr long long max_user_timeout_s = 2147483;
  const long long kb = std::max<long long>(2, whole(avail));
  const long long interval_s = std::clamp<long long>(kb / 7, 1, max_keepalive_s);
  const long long probes = std::min<long long>(3, std::max<long long>(1, (kb - 1) / interval_s));
  const long long idle_s = std::clamp<long long>(kb - interval_s * probes, 1, max_keepalive_s);
  const long long user_s = std::clamp<long long>(
      whole(avail - detail::retransmission_slack), 1, max_user_timeout_s);
  keepalive_options ka;
  ka.idle = seconds(idle_s);
  ka.interval = seconds(interval_s);
  ka.probes = static_cast<int>(probes);
  ka.user_timeout = seconds(user_s);
  o.keepalive = ka;

  // The heartbeat: ping after 60 % of the rest of silence, dead 40 % later; both ends ping,
  // so two ends built from the same budget answer each other's pings and neither goes
  // silent for the other. The flood guard accepts a ping every quarter interval (at most
  // 100 ms), far below the pace of a peer built from the same budget.
  using hb_options = typename Policy::options;
  if constexpr (std::is_base_of_v<core::ping_pong_options, hb_options>) {
    // Whole milliseconds, computed in the budget's own unit (no overflow for any budget).
    const core::duration interval = std::chrono::duration_cast<milliseconds>(avail / 5 * 3);
    o.heartbeat.interval = interval;
    o.heartbeat.timeout = std::chrono::duration_cast<milliseconds>(avail - interval);
    o.heartbeat.pinger = ping_role::both;
    o.heartbeat.min_ping_interval =
        std::min<core::duration>(std::chrono::milliseconds(100), interval / 4);
    // A client built from the same budget pings (or answers our ping) within it.
    if (r == liveness::role::server) o.first_message_timeout = budget;
  } else if constexpr (std::is_same_v<hb_options, core::idle_timeout_options>) {
    o.heartbeat.timeout = core::duration(std::chrono::duration_cast<milliseconds>(avail));
  }
  return o;
}

template <class Policy>
session_options<Policy> session_options<Policy>::within(core::duration budget,
                                                        liveness::role r) {
  error_code ec;
  auto o = within(budget, r, ec);
  if (ec) {
    throw system_error(ec, "session_options::within(" +
                               detail::format_bound(budget) + "): the smallest budget is " +
                               detail::format_bound(smallest_budget()));
  }
  return o;
}

template <class Policy>
detection_report session_options<Policy>::detection_bound() const {
  const core::duration hb = detail::heartbeat_bound<Policy>(heartbeat);
  core::duration ka = core::duration::max();
  core::duration in_flight = core::duration::max();
  if (keepalive) {
    using detail::ceil_to_seconds;
    if (keepalive->enabled) {
      ka = ceil_to_seconds(keepalive->idle) + ceil_to_seconds(keepalive->interval) *
                                                  std::max(keepalive->probes, 1);
    }
    const auto ut = keepalive->effective_user_timeout();
    if (ut.count() > 0) in_flight = ceil_to_seconds(ut) + detail::retransmission_slack;
  }
  return detail::make_detection_report(hb, ka, in_flight);
}

template <class Policy>
error_code session_options<Policy>::validate() const {
  if (role != liveness::role::client && role != liveness::role::server)
    return error::invalid_session_options;
  if (max_write_chunk == 0 || read_buffer_limit == 0 ||
      message_timeout < core::duration::zero() ||
      first_message_timeout < core::duration::zero() || close_linger < core::duration::zero())
    return error::invalid_session_options;
  if (auto ec = heartbeat.validate()) return ec;
  if (keepalive) {
    if (auto ec = keepalive->validate()) return ec;
  }
  return {};
}

}  // namespace liveness

#endif  // LIVENESS_IMPL_SESSION_OPTIONS_HPP
