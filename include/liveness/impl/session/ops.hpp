//
// liveness/impl/session/ops.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// What every session operation shares: how it starts, how it completes, how a user
// operation is counted, and the moved-from case.
//
#ifndef LIVENESS_IMPL_SESSION_OPS_HPP
#define LIVENESS_IMPL_SESSION_OPS_HPP

#include <liveness/config.hpp>
#include <liveness/detail/asio.hpp>

#include <cstddef>
#include <utility>

namespace liveness {
namespace detail {

/// Completes a session operation on its handler's associated executor (Asio's
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

/// The first step of the session's operations: they go on from the session's executor
/// (never inside the initiating call, never on another thread than the session's), and,
/// for operations that have taken nothing yet, any cancellation type can end them
/// without side effect. Returns true when `self` was posted.
template <class Self, class Executor>
bool start_op(bool& started, Self& self, const Executor& session_executor,
              bool any_cancellation = true) {
  if (started) return false;
  started = true;
  if (any_cancellation) self.reset_cancellation_state(net::enable_total_cancellation());
  net::post(session_executor, std::move(self));
  return true;
}

/// True when the operation's cancellation slot was emitted.
template <class Self>
bool cancelled(Self& self) {
  return self.get_cancellation_state().cancelled() != net::cancellation_type::none;
}

/// Counts a user read or write operation from its start to the destruction of its state
/// (after its handler has run), so that a session draining after the peer's FIN knows
/// whether the application still reads and whether replies are on their way.
template <class Impl, bool Write>
class user_op_guard {
 public:
  user_op_guard() noexcept = default;
  user_op_guard(user_op_guard&& other) noexcept : s_(std::exchange(other.s_, nullptr)) {}
  user_op_guard& operator=(user_op_guard&&) = delete;
  ~user_op_guard() {
    if (s_) s_->on_user_op_end(Write);
  }
  void attach(Impl* s) noexcept {
    if (s_) return;
    s_ = s;
    s_->engine_.on_user_op_begin(Write);
  }

 private:
  Impl* s_ = nullptr;
};

/// A session operation, or, on a moved-from session (no state), an operation that
/// completes with bad_descriptor (and 0 bytes when the signature has a size): posted first,
/// so that it never completes inside the initiating call, then completed on the handler's
/// associated executor. One operation type either way, so that deferred tokens see one
/// return type.
template <class Op, bool WithSize>
struct unless_moved_from {
  Op op;
  bool moved_from;
  bool started = false;

  template <class Self, class... Args>
  void operator()(Self& self, Args&&... args) {
    if (!moved_from) return op(self, std::forward<Args>(args)...);
    if (start_op(started, self, self.get_executor())) return;
    if constexpr (WithSize) {
      complete_op(self, net::error::bad_descriptor, std::size_t(0));
    } else {
      complete_op(self, net::error::bad_descriptor);
    }
  }
};

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_IMPL_SESSION_OPS_HPP
