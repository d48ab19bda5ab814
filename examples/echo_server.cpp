//
// examples/echo_server.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// echo_server: echoes what its clients send, watches every client with a liveness::session
// (TCP keepalive, and a ping/pong heartbeat with --heartbeat), keeps them in a
// liveness::registry and prints who comes online and who goes offline, and why. With
// --tls the TLS handshake comes first (at most 10 s), then the session watches the TLS
// stream. Flags (flags.hpp), event lines and exit codes: docs/examples.md.
//
// Events: listening addr=ADDR keepalive_bound_ms=N [heartbeat_bound_ms=N]
//         online id=ID peer=ADDR
//         offline id=ID peer=ADDR reason=REASON silent_ms=N verdict=VERDICT
//         accept_paused reason=REASON / accept_resumed paused_ms=N retries=N
//         error what=accept|session|tls_handshake reason=REASON
// Exit code: 0 after SIGINT/SIGTERM, 1 when it cannot listen, 2 on bad flags.
//
#include "example_tls.hpp"
#include "flags.hpp"

#include <liveness/registry.hpp>

#include <memory>

using namespace example;

namespace {

/// Echoes what one client sends, item by item: lines, or whole messages with the length
/// codec (example_util.hpp). A failed read or write ends it; the registry reports why.
template <class Session>
void echo(std::shared_ptr<Session> s, std::shared_ptr<std::string> in) {
  async_read_item(*s, *in, [s, in](liveness::error_code ec, std::size_t n) {
    if (ec) return;
    auto out = std::make_shared<std::string>(in->substr(0, n));
    in->erase(0, n);
    async_write_item(*s, *out, [s, in, out](liveness::error_code wec, std::size_t) {
      if (!wec) echo(s, in);
    });
  });
}

void print(const liveness::accept_event& e) {
  using kind = liveness::accept_event_kind;
  if (e.kind == kind::paused) {
    event("accept_paused reason=" + reason_text(e.error));
  } else if (e.kind == kind::resumed) {
    event("accept_resumed paused_ms=" + std::to_string(to_ms(e.pause)) +
          " retries=" + std::to_string(e.retries));
  } else {
    event("error what=accept reason=" + reason_text(e.error));
  }
}

/// Serves plain TCP clients (`Stream` = tcp::socket) or TLS clients (`tls_stream`).
template <class Stream, class Policy>
int serve(const server_flags& f, const liveness::session_options<Policy>& options) {
  using session_t = liveness::session<Stream, Policy>;
  net::io_context io;
  tcp::acceptor acceptor(io);
  try {
    const tcp::endpoint ep = *tcp::resolver(io).resolve(f.host, f.port).begin();
    acceptor.open(ep.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen();
  } catch (const std::exception& e) {
    std::cerr << "echo_server: cannot listen on " << f.host << ":" << f.port << ": " << e.what()
              << std::endl;
    return 1;
  }

  // The registry reports every client once online and once offline, with the reason.
  liveness::registry<session_t> clients(io.get_executor());
  clients.on_online([](const liveness::peer_event& e) {
    event("online id=" + e.id + " peer=" + e.peer);
  });
  clients.on_offline([](const liveness::peer_event& e) {
    event("offline id=" + e.id + " peer=" + e.peer + " reason=" + reason_text(e.reason) +
          " silent_ms=" + std::to_string(to_ms(e.silent)) +
          " verdict=" + liveness::to_string(e.diagnosis.verdict));
  });
  auto add = [&](Stream stream, const tcp::endpoint& peer) {
    // The session applies keepalive and starts the heartbeat; the registry names the
    // client by its endpoint.
    liveness::error_code ec;
    session_t s(std::move(stream), options, ec);
    if (ec) return event("error what=session reason=" + reason_text(ec));
    echo(clients.add(std::move(s), peer), std::make_shared<std::string>());
  };

#if defined(LIVENESS_EXAMPLE_TLS)
  std::optional<net::ssl::context> tls;
  if (f.tls) tls.emplace(server_tls_context(f.cert, f.key));
#endif
  // Accepts until stopped; at the descriptor limit it pauses (10 ms doubling to 1 s).
  liveness::async_accept_loop(
      acceptor, liveness::accept_options{},
      [&](tcp::socket socket, const tcp::endpoint& peer) {
        if constexpr (std::is_same_v<Stream, tcp::socket>) {
          add(std::move(socket), peer);
        } else {
#if defined(LIVENESS_EXAMPLE_TLS)
          auto stream = std::make_shared<tls_stream>(std::move(socket), *tls);
          handshake(stream, net::ssl::stream_base::server, [&, stream, peer](liveness::error_code ec) {
            if (ec) return event("error what=tls_handshake reason=" + reason_text(ec));
            add(std::move(*stream), peer);
          });
#endif
        }
      },
      [](const liveness::accept_event& e) { print(e); },
      [](liveness::error_code) {});  // ends only when the acceptor is closed
  event("listening addr=" + endpoint_text(acceptor.local_endpoint()) + " " + watch_text(f.watch));

  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](liveness::error_code, int) {
    liveness::error_code ignored;
    acceptor.close(ignored);
    clients.close();
    io.stop();  // pending TLS handshakes too
  });
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  program() = {"echo_server", server_usage_text};
  const server_flags flags = parse_server_flags(argc, argv);
  return with_policy(flags.watch, liveness::role::server, [&](const auto& options) {
#if defined(LIVENESS_EXAMPLE_TLS)
    if (flags.tls) return serve<tls_stream>(flags, options);
#endif
    return serve<tcp::socket>(flags, options);
  });
}
