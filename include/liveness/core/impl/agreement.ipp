//
// liveness/core/impl/agreement.ipp
//
// The non-template code of <liveness/core/agreement.hpp>: included by that
// header when header-only, compiled once by <liveness/src.hpp> with
// LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_CORE_IMPL_AGREEMENT_IPP
#define LIVENESS_CORE_IMPL_AGREEMENT_IPP

#include <liveness/core/agreement.hpp>

namespace liveness {

namespace core {

namespace detail {

LIVENESS_DECL std::uint32_t to_wire_ms(duration d) noexcept {
  if (d <= duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
  if (ms >= static_cast<long long>(agreement_never)) return agreement_never;
  return static_cast<std::uint32_t>(ms);
}

LIVENESS_DECL duration from_wire_ms(std::uint32_t ms) noexcept {
  if (ms == agreement_never) return duration::max();
  return std::chrono::duration_cast<duration>(std::chrono::milliseconds(ms));
}

LIVENESS_DECL void put_u32(char* out, std::uint32_t v) noexcept {
  out[0] = static_cast<char>(static_cast<unsigned char>(v >> 24));
  out[1] = static_cast<char>(static_cast<unsigned char>(v >> 16));
  out[2] = static_cast<char>(static_cast<unsigned char>(v >> 8));
  out[3] = static_cast<char>(static_cast<unsigned char>(v));
}

LIVENESS_DECL std::uint32_t get_u32(const char* p) noexcept {
  const auto b = [p](int i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(p[i]));
  };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

LIVENESS_DECL void put_tag(char* p, char kind) noexcept {
  p[0] = 'L';
  p[1] = 'V';
  p[2] = kind;
  p[3] = '\x01';  // version 1
}

LIVENESS_DECL bool has_tag(const char* p, std::size_t size, char kind) noexcept {
  return size >= 4 && p[0] == 'L' && p[1] == 'V' && p[2] == kind && p[3] == '\x01';
}

}  // namespace detail

LIVENESS_DECL agreement_payload encode_hello(const hello_values& v) noexcept {
  agreement_payload out;
  char* p = out.bytes.data();
  detail::put_tag(p, 'H');
  detail::put_u32(p + 4, detail::to_wire_ms(v.interval));
  detail::put_u32(p + 8, detail::to_wire_ms(v.timeout));
  detail::put_u32(p + 12, detail::to_wire_ms(v.min_ping_interval));
  p[16] = static_cast<char>(v.pings ? 1 : 0);
  out.size = hello_payload_size;
  return out;
}

LIVENESS_DECL agreement_payload encode_too_many_pings() noexcept {
  agreement_payload out;
  detail::put_tag(out.bytes.data(), 'T');
  out.size = too_many_pings_payload_size;
  return out;
}

LIVENESS_DECL agreement_frame parse_agreement(const char* data, std::size_t size) noexcept {
  agreement_frame f;
  if (data == nullptr) return f;
  if (detail::has_tag(data, size, 'T')) {
    f.kind = agreement_kind::too_many_pings;
  } else if (detail::has_tag(data, size, 'H') && size >= hello_payload_size) {
    f.kind = agreement_kind::hello;
    f.hello.interval = detail::from_wire_ms(detail::get_u32(data + 4));
    f.hello.timeout = detail::from_wire_ms(detail::get_u32(data + 8));
    f.hello.min_ping_interval = detail::from_wire_ms(detail::get_u32(data + 12));
    f.hello.pings = (static_cast<unsigned char>(data[16]) & 1u) != 0;
  }
  return f;
}

}  // namespace core
}  // namespace liveness

#endif  // LIVENESS_CORE_IMPL_AGREEMENT_IPP
