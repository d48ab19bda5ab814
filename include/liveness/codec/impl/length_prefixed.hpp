//
// liveness/codec/impl/length_prefixed.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_CODEC_IMPL_LENGTH_PREFIXED_HPP
#define LIVENESS_CODEC_IMPL_LENGTH_PREFIXED_HPP

#include <algorithm>
#include <cstring>

namespace liveness {
namespace codec {

// ---- options ------------------------------------------------------------------------------

inline error_code length_prefixed_options::validate() const noexcept {
  if (max_frame_size == 0) return error::codec_invalid_options;
  return {};
}

// ---- decoder ------------------------------------------------------------------------------

inline length_prefixed_decoder::length_prefixed_decoder(const length_prefixed_options& options)
    : opts_(options) {
  if (auto ec = opts_.validate())
    throw system_error(ec, "liveness::codec::length_prefixed_decoder: invalid options");
}

inline void length_prefixed_decoder::reset() noexcept {
  failure_ = 0;
  state_ = state::header;
  type_ = 0;
  in_message_ = false;
  header_bytes_ = 0;
  length_ = 0;
  remaining_ = 0;
  message_size_ = 0;
}

template <class Handler>
error_code length_prefixed_decoder::finish(Handler&&) {
  if (failure_ != 0) return error();
  if (!at_frame_boundary() || in_message_) fail(error::protocol_error);
  return error();
}

// The 5 header bytes are in: check the type, then start the frame. False on error.
template <class Handler>
bool length_prefixed_decoder::start_frame(Handler& handler) {
  header_bytes_ = 0;
  type_ = static_cast<std::uint8_t>(header_[4]);
  remaining_ = length_;
  switch (static_cast<frame_type>(type_)) {
    case frame_type::data:
    case frame_type::data_more:
      if (opts_.max_message_size != 0 &&
          length_ > opts_.max_message_size - std::min(message_size_, opts_.max_message_size)) {
        fail(error::frame_too_large);
        return false;
      }
      message_size_ += length_;
      if (!in_message_) {
        in_message_ = true;
        handler.on_message_begin();
      }
      state_ = state::data;
      if (remaining_ == 0) end_data_frame(handler);
      return true;

    case frame_type::ping:
    case frame_type::pong:
      if (length_ > length_prefixed_options::max_heartbeat_payload) {
        fail(error::protocol_error);
        return false;
      }
      state_ = state::heartbeat;
      if (remaining_ == 0) end_heartbeat(handler);
      return true;
  }
  fail(error::protocol_error);
  return false;
}

template <class Handler>
void length_prefixed_decoder::end_data_frame(Handler& handler) {
  state_ = state::header;
  if (static_cast<frame_type>(type_) == frame_type::data) {
    in_message_ = false;
    message_size_ = 0;
    handler.on_message_end();
  }
}

template <class Handler>
void length_prefixed_decoder::end_heartbeat(Handler& handler) {
  state_ = state::header;
  if (static_cast<frame_type>(type_) == frame_type::ping)
    handler.on_ping(payload_.data(), length_);
  else
    handler.on_pong(payload_.data(), length_);
}

template <class Handler>
error_code length_prefixed_decoder::feed(const char* data, std::size_t size,
                                         Handler&& handler) {
  const char* p = data;
  const char* const end = data + size;
  while (failure_ == 0 && p != end) {
    const auto available = static_cast<std::size_t>(end - p);
    switch (state_) {
      case state::header: {
        const std::size_t n = std::min(header_.size() - header_bytes_, available);
        const bool had_length = header_bytes_ >= 4;
        std::memcpy(header_.data() + header_bytes_, p, n);
        header_bytes_ += n;
        p += n;
        if (!had_length && header_bytes_ >= 4) {
          const auto byte = [this](std::size_t i) {
            return static_cast<std::uint32_t>(static_cast<unsigned char>(header_[i]));
          };
          length_ = byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
          // Refuse an oversized claim now, before the type byte and long before any of the
          // payload: nothing of that size is ever allocated or waited for.
          if (length_ > opts_.max_frame_size) {
            fail(error::frame_too_large);
            break;
          }
        }
        if (header_bytes_ == header_.size()) start_frame(handler);
        break;
      }
      case state::data: {
        const std::size_t n = std::min<std::size_t>(remaining_, available);
        handler.on_data(p, n);
        p += n;
        remaining_ -= static_cast<std::uint32_t>(n);
        if (remaining_ == 0) end_data_frame(handler);
        break;
      }
      case state::heartbeat: {
        const std::size_t n = std::min<std::size_t>(remaining_, available);
        std::memcpy(payload_.data() + (length_ - remaining_), p, n);
        p += n;
        remaining_ -= static_cast<std::uint32_t>(n);
        if (remaining_ == 0) end_heartbeat(handler);
        break;
      }
    }
  }
  return error();
}

// ---- encoder ------------------------------------------------------------------------------

inline length_prefixed_encoder::length_prefixed_encoder(const length_prefixed_options& options)
    : opts_(options) {
  if (auto ec = opts_.validate())
    throw system_error(ec, "liveness::codec::length_prefixed_encoder: invalid options");
}

namespace detail {

inline void put_header(char* out, std::uint32_t length, frame_type type) noexcept {
  out[0] = static_cast<char>(static_cast<unsigned char>(length >> 24));
  out[1] = static_cast<char>(static_cast<unsigned char>(length >> 16));
  out[2] = static_cast<char>(static_cast<unsigned char>(length >> 8));
  out[3] = static_cast<char>(static_cast<unsigned char>(length));
  out[4] = static_cast<char>(static_cast<std::uint8_t>(type));
}

}  // namespace detail

inline length_prefixed_encoder::header_bytes length_prefixed_encoder::data_header(
    std::size_t payload_size, bool more) const {
  if (payload_size > opts_.max_frame_size)
    throw system_error(make_error_code(error::frame_too_large),
                       "liveness::codec::length_prefixed_encoder::data_header");
  header_bytes h{};
  detail::put_header(h.data(), static_cast<std::uint32_t>(payload_size),
                     more ? frame_type::data_more : frame_type::data);
  return h;
}

inline length_prefixed_encoder::frame length_prefixed_encoder::heartbeat(
    frame_type type, const void* payload, std::size_t size) const {
  if (size > length_prefixed_options::max_heartbeat_payload)
    throw system_error(make_error_code(error::protocol_error),
                       "liveness::codec::length_prefixed_encoder: heartbeat payload over "
                       "64 bytes");
  if (size > opts_.max_frame_size)
    throw system_error(make_error_code(error::frame_too_large),
                       "liveness::codec::length_prefixed_encoder: heartbeat payload over "
                       "max_frame_size");
  frame f;
  detail::put_header(f.bytes_.data(), static_cast<std::uint32_t>(size), type);
  if (size != 0) std::memcpy(f.bytes_.data() + header_size, payload, size);
  f.size_ = header_size + size;
  return f;
}

inline length_prefixed_encoder::frame length_prefixed_encoder::ping(const void* payload,
                                                                    std::size_t size) const {
  return heartbeat(frame_type::ping, payload, size);
}

inline length_prefixed_encoder::frame length_prefixed_encoder::pong(const void* payload,
                                                                    std::size_t size) const {
  return heartbeat(frame_type::pong, payload, size);
}

inline std::size_t length_prefixed_encoder::chunk_size(std::size_t remaining,
                                                       std::size_t max_chunk) const noexcept {
  if (max_chunk == 0) max_chunk = 1;
  return std::min({remaining, max_chunk, static_cast<std::size_t>(opts_.max_frame_size)});
}

}  // namespace codec
}  // namespace liveness

#endif  // LIVENESS_CODEC_IMPL_LENGTH_PREFIXED_HPP
