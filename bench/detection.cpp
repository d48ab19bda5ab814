//
// bench/detection.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Detection accuracy: --sessions loopback pairs in one process. The server end of each is a
// liveness::session (ping_pong<codec::line>, the server pings, interval --interval-ms,
// timeout --timeout-ms, so the budget is interval + timeout); the client end is a plain
// socket that answers every ping until its own random moment (uniform in
// [--silence-min, --silence-max] seconds after all pairs are up), then goes silent: it
// keeps the socket open and stops reading and writing, like a hung process.
//
// Detection time = when async_wait_dead completed - when the peer wrote its last byte,
// which is what the budget bounds; it is reported divided by the budget (min, median,
// p99, max). A death reported while the peer still answers, or for another reason than
// heartbeat_timeout, is a false alarm. A control run of the same length where no peer
// goes silent must report no death at all.
//
// Runs once with the shared timer wheel and once with one steady_timer per session (when
// the session has the `use_timer_wheel` option).
//
#include "bench_util.hpp"

#include <liveness/session.hpp>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <unistd.h>

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using policy = liveness::heartbeat::ping_pong<liveness::codec::line>;

namespace {

/// A copy of `o` for end `r` of the connection.
template <class Options>
Options with_role(Options o, liveness::role r) {
  o.role = r;
  return o;
}


struct config {
  std::size_t sessions = 1000;
  clock_type::duration interval = 1s;
  clock_type::duration timeout = 2s;
  double silence_min = 1;
  double silence_max = 6;
  bool wheel = true;
  bool control = false;  // nobody goes silent
  unsigned seed = 1;
};

struct peer {
  explicit peer(asio::io_context& io) : socket(io), silence_timer(io) {}
  tcp::socket socket;
  asio::steady_timer silence_timer;
  std::array<char, 256> buf{};
  std::string reply;
  bool silent = false;
  clock_type::time_point last_sent{};
  clock_type::time_point silent_at{};
  clock_type::time_point dead_at{};
  liveness::error_code reason;
  bool dead = false;
  bool false_alarm = false;

  void read() {
    socket.async_read_some(asio::buffer(buf), [this](asio::error_code ec, std::size_t n) {
      if (ec || silent) return;
      std::size_t pings = 0;
      for (std::size_t i = 0; i < n; ++i) pings += buf[i] == '\n';
      if (!pings) return read();
      reply.clear();
      for (std::size_t i = 0; i < pings; ++i) reply += "PONG\n";
      last_sent = clock_type::now();
      asio::async_write(socket, asio::buffer(reply), [this](asio::error_code wec, std::size_t) {
        if (!wec) read();
      });
    });
  }
};

struct outcome {
  std::vector<double> ratio;         // detection / budget
  std::vector<double> from_silence;  // (dead - silence moment) / budget
  std::size_t false_alarms = 0;
  std::size_t missed = 0;
  double late_ms_p99 = 0;
  std::string timer;
  double seconds = 0;
};

outcome run(const config& cfg) {
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  const auto ep = acceptor.local_endpoint();
  liveness::session_options<policy> opts;
  opts.heartbeat.interval = cfg.interval;
  opts.heartbeat.timeout = cfg.timeout;
  opts.heartbeat.pinger = liveness::ping_role::server;
  outcome out;
  out.timer = bench::set_timer_wheel(opts, cfg.wheel);
  const auto budget = cfg.interval + cfg.timeout;

  std::vector<std::unique_ptr<peer>> peers;
  std::map<unsigned short, peer*> by_port;
  std::vector<std::unique_ptr<liveness::session<tcp::socket, policy>>> sessions;
  std::size_t dead = 0;

  // Connect all pairs (blocking connects; the acceptor's backlog holds them).
  for (std::size_t i = 0; i < cfg.sessions; ++i) {
    peers.push_back(std::make_unique<peer>(io));
    peers.back()->socket.connect(ep);
    by_port[peers.back()->socket.local_endpoint().port()] = peers.back().get();
    tcp::socket s(io);
    acceptor.accept(s);
    peer* p = by_port.at(s.remote_endpoint().port());
    sessions.push_back(std::make_unique<liveness::session<tcp::socket, policy>>(
        std::move(s), with_role(opts, liveness::role::server)));
    sessions.back()->async_wait_dead([p, &dead, &io, &cfg](liveness::error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      p->dead = true;
      p->dead_at = clock_type::now();
      p->reason = ec;
      if (!p->silent || ec != liveness::make_error_code(liveness::error::heartbeat_timeout)) {
        p->false_alarm = true;
      }
      if (++dead == cfg.sessions) io.stop();
    });
  }

  std::mt19937 rng(cfg.seed);
  std::uniform_real_distribution<double> moment(cfg.silence_min, cfg.silence_max);
  const auto start = clock_type::now();
  for (auto& p : peers) {
    p->last_sent = start;
    p->read();
    if (cfg.control) continue;
    p->silence_timer.expires_at(start + std::chrono::duration_cast<clock_type::duration>(
                                            std::chrono::duration<double>(moment(rng))));
    p->silence_timer.async_wait([q = p.get()](asio::error_code ec) {
      if (ec) return;
      q->silent = true;
      q->silent_at = clock_type::now();
      asio::error_code ignored;
      q->socket.cancel(ignored);  // stop reading: a hung process
    });
  }
  asio::steady_timer deadline(io);
  deadline.expires_at(start +
                      std::chrono::duration_cast<clock_type::duration>(
                          std::chrono::duration<double>(cfg.silence_max)) +
                      2 * budget);
  deadline.async_wait([&io](asio::error_code ec) {
    if (!ec) io.stop();
  });
  io.run();
  out.seconds = std::chrono::duration<double>(clock_type::now() - start).count();

  const double b = std::chrono::duration<double>(budget).count();
  std::vector<double> late_ms;
  for (auto& p : peers) {
    if (p->false_alarm) {
      ++out.false_alarms;
      continue;
    }
    if (cfg.control) continue;
    if (!p->dead) {
      ++out.missed;
      continue;
    }
    const double d = std::chrono::duration<double>(p->dead_at - p->last_sent).count();
    out.ratio.push_back(d / b);
    out.from_silence.push_back(std::chrono::duration<double>(p->dead_at - p->silent_at).count() /
                               b);
    late_ms.push_back((d - b) * 1000.0);
  }
  out.late_ms_p99 = bench::quantile(late_ms, 0.99);
  // Close sessions before the peers (the io_context is gone after this function).
  sessions.clear();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  bench::flags f(argc, argv);
  config cfg;
  cfg.sessions = static_cast<std::size_t>(f.num("sessions", 1000));
  cfg.interval = std::chrono::milliseconds(static_cast<long>(f.num("interval-ms", 1000)));
  cfg.timeout = std::chrono::milliseconds(static_cast<long>(f.num("timeout-ms", 2000)));
  cfg.silence_min = f.num("silence-min", 1);
  cfg.silence_max = f.num("silence-max", 6);
  cfg.seed = static_cast<unsigned>(f.num("seed", 1));
  const std::string out = f.str("out", "");
  f.check();
  const double budget_ms =
      std::chrono::duration<double, std::milli>(cfg.interval + cfg.timeout).count();

  std::vector<bool> modes{true};
  if (bench::has_timer_wheel_option<liveness::session_options<policy>>::value) {
    modes.push_back(false);
  }
  for (const bool wheel : modes) {
    cfg.wheel = wheel;
    cfg.control = false;
    auto r = run(cfg);
    auto ratio = r.ratio;
    auto fs = r.from_silence;
    bench::record("detection")("timer", r.timer)("sessions", cfg.sessions)(
        "budget_ms", budget_ms)("detected", r.ratio.size())("missed", r.missed)(
        "false_alarms", r.false_alarms)("min", bench::quantile(ratio, 0))(
        "median", bench::quantile(ratio, 0.5))("p99", bench::quantile(ratio, 0.99))(
        "max", bench::quantile(ratio, 1))("late_ms_p99", r.late_ms_p99)(
        "from_silence_median", bench::quantile(fs, 0.5))(
        "from_silence_max", bench::quantile(fs, 1))("seconds", r.seconds)
        .write(out);
    cfg.control = true;
    auto c = run(cfg);
    bench::record("detection_control")("timer", c.timer)("sessions", cfg.sessions)(
        "budget_ms", budget_ms)("false_alarms", c.false_alarms)("seconds", c.seconds)
        .write(out);
  }
  std::cout.flush();
  ::_exit(0);
}
