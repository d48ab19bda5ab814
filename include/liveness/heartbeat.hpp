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
//                                   stream by `Codec` (codec::line or
//                                   codec::length_prefixed).
//
#ifndef LIVENESS_HEARTBEAT_HPP
#define LIVENESS_HEARTBEAT_HPP

#include <liveness/codec/length_prefixed.hpp>
#include <liveness/codec/line.hpp>
#include <liveness/codec/raw.hpp>
#include <liveness/config.hpp>
#include <liveness/core/detector.hpp>

#include <cstddef>
#include <string>

namespace liveness {
namespace heartbeat {

/// TCP keepalive alone: death is a keepalive timeout, a reset or a graceful close.
struct none {
  struct options {
    static constexpr options standard() noexcept { return {}; }
  };
  using codec = codec::raw;
  static core::detector make_detector(const options&, core::side, core::time_point now) {
    return core::detector(now);
  }
  static typename codec::options codec_options(const options&) { return {}; }
};

/// Reader idle: dead (`error::idle_timeout`) when nothing at all arrived for `timeout`.
struct idle_timeout {
  using options = core::idle_timeout_options;
  using codec = codec::raw;
  static core::detector make_detector(const options& o, core::side, core::time_point now) {
    return core::detector(o, now);
  }
  static typename codec::options codec_options(const options&) { return {}; }
};

/// Application ping/pong carried in the stream by `Codec`.
template <class Codec>
struct ping_pong {
  struct options {
    /// When to ping, how long to wait, who pings, the ping-flood guard.
    core::ping_pong_options heartbeat = core::ping_pong_options::standard();
    /// How pings and pongs look in the stream, and the size limits.
    typename Codec::options codec = Codec::options::standard();
  };
  using codec = Codec;
  static core::detector make_detector(const options& o, core::side side,
                                      core::time_point now) {
    return core::detector(o.heartbeat, side, now);
  }
  static typename codec::options codec_options(const options& o) { return o.codec; }
};

}  // namespace heartbeat
}  // namespace liveness

#endif  // LIVENESS_HEARTBEAT_HPP
