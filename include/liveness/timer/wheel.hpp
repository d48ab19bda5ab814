//
// liveness/timer/wheel.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// timer::wheel: a sans-I/O hashed timer wheel. Entries are intrusive (embedded in their
// owner): arming, re-arming and cancelling are O(1) and never allocate. `expire(now, f)`
// hands every due entry to `f`. No Asio, no clock reads: time is passed in, so the wheel is
// unit-tested with core::manual_clock. timer/shared_wheel.hpp drives one per io_context.
//
// Guarantees: an entry never fires before its deadline; driven at `next_expiry()`, it
// fires less than one `resolution` after it (a deadline equal to the latest `now` given to
// `expire`, or to the origin before any, is due at once: the next `expire` hands it out).
// A deadline already past when armed (before that latest `now`) fires at the next tick. Deadlines beyond one revolution
// (`resolution * slots`) are fine: such an entry stays in its slot for the later rounds.
//
#ifndef LIVENESS_TIMER_WHEEL_HPP
#define LIVENESS_TIMER_WHEEL_HPP

#include <liveness/config.hpp>
#include <liveness/core/clock.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace liveness {
namespace timer {

/// How a wheel divides time. A plain aggregate.
struct wheel_options {
  /// The tick: entries fire at most this long after their deadline (plus the scheduling
  /// delay of whoever drives the wheel). Must be positive.
  ///
  /// The default, 4 ms, keeps a session's detection within budget + 2 % for budgets of
  /// 200 ms and more (the shortest `ping_pong_options::aggressive()` budget is 5 s, where
  /// 2 % is 100 ms), while an idle wheel wakes at most 250 times a second however many
  /// entries it holds.
  core::duration resolution = std::chrono::milliseconds(4);
  /// Slots of the wheel (rounded up to a power of two, at least 64). One revolution is
  /// `resolution * slots` (default 4096 x 4 ms = 16.4 s, longer than the standard
  /// 15 s ping interval); a longer deadline costs one extra visit per revolution.
  std::size_t slots = 4096;

  /// The defaults.
  static wheel_options standard() noexcept { return {}; }
  /// A coarser wheel for very long budgets (minutes): 64 ms ticks, 65 s revolution.
  static wheel_options coarse() noexcept { return {std::chrono::milliseconds(64), 1024}; }
};

/// The hook an owner embeds (by member or base) to be put on a `wheel`. 24 bytes.
///
/// An entry is on at most one wheel. Destroying an armed entry is undefined: cancel it
/// first (the wheel does not own its entries).
class wheel_entry {
 public:
  wheel_entry() noexcept = default;
  wheel_entry(const wheel_entry&) = delete;
  wheel_entry& operator=(const wheel_entry&) = delete;

  /// True while the entry is armed on a wheel (also while it waits, due, to be handed to
  /// the callback of the `expire` call that found it due).
  bool armed() const noexcept { return pprev_ != nullptr; }

 private:
  friend class wheel;
  wheel_entry* next_ = nullptr;
  wheel_entry** pprev_ = nullptr;  // the pointer that points at us; null: not armed
  std::uint64_t tick_ = 0;  // the tick at which the entry is due (it may still be linked in
                            // the slot of an earlier tick); due_tick: in the due or ready list
};

/// A hashed timer wheel of intrusive entries.
///
/// Time is cut into ticks of `resolution` counted from `origin`; an entry with deadline
/// `d` is due at the first tick boundary at or after `d`, and sits in slot
/// `tick % slots`. A bitmap of non-empty slots lets `next_expiry` and `expire` skip
/// empty ticks.
///
/// Complexity: `arm`, `cancel`: O(1). `expire`: O(due entries + entries of the visited
/// slots that belong to later ticks (later revolutions, or re-armed later) + slots / 64);
/// an entry re-armed later any number of times is visited once at the tick it was linked
/// for, then moved to its latest one. `next_expiry`: O(slots / 64).
///
/// Thread safety: distinct objects: safe; shared object: unsafe (timer::shared_wheel adds
/// a mutex).
class wheel {
 public:
  /// An empty wheel whose tick 0 starts at `origin` (normally the current time).
  /// Invalid options (non-positive resolution, zero slots) are replaced by the defaults.
  explicit wheel(core::time_point origin, const wheel_options& options = {});
  wheel(const wheel&) = delete;
  wheel& operator=(const wheel&) = delete;

  /// The options in force (slots rounded).
  const wheel_options& options() const noexcept { return options_; }

  /// Puts `e` on the wheel, due at `deadline`; re-arms it when it is armed already
  /// (even while it waits to be handed to an `expire` callback). A deadline that is
  /// already past (before the latest `now` given to `expire`) fires at the next tick; one
  /// equal to that `now` (e.g. "now" right after an `expire` on a tick boundary) is due at
  /// once: `next_expiry()` then returns a time not after it, and the next `expire` hands
  /// it out (one armed so from inside an `expire` callback waits for the next call).
  /// Re-arming to the same or a later tick (what a heartbeat does on every read) only
  /// records the new tick: the entry stays linked in its slot until `expire` comes to that
  /// slot and moves it on, so a re-arm touches no other entry's memory. O(1), no
  /// allocation.
  void arm(wheel_entry& e, core::time_point deadline) noexcept;

  /// Takes `e` off the wheel (also out of a running `expire`'s due list). No effect when it
  /// is not armed. O(1).
  void cancel(wheel_entry& e) noexcept;

  /// The number of armed entries.
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  /// When `expire` should next be called: the start of the first tick whose slot is not
  /// empty (possibly early when the entries there belong to a later revolution or were
  /// re-armed later: that `expire` moves them and hands nothing out early),
  /// the start of the current tick (at once) when an entry is due at once (see `arm`), or
  /// nothing when the wheel is empty.
  std::optional<core::time_point> next_expiry() const noexcept;

  /// The time at which tick `t` begins.
  core::time_point tick_time(std::uint64_t t) const noexcept;

  /// The last tick `expire` has processed.
  std::uint64_t current_tick() const noexcept { return current_; }

  /// Hands every entry due at `now` to `f(wheel_entry&)`, once, after taking it off the
  /// wheel. `f` may arm or cancel any entry, including this one and entries still to be
  /// handed out (a cancelled one is then not handed out). Returns how many were handed out.
  /// `now` should not go backwards; an earlier `now` than before hands out nothing that is
  /// due after it.
  template <class F>
  std::size_t expire(core::time_point now, F&& f);

 private:
  static constexpr std::uint64_t due_tick = ~std::uint64_t(0);

  std::uint64_t tick_of(core::time_point t) const noexcept;       // floor
  std::uint64_t deadline_tick(core::time_point d) const noexcept;  // ceil
  void link(wheel_entry*& head, wheel_entry& e) noexcept;
  void unlink(wheel_entry& e) noexcept;
  // Moves the due entries of the slot of tick `t` to the due list.
  void collect(std::size_t slot, std::uint64_t target) noexcept;
  // The first non-empty slot among the `count` slots starting at `from` (wrapping), as an
  // offset from `from`, or `count` when none.
  std::size_t scan(std::size_t from, std::size_t count) const noexcept;

  wheel_options options_;
  core::time_point origin_;
  std::int64_t resolution_ns_;
  std::size_t mask_;
  std::uint64_t current_ = 0;  // ticks <= current_ have been processed
  std::size_t size_ = 0;
  std::vector<wheel_entry*> slots_;
  std::vector<std::uint64_t> occupied_;  // bit per slot
  wheel_entry* due_ = nullptr;           // due, not yet handed out by expire
  wheel_entry* ready_ = nullptr;         // due at the latest `now`: for the next expire
  core::time_point last_now_;            // the latest `now` given to expire, or the origin
};

}  // namespace timer
}  // namespace liveness

#include <liveness/timer/impl/wheel.hpp>
#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/timer/impl/wheel.ipp>
#endif

#endif  // LIVENESS_TIMER_WHEEL_HPP
