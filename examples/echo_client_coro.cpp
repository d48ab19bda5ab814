//
// examples/echo_client_coro.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// echo_client_coro: echo_client written with C++20 coroutines (net::co_spawn,
// net::use_awaitable, liveness::as_tuple): the same flags, events and exit codes
// (docs/examples.md; no --tls). A liveness::reconnecting_client connects and reconnects;
// one coroutine awaits each connection (`async_wait_connected`) and its death
// (`async_wait_dead`), another reads the echoes of a connection, a third sends --send TEXT
// through the client's outbox, which keeps what is sent while disconnected.
//
// Built only when the compiler and Asio support C++20 coroutines.
//
#include "flags.hpp"

#include <liveness/reconnect.hpp>

#include <memory>

using namespace example;

namespace {

using liveness::as_tuple;
using net::use_awaitable;

template <class Session>
net::awaitable<void> read_echoes(std::shared_ptr<Session> s, echo_counter& echoes) {
  std::string in;
  for (;;) {
    auto [ec, n] = co_await async_read_item(*s, in, as_tuple(use_awaitable));
    if (ec || !echoes.got(take_item<Session>(in, n))) co_return;  // death: see watch()
  }
}

/// Each connection: report it, read it, await its death and report why.
template <class Client>
net::awaitable<void> watch(Client& client, const client_flags& f, echo_counter& echoes) {
  for (;;) {
    auto [ec, s] = co_await client.async_wait_connected(as_tuple(use_awaitable));
    if (!s) co_return;  // stopped, or gave up (on_gave_up said so)
    liveness::error_code pec;
    event("connected peer=" + endpoint_text(s->next_layer().remote_endpoint(pec)));
    net::co_spawn(client.get_executor(), read_echoes(s, echoes), net::detached);
    // as_tuple: the death reason arrives as a value (plain use_awaitable would throw it).
    auto [why] = co_await s->async_wait_dead(as_tuple(use_awaitable));
    if (why == net::error::operation_aborted) co_return;  // we stopped the client
    event("disconnected reason=" + reason_text(why) + " silent_ms=" +
          std::to_string(silent_ms(*s)) + " verdict=" + liveness::to_string(s->diagnosis().verdict));
    if (!f.reconnect) co_return echoes.finish(1);
  }
}

/// --send TEXT now and then every --every, through the outbox.
template <class Client>
net::awaitable<void> send(Client& client, const client_flags& f, net::steady_timer& every) {
  using session_t = typename Client::session_type;
  for (;;) {
    client.async_send(item<session_t>(*f.send), [](liveness::error_code ec) {
      if (ec && ec != net::error::operation_aborted) {
        event("send_failed reason=" + reason_text(ec));
      }
    });
    if (!f.every) co_return;
    every.expires_after(*f.every);
    auto [ec] = co_await every.async_wait(as_tuple(use_awaitable));
    if (ec) co_return;
  }
}

template <class Policy>
int run(const client_flags& f, const liveness::session_options<Policy>& options) {
  net::io_context io;
  liveness::reconnecting_client<Policy> client(io.get_executor(), f.host, f.port, options,
                                               f.reconnect_options());
  net::steady_timer every(io);
  net::signal_set signals(io, SIGINT, SIGTERM);
  int exit_code = 0;
  echo_counter echoes{f.count, [&](int code) {
    exit_code = code;
    client.stop();  // completes async_run, async_wait_connected and the sends
    every.cancel();
    signals.cancel();
  }};
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
  signals.async_wait([&](liveness::error_code ec, int) { if (!ec) echoes.finish(0); });

  client.async_run([](liveness::error_code) {});  // the events say why it ends
  net::co_spawn(io, watch(client, f, echoes), net::detached);
  if (f.send) net::co_spawn(io, send(client, f, every), net::detached);
  io.run();
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  program() = {"echo_client_coro", client_usage_text("echo_client_coro")};
  const client_flags flags = parse_client_flags(argc, argv);
  return with_policy(flags.watch, liveness::role::client,
                     [&](const auto& options) { return run(flags, options); });
}
