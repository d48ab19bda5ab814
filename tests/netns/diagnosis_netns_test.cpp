// session::diagnosis() against real faults, in the private network namespace of this process
// (tests/support/netns_main.cpp): the verdict the library gives for a pulled cable
// (nftables blackhole), a hung peer process (SIGSTOP) and a peer that stops reading while we
// write, with the ping_pong heartbeat and with keepalive alone. Each case prints
//
//   diagnosis: <case> policy=<p> reason=<r> verdict=<v> after_ms=<n> evidence: <...>
//
// Keepalive alone cannot see a hung process (its kernel answers the probes): that case
// asserts that nothing is reported and that diagnosis() says the peer is not dead.
//
// Budgets: keepalive 1 s idle, 1 s interval, 2 probes, user timeout 3 s (fault_support.hpp's
// fast_keepalive); heartbeat 300 ms interval + 1 s timeout. Margins are wide: a case fails
// only when detection takes longer than bound + 3 s.
#include <liveness/session.hpp>

#include "fault_support.hpp"
#include "netns.hpp"
#include "test_support.hpp"

#include <chrono>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace diagnosis_netns_test {

namespace lv = liveness;
namespace ft = liveness_test::fault;
namespace net = liveness::net;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using lv::error;
using lv::error_code;
using lv::verdict;
using ft::steady;
using std::chrono::milliseconds;

using keepalive_only = lv::heartbeat::none;
using line_policy = lv::heartbeat::ping_pong<lv::codec::line>;
template <class Policy>
using session_t = lv::session<tcp::socket, Policy>;

constexpr milliseconds margin = 3000ms;

inline lv::session_options<keepalive_only> keepalive_options(lv::role r) {
  lv::session_options<keepalive_only> o;
  o.keepalive = ft::fast_keepalive;
  o.role = r;
  return o;
}

/// Both ends ping (so the end under test pings a stopped peer too), 300 ms + 1 s: the ping
/// waits a second for its answer, several retransmission timeouts.
inline lv::session_options<line_policy> heartbeat_options(lv::role r) {
  lv::session_options<line_policy> o;
  o.keepalive = ft::fast_keepalive;
  o.heartbeat.interval = 300ms;
  o.heartbeat.timeout = 1000ms;
  o.heartbeat.pinger = lv::ping_role::both;
  o.role = r;
  return o;
}

/// Runs until `watch` reports a death or `bound + margin` passed since `t0`; prints the
/// case's line and returns the diagnosis.
template <class Session>
lv::diagnosis await_verdict(net::io_context& io, ft::death_watch& watch, Session& s,
                            steady::time_point t0, milliseconds bound, const std::string& name,
                            const std::string& policy) {
  ft::run_until(io, [&] { return watch.reason.has_value(); }, t0 + bound + margin - steady::now());
  const auto d = s.diagnosis();
  std::cout << "diagnosis: " << name << " policy=" << policy
            << " reason=" << ft::reason_text(watch.reason)
            << " verdict=" << lv::to_string(d.verdict)
            << " after_ms=" << (watch.reason ? ft::to_ms(watch.when - t0) : -1)
            << " bound_ms=" << bound.count() << " basis: " << d.basis
            << " evidence: " << d.evidence.to_string()
            << (d.note.empty() ? "" : " note: " + d.note) << std::endl;
  return d;
}

// ---- a pulled cable ------------------------------------------------------------------------

/// A connected pair of `Policy` sessions (ours the client end); after a second of healthy
/// traffic, the cable is pulled both ways. Returns our diagnosis; checks the reason.
template <class Policy>
lv::diagnosis blackhole_case(lv::session_options<Policy> (*options)(lv::role),
                             milliseconds bound, error expected, const std::string& policy) {
  net::io_context io{1};
  auto pair = ft::connected(io);
  session_t<Policy> ours(std::move(pair.client), options(lv::role::client));
  session_t<Policy> peer(std::move(pair.server), options(lv::role::server));
  ft::death_watch dead;
  dead.start(ours);
  ft::run_for(io, 1s);
  REQUIRE_FALSE(dead.reason);  // control: a healthy link
  const auto t0 = steady::now();
  liveness_test::blackhole cable(pair.client_port);
  const auto d = await_verdict(io, dead, ours, t0, bound, "blackhole", policy);
  CHECK(dead.reason == expected);
  ours.close();
  peer.close();
  ft::drain(io);
  return d;
}

TEST_CASE("diagnosis netns: blackhole under ping_pong is peer_unreachable",
          "[diagnosis][netns][heartbeat]") {
  const auto d = blackhole_case<line_policy>(heartbeat_options, 1300ms,
                                             error::heartbeat_timeout, "ping_pong<line>");
  CHECK(d.verdict == verdict::peer_unreachable);
  CHECK(d.evidence.retransmits.value_or(0) >= 1u);  // our ping went unacknowledged
}

TEST_CASE("diagnosis netns: blackhole under keepalive only is peer_unreachable",
          "[diagnosis][netns][keepalive]") {
  // The keepalive idle time (1 s) has passed during the healthy second: the probes start
  // at once and go unanswered.
  const auto d = blackhole_case<keepalive_only>(keepalive_options, 3000ms,
                                                error::keepalive_timeout, "keepalive");
  CHECK(d.verdict == verdict::peer_unreachable);
  CHECK(d.evidence.probes.value_or(0) >= 1u);  // the probes went unanswered
  CHECK(d.evidence.state == lv::tcp_state::closed);  // the kernel gave up
}

// ---- a hung peer process ------------------------------------------------------------------

TEST_CASE("diagnosis netns: SIGSTOP under ping_pong is peer_unresponsive",
          "[diagnosis][netns][heartbeat][process]") {
  net::io_context io{1};
  auto child = ft::accept_peer_process<line_policy>(io, heartbeat_options(lv::role::client));
  session_t<line_policy> ours(std::move(child.first), heartbeat_options(lv::role::server));
  ft::death_watch dead;
  dead.start(ours);
  ft::run_for(io, 1s);
  REQUIRE_FALSE(dead.reason);  // control: the live child answers
  const auto t0 = steady::now();
  child.second.stop();
  const auto d = await_verdict(io, dead, ours, t0, 1300ms, "sigstop", "ping_pong<line>");
  REQUIRE(dead.reason == error::heartbeat_timeout);
  CHECK(d.verdict == verdict::peer_unresponsive);
  REQUIRE(d.evidence.last_ack_received.has_value());
  REQUIRE(d.evidence.last_data_received.has_value());
  CHECK(*d.evidence.last_ack_received < *d.evidence.last_data_received);  // its kernel ACKed
  child.second.kill();
  ours.close();
  ft::drain(io);
}

TEST_CASE("diagnosis netns: SIGSTOP under keepalive only is not detected and diagnosis says "
          "not dead",
          "[diagnosis][netns][keepalive][process]") {
  net::io_context io{1};
  auto child = ft::accept_peer_process<keepalive_only>(io, keepalive_options(lv::role::client));
  session_t<keepalive_only> ours(std::move(child.first), keepalive_options(lv::role::server));
  ft::death_watch dead;
  dead.start(ours);
  const auto t0 = steady::now();
  child.second.stop();
  // The keepalive bound (3 s) and a second more: the stopped process's kernel answers
  // every probe, so keepalive never fires.
  ft::run_until(io, [&] { return dead.reason.has_value(); }, t0 + 4s - steady::now());
  const auto d = ours.diagnosis();
  std::cout << "diagnosis: sigstop policy=keepalive reason=" << ft::reason_text(dead.reason)
            << " verdict=" << lv::to_string(d.verdict) << " after_ms=-1 (not detected in "
            << ft::to_ms(steady::now() - t0) << " ms) note: " << d.note << std::endl;
  CHECK_FALSE(dead.reason);
  CHECK(d.verdict == verdict::unknown);
  CHECK(d.note == "the peer is not dead");
  child.second.kill();
  ours.close();
  ft::drain(io);
}

// ---- a peer that stops reading while we write ------------------------------------------

/// Our session (client end) writing 64 KiB chunks without end to a plain socket that is
/// never read: its receive buffer fills, its window shuts, our data waits.
template <class Policy>
lv::diagnosis stalled_reader_case(const lv::session_options<Policy>& options,
                                  milliseconds bound, error expected,
                                  const std::string& policy) {
  net::io_context io{1};
  auto pair = ft::connected(io);
  tcp::socket never_read = std::move(pair.server);
  session_t<Policy> ours(std::move(pair.client), options);
  ft::death_watch dead;
  dead.start(ours);
  ft::flood_writer<session_t<Policy>> writer(ours);
  const auto t0 = steady::now();
  writer.start();
  const auto d = await_verdict(io, dead, ours, t0, bound, "stalled-reader", policy);
  std::cout << "diagnosis: stalled-reader policy=" << policy << " wrote " << writer.bytes()
            << " bytes" << std::endl;
  CHECK(dead.reason == expected);
  ours.close();
  never_read.close();
  ft::drain(io);
  return d;
}

TEST_CASE("diagnosis netns: a peer that stops reading under ping_pong is peer_not_reading",
          "[diagnosis][netns][heartbeat]") {
  auto o = heartbeat_options(lv::role::client);
  o.heartbeat.pinger = lv::ping_role::client;  // the plain socket never pings
  const auto d = stalled_reader_case(o, 1300ms, error::heartbeat_timeout, "ping_pong<line>");
  CHECK(d.verdict == verdict::peer_not_reading);
  CHECK(d.evidence.peer_window == 0u);
  CHECK(d.evidence.unsent_bytes.value_or(0) > 0u);
}

// Keepalive sends no probe while data waits; the zero-window probes are answered by the
// peer's kernel. What ends the connection is the user timeout (3 s), which Linux applies to
// a window that stays shut (kernel 5.11 and later); the evidence left behind shows the shut
// window.
TEST_CASE("diagnosis netns: a peer that stops reading under keepalive only is "
          "peer_not_reading",
          "[diagnosis][netns][keepalive]") {
  const auto d = stalled_reader_case(keepalive_options(lv::role::client), 3000ms,
                                     error::keepalive_timeout, "keepalive");
  CHECK(d.verdict == verdict::peer_not_reading);
  CHECK(d.evidence.peer_window == 0u);
}

}  // namespace diagnosis_netns_test
