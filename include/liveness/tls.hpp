//
// liveness/tls.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// A session over TLS: `liveness::session<net::ssl::stream<net::ip::tcp::socket>, Policy>`.
// Include this header (it includes liveness/session.hpp and Asio's SSL header, so OpenSSL's
// headers; link OpenSSL: `find_package(OpenSSL)`, `OpenSSL::SSL`). liveness/session.hpp
// alone includes no SSL header, and liveness.hpp does not include this one: plain TCP users
// neither need OpenSSL nor pay for its headers.
//
// How it works:
//   - Handshake first: perform the TLS handshake (`async_handshake`) before constructing
//     the session; the session starts reading and writing application data at once.
//   - Keepalive (and TCP_USER_TIMEOUT) is applied to the stream's lowest layer, the TCP
//     socket; heartbeats travel inside TLS, as application data.
//   - The session reads with `async_read_some` into a buffer of its own, 16 KiB (one TLS
//     record), allocated when the session is made, and writes with `async_write` on the
//     stream. (A plain TCP session holds no read buffer of its own: see
//     detail/stream_traits.hpp.)
//   - `next_layer()` is the `ssl::stream`: read its certificate, SNI or cipher there; do
//     not read from it or write to it.
//   - Death reasons: the peer's close_notify (a read ends with `net::error::eof`) is
//     `error::peer_closed`; a TCP FIN without close_notify (`ssl::error::stream_truncated`,
//     a truncation attack or a peer that skipped the TLS shutdown) is `error::peer_closed`
//     too: the session cannot tell a careless peer from a truncation, and the liveness
//     question, "is the peer still there", has the same answer. A reset is `peer_reset`,
//     a keepalive or user timeout `keepalive_timeout`, a silent or hung peer
//     `heartbeat_timeout`, and any other TLS error (a bad record, a fatal alert)
//     `error::protocol_error`.
//   - Our own close (`close()`, the destructor, or the peer's death): when no write of ours
//     is in progress the session sends a TLS close_notify if the socket takes it at once
//     (without blocking, and without waiting for the peer's close_notify), then closes the
//     TCP socket. It never waits for the peer.
//
#ifndef LIVENESS_TLS_HPP
#define LIVENESS_TLS_HPP

#include <liveness/config.hpp>
#include <liveness/detail/stream_traits.hpp>
#include <liveness/session.hpp>

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/asio/ssl.hpp>
#else
#include <asio/ssl.hpp>
#endif

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <memory>

namespace liveness {
namespace detail {

template <class NextLayer>
struct stream_traits<net::ssl::stream<NextLayer>> {
  using stream_type = net::ssl::stream<NextLayer>;

  static constexpr bool direct_io = false;
  /// One TLS record's plaintext: one async_read_some returns at most that.
  static constexpr std::size_t read_buffer_size = 16 * 1024;

  static auto& lowest_layer(stream_type& s) noexcept { return s.lowest_layer(); }
  static const auto& lowest_layer(const stream_type& s) noexcept { return s.lowest_layer(); }

  static error_code classify(const error_code& ec) noexcept {
    if (ec == net::ssl::error::stream_truncated) return error::peer_closed;
#if defined(SSL_R_UNEXPECTED_EOF_WHILE_READING)
    // OpenSSL 3 reports a FIN without close_notify itself when it sees the EOF first.
    if (ec.category() == net::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) ==
            SSL_R_UNEXPECTED_EOF_WHILE_READING)
      return error::peer_closed;
#endif
    if (ec.category() == net::error::get_ssl_category() ||
        ec.category() == net::ssl::error::get_stream_category())
      return error::protocol_error;
    return classify_transport_error(ec);
  }

  /// A best-effort close_notify: marked as if the peer's had come, so that SSL_shutdown
  /// sends ours and reads nothing, then written on a non-blocking socket (what does not go
  /// at once is dropped). Skipped while a write of ours is in progress (a close_notify in
  /// the middle of its record would corrupt the stream).
  static void before_close(stream_type& s, bool writer_idle) noexcept {
    auto& socket = s.lowest_layer();
    if (!writer_idle || !socket.is_open()) return;
    error_code ec;
    socket.non_blocking(true, ec);
    if (ec) return;
    SSL* ssl = s.native_handle();
    SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
    s.shutdown(ec);
  }

  /// A closed stream on `ex`, with a TLS context made once for that purpose.
  template <class Executor>
  static std::unique_ptr<stream_type> make_closed(const Executor& ex) {
    static net::ssl::context context(net::ssl::context::tls);
    return std::make_unique<stream_type>(ex, context);
  }
};

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_TLS_HPP
