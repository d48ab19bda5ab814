//
// liveness/impl/registry_state.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The state a registry shares with its sessions' handlers and its operations: included by
// impl/registry.hpp at this point of its definitions.
//
#ifndef LIVENESS_IMPL_REGISTRY_STATE_HPP
#define LIVENESS_IMPL_REGISTRY_STATE_HPP

namespace liveness {

template <class Session>
struct registry<Session>::state : std::enable_shared_from_this<state> {
  using clock = core::clock_type;
  using timer_type = net::basic_waitable_timer<clock, net::wait_traits<clock>, executor_type>;
  using message_ptr = std::shared_ptr<const std::string>;

  // One live session. Owned by `live` only; handlers hold weak references, so a session
  // nobody else holds is destroyed (and closed) as soon as it leaves the map.
  struct conn {
    std::string id;
    std::string peer;
    std::shared_ptr<Session> session;
    std::deque<message_ptr> queue;  // front = the message being written while `writing`
    bool writing = false;
    error_code closed_for;  // set when the registry closed it (overflow)
  };

  state(const executor_type& e, const registry_options& o)
      : ex(e), options(o), timer(e), presence(o.grace) {}

  executor_type ex;
  registry_options options;
  timer_type timer;
  bool timer_armed = false;
  core::presence<peer_event> presence;
  std::unordered_map<std::string, std::shared_ptr<conn>> live;
  std::shared_ptr<event_handler> online, offline, replaced;
  std::uint64_t dropped = 0;
  std::uint64_t anonymous = 0;
  bool closed = false;
  // async_next_event: the queue (from its first call on) and the parked waits.
  bool streaming = false;
  std::deque<peer_event> events;
  detail::parked_list<executor_type> event_waiters;

  const executor_type& get_executor() const noexcept { return ex; }

  void raise(peer_event_kind kind, const std::shared_ptr<event_handler>& h, peer_event ev) {
    if (closed) return;
    ev.kind = kind;
    if (streaming) queue_event(ev);
    // A copy of the shared_ptr: the handler may replace itself or close the registry.
    auto f = h;
    if (f && *f) (*f)(ev);
  }

  void queue_event(peer_event ev) {
    const std::size_t cap = std::max<std::size_t>(options.max_queued_events, 1);
    std::uint64_t missed = 0;
    while (events.size() >= cap) {
      missed += 1 + events.front().missed;  // it and those dropped before it
      events.pop_front();
    }
    events.push_back(std::move(ev));
    events.front().missed += missed;  // the dropped ones came just before the new front
    event_waiters.wake_all(ex);
  }

  void watch(const std::shared_ptr<conn>& c) {
    std::weak_ptr<state> ws = this->shared_from_this();
    std::weak_ptr<conn> wc = c;
    c->session->async_wait_dead(net::bind_executor(ex, [ws, wc](error_code ec) {
      auto s = ws.lock();
      auto cn = wc.lock();
      if (!s || !cn || s->closed) return;
      s->on_dead(cn, ec);
    }));
  }

  void on_dead(const std::shared_ptr<conn>& c, error_code ec) {
    auto it = live.find(c->id);
    if (it == live.end() || it->second != c) return;  // replaced or forgotten meanwhile
    const auto now = clock::now();
    peer_event ev;
    ev.id = c->id;
    ev.peer = c->peer;
    ev.reason = c->closed_for ? c->closed_for : ec;
    ev.stats = c->session->stats();
    ev.silent = ev.stats.silent_for(now);
    ev.diagnosis = c->session->diagnosis();
    live.erase(it);
    presence.disconnect(c->id, now, std::move(ev));
    expire();
  }

  // Reports every grace period that ended, then arms the timer for the next one.
  void expire() {
    auto self = this->shared_from_this();
    presence.expire(clock::now(), [&](const std::string&, peer_event&& ev) {
      raise(peer_event_kind::offline, offline, std::move(ev));
    });
    if (closed) return;
    arm();
  }

  void arm() {
    if (timer_armed) return;
    const auto next = presence.next_deadline();
    if (!next) return;
    timer_armed = true;
    timer.expires_at(*next);
    std::weak_ptr<state> ws = this->shared_from_this();
    timer.async_wait([ws](error_code) {
      auto s = ws.lock();
      if (!s) return;
      s->timer_armed = false;
      if (s->closed) return;
      s->expire();
    });
  }

  // Queues `m` to `c`; false when dropped or the session was closed for overflow.
  bool enqueue(const std::shared_ptr<conn>& c, const message_ptr& m) {
    if (c->closed_for) return false;
    if (c->queue.size() >= options.max_queued_messages) {
      if (options.on_overflow == overflow_policy::drop) {
        ++dropped;
        return false;
      }
      c->closed_for = net::error::no_buffer_space;
      c->queue.clear();
      c->session->close();  // its wait completes: on_dead reports it
      return false;
    }
    c->queue.push_back(m);
    pump(c);
    return true;
  }

  // One shared copy of `message` queued to every live session but `except`'s.
  std::size_t broadcast(const std::string_view* except, net::const_buffer message) {
    auto self = this->shared_from_this();
    if (closed || live.empty()) return 0;
    auto m = std::make_shared<const std::string>(static_cast<const char*>(message.data()),
                                                 message.size());
    // enqueue may close a session, but closing completes its wait later (posted), so the
    // map does not change under this loop. Copy the pointers anyway: cheap and robust.
    std::vector<std::shared_ptr<conn>> targets;
    targets.reserve(live.size());
    for (auto& kv : live) {
      if (!except || kv.first != *except) targets.push_back(kv.second);
    }
    std::size_t n = 0;
    for (auto& c : targets) {
      if (enqueue(c, m)) ++n;
    }
    return n;
  }

  void pump(const std::shared_ptr<conn>& c) {
    if (c->writing || c->queue.empty()) return;
    c->writing = true;
    message_ptr m = c->queue.front();
    std::weak_ptr<state> ws = this->shared_from_this();
    std::weak_ptr<conn> wc = c;
    auto done = net::bind_executor(ex, [ws, wc, m](error_code ec, std::size_t) {
      auto s = ws.lock();
      auto cn = wc.lock();
      if (!s || !cn) return;
      cn->writing = false;
      if (ec) {  // the session is dying; its death is reported through async_wait_dead
        cn->queue.clear();
        return;
      }
      if (!cn->queue.empty()) cn->queue.pop_front();
      if (!s->closed) s->pump(cn);
    });
    // A codec with message boundaries: each queued message goes with async_write_message.
    if constexpr (codec::has_messages_v<typename Session::policy_type::codec>) {
      c->session->async_write_message(net::buffer(*m), std::move(done));
    } else {
      net::async_write(*c->session, net::buffer(*m), std::move(done));
    }
  }

  // The reason a session that is already dead or closed ended with (what its
  // async_wait_dead completes with, and that handler will not have run yet); empty while
  // it is alive.
  static error_code ended(const conn& c) {
    if (c.session->is_dead()) return c.session->reason();
    if (!c.session->next_layer().lowest_layer().is_open()) return net::error::operation_aborted;
    return {};
  }

  added add(Session&& s, std::string peer, std::string id, error_code& ec) {
    ec = {};
    auto self = this->shared_from_this();  // an event handler may destroy the registry
    auto c = std::make_shared<conn>();
    c->peer = std::move(peer);
    c->session = std::make_shared<Session>(std::move(s));
    const bool reserved = !id.empty() && detail::is_endpoint_id(id);
    if (id.empty()) {
      id = std::string(detail::endpoint_id_prefix) +
           (c->peer.empty() ? "unknown#" + std::to_string(++anonymous) : c->peer);
    }
    if (closed) {
      c->session->close();
      return added{{c->session}, std::move(id)};
    }
    if (reserved) {
      c->session->close();
      ec = error::reserved_id;
      return added{{}, std::move(id)};
    }
    c->id = id;

    // A session of this id that died (or was closed) a moment ago, whose wait handler has
    // not run yet, is no duplicate: report its death first.
    auto it = live.find(id);
    if (it != live.end()) {
      auto prev = it->second;
      if (const auto why = ended(*prev)) {
        on_dead(prev, why);
        if (closed) {  // an offline handler closed (or destroyed) the registry
          c->session->close();
          return added{{c->session}, std::move(id)};
        }
        it = live.find(id);
      }
    }

    const auto now = clock::now();
    std::shared_ptr<conn> old;
    peer_event replaced_ev;
    if (it != live.end()) {
      if (options.on_duplicate_id == duplicate_id_policy::reject) {
        c->session->close();
        ec = error::duplicate_id;
        return added{{}, std::move(id)};
      }
      old = std::move(it->second);
      it->second = c;
      replaced_ev.id = id;
      replaced_ev.peer = old->peer;
      replaced_ev.replaced_by = c->peer;
      replaced_ev.reason = error::replaced;
      replaced_ev.stats = old->session->stats();
      replaced_ev.silent = replaced_ev.stats.silent_for(now);
    } else {
      live.emplace(id, c);
    }
    const auto change = presence.connect(id, now);
    watch(c);
    if (old) old->session->close();  // its wait finds it gone: no offline
    added result{{c->session}, id};
    if (change == core::presence_change::online) {
      peer_event ev;
      ev.id = c->id;
      ev.peer = c->peer;
      raise(peer_event_kind::online, online, std::move(ev));
    } else if (old) {
      raise(peer_event_kind::replaced, replaced, std::move(replaced_ev));
    }
    return result;
  }

  void close_all() {
    closed = true;
    timer.cancel();
    events.clear();
    event_waiters.wake_all(ex);  // they complete with operation_aborted
    auto sessions = std::move(live);
    live.clear();
    presence.clear();
    for (auto& [id, c] : sessions) c->session->close();
  }
};

}  // namespace liveness

#endif  // LIVENESS_IMPL_REGISTRY_STATE_HPP
