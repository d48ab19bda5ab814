// A unit that uses the most common session and its registry, compiled separately
// (LIVENESS_SEPARATE_COMPILATION): tests/cmake/check_separate_instances.cmake checks that
// it defines none of their own functions (they are compiled once, in src.hpp:
// impl/session_instances.hpp) and that it does call them.
#include <liveness/registry.hpp>
#include <liveness/session.hpp>

#include <array>
#include <utility>

using policy = liveness::heartbeat::ping_pong<liveness::codec::line>;
using session_type = liveness::session<liveness::net::ip::tcp::socket, policy>;

void separate_instances_probe(liveness::net::io_context& io) {
  session_type s(liveness::net::ip::tcp::socket(io),
                 liveness::session_options<policy>::suggested(liveness::role::server));
  static std::array<char, 64> buf{};
  s.async_read_some(liveness::net::buffer(buf), [](liveness::error_code, std::size_t) {});
  s.async_write_some(liveness::net::buffer("hello\n", 6),
                     [](liveness::error_code, std::size_t) {});
  s.async_wait_dead([](liveness::error_code) {});

  liveness::registry<session_type> peers(io.get_executor());
  peers.on_offline([](const liveness::peer_event&) {});
  peers.add(std::move(s), "probe");
  peers.broadcast(liveness::net::buffer("all\n", 4));
}
