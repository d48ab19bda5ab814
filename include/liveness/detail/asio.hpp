//
// liveness/detail/asio.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The one place that includes the Asio backend: standalone Asio, or Boost.Asio when
// LIVENESS_USE_BOOST_ASIO is defined (config.hpp makes that choice and names the namespace
// `liveness::net`). Every header of the library that speaks Asio includes this header and
// then uses `net::...`; none writes the `#if` itself.
//
// One set for the whole library, not one per header: every Asio-facing header already pulls
// in most of it (async_compose alone brings the executor, handler and error machinery), so a
// smaller set per header would save little and would have to be kept in step by hand. The
// set is what the library uses, not all of <asio.hpp> (no SSL, no signal_set, no streams,
// no serial ports, no experimental).
//
// core/, codec/ and the engine are sans-I/O: they must never include this (enforced by
// tests/unit/core_without_asio_test.cpp).
//
#ifndef LIVENESS_DETAIL_ASIO_HPP
#define LIVENESS_DETAIL_ASIO_HPP

#include <liveness/config.hpp>

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#else
#include <asio/any_io_executor.hpp>
#include <asio/associated_allocator.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/async_result.hpp>
#include <asio/basic_waitable_timer.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/buffer.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/compose.hpp>
#include <asio/connect.hpp>
#include <asio/dispatch.hpp>
#include <asio/error.hpp>
#include <asio/execution/context.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/execution_context.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/query.hpp>
#include <asio/socket_base.hpp>
#include <asio/strand.hpp>
#include <asio/write.hpp>
#endif

#include <typeinfo>

namespace liveness {
namespace detail {

/// The `T` that `ex` holds, or null when it holds anything else (or nothing).
/// `any_io_executor::target<T>()` is not enough: standalone Asio before 1.24 (Debian
/// bookworm's 1.22) does not compare the type, it casts whatever executor is inside to `T`
/// (a strand is then read as an io_context executor). Without RTTI the answer is null: the
/// callers then take their general path (dispatch, the executor as given).
template <class T>
const T* executor_target(const net::any_io_executor& ex) noexcept {
#if (defined(LIVENESS_USE_BOOST_ASIO) && !defined(BOOST_ASIO_NO_TYPEID)) || \
    (!defined(LIVENESS_USE_BOOST_ASIO) && !defined(ASIO_NO_TYPEID))
  if (!ex || ex.target_type() != typeid(T)) return nullptr;
  return ex.template target<T>();
#else
  (void)ex;
  return nullptr;
#endif
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_ASIO_HPP
