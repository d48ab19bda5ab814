// session::diagnosis() over loopback: what a session says about a peer that is alive, moved
// from or closed by the application (unknown, with a note), that never answers pings while
// its kernel ACKs them (peer_unresponsive, Linux), that closes or resets (peer_closed_or_reset,
// with the kernel's evidence on Linux); and the registry's offline event and the
// reconnecting client's disconnect handler carrying it. The cable-pull, SIGSTOP and
// stalled-reader verdicts need a private network namespace: tests/netns/diagnosis_netns_test.
#include <liveness/diagnosis.hpp>
#include <liveness/reconnect.hpp>
#include <liveness/registry.hpp>
#include <liveness/session.hpp>

#include "loopback.hpp"
#include "roles.hpp"
#include "test_support.hpp"

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace diagnosis_session_test {

namespace net = liveness::net;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using liveness::verdict;
using line_session = liveness::session<tcp::socket, liveness::heartbeat::ping_pong<liveness::codec::line>>;
using none_session = liveness::session<tcp::socket, liveness::heartbeat::none>;

inline liveness::session_options<liveness::heartbeat::ping_pong<liveness::codec::line>>
fast_pings() {
  liveness::session_options<liveness::heartbeat::ping_pong<liveness::codec::line>> o;
  o.keepalive = std::nullopt;
  o.heartbeat.interval = 200ms;
  o.heartbeat.timeout = 300ms;
  o.heartbeat.pinger = liveness::ping_role::client;
  return o;
}

inline liveness::session_options<liveness::heartbeat::none> plain() {
  liveness::session_options<liveness::heartbeat::none> o;
  o.keepalive = std::nullopt;
  return o;
}

TEST_CASE("diagnosis session: alive moved-from and closed sessions give unknown with a note",
          "[diagnosis][smoke]") {
  net::io_context io;
  auto p = liveness_test::connected(io);
  none_session s(std::move(p.client), plain());
  const auto alive = s.diagnosis();
  CHECK(alive.verdict == verdict::unknown);
  CHECK_FALSE(alive.reason);
  CHECK(alive.note == "the peer is not dead");
  CHECK(alive.evidence.empty());
  none_session moved(std::move(s));
  CHECK(s.diagnosis().note == "moved-from session");  // NOLINT(bugprone-use-after-move)
  moved.close();
  CHECK(moved.diagnosis().verdict == verdict::unknown);
  CHECK(moved.diagnosis().note == "the peer is not dead");
}

TEST_CASE("diagnosis session: a FIN or an RST is peer_closed_or_reset with the kernel's state",
          "[diagnosis]") {
  for (const bool reset : {false, true}) {
    net::io_context io;
    auto p = liveness_test::connected(io);
    none_session s(std::move(p.client), plain());
    liveness_test::death_watch w;
    w.watch(s);
    if (reset) p.server.set_option(net::socket_base::linger(true, 0));
    p.server.close();
    REQUIRE(liveness_test::run_until(io, [&] { return w.calls == 1; }, 5s));
    const auto d = s.diagnosis();
    CAPTURE(d.to_string());
    CHECK(d.verdict == verdict::peer_closed_or_reset);
    CHECK(d.reason == (reset ? liveness::error::peer_reset : liveness::error::peer_closed));
#if defined(__linux__)
    REQUIRE(d.evidence.state.has_value());
    CHECK(*d.evidence.state == (reset ? liveness::tcp_state::closed : liveness::tcp_state::close_wait));
    CHECK(d.evidence.rtt.has_value());
    std::cout << "diagnosis: " << (reset ? "RST: " : "FIN: ") << d.to_string() << std::endl;
#endif
  }
}

#if defined(__linux__)
TEST_CASE("diagnosis session: a peer whose kernel ACKs our pings but never answers is "
          "peer_unresponsive",
          "[diagnosis]") {
  net::io_context io;
  auto p = liveness_test::connected(io);
  liveness_test::raw_peer peer(std::move(p.server));
  peer.start_reading();  // reads the pings (its window stays open), answers nothing
  line_session s(std::move(p.client), fast_pings());
  liveness_test::death_watch w;
  w.watch(s);
  REQUIRE(liveness_test::run_until(io, [&] { return w.calls == 1; }, 5s));
  REQUIRE(w.reason == liveness::error::heartbeat_timeout);
  const auto d = s.diagnosis();
  std::cout << "diagnosis: silent raw peer: " << d.to_string() << std::endl;
  CHECK(d.verdict == verdict::peer_unresponsive);
  CHECK(d.note.empty());
  REQUIRE(d.evidence.last_ack_received.has_value());
  REQUIRE(d.evidence.last_data_received.has_value());
  CHECK(*d.evidence.last_ack_received < *d.evidence.last_data_received);
  CHECK(d.evidence.retransmits == 0u);
  CHECK(d.evidence.peer_window.value_or(1) > 0u);
  // The copy is stable: read once, at death.
  CHECK(s.diagnosis().evidence.last_ack_received == d.evidence.last_ack_received);
}
#endif

TEST_CASE("diagnosis session: the registry's offline event carries the diagnosis",
          "[diagnosis][registry]") {
  net::io_context io;
  liveness::registry<none_session> reg(io.get_executor());
  std::optional<liveness::peer_event> offline;
  reg.on_offline([&](const liveness::peer_event& e) { offline = e; });
  auto p = liveness_test::connected(io);
  reg.add(none_session(std::move(p.server), liveness_test::with_role(plain(), liveness::role::server)));
  p.client.close();
  REQUIRE(liveness_test::run_until(io, [&] { return offline.has_value(); }, 5s));
  CHECK(offline->reason == liveness::error::peer_closed);
  CHECK(offline->diagnosis.verdict == verdict::peer_closed_or_reset);
  CHECK(offline->diagnosis.reason == liveness::error::peer_closed);
  reg.close();
}

TEST_CASE("diagnosis session: the reconnecting client's disconnect handler gets the diagnosis",
          "[diagnosis][reconnect]") {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  std::optional<tcp::socket> accepted;
  acceptor.async_accept([&](liveness::error_code ec, tcp::socket sock) {
    if (!ec) accepted = std::move(sock);
  });
  liveness::reconnecting_client<liveness::heartbeat::none> client(
      io.get_executor(), "127.0.0.1", std::to_string(acceptor.local_endpoint().port()),
      plain(), liveness::reconnect_options::fast());
  std::optional<liveness::diagnosis> why;
  int two_arg_calls = 0;
  client.on_disconnected([&](liveness::error_code, liveness::core::duration) { ++two_arg_calls; });
  // The three-argument form replaces the two-argument one.
  client.on_disconnected([&](liveness::error_code reason, liveness::core::duration,
                             const liveness::diagnosis& d) {
    CHECK(d.reason == reason);
    why = d;
    client.stop();
  });
  client.start();
  REQUIRE(liveness_test::run_until(io, [&] { return accepted.has_value(); }, 5s));
  REQUIRE(liveness_test::run_until(io, [&] { return client.current() != nullptr; }, 5s));
  accepted->close();
  REQUIRE(liveness_test::run_until(io, [&] { return why.has_value(); }, 5s));
  CHECK(why->verdict == verdict::peer_closed_or_reset);
  CHECK(two_arg_calls == 0);
}

}  // namespace diagnosis_session_test
