//
// liveness/reconnect.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// liveness::reconnecting_client<Policy, Socket>: the client side. Connects (resolving the
// host again on every attempt), watches the connection with a liveness::session (which
// applies keepalive and the heartbeat on every new connection), and when the peer dies
// connects again after an exponential backoff with jitter (see core/backoff.hpp).
//
#ifndef LIVENESS_RECONNECT_HPP
#define LIVENESS_RECONNECT_HPP

#include <liveness/config.hpp>
#include <liveness/core/backoff.hpp>
#include <liveness/core/clock.hpp>
#include <liveness/error.hpp>
#include <liveness/session.hpp>

#include <liveness/detail/asio.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace liveness {

/// The reconnect schedule and limits. A plain aggregate: start from a preset.
///
/// The retry after n unsuccessful attempts in a row (n = 1 also after a stable connection
/// died) waits a delay drawn uniformly from [min_delay, min(max_delay, min_delay *
/// multiplier^n)] ("full jitter" above the floor, applied after the cap; see
/// core/backoff.hpp). With jitter off the delay is the upper end.
struct reconnect_options {
  /// The floor of every delay. Not negative.
  core::duration min_delay = std::chrono::milliseconds(100);
  /// The cap of every delay. Not below `min_delay`.
  core::duration max_delay = std::chrono::seconds(30);
  /// Growth factor per retry, at least 1.
  double multiplier = 2.0;
  /// Give up (`on_gave_up`) after this many attempts in a row without a stable
  /// connection: failed resolves/connects, and connections that died before
  /// `stable_after`. Empty: retry forever. Zero is refused.
  std::optional<std::uint32_t> max_attempts;
  /// A connection must stay up this long before the backoff resets.
  core::duration stable_after = std::chrono::seconds(10);
  /// Randomise the delays (off: each delay is exactly its cap).
  bool jitter = true;
  /// Bound on one attempt's resolve + connect; past it the attempt fails with
  /// `net::error::timed_out`. `duration::max()`: no bound (the OS's own, minutes on Linux).
  core::duration connect_timeout = std::chrono::seconds(10);
  /// The outbox of `async_send`: at most this many messages queued (not yet handed to a
  /// connection's write, the one being written included) ...
  std::size_t outbox_limit = 1024;
  /// ... and at most this many bytes. A send that would exceed either completes at once
  /// with `net::error::no_buffer_space` (nothing is dropped silently). Zero refuses every
  /// send.
  std::size_t outbox_bytes = std::size_t(1) << 20;

  /// First retry within 100-200 ms, doubling to 30 s, forever, reset after 10 s up, 10 s
  /// connect timeout.
  static reconnect_options standard() noexcept { return {}; }
  /// First retry within 50-100 ms, doubling to 2 s, forever, reset after 2 s up, 3 s connect timeout: for tests,
  /// demos and local links.
  static reconnect_options fast() noexcept {
    reconnect_options o;
    o.min_delay = std::chrono::milliseconds(50);
    o.max_delay = std::chrono::seconds(2);
    o.stable_after = std::chrono::seconds(2);
    o.connect_timeout = std::chrono::seconds(3);
    return o;
  }
  /// `standard()` that gives up after `n` attempts in a row.
  static reconnect_options limited(std::uint32_t n) noexcept {
    reconnect_options o;
    o.max_attempts = n;
    return o;
  }

  /// The schedule part, for core::backoff.
  core::backoff_options backoff() const noexcept {
    return {min_delay, max_delay, multiplier, max_attempts, stable_after, jitter};
  }
  /// Success, or the `core::backoff_error` naming the refused field
  /// (`negative_min_delay` also for a connect_timeout that is not positive).
  error_code validate() const noexcept;
};

/// The name of an attempt's failure, for logs: `connection_refused`, `host_unreachable`,
/// `network_unreachable`, `timed_out` (the connect timeout, or the kernel's),
/// `host_not_found`, `service_not_found`, `address_in_use`, `network_down`,
/// `operation_aborted`; any other code as `liveness::error_name(ec)` names it (a
/// `liveness::error` by its name, such as `peer_closed` for a connection that died young,
/// else `category:value`). `liveness::error_name` itself names system codes by number
/// only ("system:111"); the message (`ec.message()`) is the platform's text.
std::string connect_error_name(const error_code& ec);

/// A client connection that comes back.
///
/// `start()` begins attempt 1: resolve `host`/`service` (every attempt resolves again, so
/// a moved DNS name is followed), connect to the first endpoint that accepts, construct a
/// `session_type` as `role::client` (whatever `options.role` says; it applies
/// `session_options::keepalive` and starts the heartbeat on the new socket), raise
/// `on_connected`. When the session reports the peer dead, raise
/// `on_disconnected(reason, silent)`, then either `on_reconnecting(delay)` and a new
/// attempt after `delay`, or `on_gave_up(attempts)` when `max_attempts` is reached.
///
/// A failed attempt (resolve, connect, timeout, or session construction refusing the
/// options) raises `on_connect_failed(error)` and counts towards `max_attempts`; it does not
/// raise `on_disconnected`, so connected/disconnected always come in pairs.
///
/// Events run on the client's executor; handlers may call `stop()` (then no further event
/// is raised, not even the rest of the current step), `current()`, or destroy the client.
///
/// Thread safety: like an Asio object: call its functions on its executor (a strand when
/// the io_context runs on several threads).
///
/// Lifetime: `stop()` cancels everything at any time and closes the session; the client
/// may be destroyed after it, or instead of it (the destructor stops). No internal handler
/// touches freed memory.
template <class Policy, class Socket = net::ip::tcp::socket>
class reconnecting_client {
 public:
  using socket_type = Socket;
  using session_type = session<Socket, Policy>;
  using executor_type = typename Socket::executor_type;
  using protocol_type = typename Socket::protocol_type;

  /// Does not connect yet (see `start`). Throws `liveness::system_error` with the
  /// `reconnect_options::validate()` error when `reconnect` is invalid.
  reconnecting_client(const executor_type& ex, std::string host, std::string service,
                      const session_options<Policy>& options = {},
                      const reconnect_options& reconnect = reconnect_options::standard());
  reconnecting_client(const reconnecting_client&) = delete;
  reconnecting_client& operator=(const reconnecting_client&) = delete;
  /// Stops (as `stop()`).
  ~reconnecting_client();

  executor_type get_executor() const noexcept;

  /// A connection came up; the session is new. Start reading it here.
  void on_connected(std::function<void(session_type&)> handler);
  /// The connection of the last `on_connected` died: `reason` is the session's death
  /// reason, `silent` how long the peer had been silent (`stats().silent_for(now)`).
  void on_disconnected(std::function<void(error_code reason, core::duration silent)> handler);
  /// As above, with the session's `diagnosis()` (why the peer most likely died, with the
  /// kernel's evidence; docs/diagnosis.md). Replaces a handler set with the other overload.
  void on_disconnected(std::function<void(error_code reason, core::duration silent,
                                          const liveness::diagnosis& why)>
                           handler);
  /// Removes the handler (either overload's).
  void on_disconnected(std::nullptr_t);
  /// An attempt failed before a session existed (resolve or connect error, timeout,
  /// refused options).
  void on_connect_failed(std::function<void(error_code error)> handler);
  /// The next attempt starts after `delay`.
  void on_reconnecting(std::function<void(core::duration delay)> handler);
  /// `max_attempts` attempts in a row failed; the client stopped.
  void on_gave_up(std::function<void(std::uint32_t attempts)> handler);

  /// Starts attempt 1 (posted: no event is raised inline). Does nothing while running.
  /// After `stop()` or giving up, starts afresh (the backoff count reset).
  void start();

  /// Cancels the pending resolve, connect or delay, closes the session (its pending
  /// operations complete with operation_aborted), completes every pending `async_run`,
  /// `async_wait_connected` and `async_send` of the client with
  /// `net::error::operation_aborted` (the outbox is emptied), and raises no further events.
  /// Safe from inside an event handler. Idempotent.
  void stop() noexcept;

  /// True between `start()` and `stop()` or giving up.
  bool running() const noexcept;

  /// The live session, or null while not connected (also once the current connection's
  /// peer is dead). The pointer keeps the session object alive however long it is held;
  /// a session whose connection died stays dead (its operations fail with the reason).
  std::shared_ptr<session_type> current() const noexcept;

  /// Attempts in a row without a stable connection (see `reconnect_options`).
  std::uint32_t attempts() const noexcept;

  /// Messages waiting in the outbox (the one being written included).
  std::size_t outbox_size() const noexcept;

  /// Starts the client if it is not running (as `start()`), then waits until it ends.
  ///
  /// Completion signature: `void(error_code why)`, exactly once: `operation_aborted` after
  /// `stop()` (or the client's destruction) or this operation's cancellation; otherwise the
  /// client gave up (`max_attempts`), and `why` is the failure of the last attempt
  /// (`net::error::connection_refused`, `net::error::timed_out`, a resolve error, or the
  /// death reason of a connection that died young, such as `error::peer_closed`). Never
  /// inline. Any number may be pending.
  ///
  /// Cancellation: per-operation cancellation (all types) stops the client, as `stop()`.
  template <class CompletionToken =
                typename net::default_completion_token<executor_type>::type>
  auto async_run(CompletionToken&& token =
                     typename net::default_completion_token<executor_type>::type());

  /// Waits for a connection that is up. Does not start the client.
  ///
  /// Completion signature: `void(error_code, std::shared_ptr<session_type>)`: the session
  /// at once (never inline) if a connection is up now, else on the next `on_connected`;
  /// `operation_aborted` and null on `stop()` or cancellation; the give-up reason (see
  /// `async_run`) and null when the client gives up. While the client is not running: at
  /// once with why its last run ended (`operation_aborted` after `stop()`, the give-up
  /// reason), or, before its first start, it waits for the start and the connection (so
  /// that a coroutine may wait before another calls `async_run`). Any number may be
  /// pending.
  ///
  /// Cancellation: per-operation cancellation (all types) ends this wait only.
  template <class CompletionToken =
                typename net::default_completion_token<executor_type>::type>
  auto async_wait_connected(CompletionToken&& token =
                                typename net::default_completion_token<executor_type>::type());

  /// Queues `message` (copied) in the outbox and sends the outbox in order on the current
  /// connection, or after the next (re)connection. Codecs with messages
  /// (`codec::has_messages_v`): each message is one `async_write_message`; others: the
  /// bytes go out with `net::async_write` on the session (framed by its codec, add your own
  /// delimiters, e.g. a newline for `codec::line`).
  ///
  /// Completion signature: `void(error_code)`. Success means "sent": the whole message was
  /// handed to the kernel (the session's write completed); it does not mean the peer
  /// received or processed it. A message whose write fails because the connection died
  /// stays at the head of the outbox and is written again, whole, on the next connection
  /// (the peer may then see a prefix of it on the dead connection, and, when the death was
  /// noticed after the kernel took the bytes, the message twice: at-least-once).
  /// `net::error::no_buffer_space` at once (never inline) when the outbox is full
  /// (`reconnect_options::outbox_limit`, `outbox_bytes`); `operation_aborted` on `stop()`;
  /// the give-up reason when the client gives up (the outbox is emptied then). A send
  /// while the client is not running is queued until it starts. The outbox writes on the
  /// session as soon as it is up: do not write on the session yourself as well (a session
  /// takes one write at a time).
  ///
  /// Cancellation: per-operation cancellation (all types) takes the message out of the
  /// outbox and completes with `operation_aborted`, unless it is being written (then it
  /// completes when the write does).
  template <class CompletionToken =
                typename net::default_completion_token<executor_type>::type>
  auto async_send(std::string message,
                  CompletionToken&& token =
                      typename net::default_completion_token<executor_type>::type());

  /// As above, the bytes of `message` copied in.
  template <class CompletionToken =
                typename net::default_completion_token<executor_type>::type>
  auto async_send(net::const_buffer message,
                  CompletionToken&& token =
                      typename net::default_completion_token<executor_type>::type());

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace liveness

#include <liveness/impl/reconnect.hpp>
#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/impl/reconnect.ipp>
#endif

#endif  // LIVENESS_RECONNECT_HPP
