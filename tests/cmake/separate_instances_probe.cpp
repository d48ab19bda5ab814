// A unit that uses a session of each policy that separate compilation pre-instantiates,
// and a registry of each, compiled separately (LIVENESS_SEPARATE_COMPILATION):
// tests/cmake/check_separate_instances.cmake checks that it defines none of their
// functions (they are compiled once, in src.hpp: impl/session_instances.hpp) and that it
// does call them.
#include <liveness/registry.hpp>
#include <liveness/session.hpp>

#include <array>
#include <utility>

namespace {

template <class Policy>
void use(liveness::net::io_context& io, const liveness::session_options<Policy>& options) {
  using session_type = liveness::session<liveness::net::ip::tcp::socket, Policy>;
  session_type s(liveness::net::ip::tcp::socket(io), options);
  static std::array<char, 64> buf{};
  s.async_read_some(liveness::net::buffer(buf), [](liveness::error_code, std::size_t) {});
  s.async_write_some(liveness::net::buffer("hello\n", 6),
                     [](liveness::error_code, std::size_t) {});
  s.async_wait_dead([](liveness::error_code) {});
  if constexpr (liveness::codec::has_messages_v<typename Policy::codec>) {
    s.async_write_message(liveness::net::buffer("message", 7),
                          [](liveness::error_code, std::size_t) {});
  }
  (void)s.stats();

  liveness::registry<session_type> peers(io.get_executor());
  peers.on_offline([](const liveness::peer_event&) {});
  peers.add(std::move(s), "probe");
  peers.broadcast(liveness::net::buffer("all\n", 4));
}

}  // namespace

void separate_instances_probe(liveness::net::io_context& io) {
  using namespace liveness;
  use(io, session_options<heartbeat::ping_pong<codec::line>>::suggested(role::server));
  use(io, session_options<heartbeat::ping_pong<codec::length_prefixed>>::suggested(
              role::server));
  use(io, session_options<heartbeat::none>{});
  use(io, session_options<heartbeat::idle_timeout>{});
}
