//
// liveness/impl/session/wait_dead.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// session::async_wait_dead.
//
#ifndef LIVENESS_IMPL_SESSION_WAIT_DEAD_HPP
#define LIVENESS_IMPL_SESSION_WAIT_DEAD_HPP

#include <liveness/impl/session/ops.hpp>

#include <memory>

namespace liveness {
namespace detail {

template <class Impl>
struct wait_dead_op {
  std::shared_ptr<Impl> s;
  bool started = false;

  template <class Self>
  void operator()(Self& self, error_code = {}) {
    if (start_op(started, self, s->get_executor())) return;
    if (s->engine_.dead()) return complete_op(self, s->engine_.reason());
    if (s->engine_.closed() || cancelled(self))
      return complete_op(self, net::error::operation_aborted);
    s->park(s->dead_waiters_, self);
  }
};

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_IMPL_SESSION_WAIT_DEAD_HPP
