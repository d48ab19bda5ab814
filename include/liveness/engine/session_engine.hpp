//
// liveness/engine/session_engine.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// engine::session_engine<Codec>: the session's logic without I/O. It owns the detector,
// the decoder and encoder, the inbox, and the decision of what to write next. It is told
// facts (bytes received at `now`, the peer's FIN, a write done and whether it had to wait
// for the peer's window, time passing) and answers with actions (wake the readers or the
// writers, the peer died, evaluate again soon), the next heartbeat frames to write and the
// next deadline. No Asio include (tests/unit/core_without_asio_test.cpp checks it), so
// every rule is tested with core::manual_clock and no sleeps
// (tests/unit/engine_session_test.cpp). The Asio shell is liveness/impl/session/.
//
#ifndef LIVENESS_ENGINE_SESSION_ENGINE_HPP
#define LIVENESS_ENGINE_SESSION_ENGINE_HPP

#include <liveness/codec/codec.hpp>
#include <liveness/config.hpp>
#include <liveness/core/clock.hpp>
#include <liveness/core/detector.hpp>
#include <liveness/core/detector_none.hpp>
#include <liveness/engine/inbox.hpp>
#include <liveness/error.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace liveness {
namespace engine {

/// The session options the engine applies (see `session_options` for their meaning).
struct limits {
  std::size_t max_write_chunk = 64 * 1024;
  std::size_t read_buffer_limit = 1024 * 1024;
  core::duration message_timeout = core::duration::zero();        // zero: off
  core::duration first_message_timeout = core::duration::zero();  // zero: off
  core::duration close_linger = std::chrono::seconds(5);          // zero: off
};

namespace detail {
template <class Codec, class = void>
struct codec_shared {
  // A codec without shared state: its decoder and encoder are made from its options.
  using type = typename Codec::options;
  static type make(const typename Codec::options& o) { return o; }
};
template <class Codec>
struct codec_shared<Codec, std::void_t<typename Codec::shared_state>> {
  // A codec with shared state (codec::line): one copy for every session of a config.
  using type = std::shared_ptr<const typename Codec::shared_state>;
  static type make(const typename Codec::options& o) { return Codec::make_shared_state(o); }
};
}  // namespace detail

/// The immutable configuration of an engine: its limits and what its decoder and encoder
/// are made from. Shared (`std::shared_ptr<const config>`) by every engine made from equal
/// options, so that a session does not carry a copy of it.
template <class Codec>
struct config {
  /// Throws `system_error` when the codec options are invalid (a codec with shared state
  /// validates them here).
  config(const typename Codec::options& codec_options, const limits& l)
      : session_limits(l), codec(detail::codec_shared<Codec>::make(codec_options)) {}
  engine::limits session_limits;
  /// The codec's shared state (`Codec::shared_state`, e.g. the line codec's texts) or,
  /// for a codec without, its options.
  typename detail::codec_shared<Codec>::type codec;
};

/// What the I/O layer must do after a fact, besides writing `take_heartbeats()`, reading
/// while `wants_read()` and arming `next_deadline()`.
struct actions {
  /// Parked reads may complete: data, a whole message or the peer's FIN arrived.
  bool wake_readers = false;
  /// The writer is free: a parked write may go.
  bool wake_writers = false;
  /// The peer was declared dead by this fact (`reason()`), or the session closed: close
  /// the socket, cancel the deadline, wake every parked operation.
  bool shut_down = false;
  /// Call `on_time` again once the handlers already queued have run (a draining session
  /// may be done once the reads and writes just woken have had their turn).
  bool evaluate_soon = false;

  actions& operator|=(const actions& o) noexcept {
    wake_readers |= o.wake_readers;
    wake_writers |= o.wake_writers;
    shut_down |= o.shut_down;
    evaluate_soon |= o.evaluate_soon;
    return *this;
  }
};

/// The session's logic, for any codec meeting the Codec requirements (docs/codec.md).
/// `Detector`: `core::detector`, or `core::none_detector` for a session without heartbeat
/// (`heartbeat::none`), which then holds no heartbeat state.
/// Thread safety: none (the session calls it from its strand).
template <class Codec, class Detector = core::detector>
class session_engine {
  static_assert(codec::is_codec_v<Codec>,
                "liveness: the policy's codec does not meet the Codec requirements "
                "(docs/codec.md): options, decoder, encoder, has_messages and their members");

 public:
  using codec_type = Codec;
  using detector_type = Detector;
  using time_point = core::time_point;
  using duration = core::duration;

  /// An engine started at `now`. Throws `system_error` when the codec options are invalid.
  session_engine(Detector detector, const typename Codec::options& codec_options,
                 const engine::limits& l, time_point now);
  /// The same with a configuration that other engines share (not null).
  session_engine(Detector detector, std::shared_ptr<const engine::config<Codec>> config,
                 time_point now);

  // ---- facts: inbound ------------------------------------------------------------------

  /// `size` bytes (more than zero) were read from the peer at `now`: one read, all its
  /// bytes. They go to the codec's `feed` in one call, so read boundaries reach the codec
  /// (the line codec's `bare` framing takes a read that is exactly heartbeat texts for
  /// heartbeats; docs/codec.md). Call it once per socket read.
  actions on_received(time_point now, const char* data, std::size_t size);
  /// Like `on_received`, for `size` bytes read straight into the application's buffer at
  /// `data` while the inbox holds nothing: the decoder runs there and the user bytes among
  /// them are moved to the front of the buffer in place (heartbeats and frame headers
  /// stripped, nothing copied through the inbox); `delivered` is set to their count. User
  /// bytes that cannot be put there (bytes a decoder held back from an earlier read that
  /// no longer fit before the ones read now) go to the inbox after them, in order, and
  /// wake the readers. When the inbox holds bytes it decodes as `on_received` does
  /// (`delivered` zero).
  actions on_received_in_place(time_point now, char* data, std::size_t size,
                               std::size_t& delivered);
  /// True when a read of `buffer_size` bytes may go straight into the application's
  /// buffer (`on_received_in_place`): no message read waits, and either the codec decodes
  /// the same however the stream is cut into reads (its decoder's optional
  /// `splits_anywhere()`, docs/codec.md) or the buffer is at least `in_place_min_read`
  /// bytes, as large as the session's own reads.
  bool reads_in_place(std::size_t buffer_size) const noexcept;
  static constexpr std::size_t in_place_min_read = 64 * 1024;
  /// The peer closed its sending side (FIN).
  actions on_eof(time_point now);
  /// Reading or the connection failed for `reason` (a `liveness::error`).
  actions on_transport_error(time_point now, const error_code& reason);
  /// Time passed: the deadline expired, or `evaluate_soon` asked for it.
  actions on_time(time_point now);

  // ---- outbound: the writer (one write at a time: heartbeats or one user chunk) --------

  /// True while a heartbeat write or a user chunk is going out.
  bool writer_busy() const noexcept { return writing_; }
  /// The heartbeat frames to write now (the writer is then busy until
  /// `on_heartbeats_written`), or empty: none wanted, the writer is busy, or our own
  /// stream is in the middle of a unit that a heartbeat must not split. In this order:
  /// the hello (first of all, once, with a codec that carries agreement frames and
  /// `ping_pong_options::hello` on), the pong owed (carrying a "too many pings" notice
  /// when the detector asks for one; a notice whose ping was coalesced goes as a pong of
  /// its own), the ping. The caller owns the frames (keep them until they are written);
  /// the engine keeps no copy, so a session pays nothing for them between heartbeats.
  std::string take_heartbeats();
  /// The frames of `take_heartbeats` were written (`bytes`).
  actions on_heartbeats_written(time_point now, std::size_t bytes);
  /// Frames the next chunk of the `size` user bytes at `data` (see the codec's
  /// `frame_chunk`; `one_message`: they are the rest of one message). Returns its size;
  /// the writer is busy until `on_user_written` or `on_write_failed`.
  std::size_t begin_user_chunk(const char* data, std::size_t size, bool one_message,
                               codec::chunk_header& header);
  /// The rest of the user chunk waits for the peer's receive window.
  void on_user_write_waiting(time_point now);
  /// The user chunk was written (`bytes` with its header). `waited`: it had to wait for the
  /// peer's receive window, whose opening proves that the peer reads.
  actions on_user_written(time_point now, std::size_t bytes, bool waited);
  /// A write failed for `reason`: the writer is free and the peer dead.
  actions on_write_failed(time_point now, const error_code& reason);

  // ---- the application -----------------------------------------------------------------

  /// A user read or write operation started / ended (a draining session waits for them).
  void on_user_op_begin(bool write) noexcept { ++(write ? user_writes_ : user_reads_); }
  actions on_user_op_end(bool write) noexcept;
  /// A user read operation has started and not ended.
  bool user_read_pending() const noexcept { return user_reads_ > 0; }
  /// A message read waits (true) or no longer waits (false) for a whole message.
  actions set_message_read_pending(time_point now, bool pending);
  /// The held bytes; the application read `n` of them / the next whole message.
  const engine::inbox& inbox() const noexcept { return inbox_; }
  void consume(time_point now, std::size_t n);
  void consume_message(time_point now);
  /// The application closed the session (asks for a shutdown unless the peer's death
  /// already did).
  actions close() noexcept;
  /// Nothing held will be read any more (the application let the session go after
  /// `close`): the inbox's bytes and storage go.
  void discard_held() noexcept { inbox_.discard(); }

  // ---- state ---------------------------------------------------------------------------

  /// Read the socket now: alive, open, not draining, room in the inbox.
  bool wants_read() const noexcept {
    return !dead_ && !closed_ && !read_closed_ && !inbox_.full();
  }
  /// When `on_time` must run next; empty: never (no deadline, or the session is over).
  std::optional<time_point> next_deadline() const noexcept;
  bool dead() const noexcept { return dead_; }
  bool closed() const noexcept { return closed_; }
  /// The peer's FIN arrived and the session drains.
  bool read_closed() const noexcept { return read_closed_; }
  /// Why the peer is dead (empty while alive): the detector's reason, which is the first
  /// one given (a detector that had already decided keeps its own).
  error_code reason() const noexcept { return dead_ ? detector_.reason() : error_code(); }
  const Detector& detector() const noexcept { return detector_; }

 private:
  struct decode_events;
  struct in_place_events;
  actions die(time_point now, const error_code& reason);
  actions check_message_fits(time_point now);
  void track_units(bool unit_done, time_point now) noexcept;
  bool message_overdue(time_point now) const noexcept;

  const engine::limits& limits() const noexcept { return config_->session_limits; }

  std::shared_ptr<const engine::config<Codec>> config_;
  time_point started_at_;
  Detector detector_;
  typename Codec::decoder decoder_;
  typename Codec::encoder encoder_;
  engine::inbox inbox_;
  time_point unit_started_{};     // slowloris guard: when the open unit began arriving
  time_point linger_deadline_{};  // the peer's FIN: the session drains until then
  // User operations started and not ended (pending at once: far fewer than 2^32).
  std::uint32_t user_writes_ = 0;
  std::uint32_t user_reads_ = 0;
  // Flags, as bits (all false at construction: no default member initialisers for
  // bit-fields before C++20).
  bool message_read_pending_ : 1;
  bool writing_ : 1;          // a heartbeat write or a user chunk is going out
  bool ping_wanted_ : 1;
  bool pong_wanted_ : 1;
  bool hello_wanted_ : 1;     // the hello has not been taken yet
  bool notice_wanted_ : 1;    // a "too many pings" notice is owed
  bool ping_out_ : 1;         // the heartbeat write in progress carries a ping / a pong
  bool pong_out_ : 1;
  bool dead_ : 1;
  bool closed_ : 1;
  bool unit_open_ : 1;        // a line, frame or message has begun arriving
  bool first_unit_seen_ : 1;  // one has ended
  bool read_closed_ : 1;      // the peer's FIN arrived
};

}  // namespace engine
}  // namespace liveness

#include <liveness/engine/impl/session_engine.hpp>

#endif  // LIVENESS_ENGINE_SESSION_ENGINE_HPP
