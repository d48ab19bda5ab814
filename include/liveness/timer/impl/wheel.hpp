//
// liveness/timer/impl/wheel.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_TIMER_IMPL_WHEEL_HPP
#define LIVENESS_TIMER_IMPL_WHEEL_HPP

#include <algorithm>
#include <limits>

namespace liveness {
namespace timer {

template <class F>
std::size_t wheel::expire(core::time_point now, F&& f) {
  // Entries armed due at the latest `now` are handed out now (unless `now` went backwards:
  // never before a deadline); those armed so by `f` below wait for the next call (no
  // endless loop).
  if (now >= last_now_) {
    last_now_ = now;
    while (ready_) {
      wheel_entry& e = *ready_;
      unlink(e);
      e.tick_ = due_tick;
      link(due_, e);
    }
  }
  const std::uint64_t target = tick_of(now);
  if (target > current_) {
    const std::uint64_t span = target - current_;
    const std::size_t n = mask_ + 1;
    const std::size_t count = span >= n ? n : static_cast<std::size_t>(span);
    const std::size_t from = static_cast<std::size_t>(current_ + 1) & mask_;
    for (std::size_t i = 0; i < count;) {
      const std::size_t off = scan((from + i) & mask_, count - i);
      if (off == count - i) break;
      collect((from + i + off) & mask_, target);
      i += off + 1;
    }
    current_ = target;
  }
  std::size_t handed = 0;
  while (due_) {
    wheel_entry& e = *due_;
    unlink(e);
    --size_;
    ++handed;
    f(e);
  }
  return handed;
}

}  // namespace timer
}  // namespace liveness

#endif  // LIVENESS_TIMER_IMPL_WHEEL_HPP
