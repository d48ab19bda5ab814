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

// ---- decoder ------------------------------------------------------------------------------

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

}  // namespace codec
}  // namespace liveness

#endif  // LIVENESS_CODEC_IMPL_LENGTH_PREFIXED_HPP
