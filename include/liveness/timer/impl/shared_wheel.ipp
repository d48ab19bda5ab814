//
// liveness/timer/impl/shared_wheel.ipp
//
// The non-template code of <liveness/timer/shared_wheel.hpp>: included by that
// header when header-only, compiled once by <liveness/src.hpp> with
// LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_TIMER_IMPL_SHARED_WHEEL_IPP
#define LIVENESS_TIMER_IMPL_SHARED_WHEEL_IPP

#include <liveness/timer/shared_wheel.hpp>

namespace liveness {

namespace timer {

LIVENESS_DECL shared_wheel::shared_wheel(net::io_context& io)
    : net::execution_context::service(io),
      timer_executor_(io.get_executor()),
      wheel_(std::in_place, core::clock_type::now()) {}

LIVENESS_DECL shared_wheel::shared_wheel(net::execution_context& ctx)
    : net::execution_context::service(ctx), wheel_(std::in_place, core::clock_type::now()) {}

LIVENESS_DECL void shared_wheel::adopt_executor(net::any_io_executor ex) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Untracked: the wheel's timer keeps the context running only while a wait is pending.
  if (!timer_executor_)
    timer_executor_ = net::prefer(std::move(ex), net::execution::outstanding_work.untracked);
}

LIVENESS_DECL bool shared_wheel::configure(const wheel_options& options) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!wheel_->empty()) return false;
  wheel_.emplace(core::clock_type::now(), options);
  return true;
}

LIVENESS_DECL wheel_options shared_wheel::options() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return wheel_->options();
}

LIVENESS_DECL std::size_t shared_wheel::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return wheel_->size();
}

LIVENESS_DECL std::uint64_t shared_wheel::wakeups() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return wakeups_;
}

LIVENESS_DECL void shared_wheel::arm(wheel_timer& t, core::time_point deadline) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (shut_down_) return;
  wheel_->arm(t, deadline);
  // The timer already wakes at or before this deadline (then the expiry pass schedules the
  // next wake-up): no scan of the slots for the next expiry on most arms.
  if (scheduled_ && scheduled_at_ <= deadline) return;
  schedule_locked();
}

LIVENESS_DECL void shared_wheel::cancel(wheel_timer& t) noexcept {
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

LIVENESS_DECL void shared_wheel::schedule_locked() {
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

LIVENESS_DECL void shared_wheel::on_timer(const error_code& ec, std::uint64_t generation) {
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

LIVENESS_DECL void shared_wheel::shutdown() {
  std::lock_guard<std::mutex> lock(mutex_);
  shut_down_ = true;
  timer_.reset();
  timer_executor_ = net::any_io_executor();
}

}  // namespace timer
}  // namespace liveness

#endif  // LIVENESS_TIMER_IMPL_SHARED_WHEEL_IPP
