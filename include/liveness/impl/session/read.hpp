//
// liveness/impl/session/read.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// session::async_read_some and session::async_read_message: they take what the engine's
// inbox holds, or wait for it.
//
#ifndef LIVENESS_IMPL_SESSION_READ_HPP
#define LIVENESS_IMPL_SESSION_READ_HPP

#include <liveness/detail/asio.hpp>
#include <liveness/impl/session/ops.hpp>

#include <memory>

namespace liveness {
namespace detail {

template <class Impl, class Buffers>
struct read_op {
  std::shared_ptr<Impl> s;
  Buffers buffers;
  bool started = false;
  user_op_guard<Impl, false> guard{};

  template <class Self>
  void operator()(Self& self, error_code = {}) {
    guard.attach(s.get());
    if (start_op(started, self, s->get_executor())) return;
    const auto& e = s->engine_;
    if (net::buffer_size(buffers) == 0) return complete_op(self, error_code(), 0);
    if (e.closed() && !e.dead()) return complete_op(self, net::error::operation_aborted, 0);
    if (e.inbox().held() > 0) {
      const std::size_t n =
          net::buffer_copy(buffers, net::buffer(e.inbox().data(), e.inbox().held()));
      s->consumed(n);
      return complete_op(self, error_code(), n);
    }
    if (e.dead()) return complete_op(self, s->final_error(), 0);
    if (e.read_closed()) return complete_op(self, net::error::eof, 0);
    if (cancelled(self)) return complete_op(self, net::error::operation_aborted, 0);
    s->park(s->read_waiters_, self);
  }
};

template <class Impl, class DynamicBuffer>
struct read_message_op {
  std::shared_ptr<Impl> s;
  DynamicBuffer buffer;
  bool started = false;
  user_op_guard<Impl, false> guard{};

  template <class Self>
  void operator()(Self& self, error_code = {}) {
    guard.attach(s.get());
    if (start_op(started, self, s->get_executor())) return;
    const auto& e = s->engine_;
    if (e.closed() && !e.dead()) return finish(self, net::error::operation_aborted, 0);
    if (e.inbox().message_ready()) {
      const std::size_t n = e.inbox().message_size();
      if (n > buffer.max_size() - buffer.size())
        return finish(self, net::error::no_buffer_space, 0);
      buffer.commit(net::buffer_copy(buffer.prepare(n), net::buffer(e.inbox().data(), n)));
      s->consumed_message();
      return finish(self, error_code(), n);
    }
    if (e.dead()) return finish(self, s->final_error(), 0);
    if (e.read_closed()) return finish(self, net::error::eof, 0);
    if (cancelled(self)) return finish(self, net::error::operation_aborted, 0);
    s->set_message_read_pending(true);
    if (e.dead()) return finish(self, s->final_error(), 0);  // the message cannot fit
    s->park(s->read_waiters_, self);
  }

  template <class Self>
  void finish(Self& self, const error_code& ec, std::size_t n) {
    s->set_message_read_pending(false);
    complete_op(self, ec, n);
  }
};

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_IMPL_SESSION_READ_HPP
