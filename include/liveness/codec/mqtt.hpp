//
// liveness/codec/mqtt.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// codec::mqtt: MQTT 3.1.1's own keepalive as the heartbeat of a session.
//
//   ping  PINGREQ   C0 00
//   pong  PINGRESP  D0 00
//   user data: every other MQTT control packet, whole and unchanged: the fixed header
//   (type and flags byte, remaining length in 1-4 bytes) and its remaining length bytes.
//
//   +---------------+-------------------------------+--------------------------+
//   | type | flags  | remaining length, 1-4 bytes   | variable header, payload |
//   +---------------+-------------------------------+--------------------------+
//   remaining length: 7 bits per byte, least significant first, top bit = "more";
//   at most 268,435,455 (FF FF FF 7F).
//
// The application writes whole MQTT packets (CONNECT, SUBSCRIBE, PUBLISH, ...) and reads
// whole packets: the codec has messages, one message per packet, fixed header included
// (`async_read_message` returns one packet). It never rewrites a packet; it only strips
// PINGREQ / PINGRESP from what the application reads, and writes them between the
// application's packets (never inside one). The same framing is MQTT 5's.
//
// A client session pings (`ping_role::client`); set `ping_after_own_silence` so that it
// also pings while it receives a steady stream but sends nothing, which the broker's
// keep-alive would otherwise count as silence (docs/codec.md, "MQTT 3.1.1").
//
// Sans-I/O: no sockets, no Asio. The decoder never allocates: packet bytes are handed out
// in place (the fixed header, at most 5 bytes, from a small buffer of its own).
//
#ifndef LIVENESS_CODEC_MQTT_HPP
#define LIVENESS_CODEC_MQTT_HPP

#include <liveness/codec/codec.hpp>
#include <liveness/config.hpp>
#include <liveness/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace liveness {
namespace codec {

/// Options of the MQTT codec. A plain aggregate.
struct mqtt_options {
  /// The largest remaining length MQTT can encode (4 bytes of 7 bits).
  static constexpr std::uint32_t max_remaining_length = 268435455;
  /// The smallest packet: a type byte and a one-byte remaining length of zero.
  static constexpr std::size_t min_packet_size = 2;

  /// Largest packet accepted from the peer, fixed header included (as MQTT 5's "Maximum
  /// Packet Size"). A remaining length that makes a packet larger ends the stream with
  /// `error::frame_too_large` as soon as its last length byte is in, before any of its
  /// bytes are held. At least `min_packet_size`. Raise it, and the session's
  /// `read_buffer_limit` with it, for larger payloads (MQTT allows 256 MiB).
  std::size_t max_packet_size = 1024 * 1024;

  /// Packets up to 1 MiB.
  static constexpr mqtt_options standard() noexcept { return {}; }

  friend constexpr bool operator==(const mqtt_options& a, const mqtt_options& b) noexcept {
    return a.max_packet_size == b.max_packet_size;
  }
  friend constexpr bool operator!=(const mqtt_options& a, const mqtt_options& b) noexcept {
    return !(a == b);
  }

  /// Success, or `error::codec_invalid_options` when `max_packet_size` is below 2.
  error_code validate() const noexcept;
};

/// Splits an inbound MQTT byte stream into packets (messages), pings (PINGREQ) and pongs
/// (PINGRESP).
///
/// Incremental: feed chunks of any size, split anywhere (one byte at a time works); state
/// between chunks is at most one fixed header (5 bytes).
///
/// Events (handler as in `length_prefixed_decoder`): a user packet is on_message_begin,
/// on_data for its bytes (fixed header first, then the rest in place; size > 0), then
/// on_message_end; a PINGREQ is on_ping(p, 0), a PINGRESP on_pong(p, 0).
///
/// Errors (sticky: after the first, `feed` returns it again and calls nothing):
///  - `error::protocol_error`: a remaining length of more than 4 bytes (the 4th byte has
///    its continuation bit set) or not in its shortest form (a last byte of 0 after a
///    continuation), a type byte of 0x00-0x0F (type 0 is reserved), a PINGREQ or PINGRESP
///    with flags or a non-zero remaining length;
///  - `error::frame_too_large`: a packet over `max_packet_size`, found at its last length
///    byte.
///
/// Thread safety: distinct objects: safe; shared object: unsafe.
class mqtt_decoder {
 public:
  /// A decoder for `options`. Throws `liveness::system_error` if `options.validate()`
  /// fails.
  explicit mqtt_decoder(const mqtt_options& options = {});

  /// Decodes `size` bytes at `data`, calling `handler` for each event in stream order.
  /// Events before an error in the same chunk are delivered. Returns the error that ended
  /// the stream, or success.
  template <class Handler>
  error_code feed(const char* data, std::size_t size, Handler&& handler);

  /// Ends the stream (the peer closed it): `error::protocol_error` if it stopped inside a
  /// packet (truncated), the sticky error if any, else success. `handler` is not called.
  template <class Handler>
  error_code finish(Handler&& handler);

  /// Back to the start of a stream; clears the error.
  void reset() noexcept;

  /// The sticky error, or success.
  error_code error() const noexcept {
    return failure_ == 0 ? error_code()
                         : make_error_code(static_cast<liveness::error>(failure_));
  }

  /// True between packets.
  bool at_packet_boundary() const noexcept { return state_ == state::type; }

  // ---- Codec requirements (docs/codec.md), for the session ----------------------------
  /// A unit is a packet, whose end is an event.
  bool data_completes_unit() const noexcept { return false; }
  /// Optional member (docs/codec.md): the events do not depend on where the stream is cut
  /// into `feed` calls, so the session may read into a buffer of any size.
  bool splits_anywhere() const noexcept { return true; }
  /// A packet has begun and not ended.
  bool mid_unit() const noexcept { return !at_packet_boundary(); }
  /// Every end is an event (`on_ping`, `on_pong`, `on_message_end`).
  std::uint64_t units_ended() const noexcept { return 0; }

  /// The options in force.
  const mqtt_options& options() const noexcept { return opts_; }

 private:
  enum class state : std::uint8_t { type, length, payload };

  template <class Handler>
  void header_done(Handler& handler);
  // Its only failures (protocol_error, frame_too_large) fit in failure_.
  void fail(liveness::error e) noexcept { failure_ = static_cast<std::uint8_t>(e); }
  static_assert(static_cast<int>(liveness::error::protocol_error) < 256 &&
                    static_cast<int>(liveness::error::frame_too_large) < 256,
                "mqtt_decoder::failure_ holds a liveness::error in a byte");

  mqtt_options opts_;
  state state_ = state::type;
  std::uint8_t failure_ = 0;  // the sticky error, a liveness::error; 0: none
  std::size_t header_size_ = 0;   // fixed header bytes held in header_
  std::uint32_t remaining_ = 0;   // remaining length being decoded, then bytes still due
  std::array<char, 5> header_{};  // type byte and up to 4 length bytes
};

/// Writes PINGREQ / PINGRESP and follows the application's outbound packets, so that a
/// heartbeat is written only between two of them.
///
/// The application's bytes go out unchanged (no header is added). The encoder reads the
/// fixed headers in them to know where each packet ends. If the application writes bytes
/// that are not MQTT framing (a type byte of 0, a remaining length over 4 bytes or not in
/// its shortest form), the stream can no longer be followed: no heartbeat is written after
/// that (the broker closes such a connection anyway).
///
/// Thread safety: distinct objects: safe; shared object: unsafe.
class mqtt_encoder {
 public:
  /// PINGREQ and PINGRESP, the two bytes each.
  static constexpr std::array<char, 2> pingreq{{static_cast<char>(0xC0), 0}};
  static constexpr std::array<char, 2> pingresp{{static_cast<char>(0xD0), 0}};

  /// An encoder for `options`. Throws `liveness::system_error` if `options.validate()`
  /// fails.
  explicit mqtt_encoder(const mqtt_options& options = {});

  /// Writes the MQTT encoding of remaining length `n` (1-4 bytes, shortest form) to `out`
  /// and returns the number of bytes; 0 (nothing written) when `n` is over
  /// `mqtt_options::max_remaining_length`. For applications building packets.
  static std::size_t put_remaining_length(std::uint32_t n, char* out) noexcept;

  /// True between two of the application's packets (and at the start).
  bool at_packet_boundary() const noexcept { return state_ == state::type; }
  /// True once the application wrote bytes that are not MQTT framing (see above).
  bool lost_framing() const noexcept { return state_ == state::lost; }

  // ---- Codec requirements (docs/codec.md), for the session ----------------------------
  /// The next chunk of the application's bytes: at most `max_chunk` (0 counts as 1) of
  /// the `size` at `data`, unchanged (`header.size = 0`), whatever packets it holds or
  /// splits. Records them as written. `one_message` changes nothing: the bytes are the
  /// application's packets, which carry their own lengths.
  std::size_t frame_chunk(const char* data, std::size_t size, std::size_t max_chunk,
                          bool one_message, chunk_header& header);
  /// Only between two of the application's packets.
  bool heartbeat_allowed() const noexcept { return at_packet_boundary(); }
  /// Appends PINGREQ (`ping_frame`) or PINGRESP to `out`.
  void append_heartbeat(bool ping_frame, std::string& out) const {
    const auto& f = ping_frame ? pingreq : pingresp;
    out.append(f.data(), f.size());
  }

 private:
  enum class state : std::uint8_t { type, length, payload, lost };

  void follow(const char* data, std::size_t size) noexcept;

  state state_ = state::type;
  std::size_t length_bytes_ = 0;  // remaining-length bytes seen of the current packet
  std::uint32_t remaining_ = 0;   // remaining length being decoded, then bytes still due
};

/// MQTT 3.1.1 keepalive (PINGREQ / PINGRESP) as a policy codec:
/// `heartbeat::ping_pong<codec::mqtt>`. Messages are whole MQTT packets.
struct mqtt {
  static constexpr bool has_messages = true;
  using options = mqtt_options;
  using decoder = mqtt_decoder;
  using encoder = mqtt_encoder;
};

}  // namespace codec
}  // namespace liveness

#include <liveness/codec/impl/mqtt.hpp>
#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/codec/impl/mqtt.ipp>
#endif

#endif  // LIVENESS_CODEC_MQTT_HPP
