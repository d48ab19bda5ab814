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
inline bool is_end_of_stream(const error_code& ec) noexcept {
  return ec.value() == 2 && std::strcmp(ec.category().name(), "asio.misc") == 0;
}

/// An operating-system error: the backend's system category, or standalone Asio's own
/// "asio.system" category (which it uses instead of std::system_category()).
inline bool is_system_error(const error_code& ec) noexcept {
  return ec.category() == sys::system_category() ||
         std::strcmp(ec.category().name(), "asio.system") == 0;
}

/// "1 s", "1500 ms", "32767 s": a limit written the way a user writes it.
inline std::string format_limit_ms(std::int64_t ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

inline std::string range_message(const char* what, std::int64_t lo, std::int64_t hi) {
  const auto& l = native_keepalive_limits;
  return std::string(what) + " is out of range: " + l.platform + " accepts " +
         format_limit_ms(lo) + " to " + format_limit_ms(hi);
}

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

class error_category_impl final : public sys::error_category {
 public:
  const char* name() const noexcept override { return "liveness"; }

  std::string message(int ev) const override {
    const error_text t = describe(static_cast<error>(ev));
    if (!t.name) return "liveness error " + std::to_string(ev);
    const auto& l = native_keepalive_limits;
    switch (t.range) {
      case error_range::none:
        break;
      case error_range::idle:
        return range_message(t.message, l.idle_min_ms, l.idle_max_ms);
      case error_range::interval:
        return range_message(t.message, l.interval_min_ms, l.interval_max_ms);
      case error_range::probes:
        return std::string(t.message) + " is out of range: " + l.platform + " accepts " +
               std::to_string(l.probes_min) + " to " + std::to_string(l.probes_max);
      case error_range::user_timeout:
        return std::string(t.message) + " is out of range: " + l.platform +
               " accepts 0 (off) to " + format_limit_ms(l.user_timeout_max_ms);
    }
    return t.message;
  }

  sys::error_condition default_error_condition(int ev) const noexcept override {
    switch (static_cast<error>(ev)) {
      case error::heartbeat_timeout:
      case error::idle_timeout:
      case error::keepalive_timeout:
      case error::message_timeout:
        return {static_cast<int>(sys::errc::timed_out), sys::generic_category()};
      case error::peer_reset:
        return {static_cast<int>(sys::errc::connection_reset), sys::generic_category()};
      case error::protocol_error:
        return {static_cast<int>(sys::errc::protocol_error), sys::generic_category()};
      case error::frame_too_large:
        return {static_cast<int>(sys::errc::message_size), sys::generic_category()};
      case error::invalid_keepalive_spec:
      case error::keepalive_zero_time:
      case error::keepalive_idle_out_of_range:
      case error::keepalive_interval_out_of_range:
      case error::keepalive_probes_out_of_range:
      case error::keepalive_user_timeout_out_of_range:
      case error::heartbeat_invalid_options:
      case error::codec_invalid_options:
      case error::budget_too_small:
      case error::invalid_session_options:
        return {static_cast<int>(sys::errc::invalid_argument), sys::generic_category()};
      case error::keepalive_not_supported:
        return {static_cast<int>(sys::errc::not_supported), sys::generic_category()};
      case error::reserved_id:
        return {static_cast<int>(sys::errc::invalid_argument), sys::generic_category()};
      default:
        return {ev, *this};
    }
  }
};

class condition_category_impl final : public sys::error_category {
 public:
  const char* name() const noexcept override { return "liveness.condition"; }

  std::string message(int ev) const override {
    switch (static_cast<condition>(ev)) {
      case condition::peer_dead:
        return "the peer or the connection to it is dead";
      case condition::invalid_configuration:
        return "the configuration was refused";
    }
    return "liveness condition " + std::to_string(ev);
  }

  bool equivalent(const error_code& ec, int cond) const noexcept override {
    switch (static_cast<condition>(cond)) {
      case condition::peer_dead:
        return is_dead_peer_reason(classify_transport_error(ec));
      case condition::invalid_configuration:
        return ec.category() == liveness::error_category() && ec.value() >= 100 &&
               ec.value() < 200;
    }
    return false;
  }
};

}  // namespace detail

inline const sys::error_category& error_category() noexcept {
  static const detail::error_category_impl instance;
  return instance;
}

inline const sys::error_category& condition_category() noexcept {
  static const detail::condition_category_impl instance;
  return instance;
}

inline error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

inline sys::error_condition make_error_condition(condition c) noexcept {
  return {static_cast<int>(c), condition_category()};
}

inline const char* error_name(error e) noexcept {
  const char* name = detail::describe(e).name;
  return name ? name : "unknown";
}

inline std::string error_name(const error_code& ec) {
  if (ec.category() == error_category()) return error_name(static_cast<error>(ec.value()));
  return std::string(ec.category().name()) + ":" + std::to_string(ec.value());
}

inline bool is_dead_peer_reason(const error_code& ec) noexcept {
  return ec.category() == error_category() && ec.value() >= 1 && ec.value() < 100;
}

inline error_code classify_transport_error(const error_code& ec) noexcept {
  if (!ec || ec.category() == error_category()) return ec;
  if (detail::is_end_of_stream(ec)) return error::peer_closed;
  if (!detail::is_system_error(ec)) return ec;
  const auto& v = detail::native_transport_errors;
  const int e = ec.value();
  if (e == v.connection_reset || e == v.broken_pipe) return error::peer_reset;
  if (e == v.timed_out || e == v.network_reset || e == v.host_unreachable ||
      e == v.network_unreachable)
    return error::keepalive_timeout;
#if defined(_WIN32)
  // Windows reports a keepalive failure as WSAECONNABORTED on some paths, and overlapped
  // (IOCP) operations surface ERROR_SEM_TIMEOUT (121) or ERROR_NETNAME_DELETED (64).
  if (e == v.connection_aborted || e == 121 || e == 64) return error::keepalive_timeout;
#else
  if (e == v.connection_aborted) return error::peer_reset;
#endif
  return ec;
}

}  // namespace liveness

#endif  // LIVENESS_IMPL_ERROR_HPP
