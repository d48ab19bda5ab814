//
// liveness/detail/deadline.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The session's one deadline: an entry on the io_context's shared timer wheel or a
// steady_timer of its own, chosen once when the session is made.
//
#ifndef LIVENESS_DETAIL_DEADLINE_HPP
#define LIVENESS_DETAIL_DEADLINE_HPP

#include <liveness/config.hpp>
#include <liveness/core/clock.hpp>
#include <liveness/detail/asio.hpp>
#include <liveness/timer/shared_wheel.hpp>

#include <memory>
#include <optional>
#include <type_traits>

namespace liveness {
namespace detail {

/// Calls `owner.on_deadline()` on the owner's executor (`owner.get_executor()`) when the
/// armed time comes. `Owner` derives from it (CRTP: the owner is `*this`, no reference is
/// kept), is held by shared_ptr, derives from enable_shared_from_this, and calls
/// `detach_deadline()` first thing in its destructor. A handler never touches a destroyed
/// owner: the timer's handler holds the owner, and the wheel locks it through a weak
/// reference (detaching disarms the wheel entry, waiting for a pass that may be handing it
/// out). 56 bytes: the wheel entry and hooks, the wheel or timer pointer, the armed time.
template <class Owner, class Executor>
class deadline : public timer::wheel_timer {
 public:
  using clock = core::clock_type;

  deadline(const Executor& ex, bool use_wheel) {
    if (use_wheel) {
      wheel_ = &timer::shared_wheel::of(ex);
      return;
    }
    // Only a session without the wheel pays for a timer of its own.
    timer_ = new timer_type(ex);
    own_timer_ = true;
  }
  deadline(const deadline&) = delete;
  deadline& operator=(const deadline&) = delete;
  ~deadline() override {
    detach_deadline();
    if (own_timer_) delete timer_;
  }

  /// Arms for `at`; disarms when empty. A deadline that moved later (every read moves it)
  /// is not re-armed: the timer fires early once, the owner finds nothing due and arms it
  /// at the new time. So a read costs one comparison here; with the wheel an earlier
  /// deadline costs an O(1) relink under the wheel's mutex.
  void arm_deadline(std::optional<clock::time_point> at) {
    if (!at) {
      cancel_deadline();
      return;
    }
    if (armed_ && armed_at_ <= *at) return;
    armed_ = true;
    armed_at_ = *at;
    if (!own_timer_) {
      wheel_->arm(*this, *at);
      return;
    }
    timer_->expires_at(*at);
    timer_->async_wait([self = owner().shared_from_this()](error_code ec) {
      if (ec == net::error::operation_aborted) return;  // re-armed or shut down
      static_cast<deadline&>(*self).armed_ = false;
      self->on_deadline();
    });
  }

  /// Disarms.
  void cancel_deadline() noexcept {
    if (!armed_) return;
    armed_ = false;
    if (!own_timer_)
      wheel_->cancel(*this);
    else
      timer_->cancel();
  }

 protected:
  /// Off the wheel for good (the owner's destructor, before its members go).
  void detach_deadline() noexcept {
    if (!own_timer_ && wheel_) {
      wheel_->cancel(*this);
      wheel_ = nullptr;
      armed_ = false;
    }
  }

 private:
  using timer_type = net::basic_waitable_timer<clock, net::wait_traits<clock>, Executor>;

  Owner& owner() noexcept { return static_cast<Owner&>(*this); }

  // ---- timer::wheel_timer: called by the shared wheel ---------------------------------
  std::shared_ptr<void> wheel_lock() noexcept override { return owner().weak_from_this().lock(); }
  // Dispatched, not posted: when the wheel's wake-up runs on the thread that runs the
  // owner's executor (one io_context, one thread: the usual server), every session due in
  // this tick runs here, in one pass, and its pings leave in one burst, with no handler
  // queued per session. A strand, or another thread's io_context, still gets it posted.
  // An io_context's own executor on its running thread is called directly: what dispatch
  // would do, without type-erasing and allocating the function through any_io_executor
  // (about 200 instructions per session and tick).
  void wheel_fire(std::shared_ptr<void> locked) override {
    auto self = std::static_pointer_cast<Owner>(std::move(locked));
    auto ex = self->get_executor();
    if (runs_here(ex)) {
      static_cast<deadline&>(*self).armed_ = false;
      self->on_deadline();
      return;
    }
    net::dispatch(ex, [self = std::move(self)] {
      static_cast<deadline&>(*self).armed_ = false;
      self->on_deadline();
    });
  }

  // True when `ex` is (or wraps) a plain io_context executor whose run() is on this thread:
  // dispatch would run the function inline. Anything else (a strand, another executor)
  // is dispatched.
  template <class Ex>
  static bool runs_here(const Ex& ex) noexcept {
    using io_executor = net::io_context::executor_type;
    if constexpr (std::is_same_v<Ex, io_executor>) {
      return ex.running_in_this_thread();
    } else if constexpr (std::is_same_v<Ex, net::any_io_executor>) {
      const io_executor* io = executor_target<io_executor>(ex);
      return io && io->running_in_this_thread();
    } else {
      (void)ex;
      return false;
    }
  }

  union {
    timer::shared_wheel* wheel_ = nullptr;  // !own_timer_
    timer_type* timer_;                      // own_timer_
  };
  clock::time_point armed_at_{};
  bool armed_ = false;
  bool own_timer_ = false;
};

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_DEADLINE_HPP
