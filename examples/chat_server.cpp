//
// examples/chat_server.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// chat_server: a C++20 coroutine chat server on liveness::registry. Every line a client
// sends goes to every other client (`broadcast_except`: one shared copy). Each client is a
// liveness::session with a ping/pong heartbeat in text lines ("PING"/"PONG"), its timings
// derived from one budget (`session_options::within`): a client that dies, hangs or
// vanishes goes offline within it. Online and offline events are read as an awaitable
// stream (`async_next_event`). Try it with two chat_client programs (or `nc`, answering
// PING with PONG by hand).
//
//   chat_server [--host ADDR] [--port PORT] [--budget DUR] [--quorum N]
//
// --quorum N: lines are relayed once N clients are online; until then they are held (at
// most 1024; the oldest is dropped past it). Events (listening, online, offline ...
// verdict=V, message, dropped, error) and exit codes (0 after SIGINT/SIGTERM, 1 when it
// cannot listen, 2 on bad flags): docs/examples.md.
//
#include "chat_flags.hpp"

#include <deque>
#include <memory>
#include <utility>

using namespace example;

namespace {

using session_t = liveness::session<tcp::socket, line_policy>;
using chat_t = liveness::registry<session_t>;
constexpr auto tuple = liveness::as_tuple(net::use_awaitable);  // errors as values

/// The most lines held for the quorum, and queued for one client: a client that falls
/// further behind is closed (`overflow_policy::close`, reason `no_buffer_space`).
constexpr std::size_t max_held = 1024;
constexpr std::size_t max_queued = 4 * max_held;

/// The registry and the lines waiting for the quorum.
struct room {
  chat_t chat;
  std::size_t quorum;
  std::deque<std::pair<std::string, std::string>> held;  // (sender id, line)

  /// Queues `line` from `id`, then relays what is held if the quorum is online.
  void post(const std::string& id, std::string line) {
    if (held.size() == max_held) {
      event("dropped from=" + held.front().first);
      held.pop_front();
    }
    held.emplace_back(id, std::move(line));
    relay();
  }
  void relay() {
    if (chat.size() < quorum) return;
    for (; !held.empty(); held.pop_front()) {
      chat.broadcast_except(held.front().first, net::buffer(held.front().second));
    }
  }
};

/// One client's lines, to everyone else. Reading is ours; writing is the registry's.
net::awaitable<void> read_lines(room& r, std::shared_ptr<session_t> s, std::string id) {
  std::string in;
  for (;;) {
    auto [ec, n] = co_await net::async_read_until(*s, net::dynamic_buffer(in, chat_max_line),
                                                  '\n', tuple);
    if (ec == net::error::not_found) s->close();  // a line too long ends the session
    if (ec) co_return;  // its offline event says why
    const std::string text = in.substr(0, n - 1);
    r.post(id, in.substr(0, n));
    in.erase(0, n);
    event("message from=" + id + " held=" + std::to_string(r.held.size()) + " text=" + text);
  }
}

/// Online and offline events, in order: the registry's awaitable stream.
net::awaitable<void> print_events(room& r) {
  for (;;) {
    auto [ec, e] = co_await r.chat.async_next_event(tuple);
    if (ec) co_return;  // closed
    // `size()` is now, not at the event (the stream delivers events a little later).
    const std::string online = " online=" + std::to_string(r.chat.size());
    if (e.kind == liveness::peer_event_kind::online) {
      event("online id=" + e.id + " peer=" + e.peer + online);
    } else if (e.kind == liveness::peer_event_kind::offline) {
      event("offline id=" + e.id + " peer=" + e.peer + " reason=" + reason_text(e.reason) +
            " silent_ms=" + std::to_string(to_ms(e.silent)) + online +
            " verdict=" + liveness::to_string(e.diagnosis.verdict));
    }
  }
}

/// Accepts until the acceptor is closed. `async_accept_loop` pauses (10 ms doubling to
/// 1 s) when accept fails, instead of spinning at the descriptor limit.
net::awaitable<void> accept(tcp::acceptor& acceptor, room& r,
                            liveness::session_options<line_policy> options) {
  auto ex = co_await net::this_coro::executor;
  auto on_socket = [&](tcp::socket socket, const tcp::endpoint& peer) {
    liveness::error_code ec;
    session_t s(std::move(socket), options, ec);  // keepalive, then the heartbeat
    if (!ec) {
      auto added = r.chat.add(std::move(s), peer, {}, ec);  // id "tcp:ADDR:PORT"
      if (added) {
        net::co_spawn(ex, read_lines(r, added, added.id), net::detached);
        r.relay();  // the quorum may be reached now
        return;
      }
    }
    event("error what=session reason=" + reason_text(ec));
  };
  auto on_event = [](const liveness::accept_event& e) {
    if (e.kind != liveness::accept_event_kind::resumed) {
      event("error what=accept reason=" + reason_text(e.error));
    }
  };
  co_await liveness::async_accept_loop(acceptor, liveness::accept_options{}, on_socket,
                                       on_event, tuple);
}

}  // namespace

int main(int argc, char** argv) {
  program() = {"chat_server", chat_server_usage};
  const chat_server_flags f = parse_chat_server_flags(argc, argv);
  net::io_context io;
  tcp::acceptor acceptor(io);
  try {
    const tcp::endpoint ep = *tcp::resolver(io).resolve(f.host, f.port).begin();
    acceptor.open(ep.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));  // restart on the same port
    acceptor.bind(ep);
    acceptor.listen();
  } catch (const std::exception& e) {
    std::cerr << "chat_server: cannot listen on " << f.host << ":" << f.port << ": " << e.what()
              << std::endl;
    return 1;
  }
  auto registry_options = liveness::registry_options::standard();
  registry_options.max_queued_messages = max_queued;  // room for a flush of the held lines
  room r{chat_t(io.get_executor(), registry_options), f.quorum, {}};
  const auto options = liveness::session_options<line_policy>::within(f.budget, liveness::role::server);
  net::co_spawn(io, print_events(r), net::detached);  // first: the stream queues from here
  net::co_spawn(io, accept(acceptor, r, options), net::detached);
  const auto local = acceptor.local_endpoint();
  event("listening addr=" + endpoint_text(local) + " port=" + std::to_string(local.port()));

  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](liveness::error_code, int) {
    liveness::error_code ignored;
    acceptor.close(ignored);  // ends accept()
    r.chat.close();           // closes every session: read_lines and print_events end
  });
  io.run();  // returns once every coroutine has ended
  return 0;
}
