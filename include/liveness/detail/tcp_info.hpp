//
// liveness/detail/tcp_info.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The kernel's view of a TCP connection, read from a socket's native handle by the
// platform's reader (tcp_info_linux.hpp, tcp_info_windows.hpp, tcp_info_apple.hpp), then
// judged by liveness::diagnose. Elsewhere: empty evidence and a note.
//
#ifndef LIVENESS_DETAIL_TCP_INFO_HPP
#define LIVENESS_DETAIL_TCP_INFO_HPP

#include <liveness/detail/asio.hpp>
#include <liveness/diagnosis.hpp>

#if defined(_WIN32)
#include <liveness/detail/tcp_info_windows.hpp>
#elif defined(__linux__)
#include <liveness/detail/tcp_info_linux.hpp>
#elif defined(__APPLE__)
#include <liveness/detail/tcp_info_apple.hpp>
#endif

#include <string>

namespace liveness {
namespace detail {

/// The diagnosis of a death `reason` from the socket `lowest` (the TCP socket itself, or a
/// TLS stream's lowest layer), read before the session closes it.
template <class LowestLayer>
liveness::diagnosis diagnose_socket(LowestLayer& lowest, const error_code& reason) {
  tcp_evidence e;
  std::string note;
  if (!lowest.is_open()) {
    note = "the socket was already closed: no TCP evidence";
  } else {
#if defined(_WIN32) || defined(__linux__) || defined(__APPLE__)
    e = read_tcp_evidence(lowest.native_handle(), note);
#else
    note = "no TCP evidence reader on this platform";
#endif
  }
  liveness::diagnosis d = diagnose(reason, e);
  d.note = std::move(note);
  return d;
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_TCP_INFO_HPP
