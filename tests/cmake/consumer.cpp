// A program of a project that consumes liveness: it includes the umbrella header, uses the
// library and checks the result, so the consumer tests prove more than a successful link.
#include <liveness.hpp>

#include <cstdio>

int main() {
  liveness::error_code ec;
  const auto o = liveness::keepalive_options::parse("30s:5s:3", ec);
  if (ec || o.detection_bound() != std::chrono::seconds(45)) {
    std::printf("unexpected parse result: %s\n", ec.message().c_str());
    return 1;
  }
  std::printf("liveness %s consumed (backend: %s)\n", LIVENESS_VERSION_STRING,
              liveness::uses_boost_asio ? "Boost.Asio" : "standalone Asio");
  return 0;
}
