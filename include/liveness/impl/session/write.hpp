//
// liveness/impl/session/write.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// session::async_write_some and session::async_write_message: they take the writer from
// the engine, frame a chunk with its codec, write what the kernel takes at once, and wait
// for the peer's window for the rest.
//
#ifndef LIVENESS_IMPL_SESSION_WRITE_HPP
#define LIVENESS_IMPL_SESSION_WRITE_HPP

#include <liveness/detail/asio.hpp>
#include <liveness/detail/session_op.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <vector>

namespace liveness {
namespace detail {

/// Writes `out` (a chunk: header and data) for `self`: what the kernel takes at once, then
/// the rest with async_write. Returns true when it all went at once (the chunk is done,
/// reported to the session) or failed; false when `self` now waits for the rest (its next
/// call is the completion). The writer is ours until completion: per-operation
/// cancellation is not passed on (a half-written frame would corrupt the stream).
template <class Impl, class Self, class Buffers>
bool write_chunk(Impl& s, Self& self, Buffers out, std::size_t& at_once) {
  error_code ec;
  std::size_t total = 0;
  for (const auto& b : out) total += b.size();
  at_once = s.write_at_once(out, ec);
  if (ec || at_once == total) {
    s.on_user_written(ec, at_once, false);
    return true;
  }
  s.on_user_write_waiting();
  std::size_t skip = at_once;
  for (auto& b : out) {
    const std::size_t k = (std::min)(skip, b.size());
    b += k;
    skip -= k;
  }
  // The operation's node never moves, so `out` may point into its machine (the header).
  static_assert(std::is_base_of<session_op<Impl>, Self>::value,
                "write_chunk writes for a session operation");
  self.socket_write(out);
  return false;
}

/// The first non-empty buffer of a sequence: like a socket's write_some, a call may write
/// less than the whole sequence.
template <class Buffers>
net::const_buffer first_buffer(const Buffers& buffers) {
  net::const_buffer first;
  for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
       ++it) {
    first = net::const_buffer(*it);
    if (first.size() > 0) break;
  }
  return first;
}

/// The buffers a write keeps: a single buffer (`net::const_buffer`, `net::mutable_buffer` or
/// a type derived from one of them, such as `const_buffers_1`: what Asio takes as a
/// sequence of that one buffer) as a `net::const_buffer`, so that the common writes share
/// one state machine (compiled once for the pre-instantiated sessions); any other sequence
/// as it is.
template <class Buffers>
using write_buffers_t = std::conditional_t<
    std::is_convertible<const Buffers*, const net::const_buffer*>::value ||
        std::is_convertible<const Buffers*, const net::mutable_buffer*>::value,
    net::const_buffer, Buffers>;

/// async_write_some's state machine (detail/session_op.hpp). Only terminal cancellation,
/// and only before it has taken the writer.
template <class Impl, class Buffers>
struct write_machine : machine_base {
  static constexpr net::cancellation_type cancellation = net::cancellation_type::terminal;
  static constexpr signed char user_op = 1;
  static constexpr bool writes_socket = true;

  explicit write_machine(const Buffers& b) : buffers(b) {}

  Buffers buffers;
  bool writing = false;     // its async_write is pending (the next step is its result)
  std::size_t chunk = 0;
  std::size_t sent = 0;     // user bytes of the chunks done
  std::size_t at_once = 0;  // bytes (header included) the kernel took without waiting
  // The codec's header of the chunk being written: the operation never moves (one node
  // from start to completion), so the socket write may point into it.
  codec::chunk_header header;

  void step(session_op<Impl>& op, error_code ec, std::size_t written);
  void done(session_op<Impl>& op);
};

/// async_write_message's state machine (detail/session_op.hpp): the message goes out as
/// frames of at most `max_write_chunk` user bytes each, one after the other, keeping the
/// writer between them only while the kernel takes them at once. Only terminal
/// cancellation, and only before its first frame is out: a half-sent message would leave
/// the peer's decoder inside it.
template <class Impl>
struct write_message_machine : machine_base {
  static constexpr net::cancellation_type cancellation = net::cancellation_type::terminal;
  static constexpr signed char user_op = 1;
  static constexpr bool writes_socket = true;
  static constexpr bool writes_sequence = true;

  template <class Buffers>
  explicit write_message_machine(const Buffers& buffers) {
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
         ++it) {
      net::const_buffer b(*it);
      if (b.size() == 0) continue;
      parts.push_back(b);
      total += b.size();
    }
  }

  std::vector<net::const_buffer> parts;  // the message, empty pieces left out
  std::vector<net::const_buffer> out;    // the frame being written
  std::size_t total = 0;
  std::size_t sent = 0;
  std::size_t part = 0;    // next piece to send from
  std::size_t offset = 0;  // bytes of parts[part] already sent
  std::size_t chunk = 0;
  std::size_t at_once = 0;  // bytes of the current frame the kernel took without waiting
  bool writing = false;     // its async_write is pending (the next step is its result)
  bool first_frame_sent = false;
  codec::chunk_header header;  // the codec's header of the frame being written

  void step(session_op<Impl>& op, error_code ec, std::size_t written);
  /// A frame went out; false when the operation has completed.
  bool frame_done(session_op<Impl>& op);
  /// Writes the next frame. False when the operation waits or has completed; true when
  /// the frame was written at once (or failed: `frame_done` completes then).
  bool start_frame(session_op<Impl>& op);
};

// Defined out of the classes (not inline): the pre-instantiated sessions' machines for a
// single buffer and for messages are compiled once (impl/session_instances.hpp).

template <class Impl, class Buffers>
void write_machine<Impl, Buffers>::step(session_op<Impl>& op, error_code ec,
                                      std::size_t written) {
  Impl& s = op.impl();
  if (writing) {
    writing = false;
    s.on_user_written(ec, at_once + written, true);
    sent += chunk;
    return done(op);
  }
  if (s.over()) return op.complete(s.final_error(), 0);
  const net::const_buffer first = first_buffer(buffers);
  if (first.size() == 0) return op.complete(error_code(), 0);
  if (op.cancelled()) return op.complete(net::error::operation_aborted, 0);
  if (!s.acquire_writer(op)) return;
  const char* data = static_cast<const char*>(first.data());
  // Chunk after chunk while the kernel takes each whole at once, without a trip through
  // the executor: max_write_chunk only matters when a chunk has to wait for the peer's
  // window (a heartbeat then waits for at most one chunk) or a heartbeat is due (it goes
  // between two chunks, and this write completes with what went before it).
  for (;;) {
    chunk = s.engine_.begin_user_chunk(data + sent, first.size() - sent, false, header);
    const std::array<net::const_buffer, 2> out{
        net::buffer(header.data(), header.size),
        net::buffer(data + sent, chunk)};
    // Written at once: we run in a posted handler, so completing here is not inline.
    writing = true;
    if (!write_chunk(s, op, out, at_once)) return;
    writing = false;
    sent += chunk;
    if (!Impl::direct_io || s.over() || sent == first.size() || s.engine_.writer_busy())
      break;
  }
  done(op);
}

template <class Impl, class Buffers>
void write_machine<Impl, Buffers>::done(session_op<Impl>& op) {
  Impl& s = op.impl();
  if (s.over()) return op.complete(s.final_error(), 0);
  op.complete(error_code(), sent);
}

template <class Impl>
void write_message_machine<Impl>::step(session_op<Impl>& op, error_code ec,
                                      std::size_t written) {
  if (writing) {
    writing = false;
    op.impl().on_user_written(ec, at_once + written, true);
    if (!frame_done(op)) return;
  }
  // Each frame that went out at once leads to the next without a trip through the
  // executor.
  while (start_frame(op) && frame_done(op)) {
  }
}

template <class Impl>
bool write_message_machine<Impl>::frame_done(session_op<Impl>& op) {
  Impl& s = op.impl();
  if (s.over()) {
    op.complete(s.final_error(), sent);
    return false;
  }
  sent += chunk;
  first_frame_sent = true;
  if (sent < total) return true;
  op.complete(error_code(), total);
  return false;
}

template <class Impl>
bool write_message_machine<Impl>::start_frame(session_op<Impl>& op) {
  Impl& s = op.impl();
  if (s.over()) {
    op.complete(s.final_error(), sent);
    return false;
  }
  if (!first_frame_sent && op.cancelled()) {
    op.complete(net::error::operation_aborted, 0);
    return false;
  }
  if (!s.acquire_writer(op)) return false;
  const std::size_t remaining = total - sent;
  // An empty message is one empty frame (no part to point at).
  const char* next =
      part < parts.size() ? static_cast<const char*>(parts[part].data()) + offset : nullptr;
  chunk = s.engine_.begin_user_chunk(next, remaining, true, header);
  out.clear();
  out.push_back(net::buffer(header.data(), header.size));
  for (std::size_t need = chunk; need > 0;) {
    const std::size_t n = (std::min)(need, parts[part].size() - offset);
    out.push_back(net::buffer(static_cast<const char*>(parts[part].data()) + offset, n));
    need -= n;
    offset += n;
    if (offset == parts[part].size()) {
      ++part;
      offset = 0;
    }
  }
  writing = true;
  if (!write_chunk(s, op, out, at_once)) return false;
  writing = false;
  return true;
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_IMPL_SESSION_WRITE_HPP
