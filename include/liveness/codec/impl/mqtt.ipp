//
// liveness/codec/impl/mqtt.ipp
//
// The non-template code of <liveness/codec/mqtt.hpp>: included by that
// header when header-only, compiled once by <liveness/src.hpp> with
// LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_CODEC_IMPL_MQTT_IPP
#define LIVENESS_CODEC_IMPL_MQTT_IPP

#include <liveness/codec/mqtt.hpp>

namespace liveness {

namespace codec {

namespace detail {

LIVENESS_DECL int mqtt_length_byte(unsigned char c, std::size_t index,
                                   std::uint32_t& value) noexcept {
  value |= static_cast<std::uint32_t>(c & 0x7Fu) << (7 * index);
  if (c & 0x80u) return index == 3 ? -1 : 0;
  if (c == 0 && index > 0) return -1;  // not the shortest form
  return 1;
}

}  // namespace detail

LIVENESS_DECL error_code mqtt_options::validate() const noexcept {
  if (max_packet_size < min_packet_size) return error::codec_invalid_options;
  return {};
}

LIVENESS_DECL mqtt_decoder::mqtt_decoder(const mqtt_options& options) : opts_(options) {
  if (auto ec = opts_.validate())
    throw system_error(ec, "liveness::codec::mqtt_decoder: invalid options");
}

LIVENESS_DECL void mqtt_decoder::reset() noexcept {
  failure_ = 0;
  state_ = state::type;
  header_size_ = 0;
  remaining_ = 0;
}

LIVENESS_DECL mqtt_encoder::mqtt_encoder(const mqtt_options& options) {
  if (auto ec = options.validate())
    throw system_error(ec, "liveness::codec::mqtt_encoder: invalid options");
}

LIVENESS_DECL std::size_t mqtt_encoder::put_remaining_length(std::uint32_t n, char* out) noexcept {
  if (n > mqtt_options::max_remaining_length) return 0;
  std::size_t i = 0;
  do {
    auto byte = static_cast<unsigned char>(n & 0x7Fu);
    n >>= 7;
    if (n != 0) byte = static_cast<unsigned char>(byte | 0x80u);
    out[i++] = static_cast<char>(byte);
  } while (n != 0);
  return i;
}

LIVENESS_DECL std::size_t mqtt_encoder::frame_chunk(const char* data, std::size_t size,
                                                    std::size_t max_chunk, bool,
                                                    chunk_header& header) {
  header.size = 0;
  const std::size_t n = (std::min)(size, (std::max)(max_chunk, std::size_t(1)));
  follow(data, n);
  return n;
}

LIVENESS_DECL void mqtt_encoder::follow(const char* data, std::size_t size) noexcept {
  const char* p = data;
  const char* const end = data + size;
  while (p != end && state_ != state::lost) {
    switch (state_) {
      case state::type:
        if ((static_cast<unsigned char>(*p++) >> 4) == 0) {
          state_ = state::lost;
          break;
        }
        length_bytes_ = 0;
        remaining_ = 0;
        state_ = state::length;
        break;
      case state::length: {
        const int r =
            detail::mqtt_length_byte(static_cast<unsigned char>(*p++), length_bytes_++, remaining_);
        if (r < 0)
          state_ = state::lost;
        else if (r > 0)
          state_ = remaining_ == 0 ? state::type : state::payload;
        break;
      }
      case state::payload: {
        const std::size_t n =
            (std::min)(std::size_t{remaining_}, static_cast<std::size_t>(end - p));
        p += n;
        remaining_ -= static_cast<std::uint32_t>(n);
        if (remaining_ == 0) state_ = state::type;
        break;
      }
      case state::lost:
        break;
    }
  }
}

}  // namespace codec
}  // namespace liveness

#endif  // LIVENESS_CODEC_IMPL_MQTT_IPP
