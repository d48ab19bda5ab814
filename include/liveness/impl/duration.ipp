//
// liveness/impl/duration.ipp
//
// The non-template code of <liveness/duration.hpp>: included by that
// header when header-only, compiled once by <liveness/src.hpp> with
// LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_IMPL_DURATION_IPP
#define LIVENESS_IMPL_DURATION_IPP

#include <liveness/duration.hpp>

#include <charconv>
#include <cstdint>
#include <limits>
#include <system_error>

namespace liveness {

LIVENESS_DECL std::chrono::milliseconds parse_duration(std::string_view text, error_code& ec,
                                                       unitless bare) noexcept {
  using ms = std::chrono::milliseconds;
  ec = {};
  auto fail = [&ec](auto why) {  // std::errc or boost::system::errc::errc_t
    ec = make_error_code(why);
    return ms(0);
  };
  std::int64_t n = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  const auto [p, err] = std::from_chars(first, last, n);
  if (p == first) return fail(sys::errc::invalid_argument);
  const std::string_view unit(p, static_cast<std::size_t>(last - p));
  std::int64_t mult = 0;
  if (unit == "ms")
    mult = 1;
  else if (unit == "s" || (unit.empty() && bare == unitless::seconds))
    mult = 1000;
  else if (unit == "m")
    mult = 60 * 1000;
  else if (unit == "h")
    mult = 3600 * 1000;
  else
    return fail(sys::errc::invalid_argument);
  const auto max = std::numeric_limits<std::int64_t>::max();
  if (err == std::errc::result_out_of_range || n > max / mult || n < -(max / mult))
    return fail(sys::errc::result_out_of_range);
  if (err != std::errc()) return fail(sys::errc::invalid_argument);
  return ms(n * mult);
}

}  // namespace liveness

#endif  // LIVENESS_IMPL_DURATION_IPP
