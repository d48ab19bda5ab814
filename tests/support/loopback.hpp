// Shared by the loopback socket tests (tests/unit and tests/netns): a connected TCP pair, an
// event loop that runs until a condition holds or a time budget has passed (every test
// bounds its own time), a death watch, a plain-socket peer and a length-prefixed frame
// written by hand.
#ifndef LIVENESS_TESTS_SUPPORT_LOOPBACK_HPP
#define LIVENESS_TESTS_SUPPORT_LOOPBACK_HPP

#include "asio_includes.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <utility>

namespace liveness_test {

struct socket_pair {
  liveness::net::ip::tcp::socket client;
  liveness::net::ip::tcp::socket server;
  std::uint16_t client_port = 0;  ///< the client's ephemeral port
  std::uint16_t server_port = 0;  ///< the listening port (the source port of the server end)
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
  const auto client_port = client.local_endpoint().port();
  const auto server_port = acceptor.local_endpoint().port();
  return {std::move(client), std::move(server), client_port, server_port};
}

inline socket_pair connected(liveness::net::io_context& io) {
  return connected(io, io.get_executor(), io.get_executor());
}

/// Runs `io` until `pred()` holds or `budget` has passed. Returns `pred()`. The one event
/// loop of the tests: a deadline is passed as `deadline - steady_clock::now()`.
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

/// A duration in milliseconds, for the figures the tests print.
inline double to_ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

/// Runs `io` for `d`.
inline void run_for(liveness::net::io_context& io, std::chrono::steady_clock::duration d) {
  run_until(io, [] { return false; }, d);
}

/// Counts a session's death reports and keeps the last reason and when it came.
struct death_watch {
  int calls = 0;
  liveness::error_code reason;
  std::chrono::steady_clock::time_point at{};

  template <class Session>
  void watch(Session& s) {
    s.async_wait_dead([this](liveness::error_code ec) {
      ++calls;
      reason = ec;
      at = std::chrono::steady_clock::now();
    });
  }
};

/// A peer that is a plain socket: it writes exactly the bytes the test gives it (blocking;
/// on loopback a few bytes never block) and, once `start_reading()` was called, records
/// everything it reads; `on_read` runs after each chunk.
struct raw_peer {
  liveness::net::ip::tcp::socket sock;
  std::array<char, 64 * 1024> buf{};
  std::string received;
  liveness::error_code read_error;
  bool closed = false;        ///< a read failed (end of stream, reset)
  bool read_pending = false;
  std::function<void(raw_peer&)> on_read;  // after each chunk

  explicit raw_peer(liveness::net::ip::tcp::socket s) : sock(std::move(s)) {
    sock.set_option(liveness::net::ip::tcp::no_delay(true));
  }

  /// Starts reading (again); does nothing while a read is pending.
  void start_reading() {
    if (read_pending) return;
    read_pending = true;
    sock.async_read_some(liveness::net::buffer(buf),
                         [this](liveness::error_code ec, std::size_t n) {
                           read_pending = false;
                           received.append(buf.data(), n);
                           if (on_read) on_read(*this);
                           if (ec) {
                             read_error = ec;
                             closed = true;
                             return;
                           }
                           start_reading();
                         });
  }

  /// Blocking write of a few bytes (loopback: never blocks in practice).
  void write(const std::string& bytes) {
    liveness::net::write(sock, liveness::net::buffer(bytes));
  }
};

/// How often `needle` occurs in `haystack` (without overlaps).
inline std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size()))
    ++n;
  return n;
}

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
