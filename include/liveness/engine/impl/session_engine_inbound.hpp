//
// liveness/engine/impl/session_engine_inbound.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The engine's inbound half: bytes received, decoded, stripped of heartbeats (in place or
// into the inbox): included by engine/impl/session_engine.hpp at this point of its
// definitions.
//
#ifndef LIVENESS_ENGINE_IMPL_SESSION_ENGINE_INBOUND_HPP
#define LIVENESS_ENGINE_IMPL_SESSION_ENGINE_INBOUND_HPP

namespace liveness {
namespace engine {

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

}  // namespace engine
}  // namespace liveness

#endif  // LIVENESS_ENGINE_IMPL_SESSION_ENGINE_INBOUND_HPP
