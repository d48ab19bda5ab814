//
// liveness/core/detector.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The dead-peer detector: a sans-I/O state machine that decides when to ping and when the
// peer is dead. No sockets, no timers, no Asio: the caller reports what happened and the
// current time, and asks what to do next.
//
// How a session drives it:
//
//   on every inbound chunk       det.on_received(now, n), then feed the codec; for each
//                                ping:  if (det.on_ping_received(now)) queue one pong
//                                pong:  det.on_pong_received(now)
//                                data:  det.on_data_received(now)
//                                  if (det.take_too_many_pings()) that pong (or, when
//                                  none is owed, a pong of its own) carries the notice
//                                  pong with an agreement payload (core/agreement.hpp):
//                                         det.on_pong_received(now), then
//                                         det.on_hello_received(now, v) or
//                                         det.on_too_many_pings_received(now)
//   at connect, with own_hello()  write it (a pong carrying it), before anything else
//   when a pong has been written det.on_pong_sent(now)
//   when bytes were written      det.on_sent(now, n)
//   facts about our own side     det.on_ping_held(now) (a wanted ping cannot go out yet),
//                                det.on_reading_paused(now, b), det.on_write_waiting(now, b)
//   after any of the above and   auto r = det.poll(now);
//   when the timer expires         r.kind == action::send_ping -> write one ping
//                                  r.kind == action::peer_dead -> report r.reason, stop
//                                if (det.take_progress_pong(now)) queue one pong
//                                arm the one timer at det.next_deadline() (none: disarm);
//                                after poll it lies after now, so no loop is needed
//
// Three modes, one type (so a session needs one member whatever its policy):
//  - none:          never declares anything (TCP keepalive alone guards the connection).
//  - idle_timeout:  dead (`error::idle_timeout`) when nothing was received for `timeout`.
//  - ping_pong:     ping after `interval` with nothing received; dead
//                   (`error::heartbeat_timeout`) when nothing is received within `timeout`
//                   of the ping; answers the peer's pings (coalesced); measures RTT; cuts
//                   off a peer that pings too often, whatever it sends between its pings
//                   (`error::ping_flood`; see `ping_pong_options::min_ping_interval`);
//                   proves its own reading to a peer whose data it receives while writing
//                   nothing (a progress pong, or with `progress_pongs` off a progress ping);
//                   agrees with the peer on the pace (the hello, "too many pings" and the
//                   doubling rule: `ping_pong_options::hello`, `::too_many_pings`).
//
#ifndef LIVENESS_CORE_DETECTOR_HPP
#define LIVENESS_CORE_DETECTOR_HPP

#include <liveness/config.hpp>
#include <liveness/core/agreement.hpp>
#include <liveness/core/clock.hpp>
#include <liveness/core/detector_options.hpp>
#include <liveness/core/detector_types.hpp>
#include <liveness/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace liveness {
namespace core {

/// The detector's mode; chosen by the constructor.
enum class detector_mode {
  none,
  idle_timeout,
  ping_pong,
};

/// The dead-peer state machine. See the top of this header for how a session drives it.
///
/// Every function takes the current time `now` from the caller. Time must not go
/// backwards; if it does, the detector treats an earlier `now` as the latest one it has
/// seen. All time arithmetic saturates, so `duration::max()` options and extreme time
/// points are safe.
///
/// Once the peer is declared dead the detector stays dead: `poll` reports
/// `action::peer_dead` exactly once, later events change no state (only the traffic
/// counters), and `next_deadline()` is empty.
///
/// A plain copyable value. Thread safety: distinct objects: safe; shared object: unsafe.
class detector {
 public:
  /// A detector in mode `none`, started at `now`: it never declares the peer dead on its
  /// own (only through `declare_dead`).
  explicit detector(time_point now = time_point{}) noexcept;

  /// A detector in mode `idle_timeout`, started at `now` (silence is measured from here
  /// until the first byte arrives).
  ///
  /// Throws `liveness::system_error` with the `options.validate()` error if the options
  /// are invalid.
  detector(const idle_timeout_options& options, time_point now);

  /// A detector in mode `ping_pong` for end `local` of the connection (which decides, with
  /// `options.pinger`, whether this end pings), started at `now`.
  ///
  /// Throws `liveness::system_error` with the `options.validate()` error if the options
  /// are invalid.
  detector(const ping_pong_options& options, role local, time_point now);

  /// The mode chosen at construction.
  detector_mode mode() const noexcept { return mode_; }

  /// True in mode `ping_pong` when this end sends pings (by `pinger` and this end's `role`).
  bool sends_pings() const noexcept { return sends_pings_; }

  /// Forgets everything (state, statistics, death) and starts again at `now` with the same
  /// options, as for a new connection.
  void reset(time_point now) noexcept;

  // ---- events -------------------------------------------------------------------------

  /// `bytes` bytes arrived from the peer (call for every inbound chunk, before feeding it
  /// to the codec; heartbeat frames included). Any byte is proof of life. Zero bytes are
  /// no traffic (only `now` is taken as the latest time).
  void on_received(time_point now, std::size_t bytes) noexcept;

  /// The codec decoded a ping from the peer. Counts as inbound traffic.
  ///
  /// Returns true when the caller should write a pong now. Returns false when a pong is
  /// already pending (written pongs are reported by `on_pong_sent`): pongs are coalesced,
  /// at most one is ever pending, so a peer that floods pings or never reads cannot make us
  /// queue without limit. Also false outside mode `ping_pong` and once dead.
  ///
  /// Ping flood guard (both rules: see `ping_pong_options::min_ping_interval`): a ping
  /// within `min_ping_interval` of the previous one with nothing between is a strike, and
  /// more than `max_ping_strikes` strikes in a row declare the peer dead with
  /// `error::ping_flood`; so does a ping that would be answered beyond the answer budget,
  /// whatever came between the pings. Death is reported by the next `poll`;
  /// `next_deadline()` is then due. A ping that ends the connection returns false.
  bool on_ping_received(time_point now) noexcept;

  /// The pong asked for by `on_ping_received` has been written (its bytes left our queue).
  /// Until then no further pong is asked for.
  void on_pong_sent(time_point now) noexcept;

  /// The codec decoded a pong from the peer. Counts as inbound traffic. If it answers our
  /// outstanding ping, the ping is settled: RTT is sampled and the miss count cleared.
  /// Unsolicited or late pongs only count as traffic.
  void on_pong_received(time_point now) noexcept;

  /// `bytes` bytes were written to the peer (any frame). Statistics only: our own sending
  /// proves nothing about the peer, and does not delay our pings.
  /// With `ping_pong_options::ping_after_own_silence`, a pinging end also pings once it
  /// has written nothing here for `interval`.
  void on_sent(time_point now, std::size_t bytes) noexcept;

  /// The peer showed life without sending: a write of ours that was waiting for the peer's
  /// receive window (flow control) made progress, so the peer is reading.
  ///
  /// In mode `ping_pong` this keeps an outstanding ping from killing the connection when
  /// its pong is stuck behind our own bulk data in the peer's buffers: the ping then counts
  /// as missed instead (see `detector_stats::consecutive_misses`) and another is sent.
  /// An end that does not ping (answer-only, or the non-pinging side of a one-sided role)
  /// restarts its silence deadline: a peer reading our upload is alive even when it has
  /// nothing to send and no reason to ping. It does not count as received data and does
  /// not delay pings. No effect in the other modes (they watch inbound traffic only).
  void on_peer_progress(time_point now) noexcept;

  /// The codec handed user data (not a heartbeat frame) to the application's side. In
  /// mode `ping_pong` this arms the progress pong (see `take_progress_pong`) and clears the
  /// ping strikes: pings with user data between them are no strikes (a sender's pings
  /// queued behind its bulk data reach a slow reader as fast as it reads, however far
  /// apart they were sent). The answer budget still applies to them.
  void on_data_received(time_point now) noexcept;

  /// In mode `ping_pong` with `ping_pong_options::progress_pongs` on (the default): true
  /// (once) when this end has been receiving user data but has written nothing for
  /// `interval`. The caller then writes a pong, unasked, and reports it with
  /// `on_pong_sent` like any pong (until then no other pong is asked for). With
  /// `progress_pongs` off it is always false; an end that pings then gets the same proof
  /// across as a ping (`poll` asks for one at that moment), an end that does not ping
  /// sends nothing (see `ping_pong_options::progress_pongs` for what is lost).
  ///
  /// Why: a peer that sends us bulk data writes its pings behind that data, so they reach
  /// us only after we have read everything before them. If we read slowly, the peer's ping
  /// times out although we are alive and reading. The progress pong travels the other,
  /// empty direction at once and tells the peer that we are reading. It also keeps an
  /// answer-only peer that uploads to us from finding us silent. An idle link carries
  /// none (no user data), and a two-way busy link none either (we write anyway).
  ///
  /// Call it right after every `poll`: a progress pong that `poll` finds due is left for
  /// this call and no longer counts in `next_deadline()` (which thus lies after `now`
  /// after `poll`). Until it is taken (or something is written, or a pong is asked for),
  /// it stays due. Progress pongs do not count against the ping answer budget.
  bool take_progress_pong(time_point now) noexcept;

  /// The ping asked for by `poll` was actually written now: its timeout (and the RTT
  /// sample) counts from here rather than from the `poll`. A session whose writer is busy
  /// calls this when the ping goes out; calling it again while the ping still cannot go
  /// out keeps the heartbeat suspended (keepalive still guards the connection).
  void on_ping_sent(time_point now) noexcept;

  /// The ping asked for by `poll` cannot be written yet: our own outbound stream is in
  /// the middle of a unit (a user line) that the ping must not split. Its timeout, and
  /// the RTT sample, start when it is written (`on_ping_sent`); until then the heartbeat
  /// waits (TCP keepalive still guards the connection). Call it at each evaluation while
  /// the ping is held. No effect without an outstanding ping.
  void on_ping_held(time_point now) noexcept;

  /// Our reads of the peer's bytes are paused (`true`) because our application is not
  /// reading, or resumed (`false`). While paused, whatever the peer sends waits in our
  /// buffers: its silence is ours, not the peer's, and counts as progress (as
  /// `on_peer_progress` at each `poll`), unless a write of ours has waited for the peer's
  /// receive window (`on_write_waiting`) for `timeout`: a peer that neither reads our data
  /// nor can be heard is not kept alive by the data it sent long ago.
  void on_reading_paused(time_point now, bool paused) noexcept;

  /// A write of ours waits (`true`) for the peer's receive window (flow control), or no
  /// longer does (`false`: it was written, or failed). See `on_reading_paused`.
  void on_write_waiting(time_point now, bool waiting) noexcept;

  // ---- agreement (ping_pong_options::hello, ::too_many_pings) ---------------------------

  /// The hello this end sends at connect (its `interval`, `timeout`, accepted
  /// `min_ping_interval`, whether it pings). Empty unless mode `ping_pong` with `hello` on.
  std::optional<hello_values> own_hello() const noexcept;

  /// The codec decoded the peer's hello (a pong with a hello payload: report the pong with
  /// `on_pong_received` too). A pinging end pings no faster than the peer accepts:
  /// `ping_interval = max(current, min(max(interval, v.min_ping_interval),
  /// max_agreed_interval()))`. An end that does not ping waits for a pinging peer as long
  /// as its schedule needs: `peer_silence_limit = max(interval + timeout, the peer's
  /// interval (raised to our min_ping_interval as it will) + its timeout)`, at most
  /// `max_agreed_interval() + timeout`. Clamping counts in `agreement_clamped`. Ignored
  /// with `hello` off, outside mode `ping_pong` and once dead.
  void on_hello_received(time_point now, const hello_values& v) noexcept;

  /// The codec decoded the peer's "too many pings" notice (a pong: report it with
  /// `on_pong_received` too). A pinging end doubles `ping_interval`, at most
  /// `max_agreed_interval()` (already there: `agreement_clamped`). Counted always; acted on
  /// only with `too_many_pings` on, in mode `ping_pong`, while alive.
  void on_too_many_pings_received(time_point now) noexcept;

  /// True (once per notice) when the pong owed for the peer's latest ping should carry a
  /// "too many pings" notice: the ping was a strike that did not end the connection, or
  /// it was answered with more than half of the answer budget spent. At most one per
  /// ping received, so at most `max_ping_strikes` per run of strikes. The caller sends it
  /// on the pong it writes for that ping, or as a pong of its own when the ping was
  /// coalesced; either way it is counted in `too_many_pings_sent` here. Always false with
  /// `too_many_pings` off.
  bool take_too_many_pings() noexcept;

  /// Declares the peer dead for `reason` (e.g. a codec or transport error), so that death
  /// is reported through the same path. The first reason wins; an empty `reason` and calls
  /// after death are ignored. The next `poll` reports it.
  void declare_dead(time_point now, const error_code& reason) noexcept;

  // ---- decisions ----------------------------------------------------------------------

  /// Advances the state machine to `now` and says what to do. Call it when the timer set
  /// to `next_deadline()` expires, and after reporting events.
  ///
  /// At most one action per call; after it, `next_deadline()` lies after `now` (after the
  /// latest time seen, if `now` went backwards) or is empty, so the caller never needs to
  /// loop. A progress pong that is due is not an action: `poll` leaves it for
  /// `take_progress_pong`, to be called next. Calling early is harmless (returns
  /// `action::none`).
  poll_result poll(time_point now) noexcept;

  /// When `poll` should next be called: the single timer to arm. Empty when nothing can
  /// happen without new events (mode `none`, or after death was reported). Includes when a
  /// progress pong falls due (until a `poll` finds it due). May lie in the past only
  /// before the next `poll` (a death waiting to be reported, events since the last poll,
  /// or a late caller): then poll at once.
  std::optional<time_point> next_deadline() const noexcept;

  // ---- observers ----------------------------------------------------------------------

  /// True once the peer has been declared dead (whether or not `poll` reported it yet).
  bool is_dead() const noexcept { return state_ != state::alive; }

  /// Why the peer was declared dead; empty while alive.
  error_code reason() const noexcept { return reason_; }

  /// True while one of our pings awaits its pong (at most one ever does).
  bool ping_outstanding() const noexcept { return ping_outstanding_; }

  /// True while a pong was asked for and not yet reported written.
  bool pong_pending() const noexcept { return pong_pending_; }

  /// Counters and times; see `detector_stats`. A snapshot, by value (the detector keeps
  /// them in a compact form).
  detector_stats stats() const noexcept;

  /// The options' `interval` (ping_pong), or zero.
  duration interval() const noexcept { return interval_; }

  /// The ping interval in force (ping_pong: `stats().ping_interval`), or zero.
  duration ping_interval() const noexcept { return ping_interval_; }

  /// The worst-case heartbeat bound of this detector: `interval + timeout` (ping_pong;
  /// `max_agreed_interval() + timeout` when agreement is on, see
  /// `ping_pong_options::agreed_detection_bound()`), `timeout` (idle_timeout), or
  /// `duration::max()` (none).
  duration detection_bound() const noexcept;

  /// The options' `timeout` (idle_timeout, ping_pong), or zero.
  duration timeout() const noexcept { return timeout_; }

 private:
  enum class state : std::uint8_t { alive, dead_pending, dead_reported };

  void observe(time_point now) noexcept;
  void heard(time_point now) noexcept;
  void die(const error_code& reason) noexcept;
  poll_result report_death() noexcept;
  bool paused_reading_is_progress() const noexcept;
  time_point progress_ping_due() const noexcept;
  void sample_rtt(duration rtt) noexcept;
  /// The last on_sent with bytes, or the start.
  time_point last_written() const noexcept {
    return have_sent_ ? stats_.last_sent : stats_.started;
  }

  // What stats() reports, without std::optional (flags below) and without the values
  // the detector holds anyway (ping_interval_, peer_silence_limit_).
  struct counters {
    time_point started{};
    time_point last_received{};  // have_received_
    time_point last_sent{};      // have_sent_
    duration last_rtt{};         // have_rtt_ (the three)
    duration smoothed_rtt{};
    duration rtt_variation{};
    duration hello_interval{};  // the peer's hello (have_hello_, hello_pings_)
    duration hello_timeout{};
    duration hello_min_ping_interval{};
    std::uint64_t bytes_received = 0;
    std::uint64_t bytes_sent = 0;
    // Events: 32 bits each, saturating (detector_stats widens them), to keep the state of
    // every session small (issue 16).
    std::uint32_t pings_sent = 0;
    std::uint32_t pongs_received = 0;
    std::uint32_t pings_received = 0;
    std::uint32_t pongs_sent = 0;
    std::uint32_t pongs_coalesced = 0;
    std::uint32_t progress_pongs = 0;
    std::uint32_t progress_pings = 0;
    std::uint32_t too_many_pings_received = 0;
    std::uint32_t too_many_pings_sent = 0;
    std::uint32_t consecutive_misses = 0;
    std::uint32_t ping_strikes = 0;
    std::uint32_t ping_interval_backoffs = 0;
    std::uint32_t agreement_clamped = 0;
  };

  // configuration
  duration interval_ = duration::zero();
  duration timeout_ = duration::zero();
  duration min_ping_interval_ = duration::zero();
  duration max_agreed_interval_ = duration::zero();
  // Answer budget (GCRA): how far ahead of now the time when every pong the peer made us
  // write is paid for may lie (ping_burst * min_ping_interval; zero: guard off).
  duration answer_tolerance_ = duration::zero();
  std::uint32_t max_ping_strikes_ = 0;

  // state
  std::uint32_t late_pongs_ = 0;                    // pongs still owed for missed pings
  duration ping_interval_ = duration::zero();       // in force (agreement)
  duration peer_silence_limit_ = duration::zero();  // ends that do not ping (agreement)
  error_code reason_;
  time_point now_{};            // latest time seen
  time_point last_heard_{};     // last inbound traffic, or the start
  time_point last_progress_{};  // last on_peer_progress (ends that do not ping)
  time_point dead_at_{};        // when death was declared
  time_point ping_sent_{};      // when the outstanding ping was asked for
  time_point last_ping_received_{};
  time_point answer_budget_at_{};     // when every pong so far is paid for (GCRA)
  time_point write_waiting_since_{};  // when the write of on_write_waiting began to wait
  counters stats_;

  // Flags together, as bits (no default member initialisers for bit-fields before C++20):
  // the options' are set by every constructor, the state's by reset(), which every
  // constructor calls.
  detector_mode mode_ = detector_mode::none;
  state state_ = state::alive;
  bool sends_pings_ : 1;
  bool ping_after_own_silence_ : 1;  // ping_pong_options::ping_after_own_silence
  bool progress_pongs_ : 1;          // ping_pong_options::progress_pongs
  bool hello_ : 1;                   // ping_pong_options::hello
  bool too_many_pings_ : 1;          // ping_pong_options::too_many_pings
  bool notice_due_ : 1;              // the pong owed should carry "too many pings"
  bool have_ping_received_ : 1;
  bool ping_outstanding_ : 1;
  bool heard_since_ping_ : 1;        // traffic or progress since the outstanding ping
  bool pong_pending_ : 1;
  bool data_since_written_ : 1;      // user data received since last_written()
  bool progress_due_ : 1;            // poll found the progress pong due; not yet taken
  bool reading_paused_ : 1;          // on_reading_paused
  bool write_waiting_ : 1;           // on_write_waiting
  bool have_received_ : 1;           // stats: last_received is set
  bool have_sent_ : 1;               // last_sent (and last_written())
  bool have_rtt_ : 1;                // the RTT figures
  bool have_hello_ : 1;              // peer_hello
  bool hello_pings_ : 1;             // peer_hello->pings
};


}  // namespace core
}  // namespace liveness

#include <liveness/core/impl/detector.hpp>
#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/core/impl/detector.ipp>
#endif

#endif  // LIVENESS_CORE_DETECTOR_HPP
