// The fault matrix: liveness::session against real faults, in the private network namespace
// of this process (tests/support/netns_main.cpp), cut with nftables (tests/support/netns.hpp).
//
// For every case: the policy (keepalive only / idle_timeout / ping_pong), the fault, the
// expected reason and the bound. A fault must be reported with that reason within
// bound + margin (fault_support.hpp); a control case must produce no death and intact data.
// Each case prints one line
//
//   fault: <case> policy=<p> detected_by=<what> reason=<r> after_ms=<n> bound_ms=<b>
//
// from which docs/reliability.md is filled. after_ms counts from the moment the fault was
// put in place (before the nft command or the signal).
//
// Budgets: keepalive 1 s idle, 1 s interval, 2 probes, derived user timeout 3 s; heartbeat
// 300 ms interval + 300 ms timeout unless a case says otherwise.
#include <liveness/session.hpp>

#include "fault_support.hpp"
#include "netns.hpp"
#include "test_support.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <optional>
#include <string>

namespace fault_matrix_test {

using namespace std::chrono_literals;

namespace {

namespace lv = liveness;
namespace ft = liveness_test::fault;
namespace net = liveness::net;
using tcp = net::ip::tcp;
using lv::error;
using lv::error_code;
using lv::core::ping_role;
using ft::steady;
using std::chrono::milliseconds;
using blackhole = liveness_test::blackhole;

using keepalive_only = lv::heartbeat::none;
using line_policy = lv::heartbeat::ping_pong<lv::codec::line>;
using lp_policy = lv::heartbeat::ping_pong<lv::codec::length_prefixed>;
template <class Policy>
using session_t = lv::session<tcp::socket, Policy>;

template <class Policy>
lv::session_options<Policy> with_keepalive(lv::keepalive_options k = ft::fast_keepalive) {
  lv::session_options<Policy> o;
  o.keepalive = k;
  return o;
}

/// ping_pong options: `interval` + `timeout`, both ends ping, the peer may ping every 20 ms.
template <class Policy>
lv::session_options<Policy> heartbeat_options(milliseconds interval, milliseconds timeout) {
  auto o = with_keepalive<Policy>();
  o.heartbeat.interval = interval;
  o.heartbeat.timeout = timeout;
  o.heartbeat.pinger = ping_role::both;
  o.heartbeat.min_ping_interval = 20ms;
  return o;
}

lv::session_options<lv::heartbeat::idle_timeout> idle_options(milliseconds timeout) {
  auto o = with_keepalive<lv::heartbeat::idle_timeout>();
  o.heartbeat.timeout = timeout;
  return o;
}

/// When a fault was put in place: just before (upper bounds are measured from here) and
/// just after (lower bounds).
struct fault_time {
  steady::time_point before, after;
};

/// Waits until `watch` saw a death or `limit` after the fault passed, then prints the line
/// and checks the reason and the bound. `min_ms`: the earliest the expected mechanism can
/// fire after the fault (proves which mechanism it was).
void expect_detection(lv::net::io_context& io, const ft::death_watch& watch, const fault_time& t,
                      const std::string& name, const std::string& policy,
                      const std::string& detected_by, error expected, milliseconds bound,
                      long long min_ms = 0) {
  ft::run_until(io, [&] { return watch.reason.has_value(); },
                t.after + bound + ft::margin + 1s - steady::now());
  const bool detected = watch.dead();
  const auto end = detected ? watch.when : steady::now();
  const auto after_ms = ft::to_ms(end - t.before);
  ft::print_result(name, policy, detected ? detected_by : "none", ft::reason_text(watch.reason),
                   after_ms, std::to_string(bound.count()));
  INFO("case " << name << ": " << (detected ? "dead" : "alive") << " after " << after_ms
               << " ms, bound " << bound.count() << " ms + margin " << ft::margin.count()
               << " ms, reason " << ft::reason_text(watch.reason));
  REQUIRE(detected);
  CHECK(*watch.reason == expected);
  CHECK(after_ms <= (bound + ft::margin).count());
  CHECK(ft::to_ms(watch.when - t.after) >= min_ms);
}

template <class Session>
void close_all(lv::net::io_context& io, Session& a) {
  a.close();
  ft::drain(io);
}

template <class A, class B>
void close_all(lv::net::io_context& io, A& a, B& b) {
  a.close();
  b.close();
  ft::drain(io);
}

fault_time pull_cable(std::optional<blackhole>& cable, std::uint16_t port,
                      blackhole::direction d = blackhole::direction::both) {
  fault_time t;
  t.before = steady::now();
  cable.emplace(port, d);
  t.after = steady::now();
  return t;
}

/// Sends one byte every `period` on a plain socket until a write fails: a peer whose
/// protocol talks regularly (for idle_timeout).
class ticker {
 public:
  ticker(tcp::socket& s, milliseconds period) : s_(s), period_(period), timer_(s.get_executor()) {}
  void start() {
    net::async_write(s_, net::buffer(byte_, 1), [this](const error_code& ec, std::size_t) {
      if (ec) return;
      timer_.expires_after(period_);
      timer_.async_wait([this](const error_code& e) {
        if (!e) start();
      });
    });
  }
  void cancel() { timer_.cancel(); }

 private:
  tcp::socket& s_;
  milliseconds period_;
  net::steady_timer timer_;
  char byte_[1] = {'t'};
};

}  // namespace

// ---- blackhole both directions while idle ----------------------------------------------

TEST_CASE("fault: blackhole both directions while idle, keepalive only",
          "[fault][netns][keepalive]") {
  net::io_context io{1};
  ft::death_watch ours_dead;
  auto pair = ft::connected(io);
  session_t<keepalive_only> ours(std::move(pair.client), liveness_test::with_role(with_keepalive<keepalive_only>(), liveness::role::client));
  session_t<keepalive_only> peer(std::move(pair.server), liveness_test::with_role(with_keepalive<keepalive_only>(), liveness::role::server));
  REQUIRE(ours.keepalive().detection_bound);
  const milliseconds bound = *ours.keepalive().detection_bound;
  REQUIRE(bound == 3000ms);
  ours_dead.start(ours);

  std::optional<blackhole> cable;
  const auto t = pull_cable(cable, pair.client_port);
  // Not before the idle time: the first probe is what finds the dead link.
  expect_detection(io, ours_dead, t, "blackhole-idle", "keepalive", "keepalive", error::keepalive_timeout,
                   bound, ft::fast_keepalive.idle.count());
  close_all(io, ours, peer);
}

TEST_CASE("fault: blackhole both directions while idle, ping_pong heartbeat",
          "[fault][netns][heartbeat]") {
  net::io_context io{1};
  ft::death_watch ours_dead, peer_dead;
  auto pair = ft::connected(io);
  const auto opts = heartbeat_options<line_policy>(300ms, 300ms);
  session_t<line_policy> ours(std::move(pair.client), liveness_test::with_role(opts, liveness::role::client));
  session_t<line_policy> peer(std::move(pair.server), liveness_test::with_role(opts, liveness::role::server));
  ours_dead.start(ours);
  peer_dead.start(peer);

  // Control: a healthy idle link lives through several heartbeat rounds.
  ft::run_for(io, 1s);
  REQUIRE_FALSE(ours_dead.reason);
  REQUIRE_FALSE(peer_dead.reason);
  REQUIRE(ours.stats().pongs_received > 0);

  std::optional<blackhole> cable;
  const auto t = pull_cable(cable, pair.client_port);
  expect_detection(io, ours_dead, t, "blackhole-idle", "ping_pong<line>", "heartbeat",
                   error::heartbeat_timeout, 600ms);
  close_all(io, ours, peer);
}

TEST_CASE("fault: blackhole both directions while idle, idle_timeout with a chatty peer",
          "[fault][netns][idle_timeout]") {
  net::io_context io{1};
  ft::death_watch ours_dead;
  auto pair = ft::connected(io);
  session_t<lv::heartbeat::idle_timeout> ours(std::move(pair.client), liveness_test::with_role(idle_options(500ms), liveness::role::client));
  ticker chatty(pair.server, 100ms);  // the peer's protocol: a byte every 100 ms
  chatty.start();
  ft::reader<session_t<lv::heartbeat::idle_timeout>> r(ours);
  r.start();
  ours_dead.start(ours);

  // Control: the peer's own traffic keeps the session alive.
  ft::run_for(io, 1500ms);
  REQUIRE_FALSE(ours_dead.reason);
  REQUIRE(r.bytes() >= 5);

  std::optional<blackhole> cable;
  const auto t = pull_cable(cable, pair.client_port);
  expect_detection(io, ours_dead, t, "blackhole-idle", "idle_timeout", "idle_timeout",
                   error::idle_timeout, 500ms);
  chatty.cancel();
  error_code ignored;
  pair.server.close(ignored);
  close_all(io, ours);
}

// ---- blackhole while our side is writing ----------------------------------------------

TEST_CASE("fault: blackhole while writing, keepalive with user timeout",
          "[fault][netns][keepalive]") {
  net::io_context io{1};
  ft::death_watch ours_dead;
  auto pair = ft::connected(io);
  session_t<keepalive_only> ours(std::move(pair.client), liveness_test::with_role(with_keepalive<keepalive_only>(), liveness::role::client));
  session_t<keepalive_only> peer(std::move(pair.server), liveness_test::with_role(with_keepalive<keepalive_only>(), liveness::role::server));
  REQUIRE(ours.keepalive().detection_bound_in_flight);
  const milliseconds bound = *ours.keepalive().detection_bound_in_flight;
  REQUIRE(bound == 3000ms);
  ft::flood_writer<session_t<keepalive_only>> w(ours);
  ft::reader<session_t<keepalive_only>> r(peer);
  w.start();
  r.start();
  ours_dead.start(ours);
  ft::run_for(io, 300ms);
  REQUIRE(r.bytes() > 0);  // data flows before the cut

  std::optional<blackhole> cable;
  const auto t = pull_cable(cable, pair.client_port);
  // Keepalive sends no probes while data is unacknowledged: only the user timeout can end
  // it, and not much before it runs out.
  expect_detection(io, ours_dead, t, "blackhole-writing", "keepalive", "user_timeout",
                   error::keepalive_timeout, bound, (bound - 1s).count());
  close_all(io, ours, peer);
}

TEST_CASE("fault: blackhole while writing, keepalive without user timeout stays blind",
          "[fault][netns][keepalive]") {
  net::io_context io{1};
  ft::death_watch ours_dead;
  auto pair = ft::connected(io);
  auto opts = with_keepalive<keepalive_only>();
  opts.keepalive->user_timeout = lv::keepalive_options::no_user_timeout;
  session_t<keepalive_only> ours(std::move(pair.client), liveness_test::with_role(opts, liveness::role::client));
  session_t<keepalive_only> peer(std::move(pair.server), liveness_test::with_role(opts, liveness::role::server));
  REQUIRE_FALSE(ours.keepalive().detection_bound_in_flight);  // the kernel's ~15 min
  const milliseconds idle_bound = *ours.keepalive().detection_bound;
  ft::flood_writer<session_t<keepalive_only>> w(ours);
  ft::reader<session_t<keepalive_only>> r(peer);
  w.start();
  r.start();
  ours_dead.start(ours);
  ft::run_for(io, 300ms);
  REQUIRE(r.bytes() > 0);

  std::optional<blackhole> cable;
  const auto t = pull_cable(cable, pair.client_port);
  const auto wait = idle_bound + 2s;
  ft::run_until(io, [&] { return ours_dead.reason.has_value(); }, t.after + wait - steady::now());
  const auto after_ms = ft::to_ms(steady::now() - t.before);
  ft::print_result("blackhole-writing-no-user-timeout", "keepalive(no user timeout)",
                   ours_dead.dead() ? "keepalive" : "none", ft::reason_text(ours_dead.reason),
                   after_ms, "none(kernel retransmits ~15 min)");
  // The lesson: keepalive alone does not see a dead link while our data is in flight.
  CHECK_FALSE(ours_dead.reason);
  CHECK_FALSE(ours.is_dead());
  CHECK(w.bytes() > 0);
  // ...because the kernel is retransmitting our data, not probing: it would go on for
  // tcp_retries2 (~15 min) before giving up.
  tcp_info info{};
  socklen_t len = sizeof info;
  REQUIRE(::getsockopt(ours.next_layer().native_handle(), IPPROTO_TCP, TCP_INFO, &info, &len) ==
          0);
  // Our data is unacknowledged: in flight and retransmitted, or (when the slow peer had
  // already closed its window before the cut: ASan builds) waiting behind unanswered
  // window probes. Either way keepalive sends nothing.
  std::cout << "  no user timeout: state " << static_cast<int>(info.tcpi_state) << ", unacked "
            << info.tcpi_unacked << ", retransmits " << static_cast<int>(info.tcpi_retransmits)
            << ", window probes " << static_cast<int>(info.tcpi_probes) << std::endl;
  CHECK(static_cast<int>(info.tcpi_state) == TCP_ESTABLISHED);
  CHECK(((info.tcpi_unacked > 0 && info.tcpi_retransmits > 0) || info.tcpi_probes > 0));
  close_all(io, ours, peer);
}

TEST_CASE("fault: blackhole while writing, ping_pong heartbeat", "[fault][netns][heartbeat]") {
  net::io_context io{1};
  ft::death_watch ours_dead;
  auto pair = ft::connected(io);
  const auto opts = heartbeat_options<lp_policy>(300ms, 300ms);
  session_t<lp_policy> ours(std::move(pair.client), liveness_test::with_role(opts, liveness::role::client));
  session_t<lp_policy> peer(std::move(pair.server), liveness_test::with_role(opts, liveness::role::server));
  ft::flood_writer<session_t<lp_policy>> w(ours);
  ft::reader<session_t<lp_policy>> r(peer);
  w.start();
  r.start();
  ours_dead.start(ours);
  ft::run_for(io, 500ms);
  REQUIRE_FALSE(ours_dead.reason);
  REQUIRE(r.bytes() > 0);

  std::optional<blackhole> cable;
  const auto t = pull_cable(cable, pair.client_port);
  // Our writes complete into the send buffer for a moment after the cut; the docs allow
  // for that in the margin.
  expect_detection(io, ours_dead, t, "blackhole-writing", "ping_pong<length_prefixed>",
                   "heartbeat", error::heartbeat_timeout, 600ms);
  close_all(io, ours, peer);
}

// ---- one-way loss -----------------------------------------------------------------------

TEST_CASE("fault: one-way loss, only the peer's packets dropped, ping_pong heartbeat",
          "[fault][netns][heartbeat]") {
  net::io_context io{1};
  ft::death_watch ours_dead;
  auto pair = ft::connected(io);
  const auto opts = heartbeat_options<line_policy>(300ms, 300ms);
  session_t<line_policy> ours(std::move(pair.client), liveness_test::with_role(opts, liveness::role::client));
  session_t<line_policy> peer(std::move(pair.server), liveness_test::with_role(opts, liveness::role::server));
  ours_dead.start(ours);
  ft::run_for(io, 700ms);
  REQUIRE_FALSE(ours_dead.reason);

  // Everything the peer (the server end) sends is lost; what we send still arrives.
  std::optional<blackhole> cable;
  const auto t = pull_cable(cable, pair.server_port, blackhole::direction::from_port);
  expect_detection(io, ours_dead, t, "one-way-loss", "ping_pong<line>", "heartbeat",
                   error::heartbeat_timeout, 600ms);
  close_all(io, ours, peer);
}

TEST_CASE("fault: one-way loss, only the peer's packets dropped, keepalive only",
          "[fault][netns][keepalive]") {
  net::io_context io{1};
  ft::death_watch ours_dead;
  auto pair = ft::connected(io);
  session_t<keepalive_only> ours(std::move(pair.client), liveness_test::with_role(with_keepalive<keepalive_only>(), liveness::role::client));
  session_t<keepalive_only> peer(std::move(pair.server), liveness_test::with_role(with_keepalive<keepalive_only>(), liveness::role::server));
  const milliseconds bound = *ours.keepalive().detection_bound;
  ours_dead.start(ours);

  // Our probes reach the peer; its acknowledgements are lost.
  std::optional<blackhole> cable;
  const auto t = pull_cable(cable, pair.server_port, blackhole::direction::from_port);
  expect_detection(io, ours_dead, t, "one-way-loss", "keepalive", "keepalive",
                   error::keepalive_timeout, bound, ft::fast_keepalive.idle.count());
  close_all(io, ours, peer);
}

// ---- link flap shorter than the budget --------------------------------------------------

TEST_CASE("fault: link flap shorter than the budget, no false alarm, data intact",
          "[fault][netns][heartbeat][control]") {
  net::io_context io{1};
  ft::death_watch ours_dead, peer_dead;
  auto pair = ft::connected(io);
  // Budget: heartbeat 500 ms + 1500 ms = 2 s, keepalive user timeout 3 s. Flap: 400 ms.
  const auto opts = heartbeat_options<lp_policy>(500ms, 1500ms);
  session_t<lp_policy> ours(std::move(pair.client), liveness_test::with_role(opts, liveness::role::client));
  session_t<lp_policy> peer(std::move(pair.server), liveness_test::with_role(opts, liveness::role::server));
  ours_dead.start(ours);
  peer_dead.start(peer);

  // 8 MiB each way, 64 KiB every 10 ms (about 3 s), the flap in the middle.
  constexpr std::uint64_t total = 8u << 20;
  using W = ft::stream_writer<session_t<lp_policy>>;
  using C = ft::stream_checker<session_t<lp_policy>>;
  W up(ours, ft::stream_generator(11, false, total), 10ms);
  W down(peer, ft::stream_generator(12, false, total), 10ms);
  C up_check(peer, ft::stream_generator(11, false, total), total);
  C down_check(ours, ft::stream_generator(12, false, total), total);
  up.start();
  down.start();
  up_check.start();
  down_check.start();
  ft::run_for(io, 1s);
  REQUIRE_FALSE(ours_dead.reason);
  REQUIRE(up_check.bytes() > 0);
  REQUIRE(down_check.bytes() > 0);

  const auto flap_start = steady::now();
  {
    std::optional<blackhole> cable;
    pull_cable(cable, pair.client_port);
    ft::run_for(io, 400ms);
  }  // cable back
  const auto flap_ms = ft::to_ms(steady::now() - flap_start);

  const bool finished = ft::run_until(io, [&] {
    return (up_check.done() && down_check.done()) || ours_dead.reason || peer_dead.reason;
  }, 30s);
  // Stay a full budget longer: a late false alarm counts too.
  ft::run_for(io, 2s);
  ft::print_result("link-flap-" + std::to_string(flap_ms) + "ms", "ping_pong<length_prefixed>",
                   ours_dead.dead() || peer_dead.dead() ? "heartbeat" : "none",
                   ft::reason_text(ours_dead.reason ? ours_dead.reason : peer_dead.reason),
                   flap_ms, "2000");
  CHECK(finished);
  CHECK_FALSE(ours_dead.reason);
  CHECK_FALSE(peer_dead.reason);
  CHECK(up_check.bytes() == total);
  CHECK(down_check.bytes() == total);
  CHECK_FALSE(up_check.first_mismatch());
  CHECK_FALSE(down_check.first_mismatch());
  CHECK(up_check.sum() == up.sum());
  CHECK(down_check.sum() == down.sum());
  up.cancel();
  down.cancel();
  close_all(io, ours, peer);
}

// ---- the peer process hangs or crashes --------------------------------------------------

TEST_CASE("fault: peer process SIGSTOPped, ping_pong heartbeat detects it",
          "[fault][netns][heartbeat][process]") {
  net::io_context io{1};
  ft::death_watch ours_dead;
  const auto opts = heartbeat_options<line_policy>(300ms, 300ms);
  auto peer = ft::accept_peer_process<line_policy>(io, opts);
  session_t<line_policy> ours(std::move(peer.first), liveness_test::with_role(opts, liveness::role::server));
  ours_dead.start(ours);
  ft::run_for(io, 1s);
  REQUIRE_FALSE(ours_dead.reason);  // control: the live child answers
  REQUIRE(ours.stats().pongs_received + ours.stats().pings_received > 0);

  fault_time t;
  t.before = steady::now();
  peer.second.stop();
  t.after = steady::now();
  expect_detection(io, ours_dead, t, "peer-sigstop", "ping_pong<line>", "heartbeat",
                   error::heartbeat_timeout, 600ms);
  peer.second.kill();
  close_all(io, ours);
}

// A hung peer while we keep writing small messages: its kernel takes every one of them
// at once, which proves nothing about the process. Only a write that had to wait for the
// peer's window counts as a sign that the peer reads.
TEST_CASE("fault: peer process SIGSTOPped while we keep writing, ping_pong heartbeat",
          "[fault][netns][heartbeat][process]") {
  net::io_context io{1};
  ft::death_watch ours_dead;
  const auto opts = heartbeat_options<line_policy>(300ms, 300ms);
  auto peer = ft::accept_peer_process<line_policy>(io, opts);
  session_t<line_policy> ours(std::move(peer.first), liveness_test::with_role(opts, liveness::role::server));
  ours_dead.start(ours);
  // A line every 100 ms, faster than the heartbeat timeout, for the whole test.
  net::steady_timer tick(io);
  const std::string line = "tick\n";
  std::uint64_t written = 0;
  std::function<void()> next = [&] {
    tick.expires_after(100ms);
    tick.async_wait([&](const error_code& ec) {
      if (ec || ours.is_dead()) return;
      net::async_write(ours, net::buffer(line), [&](const error_code& wec, std::size_t) {
        if (!wec) ++written;
        next();
      });
    });
  };
  next();
  ft::run_for(io, 1s);
  REQUIRE_FALSE(ours_dead.reason);  // control: the live child answers
  REQUIRE(written >= 5);

  fault_time t;
  t.before = steady::now();
  peer.second.stop();
  t.after = steady::now();
  expect_detection(io, ours_dead, t, "peer-sigstop-while-writing", "ping_pong<line>",
                   "heartbeat", error::heartbeat_timeout, 600ms);
  tick.cancel();
  peer.second.kill();
  close_all(io, ours);
}

TEST_CASE("fault: peer process SIGSTOPped, keepalive only does not detect it",
          "[fault][netns][keepalive][process]") {
  net::io_context io{1};
  ft::death_watch ours_dead;
  const auto opts = with_keepalive<keepalive_only>();
  auto peer = ft::accept_peer_process<keepalive_only>(io, opts);
  session_t<keepalive_only> ours(std::move(peer.first), liveness_test::with_role(opts, liveness::role::server));
  const milliseconds bound = *ours.keepalive().detection_bound;
  ours_dead.start(ours);

  const auto before = steady::now();
  peer.second.stop();
  // Twice the keepalive bound: the stopped process's kernel answers every probe.
  ft::run_until(io, [&] { return ours_dead.reason.has_value(); },
                before + 2 * bound - steady::now());
  const auto after_ms = ft::to_ms(steady::now() - before);
  ft::print_result("peer-sigstop", "keepalive", ours_dead.dead() ? "keepalive" : "none",
                   ft::reason_text(ours_dead.reason), after_ms,
                   "none(keepalive bound " + std::to_string(bound.count()) + " passed twice)");
  // The lesson users need: keepalive cannot see a hung process; only a heartbeat can.
  CHECK_FALSE(ours_dead.reason);
  CHECK_FALSE(ours.is_dead());
  peer.second.kill();
  close_all(io, ours);
}

TEST_CASE("fault: peer process SIGKILLed, reset or EOF reported at once",
          "[fault][netns][keepalive][process]") {
  net::io_context io{1};
  ft::death_watch ours_dead;
  const auto opts = with_keepalive<keepalive_only>();
  auto peer = ft::accept_peer_process<keepalive_only>(io, opts);
  session_t<keepalive_only> ours(std::move(peer.first), liveness_test::with_role(opts, liveness::role::server));
  ours_dead.start(ours);
  ft::run_for(io, 200ms);
  REQUIRE_FALSE(ours_dead.reason);

  fault_time t;
  t.before = steady::now();
  peer.second.kill();  // its kernel closes the socket: FIN, or RST with unread data
  t.after = steady::now();
  ft::run_until(io, [&] { return ours_dead.reason.has_value(); },
                t.after + ft::margin + 1s - steady::now());
  const bool detected = ours_dead.dead();
  const auto after_ms = ft::to_ms((detected ? ours_dead.when : steady::now()) - t.before);
  ft::print_result("peer-sigkill", "keepalive", detected ? "tcp_fin_or_rst" : "none",
                   ft::reason_text(ours_dead.reason), after_ms, "0");
  REQUIRE(detected);
  CHECK((*ours_dead.reason == error::peer_closed || *ours_dead.reason == error::peer_reset));
  CHECK(after_ms <= ft::margin.count());
  close_all(io, ours);
}

// ---- a busy peer is not a dead peer -----------------------------------------------------

namespace {

struct slow_reader_result {
  bool finished;
  long long elapsed_ms;
  std::optional<error_code> ours, peer;
  std::uint64_t received;
  bool intact;
};

/// 16 MiB (or `total`) from us, written as fast as the socket takes it, to a peer whose
/// application takes 64 KiB every `pause`; heartbeat 100 ms + 300 ms on both ends.
/// `small_buffers`: 64 KiB socket buffers and a 256 KiB read_buffer_limit, so that the data
/// still queued when our last write completes drains within the heartbeat timeout.
slow_reader_result slow_reader_transfer(const std::string& name, std::uint64_t total,
                                        milliseconds pause, bool small_buffers) {
  net::io_context io{1};
  ft::death_watch ours_dead, peer_dead;
  auto pair = ft::connected(io);
  auto opts = heartbeat_options<lp_policy>(100ms, 300ms);
  auto peer_opts = opts;
  if (small_buffers) {
    pair.client.set_option(net::socket_base::send_buffer_size(64 * 1024));
    pair.server.set_option(net::socket_base::receive_buffer_size(64 * 1024));
    peer_opts.read_buffer_limit = 256 * 1024;
  }
  session_t<lp_policy> ours(std::move(pair.client), liveness_test::with_role(opts, liveness::role::client));
  session_t<lp_policy> peer(std::move(pair.server), liveness_test::with_role(peer_opts, liveness::role::server));
  ours_dead.start(ours);
  peer_dead.start(peer);

  ft::stream_writer<session_t<lp_policy>> w(ours, ft::stream_generator(21, false, total));
  ft::stream_checker<session_t<lp_policy>> slow(peer, ft::stream_generator(21, false, total),
                                                total, 64 * 1024, pause);
  const auto start = steady::now();
  w.start();
  slow.start();
  const bool finished = ft::run_until(io, [&] {
    return slow.done() || ours_dead.reason || peer_dead.reason;
  }, start + 60s - steady::now());
  const auto elapsed_ms = ft::to_ms(steady::now() - start);
  ft::run_for(io, 500ms);  // a late false alarm counts too
  ft::print_result(name, "ping_pong<length_prefixed>",
                   ours_dead.dead() || peer_dead.dead() ? "heartbeat" : "none",
                   ft::reason_text(ours_dead.reason ? ours_dead.reason : peer_dead.reason),
                   elapsed_ms, "400");
  std::cout << "  " << name << ": writer done " << w.done() << " (" << w.bytes()
            << " bytes), ours " << ft::reason_text(ours_dead.reason) << " at "
            << (ours_dead.reason ? ft::to_ms(ours_dead.when - start) : -1) << " ms, peer "
            << ft::reason_text(peer_dead.reason) << " at "
            << (peer_dead.reason ? ft::to_ms(peer_dead.when - start) : -1) << " ms, pings sent "
            << ours.stats().pings_sent << ", pongs received " << ours.stats().pongs_received
            << std::endl;
  slow_reader_result result{finished,         elapsed_ms, ours_dead.reason, peer_dead.reason,
                            slow.bytes(),
                            !slow.first_mismatch() && slow.sum() == w.sum()};
  slow.cancel();
  close_all(io, ours, peer);
  return result;
}

}  // namespace

TEST_CASE("fault: peer busy receiving a large transfer slowly, no false alarm",
          "[fault][netns][heartbeat][control]") {
  constexpr std::uint64_t total = 16u << 20;
  const auto r = slow_reader_transfer("peer-slow-reader-16MiB", total, 10ms, true);
  CHECK(r.finished);
  CHECK_FALSE(r.ours);
  CHECK_FALSE(r.peer);
  CHECK(r.received == total);
  CHECK(r.intact);
  CHECK(r.elapsed_ms > 1000);  // it really was slow: many heartbeat budgets long
}

// KNOWN SESSION BUG (reported to the owner of include/liveness/impl/session.hpp): our own
// write progress is the sender's only proof that a slow reader is alive. Once the last
// write has completed into the kernel, nothing counts any more, while our ping waits behind
// the data still queued for the peer (socket buffers + the peer's read_buffer_limit). If
// the peer drains that backlog slower than the heartbeat timeout, a sender that relied on
// its own writes alone would declare it dead although it reads all the time. Here: 1 MiB+
// of backlog read at 3.2 MB/s against a 300 ms timeout. The reader's progress pongs (it
// receives data and writes nothing) keep the sender informed.
TEST_CASE("fault: peer slowly draining a backlog longer than the timeout, no false alarm",
          "[fault][netns][heartbeat][control]") {
  constexpr std::uint64_t total = 8u << 20;
  const auto r = slow_reader_transfer("peer-slow-backlog-8MiB", total, 20ms, false);
  CHECK(r.finished);
  CHECK_FALSE(r.ours);
  CHECK_FALSE(r.peer);
  CHECK(r.received == total);
  CHECK(r.intact);
}

}  // namespace fault_matrix_test
