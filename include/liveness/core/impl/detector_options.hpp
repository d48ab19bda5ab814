//
// liveness/core/impl/detector_options.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_CORE_IMPL_DETECTOR_OPTIONS_HPP
#define LIVENESS_CORE_IMPL_DETECTOR_OPTIONS_HPP

#include <algorithm>

namespace liveness {
namespace core {

}  // namespace core
}  // namespace liveness

#endif  // LIVENESS_CORE_IMPL_DETECTOR_OPTIONS_HPP
