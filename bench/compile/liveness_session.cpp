// bench/compile/liveness_session.cpp: the compile-time subject (scripts/bench.sh,
// "compile time"): <liveness/session.hpp> and one session, used as the fleet benchmark
// uses it (a read, a write, async_wait_dead). With -DLIVENESS_BENCH_UMBRELLA it includes
// <liveness.hpp> instead.
#if defined(LIVENESS_BENCH_UMBRELLA)
#include <liveness.hpp>
#else
#include <liveness/session.hpp>
#endif
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include <array>

int main() {
  using policy = liveness::heartbeat::ping_pong<liveness::codec::line>;
  asio::io_context io;
  liveness::session<asio::ip::tcp::socket, policy> s(
      asio::ip::tcp::socket(io), liveness::session_options<policy>::suggested(liveness::role::server));
  std::array<char, 64> buf{};
  s.async_read_some(asio::buffer(buf), [](std::error_code, std::size_t) {});
  asio::async_write(s, asio::buffer("hello\n", 6), [](std::error_code, std::size_t) {});
  s.async_wait_dead([](std::error_code) {});
  io.run();
}
