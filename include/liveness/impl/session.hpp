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
    : kept_(initial_kept(socket)) {
  error_code ec;
  open(std::move(socket), options, ec, false);  // the session will not exist
  if (ec) throw system_error(ec, "liveness::session");
}

template <class Socket, class Policy>
session<Socket, Policy>::session(Socket socket, const options_type& options, error_code& ec)
    : kept_(initial_kept(socket)) {
  open(std::move(socket), options, ec, true);
}

// Opening failed: the socket is closed and, when the session lives on without a
// connection (`keep`), kept for its executor (as moved-from).
template <class Socket, class Policy>
void session<Socket, Policy>::fail(Socket socket, bool keep) {
  error_code ignored;
  detail::stream_traits<Socket>::lowest_layer(socket).close(ignored);
  if constexpr (keeps_state) {
    if (keep) kept_ = std::make_shared<Socket>(std::move(socket));
  } else {
    (void)keep;  // the copy of the executor is there from the start
  }
}

template <class Socket, class Policy>
auto session<Socket, Policy>::initial_kept(Socket& socket) noexcept -> kept_type {
  if constexpr (keeps_state) {
    (void)socket;
    return kept_type();
  } else {
    return socket.get_executor();
  }
}

template <class Socket, class Policy>
void session<Socket, Policy>::keep_state(const std::shared_ptr<impl_type>& s) noexcept {
  if constexpr (keeps_state) {
    kept_ = std::shared_ptr<Socket>(s, &s->socket_);
  } else {
    (void)s;  // the copy of the executor is the state's socket's
  }
}

// Validates, applies keepalive, then builds and starts the shared state; on an error the
// socket is closed and the session stays without a connection (as moved-from).
// What it costs matters when a server restarts and every client reconnects at once: one
// lookup of the execution context's cache and one lock for everything shared (the engine's
// configuration, the keepalive report), one validation, and, when the same keepalive
// options were applied and read back before, only the `setsockopt` calls; none at all for
// a socket that inherited them from its listener (`keepalive_inherited`, checked once).
template <class Socket, class Policy>
void session<Socket, Policy>::open(Socket socket, const options_type& options, error_code& ec,
                                   bool keep) {
  ec = options.validate();  // the keepalive options too
  // Keepalive goes to the lowest layer: the socket itself, or a TLS stream's TCP socket.
  auto& lowest = detail::stream_traits<Socket>::lowest_layer(socket);
  if (!ec && options.keepalive) detail::check_open(lowest, ec);
  if (ec) return fail(std::move(socket), keep);
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
    if (ec) return fail(std::move(socket), keep);
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
    if (ec) return fail(std::move(socket), keep);
  }
  impl_ = std::make_shared<impl_type>(std::move(socket), options, std::move(shared.config),
                                      std::move(shared.report));
  impl_->start();
}

// A moved-from session keeps its executor (see keeps_state); a session moved from one
// without a connection takes the same (a copy, or the same pointer).
template <class Socket, class Policy>
session<Socket, Policy>::session(session&& other) noexcept
    : impl_(std::move(other.impl_)), kept_(other.kept_) {
  if (impl_) other.keep_state(impl_);
}

template <class Socket, class Policy>
session<Socket, Policy>& session<Socket, Policy>::operator=(session&& other) noexcept {
  if (this != &other) {
    if (impl_) close_for_good();
    impl_ = std::move(other.impl_);
    kept_ = other.kept_;  // with keeps_state, empty when `other` is connected
    if (impl_) other.keep_state(impl_);
    closed_socket_.reset();  // next_layer() follows the executor it now has
  }
  return *this;
}

template <class Socket, class Policy>
session<Socket, Policy>::~session() {
  if (impl_) close_for_good();
}

// This handle lets the connection go (destroyed, or assigned over): no handle can read
// what the state holds any more, so the inbox's memory goes now rather than when a
// moved-from session that shares the state lets it go too.
template <class Socket, class Policy>
void session<Socket, Policy>::close_for_good() noexcept {
  impl_->close();
  impl_->engine_.discard_held();
}

template <class Socket, class Policy>
auto session<Socket, Policy>::get_executor() noexcept -> executor_type {
  if constexpr (keeps_state) {
    return impl_ ? impl_->socket_.get_executor() : kept_->get_executor();
  } else {
    return kept_;
  }
}

template <class Socket, class Policy>
Socket& session<Socket, Policy>::next_layer() noexcept {
  if (impl_) return impl_->socket_;
  if (!closed_socket_)
    closed_socket_ = detail::stream_traits<Socket>::make_closed(get_executor());
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
// handler and the state machine). They take get_executor() as the I/O executor (the
// socket's, or the one a moved-from session kept).

template <class Socket, class Policy>
template <class CompletionToken>
auto session<Socket, Policy>::async_wait_dead(CompletionToken&& token) {
  return net::async_initiate<CompletionToken, void(error_code)>(
      detail::initiate_session_op<impl_type, detail::wait_dead_machine<impl_type>, false>{
          impl_, get_executor()},
      token);
}

template <class Socket, class Policy>
template <class MutableBufferSequence, class ReadToken>
auto session<Socket, Policy>::async_read_some(const MutableBufferSequence& buffers,
                                              ReadToken&& token) {
  using machine =
      detail::read_machine<impl_type, detail::read_buffers_t<MutableBufferSequence>>;
  return net::async_initiate<ReadToken, void(error_code, std::size_t)>(
      detail::initiate_session_op<impl_type, machine, true>{impl_, get_executor()}, token, buffers);
}

template <class Socket, class Policy>
template <class ConstBufferSequence, class WriteToken>
auto session<Socket, Policy>::async_write_some(const ConstBufferSequence& buffers,
                                               WriteToken&& token) {
  using machine =
      detail::write_machine<impl_type, detail::write_buffers_t<ConstBufferSequence>>;
  return net::async_initiate<WriteToken, void(error_code, std::size_t)>(
      detail::initiate_session_op<impl_type, machine, true>{impl_, get_executor()}, token, buffers);
}

template <class Socket, class Policy>
template <class DynamicBuffer, class ReadToken>
auto session<Socket, Policy>::async_read_message(DynamicBuffer&& buffer, ReadToken&& token) {
  static_assert(codec::has_messages_v<typename Policy::codec>,
                "async_read_message needs a codec with message boundaries "
                "(heartbeat::ping_pong<codec::length_prefixed>)");
  using machine = detail::read_message_machine<impl_type, std::decay_t<DynamicBuffer>>;
  return net::async_initiate<ReadToken, void(error_code, std::size_t)>(
      detail::initiate_session_op<impl_type, machine, true>{impl_, get_executor()}, token,
      std::forward<DynamicBuffer>(buffer));
}

template <class Socket, class Policy>
template <class ConstBufferSequence, class WriteToken>
auto session<Socket, Policy>::async_write_message(const ConstBufferSequence& buffers,
                                                  WriteToken&& token) {
  static_assert(codec::has_messages_v<typename Policy::codec>,
                "async_write_message needs a codec with message boundaries "
                "(heartbeat::ping_pong<codec::length_prefixed>)");
  using machine = detail::write_message_machine<impl_type>;
  return net::async_initiate<WriteToken, void(error_code, std::size_t)>(
      detail::initiate_session_op<impl_type, machine, true>{impl_, get_executor()}, token, buffers);
}

}  // namespace liveness

// Separate compilation: the common sessions are compiled once, in <liveness/src.hpp>.
#include <liveness/impl/session_instances.hpp>

#endif  // LIVENESS_IMPL_SESSION_HPP
