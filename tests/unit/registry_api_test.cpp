// Loopback tests of the registry's 0.2 additions (liveness/registry.hpp): what size(),
// live(), find() and ids() say inside each event handler; add returning the id it chose;
// ids() and broadcast_except(); offline and replaced events carrying the session's last
// statistics; and async_next_event, the awaitable stream of events beside the callbacks
// (order, the bounded queue and its `missed` count, close(), destruction, per-operation
// cancellation), in callback and coroutine styles. Every test bounds its own time.
#include <liveness/registry.hpp>
#include <liveness/as_tuple.hpp>

#include "asio_includes.hpp"
#include "roles.hpp"
#include "test_support.hpp"
#include "loopback.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace registry_api_test {

using namespace std::chrono_literals;

namespace {

using liveness_test::connected;
using liveness_test::run_for;
using liveness_test::run_until;
using liveness_test::to_ms;

namespace lv = liveness;
namespace net = liveness::net;
using tcp = net::ip::tcp;
using lv::error;
using lv::error_code;
using lv::peer_event_kind;
using lp_policy = lv::heartbeat::ping_pong<lv::codec::length_prefixed>;
using raw_session = lv::session<tcp::socket, lv::heartbeat::none>;
using lp_session = lv::session<tcp::socket, lp_policy>;

raw_session server_session(tcp::socket s) {
  lv::session_options<lv::heartbeat::none> o;
  o.keepalive = std::nullopt;
  o.role = lv::role::server;
  return raw_session(std::move(s), o);
}

/// What the registry said inside one event handler.
struct seen {
  lv::peer_event event;
  std::size_t size = 0;
  std::size_t live = 0;
  bool found = false;
  std::vector<std::string> ids;
};

/// Completes one async_next_event into `out` (and `done`).
struct next_event {
  std::optional<std::pair<error_code, lv::peer_event>> result;
  template <class Registry>
  void start(Registry& r) {
    result.reset();
    r.async_next_event([this](error_code ec, lv::peer_event e) {
      result.emplace(ec, std::move(e));
    });
  }
};

/// Reads what arrives on `s` within `budget` (for "nothing arrives" checks).
std::string read_for(net::io_context& io, tcp::socket& s, std::chrono::milliseconds budget) {
  std::string out;
  char buf[256];
  bool busy = true;
  std::function<void()> again;
  again = [&] {
    s.async_read_some(net::buffer(buf), [&](error_code ec, std::size_t n) {
      out.append(buf, n);
      if (ec) {
        busy = false;
        return;
      }
      again();
    });
  };
  again();
  run_for(io, budget);
  s.cancel();
  run_until(io, [&] { return !busy; }, 1s);
  return out;
}

}  // namespace

TEST_CASE("registry: inside on_online the id is counted and inside on_offline it is "
          "already gone", "[registry][events]") {
  net::io_context io;
  lv::registry<raw_session> reg(io.get_executor());
  std::vector<seen> online, offline;
  auto look = [&reg](const lv::peer_event& e) {
    return seen{e, reg.size(), reg.live(), reg.find(e.id) != nullptr, reg.ids()};
  };
  reg.on_online([&](const lv::peer_event& e) { online.push_back(look(e)); });
  reg.on_offline([&](const lv::peer_event& e) { offline.push_back(look(e)); });

  auto a = connected(io);
  auto b = connected(io);
  reg.add(server_session(std::move(a.server)), "a");
  reg.add(server_session(std::move(b.server)), "b");
  REQUIRE(online.size() == 2);
  CHECK(online[0].size == 1);
  CHECK(online[0].live == 1);
  CHECK(online[0].found);
  CHECK(online[0].ids == std::vector<std::string>{"a"});
  CHECK(online[1].size == 2);
  CHECK(online[1].live == 2);
  CHECK(online[1].ids == std::vector<std::string>{"a", "b"});

  a.client.close();
  REQUIRE(run_until(io, [&] { return offline.size() == 1; }, 2s));
  CHECK(offline[0].event.id == "a");
  CHECK(offline[0].size == 1);  // "a" no longer counted
  CHECK(offline[0].live == 1);
  CHECK_FALSE(offline[0].found);
  CHECK(offline[0].ids == std::vector<std::string>{"b"});

  b.client.close();
  REQUIRE(run_until(io, [&] { return offline.size() == 2; }, 2s));
  CHECK(offline[1].size == 0);  // the last one out sees an empty registry
  CHECK(offline[1].live == 0);
  CHECK(offline[1].ids.empty());
}

TEST_CASE("registry: inside on_offline after a grace period the id is gone and inside "
          "on_replaced the counts are unchanged", "[registry][events]") {
  net::io_context io;
  auto opts = lv::registry_options::with_grace(200ms);
  opts.on_duplicate_id = lv::duplicate_id_policy::replace;
  lv::registry<raw_session> reg(io.get_executor(), opts);
  std::vector<seen> offline, replaced;
  std::shared_ptr<raw_session> found_in_replaced;
  reg.on_offline([&](const lv::peer_event& e) {
    offline.push_back({e, reg.size(), reg.live(), reg.find(e.id) != nullptr, reg.ids()});
  });
  reg.on_replaced([&](const lv::peer_event& e) {
    replaced.push_back({e, reg.size(), reg.live(), reg.find(e.id) != nullptr, reg.ids()});
    found_in_replaced = reg.find(e.id);
  });

  auto a1 = connected(io);
  auto a2 = connected(io);
  auto first = reg.add(server_session(std::move(a1.server)), "a");
  auto second = reg.add(server_session(std::move(a2.server)), "a");
  REQUIRE(replaced.size() == 1);
  CHECK(replaced[0].event.kind == peer_event_kind::replaced);
  CHECK(replaced[0].size == 1);
  CHECK(replaced[0].live == 1);
  CHECK(found_in_replaced == second);  // the new session holds the id already
  CHECK(found_in_replaced != first);

  a2.client.close();
  // Dead, within its grace period: online, not live.
  REQUIRE(run_until(io, [&] { return reg.live() == 0; }, 2s));
  CHECK(reg.size() == 1);
  CHECK(reg.ids().empty());  // ids() lists live sessions only
  REQUIRE(run_until(io, [&] { return offline.size() == 1; }, 2s));
  CHECK(offline[0].event.kind == peer_event_kind::offline);
  CHECK(offline[0].size == 0);
  CHECK(offline[0].live == 0);
  CHECK_FALSE(offline[0].found);
}

TEST_CASE("registry: add returns the id it chose", "[registry]") {
  net::io_context io;
  lv::registry<raw_session> reg(io.get_executor());

  auto p = connected(io);
  const tcp::endpoint peer = p.server.remote_endpoint();
  const std::string text = peer.address().to_string() + ":" + std::to_string(peer.port());
  auto anon = reg.add(server_session(std::move(p.server)), peer);
  REQUIRE(anon);
  CHECK(anon.id == "tcp:" + text);
  CHECK(reg.find(anon.id) == anon);  // still a shared_ptr for comparisons

  auto q = connected(io);
  error_code ec;
  auto named = reg.add(server_session(std::move(q.server)), "sensor-1", ec);
  CHECK_FALSE(ec);
  CHECK(named.id == "sensor-1");
  std::shared_ptr<raw_session> plain = named;  // converts as before
  CHECK(plain == reg.find("sensor-1"));

  // Refused: null, with the id that was refused.
  auto r = connected(io);
  auto dup = reg.add(server_session(std::move(r.server)), "sensor-1", ec);
  CHECK(ec == error::duplicate_id);
  CHECK_FALSE(dup);
  CHECK(dup.id == "sensor-1");
  auto t = connected(io);
  auto reserved = reg.add(server_session(std::move(t.server)), "tcp:1.2.3.4:5", ec);
  CHECK(ec == error::reserved_id);
  CHECK_FALSE(reserved);
  CHECK(reserved.id == "tcp:1.2.3.4:5");
  CHECK(reg.size() == 2);
}

TEST_CASE("registry: ids lists the live ids and broadcast_except skips one", "[registry]") {
  net::io_context io;
  lv::registry<raw_session> reg(io.get_executor());
  std::vector<liveness_test::socket_pair> pairs;
  for (const char* id : {"c", "a", "b"}) {
    pairs.push_back(connected(io));
    reg.add(server_session(std::move(pairs.back().server)), id);
  }
  CHECK(reg.ids() == std::vector<std::string>{"a", "b", "c"});

  std::string msg = "not for c\n";
  CHECK(reg.broadcast_except("c", net::buffer(msg)) == 2);
  msg = "XXXXXXXXXX";  // the registry copied it
  std::string all = "all\n";
  CHECK(reg.broadcast_except("nobody", net::buffer(all)) == 3);
  CHECK(read_for(io, pairs[1].client, 300ms) == "not for c\nall\n");  // a
  CHECK(read_for(io, pairs[2].client, 50ms) == "not for c\nall\n");   // b
  CHECK(read_for(io, pairs[0].client, 50ms) == "all\n");              // c
  reg.close();
  CHECK(reg.ids().empty());
  CHECK(reg.broadcast_except("a", net::buffer(all)) == 0);
}

TEST_CASE("registry: offline and replaced events carry the session's last statistics",
          "[registry][events]") {
  net::io_context io;
  auto ropts = lv::registry_options::standard();
  ropts.on_duplicate_id = lv::duplicate_id_policy::replace;
  lv::registry<lp_session> reg(io.get_executor(), ropts);
  std::vector<lv::peer_event> offline, replaced;
  reg.on_offline([&](const lv::peer_event& e) { offline.push_back(e); });
  reg.on_replaced([&](const lv::peer_event& e) { replaced.push_back(e); });

  lv::session_options<lp_policy> o;
  o.keepalive = std::nullopt;
  o.heartbeat.interval = 150ms;  // above the flood guard's min_ping_interval (100 ms)
  o.heartbeat.timeout = 1s;
  auto p = connected(io);
  lp_session client(std::move(p.client), liveness_test::with_role(o, lv::role::client));
  auto s = reg.add(lp_session(std::move(p.server), liveness_test::with_role(o, lv::role::server)),
                   "pinger");
  REQUIRE(s);
  // Pings and pongs both ways for a while.
  REQUIRE(run_until(io, [&] { return s->stats().pongs_received >= 3; }, 3s));
  const auto before = s->stats();
  client.close();
  REQUIRE(run_until(io, [&] { return offline.size() == 1; }, 3s));
  const auto& st = offline[0].stats;
  std::cout << "[registry] offline stats: pings_sent " << st.pings_sent << ", pongs_received "
            << st.pongs_received << ", last_rtt "
            << (st.last_rtt ? to_ms(*st.last_rtt) : -1.0) << " ms, bytes_received "
            << st.bytes_received << ", silent " << to_ms(offline[0].silent) << " ms\n";
  CHECK(st.started == before.started);
  CHECK(st.pongs_received >= before.pongs_received);
  CHECK(st.pings_sent >= 3);
  CHECK(st.last_rtt.has_value());
  CHECK(st.smoothed_rtt.has_value());
  CHECK(st.bytes_received > 0);
  CHECK(st.last_received.has_value());
  CHECK(offline[0].silent < 1s);

  // Replaced: the old session's statistics.
  auto p1 = connected(io);
  auto p2 = connected(io);
  auto old = reg.add(lp_session(std::move(p1.server), liveness_test::with_role(o, lv::role::server)),
                     "twice");
  run_for(io, 20ms);
  reg.add(lp_session(std::move(p2.server), liveness_test::with_role(o, lv::role::server)),
          "twice");
  REQUIRE(replaced.size() == 1);
  CHECK(replaced[0].stats.started == old->stats().started);
  CHECK(replaced[0].stats.bytes_sent == old->stats().bytes_sent);
}

TEST_CASE("registry: async_next_event delivers online offline and replaced in order after "
          "the callbacks", "[registry][events][stream]") {
  net::io_context io;
  auto ropts = lv::registry_options::standard();
  ropts.on_duplicate_id = lv::duplicate_id_policy::replace;
  lv::registry<raw_session> reg(io.get_executor(), ropts);
  std::vector<std::string> order;
  reg.on_online([&](const lv::peer_event& e) { order.push_back("cb online " + e.id); });
  reg.on_offline([&](const lv::peer_event& e) { order.push_back("cb offline " + e.id); });

  // Before the first call nothing is queued.
  auto early = connected(io);
  reg.add(server_session(std::move(early.server)), "early");

  next_event w;
  w.start(reg);
  CHECK_FALSE(w.result);  // never inline
  run_for(io, 20ms);
  CHECK_FALSE(w.result);  // "early" was not queued

  auto a = connected(io);
  auto a2 = connected(io);
  reg.add(server_session(std::move(a.server)), "a");
  CHECK_FALSE(w.result);  // not inside add
  REQUIRE(run_until(io, [&] { return w.result.has_value(); }, 1s));
  CHECK_FALSE(w.result->first);
  CHECK(w.result->second.kind == peer_event_kind::online);
  CHECK(w.result->second.id == "a");
  CHECK(w.result->second.missed == 0);
  CHECK(order.back() == "cb online a");  // the callback ran first

  // Queued while nobody waits: replaced, then offline.
  reg.add(server_session(std::move(a2.server)), "a");
  a2.client.close();
  REQUIRE(run_until(io, [&] { return order.back() == "cb offline a"; }, 2s));
  w.start(reg);
  REQUIRE(run_until(io, [&] { return w.result.has_value(); }, 1s));
  CHECK(w.result->second.kind == peer_event_kind::replaced);
  CHECK(w.result->second.reason == error::replaced);
  w.start(reg);
  REQUIRE(run_until(io, [&] { return w.result.has_value(); }, 1s));
  CHECK(w.result->second.kind == peer_event_kind::offline);
  CHECK(w.result->second.id == "a");
  CHECK(w.result->second.reason == error::peer_closed);
}

TEST_CASE("registry: async_next_event drops the oldest events past its bound and says how "
          "many", "[registry][events][stream]") {
  net::io_context io;
  auto ropts = lv::registry_options::standard();
  ropts.max_queued_events = 2;
  lv::registry<raw_session> reg(io.get_executor(), ropts);
  std::size_t callbacks = 0;
  reg.on_online([&](const lv::peer_event&) { ++callbacks; });

  next_event w;
  w.start(reg);
  std::vector<liveness_test::socket_pair> pairs;
  pairs.push_back(connected(io));
  reg.add(server_session(std::move(pairs.back().server)), "a");
  REQUIRE(run_until(io, [&] { return w.result.has_value(); }, 1s));
  CHECK(w.result->second.id == "a");
  // Nobody waits: of b, c, d, e the queue keeps the newest two.
  for (const char* id : {"b", "c", "d", "e"}) {
    pairs.push_back(connected(io));
    reg.add(server_session(std::move(pairs.back().server)), id);
  }
  CHECK(callbacks == 5);  // the callbacks get every event regardless
  w.start(reg);
  REQUIRE(run_until(io, [&] { return w.result.has_value(); }, 1s));
  CHECK(w.result->second.id == "d");
  CHECK(w.result->second.missed == 2);
  w.start(reg);
  REQUIRE(run_until(io, [&] { return w.result.has_value(); }, 1s));
  CHECK(w.result->second.id == "e");
  CHECK(w.result->second.missed == 0);
}

TEST_CASE("registry: close and destruction complete a pending async_next_event with "
          "operation_aborted", "[registry][events][stream]") {
  net::io_context io;
  {
    lv::registry<raw_session> reg(io.get_executor());
    next_event w;
    w.start(reg);
    run_for(io, 10ms);
    CHECK_FALSE(w.result);
    reg.close();
    REQUIRE(run_until(io, [&] { return w.result.has_value(); }, 1s));
    CHECK(w.result->first == net::error::operation_aborted);
    w.start(reg);  // after close: at once
    REQUIRE(run_until(io, [&] { return w.result.has_value(); }, 1s));
    CHECK(w.result->first == net::error::operation_aborted);
  }
  next_event w;
  {
    auto reg = std::make_unique<lv::registry<raw_session>>(io.get_executor());
    w.start(*reg);
    run_for(io, 10ms);
    reg.reset();
  }
  REQUIRE(run_until(io, [&] { return w.result.has_value(); }, 1s));
  CHECK(w.result->first == net::error::operation_aborted);
  // Nothing left: io.run() returns.
  io.restart();
  const auto start = std::chrono::steady_clock::now();
  io.run();
  CHECK(std::chrono::steady_clock::now() - start < 500ms);
}

TEST_CASE("registry: a cancelled async_next_event loses no event", "[registry][events][stream]") {
  net::io_context io;
  lv::registry<raw_session> reg(io.get_executor());
  net::cancellation_signal signal;
  std::optional<error_code> cancelled;
  reg.async_next_event(net::bind_cancellation_slot(
      signal.slot(), [&](error_code ec, lv::peer_event) { cancelled = ec; }));
  run_for(io, 10ms);
  CHECK_FALSE(cancelled);
  signal.emit(net::cancellation_type::terminal);
  REQUIRE(run_until(io, [&] { return cancelled.has_value(); }, 1s));
  CHECK(*cancelled == net::error::operation_aborted);

  // The stream goes on: an event after the cancellation reaches the next wait.
  auto a = connected(io);
  reg.add(server_session(std::move(a.server)), "a");
  next_event w;
  w.start(reg);
  REQUIRE(run_until(io, [&] { return w.result.has_value(); }, 1s));
  CHECK_FALSE(w.result->first);
  CHECK(w.result->second.id == "a");
}

#if defined(ASIO_HAS_CO_AWAIT) || defined(BOOST_ASIO_HAS_CO_AWAIT)  // Asio 1.28 and clang 14: none
TEST_CASE("registry: a coroutine loop on async_next_event sees every event and ends on close",
          "[registry][events][stream]") {
  net::io_context io;
  lv::registry<raw_session> reg(io.get_executor());
  std::vector<std::string> log;
  error_code end;
  bool finished = false;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        for (;;) {
          auto [ec, e] = co_await reg.async_next_event(lv::as_tuple(net::use_awaitable));
          if (ec) {
            end = ec;
            break;
          }
          log.push_back((e.kind == peer_event_kind::online ? "online " : "offline ") + e.id +
                        " size " + std::to_string(reg.size()));
        }
        finished = true;
      },
      net::detached);
  run_for(io, 10ms);  // the loop waits

  auto a = connected(io);
  auto b = connected(io);
  reg.add(server_session(std::move(a.server)), "a");
  reg.add(server_session(std::move(b.server)), "b");
  a.client.close();
  REQUIRE(run_until(io, [&] { return log.size() == 3; }, 2s));
  b.client.close();
  REQUIRE(run_until(io, [&] { return log.size() == 4; }, 2s));
  // Delivered later than the callbacks would be: size() is the registry's state then.
  CHECK(log[0].rfind("online a", 0) == 0);
  CHECK(log[1].rfind("online b", 0) == 0);
  CHECK(log[2].rfind("offline a", 0) == 0);
  CHECK(log[3] == "offline b size 0");
  reg.close();
  REQUIRE(run_until(io, [&] { return finished; }, 1s));
  CHECK(end == net::error::operation_aborted);
}
#endif

}  // namespace registry_api_test
