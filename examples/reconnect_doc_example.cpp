// The reconnecting client example shown at the top of docs/reconnect.md (a test checks that
// the doc shows the lines between the [readme] markers verbatim). A coroutine client: one
// coroutine runs the client (async_run), one prints the lines the server sends on each
// connection (async_wait_connected), one sends two lines through the outbox (async_send,
// queued until a connection is up). Ctrl-C stops the client, and every operation
// completes, so io.run() returns. Usage: reconnect_doc_example [host] [port]
// (default 127.0.0.1 7000; with no server there it gives up after 5 attempts).
#include <liveness.hpp>

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/asio.hpp>
#else
#include <asio.hpp>
#endif
#include <chrono>
#include <csignal>
#include <iostream>
#include <string>

namespace net = liveness::net;
using namespace std::chrono_literals;

// [readme]
using policy = liveness::heartbeat::ping_pong<liveness::codec::line>;  // "PING\n"/"PONG\n"
using client_t = liveness::reconnecting_client<policy>;
constexpr auto tuple = liveness::as_tuple(net::use_awaitable);

net::awaitable<void> print_lines(client_t& client) {
  for (;;) {  // one turn per connection
    auto [ec, s] = co_await client.async_wait_connected(tuple);
    if (ec) co_return;  // stopped, or gave up
    std::string buf;
    for (;;) {
      auto [rec, n] = co_await net::async_read_until(*s, net::dynamic_buffer(buf), '\n', tuple);
      if (rec) break;  // this connection died: wait for the next one
      std::cout << "got: " << buf.substr(0, n);
      buf.erase(0, n);
    }
  }
}

net::awaitable<void> send_lines(client_t& client) {
  for (const char* line : {"hello\n", "world\n"}) {
    auto [ec] = co_await client.async_send(line, tuple);  // handed to the kernel
    if (ec) co_return;
  }
}

net::awaitable<void> run(client_t& client, net::signal_set& signals) {
  auto [why] = co_await client.async_run(tuple);  // once: stopped or gave up
  std::cout << "client ended: " << liveness::connect_error_name(why) << "\n";
  signals.cancel();
}

int main(int argc, char** argv) {
  net::io_context io;
  client_t client(io.get_executor(), argc > 1 ? argv[1] : "127.0.0.1",
                  argc > 2 ? argv[2] : "7000",
                  liveness::session_options<policy>::within(5s, liveness::role::client),
                  liveness::reconnect_options::limited(5));
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](liveness::error_code ec, int) {
    if (!ec) client.stop();  // completes every operation of the client
  });
  net::co_spawn(io, run(client, signals), net::detached);
  net::co_spawn(io, print_lines(client), net::detached);
  net::co_spawn(io, send_lines(client), net::detached);
  io.run();
}
  // [readme]
