// Unit tests of ping_pong_options::ping_after_own_silence (liveness/core/detector.hpp): a
// pinging end that receives all the time but sends nothing still pings every interval (MQTT's
// keep-alive counts what the client sends). A manual clock, no sleeps, no sockets.
#include <liveness/core/detector.hpp>

#include "test_support.hpp"

#include <liveness/core/clock.hpp>

#include <chrono>

namespace core_detector_own_silence_test {

namespace {

using namespace std::chrono_literals;
namespace core = liveness::core;
using core::action;
using liveness::error;

core::ping_pong_options own_silence(core::ping_role pinger = core::ping_role::client) {
  core::ping_pong_options o;
  o.interval = 1s;
  o.timeout = 500ms;
  o.pinger = pinger;
  o.ping_after_own_silence = true;
  return o;
}

}  // namespace

TEST_CASE("own silence: a pinging end that only receives pings every interval",
          "[core][own_silence]") {
  core::manual_clock clock;
  const auto t0 = clock.now();
  core::detector d(own_silence(), liveness::role::client, t0);
  REQUIRE(d.sends_pings());
  int pings = 0;
  // The peer sends something every 100 ms for 5 s; we answer nothing and send nothing but
  // our pings, whose pongs come 20 ms later.
  for (int i = 1; i <= 50; ++i) {
    clock.advance(80ms);
    if (d.ping_outstanding()) d.on_pong_received(clock.now());
    clock.advance(20ms);
    d.on_received(clock.now(), 10);
    d.on_data_received(clock.now());
    const auto r = d.poll(clock.now());
    CHECK_FALSE(d.take_progress_pong(clock.now()));  // the ping is our proof of life
    if (r.kind == action::send_ping) {
      ++pings;
      CHECK(clock.now() - t0 == pings * 1s);  // one interval after our last write
      d.on_sent(clock.now(), 2);
      d.on_ping_sent(clock.now());
    }
    REQUIRE(r.kind != action::peer_dead);
    // The next deadline is our next ping: an interval after our last write.
    REQUIRE(d.next_deadline());
    if (!d.ping_outstanding())
      CHECK(*d.next_deadline() == d.stats().last_sent.value_or(t0) + 1s);
  }
  CHECK(pings == 5);
  CHECK(d.stats().pings_sent == 5);
  CHECK(d.stats().progress_pongs == 0);
}

TEST_CASE("own silence: our own writes postpone the ping like inbound traffic does",
          "[core][own_silence]") {
  core::manual_clock clock;
  const auto t0 = clock.now();
  core::detector d(own_silence(), liveness::role::client, t0);
  clock.advance(600ms);
  d.on_received(clock.now(), 5);
  d.on_sent(clock.now(), 5);
  // Both silences restarted at 600 ms: the ping is due at 1600 ms.
  CHECK(*d.next_deadline() == t0 + 1600ms);
  clock.advance(900ms);
  d.on_sent(clock.now(), 5);  // we write at 1500 ms; the peer stays silent
  CHECK(*d.next_deadline() == t0 + 1600ms);
  clock.advance_to(t0 + 1600ms);
  CHECK(d.poll(clock.now()).kind == action::send_ping);  // inbound silence still counts
}

TEST_CASE("own silence: a silent peer is still dead interval plus timeout after it spoke",
          "[core][own_silence]") {
  core::manual_clock clock;
  const auto t0 = clock.now();
  core::detector d(own_silence(), liveness::role::client, t0);
  clock.advance_to(t0 + 1s);
  REQUIRE(d.poll(clock.now()).kind == action::send_ping);
  d.on_sent(clock.now(), 2);
  d.on_ping_sent(clock.now());
  CHECK(*d.next_deadline() == t0 + 1500ms);
  clock.advance_to(t0 + 1500ms);
  const auto r = d.poll(clock.now());
  CHECK(r.kind == action::peer_dead);
  CHECK(r.reason == error::heartbeat_timeout);
}

TEST_CASE("own silence: an end that does not ping is unchanged", "[core][own_silence]") {
  core::manual_clock clock;
  const auto t0 = clock.now();
  // The server of a client-pings pair: it never pings, and still writes progress pongs.
  core::detector d(own_silence(core::ping_role::client), liveness::role::server, t0);
  REQUIRE_FALSE(d.sends_pings());
  clock.advance(100ms);
  d.on_received(clock.now(), 10);
  d.on_data_received(clock.now());
  clock.advance_to(t0 + 1s);
  CHECK(d.poll(clock.now()).kind == action::none);
  CHECK(d.take_progress_pong(clock.now()));
  CHECK(d.stats().pings_sent == 0);
}

}  // namespace core_detector_own_silence_test
