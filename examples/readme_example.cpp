// The example shown in README.md, built so that it keeps compiling.
// Connects to a TCP server, turns on keepalive tuned to find a dead peer within about 7 s
// (also while our data is unacknowledged), and prints what the kernel really holds.
#include <liveness.hpp>

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/asio.hpp>
#else
#include <asio.hpp>
#endif
#include <iostream>

namespace net = liveness::net;

int main() {
  net::io_context io;
  net::ip::tcp::acceptor server(io, {net::ip::make_address("127.0.0.1"), 0});  // a peer
  const auto port = std::to_string(server.local_endpoint().port());

  net::ip::tcp::socket socket(io);
  net::connect(socket, net::ip::tcp::resolver(io).resolve("127.0.0.1", port));

  // After connect: asio::connect closes the socket between attempts.
  liveness::error_code ec;
  auto opts = liveness::keepalive_options::parse("4s:1s:3", ec);  // == aggressive()
  if (ec) {
    std::cerr << "bad keepalive spec: " << ec.message() << "\n";
    return 2;
  }
  liveness::keepalive_report report = liveness::apply_keepalive(socket, opts, ec);
  if (ec) {
    std::cerr << "keepalive refused: " << ec.message() << "\n";
    return 1;
  }
  std::cout << report.to_string() << "\n";
  // A read that fails later is mapped onto the reason: peer_closed, peer_reset or
  // keepalive_timeout (see liveness::classify_transport_error).
  return 0;
}
