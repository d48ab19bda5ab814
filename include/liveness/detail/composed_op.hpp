//
// liveness/detail/composed_op.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// How a composed operation (async_compose: the reconnecting client's and the accept
// loop's) starts, sees cancellation and completes: posted first, completed on its
// handler's associated executor. The session's own operations are nodes
// (detail/session_op.hpp).
//
#ifndef LIVENESS_DETAIL_COMPOSED_OP_HPP
#define LIVENESS_DETAIL_COMPOSED_OP_HPP

#include <liveness/config.hpp>
#include <liveness/detail/asio.hpp>

#include <cstddef>
#include <utility>

namespace liveness {
namespace detail {

/// Completes a composed operation on its handler's associated executor (Asio's
/// `complete()` calls the handler in the current context, which may be the session's).
/// Two overloads rather than a variadic template, so that a literal 0 converts to the
/// size at the call (a deduced `int` would convert inside, a -Wsign-conversion warning).
template <class Self>
void complete_op(Self& self, error_code ec) {
  auto ex = self.get_executor();
  net::dispatch(ex, [self = std::move(self), ec]() mutable { self.complete(ec); });
}
template <class Self>
void complete_op(Self& self, error_code ec, std::size_t n) {
  auto ex = self.get_executor();
  net::dispatch(ex, [self = std::move(self), ec, n]() mutable { self.complete(ec, n); });
}

/// The first step of a composed operation: it goes on from `ex` (never inside the
/// initiating call), and, having taken nothing yet, any cancellation type can end it
/// without side effect. Returns true when `self` was posted.
template <class Self, class Executor>
bool start_op(bool& started, Self& self, const Executor& ex) {
  if (started) return false;
  started = true;
  self.reset_cancellation_state(net::enable_total_cancellation());
  net::post(ex, std::move(self));
  return true;
}

/// True when the operation's cancellation slot was emitted.
template <class Self>
bool cancelled(Self& self) {
  return self.get_cancellation_state().cancelled() != net::cancellation_type::none;
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_COMPOSED_OP_HPP
