//
// liveness/core/impl/agreement.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_CORE_IMPL_AGREEMENT_HPP
#define LIVENESS_CORE_IMPL_AGREEMENT_HPP

#include <chrono>

namespace liveness {
namespace core {
namespace detail {

constexpr std::uint32_t agreement_never = 0xFFFFFFFFu;

// Whole milliseconds, rounded up; 0xFFFFFFFF for 49.7 days or more (and negative as 0).
LIVENESS_DECL std::uint32_t to_wire_ms(duration d) noexcept;

LIVENESS_DECL duration from_wire_ms(std::uint32_t ms) noexcept;

LIVENESS_DECL void put_u32(char* out, std::uint32_t v) noexcept;

LIVENESS_DECL std::uint32_t get_u32(const char* p) noexcept;

LIVENESS_DECL void put_tag(char* p, char kind) noexcept;

LIVENESS_DECL bool has_tag(const char* p, std::size_t size, char kind) noexcept;

}  // namespace detail

}  // namespace core
}  // namespace liveness

#endif  // LIVENESS_CORE_IMPL_AGREEMENT_HPP
