//
// liveness/keepalive.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// TCP keepalive, configured the same way on every platform, validated before it reaches the
// kernel and read back from it afterwards.
//
// TCP keepalive finds peers that vanished without a FIN or RST (power loss, pulled cable, a
// NAT or firewall that forgot the flow) while the connection is idle. It cannot see a hung
// process (its kernel still answers the probes): use a heartbeat policy for that. While our
// own data is unacknowledged the kernel sends no probes at all; `user_timeout` bounds that
// case (TCP_USER_TIMEOUT on Linux, TCP_MAXRT on Windows, TCP_RXT_CONNDROPTIME on macOS,
// TCP_MAXUNACKTIME on FreeBSD).
//
#ifndef LIVENESS_KEEPALIVE_HPP
#define LIVENESS_KEEPALIVE_HPP

#include <liveness/config.hpp>
#include <liveness/duration.hpp>
#include <liveness/error.hpp>

#include <liveness/detail/asio.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace liveness {

/// How a socket's keepalive should be configured. A plain aggregate: start from a preset
/// and change what you need.
///
/// The defaults are those of `standard()`: a dead peer is declared within 35 s.
struct keepalive_options {
  using duration = std::chrono::milliseconds;

  /// `user_timeout` value (also what `{}` gives): derive it from the other settings, so
  /// that a dead peer is declared within `idle + interval * probes` whether or not data is
  /// in flight.
  static constexpr std::nullopt_t derive_user_timeout = std::nullopt;
  /// `user_timeout` value: leave the kernel's default (Linux retransmits for 15-30 min).
  static constexpr duration no_user_timeout{0};

  /// Turn keepalive on (SO_KEEPALIVE). When false, nothing else but an explicit
  /// `user_timeout` is applied, and SO_KEEPALIVE is switched off.
  bool enabled = true;
  /// Silence on the connection before the first probe. Second-granular platforms (Linux,
  /// macOS, FreeBSD, Windows' setsockopt path) round sub-second values up.
  duration idle = std::chrono::seconds(20);
  /// Time between unanswered probes.
  duration interval = std::chrono::seconds(5);
  /// Unanswered probes before the connection is dropped. Windows before 10 version 1709
  /// (and Wine), configured through SIO_KEEPALIVE_VALS, always sends 10; the report says
  /// so. On Linux a user timeout takes the place of the count (see `keepalive_report`).
  int probes = 3;
  /// Longest time our sent data may stay unacknowledged before the kernel drops the
  /// connection: empty = `derive_user_timeout` (the default), `no_user_timeout` (zero), or a
  /// positive time.
  std::optional<duration> user_timeout = derive_user_timeout;

  /// Dead within about 35 s (20 s idle, then 3 probes 5 s apart): the 30-40 s that suits
  /// most long-lived connections.
  static constexpr keepalive_options standard() noexcept { return {}; }

  /// Dead within about 7 s (4 s idle, then 3 probes 1 s apart): the 6-9 s for demanding
  /// links. Costs a probe every 4 s on idle connections.
  static constexpr keepalive_options aggressive() noexcept {
    return {true, std::chrono::seconds(4), std::chrono::seconds(1), 3, derive_user_timeout};
  }

  /// Keepalive off (SO_KEEPALIVE cleared, no user timeout).
  static constexpr keepalive_options disabled() noexcept {
    return {false, std::chrono::seconds(20), std::chrono::seconds(5), 3, derive_user_timeout};
  }

  /// Parses "IDLE:INTERVAL:COUNT[:USER_TIMEOUT]", like nginx's `so_keepalive`.
  ///
  /// Durations take a unit (`ms`, `s`, `m`, `h`); a plain number means seconds, so
  /// "30s:5s:3" and "30:5:3" are the same (`parse_duration` with `unitless::seconds`). An empty field keeps the `standard()` value
  /// ("30s::5"). USER_TIMEOUT is a duration, `off` or `auto` (the default, derived).
  /// The whole spec may also be `on` (= standard()) or `off` (= disabled()). Blanks around
  /// fields are allowed.
  ///
  /// The result is validated for this platform. On failure `ec` names the problem
  /// (`error::invalid_keepalive_spec`, `keepalive_zero_time`, `keepalive_*_out_of_range`)
  /// and the returned value is `standard()`.
  static keepalive_options parse(std::string_view spec, error_code& ec);

  /// As above, but throws `liveness::system_error` whose what() quotes the spec.
  static keepalive_options parse(std::string_view spec);

  /// Checks these options against this platform's kernel limits. Returns the first
  /// problem found (`keepalive_zero_time`, `keepalive_*_out_of_range`), or success.
  error_code validate() const;

  /// `idle + interval * probes`: when a silent peer is declared dead at the latest while no
  /// data is in flight, as requested (before any platform rounding).
  duration detection_bound() const noexcept;

  /// The user timeout that will be applied: the derived value, the explicit value, or zero
  /// for none.
  duration effective_user_timeout() const noexcept;
};

/// The facility the kernel was configured through.
enum class keepalive_mechanism {
  /// Keepalive is off on the socket.
  disabled,
  /// setsockopt(SO_KEEPALIVE, TCP_KEEPIDLE / TCP_KEEPALIVE, TCP_KEEPINTVL, TCP_KEEPCNT).
  setsockopt,
  /// Windows WSAIoctl(SIO_KEEPALIVE_VALS): times in milliseconds, probe count fixed at 10,
  /// nothing can be read back.
  sio_keepalive_vals,
  /// `read_keepalive` only: keepalive is on, but the platform cannot tell how it was set
  /// (Windows before 10 version 1709, Wine).
  unknown,
};

/// Where a reported value comes from.
enum class value_source {
  /// Read back from the kernel after it was set: what is really in force.
  kernel,
  /// The platform cannot read this value back; this is what was set.
  requested,
  /// The platform fixes this value; it cannot be configured.
  platform_fixed,
  /// The platform has no such setting (or refused it); `value` is meaningless.
  unsupported,
  /// Not applied (keepalive or the user timeout is off).
  not_set,
};

/// One reported setting and where its value comes from.
template <class T>
struct keepalive_value {
  T value{};
  value_source source = value_source::not_set;

  /// True when `value` describes what is in force (read back, set blind, or fixed).
  bool known() const noexcept {
    return source == value_source::kernel || source == value_source::requested ||
           source == value_source::platform_fixed;
  }
};

/// What `apply_keepalive` did and what the kernel holds afterwards.
struct keepalive_report {
  using duration = std::chrono::milliseconds;

  keepalive_mechanism mechanism = keepalive_mechanism::disabled;
  /// SO_KEEPALIVE as the kernel holds it.
  bool enabled = false;
  keepalive_value<duration> idle;
  keepalive_value<duration> interval;
  keepalive_value<int> probes;
  /// The bound while data is unacknowledged; value 0 with source `kernel` means the
  /// kernel's default.
  keepalive_value<duration> user_timeout;
  /// When a silent peer is declared dead while the connection is idle, by the kernel's
  /// schedule: `idle + interval * probes` of the effective values (kernel timers fire a few
  /// tens of milliseconds later). Empty when keepalive is off or the values are unknown.
  std::optional<duration> detection_bound;
  /// The same while our data is unacknowledged: the user timeout. The kernel notices it
  /// when a retransmission timer fires, so the drop comes up to one retransmission timeout
  /// later (Linux: at least 200 ms; measured here: about 230 ms on loopback). Empty when
  /// none is in force (then the kernel's retransmission limit applies: 15-30 min on Linux).
  std::optional<duration> detection_bound_in_flight;
  /// Plain-language remarks: rounding, fixed probe counts, fallbacks, refused settings.
  std::vector<std::string> notes;

  /// The larger of the two bounds, or empty if either is unbounded (or keepalive is off).
  std::optional<duration> worst_case() const;

  /// One line per field and note, for logs.
  std::string to_string() const;
};

/// "disabled", "setsockopt", "SIO_KEEPALIVE_VALS", "unknown".
const char* to_string(keepalive_mechanism m) noexcept;

/// "kernel", "requested", "platform fixed", "unsupported", "not set".
const char* to_string(value_source s) noexcept;

/// Configures keepalive on an open, connected socket and reads the result back.
///
/// Call it after a connect completes (`net::connect` and `net::async_connect` close the
/// socket between attempts, losing options set before) and on every accepted socket (not
/// every platform inherits the listener's settings; see `async_accept_with_keepalive`).
///
/// `Socket` is any Asio socket with a native handle (`net::ip::tcp::socket`,
/// `net::basic_stream_socket<...>`).
///
/// Errors: the options' own validation errors; `net::error::bad_descriptor` for a closed
/// socket; `error::keepalive_not_supported` when the kernel refuses SO_KEEPALIVE or the
/// timing; otherwise the system error of the refused call. On error the socket may be
/// partly configured; the report describes what is known.
///
/// Thread safety: like any operation on the socket: not concurrently with others on it.
template <class Socket>
keepalive_report apply_keepalive(Socket& socket, const keepalive_options& options,
                                 error_code& ec);

/// As above, but throws `liveness::system_error` on failure.
template <class Socket>
keepalive_report apply_keepalive(Socket& socket, const keepalive_options& options);

/// What the kernel holds for this socket now, without changing it. On Windows, settings
/// made through SIO_KEEPALIVE_VALS cannot be read and are reported `unsupported`.
template <class Socket>
keepalive_report read_keepalive(Socket& socket, error_code& ec);

/// As above, but throws `liveness::system_error` on failure.
template <class Socket>
keepalive_report read_keepalive(Socket& socket);

/// Accepts a connection and applies `options` to it before completing.
///
/// Completion signature: `void(error_code ec, Socket socket)`, where `Socket` is the
/// acceptor's protocol's socket on the acceptor's executor. When the accept succeeds but
/// applying keepalive fails, `ec` holds the apply error and `socket` is the accepted,
/// open socket (close it or use it as you see fit).
///
/// Cancellation: per-operation cancellation of any type (terminal, partial, total) is
/// passed to the underlying `async_accept`; `acceptor.cancel()` and `acceptor.close()`
/// complete it with `operation_aborted`. Thread safety: as `async_accept`.
///
/// One call accepts one connection; call it again from the handler to serve the next, as
/// with `async_accept`.
template <class Acceptor, class CompletionToken = typename net::default_completion_token<
                              typename Acceptor::executor_type>::type>
auto async_accept_with_keepalive(
    Acceptor& acceptor, const keepalive_options& options,
    CompletionToken&& token =
        typename net::default_completion_token<typename Acceptor::executor_type>::type());

/// Blocking accept that applies `options` to the accepted socket. On an apply error, `ec`
/// is set and the open socket is returned.
template <class Acceptor>
auto accept_with_keepalive(Acceptor& acceptor, const keepalive_options& options,
                           error_code& ec) ->
    typename Acceptor::protocol_type::socket::template rebind_executor<
        typename Acceptor::executor_type>::other;

}  // namespace liveness

#include <liveness/impl/keepalive.hpp>
#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/impl/keepalive.ipp>
#endif

#endif  // LIVENESS_KEEPALIVE_HPP
