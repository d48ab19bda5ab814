// The example shown in README.md, built so that it keeps compiling; a test checks that the
// README shows the lines between the [readme] markers verbatim.
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

int fail(const char* what, const liveness::error_code& ec) {
  std::cerr << what << ": " << ec.message() << "\n";
  return 1;
}

int main() {
  net::io_context io;
  net::ip::tcp::acceptor server(io, {net::ip::make_address("127.0.0.1"), 0});  // a peer
  net::ip::tcp::socket socket(io);
  net::connect(socket, net::ip::tcp::resolver(io).resolve(
                           "127.0.0.1", std::to_string(server.local_endpoint().port())));

  // [readme]
  // After connect completes (asio::connect closes the socket between attempts):
  liveness::error_code ec;
  auto opts = liveness::keepalive_options::parse("4s:1s:3", ec);  // == aggressive()
  if (ec) return fail("bad keepalive spec", ec);
  liveness::keepalive_report report = liveness::apply_keepalive(socket, opts, ec);
  if (ec) return fail("keepalive refused", ec);
  std::cout << report.to_string() << "\n";  // what the kernel holds, the bounds, notes
  // [readme]
  return 0;
}
