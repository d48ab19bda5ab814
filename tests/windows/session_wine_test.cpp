// The session, the registry and the reconnecting client on Windows, for real: cross-compiled
// with mingw-w64 and run under Wine (in a private network namespace) by run_wine_tests.sh,
// over loopback, once per backend (standalone Asio, Boost.Asio).
//
// On Windows Asio runs on an I/O completion port: the session's background wait for
// readability is a zero-byte overlapped WSARecv, its writes overlapped WSASends, its
// timers the IOCP's waitable-timer thread. These checks prove that path end to end:
//  1-2. data both ways through ping_pong<length_prefixed> (async_write_message /
//       async_read_message, bytes with async_write_some / async_read_some, net::async_write)
//       and ping_pong<line> (net::async_read_until), heartbeats exchanged on an idle link
//       and stripped from the data;
//  3.   every death reason loopback can produce: peer_closed (FIN; held data read first,
//       then eof), peer_reset (SO_LINGER 0 close), heartbeat_timeout (a raw peer that reads
//       and never answers), idle_timeout, frame_too_large, protocol_error, message_timeout,
//       ping_flood; with the measured detection times against the options' bounds;
//  4.   completion tokens: callbacks, use_future (io_context on another thread), deferred,
//       as_tuple, redirect_error;
//  5.   lifetime: a session destroyed with read, write and wait pending, close(), a
//       moved-from session (bad_descriptor) and the moved-to one carrying on;
//  6.   the registry: online / offline events with reason and silence, broadcast;
//  7.   the reconnecting client: reconnects after the server drops it.
// Budgets are short (heartbeats of 200-500 ms), bounds wide (Wine on a loaded 2-core
// machine); every wait is bounded. Checks: wine_check.hpp.
// Usage: session_wine_test.exe [prefix]  (only the sections whose title begins with prefix)
//
// First include: the headers under test (proves they are self-contained on Windows too).
#include <liveness/session.hpp>
#include <liveness/registry.hpp>
#include <liveness/reconnect.hpp>

#include "loopback.hpp"  // tests/support: connected, run_until, run_for, lp_frame
#include "roles.hpp"     // tests/support: with_role, as_role
#include "wine_check.hpp"

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_future.hpp>
#if BOOST_VERSION >= 108000
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#define LIVENESS_TEST_TOKEN_NS ::boost::asio
#else
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/experimental/deferred.hpp>
#define LIVENESS_TEST_TOKEN_NS ::boost::asio::experimental
#endif
#define LIVENESS_TEST_ASIO_VERSION BOOST_ASIO_VERSION
#else
#include <asio/redirect_error.hpp>
#include <asio/use_future.hpp>
#if ASIO_VERSION >= 102400
#include <asio/as_tuple.hpp>
#include <asio/deferred.hpp>
#define LIVENESS_TEST_TOKEN_NS ::asio
#else
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/deferred.hpp>
#define LIVENESS_TEST_TOKEN_NS ::asio::experimental
#endif
#define LIVENESS_TEST_ASIO_VERSION ASIO_VERSION
#endif

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace lv = liveness;
namespace net = liveness::net;
namespace tokens {
using LIVENESS_TEST_TOKEN_NS::as_tuple;
using LIVENESS_TEST_TOKEN_NS::deferred;
}  // namespace tokens
using liveness_test::connected;
using liveness_test::lp_frame;
using liveness_test::run_for;
using liveness_test::run_until;
using wine_check::info;
using tcp = net::ip::tcp;
using lv::error;
using lv::error_code;
using lv::core::ping_role;
using clk = std::chrono::steady_clock;
using lp_policy = lv::heartbeat::ping_pong<lv::codec::length_prefixed>;
using line_policy = lv::heartbeat::ping_pong<lv::codec::line>;
template <class Policy>
using session_t = lv::session<tcp::socket, Policy>;

/// True when running under Wine (its ntdll exports wine_get_version).
bool under_wine() {
#if defined(_WIN32)
  const HMODULE ntdll = ::GetModuleHandleA("ntdll.dll");
  return ntdll != nullptr && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
#else
  return false;
#endif
}

/// How late a timer or handler may run under Wine on a loaded 2-core machine.
constexpr clk::duration sched_slack = 400ms;
/// Clock and timer granularity tolerance for lower bounds.
constexpr clk::duration early_tolerance = 20ms;

double to_ms(clk::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

clk::duration upper_bound(clk::duration bound) { return bound + bound / 10 + sched_slack; }

/// Prints a measured detection time with its bound; checks it against [bound - tolerance,
/// bound * 1.1 + slack].
void check_bound(const std::string& what, clk::duration measured, clk::duration bound) {
  std::printf("MEASURED: %s: %.0f ms (bound %.0f ms, accepted %.0f-%.0f ms)\n", what.c_str(),
              to_ms(measured), to_ms(bound), to_ms(bound - early_tolerance),
              to_ms(upper_bound(bound)));
  std::fflush(stdout);
  CHECK(measured >= bound - early_tolerance);
  CHECK(measured <= upper_bound(bound));
}

std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size()))
    ++n;
  return n;
}

// ---- wire formats, written by hand (independent of the library's encoders) -----------------

template <class Codec>
struct wire;

template <>
struct wire<lv::codec::length_prefixed> {
  static const char* name() { return "length_prefixed"; }
  static std::string data(const std::string& s) { return lp_frame(0x00, s); }
  static std::string ping() { return lp_frame(0x01, ""); }
};

template <>
struct wire<lv::codec::line> {
  static const char* name() { return "line"; }
  static std::string data(const std::string& s) { return s; }  // the caller ends lines
  static std::string ping() { return "PING\n"; }
};

template <class Policy>
lv::session_options<Policy> pp_options(clk::duration interval, clk::duration timeout,
                                       ping_role role = ping_role::both) {
  lv::session_options<Policy> o;
  o.heartbeat.interval = interval;
  o.heartbeat.timeout = timeout;
  o.heartbeat.pinger = role;
  return o;
}

/// A peer that is a plain socket: it writes exactly the bytes it is given and records
/// everything it reads. It never answers a ping.
struct raw_peer {
  tcp::socket sock;
  std::array<char, 64 * 1024> buf{};
  std::string received;
  error_code read_error;
  bool closed = false;
  std::optional<clk::time_point> first_read;

  explicit raw_peer(tcp::socket s) : sock(std::move(s)) { sock.set_option(tcp::no_delay(true)); }

  void start_reading() {
    sock.async_read_some(net::buffer(buf), [this](error_code ec, std::size_t n) {
      if (n > 0 && !first_read) first_read = clk::now();
      received.append(buf.data(), n);
      if (ec) {
        read_error = ec;
        closed = true;
        return;
      }
      start_reading();
    });
  }

  /// Blocking write of a few bytes (loopback: never blocks in practice).
  void write(const std::string& bytes) { net::write(sock, net::buffer(bytes)); }
};

/// Records a death report and when it came.
struct death_watch {
  int calls = 0;
  error_code reason;
  clk::time_point at{};

  template <class Session>
  void watch(Session& s) {
    s.async_wait_dead([this](error_code ec) {
      ++calls;
      reason = ec;
      at = clk::now();
    });
  }
};

/// One completion of a (error_code, size_t) operation.
struct done {
  int calls = 0;
  error_code ec;
  std::size_t n = 0;
  auto handler() {
    return [this](error_code e, std::size_t k) {
      ++calls;
      ec = e;
      n = k;
    };
  }
};

/// Two sessions over loopback, each watched for its death.
template <class Policy>
struct session_pair {
  net::io_context io;
  liveness_test::socket_pair p = connected(io);
  session_t<Policy> a, b;  // client, server
  death_watch da, db;

  explicit session_pair(const lv::session_options<Policy>& o = {})
      : a(std::move(p.client), liveness_test::with_role(o, liveness::role::client)), b(std::move(p.server), liveness_test::with_role(o, liveness::role::server)) {
    da.watch(a);
    db.watch(b);
  }
};

template <class F>
error_code thrown_code(F&& f) {
  try {
    f();
  } catch (const lv::system_error& e) {
    return e.code();
  }
  return {};
}

std::string pattern(std::size_t n, char seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + static_cast<char>(i % 23));
  return s;
}

// =============================================================================================
// 1-2. Data both ways
// =============================================================================================

void data_length_prefixed() {
  session_pair<lp_policy> t(pp_options<lp_policy>(200ms, 500ms));
  auto& io = t.io;
  auto& a = t.a;
  auto& b = t.b;
  const auto& da = t.da;
  const auto& db = t.db;

  // a -> b: two whole messages, the second larger than max_write_chunk (several frames).
  const std::string small = "hello from the client";
  const std::string large = pattern(200 * 1024, 'a');
  done w1, w2, r1, r2;
  std::string m1, m2;
  a.async_write_message(net::buffer(small), [&](error_code ec, std::size_t n) {
    w1.handler()(ec, n);
    a.async_write_message(net::buffer(large), w2.handler());
  });
  b.async_read_message(net::dynamic_buffer(m1), [&](error_code ec, std::size_t n) {
    r1.handler()(ec, n);
    b.async_read_message(net::dynamic_buffer(m2), r2.handler());
  });
  REQUIRE(run_until(io, [&] { return w2.calls && r2.calls; }, 5s));
  CHECK_EC(w1.ec, error_code());
  CHECK_EC(w2.ec, error_code());
  CHECK_EC(r1.ec, error_code());
  CHECK_EC(r2.ec, error_code());
  CHECK_EQ(r1.n, small.size());
  CHECK(m1 == small);
  CHECK_EQ(r2.n, large.size());
  CHECK(m2 == large);

  // b -> a: bytes with async_write_some / net::async_write, read with net::async_read.
  const std::string reply = pattern(150 * 1024, 'A');
  done w3, r3;
  std::string got(reply.size(), '\0');
  net::async_write(b, net::buffer(reply), w3.handler());
  net::async_read(a, net::buffer(&got[0], got.size()), r3.handler());
  REQUIRE(run_until(io, [&] { return w3.calls && r3.calls; }, 5s));
  CHECK_EC(w3.ec, error_code());
  CHECK_EC(r3.ec, error_code());
  CHECK(got == reply);

  // An idle link: heartbeats go both ways, nobody dies.
  run_for(io, 1200ms);
  const auto sa = a.stats(), sb = b.stats();
  info("idle 1.2 s at 200 ms interval: a sent " + std::to_string(sa.pings_sent) +
       " pings, got " + std::to_string(sa.pongs_received) + " pongs; b sent " +
       std::to_string(sb.pings_sent) + " pings, got " + std::to_string(sb.pongs_received) +
       " pongs; a's last RTT " +
       (sa.last_rtt ? std::to_string(to_ms(*sa.last_rtt)) + " ms" : std::string("none")));
  CHECK(sa.pings_sent + sb.pings_sent >= 2);
  CHECK(sa.pongs_received + sb.pongs_received >= 2);
  CHECK(sa.last_rtt.has_value() || sb.last_rtt.has_value());
  CHECK_EQ(da.calls + db.calls, 0);
  CHECK(a.is_open());
  CHECK(b.is_open());

  // A message after the heartbeats: the stream is intact.
  done w4, r4;
  std::string m4;
  a.async_write_message(net::buffer(small), w4.handler());
  b.async_read_message(net::dynamic_buffer(m4), r4.handler());
  REQUIRE(run_until(io, [&] { return w4.calls && r4.calls; }, 3s));
  CHECK(m4 == small);

  // a closes: b sees peer_closed, a's own wait completes with operation_aborted.
  a.close();
  REQUIRE(run_until(io, [&] { return db.calls == 1 && da.calls == 1; }, 3s));
  CHECK_EC(db.reason, error::peer_closed);
  CHECK_EC(da.reason, net::error::operation_aborted);
}

void data_line() {
  session_pair<line_policy> t(pp_options<line_policy>(200ms, 500ms));
  auto& io = t.io;
  auto& a = t.a;
  auto& b = t.b;
  const auto& da = t.da;
  const auto& db = t.db;

  std::string at_b, at_a;
  done w1, r1, w2, r2;
  const std::string lines = "line one\nline two\n";
  net::async_write(a, net::buffer(lines), w1.handler());
  net::async_read_until(b, net::dynamic_buffer(at_b), "two\n", r1.handler());
  const std::string back = "back\n";
  net::async_write(b, net::buffer(back), w2.handler());
  net::async_read_until(a, net::dynamic_buffer(at_a), '\n', r2.handler());
  REQUIRE(run_until(io, [&] { return w1.calls && r1.calls && w2.calls && r2.calls; }, 3s));
  CHECK_EC(r1.ec, error_code());
  CHECK(at_b == lines);
  CHECK(at_a == "back\n");

  // Idle with heartbeats, then more lines: no PING / PONG reaches the application.
  run_for(io, 1200ms);
  const auto sa = a.stats(), sb = b.stats();
  info("idle 1.2 s at 200 ms interval: pings sent " +
       std::to_string(sa.pings_sent + sb.pings_sent) + ", pongs received " +
       std::to_string(sa.pongs_received + sb.pongs_received));
  CHECK(sa.pings_sent + sb.pings_sent >= 2);
  CHECK(sa.pongs_received + sb.pongs_received >= 2);
  done w3, r3;
  const std::string three = "line three\n";
  net::async_write(a, net::buffer(three), w3.handler());
  net::async_read_until(b, net::dynamic_buffer(at_b), "three\n", r3.handler());
  REQUIRE(run_until(io, [&] { return w3.calls && r3.calls; }, 3s));
  CHECK(at_b == lines + "line three\n");
  CHECK_EQ(count_of(at_a + at_b, "PING") + count_of(at_a + at_b, "PONG"), 0u);
  CHECK_EQ(da.calls + db.calls, 0);
}

// =============================================================================================
// 3. Each death reason over loopback
// =============================================================================================

template <class Policy>
void peer_closed_case(const char* name) {
  info(std::string("policy: ") + name);
  net::io_context io;
  auto p = connected(io);
  session_t<Policy> s(std::move(p.server), liveness_test::as_role(liveness::role::server));
  raw_peer peer(std::move(p.client));
  death_watch dead;
  dead.watch(s);
  std::string bytes = "hello\n";
  if constexpr (std::is_same_v<Policy, lp_policy>) bytes = lp_frame(0x00, "hello\n");
  peer.write(bytes);
  peer.sock.shutdown(tcp::socket::shutdown_send);
  const auto fin_at = clk::now();
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 3s));
  std::printf("MEASURED: peer_closed (%s) reported %.0f ms after the FIN\n", name,
              to_ms(dead.at - fin_at));
  CHECK_EC(dead.reason, error::peer_closed);
  CHECK(s.is_dead());
  CHECK_EC(s.reason(), error::peer_closed);
  // The held data first, then eof.
  std::string got;
  done r;
  net::async_read(s, net::dynamic_buffer(got), r.handler());
  REQUIRE(run_until(io, [&] { return r.calls == 1; }, 2s));
  CHECK(got == "hello\n");
  CHECK_EC(r.ec, net::error::eof);
  // Writes fail once the peer is dead.
  done w;
  s.async_write_some(net::buffer("x", 1), w.handler());
  REQUIRE(run_until(io, [&] { return w.calls == 1; }, 2s));
  CHECK(w.ec);
  run_for(io, 20ms);
  CHECK_EQ(dead.calls, 1);
}

template <class Policy>
void peer_reset_case(const char* name) {
  info(std::string("policy: ") + name);
  net::io_context io;
  auto p = connected(io);
  session_t<Policy> s(std::move(p.server), liveness_test::as_role(liveness::role::server));
  death_watch dead;
  dead.watch(s);
  run_for(io, 30ms);
  REQUIRE(dead.calls == 0);
  p.client.set_option(net::socket_base::linger(true, 0));
  p.client.close();  // SO_LINGER {on, 0}: RST, not FIN
  const auto closed_at = clk::now();
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 3s));
  std::printf("MEASURED: peer_reset (%s) reported %.0f ms after the RST\n", name,
              to_ms(dead.at - closed_at));
  CHECK_EC(dead.reason, error::peer_reset);
  CHECK_EC(s.reason(), error::peer_reset);
  CHECK(dead.at - closed_at <= sched_slack);
}

template <class Codec>
void heartbeat_timeout_case() {
  using policy = lv::heartbeat::ping_pong<Codec>;
  info(std::string("codec: ") + wire<Codec>::name());
  const clk::duration interval = 200ms, timeout = 300ms;
  net::io_context io;
  auto p = connected(io);
  session_t<policy> s(std::move(p.server), liveness_test::with_role(pp_options<policy>(interval, timeout), liveness::role::server));
  raw_peer peer(std::move(p.client));  // reads everything, answers nothing: a hung process
  peer.start_reading();
  death_watch dead;
  dead.watch(s);
  peer.write(wire<Codec>::data("last words\n"));
  const auto last_traffic = clk::now();
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 5s));
  CHECK_EC(dead.reason, error::heartbeat_timeout);
  // diagnosis(): Wine refuses SIO_TCP_INFO (empty evidence and a note, no crash); Windows
  // 10 1703 and later answer it.
  const lv::diagnosis diag = s.diagnosis();
  std::printf("MEASURED: diagnosis %s\n", diag.to_string().c_str());
  CHECK(diag.reason == s.reason() && (!diag.evidence.empty() || !diag.note.empty()));
  check_bound(std::string("heartbeat_timeout (") + wire<Codec>::name() +
                  ", 200 ms + 300 ms) after the last traffic",
              dead.at - last_traffic, interval + timeout);
  REQUIRE(peer.first_read.has_value());
  std::printf("MEASURED: the ping reached the peer %.0f ms after the last traffic\n",
              to_ms(*peer.first_read - last_traffic));
  CHECK_EQ(count_of(peer.received, wire<Codec>::ping()), 1u);
  CHECK_EQ(s.stats().pings_sent, 1u);
  CHECK_EQ(s.stats().pongs_received, 0u);
  // The user data was delivered.
  std::array<char, 64> buf{};
  done r;
  s.async_read_some(net::buffer(buf), r.handler());
  REQUIRE(run_until(io, [&] { return r.calls == 1; }, 2s));
  CHECK(std::string(buf.data(), r.n) == "last words\n");
}

/// A peer that neither reads nor writes while we upload: the ping waits behind our stuck
/// data; the peer's silence counts from the start; the pending write fails with the reason.
void heartbeat_timeout_stuck_upload_case() {
  const clk::duration interval = 200ms, timeout = 300ms;
  net::io_context io;
  auto p = connected(io);
  const auto start = clk::now();
  session_t<lp_policy> s(std::move(p.server), liveness_test::with_role(pp_options<lp_policy>(interval, timeout), liveness::role::server));
  raw_peer peer(std::move(p.client));  // never reads, never writes
  death_watch dead;
  dead.watch(s);
  const std::string data(16 * 1024 * 1024, 'u');
  done w;
  net::async_write(s, net::buffer(data), w.handler());
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 5s));
  CHECK_EC(dead.reason, error::heartbeat_timeout);
  check_bound("heartbeat_timeout (200 ms + 300 ms), peer not reading our upload",
              dead.at - start, interval + timeout);
  run_until(io, [&] { return w.calls > 0; }, 1s);
  std::printf("MEASURED: the pending write: %d call(s), %s\n", w.calls,
              wine_check::describe(w.ec).c_str());
  std::fflush(stdout);
  // The session cancels its socket's operations before closing it (Wine's closesocket
  // alone does not abort a pending overlapped WSASend).
  CHECK(w.calls == 1 && w.ec == error::heartbeat_timeout);
  if (w.calls == 0) {
    peer.sock.close();
    REQUIRE(run_until(io, [&] { return w.calls > 0; }, 3s));
    std::printf("MEASURED: after the peer closed, the write completed with %s\n",
                wine_check::describe(w.ec).c_str());
    CHECK(w.ec);
  }
  run_for(io, 20ms);
  CHECK_EQ(w.calls, 1);
}

void idle_timeout_case() {
  const clk::duration timeout = 300ms;
  net::io_context io;
  auto p = connected(io);
  lv::session_options<lv::heartbeat::idle_timeout> o;
  o.heartbeat.timeout = timeout;
  session_t<lv::heartbeat::idle_timeout> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  raw_peer peer(std::move(p.client));
  peer.start_reading();
  death_watch dead;
  dead.watch(s);
  // Traffic every 100 ms keeps it alive past the timeout ...
  const auto start = clk::now();
  while (clk::now() - start < 2 * timeout) {
    peer.write("x");
    run_for(io, 100ms);
  }
  REQUIRE(dead.calls == 0);
  // ... then silence.
  peer.write("y");
  const auto last_traffic = clk::now();
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 3s));
  CHECK_EC(dead.reason, error::idle_timeout);
  check_bound("idle_timeout (300 ms) after the last traffic", dead.at - last_traffic, timeout);
  CHECK(peer.received.empty());  // nothing is injected into the stream
}

void frame_too_large_case() {
  {
    info("length_prefixed: a length prefix of 0xFFFFFFFF");
    net::io_context io;
    auto p = connected(io);
    session_t<lp_policy> s(std::move(p.server), liveness_test::as_role(liveness::role::server));
    raw_peer peer(std::move(p.client));
    death_watch dead;
    dead.watch(s);
    peer.write(std::string("\xFF\xFF\xFF\xFF\x00", 5));
    REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 3s));
    CHECK_EC(dead.reason, error::frame_too_large);
  }
  {
    info("line: a line longer than max_line_length (100)");
    net::io_context io;
    auto p = connected(io);
    auto o = pp_options<line_policy>(10s, 10s);
    o.heartbeat.codec.max_line_length = 100;
    session_t<line_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
    raw_peer peer(std::move(p.client));
    death_watch dead;
    dead.watch(s);
    peer.write(std::string(99, 'a') + "\n");  // the longest allowed line is fine
    run_for(io, 50ms);
    REQUIRE(dead.calls == 0);
    peer.write(std::string(150, 'b'));
    REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 3s));
    CHECK_EC(dead.reason, error::frame_too_large);
  }
}

void protocol_error_case() {
  net::io_context io;
  auto p = connected(io);
  session_t<lp_policy> s(std::move(p.server), liveness_test::as_role(liveness::role::server));
  raw_peer peer(std::move(p.client));
  death_watch dead;
  dead.watch(s);
  peer.write(lp_frame(0x00, "good") + lp_frame(0x07, "x"));  // type 7 does not exist
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 3s));
  CHECK_EC(dead.reason, error::protocol_error);
  std::string got;
  done r;
  net::async_read(s, net::dynamic_buffer(got), r.handler());
  REQUIRE(run_until(io, [&] { return r.calls == 1; }, 2s));
  CHECK(got == "good");
  CHECK_EC(r.ec, error::protocol_error);
}

template <class Policy>
void message_timeout_case(const char* name, const std::string& partial) {
  info(std::string("codec: ") + name);
  const clk::duration budget = 300ms;
  net::io_context io;
  auto p = connected(io);
  auto o = pp_options<Policy>(10s, 10s);
  o.message_timeout = budget;
  session_t<Policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  raw_peer peer(std::move(p.client));
  death_watch dead;
  dead.watch(s);
  peer.write(partial);  // the start of a line or frame, never its end
  const auto first_byte = clk::now();
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 3s));
  CHECK_EC(dead.reason, error::message_timeout);
  check_bound(std::string("message_timeout (") + name + ", 300 ms) after the first byte",
              dead.at - first_byte, budget);
}

template <class Codec>
void ping_flood_case() {
  using policy = lv::heartbeat::ping_pong<Codec>;
  info(std::string("codec: ") + wire<Codec>::name());
  net::io_context io;
  auto p = connected(io);
  auto o = pp_options<policy>(10s, 10s, ping_role::answer_only);
  o.heartbeat.min_ping_interval = 100ms;
  o.heartbeat.max_ping_strikes = 3;
  session_t<policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  raw_peer peer(std::move(p.client));
  peer.start_reading();
  death_watch dead;
  dead.watch(s);
  int sent = 0;
  const auto start = clk::now();
  while (dead.calls == 0 && sent < 100 && clk::now() - start < 5s) {
    peer.write(wire<Codec>::ping());  // one write each, 5 ms apart: read one by one
    ++sent;
    run_for(io, 5ms);
  }
  run_until(io, [&] { return dead.calls == 1; }, 1s);
  REQUIRE(dead.calls == 1);
  std::printf("MEASURED: ping_flood (%s) after %d pings, %.0f ms\n", wire<Codec>::name(), sent,
              to_ms(dead.at - start));
  CHECK_EC(dead.reason, error::ping_flood);
  CHECK_EQ(s.stats().ping_strikes, 4u);
  CHECK(sent >= 5);
  CHECK(sent < 100);
}

// =============================================================================================
// 4. Completion tokens
// =============================================================================================

using lp_pair = session_pair<lp_policy>;

void token_future() {
  lp_pair t;
  char buf[16];
  auto written = t.a.async_write_some(net::buffer("future", 6), net::use_future);
  auto read = t.b.async_read_some(net::buffer(buf), net::use_future);
  auto dead = t.b.async_wait_dead(net::use_future);
  auto guard = net::make_work_guard(t.io);
  std::thread runner([&] { t.io.run_for(15s); });
  struct stop_and_join {  // also when a REQUIRE ends the section
    net::io_context& io;
    std::thread& thread;
    ~stop_and_join() {
      io.stop();
      thread.join();
    }
  } joiner{t.io, runner};
  REQUIRE(written.wait_for(5s) == std::future_status::ready);
  CHECK_EQ(written.get(), 6u);
  REQUIRE(read.wait_for(5s) == std::future_status::ready);
  const std::size_t n = read.get();
  CHECK(std::string(buf, n) == "future");
  CHECK(dead.wait_for(50ms) == std::future_status::timeout);
  net::post(t.io, [&] { t.a.close(); });
  CHECK(dead.wait_for(5s) == std::future_status::ready);
  CHECK_EC(thrown_code([&] { dead.get(); }), error::peer_closed);
  // A future for an operation on a closed session: operation_aborted.
  std::promise<std::future<std::size_t>> started;
  net::post(t.io, [&] {
    started.set_value(t.a.async_read_some(net::buffer(buf), net::use_future));
  });
  auto aborted = started.get_future().get();
  CHECK(aborted.wait_for(5s) == std::future_status::ready);
  CHECK_EC(thrown_code([&] { aborted.get(); }), net::error::operation_aborted);
  net::post(t.io, [&] { t.b.close(); });
  guard.reset();
}

void token_deferred() {
  lp_pair t;
  char buf[16];
  auto write_op = t.a.async_write_some(net::buffer("defer", 5), tokens::deferred);
  auto read_op = t.b.async_read_some(net::buffer(buf), tokens::deferred);
  auto wait_op = t.b.async_wait_dead(tokens::deferred);
  // Nothing starts until the deferred operations are invoked.
  run_for(t.io, 50ms);
  done w, r;
  error_code dead;
  std::move(write_op)(w.handler());
  std::move(read_op)(r.handler());
  std::move(wait_op)([&](error_code ec) { dead = ec; });
  REQUIRE(run_until(t.io, [&] { return w.calls && r.calls; }, 3s));
  CHECK_EQ(w.n, 5u);
  CHECK(std::string(buf, r.n) == "defer");
  CHECK(!dead);
  t.a.close();
  REQUIRE(run_until(t.io, [&] { return bool(dead); }, 3s));
  CHECK_EC(dead, error::peer_closed);
}

void token_as_tuple() {
  lp_pair t;
  char buf[16];
  std::optional<std::tuple<error_code, std::size_t>> w, r;
  std::optional<std::tuple<error_code>> d;
  t.a.async_write_some(net::buffer("tuple", 5),
                       tokens::as_tuple([&](std::tuple<error_code, std::size_t> x) { w = x; }));
  t.b.async_read_some(net::buffer(buf),
                      tokens::as_tuple([&](std::tuple<error_code, std::size_t> x) { r = x; }));
  t.b.async_wait_dead(tokens::as_tuple([&](std::tuple<error_code> x) { d = x; }));
  REQUIRE(run_until(t.io, [&] { return w && r; }, 3s));
  CHECK_EC(std::get<0>(*w), error_code());
  CHECK_EQ(std::get<1>(*w), 5u);
  CHECK(std::string(buf, std::get<1>(*r)) == "tuple");
  t.a.close();
  REQUIRE(run_until(t.io, [&] { return d.has_value(); }, 3s));
  CHECK_EC(std::get<0>(*d), error::peer_closed);
}

void token_redirect_error() {
  lp_pair t;
  std::string got;
  error_code wec = net::error::fault, rec = net::error::fault, dec;
  std::size_t written = 0, read = 0;
  bool dead_done = false;
  const std::string message = "redirected";
  t.a.async_write_message(net::buffer(message),
                          net::redirect_error([&](std::size_t n) { written = n; }, wec));
  t.b.async_read_message(net::dynamic_buffer(got),
                         net::redirect_error([&](std::size_t n) { read = n; }, rec));
  t.b.async_wait_dead(net::redirect_error([&] { dead_done = true; }, dec));
  REQUIRE(run_until(t.io, [&] { return written && read; }, 3s));
  CHECK_EC(wec, error_code());
  CHECK_EC(rec, error_code());
  CHECK(got == "redirected");
  t.a.close();
  REQUIRE(run_until(t.io, [&] { return dead_done; }, 3s));
  CHECK_EC(dec, error::peer_closed);
}

// =============================================================================================
// 5. Lifetime
// =============================================================================================

/// Read, write (16 MiB to a peer that never reads: it stays pending) and wait pending, then
/// the session destroyed (`run_first`: after the operations got to run, or at once).
void destroyed_with_operations_pending(bool run_first) {
  info(run_first ? "destroyed while the operations wait on the socket"
                 : "destroyed before the operations got to run");
  net::io_context io;
  auto p = connected(io);
  auto o = pp_options<lp_policy>(10s, 10s);
  o.max_write_chunk = 128 * 1024 * 1024;
  o.heartbeat.codec.max_frame_size = 128 * 1024 * 1024;
  auto s = std::make_unique<session_t<lp_policy>>(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  raw_peer peer(std::move(p.client));  // never reads
  auto big = std::make_unique<std::string>(16 * 1024 * 1024, 'z');
  auto rbuf = std::make_unique<std::array<char, 64>>();
  done r, w;
  int wait_calls = 0;
  error_code wait_ec;
  s->async_read_some(net::buffer(*rbuf), r.handler());
  s->async_write_some(net::buffer(*big), w.handler());
  s->async_wait_dead([&](error_code ec) {
    ++wait_calls;
    wait_ec = ec;
  });
  if (run_first) {
    run_for(io, 200ms);
    REQUIRE(r.calls + w.calls + wait_calls == 0);
  }
  s.reset();
  const auto destroyed_at = clk::now();
  run_until(io, [&] { return r.calls && w.calls && wait_calls; }, 1s);
  std::printf("MEASURED: %.0f ms after the destruction: read %d call(s) (%s), write %d (%s), "
              "wait %d (%s)\n",
              to_ms(clk::now() - destroyed_at), r.calls, wine_check::describe(r.ec).c_str(),
              w.calls, wine_check::describe(w.ec).c_str(), wait_calls,
              wine_check::describe(wait_ec).c_str());
  std::fflush(stdout);
  CHECK_EQ(r.calls, 1);
  CHECK_EC(r.ec, net::error::operation_aborted);
  CHECK_EQ(wait_calls, 1);
  CHECK_EC(wait_ec, net::error::operation_aborted);
  CHECK_EQ(w.calls, 1);
  CHECK_EC(w.ec, net::error::operation_aborted);
  if (w.calls == 0) {
    // The write ends with the connection: the peer closes.
    peer.sock.close();
    const auto peer_closed_at = clk::now();
    REQUIRE(run_until(io, [&] { return w.calls > 0; }, 3s));
    std::printf("MEASURED: the write completed %.0f ms after the peer closed, with %s\n",
                to_ms(clk::now() - peer_closed_at), wine_check::describe(w.ec).c_str());
    CHECK(w.ec);
  }
  // The buffers may go as soon as their handlers ran; run on to prove nothing touches them.
  rbuf.reset();
  big.reset();
  run_for(io, 50ms);
  CHECK_EQ(r.calls, 1);
  CHECK_EQ(w.calls, 1);
  CHECK_EQ(wait_calls, 1);
}

void close_case() {
  lp_pair t;
  death_watch dead;
  dead.watch(t.b);
  std::array<char, 16> buf{};
  done r;
  t.b.async_read_some(net::buffer(buf), r.handler());
  run_for(t.io, 50ms);
  REQUIRE(r.calls + dead.calls == 0);
  t.b.close();
  CHECK(!t.b.is_open());
  REQUIRE(run_until(t.io, [&] { return r.calls && dead.calls; }, 3s));
  CHECK_EC(r.ec, net::error::operation_aborted);
  CHECK_EC(dead.reason, net::error::operation_aborted);  // closing is no death of the peer
  CHECK(!t.b.is_dead());
  t.b.close();  // twice: nothing happens
  // The other end sees our close as the peer's.
  death_watch other;
  other.watch(t.a);
  REQUIRE(run_until(t.io, [&] { return other.calls == 1; }, 3s));
  CHECK_EC(other.reason, error::peer_closed);
}

void moved_from_case() {
  lp_pair t;
  session_t<lp_policy> moved_to(std::move(t.b));
  session_t<lp_policy>& from = t.b;
  CHECK(!from.is_open());
  CHECK(!from.is_dead());
  CHECK(!from.reason());
  CHECK(from.get_executor() == t.io.get_executor());
  CHECK(!from.next_layer().is_open());
  from.close();  // nothing to close
  // Every operation completes once, never inline, with bad_descriptor and 0 bytes.
  std::array<char, 16> in{};
  std::string msg;
  done r, w, rm, wm;
  int wait_calls = 0;
  error_code wait_ec;
  from.async_wait_dead([&](error_code ec) {
    ++wait_calls;
    wait_ec = ec;
  });
  from.async_read_some(net::buffer(in), r.handler());
  from.async_write_some(net::buffer("never", 5), w.handler());
  CHECK_EQ(wait_calls + r.calls + w.calls, 0);  // never inline
  REQUIRE(run_until(t.io, [&] { return wait_calls && r.calls && w.calls; }, 3s));
  from.async_read_message(net::dynamic_buffer(msg), rm.handler());
  REQUIRE(run_until(t.io, [&] { return rm.calls > 0; }, 3s));
  from.async_write_message(net::buffer("never", 5), wm.handler());
  REQUIRE(run_until(t.io, [&] { return wm.calls > 0; }, 3s));
  run_for(t.io, 20ms);
  CHECK_EQ(wait_calls, 1);
  CHECK_EC(wait_ec, net::error::bad_descriptor);
  CHECK_EQ(r.calls, 1);
  CHECK_EC(r.ec, net::error::bad_descriptor);
  CHECK_EQ(r.n, 0u);
  CHECK_EQ(w.calls, 1);
  CHECK_EC(w.ec, net::error::bad_descriptor);
  CHECK_EQ(w.n, 0u);
  CHECK_EQ(rm.calls, 1);
  CHECK_EC(rm.ec, net::error::bad_descriptor);
  CHECK_EQ(wm.calls, 1);
  CHECK_EC(wm.ec, net::error::bad_descriptor);
  // The moved-to session carries on with the connection.
  CHECK(moved_to.is_open());
  std::string got;
  done w2, r2;
  const std::string message = "after the move";
  t.a.async_write_message(net::buffer(message), w2.handler());
  moved_to.async_read_message(net::dynamic_buffer(got), r2.handler());
  REQUIRE(run_until(t.io, [&] { return w2.calls && r2.calls; }, 3s));
  CHECK(got == "after the move");
  // Assigning a session to the moved-from one makes it whole again.
  from = std::move(moved_to);
  CHECK(from.is_open());
  CHECK(!moved_to.is_open());
}

// =============================================================================================
// 6. Registry
// =============================================================================================

template <class Session>
struct recorder {
  std::vector<lv::peer_event> online, offline;
  void attach(lv::registry<Session>& reg) {
    reg.on_online([this](const lv::peer_event& e) { online.push_back(e); });
    reg.on_offline([this](const lv::peer_event& e) { offline.push_back(e); });
  }
};

std::string endpoint_text(const tcp::socket& s) {
  const auto ep = s.local_endpoint();
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

void registry_close_case() {
  using raw_session = session_t<lv::heartbeat::none>;
  net::io_context io;
  lv::registry<raw_session> reg(io.get_executor());
  recorder<raw_session> rec;
  rec.attach(reg);
  auto p = connected(io);
  const std::string peer = endpoint_text(p.client);
  const std::string id = "tcp:" + peer;
  const auto ep = p.server.remote_endpoint();
  auto s = reg.add(raw_session(std::move(p.server), liveness_test::as_role(liveness::role::server)), ep);
  REQUIRE(s != nullptr);
  REQUIRE(rec.online.size() == 1);  // raised before add returned
  CHECK(rec.online[0].id == id);
  CHECK(rec.online[0].peer == peer);
  CHECK_EQ(reg.size(), 1u);
  CHECK(reg.find(id) == s);

  // broadcast reaches the client.
  CHECK_EQ(reg.broadcast(net::buffer(std::string("news\n"))), 1u);
  std::string got;
  done r;
  net::async_read_until(p.client, net::dynamic_buffer(got), '\n', r.handler());
  REQUIRE(run_until(io, [&] { return r.calls == 1; }, 3s));
  CHECK(got == "news\n");

  run_for(io, 150ms);
  p.client.close();
  REQUIRE(run_until(io, [&] { return !rec.offline.empty(); }, 3s));
  CHECK_EQ(rec.offline.size(), 1u);
  CHECK(rec.offline[0].id == id);
  CHECK_EC(rec.offline[0].reason, error::peer_closed);
  std::printf("MEASURED: registry offline, silent at death %.0f ms (>= 150 ms expected)\n",
              to_ms(rec.offline[0].silent));
  CHECK(rec.offline[0].silent >= 140ms);
  CHECK_EQ(reg.size(), 0u);
  CHECK(reg.find(id) == nullptr);
  CHECK(s->is_dead());
  run_for(io, 50ms);
  CHECK_EQ(rec.online.size(), 1u);
  CHECK_EQ(rec.offline.size(), 1u);
}

void registry_idle_case() {
  using idle_session = session_t<lv::heartbeat::idle_timeout>;
  net::io_context io;
  lv::registry<idle_session> reg(io.get_executor());
  recorder<idle_session> rec;
  rec.attach(reg);
  lv::session_options<lv::heartbeat::idle_timeout> o;
  o.heartbeat.timeout = 300ms;
  auto p = connected(io);
  const auto ep = p.server.remote_endpoint();
  const auto start = clk::now();
  reg.add(idle_session(std::move(p.server), liveness_test::with_role(o, liveness::role::server)), ep, "sensor-7");
  REQUIRE(rec.online.size() == 1);
  CHECK(rec.online[0].id == "sensor-7");
  REQUIRE(run_until(io, [&] { return !rec.offline.empty(); }, 3s));
  const auto took = clk::now() - start;
  CHECK(rec.offline[0].id == "sensor-7");
  CHECK_EC(rec.offline[0].reason, error::idle_timeout);
  check_bound("registry offline (idle_timeout 300 ms) after add", took, 300ms);
  CHECK(rec.offline[0].silent >= 300ms - early_tolerance);
  CHECK(rec.offline[0].silent <= took + 5ms);
}

// =============================================================================================
// 7. Reconnecting client
// =============================================================================================

void reconnect_case() {
  using client_t = lv::reconnecting_client<lv::heartbeat::none>;
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  std::vector<std::unique_ptr<tcp::socket>> accepted;
  std::function<void()> accept_next = [&] {
    acceptor.async_accept([&](error_code ec, tcp::socket sock) {
      if (ec) return;
      accepted.push_back(std::make_unique<tcp::socket>(std::move(sock)));
      accept_next();
    });
  };
  accept_next();

  auto ro = lv::reconnect_options::fast();
  ro.min_delay = 50ms;
  ro.max_delay = 10s;
  ro.multiplier = 2.0;
  ro.jitter = false;
  ro.stable_after = 10s;
  lv::session_options<lv::heartbeat::none> so;
  so.keepalive = std::nullopt;
  client_t client(io.get_executor(), "127.0.0.1", std::to_string(acceptor.local_endpoint().port()),
                  so, ro);
  std::vector<std::string> events;
  std::vector<clk::time_point> at;
  std::vector<error_code> reasons;
  std::vector<clk::duration> delays;
  int connected_count = 0;
  const auto log = [&](const char* e) {
    events.emplace_back(e);
    at.push_back(clk::now());
  };
  client.on_connected([&](client_t::session_type&) {
    ++connected_count;
    log("connected");
  });
  client.on_disconnected([&](error_code ec, lv::core::duration) {
    reasons.push_back(ec);
    log("disconnected");
  });
  client.on_connect_failed([&](error_code) { log("failed"); });
  client.on_reconnecting([&](lv::core::duration d) {
    delays.push_back(d);
    log("reconnecting");
  });
  client.on_gave_up([&](std::uint32_t) { log("gave_up"); });

  client.start();
  CHECK(events.empty());  // nothing inline
  REQUIRE(run_until(io, [&] { return connected_count == 1 && accepted.size() == 1; }, 5s));
  REQUIRE(client.current() != nullptr);
  CHECK(!client.current()->is_dead());

  accepted[0]->close();  // the server drops the client
  const auto dropped = clk::now();
  REQUIRE(run_until(io, [&] { return connected_count == 2; }, 5s));
  const std::vector<std::string> expected{"connected", "disconnected", "reconnecting",
                                          "connected"};
  CHECK(events == expected);
  REQUIRE(events.size() == 4);
  CHECK_EC(reasons.at(0), error::peer_closed);
  CHECK(delays.at(0) == 100ms);  // min_delay * multiplier, jitter off
  const auto took = at[3] - at[2];
  std::printf("MEASURED: reconnect: drop noticed after %.0f ms, reconnected %.0f ms after the "
              "100 ms delay began\n",
              to_ms(at[1] - dropped), to_ms(took));
  CHECK(took >= 100ms - early_tolerance);
  CHECK(took < 100ms + sched_slack);
  CHECK(client.current() != nullptr);
  REQUIRE(run_until(io, [&] { return accepted.size() == 2; }, 3s));
  client.stop();
  CHECK(!client.running());
  run_for(io, 100ms);
  CHECK_EQ(events.size(), 4u);  // stop() raises nothing
  acceptor.close();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) wine_check::only = argv[1];  // e.g. "5a": only the sections beginning so
  std::printf("session_wine_test: liveness %s, Asio %d, backend %s, %s\n",
              LIVENESS_VERSION_STRING, static_cast<int>(LIVENESS_TEST_ASIO_VERSION),
              liveness::uses_boost_asio ? "Boost.Asio" : "standalone Asio",
              under_wine() ? "under Wine" : "not under Wine");
  const auto start = clk::now();
  using wine_check::section;

  section("1. data both ways: ping_pong<length_prefixed> messages and bytes, heartbeats",
          data_length_prefixed);
  section("2. data both ways: ping_pong<line>, async_read_until, heartbeats stripped", data_line);

  section("3a. peer_closed (FIN): held data, then eof", [] {
    peer_closed_case<lv::heartbeat::none>("none");
    peer_closed_case<lp_policy>("ping_pong<length_prefixed>");
    peer_closed_case<line_policy>("ping_pong<line>");
  });
  section("3b. peer_reset (SO_LINGER 0 close)", [] {
    peer_reset_case<lv::heartbeat::none>("none");
    peer_reset_case<lp_policy>("ping_pong<length_prefixed>");
  });
  section("3c. heartbeat_timeout: a peer that reads and never answers", [] {
    heartbeat_timeout_case<lv::codec::length_prefixed>();
    heartbeat_timeout_case<lv::codec::line>();
  });
  section("3d. heartbeat_timeout: a peer that neither reads nor answers while we upload",
          heartbeat_timeout_stuck_upload_case);
  section("3e. idle_timeout", idle_timeout_case);
  section("3f. frame_too_large", frame_too_large_case);
  section("3g. protocol_error: an unknown frame type", protocol_error_case);
  section("3h. message_timeout: a line or frame that never ends", [] {
    message_timeout_case<lp_policy>("length_prefixed", std::string("\x00\x00", 2));
    message_timeout_case<line_policy>("line", "a line without its end");
  });
  section("3i. ping_flood", [] {
    ping_flood_case<lv::codec::length_prefixed>();
    ping_flood_case<lv::codec::line>();
  });

  section("4a. use_future, io_context on another thread", token_future);
  section("4b. deferred", token_deferred);
  section("4c. as_tuple", token_as_tuple);
  section("4d. redirect_error", token_redirect_error);

  section("5a. destroyed with read, write and wait pending (waiting on the socket): "
          "operation_aborted, once each",
          [] { destroyed_with_operations_pending(true); });
  section("5b. destroyed with read, write and wait pending (before they ran): "
          "operation_aborted, once each",
          [] { destroyed_with_operations_pending(false); });
  section("5c. close()", close_case);
  section("5d. moved-from session: bad_descriptor; the moved-to one carries on",
          moved_from_case);

  section("6a. registry: online, broadcast, offline with peer_closed", registry_close_case);
  section("6b. registry: offline with idle_timeout and an application id", registry_idle_case);

  section("7. reconnecting client: reconnects after the server drops it", reconnect_case);

  std::printf("\ntotal checks time: %.0f ms\n", to_ms(clk::now() - start));
  return wine_check::result();
}
