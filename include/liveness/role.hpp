//
// liveness/role.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// liveness::role: which end of a connection a session (or a detector) runs on. No Asio.
//
#ifndef LIVENESS_ROLE_HPP
#define LIVENESS_ROLE_HPP

namespace liveness {

/// Which end of the connection this is. It decides which end pings when the heartbeat's
/// `pinger` is `ping_role::client` or `ping_role::server`, and which presets
/// `session_options<Policy>::suggested` and `within` choose.
enum class role {
  /// The end that connected.
  client,
  /// The end that accepted.
  server,
};

/// "client" or "server" (for logs); "unknown" for a value outside the enumeration.
constexpr const char* to_string(role r) noexcept {
  return r == role::client ? "client" : r == role::server ? "server" : "unknown";
}

}  // namespace liveness

#endif  // LIVENESS_ROLE_HPP
