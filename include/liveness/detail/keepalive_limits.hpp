//
// liveness/detail/keepalive_limits.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// What each platform's kernel accepts for keepalive settings. Plain data, no Asio, so that
// the validation rules of every platform can be tested on any platform.
//
#ifndef LIVENESS_DETAIL_KEEPALIVE_LIMITS_HPP
#define LIVENESS_DETAIL_KEEPALIVE_LIMITS_HPP

#include <cstdint>

namespace liveness {
namespace detail {

struct keepalive_limits {
  const char* platform;
  /// The kernel takes idle and interval in whole seconds (sub-second values round up).
  bool whole_seconds;
  std::int64_t idle_min_ms, idle_max_ms;
  std::int64_t interval_min_ms, interval_max_ms;
  std::int64_t probes_min, probes_max;
  std::int64_t user_timeout_max_ms;
  /// The kernel takes the user timeout in whole seconds (sub-second values round up).
  bool user_timeout_whole_seconds;
};

// TCP_KEEPIDLE / TCP_KEEPINTVL: 1..MAX_TCP_KEEPIDLE (32767) s, TCP_KEEPCNT: 1..MAX_TCP_KEEPCNT
// (127); TCP_USER_TIMEOUT: a non-negative int, in milliseconds. Linux rejects, never clamps.
inline constexpr keepalive_limits linux_keepalive_limits{
    "Linux", true, 1000, 32767000, 1000, 32767000, 1, 127, 2147483647, false};

// SIO_KEEPALIVE_VALS takes two ULONG millisecond values; TCP_KEEPIDLE / TCP_KEEPINTVL take
// DWORD seconds; TCP_KEEPCNT 1..255; TCP_MAXRT is an int number of seconds.
inline constexpr keepalive_limits windows_keepalive_limits{
    "Windows", false, 1, 4294967295LL, 1, 4294967295LL, 1, 255, 2147483647LL * 1000, true};

// FreeBSD and macOS take seconds in an int and refuse values above INT_MAX / hz.
inline constexpr keepalive_limits bsd_keepalive_limits{
    "BSD/macOS", true, 1000, 2147483000LL, 1000, 2147483000LL, 1, 2147483647, 2147483000LL, true};

#if defined(_WIN32)
inline constexpr const keepalive_limits& native_keepalive_limits = windows_keepalive_limits;
#elif defined(__linux__)
inline constexpr const keepalive_limits& native_keepalive_limits = linux_keepalive_limits;
#else
inline constexpr const keepalive_limits& native_keepalive_limits = bsd_keepalive_limits;
#endif

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_KEEPALIVE_LIMITS_HPP
