//
// liveness/impl/session.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The session's members. Where each concern lives:
//   engine/session_engine.hpp   every rule (sans-I/O): heartbeat, inbox, slowloris
//                               deadlines, drain after FIN, what to write next
//   impl/session/state.hpp      the socket, the deadline, parked operations, the driver
//   impl/session/state_data.hpp a read decoded in place, heartbeats sent at once
//   impl/session/state_ops.hpp  the Asio operations an operation starts (default allocator)
//   detail/session_op.hpp       one operation = one node: handler, state machine, work
//   impl/session/read.hpp       async_read_some, async_read_message
//   impl/session/write.hpp      async_write_some, async_write_message
//   impl/session/wait_dead.hpp  async_wait_dead
//
#ifndef LIVENESS_IMPL_SESSION_HPP
#define LIVENESS_IMPL_SESSION_HPP

#include <liveness/detail/asio.hpp>
#include <liveness/detail/stream_traits.hpp>
#include <liveness/impl/session/read.hpp>
#include <liveness/impl/session/state.hpp>
#include <liveness/impl/session/wait_dead.hpp>
#include <liveness/impl/session/write.hpp>
#include <liveness/impl/session_options.hpp>
#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/impl/session_options.ipp>
#endif

#include <memory>
#include <type_traits>
#include <utility>

namespace liveness {

template <class Socket, class Policy>
session<Socket, Policy>::session(Socket socket, const options_type& options)
    : ex_(socket.get_executor()) {
  error_code ec;
  open(std::move(socket), options, ec);
  if (ec) throw system_error(ec, "liveness::session");
}

template <class Socket, class Policy>
session<Socket, Policy>::session(Socket socket, const options_type& options, error_code& ec)
    : ex_(socket.get_executor()) {
  open(std::move(socket), options, ec);
}

// Validates, applies keepalive, then builds and starts the shared state; on an error the
// socket is closed and the session stays without a connection (as moved-from).
// What it costs matters when a server restarts and every client reconnects at once: one
// lookup of the execution context's cache and one lock for everything shared (the engine's
// configuration, the keepalive report), one validation, and, when the same keepalive
// options were applied and read back before, only the `setsockopt` calls; none at all for
// a socket that inherited them from its listener (`keepalive_inherited`, checked once).
template <class Socket, class Policy>
void session<Socket, Policy>::open(Socket socket, const options_type& options, error_code& ec) {
  using impl_type = detail::session_impl<Socket, Policy>;
  ec = options.validate();  // the keepalive options too
  // Keepalive goes to the lowest layer: the socket itself, or a TLS stream's TCP socket.
  auto& lowest = detail::stream_traits<Socket>::lowest_layer(socket);
  if (!ec && options.keepalive) detail::check_open(lowest, ec);
  if (ec) {
    error_code ignored;
    lowest.close(ignored);
    return;
  }
  auto& cache = detail::session_config_cache<typename Policy::codec>::of(socket.get_executor());
  auto shared = cache.on_start(Policy::codec_options(options.heartbeat),
                               impl_type::engine_limits(options),
                               options.keepalive ? &*options.keepalive : nullptr);
  if (options.keepalive && options.keepalive_inherited &&
      detail::accepted_sockets_inherit_keepalive &&
      shared.inherited != detail::keepalive_inheritance::missing) {
    if (shared.inherited == detail::keepalive_inheritance::carried) {
      // Checked once for this io_context: the socket carries the options already. Only
      // the report is needed, the shared one when it is still there.
      if (!shared.report) {
        auto held = read_keepalive(lowest, ec);
        if (!ec) shared.report = cache.report(std::move(held), *options.keepalive);
      }
    } else {
      // The first: what the socket carries, then what applying the options gives.
      auto carried = read_keepalive(lowest, ec);
      keepalive_report applied;
      if (!ec) applied = apply_keepalive(lowest, *options.keepalive, ec);
      if (!ec) {
        const bool same = detail::same_kernel_values(carried, applied);
        shared.report = cache.checked_inheritance(std::move(applied), *options.keepalive, same);
      }
    }
    if (ec) {
      error_code ignored;
      lowest.close(ignored);
      return;
    }
  } else if (options.keepalive) {
    if (shared.report) {
      // The same options applied before and read back: apply them only, and share that
      // report (five getsockopt calls fewer per session).
      keepalive_report unused;
      detail::native_apply_keepalive(lowest, *options.keepalive, unused, ec);
    } else {
      auto applied = apply_keepalive(lowest, *options.keepalive, ec);
      if (!ec) shared.report = cache.report(std::move(applied), *options.keepalive);
    }
    if (ec) {
      error_code ignored;
      lowest.close(ignored);
      return;
    }
  }
  impl_ = std::make_shared<impl_type>(std::move(socket), options, std::move(shared.config),
                                      std::move(shared.report));
  impl_->start();
}

// The executor is copied, not moved: a moved-from session keeps it (a moved-from
// any_io_executor would be empty).
template <class Socket, class Policy>
session<Socket, Policy>::session(session&& other) noexcept
    : ex_(other.ex_), impl_(std::move(other.impl_)) {}

template <class Socket, class Policy>
session<Socket, Policy>& session<Socket, Policy>::operator=(session&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->close();
    ex_ = other.ex_;
    impl_ = std::move(other.impl_);
  }
  return *this;
}

template <class Socket, class Policy>
session<Socket, Policy>::~session() {
  if (impl_) impl_->close();
}

template <class Socket, class Policy>
auto session<Socket, Policy>::get_executor() noexcept -> executor_type {
  return ex_;
}

template <class Socket, class Policy>
Socket& session<Socket, Policy>::next_layer() noexcept {
  if (impl_) return impl_->socket_;
  if (!closed_socket_) closed_socket_ = detail::stream_traits<Socket>::make_closed(ex_);
  return *closed_socket_;
}

template <class Socket, class Policy>
const Socket& session<Socket, Policy>::next_layer() const noexcept {
  return const_cast<session*>(this)->next_layer();
}

template <class Socket, class Policy>
const keepalive_report& session<Socket, Policy>::keepalive() const noexcept {
  static const keepalive_report none{};
  return impl_ ? *impl_->keepalive_ : none;
}

template <class Socket, class Policy>
detection_report session<Socket, Policy>::detection_bound() const {
  if (!impl_) return {};
  const auto& d = impl_->engine_.detector();
  // interval + timeout, or as far as agreement with the peer may stretch it.
  const core::duration hb = d.detection_bound();
  const keepalive_report& k = *impl_->keepalive_;
  const core::duration ka =
      k.detection_bound ? core::duration(*k.detection_bound) : core::duration::max();
  const core::duration in_flight =
      k.detection_bound_in_flight
          ? core::duration(*k.detection_bound_in_flight) + detail::retransmission_slack
          : core::duration::max();
  return detail::make_detection_report(hb, ka, in_flight);
}

template <class Socket, class Policy>
core::detector_stats session<Socket, Policy>::stats() const {
  return impl_ ? impl_->engine_.detector().stats() : core::detector_stats{};
}

template <class Socket, class Policy>
bool session<Socket, Policy>::is_open() const noexcept {
  return impl_ && impl_->is_open();
}

template <class Socket, class Policy>
bool session<Socket, Policy>::is_dead() const noexcept {
  return impl_ && impl_->engine_.dead();
}

template <class Socket, class Policy>
error_code session<Socket, Policy>::reason() const noexcept {
  return impl_ ? impl_->engine_.reason() : error_code();
}

template <class Socket, class Policy>
liveness::diagnosis session<Socket, Policy>::diagnosis() const {
  if (!impl_ || !impl_->engine_.dead()) {
    liveness::diagnosis d = diagnose(error_code(), tcp_evidence{});
    d.note = !impl_ ? "moved-from session" : "the peer is not dead";
    return d;
  }
  if (impl_->diagnosis_) return *impl_->diagnosis_;
  liveness::diagnosis d = diagnose(impl_->engine_.reason(), tcp_evidence{});
  d.note = "the socket was closed before the death was declared: no TCP evidence";
  return d;
}

template <class Socket, class Policy>
void session<Socket, Policy>::close() noexcept {
  if (impl_) impl_->close();
}

// The operations are session operations (detail/session_op.hpp: one node holding the
// handler and the state machine). They take the stored executor as the I/O executor (the
// socket's, or the one a moved-from session kept).

template <class Socket, class Policy>
template <class CompletionToken>
auto session<Socket, Policy>::async_wait_dead(CompletionToken&& token) {
  using impl_type = detail::session_impl<Socket, Policy>;
  return net::async_initiate<CompletionToken, void(error_code)>(
      detail::initiate_session_op<impl_type, detail::wait_dead_machine<impl_type>, false>{
          impl_, ex_},
      token);
}

template <class Socket, class Policy>
template <class MutableBufferSequence, class ReadToken>
auto session<Socket, Policy>::async_read_some(const MutableBufferSequence& buffers,
                                              ReadToken&& token) {
  using impl_type = detail::session_impl<Socket, Policy>;
  using machine =
      detail::read_machine<impl_type, detail::read_buffers_t<MutableBufferSequence>>;
  return net::async_initiate<ReadToken, void(error_code, std::size_t)>(
      detail::initiate_session_op<impl_type, machine, true>{impl_, ex_}, token, buffers);
}

template <class Socket, class Policy>
template <class ConstBufferSequence, class WriteToken>
auto session<Socket, Policy>::async_write_some(const ConstBufferSequence& buffers,
                                               WriteToken&& token) {
  using impl_type = detail::session_impl<Socket, Policy>;
  using machine =
      detail::write_machine<impl_type, detail::write_buffers_t<ConstBufferSequence>>;
  return net::async_initiate<WriteToken, void(error_code, std::size_t)>(
      detail::initiate_session_op<impl_type, machine, true>{impl_, ex_}, token, buffers);
}

template <class Socket, class Policy>
template <class DynamicBuffer, class ReadToken>
auto session<Socket, Policy>::async_read_message(DynamicBuffer&& buffer, ReadToken&& token) {
  static_assert(codec::has_messages_v<typename Policy::codec>,
                "async_read_message needs a codec with message boundaries "
                "(heartbeat::ping_pong<codec::length_prefixed>)");
  using impl_type = detail::session_impl<Socket, Policy>;
  using machine = detail::read_message_machine<impl_type, std::decay_t<DynamicBuffer>>;
  return net::async_initiate<ReadToken, void(error_code, std::size_t)>(
      detail::initiate_session_op<impl_type, machine, true>{impl_, ex_}, token,
      std::forward<DynamicBuffer>(buffer));
}

template <class Socket, class Policy>
template <class ConstBufferSequence, class WriteToken>
auto session<Socket, Policy>::async_write_message(const ConstBufferSequence& buffers,
                                                  WriteToken&& token) {
  static_assert(codec::has_messages_v<typename Policy::codec>,
                "async_write_message needs a codec with message boundaries "
                "(heartbeat::ping_pong<codec::length_prefixed>)");
  using impl_type = detail::session_impl<Socket, Policy>;
  using machine = detail::write_message_machine<impl_type>;
  return net::async_initiate<WriteToken, void(error_code, std::size_t)>(
      detail::initiate_session_op<impl_type, machine, true>{impl_, ex_}, token, buffers);
}

}  // namespace liveness

// Separate compilation: the common sessions are compiled once, in <liveness/src.hpp>.
#include <liveness/impl/session_instances.hpp>

#endif  // LIVENESS_IMPL_SESSION_HPP
