//
// liveness/heartbeat.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Heartbeat policies: the second template argument of `liveness::session`.
//
//   heartbeat::none                 TCP keepalive only; nothing is added to the stream.
//   heartbeat::idle_timeout         any inbound byte within `timeout` proves life; nothing is
//                                   added to the stream (for protocols with their own
//                                   traffic).
//   heartbeat::ping_pong<Codec>     pings after `interval` of silence, dead when nothing
//                                   arrives within `timeout` of a ping; answers the peer's
//                                   pings; ping and pong frames are carved out of the byte
//                                   stream by `Codec` (codec::line,
//                                   codec::length_prefixed, codec::mqtt or your own:
//                                   docs/codec.md).
//
#ifndef LIVENESS_HEARTBEAT_HPP
#define LIVENESS_HEARTBEAT_HPP

#include <liveness/codec/length_prefixed.hpp>
#include <liveness/codec/line.hpp>
#include <liveness/codec/raw.hpp>
#include <liveness/config.hpp>
#include <liveness/core/detector.hpp>
#include <liveness/core/detector_none.hpp>

#include <cstddef>
#include <string>

namespace liveness {

/// Which end sends pings in `ping_pong` mode (`opts.heartbeat.pinger`); both ends always
/// answer pings. See `core::ping_role` for the values.
using core::ping_role;

namespace heartbeat {

/// TCP keepalive alone: death is a keepalive timeout, a reset or a graceful close.
struct none {
  struct options {
    static constexpr options standard() noexcept { return {}; }
    /// Always succeeds (nothing to check).
    error_code validate() const noexcept { return {}; }
  };
  using codec = codec::raw;
  /// Counts the traffic, holds no heartbeat state (`core::none_detector`).
  using detector_type = core::none_detector;
  static core::none_detector make_detector(const options&, role, core::time_point now) {
    return core::none_detector(now);
  }
  static typename codec::options codec_options(const options&) { return {}; }
};

/// Reader idle: dead (`error::idle_timeout`) when nothing at all arrived for `timeout`.
struct idle_timeout {
  /// `opts.heartbeat.timeout`: the longest silence (see `core::idle_timeout_options`).
  using options = core::idle_timeout_options;
  using codec = codec::raw;
  static core::detector make_detector(const options& o, role, core::time_point now) {
    return core::detector(o, now);
  }
  static typename codec::options codec_options(const options&) { return {}; }
};

/// Application ping/pong carried in the stream by `Codec`.
template <class Codec>
struct ping_pong {
  /// Flat: the timing and the flood guard of `core::ping_pong_options`
  /// (`opts.heartbeat.interval`, `.timeout`, `.pinger`, `.min_ping_interval`,
  /// `.max_ping_strikes`), agreement (`.hello`, `.too_many_pings`: with codecs that carry
  /// it, `codec::carries_agreement_v`), and the codec's options at `opts.heartbeat.codec`.
  struct options : core::ping_pong_options {
    /// How pings and pongs look in the stream, and the size limits.
    typename Codec::options codec = Codec::options::standard();

    /// Ping after 15 s of silence, dead 10 s later (within 25 s); both ends ping.
    static options standard() { return options{}; }

    /// Ping after 2 s of silence, dead 3 s later (within 5 s); both ends ping.
    static options aggressive() {
      options o;
      static_cast<core::ping_pong_options&>(o) = core::ping_pong_options::aggressive();
      return o;
    }

    /// The timing and flood guard's `validate()`, then the codec's.
    error_code validate() const {
      if (auto ec = core::ping_pong_options::validate()) return ec;
      return codec.validate();
    }
  };
  using codec = Codec;
  static core::detector make_detector(const options& o, role local, core::time_point now) {
    core::ping_pong_options po = o;
    // Agreement needs a codec that carries its frames: without one, nothing can change
    // the schedule, and the detection bound stays interval + timeout.
    if constexpr (!liveness::codec::carries_agreement_v<Codec>) po.hello = po.too_many_pings = false;
    return core::detector(po, local, now);
  }
  static typename codec::options codec_options(const options& o) { return o.codec; }
};

/// The classic application heartbeat of the Delphi and C# servers this library grew from,
/// for `heartbeat::ping_pong<codec::line>`: the server sends the bare text "Msgtest" after
/// 2 s of silence (or of receiving data while writing nothing), the client answers "OK"
/// (no terminators, each a read of its own; see `codec::line_framing::bare`), no pong is
/// ever sent unasked (`progress_pongs` off), and the exact timing is that of
/// `core::ping_pong_options::msgtest_ok()` (dead 5 s after the first unanswered ping).
inline ping_pong<codec::line>::options msgtest_ok() {
  ping_pong<codec::line>::options o;
  static_cast<core::ping_pong_options&>(o) = core::ping_pong_options::msgtest_ok();
  o.codec = codec::line_options::msgtest_ok();
  return o;
}

}  // namespace heartbeat
}  // namespace liveness

#endif  // LIVENESS_HEARTBEAT_HPP
