//
// liveness/impl/duration.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_IMPL_DURATION_HPP
#define LIVENESS_IMPL_DURATION_HPP

#include <charconv>
#include <cstdint>
#include <limits>
#include <system_error>

namespace liveness {

}  // namespace liveness

#endif  // LIVENESS_IMPL_DURATION_HPP
