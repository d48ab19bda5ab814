//
// liveness/core/impl/detector_decisions.ipp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The detector's decisions (poll: what to send, when, and whether the peer is dead):
// included by core/impl/detector.ipp at this point of its definitions.
//
#ifndef LIVENESS_CORE_IMPL_DETECTOR_DECISIONS_IPP
#define LIVENESS_CORE_IMPL_DETECTOR_DECISIONS_IPP

namespace liveness {
namespace core {

// ---- decisions ----------------------------------------------------------------------------

LIVENESS_DECL poll_result detector::poll(time_point now) noexcept {
  observe(now);
  if (mode_ == detector_mode::ping_pong && paused_reading_is_progress()) on_peer_progress(now_);
  switch (state_) {
    case state::alive: break;
    case state::dead_pending: return report_death();
    case state::dead_reported: return {};
  }

  switch (mode_) {
    case detector_mode::none:
      return {};

    case detector_mode::idle_timeout:
      if (now_ >= add_saturated(last_heard_, timeout_)) {
        die(make_error_code(error::idle_timeout));
        return report_death();
      }
      return {};

    case detector_mode::ping_pong:
      break;
  }

  if (ping_outstanding_ && now_ >= add_saturated(ping_sent_, timeout_)) {
    if (!heard_since_ping_) {
      die(make_error_code(error::heartbeat_timeout));
      return report_death();
    }
    // The peer is alive but this ping went unanswered for `timeout`: count a miss and let
    // the next ping go out on the usual schedule.
    ping_outstanding_ = false;
    heard_since_ping_ = false;
    detail::increment(stats_.consecutive_misses);
    detail::increment(late_pongs_);
  }

  // A progress pong that fell due is the caller's to take (take_progress_pong, right after
  // this poll); it no longer counts in next_deadline(), which therefore lies after now.
  if (progress_pongs_ && data_since_written_ && !pong_pending_ &&
      now_ >= add_saturated(last_written(), interval_))
    progress_due_ = true;

  if (ping_outstanding_) return {};

  if (sends_pings_) {
    const time_point silence_due = add_saturated(last_heard_, ping_interval_);
    // Also after our own silence (ping_pong_options::ping_after_own_silence).
    const bool own_silence_due =
        ping_after_own_silence_ && now_ >= add_saturated(last_written(), ping_interval_);
    if (now_ >= silence_due || own_silence_due || now_ >= progress_ping_due()) {
      ping_outstanding_ = true;
      heard_since_ping_ = false;
      ping_sent_ = now_;
      detail::increment(stats_.pings_sent);
      // A ping before the silence is due proves our reading (not one after our own
      // silence, which is the MQTT-style keep-alive).
      if (now_ < silence_due && !own_silence_due) detail::increment(stats_.progress_pings);
      return {action::send_ping, {}};
    }
    return {};
  }
  // An end that does not ping also counts the progress of its own writes: the peer is
  // reading them, so its silence is not death.
  if (now_ >= add_saturated((std::max)(last_heard_, last_progress_), peer_silence_limit_)) {
    die(make_error_code(error::heartbeat_timeout));
    return report_death();
  }
  return {};
}

LIVENESS_DECL std::optional<time_point> detector::next_deadline() const noexcept {
  switch (state_) {
    case state::alive: break;
    case state::dead_pending: return dead_at_;
    case state::dead_reported: return std::nullopt;
  }

  time_point t = time_point::max();
  switch (mode_) {
    case detector_mode::none:
      return std::nullopt;
    case detector_mode::idle_timeout:
      t = add_saturated(last_heard_, timeout_);
      break;
    case detector_mode::ping_pong:
      if (ping_outstanding_)
        t = add_saturated(ping_sent_, timeout_);
      else if (sends_pings_)
        t = (std::min)(add_saturated(last_heard_, ping_interval_), progress_ping_due());
      else
        t = add_saturated((std::max)(last_heard_, last_progress_), peer_silence_limit_);
      if (!ping_outstanding_ && ping_after_own_silence_)
        t = (std::min)(t, add_saturated(last_written(), ping_interval_));
      if (progress_pongs_ && data_since_written_ && !pong_pending_ && !progress_due_)
        t = (std::min)(t, add_saturated(last_written(), interval_));
      break;
  }
  // A deadline at the end of time is no deadline.
  if (t == time_point::max()) return std::nullopt;
  return t;
}

}  // namespace core
}  // namespace liveness

#endif  // LIVENESS_CORE_IMPL_DETECTOR_DECISIONS_IPP
