//
// liveness/impl/reconnect.ipp
//
// The non-template code of <liveness/reconnect.hpp>: included by that
// header when header-only, compiled once by <liveness/src.hpp> with
// LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_IMPL_RECONNECT_IPP
#define LIVENESS_IMPL_RECONNECT_IPP

#include <liveness/reconnect.hpp>

namespace liveness {

LIVENESS_DECL error_code reconnect_options::validate() const noexcept {
  if (auto ec = backoff().validate()) return ec;
  if (connect_timeout <= core::duration::zero())
    return make_error_code(core::backoff_error::negative_min_delay);
  return {};
}

LIVENESS_DECL std::string connect_error_name(const error_code& ec) {
  struct named {
    error_code code;
    const char* name;
  };
  const named names[] = {
      {net::error::connection_refused, "connection_refused"},
      {net::error::host_unreachable, "host_unreachable"},
      {net::error::network_unreachable, "network_unreachable"},
      {net::error::timed_out, "timed_out"},
      {net::error::host_not_found, "host_not_found"},
      {net::error::host_not_found_try_again, "host_not_found_try_again"},
      {net::error::service_not_found, "service_not_found"},
      {net::error::address_in_use, "address_in_use"},
      {net::error::network_down, "network_down"},
      {net::error::connection_reset, "connection_reset"},
      {net::error::operation_aborted, "operation_aborted"},
  };
  for (const auto& n : names)
    if (ec == n.code) return n.name;
  return error_name(ec);
}

}  // namespace liveness

#endif  // LIVENESS_IMPL_RECONNECT_IPP
