// session_options::keepalive_inherited (issue 16, "Accept bursts"): keepalive applied once
// to the listening socket, inherited by every accepted socket (Linux, FreeBSD), and not set
// again by each session; checked by the first session of an io_context, which applies the
// options itself when its socket did not carry them, and so does every later one.
//
// Loopback sockets only; every test bounds its own time.
#include <liveness/session.hpp>

#include "asio_includes.hpp"
#include "test_support.hpp"
#include "loopback.hpp"

#include <chrono>
#include <utility>
#include <vector>

namespace accept_keepalive_test {

using namespace std::chrono_literals;

namespace {

namespace lv = liveness;
namespace net = liveness::net;
using tcp = net::ip::tcp;
using session_t = lv::session<tcp::socket, lv::heartbeat::none>;

const tcp::endpoint any_loopback(net::ip::make_address("127.0.0.1"), 0);

/// Not a preset of any socket: 7 s idle, 2 s apart, 4 probes, 9 s user timeout.
lv::keepalive_options distinctive() {
  lv::keepalive_options k;
  k.idle = 7s;
  k.interval = 2s;
  k.probes = 4;
  k.user_timeout = std::chrono::milliseconds(9000);
  return k;
}

lv::session_options<lv::heartbeat::none> inherited_options() {
  lv::session_options<lv::heartbeat::none> o;
  o.role = lv::role::server;
  o.keepalive = distinctive();
  o.keepalive_inherited = true;
  return o;
}

/// True when the kernel holds `distinctive()` for `s`.
bool carries_distinctive(tcp::socket& s) {
  const auto r = lv::read_keepalive(s);
  return r.enabled && r.idle.value == 7s && r.interval.value == 2s && r.probes.value == 4 &&
         r.user_timeout.value == 9s;
}

/// A connection accepted from `acceptor` (the client end kept in `clients`).
tcp::socket accept_one(net::io_context& io, tcp::acceptor& acceptor,
                       std::vector<tcp::socket>& clients) {
  clients.emplace_back(io);
  clients.back().connect(acceptor.local_endpoint());
  return acceptor.accept();
}

}  // namespace

TEST_CASE("accept keepalive: a listener without the options: every session applies them",
          "[accept][keepalive]") {
  net::io_context io;
  tcp::acceptor plain(io, any_loopback);
  std::vector<tcp::socket> clients;
  std::vector<session_t> sessions;
  for (int i = 0; i < 3; ++i) {
    sessions.emplace_back(accept_one(io, plain, clients), inherited_options());
    // The first found its socket without them and applied them; the later ones know.
    CHECK(carries_distinctive(sessions.back().next_layer()));
    CHECK(sessions.back().keepalive().idle.value == 7s);
    CHECK(sessions.back().keepalive().idle.source == lv::value_source::kernel);
  }
}

#if defined(__linux__) || defined(__FreeBSD__)

TEST_CASE("accept keepalive: sockets accepted from a listener with the options carry them and "
          "the sessions report them",
          "[accept][keepalive]") {
  net::io_context io;
  tcp::acceptor listener(io, any_loopback);
  lv::apply_keepalive(listener, distinctive());
  std::vector<tcp::socket> clients;
  std::vector<session_t> sessions;
  for (int i = 0; i < 3; ++i) {
    sessions.emplace_back(accept_one(io, listener, clients), inherited_options());
    CHECK(carries_distinctive(sessions.back().next_layer()));
    const auto& r = sessions.back().keepalive();
    CHECK(r.enabled);
    CHECK(r.idle.value == 7s);
    CHECK(r.interval.value == 2s);
    CHECK(r.probes.value == 4);
    CHECK(r.user_timeout.value == 9s);
    CHECK(r.detection_bound.has_value());
  }
  // Once checked, the sessions of this io_context set nothing: a socket that (against the
  // option's contract) comes from a listener without the options is left as it is. This is
  // the five system calls a session saves, and why every socket must come from such a
  // listener.
  tcp::acceptor plain(io, any_loopback);
  session_t stray(accept_one(io, plain, clients), inherited_options());
  CHECK_FALSE(lv::read_keepalive(stray.next_layer()).enabled);

  // Without keepalive_inherited, the same io_context applies them as ever.
  auto applying = inherited_options();
  applying.keepalive_inherited = false;
  session_t applied(accept_one(io, plain, clients), applying);
  CHECK(carries_distinctive(applied.next_layer()));
}

#endif  // __linux__ || __FreeBSD__

}  // namespace accept_keepalive_test
