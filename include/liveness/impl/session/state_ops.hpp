//
// liveness/impl/session/state_ops.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The Asio operations that a session operation with the default allocator starts
// (detail/session_op.hpp), defined out of the session state's class (state.hpp): their
// handler is the operation's own step (or result), the same for every handler of the
// application's, so they are compiled with the session rather than with each operation
// (and, for the pre-instantiated sessions, once in the library's file:
// impl/session_instances.hpp).
//
#ifndef LIVENESS_IMPL_SESSION_STATE_OPS_HPP
#define LIVENESS_IMPL_SESSION_STATE_OPS_HPP

#include <liveness/impl/session/state.hpp>

namespace liveness {
namespace detail {

template <class Socket, class Policy>
void session_impl<Socket, Policy>::post_step(std::shared_ptr<session_impl> s,
                                             const executor_type& ex, op_type* op) {
  net::post(ex, op_step<session_impl, std::allocator<void>>(std::move(s), op, {}));
}

template <class Socket, class Policy>
void session_impl<Socket, Policy>::dispatch_result(const executor_type& ex,
                                                   std::shared_ptr<session_impl> s,
                                                   op_type* op, error_code ec, std::size_t n) {
  net::dispatch(ex, op_result<session_impl, std::allocator<void>>(std::move(s), op, {}, ec, n));
}

template <class Socket, class Policy>
void session_impl<Socket, Policy>::read_socket_for(op_type& op, net::mutable_buffer b) {
  socket_.async_read_some(
      b, op_step<session_impl, std::allocator<void>, true>(this->shared_from_this(), &op, {}));
}

template <class Socket, class Policy>
void session_impl<Socket, Policy>::write_socket_for(op_type& op,
                                                    const std::array<net::const_buffer, 2>& b) {
  net::async_write(socket_, b,
                   op_step<session_impl, std::allocator<void>>(this->shared_from_this(), &op, {}));
}

template <class Socket, class Policy>
void session_impl<Socket, Policy>::write_socket_for(op_type& op,
                                                    const std::vector<net::const_buffer>& b) {
  net::async_write(socket_, b,
                   op_step<session_impl, std::allocator<void>>(this->shared_from_this(), &op, {}));
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_IMPL_SESSION_STATE_OPS_HPP
