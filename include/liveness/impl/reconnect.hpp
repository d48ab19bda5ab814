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
#include <liveness/detail/composed_op.hpp>
#include <liveness/detail/parked_op.hpp>

#include <deque>
#include <exception>
#include <random>
#include <utility>

#include <liveness/impl/reconnect_state.hpp>

namespace liveness {

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
  if (!handler) {
    state_->disconnected.reset();
    return;
  }
  on_disconnected([h = std::move(handler)](error_code reason, core::duration silent,
                                           const liveness::diagnosis&) { h(reason, silent); });
}

template <class Policy, class Socket>
void reconnecting_client<Policy, Socket>::on_disconnected(
    std::function<void(error_code reason, core::duration silent, const liveness::diagnosis& why)>
        handler) {
  state_->disconnected = std::make_shared<
      std::function<void(error_code, core::duration, const liveness::diagnosis&)>>(
      std::move(handler));
}

template <class Policy, class Socket>
void reconnecting_client<Policy, Socket>::on_disconnected(std::nullptr_t) {
  state_->disconnected.reset();
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
  state_->start();
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
auto reconnecting_client<Policy, Socket>::current() const noexcept
    -> std::shared_ptr<session_type> {
  auto& s = state_->session;
  if (!s || s->is_dead()) return nullptr;
  return s;
}

template <class Policy, class Socket>
std::size_t reconnecting_client<Policy, Socket>::outbox_size() const noexcept {
  return state_->outbox.size();
}

}  // namespace liveness

#include <liveness/impl/reconnect_ops.hpp>

namespace liveness {

template <class Policy, class Socket>
template <class CompletionToken>
auto reconnecting_client<Policy, Socket>::async_run(CompletionToken&& token) {
  return net::async_compose<CompletionToken, void(error_code)>(
      detail::reconnect_run_op<state>{state_}, token, state_->ex);
}

template <class Policy, class Socket>
template <class CompletionToken>
auto reconnecting_client<Policy, Socket>::async_wait_connected(CompletionToken&& token) {
  return net::async_compose<CompletionToken, void(error_code, std::shared_ptr<session_type>)>(
      detail::reconnect_wait_op<state, session_type>{state_}, token, state_->ex);
}

template <class Policy, class Socket>
template <class CompletionToken>
auto reconnecting_client<Policy, Socket>::async_send(std::string message,
                                                     CompletionToken&& token) {
  return net::async_compose<CompletionToken, void(error_code)>(
      detail::reconnect_send_op<state>{state_, std::move(message), nullptr}, token,
      state_->ex);
}

template <class Policy, class Socket>
template <class CompletionToken>
auto reconnecting_client<Policy, Socket>::async_send(net::const_buffer message,
                                                     CompletionToken&& token) {
  return async_send(std::string(static_cast<const char*>(message.data()), message.size()),
                    std::forward<CompletionToken>(token));
}

template <class Policy, class Socket>
std::uint32_t reconnecting_client<Policy, Socket>::attempts() const noexcept {
  return state_->schedule.attempts();
}

}  // namespace liveness

#endif  // LIVENESS_IMPL_RECONNECT_HPP
