//
// liveness/core/detector_types.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// What a detector answers (`action`, `poll_result`) and what it reports about the
// connection (`detector_stats`); the detector itself is in <liveness/core/detector.hpp>.
//
#ifndef LIVENESS_CORE_DETECTOR_TYPES_HPP
#define LIVENESS_CORE_DETECTOR_TYPES_HPP

#include <liveness/config.hpp>
#include <liveness/core/agreement.hpp>
#include <liveness/core/clock.hpp>
#include <liveness/error.hpp>

#include <chrono>
#include <cstdint>
#include <optional>

namespace liveness {
namespace core {

/// What the session should do after `detector::poll`.
enum class action {
  /// Nothing. Re-arm the timer at `next_deadline()`.
  none,
  /// Write one ping frame now (between user frames, never behind a long write).
  send_ping,
  /// The peer is dead for `poll_result::reason`. Reported exactly once.
  peer_dead,
};

/// The answer of `detector::poll`.
struct poll_result {
  /// What to do.
  action kind = action::none;
  /// Why the peer is dead (`kind == action::peer_dead`); empty otherwise.
  error_code reason;
};

/// Counters and times of one detector. Times are as passed in by the caller.
struct detector_stats {
  /// When the detector was started (constructed or `reset`).
  time_point started{};
  /// When the peer last sent anything (bytes, ping or pong); empty if never.
  std::optional<time_point> last_received;
  /// When we last wrote anything; empty if never.
  std::optional<time_point> last_sent;
  /// Round-trip time of the most recent ping answered in time; empty if none yet.
  std::optional<duration> last_rtt;
  /// Smoothed RTT (RFC 6298: SRTT = 7/8 SRTT + 1/8 sample); empty if no sample yet.
  std::optional<duration> smoothed_rtt;
  /// RTT variation (RFC 6298: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - sample|).
  std::optional<duration> rtt_variation;
  /// Bytes reported through `on_received` / `on_sent` (saturating).
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
  /// Pings this end asked for (`action::send_ping`) and pongs that came back. These and
  /// the other counts of heartbeat events below are kept in 32 bits and stop at
  /// 4,294,967,295 (saturating); only the byte counts go to 2^64 - 1.
  std::uint64_t pings_sent = 0;
  std::uint64_t pongs_received = 0;
  /// Pings the peer sent, pongs written for them, and pings left without a pong of their
  /// own because one was still pending (coalesced).
  std::uint64_t pings_received = 0;
  std::uint64_t pongs_sent = 0;
  std::uint64_t pongs_coalesced = 0;
  /// Pongs this end wrote unasked, as proof of reading (see `detector::take_progress_pong`);
  /// also counted in `pongs_sent`.
  std::uint64_t progress_pongs = 0;
  /// Pings this end sent as proof of reading instead, because
  /// `ping_pong_options::progress_pongs` is off: after `interval` of receiving user data
  /// while writing nothing (see `take_progress_pong`); also counted in `pings_sent`.
  std::uint64_t progress_pings = 0;
  /// Our pings in a row that went without a pong within `timeout` while the peer was
  /// evidently alive (other traffic arrived). Reset by a pong.
  std::uint32_t consecutive_misses = 0;
  /// The peer's too-early pings in a row (see `ping_pong_options::min_ping_interval`).
  std::uint32_t ping_strikes = 0;

  // Agreement (ping_pong_options::hello, ::too_many_pings; docs/session.md).
  /// The ping interval in force (mode `ping_pong`; zero otherwise): the options'
  /// `interval`, raised by the peer's hello or doubled by its "too many pings" notices,
  /// at most `ping_pong_options::max_agreed_interval()`.
  duration ping_interval = duration::zero();
  /// How long this end waits for a silent peer when it does not ping (mode `ping_pong`;
  /// zero otherwise): `interval + timeout`, raised by a pinging peer's hello to what its
  /// schedule needs, at most `max_agreed_interval() + timeout`.
  duration peer_silence_limit = duration::zero();
  /// The peer's hello, once one arrived (the latest).
  std::optional<hello_values> peer_hello;
  /// Times `ping_interval` doubled on the peer's "too many pings" notice.
  std::uint32_t ping_interval_backoffs = 0;
  /// "Too many pings" notices received, and sent (each rode on a pong, or went as an
  /// unasked pong of its own when the answer was coalesced).
  std::uint64_t too_many_pings_received = 0;
  std::uint64_t too_many_pings_sent = 0;
  /// Times the peer asked for more than this end allows (a hello's `min_ping_interval`,
  /// or a notice, beyond `max_agreed_interval()`; a hello promising a schedule slower
  /// than `max_agreed_interval() + timeout` of silence): this end kept to its own bound.
  std::uint32_t agreement_clamped = 0;

  /// How long the peer has been silent at `now`: since `last_received`, or since
  /// `started` if nothing was ever received. Never negative.
  duration silent_for(time_point now) const noexcept;
};

}  // namespace core
}  // namespace liveness

#endif  // LIVENESS_CORE_DETECTOR_TYPES_HPP
