//
// liveness/detail/parked_op.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Composed operations parked until their owner wakes them (Beast's saved_handler is the
// model): stored through the operation's associated allocator, resumed on an executor,
// freed before the operation goes on.
//
#ifndef LIVENESS_DETAIL_PARKED_OP_HPP
#define LIVENESS_DETAIL_PARKED_OP_HPP

#include <liveness/config.hpp>
#include <liveness/detail/asio.hpp>

#include <memory>
#include <utility>

namespace liveness {
namespace detail {

/// A composed operation parked until its owner wakes it: what a never-expiring timer did
/// before, without the timer (a few pointers per waiter instead of a timer).
template <class Executor>
struct parked_op {
  parked_op* next = nullptr;
  /// Frees this node, then posts the operation to `ex` (it goes on from there, as after a
  /// timer's wake-up). `clear_slot`: remove its cancellation handler first (not when
  /// called from that handler).
  virtual void resume(const Executor& ex, bool clear_slot) = 0;
  /// Frees this node and the operation without running it (its owner is going).
  virtual void destroy() noexcept = 0;

 protected:
  ~parked_op() = default;
};

template <class Executor, class Op>
class parked_op_impl final : public parked_op<Executor> {
  using alloc_type = typename std::allocator_traits<
      net::associated_allocator_t<Op>>::template rebind_alloc<parked_op_impl>;
  using traits = std::allocator_traits<alloc_type>;

 public:
  explicit parked_op_impl(Op&& op) : op_(std::move(op)) {}

  /// Stores `op` with memory from its associated allocator.
  static parked_op_impl* create(Op&& op) {
    alloc_type alloc(net::get_associated_allocator(op));
    parked_op_impl* p = traits::allocate(alloc, 1);
    try {
      traits::construct(alloc, p, std::move(op));
    } catch (...) {
      traits::deallocate(alloc, p, 1);
      throw;
    }
    return p;
  }

  Op& op() noexcept { return op_; }

  void resume(const Executor& ex, bool clear_slot) override {
    Op op(std::move(op_));
    // Freed before the operation goes on, so that it may reuse the memory.
    alloc_type alloc(net::get_associated_allocator(op));
    traits::destroy(alloc, this);
    traits::deallocate(alloc, this, 1);
    if (clear_slot) net::get_associated_cancellation_slot(op).clear();
    net::post(ex, std::move(op));
  }

  void destroy() noexcept override {
    alloc_type alloc(net::get_associated_allocator(op_));
    traits::destroy(alloc, this);
    traits::deallocate(alloc, this, 1);
  }

 private:
  Op op_;
};

/// A list of parked operations (singly linked: a list holds one or a few).
template <class Executor>
class parked_list {
 public:
  using node = parked_op<Executor>;
  parked_list() noexcept = default;
  parked_list(const parked_list&) = delete;
  parked_list& operator=(const parked_list&) = delete;
  bool empty() const noexcept { return head_ == nullptr; }
  void push(node* n) noexcept {
    n->next = head_;
    head_ = n;
  }
  /// Takes `n` out of the list; false when it is not there (already woken).
  bool remove(node* n) noexcept {
    for (node** p = &head_; *p; p = &(*p)->next) {
      if (*p == n) {
        *p = n->next;
        return true;
      }
    }
    return false;
  }
  /// Resumes every parked operation (each goes on from `ex`).
  void wake_all(const Executor& ex) {
    node* n = head_;
    head_ = nullptr;
    while (n) {
      node* next = n->next;
      n->resume(ex, true);
      n = next;
    }
  }
  /// Frees every parked operation without running it (the owner is going).
  void destroy_all() noexcept {
    node* n = head_;
    head_ = nullptr;
    while (n) {
      node* next = n->next;
      n->destroy();
      n = next;
    }
  }

 private:
  node* head_ = nullptr;
};

/// Parks `op` on `list` (owned by `owner`, a shared object reached through `weak`) until
/// the list is woken or the operation's cancellation slot, if connected, is emitted. The
/// cancellation handler finds the operation by address through the weak reference, so a
/// late emission is harmless. `list_of(owner)` gives the list back from a locked owner.
template <class Executor, class Op, class Owner, class ListOf>
void park(parked_list<Executor>& list, Op& op, std::weak_ptr<Owner> weak, ListOf list_of) {
  auto* n = parked_op_impl<Executor, Op>::create(std::move(op));
  list.push(n);
  auto slot = net::get_associated_cancellation_slot(n->op());
  if (!slot.is_connected()) return;
  slot.assign([weak = std::move(weak), list_of,
               key = static_cast<parked_op<Executor>*>(n)](net::cancellation_type) {
    auto owner = weak.lock();
    if (!owner) return;
    if (list_of(*owner).remove(key)) key->resume(owner->get_executor(), false);
  });
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_PARKED_OP_HPP
