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
// is a liveness::reconnecting_client: it connects again after a backoff with jitter.
// (echo_client_coro.cpp is the same client written with C++20 coroutines.)
//
//   echo_client --connect HOST:PORT [--keepalive IDLE:INTVL:COUNT]
//               [--heartbeat INTERVAL/TIMEOUT] [--codec line|length]
//               [--ping TEXT --pong TEXT] [--role server|client|both|answer]
//               [--reconnect MIN/MAX[/ATTEMPTS]] [--send TEXT [--every DURATION]]
//               [--count N]
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

#include <memory>

using namespace example;

namespace {

template <class Policy>
int run(const client_flags& f, const liveness::session_options<Policy>& options) {
  using client_t = liveness::reconnecting_client<Policy>;
  using session_t = typename client_t::session_type;
  net::io_context io;
  client_t client(io.get_executor(), f.host, f.port, options, f.reconnect_options());

  // Per connection: a generation number, so that the handlers of a previous connection
  // (completing with errors after it died) never act on the next one.
  struct state {
    unsigned generation = 0;
    long echoes = 0;
    int exit_code = 0;
    std::string in;
  };
  auto st = std::make_shared<state>();
  net::steady_timer every(io);

  auto finish = [&](int code) {
    st->exit_code = code;
    client.stop();
    every.cancel();
    io.stop();
  };

  // Reading: lines (line codec, keepalive only) or messages (length codec).
  std::function<void(unsigned)> read = [&](unsigned gen) {
    session_t* s = client.current();
    if (!s || gen != st->generation) return;
    auto on_item = [&, gen](liveness::error_code ec, std::size_t n) {
      if (ec || gen != st->generation) return;  // a death is reported by on_disconnected
      std::string text = st->in.substr(0, n);
      st->in.erase(0, n);
      if constexpr (!std::is_same_v<Policy, length_policy>) {
        if (!text.empty() && text.back() == '\n') text.pop_back();
      }
      event("echo text=" + text);
      if (f.count && ++st->echoes >= *f.count) {
        event("done echoes=" + std::to_string(st->echoes));
        finish(0);
        return;
      }
      read(gen);
    };
    if constexpr (std::is_same_v<Policy, length_policy>) {
      s->async_read_message(net::dynamic_buffer(st->in), on_item);
    } else {
      net::async_read_until(*s, net::dynamic_buffer(st->in), '\n', on_item);
    }
  };

  // Sending: --send TEXT once per connection, then every --every.
  auto payload = std::make_shared<std::string>(f.send ? *f.send : std::string());
  if constexpr (!std::is_same_v<Policy, length_policy>) payload->push_back('\n');
  std::function<void(unsigned)> send = [&](unsigned gen) {
    session_t* s = client.current();
    if (!f.send || !s || gen != st->generation || s->is_dead()) return;
    auto again = [&, gen](liveness::error_code ec, std::size_t) {
      if (ec || gen != st->generation || !f.every) return;
      every.expires_after(*f.every);
      every.async_wait([&, gen](liveness::error_code tec) {
        if (!tec) send(gen);
      });
    };
    if constexpr (std::is_same_v<Policy, length_policy>) {
      s->async_write_message(net::buffer(*payload), again);
    } else {
      net::async_write(*s, net::buffer(*payload), again);
    }
  };

  client.on_connected([&](session_t& s) {
    const unsigned gen = ++st->generation;
    st->in.clear();
    liveness::error_code ec;
    event("connected peer=" + endpoint_text(s.next_layer().remote_endpoint(ec)));
    read(gen);
    send(gen);
  });
  client.on_disconnected([&](liveness::error_code reason, liveness::core::duration silent) {
    ++st->generation;
    every.cancel();
    event("disconnected reason=" + reason_text(reason) +
          " silent_ms=" + std::to_string(to_ms(silent)));
    if (!f.reconnect) finish(1);
  });
  client.on_connect_failed([&](liveness::error_code ec) {
    event("connect_failed reason=" + reason_text(ec));
    if (!f.reconnect) finish(1);
  });
  client.on_reconnecting([&](liveness::core::duration delay) {
    event("reconnecting in_ms=" + std::to_string(to_ms(delay)));
  });
  client.on_gave_up([&](std::uint32_t attempts) {
    event("gave_up attempts=" + std::to_string(attempts));
    finish(1);
  });

  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](liveness::error_code ec, int) {
    if (!ec) finish(0);
  });
  client.start();
  io.run();
  return st->exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  program() = {"echo_client", client_usage_text("echo_client")};
  const client_flags flags = parse_client_flags(argc, argv);
  return with_policy(flags.watch, liveness::role::client, [&](const auto& options) { return run(flags, options); });
}
