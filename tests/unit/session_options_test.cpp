// Tests of the options of liveness/session.hpp: invalid options throw liveness::system_error
// with the code naming the problem, an interval below min_ping_interval is refused, and the
// keepalive options reach the socket (keepalive = std::nullopt leaves it alone).
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

namespace session_options_test {

using namespace liveness_test::session_names;  // lv, net, tcp, clk, session_t, helpers

// =============================================================================================
// Refused options
// =============================================================================================

TEST_CASE("session: invalid options throw liveness::system_error", "[session][options]") {
  net::io_context io;

  SECTION("ping_pong: a zero interval") {
    auto p = connected(io);
    auto o = pp_options<lp_policy>(0ms, 1s);
    CHECK(thrown_code([&] { session_t<lp_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server)); }) ==
          error::heartbeat_invalid_options);
  }
  SECTION("ping_pong: a negative timeout") {
    auto p = connected(io);
    auto o = pp_options<line_policy>(1s, -1ms);
    CHECK(thrown_code([&] { session_t<line_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server)); }) ==
          error::heartbeat_invalid_options);
  }
  SECTION("ping_pong: a negative min_ping_interval") {
    auto p = connected(io);
    auto o = pp_options<lp_policy>(1s, 1s);
    o.heartbeat.min_ping_interval = -1ms;
    CHECK(thrown_code([&] { session_t<lp_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server)); }) ==
          error::heartbeat_invalid_options);
  }
  SECTION("idle_timeout: a zero timeout") {
    auto p = connected(io);
    lv::session_options<lv::heartbeat::idle_timeout> o;
    o.heartbeat.timeout = clk::duration::zero();
    CHECK(thrown_code([&] {
            session_t<lv::heartbeat::idle_timeout> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
          }) == error::heartbeat_invalid_options);
  }
  SECTION("line codec: ping text equal to the pong text") {
    auto p = connected(io);
    auto o = pp_options<line_policy>(1s, 1s);
    o.heartbeat.codec.pong = o.heartbeat.codec.ping;
    CHECK(thrown_code([&] { session_t<line_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server)); }) ==
          error::codec_invalid_options);
  }
  SECTION("line codec: a ping text with a newline") {
    auto p = connected(io);
    auto o = pp_options<line_policy>(1s, 1s);
    o.heartbeat.codec.ping = "PI\nNG";
    CHECK(thrown_code([&] { session_t<line_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server)); }) ==
          error::codec_invalid_options);
  }
  SECTION("length_prefixed codec: max_frame_size 0") {
    auto p = connected(io);
    auto o = pp_options<lp_policy>(1s, 1s);
    o.heartbeat.codec.max_frame_size = 0;
    CHECK(thrown_code([&] { session_t<lp_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server)); }) ==
          error::codec_invalid_options);
  }
  SECTION("keepalive: zero probes") {
    auto p = connected(io);
    lv::session_options<lv::heartbeat::none> o;
    o.keepalive->probes = 0;
    const auto expected = o.keepalive->validate();
    REQUIRE(expected);
    const auto ec = thrown_code(
        [&] { session_t<lv::heartbeat::none> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server)); });
    INFO(ec.message());
    CHECK(ec == expected);
    CHECK(ec == lv::condition::invalid_configuration);
  }
  SECTION("keepalive: a zero idle time") {
    auto p = connected(io);
    lv::session_options<lp_policy> o;
    o.keepalive->idle = ms::zero();
    const auto ec =
        thrown_code([&] { session_t<lp_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server)); });
    INFO(ec.message());
    CHECK(ec == o.keepalive->validate());
    CHECK(ec == lv::condition::invalid_configuration);
  }
  // Nothing is left behind: the io_context has no work from the refused sessions.
  run_for(io, 10ms);
}

TEST_CASE("session: the keepalive options reach the socket, keepalive = std::nullopt leaves it "
          "alone",
          "[session][options]") {
  net::io_context io;
  SECTION("applied") {
    auto p = connected(io);
    lv::session_options<lp_policy> o;
    o.keepalive = lv::keepalive_options::aggressive();
    session_t<lp_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
    INFO(s.keepalive().to_string());
    CHECK(s.keepalive().enabled);
    net::socket_base::keep_alive ka;
    s.next_layer().get_option(ka);
    CHECK(ka.value());
#if defined(__linux__)
    CHECK(s.keepalive().idle.value == o.keepalive->idle);
    CHECK(s.keepalive().probes.value == o.keepalive->probes);
#endif
  }
  SECTION("left alone") {
    auto p = connected(io);
    lv::session_options<lp_policy> o;
    o.keepalive = std::nullopt;
    session_t<lp_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
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
  CHECK(o.heartbeat.validate() == lv::error::heartbeat_invalid_options);
  try {
    session_t<lp_policy> a(std::move(p.client), liveness_test::with_role(o, liveness::role::client));
    FAIL("no exception");
  } catch (const lv::system_error& e) {
    CHECK(e.code() == lv::error::heartbeat_invalid_options);
  }
  // Allowed with the guard loosened or off.
  o.heartbeat.min_ping_interval = 50ms;
  CHECK_FALSE(o.heartbeat.validate());
  o.heartbeat.min_ping_interval = 100ms;
  o.heartbeat.max_ping_strikes = 0;
  CHECK_FALSE(o.heartbeat.validate());
}

// =============================================================================================
// Without exceptions, and the session's own detection bound
// =============================================================================================

TEST_CASE("session: the error_code constructor reports refused options, closes the socket and "
          "leaves a session without a connection",
          "[session][options][smoke]") {
  net::io_context io;
  SECTION("refused options") {
    auto p = connected(io);
    auto o = pp_options<lp_policy>(1s, 1s);
    o.max_write_chunk = 0;
    lv::error_code ec = net::error::would_block;  // overwritten
    session_t<lp_policy> s(std::move(p.server), with_role(o, role::server), ec);
    CHECK(ec == error::invalid_session_options);
    CHECK_FALSE(s.is_open());
    CHECK_FALSE(s.is_dead());
    CHECK(s.detection_bound().worst == lv::core::duration::max());
    // The socket was closed: the peer reads end of stream.
    char byte = 0;
    lv::error_code read_ec;
    p.client.read_some(net::buffer(&byte, 1), read_ec);
    CHECK(read_ec == net::error::eof);
    // Operations complete with bad_descriptor, as on a moved-from session.
    lv::error_code wait_ec;
    s.async_wait_dead([&](lv::error_code e) { wait_ec = e; });
    REQUIRE(run_until(io, [&] { return !!wait_ec; }, 2s));
    CHECK(wait_ec == net::error::bad_descriptor);
  }
  SECTION("a keepalive the platform refuses") {
    auto p = connected(io);
    lv::session_options<lv::heartbeat::none> o;
    o.keepalive->idle = std::chrono::hours(24 * 365);  // beyond every platform's limit
    lv::error_code ec;
    session_t<lv::heartbeat::none> s(std::move(p.server), o, ec);
    CHECK(ec == lv::condition::invalid_configuration);
    CHECK_FALSE(s.is_open());
  }
  SECTION("accepted options clear the code") {
    auto p = connected(io);
    lv::error_code ec = net::error::would_block;
    session_t<lp_policy> s(std::move(p.server), as_role(role::server), ec);
    CHECK_FALSE(ec);
    CHECK(s.is_open());
  }
}

TEST_CASE("session: detection_bound uses the keepalive the kernel applied", "[session][options]") {
  net::io_context io;
  auto p = connected(io);
  auto o = lv::session_options<line_policy>::within(9s, role::client);
  session_t<line_policy> s(std::move(p.client), o);
  const auto mine = s.detection_bound();
  const auto asked = o.detection_bound();
  INFO("session: " << mine.to_string() << "\noptions: " << asked.to_string() << "\n"
                   << s.keepalive().to_string());
  CHECK(mine.hung_process == asked.hung_process);
#if defined(__linux__)
  // Linux takes the whole seconds asked for: the same bounds.
  CHECK(mine.dead_host_idle == asked.dead_host_idle);
  CHECK(mine.dead_host_sending == asked.dead_host_sending);
#endif
  CHECK(mine.worst <= 9s);
  // Keepalive left alone: the dead-host bounds rest on the heartbeat.
  auto p2 = connected(io);
  o.keepalive = std::nullopt;
  session_t<line_policy> bare(std::move(p2.client), o);
  CHECK(bare.detection_bound().dead_host_sending == o.heartbeat.detection_bound());
}

TEST_CASE("session: two ends from one budget stay up while idle, and a hung peer is reported "
          "within the budget",
          "[session][options][budget]") {
  net::io_context io;
  auto p = connected(io);
  const auto budget = 1500ms;
  session_t<line_policy> client(std::move(p.client),
                                lv::session_options<line_policy>::within(budget, role::client));
  session_t<line_policy> server(std::move(p.server),
                                lv::session_options<line_policy>::within(budget, role::server));
  run_for(io, 2 * budget);  // idle, both pinging
  CHECK_FALSE(client.is_dead());
  CHECK_FALSE(server.is_dead());
  CHECK(client.stats().pongs_received + server.stats().pongs_received > 0);

  // A hung peer: a raw socket that reads nothing and answers nothing.
  auto q = connected(io);
  session_t<line_policy> watcher(std::move(q.client),
                                 lv::session_options<line_policy>::within(budget, role::client));
  const auto start = clk::now();
  lv::error_code why;
  watcher.async_wait_dead([&](lv::error_code e) { why = e; });
  REQUIRE(run_until(io, [&] { return !!why; }, 3 * budget));
  const auto took = clk::now() - start;
  report("within(1.5 s): hung peer reported", took, budget);
  CHECK(why == error::heartbeat_timeout);
  CHECK(took <= budget + liveness_test::sched_slack);
}

}  // namespace session_options_test
