//
// liveness/detail/keepalive_bsd.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// macOS: TCP_KEEPALIVE (idle, s), TCP_KEEPINTVL, TCP_KEEPCNT, TCP_RXT_CONNDROPTIME (s).
// FreeBSD: TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_MAXUNACKTIME (s, FreeBSD 14+).
// macOS does not pass the idle time from a listener to accepted sockets: liveness sets it on
// every accepted socket.
//
// Not compiled or run in this project's CI (no macOS or FreeBSD machine is available).
//
#ifndef LIVENESS_DETAIL_KEEPALIVE_BSD_HPP
#define LIVENESS_DETAIL_KEEPALIVE_BSD_HPP

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace liveness {
namespace detail {

#if defined(__APPLE__)
inline constexpr posix_keepalive_names native_keepalive_names{
    TCP_KEEPALIVE, "TCP_KEEPALIVE", TCP_KEEPINTVL, TCP_KEEPCNT,
    TCP_RXT_CONNDROPTIME, "TCP_RXT_CONNDROPTIME", true};
#elif defined(TCP_MAXUNACKTIME)
inline constexpr posix_keepalive_names native_keepalive_names{
    TCP_KEEPIDLE, "TCP_KEEPIDLE", TCP_KEEPINTVL, TCP_KEEPCNT,
    TCP_MAXUNACKTIME, "TCP_MAXUNACKTIME", true};
#else
inline constexpr posix_keepalive_names native_keepalive_names{
    TCP_KEEPIDLE, "TCP_KEEPIDLE", TCP_KEEPINTVL, TCP_KEEPCNT, -1, "", true};
#endif

inline constexpr bool native_user_timeout_overrides_probes = false;

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_KEEPALIVE_BSD_HPP
