//
// liveness/core/impl/detector_agreement.ipp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The detector's part in the two ends' agreement (hello, doubling, too-many-pings):
// included by core/impl/detector.ipp at this point of its definitions.
//
#ifndef LIVENESS_CORE_IMPL_DETECTOR_AGREEMENT_IPP
#define LIVENESS_CORE_IMPL_DETECTOR_AGREEMENT_IPP

namespace liveness {
namespace core {

// ---- agreement ----------------------------------------------------------------------------

LIVENESS_DECL std::optional<hello_values> detector::own_hello() const noexcept {
  if (mode_ != detector_mode::ping_pong || !hello_) return std::nullopt;
  hello_values v;
  v.interval = interval_;
  v.timeout = timeout_;
  // What our flood guard accepts: any rate when it is off.
  v.min_ping_interval = max_ping_strikes_ != 0 ? min_ping_interval_ : duration::zero();
  v.pings = sends_pings_;
  return v;
}

LIVENESS_DECL void detector::on_hello_received(time_point now, const hello_values& v) noexcept {
  observe(now);
  if (mode_ != detector_mode::ping_pong || !hello_ || state_ != state::alive) return;
  stats_.hello_interval = v.interval;
  stats_.hello_timeout = v.timeout;
  stats_.hello_min_ping_interval = v.min_ping_interval;
  hello_pings_ = v.pings;
  have_hello_ = true;
  if (sends_pings_) {
    // Ping no faster than the peer accepts, within our own bound.
    duration want = (std::max)(interval_, v.min_ping_interval);
    if (want > max_agreed_interval_) {
      want = max_agreed_interval_;
      detail::increment(stats_.agreement_clamped);
    }
    if (want > ping_interval_) ping_interval_ = want;
  } else if (v.pings) {
    // The peer pings after its interval of silence, raised to what our guard accepts (as
    // it will, having our hello) and at most as far as its own bound lets it go; then it
    // waits its timeout. Do not time it out sooner, nor later than our own bound.
    const duration ours = max_ping_strikes_ != 0 ? min_ping_interval_ : duration::zero();
    const duration peer_interval =
        (std::min)((std::max)(v.interval, ours), (std::max)(v.interval, v.timeout));
    duration want = (std::max)(add_saturated(interval_, timeout_),
                               add_saturated(peer_interval, v.timeout));
    const duration ceiling = add_saturated(max_agreed_interval_, timeout_);
    if (want > ceiling) {
      want = ceiling;
      detail::increment(stats_.agreement_clamped);
    }
    if (want > peer_silence_limit_) peer_silence_limit_ = want;
  }
}

LIVENESS_DECL void detector::on_too_many_pings_received(time_point now) noexcept {
  observe(now);
  detail::increment(stats_.too_many_pings_received);
  if (mode_ != detector_mode::ping_pong || !too_many_pings_ || !sends_pings_ ||
      state_ != state::alive)
    return;
  // gRPC's rule: double the interval; ours stops at max_agreed_interval().
  const duration doubled = (std::min)(detail::times_saturated(ping_interval_, 2),
                                      max_agreed_interval_);
  if (doubled > ping_interval_) {
    ping_interval_ = doubled;
    detail::increment(stats_.ping_interval_backoffs);
  } else {
    detail::increment(stats_.agreement_clamped);
  }
}

LIVENESS_DECL bool detector::take_too_many_pings() noexcept {
  if (!notice_due_) return false;
  notice_due_ = false;
  if (state_ != state::alive) return false;
  detail::increment(stats_.too_many_pings_sent);
  return true;
}

LIVENESS_DECL duration detector::detection_bound() const noexcept {
  switch (mode_) {
    case detector_mode::none: return duration::max();
    case detector_mode::idle_timeout: return timeout_;
    case detector_mode::ping_pong: break;
  }
  if (!hello_ && !too_many_pings_) return add_saturated(interval_, timeout_);
  return add_saturated(max_agreed_interval_, timeout_);
}

LIVENESS_DECL void detector::declare_dead(time_point now, const error_code& reason) noexcept {
  observe(now);
  if (!reason || state_ != state::alive) return;
  die(reason);
}

}  // namespace core
}  // namespace liveness

#endif  // LIVENESS_CORE_IMPL_DETECTOR_AGREEMENT_IPP
