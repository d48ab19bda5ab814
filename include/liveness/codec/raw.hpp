//
// liveness/codec/raw.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// codec::raw: the codec of the policies that add nothing to the stream
// (`heartbeat::none`, `heartbeat::idle_timeout`). Every byte is user data.
//
#ifndef LIVENESS_CODEC_RAW_HPP
#define LIVENESS_CODEC_RAW_HPP

#include <liveness/codec/codec.hpp>
#include <liveness/config.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace liveness {
namespace codec {

/// Every byte is user data; no heartbeat frames, no message boundaries.
struct raw {
  static constexpr bool has_messages = false;

  struct options {
    static constexpr options standard() noexcept { return {}; }
    error_code validate() const noexcept { return {}; }
  };

  class decoder {
   public:
    explicit decoder(const options& = {}) noexcept {}
    template <class Handler>
    error_code feed(const char* data, std::size_t size, Handler&& handler) {
      if (size) handler.on_data(data, size);
      return {};
    }
    template <class Handler>
    error_code finish(Handler&&) noexcept {
      return {};
    }
    // Codec requirements: no boundaries, so every byte completes a unit.
    bool data_completes_unit() const noexcept { return true; }
    // Every cut decodes the same (optional member, docs/codec.md).
    bool splits_anywhere() const noexcept { return true; }
    bool mid_unit() const noexcept { return false; }
    std::uint64_t units_ended() const noexcept { return 0; }
  };

  class encoder {
   public:
    explicit encoder(const options& = {}) noexcept {}
    // Codec requirements: user bytes go out as they are, no heartbeat is ever written.
    std::size_t frame_chunk(const char*, std::size_t size, std::size_t max_chunk, bool,
                            chunk_header& header) const noexcept {
      header.size = 0;
      return (std::min)(size, (std::max)(max_chunk, std::size_t(1)));
    }
    bool heartbeat_allowed() const noexcept { return false; }
    void append_heartbeat(bool, std::string&) const noexcept {}
  };
};

}  // namespace codec
}  // namespace liveness

#endif  // LIVENESS_CODEC_RAW_HPP
