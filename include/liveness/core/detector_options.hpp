//
// liveness/core/detector_options.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The detector's options: which end this is, which end pings, and the options of the
// idle_timeout and ping_pong modes (see detector.hpp). Sans-I/O, like the detector.
//
#ifndef LIVENESS_CORE_DETECTOR_OPTIONS_HPP
#define LIVENESS_CORE_DETECTOR_OPTIONS_HPP

#include <liveness/config.hpp>
#include <liveness/core/clock.hpp>
#include <liveness/error.hpp>
#include <liveness/role.hpp>

#include <chrono>
#include <cstdint>

namespace liveness {
namespace core {

/// Which end sends pings in `ping_pong` mode. Both ends always answer pings.
enum class ping_role {
  /// Only the client pings; the server answers.
  client,
  /// Only the server pings; the client answers (the classic "server sends Msgtest" scheme).
  server,
  /// Both ends ping after their own `interval` of silence. Since any inbound traffic
  /// (including the peer's ping) resets the silence, an idle link carries about one
  /// ping/pong pair per interval, sometimes two.
  both,
  /// Neither end of this configuration pings: this end only answers, and relies on the
  /// peer's pings as proof of life.
  answer_only,
};

/// Options of the `idle_timeout` mode. A plain aggregate.
struct idle_timeout_options {
  /// Longest silence from the peer (no byte received) before it is declared dead with
  /// `error::idle_timeout`. Must be greater than zero; `duration::max()` means never.
  duration timeout = std::chrono::seconds(60);

  /// Dead after 60 s of silence: for protocols whose peers talk at least every minute.
  static constexpr idle_timeout_options standard() noexcept { return {}; }

  /// Success, or `error::heartbeat_invalid_options` when `timeout` is not positive.
  error_code validate() const noexcept;
};

/// Options of the `ping_pong` mode. A plain aggregate: start from a preset and change what
/// you need.
///
/// Detection bound: a pinging end declares a silent peer dead `interval + timeout` after
/// the last byte it received (plus however late its timer fires). An end that does not
/// ping declares the peer dead after `interval + timeout` of silence too: set them to the
/// peer's schedule (the peer should ping at least every `interval`).
struct ping_pong_options {
  /// Silence (nothing received) after which a ping is sent. Any inbound byte restarts it,
  /// so a busy link carries no pings. Must be greater than zero.
  duration interval = std::chrono::seconds(15);
  /// How long after a ping something (anything) must arrive. Must be greater than zero;
  /// `duration::max()` means never.
  duration timeout = std::chrono::seconds(10);
  /// Which end pings; see `ping_role`.
  ping_role pinger = ping_role::both;
  /// Ping flood guard, with `max_ping_strikes`. The guard is on when both are non-zero
  /// (the default) and has two rules; either one ends the connection with
  /// `error::ping_flood`:
  ///
  /// 1. Strikes (pings back to back): a ping that arrives sooner than `min_ping_interval`
  ///    after the peer's previous ping, with no user data between them and not in the
  ///    same read (the same `now`), is a strike; more than `max_ping_strikes` strikes in a
  ///    row end the connection. A ping at least `min_ping_interval` after the previous
  ///    one, or user data between two pings, clears the strikes.
  ///
  /// 2. Answer budget (whatever lies between the pings): the pongs the peer's pings make
  ///    us write (pings for which `detector::on_ping_received` returns true; pings
  ///    coalesced into a pending pong cost nothing, so pings of one read cost one) may
  ///    come in a burst of `ping_burst()` and then at one per `min_ping_interval` on
  ///    average. Precisely: each answered ping at time t sets
  ///    `paid = max(paid, t) + min_ping_interval` (`paid` starts at the detector's start)
  ///    and ends the connection instead when `paid - t` would exceed
  ///    `ping_burst() * min_ping_interval`. So within any span of length W at most
  ///    `ping_burst() + W / min_ping_interval` pings are answered, and a peer that keeps
  ///    making us answer faster than one per `min_ping_interval` is cut off after at
  ///    most `ping_burst() * min_ping_interval / (min_ping_interval - its period)` (about
  ///    65 pings at 1000 pings/s with the defaults, which is 65 ms).
  ///
  /// Why two rules: user data between pings clears rule 1, because a sender's pings that
  /// queued behind its bulk data reach a slow reader as fast as it reads, however far
  /// apart they were sent. Such pings are sent at most once per the sender's `interval`
  /// (at least `min_ping_interval`, see `validate`), so on average they stay within the
  /// budget, and a backlog may deliver `ping_burst()` of them at once (64 by default: 128 s
  /// of a 2 s-interval sender's pings queued up) before the budget runs dry. A flooder
  /// that puts a byte of data between its pings is stopped by rule 2.
  ///
  /// The default, 100 ms, is far below any sensible heartbeat interval (a conforming peer
  /// pings at most once per its own `interval`), so only a misbehaving peer is cut off.
  /// Zero turns the guard off. Must not be negative.
  duration min_ping_interval = std::chrono::milliseconds(100);
  /// Ping flood guard: strikes in a row that are tolerated (rule 1 above); the next one
  /// ends the connection with `error::ping_flood`. Also sizes the answer budget (rule 2):
  /// `ping_burst() == 16 * (max_ping_strikes + 1)`. Zero tolerates any number (guard off,
  /// both rules), as in gRPC's GRPC_ARG_HTTP2_MAX_PING_STRIKES.
  std::uint32_t max_ping_strikes = 3;
  /// A pinging end also pings when it has *sent* nothing for `interval`, however much it
  /// receives. For protocols whose peer wants to hear from us within a bound (MQTT's
  /// keep-alive: a broker drops a client that sent nothing for 1.5 x its keep-alive, even
  /// while the client receives a steady stream; see docs/codec.md). Such an end writes
  /// something at least every `interval`, so it writes no progress pongs (its pings tell
  /// the peer that it is there). No effect on an end that does not ping. Off by default.
  bool ping_after_own_silence = false;

  /// Proof of reading (see `detector::take_progress_pong`). An end that keeps receiving
  /// the peer's user data while writing nothing for `interval` tells the peer that it
  /// reads: with `true` (the default) by writing a pong unasked (a "progress pong").
  ///
  /// With `false` no pong is ever written unasked: every pong answers a ping. This is for
  /// peers that take an unasked pong for garbage, such as the classic Msgtest/OK clients
  /// (a client that sends data would otherwise receive an unasked "OK" every `interval`).
  /// An end that pings proves its reading with a ping instead (a "progress ping": sent
  /// after `interval` of receiving user data without writing, as after `interval` of
  /// silence; the peer answers it, which classic peers do). An end that does not ping
  /// (the client under `ping_role::server`, the server under `ping_role::client`, both
  /// under `answer_only`) then writes nothing unasked, and this is what is lost:
  ///  - when the peer sends us bulk data and we write nothing, the peer's ping waits
  ///    behind that data and reaches us only once we have read everything before it; if
  ///    reading up to it takes longer than the peer's `timeout` and none of the peer's
  ///    writes had to wait for our receive window meanwhile (which would prove to it that
  ///    we read), the peer declares us dead with `error::heartbeat_timeout` although we
  ///    are reading. Keep `timeout` well above the time we need to read what the peer
  ///    can have in flight.
  ///  - a peer that does not ping and only uploads to us hears nothing from us; unless
  ///    it pings or its writes wait for our window, it declares us dead `interval +
  ///    timeout` after our last byte. (A pinging peer is not affected: with
  ///    `progress_pongs` off it sends progress pings, with it on we send progress pongs.)
  /// Any value is valid.
  bool progress_pongs = true;

  /// Agreement (docs/session.md, "Two ends that agree"): at connect, tell the peer this
  /// end's heartbeat expectations (`interval`, `timeout`, the `min_ping_interval` it
  /// accepts, whether it pings) in a hello, and follow the peer's hello: ping no faster
  /// than the peer accepts (the interval becomes `max(interval, peer's min_ping_interval)`)
  /// and, as an end that does not ping, time the peer out no sooner than its own schedule
  /// lets it speak (ZMTP 3.1's HEARTBEAT_TTL). Both within `max_agreed_interval()`: a peer
  /// asking for more is clamped there (`detector_stats::agreement_clamped`), never beyond
  /// this end's own bound. Only codecs that carry agreement frames
  /// (`codec::carries_agreement_v`: `codec::length_prefixed`) send or read a hello; the
  /// hello is a pong with a payload, which an end without this feature (liveness 0.2)
  /// takes for an ordinary unasked pong, so either end may turn it on alone.
  ///
  /// Off by default: it puts a frame (22 bytes) on the wire at connect that 0.2 never
  /// sent, which a hand-written peer reading the stream byte for byte would see, and it
  /// lets the peer slow our pings (within the bound above). Without it two ends still
  /// settle a mismatch through `too_many_pings` (after a few strikes); with it on both
  /// ends, there are none.
  bool hello = false;

  /// Agreement: before cutting the peer off with `error::ping_flood`, tell it "too many
  /// pings": the pong that answers each too-early ping (a strike, or a ping answered
  /// while more than half of the answer budget is spent) carries the notice, so it costs
  /// no frame of its own unless that pong was coalesced. An end receiving the notice
  /// doubles its ping interval, up to `max_agreed_interval()` (gRPC's GOAWAY
  /// too_many_pings rule); see `detector_stats::ping_interval_backoffs`. A peer that
  /// ignores it is still cut off. Only with codecs that carry agreement frames. On by
  /// default: the notice only adds a payload to a pong that was owed anyway, which a peer
  /// without this feature takes as the answer it waits for.
  bool too_many_pings = true;

  /// The longest ping interval agreement may lead this end to (the peer's hello, its "too
  /// many pings" notices): `max(interval, timeout)`. A pinging end's detection bound then
  /// stays within `max_agreed_interval() + timeout`, and a peer with the same options that
  /// does not ping (it waits `interval + timeout` for us) still hears from us in time.
  /// The same limit caps how long an end that does not ping waits for a pinging peer
  /// that announced a slower schedule: `max_agreed_interval() + timeout` of silence.
  duration max_agreed_interval() const noexcept;

  /// The detection bound once agreement has stretched it as far as it may:
  /// `max_agreed_interval() + timeout` (saturating) when `hello` or `too_many_pings` is on,
  /// else `detection_bound()`. Equal to `detection_bound()` whenever `interval >= timeout`
  /// (every `session_options::within()` result).
  duration agreed_detection_bound() const noexcept;

  /// The answer budget's burst: `16 * (max_ping_strikes + 1)` answered pings (64 by
  /// default). See `min_ping_interval`.
  std::uint64_t ping_burst() const noexcept;

  /// Ping after 15 s of silence, dead 10 s later: a silent peer is found within 25 s.
  static constexpr ping_pong_options standard() noexcept { return {}; }

  /// Ping after 2 s of silence, dead 3 s later: within 5 s. Costs a ping/pong pair every
  /// 2 s on an idle link.
  static constexpr ping_pong_options aggressive() noexcept {
    return {std::chrono::seconds(2), std::chrono::seconds(3), ping_role::both,
            std::chrono::milliseconds(100), 3};
  }

  /// The classic application heartbeat (the seeds' Delphi server: `SendText('Msgtest')`
  /// every 2 s, a client that has not answered `'OK'` is closed after 5 s), with
  /// `interval` 2 s, `timeout` 5 s, `pinger` `ping_role::server`, `progress_pongs` off (no
  /// unasked "OK" ever reaches a client). Pair with `codec::line_options::msgtest_ok()`.
  /// Exactly (plus however late a timer fires):
  ///  - the server sends "Msgtest" after 2 s in which nothing arrived from the client, and
  ///    (a progress ping) after 2 s in which it wrote nothing while the client's data kept
  ///    arriving; like the classic server's timer, a client that sends data still gets a
  ///    "Msgtest" every 2 s unless the server writes to it.
  ///  - the server declares the client dead (`error::heartbeat_timeout`) when nothing at
  ///    all (an "OK" or any other byte) arrives within 5 s of a "Msgtest": 5 s after the
  ///    first unanswered ping, so 7 s after the client's last byte when the client fell
  ///    silent with no ping outstanding. A ping that the client's bytes followed but no
  ///    "OK" answered is counted as missed 5 s after it was sent and a fresh "Msgtest"
  ///    then gets its own 5 s: at most 10 s after the client's last byte in that case.
  ///  - the client sends nothing unasked: one "OK" per "Msgtest" (pings of one read, or
  ///    that arrive while an "OK" is still being written, are answered once). It declares
  ///    the server dead (`error::heartbeat_timeout`) 7 s (`interval + timeout`) after the
  ///    last byte it received from the server (a "Msgtest" or data), or after the last
  ///    sign that the server reads the client's data (a write of the client's that had
  ///    waited for the server's receive window went out), whichever is later; not while
  ///    its own application leaves received data unread. Against a server that pings
  ///    every 2 s, that is 5 s after the first "Msgtest" that failed to come.
  static constexpr ping_pong_options msgtest_ok() noexcept {
    ping_pong_options o{std::chrono::seconds(2), std::chrono::seconds(5), ping_role::server,
                        std::chrono::milliseconds(100), 3};
    o.progress_pongs = false;
    return o;
  }

  /// Success, or `error::heartbeat_invalid_options` when `interval` or `timeout` is not
  /// positive, `min_ping_interval` is negative, or larger than `interval` while the flood
  /// guard is on (two such ends would cut each other off), or `pinger` is not a `ping_role`
  /// value.
  error_code validate() const noexcept;

  /// `interval + timeout` (saturating): the longest silence before a peer is declared dead,
  /// as long as the peer asks for no slower pace (see `agreed_detection_bound()`).
  duration detection_bound() const noexcept;
};

}  // namespace core
}  // namespace liveness

#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/core/impl/detector_options.ipp>
#endif

#endif  // LIVENESS_CORE_DETECTOR_OPTIONS_HPP
