//
// liveness/impl/error.ipp
//
// The non-template code of <liveness/error.hpp>: included by that
// header when header-only, compiled once by <liveness/src.hpp> with
// LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_IMPL_ERROR_IPP
#define LIVENESS_IMPL_ERROR_IPP

#include <liveness/error.hpp>

namespace liveness {

namespace detail {

LIVENESS_DECL bool is_end_of_stream(const error_code& ec) noexcept {
  return ec.value() == 2 && std::strcmp(ec.category().name(), "asio.misc") == 0;
}

LIVENESS_DECL bool is_system_error(const error_code& ec) noexcept {
  return ec.category() == sys::system_category() ||
         std::strcmp(ec.category().name(), "asio.system") == 0;
}

LIVENESS_DECL std::string format_limit_ms(std::int64_t ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

LIVENESS_DECL std::string range_message(const char* what, std::int64_t lo, std::int64_t hi) {
  const auto& l = native_keepalive_limits;
  return std::string(what) + " is out of range: " + l.platform + " accepts " +
         format_limit_ms(lo) + " to " + format_limit_ms(hi);
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

LIVENESS_DECL const sys::error_category& error_category() noexcept {
  static const detail::error_category_impl instance;
  return instance;
}

LIVENESS_DECL const sys::error_category& condition_category() noexcept {
  static const detail::condition_category_impl instance;
  return instance;
}

LIVENESS_DECL error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

LIVENESS_DECL sys::error_condition make_error_condition(condition c) noexcept {
  return {static_cast<int>(c), condition_category()};
}

LIVENESS_DECL const char* error_name(error e) noexcept {
  const char* name = detail::describe(e).name;
  return name ? name : "unknown";
}

LIVENESS_DECL std::string error_name(const error_code& ec) {
  if (ec.category() == error_category()) return error_name(static_cast<error>(ec.value()));
  return std::string(ec.category().name()) + ":" + std::to_string(ec.value());
}

LIVENESS_DECL bool is_dead_peer_reason(const error_code& ec) noexcept {
  return ec.category() == error_category() && ec.value() >= 1 && ec.value() < 100;
}

LIVENESS_DECL error_code classify_transport_error(const error_code& ec) noexcept {
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

#endif  // LIVENESS_IMPL_ERROR_IPP
