//
// liveness/core/impl/detector.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_CORE_IMPL_DETECTOR_HPP
#define LIVENESS_CORE_IMPL_DETECTOR_HPP

#include <limits>

namespace liveness {
namespace core {
namespace detail {

inline void add_counter(std::uint64_t& counter, std::uint64_t n) noexcept {
  counter = n > std::numeric_limits<std::uint64_t>::max() - counter
                ? std::numeric_limits<std::uint64_t>::max()
                : counter + n;
}

inline void increment(std::uint32_t& counter) noexcept {
  if (counter != std::numeric_limits<std::uint32_t>::max()) ++counter;
}

/// `d * n`, clamped to `duration::max()` (d >= 0).
inline duration times_saturated(duration d, std::uint64_t n) noexcept {
  if (d <= duration::zero() || n == 0) return duration::zero();
  const auto max = static_cast<std::uint64_t>(duration::max().count());
  const auto c = static_cast<std::uint64_t>(d.count());
  if (c > max / n) return duration::max();
  return duration(static_cast<duration::rep>(c * n));
}

inline bool pings_from(ping_role pinger, role local) noexcept {
  switch (pinger) {
    case ping_role::client: return local == role::client;
    case ping_role::server: return local == role::server;
    case ping_role::both: return true;
    case ping_role::answer_only: return false;
  }
  return false;
}

}  // namespace detail

}  // namespace core
}  // namespace liveness

#endif  // LIVENESS_CORE_IMPL_DETECTOR_HPP
