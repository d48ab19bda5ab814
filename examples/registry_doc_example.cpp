//
// examples/registry_doc_example.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The program docs/registry.md begins with: a chat server on liveness::registry in C++20
// coroutines. Every line a client sends goes to every other client; joins and leaves are
// announced; Ctrl-C ends it. Try it with `nc 127.0.0.1 PORT` from two terminals. The lines
// between the two [readme] markers are shown verbatim in docs/registry.md (checked by the
// docs:registry_doc_example_in_sync test).
//
// [readme]
#include <liveness.hpp>

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/asio.hpp>
#else
#include <asio.hpp>
#endif
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

namespace net = liveness::net;
using tcp = net::ip::tcp;
using session_t = liveness::session<tcp::socket, liveness::heartbeat::none>;
using chat_t = liveness::registry<session_t>;
const auto as_values = liveness::as_tuple(net::use_awaitable);  // errors as values

// One client's lines, to everyone else. Reading is the application's; writing is the
// registry's (it queues one shared copy per message for every session).
net::awaitable<void> relay(chat_t& chat, std::shared_ptr<session_t> s, std::string id) {
  std::string in;
  for (;;) {
    auto [ec, n] = co_await net::async_read_until(*s, net::dynamic_buffer(in), '\n', as_values);
    if (ec) co_return;  // its end comes as an offline event
    chat.broadcast_except(id, net::buffer(id + ": " + in.substr(0, n)));
    in.erase(0, n);
  }
}

net::awaitable<void> accept(tcp::acceptor& acceptor, chat_t& chat) {
  auto opts = session_t::options_type::suggested(liveness::role::server);
  for (;;) {
    tcp::endpoint peer;  // taken at accept: a client that resets at once still has one
    auto [ec, socket] = co_await acceptor.async_accept(peer, as_values);
    if (ec) co_return;  // acceptor closed
    session_t s(std::move(socket), opts, ec);
    if (ec) continue;   // reset before its options were set
    auto added = chat.add(std::move(s), peer, {}, ec);  // id "tcp:addr:port"
    if (added) net::co_spawn(chat.get_executor(), relay(chat, added, added.id), net::detached);
  }
}

// Online and offline events, in order, with the session's last statistics.
net::awaitable<void> announce(chat_t& chat) {
  for (;;) {
    auto [ec, e] = co_await chat.async_next_event(as_values);
    if (ec) co_return;  // chat.close()
    const bool online = e.kind == liveness::peer_event_kind::online;
    std::cout << (online ? "online " : "offline ") << e.id << " now " << chat.size();
    if (!online) std::cout << " reason " << liveness::error_name(e.reason) << " received "
                           << e.stats.bytes_received << " bytes";
    std::cout << std::endl;
    chat.broadcast_except(e.id, net::buffer("* " + e.id + (online ? " joined\n" : " left\n")));
  }
}

int main(int argc, char** argv) {
  net::io_context io;
  const auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 0);
  tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), port});
  std::cout << "chat on 127.0.0.1:" << acceptor.local_endpoint().port() << std::endl;
  chat_t chat(io.get_executor());
  net::co_spawn(io, announce(chat), net::detached);  // first: events queue from its wait on
  net::co_spawn(io, accept(acceptor, chat), net::detached);
  net::signal_set stop(io, SIGINT, SIGTERM);
  stop.async_wait([&](liveness::error_code, int) {
    acceptor.close();
    chat.close();  // closes every session; announce() ends with operation_aborted
  });
  io.run();
}
  // [readme] (docs/registry.md shows the lines above verbatim)
