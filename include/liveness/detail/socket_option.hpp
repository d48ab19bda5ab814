//
// liveness/detail/socket_option.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// An integer socket option with a run-time level and name, usable with Asio's
// `socket.set_option()` / `get_option()` (the SettableSocketOption and GettableSocketOption
// requirements), so that setsockopt and getsockopt errors come back as error_codes in the
// backend's vocabulary on every platform.
//
#ifndef LIVENESS_DETAIL_SOCKET_OPTION_HPP
#define LIVENESS_DETAIL_SOCKET_OPTION_HPP

#include <liveness/config.hpp>

#include <cstddef>

namespace liveness {
namespace detail {

class int_socket_option {
 public:
  int_socket_option(int level, int name, int value = 0) noexcept
      : level_(level), name_(name), value_(value) {}

  int value() const noexcept { return value_; }

  template <class Protocol>
  int level(const Protocol&) const noexcept {
    return level_;
  }
  template <class Protocol>
  int name(const Protocol&) const noexcept {
    return name_;
  }
  template <class Protocol>
  int* data(const Protocol&) noexcept {
    return &value_;
  }
  template <class Protocol>
  const int* data(const Protocol&) const noexcept {
    return &value_;
  }
  template <class Protocol>
  std::size_t size(const Protocol&) const noexcept {
    return sizeof(value_);
  }
  // Some stacks return a one-byte BOOL; value_ was zeroed, so the low byte suffices on the
  // little-endian machines that do so. Larger results cannot happen for these options.
  template <class Protocol>
  void resize(const Protocol&, std::size_t) noexcept {}

 private:
  int level_;
  int name_;
  int value_;
};

/// setsockopt(level, name, value) on an Asio socket.
template <class Socket>
error_code set_int_option(Socket& socket, int level, int name, int value) {
  error_code ec;
  socket.set_option(int_socket_option(level, name, value), ec);
  return ec;
}

/// getsockopt(level, name) on an Asio socket.
template <class Socket>
error_code get_int_option(Socket& socket, int level, int name, int& value) {
  error_code ec;
  int_socket_option opt(level, name);
  socket.get_option(opt, ec);
  if (!ec) value = opt.value();
  return ec;
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_SOCKET_OPTION_HPP
