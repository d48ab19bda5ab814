//
// liveness/impl/session/wait_dead.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// session::async_wait_dead.
//
#ifndef LIVENESS_IMPL_SESSION_WAIT_DEAD_HPP
#define LIVENESS_IMPL_SESSION_WAIT_DEAD_HPP

#include <liveness/detail/session_op.hpp>

namespace liveness {
namespace detail {

/// async_wait_dead's state machine (detail/session_op.hpp): completes with the reason once
/// the peer is declared dead, operation_aborted once the session is closed or on any type
/// of cancellation (it has taken nothing).
template <class Impl>
struct wait_dead_machine : machine_base {
  static constexpr net::cancellation_type cancellation = any_cancellation;
  static constexpr signed char user_op = -1;

  void step(session_op<Impl>& op, error_code, std::size_t);
};

// Defined out of the class (not inline): compiled once for the pre-instantiated sessions
// (impl/session_instances.hpp).
template <class Impl>
void wait_dead_machine<Impl>::step(session_op<Impl>& op, error_code, std::size_t) {
  Impl& s = op.impl();
  if (s.engine_.dead()) return op.complete(s.engine_.reason(), 0);
  if (s.engine_.closed() || op.cancelled()) return op.complete(net::error::operation_aborted, 0);
  s.park(s.dead_waiters_, op);
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_IMPL_SESSION_WAIT_DEAD_HPP
