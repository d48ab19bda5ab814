// session_options' presets and its detection bound, without sockets: what within(budget,
// role) derives, that every failure the policy can see is bounded by the budget (keepalive
// in whole seconds, the user timeout a retransmission late), that two ends built from one
// budget never cut each other off and do cut off a hung peer in time (two session engines
// on a manual clock), and that bad budgets and bad options are refused with named errors.
#include <liveness/session.hpp>

#include <liveness/engine/session_engine.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <deque>
#include <iostream>
#include <string>
#include <utility>

namespace session_budget_test {

namespace {

using namespace std::chrono_literals;
namespace lv = liveness;
namespace core = liveness::core;
using lv::error;
using lv::error_code;
using lv::role;
using line_policy = lv::heartbeat::ping_pong<lv::codec::line>;
using lp_policy = lv::heartbeat::ping_pong<lv::codec::length_prefixed>;

long long ms(core::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

bool whole_seconds(std::chrono::milliseconds d) { return d.count() % 1000 == 0; }

// The budgets a user might choose: the smallest accepted, the 6-9 s of demanding links, the
// 30-40 s of ordinary ones, and long ones.
const core::duration budgets[] = {1500ms, 2s, 2500ms, 3s, 6s, 9s, 30s, 35s, 40s, 120s, 1h};

template <class Policy>
void check_within(core::duration budget, role r) {
  INFO("budget " << ms(budget) << " ms, role " << lv::to_string(r));
  error_code ec;
  const auto o = lv::session_options<Policy>::within(budget, r, ec);
  REQUIRE_FALSE(ec);
  CHECK(o.role == r);
  CHECK_FALSE(o.validate());
  REQUIRE(o.keepalive);
  CHECK_FALSE(o.keepalive->validate());
  // The kernels take whole seconds: nothing is left to rounding.
  CHECK(whole_seconds(o.keepalive->idle));
  CHECK(whole_seconds(o.keepalive->interval));
  REQUIRE(o.keepalive->user_timeout);
  CHECK(whole_seconds(*o.keepalive->user_timeout));
  CHECK(o.keepalive->probes >= 1);
  const auto b = o.detection_bound();
  INFO(b.to_string());
  CHECK(b.worst <= budget);
  CHECK(b.dead_host_idle <= budget);
  CHECK(b.dead_host_sending <= budget);
  if constexpr (!std::is_same_v<Policy, lv::heartbeat::none>) {
    CHECK(b.hung_process <= budget);
    // The reserve for timer lateness is kept: at least 20 ms, or 2 %.
    CHECK(b.hung_process <= budget - std::max<core::duration>(20ms, budget / 50));
  } else {
    CHECK(b.hung_process == core::duration::max());
    // Keepalive alone: the user timeout, reported a retransmission late, fits too.
    CHECK(std::chrono::duration_cast<core::duration>(*o.keepalive->user_timeout) + 250ms <=
          budget);
  }
  if constexpr (std::is_base_of_v<core::ping_pong_options, typename Policy::options>) {
    CHECK(o.heartbeat.pinger == lv::ping_role::both);
    CHECK(o.heartbeat.min_ping_interval > core::duration::zero());
    CHECK(o.heartbeat.min_ping_interval <= o.heartbeat.interval / 4);
  }
}

}  // namespace

TEST_CASE("within: every failure the policy sees is bounded by the budget, in whole-second "
          "keepalive",
          "[session][budget]") {
  for (const auto budget : budgets) {
    for (const auto r : {role::client, role::server}) {
      check_within<line_policy>(budget, r);
      check_within<lp_policy>(budget, r);
      check_within<lv::heartbeat::idle_timeout>(budget, r);
      if (budget >= 2500ms) check_within<lv::heartbeat::none>(budget, r);
    }
  }
}

TEST_CASE("within: a very long budget stays within every platform's keepalive limits",
          "[session][budget]") {
  for (const core::duration budget :
       {core::duration(std::chrono::hours(24)), core::duration(std::chrono::hours(24 * 365)),
        core::duration::max()}) {
    INFO("budget " << ms(budget) << " ms");
    const auto o = lv::session_options<line_policy>::within(budget, role::client);
    CHECK_FALSE(o.validate());
    CHECK(o.keepalive->idle <= 32767s);
    CHECK(o.keepalive->interval <= 32767s);
    CHECK(o.detection_bound().worst <= budget);
    const auto n = lv::session_options<lv::heartbeat::none>::within(budget, role::client);
    CHECK_FALSE(n.validate());
    CHECK(n.detection_bound().worst <= budget);
  }
}

TEST_CASE("within: the classic budgets give the classic keepalive", "[session][budget]") {
  // 7 s (plus the reserve) is the aggressive preset's 4 s + 3 x 1 s; 35 s keeps 3 probes.
  const auto fast = lv::session_options<lv::heartbeat::none>::within(7200ms, role::client);
  CHECK(fast.keepalive->idle == 4s);
  CHECK(fast.keepalive->interval == 1s);
  CHECK(fast.keepalive->probes == 3);
  const auto slow = lv::session_options<lv::heartbeat::none>::within(35s, role::client);
  CHECK(slow.keepalive->probes == 3);
  CHECK(slow.keepalive->interval == 4s);
  CHECK(slow.keepalive->idle == 22s);
  // The heartbeat: 60 % / 40 % of what the reserve leaves.
  const auto hb = lv::session_options<line_policy>::within(10s, role::client);
  CHECK(hb.heartbeat.interval == 5880ms);
  CHECK(hb.heartbeat.timeout == 3920ms);
  CHECK(hb.detection_bound().worst_failure == lv::failure::hung_process);
  CHECK(hb.detection_bound().hung_process == 9800ms);
}

TEST_CASE("within: a server also gets the untrusted-client deadlines, a first message within "
          "the budget",
          "[session][budget]") {
  const auto server = lv::session_options<line_policy>::within(9s, role::server);
  CHECK(server.message_timeout == 10s);
  CHECK(server.first_message_timeout == 9s);
  const auto client = lv::session_options<line_policy>::within(9s, role::client);
  CHECK(client.message_timeout == core::duration::zero());
  CHECK(client.first_message_timeout == core::duration::zero());
  // suggested(): the library's defaults, plus the server's deadlines.
  const auto s = lv::session_options<line_policy>::suggested(role::server);
  CHECK(s.role == role::server);
  CHECK(s.message_timeout == 10s);
  CHECK(s.first_message_timeout == 30s);
  CHECK(s.heartbeat.interval == 15s);
  CHECK(s.keepalive->idle == 20s);
  const auto c = lv::session_options<line_policy>::suggested(role::client);
  CHECK(c.role == role::client);
  CHECK(c.message_timeout == core::duration::zero());
}

TEST_CASE("within: a budget below the smallest is refused with a message naming it",
          "[session][budget]") {
  CHECK(lv::session_options<line_policy>::smallest_budget() == 1500ms);
  CHECK(lv::session_options<lv::heartbeat::idle_timeout>::smallest_budget() == 1500ms);
  CHECK(lv::session_options<lv::heartbeat::none>::smallest_budget() == 2500ms);
  for (const core::duration budget :
       {core::duration::zero(), core::duration(-1s), core::duration(1s), core::duration(1499ms)}) {
    error_code ec;
    const auto o = lv::session_options<line_policy>::within(budget, role::server, ec);
    CHECK(ec == error::budget_too_small);
    CHECK(ec == lv::condition::invalid_configuration);
    CHECK(o.role == role::server);  // suggested(role) comes back
  }
  error_code ec;
  lv::session_options<lv::heartbeat::none>::within(2499ms, role::client, ec);
  CHECK(ec == error::budget_too_small);
  lv::session_options<lv::heartbeat::none>::within(2500ms, role::client, ec);
  CHECK_FALSE(ec);
  try {
    lv::session_options<lv::heartbeat::none>::within(2s, role::client);
    FAIL("no exception");
  } catch (const lv::system_error& e) {
    CHECK(e.code() == error::budget_too_small);
    CHECK(std::string(e.what()).find("the smallest budget is 2.500s") != std::string::npos);
  }
}

TEST_CASE("detection_bound: per failure, keepalive rounded up to whole seconds, never when "
          "nothing watches",
          "[session][budget]") {
  lv::session_options<lv::heartbeat::none> none;
  none.keepalive->idle = 1500ms;  // Linux and Windows' setsockopt path take 2 s
  none.keepalive->interval = 500ms;
  none.keepalive->probes = 2;
  none.keepalive->user_timeout = 2500ms;
  auto b = none.detection_bound();
  CHECK(b.hung_process == core::duration::max());
  CHECK(b.dead_host_idle == 4s);                // 2 s + 2 x 1 s
  CHECK(b.dead_host_sending == 3s + 250ms);    // 3 s, a retransmission late
  CHECK(b.worst == 4s);
  CHECK(b.worst_failure == lv::failure::dead_host_idle);
  CHECK(b.to_string().find("hung_process never") != std::string::npos);

  none.keepalive = std::nullopt;  // nothing watches: the kernel's retransmission limit
  b = none.detection_bound();
  CHECK(b.worst == core::duration::max());
  CHECK(b.to_string().rfind("worst never", 0) == 0);

  lv::session_options<line_policy> pp;
  pp.heartbeat.interval = 2s;
  pp.heartbeat.timeout = 1s;
  pp.keepalive = std::nullopt;
  b = pp.detection_bound();
  CHECK(b.hung_process == 3s);
  CHECK(b.dead_host_idle == 3s);
  CHECK(b.dead_host_sending == 3s);
  CHECK(b.worst_failure == lv::failure::hung_process);
  pp.keepalive = lv::keepalive_options::standard();  // 35 s: the heartbeat is faster
  CHECK(pp.detection_bound().dead_host_idle == 3s);
  pp.heartbeat.interval = 1h;  // now keepalive finds a dead host first
  b = pp.detection_bound();
  CHECK(b.dead_host_idle == 35s);
  CHECK(b.hung_process == 1h + 1s);
  CHECK(b.of(lv::failure::dead_host_sending) == 35s + 250ms);
}

TEST_CASE("session_options::validate names the bad setting", "[session][budget]") {
  lv::session_options<line_policy> o;
  CHECK_FALSE(o.validate());
  auto bad = o;
  bad.max_write_chunk = 0;
  CHECK(bad.validate() == error::invalid_session_options);
  bad = o;
  bad.read_buffer_limit = 0;
  CHECK(bad.validate() == error::invalid_session_options);
  bad = o;
  bad.message_timeout = -1s;
  CHECK(bad.validate() == error::invalid_session_options);
  bad = o;
  bad.role = static_cast<role>(7);
  CHECK(bad.validate() == error::invalid_session_options);
  bad = o;
  bad.heartbeat.timeout = 0s;
  CHECK(bad.validate() == error::heartbeat_invalid_options);
  bad = o;
  bad.heartbeat.codec.ping = "";
  CHECK(bad.validate() == error::codec_invalid_options);
  bad = o;
  bad.keepalive->probes = 0;
  CHECK(bad.validate() == error::keepalive_probes_out_of_range);
  bad = o;
  bad.keepalive = std::nullopt;  // left alone: nothing to check
  CHECK_FALSE(bad.validate());
  CHECK(std::string(error_code(error::invalid_session_options).message())
            .find("max_write_chunk") != std::string::npos);
}

// ---- two ends built from one budget, on a manual clock ----------------------------------------

namespace {

namespace engine = liveness::engine;

/// Two session engines joined by an in-memory link with a fixed one-way latency. Each end
/// writes its heartbeats as soon as the engine hands them out; the link delivers them
/// after `latency` unless the sending end is hung.
struct link_sim {
  using engine_t = engine::session_engine<lv::codec::line>;
  struct in_flight {
    core::time_point at;
    int to;
    std::string bytes;
  };
  core::manual_clock clock;
  engine_t ends[2];
  core::duration latency;
  bool hung[2] = {false, false};
  std::deque<in_flight> wire;
  core::time_point last_received[2];

  static engine_t make(const lv::session_options<line_policy>& o, core::time_point now) {
    engine::limits l;
    l.message_timeout = o.message_timeout;
    l.first_message_timeout = o.first_message_timeout;
    return engine_t(line_policy::make_detector(o.heartbeat, o.role, now),
                    line_policy::codec_options(o.heartbeat), l, now);
  }

  link_sim(const lv::session_options<line_policy>& client,
           const lv::session_options<line_policy>& server, core::duration one_way)
      : ends{make(client, clock.now()), make(server, clock.now())},
        latency(one_way),
        last_received{clock.now(), clock.now()} {}

  // A hung end runs nothing: it neither reads, nor writes, nor keeps time.
  void pump(int i) {
    if (hung[i]) return;
    const auto now = clock.now();
    ends[i].on_time(now);
    const auto frames = ends[i].take_heartbeats();
    if (frames.empty()) return;
    const std::string bytes(frames);
    ends[i].on_heartbeats_written(now, bytes.size());
    wire.push_back({now + latency, 1 - i, bytes});
  }

  /// Runs until `until`, or until an end is dead.
  void run(core::time_point until) {
    while (clock.now() < until && !ends[0].dead() && !ends[1].dead()) {
      pump(0);
      pump(1);
      if (ends[0].dead() || ends[1].dead()) return;  // the clock stays at the death
      core::time_point next = until;
      for (int i = 0; i < 2; ++i) {
        if (hung[i]) continue;
        if (auto d = ends[i].next_deadline()) next = std::min(next, *d);
      }
      if (!wire.empty()) next = std::min(next, wire.front().at);
      if (next > clock.now()) clock.advance(next - clock.now());
      while (!wire.empty() && wire.front().at <= clock.now()) {
        auto m = std::move(wire.front());
        wire.pop_front();
        if (hung[m.to]) continue;  // a hung process reads nothing
        ends[m.to].on_received(clock.now(), m.bytes.data(), m.bytes.size());
        last_received[m.to] = clock.now();
      }
    }
  }
};

}  // namespace

TEST_CASE("within: two ends built from one budget never cut each other off, and cut off a "
          "hung peer within it",
          "[session][budget]") {
  for (const core::duration budget : {core::duration(1500ms), core::duration(6s), core::duration(35s)}) {
    for (const auto latency : {0ms, 1ms, 50ms}) {
      INFO("budget " << ms(budget) << " ms, one-way latency " << latency.count() << " ms");
      const auto c = lv::session_options<line_policy>::within(budget, role::client);
      const auto s = lv::session_options<line_policy>::within(budget, role::server);
      link_sim sim(c, s, latency);
      sim.run(sim.clock.now() + budget * 20);
      CHECK_FALSE(sim.ends[0].dead());
      CHECK_FALSE(sim.ends[1].dead());
      // Both ends pinged and were answered; the flood guard saw nothing.
      CHECK(sim.ends[0].detector().stats().pongs_received > 0);
      CHECK(sim.ends[1].detector().stats().pongs_received +
                sim.ends[1].detector().stats().pings_received >
            0);

      // The server's process hangs: the client reports it within the budget of the last
      // byte it received.
      sim.hung[1] = true;
      sim.run(sim.clock.now() + budget * 3);
      REQUIRE(sim.ends[0].dead());
      CHECK(sim.ends[0].reason() == error::heartbeat_timeout);
      const auto took = sim.clock.now() - sim.last_received[0];
      INFO("declared dead " << ms(took) << " ms after the last byte");
      CHECK(took <= budget);
    }
  }
}

}  // namespace session_budget_test
