//
// liveness/codec/length_prefixed.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Binary frames: every frame is a 5-byte header followed by its payload.
//
//   +--------+--------+--------+--------+--------+---------------------+
//   |   payload length, 32-bit big-endian   |  type  |  payload ...        |
//   +--------+--------+--------+--------+--------+---------------------+
//
//   type 0x00  data: the last (or only) frame of a user message
//        0x80  data: a frame of a user message that continues in the next data frame
//        0x01  ping: payload 0-64 bytes (e.g. a nonce or timestamp), answered by a pong
//        0x02  pong: payload 0-64 bytes (conventionally the ping's payload, echoed)
//   anything else is a protocol error.
//
// Agreement (liveness 0.3): a pong whose payload starts with "LVH\x01" is a hello, one
// starting with "LVT\x01" a "too many pings" notice (core/agreement.hpp has the layout).
// They are ordinary pongs to this decoder (it hands every pong payload on) and to an end
// that does not know them, which is why they are pongs: the 0.2 decoder ends the stream
// on an unknown type byte.
//
// A large user message is sent as several data frames (0x80 ... 0x80 0x00) so that pings
// and pongs can travel between them: a heartbeat never waits behind a long write.
// Sans-I/O: no sockets, no Asio. The decoder never allocates: data payloads are handed out
// in place, heartbeat payloads go to a fixed 64-byte buffer.
//
#ifndef LIVENESS_CODEC_LENGTH_PREFIXED_HPP
#define LIVENESS_CODEC_LENGTH_PREFIXED_HPP

#include <liveness/codec/codec.hpp>
#include <liveness/config.hpp>
#include <liveness/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

namespace liveness {
namespace codec {

/// The type byte of a length-prefixed frame.
enum class frame_type : std::uint8_t {
  /// Data that ends the current user message (a whole message if it is the first frame).
  data = 0x00,
  /// Data of a user message that continues in the next data frame.
  data_more = 0x80,
  /// A ping; the peer answers with a pong.
  ping = 0x01,
  /// A pong.
  pong = 0x02,
};

/// Options of the length-prefixed codec. A plain aggregate.
struct length_prefixed_options {
  /// Size of a frame header: 4 length bytes and 1 type byte.
  static constexpr std::size_t header_size = 5;
  /// Largest ping or pong payload; a longer one is a protocol error.
  static constexpr std::size_t max_heartbeat_payload = 64;

  /// Largest payload a single frame may announce (header excluded). A header announcing
  /// more ends the stream with `error::frame_too_large` as soon as its 4 length bytes are
  /// in; the claimed size is never allocated. Must be at least 1.
  std::uint32_t max_frame_size = 1024 * 1024;
  /// Largest user message (sum of its data frames); a data frame taking a message beyond
  /// it ends the stream with `error::frame_too_large` as soon as its header is in, before
  /// any of its payload. Zero: no limit beyond the frames' (a peer can then send one
  /// endless message: only do it when the application reads messages piecewise with
  /// `async_read_some`).
  std::uint64_t max_message_size = 1024 * 1024;

  /// Frames and messages up to 1 MiB.
  static constexpr length_prefixed_options standard() noexcept { return {}; }

  friend constexpr bool operator==(const length_prefixed_options& a,
                                   const length_prefixed_options& b) noexcept {
    return a.max_frame_size == b.max_frame_size && a.max_message_size == b.max_message_size;
  }
  friend constexpr bool operator!=(const length_prefixed_options& a,
                                   const length_prefixed_options& b) noexcept {
    return !(a == b);
  }

  /// Success, or `error::codec_invalid_options` when `max_frame_size` is zero.
  error_code validate() const noexcept;
};

/// Splits an inbound byte stream into messages, pings and pongs.
///
/// Incremental: feed chunks of any size, split anywhere (one byte at a time works); state
/// between chunks is at most one header (5 bytes) and one heartbeat payload (64 bytes).
///
/// Handler requirements: an object `h` with
///   h.on_message_begin()                              a user message starts
///   h.on_data(const char* data, std::size_t size)     message bytes, in order, size > 0,
///                                                     pointing into the fed chunk; valid
///                                                     only during the call
///   h.on_message_end()                                the message is complete
///   h.on_ping(const char* payload, std::size_t size)  a ping and its payload (size <= 64)
///   h.on_pong(const char* payload, std::size_t size)  a pong and its payload
/// Pings and pongs may arrive between the frames of a message (between on_message_begin
/// and on_message_end). An empty message is on_message_begin + on_message_end.
///
/// Errors (sticky: after the first, `feed` returns it again and calls nothing):
///  - `error::frame_too_large`: a length above `max_frame_size` (checked as soon as the
///    4 length bytes are in, before the type), or a message above `max_message_size`;
///  - `error::protocol_error`: an unknown type byte, or a ping/pong payload above 64 bytes.
///
/// Thread safety: distinct objects: safe; shared object: unsafe.
class length_prefixed_decoder {
 public:
  /// A decoder for `options`. Throws `liveness::system_error` if `options.validate()`
  /// fails.
  explicit length_prefixed_decoder(const length_prefixed_options& options = {});

  /// Decodes `size` bytes at `data`, calling `handler` for each event in stream order.
  /// Events before an error in the same chunk are delivered. Returns the error that ended
  /// the stream, or success.
  template <class Handler>
  error_code feed(const char* data, std::size_t size, Handler&& handler);

  /// Ends the stream (the peer closed it). Returns `error::protocol_error` if it stopped
  /// inside a frame or inside a message (truncated), the sticky error if any, else success.
  /// `handler` is not called (nothing is held back); it is taken for symmetry with
  /// `line_decoder::finish`.
  template <class Handler>
  error_code finish(Handler&& handler);

  /// Back to the start of a stream; clears the error.
  void reset() noexcept;

  /// The sticky error, or success.
  error_code error() const noexcept {
    return failure_ == 0 ? error_code()
                         : make_error_code(static_cast<liveness::error>(failure_));
  }

  /// True between frames (no header or payload partly received).
  bool at_frame_boundary() const noexcept {
    return state_ == state::header && header_bytes_ == 0;
  }

  /// True inside a user message (after on_message_begin, before on_message_end).
  bool in_message() const noexcept { return in_message_; }

  // ---- Codec requirements (docs/codec.md), for the session ----------------------------
  /// A unit is a heartbeat frame or a whole message, whose ends are events.
  bool data_completes_unit() const noexcept { return false; }
  /// Optional member (docs/codec.md): the events do not depend on where the stream is cut
  /// into `feed` calls, so the session may read into a buffer of any size.
  bool splits_anywhere() const noexcept { return true; }
  /// A frame or a message has begun and not ended.
  bool mid_unit() const noexcept { return !at_frame_boundary() || in_message(); }
  /// Every end is an event (`on_ping`, `on_pong`, `on_message_end`).
  std::uint64_t units_ended() const noexcept { return 0; }

  /// The options in force.
  const length_prefixed_options& options() const noexcept { return opts_; }

 private:
  enum class state : std::uint8_t { header, data, heartbeat };

  template <class Handler>
  bool start_frame(Handler& handler);
  template <class Handler>
  void end_data_frame(Handler& handler);
  template <class Handler>
  void end_heartbeat(Handler& handler);
  // Its only failures (protocol_error, frame_too_large) fit in failure_.
  void fail(liveness::error e) noexcept { failure_ = static_cast<std::uint8_t>(e); }
  static_assert(static_cast<int>(liveness::error::protocol_error) < 256 &&
                    static_cast<int>(liveness::error::frame_too_large) < 256,
                "length_prefixed_decoder::failure_ holds a liveness::error in a byte");

  length_prefixed_options opts_;
  state state_ = state::header;
  std::uint8_t failure_ = 0;  // the sticky error, a liveness::error; 0: none
  std::uint8_t type_ = 0;
  bool in_message_ = false;
  std::size_t header_bytes_ = 0;
  std::uint32_t length_ = 0;     // payload length of the current frame
  std::uint32_t remaining_ = 0;  // payload bytes still to come
  std::uint64_t message_size_ = 0;
  std::array<char, length_prefixed_options::header_size> header_{};
  std::array<char, length_prefixed_options::max_heartbeat_payload> payload_{};
};

/// Produces frame headers and heartbeat frames.
///
/// A user message of n bytes is written as frames of at most `max_chunk` bytes each:
/// `data_header(k, more)` then k payload bytes, with `more` true for all but the last
/// frame. Between two such frames a ping or pong may be written.
///
/// Thread safety: distinct objects: safe; shared object: unsafe (it is stateless apart
/// from its options, so concurrent const use is safe).
class length_prefixed_encoder {
 public:
  /// Size of a frame header.
  static constexpr std::size_t header_size = length_prefixed_options::header_size;

  /// The bytes of a frame header.
  using header_bytes = std::array<char, header_size>;

  /// A complete ping or pong frame (header and payload), held by value: no allocation.
  class frame {
   public:
    /// Pointer to the frame bytes.
    const char* data() const noexcept { return bytes_.data(); }
    /// Number of frame bytes: 5 + payload size.
    std::size_t size() const noexcept { return size_; }

   private:
    friend class length_prefixed_encoder;
    std::array<char, header_size + length_prefixed_options::max_heartbeat_payload> bytes_{};
    std::size_t size_ = 0;
  };

  /// An encoder for `options` (the peer should use the same ones). Throws
  /// `liveness::system_error` if `options.validate()` fails.
  explicit length_prefixed_encoder(const length_prefixed_options& options = {});

  /// The header of a data frame carrying `payload_size` bytes; `more` when the message
  /// continues in a further data frame. Throws `liveness::system_error` with
  /// `error::frame_too_large` if `payload_size > max_frame_size`.
  header_bytes data_header(std::size_t payload_size, bool more = false) const;

  /// A ping frame carrying `size` payload bytes from `payload` (may be null when `size` is
  /// 0). Throws `liveness::system_error` with `error::protocol_error` if `size > 64`, or
  /// `error::frame_too_large` if `size > max_frame_size`.
  frame ping(const void* payload = nullptr, std::size_t size = 0) const;

  /// A pong frame, like `ping`. Conventionally carries the payload of the ping it answers.
  frame pong(const void* payload = nullptr, std::size_t size = 0) const;

  /// Payload size of the next data frame for a message with `remaining` bytes left to
  /// send: `min(remaining, max_chunk, max_frame_size)` (`max_chunk` 0 counts as 1). Zero
  /// only when `remaining` is zero.
  std::size_t chunk_size(std::size_t remaining, std::size_t max_chunk) const noexcept;

  /// The options in force.
  const length_prefixed_options& options() const noexcept { return opts_; }

  // ---- Codec requirements (docs/codec.md), for the session ----------------------------
  /// The next data frame (`chunk_size` bytes of the `size` at `data`): its header goes to
  /// `header`. `one_message`: the `size` bytes are the rest of one message, so a frame
  /// that leaves some of them says that the message continues; false: the frame is a
  /// whole message.
  std::size_t frame_chunk(const char* data, std::size_t size, std::size_t max_chunk,
                          bool one_message, chunk_header& header) const {
    (void)data;
    const std::size_t n = chunk_size(size, max_chunk);
    const auto h = data_header(n, one_message && n < size);
    std::copy(h.begin(), h.end(), header.bytes.begin());
    header.size = h.size();
    return n;
  }
  /// Heartbeat frames may go between any two data frames.
  bool heartbeat_allowed() const noexcept { return true; }
  /// Appends an empty ping or pong frame to `out`.
  void append_heartbeat(bool ping_frame, std::string& out) const {
    const auto f = ping_frame ? ping() : pong();
    out.append(f.data(), f.size());
  }
  /// Optional member (agreement frames, docs/codec.md): appends a pong frame carrying the
  /// `size` payload bytes at `payload` (at most 64; the hello and the "too many pings"
  /// notice of core/agreement.hpp ride on it).
  void append_pong_payload(const char* payload, std::size_t size, std::string& out) const {
    const auto f = pong(payload, size);
    out.append(f.data(), f.size());
  }

 private:
  frame heartbeat(frame_type type, const void* payload, std::size_t size) const;

  length_prefixed_options opts_;
};

/// The length-prefixed codec, as a policy type: `heartbeat::ping_pong<codec::length_prefixed>`.
struct length_prefixed {
  static constexpr bool has_messages = true;
  using options = length_prefixed_options;
  using decoder = length_prefixed_decoder;
  using encoder = length_prefixed_encoder;
};

}  // namespace codec
}  // namespace liveness

#include <liveness/codec/impl/length_prefixed.hpp>
#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/codec/impl/length_prefixed.ipp>
#endif

#endif  // LIVENESS_CODEC_LENGTH_PREFIXED_HPP
