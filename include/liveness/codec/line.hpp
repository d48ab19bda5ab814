//
// liveness/codec/line.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Text heartbeats: a ping and a pong are fixed texts ("PING" / "PONG", or the classic
// "Msgtest" / "OK") inside a stream of user bytes. Sans-I/O: no sockets, no Asio.
//
// Two framings:
//  - newline (default): a heartbeat is a whole line whose text is exactly the ping or pong
//    text, ended by "\n" (or "\r\n" when `accept_crlf`). Every other byte, including a line
//    that merely starts with the ping text, is user data and passes through byte for byte.
//  - bare: heartbeats carry no terminator and a heartbeat is a whole read: a read whose
//    bytes are exactly the ping or pong text, or exactly a sequence of whole texts (two
//    heartbeats that coalesced, "OKOK"), is heartbeats; any other read is user data, byte
//    for byte, texts inside it included (`BOOKING` stays `BOOKING`). This is how the
//    classic Delphi peers recognise a heartbeat (`SendText('Msgtest')`, answered by
//    `SendText('OK')`, compared with `ReceiveText = 'OK'`), so it talks to them. "A read"
//    is one `line_decoder::feed` call: the session makes one per socket read.
//    What stays ambiguous (as for the classic peers): user data that is itself exactly a
//    text, or a run of texts, in one read is taken for heartbeats; a heartbeat that shares
//    a read with user data (sent right before or after it and coalesced by the sender's
//    Nagle or a reader that fell behind) is user data, so its text reaches the application
//    and, for a pong, the ping it answered counts as missed (the peer's bytes still prove
//    it alive); a text split across two reads is user data (see `line_framing::bare`).
//
// Choose texts your protocol never sends as a line (newline) or a write (bare) of its own:
// such user data is indistinguishable from a heartbeat.
//
#ifndef LIVENESS_CODEC_LINE_HPP
#define LIVENESS_CODEC_LINE_HPP

#include <liveness/codec/codec.hpp>
#include <liveness/config.hpp>
#include <liveness/error.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace liveness {
namespace codec {

/// How heartbeat texts are delimited in the stream.
enum class line_framing {
  /// A heartbeat is a whole line: the text, then "\n" (or "\r\n").
  newline,
  /// A heartbeat is a whole read of bare text, with no terminator: a read (one
  /// `line_decoder::feed` call; the session makes one per socket read) whose bytes are
  /// exactly one text or a sequence of whole texts is heartbeats, in order; any other read
  /// is user data, byte for byte (`BOOKING` stays `BOOKING`, `OKx` and `OK\n` are data).
  ///
  /// A text split across two reads is user data: nothing is held back between reads
  /// (holding "O" in case "K" follows would delay every read that ends like a text's
  /// start, with no bound but the next read). A classic peer writes each text with one
  /// `send` of a few bytes, which TCP carries in one segment and the receiver appends to
  /// its buffer whole, so a read sees all of it or none; a text is only cut when it was
  /// queued behind other unsent bytes, and then it shares a read with them and is data
  /// anyway.
  bare,
};

/// Options of the line codec. A plain aggregate: start from a preset and change what you
/// need.
struct line_options {
  /// Longest ping or pong text accepted by `validate()`.
  static constexpr std::size_t max_text_size = 64;

  /// The ping text, without terminator. 1 to `max_text_size` bytes, no '\r' or '\n'.
  std::string ping = "PING";
  /// The pong text, without terminator. Same rules; must differ from `ping` (in `bare`
  /// framing neither may contain the other).
  std::string pong = "PONG";
  /// How heartbeats are delimited; see `line_framing`.
  line_framing framing = line_framing::newline;
  /// `newline` framing: also recognise heartbeat lines ended by "\r\n".
  bool accept_crlf = true;
  /// `newline` framing: end the heartbeats we send with "\r\n" instead of "\n".
  bool send_crlf = false;
  /// Longest user line accepted, in bytes before its '\n' (a '\r' counts). A longer line
  /// ends the stream with `error::frame_too_large` as soon as its first excess byte
  /// arrives; nothing is buffered meanwhile (user bytes pass straight through). In `bare`
  /// framing it bounds the user bytes between two '\n'. Must be at least one more than the
  /// longer heartbeat text.
  std::size_t max_line_length = 64 * 1024;

  /// "PING" / "PONG" lines, "\r\n" accepted, lines up to 64 KiB.
  static line_options standard() { return {}; }

  /// The classic heartbeat: the server sends the bare text "Msgtest", the client answers
  /// "OK", without terminators, each as a whole read (`line_framing::bare`). Pair with
  /// `core::ping_pong_options::msgtest_ok()`.
  static line_options msgtest_ok() {
    line_options o;
    o.ping = "Msgtest";
    o.pong = "OK";
    o.framing = line_framing::bare;
    return o;
  }

  /// Success, or `error::codec_invalid_options` when a rule above is broken.
  error_code validate() const;

  friend bool operator==(const line_options& a, const line_options& b) noexcept {
    return a.ping == b.ping && a.pong == b.pong && a.framing == b.framing &&
           a.accept_crlf == b.accept_crlf && a.send_crlf == b.send_crlf &&
           a.max_line_length == b.max_line_length;
  }
  friend bool operator!=(const line_options& a, const line_options& b) noexcept {
    return !(a == b);
  }
};

/// The immutable part of a line decoder and encoder: the validated options and the
/// heartbeat frames (text plus terminator). Made once (`line::make_shared_state`) and
/// shared by every decoder and encoder made from it, so that sessions created from the
/// same options hold one copy of the texts between them.
struct line_shared_state {
  /// Validates `options` (throws `liveness::system_error` when invalid) and builds the
  /// frames.
  explicit line_shared_state(line_options options);
  line_options options;
  std::string ping_frame;
  std::string pong_frame;
};

/// Splits an inbound byte stream into user data, pings and pongs.
///
/// `newline` framing: incremental; feed chunks of any size, split anywhere (one byte at a
/// time works). User bytes are handed out as soon as they cannot be part of a heartbeat,
/// pointing into the chunk being fed where possible. At most the bytes of a heartbeat
/// candidate (the longer text plus "\r", at most 65 bytes) are held back between chunks,
/// and they are never copied: they equal a prefix of a heartbeat text.
///
/// `bare` framing: each `feed` call is one read (see `line_framing::bare`), decoded whole:
/// heartbeats if its bytes are exactly a sequence of whole texts, else user data (handed
/// out in one `on_data` pointing into the read). Nothing is held back between calls, so
/// feed each read in one call, as the session does.
///
/// Handler requirements: an object `h` with
///   h.on_data(const char* data, std::size_t size)  user bytes, in order, size > 0;
///                                                  valid only during the call
///   h.on_ping(const char* payload, std::size_t size)  a ping (payload always empty here)
///   h.on_pong(const char* payload, std::size_t size)  a pong (payload always empty here)
/// (the handler of `length_prefixed_decoder` works unchanged).
///
/// Errors are sticky: after the first, `feed` returns it again and calls nothing.
///
/// Thread safety: distinct objects: safe; shared object: unsafe.
class line_decoder {
 public:
  /// A decoder for `options`. Throws `liveness::system_error` if `options.validate()`
  /// fails.
  explicit line_decoder(line_options options = {});
  /// A decoder sharing `state` (not null) with other decoders and encoders.
  explicit line_decoder(std::shared_ptr<const line_shared_state> state) noexcept
      : state_(std::move(state)) {}

  /// Decodes `size` bytes at `data` (`bare` framing: one whole read), calling `handler` for
  /// each event, in stream order. Returns the error that ended the stream
  /// (`error::frame_too_large` for an over-long line; user bytes before the excess byte
  /// are delivered first), or success.
  template <class Handler>
  error_code feed(const char* data, std::size_t size, Handler&& handler);

  /// Ends the stream (the peer closed it): bytes held back as a possible heartbeat are
  /// user data after all and are delivered to `handler`. Returns the sticky error, if any.
  /// The decoder is then at a line start, as after `reset`, except for a sticky error.
  template <class Handler>
  error_code finish(Handler&& handler);

  /// Back to the start of a stream; clears the error.
  void reset() noexcept;

  /// The sticky error, or success.
  error_code error() const noexcept {
    return too_large_ ? make_error_code(liveness::error::frame_too_large) : error_code();
  }

  /// Bytes held back as a possible heartbeat (at most `max_text_size + 1`; always zero in
  /// `bare` framing).
  std::size_t buffered() const noexcept { return held_; }

  /// Bytes of the current line received so far ('\r' included; `bare` framing: user
  /// bytes since the last '\n'); zero at a line start.
  std::size_t line_length() const noexcept { return line_len_; }

  /// Lines ended so far (user lines and heartbeat lines alike; `bare` framing: every '\n'
  /// and every heartbeat). Wraps around; compare before and after a `feed`.
  std::uint64_t lines_ended() const noexcept { return lines_ended_; }

  // ---- Codec requirements (docs/codec.md), for the session ----------------------------
  /// `bare` framing: user bytes have no boundaries, so each completes a unit.
  bool data_completes_unit() const noexcept { return state_->options.framing == line_framing::bare; }
  /// A line has begun and not ended (`newline`); never in `bare` framing (every read is
  /// whole heartbeats or user data).
  bool mid_unit() const noexcept {
    return state_->options.framing == line_framing::bare ? false : line_len_ > 0;
  }
  /// User lines end without an event: their count (`lines_ended`).
  std::uint64_t units_ended() const noexcept { return lines_ended_; }
  /// Optional member (docs/codec.md): `newline` framing decodes the same however the
  /// stream is cut into `feed` calls; `bare` framing does not (a heartbeat is a whole read).
  bool splits_anywhere() const noexcept {
    return state_->options.framing == line_framing::newline;
  }

  /// The options in force.
  const line_options& options() const noexcept { return state_->options; }

 private:
  template <class Handler>
  void feed_newline(const char* data, std::size_t size, Handler& handler);
  template <class Handler>
  void feed_bare(const char* data, std::size_t size, Handler& handler);
  template <class Handler>
  void emit_held(Handler& handler);
  template <class Handler>
  const char* pass_line(const char* p, const char* end, const char* run, Handler& handler);
  const std::string* bare_text_at(const char* p, const char* end) const noexcept;
  const std::string& text(bool ping) const noexcept {
    return ping ? state_->options.ping : state_->options.pong;
  }
  void new_line() noexcept;

  std::shared_ptr<const line_shared_state> state_;
  std::size_t line_len_ = 0;  // bytes of the current line so far (bare: user bytes only)
  std::size_t held_ = 0;      // bytes held back as a heartbeat candidate
  std::uint64_t lines_ended_ = 0;
  bool candidate_ = true;     // newline: the current line may still be a heartbeat
  bool can_ping_ = true;      // held bytes are a prefix of the ping text
  bool can_pong_ = true;      // held bytes are a prefix of the pong text
  bool cr_ = false;           // newline: held bytes end in '\r' after a whole text
  bool too_large_ = false;    // a line passed max_line_length: error() is frame_too_large
};

/// Produces the heartbeat bytes to write and tells where in the outbound user stream they
/// may go.
///
/// In `newline` framing a heartbeat may only be written at a line boundary of our own
/// outbound stream (otherwise it would land inside a user line): report every user byte
/// written with `on_data`, write heartbeats only while `at_line_boundary()`, and cut large
/// user writes with `chunk_size` so that boundaries come often.
///
/// Thread safety: distinct objects: safe; shared object: unsafe.
class line_encoder {
 public:
  /// An encoder for `options`. Throws `liveness::system_error` if `options.validate()`
  /// fails.
  explicit line_encoder(line_options options = {});
  /// An encoder sharing `state` (not null) with other decoders and encoders.
  explicit line_encoder(std::shared_ptr<const line_shared_state> state) noexcept
      : state_(std::move(state)) {}

  /// The bytes of one ping: the text plus its terminator ("\n", "\r\n", or none in `bare`
  /// framing). Valid as long as the encoder lives.
  std::string_view ping() const noexcept { return state_->ping_frame; }

  /// The bytes of one pong, like `ping()`.
  std::string_view pong() const noexcept { return state_->pong_frame; }

  /// Records `size` user bytes about to be written, in wire order (only the last one
  /// matters).
  void on_data(const char* data, std::size_t size) noexcept;

  /// True when a heartbeat may be written now: no user line is open (the last user byte
  /// written was '\n', or none was written), or the framing is `bare`.
  bool at_line_boundary() const noexcept { return at_boundary_; }

  /// How many of the `size` user bytes at `data` to write as the next chunk, at most
  /// `max_chunk` (treated as 1 if zero): the longest prefix that ends just after a '\n' if
  /// there is one within the limit (so a heartbeat may follow), else `min(size, max_chunk)`.
  std::size_t chunk_size(const char* data, std::size_t size,
                         std::size_t max_chunk) const noexcept;

  /// The options in force.
  const line_options& options() const noexcept { return state_->options; }

  // ---- Codec requirements (docs/codec.md), for the session ----------------------------
  /// The next chunk of the `size` user bytes at `data` (`chunk_size`), recorded with
  /// `on_data`; no frame header. `one_message` is ignored (lines are not messages).
  std::size_t frame_chunk(const char* data, std::size_t size, std::size_t max_chunk,
                          bool one_message, chunk_header& header) noexcept {
    (void)one_message;
    header.size = 0;
    const std::size_t n = chunk_size(data, size, max_chunk);
    on_data(data, n);
    return n;
  }
  /// `at_line_boundary()`.
  bool heartbeat_allowed() const noexcept { return at_boundary_; }
  /// Appends the ping or pong bytes to `out`.
  void append_heartbeat(bool ping_frame, std::string& out) const {
    out.append(ping_frame ? state_->ping_frame : state_->pong_frame);
  }

 private:
  std::shared_ptr<const line_shared_state> state_;
  bool at_boundary_ = true;
};

/// The line codec, as a policy type: `heartbeat::ping_pong<codec::line>`.
struct line {
  static constexpr bool has_messages = false;
  using options = line_options;
  using decoder = line_decoder;
  using encoder = line_encoder;
  /// Optional (docs/codec.md): immutable state that decoders and encoders share.
  using shared_state = line_shared_state;
  static std::shared_ptr<const shared_state> make_shared_state(const options& o) {
    return std::make_shared<const shared_state>(o);
  }
};

}  // namespace codec
}  // namespace liveness

#include <liveness/codec/impl/line.hpp>
#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/codec/impl/line.ipp>
#endif

#endif  // LIVENESS_CODEC_LINE_HPP
