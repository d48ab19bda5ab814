//
// liveness/detail/stream_traits.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// What the session needs to know about the stream it owns, chosen at compile time:
//   - a socket (`net::basic_stream_socket<P, E>`, e.g. `tcp::socket`) is read the fast way:
//     wait for readability, then read without blocking into a buffer shared by the
//     sessions of the thread (an idle session holds no read buffer); a write takes what the
//     kernel takes at once and waits for the peer's window for the rest (which proves that
//     the peer reads);
//   - any other stream (a TLS stream: records are buffered inside OpenSSL, and a read may
//     have to write) is read with `async_read_some` into a buffer of its own and written
//     with `async_write`.
// Keepalive, cancel, shutdown and close go to the stream's lowest layer. liveness/tls.hpp
// specialises `stream_traits` for `net::ssl::stream<T>` (its errors, its close_notify, a
// closed stream for a moved-from session); this header includes no SSL header.
//
#ifndef LIVENESS_DETAIL_STREAM_TRAITS_HPP
#define LIVENESS_DETAIL_STREAM_TRAITS_HPP

#include <liveness/config.hpp>
#include <liveness/detail/asio.hpp>
#include <liveness/error.hpp>

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

// OpenSSL's connection type, declared only (no OpenSSL header): lets the generic traits
// recognise a TLS stream used without liveness/tls.hpp and say so at compile time.
struct ssl_st;

namespace liveness {
namespace detail {

template <class Stream>
struct is_basic_stream_socket : std::false_type {};
template <class Protocol, class Executor>
struct is_basic_stream_socket<net::basic_stream_socket<Protocol, Executor>> : std::true_type {};

template <class Stream, class = void>
struct native_handle_is_ssl : std::false_type {};
template <class Stream>
struct native_handle_is_ssl<Stream, std::void_t<typename Stream::native_handle_type>>
    : std::is_same<typename Stream::native_handle_type, ssl_st*> {};

/// The default: a socket, or any layered AsyncStream whose `lowest_layer()` is a socket.
template <class Stream>
struct stream_traits {
  static_assert(!native_handle_is_ssl<Stream>::value,
                "liveness: a session over net::ssl::stream needs #include <liveness/tls.hpp>");

  /// Wait for readability, then read without blocking into the thread's shared buffer
  /// (and write what the kernel takes at once). Only for sockets.
  static constexpr bool direct_io = is_basic_stream_socket<Stream>::value;
  /// The read buffer of a stream read with `async_read_some` (one per session).
  static constexpr std::size_t read_buffer_size = 16 * 1024;

  static auto& lowest_layer(Stream& s) noexcept { return s.lowest_layer(); }
  static const auto& lowest_layer(const Stream& s) noexcept { return s.lowest_layer(); }

  /// The stream's error as a dead-peer reason (see `classify_transport_error`).
  static error_code classify(const error_code& ec) noexcept {
    return classify_transport_error(ec);
  }

  /// Called once before the lowest layer is cancelled and closed; `writer_idle`: no write
  /// of ours is in progress. Must not block. Nothing for a socket.
  static void before_close(Stream&, bool /*writer_idle*/) noexcept {}

  /// A closed stream on `ex` (`session::next_layer()` of a moved-from session).
  template <class Executor>
  static std::unique_ptr<Stream> make_closed(const Executor& ex) {
    static_assert(std::is_constructible<Stream, const Executor&>::value,
                  "liveness: next_layer() of a moved-from session needs a stream that can be "
                  "constructed from its executor");
    return std::make_unique<Stream>(ex);
  }
};

/// The read buffer of a session over a stream read with async_read_some: `Size` bytes,
/// allocated with the session. A base class of the session's state, so that a session over
/// a socket (`no_read_buffer`) pays not even a pointer for it.
template <std::size_t Size>
struct own_read_buffer {
  std::unique_ptr<char[]> read_buffer_ = std::make_unique<char[]>(Size);
};
struct no_read_buffer {};

template <class Stream>
using read_buffer_for =
    std::conditional_t<stream_traits<Stream>::direct_io, no_read_buffer,
                       own_read_buffer<stream_traits<Stream>::read_buffer_size>>;

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_STREAM_TRAITS_HPP
