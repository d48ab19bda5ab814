//
// examples/example_tls.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// TLS for echo_server and echo_client (--tls): liveness/tls.hpp, OpenSSL. Built with TLS
// when CMake found OpenSSL (LIVENESS_EXAMPLE_TLS); otherwise --tls is refused with a
// message. The TLS handshake is done before the session is constructed, bounded by
// `handshake_timeout` so that a client that connects and says nothing cannot hold it.
//
#ifndef LIVENESS_EXAMPLES_EXAMPLE_TLS_HPP
#define LIVENESS_EXAMPLES_EXAMPLE_TLS_HPP

#include "example_util.hpp"

#if defined(LIVENESS_EXAMPLE_TLS)
#include <liveness/tls.hpp>
#endif

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace example {

/// Exit 2 when this build has no TLS.
inline void require_tls() {
#if !defined(LIVENESS_EXAMPLE_TLS)
  bad_flags("--tls: this build has no TLS (OpenSSL was not found; Debian: libssl-dev)");
#endif
}

#if defined(LIVENESS_EXAMPLE_TLS)
using tls_stream = net::ssl::stream<tcp::socket>;

/// echo_server's context: the certificate chain and key (PEM), or exit 1 saying why.
inline net::ssl::context server_tls_context(const std::string& cert, const std::string& key) {
  net::ssl::context tls(net::ssl::context::tls_server);
  try {
    tls.use_certificate_chain_file(cert);
    tls.use_private_key_file(key, net::ssl::context::pem);
  } catch (const std::exception& e) {
    std::cerr << program().name << ": --cert " << cert << " --key " << key << ": " << e.what()
              << std::endl;
    std::exit(1);
  }
  return tls;
}

/// echo_client's context: verify the server against `ca` (PEM), or, without it, no
/// verification and a warning on stderr. Exit 1 when `ca` cannot be loaded.
inline net::ssl::context client_tls_context(const std::optional<std::string>& ca) {
  net::ssl::context tls(net::ssl::context::tls_client);
  if (!ca) {
    std::cerr << program().name << ": warning: --tls without --ca: the server's certificate "
                 "is not verified" << std::endl;
    tls.set_verify_mode(net::ssl::verify_none);
    return tls;
  }
  try {
    tls.load_verify_file(*ca);
    tls.set_verify_mode(net::ssl::verify_peer);
  } catch (const std::exception& e) {
    std::cerr << program().name << ": --ca " << *ca << ": " << e.what() << std::endl;
    std::exit(1);
  }
  return tls;
}

/// The longest a TLS handshake may take.
inline constexpr ms handshake_timeout{10000};

/// Performs the handshake of `stream` as `type`, at most `handshake_timeout` (then the TCP
/// socket is closed and `done` gets operation_aborted), then calls `done(ec)`.
inline void handshake(std::shared_ptr<tls_stream> stream, net::ssl::stream_base::handshake_type type,
                      std::function<void(liveness::error_code)> done) {
  auto timer = std::make_shared<net::steady_timer>(stream->get_executor(), handshake_timeout);
  timer->async_wait([stream](liveness::error_code ec) {
    liveness::error_code ignored;
    if (!ec) stream->lowest_layer().close(ignored);
  });
  stream->async_handshake(type, [stream, timer, done](liveness::error_code ec) {
    timer->cancel();
    done(ec);
  });
}
#endif

}  // namespace example

#endif  // LIVENESS_EXAMPLES_EXAMPLE_TLS_HPP
