//
// liveness/impl/keepalive.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_IMPL_KEEPALIVE_HPP
#define LIVENESS_IMPL_KEEPALIVE_HPP

#include <liveness/detail/asio.hpp>
#include <liveness/detail/keepalive_limits.hpp>
#include <liveness/detail/keepalive_time.hpp>
#include <liveness/detail/socket_option.hpp>

#include <charconv>
#include <cstdint>
#include <limits>
#include <utility>

namespace liveness {
namespace detail {

LIVENESS_DECL error_code check_range(ka_ms value, bool whole_seconds, std::int64_t lo,
                                     std::int64_t hi,
                                     error e);

/// The validation rules of one platform (exposed for tests of every platform's rules).
LIVENESS_DECL error_code validate_keepalive(const keepalive_options& o, const keepalive_limits& l);

LIVENESS_DECL std::string_view trim(std::string_view s) noexcept;

/// Parses one duration field of a spec (a plain number is seconds); an overflow is the
/// field's range error.
LIVENESS_DECL error_code parse_duration_field(std::string_view s, ka_ms& out, error range_error);

}  // namespace detail
}  // namespace liveness

// The platform code uses the helpers above.
#if defined(_WIN32)
#include <liveness/detail/keepalive_windows.hpp>
#else
#include <liveness/detail/keepalive_posix.hpp>
#endif

namespace liveness {
namespace detail {

LIVENESS_DECL void add_note(keepalive_report& r, std::string note);

LIVENESS_DECL std::string ms_text(ka_ms d);

/// Fills in the bounds and the notes that follow from the values in the report.
/// When keepalive drops a silent connection, given a user timeout that replaces the probe
/// count (Linux): at the first timer tick `idle + k * interval` (k >= 1, a probe is then
/// unanswered) at or after `user_timeout`.
LIVENESS_DECL ka_ms keepalive_bound_with_user_timeout(ka_ms idle, ka_ms interval,
                                                      ka_ms user_timeout) noexcept;

LIVENESS_DECL void finish_report(keepalive_report& r);

template <class Socket>
bool check_open(Socket& socket, error_code& ec) {
  if (!socket.is_open()) {
    ec = net::error::bad_descriptor;
    return false;
  }
  return true;
}

template <class Acceptor>
struct accept_with_keepalive_op {
  using socket_type = typename Acceptor::protocol_type::socket::template rebind_executor<
      typename Acceptor::executor_type>::other;

  Acceptor& acceptor;
  keepalive_options options;

  template <class Self>
  void operator()(Self& self) {
    // Cancelling an accept has no side effect: pass every cancellation type through.
    self.reset_cancellation_state(net::enable_total_cancellation());
    acceptor.async_accept(std::move(self));
  }

  template <class Self>
  void operator()(Self& self, error_code ec, socket_type socket) {
    if (!ec) apply_keepalive(socket, options, ec);
    self.complete(ec, std::move(socket));
  }
};

}  // namespace detail

template <class Socket>
keepalive_report apply_keepalive(Socket& socket, const keepalive_options& options,
                                 error_code& ec) {
  keepalive_report report;
  ec = options.validate();
  if (ec || !detail::check_open(socket, ec)) return report;
  detail::native_apply_keepalive(socket, options, report, ec);
  if (!ec) detail::native_read_keepalive(socket, report, ec);
  detail::finish_report(report);
  return report;
}

template <class Socket>
keepalive_report apply_keepalive(Socket& socket, const keepalive_options& options) {
  error_code ec;
  auto report = apply_keepalive(socket, options, ec);
  if (ec) throw system_error(ec, "liveness::apply_keepalive");
  return report;
}

template <class Socket>
keepalive_report read_keepalive(Socket& socket, error_code& ec) {
  keepalive_report report;
  ec = {};
  if (!detail::check_open(socket, ec)) return report;
  detail::native_read_keepalive(socket, report, ec);
  detail::finish_report(report);
  return report;
}

template <class Socket>
keepalive_report read_keepalive(Socket& socket) {
  error_code ec;
  auto report = read_keepalive(socket, ec);
  if (ec) throw system_error(ec, "liveness::read_keepalive");
  return report;
}

template <class Acceptor, class CompletionToken>
auto async_accept_with_keepalive(Acceptor& acceptor, const keepalive_options& options,
                                 CompletionToken&& token) {
  using op = detail::accept_with_keepalive_op<Acceptor>;
  return net::async_compose<CompletionToken, void(error_code, typename op::socket_type)>(
      op{acceptor, options}, token, acceptor);
}

template <class Acceptor>
auto accept_with_keepalive(Acceptor& acceptor, const keepalive_options& options,
                           error_code& ec) ->
    typename Acceptor::protocol_type::socket::template rebind_executor<
        typename Acceptor::executor_type>::other {
  auto socket = acceptor.accept(ec);
  if (!ec) apply_keepalive(socket, options, ec);
  return socket;
}

}  // namespace liveness

#endif  // LIVENESS_IMPL_KEEPALIVE_HPP
