// Loopback tests of the operations of liveness/session.hpp: the async_wait_dead contract
// (exactly once per waiter, at once but never inline on a dead peer, operation_aborted on
// close), and per-operation cancellation of async_wait_dead, async_read_some and a write
// whose bytes are going out.
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

namespace session_wait_test {

using namespace liveness_test::session_names;  // lv, net, tcp, clk, session_t, helpers

// =============================================================================================
// async_wait_dead
// =============================================================================================

TEST_CASE("session: async_wait_dead completes exactly once for each of several waiters",
          "[session][wait][threads]") {
  net::io_context io;
  auto p = connected(io);
  session_t<lp_policy> s(std::move(p.server), liveness_test::as_role(liveness::role::server));
  std::vector<death_watch> waiters(4);
  for (auto& w : waiters) w.watch(s);
  run_for(io, 20ms);
  for (auto& w : waiters) REQUIRE(w.calls == 0);
  // One more added later, while the others wait.
  death_watch late;
  late.watch(s);
  run_for(io, 10ms);

  p.client.close();
  REQUIRE(run_until(io, [&] {
    for (auto& w : waiters)
      if (w.calls == 0) return false;
    return late.calls > 0;
  }, 2s));
  run_for(io, 50ms);
  for (auto& w : waiters) {
    CHECK(w.calls == 1);
    CHECK(w.reason == error::peer_closed);
  }
  CHECK(late.calls == 1);
  CHECK(late.reason == error::peer_closed);
}

TEST_CASE("session: async_wait_dead on a dead peer completes at once, but never inline",
          "[session][wait][threads]") {
  net::io_context io;
  auto p = connected(io);
  session_t<lv::heartbeat::none> s(std::move(p.server), liveness_test::as_role(liveness::role::server));
  death_watch first;
  first.watch(s);
  p.client.shutdown(tcp::socket::shutdown_send);
  REQUIRE(run_until(io, [&] { return first.calls == 1; }, 2s));

  bool initiated = false;
  bool ran_inline = false;
  int calls = 0;
  error_code reason;
  s.async_wait_dead([&](error_code ec) {
    ran_inline = !initiated;
    ++calls;
    reason = ec;
  });
  initiated = true;
  CHECK(calls == 0);
  const auto t0 = clk::now();
  REQUIRE(run_until(io, [&] { return calls == 1; }, 1s));
  CHECK_FALSE(ran_inline);
  CHECK(reason == error::peer_closed);
  CHECK(clk::now() - t0 <= sched_slack);
  run_for(io, 20ms);
  CHECK(calls == 1);
}

TEST_CASE("session: close() completes pending waits with operation_aborted, not a reason",
          "[session][wait]") {
  net::io_context io;
  auto p = connected(io);
  session_t<lp_policy> s(std::move(p.server), liveness_test::as_role(liveness::role::server));
  death_watch before;
  before.watch(s);
  run_for(io, 10ms);
  s.close();
  death_watch after;
  after.watch(s);
  REQUIRE(run_until(io, [&] { return before.calls == 1 && after.calls == 1; }, 1s));
  CHECK(before.reason == net::error::operation_aborted);
  CHECK(after.reason == net::error::operation_aborted);
  CHECK_FALSE(s.is_dead());
  CHECK_FALSE(s.reason());
  run_for(io, 20ms);
  CHECK(before.calls == 1);
  CHECK(after.calls == 1);
}

// =============================================================================================
// Per-operation cancellation
// =============================================================================================

TEST_CASE("session: per-operation cancellation ends one async_wait_dead, the session goes on",
          "[session][wait][cancellation][threads]") {
  net::io_context io;
  auto p = connected(io);
  session_t<lp_policy> s(std::move(p.server), liveness_test::with_role(pp_options<lp_policy>(100ms, 300ms), liveness::role::server));
  raw_peer peer(std::move(p.client));
  // The peer answers pings, so the session stays alive through several heartbeats.
  std::size_t answered = 0;
  peer.on_read = [&](raw_peer& r) {
    const auto pings = count_of(r.received, wire<lv::codec::length_prefixed>::ping());
    for (; answered < pings; ++answered) r.write(wire<lv::codec::length_prefixed>::pong());
  };
  peer.start_reading();

  death_watch other;  // not cancelled
  other.watch(s);

  SECTION("cancelled while waiting") {
    net::cancellation_signal sig;
    int calls = 0;
    error_code ec1;
    s.async_wait_dead(net::bind_cancellation_slot(sig.slot(), [&](error_code ec) {
      ++calls;
      ec1 = ec;
    }));
    run_for(io, 50ms);
    REQUIRE(calls == 0);
    sig.emit(net::cancellation_type::terminal);
    REQUIRE(run_until(io, [&] { return calls == 1; }, 1s));
    CHECK(ec1 == net::error::operation_aborted);
  }
  SECTION("cancelled before the operation got to run") {
    net::cancellation_signal sig;
    int calls = 0;
    error_code ec1;
    s.async_wait_dead(net::bind_cancellation_slot(sig.slot(), [&](error_code ec) {
      ++calls;
      ec1 = ec;
    }));
    sig.emit(net::cancellation_type::terminal);
    REQUIRE(run_until(io, [&] { return calls == 1; }, 1s));
    CHECK(ec1 == net::error::operation_aborted);
  }

  // Alive through more than one heartbeat timeout, and data still flows both ways.
  run_for(io, 500ms);
  CHECK_FALSE(s.is_dead());
  CHECK(other.calls == 0);
  CHECK(s.stats().pings_sent > 0);
  CHECK(s.stats().pongs_received > 0);

  peer.write(lp_frame(0x00, "after cancel"));
  std::string got(12, '\0');
  bool read_done = false;
  error_code read_ec;
  net::async_read(s, net::buffer(&got[0], got.size()), [&](error_code ec, std::size_t) {
    read_ec = ec;
    read_done = true;
  });
  bool write_done = false;
  error_code write_ec;
  const std::string reply = "reply";
  net::async_write(s, net::buffer(reply), [&](error_code ec, std::size_t) {
    write_ec = ec;
    write_done = true;
  });
  REQUIRE(run_until(io, [&] {
    return read_done && write_done &&
           peer.received.find(lp_frame(0x00, "reply")) != std::string::npos;
  }, 2s));
  CHECK_FALSE(read_ec);
  CHECK(got == "after cancel");
  CHECK_FALSE(write_ec);

  // The uncancelled waiter still learns of the death.
  peer.sock.shutdown(tcp::socket::shutdown_send);
  REQUIRE(run_until(io, [&] { return other.calls == 1; }, 2s));
  CHECK(other.reason == error::peer_closed);
}

TEST_CASE("session: per-operation cancellation of every type ends async_wait_dead and "
          "async_read_some (as documented)",
          "[session][wait][cancellation][threads]") {
  // The header documents "per-operation cancellation (all types)" for both operations.
  net::io_context io;
  auto p = connected(io);
  session_t<lp_policy> s(std::move(p.server), liveness_test::as_role(liveness::role::server));
  raw_peer peer(std::move(p.client));
  const auto type = GENERATE(net::cancellation_type::terminal, net::cancellation_type::partial,
                             net::cancellation_type::total);
  INFO("cancellation type " << static_cast<unsigned>(type));

  net::cancellation_signal wait_sig;
  net::cancellation_signal read_sig;
  int wait_calls = 0;
  int read_calls = 0;
  error_code wait_ec;
  error_code read_ec;
  char buf[16];
  s.async_wait_dead(net::bind_cancellation_slot(wait_sig.slot(), [&](error_code ec) {
    ++wait_calls;
    wait_ec = ec;
  }));
  s.async_read_some(net::buffer(buf),
                    net::bind_cancellation_slot(read_sig.slot(), [&](error_code ec, std::size_t) {
                      ++read_calls;
                      read_ec = ec;
                    }));
  run_for(io, 30ms);
  REQUIRE(wait_calls == 0);
  REQUIRE(read_calls == 0);
  wait_sig.emit(type);
  read_sig.emit(type);
  run_until(io, [&] { return wait_calls == 1 && read_calls == 1; }, 500ms);
  CHECK(wait_calls == 1);
  CHECK(wait_ec == net::error::operation_aborted);
  CHECK(read_calls == 1);
  CHECK(read_ec == net::error::operation_aborted);
  CHECK_FALSE(s.is_dead());
  s.close();
  run_for(io, 20ms);
  CHECK(wait_calls == 1);
  CHECK(read_calls == 1);
}

TEST_CASE("session: cancelling a write whose bytes are going out neither corrupts the stream "
          "nor kills the session",
          "[session][wait][cancellation]") {
  // Documented: "once its bytes are going out, it completes when they are written".
  net::io_context io;
  auto p = connected(io);
  auto o = lv::session_options<lp_policy>{};
  // The whole write in one frame.
  o.max_write_chunk = 128 * 1024 * 1024;
  o.heartbeat.codec.max_frame_size = 128 * 1024 * 1024;
  session_t<lp_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  raw_peer peer(std::move(p.client));  // does not read yet
  death_watch dead;
  dead.watch(s);

  // Far more than a socket that is not read takes (about 4 MiB on loopback).
  std::string big(16 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i % 251);
  net::cancellation_signal sig;
  int calls = 0;
  error_code write_ec;
  std::size_t written = 0;
  s.async_write_some(net::buffer(big),
                     net::bind_cancellation_slot(sig.slot(), [&](error_code ec, std::size_t n) {
                       ++calls;
                       write_ec = ec;
                       written = n;
                     }));
  run_for(io, 100ms);
  REQUIRE(calls == 0);  // stuck: the peer does not read
  sig.emit(net::cancellation_type::terminal);
  run_for(io, 50ms);

  // The peer now reads everything.
  const std::size_t expected = 5 + big.size();
  peer.start_reading();
  run_until(io, [&] { return calls == 1 && (peer.received.size() >= expected || peer.closed); },
            5s);
  INFO("write: " << write_ec.message() << ", " << written << " bytes; session reason: "
                 << s.reason().message());
  CHECK(calls == 1);
  CHECK_FALSE(s.is_dead());
  CHECK(dead.calls == 0);
  if (!write_ec) {
    CHECK(written == big.size());
    CHECK(peer.received.size() == expected);
    CHECK(peer.received == lp_frame(0x00, big));
  }
}

}  // namespace session_wait_test
