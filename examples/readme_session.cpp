// The session example shown in README.md (a test checks that the README shows the lines
// between the [readme] markers verbatim). A client session on a loopback connection, its
// timing derived from a 2 s detection budget; the server's process "hangs" (here: its
// socket stays open but nothing reads or answers), which TCP keepalive could never see, and
// the client reports why the server is dead, within the budget.
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
  // Every timing from one number: whatever kills the peer, we know within 2 s.
  auto opts = liveness::session_options<policy>::within(2s, liveness::role::client);
  std::cout << "bound: " << opts.detection_bound().to_string() << "\n";
  liveness::session<tcp::socket, policy> session(std::move(socket), opts);
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
