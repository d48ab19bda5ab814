//
// liveness/timer/impl/wheel.ipp
//
// The non-template code of <liveness/timer/wheel.hpp>: included by that
// header when header-only, compiled once by <liveness/src.hpp> with
// LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_TIMER_IMPL_WHEEL_IPP
#define LIVENESS_TIMER_IMPL_WHEEL_IPP

#include <liveness/timer/wheel.hpp>

namespace liveness {

namespace timer {

namespace detail {

inline unsigned count_trailing_zeros(std::uint64_t w) noexcept {  // w != 0
#if defined(__GNUC__) || defined(__clang__)
  return static_cast<unsigned>(__builtin_ctzll(w));
#else
  unsigned n = 0;
  while (!(w & 1)) {
    w >>= 1;
    ++n;
  }
  return n;
#endif
}

}  // namespace detail

LIVENESS_DECL wheel::wheel(core::time_point origin, const wheel_options& options)
    : options_(options), origin_(origin), last_now_(origin) {
  if (options_.resolution <= core::duration::zero())
    options_.resolution = wheel_options{}.resolution;
  std::size_t n = 64;
  while (n < options_.slots && n < (std::size_t(1) << 24)) n <<= 1;
  options_.slots = n;
  resolution_ns_ = options_.resolution.count();
  mask_ = n - 1;
  slots_.assign(n, nullptr);
  occupied_.assign(n / 64, 0);
}

LIVENESS_DECL std::uint64_t wheel::tick_of(core::time_point t) const noexcept {
  if (t <= origin_) return 0;
  return static_cast<std::uint64_t>(core::elapsed(origin_, t).count() / resolution_ns_);
}

LIVENESS_DECL std::uint64_t wheel::deadline_tick(core::time_point d) const noexcept {
  if (d <= origin_) return 0;
  const auto e = core::elapsed(origin_, d).count();
  return static_cast<std::uint64_t>(e / resolution_ns_ + (e % resolution_ns_ != 0 ? 1 : 0));
}

LIVENESS_DECL core::time_point wheel::tick_time(std::uint64_t t) const noexcept {
  const auto max_ticks =
      static_cast<std::uint64_t>((std::numeric_limits<core::duration::rep>::max)() /
                                 resolution_ns_);
  if (t > max_ticks) return core::time_point::max();
  return core::add_saturated(origin_,
                             core::duration(static_cast<core::duration::rep>(t) * resolution_ns_));
}

LIVENESS_DECL void wheel::link(wheel_entry*& head, wheel_entry& e) noexcept {
  e.next_ = head;
  if (head) head->pprev_ = &e.next_;
  e.pprev_ = &head;
  head = &e;
}

LIVENESS_DECL void wheel::unlink(wheel_entry& e) noexcept {
  wheel_entry** const prev = e.pprev_;
  *prev = e.next_;
  if (e.next_) {
    e.next_->pprev_ = prev;
  } else {
    // The last of its list. When it was also the first of a slot (`prev` is that slot's
    // head pointer), the slot is empty now: clear its bit. The slot is found from the
    // address, not from `tick_`, which a later re-arm may have moved past this slot.
    const auto offset = reinterpret_cast<std::uintptr_t>(prev) -
                        reinterpret_cast<std::uintptr_t>(slots_.data());
    if (offset < slots_.size() * sizeof(wheel_entry*)) {
      const std::size_t slot = offset / sizeof(wheel_entry*);
      occupied_[slot >> 6] &= ~(std::uint64_t(1) << (slot & 63));
    }
  }
  e.next_ = nullptr;
  e.pprev_ = nullptr;
}

LIVENESS_DECL void wheel::arm(wheel_entry& e, core::time_point deadline) noexcept {
  std::uint64_t t = deadline_tick(deadline);
  if (t <= current_) {
    if (deadline >= last_now_) {
      // Due now, not past: the deadline is the latest time `expire` was given, exactly on
      // the processed tick's boundary. Waiting for the next tick would make it a full
      // resolution late; the next `expire` hands it out instead.
      if (e.armed())
        unlink(e);
      else
        ++size_;
      e.tick_ = due_tick;
      link(ready_, e);
      return;
    }
    t = current_ + 1;  // past: the next tick
  }
  if (e.armed()) {
    if (e.tick_ != due_tick && t >= e.tick_) {
      // The same tick or a later one (what a heartbeat does on every read): only the tick
      // is recorded, the entry stays linked where it is. Its slot comes up no later than
      // the new tick, and `collect` moves it on from there. One store, and no cache miss on
      // the neighbours of two slots.
      e.tick_ = t;
      return;
    }
    unlink(e);
  } else {
    ++size_;
  }
  e.tick_ = t;
  const std::size_t slot = static_cast<std::size_t>(t) & mask_;
  link(slots_[slot], e);
  occupied_[slot >> 6] |= std::uint64_t(1) << (slot & 63);
}

LIVENESS_DECL void wheel::cancel(wheel_entry& e) noexcept {
  if (!e.armed()) return;
  unlink(e);
  --size_;
}

LIVENESS_DECL std::size_t wheel::scan(std::size_t from, std::size_t count) const noexcept {
  std::size_t i = 0;
  while (i < count) {
    const std::size_t pos = (from + i) & mask_;
    const unsigned bit = static_cast<unsigned>(pos & 63);
    const std::uint64_t w = occupied_[pos >> 6] >> bit;
    if (w) {
      const std::size_t off = i + detail::count_trailing_zeros(w);
      return off < count ? off : count;
    }
    i += 64 - bit;
  }
  return count;
}

LIVENESS_DECL std::optional<core::time_point> wheel::next_expiry() const noexcept {
  if (size_ == 0) return std::nullopt;
  if (ready_) return tick_time(current_);  // due now: not after the latest `now`
  const std::size_t n = mask_ + 1;
  const std::size_t off = scan(static_cast<std::size_t>(current_ + 1) & mask_, n);
  if (off == n) return tick_time(current_);  // all armed entries are being handed out
  return tick_time(current_ + 1 + off);
}

LIVENESS_DECL void wheel::collect(std::size_t slot, std::uint64_t target) noexcept {
  wheel_entry* e = slots_[slot];
  while (e) {
    wheel_entry* next = e->next_;
    if (e->tick_ <= target) {
      unlink(*e);
      e->tick_ = due_tick;
      link(due_, *e);
    } else if ((static_cast<std::size_t>(e->tick_) & mask_) != slot) {
      // Re-armed later while linked here: moved to the slot of its tick now.
      unlink(*e);
      const std::size_t to = static_cast<std::size_t>(e->tick_) & mask_;
      link(slots_[to], *e);
      occupied_[to >> 6] |= std::uint64_t(1) << (to & 63);
    }
    // else: due in a later revolution of this slot; it stays.
    e = next;
  }
}

}  // namespace timer
}  // namespace liveness

#endif  // LIVENESS_TIMER_IMPL_WHEEL_IPP
