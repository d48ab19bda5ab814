//
// liveness/src.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The library's non-template code and its common sessions, for separate compilation: with
// LIVENESS_SEPARATE_COMPILATION defined in every translation unit of the program, include
// this header in exactly one .cpp file (and nothing else there is needed). The CMake target
// liveness::separate does both for you. See docs/separate_compilation.md.
//
#ifndef LIVENESS_SRC_HPP
#define LIVENESS_SRC_HPP

#include <liveness/config.hpp>

#if !defined(LIVENESS_SEPARATE_COMPILATION)
#error "<liveness/src.hpp> is for LIVENESS_SEPARATE_COMPILATION builds: define it in every translation unit, or include no src.hpp at all (header-only)"
#elif defined(LIVENESS_HEADER_ONLY)
#error "<liveness/src.hpp>: a liveness header was included before LIVENESS_SEPARATE_COMPILATION was defined in this file (define it on the command line)"
#endif

#include <liveness.hpp>

#include <liveness/codec/impl/length_prefixed.ipp>
#include <liveness/codec/impl/line.ipp>
#include <liveness/codec/impl/mqtt.ipp>
#include <liveness/core/impl/agreement.ipp>
#include <liveness/core/impl/backoff.ipp>
#include <liveness/core/impl/detector.ipp>
#include <liveness/core/impl/detector_options.ipp>
#include <liveness/impl/accept.ipp>
#include <liveness/impl/diagnosis.ipp>
#include <liveness/impl/duration.ipp>
#include <liveness/impl/error.ipp>
#include <liveness/impl/keepalive.ipp>
#include <liveness/impl/reconnect.ipp>
#include <liveness/impl/registry.ipp>
#include <liveness/impl/session_options.ipp>
#include <liveness/timer/impl/shared_wheel.ipp>
#include <liveness/timer/impl/wheel.ipp>

// The sessions and registries that every other unit declares `extern`
// (impl/session_instances.hpp).
namespace liveness {
LIVENESS_DETAIL_SESSION_INSTANCES()
LIVENESS_DETAIL_REGISTRY_INSTANCES()
}  // namespace liveness

#endif  // LIVENESS_SRC_HPP
