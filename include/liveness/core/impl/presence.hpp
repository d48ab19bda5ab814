//
// liveness/core/impl/presence.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_CORE_IMPL_PRESENCE_HPP
#define LIVENESS_CORE_IMPL_PRESENCE_HPP

#include <utility>

namespace liveness {
namespace core {

template <class Payload, class Key>
bool presence<Payload, Key>::live(const item& i) const {
  auto it = entries_.find(i.key);
  return it != entries_.end() && it->second.pending && it->second.seq == i.seq;
}

template <class Payload, class Key>
void presence<Payload, Key>::prune() noexcept {
  // Cancelled entries are dropped when they reach the front, so that the front (when any)
  // is always a live deadline.
  while (!queue_.empty() && !live(queue_.front())) queue_.pop_front();
}

template <class Payload, class Key>
presence_change presence<Payload, Key>::connect(const Key& key, time_point now) {
  if (now > now_) now_ = now;
  auto [it, inserted] = entries_.try_emplace(key);
  if (inserted) return presence_change::online;
  entry& e = it->second;
  if (!e.pending) return presence_change::replaced;
  e.pending = false;
  e.payload.reset();
  --pending_;
  prune();
  return presence_change::resumed;
}

template <class Payload, class Key>
bool presence<Payload, Key>::disconnect(const Key& key, time_point now, Payload payload) {
  if (now > now_) now_ = now;
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.pending) return false;
  entry& e = it->second;
  time_point deadline = add_saturated(now_, grace_);
  // FIFO order holds because time never goes backwards here (now_ is the latest seen).
  if (!queue_.empty() && deadline < queue_.back().deadline) deadline = queue_.back().deadline;
  e.pending = true;
  e.seq = next_seq_++;
  e.payload.emplace(std::move(payload));
  queue_.push_back(item{key, e.seq, deadline});
  ++pending_;
  return true;
}

template <class Payload, class Key>
template <class F>
std::size_t presence<Payload, Key>::expire(time_point now, F&& f) {
  if (now > now_) now_ = now;
  std::size_t n = 0;
  prune();
  while (!queue_.empty() && queue_.front().deadline <= now_) {
    item i = std::move(queue_.front());
    queue_.pop_front();
    auto it = entries_.find(i.key);
    Payload p = std::move(*it->second.payload);
    entries_.erase(it);
    --pending_;
    ++n;
    f(static_cast<const Key&>(i.key), std::move(p));
    prune();
  }
  return n;
}

template <class Payload, class Key>
std::optional<time_point> presence<Payload, Key>::next_deadline() const noexcept {
  if (queue_.empty()) return std::nullopt;
  return queue_.front().deadline;
}

template <class Payload, class Key>
presence_state presence<Payload, Key>::state(const Key& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return presence_state::offline;
  return it->second.pending ? presence_state::pending : presence_state::connected;
}

}  // namespace core
}  // namespace liveness

#endif  // LIVENESS_CORE_IMPL_PRESENCE_HPP
