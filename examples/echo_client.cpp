//
// examples/echo_client.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// echo_client: a liveness::reconnecting_client that watches its connection (TCP keepalive,
// and a ping/pong heartbeat with --heartbeat), sends a text now and then through the
// client's outbox, prints the echoes, and reports how and why each connection ended. With
// --reconnect it connects again after a backoff with jitter, and what it sent while
// disconnected goes out on the next connection. --tls: echo_client_tls.hpp. The same client
// with coroutines: echo_client_coro.cpp. Flags (flags.hpp), event lines and exit codes:
// docs/examples.md.
//
// Events: connected peer=ADDR          disconnected reason=REASON silent_ms=N verdict=V
//         connect_failed reason=REASON reconnecting in_ms=N
//         gave_up attempts=N           echo text=TEXT
//         done echoes=N                send_failed reason=REASON
// Exit code: 0 after N echoes (--count) or SIGINT/SIGTERM; 1 when the connection ended
// (or could not be made) without --reconnect, or the client gave up; 2 on bad flags.
//
#include "echo_client_tls.hpp"
#include "flags.hpp"

#include <liveness/reconnect.hpp>

#include <functional>
#include <memory>

using namespace example;

namespace {

template <class Policy>
int run(const client_flags& f, const liveness::session_options<Policy>& options) {
  using client_t = liveness::reconnecting_client<Policy>;
  using session_t = typename client_t::session_type;
  net::io_context io;
  client_t client(io.get_executor(), f.host, f.port, options, f.reconnect_options());
  net::steady_timer every(io);
  net::signal_set signals(io, SIGINT, SIGTERM);
  int exit_code = 0;
  echo_counter echoes{f.count, [&](int code) {
    exit_code = code;
    client.stop();  // closes the session, completes async_run and the pending sends
    every.cancel();
    signals.cancel();
  }};

  client.on_connected([&](session_t& s) {
    liveness::error_code ec;
    event("connected peer=" + endpoint_text(s.next_layer().remote_endpoint(ec)));
    // current(): the new session, shared, so the reads cannot outlive it.
    read_echoes(client.current(), std::make_shared<std::string>(), echoes);
  });
  // With the kernel's view of why (docs/diagnosis.md): unreachable, unresponsive, ...
  client.on_disconnected([&](liveness::error_code reason, liveness::duration silent,
                             const liveness::diagnosis& why) {
    event("disconnected reason=" + reason_text(reason) + " silent_ms=" +
          std::to_string(to_ms(silent)) + " verdict=" + liveness::to_string(why.verdict));
    if (!f.reconnect) echoes.finish(1);
  });
  client.on_connect_failed([&](liveness::error_code ec) {
    event("connect_failed reason=" + liveness::connect_error_name(ec));
    if (!f.reconnect) echoes.finish(1);
  });
  client.on_reconnecting([](liveness::duration delay) {
    event("reconnecting in_ms=" + std::to_string(to_ms(delay)));
  });
  client.on_gave_up([&](std::uint32_t attempts) {
    event("gave_up attempts=" + std::to_string(attempts));
    echoes.finish(1);
  });

  // --send TEXT now and then every --every. The outbox keeps what is sent while
  // disconnected (up to reconnect_options::outbox_limit) and sends it after reconnecting.
  std::function<void()> send = [&] {
    client.async_send(item<session_t>(*f.send), [](liveness::error_code ec) {
      if (ec && ec != net::error::operation_aborted) {
        event("send_failed reason=" + reason_text(ec));
      }
    });
    if (!f.every) return;
    every.expires_after(*f.every);
    every.async_wait([&](liveness::error_code ec) { if (!ec) send(); });
  };
  if (f.send) send();

  signals.async_wait([&](liveness::error_code ec, int) { if (!ec) echoes.finish(0); });
  client.async_run([](liveness::error_code) {});  // the events above say why it ends
  io.run();
  return exit_code;
}

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
