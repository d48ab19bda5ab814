//
// liveness/engine/impl/session_engine.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_ENGINE_IMPL_SESSION_ENGINE_HPP
#define LIVENESS_ENGINE_IMPL_SESSION_ENGINE_HPP

#include <array>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

namespace liveness {
namespace engine {

template <class Codec, class Detector>
session_engine<Codec, Detector>::session_engine(Detector detector,
                                      const typename Codec::options& codec_options,
                                      const engine::limits& l, time_point now)
    : session_engine(std::move(detector), std::make_shared<const engine::config<Codec>>(codec_options, l),
                     now) {}

template <class Codec, class Detector>
session_engine<Codec, Detector>::session_engine(Detector detector,
                                      std::shared_ptr<const engine::config<Codec>> config,
                                      time_point now)
    : config_(std::move(config)),
      started_at_(now),
      detector_(std::move(detector)),
      decoder_(config_->codec),
      encoder_(config_->codec),
      inbox_(config_->session_limits.read_buffer_limit),
      message_read_pending_(false),
      writing_(false),
      ping_wanted_(false),
      pong_wanted_(false),
      hello_wanted_(false),
      notice_wanted_(false),
      ping_out_(false),
      pong_out_(false),
      dead_(false),
      closed_(false),
      unit_open_(false),
      first_unit_seen_(false),
      read_closed_(false) {
  if constexpr (codec::carries_agreement_v<Codec>)
    hello_wanted_ = detector_.own_hello().has_value();
}

}  // namespace engine
}  // namespace liveness

#include <liveness/engine/impl/session_engine_inbound.hpp>

namespace liveness {
namespace engine {

// ---- time -----------------------------------------------------------------------------

template <class Codec, class Detector>
actions session_engine<Codec, Detector>::on_time(time_point now) {
  if (dead_ || closed_) return {};
  if (read_closed_) {
    // Draining after the peer's FIN: done when no write is left (the application's
    // replies are in the kernel, which sends them before our FIN) and the application has
    // read everything or stopped reading, or when the linger ends. Data still held stays
    // readable after that.
    if ((user_writes_ == 0 && !writing_ && (inbox_.held() == 0 || user_reads_ == 0)) ||
        now >= linger_deadline_)
      return die(now, make_error_code(error::peer_closed));
    return {};
  }
  if (message_overdue(now)) return die(now, make_error_code(error::message_timeout));
  // Facts the detector weighs: our reads pause while the inbox is full (the peer's silence
  // is then ours); a ping asked for earlier that our own half-written unit holds back.
  detector_.on_reading_paused(now, inbox_.full());
  if (ping_wanted_ && !writing_ && !encoder_.heartbeat_allowed()) detector_.on_ping_held(now);
  const auto r = detector_.poll(now);
  if (r.kind == core::action::peer_dead) return die(now, r.reason);
  if (r.kind == core::action::send_ping) ping_wanted_ = true;
  // Receiving the peer's data without writing anything: tell it that we read, in case its
  // ping is stuck behind that data (see detector::take_progress_pong).
  if (detector_.take_progress_pong(now)) pong_wanted_ = true;
  return {};
}

template <class Codec, class Detector>
auto session_engine<Codec, Detector>::next_deadline() const noexcept -> std::optional<time_point> {
  if (dead_ || closed_) return std::nullopt;
  if (read_closed_) return linger_deadline_;
  auto next = detector_.next_deadline();
  const auto take = [&next](time_point t) {
    if (!next || t < *next) next = t;
  };
  if (unit_open_ && limits().message_timeout > duration::zero() && !inbox_.full())
    take(core::add_saturated(unit_started_, limits().message_timeout));
  if (!first_unit_seen_ && limits().first_message_timeout > duration::zero())
    take(core::add_saturated(started_at_, limits().first_message_timeout));
  return next;
}

// ---- outbound -------------------------------------------------------------------------

template <class Codec, class Detector>
std::string session_engine<Codec, Detector>::take_heartbeats() {
  std::string out;
  if (writing_ || dead_ || closed_ ||
      !(ping_wanted_ || pong_wanted_ || hello_wanted_ || notice_wanted_))
    return out;
  if (!encoder_.heartbeat_allowed()) return out;
  pong_out_ = pong_wanted_;
  ping_out_ = ping_wanted_;
  if constexpr (codec::carries_agreement_v<Codec>) {
    if (hello_wanted_) {
      if (const auto own = detector_.own_hello()) {
        const auto p = core::encode_hello(*own);
        encoder_.append_pong_payload(p.data(), p.size, out);
      }
    }
    if (notice_wanted_) {
      // On the pong owed when there is one (an end without agreement sees the answer it
      // expects), else as an unasked pong of its own.
      const auto p = core::encode_too_many_pings();
      encoder_.append_pong_payload(p.data(), p.size, out);
    } else if (pong_out_) {
      encoder_.append_heartbeat(false, out);
    }
  } else {
    if (pong_out_) encoder_.append_heartbeat(false, out);
  }
  if (ping_out_) encoder_.append_heartbeat(true, out);
  ping_wanted_ = pong_wanted_ = hello_wanted_ = notice_wanted_ = false;
  writing_ = true;
  return out;
}

template <class Codec, class Detector>
actions session_engine<Codec, Detector>::on_heartbeats_written(time_point now, std::size_t bytes) {
  writing_ = false;
  if (dead_ || closed_) return {};
  detector_.on_sent(now, bytes);
  if (pong_out_) detector_.on_pong_sent(now);
  if (ping_out_) detector_.on_ping_sent(now);  // its timeout counts from the real write
  actions a;
  a.wake_writers = true;
  return a |= on_time(now);
}

template <class Codec, class Detector>
std::size_t session_engine<Codec, Detector>::begin_user_chunk(const char* data, std::size_t size,
                                                    bool one_message,
                                                    codec::chunk_header& header) {
  const std::size_t n = encoder_.frame_chunk(data, size, limits().max_write_chunk, one_message,
                                             header);
  writing_ = true;
  return n;
}

template <class Codec, class Detector>
void session_engine<Codec, Detector>::on_user_write_waiting(time_point now) {
  detector_.on_write_waiting(now, true);
}

template <class Codec, class Detector>
actions session_engine<Codec, Detector>::on_user_written(time_point now, std::size_t bytes, bool waited) {
  writing_ = false;
  detector_.on_write_waiting(now, false);
  if (dead_ || closed_) return {};
  detector_.on_sent(now, bytes);
  // Our data moved after waiting for the peer's window, so the peer is reading: its pong
  // may be queued behind our bytes.
  if (waited) detector_.on_peer_progress(now);
  actions a;
  a.wake_writers = true;
  return a |= on_time(now);
}

template <class Codec, class Detector>
actions session_engine<Codec, Detector>::on_write_failed(time_point now, const error_code& reason) {
  writing_ = false;
  detector_.on_write_waiting(now, false);
  return die(now, reason);
}

// ---- the application ------------------------------------------------------------------

template <class Codec, class Detector>
actions session_engine<Codec, Detector>::on_user_op_end(bool write) noexcept {
  --(write ? user_writes_ : user_reads_);
  actions a;
  // A draining session may be done.
  if (read_closed_ && !dead_ && !closed_) a.evaluate_soon = true;
  return a;
}

template <class Codec, class Detector>
actions session_engine<Codec, Detector>::set_message_read_pending(time_point now, bool pending) {
  message_read_pending_ = pending;
  if (!pending || dead_ || closed_) return {};
  return check_message_fits(now);
}

template <class Codec, class Detector>
void session_engine<Codec, Detector>::consume(time_point now, std::size_t n) {
  // Reading resumes: a message left half received while we did not read gets its full
  // message_timeout from now (the pause was ours, not the peer's).
  if (unit_open_ && inbox_.full()) unit_started_ = now;
  inbox_.consume(n);
}

template <class Codec, class Detector>
void session_engine<Codec, Detector>::consume_message(time_point now) {
  if (unit_open_ && inbox_.full()) unit_started_ = now;
  inbox_.consume_message();
}

template <class Codec, class Detector>
actions session_engine<Codec, Detector>::close() noexcept {
  if (closed_) return {};
  closed_ = true;
  actions a;
  a.shut_down = !dead_;  // a dead session was shut down at its death
  return a;
}

template <class Codec, class Detector>
actions session_engine<Codec, Detector>::die(time_point now, const error_code& reason) {
  if (dead_ || closed_) return {};
  dead_ = true;
  // The detector keeps the reason (reason()); had it already decided, its reason stands.
  detector_.declare_dead(now, reason);
  actions a;
  a.shut_down = true;
  return a;
}

}  // namespace engine
}  // namespace liveness

#endif  // LIVENESS_ENGINE_IMPL_SESSION_ENGINE_HPP
