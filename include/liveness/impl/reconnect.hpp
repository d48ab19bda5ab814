//
// liveness/impl/reconnect.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_IMPL_RECONNECT_HPP
#define LIVENESS_IMPL_RECONNECT_HPP

#include <liveness/detail/asio.hpp>

#include <exception>
#include <random>
#include <utility>

namespace liveness {

inline error_code reconnect_options::validate() const noexcept {
  if (auto ec = backoff().validate()) return ec;
  if (connect_timeout <= core::duration::zero())
    return make_error_code(core::backoff_error::negative_min_delay);
  return {};
}

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

  std::shared_ptr<std::function<void(session_type&)>> connected;
  std::shared_ptr<std::function<void(error_code, core::duration)>> disconnected;
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
    raise(connected, gen, *keep);
  }

  void down(std::uint64_t gen, error_code reason) {
    const auto now = clock::now();
    const auto silent = session->stats().silent_for(now);
    retired = std::move(session);
    session.reset();
    if (!raise(disconnected, gen, reason, silent)) return;
    next(gen, schedule.on_disconnected(now, rng));
  }

  void next(std::uint64_t gen, std::optional<core::duration> delay) {
    if (!delay) {
      running = false;
      ++generation;
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

  void stop() noexcept {
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

template <class Policy, class Socket>
reconnecting_client<Policy, Socket>::reconnecting_client(const executor_type& ex,
                                                         std::string host,
                                                         std::string service,
                                                         const session_options<Policy>& options,
                                                         const reconnect_options& reconnect) {
  if (auto ec = reconnect.validate()) throw system_error(ec);
  state_ = std::make_shared<state>(ex, std::move(host), std::move(service), options, reconnect);
}

template <class Policy, class Socket>
reconnecting_client<Policy, Socket>::~reconnecting_client() {
  if (state_) state_->stop();
}

template <class Policy, class Socket>
auto reconnecting_client<Policy, Socket>::get_executor() const noexcept -> executor_type {
  return state_->ex;
}

template <class Policy, class Socket>
void reconnecting_client<Policy, Socket>::on_connected(
    std::function<void(session_type&)> handler) {
  state_->connected = std::make_shared<std::function<void(session_type&)>>(std::move(handler));
}

template <class Policy, class Socket>
void reconnecting_client<Policy, Socket>::on_disconnected(
    std::function<void(error_code reason, core::duration silent)> handler) {
  state_->disconnected =
      std::make_shared<std::function<void(error_code, core::duration)>>(std::move(handler));
}

template <class Policy, class Socket>
void reconnecting_client<Policy, Socket>::on_connect_failed(
    std::function<void(error_code error)> handler) {
  state_->connect_failed = std::make_shared<std::function<void(error_code)>>(std::move(handler));
}

template <class Policy, class Socket>
void reconnecting_client<Policy, Socket>::on_reconnecting(
    std::function<void(core::duration delay)> handler) {
  state_->reconnecting =
      std::make_shared<std::function<void(core::duration)>>(std::move(handler));
}

template <class Policy, class Socket>
void reconnecting_client<Policy, Socket>::on_gave_up(
    std::function<void(std::uint32_t attempts)> handler) {
  state_->gave_up = std::make_shared<std::function<void(std::uint32_t)>>(std::move(handler));
}

template <class Policy, class Socket>
void reconnecting_client<Policy, Socket>::start() {
  auto& s = *state_;
  if (s.running) return;
  s.running = true;
  const auto gen = ++s.generation;
  s.schedule.reset();
  std::weak_ptr<state> ws = state_;
  net::post(s.ex, [ws, gen] {
    if (auto st = ws.lock()) st->attempt(gen);
  });
}

template <class Policy, class Socket>
void reconnecting_client<Policy, Socket>::stop() noexcept {
  state_->stop();
}

template <class Policy, class Socket>
bool reconnecting_client<Policy, Socket>::running() const noexcept {
  return state_->running;
}

template <class Policy, class Socket>
auto reconnecting_client<Policy, Socket>::current() noexcept -> session_type* {
  return state_->session.get();
}

template <class Policy, class Socket>
std::uint32_t reconnecting_client<Policy, Socket>::attempts() const noexcept {
  return state_->schedule.attempts();
}

}  // namespace liveness

#endif  // LIVENESS_IMPL_RECONNECT_HPP
