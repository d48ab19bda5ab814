//
// liveness/as_tuple.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// liveness::as_tuple: Asio's `as_tuple` completion token adapter under one name, whichever
// Asio this build uses. It is `net::as_tuple` from Asio 1.24 / Boost 1.80 on, and
// `net::experimental::as_tuple` before (Debian bookworm's standalone Asio is 1.22).
//
// Why it matters here: with plain `use_awaitable`, an operation that completes with an
// error throws it, and a session's `async_wait_dead` always completes with one (the
// reason). With `as_tuple`, the coroutine gets it as a value:
//
//   auto [reason] = co_await s.async_wait_dead(liveness::as_tuple(net::use_awaitable));
//   auto [ec, n] = co_await s.async_read_some(buf, liveness::as_tuple(net::use_awaitable));
//
#ifndef LIVENESS_AS_TUPLE_HPP
#define LIVENESS_AS_TUPLE_HPP

#include <liveness/config.hpp>

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/version.hpp>
#if BOOST_VERSION >= 108000
#include <boost/asio/as_tuple.hpp>
#define LIVENESS_DETAIL_AS_TUPLE_NS net
#else
#include <boost/asio/experimental/as_tuple.hpp>
#define LIVENESS_DETAIL_AS_TUPLE_NS net::experimental
#endif
#else
#include <asio/version.hpp>
#if ASIO_VERSION >= 102400
#include <asio/as_tuple.hpp>
#define LIVENESS_DETAIL_AS_TUPLE_NS net
#else
#include <asio/experimental/as_tuple.hpp>
#define LIVENESS_DETAIL_AS_TUPLE_NS net::experimental
#endif
#endif

namespace liveness {

/// Wraps a completion token so that the handler's arguments arrive as one std::tuple.
using LIVENESS_DETAIL_AS_TUPLE_NS::as_tuple;
/// The token type `as_tuple(token)` returns.
using LIVENESS_DETAIL_AS_TUPLE_NS::as_tuple_t;

}  // namespace liveness

#undef LIVENESS_DETAIL_AS_TUPLE_NS

#endif  // LIVENESS_AS_TUPLE_HPP
