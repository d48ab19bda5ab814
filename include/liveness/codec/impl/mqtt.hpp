//
// liveness/codec/impl/mqtt.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_CODEC_IMPL_MQTT_HPP
#define LIVENESS_CODEC_IMPL_MQTT_HPP

#include <algorithm>

namespace liveness {
namespace codec {
namespace detail {

constexpr unsigned mqtt_type_pingreq = 12;
constexpr unsigned mqtt_type_pingresp = 13;

/// One more remaining-length byte `c`, the `index`-th (0-based): adds it to `value`.
/// Returns 1 when the length is complete, 0 when more bytes follow, -1 when the encoding
/// is malformed (a 5th byte would follow, or a last byte of 0 after a continuation).
LIVENESS_DECL int mqtt_length_byte(unsigned char c, std::size_t index,
                                   std::uint32_t& value) noexcept;

}  // namespace detail

// ---- decoder ------------------------------------------------------------------------------

template <class Handler>
error_code mqtt_decoder::finish(Handler&&) {
  if (failure_ != 0) return error();
  if (!at_packet_boundary()) fail(error::protocol_error);
  return error();
}

// The fixed header is in (`header_size_` bytes, remaining length in `remaining_`).
template <class Handler>
void mqtt_decoder::header_done(Handler& handler) {
  const auto type_byte = static_cast<unsigned char>(header_[0]);
  const unsigned type = type_byte >> 4;
  if (type == detail::mqtt_type_pingreq || type == detail::mqtt_type_pingresp) {
    // Reserved flags 0 and no remaining bytes (MQTT 3.1.1, 2.2.2 and 3.12 / 3.13).
    if ((type_byte & 0x0Fu) != 0 || remaining_ != 0) return fail(error::protocol_error);
    header_size_ = 0;
    state_ = state::type;
    if (type == detail::mqtt_type_pingreq)
      handler.on_ping(header_.data(), 0);
    else
      handler.on_pong(header_.data(), 0);
    return;
  }
  // Refused before any byte of it is handed out or held.
  if (header_size_ + std::size_t{remaining_} > opts_.max_packet_size)
    return fail(error::frame_too_large);
  const std::size_t n = header_size_;
  header_size_ = 0;
  handler.on_message_begin();
  handler.on_data(header_.data(), n);
  if (remaining_ == 0) {
    state_ = state::type;
    handler.on_message_end();
  } else {
    state_ = state::payload;
  }
}

template <class Handler>
error_code mqtt_decoder::feed(const char* data, std::size_t size, Handler&& handler) {
  const char* p = data;
  const char* const end = data + size;
  while (failure_ == 0 && p != end) {
    switch (state_) {
      case state::type: {
        const auto c = static_cast<unsigned char>(*p++);
        if ((c >> 4) == 0) {  // type 0 is reserved: not an MQTT stream
          fail(error::protocol_error);
          break;
        }
        header_[0] = static_cast<char>(c);
        header_size_ = 1;
        remaining_ = 0;
        state_ = state::length;
        break;
      }
      case state::length: {
        const auto c = static_cast<unsigned char>(*p++);
        header_[header_size_] = static_cast<char>(c);
        const int r = detail::mqtt_length_byte(c, header_size_ - 1, remaining_);
        ++header_size_;
        if (r < 0)
          fail(error::protocol_error);
        else if (r > 0)
          header_done(handler);
        break;
      }
      case state::payload: {
        const std::size_t n =
            (std::min)(std::size_t{remaining_}, static_cast<std::size_t>(end - p));
        handler.on_data(p, n);
        p += n;
        remaining_ -= static_cast<std::uint32_t>(n);
        if (remaining_ == 0) {
          state_ = state::type;
          handler.on_message_end();
        }
        break;
      }
    }
  }
  return error();
}

}  // namespace codec
}  // namespace liveness

#endif  // LIVENESS_CODEC_IMPL_MQTT_HPP
