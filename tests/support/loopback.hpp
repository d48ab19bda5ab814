// Shared by the loopback socket tests: a connected TCP pair and an event loop that runs
// until a condition holds or a time budget has passed (every test bounds its own time).
#ifndef LIVENESS_TESTS_SUPPORT_LOOPBACK_HPP
#define LIVENESS_TESTS_SUPPORT_LOOPBACK_HPP

#include "asio_includes.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>

namespace liveness_test {

struct socket_pair {
  liveness::net::ip::tcp::socket client;
  liveness::net::ip::tcp::socket server;
};

/// A connected loopback pair, each socket on the given executor.
inline socket_pair connected(liveness::net::io_context& io,
                             const liveness::net::any_io_executor& client_ex,
                             const liveness::net::any_io_executor& server_ex) {
  namespace net = liveness::net;
  using tcp = net::ip::tcp;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(client_ex);
  tcp::socket server(server_ex);
  client.connect(acceptor.local_endpoint());
  acceptor.accept(server);
  return {std::move(client), std::move(server)};
}

inline socket_pair connected(liveness::net::io_context& io) {
  return connected(io, io.get_executor(), io.get_executor());
}

/// Runs `io` until `pred()` holds or `budget` has passed. Returns `pred()`.
template <class Pred>
bool run_until(liveness::net::io_context& io, Pred pred,
               std::chrono::steady_clock::duration budget) {
  using clk = std::chrono::steady_clock;
  const auto deadline = clk::now() + budget;
  while (!pred()) {
    const auto now = clk::now();
    if (now >= deadline) return false;
    if (io.stopped()) io.restart();
    const auto slice =
        (std::min)(clk::duration(deadline - now), clk::duration(std::chrono::milliseconds(20)));
    if (io.run_one_for(slice) == 0 && io.stopped()) {
      // Out of work: nothing can change by itself; do not spin.
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  return true;
}

/// Runs `io` for `d`.
inline void run_for(liveness::net::io_context& io, std::chrono::steady_clock::duration d) {
  run_until(io, [] { return false; }, d);
}

/// Counts a session's death reports and keeps the last reason.
struct death_watch {
  int calls = 0;
  liveness::error_code reason;

  template <class Session>
  void watch(Session& s) {
    s.async_wait_dead([this](liveness::error_code ec) {
      ++calls;
      reason = ec;
    });
  }
};

/// One `codec::length_prefixed` frame: 4 length bytes (big endian), the type, the payload.
inline std::string lp_frame(std::uint8_t type, const std::string& payload) {
  const auto n = static_cast<std::uint32_t>(payload.size());
  std::string f;
  f.push_back(static_cast<char>((n >> 24) & 0xFF));
  f.push_back(static_cast<char>((n >> 16) & 0xFF));
  f.push_back(static_cast<char>((n >> 8) & 0xFF));
  f.push_back(static_cast<char>(n & 0xFF));
  f.push_back(static_cast<char>(type));
  return f + payload;
}

}  // namespace liveness_test

#endif  // LIVENESS_TESTS_SUPPORT_LOOPBACK_HPP
