//
// liveness/timer/impl/shared_wheel.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_TIMER_IMPL_SHARED_WHEEL_HPP
#define LIVENESS_TIMER_IMPL_SHARED_WHEEL_HPP

#include <liveness/detail/asio.hpp>

#include <type_traits>
#include <utility>
#include <vector>

namespace liveness {
namespace timer {

template <class Executor>
shared_wheel& shared_wheel::of(const Executor& ex) {
  using io_strand = net::strand<net::io_context::executor_type>;
  // An io_context (io_context executors and their strands say so by type) creates the
  // wheel with its own executor; `any_io_executor` only knows an execution_context.
  auto& ctx = net::query(ex, net::execution::context);
  auto& w = net::use_service<shared_wheel>(ctx);
  if constexpr (std::is_same_v<Executor, io_strand>) {
    w.adopt_executor(ex.get_inner_executor());
  } else if constexpr (std::is_same_v<Executor, net::any_io_executor>) {
    if (const auto* s = liveness::detail::executor_target<io_strand>(ex))
      w.adopt_executor(s->get_inner_executor());
    else
      w.adopt_executor(ex);
  } else {
    w.adopt_executor(ex);
  }
  return w;
}

}  // namespace timer
}  // namespace liveness

#endif  // LIVENESS_TIMER_IMPL_SHARED_WHEEL_HPP
