//
// examples/chat_client.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// chat_client: a C++20 coroutine chat client on liveness::reconnecting_client. Each line
// of stdin goes out as "NAME TEXT" through the client's outbox (`async_send`): queued while
// the server is away, sent in order once the client has reconnected (at least once:
// docs/reconnect.md); a full outbox pauses the reading of stdin. The others' lines are
// printed as events. stdin is read with net::posix::stream_descriptor: POSIX only.
//
//   chat_client --connect HOST:PORT --name NAME [--budget DUR] [--reconnect MIN/MAX]
//
// Events (connected, disconnected ... verdict=V, connect_failed, message, sent, dropped,
// eof, stopping, done) and exit codes (0 after stdin's end or SIGINT/SIGTERM, 1 when stdin
// cannot be read, 2 on bad flags): docs/examples.md.
//
#include "chat_flags.hpp"

#if !defined(ASIO_HAS_POSIX_STREAM_DESCRIPTOR) && !defined(BOOST_ASIO_HAS_POSIX_STREAM_DESCRIPTOR)
#error "chat_client reads stdin with net::posix::stream_descriptor (POSIX only)"
#endif

#include <unistd.h>

using namespace example;

namespace {

using client_t = liveness::reconnecting_client<line_policy>;
constexpr auto tuple = liveness::as_tuple(net::use_awaitable);  // errors as values

struct chat {
  client_t client;
  std::string name;
  liveness::reconnect_options limits;
  net::posix::stream_descriptor in;
  net::signal_set signals;
  net::steady_timer room;  // never expires: cancelled when a send ends (room in the outbox)
  long lines = 0;          // read from stdin (the last one's seq)
  long sent = 0;           // of them, sent
  long failed = 0;         // of them, refused (not stopped)
  std::size_t bytes = 0;   // of them, in the outbox
  bool eof = false;
};

/// Runs the client until it is stopped (stdin's end, or a signal).
net::awaitable<void> run(chat& c) {
  auto [why] = co_await c.client.async_run(tuple);
  (void)why;  // operation_aborted: stopped (it never gives up: no --attempts)
  c.signals.cancel();
  c.room.cancel();
  liveness::error_code ignored;
  c.in.close(ignored);  // ends read_stdin
  event("done sent=" + std::to_string(c.sent) + " unsent=" + std::to_string(c.lines - c.sent));
}

/// Line `seq` through the outbox: completes once handed to the kernel, after any
/// reconnects. The outbox keeps the order of the calls.
net::awaitable<void> send(chat& c, std::string line, long seq) {
  const std::size_t size = line.size();
  auto [ec] = co_await c.client.async_send(std::move(line), tuple);
  c.bytes -= size;
  c.room.cancel();  // wakes read_stdin if it waits for room
  if (ec == net::error::operation_aborted) co_return;  // stopped: the outbox was emptied
  ++(ec ? c.failed : c.sent);
  event((ec ? "dropped reason=" + reason_text(ec) + " seq=" : "sent seq=") + std::to_string(seq));
  if (c.eof && c.sent + c.failed == c.lines) c.client.stop();  // the last line after stdin's end
}

/// Prints what arrives on each connection, and why each connection ended.
net::awaitable<void> receive(chat& c) {
  for (;;) {
    auto [ec, s] = co_await c.client.async_wait_connected(tuple);
    if (ec) co_return;  // stopped
    liveness::error_code ignored;
    event("connected peer=" + endpoint_text(s->next_layer().remote_endpoint(ignored)));
    std::string in;
    for (;;) {
      auto [rec, n] =
          co_await net::async_read_until(*s, net::dynamic_buffer(in, chat_max_line), '\n', tuple);
      if (rec == net::error::not_found) s->close();  // a line too long: drop it, reconnect
      if (rec) break;
      const std::string line = in.substr(0, n - 1);
      in.erase(0, n);
      const auto space = line.find(' ');
      event(space == std::string::npos
                ? "message from=? text=" + line
                : "message from=" + line.substr(0, space) + " text=" + line.substr(space + 1));
    }
    auto [why] = co_await s->async_wait_dead(tuple);
    if (!c.client.running()) co_return;  // stopped, not disconnected
    event("disconnected reason=" + reason_text(why) + " silent_ms=" +
          std::to_string(silent_ms(*s)) + " outbox=" + std::to_string(c.client.outbox_size()) +
          " verdict=" + liveness::to_string(s->diagnosis().verdict));
  }
}

/// Reads stdin line by line; each non-empty line goes out as "NAME TEXT\n".
net::awaitable<void> read_stdin(chat& c) {
  auto ex = co_await net::this_coro::executor;
  std::string buf;
  for (;;) {
    auto [ec, n] = co_await net::async_read_until(c.in, net::dynamic_buffer(buf, chat_max_line),
                                                  '\n', tuple);
    if (!c.client.running()) co_return;  // stopped by a signal: send nothing more
    if (ec && (ec != net::error::eof || buf.empty())) break;  // the end (or a line too long)
    std::string text = buf.substr(0, ec ? buf.size() : n - 1);  // a last line without '\n'
    buf.erase(0, ec ? buf.size() : n);
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.empty()) continue;
    std::string line = c.name + " " + text + "\n";
    // A full outbox refuses a send (no_buffer_space): wait for room instead.
    while (c.client.outbox_size() >= c.limits.outbox_limit || c.bytes + line.size() > c.limits.outbox_bytes) {
      co_await c.room.async_wait(tuple);
      if (!c.client.running()) co_return;
    }
    c.bytes += line.size();
    net::co_spawn(ex, send(c, std::move(line), ++c.lines), net::detached);
  }
  c.eof = true;
  event("eof queued=" + std::to_string(c.lines - c.sent - c.failed));
  if (c.sent + c.failed == c.lines) c.client.stop();  // else the last send stops it
}

}  // namespace

int main(int argc, char** argv) {
  program() = {"chat_client", chat_client_usage};
  const chat_client_flags f = parse_chat_client_flags(argc, argv);
  net::io_context io;
  chat c{client_t(io.get_executor(), f.host, f.port,
                  liveness::session_options<line_policy>::within(f.budget, liveness::role::client),
                  f.reconnect),
         f.name, f.reconnect, net::posix::stream_descriptor(io), net::signal_set(io, SIGINT, SIGTERM),
         net::steady_timer(io, net::steady_timer::time_point::max())};
  liveness::error_code ec;
  c.in.assign(::dup(STDIN_FILENO), ec);
  if (ec) {
    std::cerr << "chat_client: cannot read stdin: " << ec.message() << std::endl;
    return 1;
  }
  c.client.on_connect_failed([&](liveness::error_code why) {  // callbacks mix with coroutines
    event("connect_failed reason=" + liveness::connect_error_name(why) +
          " outbox=" + std::to_string(c.client.outbox_size()));
  });
  c.signals.async_wait([&](liveness::error_code sec, int) {
    if (sec) return;
    event("stopping unsent=" + std::to_string(c.client.outbox_size()));
    c.client.stop();  // completes every operation of the client: run() ends
  });
  net::co_spawn(io, run(c), net::detached);
  net::co_spawn(io, receive(c), net::detached);
  net::co_spawn(io, read_stdin(c), net::detached);
  io.run();  // returns once every coroutine has ended
  return 0;
}
