//
// liveness/impl/reconnect_ops.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The composed operations of reconnecting_client (run, wait, send): included by
// impl/reconnect.hpp at this point of its definitions.
//
#ifndef LIVENESS_IMPL_RECONNECT_OPS_HPP
#define LIVENESS_IMPL_RECONNECT_OPS_HPP

namespace liveness {

namespace detail {

/// The operations of reconnecting_client: each posts its first step to the client's
/// executor, then parks on the client's state until woken (a connection, the end of the
/// run, its message written) or cancelled.
template <class State>
struct reconnect_run_op {
  std::shared_ptr<State> s;
  bool started = false;
  std::uint64_t ends = 0;

  template <class Self>
  void operator()(Self& self) {
    if (!started) {
      ends = s->ends;
      if (!s->running) s->start();
      start_op(started, self, s->ex);
      return;
    }
    if (s->ends != ends) return complete_op(self, s->end_reason);
    if (cancelled(self)) {
      s->stop();
      return complete_op(self, net::error::operation_aborted);
    }
    s->park(s->run_waiters, self);
  }
};

template <class State, class Session>
struct reconnect_wait_op {
  std::shared_ptr<State> s;
  bool started = false;
  std::uint64_t ends = 0;

  template <class Self>
  static void finish(Self& self, error_code ec, std::shared_ptr<Session> p) {
    auto ex = self.get_executor();
    net::dispatch(ex, [self = std::move(self), ec, p = std::move(p)]() mutable {
      self.complete(ec, std::move(p));
    });
  }

  template <class Self>
  void operator()(Self& self) {
    if (!started) {
      ends = s->ends;
      start_op(started, self, s->ex);
      return;
    }
    if (s->session && !s->session->is_dead() && s->session->is_open())
      return finish(self, {}, s->session);
    if (s->ends != ends || (!s->running && s->ends != 0))
      return finish(self, s->end_reason, nullptr);
    if (cancelled(self)) return finish(self, net::error::operation_aborted, nullptr);
    s->park(s->conn_waiters, self);
  }
};

template <class State>
struct reconnect_send_op {
  std::shared_ptr<State> s;
  std::string data;
  std::shared_ptr<typename State::item> m;  // null: refused (the outbox was full)
  bool started = false;

  template <class Self>
  void operator()(Self& self) {
    if (!started) {
      // Queued at initiation, so that sends keep the order of their initiations.
      if (s->outbox.size() < s->opts.outbox_limit &&
          data.size() <= s->opts.outbox_bytes - s->outbox_bytes) {
        m = std::make_shared<typename State::item>(s->ex, std::move(data));
        s->outbox.push_back(m);
        s->outbox_bytes += m->data.size();
      }
      start_op(started, self, s->ex);
      return;
    }
    if (m && !m->in_flight && !m->done) s->pump();
    if (!m) return complete_op(self, net::error::no_buffer_space);
    if (m->done) return complete_op(self, m->result);
    if (cancelled(self) && !m->in_flight) {
      for (auto it = s->outbox.begin(); it != s->outbox.end(); ++it) {
        if (*it != m) continue;
        s->outbox.erase(it);
        s->outbox_bytes -= m->data.size();
        break;
      }
      m->done = true;
      return complete_op(self, net::error::operation_aborted);
    }
    auto* item = m.get();
    detail::park(item->waiter, self, std::weak_ptr<typename State::item>(m),
                 [](typename State::item& i) -> typename State::waiters& { return i.waiter; });
  }
};

}  // namespace detail

}  // namespace liveness

#endif  // LIVENESS_IMPL_RECONNECT_OPS_HPP
