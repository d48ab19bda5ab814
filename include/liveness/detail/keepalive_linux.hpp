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

struct posix_keepalive_names {
  int idle;
  const char* idle_name;
  int interval;
  int count;
  int user_timeout;  // -1: the platform has no such option
  const char* user_timeout_name;
  bool user_timeout_in_seconds;
};

inline constexpr posix_keepalive_names native_keepalive_names{
    TCP_KEEPIDLE, "TCP_KEEPIDLE", TCP_KEEPINTVL, TCP_KEEPCNT,
    TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", false};

inline constexpr const char* native_user_timeout_note =
    "Linux drops the connection once the user timeout has passed and a keepalive probe is "
    "unanswered; a user timeout shorter than idle + interval x probes ends it at the first "
    "unanswered probe";

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_KEEPALIVE_LINUX_HPP
