//
// liveness/core/impl/backoff.ipp
//
// The non-template code of <liveness/core/backoff.hpp>: included by that
// header when header-only, compiled once by <liveness/src.hpp> with
// LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_CORE_IMPL_BACKOFF_IPP
#define LIVENESS_CORE_IMPL_BACKOFF_IPP

#include <liveness/core/backoff.hpp>

namespace liveness {

namespace core {

LIVENESS_DECL const sys::error_category& backoff_category() noexcept {
  static const detail::backoff_category_impl instance;
  return instance;
}

LIVENESS_DECL error_code make_error_code(backoff_error e) noexcept {
  return error_code(static_cast<int>(e), backoff_category());
}

LIVENESS_DECL error_code backoff_options::validate() const noexcept {
  if (min_delay < duration::zero()) return make_error_code(backoff_error::negative_min_delay);
  if (max_delay < min_delay) return make_error_code(backoff_error::max_below_min);
  if (!(multiplier >= 1.0) || !std::isfinite(multiplier))
    return make_error_code(backoff_error::bad_multiplier);
  if (max_attempts && *max_attempts == 0)
    return make_error_code(backoff_error::zero_max_attempts);
  if (stable_after < duration::zero())
    return make_error_code(backoff_error::negative_stable_after);
  return {};
}

LIVENESS_DECL backoff::backoff(const backoff_options& options) : options_(options) {
  if (auto ec = options_.validate()) throw system_error(ec);
}

LIVENESS_DECL duration backoff::cap(std::uint32_t n) const noexcept {
  const auto lo = options_.min_delay;
  const auto hi = options_.max_delay;
  if (lo <= duration::zero()) return duration::zero();  // growth multiplies the floor
  if (lo >= hi) return hi;
  // min_delay * multiplier^n in floating point; anything not below max_delay is the cap
  // (pow may overflow to infinity, which compares as not below).
  const double c = static_cast<double>(lo.count()) * std::pow(options_.multiplier, n);
  if (!(c < static_cast<double>(hi.count()))) return hi;
  const auto v = duration(static_cast<duration::rep>(c));
  return v < lo ? lo : v;
}

LIVENESS_DECL void backoff::on_connected(time_point now) noexcept {
  connected_ = true;
  connected_at_ = now;
}

}  // namespace core
}  // namespace liveness

#endif  // LIVENESS_CORE_IMPL_BACKOFF_IPP
