//
// liveness/error.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Why a peer was declared dead, why a configuration was refused, and how transport errors
// from the operating system map onto those reasons.
//
#ifndef LIVENESS_ERROR_HPP
#define LIVENESS_ERROR_HPP

#include <liveness/config.hpp>

#include <string>
#include <type_traits>

namespace liveness {

/// Error values of the "liveness" category.
///
/// Values 1-99 are reasons a connection was declared dead; values 100-199 are refused
/// configurations; values from 200 are decisions of a `registry` about a session. Compare with `==` against an `error_code`, or test a whole family with
/// `liveness::condition`.
enum class error {
  // ---- why the peer was declared dead -------------------------------------------------
  /// The application-layer heartbeat went unanswered past its timeout.
  heartbeat_timeout = 1,
  /// Nothing at all arrived from the peer within the idle deadline.
  idle_timeout = 2,
  /// The kernel gave up on the connection: keepalive probes or retransmissions (the user
  /// timeout while data was in flight) went unanswered, or the network reported the peer
  /// unreachable.
  keepalive_timeout = 3,
  /// The peer closed the connection gracefully (end of stream, recv() returned 0).
  peer_closed = 4,
  /// The peer's host reset the connection (RST: crashed or rebooted peer, refused write).
  peer_reset = 5,
  /// The peer sent bytes the codec cannot interpret.
  protocol_error = 6,
  /// The peer announced or sent a message larger than the codec's maximum.
  frame_too_large = 7,
  /// The peer pinged more often than allowed, too many times.
  ping_flood = 8,
  /// The peer started a line, frame or message and did not finish it within
  /// `session_options::message_timeout`, or sent no whole one within
  /// `first_message_timeout` of connecting (a slowloris peer).
  message_timeout = 9,

  // ---- refused configuration ----------------------------------------------------------
  /// A keepalive specification string is malformed.
  invalid_keepalive_spec = 100,
  /// A keepalive idle or interval time of zero (or less) was requested.
  keepalive_zero_time = 101,
  /// The keepalive idle time is outside what this platform accepts.
  keepalive_idle_out_of_range = 102,
  /// The keepalive probe interval is outside what this platform accepts.
  keepalive_interval_out_of_range = 103,
  /// The keepalive probe count is outside what this platform accepts.
  keepalive_probes_out_of_range = 104,
  /// The user timeout (bound while data is unacknowledged) is outside what this platform
  /// accepts.
  keepalive_user_timeout_out_of_range = 105,
  /// The operating system refused to enable or configure keepalive on this socket.
  keepalive_not_supported = 106,
  /// Heartbeat policy options are invalid (a zero or negative interval or timeout, ...).
  heartbeat_invalid_options = 107,
  /// Codec options are invalid (ping and pong texts equal, empty or holding CR/LF, a
  /// maximum size of zero, ...).
  codec_invalid_options = 108,
  /// `session_options::within` was given a budget below the smallest this policy can meet
  /// (`session_options::smallest_budget()`: 1.5 s with a heartbeat, 2.5 s without).
  budget_too_small = 109,
  /// Session options are invalid: a zero `max_write_chunk` or `read_buffer_limit`, a
  /// negative deadline, or a `role` outside the enumeration.
  invalid_session_options = 110,

  // ---- decided by a registry (registry.hpp) --------------------------------------------
  /// The session was closed because a new session took its id
  /// (`duplicate_id_policy::replace`).
  replaced = 200,
  /// `registry::add` refused the session: its id already has a live session
  /// (`duplicate_id_policy::reject`).
  duplicate_id = 201,
  /// `registry::add` refused the session: an application id may not begin with "tcp:",
  /// the form reserved for ids made from the peer's endpoint.
  reserved_id = 202,
};

/// Families of `liveness::error` values (and of raw transport errors), for `==` tests.
enum class condition {
  /// The connection is dead: any reason from `heartbeat_timeout` to `message_timeout`, and the
  /// raw transport errors that `classify_transport_error` maps onto one of them.
  peer_dead = 1,
  /// A configuration was refused: any `liveness::error` value from 100 to 199.
  invalid_configuration = 2,
};

/// The category of `liveness::error`; its name() is "liveness".
const sys::error_category& error_category() noexcept;

/// The category of `liveness::condition`; its name() is "liveness.condition".
const sys::error_category& condition_category() noexcept;

/// Makes an error_code of the "liveness" category. Found by ADL.
error_code make_error_code(error e) noexcept;

/// Makes an error_condition of the "liveness.condition" category. Found by ADL.
sys::error_condition make_error_condition(condition c) noexcept;

/// The enumerator's name ("heartbeat_timeout", "peer_closed", ...), for logs and machine
/// readable output; "unknown" for a value not listed.
const char* error_name(error e) noexcept;

/// `error_name` for codes of the "liveness" category; for any other code,
/// "<category>:<value>" (for example "system:110").
std::string error_name(const error_code& ec);

/// True for the values 1-99 of `liveness::error` (a dead-peer reason).
bool is_dead_peer_reason(const error_code& ec) noexcept;

/// Maps an error reported by a socket operation to the liveness reason it stands for:
///  - end of stream                                   -> error::peer_closed
///  - ECONNRESET / EPIPE (and ECONNABORTED off Windows) -> error::peer_reset
///  - ETIMEDOUT, ENETRESET, EHOSTUNREACH, ENETUNREACH  -> error::keepalive_timeout
///  - Windows: WSAETIMEDOUT (10060), WSAENETRESET (10052), WSAECONNABORTED (10053) and the
///    IOCP codes ERROR_SEM_TIMEOUT (121) and ERROR_NETNAME_DELETED (64)
///                                                    -> error::keepalive_timeout
/// Any other code (including success and operation_aborted) is returned unchanged.
error_code classify_transport_error(const error_code& ec) noexcept;

}  // namespace liveness

namespace std {
template <>
struct is_error_code_enum<liveness::error> : true_type {};
template <>
struct is_error_condition_enum<liveness::condition> : true_type {};
}  // namespace std

#if defined(LIVENESS_USE_BOOST_ASIO)
namespace boost {
namespace system {
template <>
struct is_error_code_enum<liveness::error> : std::true_type {};
template <>
struct is_error_condition_enum<liveness::condition> : std::true_type {};
}  // namespace system
}  // namespace boost
#endif

#include <liveness/impl/error.hpp>
#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/impl/error.ipp>
#endif

#endif  // LIVENESS_ERROR_HPP
