//
// liveness/impl/registry.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_IMPL_REGISTRY_HPP
#define LIVENESS_IMPL_REGISTRY_HPP

#include <liveness/detail/asio.hpp>
#include <liveness/detail/parked_op.hpp>

#include <algorithm>
#include <deque>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace liveness {
namespace detail {

/// "addr:port", "[v6addr]:port".
template <class Endpoint>
std::string endpoint_text(const Endpoint& ep) {
  const auto addr = ep.address();
  std::string text = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  return text + ":" + std::to_string(ep.port());
}

/// The socket's remote endpoint text, or "" when it cannot be read (the peer already
/// reset the connection, or the socket is closed).
template <class Socket>
std::string remote_endpoint_text(const Socket& s) {
  error_code ec;
  const auto ep = s.remote_endpoint(ec);
  if (ec) return {};
  return endpoint_text(ep);
}

/// The prefix of ids made from the peer's endpoint; application ids may not begin with it.
inline constexpr std::string_view endpoint_id_prefix = "tcp:";

LIVENESS_DECL bool is_endpoint_id(std::string_view id) noexcept;

/// registry::async_next_event: takes the oldest queued event, or parks until one is
/// queued, the registry is closed or the wait is cancelled.
template <class State>
struct next_event_op {
  std::shared_ptr<State> s;
  bool started = false;

  template <class Self>
  void operator()(Self& self) {
    if (!started) {
      started = true;
      s->streaming = true;  // events are queued from the first call on
      self.reset_cancellation_state(net::enable_total_cancellation());
      net::post(s->ex, std::move(self));
      return;
    }
    if (self.get_cancellation_state().cancelled() != net::cancellation_type::none || s->closed)
      return finish(self, net::error::operation_aborted, peer_event{});
    if (!s->events.empty()) {
      peer_event ev = std::move(s->events.front());
      s->events.pop_front();
      return finish(self, error_code{}, std::move(ev));
    }
    detail::park(s->event_waiters, self, std::weak_ptr<State>(s),
                 [](State& st) -> auto& { return st.event_waiters; });
  }

  // On the handler's associated executor (the op runs on the registry's).
  template <class Self>
  static void finish(Self& self, error_code ec, peer_event ev) {
    auto ex = self.get_executor();
    net::dispatch(ex, [self = std::move(self), ec, ev = std::move(ev)]() mutable {
      self.complete(ec, std::move(ev));
    });
  }
};

}  // namespace detail

}  // namespace liveness

#include <liveness/impl/registry_state.hpp>

namespace liveness {

template <class Session>
registry<Session>::registry(const executor_type& ex, const registry_options& options)
    : state_(std::make_shared<state>(ex, options)) {}

template <class Session>
registry<Session>::~registry() {
  if (state_) state_->close_all();
}

template <class Session>
auto registry<Session>::get_executor() const noexcept -> executor_type {
  return state_->ex;
}

template <class Session>
const registry_options& registry<Session>::options() const noexcept {
  return state_->options;
}

template <class Session>
void registry<Session>::on_online(event_handler handler) {
  state_->online = std::make_shared<event_handler>(std::move(handler));
}

template <class Session>
void registry<Session>::on_offline(event_handler handler) {
  state_->offline = std::make_shared<event_handler>(std::move(handler));
}

template <class Session>
void registry<Session>::on_replaced(event_handler handler) {
  state_->replaced = std::make_shared<event_handler>(std::move(handler));
}

template <class Session>
auto registry<Session>::add(Session&& s, const endpoint_type& peer,
                                                std::string id, error_code& ec) -> added {
  auto st = state_;  // an event handler may destroy the registry
  return st->add(std::move(s), detail::endpoint_text(peer), std::move(id), ec);
}

template <class Session>
auto registry<Session>::add(Session&& s, const endpoint_type& peer,
                                                std::string id) -> added {
  error_code ec;
  auto r = add(std::move(s), peer, std::move(id), ec);
  if (ec) throw system_error(ec, "liveness::registry::add");
  return r;
}

template <class Session>
auto registry<Session>::add(Session&& s, std::string id, error_code& ec) -> added {
  auto st = state_;
  std::string peer = detail::remote_endpoint_text(s.next_layer().lowest_layer());
  return st->add(std::move(s), std::move(peer), std::move(id), ec);
}

template <class Session>
auto registry<Session>::add(Session&& s, std::string id) -> added {
  error_code ec;
  auto r = add(std::move(s), std::move(id), ec);
  if (ec) throw system_error(ec, "liveness::registry::add");
  return r;
}

template <class Session>
std::size_t registry<Session>::size() const noexcept {
  return state_->presence.online();
}

template <class Session>
std::size_t registry<Session>::live() const noexcept {
  return state_->live.size();
}

template <class Session>
std::shared_ptr<Session> registry<Session>::find(std::string_view id) const {
  auto it = state_->live.find(std::string(id));
  return it == state_->live.end() ? nullptr : it->second->session;
}

template <class Session>
std::vector<std::string> registry<Session>::ids() const {
  std::vector<std::string> out;
  out.reserve(state_->live.size());
  for (auto& kv : state_->live) out.push_back(kv.first);
  std::sort(out.begin(), out.end());
  return out;
}

template <class Session>
std::size_t registry<Session>::broadcast(net::const_buffer message) {
  return state_->broadcast(nullptr, message);
}

template <class Session>
std::size_t registry<Session>::broadcast_except(std::string_view id,
                                                net::const_buffer message) {
  return state_->broadcast(&id, message);
}

template <class Session>
bool registry<Session>::send(std::string_view id, net::const_buffer message) {
  auto st = state_;
  if (st->closed) return false;
  auto it = st->live.find(std::string(id));
  if (it == st->live.end()) return false;
  auto c = it->second;
  auto m = std::make_shared<const std::string>(static_cast<const char*>(message.data()),
                                               message.size());
  return st->enqueue(c, m);
}

template <class Session>
std::uint64_t registry<Session>::dropped() const noexcept {
  return state_->dropped;
}

template <class Session>
template <class CompletionToken>
auto registry<Session>::async_next_event(CompletionToken&& token) {
  return net::async_compose<CompletionToken, void(error_code, peer_event)>(
      detail::next_event_op<state>{state_}, token, state_->ex);
}

template <class Session>
void registry<Session>::close() {
  state_->close_all();
}

// Separate compilation: the registries of the common sessions are compiled once, in
// <liveness/src.hpp> (impl/session_instances.hpp).
#if !defined(LIVENESS_HEADER_ONLY)
LIVENESS_DETAIL_REGISTRY_INSTANCES(extern)
#endif

}  // namespace liveness

#endif  // LIVENESS_IMPL_REGISTRY_HPP
