//
// liveness/impl/error.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_IMPL_ERROR_HPP
#define LIVENESS_IMPL_ERROR_HPP

#include <liveness/detail/keepalive_limits.hpp>

#include <cerrno>
#include <cstring>
#include <string>

namespace liveness {
namespace detail {

// The transport errors that classify_transport_error recognises, as the values Asio's own
// error enums carry on each platform (system category), so that error.hpp needs no Asio
// header: the sans-I/O layers include it.
struct transport_error_values {
  int connection_reset, broken_pipe, connection_aborted, timed_out, network_reset,
      host_unreachable, network_unreachable;
};
#if defined(_WIN32)
// WSAECONNRESET, ERROR_BROKEN_PIPE, WSAECONNABORTED, WSAETIMEDOUT, WSAENETRESET,
// WSAEHOSTUNREACH, WSAENETUNREACH.
inline constexpr transport_error_values native_transport_errors{10054, 109,   10053, 10060,
                                                                10052, 10065, 10051};
#else
inline constexpr transport_error_values native_transport_errors{
    ECONNRESET, EPIPE, ECONNABORTED, ETIMEDOUT, ENETRESET, EHOSTUNREACH, ENETUNREACH};
#endif

/// Asio's end of stream: value 2 of its "asio.misc" category (the same name in standalone
/// Asio and Boost.Asio).
LIVENESS_DECL bool is_end_of_stream(const error_code& ec) noexcept;

/// An operating-system error: the backend's system category, or standalone Asio's own
/// "asio.system" category (which it uses instead of std::system_category()).
LIVENESS_DECL bool is_system_error(const error_code& ec) noexcept;

/// "1 s", "1500 ms", "32767 s": a limit written the way a user writes it.
LIVENESS_DECL std::string format_limit_ms(std::int64_t ms);

LIVENESS_DECL std::string range_message(const char* what, std::int64_t lo, std::int64_t hi);

/// Which of this platform's limits a refused-configuration message quotes.
enum class error_range { none, idle, interval, probes, user_timeout };

/// The texts of one `liveness::error` value: its name (`error_name`) and its message (the
/// category's message()). A message that quotes this platform's limits holds what is out
/// of range ("keepalive idle time"), and `range` says which limits follow.
struct error_text {
  const char* name;
  const char* message;
  error_range range;
};

/// The one place that turns a `liveness::error` into text; {nullptr, nullptr} for a value
/// that is not an enumerator.
inline constexpr error_text describe(error e) noexcept {
  using r = error_range;
  switch (e) {
    case error::heartbeat_timeout:
      return {"heartbeat_timeout", "peer did not answer the heartbeat within the timeout", r::none};
    case error::idle_timeout:
      return {"idle_timeout", "nothing received from the peer within the idle deadline", r::none};
    case error::keepalive_timeout:
      return {"keepalive_timeout",
              "TCP keepalive or user timeout expired: the peer or the path to it is gone", r::none};
    case error::peer_closed:
      return {"peer_closed", "peer closed the connection (end of stream)", r::none};
    case error::peer_reset:
      return {"peer_reset", "peer reset the connection", r::none};
    case error::protocol_error:
      return {"protocol_error", "peer sent data the codec cannot parse", r::none};
    case error::frame_too_large:
      return {"frame_too_large", "peer sent a message larger than the configured maximum",
              r::none};
    case error::ping_flood:
      return {"ping_flood", "peer pinged more often than allowed too many times", r::none};
    case error::message_timeout:
      return {"message_timeout",
              "peer did not finish a line, frame or message within the message deadline", r::none};
    case error::invalid_keepalive_spec:
      return {"invalid_keepalive_spec",
              "malformed keepalive spec: expected IDLE:INTERVAL:COUNT such as 30s:5s:3 or "
              "30:5:3 (durations in ms, s, m or h; plain numbers are seconds)",
              r::none};
    case error::keepalive_zero_time:
      return {"keepalive_zero_time",
              "keepalive idle and interval must be greater than zero (zero times make "
              "Windows send probes without pause)",
              r::none};
    case error::keepalive_idle_out_of_range:
      return {"keepalive_idle_out_of_range", "keepalive idle time", r::idle};
    case error::keepalive_interval_out_of_range:
      return {"keepalive_interval_out_of_range", "keepalive probe interval", r::interval};
    case error::keepalive_probes_out_of_range:
      return {"keepalive_probes_out_of_range", "keepalive probe count", r::probes};
    case error::keepalive_user_timeout_out_of_range:
      return {"keepalive_user_timeout_out_of_range", "keepalive user timeout", r::user_timeout};
    case error::keepalive_not_supported:
      return {"keepalive_not_supported",
              "the operating system refused to enable or configure TCP keepalive on this "
              "socket",
              r::none};
    case error::heartbeat_invalid_options:
      return {"heartbeat_invalid_options",
              "heartbeat options refused: interval and timeout must be greater than zero, "
              "and min_ping_interval must be neither negative nor (with strikes counted) "
              "larger than interval",
              r::none};
    case error::codec_invalid_options:
      return {"codec_invalid_options",
              "codec options refused: ping and pong texts must be distinct, 1-64 bytes, "
              "without CR or LF; max_line_length must exceed them; max_frame_size must be "
              "above zero",
              r::none};
    case error::budget_too_small:
      return {"budget_too_small",
              "detection budget refused: below the smallest this policy can meet (1.5 s "
              "with a heartbeat, 2.5 s for heartbeat::none: keepalive idle, interval and "
              "user timeout are whole seconds, and the kernel reports a user timeout up to "
              "a retransmission timeout late)",
              r::none};
    case error::invalid_session_options:
      return {"invalid_session_options",
              "session options refused: max_write_chunk and read_buffer_limit must be above "
              "zero, message_timeout, first_message_timeout and close_linger must not be "
              "negative, and role must be role::client or role::server",
              r::none};
    case error::replaced:
      return {"replaced", "the session was replaced by a new session with the same id", r::none};
    case error::duplicate_id:
      return {"duplicate_id", "the id already has a live session: the new session was refused",
              r::none};
    case error::reserved_id:
      return {"reserved_id",
              "the id begins with \"tcp:\", reserved for ids made from the peer's endpoint",
              r::none};
  }
  return {nullptr, nullptr, r::none};
}

}  // namespace detail

}  // namespace liveness

#endif  // LIVENESS_IMPL_ERROR_HPP
