// Unit tests of liveness/core/detector.hpp and liveness/core/clock.hpp: every transition of
// the detector, driven by a manual clock. No sleeps, no sockets.
#include <liveness/core/detector.hpp>

#include "test_support.hpp"

#include <liveness/core/clock.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <system_error>

namespace core_detector_test {

namespace {

using namespace std::chrono_literals;
namespace core = liveness::core;
using liveness::error;
using core::action;

/// A manual clock plus helpers that express times as milliseconds since the start, which
/// Catch can print.
struct timeline {
  core::manual_clock clock;
  core::time_point start = clock.now();

  core::time_point now() const { return clock.now(); }
  core::time_point at(std::chrono::milliseconds t) const { return start + t; }
  void go_to(std::chrono::milliseconds t) { clock.advance_to(start + t); }

  /// The detector's next deadline in ms since the start; -1 when there is none.
  long long deadline(const core::detector& d) const {
    const auto t = d.next_deadline();
    if (!t) return -1;
    return std::chrono::duration_cast<std::chrono::milliseconds>(*t - start).count();
  }
};

bool is_refused_options(const liveness::error_code& ec) {
  return ec == liveness::error::heartbeat_invalid_options;
}

core::ping_pong_options pp(std::chrono::milliseconds interval, std::chrono::milliseconds timeout,
                           core::ping_role role = core::ping_role::both) {
  core::ping_pong_options o;
  o.interval = interval;
  o.timeout = timeout;
  o.pinger = role;
  return o;
}

/// `pp(...)` with `progress_pongs` off.
core::ping_pong_options pp_without_progress_pongs(std::chrono::milliseconds interval,
                                                  std::chrono::milliseconds timeout,
                                                  core::ping_role role) {
  auto o = pp(interval, timeout, role);
  o.progress_pongs = false;
  return o;
}

/// At `t` ms, 1000 bytes of user data arrive.
void data_at(timeline& tl, core::detector& d, int t) {
  tl.go_to(std::chrono::milliseconds(t));
  d.on_received(tl.now(), 1000);
  d.on_data_received(tl.now());
}

long long ms(core::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

// ---- clock ------------------------------------------------------------------------------

TEST_CASE("manual_clock moves only forward and only when told", "[core]") {
  core::manual_clock c;
  CHECK(c.now() == core::manual_clock::default_start);
  CHECK(c.now() != core::time_point{});
  c.advance(1500ms);
  CHECK(c.now() == core::manual_clock::default_start + 1500ms);
  c.advance(-1s);  // ignored: steady
  CHECK(c.now() == core::manual_clock::default_start + 1500ms);
  c.advance_to(core::manual_clock::default_start);  // backwards: ignored
  CHECK(c.now() == core::manual_clock::default_start + 1500ms);
  c.advance_to(core::manual_clock::default_start + 2s);
  CHECK(c.now() == core::manual_clock::default_start + 2s);
  c.advance(core::duration::max());
  CHECK(c.now() == core::time_point::max());

  core::manual_clock other(core::time_point(5s));
  CHECK(other.now() == core::time_point(5s));
  static_assert(core::manual_clock::is_steady, "steady");
}

TEST_CASE("the detector's counters saturate: events at 2^32 - 1, bytes at 2^64 - 1",
          "[core]") {
  // The nine event counts are 32-bit inside the detector (stats() widens them).
  std::uint32_t events = 0xfffffffeu;
  core::detail::increment(events);
  CHECK(events == 0xffffffffu);
  core::detail::increment(events);
  CHECK(events == 0xffffffffu);
  std::uint64_t bytes = 0xfffffffffffffff0u;
  core::detail::add_counter(bytes, 0x10u);
  CHECK(bytes == 0xffffffffffffffffu);
  core::detail::add_counter(bytes, 1);
  CHECK(bytes == 0xffffffffffffffffu);
  bytes = 1;
  core::detail::add_counter(bytes, 2);
  CHECK(bytes == 3);
}

TEST_CASE("time arithmetic saturates instead of overflowing", "[core]") {
  using core::duration;
  using core::time_point;
  CHECK(core::add_saturated(time_point::max() - 1s, 2s) == time_point::max());
  CHECK(core::add_saturated(time_point(1s), duration::max()) == time_point::max());
  CHECK(core::add_saturated(time_point::min() + 1s, -2s) == time_point::min());
  CHECK(core::add_saturated(time_point(1s), 1s) == time_point(2s));
  CHECK(core::add_saturated(duration::max(), 1ns) == duration::max());
  CHECK(core::add_saturated(duration::min(), -1ns) == duration::min());
  CHECK(core::add_saturated(1s, 2s) == duration(3s));
  CHECK(core::elapsed(time_point(2s), time_point(1s)) == duration::zero());
  CHECK(core::elapsed(time_point(1s), time_point(3s)) == duration(2s));
  CHECK(core::elapsed(time_point::min(), time_point::max()) == duration::max());
  CHECK(core::elapsed(time_point(-5s), time_point(5s)) == duration(10s));
}

// ---- options ----------------------------------------------------------------------------

TEST_CASE("detector options are validated", "[core]") {
  CHECK_FALSE(core::idle_timeout_options{}.validate());
  CHECK_FALSE(core::ping_pong_options{}.validate());
  CHECK_FALSE(core::ping_pong_options::aggressive().validate());
  CHECK_FALSE(core::ping_pong_options::msgtest_ok().validate());
  CHECK(core::ping_pong_options{}.progress_pongs);
  CHECK_FALSE(core::ping_pong_options::msgtest_ok().progress_pongs);
  CHECK(ms(core::ping_pong_options::standard().detection_bound()) == 25000);
  CHECK(ms(core::ping_pong_options::msgtest_ok().interval) == 2000);
  CHECK(ms(core::ping_pong_options::msgtest_ok().timeout) == 5000);

  core::idle_timeout_options idle;
  idle.timeout = 0ms;
  CHECK(is_refused_options(idle.validate()));
  idle.timeout = -1ms;
  CHECK(is_refused_options(idle.validate()));
  CHECK_THROWS_AS(core::detector(idle, core::time_point{}), liveness::system_error);

  auto o = pp(1s, 1s);
  SECTION("zero interval") { o.interval = 0s; }
  SECTION("negative interval") { o.interval = -1s; }
  SECTION("zero timeout") { o.timeout = 0s; }
  SECTION("negative timeout") { o.timeout = -5ms; }
  SECTION("negative min_ping_interval") { o.min_ping_interval = -1ms; }
  SECTION("min_ping_interval above interval with strikes counted") {
    o.min_ping_interval = 1001ms;
  }
  SECTION("pinger out of range") { o.pinger = static_cast<core::ping_role>(42); }
  CHECK(is_refused_options(o.validate()));
  CHECK_THROWS_AS(core::detector(o, liveness::role::client, core::time_point{}),
                  liveness::system_error);
}

TEST_CASE("detection bound saturates", "[core]") {
  auto o = pp(1s, 1s);
  o.timeout = core::duration::max();
  CHECK(o.detection_bound() == core::duration::max());
}

// ---- mode none --------------------------------------------------------------------------

TEST_CASE("mode none never declares anything by itself", "[core]") {
  timeline t;
  core::detector d(t.now());
  CHECK(d.mode() == core::detector_mode::none);
  CHECK_FALSE(d.sends_pings());
  CHECK(t.deadline(d) == -1);
  t.go_to(100h);
  CHECK(d.poll(t.now()).kind == action::none);
  CHECK_FALSE(d.is_dead());
  CHECK_FALSE(d.on_ping_received(t.now()));  // no heartbeat: nothing to answer
  CHECK(d.stats().pings_received == 1);

  SECTION("declare_dead is reported once, through poll") {
    d.declare_dead(t.now(), make_error_code(error::peer_reset));
    CHECK(d.is_dead());
    CHECK(d.next_deadline() == t.now());
    const auto r = d.poll(t.now());
    CHECK(r.kind == action::peer_dead);
    CHECK(r.reason == error::peer_reset);
    CHECK(d.poll(t.now()).kind == action::none);
    CHECK(t.deadline(d) == -1);
  }
  SECTION("declare_dead with an empty reason is ignored") {
    d.declare_dead(t.now(), liveness::error_code());
    CHECK_FALSE(d.is_dead());
  }
  SECTION("a default-constructed detector is mode none") {
    core::detector def;
    CHECK(def.mode() == core::detector_mode::none);
    CHECK_FALSE(def.next_deadline());
  }
}

// ---- mode idle_timeout ------------------------------------------------------------------

TEST_CASE("idle_timeout: dead exactly timeout after the last byte", "[core]") {
  timeline t;
  core::idle_timeout_options o;
  o.timeout = 5s;
  core::detector d(o, t.now());
  CHECK(d.mode() == core::detector_mode::idle_timeout);
  CHECK(t.deadline(d) == 5000);

  t.go_to(4999ms);
  CHECK(d.poll(t.now()).kind == action::none);

  SECTION("silence from the start") {
    t.go_to(5000ms);
    const auto r = d.poll(t.now());
    CHECK(r.kind == action::peer_dead);
    CHECK(r.reason == error::idle_timeout);
    CHECK(d.is_dead());
    CHECK(d.reason() == error::idle_timeout);
    // Reported once; stays dead whatever happens next.
    d.on_received(t.now(), 10);
    CHECK(d.poll(t.now()).kind == action::none);
    t.go_to(100s);
    CHECK(d.poll(t.now()).kind == action::none);
    CHECK(t.deadline(d) == -1);
    CHECK(d.is_dead());
  }

  SECTION("any inbound byte restarts the deadline") {
    d.on_received(t.now(), 1);
    CHECK(t.deadline(d) == 4999 + 5000);
    t.go_to(9998ms);
    CHECK(d.poll(t.now()).kind == action::none);
    t.go_to(9999ms);
    CHECK(d.poll(t.now()).kind == action::peer_dead);
  }

  SECTION("zero-byte reads are not traffic") {
    d.on_received(t.now(), 0);
    CHECK(t.deadline(d) == 5000);
    CHECK_FALSE(d.stats().last_received);
  }

  SECTION("a ping or pong frame is traffic too, but is not answered") {
    CHECK_FALSE(d.on_ping_received(t.now()));
    CHECK(t.deadline(d) == 9999);
    t.go_to(6000ms);
    d.on_pong_received(t.now());
    CHECK(t.deadline(d) == 11000);
  }

  SECTION("sending proves nothing about the peer") {
    d.on_sent(t.now(), 100);
    d.on_peer_progress(t.now());
    CHECK(t.deadline(d) == 5000);
    t.go_to(5000ms);
    CHECK(d.poll(t.now()).kind == action::peer_dead);
  }
}

TEST_CASE("idle_timeout: a never-ending timeout has no deadline", "[core]") {
  timeline t;
  core::idle_timeout_options o;
  o.timeout = core::duration::max();
  core::detector d(o, t.now());
  CHECK(t.deadline(d) == -1);
  t.go_to(1000000h);
  CHECK(d.poll(t.now()).kind == action::none);
}

// ---- mode ping_pong: pinging end --------------------------------------------------------

TEST_CASE("ping_pong: a busy link sends no pings", "[core]") {
  timeline t;
  core::detector d(pp(1s, 1s), liveness::role::client, t.now());
  CHECK(d.sends_pings());
  for (int i = 1; i <= 1000; ++i) {
    t.go_to(std::chrono::milliseconds(i * 999));
    d.on_received(t.now(), 100);
    CHECK(d.poll(t.now()).kind == action::none);
    CHECK(d.next_deadline() == t.now() + 1s);
  }
  CHECK(d.stats().pings_sent == 0);
  CHECK(d.stats().bytes_received == 100000);
  CHECK_FALSE(d.is_dead());
}

TEST_CASE("ping_pong: ping after interval of silence, pong in time", "[core]") {
  timeline t;
  core::detector d(pp(2s, 5s), liveness::role::client, t.now());
  CHECK(t.deadline(d) == 2000);

  t.go_to(1999ms);
  CHECK(d.poll(t.now()).kind == action::none);
  CHECK_FALSE(d.ping_outstanding());

  t.go_to(2000ms);
  CHECK(d.poll(t.now()).kind == action::send_ping);
  CHECK(d.ping_outstanding());
  CHECK(d.stats().pings_sent == 1);
  CHECK(t.deadline(d) == 7000);
  // One outstanding ping at most: polling again asks for nothing.
  CHECK(d.poll(t.now()).kind == action::none);

  SECTION("pong in time: alive, RTT measured, next ping interval later") {
    t.go_to(2120ms);
    d.on_received(t.now(), 5);
    d.on_pong_received(t.now());
    CHECK_FALSE(d.ping_outstanding());
    REQUIRE(d.stats().last_rtt);
    CHECK(ms(*d.stats().last_rtt) == 120);
    CHECK(ms(*d.stats().smoothed_rtt) == 120);
    CHECK(ms(*d.stats().rtt_variation) == 60);
    CHECK(d.stats().pongs_received == 1);
    CHECK(d.stats().consecutive_misses == 0);
    CHECK(t.deadline(d) == 4120);
    t.go_to(10s);  // much later: first a new ping, never death
    CHECK(d.poll(t.now()).kind == action::send_ping);
    CHECK(t.deadline(d) == 15000);
  }

  SECTION("no pong: dead at exactly ping time + timeout") {
    t.go_to(6000ms);
    CHECK(d.poll(t.now()).kind == action::none);
    CHECK(d.stats().pings_sent == 1);
    t.go_to(6999ms);
    CHECK(d.poll(t.now()).kind == action::none);
    CHECK_FALSE(d.is_dead());
    t.go_to(7000ms);
    const auto r = d.poll(t.now());
    CHECK(r.kind == action::peer_dead);
    CHECK(r.reason == error::heartbeat_timeout);
    CHECK(d.reason() == error::heartbeat_timeout);
    CHECK(d.poll(t.now()).kind == action::none);  // once
    CHECK(t.deadline(d) == -1);
    CHECK_FALSE(d.ping_outstanding());
    // A pong after death changes nothing.
    d.on_pong_received(t.now());
    CHECK_FALSE(d.stats().last_rtt);
    CHECK(d.poll(t.now()).kind == action::none);
  }

  SECTION("any inbound traffic after the ping saves the peer; the ping counts as missed") {
    t.go_to(3000ms);
    d.on_received(t.now(), 10);
    CHECK(t.deadline(d) == 7000);
    t.go_to(7000ms);
    // The ping is missed, and since the last byte is more than `interval` old, the same
    // poll sends the next ping.
    CHECK(d.poll(t.now()).kind == action::send_ping);
    CHECK(d.stats().consecutive_misses == 1);
    CHECK(d.ping_outstanding());
    CHECK(d.stats().pings_sent == 2);
    CHECK(t.deadline(d) == 12000);
    // The pong of the missed ping arrives late: traffic, but no RTT sample.
    t.go_to(7100ms);
    d.on_pong_received(t.now());
    CHECK_FALSE(d.stats().last_rtt);
    CHECK_FALSE(d.ping_outstanding());
    CHECK(d.stats().consecutive_misses == 0);
    // Then a clean round measures again.
    t.go_to(9100ms);
    CHECK(d.poll(t.now()).kind == action::send_ping);
    t.go_to(9150ms);
    d.on_pong_received(t.now());
    REQUIRE(d.stats().last_rtt);
    CHECK(ms(*d.stats().last_rtt) == 50);
  }

  SECTION("when the miss is noticed with the last byte recent, the next ping waits") {
    t.go_to(6500ms);
    d.on_received(t.now(), 1);
    t.go_to(7000ms);
    CHECK(d.poll(t.now()).kind == action::none);
    CHECK(d.stats().consecutive_misses == 1);
    CHECK(t.deadline(d) == 8500);
    t.go_to(8500ms);
    CHECK(d.poll(t.now()).kind == action::send_ping);
    t.go_to(13499ms);
    CHECK(d.poll(t.now()).kind == action::none);
    t.go_to(13500ms);
    CHECK(d.poll(t.now()).kind == action::peer_dead);
  }
}

TEST_CASE("ping_pong: a late timer pings late and measures the timeout from the ping",
          "[core]") {
  timeline t;
  core::detector d(pp(1s, 1s), liveness::role::server, t.now());
  t.go_to(1700ms);  // the timer fired 700 ms late
  CHECK(d.poll(t.now()).kind == action::send_ping);
  t.go_to(2699ms);
  CHECK(d.poll(t.now()).kind == action::none);
  t.go_to(2700ms);
  CHECK(d.poll(t.now()).kind == action::peer_dead);
}

TEST_CASE("ping_pong: a very late poll pings first, it does not skip to death", "[core]") {
  timeline t;
  core::detector d(pp(1s, 1s), liveness::role::client, t.now());
  t.go_to(1h);
  CHECK(d.poll(t.now()).kind == action::send_ping);
  CHECK(d.next_deadline() == t.now() + 1s);
}

TEST_CASE("ping_pong: smoothed RTT follows RFC 6298", "[core]") {
  timeline t;
  core::detector d(pp(1s, 10s), liveness::role::client, t.now());
  const auto round = [&](std::chrono::milliseconds at, std::chrono::milliseconds rtt) {
    t.go_to(at);
    REQUIRE(d.poll(t.now()).kind == action::send_ping);
    t.go_to(at + rtt);
    d.on_pong_received(t.now());
  };
  round(1000ms, 100ms);
  CHECK(ms(*d.stats().smoothed_rtt) == 100);
  CHECK(ms(*d.stats().rtt_variation) == 50);
  round(3000ms, 200ms);
  // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5; SRTT = 7/8 * 100 + 1/8 * 200 = 112.5
  CHECK(std::chrono::duration_cast<std::chrono::microseconds>(*d.stats().rtt_variation)
            .count() == 62500);
  CHECK(std::chrono::duration_cast<std::chrono::microseconds>(*d.stats().smoothed_rtt)
            .count() == 112500);
  CHECK(ms(*d.stats().last_rtt) == 200);
  CHECK(d.stats().pings_sent == 2);
  CHECK(d.stats().pongs_received == 2);
}

TEST_CASE("ping_pong: an unsolicited pong is traffic, not an RTT sample", "[core]") {
  timeline t;
  core::detector d(pp(1s, 1s), liveness::role::client, t.now());
  t.go_to(500ms);
  d.on_pong_received(t.now());
  CHECK_FALSE(d.stats().last_rtt);
  CHECK(d.stats().pongs_received == 1);
  CHECK(t.deadline(d) == 1500);
}

// ---- roles ------------------------------------------------------------------------------

TEST_CASE("ping_pong: pinger and role decide who pings", "[core]") {
  using core::ping_role;
  using liveness::role;
  const auto pings = [](ping_role r, role s) {
    return core::detector(pp(1s, 1s, r), s, core::time_point{}).sends_pings();
  };
  CHECK(pings(ping_role::client, role::client));
  CHECK_FALSE(pings(ping_role::client, role::server));
  CHECK(pings(ping_role::server, role::server));
  CHECK_FALSE(pings(ping_role::server, role::client));
  CHECK(pings(ping_role::both, role::client));
  CHECK(pings(ping_role::both, role::server));
  CHECK_FALSE(pings(ping_role::answer_only, role::client));
  CHECK_FALSE(pings(ping_role::answer_only, role::server));
}

TEST_CASE("ping_pong: answer_only never pings, answers, and gives up after interval + timeout",
          "[core]") {
  timeline t;
  core::detector d(pp(2s, 5s, core::ping_role::answer_only), liveness::role::client, t.now());
  CHECK_FALSE(d.sends_pings());
  CHECK(t.deadline(d) == 7000);

  // The peer pings every 2 s: each ping is answered and keeps us alive.
  for (int i = 1; i <= 10; ++i) {
    t.go_to(std::chrono::milliseconds(2000 * i));
    CHECK(d.poll(t.now()).kind == action::none);
    CHECK(d.on_ping_received(t.now()));
    CHECK(d.pong_pending());
    d.on_pong_sent(t.now());
    CHECK_FALSE(d.pong_pending());
    CHECK(d.next_deadline() == t.now() + 7s);
  }
  CHECK(d.stats().pings_sent == 0);
  CHECK(d.stats().pings_received == 10);
  CHECK(d.stats().pongs_sent == 10);

  // Then the peer falls silent.
  t.go_to(26999ms);
  CHECK(d.poll(t.now()).kind == action::none);
  t.go_to(27000ms);
  const auto r = d.poll(t.now());
  CHECK(r.kind == action::peer_dead);
  CHECK(r.reason == error::heartbeat_timeout);
  CHECK(d.stats().pings_sent == 0);
}

TEST_CASE("ping_pong: the msgtest_ok preset on both ends", "[core]") {
  timeline t;
  const auto o = core::ping_pong_options::msgtest_ok();
  core::detector server(o, liveness::role::server, t.now());
  core::detector client(o, liveness::role::client, t.now());
  CHECK(server.sends_pings());
  CHECK_FALSE(client.sends_pings());
  // Server pings after 2 s; the client answers 10 ms later.
  for (int round = 0; round < 5; ++round) {
    const auto base = std::chrono::milliseconds(round * 2010);
    t.go_to(base + 2000ms);
    REQUIRE(server.poll(t.now()).kind == action::send_ping);
    REQUIRE(client.poll(t.now()).kind == action::none);
    client.on_received(t.now(), 7);
    REQUIRE(client.on_ping_received(t.now()));
    client.on_pong_sent(t.now());
    t.go_to(base + 2010ms);
    server.on_received(t.now(), 2);
    server.on_pong_received(t.now());
  }
  CHECK(ms(*server.stats().smoothed_rtt) == 10);
  // The client hangs: the server notices 5 s after its next ping.
  t.go_to(12050ms);
  CHECK(server.poll(t.now()).kind == action::send_ping);
  t.go_to(17049ms);
  CHECK(server.poll(t.now()).kind == action::none);
  t.go_to(17050ms);
  CHECK(server.poll(t.now()).reason == error::heartbeat_timeout);
}

TEST_CASE("ping_pong: msgtest_ok timing, exactly as documented", "[core]") {
  const auto o = core::ping_pong_options::msgtest_ok();
  CHECK_FALSE(o.progress_pongs);
  SECTION("the server: 5 s after the first unanswered ping, 7 s after the client's last byte") {
    timeline t;
    core::detector server(o, liveness::role::server, t.now());
    t.go_to(1000ms);
    server.on_received(t.now(), 2);  // the client's last byte
    t.go_to(2999ms);
    CHECK(server.poll(t.now()).kind == action::none);
    t.go_to(3000ms);
    REQUIRE(server.poll(t.now()).kind == action::send_ping);
    server.on_sent(t.now(), 7);
    server.on_ping_sent(t.now());
    t.go_to(7999ms);
    CHECK(server.poll(t.now()).kind == action::none);
    t.go_to(8000ms);
    CHECK(server.poll(t.now()).reason == error::heartbeat_timeout);
  }
  SECTION("the server: bytes after a ping but no OK, at most 10 s after the last byte") {
    timeline t;
    core::detector server(o, liveness::role::server, t.now());
    t.go_to(2000ms);
    REQUIRE(server.poll(t.now()).kind == action::send_ping);
    server.on_sent(t.now(), 7);
    server.on_ping_sent(t.now());
    t.go_to(2001ms);
    server.on_received(t.now(), 1);  // the client's last byte, and no OK
    server.on_data_received(t.now());
    t.go_to(7000ms);  // the ping is missed; a fresh one goes out
    REQUIRE(server.poll(t.now()).kind == action::send_ping);
    CHECK(server.stats().consecutive_misses == 1);
    server.on_sent(t.now(), 7);
    server.on_ping_sent(t.now());
    t.go_to(11999ms);
    CHECK(server.poll(t.now()).kind == action::none);
    t.go_to(12000ms);  // 9999 ms after the last byte
    CHECK(server.poll(t.now()).reason == error::heartbeat_timeout);
  }
  SECTION("the client: 7 s after the last byte from the server") {
    timeline t;
    core::detector client(o, liveness::role::client, t.now());
    t.go_to(2000ms);
    client.on_received(t.now(), 7);
    REQUIRE(client.on_ping_received(t.now()));
    client.on_sent(t.now(), 2);
    client.on_pong_sent(t.now());
    // The server hangs: no "Msgtest" at 4 s, none after. The client keeps writing (its
    // writes never wait for the window): that proves nothing.
    for (int ms_ = 2100; ms_ < 9000; ms_ += 100) {
      t.go_to(std::chrono::milliseconds(ms_));
      client.on_sent(t.now(), 100);
      CHECK(client.poll(t.now()).kind == action::none);
    }
    t.go_to(9000ms);
    CHECK(client.poll(t.now()).reason == error::heartbeat_timeout);
    CHECK(client.stats().pongs_sent == 1);  // never an unasked OK
  }
}

TEST_CASE("ping_pong: msgtest_ok on both ends, a client that only uploads is never cut off",
          "[core]") {
  // The server receives the client's data and writes nothing. With progress pongs on it
  // would write an unasked "OK" every 2 s (which a classic client takes for garbage); the
  // preset's server pings instead, as the classic server's timer does, and the client,
  // which hears nothing else from the server, answers and stays alive.
  for (const bool progress_pongs : {false, true}) {
    INFO("progress_pongs " << progress_pongs);
    timeline t;
    auto o = core::ping_pong_options::msgtest_ok();
    o.progress_pongs = progress_pongs;
    core::detector server(o, liveness::role::server, t.now());
    core::detector client(o, liveness::role::client, t.now());
    bool ping_in_flight = false;
    bool pong_in_flight = false;
    bool unasked_pong = false;
    std::size_t oks = 0;
    for (int ms_ = 10; ms_ <= 30000; ms_ += 10) {
      t.go_to(std::chrono::milliseconds(ms_));
      // Last step's frames arrive (10 ms one way).
      if (ping_in_flight) {
        client.on_received(t.now(), 7);
        if (client.on_ping_received(t.now())) {
          client.on_sent(t.now(), 2);
          client.on_pong_sent(t.now());
          pong_in_flight = true;
        }
        ping_in_flight = false;
      }
      if (unasked_pong) {
        client.on_received(t.now(), 2);
        client.on_pong_received(t.now());
        unasked_pong = false;
      }
      if (pong_in_flight) {
        server.on_received(t.now(), 2);
        server.on_pong_received(t.now());
        pong_in_flight = false;
        ++oks;
      }
      // The client uploads 1 KiB every 100 ms.
      if (ms_ % 100 == 0) {
        client.on_sent(t.now(), 1024);
        server.on_received(t.now(), 1024);
        server.on_data_received(t.now());
      }
      const auto rs = server.poll(t.now());
      REQUIRE(rs.kind != action::peer_dead);
      if (rs.kind == action::send_ping) {
        server.on_sent(t.now(), 7);
        server.on_ping_sent(t.now());
        ping_in_flight = true;
      }
      if (server.take_progress_pong(t.now())) {
        server.on_sent(t.now(), 2);
        server.on_pong_sent(t.now());
        unasked_pong = true;
      }
      REQUIRE(client.poll(t.now()).kind != action::peer_dead);
    }
    if (progress_pongs) {
      CHECK(server.stats().progress_pongs >= 14);  // the unasked "OK" of the issue
      CHECK(server.stats().pings_sent == 0);
    } else {
      CHECK(server.stats().progress_pongs == 0);
      CHECK(server.stats().pongs_sent == 0);
      CHECK(server.stats().progress_pings >= 14);  // about one per 2 s
      CHECK(server.stats().progress_pings <= 15);
      CHECK(oks <= server.stats().pings_sent);
      CHECK(oks + 1 >= server.stats().pings_sent);  // the last may be in flight
      CHECK(server.stats().consecutive_misses == 0);
    }
  }
}

// ---- answering pings --------------------------------------------------------------------

TEST_CASE("ping_pong: pongs are coalesced, at most one pending", "[core]") {
  timeline t;
  core::detector d(pp(10s, 10s), liveness::role::client, t.now());
  t.go_to(1s);
  CHECK(d.on_ping_received(t.now()));
  CHECK(d.pong_pending());
  // The peer pings again before our pong went out (e.g. it does not read): no second pong.
  for (int i = 2; i <= 100; ++i) {
    t.go_to(std::chrono::seconds(i));
    CHECK_FALSE(d.on_ping_received(t.now()));
  }
  CHECK(d.stats().pongs_coalesced == 99);
  CHECK(d.pong_pending());
  d.on_pong_sent(t.now());
  CHECK_FALSE(d.pong_pending());
  t.go_to(101s);
  CHECK(d.on_ping_received(t.now()));
  CHECK(d.stats().pings_received == 101);
  CHECK(d.stats().pongs_sent == 1);
  CHECK_FALSE(d.is_dead());
}

TEST_CASE("ping_pong: the peer's ping is proof of life and delays our own ping", "[core]") {
  timeline t;
  core::detector d(pp(2s, 2s), liveness::role::client, t.now());
  t.go_to(1500ms);
  CHECK(d.on_ping_received(t.now()));
  CHECK(t.deadline(d) == 3500);
  CHECK(d.stats().last_received == t.now());
}

// ---- ping flood -------------------------------------------------------------------------

TEST_CASE("ping_pong: ping flood strikes", "[core]") {
  timeline t;
  auto o = pp(10s, 10s);
  o.min_ping_interval = 100ms;
  o.max_ping_strikes = 3;
  core::detector d(o, liveness::role::server, t.now());

  SECTION("too many early pings in a row: dead with ping_flood, reported once") {
    t.go_to(1000ms);
    CHECK(d.on_ping_received(t.now()));  // the first ping is never early
    d.on_pong_sent(t.now());
    for (int i = 1; i <= 3; ++i) {
      t.go_to(std::chrono::milliseconds(1000 + i));
      CHECK(d.on_ping_received(t.now()));  // still answered
      d.on_pong_sent(t.now());
      CHECK(d.stats().ping_strikes == static_cast<std::uint32_t>(i));
      CHECK_FALSE(d.is_dead());
    }
    t.go_to(1004ms);
    CHECK_FALSE(d.on_ping_received(t.now()));  // strike 4 > 3
    CHECK(d.is_dead());
    CHECK(d.reason() == error::ping_flood);
    // The death waits for poll; the deadline is due now.
    CHECK(d.next_deadline() == t.now());
    t.go_to(1005ms);
    const auto r = d.poll(t.now());
    CHECK(r.kind == action::peer_dead);
    CHECK(r.reason == error::ping_flood);
    CHECK(d.poll(t.now()).kind == action::none);
    CHECK_FALSE(d.on_ping_received(t.now()));
    CHECK(t.deadline(d) == -1);
  }

  SECTION("a well-spaced ping clears the strikes") {
    for (int burst = 0; burst < 50; ++burst) {
      const auto base = std::chrono::milliseconds(1000 * (burst + 1));
      t.go_to(base);
      d.on_ping_received(t.now());
      CHECK(d.stats().ping_strikes == 0);
      for (int i = 1; i <= 3; ++i) {
        t.go_to(base + std::chrono::milliseconds(i * 10));
        d.on_ping_received(t.now());
      }
      CHECK(d.stats().ping_strikes == 3);
      d.on_pong_sent(t.now());
    }
    CHECK_FALSE(d.is_dead());
  }

  SECTION("a ping exactly min_ping_interval after the previous one is not early") {
    for (int i = 0; i < 100; ++i) {
      t.go_to(std::chrono::milliseconds(100 * i));
      d.on_ping_received(t.now());
      d.on_pong_sent(t.now());
    }
    CHECK(d.stats().ping_strikes == 0);
    CHECK_FALSE(d.is_dead());
  }

  SECTION("max_ping_strikes 0 turns the guard off") {
    o.max_ping_strikes = 0;
    core::detector lenient(o, liveness::role::server, t.now());
    for (int i = 0; i < 10000; ++i) {
      t.clock.advance_to(t.start + std::chrono::microseconds(i));
      lenient.on_ping_received(t.now());
    }
    CHECK_FALSE(lenient.is_dead());
    CHECK(lenient.stats().ping_strikes == 9999);
    CHECK(lenient.stats().pongs_coalesced == 9999);  // never queued: one pong pending
  }

  SECTION("min_ping_interval 0 counts no strikes") {
    o.min_ping_interval = 0ms;
    core::detector lenient(o, liveness::role::server, t.now());
    for (int i = 0; i < 100; ++i) lenient.on_ping_received(t.now());
    CHECK(lenient.stats().ping_strikes == 0);
    CHECK_FALSE(lenient.is_dead());
  }

  SECTION("the default tolerates a peer pinging every interval") {
    core::detector def(core::ping_pong_options::aggressive(), liveness::role::server, t.now());
    for (int i = 1; i <= 100; ++i) {
      t.go_to(std::chrono::milliseconds(2000 * i));
      CHECK(def.on_ping_received(t.now()));
      def.on_pong_sent(t.now());
    }
    CHECK_FALSE(def.is_dead());
  }
}

TEST_CASE("ping_pong: a ping flood while our own ping is outstanding", "[core]") {
  timeline t;
  auto o = pp(1s, 5s);
  o.max_ping_strikes = 1;
  core::detector d(o, liveness::role::client, t.now());
  t.go_to(1s);
  REQUIRE(d.poll(t.now()).kind == action::send_ping);
  d.on_ping_received(t.now());
  t.go_to(1001ms);
  d.on_ping_received(t.now());
  CHECK_FALSE(d.is_dead());
  t.go_to(1002ms);
  d.on_ping_received(t.now());
  CHECK(d.is_dead());
  CHECK_FALSE(d.ping_outstanding());
  CHECK(d.poll(t.now()).reason == error::ping_flood);
}

// ---- progress without inbound bytes ------------------------------------------------------

TEST_CASE("ping_pong: peer progress turns a stuck pong into a miss, not a death", "[core]") {
  timeline t;
  core::detector d(pp(1s, 300ms), liveness::role::client, t.now());
  // We write a large transfer; the peer reads it slowly and sends nothing back.
  t.go_to(1s);
  REQUIRE(d.poll(t.now()).kind == action::send_ping);
  for (int i = 1; i <= 10; ++i) {
    t.go_to(1s + std::chrono::milliseconds(300 * i) - 50ms);
    d.on_peer_progress(t.now());
    t.go_to(1s + std::chrono::milliseconds(300 * i));
    const auto r = d.poll(t.now());
    // Every timeout: a miss, and (no bytes received for > interval) a fresh ping.
    CHECK(r.kind == action::send_ping);
    CHECK(d.stats().consecutive_misses == static_cast<std::uint32_t>(i));
  }
  CHECK_FALSE(d.is_dead());
  CHECK_FALSE(d.stats().last_received);  // progress is not reception
  // The peer stops reading: the outstanding ping kills it.
  t.go_to(4300ms);
  CHECK(d.poll(t.now()).reason == error::heartbeat_timeout);
}

TEST_CASE("ping_pong: progress without an outstanding ping changes nothing", "[core]") {
  timeline t;
  core::detector d(pp(1s, 1s), liveness::role::client, t.now());
  t.go_to(500ms);
  d.on_peer_progress(t.now());
  d.on_sent(t.now(), 1000);
  CHECK(t.deadline(d) == 1000);
  CHECK(d.stats().bytes_sent == 1000);
  CHECK(d.stats().last_sent == t.now());
}

// ---- robustness -------------------------------------------------------------------------

TEST_CASE("detector: time going backwards is treated as no time passing", "[core]") {
  timeline t;
  core::detector d(pp(1s, 1s), liveness::role::client, t.now());
  t.go_to(900ms);
  d.on_received(t.now(), 1);
  // A stale timestamp (e.g. captured before a long handler) neither rewinds the state nor
  // produces a negative silence.
  d.on_received(t.at(100ms), 1);
  CHECK(t.deadline(d) == 1900);
  CHECK(d.stats().silent_for(t.at(0ms)) == core::duration::zero());
  CHECK(ms(d.stats().silent_for(t.at(1400ms))) == 500);
  CHECK(d.poll(t.at(0ms)).kind == action::none);
}

TEST_CASE("detector: extreme times and durations saturate", "[core]") {
  SECTION("timeout max: never dead, no deadline while the ping is outstanding") {
    auto o = pp(1s, 1s);
    o.timeout = core::duration::max();
    core::detector d(o, liveness::role::client, core::time_point(0s));
    CHECK(d.poll(core::time_point(1s)).kind == action::send_ping);
    CHECK_FALSE(d.next_deadline());
    CHECK(d.poll(core::time_point::max() - 1s).kind == action::none);
  }
  SECTION("interval max: never pings") {
    auto o = pp(1s, 1s);
    o.interval = core::duration::max();
    core::detector d(o, liveness::role::client, core::time_point(0s));
    CHECK_FALSE(d.next_deadline());
    CHECK(d.poll(core::time_point::max() - 1s).kind == action::none);
  }
  SECTION("started near the end of time") {
    core::detector d(pp(1h, 1h), liveness::role::client, core::time_point::max() - 1s);
    CHECK_FALSE(d.next_deadline());
    CHECK(d.poll(core::time_point::max() - 1ms).kind == action::none);
  }
  SECTION("started at the beginning of time") {
    core::detector d(pp(1s, 1s), liveness::role::client, core::time_point::min());
    CHECK(d.stats().silent_for(core::time_point::max()) == core::duration::max());
    CHECK(d.poll(core::time_point::min() + 1s).kind == action::send_ping);
  }
}

TEST_CASE("detector: reset starts over with the same options", "[core]") {
  timeline t;
  core::detector d(pp(1s, 1s), liveness::role::client, t.now());
  t.go_to(1s);
  REQUIRE(d.poll(t.now()).kind == action::send_ping);
  t.go_to(2s);
  REQUIRE(d.poll(t.now()).kind == action::peer_dead);
  t.go_to(10s);
  d.reset(t.now());
  CHECK_FALSE(d.is_dead());
  CHECK_FALSE(d.reason());
  CHECK(d.stats().pings_sent == 0);
  CHECK(d.stats().started == t.now());
  CHECK(d.sends_pings());
  CHECK(t.deadline(d) == 11000);
}

TEST_CASE("detector: stats", "[core]") {
  timeline t;
  core::detector d(pp(1s, 1s), liveness::role::client, t.now());
  CHECK(d.stats().started == t.now());
  CHECK_FALSE(d.stats().last_received);
  CHECK_FALSE(d.stats().last_sent);
  t.go_to(700ms);
  CHECK(ms(d.stats().silent_for(t.now())) == 700);
  d.on_received(t.now(), 3);
  d.on_sent(t.now(), 4);
  t.go_to(750ms);
  CHECK(ms(d.stats().silent_for(t.now())) == 50);
  CHECK(d.stats().last_received == t.at(700ms));
  CHECK(d.stats().last_sent == t.at(700ms));
  CHECK(d.stats().bytes_received == 3);
  CHECK(d.stats().bytes_sent == 4);
  CHECK(d.interval() == core::duration(1s));
  CHECK(d.timeout() == core::duration(1s));
}

// Random event sequences against the invariants every session relies on.
TEST_CASE("detector: invariants under random event sequences", "[core]") {
  std::mt19937 rng(20260101);
  const auto roll = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  for (int run = 0; run < 200; ++run) {
    timeline t;
    auto o = pp(std::chrono::milliseconds(1 + roll(500)), std::chrono::milliseconds(1 + roll(500)),
                static_cast<core::ping_role>(roll(4)));
    o.min_ping_interval = (std::min)(core::duration(std::chrono::milliseconds(roll(20))), o.interval);
    o.max_ping_strikes = roll(4);
    const auto s = roll(2) != 0 ? liveness::role::client : liveness::role::server;
    core::detector d(o, s, t.now());
    int deaths = 0;
    for (int step = 0; step < 300; ++step) {
      t.clock.advance(std::chrono::milliseconds(roll(60)));
      const auto now = t.now();
      switch (roll(7)) {
        case 0: d.on_received(now, roll(100)); break;
        case 1:
          if (d.on_ping_received(now)) {
            CHECK(d.pong_pending());
          }
          break;
        case 2: d.on_pong_received(now); break;
        case 3: d.on_pong_sent(now); break;
        case 4: d.on_sent(now, roll(1000)); break;
        case 5: d.on_peer_progress(now); break;
        default: break;
      }
      // Half the time the timer fires on time, half the time something else woke us.
      if (const auto dl = d.next_deadline(); dl && roll(2) == 0) t.clock.advance_to(*dl);
      const bool outstanding_before = d.ping_outstanding();
      const auto r = d.poll(t.now());
      if (r.kind == action::send_ping) {
        CHECK(d.sends_pings());
        CHECK_FALSE((outstanding_before && d.stats().consecutive_misses == 0));
        CHECK(d.ping_outstanding());
      }
      if (r.kind == action::peer_dead) {
        ++deaths;
        CHECK(liveness::is_dead_peer_reason(r.reason));
      }
      // After poll, the next deadline is in the future (or there is none).
      if (const auto dl = d.next_deadline()) CHECK(*dl > t.now());
      CHECK(deaths <= 1);
      if (d.is_dead()) CHECK(deaths == 1);
    }
  }
}

TEST_CASE("an end that does not ping counts its own write progress as life", "[core]") {
  timeline t;
  // The server pings; this client only answers. It uploads, so the server hears traffic
  // and never pings: the client hears nothing at all.
  core::detector d(pp(1s, 1s, core::ping_role::server), liveness::role::client, t.now());
  CHECK(t.deadline(d) == 2000);
  t.go_to(1500ms);
  d.on_peer_progress(t.now());  // our upload moved: the peer reads it
  CHECK(t.deadline(d) == 3500);
  t.go_to(2000ms);
  CHECK(d.poll(t.now()).kind == core::action::none);  // alive: would have died here
  t.go_to(3499ms);
  CHECK(d.poll(t.now()).kind == core::action::none);
  t.go_to(3500ms);
  const auto r = d.poll(t.now());
  CHECK(r.kind == core::action::peer_dead);
  CHECK(r.reason == liveness::error::heartbeat_timeout);
  CHECK_FALSE(d.stats().last_received.has_value());  // progress is not received data
}

TEST_CASE("a ping's timeout counts from when it was really written", "[core]") {
  timeline t;
  core::detector d(pp(1s, 500ms), liveness::role::client, t.now());
  t.go_to(1000ms);
  REQUIRE(d.poll(t.now()).kind == core::action::send_ping);
  CHECK(t.deadline(d) == 1500);
  // The writer was busy: the ping goes out 300 ms later.
  t.go_to(1300ms);
  d.on_ping_sent(t.now());
  CHECK(t.deadline(d) == 1800);
  t.go_to(1500ms);
  CHECK(d.poll(t.now()).kind == core::action::none);
  t.go_to(1400ms + 100ms);
  d.on_pong_received(t.now());  // 200 ms after the real write
  REQUIRE(d.stats().last_rtt.has_value());
  CHECK(*d.stats().last_rtt == core::duration(200ms));
  // Without a ping outstanding it changes nothing.
  d.on_ping_sent(t.now());
  CHECK(t.deadline(d) == 2500);
}

// ---- progress pongs -------------------------------------------------------------------------

TEST_CASE("ping_pong: a reader that writes nothing sends a progress pong every interval",
          "[core]") {
  timeline tl;
  core::detector d(pp(100ms, 300ms, core::ping_role::client), liveness::role::server, tl.now());
  // Nothing received yet: no progress pong, and no deadline for one.
  tl.go_to(150ms);
  CHECK_FALSE(d.take_progress_pong(tl.now()));

  // Bulk user data arrives; we write nothing.
  tl.go_to(160ms);
  d.on_received(tl.now(), 65536);
  d.on_data_received(tl.now());
  // Due `interval` after our last write (here: the start), so at once.
  CHECK(tl.deadline(d) == 100);
  CHECK(d.take_progress_pong(tl.now()));
  CHECK(d.pong_pending());
  CHECK_FALSE(d.take_progress_pong(tl.now()));  // one at a time
  CHECK(d.stats().progress_pongs == 1);

  // More data before the pong is written: still one pending, and the peer's real ping is
  // coalesced with it.
  d.on_received(tl.now(), 100);
  d.on_data_received(tl.now());
  CHECK_FALSE(d.take_progress_pong(tl.now()));
  CHECK_FALSE(d.on_ping_received(tl.now()));

  tl.go_to(170ms);
  d.on_sent(tl.now(), 5);
  d.on_pong_sent(tl.now());
  CHECK_FALSE(d.pong_pending());
  // Data keeps coming: the next progress pong is due an interval after that write.
  tl.go_to(200ms);
  d.on_received(tl.now(), 100);
  d.on_data_received(tl.now());
  CHECK(tl.deadline(d) == 270);
  tl.go_to(269ms);
  CHECK_FALSE(d.take_progress_pong(tl.now()));
  tl.go_to(270ms);
  CHECK(d.take_progress_pong(tl.now()));
  CHECK(d.stats().progress_pongs == 2);
}

TEST_CASE("ping_pong: no progress pong on an idle link or while we write ourselves",
          "[core]") {
  const bool progress_pongs = GENERATE(true, false);
  timeline tl;
  auto o = pp(100ms, 300ms);
  o.progress_pongs = progress_pongs;
  core::detector d(o, liveness::role::client, tl.now());
  // Heartbeat frames alone are not user data: the idle link carries only ping/pong pairs
  // (and with progress_pongs off, no progress ping either).
  tl.go_to(100ms);
  REQUIRE(d.poll(tl.now()).kind == action::send_ping);
  d.on_sent(tl.now(), 5);
  tl.go_to(110ms);
  d.on_received(tl.now(), 5);
  d.on_pong_received(tl.now());
  tl.go_to(500ms);
  CHECK_FALSE(d.take_progress_pong(tl.now()));

  // Two-way traffic: every write of ours postpones it.
  for (int t = 500; t < 1000; t += 50) {
    tl.go_to(std::chrono::milliseconds(t));
    d.on_received(tl.now(), 10);
    d.on_data_received(tl.now());
    d.on_sent(tl.now(), 10);
    CHECK_FALSE(d.take_progress_pong(tl.now()));
    CHECK(d.poll(tl.now()).kind == action::none);
  }
  CHECK(d.stats().pings_sent == 1);
  CHECK(d.stats().progress_pings == 0);
  // Modes without pongs never send one.
  core::detector idle(core::idle_timeout_options{1s}, tl.now());
  idle.on_data_received(tl.now());
  tl.go_to(5000ms);
  CHECK_FALSE(idle.take_progress_pong(tl.now()));
}

TEST_CASE("ping_pong: progress_pongs off, a reader that does not ping writes nothing unasked",
          "[core]") {
  timeline tl;
  const auto o = pp_without_progress_pongs(100ms, 300ms, core::ping_role::client);
  REQUIRE_FALSE(o.validate());
  core::detector d(o, liveness::role::server, tl.now());  // the end that only answers
  REQUIRE_FALSE(d.sends_pings());
  // Bulk user data keeps arriving for a second and we write nothing: no progress pong,
  // no ping, and the only deadline is the silence rule's.
  for (int t = 10; t <= 1000; t += 10) {
    data_at(tl, d, t);
    CHECK(d.poll(tl.now()).kind == action::none);
    CHECK_FALSE(d.take_progress_pong(tl.now()));
    CHECK(tl.deadline(d) == t + 400);
  }
  CHECK(d.stats().progress_pongs == 0);
  CHECK(d.stats().pongs_sent == 0);
  CHECK(d.stats().pings_sent == 0);
  // A real ping is still answered.
  CHECK(d.on_ping_received(tl.now()));
}

TEST_CASE("ping_pong: progress_pongs off, a pinging reader proves its reading with a ping",
          "[core]") {
  timeline tl;
  core::detector d(pp_without_progress_pongs(100ms, 300ms, core::ping_role::server),
                   liveness::role::server, tl.now());
  REQUIRE(d.sends_pings());
  // User data every 10 ms, we write nothing: never 100 ms of silence, but 100 ms without
  // a write of ours since data arrived: a ping, not a pong.
  for (int t = 10; t < 100; t += 10) {
    data_at(tl, d, t);
    CHECK(d.poll(tl.now()).kind == action::none);
    CHECK(tl.deadline(d) == 100);  // an interval after our last write (the start)
  }
  tl.go_to(100ms);
  CHECK(d.poll(tl.now()).kind == action::send_ping);
  CHECK_FALSE(d.take_progress_pong(tl.now()));
  CHECK(d.stats().progress_pings == 1);
  CHECK(d.stats().pings_sent == 1);
  d.on_sent(tl.now(), 7);
  d.on_ping_sent(tl.now());
  // The peer keeps sending data and answers late: the ping is a miss, never a death.
  for (int t = 110; t <= 400; t += 10) {
    data_at(tl, d, t);
    CHECK(d.poll(tl.now()).kind != action::peer_dead);
  }
  CHECK(d.stats().consecutive_misses == 1);
  CHECK(d.stats().progress_pongs == 0);
  CHECK(d.stats().pongs_sent == 0);
  // Our next write postpones the next progress ping; a write every 50 ms stops them.
  const auto pings = d.stats().pings_sent;
  for (int t = 410; t <= 1000; t += 10) {
    data_at(tl, d, t);
    if (t % 50 == 0) d.on_sent(tl.now(), 10);
    if (d.poll(tl.now()).kind == action::send_ping) d.on_sent(tl.now(), 7);
  }
  // The one due from the miss at 400 (data since our last write at 100) went out; then
  // none while we write.
  CHECK(d.stats().pings_sent <= pings + 1);
  CHECK_FALSE(d.is_dead());
}

TEST_CASE("ping_pong: pings with user data between them are no flood", "[core]") {
  timeline tl;
  core::ping_pong_options o = pp(100ms, 300ms);
  o.min_ping_interval = 100ms;
  o.max_ping_strikes = 1;
  core::detector d(o, liveness::role::server, tl.now());
  // A sender's pings queued behind its bulk data reach a slow reader back to back, each
  // after some data: not a strike.
  for (int i = 1; i <= 20; ++i) {
    tl.go_to(std::chrono::milliseconds(i));
    d.on_received(tl.now(), 70000);
    d.on_data_received(tl.now());
    d.on_ping_received(tl.now());
    d.on_sent(tl.now(), 5);
    d.on_pong_sent(tl.now());
    CHECK(d.stats().ping_strikes == 0);
  }
  CHECK(d.poll(tl.now()).kind == action::none);
  // Many pings in one read (one `now`), 10 ms after the last one and with no data
  // between: one strike for the lot (a backlog's queued pings drain so).
  tl.go_to(30ms);
  for (int i = 0; i < 20; ++i) d.on_ping_received(tl.now());
  CHECK(d.stats().ping_strikes == 1);
  CHECK(d.poll(tl.now()).kind == action::none);
  // One more read with an early ping: strike 2 > 1 ends it.
  tl.go_to(31ms);
  d.on_ping_received(tl.now());
  CHECK(d.poll(tl.now()).reason == error::ping_flood);
}

// ---- answer budget: pings whatever lies between them (issue 11, item 8) ---------------------

namespace {

/// One read carrying `data` bytes of user data, then one ping; the pong (if asked for) is
/// written at once. Returns what on_ping_received said.
bool data_then_ping(core::detector& d, core::time_point now, std::size_t data = 1) {
  d.on_received(now, data + 5);
  d.on_data_received(now);
  const bool answer = d.on_ping_received(now);
  if (answer) {
    d.on_sent(now, 5);
    d.on_pong_sent(now);
  }
  return answer;
}

}  // namespace

TEST_CASE("ping_pong: pings with one byte of user data between them are cut off as a flood",
          "[core]") {
  timeline tl;
  core::ping_pong_options o = pp(2000ms, 3000ms);  // default guard: 100 ms, 3 strikes
  REQUIRE(o.ping_burst() == 64);
  core::detector d(o, liveness::role::server, tl.now());
  // 1,000 pings a second, a byte of user data before each: no strikes (data between), but
  // every one makes us write a pong. The budget (64 at once, then one per 100 ms) runs dry.
  int answered = 0;
  int i = 1;
  for (; i <= 10000 && !d.is_dead(); ++i) {
    tl.clock.advance_to(tl.start + std::chrono::milliseconds(i));
    if (data_then_ping(d, tl.now())) ++answered;
    CHECK(d.stats().ping_strikes == 0);
  }
  REQUIRE(d.is_dead());
  CHECK(d.reason() == error::ping_flood);
  // paid - now after n answers 1 ms apart = 100 + 99 (n - 1) ms; over 6,400 ms at n = 65.
  CHECK(answered == 64);
  CHECK(i - 1 == 65);
  const auto r = d.poll(tl.now());
  CHECK(r.kind == action::peer_dead);
  CHECK(r.reason == error::ping_flood);
  CHECK_FALSE(d.next_deadline());
}

TEST_CASE("ping_pong: the answer budget is ping_burst at once then one per min_ping_interval",
          "[core]") {
  timeline tl;
  core::ping_pong_options o = pp(2000ms, 3000ms);
  o.max_ping_strikes = 1;  // ping_burst 32
  REQUIRE(o.ping_burst() == 32);
  core::detector d(o, liveness::role::server, tl.now());
  tl.go_to(10s);  // an idle start: the budget is full
  // 32 answered pings at one instant (data between, each pong written): within budget.
  for (int i = 0; i < 32; ++i) CHECK(data_then_ping(d, tl.now()));
  CHECK_FALSE(d.is_dead());
  SECTION("the 33rd at once is over it") {
    CHECK_FALSE(data_then_ping(d, tl.now()));
    CHECK(d.reason() == error::ping_flood);
  }
  SECTION("min_ping_interval later, one more fits, and one per interval from then on") {
    for (int i = 1; i <= 1000; ++i) {
      tl.go_to(10s + std::chrono::milliseconds(100 * i));
      CHECK(data_then_ping(d, tl.now()));
    }
    CHECK_FALSE(d.is_dead());
    CHECK_FALSE(data_then_ping(d, tl.now()));  // the budget is still empty: one too many
    CHECK(d.reason() == error::ping_flood);
  }
  SECTION("it refills with time") {
    tl.go_to(10s + 3200ms);  // 32 x 100 ms: full again
    for (int i = 0; i < 32; ++i) CHECK(data_then_ping(d, tl.now()));
    CHECK_FALSE(d.is_dead());
  }
}

TEST_CASE("ping_pong: a backlog's pings drained at once are no flood", "[core]") {
  timeline tl;
  // A sender pinging every 2 s (aggressive) behind bulk data; we read slowly, then the
  // backlog drains: 60 of its pings (two minutes of them) reach us 1 ms apart, each after
  // 64 KiB of data, each answered; afterwards they arrive once per interval again.
  core::detector d(core::ping_pong_options::aggressive(), liveness::role::server, tl.now());
  tl.go_to(120s);
  for (int i = 0; i < 60; ++i) {
    tl.go_to(120s + std::chrono::milliseconds(i));
    CHECK(data_then_ping(d, tl.now(), 65536));
  }
  CHECK_FALSE(d.is_dead());
  // Steady state with jitter: one ping per 2 s on average, pairs arriving 1 ms apart.
  for (int i = 0; i < 2000; ++i) {
    const auto base = 130s + std::chrono::seconds(4 * i);
    tl.go_to(base);
    CHECK(data_then_ping(d, tl.now(), 65536));
    tl.go_to(base + 1ms);
    CHECK(data_then_ping(d, tl.now(), 65536));
  }
  CHECK_FALSE(d.is_dead());
  CHECK(d.stats().pongs_sent == 60 + 4000);
  CHECK(d.poll(tl.now()).kind != action::peer_dead);
}

TEST_CASE("ping_pong: pings decoded from one read cost one answer", "[core]") {
  timeline tl;
  core::detector d(pp(2000ms, 3000ms), liveness::role::server, tl.now());
  // Reads 100 ms apart (the budget's rate), each with 1,000 pings and data between them:
  // one pong per read, the rest coalesced; never cut off.
  for (int r = 1; r <= 200; ++r) {
    tl.go_to(std::chrono::milliseconds(100 * r));
    int asked = 0;
    for (int i = 0; i < 1000; ++i) {
      d.on_received(tl.now(), 6);
      d.on_data_received(tl.now());
      if (d.on_ping_received(tl.now())) ++asked;
    }
    CHECK(asked == 1);
    d.on_sent(tl.now(), 5);
    d.on_pong_sent(tl.now());
  }
  CHECK_FALSE(d.is_dead());
  CHECK(d.stats().pongs_coalesced == 200 * 999);
}

TEST_CASE("ping_pong: a turned-off flood guard has no answer budget either", "[core]") {
  timeline tl;
  core::ping_pong_options o = pp(2000ms, 3000ms);
  SECTION("max_ping_strikes 0") { o.max_ping_strikes = 0; }
  SECTION("min_ping_interval 0") { o.min_ping_interval = 0ms; }
  core::detector d(o, liveness::role::server, tl.now());
  for (int i = 1; i <= 5000; ++i) {
    tl.clock.advance_to(tl.start + std::chrono::milliseconds(i));
    CHECK(data_then_ping(d, tl.now()));
  }
  CHECK_FALSE(d.is_dead());
}

TEST_CASE("ping_pong: an extreme min_ping_interval saturates the budget, no overflow",
          "[core]") {
  timeline tl;
  core::ping_pong_options o = pp(2000ms, 3000ms);
  o.interval = core::duration::max();
  o.min_ping_interval = core::duration::max() / 2;
  o.max_ping_strikes = 0xFFFFFFFFu;
  REQUIRE_FALSE(o.validate());
  CHECK(o.ping_burst() == 16ull * 0x100000000ull);
  core::detector d(o, liveness::role::server, tl.now());
  CHECK(data_then_ping(d, tl.now()));
  CHECK(data_then_ping(d, tl.now()));
  CHECK_FALSE(d.is_dead());
}

// ---- sans-I/O contracts (issue 11, item 9) -------------------------------------------------

TEST_CASE("ping_pong: after poll the next deadline lies after now, a due progress pong too",
          "[core]") {
  timeline tl;
  core::detector d(pp(100ms, 300ms, core::ping_role::client), liveness::role::server, tl.now());
  tl.go_to(50ms);
  d.on_received(tl.now(), 65536);
  d.on_data_received(tl.now());
  CHECK(tl.deadline(d) == 100);  // the progress pong falls due an interval after the start
  tl.go_to(100ms);
  CHECK(d.poll(tl.now()).kind == action::none);
  // Before the fix this was 100 (== now, in the past for a timer) until the pong was taken.
  REQUIRE(d.next_deadline());
  CHECK(*d.next_deadline() > tl.now());
  CHECK(tl.deadline(d) == 450);  // the silence deadline of an end that does not ping
  // The pong is still the caller's to take, once.
  CHECK(d.take_progress_pong(tl.now()));
  CHECK_FALSE(d.take_progress_pong(tl.now()));
  CHECK(d.stats().progress_pongs == 1);
  // Taken late (a caller that polled and took it later): still due, still once.
  d.on_sent(tl.now(), 5);
  d.on_pong_sent(tl.now());
  tl.go_to(120ms);
  d.on_received(tl.now(), 10);
  d.on_data_received(tl.now());
  CHECK(tl.deadline(d) == 200);
  tl.go_to(230ms);
  CHECK(d.poll(tl.now()).kind == action::none);
  CHECK(*d.next_deadline() > tl.now());
  tl.go_to(240ms);
  CHECK(d.poll(tl.now()).kind == action::none);
  CHECK(d.take_progress_pong(tl.now()));
  CHECK(d.stats().progress_pongs == 2);
  // A write of ours in between makes a due pong moot.
  d.on_sent(tl.now(), 5);
  d.on_pong_sent(tl.now());
  d.on_received(tl.now(), 10);
  d.on_data_received(tl.now());
  tl.go_to(340ms);
  CHECK(d.poll(tl.now()).kind == action::none);
  CHECK(*d.next_deadline() > tl.now());
  d.on_sent(tl.now(), 100);
  CHECK_FALSE(d.take_progress_pong(tl.now()));
}

}  // namespace core_detector_test
