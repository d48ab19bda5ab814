//
// examples/echo_client.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// echo_client: connects to an echo server, watches the connection with a liveness::session
// (TCP keepalive, and a ping/pong heartbeat with --heartbeat), sends a text now and then,
// prints the echoes, and reports how and why the connection ended. With --reconnect it
// is a liveness::reconnecting_client: it connects again after a backoff with jitter. With
// --tls it connects once over TLS (liveness/tls.hpp; --ca FILE verifies the server).
// (echo_client_coro.cpp is the same client written with C++20 coroutines.)
//
//   echo_client --connect HOST:PORT [--keepalive IDLE:INTVL:COUNT]
//               [--heartbeat INTERVAL/TIMEOUT] [--codec line|length]
//               [--ping TEXT --pong TEXT] [--role server|client|both|answer]
//               [--reconnect MIN/MAX[/ATTEMPTS]] [--send TEXT [--every DURATION]]
//               [--count N] [--tls [--ca FILE]]
//
// Events (one line each, flushed at once; docs/examples.md):
//   connected peer=ADDR                 disconnected reason=REASON silent_ms=N
//   connect_failed reason=REASON        reconnecting in_ms=N
//   gave_up attempts=N                  echo text=TEXT
//   done echoes=N
// Exit code: 0 after N echoes (--count) or SIGINT/SIGTERM; 1 when the connection ended
// (or could not be made) without --reconnect, or the client gave up; 2 on bad flags.
//
#include "client_flags.hpp"

#include <liveness/reconnect.hpp>

#include <functional>
#include <memory>

using namespace example;

namespace {

/// One client's reading and sending on its connection of the moment (`current()`, null
/// when there is none), whatever kind of connection it is: reads the echoes (lines, or
/// messages with the length codec), sends --send TEXT once per connection and then every
/// --every, and stops after --count echoes.
template <class Policy, class Session>
struct echo_io {
  const client_flags& f;
  std::function<Session*()> current;
  std::function<void(int)> finish;  // ends the program with an exit code
  net::steady_timer every;
  // Per connection: a generation number, so that the handlers of a previous connection
  // (completing with errors after it died) never act on the next one.
  unsigned generation = 0;
  long echoes = 0;
  std::string in;
  std::string payload;

  echo_io(const client_flags& flags, net::io_context& io)
      : f(flags), every(io), payload(flags.send ? *flags.send : std::string()) {
    if constexpr (!std::is_same_v<Policy, length_policy>) payload.push_back('\n');
  }

  /// A connection is up: reading and sending start on it.
  void connected() {
    const unsigned gen = ++generation;
    in.clear();
    read(gen);
    send(gen);
  }
  /// The connection ended: its handlers do nothing more.
  void disconnected() {
    ++generation;
    every.cancel();
  }

  // Reading: lines (line codec, keepalive only) or messages (length codec).
  void read(unsigned gen) {
    Session* s = current();
    if (!s || gen != generation) return;
    auto on_item = [this, gen](liveness::error_code ec, std::size_t n) {
      if (ec || gen != generation) return;  // a death is reported by the caller
      std::string text = in.substr(0, n);
      in.erase(0, n);
      if constexpr (!std::is_same_v<Policy, length_policy>) {
        if (!text.empty() && text.back() == '\n') text.pop_back();
      }
      event("echo text=" + text);
      if (f.count && ++echoes >= *f.count) {
        event("done echoes=" + std::to_string(echoes));
        finish(0);
        return;
      }
      read(gen);
    };
    if constexpr (std::is_same_v<Policy, length_policy>) {
      s->async_read_message(net::dynamic_buffer(in), on_item);
    } else {
      net::async_read_until(*s, net::dynamic_buffer(in), '\n', on_item);
    }
  }

  // Sending: --send TEXT once per connection, then every --every.
  void send(unsigned gen) {
    Session* s = current();
    if (!f.send || !s || gen != generation || s->is_dead()) return;
    auto again = [this, gen](liveness::error_code ec, std::size_t) {
      if (ec || gen != generation || !f.every) return;
      every.expires_after(*f.every);
      every.async_wait([this, gen](liveness::error_code tec) {
        if (!tec) send(gen);
      });
    };
    if constexpr (std::is_same_v<Policy, length_policy>) {
      s->async_write_message(net::buffer(payload), again);
    } else {
      net::async_write(*s, net::buffer(payload), again);
    }
  }
};

template <class Policy>
int run(const client_flags& f, const liveness::session_options<Policy>& options) {
  using client_t = liveness::reconnecting_client<Policy>;
  using session_t = typename client_t::session_type;
  net::io_context io;
  client_t client(io.get_executor(), f.host, f.port, options, f.reconnect_options());

  int exit_code = 0;
  echo_io<Policy, session_t> conn(f, io);
  conn.current = [&] { return client.current().get(); };
  conn.finish = [&](int code) {
    exit_code = code;
    client.stop();
    conn.every.cancel();
    io.stop();
  };

  client.on_connected([&](session_t& s) {
    liveness::error_code ec;
    event("connected peer=" + endpoint_text(s.next_layer().remote_endpoint(ec)));
    conn.connected();
  });
  client.on_disconnected([&](liveness::error_code reason, liveness::core::duration silent) {
    conn.disconnected();
    event("disconnected reason=" + reason_text(reason) +
          " silent_ms=" + std::to_string(to_ms(silent)));
    if (!f.reconnect) conn.finish(1);
  });
  client.on_connect_failed([&](liveness::error_code ec) {
    event("connect_failed reason=" + connect_reason_text(ec));
    if (!f.reconnect) conn.finish(1);
  });
  client.on_reconnecting([&](liveness::core::duration delay) {
    event("reconnecting in_ms=" + std::to_string(to_ms(delay)));
  });
  client.on_gave_up([&](std::uint32_t attempts) {
    event("gave_up attempts=" + std::to_string(attempts));
    conn.finish(1);
  });

  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](liveness::error_code ec, int) {
    if (!ec) conn.finish(0);
  });
  client.start();
  io.run();
  return exit_code;
}

#if defined(LIVENESS_EXAMPLE_TLS)
/// --tls: one connection (no --reconnect): TCP connect, TLS handshake (verifying the
/// server's certificate against --ca FILE, or not at all, with a warning), then a session
/// over the TLS stream. The same events as without TLS.
template <class Policy>
int run_tls(const client_flags& f, const liveness::session_options<Policy>& options) {
  using session_t = liveness::session<tls_stream, Policy>;
  net::io_context io;
  net::ssl::context tls(net::ssl::context::tls_client);
  try {
    if (f.ca) {
      tls.load_verify_file(*f.ca);
      tls.set_verify_mode(net::ssl::verify_peer);
    } else {
      std::cerr << "echo_client: warning: --tls without --ca: the server's certificate is not "
                   "verified"
                << std::endl;
      tls.set_verify_mode(net::ssl::verify_none);
    }
  } catch (const std::exception& e) {
    std::cerr << "echo_client: --ca " << *f.ca << ": " << e.what() << std::endl;
    return 1;
  }
  auto stream = std::make_shared<tls_stream>(io, tls);
  if (f.ca) {
    // The name the certificate must carry, and SNI.
    stream->set_verify_callback(net::ssl::host_name_verification(f.host));
    SSL_set_tlsext_host_name(stream->native_handle(), f.host.c_str());
  }

  int exit_code = 0;
  std::unique_ptr<session_t> session;
  echo_io<Policy, session_t> conn(f, io);
  conn.current = [&] { return session.get(); };
  conn.finish = [&](int code) {
    exit_code = code;
    if (session) session->close();
    liveness::error_code ignored;
    stream->lowest_layer().close(ignored);
    conn.every.cancel();
    io.stop();
  };
  auto failed = [&](liveness::error_code ec) {
    event("connect_failed reason=" + connect_reason_text(ec));
    conn.finish(1);
  };

  tcp::resolver resolver(io);
  resolver.async_resolve(f.host, f.port, [&](liveness::error_code ec,
                                             tcp::resolver::results_type endpoints) {
    if (ec) return failed(ec);
    net::async_connect(stream->lowest_layer(), endpoints,
                       [&](liveness::error_code cec, const tcp::endpoint&) {
      if (cec) return failed(cec);
      handshake(stream, net::ssl::stream_base::client, [&](liveness::error_code hec) {
        if (hec) return failed(hec);
        try {
          session = std::make_unique<session_t>(std::move(*stream), options);
        } catch (const liveness::system_error& e) {
          return failed(e.code());
        }
        liveness::error_code pec;
        event("connected peer=" + endpoint_text(session->next_layer().lowest_layer().remote_endpoint(pec)));
        session->async_wait_dead([&](liveness::error_code reason) {
          if (reason == net::error::operation_aborted) return;  // we closed it
          conn.disconnected();
          event("disconnected reason=" + reason_text(reason) +
                " silent_ms=" + std::to_string(silent_ms(*session)));
          conn.finish(1);
        });
        conn.connected();
      });
    });
  });

  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](liveness::error_code ec, int) {
    if (!ec) conn.finish(0);
  });
  io.run();
  return exit_code;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  program() = {"echo_client", client_usage_text("echo_client", true)};
  const client_flags flags = parse_client_flags(argc, argv, true);
  return with_policy(flags.watch, liveness::role::client, [&](const auto& options) {
#if defined(LIVENESS_EXAMPLE_TLS)
    if (flags.tls) return run_tls(flags, options);
#endif
    return run(flags, options);
  });
}
