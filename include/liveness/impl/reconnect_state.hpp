//
// liveness/impl/reconnect_state.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The state a reconnecting_client shares with its operations and handlers: included by
// impl/reconnect.hpp at this point of its definitions.
//
#ifndef LIVENESS_IMPL_RECONNECT_STATE_HPP
#define LIVENESS_IMPL_RECONNECT_STATE_HPP

namespace liveness {

template <class Policy, class Socket>
struct reconnecting_client<Policy, Socket>::state : std::enable_shared_from_this<state> {
  using clock = core::clock_type;
  using timer_type = net::basic_waitable_timer<clock, net::wait_traits<clock>, executor_type>;
  using resolver_type = net::ip::basic_resolver<protocol_type, executor_type>;
  using results_type = typename resolver_type::results_type;
  using endpoint_type = typename protocol_type::endpoint;

  state(const executor_type& e, std::string h, std::string s, const session_options<Policy>& so,
        const reconnect_options& ro)
      : ex(e),
        host(std::move(h)),
        service(std::move(s)),
        session_opts(so),
        opts(ro),
        schedule(ro.backoff()),
        rng(std::random_device{}()),
        resolver(e),
        delay_timer(e),
        deadline_timer(e) {}

  executor_type ex;
  std::string host, service;
  session_options<Policy> session_opts;
  reconnect_options opts;
  core::backoff schedule;
  std::mt19937_64 rng;
  resolver_type resolver;
  timer_type delay_timer;
  timer_type deadline_timer;
  std::unique_ptr<Socket> socket;          // while connecting
  std::shared_ptr<session_type> session;   // while connected
  std::shared_ptr<session_type> retired;   // the dead one, until the next attempt
  bool running = false;
  bool timed_out = false;
  std::uint64_t generation = 0;  // changes on start/stop: stale handlers are ignored
  std::uint64_t attempt_no = 0;  // changes on every attempt

  // ---- the Asio face: async_run, async_wait_connected, async_send ----
  using waiters = detail::parked_list<executor_type>;
  /// One message of the outbox, shared by the queue and its async_send operation.
  struct item {
    item(const executor_type& e, std::string d) : ex(e), data(std::move(d)) {}
    executor_type ex;
    std::string data;
    bool done = false;       // completed: `result` holds why
    bool in_flight = false;  // being written
    error_code result;
    waiters waiter;  // its async_send operation
    executor_type get_executor() const noexcept { return ex; }
    void finish(error_code ec) {
      done = true;
      in_flight = false;
      result = ec;
      try {
        waiter.wake_all(ex);
      } catch (...) {
      }
    }
  };
  waiters run_waiters;   // async_run
  waiters conn_waiters;  // async_wait_connected
  std::deque<std::shared_ptr<item>> outbox;
  std::size_t outbox_bytes = 0;
  bool writing = false;
  std::uint64_t ends = 0;  // changes whenever a run ends (stop or giving up)
  error_code end_reason;   // why the last run ended
  error_code last_failure; // the failure of the last attempt

  executor_type get_executor() const noexcept { return ex; }

  template <class Op>
  void park(waiters& list, Op& op) {
    const bool run = &list == &run_waiters;
    detail::park(list, op, this->weak_from_this(),
                 [run](state& s) -> waiters& { return run ? s.run_waiters : s.conn_waiters; });
  }

  void wake(waiters& list) noexcept {
    try {
      list.wake_all(ex);
    } catch (...) {
    }
  }

  /// The run ended (`why`): every pending async_run, async_wait_connected and async_send
  /// completes.
  void end(error_code why) noexcept {
    ++ends;
    end_reason = why;
    wake(run_waiters);
    wake(conn_waiters);
    auto q = std::move(outbox);
    outbox.clear();
    outbox_bytes = 0;
    writing = false;
    for (auto& m : q) m->finish(why);
  }

  /// Writes the head of the outbox on the live session, one message at a time.
  void pump() {
    if (writing || outbox.empty() || !session || session->is_dead() || !session->is_open())
      return;
    writing = true;
    auto m = outbox.front();
    m->in_flight = true;
    std::weak_ptr<state> ws = this->shared_from_this();
    auto sess = session;
    auto on_written = net::bind_executor(ex, [ws, m, sess](error_code ec, std::size_t) {
      auto s = ws.lock();
      if (!s || m->done) return;
      m->in_flight = false;
      if (s->outbox.empty() || s->outbox.front() != m) return;
      s->writing = false;
      if (ec) return s->pump();  // stays at the head: written again on the next connection
      s->outbox.pop_front();
      s->outbox_bytes -= m->data.size();
      m->finish({});
      s->pump();
    });
    if constexpr (codec::has_messages_v<typename Policy::codec>) {
      sess->async_write_message(net::buffer(m->data), std::move(on_written));
    } else {
      net::async_write(*sess, net::buffer(m->data), std::move(on_written));
    }
  }

  std::shared_ptr<std::function<void(session_type&)>> connected;
  std::shared_ptr<std::function<void(error_code, core::duration, const liveness::diagnosis&)>>
      disconnected;
  std::shared_ptr<std::function<void(error_code)>> connect_failed;
  std::shared_ptr<std::function<void(core::duration)>> reconnecting;
  std::shared_ptr<std::function<void(std::uint32_t)>> gave_up;

  bool current(std::uint64_t gen) const noexcept { return running && gen == generation; }

  // Calls an event handler through a copy of its shared_ptr (it may replace itself), and
  // says whether the client is still on the same run afterwards.
  template <class F, class... Args>
  bool raise(const std::shared_ptr<F>& h, std::uint64_t gen, Args&&... args) {
    auto f = h;
    if (f && *f) (*f)(std::forward<Args>(args)...);
    return current(gen);
  }

  void attempt(std::uint64_t gen) {
    if (!current(gen)) return;
    retired.reset();
    const auto aid = ++attempt_no;
    timed_out = false;
    std::weak_ptr<state> ws = this->shared_from_this();
    if (opts.connect_timeout != core::duration::max()) {
      deadline_timer.expires_after(opts.connect_timeout);
      deadline_timer.async_wait([ws, gen, aid](error_code ec) {
        auto s = ws.lock();
        if (!s || ec || !s->current(gen) || s->attempt_no != aid || s->session) return;
        s->timed_out = true;
        s->resolver.cancel();
        if (s->socket) {
          error_code ignored;
          s->socket->close(ignored);
        }
      });
    }
    resolver.async_resolve(host, service, [ws, gen, aid](error_code ec, results_type results) {
      auto s = ws.lock();
      if (!s || !s->current(gen) || s->attempt_no != aid) return;
      if (ec) return s->failed(gen, ec);
      s->socket = std::make_unique<Socket>(s->ex);
      net::async_connect(*s->socket, results,
                         [ws, gen, aid](error_code ec2, const endpoint_type&) {
                           auto s2 = ws.lock();
                           if (!s2 || !s2->current(gen) || s2->attempt_no != aid) return;
                           if (ec2) return s2->failed(gen, ec2);
                           s2->up(gen);
                         });
    });
  }

  void cancel_deadline() noexcept {
    try {
      deadline_timer.cancel();
    } catch (...) {
    }
  }

  void failed(std::uint64_t gen, error_code ec) {
    cancel_deadline();
    if (timed_out) ec = net::error::timed_out;
    timed_out = false;
    socket.reset();
    last_failure = ec;
    if (!raise(connect_failed, gen, ec)) return;
    next(gen, schedule.on_failed(rng));
  }

  void up(std::uint64_t gen) {
    cancel_deadline();
    std::unique_ptr<Socket> s = std::move(socket);
    // This end connected: it is the client, whatever the options said.
    session_options<Policy> as_client = session_opts;
    as_client.role = role::client;
    error_code refused;
    session = std::make_shared<session_type>(std::move(*s), as_client, refused);
    if (refused) {
      session.reset();
      return failed(gen, refused);
    }
    schedule.on_connected(clock::now());
    std::weak_ptr<state> ws = this->shared_from_this();
    std::weak_ptr<session_type> wsess = session;
    session->async_wait_dead(net::bind_executor(ex, [ws, gen, wsess](error_code ec) {
      auto st = ws.lock();
      auto sess = wsess.lock();
      if (!st || !sess || !st->current(gen) || st->session != sess) return;
      st->down(gen, ec);
    }));
    auto keep = session;
    wake(conn_waiters);
    pump();
    raise(connected, gen, *keep);
  }

  void down(std::uint64_t gen, error_code reason) {
    const auto now = clock::now();
    const auto silent = session->stats().silent_for(now);
    const liveness::diagnosis why = session->diagnosis();
    retired = std::move(session);
    session.reset();
    last_failure = reason;
    if (!raise(disconnected, gen, reason, silent, why)) return;
    next(gen, schedule.on_disconnected(now, rng));
  }

  void next(std::uint64_t gen, std::optional<core::duration> delay) {
    if (!delay) {
      running = false;
      ++generation;
      end(last_failure);
      auto f = gave_up;
      if (f && *f) (*f)(schedule.attempts());
      return;
    }
    if (!raise(reconnecting, gen, *delay)) return;
    std::weak_ptr<state> ws = this->shared_from_this();
    delay_timer.expires_after(*delay);
    delay_timer.async_wait([ws, gen](error_code ec) {
      auto s = ws.lock();
      if (!s || ec) return;
      s->attempt(gen);
    });
  }

  void start() {
    if (running) return;
    running = true;
    const auto gen = ++generation;
    schedule.reset();
    std::weak_ptr<state> ws = this->shared_from_this();
    net::post(ex, [ws, gen] {
      if (auto st = ws.lock()) st->attempt(gen);
    });
  }

  void stop() noexcept {
    end(net::error::operation_aborted);
    running = false;
    ++generation;
    try {
      delay_timer.cancel();
    } catch (...) {
    }
    cancel_deadline();
    try {
      resolver.cancel();
    } catch (...) {
    }
    if (socket) {
      error_code ignored;
      socket->close(ignored);
      socket.reset();
    }
    if (session) {
      session->close();
      retired = std::move(session);
      session.reset();
    }
  }
};

}  // namespace liveness

#endif  // LIVENESS_IMPL_RECONNECT_STATE_HPP
