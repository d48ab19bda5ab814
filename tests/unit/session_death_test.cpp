// Loopback tests of liveness/session.hpp: each death reason over real sockets (peer_closed with
// held data read first, peer_reset, heartbeat_timeout of a peer that stops answering or
// stops reading, idle_timeout, protocol_error, frame_too_large), each reported once with the
// reason and on time.
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

namespace session_death_test {

using namespace liveness_test::session_names;  // lv, net, tcp, clk, session_t, helpers

// =============================================================================================
// Each death reason over loopback
// =============================================================================================

TEMPLATE_TEST_CASE("session: a graceful close by the peer is peer_closed, held data is read "
                   "first, then eof",
                   "[session][death][smoke]", lv::heartbeat::none, lv::heartbeat::idle_timeout,
                   lp_policy, line_policy) {
  using policy = TestType;
  net::io_context io;
  auto p = connected(io);
  session_t<policy> s(std::move(p.server), liveness_test::as_role(liveness::role::server));
  raw_peer peer(std::move(p.client));
  death_watch dead;
  dead.watch(s);

  std::string bytes = "hello\n";
  if constexpr (std::is_same_v<policy, lp_policy>) bytes = lp_frame(0x00, "hello\n");
  peer.write(bytes);
  peer.sock.shutdown(tcp::socket::shutdown_send);

  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 2s));
  CHECK(dead.reason == error::peer_closed);
  CHECK(s.is_dead());
  CHECK(s.reason() == error::peer_closed);

  // Reads still return the held data, then eof (so composed reads behave as on a socket).
  std::string got;
  error_code read_ec;
  bool read_done = false;
  net::async_read(s, net::dynamic_buffer(got), [&](error_code ec, std::size_t) {
    read_ec = ec;
    read_done = true;
  });
  REQUIRE(run_until(io, [&] { return read_done; }, 2s));
  CHECK(got == "hello\n");
  CHECK(read_ec == net::error::eof);

  // Writes fail once the peer is dead.
  bool write_done = false;
  error_code write_ec;
  s.async_write_some(net::buffer("x", 1), [&](error_code ec, std::size_t) {
    write_ec = ec;
    write_done = true;
  });
  REQUIRE(run_until(io, [&] { return write_done; }, 2s));
  CHECK(write_ec);
  run_for(io, 20ms);
  CHECK(dead.calls == 1);
}

TEMPLATE_TEST_CASE("session: a peer that closes with an RST is peer_reset", "[session][death]",
                   lv::heartbeat::none, lp_policy) {
  net::io_context io;
  auto p = connected(io);
  session_t<TestType> s(std::move(p.server), liveness_test::as_role(liveness::role::server));
  death_watch dead;
  dead.watch(s);
  run_for(io, 20ms);
  REQUIRE(dead.calls == 0);

  p.client.set_option(net::socket_base::linger(true, 0));
  p.client.close();  // SO_LINGER {on, 0}: the kernel sends RST, not FIN
  const auto closed_at = clk::now();

  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 2s));
  std::cout << "[session] peer_reset reported after " << to_ms(dead.at - closed_at) << " ms\n";
  CHECK(dead.reason == error::peer_reset);
  CHECK(s.reason() == error::peer_reset);
  CHECK(dead.at - closed_at <= sched_slack);
}

TEMPLATE_TEST_CASE("session: a peer that stops answering (socket open, still reading) is "
                   "heartbeat_timeout within (interval + timeout) + 10 %",
                   "[session][death]", lv::codec::length_prefixed, lv::codec::line) {
  using codec = TestType;
  using policy = lv::heartbeat::ping_pong<codec>;
  const clk::duration interval = 200ms;
  const clk::duration timeout = 300ms;
  net::io_context io;
  auto p = connected(io);
  session_t<policy> s(std::move(p.server), liveness_test::with_role(pp_options<policy>(interval, timeout), liveness::role::server));
  raw_peer peer(std::move(p.client));
  std::optional<clk::time_point> ping_seen;
  peer.on_read = [&](raw_peer& r) {
    if (!ping_seen && r.received.find(wire<codec>::ping()) != std::string::npos)
      ping_seen = clk::now();
  };
  peer.start_reading();
  death_watch dead;
  dead.watch(s);

  // Some user traffic, then silence: the process is alive, the socket open, it reads and
  // never answers.
  peer.write(wire<codec>::data("last words\n"));
  const auto last_traffic = clk::now();

  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 3s));
  CHECK(dead.reason == error::heartbeat_timeout);
  const auto silent = dead.at - last_traffic;
  report(std::string("heartbeat_timeout (") + wire<codec>::name() + ") after last traffic",
         silent, interval + timeout);
  CHECK(silent >= interval + timeout - early_tolerance);
  CHECK(silent <= upper_bound(interval + timeout));
  REQUIRE(ping_seen);
  const auto after_ping = dead.at - *ping_seen;
  report(std::string("heartbeat_timeout (") + wire<codec>::name() + ") after the ping",
         after_ping, timeout);
  // The peer sees the ping a little after it was sent: a loose lower bound here; the
  // tight one is on the silence above.
  CHECK(after_ping >= timeout - 50ms);
  CHECK(after_ping <= upper_bound(timeout));
  const auto st = s.stats();
  CHECK(st.pings_sent == 1);
  CHECK(st.pongs_received == 0);
  CHECK(count_of(peer.received, wire<codec>::ping()) == 1);

  // The user data was delivered.
  char buf[64];
  std::size_t n = 0;
  bool done = false;
  s.async_read_some(net::buffer(buf), [&](error_code, std::size_t k) {
    n = k;
    done = true;
  });
  REQUIRE(run_until(io, [&] { return done; }, 1s));
  CHECK(std::string(buf, n) == "last words\n");
}

TEST_CASE("session: a peer that stops reading while we upload (hung, window closed) is "
          "heartbeat_timeout, the pending write fails with it",
          "[session][death]") {
  // Nothing comes back and nothing we write moves: the ping waits behind our stuck data and
  // the peer's silence counts from the start.
  const clk::duration interval = 200ms;
  const clk::duration timeout = 300ms;
  net::io_context io;
  auto p = connected(io);
  const auto start = clk::now();
  session_t<lp_policy> s(std::move(p.server), liveness_test::with_role(pp_options<lp_policy>(interval, timeout), liveness::role::server));
  raw_peer peer(std::move(p.client));  // never reads, never writes
  death_watch dead;
  dead.watch(s);
  const std::string data(16 * 1024 * 1024, 'u');
  bool write_done = false;
  error_code write_ec;
  net::async_write(s, net::buffer(data), [&](error_code ec, std::size_t) {
    write_ec = ec;
    write_done = true;
  });
  REQUIRE(run_until(io, [&] { return dead.calls == 1 && write_done; }, 3s));
  CHECK(dead.reason == error::heartbeat_timeout);
  CHECK(write_ec == error::heartbeat_timeout);
  const auto silent = dead.at - start;
  report("heartbeat_timeout, peer not reading our upload", silent, interval + timeout);
  CHECK(silent >= interval + timeout - early_tolerance);
  CHECK(silent <= upper_bound(interval + timeout));
}

TEST_CASE("session: idle_timeout declares a silent peer dead after the timeout",
          "[session][death]") {
  const clk::duration timeout = 300ms;
  net::io_context io;
  auto p = connected(io);
  lv::session_options<lv::heartbeat::idle_timeout> o;
  o.heartbeat.timeout = timeout;
  session_t<lv::heartbeat::idle_timeout> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  raw_peer peer(std::move(p.client));
  peer.start_reading();
  death_watch dead;
  dead.watch(s);

  // Traffic keeps it alive past the timeout ...
  const auto start = clk::now();
  net::steady_timer tick(io);
  std::function<void()> chatter = [&] {
    peer.write("x");
    if (clk::now() - start >= 2 * timeout) return;
    tick.expires_after(timeout / 3);
    tick.async_wait([&](error_code ec) {
      if (!ec) chatter();
    });
  };
  chatter();
  run_until(io, [&] { return dead.calls > 0 || clk::now() - start >= 2 * timeout + 20ms; },
            3s);
  REQUIRE(dead.calls == 0);
  // ... then silence.
  peer.write("y");
  const auto last_traffic = clk::now();
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 3s));
  CHECK(dead.reason == error::idle_timeout);
  const auto silent = dead.at - last_traffic;
  report("idle_timeout after last traffic", silent, timeout);
  CHECK(silent >= timeout - early_tolerance);
  CHECK(silent <= upper_bound(timeout));
  CHECK(peer.received.empty());  // nothing is injected into the stream
}

TEST_CASE("session: an unknown frame type is protocol_error, earlier data is still read",
          "[session][death]") {
  net::io_context io;
  auto p = connected(io);
  session_t<lp_policy> s(std::move(p.server), liveness_test::as_role(liveness::role::server));
  raw_peer peer(std::move(p.client));
  death_watch dead;
  dead.watch(s);
  peer.write(lp_frame(0x00, "good") + lp_frame(0x07, "x"));
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 2s));
  CHECK(dead.reason == error::protocol_error);

  std::string got;
  error_code read_ec;
  bool done = false;
  net::async_read(s, net::dynamic_buffer(got), [&](error_code ec, std::size_t) {
    read_ec = ec;
    done = true;
  });
  REQUIRE(run_until(io, [&] { return done; }, 1s));
  CHECK(got == "good");
  CHECK(read_ec == error::protocol_error);
}

TEST_CASE("session: an oversized frame or line is frame_too_large", "[session][death]") {
  net::io_context io;
  auto p = connected(io);
  raw_peer peer(std::move(p.client));
  death_watch dead;

  SECTION("length_prefixed: a length prefix of 0xFFFFFFFF") {
    session_t<lp_policy> s(std::move(p.server), liveness_test::as_role(liveness::role::server));
    dead.watch(s);
    peer.write(std::string("\xFF\xFF\xFF\xFF\x00", 5));
    REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 2s));
    CHECK(dead.reason == error::frame_too_large);
  }
  SECTION("line: a line longer than max_line_length") {
    auto o = pp_options<line_policy>(10s, 10s);
    o.heartbeat.codec.max_line_length = 100;
    session_t<line_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
    dead.watch(s);
    peer.write(std::string(99, 'a') + "\n");  // the longest allowed line is fine
    run_for(io, 30ms);
    REQUIRE(dead.calls == 0);
    peer.write(std::string(150, 'b'));
    REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 2s));
    CHECK(dead.reason == error::frame_too_large);
  }
}

}  // namespace session_death_test
