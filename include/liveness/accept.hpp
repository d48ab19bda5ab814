//
// liveness/accept.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// liveness::async_accept_loop: a server's accept loop that survives the descriptor limit.
// It hands every accepted socket to the application; when accept fails for lack of
// resources (EMFILE, ENFILE, ENOBUFS, ENOMEM) it pauses with a growing backoff instead of
// retrying at once (a loop that retries at once spins a core and floods its log), and it
// reports each such episode once: when the pause begins and when accepting resumes.
//
#ifndef LIVENESS_ACCEPT_HPP
#define LIVENESS_ACCEPT_HPP

#include <liveness/config.hpp>
#include <liveness/core/backoff.hpp>
#include <liveness/core/clock.hpp>
#include <liveness/error.hpp>

#include <liveness/detail/asio.hpp>

#include <chrono>
#include <cstdint>

namespace liveness {

/// The pause schedule of `async_accept_loop`. A plain aggregate with good defaults.
///
/// After the n-th failed accept in a row the loop waits `min(max_pause, initial_pause *
/// 2^(n-1))` before it tries again: 10 ms, 20 ms, 40 ms ... 1 s, 1 s, ... with the
/// defaults. An accepted connection resets the count.
struct accept_options {
  /// The first pause. Must be positive (a zero pause is the busy loop this avoids).
  core::duration initial_pause = std::chrono::milliseconds(10);
  /// The longest pause: how late, at worst, accepting resumes after descriptors were freed.
  /// Not below `initial_pause`.
  core::duration max_pause = std::chrono::seconds(1);

  /// Success, or the `core::backoff_error` naming the refused field:
  /// `negative_min_delay` for an `initial_pause` that is not positive, `max_below_min`.
  error_code validate() const noexcept;

  /// The pause after `failures` failed accepts in a row (`failures` >= 1).
  core::duration pause(std::uint32_t failures) const noexcept;
};

/// What an `accept_event` reports.
enum class accept_event_kind {
  /// Accept failed for lack of resources and the loop pauses: the first failure of an
  /// episode (later failures of the same episode raise no event).
  paused = 1,
  /// A connection was accepted again after a `paused` event: the episode is over.
  resumed,
  /// Accept failed with another error (reported every time; the loop pauses too).
  failed,
};

/// One event of an accept loop.
struct accept_event {
  accept_event_kind kind = accept_event_kind::paused;
  /// `paused`, `failed`: the accept error. `resumed`: the error that began the pause.
  error_code error;
  /// `paused`, `failed`: the pause before the next attempt.
  /// `resumed`: from the failure that began the pause to the accept that ended it.
  core::duration pause{};
  /// `resumed`: the accepts tried during the pause, after the one that began it (the
  /// successful one included). Otherwise 0.
  std::uint64_t retries = 0;
};

/// True for the accept errors that mean "no resources now, try again later": too many open
/// descriptors in the process (EMFILE, `net::error::no_descriptors`; Windows WSAEMFILE) or
/// in the system (ENFILE), no buffer space (ENOBUFS, `net::error::no_buffer_space`;
/// WSAENOBUFS), no memory (ENOMEM, `net::error::no_memory`).
bool is_accept_resource_error(const error_code& ec) noexcept;

/// Accepts connections on `acceptor` until cancelled, pausing at the descriptor limit.
///
/// Each accepted socket is passed to `on_socket(socket, peer)` or `on_socket(socket)`,
/// whichever the callable takes: `socket` is a `typename Acceptor::protocol_type::socket`
/// rebound to the acceptor's executor (for `net::ip::tcp::acceptor`:
/// `net::ip::tcp::socket`) by value, `peer` the `const endpoint_type&` that accept()
/// returned (still right when the peer has already reset the connection, unlike a later
/// `remote_endpoint()`: pass it to `registry::add`). The loop does nothing else to the
/// socket: a `liveness::session` made from it applies keepalive and the heartbeat.
///
/// Bursts: after an accept completes, the connections already waiting in the accept queue
/// are taken at once with non-blocking accept() calls, at most 64, before the loop goes
/// back to `async_accept` (so that the executor's other handlers run between batches).
/// Each is handed over exactly as one accepted asynchronously: in accept order, with the
/// same events, cancellation and closing checks. For this the loop puts the acceptor in
/// non-blocking mode (`non_blocking(true)`) and sets `enable_connection_aborted` while it
/// runs, and gives both back as they were when it completes (not when an exception ends
/// it); a connection reset while it waited in the queue is skipped silently, as Asio's own
/// accept does. An `Acceptor` without `non_blocking`, `accept(socket, peer, ec)` and
/// `set_option` (a test double), and every acceptor on Windows, is served by `async_accept`
/// alone. To make sessions fast too, apply keepalive to the listening socket once and set
/// `session_options::keepalive_inherited` (docs/accept.md, "Accept bursts").
///
/// Failures:
/// - a resource error (`is_accept_resource_error`: EMFILE, ENFILE, ENOBUFS, ENOMEM): the
///   loop pauses (see `accept_options`) and tries again; the first such failure raises
///   `on_event({paused, error, pause})`, and the first connection accepted afterwards
///   raises `on_event({resumed, error, paused_for, retries})`, before `on_socket`. Nothing
///   is raised in between, however long the pause lasts: one episode, two events.
/// - any other error except those below: `on_event({failed, error, pause})`, each time,
///   and the loop tries again after the same growing pause (so that a persistent error
///   does not spin either).
/// - `operation_aborted` (the acceptor was closed, or the loop cancelled), or
///   `bad_descriptor` / `invalid_argument` (the acceptor is not open / not listening): the
///   loop ends with that error. Closing the acceptor from `on_socket` or `on_event` ends the
///   loop at once; closing it elsewhere during a pause, when the pause is over (at most
///   `max_pause`), with `operation_aborted` either way.
///
/// `on_event` is a callable taking `const accept_event&`. Both callables run in the loop's
/// intermediate completion handlers (on the completion handler's associated executor,
/// by default the acceptor's), never inline in this call; they may close the acceptor or
/// emit the loop's cancellation signal to end it. An exception they throw propagates out
/// of the executor's `run()` and ends the loop without completing it.
///
/// Completion signature: `void(error_code)`: `operation_aborted` when cancelled or the
/// acceptor was closed; `bad_descriptor` when the acceptor is not open at the start;
/// `invalid_argument` when it is not listening; the `accept_options::validate()` error
/// when the options are refused (then nothing is accepted). The loop never ends on its own
/// otherwise.
///
/// Cancellation: per-operation cancellation (terminal, partial and total) ends the loop
/// at once, during an accept or a pause, with `operation_aborted`. A connection accepted
/// in the same instant is still passed to `on_socket` first, never dropped.
///
/// Thread safety: like `acceptor.async_accept`: the acceptor must outlive the loop and
/// must not run other accepts meanwhile (nor change its non-blocking mode); call this,
/// `close()` and `cancel()` on the acceptor's strand when the io_context runs on several
/// threads.
template <class Acceptor, class SocketHandler, class EventHandler,
          class CompletionToken =
              typename net::default_completion_token<typename Acceptor::executor_type>::type>
auto async_accept_loop(Acceptor& acceptor, const accept_options& options,
                       SocketHandler on_socket, EventHandler on_event,
                       CompletionToken&& token = typename net::default_completion_token<
                           typename Acceptor::executor_type>::type());

/// `async_accept_loop`, each accepted socket made on the executor that `next_executor()`
/// returns just before that accept (one call per accepted socket or failed accept, also
/// inside a burst's batch): the way to spread connections over one io_context per
/// thread (docs/registry.md, "More than one thread"):
///
///   std::size_t next = 0;
///   liveness::async_accept_loop_on(acceptor, {},
///       [&] { return shards[next++ % shards.size()]->io.get_executor(); },
///       [&](tcp::socket s) { /* s runs on that shard's io_context: post its set-up there */ },
///       [](const liveness::accept_event&) {});
///
/// `next_executor` is a callable taking nothing and returning an executor; the socket type
/// handed to `on_socket` is the acceptor's protocol's socket rebound to that executor's
/// type (`tcp::socket` for `any_io_executor`). `on_socket` and `on_event` still run on the
/// loop's executor (the acceptor's by default), not on the socket's: set the session up
/// on the socket's executor (`net::post(s.get_executor(), ...)`) when that is another
/// thread's. Everything else is as `async_accept_loop`.
template <class Acceptor, class NextExecutor, class SocketHandler, class EventHandler,
          class CompletionToken =
              typename net::default_completion_token<typename Acceptor::executor_type>::type>
auto async_accept_loop_on(Acceptor& acceptor, const accept_options& options,
                          NextExecutor next_executor, SocketHandler on_socket,
                          EventHandler on_event,
                          CompletionToken&& token = typename net::default_completion_token<
                              typename Acceptor::executor_type>::type());

}  // namespace liveness

#include <liveness/impl/accept.hpp>
#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/impl/accept.ipp>
#endif

#endif  // LIVENESS_ACCEPT_HPP
