// bench/compile/plain_asio.cpp: the compile-time baseline (scripts/bench.sh, "compile
// time"): what a hand-rolled heartbeat needs, a plain Asio socket and two steady_timers,
// each used once the way liveness_session.cpp uses its session.
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <array>
#include <chrono>

int main() {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  asio::steady_timer ping(io), dead(io);
  std::array<char, 64> buf{};
  ping.expires_after(std::chrono::seconds(1));
  ping.async_wait([&](std::error_code ec) {
    if (!ec) asio::async_write(s, asio::buffer("P", 1), [](std::error_code, std::size_t) {});
  });
  dead.expires_after(std::chrono::seconds(3));
  dead.async_wait([&](std::error_code ec) {
    if (!ec) s.close();
  });
  s.async_read_some(asio::buffer(buf), [](std::error_code, std::size_t) {});
  io.run();
}
