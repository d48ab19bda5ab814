//
// liveness/impl/registry.ipp
//
// The non-template code of <liveness/registry.hpp>: included by that
// header when header-only, compiled once by <liveness/src.hpp> with
// LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_IMPL_REGISTRY_IPP
#define LIVENESS_IMPL_REGISTRY_IPP

#include <liveness/registry.hpp>

namespace liveness {

namespace detail {

LIVENESS_DECL bool is_endpoint_id(std::string_view id) noexcept {
  return id.substr(0, endpoint_id_prefix.size()) == endpoint_id_prefix;
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_IMPL_REGISTRY_IPP
