//
// liveness/codec/impl/length_prefixed.ipp
//
// The non-template code of <liveness/codec/length_prefixed.hpp>: included by that
// header when header-only, compiled once by <liveness/src.hpp> with
// LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_CODEC_IMPL_LENGTH_PREFIXED_IPP
#define LIVENESS_CODEC_IMPL_LENGTH_PREFIXED_IPP

#include <liveness/codec/length_prefixed.hpp>

namespace liveness {

namespace codec {

LIVENESS_DECL error_code length_prefixed_options::validate() const noexcept {
  if (max_frame_size == 0) return error::codec_invalid_options;
  return {};
}

LIVENESS_DECL length_prefixed_decoder::length_prefixed_decoder(
    const length_prefixed_options& options)
    : opts_(options) {
  if (auto ec = opts_.validate())
    throw system_error(ec, "liveness::codec::length_prefixed_decoder: invalid options");
}

LIVENESS_DECL void length_prefixed_decoder::reset() noexcept {
  failure_ = 0;
  state_ = state::header;
  type_ = 0;
  in_message_ = false;
  header_bytes_ = 0;
  length_ = 0;
  remaining_ = 0;
  message_size_ = 0;
}

LIVENESS_DECL length_prefixed_encoder::length_prefixed_encoder(
    const length_prefixed_options& options)
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

LIVENESS_DECL length_prefixed_encoder::header_bytes length_prefixed_encoder::data_header(
                                                                                         std::size_t payload_size, bool more) const {
  if (payload_size > opts_.max_frame_size)
    throw system_error(make_error_code(error::frame_too_large),
                       "liveness::codec::length_prefixed_encoder::data_header");
  header_bytes h{};
  detail::put_header(h.data(), static_cast<std::uint32_t>(payload_size),
                     more ? frame_type::data_more : frame_type::data);
  return h;
}

LIVENESS_DECL length_prefixed_encoder::frame length_prefixed_encoder::heartbeat(
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

LIVENESS_DECL length_prefixed_encoder::frame length_prefixed_encoder::ping(const void* payload,
                                                                           std::size_t size) const {
  return heartbeat(frame_type::ping, payload, size);
}

LIVENESS_DECL length_prefixed_encoder::frame length_prefixed_encoder::pong(const void* payload,
                                                                           std::size_t size) const {
  return heartbeat(frame_type::pong, payload, size);
}

LIVENESS_DECL std::size_t length_prefixed_encoder::chunk_size(std::size_t remaining,
                                                              std::size_t max_chunk) const noexcept {
  if (max_chunk == 0) max_chunk = 1;
  return std::min({remaining, max_chunk, static_cast<std::size_t>(opts_.max_frame_size)});
}

}  // namespace codec
}  // namespace liveness

#endif  // LIVENESS_CODEC_IMPL_LENGTH_PREFIXED_IPP
