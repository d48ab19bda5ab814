//
// liveness/impl/session.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_IMPL_SESSION_HPP
#define LIVENESS_IMPL_SESSION_HPP

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/write.hpp>
#else
#include <asio/associated_cancellation_slot.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/compose.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/socket_base.hpp>
#include <asio/write.hpp>
#endif

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace liveness {
namespace detail {

// How the session talks to each codec's encoder: user chunks (with their frame header)
// and heartbeat frames.
template <class Codec>
struct codec_ops;

template <>
struct codec_ops<codec::raw> {
  static std::size_t user_chunk(codec::raw::encoder&, const char*, std::size_t size,
                                std::size_t max_chunk, std::array<char, 8>&, std::size_t& hlen) {
    hlen = 0;
    return (std::min)(size, (std::max)(max_chunk, std::size_t(1)));
  }
  static bool heartbeat_allowed(const codec::raw::encoder&) noexcept { return false; }
  static void append_heartbeat(const codec::raw::encoder&, bool, std::string&) {}
  // No message boundaries: every received byte completes a unit.
  static bool data_completes_unit(const codec::raw::decoder&) noexcept { return true; }
  static bool mid_unit(const codec::raw::decoder&) noexcept { return false; }
  static std::uint64_t lines_ended(const codec::raw::decoder&) noexcept { return 0; }
};

template <>
struct codec_ops<codec::line> {
  static std::size_t user_chunk(codec::line_encoder& enc, const char* data, std::size_t size,
                                std::size_t max_chunk, std::array<char, 8>&, std::size_t& hlen) {
    hlen = 0;
    const std::size_t n = enc.chunk_size(data, size, max_chunk);
    enc.on_data(data, n);
    return n;
  }
  static bool heartbeat_allowed(const codec::line_encoder& enc) noexcept {
    return enc.at_line_boundary();
  }
  static void append_heartbeat(const codec::line_encoder& enc, bool ping, std::string& out) {
    const auto text = ping ? enc.ping() : enc.pong();
    out.append(text.data(), text.size());
  }
  // Newline framing: a unit is a line. Bare framing: user bytes have no boundaries (each
  // completes a unit); only a heartbeat text can be half received.
  static bool data_completes_unit(const codec::line_decoder& dec) noexcept {
    return dec.options().framing == codec::line_framing::bare;
  }
  static bool mid_unit(const codec::line_decoder& dec) noexcept {
    if (dec.options().framing == codec::line_framing::bare) return dec.buffered() > 0;
    return dec.line_length() > 0;
  }
  static std::uint64_t lines_ended(const codec::line_decoder& dec) noexcept {
    return dec.lines_ended();
  }
};

template <>
struct codec_ops<codec::length_prefixed> {
  static std::size_t user_chunk(codec::length_prefixed_encoder& enc, const char*,
                                std::size_t size, std::size_t max_chunk,
                                std::array<char, 8>& header, std::size_t& hlen) {
    const std::size_t n = enc.chunk_size(size, max_chunk);
    const auto h = enc.data_header(n, false);
    std::copy(h.begin(), h.end(), header.begin());
    hlen = h.size();
    return n;
  }
  static bool heartbeat_allowed(const codec::length_prefixed_encoder&) noexcept {
    return true;
  }
  static void append_heartbeat(const codec::length_prefixed_encoder& enc, bool ping,
                               std::string& out) {
    const auto f = ping ? enc.ping() : enc.pong();
    out.append(f.data(), f.size());
  }
  // A unit is a heartbeat frame or a whole user message (its end is reported).
  static bool data_completes_unit(const codec::length_prefixed_decoder&) noexcept {
    return false;
  }
  static bool mid_unit(const codec::length_prefixed_decoder& dec) noexcept {
    return !dec.at_frame_boundary() || dec.in_message();
  }
  static std::uint64_t lines_ended(const codec::length_prefixed_decoder&) noexcept {
    return 0;
  }
};

/// A composed operation parked until the session wakes it: what a never-expiring timer
/// did before, without the timer (a few pointers per session instead of three timers).
/// While parked, the operation lives on the heap and holds the session (its shared_ptr).
template <class Executor>
struct parked_op {
  parked_op* next = nullptr;
  /// Posts the operation to `ex` (it goes on from there, as after a timer's wake-up) and
  /// frees this node. `clear_slot`: remove our cancellation handler first (not when called
  /// from that handler).
  virtual void resume(const Executor& ex, bool clear_slot) = 0;

 protected:
  ~parked_op() = default;
};

template <class Executor, class Self>
struct parked_op_impl final : parked_op<Executor> {
  Self self;
  explicit parked_op_impl(Self&& s) : self(std::move(s)) {}
  void resume(const Executor& ex, bool clear_slot) override {
    Self s(std::move(self));
    delete this;
    if (clear_slot) net::get_associated_cancellation_slot(s).clear();
    net::post(ex, std::move(s));
  }
};

/// A list of parked operations (singly linked: a list holds one or a few operations).
template <class Executor>
class parked_list {
 public:
  using node = parked_op<Executor>;
  parked_list() noexcept = default;
  parked_list(const parked_list&) = delete;
  parked_list& operator=(const parked_list&) = delete;
  bool empty() const noexcept { return head_ == nullptr; }
  void push(node* n) noexcept {
    n->next = head_;
    head_ = n;
  }
  /// Takes `n` out of the list; false when it is not there (already woken).
  bool remove(node* n) noexcept {
    for (node** p = &head_; *p; p = &(*p)->next) {
      if (*p == n) {
        *p = n->next;
        return true;
      }
    }
    return false;
  }
  /// Resumes every parked operation (each goes on from `ex`).
  void wake_all(const Executor& ex) {
    node* n = head_;
    head_ = nullptr;
    while (n) {
      node* next = n->next;
      n->resume(ex, true);
      n = next;
    }
  }

 private:
  node* head_ = nullptr;
};

/// A per-thread socket read buffer, shared by every session whose handlers run on the
/// thread: a session waits for readability and then reads into it, so an idle session
/// holds no read buffer.
inline net::mutable_buffer read_scratch() {
  static thread_local std::array<char, 64 * 1024> buffer;
  return net::buffer(buffer);
}

template <class Socket, class Policy>
class session_impl final : public std::enable_shared_from_this<session_impl<Socket, Policy>>,
                           public timer::wheel_timer {
 public:
  using executor_type = typename Socket::executor_type;
  using codec_type = typename Policy::codec;
  using ops = codec_ops<codec_type>;
  using clock = core::clock_type;
  using timer_type =
      net::basic_waitable_timer<clock, net::wait_traits<clock>, executor_type>;

  session_impl(Socket s, core::side side, const session_options<Policy>& o)
      : socket_(std::move(s)),
        max_write_chunk_(o.max_write_chunk),
        read_buffer_limit_(o.read_buffer_limit),
        message_timeout_(o.message_timeout),
        first_message_timeout_(o.first_message_timeout),
        close_linger_(o.close_linger),
        started_at_(clock::now()),
        detector_(Policy::make_detector(o.heartbeat, side, started_at_)),
        decoder_(Policy::codec_options(o.heartbeat)),
        encoder_(Policy::codec_options(o.heartbeat)) {
    if (o.use_timer_wheel) wheel_ = &timer::shared_wheel::of(socket_.get_executor());
    if (!wheel_) heartbeat_timer_ = std::make_unique<timer_type>(socket_.get_executor());
    if (o.apply_keepalive) keepalive_ = apply_keepalive(socket_, o.keepalive);
    // The background read waits for readability and then reads without blocking.
    error_code ignored;
    socket_.non_blocking(true, ignored);
  }

  session_impl(const session_impl&) = delete;
  session_impl& operator=(const session_impl&) = delete;

  // The wheel may be about to hand this entry out: cancel() waits for it under the wheel's
  // mutex, and wheel_lock() then fails (the use count is zero already).
  ~session_impl() {
    if (wheel_) wheel_->cancel(*this);
  }

  /// Starts the background read and the heartbeat timer.
  void start() {
    start_reading();
    drive(clock::now());
  }

  // ---- state queried by the session and its operations --------------------------------
  Socket socket_;
  timer::shared_wheel* wheel_ = nullptr;        // the heartbeat deadline's wheel, or
  std::unique_ptr<timer_type> heartbeat_timer_;  // the session's own timer
  parked_list<executor_type> dead_waiters_;   // async_wait_dead operations
  parked_list<executor_type> read_waiters_;   // a read waiting for data
  parked_list<executor_type> write_waiters_;  // a write waiting for the writer
  std::size_t max_write_chunk_;
  std::size_t read_buffer_limit_;
  core::duration message_timeout_;        // zero: off
  core::duration first_message_timeout_;  // zero: off
  core::duration close_linger_;
  clock::time_point started_at_;
  keepalive_report keepalive_;
  core::detector detector_;
  typename codec_type::decoder decoder_;
  typename codec_type::encoder encoder_;
  std::vector<char> inbox_;  // user bytes received, not yet read by the application
  std::size_t inbox_pos_ = 0;
  std::uint64_t received_total_ = 0;        // user bytes decoded so far
  std::uint64_t consumed_total_ = 0;        // user bytes handed to the application
  std::vector<std::uint64_t> message_ends_;  // received_total_ at each message end
  std::size_t message_ends_pos_ = 0;         // message_ends_[pos..] are still held
  bool message_read_pending_ = false;
  bool reading_ = false;
  bool writing_ = false;  // a heartbeat or user chunk is being written
  bool ping_wanted_ = false;
  bool pong_wanted_ = false;
  std::string heartbeat_out_;
  // The frame header of the user chunk being written (one at a time): it must outlive the
  // write operation's moves, so it lives here rather than in the operation.
  std::array<char, 8> user_header_{};
  bool armed_ = false;
  clock::time_point armed_at_{};
  bool dead_ = false;
  bool closed_ = false;
  error_code reason_;
  // Slowloris guard: a line, frame or message has begun arriving at `unit_started_`.
  bool unit_open_ = false;
  bool first_unit_seen_ = false;
  clock::time_point unit_started_{};
  // A user write waits for the peer's receive window since `write_waiting_since_`.
  bool write_waiting_ = false;
  clock::time_point write_waiting_since_{};
  // The peer closed its sending side (FIN): the session drains until `linger_deadline_`.
  bool read_closed_ = false;
  clock::time_point linger_deadline_{};
  std::size_t user_writes_ = 0;  // user write operations started and not completed
  std::size_t user_reads_ = 0;   // user read operations started and not completed

  std::size_t held() const noexcept { return inbox_.size() - inbox_pos_; }

  /// Whole messages held (their ends not yet passed by the application's reads).
  std::size_t messages_held() const noexcept {
    return message_ends_.size() - message_ends_pos_;
  }

  /// What the session holds for the application: the bytes, plus the bookkeeping of each
  /// message boundary (so that empty or tiny messages cannot escape the limit).
  std::size_t held_cost() const noexcept {
    return held() + messages_held() * sizeof(std::uint64_t);
  }

  /// Reading pauses when this much is held (a message read that needs more ends the
  /// session instead: see `check_message_fits`).
  bool inbox_full() const noexcept { return held_cost() >= read_buffer_limit_; }

  /// A message read waits for a message that cannot be held whole within the limit: the
  /// peer sent a message too large for this session.
  void check_message_fits() {
    if (message_read_pending_ && !message_ready() && inbox_full()) die(error::frame_too_large);
  }

  /// What a read or write reports once the peer is dead or the session closed.
  error_code final_error() const {
    if (closed_ && !dead_) return net::error::operation_aborted;
    if (reason_ == error::peer_closed) return net::error::eof;
    return reason_;
  }

  /// Copies held user data into `buffers`; resumes reading if it was paused.
  template <class MutableBufferSequence>
  std::size_t take(const MutableBufferSequence& buffers) {
    const std::size_t n =
        net::buffer_copy(buffers, net::buffer(inbox_.data() + inbox_pos_, held()));
    consume(n);
    // Byte reads do not see message boundaries: forget those already passed.
    while (message_ready() && message_ends_[message_ends_pos_] <= consumed_total_)
      pop_message_end();
    return n;
  }

  /// Size of the next whole message held, if there is one.
  bool message_ready() const noexcept { return message_ends_pos_ < message_ends_.size(); }
  void pop_message_end() noexcept {
    if (++message_ends_pos_ == message_ends_.size()) {
      message_ends_.clear();
      message_ends_pos_ = 0;
    } else if (message_ends_pos_ > message_ends_.size() / 2) {
      // Ends already passed go, so that a reader that keeps up never lets them pile up.
      message_ends_.erase(message_ends_.begin(),
                          message_ends_.begin() + static_cast<std::ptrdiff_t>(message_ends_pos_));
      message_ends_pos_ = 0;
    }
  }
  std::size_t message_size() const noexcept {
    return static_cast<std::size_t>(message_ends_[message_ends_pos_] - consumed_total_);
  }

  /// Appends the next whole message to a dynamic buffer (v1: prepare/commit).
  template <class DynamicBuffer>
  std::size_t take_message(DynamicBuffer& buffer) {
    const std::size_t n = message_size();
    buffer.commit(net::buffer_copy(buffer.prepare(n), net::buffer(inbox_.data() + inbox_pos_, n)));
    consume(n);
    pop_message_end();
    return n;
  }

  void consume(std::size_t n) {
    // Reading resumes: a message left half received while we did not read gets its full
    // message_timeout from now (the pause was ours, not the peer's).
    if (unit_open_ && inbox_full()) unit_started_ = clock::now();
    inbox_pos_ += n;
    consumed_total_ += n;
    if (inbox_pos_ == inbox_.size()) {
      inbox_.clear();
      inbox_pos_ = 0;
    } else if (inbox_pos_ > inbox_.size() / 2) {
      inbox_.erase(inbox_.begin(), inbox_.begin() + static_cast<std::ptrdiff_t>(inbox_pos_));
      inbox_pos_ = 0;
    }
    start_reading();
  }

  void set_message_read_pending(bool pending) {
    message_read_pending_ = pending;
    if (!pending) return;
    check_message_fits();
    start_reading();
  }

  /// Parks the composed operation `self` on `list` until the session wakes the list, or
  /// its cancellation slot (if connected) is emitted. The cancellation handler finds the
  /// operation by address through a weak reference, so a late emission is harmless.
  template <class Self>
  void park(parked_list<executor_type>& list, Self& self) {
    auto* n = new parked_op_impl<executor_type, Self>(std::move(self));
    list.push(n);
    auto slot = net::get_associated_cancellation_slot(n->self);
    if (slot.is_connected()) {
      const int which = &list == &dead_waiters_ ? 0 : &list == &read_waiters_ ? 1 : 2;
      slot.assign([w = this->weak_from_this(), which,
                   key = static_cast<parked_op<executor_type>*>(n)](net::cancellation_type) {
        auto s = w.lock();
        if (!s) return;
        if (s->waiters(which).remove(key)) key->resume(s->socket_.get_executor(), false);
      });
    }
  }

  parked_list<executor_type>& waiters(int which) noexcept {
    return which == 0 ? dead_waiters_ : which == 1 ? read_waiters_ : write_waiters_;
  }

  /// True when the writer is free for the caller; otherwise `self` waits until it is.
  /// Heartbeats waiting for the writer go first.
  template <class Self>
  bool acquire_writer(Self& self) {
    if (!writing_) flush_heartbeats();
    if (!writing_) return true;
    park(write_waiters_, self);
    return false;
  }

  void close() noexcept {
    if (closed_) return;
    closed_ = true;
    shut_down();
  }

  void die(const error_code& reason) {
    if (dead_ || closed_) return;
    dead_ = true;
    reason_ = reason;
    detector_.declare_dead(clock::now(), reason);
    shut_down();
  }

  /// Flushes pending heartbeat frames if the writer is free and the codec allows it.
  void flush_heartbeats() {
    if (writing_ || dead_ || closed_ || !(ping_wanted_ || pong_wanted_)) return;
    if (!ops::heartbeat_allowed(encoder_)) return;
    heartbeat_out_.clear();
    const bool pong = pong_wanted_, ping = ping_wanted_;
    if (pong) ops::append_heartbeat(encoder_, false, heartbeat_out_);
    if (ping) ops::append_heartbeat(encoder_, true, heartbeat_out_);
    ping_wanted_ = pong_wanted_ = false;
    writing_ = true;
    net::async_write(socket_, net::buffer(heartbeat_out_),
                     [self = this->shared_from_this(), pong, ping](error_code ec, std::size_t n) {
                       self->on_heartbeat_written(ec, n, pong, ping);
                     });
  }

  /// Writes a user chunk without blocking: as much as the kernel takes at once. Returns
  /// the bytes taken, and sets `ec` on a hard error. What the kernel takes at once proves
  /// nothing about the peer (a hung peer's kernel keeps taking small writes), so the
  /// callers pass `held = false` to `on_user_written` for a chunk written entirely here,
  /// and `held = true` when the rest had to wait for the socket: its completion means the
  /// peer's receive window opened, i.e. the peer is reading.
  template <class Buffers>
  std::size_t write_at_once(const Buffers& out, error_code& ec) {
    const std::size_t n = socket_.write_some(out, ec);
    if (ec == net::error::would_block || ec == net::error::try_again) ec = error_code();
    return ec ? 0 : n;
  }

  /// The rest of a user chunk now waits for the peer's receive window (called by the
  /// write operations before their async_write).
  void on_user_write_waiting() {
    write_waiting_ = true;
    write_waiting_since_ = clock::now();
  }

  /// A user chunk was written (called by the write operations). `held`: the write had to
  /// wait for the peer's receive window (see `write_at_once`).
  void on_user_written(const error_code& ec, std::size_t n, bool held) {
    writing_ = false;
    write_waiting_ = false;
    if (dead_ || closed_) return;
    if (ec) {
      die(classify_transport_error(ec));
      return;
    }
    const auto now = clock::now();
    detector_.on_sent(now, n);
    // Our data moved after waiting for the peer's window, so the peer is reading: its
    // pong may be queued behind our bytes.
    if (held) detector_.on_peer_progress(now);
    write_waiters_.wake_all(socket_.get_executor());
    drive(now);  // also flushes pending heartbeats
  }

  /// A user operation started (counted until its state is destroyed, which Asio does
  /// after the completion handler has run, so the operations that handler starts are
  /// counted before this one stops being counted).
  void on_user_op_begin(bool write) noexcept { ++(write ? user_writes_ : user_reads_); }

  /// A user operation ended: a draining session may be done.
  void on_user_op_end(bool write) {
    --(write ? user_writes_ : user_reads_);
    if (!read_closed_ || dead_ || closed_) return;
    net::post(socket_.get_executor(), [self = this->shared_from_this()] {
      self->drive(clock::now());
    });
  }

  /// Re-evaluates the detector and re-arms the timer. Called after every event.
  void drive(clock::time_point now) {
    if (dead_ || closed_) return;
    if (read_closed_) {
      // Draining after the peer's FIN: done when no write is left (the application's
      // replies are in the kernel, which sends them before our FIN) and the application
      // has read everything or stopped reading, or when the linger ends. Data still held
      // stays readable after that.
      if ((user_writes_ == 0 && !writing_ && (held() == 0 || user_reads_ == 0)) ||
          now >= linger_deadline_) {
        die(error::peer_closed);
        return;
      }
      arm_timer();
      return;
    }
    if ((unit_open_ && !inbox_full() && message_timeout_ > core::duration::zero() &&
         now - unit_started_ >= message_timeout_) ||
        (!first_unit_seen_ && first_message_timeout_ > core::duration::zero() &&
         now - started_at_ >= first_message_timeout_)) {
      die(error::message_timeout);
      return;
    }
    if (inbox_full() && !write_stuck(now)) {
      // The application is not reading: the peer is sending, so it is alive, but its pongs
      // wait behind the data we do not read. Not while our own write has been stuck for
      // the heartbeat timeout: a peer that neither takes our data nor sends anything new
      // (our application waits to write to it, so it does not read) is not kept alive by
      // the data it sent long ago; the heartbeat then times it out.
      detector_.on_peer_progress(now);
    }
    if (ping_wanted_ && !writing_ && !ops::heartbeat_allowed(encoder_)) {
      // Our own half-written user line holds the ping back (line codec): suspend its
      // timeout rather than blame the peer. TCP keepalive still guards the connection.
      detector_.on_ping_sent(now);
    }
    const auto r = detector_.poll(now);
    if (r.kind == core::action::peer_dead) {
      die(r.reason);
      return;
    }
    if (r.kind == core::action::send_ping) ping_wanted_ = true;
    // Receiving the peer's data without writing anything: tell it that we read, in case
    // its ping is stuck behind that data (see detector::take_progress_pong).
    if (detector_.take_progress_pong(now)) pong_wanted_ = true;
    flush_heartbeats();
    arm_timer();
  }

  /// A user write has waited for the peer's receive window for the heartbeat timeout.
  bool write_stuck(clock::time_point now) const noexcept {
    const auto limit = detector_.timeout();
    return write_waiting_ && limit > core::duration::zero() &&
           now - write_waiting_since_ >= limit;
  }

  /// When drive() must run next: the detector's deadline, the message deadlines, the
  /// linger.
  std::optional<clock::time_point> next_deadline() const noexcept {
    if (read_closed_) return linger_deadline_;
    auto next = detector_.next_deadline();
    const auto take = [&next](clock::time_point t) {
      if (!next || t < *next) next = t;
    };
    if (unit_open_ && message_timeout_ > core::duration::zero() && !inbox_full())
      take(core::add_saturated(unit_started_, message_timeout_));
    if (!first_unit_seen_ && first_message_timeout_ > core::duration::zero())
      take(core::add_saturated(started_at_, first_message_timeout_));
    return next;
  }

 private:
  void start_reading() {
    if (reading_ || dead_ || closed_ || read_closed_ || inbox_full()) return;
    reading_ = true;
    socket_.async_wait(net::socket_base::wait_read,
                       [self = this->shared_from_this()](error_code ec) { self->on_readable(ec); });
  }

  struct decode_handler {
    session_impl& s;
    clock::time_point now;
    bool unit_done = false;  // a line, frame or message was completed in this read
    void on_data(const char* p, std::size_t n) {
      s.inbox_.insert(s.inbox_.end(), p, p + n);
      s.received_total_ += n;
      s.detector_.on_data_received(now);
      if (ops::data_completes_unit(s.decoder_)) unit_done = true;
    }
    void on_ping(const char*, std::size_t) {
      unit_done = true;
      if (s.detector_.on_ping_received(now)) s.pong_wanted_ = true;
    }
    void on_pong(const char*, std::size_t) {
      unit_done = true;
      s.detector_.on_pong_received(now);
    }
    void on_message_begin() {}
    void on_message_end() {
      unit_done = true;
      s.message_ends_.push_back(s.received_total_);
    }
  };

  /// After a read was decoded: when did the line, frame or message in progress start?
  void track_units(bool unit_done, clock::time_point now) noexcept {
    if (unit_done) first_unit_seen_ = true;
    const bool open = ops::mid_unit(decoder_);
    // One that was completed in this read and another begun: the new one starts now.
    if (open && (!unit_open_ || unit_done)) unit_started_ = now;
    unit_open_ = open;
  }

  void on_readable(error_code ec) {
    reading_ = false;
    if (dead_ || closed_) return;
    if (ec) {
      die(classify_transport_error(ec));
      return;
    }
    const auto scratch = read_scratch();
    const std::size_t n = socket_.read_some(scratch, ec);
    if (ec == net::error::would_block || ec == net::error::try_again) {
      start_reading();  // woken without data: wait again
      return;
    }
    on_read(ec, static_cast<const char*>(scratch.data()), n);
  }

  void on_read(const error_code& ec, const char* data, std::size_t n) {
    const auto now = clock::now();
    const std::size_t before = held();
    decode_handler h{*this, now, false};
    const std::uint64_t lines_before = ops::lines_ended(decoder_);
    error_code bad;
    if (n > 0) {
      detector_.on_received(now, n);
      bad = decoder_.feed(data, n, h);
    }
    if (!bad && ec == net::error::eof) bad = decoder_.finish(h);
    track_units(h.unit_done || ops::lines_ended(decoder_) != lines_before, now);
    if (held() > before || message_ready()) read_waiters_.wake_all(socket_.get_executor());
    if (bad) {
      die(bad);
      return;
    }
    if (ec == net::error::eof && close_linger_ > core::duration::zero()) {
      // The peer closed its sending side; ours stays open for the replies (drive() decides
      // when the session is done).
      read_closed_ = true;
      linger_deadline_ = core::add_saturated(now, close_linger_);
      read_waiters_.wake_all(socket_.get_executor());
      // Posted: a read woken above is counted until its handler has run.
      net::post(socket_.get_executor(), [self = this->shared_from_this()] {
        self->drive(clock::now());
      });
      return;
    }
    if (ec) {
      die(classify_transport_error(ec));
      return;
    }
    check_message_fits();
    drive(now);
    start_reading();
  }

  void on_heartbeat_written(const error_code& ec, std::size_t n, bool pong, bool ping) {
    writing_ = false;
    if (dead_ || closed_) return;
    if (ec) {
      die(classify_transport_error(ec));
      return;
    }
    const auto now = clock::now();
    detector_.on_sent(now, n);
    if (pong) detector_.on_pong_sent(now);
    if (ping) detector_.on_ping_sent(now);  // its timeout counts from the real write
    write_waiters_.wake_all(socket_.get_executor());
    drive(now);  // also flushes pending heartbeats
  }

  void arm_timer() {
    const auto next = next_deadline();
    if (!next) {
      if (armed_) {
        if (wheel_)
          wheel_->cancel(*this);
        else
          heartbeat_timer_->cancel();
      }
      armed_ = false;
      return;
    }
    // A deadline that moved later (every read moves it) is not re-armed: the timer fires
    // early once, drive() finds nothing due and arms it at the new deadline. So a read
    // costs one comparison here; with the wheel, an earlier deadline costs an O(1) relink
    // under the wheel's mutex, without the per-session timer's cancellation and heap
    // operation.
    if (armed_ && armed_at_ <= *next) return;
    armed_ = true;
    armed_at_ = *next;
    if (wheel_) {
      wheel_->arm(*this, *next);  // O(1): no Asio timer, no heap
      return;
    }
    heartbeat_timer_->expires_at(*next);
    heartbeat_timer_->async_wait([self = this->shared_from_this()](error_code ec) {
      if (ec == net::error::operation_aborted) return;  // re-armed or shut down
      self->armed_ = false;
      self->drive(clock::now());
    });
  }

  // ---- timer::wheel_timer: called by the shared wheel --------------------------------
  std::shared_ptr<void> wheel_lock() noexcept override { return this->weak_from_this().lock(); }

  void wheel_fire(std::shared_ptr<void> owner) override {
    auto self = std::static_pointer_cast<session_impl>(std::move(owner));
    auto ex = socket_.get_executor();
    net::post(ex, [self = std::move(self)] {
      self->armed_ = false;
      self->drive(clock::now());
    });
  }

  void shut_down() noexcept {
    error_code ignored;
    socket_.shutdown(net::socket_base::shutdown_both, ignored);
    socket_.close(ignored);
    if (wheel_)
      wheel_->cancel(*this);
    else
      heartbeat_timer_->cancel();
    armed_ = false;
    const auto ex = socket_.get_executor();
    dead_waiters_.wake_all(ex);
    read_waiters_.wake_all(ex);
    write_waiters_.wake_all(ex);
  }
};

/// Completes a session operation on its handler's associated executor (Asio's
/// `complete()` calls the handler in the current context, which may be the session's).
/// Two overloads rather than a variadic template, so that a literal 0 converts to the
/// size at the call (a deduced `int` would convert inside, a -Wsign-conversion warning).
template <class Self>
void complete_op(Self& self, error_code ec) {
  auto ex = self.get_executor();
  net::dispatch(ex, [self = std::move(self), ec]() mutable { self.complete(ec); });
}
template <class Self>
void complete_op(Self& self, error_code ec, std::size_t n) {
  auto ex = self.get_executor();
  net::dispatch(ex, [self = std::move(self), ec, n]() mutable { self.complete(ec, n); });
}

/// The first step of the session's operations: they go on from the session's executor
/// (never inside the initiating call, never on another thread than the session's), and,
/// for operations that have taken nothing yet, any cancellation type can end them
/// without side effect. Returns true when `self` was posted.
template <class Self, class Executor>
bool start_op(bool& started, Self& self, const Executor& session_executor,
              bool any_cancellation = true) {
  if (started) return false;
  started = true;
  if (any_cancellation) self.reset_cancellation_state(net::enable_total_cancellation());
  net::post(session_executor, std::move(self));
  return true;
}

/// Counts a user read or write operation from its start to the destruction of its state
/// (after its handler has run), so that a session draining after the peer's FIN knows
/// whether the application still reads and whether replies are on their way.
template <class Impl, bool Write>
class user_op_guard {
 public:
  user_op_guard() noexcept = default;
  user_op_guard(user_op_guard&& other) noexcept : s_(std::exchange(other.s_, nullptr)) {}
  user_op_guard& operator=(user_op_guard&&) = delete;
  ~user_op_guard() {
    if (s_) s_->on_user_op_end(Write);
  }
  void attach(Impl* s) noexcept {
    if (s_) return;
    s_ = s;
    s_->on_user_op_begin(Write);
  }

 private:
  Impl* s_ = nullptr;
};

template <class Impl>
struct wait_dead_op {
  std::shared_ptr<Impl> s;
  bool started = false;

  template <class Self>
  void operator()(Self& self, error_code = {}) {
    if (start_op(started, self, s->socket_.get_executor())) return;
    if (s->dead_) return complete_op(self, s->reason_);
    if (s->closed_ || self.get_cancellation_state().cancelled() != net::cancellation_type::none)
      return complete_op(self, net::error::operation_aborted);
    s->park(s->dead_waiters_, self);
  }
};

template <class Impl, class Buffers>
struct read_op {
  std::shared_ptr<Impl> s;
  Buffers buffers;
  bool started = false;
  user_op_guard<Impl, false> guard{};

  template <class Self>
  void operator()(Self& self, error_code = {}) {
    guard.attach(s.get());
    if (start_op(started, self, s->socket_.get_executor())) return;
    if (net::buffer_size(buffers) == 0) return complete_op(self, error_code(), 0);
    if (s->closed_ && !s->dead_) return complete_op(self, net::error::operation_aborted, 0);
    if (s->held() > 0) {
      const std::size_t n = s->take(buffers);
      return complete_op(self, error_code(), n);
    }
    if (s->dead_) return complete_op(self, s->final_error(), 0);
    if (s->read_closed_) return complete_op(self, net::error::eof, 0);
    if (self.get_cancellation_state().cancelled() != net::cancellation_type::none)
      return complete_op(self, net::error::operation_aborted, 0);
    s->park(s->read_waiters_, self);
  }
};

template <class Impl, class Buffers>
struct write_op {
  std::shared_ptr<Impl> s;
  Buffers buffers;
  enum class state { starting, waiting, writing } st = state::starting;
  std::size_t chunk = 0;
  std::size_t at_once = 0;  // bytes (header included) the kernel took without waiting
  user_op_guard<Impl, true> guard{};

  template <class Self>
  void operator()(Self& self, error_code ec = {}, std::size_t written = 0) {
    switch (st) {
      case state::starting:
        guard.attach(s.get());
        st = state::waiting;
        net::post(s->socket_.get_executor(), std::move(self));
        return;
      case state::waiting:
        break;
      case state::writing:
        s->on_user_written(ec, at_once + written, true);
        if (s->dead_ || s->closed_) return complete_op(self, s->final_error(), 0);
        return complete_op(self, error_code(), chunk);
    }
    if (s->dead_ || s->closed_) return complete_op(self, s->final_error(), 0);
    // The first non-empty buffer: like a socket's write_some, a call may write less than
    // the whole sequence.
    net::const_buffer first;
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
         ++it) {
      first = net::const_buffer(*it);
      if (first.size() > 0) break;
    }
    if (first.size() == 0) return complete_op(self, error_code(), 0);
    if (self.get_cancellation_state().cancelled() != net::cancellation_type::none)
      return complete_op(self, net::error::operation_aborted, 0);
    if (!s->acquire_writer(self)) return;
    const char* data = static_cast<const char*>(first.data());
    std::size_t header_size = 0;
    chunk = Impl::ops::user_chunk(s->encoder_, data, first.size(), s->max_write_chunk_,
                                  s->user_header_, header_size);
    s->writing_ = true;
    st = state::writing;
    const std::array<net::const_buffer, 2> out{net::buffer(s->user_header_.data(), header_size),
                                               net::buffer(data, chunk)};
    at_once = s->write_at_once(out, ec);
    if (ec || at_once == header_size + chunk) {
      // Written at once (we run in a posted handler, so completing here is not inline).
      s->on_user_written(ec, at_once, false);
      if (s->dead_ || s->closed_) return complete_op(self, s->final_error(), 0);
      return complete_op(self, error_code(), chunk);
    }
    // The writer is ours until completion: per-operation cancellation is not passed on
    // (a half-written frame would corrupt the stream).
    s->on_user_write_waiting();
    auto rest = out;
    std::size_t skip = at_once;
    for (auto& b : rest) {
      const std::size_t k = (std::min)(skip, b.size());
      b += k;
      skip -= k;
    }
    auto& socket = s->socket_;
    net::async_write(socket, rest,
                     net::bind_cancellation_slot(net::cancellation_slot(), std::move(self)));
  }
};

template <class Impl, class DynamicBuffer>
struct read_message_op {
  std::shared_ptr<Impl> s;
  DynamicBuffer buffer;
  bool started = false;
  user_op_guard<Impl, false> guard{};

  template <class Self>
  void operator()(Self& self, error_code = {}) {
    guard.attach(s.get());
    if (start_op(started, self, s->socket_.get_executor())) return;
    if (s->closed_ && !s->dead_) return finish(self, net::error::operation_aborted, 0);
    if (s->message_ready()) {
      if (s->message_size() > buffer.max_size() - buffer.size())
        return finish(self, net::error::no_buffer_space, 0);
      const std::size_t n = s->take_message(buffer);
      return finish(self, error_code(), n);
    }
    if (s->dead_) return finish(self, s->final_error(), 0);
    if (s->read_closed_) return finish(self, net::error::eof, 0);
    if (self.get_cancellation_state().cancelled() != net::cancellation_type::none)
      return finish(self, net::error::operation_aborted, 0);
    s->set_message_read_pending(true);
    if (s->dead_) return finish(self, s->final_error(), 0);  // the message cannot fit
    s->park(s->read_waiters_, self);
  }

  template <class Self>
  void finish(Self& self, const error_code& ec, std::size_t n) {
    s->set_message_read_pending(false);
    complete_op(self, ec, n);
  }
};

template <class Impl, class Buffers>
struct write_message_op {
  std::shared_ptr<Impl> s;
  std::vector<net::const_buffer> parts;  // the message, empty pieces left out
  std::size_t total = 0;
  std::size_t sent = 0;
  std::size_t part = 0;    // next piece to send from
  std::size_t offset = 0;  // bytes of parts[part] already sent
  std::size_t chunk = 0;
  bool started = false;
  bool writing = false;
  bool first_frame_sent = false;
  std::size_t at_once = 0;  // bytes of the current frame the kernel took without waiting
  std::vector<net::const_buffer> out;
  user_op_guard<Impl, true> guard{};

  write_message_op(std::shared_ptr<Impl> impl, const Buffers& buffers) : s(std::move(impl)) {
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
         ++it) {
      net::const_buffer b(*it);
      if (b.size() == 0) continue;
      parts.push_back(b);
      total += b.size();
    }
  }

  template <class Self>
  void operator()(Self& self, error_code ec = {}, std::size_t written = 0) {
    guard.attach(s.get());
    if (start_op(started, self, s->socket_.get_executor(), false)) return;
    if (writing) {
      writing = false;
      s->on_user_written(ec, at_once + written, true);
      if (s->dead_ || s->closed_) return complete_op(self, s->final_error(), sent);
      sent += chunk;
      first_frame_sent = true;
      if (sent == total) return complete_op(self, error_code(), total);
    }
    for (;;) {
      if (!start_frame(self)) return;
      // The whole frame went out at once: on to the next one without another trip
      // through the executor.
      sent += chunk;
      first_frame_sent = true;
      if (sent == total) return complete_op(self, error_code(), total);
    }
  }

  /// Writes the next frame. False when the operation is waiting or has completed; true
  /// when the frame was written at once.
  template <class Self>
  bool start_frame(Self& self) {
    if (s->dead_ || s->closed_) {
      complete_op(self, s->final_error(), sent);
      return false;
    }
    // Once a frame of the message is out, the message must be finished: a half-sent
    // message would leave the peer's decoder inside it.
    if (!first_frame_sent &&
        self.get_cancellation_state().cancelled() != net::cancellation_type::none) {
      complete_op(self, net::error::operation_aborted, 0);
      return false;
    }
    if (!s->acquire_writer(self)) return false;

    const std::size_t remaining = total - sent;
    chunk = s->encoder_.chunk_size(remaining, s->max_write_chunk_);
    const auto header = s->encoder_.data_header(chunk, remaining > chunk);
    std::copy(header.begin(), header.end(), s->user_header_.begin());
    out.clear();
    out.push_back(net::buffer(s->user_header_.data(), header.size()));
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
    s->writing_ = true;
    error_code ec;
    at_once = s->write_at_once(out, ec);
    if (ec || at_once == header.size() + chunk) {
      s->on_user_written(ec, at_once, false);
      if (s->dead_ || s->closed_) {
        complete_op(self, s->final_error(), sent);
        return false;
      }
      return true;
    }
    writing = true;
    s->on_user_write_waiting();
    // Not cancellable once going out (see write_op). `out` is copied by async_write.
    std::size_t skip = at_once;
    for (auto& b : out) {
      const std::size_t k = (std::min)(skip, b.size());
      b += k;
      skip -= k;
    }
    auto& socket = s->socket_;
    const auto buffers = out;
    net::async_write(socket, buffers,
                     net::bind_cancellation_slot(net::cancellation_slot(), std::move(self)));
    return false;
  }
};

}  // namespace detail

namespace detail {

/// A session operation, or, on a moved-from session (no state), an operation that
/// completes with bad_descriptor (and 0 bytes when the signature has a size): posted first,
/// so that it never completes inside the initiating call, then completed on the handler's
/// associated executor. One operation type either way, so that deferred tokens see one
/// return type.
template <class Op, bool WithSize>
struct unless_moved_from {
  Op op;
  bool moved_from;
  bool started = false;

  template <class Self, class... Args>
  void operator()(Self& self, Args&&... args) {
    if (!moved_from) return op(self, std::forward<Args>(args)...);
    if (start_op(started, self, self.get_executor())) return;
    if constexpr (WithSize) {
      complete_op(self, net::error::bad_descriptor, std::size_t(0));
    } else {
      complete_op(self, net::error::bad_descriptor);
    }
  }
};

}  // namespace detail

template <class Socket, class Policy>
session<Socket, Policy>::session(Socket socket, core::side side, const options_type& options)
    : ex_(socket.get_executor()),
      impl_(std::make_shared<detail::session_impl<Socket, Policy>>(std::move(socket), side,
                                                                     options)) {
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
  if (!closed_socket_) closed_socket_ = std::make_unique<Socket>(ex_);
  return *closed_socket_;
}

template <class Socket, class Policy>
const Socket& session<Socket, Policy>::next_layer() const noexcept {
  return const_cast<session*>(this)->next_layer();
}

template <class Socket, class Policy>
const keepalive_report& session<Socket, Policy>::keepalive() const noexcept {
  static const keepalive_report none{};
  return impl_ ? impl_->keepalive_ : none;
}

template <class Socket, class Policy>
core::detector_stats session<Socket, Policy>::stats() const {
  return impl_ ? impl_->detector_.stats() : core::detector_stats{};
}

template <class Socket, class Policy>
bool session<Socket, Policy>::is_open() const noexcept {
  return impl_ && impl_->socket_.is_open();
}

template <class Socket, class Policy>
bool session<Socket, Policy>::is_dead() const noexcept {
  return impl_ && impl_->dead_;
}

template <class Socket, class Policy>
error_code session<Socket, Policy>::reason() const noexcept {
  return impl_ ? impl_->reason_ : error_code();
}

template <class Socket, class Policy>
void session<Socket, Policy>::close() noexcept {
  if (impl_) impl_->close();
}

// Each operation goes through detail::unless_moved_from, with the stored executor as the
// I/O executor (the socket's, or the one a moved-from session kept).

template <class Socket, class Policy>
template <class CompletionToken>
auto session<Socket, Policy>::async_wait_dead(CompletionToken&& token) {
  using impl_type = detail::session_impl<Socket, Policy>;
  using op = detail::wait_dead_op<impl_type>;
  return net::async_compose<CompletionToken, void(error_code)>(
      detail::unless_moved_from<op, false>{op{impl_}, !impl_}, token, ex_);
}

template <class Socket, class Policy>
template <class MutableBufferSequence, class ReadToken>
auto session<Socket, Policy>::async_read_some(const MutableBufferSequence& buffers,
                                              ReadToken&& token) {
  using impl_type = detail::session_impl<Socket, Policy>;
  using op = detail::read_op<impl_type, MutableBufferSequence>;
  return net::async_compose<ReadToken, void(error_code, std::size_t)>(
      detail::unless_moved_from<op, true>{op{impl_, buffers}, !impl_}, token, ex_);
}

template <class Socket, class Policy>
template <class ConstBufferSequence, class WriteToken>
auto session<Socket, Policy>::async_write_some(const ConstBufferSequence& buffers,
                                               WriteToken&& token) {
  using impl_type = detail::session_impl<Socket, Policy>;
  using op = detail::write_op<impl_type, ConstBufferSequence>;
  return net::async_compose<WriteToken, void(error_code, std::size_t)>(
      detail::unless_moved_from<op, true>{op{impl_, buffers}, !impl_}, token, ex_);
}

template <class Socket, class Policy>
template <class DynamicBuffer, class ReadToken>
auto session<Socket, Policy>::async_read_message(DynamicBuffer&& buffer, ReadToken&& token) {
  static_assert(std::is_same_v<typename Policy::codec, codec::length_prefixed>,
                "async_read_message needs a codec with message boundaries "
                "(heartbeat::ping_pong<codec::length_prefixed>)");
  using impl_type = detail::session_impl<Socket, Policy>;
  using op = detail::read_message_op<impl_type, std::decay_t<DynamicBuffer>>;
  return net::async_compose<ReadToken, void(error_code, std::size_t)>(
      detail::unless_moved_from<op, true>{op{impl_, std::forward<DynamicBuffer>(buffer)},
                                          !impl_},
      token, ex_);
}

template <class Socket, class Policy>
template <class ConstBufferSequence, class WriteToken>
auto session<Socket, Policy>::async_write_message(const ConstBufferSequence& buffers,
                                                  WriteToken&& token) {
  static_assert(std::is_same_v<typename Policy::codec, codec::length_prefixed>,
                "async_write_message needs a codec with message boundaries "
                "(heartbeat::ping_pong<codec::length_prefixed>)");
  using impl_type = detail::session_impl<Socket, Policy>;
  using op = detail::write_message_op<impl_type, ConstBufferSequence>;
  return net::async_compose<WriteToken, void(error_code, std::size_t)>(
      detail::unless_moved_from<op, true>{op(impl_, buffers), !impl_}, token, ex_);
}

}  // namespace liveness

#endif  // LIVENESS_IMPL_SESSION_HPP
