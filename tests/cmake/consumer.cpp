// A program of a project that consumes liveness: it includes the umbrella header, uses the
// library on a real socket pair and checks the backend it was given, so that the consumer
// tests prove more than a successful link (threads, the right Asio, the include paths).
// The expected backend is LIVENESS_EXPECT_BOOST (CMake consumers) or the first argument,
// `boost` or `standalone` (the pkg-config consumer, whose compile takes no -D of its own).
#include <liveness.hpp>

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/asio.hpp>
#else
#include <asio.hpp>
#endif

#include <cstdio>
#include <cstring>

namespace net = liveness::net;

int main(int argc, char** argv) {
#if defined(LIVENESS_EXPECT_BOOST)
  bool expect_boost = true;
#else
  bool expect_boost = false;
#endif
  if (argc > 1) {
    expect_boost = std::strcmp(argv[1], "boost") == 0;
  }
  if (liveness::uses_boost_asio != expect_boost) {
    std::printf("wrong backend\n");
    return 1;
  }
  net::io_context io;
  net::ip::tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), 0});
  net::ip::tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  auto server = acceptor.accept();
  liveness::error_code ec;
  const auto report =
      liveness::apply_keepalive(client, liveness::keepalive_options::aggressive(), ec);
  if (ec || !report.enabled) {
    std::printf("apply_keepalive failed: %s\n", ec.message().c_str());
    return 1;
  }
  std::printf("liveness %s consumed (backend: %s), keepalive bound %lld ms\n",
              LIVENESS_VERSION_STRING, expect_boost ? "Boost.Asio" : "standalone Asio",
              report.detection_bound ? static_cast<long long>(report.detection_bound->count())
                                     : -1LL);
  return 0;
}
