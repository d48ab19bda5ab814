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
#include <liveness/detail/session_op.hpp>

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace liveness {
namespace detail {

/// The first non-empty buffer of a sequence (like a socket's read_some, a read fills the
/// first buffer that can take bytes); empty when there is none.
template <class Buffers>
net::mutable_buffer first_mutable_buffer(const Buffers& buffers) {
  for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
       ++it) {
    net::mutable_buffer b(*it);
    if (b.size() > 0) return b;
  }
  return {};
}

/// The buffers a read keeps: a single buffer (`net::mutable_buffer` or a type derived from
/// it, such as `mutable_buffers_1`: what Asio takes as a sequence of that one buffer) as a
/// `net::mutable_buffer`, so that the common reads share one state machine (compiled once
/// for the pre-instantiated sessions); any other sequence as it is.
template <class Buffers>
using read_buffers_t =
    std::conditional_t<std::is_convertible<const Buffers*, const net::mutable_buffer*>::value,
                       net::mutable_buffer, Buffers>;

/// async_read_some's state machine (detail/session_op.hpp).
template <class Impl, class Buffers>
struct read_machine {
  static constexpr net::cancellation_type cancellation = any_cancellation;
  static constexpr signed char user_op = 0;
  static constexpr bool reads_socket = Impl::direct_io;
  static constexpr bool writes_socket = false;
  static constexpr bool writes_sequence = false;

  explicit read_machine(const Buffers& b) : buffers(b) {}

  Buffers buffers;
  bool direct = false;     // this read reads the socket itself, into its buffer
  bool in_socket = false;  // its socket read is pending (the next step is its result)
  // The socket read's cancellation: the operation's slot is forwarded to it.
  net::cancellation_signal inner;

  void forward_cancel(net::cancellation_type t) { inner.emit(t); }
  net::cancellation_slot inner_slot() { return inner.slot(); }

  /// Reads straight into the buffer before waiting, to a bound: a flood of heartbeats
  /// alone must not keep the thread (the reader then waits for readability like others).
  static constexpr int max_heartbeat_only_reads = 4;

  void step(session_op<Impl>& op, error_code ec, std::size_t n);
  /// The socket read straight into the buffer completed (the direct reader waits for data
  /// with async_read_some, like a raw socket's read).
  void socket_read_done(session_op<Impl>& op, error_code ec, std::size_t n);
  void run(session_op<Impl>& op);
  void finish(session_op<Impl>& op, const error_code& ec, std::size_t n);
};

/// async_read_message's state machine (detail/session_op.hpp).
template <class Impl, class DynamicBuffer>
struct read_message_machine : machine_base {
  static constexpr net::cancellation_type cancellation = any_cancellation;
  static constexpr signed char user_op = 0;

  template <class Buffer>
  explicit read_message_machine(Buffer&& b) : buffer(std::forward<Buffer>(b)) {}

  DynamicBuffer buffer;

  void step(session_op<Impl>& op, error_code, std::size_t) {
    Impl& s = op.impl();
    const auto& e = s.engine_;
    if (e.closed() && !e.dead()) return finish(op, net::error::operation_aborted, 0);
    if (e.inbox().message_ready()) {
      const std::size_t n = e.inbox().message_size();
      if (n > buffer.max_size() - buffer.size())
        return finish(op, net::error::no_buffer_space, 0);
      buffer.commit(net::buffer_copy(buffer.prepare(n), net::buffer(e.inbox().data(), n)));
      s.consumed_message();
      return finish(op, error_code(), n);
    }
    if (e.dead()) return finish(op, s.final_error(), 0);
    if (e.read_closed()) return finish(op, net::error::eof, 0);
    if (op.cancelled()) return finish(op, net::error::operation_aborted, 0);
    s.set_message_read_pending(true);
    if (e.dead()) return finish(op, s.final_error(), 0);  // the message cannot fit
    s.park(s.read_waiters_, op);
  }

  void finish(session_op<Impl>& op, const error_code& ec, std::size_t n) {
    op.impl().set_message_read_pending(false);
    op.complete(ec, n);
  }
};

// Defined out of the class (not inline): the pre-instantiated sessions' machines for a
// single buffer are compiled once (impl/session_instances.hpp).

template <class Impl, class Buffers>
void read_machine<Impl, Buffers>::step(session_op<Impl>& op, error_code ec, std::size_t n) {
  if (in_socket) {
    in_socket = false;
    return socket_read_done(op, ec, n);
  }
  run(op);
}

template <class Impl, class Buffers>
void read_machine<Impl, Buffers>::socket_read_done(session_op<Impl>& op, error_code ec,
                                                   std::size_t n) {
  Impl& s = op.impl();
  bool blocked = false;  // (an async read never would block)
  const net::mutable_buffer first = first_mutable_buffer(buffers);
  const std::size_t got = s.on_read_in_place(ec, n, first, blocked);
  if (got > 0) return finish(op, error_code(), got);
  if (ec == net::error::operation_aborted && !s.over())
    return finish(op, net::error::operation_aborted, 0);  // this read was cancelled
  const auto& e = s.engine_;
  if (!ec && n < first.size() && !s.over() && !e.read_closed() && e.inbox().held() == 0 &&
      !op.cancelled()) {
    // Heartbeats only, and a short read: the socket is dry, wait for more at once.
    in_socket = true;
    return op.socket_read(first);
  }
  run(op);
}

template <class Impl, class Buffers>
void read_machine<Impl, Buffers>::run(session_op<Impl>& op) {
  Impl& s = op.impl();
  const auto& e = s.engine_;
  if (net::buffer_size(buffers) == 0) return finish(op, error_code(), 0);
  if (e.closed() && !e.dead()) return finish(op, net::error::operation_aborted, 0);
  if constexpr (Impl::direct_io) {
    // Nothing held: read straight into the application's buffer (no copy), as a raw
    // socket does; heartbeats and frame headers are stripped there.
    if (e.inbox().held() == 0 && !e.dead() && !e.read_closed() && !op.cancelled()) {
      const net::mutable_buffer first = first_mutable_buffer(buffers);
      if (direct || (direct = s.claim_direct_read(first.size()))) {
        for (int i = 0; i < max_heartbeat_only_reads; ++i) {
          bool blocked = false;
          const std::size_t n = s.read_in_place(first, blocked);
          if (n > 0) return finish(op, error_code(), n);
          if (blocked || s.over() || e.read_closed() || e.inbox().held() > 0) break;
        }
      }
    }
  }
  if (e.inbox().held() > 0) {
    const std::size_t n =
        net::buffer_copy(buffers, net::buffer(e.inbox().data(), e.inbox().held()));
    // The inbox empties: the application's next read reads the socket itself, unless
    // the background read resumes in between (see finish).
    if constexpr (Impl::direct_io) {
      if (!direct && n == e.inbox().held())
        direct = s.claim_direct_read(first_mutable_buffer(buffers).size());
    }
    s.consumed(n);
    return finish(op, error_code(), n);
  }
  if (e.dead()) return finish(op, s.final_error(), 0);
  if (e.read_closed()) return finish(op, net::error::eof, 0);
  if (op.cancelled()) return finish(op, net::error::operation_aborted, 0);
  if constexpr (Impl::direct_io) {
    // Nothing there yet: the socket reads into the buffer when data comes (this
    // operation's cancellation goes to that read).
    if (direct) {
      in_socket = true;
      return op.socket_read(first_mutable_buffer(buffers));
    }
  }
  s.read_for_waiter();  // the background read fills the inbox for this read
  s.park(s.read_waiters_, op);
}

template <class Impl, class Buffers>
void read_machine<Impl, Buffers>::finish(session_op<Impl>& op, const error_code& ec,
                                         std::size_t n) {
  if (!direct) return op.complete(ec, n);
  // After the completion, which usually starts the next read (posted): the background
  // read resumes only if that one does not claim the socket first. (The session lives
  // on: the step that runs holds it.)
  Impl& s = op.impl();
  op.complete(ec, n);
  s.end_direct_read();
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_IMPL_SESSION_READ_HPP
