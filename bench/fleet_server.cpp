//
// bench/fleet_server.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Idle fleet, server side: accepts N loopback connections (opened by fleet_client processes)
// and watches each with one of the implementations below, all on the same Boost.Asio
// io_context (one thread), with the same schedule: ping after 1 s of silence, dead after
// 3 s of silence. Once all N are connected and a settle time has passed, it measures its
// own CPU time (getrusage) over --seconds, reads VmRSS, writes one result line and exits
// (the clients then see EOF and exit too).
//
//   --impl raw               the socket alone: one zero-byte wait for readability, no timer
//                            (the baseline for "bytes per connection beyond the socket")
//   --impl asio              hand-rolled: two steady_timers per connection (ping timer and
//                            dead timer), both re-armed on every read (expires_after +
//                            async_wait), one-byte ping 'p' / pong 'o'
//   --impl beast             boost::beast::websocket::stream<tcp::socket>, idle_timeout 2 s
//                            with keep_alive_pings (Beast pings every idle_timeout/2 = 1 s
//                            and closes when a whole half-period after a ping saw no frame)
//   --impl liveness          liveness::session<tcp::socket, ping_pong<codec::line>>, role
//                            server, interval 1 s, timeout 2 s, shared timer wheel (default)
//   --impl liveness_steady   the same with use_timer_wheel = false (one steady_timer each)
//
// Other flags: --n N, --seconds S (measurement window), --settle S, --setup-timeout S,
// --port-file PATH (the listening port is written there once listening), --out PATH.
//
#include "bench_util.hpp"

#include <liveness/session.hpp>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

namespace {

struct counters {
  std::size_t ready = 0;    // connections set up (accepted; Beast: handshake done)
  std::size_t deaths = 0;   // connections declared dead or closed during the run
  std::size_t pings = 0;    // pings sent (hand-rolled only; the others count internally)
  bool measuring = false;
  std::size_t deaths_in_window = 0;
  void dead() {
    ++deaths;
    if (measuring) ++deaths_in_window;
  }
};

struct connection {
  virtual ~connection() = default;
};

// The socket alone: wait for readability (zero-byte), then drain; no timers.
struct raw_conn : connection {
  raw_conn(tcp::socket s, counters& c) : s_(std::move(s)), c_(c) {
    ++c_.ready;
    wait();
  }
  void wait() {
    s_.async_wait(tcp::socket::wait_read, [this](error_code ec) {
      if (ec) return c_.dead();
      std::array<char, 64> b;
      error_code rec;
      s_.read_some(net::buffer(b), rec);
      if (rec) return c_.dead();
      wait();
    });
  }
  tcp::socket s_;
  counters& c_;
};

// Hand-rolled heartbeat as people write it: a ping timer and a dead timer per connection,
// both re-armed on every read.
struct asio_conn : connection {
  asio_conn(tcp::socket s, counters& c)
      : s_(std::move(s)), ping_(s_.get_executor()), dead_(s_.get_executor()), c_(c) {
    ++c_.ready;
    arm();
    read();
  }
  void arm() {
    arm_ping();
    dead_.expires_after(3s);
    dead_.async_wait([this](error_code ec) {
      if (ec || closed_) return;
      closed_ = true;
      c_.dead();
      error_code ignored;
      s_.close(ignored);
      ping_.cancel();
    });
  }
  void arm_ping() {
    ping_.expires_after(1s);
    ping_.async_wait([this](error_code ec) {
      if (ec || closed_) return;
      if (!writing_) {
        writing_ = true;
        ++c_.pings;
        net::async_write(s_, net::buffer(&ping_byte, 1), [this](error_code, std::size_t) {
          writing_ = false;
        });
      }
      arm_ping();  // ping again after another second of silence
    });
  }
  void read() {
    s_.async_read_some(net::buffer(buf_), [this](error_code ec, std::size_t) {
      if (closed_) return;
      if (ec) {
        closed_ = true;
        c_.dead();
        ping_.cancel();
        dead_.cancel();
        return;
      }
      arm();
      read();
    });
  }
  static constexpr char ping_byte = 'p';
  tcp::socket s_;
  net::steady_timer ping_;
  net::steady_timer dead_;
  std::array<char, 16> buf_{};
  counters& c_;
  bool writing_ = false;
  bool closed_ = false;
};

// Boost.Beast websocket with its own idle timeout and keep-alive pings.
struct beast_conn : connection {
  beast_conn(tcp::socket s, counters& c) : ws_(std::move(s)), c_(c) {
    websocket::stream_base::timeout t{};
    t.handshake_timeout = 10s;
    t.idle_timeout = 2s;  // ping every 1 s (idle_timeout / 2), close 1-2 s after silence
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.async_accept([this](error_code ec) {
      if (ec) return c_.dead();
      ++c_.ready;
      read();
    });
  }
  void read() {
    ws_.async_read(buf_, [this](error_code ec, std::size_t n) {
      if (ec) return c_.dead();
      buf_.consume(n);
      read();
    });
  }
  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buf_;
  counters& c_;
};

// liveness: ping/pong "PING\n"/"PONG\n", the server pings.
using lv_policy = liveness::heartbeat::ping_pong<liveness::codec::line>;

liveness::session_options<lv_policy> lv_options(bool wheel, std::string& timer) {
  liveness::session_options<lv_policy> o;
  o.heartbeat.interval = 1s;
  o.heartbeat.timeout = 2s;
  o.heartbeat.pinger = liveness::ping_role::server;
  o.role = liveness::role::server;
  timer = bench::set_timer_wheel(o, wheel);
  return o;
}

struct liveness_conn : connection {
  liveness_conn(tcp::socket s, counters& c, const liveness::session_options<lv_policy>& o)
      : s_(std::move(s), o), c_(c) {
    ++c_.ready;
    s_.async_wait_dead([this](error_code ec) {
      if (ec != net::error::operation_aborted) c_.dead();
    });
  }
  liveness::session<tcp::socket, lv_policy> s_;
  counters& c_;
};

}  // namespace

int main(int argc, char** argv) {
  bench::flags f(argc, argv);
  const std::string impl = f.str("impl", "liveness");
  const auto n = static_cast<std::size_t>(f.num("n", 1000));
  const double seconds = f.num("seconds", 60);
  const double settle = f.num("settle", 3);
  const double setup_timeout = f.num("setup-timeout", 180);
  const std::string port_file = f.str("port-file", "");
  const std::string out = f.str("out", "");
  f.check();
  if (impl != "raw" && impl != "asio" && impl != "beast" && impl != "liveness" &&
      impl != "liveness_steady") {
    std::cerr << "error: unknown --impl " << impl << "\n";
    return 2;
  }

  std::string timer;  // what times each connection, for the report
  const auto lv_opts = lv_options(impl == "liveness", timer);
  if (impl == "raw") timer = "none";
  if (impl == "asio") timer = "2_steady_timers";
  if (impl == "beast") timer = "beast_steady_timer";

  net::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
  counters c;
  std::vector<std::unique_ptr<connection>> conns;
  conns.reserve(n);
  const long rss_base = bench::rss_kb();
  if (!port_file.empty()) {
    const std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << acceptor.local_endpoint().port() << "\n";
    std::rename(tmp.c_str(), port_file.c_str());
  }

  std::size_t accepted = 0;
  std::function<void()> accept = [&] {
    acceptor.async_accept([&](error_code ec, tcp::socket s) {
      if (ec) {
        std::cerr << "accept: " << ec.message() << "\n";
        if (ec == net::error::no_descriptors) return;  // the run fails by its setup timeout
      } else {
        ++accepted;
        try {
          if (impl == "raw") conns.push_back(std::make_unique<raw_conn>(std::move(s), c));
          if (impl == "asio") conns.push_back(std::make_unique<asio_conn>(std::move(s), c));
          if (impl == "beast") conns.push_back(std::make_unique<beast_conn>(std::move(s), c));
          if (impl == "liveness" || impl == "liveness_steady") {
            conns.push_back(std::make_unique<liveness_conn>(std::move(s), c, lv_opts));
          }
        } catch (const std::exception& e) {
          std::cerr << "session: " << e.what() << "\n";
        }
      }
      if (accepted < n) accept();
    });
  };
  accept();

  // Wait until all N are set up, settle, then measure.
  const double t_start = bench::now_s();
  double cpu0 = 0, t0 = 0;
  int exit_code = 0;
  net::steady_timer tick(io);
  std::function<void()> wait_ready = [&] {
    tick.expires_after(100ms);
    tick.async_wait([&](error_code) {
      if (c.ready >= n) {
        const double setup = bench::now_s() - t_start;
        tick.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(settle)));
        tick.async_wait([&, setup](error_code) {
          cpu0 = bench::cpu_seconds();
          t0 = bench::now_s();
          c.measuring = true;
          const std::size_t pings0 = c.pings;
          tick.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
              std::chrono::duration<double>(seconds)));
          tick.async_wait([&, setup, pings0](error_code) {
            const double cpu = bench::cpu_seconds() - cpu0;
            const double wall = bench::now_s() - t0;
            const long rss = bench::rss_kb();
            bench::record("fleet")("impl", impl)("n", n)("timer", timer)("seconds", wall)(
                "cpu_s", cpu)("cpu_s_per_min", cpu / wall * 60.0)("rss_kb", rss)(
                "rss_base_kb", rss_base)("bytes_per_conn",
                                         static_cast<double>(rss - rss_base) * 1024.0 /
                                             static_cast<double>(n))(
                "deaths", c.deaths_in_window)("setup_s", setup)(
                "pings_handrolled", c.pings - pings0)(
                "session_sizeof",
                sizeof(liveness::detail::session_impl<tcp::socket, lv_policy>))
                .write(out);
            io.stop();
          });
        });
        return;
      }
      if (bench::now_s() - t_start > setup_timeout) {
        std::cerr << "error: only " << c.ready << " of " << n << " connections after "
                  << setup_timeout << " s\n";
        bench::record("fleet")("impl", impl)("n", n)("error", "setup_timeout")(
            "ready", c.ready)
            .write(out);
        exit_code = 1;
        io.stop();
        return;
      }
      wait_ready();
    });
  };
  wait_ready();
  io.run();
  std::cout.flush();
  // Skip tearing down N connections: the kernel closes them, the clients see EOF.
  ::_exit(exit_code);
}
