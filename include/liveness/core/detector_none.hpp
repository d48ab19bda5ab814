//
// liveness/core/detector_none.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// core::none_detector: what `core::detector` does in mode `none` (count the traffic, never
// declare the peer dead on its own), without the state of the other modes. A
// `heartbeat::none` session uses it, so that it pays nothing for heartbeat state: about
// 100 bytes instead of `sizeof(core::detector)`. Same member functions as
// `core::detector` (see detector.hpp for each), same answers as a `core::detector(now)`,
// except that `stats()` returns its `detector_stats` by value.
//
#ifndef LIVENESS_CORE_DETECTOR_NONE_HPP
#define LIVENESS_CORE_DETECTOR_NONE_HPP

#include <liveness/config.hpp>
#include <liveness/core/detector.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>

namespace liveness {
namespace core {

/// The detector of mode `none` alone. A plain copyable value. Thread safety: distinct
/// objects: safe; shared object: unsafe.
class none_detector {
 public:
  /// Started at `now`.
  explicit none_detector(time_point now = time_point{}) noexcept : started_(now), now_(now) {}

  detector_mode mode() const noexcept { return detector_mode::none; }
  bool sends_pings() const noexcept { return false; }
  void reset(time_point now) noexcept { *this = none_detector(now); }

  // ---- events (as core::detector in mode none) -----------------------------------------
  void on_received(time_point now, std::size_t bytes) noexcept {
    observe(now);
    if (bytes == 0) return;
    detail::add_counter(bytes_received_, bytes);
    heard();
  }
  bool on_ping_received(time_point now) noexcept {
    observe(now);
    heard();
    detail::increment(pings_received_);
    return false;
  }
  void on_pong_sent(time_point now) noexcept {
    observe(now);
    detail::increment(pongs_sent_);
  }
  void on_pong_received(time_point now) noexcept {
    observe(now);
    heard();
    detail::increment(pongs_received_);
  }
  void on_sent(time_point now, std::size_t bytes) noexcept {
    observe(now);
    if (bytes == 0) return;
    detail::add_counter(bytes_sent_, bytes);
    last_sent_ = now_;
    flags_ |= have_sent;
  }
  void on_peer_progress(time_point now) noexcept { observe(now); }
  void on_data_received(time_point now) noexcept { observe(now); }
  bool take_progress_pong(time_point now) noexcept {
    observe(now);
    return false;
  }
  void on_ping_sent(time_point now) noexcept { observe(now); }
  void on_ping_held(time_point now) noexcept { observe(now); }
  void on_reading_paused(time_point now, bool) noexcept { observe(now); }
  void on_write_waiting(time_point now, bool) noexcept { observe(now); }

  // ---- agreement: none in this mode ------------------------------------------------------
  std::optional<hello_values> own_hello() const noexcept { return std::nullopt; }
  void on_hello_received(time_point now, const hello_values&) noexcept { observe(now); }
  void on_too_many_pings_received(time_point now) noexcept {
    observe(now);
    detail::increment(too_many_pings_received_);
  }
  bool take_too_many_pings() noexcept { return false; }

  void declare_dead(time_point now, const error_code& reason) noexcept {
    observe(now);
    if (!reason || state_ != state::alive) return;
    state_ = state::dead_pending;
    reason_ = reason;
  }

  // ---- decisions -------------------------------------------------------------------------
  poll_result poll(time_point now) noexcept {
    observe(now);
    if (state_ != state::dead_pending) return {};
    state_ = state::dead_reported;
    return {action::peer_dead, reason_};
  }
  /// The time of death until `poll` reported it, then nothing.
  std::optional<time_point> next_deadline() const noexcept {
    if (state_ == state::dead_pending) return now_;
    return std::nullopt;
  }

  // ---- observers -------------------------------------------------------------------------
  bool is_dead() const noexcept { return state_ != state::alive; }
  error_code reason() const noexcept { return reason_; }
  bool ping_outstanding() const noexcept { return false; }
  bool pong_pending() const noexcept { return false; }
  /// The counters and times (those of mode `none`; the others are zero or empty).
  detector_stats stats() const noexcept {
    detector_stats s;
    s.started = started_;
    if (flags_ & have_received) s.last_received = last_received_;
    if (flags_ & have_sent) s.last_sent = last_sent_;
    s.bytes_received = bytes_received_;
    s.bytes_sent = bytes_sent_;
    s.pings_received = pings_received_;
    s.pongs_received = pongs_received_;
    s.pongs_sent = pongs_sent_;
    s.too_many_pings_received = too_many_pings_received_;
    return s;
  }
  duration interval() const noexcept { return duration::zero(); }
  duration ping_interval() const noexcept { return duration::zero(); }
  duration detection_bound() const noexcept { return duration::max(); }
  duration timeout() const noexcept { return duration::zero(); }

 private:
  enum class state : std::uint8_t { alive, dead_pending, dead_reported };
  static constexpr std::uint8_t have_received = 1;
  static constexpr std::uint8_t have_sent = 2;

  void observe(time_point now) noexcept {
    if (now > now_) now_ = now;
  }
  void heard() noexcept {
    last_received_ = now_;
    flags_ |= have_received;
  }

  time_point started_;
  time_point now_;  // latest time seen
  time_point last_received_{};
  time_point last_sent_{};
  std::uint64_t bytes_received_ = 0;
  std::uint64_t bytes_sent_ = 0;
  // Heartbeat frames only reach a none detector through a codec that decodes them. Events:
  // 32 bits, saturating, as core::detector's.
  std::uint32_t pings_received_ = 0;
  std::uint32_t pongs_received_ = 0;
  std::uint32_t pongs_sent_ = 0;
  std::uint32_t too_many_pings_received_ = 0;
  error_code reason_;
  state state_ = state::alive;
  std::uint8_t flags_ = 0;
};

}  // namespace core
}  // namespace liveness

#endif  // LIVENESS_CORE_DETECTOR_NONE_HPP
