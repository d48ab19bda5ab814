//
// liveness/registry.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// liveness::registry<Session>: the server side. Holds the sessions of the connected
// clients, raises online/offline events (with the peer, the reason, how long it was silent
// and the session's last statistics) as callbacks and as an awaitable stream
// (`async_next_event`), counts who is online, broadcasts a message to everyone (or everyone
// but one), and hides a reconnect within a grace period so that a flaky client does not
// flap offline/online.
//
#ifndef LIVENESS_REGISTRY_HPP
#define LIVENESS_REGISTRY_HPP

#include <liveness/config.hpp>
#include <liveness/core/clock.hpp>
#include <liveness/core/detector.hpp>
#include <liveness/core/presence.hpp>
#include <liveness/diagnosis.hpp>
#include <liveness/error.hpp>
#include <liveness/session.hpp>

#include <liveness/detail/asio.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace liveness {

/// What `registry::broadcast` and `registry::send` do for a session whose queue is full.
enum class overflow_policy {
  /// Drop the new message for that session only and count it (`dropped()`); the session
  /// goes on. Its stream misses that message.
  drop,
  /// Close that session: it goes offline (after the grace period) with reason
  /// `net::error::no_buffer_space`. A slow consumer cannot hold the others back.
  close,
};

/// What `registry::add` does with a session whose id already has a live session.
enum class duplicate_id_policy {
  /// Refuse the new session: it is closed, and `add` reports `error::duplicate_id` (throws,
  /// or sets the `error_code` and returns null). The live session goes on untouched.
  reject,
  /// The new session takes the id: the old one is closed and `on_replaced` is raised (with
  /// reason `error::replaced`, the old and the new endpoint). The id stays online: no
  /// offline, no second online.
  replace,
};

/// How a registry behaves. A plain aggregate with good defaults.
struct registry_options {
  /// How long an id stays online after its session died. A new session with the same id
  /// within this time resumes it: no offline, no second online. Zero: offline at once.
  core::duration grace = core::duration::zero();
  /// The most messages waiting to be written to one session (`broadcast` and `send`);
  /// one more triggers `on_overflow`. Messages are shared between sessions (one copy per
  /// broadcast), so this bounds memory per session to the queue of pointers.
  std::size_t max_queued_messages = 256;
  /// What to do when a session's queue is full.
  overflow_policy on_overflow = overflow_policy::close;
  /// What `add` does with an id that already has a live session. Default `reject`: a
  /// client that names an id in use cannot close the session holding it (a wrong or forged
  /// id then costs its own connection, never someone else's). Its cost: a client whose old
  /// connection died unnoticed (half-open) is refused until the server declares that one
  /// dead (bounded by its heartbeat timeout); it retries (see `reconnect`). Choose
  /// `replace` only for ids the application has authenticated (docs/registry.md).
  duplicate_id_policy on_duplicate_id = duplicate_id_policy::reject;
  /// The most events held for `async_next_event` (queued from its first call on). One
  /// more drops the oldest: the next event delivered counts it in `peer_event::missed`.
  /// The callbacks get every event regardless. Zero counts as one.
  std::size_t max_queued_events = 1024;

  /// Offline at once, 256 queued messages, slow consumers closed, duplicate ids refused.
  static registry_options standard() noexcept { return {}; }
  /// Like `standard` with a grace period: clients that reconnect within `g` stay online.
  static registry_options with_grace(core::duration g) noexcept {
    registry_options o;
    o.grace = g;
    return o;
  }
};

/// What a `peer_event` reports (the callbacks know it by which one runs; the stream of
/// `registry::async_next_event` says it here).
enum class peer_event_kind {
  online = 1,
  offline,
  replaced,
};

/// An online, offline or replaced event.
struct peer_event {
  /// Which event this is.
  peer_event_kind kind = peer_event_kind::online;
  /// The id given to `add`, or, when none was given, the id made from the peer's endpoint:
  /// "tcp:addr:port" ("tcp:[v6addr]:port"), or "tcp:unknown#N" when the endpoint could not
  /// be read. Application ids never begin with "tcp:" (`add` refuses them), so the two
  /// kinds never collide.
  std::string id;
  /// The remote endpoint of the session the event is about, "addr:port" ("[v6addr]:port"
  /// for IPv6), as given to `add` or read when it was added (empty when it could not be
  /// read). Replaced: the endpoint of the session that was closed.
  std::string peer;
  /// Replaced: the endpoint of the session that took the id. Otherwise empty.
  std::string replaced_by;
  /// Offline: why the session ended: a `liveness::error` death reason, or
  /// `net::error::operation_aborted` when the session was closed by the application, or
  /// `net::error::no_buffer_space` when the registry closed it (`overflow_policy::close`).
  /// Replaced: `error::replaced`. Online: empty.
  error_code reason;
  /// Offline: how long the peer had been silent when its session ended
  /// (`stats().silent_for(now)` then; the grace period is not included). Replaced: how
  /// long the replaced session's peer had been silent. Online: zero.
  core::duration silent = core::duration::zero();
  /// Offline: the session's last statistics (`session::stats()` when it ended: RTTs,
  /// `last_received`, byte, ping and pong counters). Replaced: the replaced session's.
  /// Online: default values (all empty or zero).
  core::detector_stats stats{};
  /// `async_next_event` only: events dropped from its queue just before this one because
  /// it was full (`registry_options::max_queued_events`). Callbacks: always 0.
  std::uint64_t missed = 0;
  /// Offline: why the peer most likely died, with the kernel's evidence
  /// (`session::diagnosis()` when it ended; docs/diagnosis.md). Replaced: the replaced
  /// session's (`unknown`: it was closed, not dead). Online: `unknown`, empty.
  liveness::diagnosis diagnosis{};
};

/// The sessions of a server, by id.
///
/// `add` takes a session (by move), watches it with `async_wait_dead` and raises
/// `on_online` for an id that was offline. When the session dies, the registry drops it,
/// and raises `on_offline` for its id once the grace period has passed without a new
/// session for the same id. A new session for an id whose previous session is still alive
/// is handled by `registry_options::on_duplicate_id`: refused (`reject`, the default), or
/// it replaces the old session (`replace`: the old one is closed and `on_replaced` raised).
///
/// Ids: an application id (a login, a device serial: authenticate it before `add`, see
/// docs/registry.md), or, when none is given, one made from the peer's endpoint,
/// "tcp:addr:port". Application ids beginning with "tcp:" are refused
/// (`error::reserved_id`), so a client cannot name another client's endpoint id.
///
/// Cost: O(1) per added or dying session (a hash map, one pending `async_wait_dead` per
/// session, and one timer for all grace periods, which end in FIFO order); nothing scans
/// the sessions except `broadcast`, `broadcast_except`, `ids` and `close`.
///
/// Writing: `broadcast` and `send` queue shared messages per session and write them one at
/// a time (a session allows one write at a time): `async_write_message` for
/// `heartbeat::ping_pong<codec::length_prefixed>` sessions (one message per call),
/// `net::async_write` of the bytes otherwise. Do not write to a registered session
/// yourself while the registry may write to it: use `send` so that your writes are
/// queued behind (and never interleaved with) broadcasts.
///
/// Thread safety: like an Asio object. Distinct objects: safe. Shared object: unsafe: call
/// its functions, and run the sessions' handlers, on one strand: the registry's executor,
/// which should be (or be serialised with) the sessions' executor. Event handlers run on
/// it; they may call any member function, including `add`, `close` and destroying the
/// shared_ptrs they got.
///
/// Lifetime: destroying the registry closes its sessions (as `close()`); no internal
/// handler touches freed memory afterwards. Sessions the application still holds (by the
/// shared_ptr from `add`) are closed too.
template <class Session>
class registry {
 public:
  using session_type = Session;
  using executor_type = typename Session::executor_type;
  /// The peer's endpoint type (`tcp::endpoint` for a `tcp::socket` or TLS session).
  using endpoint_type = typename Session::next_layer_type::lowest_layer_type::endpoint_type;
  using event_handler = std::function<void(const peer_event&)>;

  /// What `add` returns: the session (a `std::shared_ptr<Session>`: `s->`, `if (!s)`,
  /// comparisons and conversions work as before) and the id it was added under.
  struct added : std::shared_ptr<Session> {
    /// The id `add` chose: the one given, or "tcp:addr:port" / "tcp:unknown#N" when none
    /// was. Also set when the session was refused (the id that was refused).
    std::string id;
  };

  explicit registry(const executor_type& ex, const registry_options& options = {});
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;
  /// Closes every session (as `close()`).
  ~registry();

  executor_type get_executor() const noexcept;
  const registry_options& options() const noexcept;

  /// What the registry says inside an event handler: the state *after* the event.
  /// - `on_online`: the id is counted: `size()` and `live()` include it, `find(id)` and
  ///   `ids()` have it.
  /// - `on_offline`: the departing id is already gone: `size()` and `live()` exclude it
  ///   (both may be 0: do not compute `size() - 1`), `find(id)` is null, `ids()` lacks it.
  /// - `on_replaced`: unchanged counts (the id stays online); `find(id)` is the new session.
  /// `async_next_event` delivers events later: the registry may have changed since.

  /// Raised when an id comes online (it was offline). Not raised for a reconnect within
  /// the grace period, nor for a replacement.
  void on_online(event_handler handler);
  /// Raised when an id goes offline: its last session died and the grace period passed
  /// without a new one. Not raised for a replaced session (its id is still online).
  void on_offline(event_handler handler);
  /// Raised on every replacement (`duplicate_id_policy::replace`), before `add` returns,
  /// after the new session took the id and the old one was closed: `id`, `peer` (the old
  /// session's endpoint), `replaced_by` (the new one's), `reason` = `error::replaced`,
  /// `silent` (the old session's silence). The old session raises nothing else; a later
  /// offline of the id reports the session that holds it then.
  void on_replaced(event_handler handler);

  /// Takes `s` and watches it. `peer` is the client's endpoint as the accept returned it
  /// (`acceptor.async_accept(peer, token)`): pass it, because a client that connects and
  /// resets at once has no endpoint left to read from its socket by the time `add` runs.
  /// `id` identifies the client (an id the application got from it and authenticated, e.g.
  /// a login); empty: "tcp:" + the endpoint text.
  ///
  /// Returns the session (shared with the registry, which drops its share when the
  /// session dies) and the id it chose (`added::id`). Raises `on_online` before returning
  /// when the id was offline, and `on_replaced` when it replaced a live session. An already dead (or closed) session is
  /// added and then handled as a death; a live session of the same id that is already
  /// dead or closed is handled as a death first, so it is not a duplicate. After
  /// `close()`, the session is closed at once, nothing is raised, and it is returned.
  ///
  /// Refused (the session is closed, nothing is raised, null is returned and `ec` set):
  /// `error::reserved_id` for an application id that begins with "tcp:";
  /// `error::duplicate_id` for an id with a live session under
  /// `duplicate_id_policy::reject`. On success `ec` is cleared.
  added add(Session&& s, const endpoint_type& peer, std::string id, error_code& ec);
  /// As above; throws `liveness::system_error` when the session is refused.
  added add(Session&& s, const endpoint_type& peer, std::string id = {});
  /// As above, with the endpoint read from the session's socket (`remote_endpoint()`) now:
  /// it cannot be read once the peer has reset the connection (the id of an anonymous
  /// session is then "tcp:unknown#N"). Prefer the overloads taking the endpoint.
  added add(Session&& s, std::string id, error_code& ec);
  /// As above; throws `liveness::system_error` when the session is refused.
  added add(Session&& s, std::string id = {});

  /// Ids online: with a live session, or within their grace period. Inside `on_offline`
  /// the departing id is no longer counted (see above).
  std::size_t size() const noexcept;
  /// Ids with a live session (`size()` minus those within their grace period). Inside
  /// `on_offline` the departing id is no longer counted.
  std::size_t live() const noexcept;

  /// The live session of `id`, or null (also during its grace period).
  std::shared_ptr<Session> find(std::string_view id) const;

  /// The ids with a live session (`live()` of them; ids within their grace period are
  /// not included), sorted. O(n log n).
  std::vector<std::string> ids() const;

  /// Queues a copy of `message` (one copy, shared by all) to every live session. Returns
  /// how many sessions it was queued to. Overflowing sessions are handled by
  /// `options().on_overflow`. Write errors end nothing by themselves: a failed write means
  /// the session is dying, and its death is reported through `on_offline` as usual.
  std::size_t broadcast(net::const_buffer message);

  /// As `broadcast`, to every live session but the one of `id` (one shared copy). Returns
  /// how many sessions it was queued to. An `id` with no live session excludes nobody.
  std::size_t broadcast_except(std::string_view id, net::const_buffer message);

  /// Queues a copy of `message` to the live session of `id`. False when there is none, or
  /// the message was dropped (`overflow_policy::drop`) or the session closed for overflow.
  bool send(std::string_view id, net::const_buffer message);

  /// Messages dropped so far by `overflow_policy::drop`, over all sessions.
  std::uint64_t dropped() const noexcept;

  /// Waits for the next online, offline or replaced event (`peer_event::kind` says which),
  /// beside the callbacks (which still run, first).
  ///
  /// Completion signature: `void(error_code, peer_event)`. Events are queued from the first
  /// call on (events before it are not: start the consumer before the first `add`), and
  /// each is delivered once, in order, to one wait. The queue holds at most
  /// `registry_options::max_queued_events`: when a consumer does not keep up, the oldest
  /// events are dropped and the next one delivered says how many (`peer_event::missed`).
  /// Completes at once (never inline) when an event is queued.
  ///
  /// `net::error::operation_aborted` (and a default event) after `close()` or the
  /// registry's destruction (a pending wait completes then; queued events are discarded),
  /// or when the wait is cancelled (per-operation cancellation, all types: the queued
  /// events stay for the next wait). Any number of waits may be pending; which of them gets
  /// an event is unspecified. The operation keeps the registry's internal state alive, not
  /// the `registry` object.
  ///
  ///   for (;;) {
  ///     auto [ec, e] = co_await reg.async_next_event(liveness::as_tuple(net::use_awaitable));
  ///     if (ec) break;  // closed
  ///     ...
  ///   }
  template <class CompletionToken =
                typename net::default_completion_token<executor_type>::type>
  auto async_next_event(CompletionToken&& token =
                            typename net::default_completion_token<executor_type>::type());

  /// Closes every session and forgets them and every pending grace period. No events are
  /// raised by it or afterwards; `add` after it closes the session it is given. Pending
  /// `async_next_event` waits complete with `net::error::operation_aborted`.
  void close();

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace liveness

#include <liveness/impl/registry.hpp>
#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/impl/registry.ipp>
#endif

#endif  // LIVENESS_REGISTRY_HPP
