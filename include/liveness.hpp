//
// liveness.hpp: every public liveness facility.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_HPP
#define LIVENESS_HPP

#include <liveness/accept.hpp>
#include <liveness/as_tuple.hpp>
#include <liveness/codec/length_prefixed.hpp>
#include <liveness/codec/line.hpp>
#include <liveness/codec/mqtt.hpp>
#include <liveness/config.hpp>
#include <liveness/core/backoff.hpp>
#include <liveness/core/clock.hpp>
#include <liveness/core/detector.hpp>
#include <liveness/core/presence.hpp>
#include <liveness/diagnosis.hpp>
#include <liveness/duration.hpp>
#include <liveness/error.hpp>
#include <liveness/heartbeat.hpp>
#include <liveness/keepalive.hpp>
#include <liveness/reconnect.hpp>
#include <liveness/registry.hpp>
#include <liveness/role.hpp>
#include <liveness/session.hpp>
#include <liveness/timer/shared_wheel.hpp>
#include <liveness/timer/wheel.hpp>

#endif  // LIVENESS_HPP
