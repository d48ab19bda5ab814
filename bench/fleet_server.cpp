//
// bench/fleet_server.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Idle fleet, server side: accepts N loopback connections (opened by fleet_client processes)
// and watches each with one of the implementations below, all on Boost.Asio, with the same
// schedule (ping after --interval-ms of silence, 1 s by default, dead after 3x that) and
// the same one-byte ping 'P' and pong 'O' (liveness: the line codec in bare framing with
// the texts "P" / "O"). Once all N are connected and a settle time has passed, the main
// thread stops the io threads, takes a snapshot (CPU time, pings sent so far), lets them run
// for --seconds, stops them again, measures, writes one result line and exits (the clients
// then see EOF and exit too).
//
//   --impl raw               the socket alone: one zero-byte wait for readability, no timer
//                            (the baseline for "bytes per connection beyond the socket")
//   --impl floor             the least an Asio server can do for this job: per connection
//                            the socket, a timestamp and one pending 64-byte async_read_some;
//                            ONE timer per io_context (ticking every 100 ms) that sends every
//                            due ping with a non-blocking send() and closes after 3 s
//   --impl asio              hand-rolled: two steady_timers per connection (ping timer and
//                            dead timer), both re-armed on every read (expires_after +
//                            async_wait)
//   --impl beast             boost::beast::websocket::stream<tcp::socket>, idle_timeout 2 s
//                            with keep_alive_pings (Beast pings every idle_timeout/2 = 1 s
//                            and closes when a whole half-period after a ping saw no frame)
//   --impl liveness          liveness::session<tcp::socket, ping_pong<codec::line>>, role
//                            server, shared timer wheel (default), with the application's
//                            read (async_read_some, 64 bytes, re-armed) and async_wait_dead
//                            pending
//   --impl liveness_steady   the same with use_timer_wheel = false (one steady_timer each)
//   --impl liveness_none     liveness::session<tcp::socket, heartbeat::none> with the same
//                            two operations pending (memory only: no heartbeat at all)
//   --impl liveness_registry `liveness` sessions held by a liveness::registry (one per
//                            io_context; with --mt strand one for all, on one strand)
//
// More than one thread: --threads T with --mt ctx (one io_context per thread, connections
// spread round robin, one registry / floor timer per io_context) or --mt strand (one
// io_context run by T threads, each connection on its own strand; the floor's one timer on
// a strand of its own, its timestamps atomics). With one thread, the liveness variants
// accept with liveness::async_accept_loop (what docs/accept.md recommends), the others with
// a hand-rolled accept loop; with more, all accept with the hand-rolled loop on io_context 0
// and hand the socket to its io_context / strand.
//
// Other flags: --n N, --seconds S (measurement window), --settle S, --setup-timeout S,
// --interval-ms MS, --port-file PATH (the listening port is written there once listening),
// --out PATH, --tag TEXT (a free label copied into the result line, e.g. "uring", "burst"),
// --accept loop|plain (liveness, one thread: async_accept_loop or the hand-rolled loop),
// --keepalive listener|socket (liveness: keepalive applied once to the listening socket and
// inherited by every accepted one, session_options::keepalive_inherited; or by each session
// to its socket). The other variants set no keepalive at all.
//
#include "bench_util.hpp"

#include <liveness/accept.hpp>
#include <liveness/registry.hpp>
#include <liveness/session.hpp>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/socket.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr char ping_byte = 'P';

struct counters {
  std::atomic<std::size_t> ready{0};     // connections set up (Beast: handshake done)
  std::atomic<std::size_t> deaths{0};    // connections declared dead or closed
  std::atomic<std::size_t> pings{0};     // pings sent (floor, hand-rolled)
  std::atomic<double> first_accept{0};   // now_s() of the first accept
  std::atomic<double> last_ready{0};     // now_s() when the last connection was set up
  std::size_t target = 0;
  void up() {
    if (ready.fetch_add(1) + 1 == target) last_ready = bench::now_s();
  }
  void dead() { ++deaths; }
};

struct connection {
  virtual ~connection() = default;
  /// Pings sent so far (the liveness variants ask their session; call with the io stopped).
  virtual std::size_t pings_sent() const { return 0; }
};

// The socket alone: wait for readability (zero-byte), then drain; no timers.
struct raw_conn : connection {
  raw_conn(tcp::socket s, counters& c) : s_(std::move(s)), c_(c) {
    c_.up();
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

// ---- floor ----------------------------------------------------------------------------

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             clock_type::now().time_since_epoch())
      .count();
}

// Per connection: the socket, a timestamp (and when we last pinged, so that a ping goes
// out once per second of silence), one pending 64-byte read. The timestamps are relaxed
// atomics (plain loads and stores on x86) because with --mt strand the timer reads them
// from another strand.
struct floor_conn : connection {
  floor_conn(tcp::socket s, counters& c) : s_(std::move(s)), c_(c) {
    const auto t = now_ns();
    last_rx_.store(t, std::memory_order_relaxed);
    last_ping_.store(t, std::memory_order_relaxed);
    c_.up();
    read();
  }
  void read() {
    s_.async_read_some(net::buffer(buf_), [this](error_code ec, std::size_t) {
      if (ec) {
        if (!closed_.exchange(true)) c_.dead();
        return;
      }
      last_rx_.store(now_ns(), std::memory_order_relaxed);
      read();
    });
  }
  tcp::socket s_;
  counters& c_;
  std::atomic<std::int64_t> last_rx_{0};
  std::atomic<std::int64_t> last_ping_{0};
  std::atomic<bool> closed_{false};
  std::array<char, 64> buf_{};
};

// The floor's one timer (per io_context, or one for all with --mt strand).
struct floor_group {
  floor_group(net::any_io_executor ex, counters& c, std::int64_t interval_ns)
      : timer_(ex), c_(c), interval_(interval_ns) {
    tick();
  }
  void add(floor_conn* p) {
    std::lock_guard<std::mutex> l(mu_);
    conns_.push_back(p);
  }
  void tick() {
    timer_.expires_after(100ms);
    timer_.async_wait([this](error_code ec) {
      if (ec) return;
      const auto now = now_ns();
      std::lock_guard<std::mutex> l(mu_);
      for (auto* p : conns_) {
        if (p->closed_.load(std::memory_order_relaxed)) continue;
        const auto rx = p->last_rx_.load(std::memory_order_relaxed);
        if (now - rx >= 3 * interval_) {
          if (!p->closed_.exchange(true)) {
            c_.dead();
            net::post(p->s_.get_executor(), [p] {
              error_code ignored;
              p->s_.close(ignored);
            });
          }
          continue;
        }
        const auto ping = p->last_ping_.load(std::memory_order_relaxed);
        if (now - (rx > ping ? rx : ping) >= interval_) {
          // Non-blocking: a full send buffer drops this ping (the peer is not reading).
          if (::send(p->s_.native_handle(), &ping_byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1) {
            ++c_.pings;
          }
          p->last_ping_.store(now, std::memory_order_relaxed);
        }
      }
      tick();
    });
  }
  net::steady_timer timer_;
  counters& c_;
  std::int64_t interval_;
  std::mutex mu_;
  std::vector<floor_conn*> conns_;
};

// ---- hand-rolled ----------------------------------------------------------------------

// Hand-rolled heartbeat as people write it: a ping timer and a dead timer per connection,
// both re-armed on every read.
struct asio_conn : connection {
  asio_conn(tcp::socket s, counters& c, clock_type::duration interval)
      : s_(std::move(s)), ping_(s_.get_executor()), dead_(s_.get_executor()), c_(c),
        interval_(interval) {
    c_.up();
    arm();
    read();
  }
  void arm() {
    arm_ping();
    dead_.expires_after(3 * interval_);
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
    ping_.expires_after(interval_);
    ping_.async_wait([this](error_code ec) {
      if (ec || closed_) return;
      if (!writing_) {
        writing_ = true;
        ++c_.pings;
        net::async_write(s_, net::buffer(&ping_byte, 1), [this](error_code, std::size_t) {
          writing_ = false;
        });
      }
      arm_ping();  // ping again after another interval of silence
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
  tcp::socket s_;
  net::steady_timer ping_;
  net::steady_timer dead_;
  std::array<char, 16> buf_{};
  counters& c_;
  clock_type::duration interval_;
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
      c_.up();
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

// ---- liveness -------------------------------------------------------------------------

// ping/pong: the line codec in bare framing, texts "P" and "O": the same one byte each way
// as every other variant. The server pings.
using lv_policy = liveness::heartbeat::ping_pong<liveness::codec::line>;
using lv_session = liveness::session<tcp::socket, lv_policy>;
using none_session = liveness::session<tcp::socket, liveness::heartbeat::none>;
using lv_registry = liveness::registry<lv_session>;

liveness::session_options<lv_policy> lv_options(bool wheel, clock_type::duration interval,
                                                std::string& timer) {
  liveness::session_options<lv_policy> o;
  o.heartbeat.interval = interval;
  o.heartbeat.timeout = 2 * interval;
  o.heartbeat.pinger = liveness::ping_role::server;
  o.heartbeat.codec.ping = "P";
  o.heartbeat.codec.pong = "O";
  o.heartbeat.codec.framing = liveness::codec::line_framing::bare;
  o.role = liveness::role::server;
  timer = bench::set_timer_wheel(o, wheel);
  return o;
}

// The application's side of a session: one read pending (re-armed) and async_wait_dead.
template <class Session>
struct app_side {
  void start(Session& s, counters& c) {
    s.async_wait_dead([&c](error_code ec) {
      if (ec != net::error::operation_aborted) c.dead();
    });
    read(s);
  }
  void read(Session& s) {
    s.async_read_some(net::buffer(buf_), [this, &s](error_code ec, std::size_t) {
      if (!ec) read(s);
    });
  }
  std::array<char, 64> buf_{};
};

template <class Session>
struct liveness_conn : connection {
  liveness_conn(tcp::socket s, counters& c, const typename Session::options_type& o)
      : s_(std::move(s), o) {
    c.up();
    app_.start(s_, c);
  }
  std::size_t pings_sent() const override {
    return static_cast<std::size_t>(s_.stats().pings_sent);
  }
  Session s_;
  app_side<Session> app_;
};

// A session held by a registry (the registry owns it; we keep a reference and the read).
struct registry_conn : connection {
  registry_conn(tcp::socket s, const tcp::endpoint& peer, counters& c, lv_registry& r,
                const liveness::session_options<lv_policy>& o) {
    error_code ec;
    lv_session session(std::move(s), o, ec);
    if (ec) return;
    s_ = r.add(std::move(session), peer, {}, ec);
    if (!s_) return;
    c.up();
    app_.start(*s_, c);
  }
  std::size_t pings_sent() const override {
    return s_ ? static_cast<std::size_t>(s_->stats().pings_sent) : 0;
  }
  std::shared_ptr<lv_session> s_;
  app_side<lv_session> app_;
};

bool is_liveness(const std::string& impl) { return impl.rfind("liveness", 0) == 0; }

// What malloc holds (glibc, every arena): bytes in use (chunk headers included) and bytes
// taken from the system. RSS also counts what malloc took and does not use now, and the
// pages the kernel gave the process for other things; -1 without glibc.
struct heap_figures {
  double in_use = -1;
  double from_system = -1;
};
heap_figures heap_now() {
  heap_figures h;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const auto m = mallinfo2();
  h.in_use = static_cast<double>(m.uordblks + m.hblkhd);
  h.from_system = static_cast<double>(m.arena + m.hblkhd);
#endif
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  bench::flags f(argc, argv);
  const std::string impl = f.str("impl", "liveness");
  const auto n = static_cast<std::size_t>(f.num("n", 1000));
  const double seconds = f.num("seconds", 60);
  const double settle = f.num("settle", 3);
  const double setup_timeout = f.num("setup-timeout", 180);
  const auto threads = static_cast<std::size_t>(f.num("threads", 1));
  const std::string mt = f.str("mt", "ctx");
  const auto interval = std::chrono::milliseconds(static_cast<long>(f.num("interval-ms", 1000)));
  const std::string port_file = f.str("port-file", "");
  const std::string out = f.str("out", "");
  const std::string tag = f.str("tag", "");
  // liveness variants, one thread: "loop" (liveness::async_accept_loop) or "plain" (the
  // hand-rolled loop every other variant uses), to tell the loop's cost from the session's.
  const std::string accept_with = f.str("accept", "loop");
  // liveness variants: "listener" (keepalive applied once to the listening socket, sessions
  // made with keepalive_inherited: what docs/accept.md recommends for accept bursts) or
  // "socket" (each session applies it to its socket: five setsockopt calls per connection).
  const std::string keepalive_on = f.str("keepalive", "listener");
  f.check();
  const std::vector<std::string> known{"raw", "floor", "asio", "beast", "liveness",
                                       "liveness_steady", "liveness_none",
                                       "liveness_registry"};
  if (std::find(known.begin(), known.end(), impl) == known.end()) {
    std::cerr << "error: unknown --impl " << impl << "\n";
    return 2;
  }
  if (threads < 1 || (mt != "ctx" && mt != "strand") || (impl == "beast" && threads > 1)) {
    std::cerr << "error: --threads >= 1, --mt ctx|strand (beast: one thread only)\n";
    return 2;
  }
  const bool strand_mode = threads > 1 && mt == "strand";
  if (keepalive_on != "listener" && keepalive_on != "socket") {
    std::cerr << "error: --keepalive listener|socket\n";
    return 2;
  }
  const bool keepalive_inherited = is_liveness(impl) && keepalive_on == "listener";

  std::string timer;  // what times each connection, for the report
  auto lv_opts = lv_options(impl != "liveness_steady", interval, timer);
  liveness::session_options<liveness::heartbeat::none> none_opts;
  none_opts.role = liveness::role::server;
  if (keepalive_inherited) {
    lv_opts.keepalive_inherited = true;
    none_opts.keepalive_inherited = true;
  }
  if (impl == "raw") timer = "none";
  if (impl == "floor") timer = "1_timer_per_context";
  if (impl == "asio") timer = "2_steady_timers";
  if (impl == "beast") timer = "beast_steady_timer";
  if (impl == "liveness_none") timer = "none";

  // The io_contexts: one per thread (ctx), or one run by every thread (strand).
  const std::size_t n_ctx = strand_mode ? 1 : threads;
  std::vector<std::unique_ptr<net::io_context>> ctxs;
  for (std::size_t i = 0; i < n_ctx; ++i) {
    ctxs.push_back(std::make_unique<net::io_context>(strand_mode ? static_cast<int>(threads) : 1));
  }
  // Keeps an io_context with no connection yet (or all closed) running until stopped.
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
  for (auto& c : ctxs) work.push_back(net::make_work_guard(*c));
  // Where connection i runs, and its floor group / registry.
  std::vector<net::any_io_executor> group_ex;
  if (strand_mode) {
    group_ex.push_back(net::make_strand(*ctxs[0]));  // the floor timer's / registry's strand
  } else {
    for (auto& c : ctxs) group_ex.push_back(c->get_executor());
  }

  tcp::acceptor acceptor(*ctxs[0], tcp::endpoint(net::ip::address_v4::loopback(), 0));
  if (keepalive_inherited) {
    // Both option sets carry the same keepalive (standard()): accepted sockets inherit it.
    liveness::apply_keepalive(acceptor, *lv_opts.keepalive);
  }
  counters c;
  c.target = n;
  std::mutex conns_mu;
  std::vector<std::unique_ptr<connection>> conns;
  conns.reserve(n);
  std::vector<std::unique_ptr<floor_group>> floors;
  std::vector<std::unique_ptr<lv_registry>> registries;
  for (auto& ex : group_ex) {
    if (impl == "floor") {
      floors.push_back(std::make_unique<floor_group>(
          ex, c, std::chrono::duration_cast<std::chrono::nanoseconds>(interval).count()));
    }
    if (impl == "liveness_registry") {
      registries.push_back(std::make_unique<lv_registry>(ex));
    }
  }
  const long rss_base = bench::rss_kb();
  const heap_figures heap_base = heap_now();
  if (!port_file.empty()) {
    const std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << acceptor.local_endpoint().port() << "\n";
    std::rename(tmp.c_str(), port_file.c_str());
  }

  // Makes the connection for an accepted socket, on the socket's own executor.
  auto make_conn = [&](tcp::socket s, const tcp::endpoint& peer, std::size_t group) {
    std::unique_ptr<connection> p;
    try {
      if (impl == "raw") p = std::make_unique<raw_conn>(std::move(s), c);
      if (impl == "floor") {
        auto fc = std::make_unique<floor_conn>(std::move(s), c);
        floors[group]->add(fc.get());
        p = std::move(fc);
      }
      if (impl == "asio") p = std::make_unique<asio_conn>(std::move(s), c, interval);
      if (impl == "beast") p = std::make_unique<beast_conn>(std::move(s), c);
      if (impl == "liveness" || impl == "liveness_steady") {
        p = std::make_unique<liveness_conn<lv_session>>(std::move(s), c, lv_opts);
      }
      if (impl == "liveness_none") {
        p = std::make_unique<liveness_conn<none_session>>(std::move(s), c, none_opts);
      }
      if (impl == "liveness_registry") {
        p = std::make_unique<registry_conn>(std::move(s), peer, c, *registries[group], lv_opts);
      }
    } catch (const std::exception& e) {
      std::cerr << "session: " << e.what() << "\n";
      return;
    }
    std::lock_guard<std::mutex> l(conns_mu);
    conns.push_back(std::move(p));
  };
  auto note_accept = [&] {
    if (c.first_accept.load() == 0) c.first_accept = bench::now_s();
  };

  std::size_t accepted = 0;
  std::string accept_kind;
  std::function<void()> accept;
  if (threads == 1 && is_liveness(impl) && accept_with == "loop") {
    // What docs/accept.md recommends: liveness::async_accept_loop.
    accept_kind = "async_accept_loop";
    liveness::async_accept_loop(
        acceptor, liveness::accept_options{},
        [&](tcp::socket s, const tcp::endpoint& peer) {
          note_accept();
          make_conn(std::move(s), peer, 0);
        },
        [](const liveness::accept_event& e) {
          std::cerr << "accept event " << static_cast<int>(e.kind) << ": "
                    << e.error.message() << "\n";
        },
        [](error_code) {});
  } else {
    accept_kind = "hand_rolled";
    auto peer = std::make_shared<tcp::endpoint>();
    accept = [&, peer] {
      // Each socket is made on its connection's io_context (ctx) or strand (strand).
      const std::size_t group = strand_mode ? 0 : accepted % n_ctx;
      net::any_io_executor ex =
          strand_mode ? net::any_io_executor(impl == "liveness_registry"
                                                 ? group_ex[0]
                                                 : net::make_strand(*ctxs[0]))
                      : group_ex[group];
      acceptor.async_accept(ex, *peer, [&, peer, group](error_code ec, tcp::socket s) {
        if (ec) {
          std::cerr << "accept: " << ec.message() << "\n";
          if (ec == net::error::no_descriptors) return;  // the run fails by its timeout
        } else {
          ++accepted;
          note_accept();
          if (threads == 1) {
            make_conn(std::move(s), *peer, group);
          } else {
            auto ex2 = s.get_executor();
            net::post(ex2, [&, s = std::make_shared<tcp::socket>(std::move(s)),
                            p = *peer, group]() mutable { make_conn(std::move(*s), p, group); });
          }
        }
        accept();
      });
    };
    accept();
  }

  // The io threads; the main thread waits, snapshots and measures.
  std::vector<std::thread> pool;
  auto start_threads = [&] {
    for (auto& ctx : ctxs) {
      ctx->restart();
      const std::size_t per = strand_mode ? threads : 1;
      for (std::size_t i = 0; i < per; ++i) pool.emplace_back([&ctx] { ctx->run(); });
    }
  };
  auto stop_threads = [&] {
    for (auto& ctx : ctxs) ctx->stop();
    for (auto& t : pool) t.join();
    pool.clear();
  };
  auto pings_now = [&] {
    std::size_t p = c.pings.load();
    for (const auto& conn : conns) p += conn->pings_sent();
    return p;
  };
  auto sleep_s = [](double s) {
    std::this_thread::sleep_for(std::chrono::duration<double>(s));
  };

  const double t_start = bench::now_s();
  const double setup_cpu0 = bench::cpu_seconds();
  start_threads();
  while (c.ready.load() < n) {
    if (bench::now_s() - t_start > setup_timeout) {
      stop_threads();
      std::cerr << "error: only " << c.ready.load() << " of " << n << " connections after "
                << setup_timeout << " s\n";
      bench::record("fleet")("impl", impl)("n", n)("threads", threads)("mt", mt)("tag", tag)(
          "error", "setup_timeout")("ready", c.ready.load())
          .write(out);
      std::cout.flush();
      ::_exit(1);
    }
    sleep_s(0.01);
  }
  const double setup = bench::now_s() - t_start;
  const double setup_cpu = bench::cpu_seconds() - setup_cpu0;
  const double up = c.last_ready.load() - c.first_accept.load();
  sleep_s(settle);
  stop_threads();
  const std::size_t deaths0 = c.deaths.load();
  const std::size_t pings0 = pings_now();
  const double cpu0 = bench::cpu_seconds();
  const double t0 = bench::now_s();
  start_threads();
  sleep_s(seconds);
  stop_threads();
  const double cpu = bench::cpu_seconds() - cpu0;
  const double wall = bench::now_s() - t0;
  const std::size_t pings = pings_now() - pings0;
  const long rss = bench::rss_kb();
  const heap_figures heap = heap_now();
  auto per_conn = [n](double now, double base) {
    return now < 0 || base < 0 ? -1.0 : (now - base) / static_cast<double>(n);
  };
  bench::record("fleet")("impl", impl)("n", n)("threads", threads)("mt", mt)("tag", tag)(
      "timer", timer)("accept", accept_kind)(
      "keepalive", is_liveness(impl) ? keepalive_on : std::string("none"))("interval_ms", interval.count())("seconds", wall)(
      "cpu_s", cpu)("cpu_s_per_min", cpu / wall * 60.0)("rss_kb", rss)("rss_base_kb", rss_base)(
      "bytes_per_conn", static_cast<double>(rss - rss_base) * 1024.0 / static_cast<double>(n))(
      "heap_bytes_per_conn", per_conn(heap.in_use, heap_base.in_use))(
      "heap_system_bytes_per_conn", per_conn(heap.from_system, heap_base.from_system))(
      "deaths", c.deaths.load() - deaths0)("setup_s", setup)("up_s", up)(
      "setup_cpu_s", setup_cpu)("pings", pings)(
      "pings_per_s", static_cast<double>(pings) / wall)(
      "cpu_us_per_ping", pings ? cpu * 1e6 / static_cast<double>(pings) : 0.0)
      .write(out);
  std::cout.flush();
  // Skip tearing down N connections: the kernel closes them, the clients see EOF.
  ::_exit(0);
}
