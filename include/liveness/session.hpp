//
// liveness/session.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// liveness::session<Socket, Policy>: owns a connected TCP socket (or a TLS stream over one:
// liveness/tls.hpp), applies TCP keepalive, runs a heartbeat policy, passes user data
// through, and reports a dead peer exactly once, with the reason, through an Asio
// completion handler.
//
#ifndef LIVENESS_SESSION_HPP
#define LIVENESS_SESSION_HPP

#include <liveness/config.hpp>
#include <liveness/core/detector.hpp>
#include <liveness/detail/asio.hpp>
#include <liveness/detail/stream_traits.hpp>
#include <liveness/diagnosis.hpp>
#include <liveness/duration.hpp>
#include <liveness/error.hpp>
#include <liveness/heartbeat.hpp>
#include <liveness/keepalive.hpp>
#include <liveness/role.hpp>
#include <liveness/timer/shared_wheel.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace liveness {

/// The failures a session's detection bound covers (`detection_report`).
enum class failure {
  /// The peer's process hangs (SIGSTOP, a deadlock, a busy loop): its kernel still
  /// acknowledges our bytes and answers keepalive probes. Only a heartbeat sees it.
  hung_process,
  /// The peer's host is gone (power, cable, NAT, firewall) while the connection is idle.
  dead_host_idle,
  /// The peer's host is gone while our data is in flight (unacknowledged): the kernel sends
  /// no keepalive probes then, and retransmits until the user timeout.
  dead_host_sending,
};

/// "hung_process", "dead_host_idle" or "dead_host_sending".
constexpr const char* to_string(failure f) noexcept {
  return f == failure::hung_process     ? "hung_process"
         : f == failure::dead_host_idle ? "dead_host_idle"
         : f == failure::dead_host_sending ? "dead_host_sending"
                                           : "unknown";
}

/// The longest time from a failure to its report, per failure, for one configuration (see
/// `session_options::detection_bound()` and `session::detection_bound()`).
///
/// Each bound is measured from the peer's last sign of life (the last byte received, or
/// for a write in flight the last byte it acknowledged) to the deadline at which the
/// session declares it dead. The report itself comes a little later: timers fire late (at
/// most one timer-wheel resolution, 4 ms by default, plus the wait for the thread), and
/// the kernel's keepalive timers a few milliseconds late too. What `within(budget)`
/// guarantees is the budget: it keeps 2 % of it (at least 20 ms) in reserve for that
/// lateness. `core::duration::max()` means never: the configuration cannot see
/// that failure (keepalive alone never sees a hung process; no keepalive and no heartbeat
/// leaves a dead host to the kernel's own retransmission limit, 15-30 min on Linux).
struct detection_report {
  core::duration hung_process = core::duration::max();
  core::duration dead_host_idle = core::duration::max();
  core::duration dead_host_sending = core::duration::max();
  /// The largest of the three bounds the policy can see (a policy without a heartbeat
  /// cannot see a hung process, so it is left out for `heartbeat::none`).
  core::duration worst = core::duration::max();
  /// The failure that sets `worst`.
  liveness::failure worst_failure = liveness::failure::hung_process;

  /// The bound of one failure.
  core::duration of(liveness::failure f) const noexcept;

  /// One line: "worst 9.000s (dead_host_sending); hung_process 8.820s, dead_host_idle
  /// 8.820s, dead_host_sending 9.000s" ("never" for `duration::max()`).
  std::string to_string() const;
};

/// Everything a session is configured with. A plain aggregate: start from a preset
/// (`suggested(role)`, `within(budget, role)`) or from `{}`, and change what you need.
template <class Policy>
struct session_options {
  /// Which end this session is: `role::client` (it connected) or `role::server` (it
  /// accepted). Decides which end pings when `heartbeat.pinger` is one-sided.
  liveness::role role = liveness::role::client;
  /// TCP keepalive applied to the socket when the session starts (see keepalive.hpp).
  /// `std::nullopt` leaves the socket's keepalive settings alone (for example, already
  /// applied).
  std::optional<keepalive_options> keepalive = keepalive_options::standard();
  /// The socket already carries `keepalive`: it was accepted from a listening socket that
  /// `keepalive` was applied to (`apply_keepalive(acceptor, *keepalive)` before accepting),
  /// and accepted sockets inherit the listener's settings on this platform (Linux, FreeBSD).
  /// The session then does not set them again: five system calls fewer per session, what
  /// a server that accepts thousands of reconnecting clients at once wants
  /// (docs/accept.md, "Accept bursts"). The first such session of an io_context (per codec,
  /// for equal `keepalive` options; sessions alternating between two keepalive options
  /// each check again) checks it: it reads its socket back, applies the options and
  /// compares; when the socket did not carry them, it and every later session of that
  /// io_context apply them as if this were false. `keepalive()` reports what the kernel
  /// holds either way. Ignored where accepted sockets do not inherit (Windows, macOS:
  /// applied as usual) and when `keepalive` is empty. Every socket of sessions made with it
  /// must come from such a listener: the check is made once, not per socket.
  bool keepalive_inherited = false;
  /// The heartbeat policy's own options: for `heartbeat::ping_pong<C>`,
  /// `heartbeat.interval`, `heartbeat.timeout`, `heartbeat.pinger`, the flood guard,
  /// agreement with the peer (`heartbeat.hello`, `heartbeat.too_many_pings`), and
  /// the codec's options at `heartbeat.codec`; for `heartbeat::idle_timeout`,
  /// `heartbeat.timeout`; nothing for `heartbeat::none`.
  typename Policy::options heartbeat = Policy::options::standard();
  /// The most user bytes written to the socket in one go. Large writes are cut into chunks
  /// of this size so that pings and pongs go out between them instead of waiting behind a
  /// multi-megabyte write.
  std::size_t max_write_chunk = 64 * 1024;
  /// The most the session holds for the application: received user bytes not yet read,
  /// plus 8 bytes of bookkeeping per whole message held (codecs with messages). When the
  /// application does not read, reading from the socket pauses at this size (TCP flow
  /// control then slows the peer down), so a session never holds more than this plus one
  /// socket read (64 KiB). While reading is paused the heartbeat counts the unread data as
  /// proof of life, unless a write of ours has been stuck as long as the heartbeat timeout
  /// (the peer neither reads nor sends: see `error::heartbeat_timeout`).
  ///
  /// `async_read_message` needs a whole message held: a message that outgrows this limit
  /// while a message read waits ends the session with `error::frame_too_large`.
  std::size_t read_buffer_limit = 1024 * 1024;
  /// Longest time a line or frame may take to arrive once its first byte is in (a user
  /// message of `codec::length_prefixed` counts as one, whatever its frames; a ping or pong
  /// too). A peer that starts one and does not finish it in time is cut off with
  /// `error::message_timeout` (slowloris). Zero: off. Not counted while reading is paused
  /// because the application does not read. `codec::raw` and the `bare` line framing
  /// have no message boundaries for user data: there every byte completes one.
  core::duration message_timeout = core::duration::zero();
  /// Longest time from the session's start until the peer has sent one whole line, frame
  /// or message (a heartbeat counts). A peer that has not is cut off with
  /// `error::message_timeout`. Zero: off.
  core::duration first_message_timeout = core::duration::zero();
  /// After the peer has closed its sending side (FIN, `error::peer_closed`), how long the
  /// session keeps its own sending side open to deliver what the application still writes:
  /// writes in progress, and the replies it starts to the data it still reads. The peer is
  /// declared dead (`peer_closed`) as soon as no user write is in progress (the replies
  /// have been handed to the kernel, which delivers them before its FIN) and the
  /// application has read everything held or has no read pending, and at the latest
  /// `close_linger` after the peer's FIN. Zero: the socket is closed at once (held data can
  /// still be read, writes fail).
  core::duration close_linger = std::chrono::seconds(5);

  /// Put the heartbeat deadline on the io_context's shared timer wheel
  /// (`timer::shared_wheel`: one steady_timer for all sessions, O(1) arm and re-arm, at
  /// most one wheel resolution, default 4 ms, late; see `timer::configure_shared_wheel`).
  /// False: one `steady_timer` per session, as before.
  bool use_timer_wheel = true;

  /// The library's defaults for `r`: TCP keepalive `standard()` (dead within about 35 s),
  /// the policy's `standard()` heartbeat (ping_pong: a silent peer is found within 25 s).
  /// For `role::server`, also the deadlines a server facing untrusted clients wants: a
  /// line, frame or message must arrive within 10 s of its first byte
  /// (`message_timeout`), and a client must send its first whole one within 30 s of
  /// connecting (`first_message_timeout`; a ping_pong client's first ping or pong arrives
  /// within 25 s, while with `heartbeat::none` or `idle_timeout` a client must send
  /// something within 30 s).
  static session_options suggested(liveness::role r);

  /// Every timing derived from one number: a peer that fails in any way the policy can
  /// see (a hung process, a dead host while idle, a dead host while our data is in
  /// flight) is declared dead within `budget` of its last sign of life, on Linux and on
  /// Windows, with the kernel's second-granular keepalive settings rounded up. Starts from
  /// `suggested(r)` and sets keepalive idle / interval / probes, the user timeout, the
  /// heartbeat interval and timeout and the flood guard's `min_ping_interval` (see
  /// docs/session.md for the table). Two ends built from the same budget never cut each
  /// other off. `detection_bound()` of the result is at most `budget`.
  ///
  /// Throws `liveness::system_error` with `error::budget_too_small` (its message names the
  /// smallest budget this policy can meet) for a budget below it.
  static session_options within(duration budget, liveness::role r);
  /// As above; on a budget too small, sets `ec` and returns `suggested(r)`.
  static session_options within(duration budget, liveness::role r, error_code& ec);

  /// The smallest budget `within()` accepts for this policy: 1.5 s with a heartbeat (the
  /// user timeout is whole seconds on Windows, and reported up to a retransmission timeout
  /// late), 2.5 s for `heartbeat::none` (keepalive idle and interval are whole seconds,
  /// and at least one of each is needed).
  static duration smallest_budget() noexcept;

  /// The worst case of these options, per failure, from their values as the kernels take
  /// them (keepalive rounded up to whole seconds). The heartbeat's part is `interval +
  /// timeout`, or with a codec that carries agreement frames (`codec::length_prefixed`)
  /// and `hello` or `too_many_pings` on, `max(interval, timeout) + timeout`: as far as the
  /// peer may slow our pings (`ping_pong_options::agreed_detection_bound()`; the same for
  /// every `within()` result, whose interval is at least its timeout). A session's own
  /// `session::detection_bound()` uses what the kernel actually applied.
  detection_report detection_bound() const;

  /// Success, or the first invalid setting: `error::heartbeat_invalid_options`,
  /// `error::codec_invalid_options`, a keepalive validation error, or
  /// `error::invalid_session_options` (a zero `max_write_chunk` or `read_buffer_limit`,
  /// a negative deadline, a `role` outside the enumeration).
  error_code validate() const;
};

namespace detail {
template <class Socket, class Policy>
class session_impl;
}  // namespace detail

/// A TCP connection whose peer is watched.
///
/// The session reads the socket continuously in the background, so that it notices a closed,
/// reset or silent peer even while the application is not reading. Received user data is
/// held (up to `read_buffer_limit`) until the application reads it with `async_read_some`;
/// heartbeat frames are stripped. Outgoing user data goes through `async_write_some`, which
/// frames it with the policy's codec and never writes more than `max_write_chunk` bytes at
/// once, so that heartbeats interleave.
///
/// The session is an AsyncReadStream and an AsyncWriteStream: `net::async_read`,
/// `net::async_write` and `net::async_read_until` work on it.
///
/// When the peer is declared dead (heartbeat or idle timeout, keepalive timeout, reset,
/// graceful close, protocol error, ping flood), the socket is closed, `async_wait_dead`
/// completes with the reason, pending and later writes fail with it, and reads return the
/// data still held and then fail with it (`net::error::eof` for a graceful close, so that
/// composed reads behave as on a socket).
///
/// A graceful close (the peer's FIN) ends only the peer's sending side: reads return the
/// data held and then `net::error::eof`, while writes still go out for up to
/// `session_options::close_linger`, so that a peer that sends a request and shuts down its
/// sending side (SHUT_WR) still receives the reply. The heartbeat stops meanwhile (the
/// peer can send nothing more). The peer is declared dead (`peer_closed`) once no write is
/// in progress and the held data is read (or no read is pending), or when the linger ends.
///
/// Thread safety: like an Asio socket. Distinct objects: safe. Shared object: unsafe: call
/// its functions and run its handlers on one strand (the socket's executor should be that
/// strand when the io_context runs on several threads). Handlers bound to another executor
/// must still be serialized with it.
///
/// Lifetime: destroying (or `close()`-ing) the session closes the socket; pending
/// operations complete with `net::error::operation_aborted`, each handler exactly once, and
/// no internal handler touches freed memory.
///
/// Moved-from state: like a moved-from Asio socket, a session that was moved from is a
/// valid object without a connection. Every member function may be called on it:
/// `is_open()` is false, `is_dead()` false, `reason()` empty, `keepalive()` an empty report,
/// `stats()` default values, `get_executor()` the executor it had, `next_layer()` a closed
/// socket on that executor, `close()` does nothing, and each asynchronous operation
/// completes (never inline) with `net::error::bad_descriptor`. Assigning a session to it
/// makes it whole again. Over a plain socket with an `any_io_executor`, to keep the
/// executor without a 56-byte copy of it in every session, a moved-from session shares
/// the memory of the state it handed over (not the connection: that closes with the
/// session that took it over) until it is destroyed or assigned; like the session and like
/// a socket, destroy it before its io_context.
template <class Socket, class Policy = heartbeat::none>
class session {
 public:
  using next_layer_type = Socket;
  using executor_type = typename Socket::executor_type;
  using policy_type = Policy;
  using options_type = session_options<Policy>;

  /// Takes a connected socket and starts watching it, as end `options.role`.
  ///
  /// Throws `liveness::system_error` when the options are invalid (see
  /// `session_options::validate()`) or the kernel refuses the keepalive settings; the
  /// socket is closed then.
  session(Socket socket, const options_type& options = {});

  /// As above, without exceptions: on failure `ec` holds the reason, the socket is closed
  /// and the session holds no connection (as a moved-from session: `is_open()` false,
  /// operations complete with `net::error::bad_descriptor`). Success clears `ec`.
  session(Socket socket, const options_type& options, error_code& ec);

  /// Takes over `other`'s connection; `other` is left moved-from (see above) and keeps its
  /// executor.
  session(session&& other) noexcept;
  /// Closes this session (as `close()`), then takes over `other`'s; `other` is left
  /// moved-from and keeps its executor.
  session& operator=(session&& other) noexcept;
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// Closes the connection; pending operations complete with operation_aborted.
  ~session();

  /// The socket's executor (kept by a moved-from session, as by a moved-from socket).
  executor_type get_executor() noexcept;

  /// The socket, for its options and endpoints. Do not read from it or write to it. The
  /// session has set its user-mode `non_blocking(true)`: it waits for readability and then
  /// reads without blocking, into a buffer shared by the sessions of the thread.
  ///
  /// Over TLS (`net::ssl::stream<tcp::socket>`, `#include <liveness/tls.hpp>`): the
  /// `ssl::stream`, whose `lowest_layer()` is the TCP socket (keepalive is applied there);
  /// the session reads it with `async_read_some` into a 16 KiB buffer of its own. See
  /// docs/session.md, "TLS".
  ///
  /// Moved-from session: a closed socket (or stream) on the session's executor, made on
  /// the first call and owned by the session (the same object on every call; a failure to
  /// allocate it terminates, as for any exception leaving a noexcept function).
  Socket& next_layer() noexcept;
  const Socket& next_layer() const noexcept;

  /// What `apply_keepalive` reported when the session started (empty report when
  /// `options.keepalive` was `std::nullopt`, or for a moved-from session).
  const keepalive_report& keepalive() const noexcept;

  /// The worst case of this session, per failure (see `detection_report`): as
  /// `session_options::detection_bound()` (including how far agreement with the peer may
  /// stretch the heartbeat's part), with the keepalive values the kernel applied
  /// (`keepalive()`); when the keepalive was left alone, the dead-host bounds rest on the
  /// heartbeat alone. Default (all never) for a moved-from session.
  detection_report detection_bound() const;

  /// The heartbeat counters: last received / sent, last and smoothed RTT, pings sent,
  /// pongs received, consecutive misses; agreement with the peer (`ping_interval` in
  /// force, `ping_interval_backoffs`, `peer_hello`, `too_many_pings_sent` / `_received`,
  /// `agreement_clamped`; docs/session.md); `stats().silent_for(now)` is how long the peer
  /// has been silent. Default values (zero counts, no times) for a moved-from session.
  core::detector_stats stats() const;

  /// True while the session's socket is open: false for a moved-from session, after
  /// `close()`, and once the session has closed its socket after the peer's death.
  bool is_open() const noexcept;

  /// True once the peer was declared dead (false for a moved-from session).
  bool is_dead() const noexcept;

  /// Why the peer was declared dead, or an empty code (also for a moved-from session).
  error_code reason() const noexcept;

  /// Why the peer most likely died, with the kernel's evidence (docs/diagnosis.md): the
  /// verdict (`peer_unreachable`, `peer_unresponsive`, `peer_not_reading`,
  /// `peer_closed_or_reset`, `unknown`), `reason()`, the TCP evidence read from the socket
  /// (a TLS stream's TCP socket) at the moment of death, just before the session closed it
  /// (Linux TCP_INFO, Windows SIO_TCP_INFO, macOS TCP_CONNECTION_INFO), the rule that
  /// decided, and a note when the platform could not tell. A session that is not dead
  /// (alive, closed by the application, moved-from) gives `verdict::unknown` with a note.
  /// Cheap: the evidence is read once, at death; this returns a copy.
  liveness::diagnosis diagnosis() const;

  /// Closes the connection now. Pending operations complete with operation_aborted;
  /// `async_wait_dead` too (closing is not a death of the peer). Does nothing on a
  /// moved-from or already closed session.
  void close() noexcept;

  /// Waits until the peer is declared dead.
  ///
  /// Completion signature: `void(error_code reason)`: a `liveness::error` value
  /// (`heartbeat_timeout`, `idle_timeout`, `keepalive_timeout`, `peer_closed`, `peer_reset`,
  /// `protocol_error`, `frame_too_large`, `ping_flood`, `message_timeout`), or `operation_aborted` when the
  /// session was closed or the wait cancelled. Completes at once (never inline) if the
  /// peer is already dead. Any number of waits may be pending. `net::error::bad_descriptor`
  /// on a moved-from session.
  ///
  /// Cancellation: per-operation cancellation (all types) ends this wait only; the session
  /// goes on.
  template <class CompletionToken =
                typename net::default_completion_token<executor_type>::type>
  auto async_wait_dead(CompletionToken&& token =
                           typename net::default_completion_token<executor_type>::type());

  /// Reads received user data (heartbeats stripped).
  ///
  /// Completion signature: `void(error_code, std::size_t bytes)`. Completes as soon as any
  /// data is held (never inline). After the peer's death, held data is still returned, then
  /// the reason (`net::error::eof` for `peer_closed`). One read at a time.
  /// `net::error::bad_descriptor` (0 bytes) on a moved-from session.
  ///
  /// Cancellation: per-operation cancellation (all types) completes it with
  /// operation_aborted and no data; the session goes on.
  template <class MutableBufferSequence,
            class ReadToken = typename net::default_completion_token<executor_type>::type>
  auto async_read_some(const MutableBufferSequence& buffers,
                       ReadToken&& token =
                           typename net::default_completion_token<executor_type>::type());

  /// Writes user data, framed by the policy's codec.
  ///
  /// Completion signature: `void(error_code, std::size_t bytes)`: at most
  /// `max_write_chunk` bytes are written per call (line codec: a chunk ends after a newline
  /// when there is one, so that heartbeats can follow). Heartbeats waiting to go out are
  /// written first. Fails with the death reason once the peer is dead. One write at a time.
  /// With `codec::length_prefixed` each call's bytes travel as one data frame.
  /// `net::error::bad_descriptor` (0 bytes) on a moved-from session.
  ///
  /// Cancellation: per-operation cancellation completes it with operation_aborted while it
  /// waits for a heartbeat write to finish; once its bytes are going out, it completes when
  /// they are written.
  template <class ConstBufferSequence,
            class WriteToken = typename net::default_completion_token<executor_type>::type>
  auto async_write_some(const ConstBufferSequence& buffers,
                        WriteToken&& token =
                            typename net::default_completion_token<executor_type>::type());

  /// Reads one whole user message and appends it to `buffer`, a DynamicBuffer_v1
  /// (`net::dynamic_buffer(std::string&)`, `net::streambuf`). Only for a codec with
  /// messages (`codec::has_messages_v`; among the library's, `codec::length_prefixed` and
  /// `codec::mqtt`).
  ///
  /// Completion signature: `void(error_code, std::size_t message_size)`. An empty message
  /// completes with 0. `net::error::no_buffer_space` when the message does not fit the
  /// buffer's max_size (the message stays held). After the peer's death, whole messages
  /// still held are returned, then the reason (`net::error::eof` for `peer_closed`). A
  /// message must fit `read_buffer_limit` (and the codec's `max_message_size`): a larger
  /// one ends the session with `error::frame_too_large` before more than the limit is
  /// held. Do not mix with `async_read_some` in the middle of a message.
  /// `net::error::bad_descriptor` (0 bytes) on a moved-from session.
  ///
  /// Cancellation: per-operation cancellation (all types) completes it with
  /// operation_aborted; nothing is taken.
  template <class DynamicBuffer,
            class ReadToken = typename net::default_completion_token<executor_type>::type>
  auto async_read_message(DynamicBuffer&& buffer,
                          ReadToken&& token =
                              typename net::default_completion_token<executor_type>::type());

  /// Writes `buffers` as one user message (a codec with messages only, as above): data
  /// frames of at most `max_write_chunk` bytes, heartbeats between them.
  ///
  /// Completion signature: `void(error_code, std::size_t bytes)`. One write (of either
  /// kind) at a time. `net::error::bad_descriptor` (0 bytes) on a moved-from session.
  ///
  /// Cancellation: per-operation cancellation (terminal) completes it with
  /// operation_aborted only before its first frame is written; after that the message is
  /// finished (a half-sent message would corrupt the stream).
  template <class ConstBufferSequence,
            class WriteToken = typename net::default_completion_token<executor_type>::type>
  auto async_write_message(const ConstBufferSequence& buffers,
                           WriteToken&& token =
                               typename net::default_completion_token<executor_type>::type());

 private:
  void open(Socket socket, const options_type& options, error_code& ec, bool keep);
  void fail(Socket socket, bool keep);

  using impl_type = detail::session_impl<Socket, Policy>;
  // Without a connection the session keeps its executor: its operations complete on it
  // with bad_descriptor, and get_executor() still answers. A plain socket whose executor
  // is larger than a pointer pair (any_io_executor: 56 bytes) keeps it through a pointer
  // to a socket: once moved from, the socket inside the state it handed over (which it
  // shares: memory, not the connection), or its own closed socket when opening failed; a
  // copy would cost every session 56 bytes. Otherwise (a small executor, or a TLS stream,
  // whose state is too large to keep for an executor) a copy of the socket's executor,
  // held from the start.
  static constexpr bool keeps_state =
      detail::stream_traits<Socket>::direct_io &&
      (sizeof(executor_type) > sizeof(std::shared_ptr<Socket>));
  using kept_type = std::conditional_t<keeps_state, std::shared_ptr<Socket>, executor_type>;
  static kept_type initial_kept(Socket& socket) noexcept;

  // Moved from, `s` being the state handed over (not null).
  void keep_state(const std::shared_ptr<impl_type>& s) noexcept;
  // Closes the connection as this handle lets it go (destroyed or assigned over).
  void close_for_good() noexcept;

  // The connection; null once moved from (or when opening failed).
  std::shared_ptr<impl_type> impl_;
  // The executor without a connection (see keeps_state): with keeps_state, empty while
  // connected.
  kept_type kept_;
  // next_layer() without a connection: a closed socket, made on first use.
  mutable std::unique_ptr<Socket> closed_socket_;
};

}  // namespace liveness

#include <liveness/impl/session.hpp>

#endif  // LIVENESS_SESSION_HPP
