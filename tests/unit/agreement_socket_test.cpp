// Two ends that agree on their heartbeat (issue 15), over real sockets on 127.0.0.1: a
// client that pings every 50 ms against a server that accepts one ping per 200 ms, with the
// hello, without it (the "too many pings" notice and doubling settle them), and against a
// raw peer that ignores the notice (still cut off with ping_flood). The rules themselves are
// tested without sockets in engine_agreement_test.cpp.
#include <liveness/session.hpp>

#include "session_fixtures.hpp"
#include "test_support.hpp"

#include <chrono>
#include <iostream>
#include <memory>
#include <string>

namespace agreement_socket_test {

using namespace liveness_test::session_names;

/// The pair. The client pings after 50 ms of silence and waits 1 s for the answer
/// (so it may slow down to 1 s: `max_agreed_interval()`); the server pings after 1 s,
/// waits 1 s, and cuts off pings that come faster than one per 200 ms (the default 3
/// strikes tolerated).
inline lv::session_options<lp_policy> fast_client(bool hello) {
  auto o = pp_options<lp_policy>(50ms, 1s);
  o.role = role::client;
  o.heartbeat.min_ping_interval = 50ms;  // at most its own interval
  o.heartbeat.hello = hello;
  o.keepalive = std::nullopt;
  return o;
}
inline lv::session_options<lp_policy> strict_server(bool hello) {
  auto o = pp_options<lp_policy>(1s, 1s);
  o.role = role::server;
  o.heartbeat.min_ping_interval = 200ms;
  o.heartbeat.hello = hello;
  o.keepalive = std::nullopt;
  return o;
}

struct outcome {
  liveness::core::detector_stats client;
  liveness::core::detector_stats server;
  int client_deaths = 0;
  int server_deaths = 0;
  error_code client_reason;
  error_code server_reason;
};

/// Runs the pair for `run`; returns both ends' stats and deaths.
inline outcome run_pair(const lv::session_options<lp_policy>& c,
                        const lv::session_options<lp_policy>& s, clk::duration run) {
  net::io_context io;
  auto p = connected(io);
  session_t<lp_policy> client(std::move(p.client), c);
  session_t<lp_policy> server(std::move(p.server), s);
  death_watch cd, sd;
  cd.watch(client);
  sd.watch(server);
  run_until(io, [&] { return cd.calls + sd.calls > 0; }, run);
  outcome o{client.stats(), server.stats(), cd.calls, sd.calls, cd.reason, sd.reason};
  return o;
}

inline void print(const char* what, const outcome& o, clk::duration run) {
  std::cout << "[agreement] " << what << " over " << to_ms(run) << " ms: client pings "
            << o.client.pings_sent << ", interval " << to_ms(o.client.ping_interval)
            << " ms, backoffs " << o.client.ping_interval_backoffs << ", notices received "
            << o.client.too_many_pings_received << "; server strikes now "
            << o.server.ping_strikes << ", notices sent " << o.server.too_many_pings_sent
            << ", deaths " << o.client_deaths + o.server_deaths << "\n";
}

/// With the hello on both ends: the client pings every 200 ms from the start, the server
/// never counts a strike (a notice goes with every strike, so none sent means none seen).
inline void check_hello_pair(clk::duration run) {
  const outcome o = run_pair(fast_client(true), strict_server(true), run);
  print("hello", o, run);
  CHECK(o.client_deaths == 0);
  CHECK(o.server_deaths == 0);
  CHECK(o.client.ping_interval == 200ms);
  REQUIRE(o.client.peer_hello);
  CHECK(o.client.peer_hello->min_ping_interval == 200ms);
  CHECK(o.client.ping_interval_backoffs == 0);
  CHECK(o.server.too_many_pings_sent == 0);
  CHECK(o.server.ping_strikes == 0);
  // About one ping per 200 ms (at most run / 200 ms; timers fire late on a loaded box, so
  // the lower bound is loose).
  const auto most = static_cast<std::uint64_t>(run / 200ms);
  CHECK(o.client.pings_sent <= most);
  CHECK(o.client.pings_sent >= most / 2);
  // Every ping arrived, except perhaps the last one, still on its way when the run ended.
  CHECK(o.server.pings_received <= o.client.pings_sent);
  CHECK(o.server.pings_received + 1 >= o.client.pings_sent);
}

// 3 s proves what 10 s does: with the hello the client's interval is 200 ms before its first
// ping, every ping thereafter is at least 200 ms after the server's previous pong (so after
// the server read the previous ping), and the server needs 4 strikes in a row to cut it off.
// Nothing in the schedule changes after the first ping; 3 s is 15 pings, ten times the
// margin the server would need to see a strike run. The 10 s case below runs the issue's
// figure as stated.
TEST_CASE("agreement socket: with the hello a 50 ms pinger and a 200 ms server stay up 3 s "
          "without a strike",
          "[agreement][socket]") {
  check_hello_pair(3s);
}

TEST_CASE("agreement socket: with the hello a 50 ms pinger and a 200 ms server stay up 10 s "
          "without a strike",
          "[agreement][socket][slow]") {
  check_hello_pair(10s);
}

TEST_CASE("agreement socket: without the hello the notice and doubling settle the pair",
          "[agreement][socket]") {
  // Hello off on the server: the client's hello (on) is ignored, nothing is agreed up front.
  const auto run = 3s;
  const outcome o = run_pair(fast_client(true), strict_server(false), run);
  print("no hello", o, run);
  CHECK(o.client_deaths == 0);
  CHECK(o.server_deaths == 0);
  // 50 -> 100 -> 200 ms: a notice on the pong of each of two strikes, then the pace the
  // server accepts (a strike needs a gap under 200 ms, and the client now waits 200 ms
  // after the server's pong).
  CHECK(o.client.ping_interval == 200ms);
  CHECK(o.client.ping_interval_backoffs == 2);
  CHECK(o.client.too_many_pings_received == 2);
  CHECK(o.server.too_many_pings_sent == 2);
  CHECK(o.server.ping_strikes == 0);
  CHECK_FALSE(o.client.peer_hello);
}

TEST_CASE("agreement socket: a raw peer that ignores the notice is still cut off with "
          "ping_flood",
          "[agreement][socket]") {
  net::io_context io;
  auto p = connected(io);
  session_t<lp_policy> server(std::move(p.server), strict_server(false));
  death_watch dw;
  dw.watch(server);
  raw_peer flooder(std::move(p.client));
  flooder.start_reading();
  // A ping every 20 ms, whatever comes back.
  net::steady_timer t(io);
  int sent = 0;
  std::function<void()> next = [&] {
    if (dw.calls > 0 || flooder.closed) return;
    error_code ignored;
    net::write(flooder.sock, net::buffer(lp_frame(0x01, "")), ignored);
    ++sent;
    t.expires_after(20ms);
    t.async_wait([&](error_code ec) {
      if (!ec) next();
    });
  };
  const auto t0 = clk::now();
  next();
  REQUIRE(run_until(io, [&] { return dw.calls > 0 && flooder.closed; }, 5s));
  const auto took = clk::now() - t0;
  t.cancel();
  std::cout << "[agreement] raw flooder cut off after " << sent << " pings, " << to_ms(took)
            << " ms; notices it received: " << count_of(flooder.received, lp_frame(0x02, "LVT\x01"))
            << "\n";
  CHECK(dw.reason == error::ping_flood);
  // The notice rode on the pong of each tolerated strike (3); the first ping got a plain
  // pong. Under load two pings may share a read (answered by one pong, not a strike), so
  // the counts are bounds.
  const auto notices = count_of(flooder.received, lp_frame(0x02, "LVT\x01"));
  CHECK(notices >= 1);
  CHECK(notices <= 3);
  CHECK(server.stats().too_many_pings_sent == notices);
  CHECK(took < 2s);
}

}  // namespace agreement_socket_test
