// Loopback tests of liveness/registry.hpp: online/offline events with the peer, reason and
// silence; the grace period (a reconnect within it raises nothing, without one offline comes
// after it); replacement of a live session by a new one with the same id; broadcast to every
// session (raw bytes and length-prefixed messages); the bounded per-session queue (drop and
// close policies); close(); and lifetimes (registry destroyed with sessions and grace timers
// pending, or from inside its own event handler).
//
// The grace-period logic itself is unit-tested with a manual clock in core_presence_test.cpp;
// here time is real, with budgets of hundreds of ms and wide margins. Every test bounds its
// own time.
#include <liveness/registry.hpp>

#include "asio_includes.hpp"
#include "test_support.hpp"
#include "loopback.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

using liveness_test::run_for;
using liveness_test::run_until;

namespace lv = liveness;
namespace net = liveness::net;
using tcp = net::ip::tcp;
using lv::error;
using lv::error_code;
using lv::core::side;
using clk = std::chrono::steady_clock;
using lp_policy = lv::heartbeat::ping_pong<lv::codec::length_prefixed>;
using raw_session = lv::session<tcp::socket, lv::heartbeat::none>;
using idle_session = lv::session<tcp::socket, lv::heartbeat::idle_timeout>;
using lp_session = lv::session<tcp::socket, lp_policy>;

/// How late a timer or a handler may run on a loaded 2-core machine (ASan included).
constexpr clk::duration sched_slack = 300ms;

double to_ms(clk::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

/// A listening socket on 127.0.0.1 and connected pairs through it.
struct loopback {
  net::io_context& io;
  tcp::acceptor acceptor{io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)};

  explicit loopback(net::io_context& i) : io(i) {}

  /// {client, server}
  std::pair<tcp::socket, tcp::socket> pair() {
    tcp::socket client(io);
    tcp::socket server(io);
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    return {std::move(client), std::move(server)};
  }
};

std::string endpoint_text(const tcp::socket& s) {
  const auto ep = s.local_endpoint();
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

template <class Session>
struct recorder {
  std::vector<lv::peer_event> online, offline;
  std::vector<clk::time_point> offline_at;
  void attach(lv::registry<Session>& r) {
    r.on_online([this](const lv::peer_event& e) { online.push_back(e); });
    r.on_offline([this](const lv::peer_event& e) {
      offline.push_back(e);
      offline_at.push_back(clk::now());
    });
  }
};

lv::session_options<lv::heartbeat::none> raw_options() {
  lv::session_options<lv::heartbeat::none> o;
  o.apply_keepalive = false;
  return o;
}

/// Reads from `s` until `want` bytes arrived or the budget ends.
std::string read_exactly(net::io_context& io, tcp::socket& s, std::size_t want,
                         clk::duration budget) {
  std::string out;
  std::vector<char> buf(4096);
  bool busy = false;
  error_code last;
  const auto deadline = clk::now() + budget;
  while (out.size() < want && !last && clk::now() < deadline) {
    if (!busy) {
      busy = true;
      s.async_read_some(net::buffer(buf), [&](error_code ec, std::size_t n) {
        busy = false;
        last = ec;
        out.append(buf.data(), n);
      });
    }
    run_until(io, [&] { return !busy; }, deadline - clk::now());
  }
  if (busy) {
    s.cancel();
    run_until(io, [&] { return !busy; }, 1s);
  }
  return out;
}

}  // namespace

TEST_CASE("registry: add raises online with the endpoint as id, a peer close raises offline "
          "with reason and silence", "[registry]") {
  net::io_context io;
  loopback lb(io);
  lv::registry<raw_session> reg(io.get_executor());
  recorder<raw_session> rec;
  rec.attach(reg);

  auto [client, server] = lb.pair();
  const std::string peer = endpoint_text(client);
  auto s = reg.add(raw_session(std::move(server), side::server, raw_options()));
  REQUIRE(s);
  REQUIRE(rec.online.size() == 1);  // raised before add returned
  CHECK(rec.online[0].id == peer);
  CHECK(rec.online[0].peer == peer);
  CHECK_FALSE(rec.online[0].reason);
  CHECK(reg.size() == 1);
  CHECK(reg.live() == 1);
  CHECK(reg.find(peer) == s);
  CHECK(reg.find("nobody") == nullptr);

  run_for(io, 150ms);
  client.close();
  REQUIRE(run_until(io, [&] { return !rec.offline.empty(); }, 2s));
  CHECK(rec.offline.size() == 1);
  CHECK(rec.offline[0].id == peer);
  CHECK(rec.offline[0].peer == peer);
  CHECK(rec.offline[0].reason == error::peer_closed);
  // Silent since the session started (nothing was ever received), ~150 ms.
  std::cout << "[registry] silent at death: " << to_ms(rec.offline[0].silent) << " ms\n";
  CHECK(rec.offline[0].silent >= 140ms);
  CHECK(rec.offline[0].silent < 150ms + 2 * sched_slack);
  CHECK(reg.size() == 0);
  CHECK(reg.live() == 0);
  CHECK(reg.find(peer) == nullptr);
  CHECK(s->is_dead());  // the caller's share is still valid
  run_for(io, 50ms);
  CHECK(rec.online.size() == 1);
  CHECK(rec.offline.size() == 1);
}

TEST_CASE("registry: a heartbeat death reports its reason and how long the peer was silent",
          "[registry]") {
  net::io_context io;
  loopback lb(io);
  lv::registry<idle_session> reg(io.get_executor());
  recorder<idle_session> rec;
  rec.attach(reg);

  lv::session_options<lv::heartbeat::idle_timeout> o;
  o.apply_keepalive = false;
  o.heartbeat.timeout = 200ms;
  auto [client, server] = lb.pair();
  const auto start = clk::now();
  reg.add(idle_session(std::move(server), side::server, o), "sensor-7");
  REQUIRE(rec.online.size() == 1);
  CHECK(rec.online[0].id == "sensor-7");
  CHECK(rec.online[0].peer == endpoint_text(client));
  REQUIRE(run_until(io, [&] { return !rec.offline.empty(); }, 200ms + 2 * sched_slack));
  const auto took = clk::now() - start;
  std::cout << "[registry] idle death after " << to_ms(took) << " ms, silent "
            << to_ms(rec.offline[0].silent) << " ms\n";
  CHECK(rec.offline[0].id == "sensor-7");
  CHECK(rec.offline[0].reason == error::idle_timeout);
  CHECK(rec.offline[0].silent >= 195ms);
  CHECK(rec.offline[0].silent <= took + 5ms);
}

TEST_CASE("registry: a client that reconnects within the grace period does not flap",
          "[registry]") {
  net::io_context io;
  loopback lb(io);
  lv::registry<raw_session> reg(io.get_executor(), lv::registry_options::with_grace(800ms));
  recorder<raw_session> rec;
  rec.attach(reg);

  auto [c1, s1] = lb.pair();
  reg.add(raw_session(std::move(s1), side::server, raw_options()), "alice");
  CHECK(rec.online.size() == 1);
  c1.close();
  REQUIRE(run_until(io, [&] { return reg.live() == 0; }, 2s));
  // Dead, but within the grace period: still online, no event.
  CHECK(reg.size() == 1);
  CHECK(reg.find("alice") == nullptr);
  CHECK(rec.offline.empty());

  // Back (from a new port) before the grace period ends.
  auto [c2, s2] = lb.pair();
  auto alice = reg.add(raw_session(std::move(s2), side::server, raw_options()), "alice");
  CHECK(rec.online.size() == 1);  // no second online
  CHECK(reg.size() == 1);
  CHECK(reg.live() == 1);
  CHECK(reg.find("alice") == alice);
  // Well past the first grace period: still nothing.
  run_for(io, 800ms + sched_slack);
  CHECK(rec.offline.empty());
  CHECK(rec.online.size() == 1);
  CHECK(reg.size() == 1);

  // Gone for good: offline once the grace period has passed.
  const std::string c2_peer = endpoint_text(c2);
  c2.close();
  REQUIRE(run_until(io, [&] { return reg.live() == 0; }, 2s));
  const auto died = clk::now();
  REQUIRE(run_until(io, [&] { return !rec.offline.empty(); }, 800ms + 2 * sched_slack));
  const auto after = rec.offline_at[0] - died;
  std::cout << "[registry] offline " << to_ms(after) << " ms after death (grace 800 ms)\n";
  CHECK(after >= 780ms);
  CHECK(rec.offline[0].id == "alice");
  CHECK(rec.offline[0].peer == c2_peer);  // the last session's peer
  CHECK(rec.offline[0].reason == error::peer_closed);
  CHECK(reg.size() == 0);
  run_for(io, 100ms);
  CHECK(rec.offline.size() == 1);
}

TEST_CASE("registry: grace periods of several ids end in order, each reported once",
          "[registry]") {
  net::io_context io;
  loopback lb(io);
  lv::registry<raw_session> reg(io.get_executor(), lv::registry_options::with_grace(300ms));
  recorder<raw_session> rec;
  rec.attach(reg);
  std::vector<tcp::socket> clients;
  for (const char* id : {"a", "b", "c"}) {
    auto [c, s] = lb.pair();
    reg.add(raw_session(std::move(s), side::server, raw_options()), id);
    clients.push_back(std::move(c));
  }
  CHECK(reg.size() == 3);
  for (auto& c : clients) {
    c.close();
    const auto live_before = reg.live();
    REQUIRE(run_until(io, [&] { return reg.live() < live_before; }, 2s));
    run_for(io, 60ms);
  }
  // b resumes during its grace period.
  auto [cb, sb] = lb.pair();
  reg.add(raw_session(std::move(sb), side::server, raw_options()), "b");
  REQUIRE(run_until(io, [&] { return rec.offline.size() == 2; }, 300ms + 2 * sched_slack));
  run_for(io, 100ms);
  REQUIRE(rec.offline.size() == 2);
  CHECK(rec.offline[0].id == "a");
  CHECK(rec.offline[1].id == "c");
  CHECK(rec.online.size() == 3);
  CHECK(reg.size() == 1);
}

TEST_CASE("registry: a new session for a live id replaces the old one, without events",
          "[registry]") {
  net::io_context io;
  loopback lb(io);
  lv::registry<raw_session> reg(io.get_executor());
  recorder<raw_session> rec;
  rec.attach(reg);

  auto [c1, s1] = lb.pair();
  auto first = reg.add(raw_session(std::move(s1), side::server, raw_options()), "bob");
  auto [c2, s2] = lb.pair();
  auto second = reg.add(raw_session(std::move(s2), side::server, raw_options()), "bob");
  CHECK(rec.online.size() == 1);
  CHECK(reg.size() == 1);
  CHECK(reg.live() == 1);
  CHECK(reg.find("bob") == second);
  // The old connection is closed: its client reads end of stream.
  char byte;
  error_code ec;
  bool done = false;
  c1.async_read_some(net::buffer(&byte, 1), [&](error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  REQUIRE(run_until(io, [&] { return done; }, 2s));
  CHECK(ec == net::error::eof);
  run_for(io, 100ms);
  CHECK(rec.offline.empty());
  CHECK(first->reason() == error_code());  // closed, not a death
  CHECK_FALSE(second->is_dead());
}

TEST_CASE("registry: broadcast writes one shared copy to every live session", "[registry]") {
  net::io_context io;
  loopback lb(io);
  lv::registry<raw_session> reg(io.get_executor());
  std::vector<tcp::socket> clients;
  for (int i = 0; i < 3; ++i) {
    auto [c, s] = lb.pair();
    reg.add(raw_session(std::move(s), side::server, raw_options()), "c" + std::to_string(i));
    clients.push_back(std::move(c));
  }
  std::string hello = "hello\n";
  CHECK(reg.broadcast(net::buffer(hello)) == 3);
  hello = "XXXXXX";  // the registry copied it
  std::string second = "second\n";
  CHECK(reg.broadcast(net::buffer(second)) == 3);
  for (auto& c : clients) CHECK(read_exactly(io, c, 13, 2s) == "hello\nsecond\n");

  std::string direct = "just c1\n";
  CHECK(reg.send("c1", net::buffer(direct)));
  CHECK_FALSE(reg.send("nobody", net::buffer(direct)));
  CHECK(read_exactly(io, clients[1], direct.size(), 2s) == direct);
  CHECK(reg.dropped() == 0);
}

TEST_CASE("registry: broadcast to length-prefixed sessions sends whole messages",
          "[registry]") {
  net::io_context io;
  loopback lb(io);
  lv::registry<lp_session> reg(io.get_executor());
  lv::session_options<lp_policy> o;
  o.apply_keepalive = false;
  std::vector<std::unique_ptr<lp_session>> clients;
  for (int i = 0; i < 2; ++i) {
    auto [c, s] = lb.pair();
    reg.add(lp_session(std::move(s), side::server, o));
    clients.push_back(std::make_unique<lp_session>(std::move(c), side::client, o));
  }
  const std::string big(200 * 1024, 'x');  // several chunks, still one message
  CHECK(reg.broadcast(net::buffer(std::string("one"))) == 2);
  CHECK(reg.broadcast(net::buffer(big)) == 2);
  for (auto& c : clients) {
    std::vector<std::string> got;
    std::string buf;
    bool busy = false;
    const auto deadline = clk::now() + 3s;
    while (got.size() < 2 && clk::now() < deadline) {
      busy = true;
      buf.clear();
      c->async_read_message(net::dynamic_buffer(buf), [&](error_code ec, std::size_t) {
        busy = false;
        if (!ec) got.push_back(buf);
      });
      if (!run_until(io, [&] { return !busy; }, deadline - clk::now())) break;
    }
    REQUIRE(got.size() == 2);
    CHECK(got[0] == "one");
    CHECK(got[1] == big);
  }
}

TEST_CASE("registry: a session that cannot keep up has its messages dropped and counted "
          "(overflow_policy::drop)", "[registry]") {
  net::io_context io;
  loopback lb(io);
  lv::registry_options ro;
  ro.max_queued_messages = 2;
  ro.on_overflow = lv::overflow_policy::drop;
  lv::registry<raw_session> reg(io.get_executor(), ro);
  recorder<raw_session> rec;
  rec.attach(reg);
  auto [c, s] = lb.pair();
  reg.add(raw_session(std::move(s), side::server, raw_options()), "slow");
  std::string m = "m\n";
  // Nothing runs in between: the first is being written, the second waits, the rest overflow.
  std::size_t queued = 0;
  for (int i = 0; i < 5; ++i) queued += reg.broadcast(net::buffer(m));
  CHECK(queued == 2);
  CHECK(reg.dropped() == 3);
  CHECK_FALSE(reg.send("slow", net::buffer(m)));
  CHECK(reg.dropped() == 4);
  CHECK(read_exactly(io, c, 4, 2s) == "m\nm\n");
  // The queue drained: there is room again, and the session is still online.
  CHECK(reg.send("slow", net::buffer(m)));
  CHECK(read_exactly(io, c, 2, 2s) == "m\n");
  CHECK(rec.offline.empty());
  CHECK(reg.live() == 1);
}

TEST_CASE("registry: a session that cannot keep up is closed with no_buffer_space "
          "(overflow_policy::close), the others go on", "[registry]") {
  net::io_context io;
  loopback lb(io);
  lv::registry_options ro;
  ro.max_queued_messages = 4;
  lv::registry<raw_session> reg(io.get_executor(), ro);
  recorder<raw_session> rec;
  rec.attach(reg);
  auto [slow_c, slow_s] = lb.pair();
  auto [fast_c, fast_s] = lb.pair();
  reg.add(raw_session(std::move(slow_s), side::server, raw_options()), "slow");
  reg.add(raw_session(std::move(fast_s), side::server, raw_options()), "fast");

  // The slow client never reads: its socket buffers fill up and its queue with them. The fast
  // one is drained as we go.
  const std::string chunk(256 * 1024, 'z');
  std::size_t fast_received = 0;
  std::vector<char> buf(64 * 1024);
  bool reading = false;
  std::function<void()> drain = [&, &fast = fast_c] {  // clang 14 captures no bindings
    reading = true;
    fast.async_read_some(net::buffer(buf), [&](error_code ec, std::size_t n) {
      reading = false;
      fast_received += n;
      if (!ec) drain();
    });
  };
  drain();
  const auto deadline = clk::now() + 5s;
  while (rec.offline.empty() && clk::now() < deadline) {
    reg.broadcast(net::buffer(chunk));
    run_for(io, 20ms);
  }
  REQUIRE(rec.offline.size() == 1);
  CHECK(rec.offline[0].id == "slow");
  CHECK(rec.offline[0].reason == net::error::no_buffer_space);
  CHECK(reg.find("fast") != nullptr);
  CHECK(reg.live() == 1);
  run_for(io, 200ms);
  std::cout << "[registry] fast client received " << fast_received / 1024 << " KiB\n";
  CHECK(fast_received > 4 * chunk.size());
  fast_c.close();
  run_until(io, [&] { return !reading; }, 1s);
}

TEST_CASE("registry: close() closes every session and raises nothing, then or later",
          "[registry]") {
  net::io_context io;
  loopback lb(io);
  lv::registry<raw_session> reg(io.get_executor(), lv::registry_options::with_grace(50ms));
  recorder<raw_session> rec;
  rec.attach(reg);
  auto [c1, s1] = lb.pair();
  auto [c2, s2] = lb.pair();
  reg.add(raw_session(std::move(s1), side::server, raw_options()), "one");
  reg.add(raw_session(std::move(s2), side::server, raw_options()), "two");
  c2.close();  // "two" will be pending when close() comes
  REQUIRE(run_until(io, [&] { return reg.live() == 1; }, 2s));
  reg.close();
  CHECK(reg.size() == 0);
  CHECK(reg.live() == 0);
  CHECK(read_exactly(io, c1, 1, 2s).empty());
  run_for(io, 200ms);
  CHECK(rec.offline.empty());
  // add after close: the session is closed at once.
  auto [c3, s3] = lb.pair();
  auto s = reg.add(raw_session(std::move(s3), side::server, raw_options()), "three");
  CHECK(rec.online.size() == 2);
  CHECK(reg.size() == 0);
  CHECK(reg.broadcast(net::buffer(std::string("x"))) == 0);
}

TEST_CASE("registry: an application closing a session is an offline with operation_aborted",
          "[registry]") {
  net::io_context io;
  loopback lb(io);
  lv::registry<raw_session> reg(io.get_executor());
  recorder<raw_session> rec;
  rec.attach(reg);
  auto [c, s] = lb.pair();
  auto session = reg.add(raw_session(std::move(s), side::server, raw_options()), "x");
  session->close();
  REQUIRE(run_until(io, [&] { return !rec.offline.empty(); }, 2s));
  CHECK(rec.offline[0].reason == net::error::operation_aborted);
}

TEST_CASE("lifetime: registry destroyed with sessions, writes and a grace timer pending",
          "[registry]") {
  net::io_context io;
  loopback lb(io);
  std::vector<tcp::socket> clients;
  int events = 0;
  {
    lv::registry<raw_session> reg(io.get_executor(), lv::registry_options::with_grace(10s));
    reg.on_offline([&](const lv::peer_event&) { ++events; });
    for (int i = 0; i < 4; ++i) {
      auto [c, s] = lb.pair();
      reg.add(raw_session(std::move(s), side::server, raw_options()), std::to_string(i));
      clients.push_back(std::move(c));
    }
    clients[0].close();
    run_until(io, [&] { return reg.live() == 3; }, 2s);
    reg.broadcast(net::buffer(std::string(1 << 20, 'q')));  // writes in flight
  }
  run_for(io, 200ms);  // every pending handler runs against a destroyed registry
  CHECK(events == 0);
  CHECK(read_exactly(io, clients[1], 64 << 20, 2s).size() <= (1u << 20));
}

TEST_CASE("lifetime: the registry may be destroyed from inside its offline handler",
          "[registry]") {
  net::io_context io;
  loopback lb(io);
  auto reg = std::make_unique<lv::registry<raw_session>>(io.get_executor());
  int offline = 0;
  auto [c1, s1] = lb.pair();
  auto [c2, s2] = lb.pair();
  reg->add(raw_session(std::move(s1), side::server, raw_options()), "a");
  reg->add(raw_session(std::move(s2), side::server, raw_options()), "b");
  reg->on_offline([&](const lv::peer_event&) {
    ++offline;
    reg.reset();
  });
  c1.close();
  c2.close();
  REQUIRE(run_until(io, [&] { return reg == nullptr; }, 2s));
  run_for(io, 200ms);
  CHECK(offline == 1);
}

TEST_CASE("lifetime: an event handler may replace itself and add sessions", "[registry]") {
  net::io_context io;
  loopback lb(io);
  lv::registry<raw_session> reg(io.get_executor());
  std::vector<std::string> log;
  std::vector<tcp::socket> keep;
  reg.on_online([&](const lv::peer_event& e) {
    log.push_back("online " + e.id);
    reg.on_online([&](const lv::peer_event& e2) { log.push_back("second " + e2.id); });
    auto [c, s] = lb.pair();
    keep.push_back(std::move(c));
    reg.add(raw_session(std::move(s), side::server, raw_options()), "nested");
  });
  auto [c, s] = lb.pair();
  reg.add(raw_session(std::move(s), side::server, raw_options()), "first");
  CHECK(log == std::vector<std::string>{"online first", "second nested"});
  CHECK(reg.size() == 2);
}
