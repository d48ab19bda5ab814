//
// liveness/impl/session/state.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The session's shared state: the socket, the sans-I/O engine that decides everything
// (engine::session_engine), the one deadline, the parked operations, and the short driver
// that carries out the engine's actions. The operations are in read.hpp, write.hpp and
// wait_dead.hpp.
//
#ifndef LIVENESS_IMPL_SESSION_STATE_HPP
#define LIVENESS_IMPL_SESSION_STATE_HPP

#include <liveness/detail/asio.hpp>
#include <liveness/detail/deadline.hpp>
#include <liveness/detail/parked_op.hpp>
#include <liveness/detail/session_config.hpp>
#include <liveness/detail/session_op.hpp>
#include <liveness/detail/stream_traits.hpp>
#include <liveness/detail/tcp_info.hpp>
#include <liveness/engine/session_engine.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <vector>

namespace liveness {
namespace detail {

/// A per-thread socket read buffer, shared by every session over a socket whose handlers
/// run on the thread: a session waits for readability and then reads into it, so an idle
/// session holds no read buffer. (A session over another stream, TLS, reads with
/// async_read_some into a buffer of its own: see stream_traits.hpp.)
inline net::mutable_buffer read_scratch() {
  static thread_local std::array<char, 64 * 1024> buffer;
  return net::buffer(buffer);
}

/// The detector of a policy: `Policy::detector_type` (heartbeat::none: core::none_detector)
/// or core::detector.
template <class Policy, class = void>
struct policy_detector {
  using type = core::detector;
};
template <class Policy>
struct policy_detector<Policy, std::void_t<typename Policy::detector_type>> {
  using type = typename Policy::detector_type;
};

template <class Socket, class Policy>
class session_impl final
    : public std::enable_shared_from_this<session_impl<Socket, Policy>>,
      private read_buffer_for<Socket>,
      public deadline<session_impl<Socket, Policy>, typename Socket::executor_type> {
 public:
  using executor_type = typename Socket::executor_type;
  using codec_type = typename Policy::codec;
  using engine_type = engine::session_engine<codec_type, typename policy_detector<Policy>::type>;
  using clock = core::clock_type;
  using waiters = parked_list<executor_type>;
  using traits = stream_traits<Socket>;
  using deadline_type = deadline<session_impl, executor_type>;
  /// A socket: wait + non-blocking read into the shared buffer, writes at once first.
  static constexpr bool direct_io = traits::direct_io;

  /// `o` is valid, `config` the engine's configuration made from it and `report` what
  /// applying its keepalive did (the session does all three). The configuration and the
  /// report are shared with the other sessions of the same execution context made from
  /// equal options (detail/session_config.hpp).
  session_impl(Socket s, const session_options<Policy>& o,
               std::shared_ptr<const engine::config<codec_type>> config,
               std::shared_ptr<const keepalive_report> report,
               clock::time_point now = clock::now())
      : deadline_type(s.get_executor(), o.use_timer_wheel),
        socket_(std::move(s)),
        engine_(Policy::make_detector(o.heartbeat, o.role, now), std::move(config), now),
        keepalive_(std::move(report)) {
    if constexpr (direct_io) {
      // The background read waits for readability and then reads without blocking.
      error_code ignored;
      socket_.non_blocking(true, ignored);
    }
  }

  session_impl(const session_impl&) = delete;
  session_impl& operator=(const session_impl&) = delete;
  // Off the wheel before the members go (the wheel may be expiring on another thread).
  ~session_impl() override {
    this->detach_deadline();
    // Parked operations left (the session went without being closed: its io_context is
    // being destroyed) are freed without running, as Asio does with its pending ones.
    dead_waiters_.destroy_all();
    read_waiters_.destroy_all();
    write_waiters_.destroy_all();
  }

  /// Starts the background read and the deadline.
  void start() { apply(engine_.on_time(clock::now())); }

  /// The engine's limits in `o`.
  static engine::limits engine_limits(const session_options<Policy>& o) noexcept {
    engine::limits l;
    l.max_write_chunk = o.max_write_chunk;
    l.read_buffer_limit = o.read_buffer_limit;
    l.message_timeout = o.message_timeout;
    l.first_message_timeout = o.first_message_timeout;
    l.close_linger = o.close_linger;
    return l;
  }

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  auto& lowest_layer() noexcept { return traits::lowest_layer(socket_); }
  const auto& lowest_layer() const noexcept { return traits::lowest_layer(socket_); }
  bool is_open() const noexcept { return lowest_layer().is_open(); }

  Socket socket_;
  engine_type engine_;
  std::shared_ptr<const keepalive_report> keepalive_;  // shared, never null
  waiters dead_waiters_;   // async_wait_dead operations
  waiters read_waiters_;   // a read waiting for data
  waiters write_waiters_;  // a write waiting for the writer
  // The kernel's view of the connection when the peer was declared dead (read just before
  // the socket is closed; null until then, so that a live session pays a pointer only).
  std::unique_ptr<liveness::diagnosis> diagnosis_;

  bool over() const noexcept { return engine_.dead() || engine_.closed(); }

  /// What a read or write reports once the peer is dead or the session closed.
  error_code final_error() const {
    if (engine_.closed() && !engine_.dead()) return net::error::operation_aborted;
    if (engine_.reason() == error::peer_closed) return net::error::eof;
    return engine_.reason();
  }

  /// Carries out the engine's actions, then writes the heartbeats it wants, reads if it
  /// wants to and arms its next deadline. Called after every fact.
  void apply(const engine::actions& a) {
    const auto ex = socket_.get_executor();
    if (a.shut_down) {
      shut_down();
      return;
    }
    if (a.wake_readers) read_waiters_.wake_all(ex);
    if (a.wake_writers) write_waiters_.wake_all(ex);
    if (a.evaluate_soon) {
      net::post(ex, [self = this->shared_from_this()] { self->on_deadline(); });
    }
    flush_heartbeats();
    start_reading();
    this->arm_deadline(engine_.next_deadline());
    keep_busy();
  }

  /// Parks `op` (a session operation, detail/session_op.hpp) on `list` until the list is
  /// woken or the operation is cancelled. The node is the operation: nothing is allocated.
  void park(waiters& list, session_op<session_impl>& op) {
    op.set_parked(&list == &dead_waiters_   ? park_list::dead
                  : &list == &read_waiters_ ? park_list::read
                                            : park_list::write);
    list.push(&op);
    keep_busy();
  }

  /// The cancellation of a parked operation: out of its list, and on.
  void unpark(session_op<session_impl>& op) {
    waiters& list = op.parked() == park_list::dead   ? dead_waiters_
                    : op.parked() == park_list::read ? read_waiters_
                                                     : write_waiters_;
    if (list.remove(&op)) op.resume(socket_.get_executor(), false);
    keep_busy();
  }

  /// True when the writer is free for the caller; otherwise `op` waits until it is.
  /// Heartbeats waiting for the writer go first.
  bool acquire_writer(session_op<session_impl>& op) {
    flush_heartbeats();
    if (!engine_.writer_busy()) return true;
    park(write_waiters_, op);
    return false;
  }

  /// Writes what the kernel takes at once, without blocking; sets `ec` on a hard error.
  /// What the kernel takes at once proves nothing about the peer (a hung peer's kernel
  /// keeps taking small writes); a rest that has to wait for the socket does, once it
  /// goes (the peer's receive window opened: the peer reads).
  /// A stream that is not a socket (TLS) writes nothing here: its whole chunk goes with
  /// async_write.
  template <class Buffers>
  std::size_t write_at_once(const Buffers& out, error_code& ec) {
    if constexpr (direct_io) {
      const std::size_t n = socket_.write_some(out, ec);
      if (ec == net::error::would_block || ec == net::error::try_again) ec = error_code();
      return ec ? 0 : n;
    } else {
      (void)out;
      (void)ec;
      return 0;
    }
  }

  /// A user chunk is done: `ec` or `bytes` written, `waited` for the peer's window. A
  /// stream written with async_write (TLS) cannot tell whether it waited: never counted as
  /// the peer's progress.
  void on_user_written(const error_code& ec, std::size_t bytes, bool waited) {
    const auto now = clock::now();
    apply(ec ? engine_.on_write_failed(now, classify(ec))
             : engine_.on_user_written(now, bytes, waited && direct_io));
  }

  /// A transport error as a dead-peer reason.
  static error_code classify(const error_code& ec) noexcept { return traits::classify(ec); }

  void on_user_write_waiting() { engine_.on_user_write_waiting(clock::now()); }

  /// A user operation ended (counted until its state is destroyed, which Asio does after
  /// the completion handler has run, so the operations that handler starts are counted
  /// before this one stops being counted).
  void on_user_op_end(bool write) {
    const auto a = engine_.on_user_op_end(write);
    if (a.evaluate_soon) apply(a);
  }

  void set_message_read_pending(bool pending) {
    apply(engine_.set_message_read_pending(clock::now(), pending));
  }

  /// The application read `n` held bytes / the next whole message: reading may resume.
  void consumed(std::size_t n) {
    engine_.consume(clock::now(), n);
    start_reading();
  }
  void consumed_message() {
    engine_.consume_message(clock::now());
    start_reading();
  }

  /// The application's read of `size` bytes may read the socket itself, straight into its
  /// buffer: a socket, one such read at a time, and a codec that allows it (see
  /// engine::session_engine::reads_in_place). Until `end_direct_read`, the background read
  /// leaves the socket to it and only wakes it when the socket is readable.
  bool claim_direct_read(std::size_t size) noexcept {
    if (!direct_io || direct_reader_ || !engine_.reads_in_place(size)) return false;
    direct_reader_ = true;
    return true;
  }
  /// A read of the application's waits for the inbox: the background read goes on.
  void read_for_waiter() { start_reading(); }

  /// The direct read completed. The background read resumes once no read of the
  /// application's is left: the next one is usually started by the completion handler,
  /// and reads for itself (a read that does not starts the background read itself).
  void end_direct_read() {
    direct_reader_ = false;
    net::post(socket_.get_executor(), [self = this->shared_from_this()] {
      if (!self->engine_.user_read_pending()) self->start_reading();
      self->keep_busy();
    });
  }

  /// The direct reader reads into `b` without blocking and decodes there (no copy). Returns
  /// the user bytes now at the front of `b`: zero when nothing was there (`blocked`), when
  /// the read held only heartbeats, or when it ended the stream (the facts are applied:
  /// see the engine's state, and its inbox for user bytes that did not fit in `b`).
  std::size_t read_in_place(net::mutable_buffer b, bool& blocked) {
    if constexpr (direct_io) {
      error_code ec;
      const std::size_t n = socket_.read_some(b, ec);
      return on_read_in_place(ec, n, b, blocked);
    } else {
      (void)b;
      blocked = true;
      return 0;
    }
  }

  /// A read of `n` bytes into `b` (read_some or async_read_some) ended with `ec`: the facts
  /// go to the engine, the user bytes to the front of `b` (their count is returned).
  /// `blocked`: nothing was there yet. A cancelled read is no fact.
  std::size_t on_read_in_place(const error_code& ec, std::size_t n, net::mutable_buffer b,
                               bool& blocked);

  // The Asio operations of a session operation whose handler has the default allocator
  // (detail/session_op.hpp): their handler is the operation's step (or result), which does
  // not depend on the operation's handler, so they are compiled with the session
  // (state_ops.hpp), once when it is pre-instantiated (impl/session_instances.hpp).
  using op_type = session_op<session_impl>;
  /// Posts the next step of `op` to `ex` (the session's executor; `s` null: a moved-from
  /// session's operation).
  static void post_step(std::shared_ptr<session_impl> s, const executor_type& ex,
                        op_type* op);
  /// Runs the completion of `op` on `ex`, its handler's executor (`s`: the session, when a
  /// user read or write is counted until after its handler).
  static void dispatch_result(const executor_type& ex, std::shared_ptr<session_impl> s,
                              op_type* op, error_code ec, std::size_t n);
  /// The socket reads into `b` for `op` (a socket's direct reader); its next step gets the
  /// result.
  void read_socket_for(op_type& op, net::mutable_buffer b);
  /// async_write of `b` for `op` (not cancellable); its next step gets the result.
  void write_socket_for(op_type& op, const std::array<net::const_buffer, 2>& b);
  void write_socket_for(op_type& op, const std::vector<net::const_buffer>& b);

  void close() noexcept {
    if (engine_.close().shut_down) shut_down();
  }

  /// The deadline came (or the engine asked to be evaluated again).
  void on_deadline() { apply(engine_.on_time(clock::now())); }

 private:
  void flush_heartbeats();

  /// The actions of a heartbeat write done inside `apply` (which then reads and arms the
  /// deadline itself).
  void act(const engine::actions& a) {
    if (a.shut_down) return shut_down();
    const auto ex = socket_.get_executor();
    if (a.wake_readers) read_waiters_.wake_all(ex);
    if (a.wake_writers) write_waiters_.wake_all(ex);
    if (a.evaluate_soon) {
      net::post(ex, [self = this->shared_from_this()] { self->on_deadline(); });
    }
  }

  void start_reading() {
    // The application's read reads the socket itself (claim_direct_read).
    if (reading_ || direct_reader_ || !engine_.wants_read()) return;
    reading_ = true;
    if constexpr (direct_io) {
      socket_.async_wait(net::socket_base::wait_read, [self = this->shared_from_this()](
                                                          error_code ec) { self->on_readable(ec); });
    } else {
      socket_.async_read_some(net::buffer(this->read_buffer_.get(), traits::read_buffer_size),
                              [self = this->shared_from_this()](error_code ec, std::size_t n) {
                                self->on_read(ec, n);
                              });
    }
  }

  /// A stream's (TLS) read completed: the same facts as a socket's. (Never called for a
  /// socket, which has no read buffer; compiled for one all the same when the session is
  /// instantiated explicitly, impl/session_instances.hpp.)
  void on_read(const error_code& ec, std::size_t n) {
    reading_ = false;
    if (over()) return;
    const auto now = clock::now();
    if constexpr (!direct_io) {
      if (n > 0) {
        apply(engine_.on_received(now, this->read_buffer_.get(), n));
        if (!ec || over()) return;
      }
    }
    if (!ec) return start_reading();
    if (ec == net::error::eof) return apply(engine_.on_eof(now));
    const error_code reason = classify(ec);
    if (reason == error::peer_closed) return apply(engine_.on_eof(now));
    apply(engine_.on_transport_error(now, reason));
  }

  void on_readable(error_code ec) {
    reading_ = false;
    if (over()) return;
    const auto now = clock::now();
    if (ec) return apply(engine_.on_transport_error(now, classify(ec)));
    // The application's read reads the socket itself, straight into its buffer (a wait
    // armed before it claimed the socket ends here).
    if (direct_reader_) return;
    const auto scratch = read_scratch();
    const std::size_t n = socket_.read_some(scratch, ec);
    if (ec == net::error::would_block || ec == net::error::try_again) {
      start_reading();  // woken without data: wait again
      return;
    }
    if (ec == net::error::eof) return apply(engine_.on_eof(now));
    if (ec) return apply(engine_.on_transport_error(now, classify(ec)));
    apply(engine_.on_received(now, static_cast<const char*>(scratch.data()), n));
  }

  void shut_down() noexcept {
    error_code ignored;
    if (engine_.dead() && !diagnosis_) {
      try {
        diagnosis_ = std::make_unique<liveness::diagnosis>(
            diagnose_socket(lowest_layer(), engine_.reason()));
      } catch (...) {  // out of memory: session::diagnosis() answers without evidence
      }
    }
    // TLS: a close_notify, if it goes at once (see tls.hpp). Nothing for a socket.
    traits::before_close(socket_, !engine_.writer_busy());
    // Cancelled first: closing alone does not abort a pending overlapped send everywhere
    // (Wine's closesocket leaves it until the connection ends).
    auto& lowest = lowest_layer();
    lowest.cancel(ignored);
    lowest.shutdown(net::socket_base::shutdown_both, ignored);
    lowest.close(ignored);
    this->cancel_deadline();
    const auto ex = socket_.get_executor();
    dead_waiters_.wake_all(ex);
    read_waiters_.wake_all(ex);
    write_waiters_.wake_all(ex);
    keep_busy();
  }

  /// A parked operation holds no work on the session's executor (Asio's rule: the
  /// executor has work outstanding until the handler runs): the session's own socket read
  /// usually stands for it; when there is none (the inbox full, the peer's FIN), the
  /// session holds that work itself while an operation is parked.
  void keep_busy() {
    const bool need = !reading_ && !direct_reader_ &&
                      !(dead_waiters_.empty() && read_waiters_.empty() && write_waiters_.empty());
    if (need == static_cast<bool>(parked_work_)) return;
    if (need) {
      parked_work_.reset(new net::executor_work_guard<executor_type>(socket_.get_executor()));
    } else {
      parked_work_.reset();
    }
  }

  bool reading_ = false;
  bool direct_reader_ = false;  // the application's read reads the socket itself
  // Work on the session's executor while an operation is parked and no socket read of the
  // session's is pending (keep_busy).
  std::unique_ptr<net::executor_work_guard<executor_type>> parked_work_;
  // The deadline is the base deadline_type (the shared wheel's entry, or a timer).
  // A stream read with async_read_some (TLS) has its read buffer, traits::read_buffer_size
  // bytes (one TLS record), in the base read_buffer_for<Socket>; a socket has none.
};

}  // namespace detail
}  // namespace liveness

#include <liveness/impl/session/state_data.hpp>
#include <liveness/impl/session/state_ops.hpp>

#endif  // LIVENESS_IMPL_SESSION_STATE_HPP
