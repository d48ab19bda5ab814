//
// liveness/core/presence.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Who is online, sans-I/O: ids whose connection is up, or went down less than a grace
// period ago. A client that reconnects within the grace period never goes offline, so the
// application sees no offline/online flap.
//
// States of an id:
//
//   offline --connect--> connected --disconnect--> pending --(grace passes)--> offline
//                          ^  |  connect (replaced)    | connect (resumed)
//                          |__|________________________|
//
// - `connect` of an offline id: `presence_change::online` (raise "online").
// - `connect` of a pending id: `presence_change::resumed`; the pending offline is
//   cancelled; no events at all.
// - `connect` of a connected id: `presence_change::replaced`; the id stays connected (the
//   caller closes the old connection and keeps the new one); no online or offline (the
//   registry raises `on_replaced`; under its default `reject` policy it refuses the new
//   connection instead and does not call `connect`).
// - `disconnect`: the id becomes pending until `now + grace`; `expire` reports it offline
//   then (with the payload given to `disconnect`). With a zero grace, `expire(now)` right
//   after reports it.
//
// Cost: the grace period is the same for every id, so deadlines expire in the order the
// disconnects happened: one FIFO queue and one timer (at `next_deadline()`) serve any number
// of ids. Every operation is O(1) amortised (hash map + deque); a cancelled pending entry is
// dropped lazily when it reaches the front of the queue.
//
#ifndef LIVENESS_CORE_PRESENCE_HPP
#define LIVENESS_CORE_PRESENCE_HPP

#include <liveness/core/clock.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

namespace liveness {
namespace core {

/// What `presence::connect` found.
enum class presence_change {
  /// The id was offline: it is online now (raise the "online" event).
  online,
  /// The id was within its grace period: the pending offline is cancelled (no events).
  resumed,
  /// The id already had a live connection: the new one replaces it (no online or
  /// offline; what to tell the application is the caller's: the registry raises
  /// `on_replaced`).
  replaced,
};

/// Where an id stands.
enum class presence_state {
  offline,
  /// Its connection is up.
  connected,
  /// Its connection went down; it goes offline when the grace period ends.
  pending,
};

/// The presence table. `Key` is hashable (std::hash) and copyable; `Payload` is what the
/// offline report carries (the reason, the silence, ...), moved in by `disconnect` and out
/// by `expire`.
///
/// Time must not go backwards between calls; an earlier `now` is treated as the latest
/// seen. A plain value. Thread safety: distinct objects: safe; shared object: unsafe.
template <class Payload, class Key = std::string>
class presence {
 public:
  /// `grace`: how long a disconnected id stays pending. Negative counts as zero.
  explicit presence(duration grace = duration::zero()) noexcept
      : grace_(grace < duration::zero() ? duration::zero() : grace) {}

  duration grace() const noexcept { return grace_; }

  /// A connection for `key` came up at `now`. See the header comment.
  presence_change connect(const Key& key, time_point now);

  /// The connection of `key` went down at `now`: pending until `now + grace`. Returns false
  /// (and does nothing) when `key` is not connected.
  bool disconnect(const Key& key, time_point now, Payload payload);

  /// Reports every pending id whose grace ended at or before `now` as offline:
  /// `f(const Key&, Payload&&)` for each, oldest first; they are offline before `f` runs
  /// (`f` may call `connect`/`disconnect`). Returns how many were reported.
  template <class F>
  std::size_t expire(time_point now, F&& f);

  /// When `expire` should next be called (the oldest pending deadline); empty when no id
  /// is pending.
  std::optional<time_point> next_deadline() const noexcept;

  /// Where `key` stands.
  presence_state state(const Key& key) const;

  /// Ids online: connected or pending (online was reported, offline not yet).
  std::size_t online() const noexcept { return entries_.size(); }
  /// Ids whose connection is up.
  std::size_t connected() const noexcept { return entries_.size() - pending_; }
  /// Ids within their grace period.
  std::size_t pending() const noexcept { return pending_; }

  /// Forgets everything (no reports).
  void clear() noexcept {
    entries_.clear();
    queue_.clear();
    pending_ = 0;
  }

 private:
  struct entry {
    bool pending = false;
    std::uint64_t seq = 0;  // matches the queue item while pending
    std::optional<Payload> payload;
  };
  struct item {
    Key key;
    std::uint64_t seq;
    time_point deadline;
  };

  bool live(const item& i) const;
  void prune() noexcept;

  duration grace_;
  std::unordered_map<Key, entry> entries_;
  std::deque<item> queue_;
  std::size_t pending_ = 0;
  std::uint64_t next_seq_ = 1;
  time_point now_{time_point::min()};
};

}  // namespace core
}  // namespace liveness

#include <liveness/core/impl/presence.hpp>

#endif  // LIVENESS_CORE_PRESENCE_HPP
