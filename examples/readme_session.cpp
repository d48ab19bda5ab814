// The session example shown in README.md (a test checks that the README shows the lines
// between the [readme] markers verbatim). Two sessions on a loopback connection: the client
// pings after 200 ms of silence and gives the server 300 ms to answer; then the server's
// process "hangs" (here: its session stops reading and answering, the socket stays open),
// which TCP keepalive could never see, and the client reports why the server is dead.
#include <liveness.hpp>

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/asio.hpp>
#else
#include <asio.hpp>
#endif
#include <chrono>
#include <iostream>

namespace net = liveness::net;
using namespace std::chrono_literals;
using tcp = net::ip::tcp;

int main() {
  net::io_context io;
  tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), 0});
  tcp::socket socket(io);
  socket.connect(acceptor.local_endpoint());
  tcp::socket hung_peer = acceptor.accept();  // never reads, never answers

  // [readme]
  using policy = liveness::heartbeat::ping_pong<liveness::codec::line>;  // "PING\n"/"PONG\n"
  liveness::session_options<policy> opts;                // keepalive: standard()
  opts.heartbeat.heartbeat.interval = 200ms;             // ping after 200 ms of silence
  opts.heartbeat.heartbeat.timeout = 300ms;              // dead 300 ms after an unanswered ping
  liveness::session<tcp::socket, policy> session(std::move(socket),
                                                 liveness::core::side::client, opts);
  const auto start = std::chrono::steady_clock::now();
  session.async_wait_dead([&](liveness::error_code why) {  // exactly once
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    std::cout << "peer dead: " << liveness::error_name(why) << " (" << why.message()
              << ") after " << ms.count() << " ms\n";
  });
  io.run();
  // [readme]
  return session.reason() == liveness::error::heartbeat_timeout ? 0 : 1;
}
