// Loopback tests of liveness/reconnect.hpp: connect, disconnect and reconnect with the
// backoff schedule (jitter off, so delays are exact); failed connects counted towards
// max_attempts and reported by on_connect_failed; a connection that dies young grows the
// backoff while one that stayed up resets it; keepalive and the heartbeat applied on every
// new connection; the connect timeout; stop() and destruction at any point, including from
// inside an event handler.
//
// The schedule's statistics (jitter spread, cap, reset) are tested with a seeded random
// source and a manual clock in core_backoff_test.cpp. Every test bounds its own time.
#include <liveness/reconnect.hpp>

#include "asio_includes.hpp"
#include "test_support.hpp"
#include "loopback.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
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
using liveness_test::to_ms;

namespace lv = liveness;
namespace net = liveness::net;
using tcp = net::ip::tcp;
using lv::error;
using lv::error_code;
using clk = std::chrono::steady_clock;
using raw_client = lv::reconnecting_client<lv::heartbeat::none>;
using idle_client = lv::reconnecting_client<lv::heartbeat::idle_timeout>;

constexpr clk::duration sched_slack = 300ms;

/// A loopback server that accepts every connection and keeps it (or closes it after
/// `hold`, when set).
struct server {
  net::io_context& io;
  tcp::acceptor acceptor{io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)};
  std::vector<std::shared_ptr<tcp::socket>> accepted;
  std::optional<clk::duration> hold;
  std::vector<std::unique_ptr<net::steady_timer>> timers;

  explicit server(net::io_context& i) : io(i) { accept(); }
  ~server() {
    error_code ignored;
    acceptor.close(ignored);
    for (auto& t : timers) t->cancel();
  }

  std::string port() const { return std::to_string(acceptor.local_endpoint().port()); }

  void accept() {
    auto s = std::make_shared<tcp::socket>(io);
    acceptor.async_accept(*s, [this, s](error_code ec) {
      if (ec) return;
      accepted.push_back(s);
      if (hold) {
        if (*hold == clk::duration::zero()) {
          s->close();
        } else {
          auto t = std::make_unique<net::steady_timer>(io, *hold);
          t->async_wait([s](error_code e) {
            if (!e) s->close();
          });
          timers.push_back(std::move(t));
        }
      }
      accept();
    });
  }

  void close_all() {
    for (auto& s : accepted) {
      error_code ignored;
      s->close(ignored);
    }
  }
};

/// A port on 127.0.0.1 where nothing listens (bound once, then released).
std::string closed_port(net::io_context& io) {
  tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return std::to_string(a.local_endpoint().port());
}

lv::reconnect_options exact(clk::duration min, std::optional<std::uint32_t> max_attempts = {},
                            clk::duration stable_after = 10s) {
  auto o = lv::reconnect_options::fast();
  o.min_delay = min;
  o.max_delay = 10s;
  o.multiplier = 2.0;
  o.jitter = false;
  o.max_attempts = max_attempts;
  o.stable_after = stable_after;
  return o;
}

template <class Policy>
lv::session_options<Policy> no_keepalive() {
  lv::session_options<Policy> o;
  o.keepalive = std::nullopt;
  return o;
}

/// Every event as a line, with the time it came.
template <class Client>
struct event_log {
  std::vector<std::string> lines;
  std::vector<clk::time_point> at;
  std::vector<clk::duration> delays;
  std::vector<error_code> reasons, failures;
  int connected = 0, gave_up = 0;
  std::uint32_t gave_up_attempts = 0;

  void add(std::string s) {
    lines.push_back(std::move(s));
    at.push_back(clk::now());
  }
  void attach(Client& c) {
    c.on_connected([this](typename Client::session_type&) {
      ++connected;
      add("connected");
    });
    c.on_disconnected([this](error_code ec, lv::core::duration) {
      reasons.push_back(ec);
      add("disconnected");
    });
    c.on_connect_failed([this](error_code ec) {
      failures.push_back(ec);
      add("failed");
    });
    c.on_reconnecting([this](lv::core::duration d) {
      delays.push_back(d);
      add("reconnecting");
    });
    c.on_gave_up([this](std::uint32_t n) {
      ++gave_up;
      gave_up_attempts = n;
      add("gave_up");
    });
  }
};

using strings = std::vector<std::string>;

}  // namespace

TEST_CASE("reconnect: refused options throw an error naming the field", "[reconnect]") {
  net::io_context io;
  auto o = lv::reconnect_options::standard();
  CHECK_FALSE(o.validate());
  CHECK_FALSE(lv::reconnect_options::fast().validate());
  CHECK(lv::reconnect_options::limited(5).max_attempts == 5u);
  o.max_delay = 1ms;
  o.min_delay = 2ms;
  CHECK(o.validate() == lv::core::backoff_error::max_below_min);
  try {
    raw_client c(io.get_executor(), "127.0.0.1", "1", {}, o);
    FAIL("no throw");
  } catch (const lv::system_error& e) {
    CHECK(e.code() == lv::core::backoff_error::max_below_min);
    CHECK(std::string(e.what()).find("max_delay") != std::string::npos);
  }
  o = lv::reconnect_options::standard();
  o.connect_timeout = 0ms;
  CHECK(o.validate());
  CHECK(o.validate().message().find("connect_timeout") != std::string::npos);
}

TEST_CASE("reconnect: connects, and reconnects after the server drops the connection",
          "[reconnect][smoke]") {
  net::io_context io;
  server srv(io);
  raw_client client(io.get_executor(), "127.0.0.1", srv.port(),
                    no_keepalive<lv::heartbeat::none>(), exact(50ms));
  event_log<raw_client> ev;
  ev.attach(client);
  client.start();
  CHECK(ev.lines.empty());  // nothing inline
  CHECK(client.running());
  REQUIRE(run_until(io, [&] { return ev.connected == 1; }, 2s));
  REQUIRE(client.current() != nullptr);
  CHECK_FALSE(client.current()->is_dead());
  REQUIRE(run_until(io, [&] { return srv.accepted.size() == 1; }, 2s));

  srv.close_all();
  const auto dropped = clk::now();
  REQUIRE(run_until(io, [&] { return ev.connected == 2; }, 2s));
  CHECK(ev.lines == strings{"connected", "disconnected", "reconnecting", "connected"});
  CHECK(ev.reasons.at(0) == error::peer_closed);
  // Up for less than stable_after: a failure; the first retry's delay is exactly
  // min_delay * multiplier with jitter off.
  CHECK(ev.delays.at(0) == 100ms);
  const auto took = ev.at[3] - ev.at[2];
  std::cout << "[reconnect] reconnected " << to_ms(took) << " ms after the 100 ms delay began ("
            << to_ms(ev.at[1] - dropped) << " ms to notice the drop)\n";
  CHECK(took >= 99ms);
  CHECK(took < 100ms + sched_slack);
  CHECK(client.current() != nullptr);
  CHECK(ev.failures.empty());
}

TEST_CASE("reconnect: refused connects count as attempts, max_attempts gives up",
          "[reconnect]") {
  net::io_context io;
  raw_client client(io.get_executor(), "127.0.0.1", closed_port(io),
                    no_keepalive<lv::heartbeat::none>(), exact(20ms, 3u));
  event_log<raw_client> ev;
  ev.attach(client);
  client.start();
  REQUIRE(run_until(io, [&] { return ev.gave_up == 1; }, 3s));
  CHECK(ev.lines == strings{"failed", "reconnecting", "failed", "reconnecting", "failed",
                            "gave_up"});
  CHECK(ev.delays == std::vector<clk::duration>{40ms, 80ms});
  for (auto& f : ev.failures) CHECK(f == net::error::connection_refused);
  CHECK(ev.gave_up_attempts == 3);
  CHECK(client.attempts() == 3);
  CHECK_FALSE(client.running());
  CHECK(ev.at[2] - ev.at[1] >= 39ms);
  CHECK(ev.at[4] - ev.at[3] >= 79ms);
  run_for(io, 100ms);
  CHECK(ev.lines.size() == 6);

  // start() again starts afresh.
  client.start();
  REQUIRE(run_until(io, [&] { return ev.gave_up == 2; }, 3s));
  CHECK(ev.lines.size() == 12);
  CHECK(ev.delays == std::vector<clk::duration>{40ms, 80ms, 40ms, 80ms});
}

TEST_CASE("reconnect: a failed resolve is reported and counted like a failed connect",
          "[reconnect]") {
  net::io_context io;
  // Numeric host, unknown service name: getaddrinfo fails locally, no DNS traffic.
  raw_client client(io.get_executor(), "127.0.0.1", "no-such-service-liveness-test",
                    no_keepalive<lv::heartbeat::none>(), exact(10ms, 2u));
  event_log<raw_client> ev;
  ev.attach(client);
  client.start();
  REQUIRE(run_until(io, [&] { return ev.gave_up == 1; }, 3s));
  CHECK(ev.lines == strings{"failed", "reconnecting", "failed", "gave_up"});
  REQUIRE(ev.failures.size() == 2);
  CHECK(ev.failures[0]);
  std::cout << "[reconnect] resolve failure: " << ev.failures[0].message() << "\n";
}

TEST_CASE("reconnect: a server that comes up later is found by the next attempt",
          "[reconnect]") {
  net::io_context io;
  const std::string port = closed_port(io);
  raw_client client(io.get_executor(), "127.0.0.1", port, no_keepalive<lv::heartbeat::none>(),
                    exact(30ms));
  event_log<raw_client> ev;
  ev.attach(client);
  client.start();
  REQUIRE(run_until(io, [&] { return ev.failures.size() >= 2; }, 2s));
  tcp::acceptor late(io, tcp::endpoint(net::ip::make_address("127.0.0.1"),
                                       static_cast<unsigned short>(std::stoi(port))));
  tcp::socket peer(io);
  late.async_accept(peer, [](error_code) {});
  REQUIRE(run_until(io, [&] { return ev.connected == 1; }, 3s));
  CHECK(ev.gave_up == 0);
}

TEST_CASE("reconnect: connections that die young grow the backoff up to max_attempts",
          "[reconnect]") {
  net::io_context io;
  server srv(io);
  srv.hold = clk::duration::zero();  // accept and close at once
  raw_client client(io.get_executor(), "127.0.0.1", srv.port(),
                    no_keepalive<lv::heartbeat::none>(), exact(20ms, 3u, 10s));
  event_log<raw_client> ev;
  ev.attach(client);
  client.start();
  REQUIRE(run_until(io, [&] { return ev.gave_up == 1; }, 3s));
  CHECK(ev.lines == strings{"connected", "disconnected", "reconnecting", "connected",
                            "disconnected", "reconnecting", "connected", "disconnected",
                            "gave_up"});
  CHECK(ev.delays == std::vector<clk::duration>{40ms, 80ms});
  CHECK(ev.gave_up_attempts == 3);
  CHECK(client.current() == nullptr);
}

TEST_CASE("reconnect: a connection that stayed up for stable_after resets the backoff",
          "[reconnect]") {
  net::io_context io;
  server srv(io);
  srv.hold = 250ms;  // each connection lives 250 ms, more than stable_after
  raw_client client(io.get_executor(), "127.0.0.1", srv.port(),
                    no_keepalive<lv::heartbeat::none>(), exact(20ms, 2u, 100ms));
  event_log<raw_client> ev;
  ev.attach(client);
  client.start();
  REQUIRE(run_until(io, [&] { return ev.connected == 4; }, 4s));
  // Never grows, never gives up, although max_attempts is 2.
  CHECK(ev.delays == std::vector<clk::duration>{40ms, 40ms, 40ms});
  CHECK(ev.gave_up == 0);
  CHECK(client.attempts() == 0);
}

TEST_CASE("reconnect: session options apply to every new connection, a heartbeat death "
          "triggers a reconnect", "[reconnect]") {
  net::io_context io;
  server srv(io);  // accepts and never sends: the client's idle timeout fires
  lv::session_options<lv::heartbeat::idle_timeout> so;
  so.keepalive = lv::keepalive_options::standard();
  so.heartbeat.timeout = 200ms;
  idle_client client(io.get_executor(), "127.0.0.1", srv.port(), so, exact(20ms));
  std::vector<bool> keepalive_on;
  std::vector<clk::duration> silent;
  std::vector<error_code> reasons;
  client.on_connected([&](idle_client::session_type& s) {
    net::socket_base::keep_alive opt;
    s.next_layer().get_option(opt);
    keepalive_on.push_back(opt.value() && s.keepalive().enabled);
  });
  client.on_disconnected([&](error_code ec, lv::core::duration d) {
    reasons.push_back(ec);
    silent.push_back(d);
  });
  client.start();
  REQUIRE(run_until(io, [&] { return keepalive_on.size() == 3; }, 200ms * 3 + 6 * sched_slack));
  CHECK(keepalive_on == std::vector<bool>{true, true, true});
  REQUIRE(reasons.size() >= 2);
  for (std::size_t i = 0; i < 2; ++i) {
    INFO("connection " << i << " silent " << to_ms(silent[i]) << " ms");
    CHECK(reasons[i] == error::idle_timeout);
    CHECK(silent[i] >= 195ms);
    CHECK(silent[i] < 200ms + sched_slack);
  }
}

TEST_CASE("reconnect: the connect timeout ends an attempt that hangs", "[reconnect]") {
  net::io_context io;
  // A listener whose accept queue is full: Linux drops further SYNs, so a connect hangs.
  tcp::acceptor full(io);
  full.open(tcp::v4());
  full.bind(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  full.listen(0);
  std::vector<std::unique_ptr<tcp::socket>> fillers;
  for (int i = 0; i < 4; ++i) {
    auto s = std::make_unique<tcp::socket>(io);
    s->async_connect(full.local_endpoint(), [](error_code) {});
    fillers.push_back(std::move(s));
  }
  run_for(io, 100ms);
  auto o = exact(20ms, 1u);
  o.connect_timeout = 300ms;
  raw_client client(io.get_executor(), "127.0.0.1",
                    std::to_string(full.local_endpoint().port()),
                    no_keepalive<lv::heartbeat::none>(), o);
  event_log<raw_client> ev;
  ev.attach(client);
  const auto start = clk::now();
  client.start();
  REQUIRE(run_until(io, [&] { return ev.gave_up == 1; }, 300ms + 4 * sched_slack));
  const auto took = clk::now() - start;
  std::cout << "[reconnect] connect timeout after " << to_ms(took) << " ms (300 ms)\n";
  REQUIRE(ev.failures.size() == 1);
  if (ev.failures[0] == net::error::timed_out) {
    CHECK(took >= 290ms);
  } else {
    // The kernel accepted the SYN after all (a different backlog policy): not a timeout
    // test on this machine, but the attempt still failed or connected in bounds.
    WARN("connect did not hang: " << ev.failures[0].message());
  }
}

TEST_CASE("lifetime: stop() inside on_connected ends everything, no further events",
          "[reconnect]") {
  net::io_context io;
  server srv(io);
  raw_client client(io.get_executor(), "127.0.0.1", srv.port(),
                    no_keepalive<lv::heartbeat::none>(), exact(10ms));
  int events = 0;
  client.on_connected([&](raw_client::session_type& s) {
    ++events;
    client.stop();
    CHECK(s.is_dead() == false);  // the session object is still there for this handler
    CHECK(client.current() == nullptr);
  });
  client.on_disconnected([&](error_code, lv::core::duration) { ++events; });
  client.on_reconnecting([&](lv::core::duration) { ++events; });
  client.start();
  REQUIRE(run_until(io, [&] { return events == 1; }, 2s));
  run_for(io, 200ms);
  CHECK(events == 1);
  CHECK_FALSE(client.running());
  // The server sees the connection closed.
  REQUIRE(run_until(io, [&] { return srv.accepted.size() == 1; }, 2s));
  char byte;
  error_code ec;
  bool done = false;
  srv.accepted[0]->async_read_some(net::buffer(&byte, 1), [&](error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  REQUIRE(run_until(io, [&] { return done; }, 2s));
  CHECK(ec == net::error::eof);
}

TEST_CASE("lifetime: stop() during the backoff delay and right after start()",
          "[reconnect]") {
  net::io_context io;
  int events = 0;
  {
    raw_client client(io.get_executor(), "127.0.0.1", closed_port(io),
                      no_keepalive<lv::heartbeat::none>(), exact(100ms));
    client.on_reconnecting([&](lv::core::duration) {
      ++events;
      client.stop();
    });
    client.on_connect_failed([&](error_code) { ++events; });
    client.start();
    REQUIRE(run_until(io, [&] { return events == 2; }, 2s));
    run_for(io, 300ms);
    CHECK(events == 2);
  }
  {
    server srv(io);
    raw_client client(io.get_executor(), "127.0.0.1", srv.port(),
                      no_keepalive<lv::heartbeat::none>(), exact(10ms));
    client.on_connected([&](raw_client::session_type&) { ++events; });
    client.start();
    client.stop();
    run_for(io, 200ms);
    CHECK(events == 2);
  }
}

TEST_CASE("lifetime: the client destroyed from inside its own event handler, or with a "
          "connect pending", "[reconnect]") {
  net::io_context io;
  server srv(io);
  auto client = std::make_unique<raw_client>(io.get_executor(), "127.0.0.1", srv.port(),
                                             no_keepalive<lv::heartbeat::none>(), exact(10ms));
  int connected = 0, disconnected = 0;
  client->on_connected([&](raw_client::session_type&) { ++connected; });
  client->on_disconnected([&](error_code, lv::core::duration) {
    ++disconnected;
    client.reset();
  });
  client->start();
  REQUIRE(run_until(io, [&] { return srv.accepted.size() == 1 && connected == 1; }, 2s));
  srv.close_all();
  REQUIRE(run_until(io, [&] { return client == nullptr; }, 2s));
  run_for(io, 200ms);
  CHECK(connected == 1);
  CHECK(disconnected == 1);

  // Destroyed while the resolve/connect is in flight: nothing is raised afterwards.
  auto c2 = std::make_unique<raw_client>(io.get_executor(), "127.0.0.1", srv.port(),
                                         no_keepalive<lv::heartbeat::none>(), exact(10ms));
  c2->on_connected([&](raw_client::session_type&) { ++connected; });
  c2->start();
  io.restart();
  io.poll_one();  // the attempt begins
  c2.reset();
  run_for(io, 200ms);
  CHECK(connected == 1);
}
