//
// liveness/detail/keepalive_posix.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Applying and reading keepalive through setsockopt/getsockopt, shared by Linux and the
// BSDs; the option names come from keepalive_linux.hpp or keepalive_bsd.hpp.
//
#ifndef LIVENESS_DETAIL_KEEPALIVE_POSIX_HPP
#define LIVENESS_DETAIL_KEEPALIVE_POSIX_HPP

#include <liveness/detail/asio.hpp>
#include <liveness/detail/keepalive_limits.hpp>
#include <liveness/detail/keepalive_time.hpp>
#include <liveness/detail/socket_option.hpp>
#include <liveness/error.hpp>

namespace liveness {
namespace detail {
/// The option names of one POSIX platform (set by keepalive_linux.hpp / keepalive_bsd.hpp).
struct posix_keepalive_names {
  int idle;
  const char* idle_name;
  int interval;
  int count;
  int user_timeout;  // -1: the platform has no such option
  const char* user_timeout_name;
  bool user_timeout_in_seconds;
};
}  // namespace detail
}  // namespace liveness

#if defined(__linux__)
#include <liveness/detail/keepalive_linux.hpp>
#else
#include <liveness/detail/keepalive_bsd.hpp>
#endif

#include <chrono>
#include <string>

namespace liveness {
namespace detail {

/// Maps a refused setsockopt onto the liveness reason that explains it.
inline error_code keepalive_refusal(const error_code& ec, error out_of_range) {
  if (ec == net::error::invalid_argument) return out_of_range;
  if (ec == net::error::no_protocol_option || ec == net::error::operation_not_supported)
    return error::keepalive_not_supported;
  return ec;
}

/// Why a value was rounded: the kernel takes it in whole seconds.
inline constexpr const char* whole_seconds_reason = "this platform counts it in whole seconds";

template <class Socket>
void native_apply_keepalive(Socket& s, const keepalive_options& o, keepalive_report& r,
                            error_code& ec) {
  using ms = std::chrono::milliseconds;
  const auto& n = native_keepalive_names;
  const auto& l = native_keepalive_limits;

  if ((ec = set_int_option(s, SOL_SOCKET, SO_KEEPALIVE, o.enabled ? 1 : 0))) {
    ec = keepalive_refusal(ec, error::keepalive_not_supported);
    return;
  }
  ms idle{0}, interval{0};
  if (o.enabled) {
    idle = ceil_to_seconds(o.idle);
    interval = ceil_to_seconds(o.interval);
    note_rounded_up(r.notes, "idle", o.idle, idle, whole_seconds_reason);
    note_rounded_up(r.notes, "interval", o.interval, interval, whole_seconds_reason);
    if ((ec = set_int_option(s, IPPROTO_TCP, n.idle, static_cast<int>(idle.count() / 1000)))) {
      ec = keepalive_refusal(ec, error::keepalive_idle_out_of_range);
      return;
    }
    if ((ec = set_int_option(s, IPPROTO_TCP, n.interval,
                             static_cast<int>(interval.count() / 1000)))) {
      ec = keepalive_refusal(ec, error::keepalive_interval_out_of_range);
      return;
    }
    if ((ec = set_int_option(s, IPPROTO_TCP, n.count, o.probes))) {
      ec = keepalive_refusal(ec, error::keepalive_probes_out_of_range);
      return;
    }
    r.mechanism = keepalive_mechanism::setsockopt;
    r.enabled = true;
    r.idle = {idle, value_source::requested};
    r.interval = {interval, value_source::requested};
    r.probes = {o.probes, value_source::requested};
  }

  // The user timeout: derived from what the kernel really got (after rounding).
  ms timeout = user_timeout_to_apply(o.user_timeout, o.enabled, idle, interval, o.probes);
  if (timeout.count() > l.user_timeout_max_ms) {  // only a derived value can get here
    r.notes.push_back("derived user timeout " + std::to_string(timeout.count()) +
                      " ms capped at the platform's maximum of " +
                      std::to_string(l.user_timeout_max_ms) + " ms");
    timeout = ms(l.user_timeout_max_ms);
  }
  if (n.user_timeout < 0) {
    r.user_timeout.source = value_source::unsupported;
    if (timeout.count() > 0)
      r.notes.push_back("this platform has no user-timeout option: the time data may stay "
                        "unacknowledged is the kernel's own");
    return;
  }
  int raw = static_cast<int>(timeout.count());
  if (n.user_timeout_in_seconds) {
    const auto rounded = timeout.count() > 0 ? ceil_to_seconds(timeout) : timeout;
    note_rounded_up(r.notes, n.user_timeout_name, timeout, rounded, whole_seconds_reason);
    timeout = rounded;
    raw = static_cast<int>(timeout.count() / 1000);
  }
  if (auto uec = set_int_option(s, IPPROTO_TCP, n.user_timeout, raw)) {
    uec = keepalive_refusal(uec, error::keepalive_user_timeout_out_of_range);
    if (uec == error::keepalive_not_supported) {
      r.user_timeout.source = value_source::unsupported;
      if (timeout.count() > 0)
        r.notes.push_back(std::string("the kernel refused ") + n.user_timeout_name +
                          ": the time data may stay unacknowledged is the kernel's own");
      return;
    }
    ec = uec;
    return;
  }
  r.user_timeout = {timeout, value_source::requested};
}

template <class Socket>
void native_read_keepalive(Socket& s, keepalive_report& r, error_code& ec) {
  using ms = std::chrono::milliseconds;
  const auto& n = native_keepalive_names;
  int v = 0;
  if ((ec = get_int_option(s, SOL_SOCKET, SO_KEEPALIVE, v))) return;
  r.enabled = v != 0;
  r.mechanism = r.enabled ? keepalive_mechanism::setsockopt : keepalive_mechanism::disabled;
  if (!get_int_option(s, IPPROTO_TCP, n.idle, v)) r.idle = {ms(v * 1000LL), value_source::kernel};
  if (!get_int_option(s, IPPROTO_TCP, n.interval, v))
    r.interval = {ms(v * 1000LL), value_source::kernel};
  if (!get_int_option(s, IPPROTO_TCP, n.count, v)) r.probes = {v, value_source::kernel};
  if (n.user_timeout < 0) {
    r.user_timeout.source = value_source::unsupported;
  } else if (!get_int_option(s, IPPROTO_TCP, n.user_timeout, v)) {
    r.user_timeout = {ms(n.user_timeout_in_seconds ? v * 1000LL : v), value_source::kernel};
  }
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_KEEPALIVE_POSIX_HPP
