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

inline shared_wheel::shared_wheel(net::io_context& io)
    : net::execution_context::service(io),
      timer_executor_(io.get_executor()),
      wheel_(std::in_place, core::clock_type::now()) {}

inline shared_wheel::shared_wheel(net::execution_context& ctx)
    : net::execution_context::service(ctx), wheel_(std::in_place, core::clock_type::now()) {}

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

inline void shared_wheel::adopt_executor(net::any_io_executor ex) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Untracked: the wheel's timer keeps the context running only while a wait is pending.
  if (!timer_executor_)
    timer_executor_ = net::prefer(std::move(ex), net::execution::outstanding_work.untracked);
}

inline bool shared_wheel::configure(const wheel_options& options) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!wheel_->empty()) return false;
  wheel_.emplace(core::clock_type::now(), options);
  return true;
}

inline wheel_options shared_wheel::options() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return wheel_->options();
}

inline std::size_t shared_wheel::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return wheel_->size();
}

inline std::uint64_t shared_wheel::wakeups() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return wakeups_;
}

inline void shared_wheel::arm(wheel_timer& t, core::time_point deadline) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (shut_down_) return;
  wheel_->arm(t, deadline);
  // The timer already wakes at or before this deadline (then the expiry pass schedules the
  // next wake-up): no scan of the slots for the next expiry on most arms.
  if (scheduled_ && scheduled_at_ <= deadline) return;
  schedule_locked();
}

inline void shared_wheel::cancel(wheel_timer& t) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  wheel_->cancel(t);
  // While timers remain, the steady_timer stays as it is (at worst one wake-up that finds
  // nothing due). An empty wheel cancels it, so that it neither wakes the io_context nor
  // keeps run() from returning.
  if (wheel_->empty() && scheduled_ && timer_) {
    scheduled_ = false;
    ++generation_;
    timer_->cancel();
  }
}

inline void shared_wheel::schedule_locked() {
  const auto next = wheel_->next_expiry();
  if (!next) return;
  if (scheduled_ && scheduled_at_ <= *next) return;
  if (!timer_) {
    if (!timer_executor_) return;  // only through of(), which provides the executor
    timer_.emplace(timer_executor_);
  }
  scheduled_ = true;
  scheduled_at_ = *next;
  const std::uint64_t generation = ++generation_;
  // expires_at cancels a wait still pending; its handler sees a stale generation.
  timer_->expires_at(*next);
  timer_->async_wait([this, generation](const error_code& ec) { on_timer(ec, generation); });
}

inline void shared_wheel::on_timer(const error_code& ec, std::uint64_t generation) {
  std::vector<due> fired;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // A stale generation: this wait was superseded by an earlier one (expires_at).
    if (shut_down_ || generation != generation_) return;
    (void)ec;  // the current wait: whatever its result, expire what is due and go on
    scheduled_ = false;
    ++wakeups_;
    fired.swap(spare_);  // no allocation in the steady state
    wheel_->expire(core::clock_type::now(), [&](wheel_entry& e) {
      auto& t = static_cast<wheel_timer&>(e);
      if (auto owner = t.wheel_lock()) fired.push_back({&t, std::move(owner)});
    });
    schedule_locked();
  }
  // The owners are alive through `owner`; each dispatches its work to its own executor.
  for (auto& d : fired) d.timer->wheel_fire(std::move(d.owner));
  fired.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  if (fired.capacity() > spare_.capacity()) spare_.swap(fired);
}

inline void shared_wheel::shutdown() {
  std::lock_guard<std::mutex> lock(mutex_);
  shut_down_ = true;
  timer_.reset();
  timer_executor_ = net::any_io_executor();
}

}  // namespace timer
}  // namespace liveness

#endif  // LIVENESS_TIMER_IMPL_SHARED_WHEEL_HPP
