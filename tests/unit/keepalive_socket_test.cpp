#include <liveness/keepalive.hpp>

#include "asio_includes.hpp"
#include "test_support.hpp"

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <tuple>

using namespace std::chrono_literals;
using liveness::error;
using liveness::error_code;
using liveness::keepalive_mechanism;
using liveness::keepalive_options;
using liveness::value_source;
namespace net = liveness::net;
using tcp = net::ip::tcp;

namespace {

struct connected_pair {
  net::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)};
  tcp::socket client{io};
  tcp::socket server{io};

  connected_pair() {
    client.connect(acceptor.local_endpoint());
    server = acceptor.accept();
  }
};

bool has_note(const liveness::keepalive_report& r, const std::string& text) {
  for (const auto& n : r.notes)
    if (n.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

#if defined(__linux__)

TEST_CASE("Linux: every option read back with getsockopt equals what was asked",
          "[keepalive][socket]") {
  connected_pair p;
  const keepalive_options asked{true, 7s, 3s, 5, 40s};
  error_code ec;
  const auto r = liveness::apply_keepalive(p.client, asked, ec);
  REQUIRE_FALSE(ec);
  INFO(r.to_string());
  CHECK(r.mechanism == keepalive_mechanism::setsockopt);
  CHECK(r.enabled);
  CHECK(r.idle.source == value_source::kernel);
  CHECK(r.idle.value == 7s);
  CHECK(r.interval.source == value_source::kernel);
  CHECK(r.interval.value == 3s);
  CHECK(r.probes.source == value_source::kernel);
  CHECK(r.probes.value == 5);
  CHECK(r.user_timeout.source == value_source::kernel);
  CHECK(r.user_timeout.value == 40s);
  REQUIRE(r.detection_bound);
  CHECK(*r.detection_bound == 22s);
  REQUIRE(r.detection_bound_in_flight);
  CHECK(*r.detection_bound_in_flight == 40s);
  REQUIRE(r.worst_case());
  CHECK(*r.worst_case() == 40s);

  // And raw getsockopt agrees, independently of the library's read path.
  net::socket_base::keep_alive ka;
  p.client.get_option(ka);
  CHECK(ka.value());
  const auto again = liveness::read_keepalive(p.client);
  CHECK(again.idle.value == 7s);
  CHECK(again.probes.value == 5);
  CHECK(again.user_timeout.value == 40s);
}

TEST_CASE("Linux: the derived user timeout equals the idle bound", "[keepalive][socket]") {
  connected_pair p;
  const auto r = liveness::apply_keepalive(p.client, keepalive_options::aggressive());
  INFO(r.to_string());
  REQUIRE(r.detection_bound);
  REQUIRE(r.detection_bound_in_flight);
  CHECK(*r.detection_bound == 7s);
  CHECK(*r.detection_bound_in_flight == 7s);
  CHECK(r.user_timeout.value == 7s);
  CHECK(r.notes.empty());
}

TEST_CASE("Linux: sub-second values round up and the report says so",
          "[keepalive][socket]") {
  connected_pair p;
  const auto r = liveness::apply_keepalive(p.client, {true, 1500ms, 200ms, 2, {}});
  INFO(r.to_string());
  CHECK(r.idle.value == 2s);
  CHECK(r.interval.value == 1s);
  CHECK(has_note(r, "idle 1500 ms rounded up to 2 s"));
  CHECK(has_note(r, "interval 200 ms rounded up to 1 s"));
  // The derived user timeout follows the values really in force: 2 s + 2 x 1 s.
  CHECK(r.user_timeout.value == 4s);
}

TEST_CASE("Linux: disabling clears SO_KEEPALIVE and the user timeout",
          "[keepalive][socket]") {
  connected_pair p;
  liveness::apply_keepalive(p.client, keepalive_options::aggressive());
  const auto r = liveness::apply_keepalive(p.client, keepalive_options::disabled());
  INFO(r.to_string());
  CHECK_FALSE(r.enabled);
  CHECK(r.mechanism == keepalive_mechanism::disabled);
  CHECK(r.user_timeout.value == 0ms);
  CHECK_FALSE(r.detection_bound);
  CHECK_FALSE(r.detection_bound_in_flight);
  net::socket_base::keep_alive ka;
  p.client.get_option(ka);
  CHECK_FALSE(ka.value());
}

TEST_CASE("Linux: without a user timeout the report warns about data in flight",
          "[keepalive][socket]") {
  connected_pair p;
  keepalive_options o = keepalive_options::standard();
  o.user_timeout = keepalive_options::no_user_timeout;
  const auto r = liveness::apply_keepalive(p.client, o);
  CHECK(r.user_timeout.value == 0ms);
  CHECK_FALSE(r.detection_bound_in_flight);
  CHECK_FALSE(r.worst_case());
  CHECK(has_note(r, "no user timeout is in force"));
}

TEST_CASE("Linux: an explicit user timeout below the idle bound is explained",
          "[keepalive][socket]") {
  connected_pair p;
  const auto r = liveness::apply_keepalive(p.client, {true, 20s, 5s, 3, 2s});
  CHECK(r.user_timeout.value == 2s);
  CHECK(has_note(r, "first unanswered probe"));
}

TEST_CASE("Linux: a fresh socket reports the kernel defaults", "[keepalive][socket]") {
  connected_pair p;
  const auto r = liveness::read_keepalive(p.server);
  INFO(r.to_string());
  CHECK_FALSE(r.enabled);
  CHECK(r.idle.source == value_source::kernel);
  CHECK(r.idle.value > 0ms);
  CHECK_FALSE(r.detection_bound);
}

#endif  // __linux__

TEST_CASE("invalid options never reach the socket", "[keepalive][socket]") {
  connected_pair p;
  error_code ec;
  liveness::apply_keepalive(p.client, {true, 0ms, 1s, 3, {}}, ec);
  CHECK(ec == error::keepalive_zero_time);
  net::socket_base::keep_alive ka;
  p.client.get_option(ka);
  CHECK_FALSE(ka.value());
  CHECK_THROWS_AS(liveness::apply_keepalive(p.client, {true, 1s, 1s, 0, {}}),
                  liveness::system_error);
}

TEST_CASE("a closed socket is reported, not crashed on", "[keepalive][socket]") {
  net::io_context io;
  tcp::socket s(io);
  error_code ec;
  liveness::apply_keepalive(s, keepalive_options::standard(), ec);
  CHECK(ec == net::error::bad_descriptor);
  liveness::read_keepalive(s, ec);
  CHECK(ec == net::error::bad_descriptor);
  CHECK_THROWS_AS(liveness::read_keepalive(s), liveness::system_error);
}

TEST_CASE("accepted sockets get keepalive applied, with any completion token",
          "[keepalive][accept]") {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const auto opts = keepalive_options::aggressive();

  SECTION("callback") {
    bool called = false;
    liveness::async_accept_with_keepalive(acceptor, opts, [&](error_code ec, tcp::socket s) {
      called = true;
      CHECK_FALSE(ec);
      const auto r = liveness::read_keepalive(s);
      CHECK(r.enabled);
#if defined(__linux__)
      CHECK(r.idle.value == opts.idle);
#endif
    });
    tcp::socket c(io);
    c.async_connect(acceptor.local_endpoint(), [](error_code) {});
    io.run_for(5s);
    CHECK(called);
  }

  SECTION("use_future") {
    auto f = liveness::async_accept_with_keepalive(acceptor, opts, net::use_future);
    tcp::socket c(io);
    c.async_connect(acceptor.local_endpoint(), [](error_code) {});
    io.run_for(5s);
    REQUIRE(f.wait_for(0s) == std::future_status::ready);
    auto s = f.get();
    CHECK(liveness::read_keepalive(s).enabled);
  }

  SECTION("cancellation completes with operation_aborted") {
    error_code result;
    liveness::async_accept_with_keepalive(acceptor, opts,
                                          [&](error_code ec, tcp::socket) { result = ec; });
    net::post(io, [&] { acceptor.cancel(); });
    io.run_for(5s);
    CHECK(result == net::error::operation_aborted);
  }

  SECTION("blocking form") {
    tcp::socket c(io);
    c.async_connect(acceptor.local_endpoint(), [](error_code) {});
    std::thread t([&] { io.run_for(2s); });
    error_code ec;
    auto s = liveness::accept_with_keepalive(acceptor, opts, ec);
    t.join();
    CHECK_FALSE(ec);
    CHECK(liveness::read_keepalive(s).enabled);
  }
}

#if defined(__cpp_impl_coroutine) && __cpp_impl_coroutine >= 201902L
TEST_CASE("accept with keepalive works with use_awaitable", "[keepalive][accept]") {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  bool enabled = false;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        auto s = co_await liveness::async_accept_with_keepalive(
            acceptor, keepalive_options::standard(), net::use_awaitable);
        enabled = liveness::read_keepalive(s).enabled;
      },
      net::detached);
  tcp::socket c(io);
  c.async_connect(acceptor.local_endpoint(), [](error_code) {});
  io.run_for(5s);
  CHECK(enabled);
}
#endif
