// Loopback tests of the lifetime of liveness/session.hpp: destroying a session with read,
// write and wait pending (each completes with operation_aborted, exactly once), a moved-to
// session that carries on, and a session destroyed from inside its own handler.
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

namespace session_lifetime_test {

using namespace liveness_test::session_names;  // lv, net, tcp, clk, session_t, helpers

// =============================================================================================
// Destroying a session with operations pending
// =============================================================================================

TEST_CASE("session: destroying a session with read, write and wait pending completes each "
          "with operation_aborted, exactly once",
          "[session][lifetime][threads]") {
  net::io_context io;
  auto p = connected(io);
  auto o = pp_options<lp_policy>(10s, 10s);
  o.max_write_chunk = 128 * 1024 * 1024;
  o.heartbeat.codec.max_frame_size = 128 * 1024 * 1024;
  auto s = std::make_unique<session_t<lp_policy>>(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  raw_peer peer(std::move(p.client));  // never reads: the big write stays pending

  // More than the socket buffers can take (see the write cancellation test in
  // session_wait_test.cpp).
  auto big = std::make_unique<std::string>(16 * 1024 * 1024, 'z');
  auto rbuf = std::make_unique<std::array<char, 64>>();
  int read_calls = 0, write_calls = 0, wait_calls = 0;
  error_code read_ec, write_ec, wait_ec;
  const auto start_all = [&] {
    s->async_read_some(net::buffer(*rbuf), [&](error_code ec, std::size_t) {
      ++read_calls;
      read_ec = ec;
    });
    s->async_write_some(net::buffer(*big), [&](error_code ec, std::size_t) {
      ++write_calls;
      write_ec = ec;
    });
    s->async_wait_dead([&](error_code ec) {
      ++wait_calls;
      wait_ec = ec;
    });
  };

  SECTION("while the operations wait on the socket and the events") {
    start_all();
    run_for(io, 100ms);
    INFO("read " << read_calls << " " << read_ec.message() << ", write " << write_calls << " "
                 << write_ec.message() << ", wait " << wait_calls << " " << wait_ec.message());
    REQUIRE(read_calls + write_calls + wait_calls == 0);
    s.reset();
  }
  SECTION("before the operations got to run") {
    start_all();
    s.reset();
  }
  SECTION("replaced by move assignment") {
    start_all();
    run_for(io, 50ms);
    auto q = connected(io);
    *s = session_t<lp_policy>(std::move(q.server), liveness_test::with_role(o, liveness::role::server));
    q.client.close();
  }

  // The buffers may go as soon as their handlers ran; run on to prove nothing touches them.
  REQUIRE(run_until(io, [&] { return read_calls && write_calls && wait_calls; }, 2s));
  rbuf.reset();
  big.reset();
  run_for(io, 50ms);
  CHECK(read_calls == 1);
  CHECK(write_calls == 1);
  CHECK(wait_calls == 1);
  CHECK(read_ec == net::error::operation_aborted);
  CHECK(write_ec == net::error::operation_aborted);
  CHECK(wait_ec == net::error::operation_aborted);
  s.reset();
  run_for(io, 20ms);
}

TEST_CASE("session: a moved-to session carries on with the operations and the peer",
          "[session][lifetime][threads]") {
  net::io_context io;
  auto p = connected(io);
  session_t<lp_policy> first(std::move(p.server), liveness_test::as_role(liveness::role::server));
  raw_peer peer(std::move(p.client));
  death_watch dead;
  dead.watch(first);
  std::array<char, 16> buf{};
  std::size_t got = 0;
  first.async_read_some(net::buffer(buf), [&](error_code ec, std::size_t n) {
    CHECK_FALSE(ec);
    got = n;
  });
  session_t<lp_policy> second(std::move(first));
  peer.write(lp_frame(0x00, "moved"));
  REQUIRE(run_until(io, [&] { return got > 0; }, 2s));
  CHECK(std::string(buf.data(), got) == "moved");
  peer.sock.shutdown(tcp::socket::shutdown_send);
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 2s));
  CHECK(dead.reason == error::peer_closed);
  CHECK(second.reason() == error::peer_closed);
}

TEST_CASE("session: destroying a session from inside its own handler is safe",
          "[session][lifetime][threads]") {
  net::io_context io;
  auto p = connected(io);
  auto s = std::make_unique<session_t<lp_policy>>(std::move(p.server), liveness_test::as_role(liveness::role::server));
  raw_peer peer(std::move(p.client));
  int wait_calls = 0;
  error_code wait_ec;
  s->async_wait_dead([&](error_code ec) {
    ++wait_calls;
    wait_ec = ec;
  });
  std::array<char, 16> buf{};
  bool read_done = false;
  s->async_read_some(net::buffer(buf), [&](error_code ec, std::size_t n) {
    CHECK_FALSE(ec);
    CHECK(std::string(buf.data(), n) == "bye");
    read_done = true;
    s.reset();  // the session dies inside its own completion handler
  });
  peer.write(lp_frame(0x00, "bye"));
  REQUIRE(run_until(io, [&] { return read_done && wait_calls > 0; }, 2s));
  run_for(io, 20ms);
  CHECK(wait_calls == 1);
  CHECK(wait_ec == net::error::operation_aborted);
}

}  // namespace session_lifetime_test
