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
      inbox_(config_->session_limits.read_buffer_limit) {
  if constexpr (codec::carries_agreement_v<Codec>)
    hello_wanted_ = detector_.own_hello().has_value();
}

// ---- inbound --------------------------------------------------------------------------

// What the decoder found in one read.
template <class Codec, class Detector>
struct session_engine<Codec, Detector>::decode_events {
  session_engine& e;
  time_point now;
  bool unit_done = false;  // a line, frame or message was completed in this read
  void on_data(const char* p, std::size_t n) {
    e.inbox_.append(p, n);
    e.detector_.on_data_received(now);
    if (e.decoder_.data_completes_unit()) unit_done = true;
  }
  void on_ping(const char*, std::size_t) {
    unit_done = true;
    if (e.detector_.on_ping_received(now)) e.pong_wanted_ = true;
    if (e.detector_.take_too_many_pings()) e.notice_wanted_ = true;
  }
  void on_pong(const char* payload, std::size_t size) {
    unit_done = true;
    e.detector_.on_pong_received(now);
    if constexpr (codec::carries_agreement_v<Codec>) {
      // A hello or a "too many pings" notice is a pong too (core/agreement.hpp).
      const core::agreement_frame f = core::parse_agreement(payload, size);
      if (f.kind == core::agreement_kind::hello) e.detector_.on_hello_received(now, f.hello);
      if (f.kind == core::agreement_kind::too_many_pings)
        e.detector_.on_too_many_pings_received(now);
    } else {
      (void)payload;
      (void)size;
    }
  }
  void on_message_begin() {}
  void on_message_end() {
    unit_done = true;
    e.inbox_.end_message();
  }
};

template <class Codec, class Detector>
actions session_engine<Codec, Detector>::on_received(time_point now, const char* data, std::size_t size) {
  if (dead_ || closed_) return {};
  actions a;
  const std::size_t before = inbox_.held();
  const std::uint64_t ended_before = decoder_.units_ended();
  decode_events h{*this, now};
  detector_.on_received(now, size);
  const error_code bad = decoder_.feed(data, size, h);
  track_units(h.unit_done || decoder_.units_ended() != ended_before, now);
  if (inbox_.held() > before || inbox_.message_ready()) a.wake_readers = true;
  if (bad) return a |= die(now, bad);
  a |= check_message_fits(now);
  if (a.shut_down) return a;
  return a |= on_time(now);
}

// What the decoder found in one read made straight into the application's buffer: user
// bytes are moved to the front of the buffer, behind the ones already there. A decoder
// hands out bytes in stream order and only bytes it has passed, so a user chunk at offset
// `off` of the buffer can go to `put` whenever put <= off. Bytes from outside the buffer
// (a prefix a decoder held back from an earlier read, handed out from its own storage)
// wait in `pending` until the next chunk from the buffer shows where they fit; whatever
// cannot fit goes to the inbox, and everything after it too, so the order holds.
template <class Codec, class Detector>
struct session_engine<Codec, Detector>::in_place_events
    : session_engine<Codec, Detector>::decode_events {
  char* buf;
  std::size_t size;
  std::size_t put = 0;   // user bytes at the front of `buf`
  bool spilled = false;  // later user bytes go to the inbox
  std::size_t pending_size = 0;
  std::array<char, 80> pending{};

  in_place_events(session_engine& engine, time_point at, char* b, std::size_t n)
      : decode_events{engine, at}, buf(b), size(n) {}

  void on_data(const char* p, std::size_t n) {
    this->e.detector_.on_data_received(this->now);
    if (this->e.decoder_.data_completes_unit()) this->unit_done = true;
    if (spilled) return this->e.inbox_.append(p, n);
    const auto at = reinterpret_cast<std::uintptr_t>(p);
    const auto first = reinterpret_cast<std::uintptr_t>(buf);
    if (at < first || at - first > size || n > size - (at - first)) {
      if (n <= pending.size() - pending_size) {
        std::memcpy(pending.data() + pending_size, p, n);
        pending_size += n;
        return;
      }
      spill();
      return this->e.inbox_.append(p, n);
    }
    const std::size_t off = at - first;
    if (put + pending_size > off) {
      spill();
      return this->e.inbox_.append(p, n);
    }
    place_pending();
    std::memmove(buf + put, p, n);
    deliver(n);
  }
  void on_message_end() {
    // The pending bytes belong before the end: where they fit is not known yet.
    if (pending_size > 0) spill();
    decode_events::on_message_end();
  }
  // The decoder went through the whole read: the pending bytes fit if the buffer has room.
  void finish() {
    if (spilled || pending_size == 0) return;
    if (put + pending_size <= size) return place_pending();
    spill();
  }

 private:
  void deliver(std::size_t n) {
    put += n;
    this->e.inbox_.pass(n);
  }
  void place_pending() {
    if (pending_size == 0) return;
    std::memcpy(buf + put, pending.data(), pending_size);
    deliver(std::exchange(pending_size, 0));
  }
  void spill() {
    spilled = true;
    this->e.inbox_.append(pending.data(), std::exchange(pending_size, 0));
  }
};

template <class Codec, class Detector>
actions session_engine<Codec, Detector>::on_received_in_place(time_point now, char* data,
                                                              std::size_t size,
                                                              std::size_t& delivered) {
  delivered = 0;
  if (inbox_.held() > 0) return on_received(now, data, size);
  if (dead_ || closed_) return {};
  actions a;
  const std::uint64_t ended_before = decoder_.units_ended();
  in_place_events h(*this, now, data, size);
  detector_.on_received(now, size);
  const error_code bad = decoder_.feed(data, size, h);
  h.finish();
  delivered = h.put;
  // The application has the bytes at the front: message boundaries among them are passed
  // (as when it reads held bytes).
  inbox_.consume(0);
  track_units(h.unit_done || decoder_.units_ended() != ended_before, now);
  if (inbox_.held() > 0 || inbox_.message_ready()) a.wake_readers = true;
  if (bad) return a |= die(now, bad);
  a |= check_message_fits(now);
  if (a.shut_down) return a;
  return a |= on_time(now);
}

namespace detail {
template <class Decoder, class = void>
struct splits_anywhere : std::false_type {};
template <class Decoder>
struct splits_anywhere<Decoder,
                       std::void_t<decltype(bool{std::declval<const Decoder&>().splits_anywhere()})>>
    : std::true_type {};
}  // namespace detail

template <class Codec, class Detector>
bool session_engine<Codec, Detector>::reads_in_place(std::size_t buffer_size) const noexcept {
  if (message_read_pending_) return false;
  if (buffer_size >= in_place_min_read) return true;
  if constexpr (detail::splits_anywhere<typename Codec::decoder>::value) {
    return decoder_.splits_anywhere();
  } else {
    return false;
  }
}

template <class Codec, class Detector>
actions session_engine<Codec, Detector>::on_eof(time_point now) {
  if (dead_ || closed_) return {};
  actions a;
  const std::size_t before = inbox_.held();
  const std::uint64_t ended_before = decoder_.units_ended();
  decode_events h{*this, now};
  const error_code bad = decoder_.finish(h);
  track_units(h.unit_done || decoder_.units_ended() != ended_before, now);
  if (inbox_.held() > before || inbox_.message_ready()) a.wake_readers = true;
  if (bad) return a |= die(now, bad);
  if (limits().close_linger <= duration::zero()) return a |= die(now, make_error_code(error::peer_closed));
  // The peer closed its sending side; ours stays open for the replies (`on_time` decides
  // when the session is done, after the reads woken here have had their turn).
  read_closed_ = true;
  linger_deadline_ = core::add_saturated(now, limits().close_linger);
  a.wake_readers = true;
  a.evaluate_soon = true;
  return a;
}

template <class Codec, class Detector>
actions session_engine<Codec, Detector>::on_transport_error(time_point now, const error_code& reason) {
  return die(now, reason);
}

// After a read was decoded: when did the line, frame or message in progress start?
template <class Codec, class Detector>
void session_engine<Codec, Detector>::track_units(bool unit_done, time_point now) noexcept {
  if (unit_done) first_unit_seen_ = true;
  const bool open = decoder_.mid_unit();
  // One that was completed in this read and another begun: the new one starts now.
  if (open && (!unit_open_ || unit_done)) unit_started_ = now;
  unit_open_ = open;
}

// A message read waits for a message that cannot be held whole within the limit: the peer
// sent a message too large for this session.
template <class Codec, class Detector>
actions session_engine<Codec, Detector>::check_message_fits(time_point now) {
  if (message_read_pending_ && !inbox_.message_ready() && inbox_.full())
    return die(now, make_error_code(error::frame_too_large));
  return {};
}

template <class Codec, class Detector>
bool session_engine<Codec, Detector>::message_overdue(time_point now) const noexcept {
  const duration zero = duration::zero();
  return (unit_open_ && !inbox_.full() && limits().message_timeout > zero &&
          now - unit_started_ >= limits().message_timeout) ||
         (!first_unit_seen_ && limits().first_message_timeout > zero &&
          now - started_at_ >= limits().first_message_timeout);
}

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
std::string_view session_engine<Codec, Detector>::take_heartbeats() {
  if (writing_ || dead_ || closed_ ||
      !(ping_wanted_ || pong_wanted_ || hello_wanted_ || notice_wanted_))
    return {};
  if (!encoder_.heartbeat_allowed()) return {};
  heartbeat_out_.clear();
  pong_out_ = pong_wanted_;
  ping_out_ = ping_wanted_;
  if constexpr (codec::carries_agreement_v<Codec>) {
    if (hello_wanted_) {
      if (const auto own = detector_.own_hello()) {
        const auto p = core::encode_hello(*own);
        encoder_.append_pong_payload(p.data(), p.size, heartbeat_out_);
      }
    }
    if (notice_wanted_) {
      // On the pong owed when there is one (an end without agreement sees the answer it
      // expects), else as an unasked pong of its own.
      const auto p = core::encode_too_many_pings();
      encoder_.append_pong_payload(p.data(), p.size, heartbeat_out_);
    } else if (pong_out_) {
      encoder_.append_heartbeat(false, heartbeat_out_);
    }
  } else {
    if (pong_out_) encoder_.append_heartbeat(false, heartbeat_out_);
  }
  if (ping_out_) encoder_.append_heartbeat(true, heartbeat_out_);
  ping_wanted_ = pong_wanted_ = hello_wanted_ = notice_wanted_ = false;
  writing_ = true;
  return heartbeat_out_;
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
  reason_ = reason;
  detector_.declare_dead(now, reason);
  actions a;
  a.shut_down = true;
  return a;
}

}  // namespace engine
}  // namespace liveness

#endif  // LIVENESS_ENGINE_IMPL_SESSION_ENGINE_HPP
