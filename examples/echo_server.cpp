//
// examples/echo_server.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// echo_server: echoes what its clients send, watches every client with a liveness::session
// (TCP keepalive, and a ping/pong heartbeat with --heartbeat), keeps them in a
// liveness::registry and prints who comes online and who goes offline, and why.
//
//   echo_server --listen HOST:PORT [--keepalive IDLE:INTVL:COUNT]
//               [--heartbeat INTERVAL/TIMEOUT] [--codec line|length]
//               [--ping TEXT --pong TEXT] [--role server|client|both|answer]
//               [--message-timeout DUR] [--first-message-timeout DUR] [--close-linger DUR]
//
// Events (one line each, flushed at once; docs/examples.md):
//   listening addr=ADDR keepalive_bound_ms=N [heartbeat_bound_ms=N]
//   online id=ID peer=ADDR
//   offline id=ID peer=ADDR reason=REASON silent_ms=N
//   accept_paused reason=REASON            (once per episode at the descriptor limit)
//   accept_resumed paused_ms=N retries=N
//   error what=TEXT
// A client's id is its endpoint id ("tcp:127.0.0.1:40312"; docs/registry.md).
// Exit code: 0 after SIGINT/SIGTERM, 1 when it cannot listen, 2 on bad flags.
//
#include "example_util.hpp"

#include <liveness/registry.hpp>

#include <functional>
#include <memory>

using namespace example;

namespace {

const char* const usage_text =
    "echo_server --listen HOST:PORT [--keepalive IDLE:INTVL:COUNT] "
    "[--heartbeat INTERVAL/TIMEOUT] [--codec line|length] [--ping TEXT --pong TEXT] "
    "[--role server|client|both|answer] [--message-timeout DUR] "
    "[--first-message-timeout DUR] [--close-linger DUR]";

struct server_flags {
  std::string host;
  std::string port;
  watch_flags watch;
};

server_flags parse_flags(int argc, char** argv) {
  server_flags f;
  bool have_listen = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << "usage: " << usage_text << std::endl;
      std::exit(0);
    }
    if (flag.rfind("--", 0) != 0) bad_flags("unexpected argument: " + flag);
    if (i + 1 >= argc) bad_flags(flag + ": missing value");
    const std::string value = argv[++i];
    if (flag == "--listen") {
      std::tie(f.host, f.port) = host_port_flag(flag, value);
      have_listen = true;
    } else if (!parse_watch_flag(flag, value, f.watch)) {
      bad_flags("unknown flag: " + flag);
    }
  }
  if (!have_listen) bad_flags("--listen HOST:PORT is required");
  check_watch_flags(f.watch);
  return f;
}

/// Echoes what one client sends, in the units of its policy: lines (line codec and
/// keepalive only: bytes are echoed as they come), or whole messages (length codec).
template <class Session>
void echo(std::shared_ptr<Session> s, std::shared_ptr<std::string> buffer) {
  using policy = typename Session::policy_type;
  auto on_written = [s, buffer](liveness::error_code ec, std::size_t) {
    if (!ec) echo(s, buffer);
  };
  if constexpr (std::is_same_v<policy, length_policy>) {
    buffer->clear();
    s->async_read_message(net::dynamic_buffer(*buffer),
                          [s, buffer, on_written](liveness::error_code ec, std::size_t) {
                            if (ec) return;  // the registry reports the death
                            s->async_write_message(net::buffer(*buffer), on_written);
                          });
  } else if constexpr (std::is_same_v<policy, line_policy>) {
    // Whole lines, so that heartbeats can go out between them.
    net::async_read_until(*s, net::dynamic_buffer(*buffer), '\n',
                          [s, buffer](liveness::error_code ec, std::size_t n) {
                            if (ec) return;
                            auto line = std::make_shared<std::string>(buffer->substr(0, n));
                            buffer->erase(0, n);
                            net::async_write(*s, net::buffer(*line),
                                             [s, buffer, line](liveness::error_code wec,
                                                               std::size_t) {
                                               if (!wec) echo(s, buffer);
                                             });
                          });
  } else {
    buffer->resize(16 * 1024);
    s->async_read_some(net::buffer(*buffer),
                       [s, buffer, on_written](liveness::error_code ec, std::size_t n) {
                         if (ec) return;
                         buffer->resize(n);
                         net::async_write(*s, net::buffer(*buffer), on_written);
                       });
  }
}

template <class Policy>
int serve(const server_flags& f, const liveness::session_options<Policy>& options) {
  using session_t = liveness::session<tcp::socket, Policy>;
  net::io_context io;
  tcp::acceptor acceptor(io);
  try {
    tcp::resolver resolver(io);
    const tcp::endpoint ep = *resolver.resolve(f.host, f.port).begin();
    acceptor.open(ep.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen();
  } catch (const std::exception& e) {
    std::cerr << "echo_server: cannot listen on " << f.host << ":" << f.port << ": " << e.what()
              << std::endl;
    return 1;
  }

  liveness::registry<session_t> clients(io.get_executor());
  clients.on_online([](const liveness::peer_event& e) {
    event("online id=" + e.id + " peer=" + e.peer);
  });
  clients.on_offline([](const liveness::peer_event& e) {
    event("offline id=" + e.id + " peer=" + e.peer + " reason=" + reason_text(e.reason) +
          " silent_ms=" + std::to_string(to_ms(e.silent)));
  });

  // Accept until stopped. At the descriptor limit (EMFILE, ENFILE, ENOBUFS, ENOMEM) the loop
  // pauses, 10 ms doubling to 1 s, instead of retrying at once, and says so once per episode.
  liveness::async_accept_loop(
      acceptor, liveness::accept_options{},
      [&](tcp::socket socket, const tcp::endpoint& peer) {
        try {
          // The session applies keepalive to the accepted socket and starts the heartbeat;
          // the registry names it by the endpoint accept() returned.
          auto s = clients.add(
              session_t(std::move(socket), options), peer);
          echo(s, std::make_shared<std::string>());
        } catch (const liveness::system_error& e) {
          event("error what=session reason=" + reason_text(e.code()));
        }
      },
      [](const liveness::accept_event& e) {
        switch (e.kind) {
          case liveness::accept_event_kind::paused:
            event("accept_paused reason=" + reason_text(e.error));
            break;
          case liveness::accept_event_kind::resumed:
            event("accept_resumed paused_ms=" + std::to_string(to_ms(e.pause)) +
                  " retries=" + std::to_string(e.retries));
            break;
          case liveness::accept_event_kind::failed:
            event("error what=accept reason=" + reason_text(e.error));
            break;
        }
      },
      [](liveness::error_code ec) {
        // Only an acceptor that stopped listening ends it otherwise (never here).
        if (ec != net::error::operation_aborted) {
          event("error what=accept reason=" + reason_text(ec));
        }
      });
  event("listening addr=" + endpoint_text(acceptor.local_endpoint()) + " " + watch_text(f.watch));

  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](liveness::error_code, int) {
    liveness::error_code ignored;
    acceptor.close(ignored);
    clients.close();
    io.stop();
  });
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  program() = {"echo_server", usage_text};
  const server_flags flags = parse_flags(argc, argv);
  return with_policy(flags.watch, liveness::role::server, [&](const auto& options) { return serve(flags, options); });
}
