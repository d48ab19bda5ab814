// A TLS peer behind a pulled cable, in the private network namespace of this process
// (tests/support/netns_main.cpp), cut with nftables (tests/support/netns.hpp): both ends are
// sessions over `net::ssl::stream<tcp::socket>` (liveness/tls.hpp), the handshake done
// first. With a ping_pong heartbeat inside TLS the cut is `heartbeat_timeout` within the
// heartbeat's bound; with keepalive only (on the TLS stream's TCP socket) it is
// `keepalive_timeout` within keepalive's bound. Each case prints the fault line of
// fault_support.hpp and bounds its own time (bound + margin).
#include <liveness/tls.hpp>

#include "fault_support.hpp"
#include "netns.hpp"
#include "test_support.hpp"
#include "tls_support.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <utility>

namespace tls_netns_test {

using namespace std::chrono_literals;

namespace {

namespace lv = liveness;
namespace ft = liveness_test::fault;
namespace net = liveness::net;
using lv::error;
using std::chrono::milliseconds;
using liveness_test::blackhole;
using liveness_test::tls_stream;

template <class Policy>
using tls_session = lv::session<tls_stream, Policy>;
using lp_policy = lv::heartbeat::ping_pong<lv::codec::length_prefixed>;

/// Pulls the cable of the connection through `port` and waits for `ours` to die: the reason
/// must be `expected` within `bound` + margin of the cut, and not before `min`.
template <class Session>
void expect_cut_detected(net::io_context& io, Session& ours, std::uint16_t port,
                         const std::string& policy, const std::string& detected_by,
                         error expected, milliseconds bound, milliseconds min) {
  ft::death_watch dead;
  dead.start(ours);
  std::optional<blackhole> cable;
  const auto before = ft::steady::now();
  cable.emplace(port, blackhole::direction::both);
  const auto after = ft::steady::now();
  ft::run_until(io, [&] { return dead.reason.has_value(); }, bound + ft::margin + 1s);
  const bool detected = dead.dead();
  const auto end = detected ? dead.when : ft::steady::now();
  const auto after_ms = ft::to_ms(end - before);
  ft::print_result("tls-blackhole-idle", policy, detected ? detected_by : "none",
                   ft::reason_text(dead.reason), after_ms, std::to_string(bound.count()));
  REQUIRE(detected);
  CHECK(*dead.reason == expected);
  CHECK(after_ms <= (bound + ft::margin).count());
  CHECK(dead.when - after >= min - 5ms);
}

}  // namespace

TEST_CASE("tls netns: a TLS peer behind a pulled cable, ping_pong inside TLS, is "
          "heartbeat_timeout",
          "[netns][tls][heartbeat]") {
  net::io_context io{1};
  liveness_test::tls_contexts ctx;
  auto t = liveness_test::tls_connected(io, ctx);
  lv::session_options<lp_policy> o;
  o.keepalive = ft::fast_keepalive;
  o.heartbeat.interval = 300ms;
  o.heartbeat.timeout = 300ms;
  tls_session<lp_policy> ours(std::move(t.client),
                              liveness_test::with_role(o, lv::role::client));
  tls_session<lp_policy> peer(std::move(t.server),
                              liveness_test::with_role(o, lv::role::server));
  // Control: a healthy idle TLS link lives through several heartbeat rounds.
  ft::run_for(io, 1s);
  REQUIRE_FALSE(ours.is_dead());
  REQUIRE_FALSE(peer.is_dead());
  REQUIRE(ours.stats().pongs_received > 0);
  // The heartbeat (600 ms) is well inside keepalive's 3 s: it finds the cut.
  expect_cut_detected(io, ours, t.client_port, "tls+ping_pong<length_prefixed>", "heartbeat",
                      error::heartbeat_timeout, 600ms, 0ms);
  ours.close();
  peer.close();
  ft::drain(io);
}

TEST_CASE("tls netns: a TLS peer behind a pulled cable, keepalive only on the TCP socket, is "
          "keepalive_timeout",
          "[netns][tls][keepalive]") {
  net::io_context io{1};
  liveness_test::tls_contexts ctx;
  auto t = liveness_test::tls_connected(io, ctx);
  lv::session_options<lv::heartbeat::none> o;
  o.keepalive = ft::fast_keepalive;
  tls_session<lv::heartbeat::none> ours(std::move(t.client),
                                        liveness_test::with_role(o, lv::role::client));
  tls_session<lv::heartbeat::none> peer(std::move(t.server),
                                        liveness_test::with_role(o, lv::role::server));
  REQUIRE(ours.keepalive().enabled);
  REQUIRE(ours.keepalive().detection_bound);
  const milliseconds bound = *ours.keepalive().detection_bound;
  REQUIRE(bound == 3000ms);
  // Not before the idle time: the first probe is what finds the dead link.
  expect_cut_detected(io, ours, t.client_port, "tls+keepalive", "keepalive",
                      error::keepalive_timeout, bound, ft::fast_keepalive.idle);
  ours.close();
  peer.close();
  ft::drain(io);
}

}  // namespace tls_netns_test
