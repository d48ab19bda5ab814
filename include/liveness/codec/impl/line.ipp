//
// liveness/codec/impl/line.ipp
//
// The non-template code of <liveness/codec/line.hpp>: included by that
// header when header-only, compiled once by <liveness/src.hpp> with
// LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_CODEC_IMPL_LINE_IPP
#define LIVENESS_CODEC_IMPL_LINE_IPP

#include <liveness/codec/line.hpp>

namespace liveness {

namespace codec {

LIVENESS_DECL error_code line_options::validate() const {
  const auto bad_text = [](const std::string& t) {
    return t.empty() || t.size() > max_text_size || t.find_first_of("\r\n") != std::string::npos;
  };
  if (bad_text(ping) || bad_text(pong) || ping == pong) return error_code(error::codec_invalid_options);
  switch (framing) {
    case line_framing::newline:
      break;
    case line_framing::bare:
      // Otherwise one text could complete inside the other and the stream would be
      // ambiguous.
      if (ping.find(pong) != std::string::npos || pong.find(ping) != std::string::npos)
        return error_code(error::codec_invalid_options);
      break;
    default:
      return error_code(error::codec_invalid_options);
  }
  if (max_line_length < std::max(ping.size(), pong.size()) + 1)
    return error_code(error::codec_invalid_options);
  return {};
}

LIVENESS_DECL line_shared_state::line_shared_state(line_options o) : options(std::move(o)) {
  if (auto ec = options.validate())
    throw system_error(ec, "liveness::codec::line: invalid line_options");
  const char* terminator = "";
  if (options.framing == line_framing::newline) terminator = options.send_crlf ? "\r\n" : "\n";
  ping_frame = options.ping + terminator;
  pong_frame = options.pong + terminator;
}

LIVENESS_DECL line_decoder::line_decoder(line_options options) {
  if (auto ec = options.validate())
    throw system_error(ec, "liveness::codec::line_decoder: invalid line_options");
  state_ = std::make_shared<const line_shared_state>(std::move(options));
}

LIVENESS_DECL void line_decoder::new_line() noexcept {
  line_len_ = 0;
  held_ = 0;
  candidate_ = true;
  can_ping_ = true;
  can_pong_ = true;
  cr_ = false;
}

LIVENESS_DECL void line_decoder::reset() noexcept {
  new_line();
  too_large_ = false;
}

// Bare framing: the ping or pong text at `p`, if one starts there (at most one can: neither
// text contains the other), as the text; nullptr otherwise.
LIVENESS_DECL const std::string* line_decoder::bare_text_at(const char* p, const char* end) const
    noexcept {
  const auto left = static_cast<std::size_t>(end - p);
  for (const std::string* t : {&state_->options.ping, &state_->options.pong})
    if (left >= t->size() && std::memcmp(p, t->data(), t->size()) == 0) return t;
  return nullptr;
}

LIVENESS_DECL line_encoder::line_encoder(line_options options) {
  if (auto ec = options.validate())
    throw system_error(ec, "liveness::codec::line_encoder: invalid line_options");
  state_ = std::make_shared<const line_shared_state>(std::move(options));
}

LIVENESS_DECL void line_encoder::on_data(const char* data, std::size_t size) noexcept {
  if (size == 0 || state_->options.framing == line_framing::bare) return;
  at_boundary_ = data[size - 1] == '\n';
}

LIVENESS_DECL std::size_t line_encoder::chunk_size(const char* data, std::size_t size,
                                                   std::size_t max_chunk) const noexcept {
  if (max_chunk == 0) max_chunk = 1;
  if (size <= max_chunk) return size;
  if (state_->options.framing == line_framing::newline) {
    for (std::size_t i = max_chunk; i > 0; --i)
      if (data[i - 1] == '\n') return i;
  }
  return max_chunk;
}

}  // namespace codec
}  // namespace liveness

#endif  // LIVENESS_CODEC_IMPL_LINE_IPP
