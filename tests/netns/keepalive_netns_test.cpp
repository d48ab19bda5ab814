// Keepalive against a real kernel, with the cable pulled: loopback connections inside the
// private network namespace of this process (see tests/support/netns_main.cpp), cut with
// nftables rules that drop every packet of the connection in both directions.
//
// What these tests prove on Linux:
//  - an idle connection to a vanished peer ends with ETIMEDOUT (-> keepalive_timeout) within
//    the report's detection_bound, and not before the idle time: keepalive did it;
//  - while our data is unacknowledged keepalive sends no probes; the derived user timeout
//    still ends the connection within detection_bound_in_flight;
//  - without a user timeout the same connection is still "alive" well past the bound (the
//    kernel would retransmit for ~15 min): the reason the user timeout exists.
#include <liveness/keepalive.hpp>

#include "test_support.hpp"
#include "loopback.hpp"
#include "netns.hpp"

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/asio.hpp>
#else
#include <asio.hpp>
#endif

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace keepalive_netns_test {

namespace {

namespace net = liveness::net;
using tcp = net::ip::tcp;
using liveness::error_code;
using liveness::keepalive_options;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;
using namespace std::chrono_literals;
using liveness_test::connected;
using liveness_test::run_until;
using liveness_test::socket_pair;

// Slack allowed on top of a reported bound (timer granularity, a loaded 2-core machine).
constexpr milliseconds slack = 1s;

long long to_ms(steady::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

std::string describe(const error_code& ec) {
  std::ostringstream out;
  out << ec.category().name() << ":" << ec.value() << " (" << ec.message() << ") -> "
      << liveness::classify_transport_error(ec).message();
  return out.str();
}

// Closes the sockets and lets the aborted handlers run, so no handler outlives its state.
void close_and_drain(net::io_context& io, socket_pair& pair) {
  error_code ignored;
  pair.client.close(ignored);
  pair.server.close(ignored);
  io.restart();
  io.run_for(2s);
}

// The first completion of an operation: its error and when it came.
struct outcome {
  std::optional<error_code> ec;
  steady::time_point when{};
  const char* op = "";

  void record(const char* name, const error_code& e) {
    if (ec) return;
    ec = e;
    when = steady::now();
    op = name;
  }
};

// Reads into a small buffer until the read fails (nothing arrives in these tests).
void start_read(tcp::socket& socket, std::array<char, 256>& buffer, outcome& result) {
  net::async_read(socket, net::buffer(buffer),
                  [&result](const error_code& ec, std::size_t) { result.record("read", ec); });
}

// Writes 64 KiB chunks back to back until a write fails.
class writer {
 public:
  writer(tcp::socket& socket, outcome& result)
      : socket_(socket), result_(result), chunk_(64 * 1024, 'x') {}

  void start() {
    net::async_write(socket_, net::buffer(chunk_), [this](const error_code& ec, std::size_t n) {
      bytes_ += n;
      if (ec) {
        result_.record("write", ec);
        return;
      }
      start();
    });
  }

  std::size_t bytes() const noexcept { return bytes_; }

 private:
  tcp::socket& socket_;
  outcome& result_;
  std::vector<char> chunk_;
  std::size_t bytes_ = 0;
};

tcp_info tcp_info_of(tcp::socket& socket) {
  tcp_info info{};
  socklen_t len = sizeof info;
  REQUIRE(::getsockopt(socket.native_handle(), IPPROTO_TCP, TCP_INFO, &info, &len) == 0);
  return info;
}

constexpr keepalive_options fast_options{true, 1s, 1s, 2, keepalive_options::derive_user_timeout};

}  // namespace

TEST_CASE("keepalive netns: options read back from the kernel equal the request",
          "[keepalive][netns]") {
  net::io_context io{1};
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), 0));

  // Server side: applied by async_accept_with_keepalive on the accepted socket.
  std::optional<error_code> accept_ec;
  tcp::socket accepted(io);
  liveness::async_accept_with_keepalive(acceptor, fast_options,
                                        [&](const error_code& ec, tcp::socket socket) {
                                          accept_ec = ec;
                                          accepted = std::move(socket);
                                        });
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  REQUIRE(run_until(io, [&] { return accept_ec.has_value(); }, 5s));
  REQUIRE_FALSE(*accept_ec);

  const auto server_report = liveness::read_keepalive(accepted);
  INFO("accepted socket:\n" << server_report.to_string());
  CHECK(server_report.enabled);
  CHECK(server_report.mechanism == liveness::keepalive_mechanism::setsockopt);
  CHECK(server_report.idle.source == liveness::value_source::kernel);
  CHECK(server_report.idle.value.count() == 1000);
  CHECK(server_report.interval.value.count() == 1000);
  CHECK(server_report.probes.value == 2);
  CHECK(server_report.user_timeout.source == liveness::value_source::kernel);
  CHECK(server_report.user_timeout.value.count() == 3000);
  REQUIRE(server_report.detection_bound);
  CHECK(server_report.detection_bound->count() == 3000);
  REQUIRE(server_report.detection_bound_in_flight);
  CHECK(server_report.detection_bound_in_flight->count() == 3000);

  // Client side: explicit user timeout, sub-second idle rounded up by the kernel's units.
  const keepalive_options asked{true, 1500ms, 2s, 4, 12345ms};
  const auto client_report = liveness::apply_keepalive(client, asked);
  INFO("client socket:\n" << client_report.to_string());
  CHECK(client_report.idle.source == liveness::value_source::kernel);
  CHECK(client_report.idle.value.count() == 2000);
  CHECK(client_report.interval.value.count() == 2000);
  CHECK(client_report.probes.value == 4);
  CHECK(client_report.user_timeout.value.count() == 12345);
  const auto reread = liveness::read_keepalive(client);
  CHECK(reread.idle.value == client_report.idle.value);
  CHECK(reread.interval.value == client_report.interval.value);
  CHECK(reread.probes.value == client_report.probes.value);
  CHECK(reread.user_timeout.value == client_report.user_timeout.value);
}

TEST_CASE("keepalive netns: an idle connection with its cable pulled dies within the bound",
          "[keepalive][netns]") {
  net::io_context io{1};
  auto pair = connected(io);
  const auto report = liveness::apply_keepalive(pair.client, fast_options);
  INFO(report.to_string());
  REQUIRE(report.detection_bound);
  REQUIRE(report.detection_bound->count() == 3000);
  const auto bound = *report.detection_bound;

  std::array<char, 256> buffer{};
  outcome result;
  start_read(pair.client, buffer, result);

  const auto before = steady::now();
  liveness_test::blackhole cable(pair.client_port);
  const auto after = steady::now();

  run_until(io, [&] { return result.ec.has_value(); },
            after + bound + slack + 2s - steady::now());
  const bool detected = result.ec.has_value();
  const auto elapsed_max = (detected ? result.when : steady::now()) - before;
  const auto elapsed_min = (detected ? result.when : steady::now()) - after;
  std::cout << "[netns] idle, cable pulled: " << (detected ? "dead after " : "still alive after ")
            << to_ms(elapsed_max) << " ms (detection_bound " << bound.count() << " ms, allowed "
            << (bound + slack).count() << " ms)"
            << (detected ? ": " + describe(*result.ec) : std::string()) << std::endl;
  INFO("elapsed " << to_ms(elapsed_max) << " ms, bound " << bound.count() << " ms");

  REQUIRE(detected);
  INFO("error: " << describe(*result.ec));
  CHECK(*result.ec == net::error::timed_out);
  CHECK(liveness::classify_transport_error(*result.ec) == liveness::error::keepalive_timeout);
  CHECK(to_ms(elapsed_max) <= (bound + slack).count());
  // Not before the first probe could even have been sent: it was keepalive that noticed.
  CHECK(to_ms(elapsed_min) >= fast_options.idle.count());

  close_and_drain(io, pair);
}

TEST_CASE("keepalive netns: with data in flight the user timeout ends a cut connection",
          "[keepalive][netns]") {
  net::io_context io{1};
  auto pair = connected(io);
  const auto report = liveness::apply_keepalive(pair.client, fast_options);
  INFO(report.to_string());
  REQUIRE(report.detection_bound_in_flight);
  REQUIRE(report.detection_bound_in_flight->count() == 3000);
  const auto bound = *report.detection_bound_in_flight;

  std::array<char, 256> buffer{};
  outcome result;
  start_read(pair.client, buffer, result);
  writer w(pair.client, result);

  const auto before = steady::now();
  liveness_test::blackhole cable(pair.client_port);
  const auto after = steady::now();
  w.start();  // everything written from now on stays unacknowledged

  run_until(io, [&] { return result.ec.has_value(); },
            after + bound + slack + 2s - steady::now());
  const bool detected = result.ec.has_value();
  const auto elapsed_max = (detected ? result.when : steady::now()) - before;
  const auto elapsed_min = (detected ? result.when : steady::now()) - after;
  std::cout << "[netns] data in flight, cable pulled, user timeout " << bound.count()
            << " ms: " << (detected ? "dead after " : "still alive after ") << to_ms(elapsed_max)
            << " ms (detection_bound_in_flight " << bound.count() << " ms, allowed "
            << (bound + slack).count() << " ms; " << w.bytes() << " bytes written)"
            << (detected ? std::string(", first failure: ") + result.op + " " + describe(*result.ec)
                         : std::string())
            << std::endl;
  INFO("elapsed " << to_ms(elapsed_max) << " ms, bound " << bound.count() << " ms, " << w.bytes()
                  << " bytes written");

  REQUIRE(detected);
  INFO("first failure: " << result.op << " " << describe(*result.ec));
  CHECK(*result.ec == net::error::timed_out);
  CHECK(liveness::classify_transport_error(*result.ec) == liveness::error::keepalive_timeout);
  CHECK(w.bytes() > 0);
  CHECK(to_ms(elapsed_max) <= (bound + slack).count());
  // Not before the user timeout could have run out: it was the user timeout that ended it.
  CHECK(to_ms(elapsed_min) >= (bound - slack).count());

  close_and_drain(io, pair);
}

TEST_CASE("keepalive netns: without a user timeout data in flight hides a cut connection",
          "[keepalive][netns]") {
  net::io_context io{1};
  auto pair = connected(io);
  keepalive_options options = fast_options;
  options.user_timeout = keepalive_options::no_user_timeout;
  const auto report = liveness::apply_keepalive(pair.client, options);
  INFO(report.to_string());
  REQUIRE(report.detection_bound);
  REQUIRE_FALSE(report.detection_bound_in_flight);  // unbounded: the kernel's own ~15 min
  CHECK(report.user_timeout.value.count() == 0);
  const auto wait = *report.detection_bound + 2s;

  std::array<char, 256> buffer{};
  outcome result;
  start_read(pair.client, buffer, result);
  writer w(pair.client, result);

  liveness_test::blackhole cable(pair.client_port);
  const auto after = steady::now();
  w.start();

  // Nothing may complete: keepalive sends no probes while data is unacknowledged, and the
  // retransmissions go on for far longer than this.
  run_until(io, [&] { return result.ec.has_value(); }, after + wait - steady::now());
  const auto info = tcp_info_of(pair.client);
  std::cout << "[netns] data in flight, cable pulled, no user timeout: "
            << (result.ec ? "dead after " : "still alive after ")
            << to_ms((result.ec ? result.when : steady::now()) - after) << " ms (checked at "
            << (*report.detection_bound + 2s).count() << " ms; " << w.bytes() << " bytes written, "
            << info.tcpi_unacked << " segments unacknowledged, "
            << static_cast<int>(info.tcpi_retransmits) << " retransmissions of the head)"
            << (result.ec ? std::string(": ") + result.op + " " + describe(*result.ec)
                          : std::string())
            << std::endl;

  CHECK_FALSE(result.ec.has_value());
  CHECK(static_cast<int>(info.tcpi_state) == TCP_ESTABLISHED);
  CHECK(info.tcpi_unacked > 0);      // our data really is in flight...
  CHECK(info.tcpi_retransmits > 0);  // ...and the kernel is retransmitting it, not probing
  CHECK(w.bytes() > 0);

  close_and_drain(io, pair);
  CHECK(result.ec.has_value());  // the close completed the pending operations
}

}  // namespace keepalive_netns_test
