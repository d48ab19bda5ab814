//
// liveness/timer/shared_wheel.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// timer::shared_wheel: one timer::wheel per io_context (an io_context service), driven by a
// single steady_timer, shared by every session of that io_context. Sessions embed a
// `timer::wheel_timer`; arming, re-arming and cancelling it is O(1) under a mutex and never
// touches Asio's timer heap. Due timers run their owner's work on the owner's executor.
//
#ifndef LIVENESS_TIMER_SHARED_WHEEL_HPP
#define LIVENESS_TIMER_SHARED_WHEEL_HPP

#include <liveness/config.hpp>
#include <liveness/core/clock.hpp>
#include <liveness/timer/wheel.hpp>

#include <liveness/detail/asio.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace liveness {
namespace timer {

/// What an object embeds (as a base class) to be put on a `shared_wheel`.
///
/// The owner must be held by a `std::shared_ptr` while armed, and must call
/// `shared_wheel::cancel` in its destructor. The wheel calls, when the timer is due:
///  - `wheel_lock()` under the wheel's mutex: return a strong reference to the owner, or
///    null when the owner is already being destroyed (`weak_from_this().lock()`); the
///    owner's destructor blocks in `cancel` meanwhile, so the call is safe;
///  - then, without the mutex, `wheel_fire(owner)`: hand the owner's work to the owner's
///    own executor with `dispatch` (it runs inline only when this thread already runs
///    that executor, e.g. one io_context run by one thread; a strand gets it posted).
class wheel_timer : public wheel_entry {
 public:
  /// True while armed (read it only with the wheel's mutex held, or from the owner's
  /// strand as a hint).
  using wheel_entry::armed;

 protected:
  wheel_timer() noexcept = default;
  // Virtual though never deleted through a base pointer: g++ counts a protected destructor
  // as accessible when the class has friends (shared_wheel), and -Wnon-virtual-dtor would
  // fire on every class deriving from it.
  virtual ~wheel_timer() = default;

 private:
  friend class shared_wheel;
  virtual std::shared_ptr<void> wheel_lock() noexcept = 0;
  virtual void wheel_fire(std::shared_ptr<void> owner) = 0;
};

/// One timer wheel per execution context (normally an io_context), as a service:
/// `shared_wheel::of(executor)` (what sessions use) or
/// `net::use_service<timer::shared_wheel>(io)`.
///
/// One `steady_timer` drives the whole wheel; it is armed only while entries exist, and
/// only for the next non-empty tick (an idle io_context does not wake up, and a wheel whose
/// entries are seconds away does not wake every tick).
///
/// Thread safety: every member function is safe to call from any thread (a mutex guards
/// the wheel and the timer), so sessions on different strands of a multi-threaded
/// io_context share one wheel. Expiry runs on one of the io_context's threads and
/// dispatches the owners' work to their own executors, outside the mutex.
class shared_wheel : public net::execution_context::service {
 public:
  using key_type = shared_wheel;
  /// The service id (Asio's service registry).
  static inline net::execution_context::id id;

  /// Constructed by `net::use_service<shared_wheel>(io)`: the wheel's timer runs on `io`.
  explicit shared_wheel(net::io_context& io);
  /// Constructed by `net::use_service<shared_wheel>(ctx)` for a context that is not known
  /// to be an io_context: the wheel's timer gets its executor from the first `of(ex)`.
  explicit shared_wheel(net::execution_context& ctx);
  ~shared_wheel() override = default;

  /// The wheel of the execution context behind the I/O executor `ex` (an io_context
  /// executor, a strand of one, `any_io_executor`). The first call gives the wheel the
  /// executor its steady_timer runs on (a strand is unwrapped to its io_context executor
  /// when its type is known; otherwise expiry passes are serialized with that strand,
  /// which only delays them by that strand's queue).
  template <class Executor>
  static shared_wheel& of(const Executor& ex);

  /// Replaces the wheel's options (resolution, slots). Only while no timer is armed:
  /// returns false (and changes nothing) otherwise. Call it before creating sessions.
  bool configure(const wheel_options& options);

  /// The options in force.
  wheel_options options() const;

  /// Arms (or re-arms) `t` for `deadline`. O(1) under the mutex; wakes the io_context
  /// earlier only when `deadline` is before every other armed timer's tick.
  void arm(wheel_timer& t, core::time_point deadline);

  /// Disarms `t` (a no-op when it is not armed). After it returns, `t`'s owner is not
  /// locked or fired for an earlier arming, unless `wheel_lock` already returned a
  /// reference (then `wheel_fire` follows; the owner is alive through that reference).
  void cancel(wheel_timer& t) noexcept;

  /// The number of armed timers.
  std::size_t size() const;

  /// How many times the underlying timer has completed (expiry passes), for tests and
  /// benchmarks.
  std::uint64_t wakeups() const;

 private:
  using steady_timer = net::basic_waitable_timer<core::clock_type,
                                                 net::wait_traits<core::clock_type>,
                                                 net::any_io_executor>;
  void shutdown() override;
  void adopt_executor(net::any_io_executor ex);
  void schedule_locked();
  void on_timer(const error_code& ec, std::uint64_t generation);

  struct due {
    wheel_timer* timer;
    std::shared_ptr<void> owner;
  };

  net::any_io_executor timer_executor_;
  mutable std::mutex mutex_;
  std::optional<wheel> wheel_;
  std::optional<steady_timer> timer_;
  bool scheduled_ = false;
  core::time_point scheduled_at_{};
  std::uint64_t generation_ = 0;
  std::uint64_t wakeups_ = 0;
  bool shut_down_ = false;
  std::vector<due> spare_;  // the due list's storage, reused between expiry passes
};

/// Sets the resolution (and slot count) of the shared wheel of `io` before sessions use
/// it. Returns false when timers are already armed on it (nothing is changed then).
/// Thread safety: safe from any thread.
inline bool configure_shared_wheel(net::io_context& io, const wheel_options& options) {
  return net::use_service<shared_wheel>(io).configure(options);
}

}  // namespace timer
}  // namespace liveness

#include <liveness/timer/impl/shared_wheel.hpp>
#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/timer/impl/shared_wheel.ipp>
#endif

#endif  // LIVENESS_TIMER_SHARED_WHEEL_HPP
