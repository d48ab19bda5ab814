//
// examples/echo_client_tls.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// echo_client --tls: one connection over TLS, without reconnects (reconnecting_client
// connects plain TCP): TCP connect, the TLS handshake (verifying the server against --ca
// FILE, or not at all, with a warning), then a liveness::session over the TLS stream
// (liveness/tls.hpp). The same events as echo_client.cpp.
//
#ifndef LIVENESS_EXAMPLES_ECHO_CLIENT_TLS_HPP
#define LIVENESS_EXAMPLES_ECHO_CLIENT_TLS_HPP

#include "example_tls.hpp"
#include "flags.hpp"

#if defined(LIVENESS_EXAMPLE_TLS)
namespace example {

template <class Policy>
int run_tls(const client_flags& f, const liveness::session_options<Policy>& options) {
  using session_t = liveness::session<tls_stream, Policy>;
  net::io_context io;
  net::ssl::context tls = client_tls_context(f.ca);
  auto stream = std::make_shared<tls_stream>(io, tls);
  if (f.ca) {
    // The name the certificate must carry, and SNI.
    stream->set_verify_callback(net::ssl::host_name_verification(f.host));
    SSL_set_tlsext_host_name(stream->native_handle(), f.host.c_str());
  }
  std::shared_ptr<session_t> session;
  net::steady_timer every(io);
  net::signal_set signals(io, SIGINT, SIGTERM);
  int exit_code = 0;
  echo_counter echoes{f.count, [&](int code) {
    exit_code = code;
    liveness::error_code ignored;
    if (session) session->close();
    stream->lowest_layer().close(ignored);
    every.cancel();
    signals.cancel();
  }};
  auto failed = [&](liveness::error_code ec) {
    event("connect_failed reason=" + liveness::connect_error_name(ec));
    echoes.finish(1);
  };
  // --send TEXT, then again every --every after each write completes (one write at a time).
  const std::string text = item<session_t>(f.send.value_or(std::string()));
  std::function<void()> send = [&] {
    async_write_item(*session, text, [&](liveness::error_code ec, std::size_t) {
      if (ec || !f.every) return;
      every.expires_after(*f.every);
      every.async_wait([&](liveness::error_code tec) { if (!tec) send(); });
    });
  };

  liveness::error_code ec;
  const auto endpoints = tcp::resolver(io).resolve(f.host, f.port, ec);
  if (ec) {
    failed(ec);
    return exit_code;
  }
  net::async_connect(stream->lowest_layer(), endpoints,
                     [&](liveness::error_code cec, const tcp::endpoint& peer) {
    if (cec) return failed(cec);
    handshake(stream, net::ssl::stream_base::client, [&, peer](liveness::error_code hec) {
      if (hec) return failed(hec);
      session = std::make_shared<session_t>(std::move(*stream), options, hec);
      if (hec) return failed(hec);
      event("connected peer=" + endpoint_text(peer));
      session->async_wait_dead([&](liveness::error_code reason) {
        if (reason == net::error::operation_aborted) return;  // we closed it
        event("disconnected reason=" + reason_text(reason) + " silent_ms=" +
              std::to_string(silent_ms(*session)) +
              " verdict=" + liveness::to_string(session->diagnosis().verdict));
        echoes.finish(1);
      });
      read_echoes(session, std::make_shared<std::string>(), echoes);
      if (f.send) send();
    });
  });
  signals.async_wait([&](liveness::error_code ec, int) { if (!ec) echoes.finish(0); });
  io.run();
  return exit_code;
}

}  // namespace example
#endif  // LIVENESS_EXAMPLE_TLS

#endif  // LIVENESS_EXAMPLES_ECHO_CLIENT_TLS_HPP
