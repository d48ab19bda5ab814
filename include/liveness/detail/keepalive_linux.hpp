//
// liveness/detail/keepalive_linux.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Linux: TCP_KEEPIDLE / TCP_KEEPINTVL (s, 1..32767), TCP_KEEPCNT (1..127), TCP_USER_TIMEOUT
// (ms). All readable with getsockopt. Settings made on a listening socket are inherited by
// accepted sockets, but liveness sets them on each accepted socket anyway.
//
#ifndef LIVENESS_DETAIL_KEEPALIVE_LINUX_HPP
#define LIVENESS_DETAIL_KEEPALIVE_LINUX_HPP

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace liveness {
namespace detail {

inline constexpr posix_keepalive_names native_keepalive_names{
    TCP_KEEPIDLE, "TCP_KEEPIDLE", TCP_KEEPINTVL, TCP_KEEPCNT,
    TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", false};

// With TCP_USER_TIMEOUT set, Linux ignores TCP_KEEPCNT: at each keepalive timer tick
// (idle + k * interval, k >= 1) it drops the connection if a probe is unanswered and the
// user timeout has passed since the peer was last heard.
inline constexpr bool native_user_timeout_overrides_probes = true;

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_KEEPALIVE_LINUX_HPP
