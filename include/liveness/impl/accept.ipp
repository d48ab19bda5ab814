//
// liveness/impl/accept.ipp
//
// The non-template code of <liveness/accept.hpp>: included by that
// header when header-only, compiled once by <liveness/src.hpp> with
// LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_IMPL_ACCEPT_IPP
#define LIVENESS_IMPL_ACCEPT_IPP

#include <liveness/accept.hpp>

namespace liveness {

LIVENESS_DECL error_code accept_options::validate() const noexcept {
  if (initial_pause <= core::duration::zero()) {
    return make_error_code(core::backoff_error::negative_min_delay);
  }
  if (max_pause < initial_pause) return make_error_code(core::backoff_error::max_below_min);
  return {};
}

LIVENESS_DECL core::duration accept_options::pause(std::uint32_t failures) const noexcept {
  core::duration d = initial_pause;
  for (std::uint32_t i = 1; i < failures && d < max_pause; ++i) {
    // Doubles until the cap; never past half of max_pause, so it cannot overflow.
    d = d > max_pause / 2 ? max_pause : d * 2;
  }
  return d < max_pause ? d : max_pause;
}

LIVENESS_DECL bool is_accept_resource_error(const error_code& ec) noexcept {
  return ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
         ec == net::error::no_memory || ec == sys::errc::too_many_files_open_in_system;
}

}  // namespace liveness

#endif  // LIVENESS_IMPL_ACCEPT_IPP
