#include <liveness/keepalive.hpp>

#include "asio_includes.hpp"
#include "test_support.hpp"
#include "loopback.hpp"

#include <chrono>
#include <functional>
#include <future>
#include <vector>

#if defined(__linux__)
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif
#include <string>
#include <thread>
#include <tuple>

namespace keepalive_socket_test {

using namespace std::chrono_literals;
using liveness::error;
using liveness::error_code;
using liveness::keepalive_mechanism;
using liveness::keepalive_options;
using liveness::value_source;
namespace net = liveness::net;
using tcp = net::ip::tcp;

namespace {

/// An io_context and a connected loopback pair on it.
struct connected_pair {
  net::io_context io;
  liveness_test::socket_pair sockets = liveness_test::connected(io);
  tcp::socket& client = sockets.client;
  tcp::socket& server = sockets.server;
};

bool has_note(const liveness::keepalive_report& r, const std::string& text) {
  for (const auto& n : r.notes)
    if (n.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

#if defined(__linux__)

TEST_CASE("Linux: every option read back with getsockopt equals what was asked",
          "[keepalive][socket][smoke]") {
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
  // With a user timeout, Linux ignores the probe count: the silent peer is dropped at the
  // first probe tick at or after 40 s (7 s + 11 x 3 s), not at 7 + 5 x 3 = 22 s.
  REQUIRE(r.detection_bound);
  CHECK(*r.detection_bound == 40s);
  CHECK(has_note(r, "ignores the probe count"));
  REQUIRE(r.detection_bound_in_flight);
  CHECK(*r.detection_bound_in_flight == 40s);
  REQUIRE(r.worst_case());
  CHECK(*r.worst_case() == 40s);

  // Raw getsockopt agrees, independently of the library's read path.
  const auto raw = [&](int level, int name) {
    int v = -1;
    socklen_t len = sizeof(v);
    REQUIRE(::getsockopt(p.client.native_handle(), level, name, &v, &len) == 0);
    return v;
  };
  CHECK(raw(SOL_SOCKET, SO_KEEPALIVE) == 1);
  CHECK(raw(IPPROTO_TCP, TCP_KEEPIDLE) == 7);
  CHECK(raw(IPPROTO_TCP, TCP_KEEPINTVL) == 3);
  CHECK(raw(IPPROTO_TCP, TCP_KEEPCNT) == 5);
  CHECK(raw(IPPROTO_TCP, TCP_USER_TIMEOUT) == 40000);
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

TEST_CASE("Linux: a user timeout replaces the probe count in the idle bound",
          "[keepalive][socket]") {
  connected_pair p;
  // Shorter than idle + interval: dropped at the first unanswered probe, idle + interval.
  auto r = liveness::apply_keepalive(p.client, {true, 20s, 5s, 3, 2s});
  CHECK(r.user_timeout.value == 2s);
  REQUIRE(r.detection_bound);
  CHECK(*r.detection_bound == 25s);
  CHECK(has_note(r, "ignores the probe count"));
  // Between two ticks: the next tick after it (1 s + 6 x 1 s for 6.5 s).
  r = liveness::apply_keepalive(p.client, {true, 1s, 1s, 2, 6500ms});
  REQUIRE(r.detection_bound);
  CHECK(*r.detection_bound == 7s);
  // The derived user timeout keeps the bound the probes give.
  r = liveness::apply_keepalive(p.client, {true, 1s, 1s, 2, {}});
  REQUIRE(r.detection_bound);
  CHECK(*r.detection_bound == 3s);
  CHECK_FALSE(has_note(r, "ignores the probe count"));
}

TEST_CASE("Linux: the user timeout also drops a peer that stops reading (zero window)",
          "[keepalive][socket]") {
  // A live peer whose application reads nothing: once its receive window is closed our
  // kernel sends zero-window probes, which TCP_USER_TIMEOUT bounds too. This is how a hung
  // reader is found, and why a peer that may pause reading for long needs a longer (or no)
  // user timeout.
  connected_pair p;
  const auto r = liveness::apply_keepalive(p.client, {true, 1s, 1s, 1, {}});  // 2 s
  REQUIRE(r.user_timeout.value == 2s);
  std::vector<char> chunk(256 * 1024, 'x');
  error_code result;
  const auto start = std::chrono::steady_clock::now();
  std::function<void()> write_more = [&] {
    net::async_write(p.client, net::buffer(chunk), [&](error_code ec, std::size_t) {
      if (ec) {
        result = ec;
        return;
      }
      write_more();
    });
  };
  write_more();
  p.io.run_for(15s);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  INFO("ended after " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                      << " ms with " << result.message());
  CHECK(liveness::classify_transport_error(result) == error::keepalive_timeout);
  CHECK(elapsed >= 2s);
  CHECK(elapsed < 10s);
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

#if defined(ASIO_HAS_CO_AWAIT) || defined(BOOST_ASIO_HAS_CO_AWAIT)  // Asio 1.28 and clang 14: none
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

}  // namespace keepalive_socket_test
