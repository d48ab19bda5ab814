// Tests of the options of liveness/session.hpp: invalid options throw liveness::system_error
// with the code naming the problem, an interval below min_ping_interval is refused, and the
// keepalive options reach the socket (apply_keepalive = false leaves it alone).
//
// Every test bounds its own time (run_until loops with a deadline). Timing assertions are
// computed from the options, with an upper slack for a loaded 2-core machine; measured values
// are printed. Helpers: tests/support/loopback.hpp and session_fixtures.hpp.
#include <liveness/session.hpp>

#include "asio_includes.hpp"
#include "test_support.hpp"
#include "loopback.hpp"
#include "session_fixtures.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace liveness_test::session_names;  // lv, net, tcp, clk, session_t, helpers

// =============================================================================================
// Refused options
// =============================================================================================

TEST_CASE("session: invalid options throw liveness::system_error", "[session][options]") {
  net::io_context io;

  SECTION("ping_pong: a zero interval") {
    auto p = connected(io);
    auto o = pp_options<lp_policy>(0ms, 1s);
    CHECK(thrown_code([&] { session_t<lp_policy> s(std::move(p.server), side::server, o); }) ==
          error::heartbeat_invalid_options);
  }
  SECTION("ping_pong: a negative timeout") {
    auto p = connected(io);
    auto o = pp_options<line_policy>(1s, -1ms);
    CHECK(thrown_code([&] { session_t<line_policy> s(std::move(p.server), side::server, o); }) ==
          error::heartbeat_invalid_options);
  }
  SECTION("ping_pong: a negative min_ping_interval") {
    auto p = connected(io);
    auto o = pp_options<lp_policy>(1s, 1s);
    o.heartbeat.heartbeat.min_ping_interval = -1ms;
    CHECK(thrown_code([&] { session_t<lp_policy> s(std::move(p.server), side::server, o); }) ==
          error::heartbeat_invalid_options);
  }
  SECTION("idle_timeout: a zero timeout") {
    auto p = connected(io);
    lv::session_options<lv::heartbeat::idle_timeout> o;
    o.heartbeat.timeout = clk::duration::zero();
    CHECK(thrown_code([&] {
            session_t<lv::heartbeat::idle_timeout> s(std::move(p.server), side::server, o);
          }) == error::heartbeat_invalid_options);
  }
  SECTION("line codec: ping text equal to the pong text") {
    auto p = connected(io);
    auto o = pp_options<line_policy>(1s, 1s);
    o.heartbeat.codec.pong = o.heartbeat.codec.ping;
    CHECK(thrown_code([&] { session_t<line_policy> s(std::move(p.server), side::server, o); }) ==
          error::codec_invalid_options);
  }
  SECTION("line codec: a ping text with a newline") {
    auto p = connected(io);
    auto o = pp_options<line_policy>(1s, 1s);
    o.heartbeat.codec.ping = "PI\nNG";
    CHECK(thrown_code([&] { session_t<line_policy> s(std::move(p.server), side::server, o); }) ==
          error::codec_invalid_options);
  }
  SECTION("length_prefixed codec: max_frame_size 0") {
    auto p = connected(io);
    auto o = pp_options<lp_policy>(1s, 1s);
    o.heartbeat.codec.max_frame_size = 0;
    CHECK(thrown_code([&] { session_t<lp_policy> s(std::move(p.server), side::server, o); }) ==
          error::codec_invalid_options);
  }
  SECTION("keepalive: zero probes") {
    auto p = connected(io);
    lv::session_options<lv::heartbeat::none> o;
    o.keepalive.probes = 0;
    const auto expected = o.keepalive.validate();
    REQUIRE(expected);
    const auto ec = thrown_code(
        [&] { session_t<lv::heartbeat::none> s(std::move(p.server), side::server, o); });
    INFO(ec.message());
    CHECK(ec == expected);
    CHECK(ec == lv::condition::invalid_configuration);
  }
  SECTION("keepalive: a zero idle time") {
    auto p = connected(io);
    lv::session_options<lp_policy> o;
    o.keepalive.idle = ms::zero();
    const auto ec =
        thrown_code([&] { session_t<lp_policy> s(std::move(p.server), side::server, o); });
    INFO(ec.message());
    CHECK(ec == o.keepalive.validate());
    CHECK(ec == lv::condition::invalid_configuration);
  }
  // Nothing is left behind: the io_context has no work from the refused sessions.
  run_for(io, 10ms);
}

TEST_CASE("session: the keepalive options reach the socket, apply_keepalive = false leaves it "
          "alone",
          "[session][options]") {
  net::io_context io;
  SECTION("applied") {
    auto p = connected(io);
    lv::session_options<lp_policy> o;
    o.keepalive = lv::keepalive_options::aggressive();
    session_t<lp_policy> s(std::move(p.server), side::server, o);
    INFO(s.keepalive().to_string());
    CHECK(s.keepalive().enabled);
    net::socket_base::keep_alive ka;
    s.next_layer().get_option(ka);
    CHECK(ka.value());
#if defined(__linux__)
    CHECK(s.keepalive().idle.value == o.keepalive.idle);
    CHECK(s.keepalive().probes.value == o.keepalive.probes);
#endif
  }
  SECTION("left alone") {
    auto p = connected(io);
    lv::session_options<lp_policy> o;
    o.apply_keepalive = false;
    session_t<lp_policy> s(std::move(p.server), side::server, o);
    CHECK_FALSE(s.keepalive().enabled);
    net::socket_base::keep_alive ka;
    s.next_layer().get_option(ka);
    CHECK_FALSE(ka.value());
  }
}

TEST_CASE("session: an interval below min_ping_interval is refused, not left to flood",
          "[session][options]") {
  // Two ends pinging every 50 ms while each demands at least 100 ms between the other's
  // pings would cut each other off with ping_flood: such options are refused up front.
  net::io_context io;
  auto p = connected(io);
  auto o = pp_options<lp_policy>(50ms, 300ms);  // min_ping_interval stays 100 ms
  CHECK(o.heartbeat.heartbeat.validate() == lv::error::heartbeat_invalid_options);
  try {
    session_t<lp_policy> a(std::move(p.client), side::client, o);
    FAIL("no exception");
  } catch (const lv::system_error& e) {
    CHECK(e.code() == lv::error::heartbeat_invalid_options);
  }
  // Allowed with the guard loosened or off.
  o.heartbeat.heartbeat.min_ping_interval = 50ms;
  CHECK_FALSE(o.heartbeat.heartbeat.validate());
  o.heartbeat.heartbeat.min_ping_interval = 100ms;
  o.heartbeat.heartbeat.max_ping_strikes = 0;
  CHECK_FALSE(o.heartbeat.heartbeat.validate());
}
