//
// liveness/core/impl/detector.ipp
//
// The non-template code of <liveness/core/detector.hpp>: included by that header when
// header-only, compiled once by <liveness/src.hpp> with LIVENESS_SEPARATE_COMPILATION. The
// agreement (hello, doubling, too-many-pings) and the decisions (poll) follow in
// detector_agreement.ipp and detector_decisions.ipp.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_CORE_IMPL_DETECTOR_IPP
#define LIVENESS_CORE_IMPL_DETECTOR_IPP

#include <liveness/core/detector.hpp>

namespace liveness {
namespace core {

LIVENESS_DECL duration detector_stats::silent_for(time_point now) const noexcept {
  return elapsed(last_received ? *last_received : started, now);
}

LIVENESS_DECL detector_stats detector::stats() const noexcept {
  detector_stats s;
  s.started = stats_.started;
  if (have_received_) s.last_received = stats_.last_received;
  if (have_sent_) s.last_sent = stats_.last_sent;
  if (have_rtt_) {
    s.last_rtt = stats_.last_rtt;
    s.smoothed_rtt = stats_.smoothed_rtt;
    s.rtt_variation = stats_.rtt_variation;
  }
  s.bytes_received = stats_.bytes_received;
  s.bytes_sent = stats_.bytes_sent;
  s.pings_sent = stats_.pings_sent;
  s.pongs_received = stats_.pongs_received;
  s.pings_received = stats_.pings_received;
  s.pongs_sent = stats_.pongs_sent;
  s.pongs_coalesced = stats_.pongs_coalesced;
  s.progress_pongs = stats_.progress_pongs;
  s.progress_pings = stats_.progress_pings;
  s.consecutive_misses = stats_.consecutive_misses;
  s.ping_strikes = stats_.ping_strikes;
  if (mode_ == detector_mode::ping_pong) {
    s.ping_interval = ping_interval_;
    s.peer_silence_limit = peer_silence_limit_;
  }
  if (have_hello_) {
    hello_values h;
    h.interval = stats_.hello_interval;
    h.timeout = stats_.hello_timeout;
    h.min_ping_interval = stats_.hello_min_ping_interval;
    h.pings = hello_pings_;
    s.peer_hello = h;
  }
  s.ping_interval_backoffs = stats_.ping_interval_backoffs;
  s.too_many_pings_received = stats_.too_many_pings_received;
  s.too_many_pings_sent = stats_.too_many_pings_sent;
  s.agreement_clamped = stats_.agreement_clamped;
  return s;
}

// ---- construction -------------------------------------------------------------------------

LIVENESS_DECL detector::detector(time_point now) noexcept
    : sends_pings_(false),
      ping_after_own_silence_(false),
      progress_pongs_(true),
      hello_(false),
      too_many_pings_(false) {
  reset(now);
}

LIVENESS_DECL detector::detector(const idle_timeout_options& options, time_point now)
    : timeout_(options.timeout),
      mode_(detector_mode::idle_timeout),
      sends_pings_(false),
      ping_after_own_silence_(false),
      progress_pongs_(true),
      hello_(false),
      too_many_pings_(false) {
  if (auto ec = options.validate())
    throw system_error(ec, "liveness::core::detector: invalid idle_timeout_options");
  reset(now);
}

LIVENESS_DECL detector::detector(const ping_pong_options& options, role local, time_point now)
    : interval_(options.interval),
      timeout_(options.timeout),
      min_ping_interval_(options.min_ping_interval),
      max_agreed_interval_(options.max_agreed_interval()),
      max_ping_strikes_(options.max_ping_strikes),
      mode_(detector_mode::ping_pong),
      sends_pings_(detail::pings_from(options.pinger, local)),
      ping_after_own_silence_(options.ping_after_own_silence &&
                              detail::pings_from(options.pinger, local)),
      progress_pongs_(options.progress_pongs),
      hello_(options.hello),
      too_many_pings_(options.too_many_pings) {
  if (max_ping_strikes_ != 0 && min_ping_interval_ > duration::zero())
    answer_tolerance_ = detail::times_saturated(min_ping_interval_, options.ping_burst());
  if (auto ec = options.validate())
    throw system_error(ec, "liveness::core::detector: invalid ping_pong_options");
  reset(now);
}

LIVENESS_DECL void detector::reset(time_point now) noexcept {
  state_ = state::alive;
  reason_ = error_code();
  now_ = now;
  last_heard_ = now;
  dead_at_ = now;
  ping_sent_ = now;
  last_ping_received_ = now;
  have_ping_received_ = false;
  ping_outstanding_ = false;
  heard_since_ping_ = false;
  pong_pending_ = false;
  late_pongs_ = 0;
  last_progress_ = now;
  data_since_written_ = false;
  progress_due_ = false;
  answer_budget_at_ = now;
  reading_paused_ = false;
  write_waiting_ = false;
  write_waiting_since_ = now;
  ping_interval_ = interval_;
  peer_silence_limit_ = add_saturated(interval_, timeout_);
  notice_due_ = false;
  stats_ = counters();
  stats_.started = now;
  have_received_ = have_sent_ = have_rtt_ = have_hello_ = hello_pings_ = false;
}

// ---- internals ----------------------------------------------------------------------------

LIVENESS_DECL void detector::observe(time_point now) noexcept {
  if (now > now_) now_ = now;
}

LIVENESS_DECL void detector::heard(time_point now) noexcept {
  observe(now);
  stats_.last_received = now_;
  have_received_ = true;
  if (state_ != state::alive) return;
  last_heard_ = now_;
  if (ping_outstanding_) heard_since_ping_ = true;
}

LIVENESS_DECL void detector::die(const error_code& reason) noexcept {
  state_ = state::dead_pending;
  reason_ = reason;
  dead_at_ = now_;
  ping_outstanding_ = false;
  pong_pending_ = false;
  progress_due_ = false;
  notice_due_ = false;
}

LIVENESS_DECL poll_result detector::report_death() noexcept {
  state_ = state::dead_reported;
  return {action::peer_dead, reason_};
}

LIVENESS_DECL void detector::sample_rtt(duration rtt) noexcept {
  stats_.last_rtt = rtt;
  if (!have_rtt_) {
    have_rtt_ = true;
    // RFC 6298 2.2: first measurement R: SRTT = R, RTTVAR = R/2.
    stats_.smoothed_rtt = rtt;
    stats_.rtt_variation = rtt / 2;
    return;
  }
  // RFC 6298 2.3, alpha = 1/8, beta = 1/4. Every term is non-negative and each sum is a
  // convex combination, so nothing can overflow.
  const duration srtt = stats_.smoothed_rtt;
  const duration var = stats_.rtt_variation;
  const duration delta = srtt > rtt ? srtt - rtt : rtt - srtt;
  stats_.rtt_variation = var - var / 4 + delta / 4;
  stats_.smoothed_rtt = srtt - srtt / 8 + rtt / 8;
}

// ---- events -------------------------------------------------------------------------------

LIVENESS_DECL void detector::on_received(time_point now, std::size_t bytes) noexcept {
  observe(now);  // the time counts even when the bytes do not
  if (bytes == 0) return;
  detail::add_counter(stats_.bytes_received, bytes);
  heard(now);
}

LIVENESS_DECL bool detector::on_ping_received(time_point now) noexcept {
  heard(now);
  detail::increment(stats_.pings_received);
  if (mode_ != detector_mode::ping_pong || state_ != state::alive) return false;

  // Pings decoded from one read (reported with the same `now`) arrived together: they are
  // answered by one pong and count as one. A sender's pings that queued up behind a
  // backlog arrive that way when the backlog drains; a flood arrives read after read.
  if (have_ping_received_ && now_ == last_ping_received_) {
    // not a strike, not a clear
  } else if (have_ping_received_ && min_ping_interval_ > duration::zero() &&
             elapsed(last_ping_received_, now_) < min_ping_interval_) {
    detail::increment(stats_.ping_strikes);
    if (max_ping_strikes_ != 0 && stats_.ping_strikes > max_ping_strikes_) {
      die(make_error_code(error::ping_flood));
      return false;
    }
    // Tell the peer before it is too late (ping_pong_options::too_many_pings).
    if (too_many_pings_ && max_ping_strikes_ != 0) notice_due_ = true;
  } else {
    stats_.ping_strikes = 0;
  }
  last_ping_received_ = now_;
  have_ping_received_ = true;

  if (pong_pending_) {
    detail::increment(stats_.pongs_coalesced);
    return false;
  }
  // The answer budget (see ping_pong_options::ping_burst), whatever arrived between the
  // pings: each pong the peer makes us write costs min_ping_interval, paid back by time
  // (GCRA: `answer_budget_at_` is when all answers so far are paid for).
  if (answer_tolerance_ > duration::zero()) {
    const time_point paid =
        add_saturated((std::max)(answer_budget_at_, now_), min_ping_interval_);
    if (elapsed(now_, paid) > answer_tolerance_) {
      die(make_error_code(error::ping_flood));
      return false;
    }
    answer_budget_at_ = paid;
    // More than half of the budget spent: tell the peer (too_many_pings).
    if (too_many_pings_ && elapsed(now_, paid) > answer_tolerance_ / 2) notice_due_ = true;
  }
  pong_pending_ = true;
  progress_due_ = false;  // this pong is the proof of reading too
  return true;
}

LIVENESS_DECL void detector::on_pong_sent(time_point now) noexcept {
  observe(now);
  pong_pending_ = false;
  detail::increment(stats_.pongs_sent);
}

LIVENESS_DECL void detector::on_pong_received(time_point now) noexcept {
  heard(now);
  detail::increment(stats_.pongs_received);
  if (mode_ != detector_mode::ping_pong || state_ != state::alive) return;
  if (ping_outstanding_) {
    ping_outstanding_ = false;
    heard_since_ping_ = false;
    stats_.consecutive_misses = 0;
    // After a missed ping, a pong may answer that older ping rather than this one: no
    // trustworthy sample then.
    if (late_pongs_ == 0) sample_rtt(elapsed(ping_sent_, now_));
    late_pongs_ = 0;
  } else if (late_pongs_ > 0) {
    --late_pongs_;
  }
}

LIVENESS_DECL void detector::on_sent(time_point now, std::size_t bytes) noexcept {
  observe(now);
  if (bytes == 0) return;
  detail::add_counter(stats_.bytes_sent, bytes);
  stats_.last_sent = now_;
  have_sent_ = true;
  data_since_written_ = false;
  progress_due_ = false;
}

LIVENESS_DECL void detector::on_data_received(time_point now) noexcept {
  observe(now);
  if (mode_ != detector_mode::ping_pong || state_ != state::alive) return;
  data_since_written_ = true;
  // An end that pings after its own silence needs no progress pong: its pings tell the
  // peer at least every interval that it is there.
  if (ping_after_own_silence_) data_since_written_ = false;
  // Pings with user data between them are no flood: they waited behind that data in the
  // socket buffers and arrive as fast as we read, not as fast as the peer sent them.
  have_ping_received_ = false;
  stats_.ping_strikes = 0;
}

LIVENESS_DECL bool detector::take_progress_pong(time_point now) noexcept {
  observe(now);
  if (mode_ != detector_mode::ping_pong || state_ != state::alive || !progress_pongs_ ||
      !data_since_written_ || pong_pending_ || now_ < add_saturated(last_written(), interval_))
    return false;
  pong_pending_ = true;
  data_since_written_ = false;
  progress_due_ = false;
  detail::increment(stats_.progress_pongs);
  return true;
}

LIVENESS_DECL void detector::on_peer_progress(time_point now) noexcept {
  observe(now);
  if (state_ != state::alive) return;
  if (ping_outstanding_) heard_since_ping_ = true;
  last_progress_ = now_;
}

LIVENESS_DECL void detector::on_ping_sent(time_point now) noexcept {
  observe(now);
  if (state_ == state::alive && ping_outstanding_) ping_sent_ = now_;
}

LIVENESS_DECL void detector::on_ping_held(time_point now) noexcept { on_ping_sent(now); }

LIVENESS_DECL void detector::on_reading_paused(time_point now, bool paused) noexcept {
  observe(now);
  reading_paused_ = paused;
}

LIVENESS_DECL void detector::on_write_waiting(time_point now, bool waiting) noexcept {
  observe(now);
  if (waiting && !write_waiting_) write_waiting_since_ = now_;
  write_waiting_ = waiting;
}

LIVENESS_DECL time_point detector::progress_ping_due() const noexcept {
  // Without progress pongs, a pinging end proves its reading with a ping: due once it has
  // received user data and written nothing for `interval`.
  if (progress_pongs_ || !data_since_written_) return time_point::max();
  return add_saturated(last_written(), ping_interval_);
}

LIVENESS_DECL bool detector::paused_reading_is_progress() const noexcept {
  if (!reading_paused_) return false;
  return !(write_waiting_ && timeout_ > duration::zero() &&
           now_ - write_waiting_since_ >= timeout_);
}

}  // namespace core
}  // namespace liveness

#include <liveness/core/impl/detector_agreement.ipp>
#include <liveness/core/impl/detector_decisions.ipp>

#endif  // LIVENESS_CORE_IMPL_DETECTOR_IPP
