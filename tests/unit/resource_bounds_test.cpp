// What a hostile or broken peer can take from a session, over real loopback sockets (issue
// 11, items 1-4 and 6):
//  - an endless length-prefixed message is cut off with frame_too_large before more than
//    read_buffer_limit is held;
//  - empty or tiny messages count their bookkeeping against read_buffer_limit, so reading
//    pauses and nothing is lost when the application reads again;
//  - a peer that neither reads our data nor sends anything new is declared dead although
//    the data it sent long ago fills the inbox;
//  - slowloris: a line or frame that does not finish within message_timeout, or no whole
//    one within first_message_timeout, is message_timeout; honest peers are not;
//  - half-close: a peer that sends a request and shuts down its sending side still gets
//    the whole reply, within close_linger.
//
// Every test bounds its own time (run_until with a budget); budgets leave wide margins for
// a loaded 2-core machine. Figures are printed for docs/reliability.md.
#include <liveness/session.hpp>

#include "asio_includes.hpp"
#include "loopback.hpp"
#include "session_fixtures.hpp"
#include "test_support.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace resource_bounds_test {

using namespace liveness_test::session_names;  // lv, net, tcp, clk, session_t, helpers

namespace {

long long ms_since(clk::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clk::now() - t).count();
}

/// Heartbeats as in the reproductions: ping after 300 ms of silence, dead 500 ms
/// later.
template <class Policy>
lv::session_options<Policy> fast_heartbeat() {
  lv::session_options<Policy> o;
  o.heartbeat.interval = 300ms;
  o.heartbeat.timeout = 500ms;
  return o;
}

/// A plain-socket peer that writes `chunk` again and again until told to stop or the
/// socket fails; `sent` counts what the kernel took.
struct flooding_peer {
  tcp::socket sock;
  std::string chunk;
  std::uint64_t sent = 0;
  std::uint64_t limit = ~std::uint64_t(0);  // stop after this many bytes
  bool stop = false;
  bool done = false;
  error_code ec;

  flooding_peer(tcp::socket s, std::string c) : sock(std::move(s)), chunk(std::move(c)) {}

  void start() {
    if (stop || sent >= limit) {
      done = true;
      return;
    }
    net::async_write(sock, net::buffer(chunk), [this](error_code e, std::size_t n) {
      sent += n;
      if (e) {
        ec = e;
        done = true;
        return;
      }
      start();
    });
  }
};

}  // namespace

// =============================================================================================
// 1. An endless message
// =============================================================================================

TEST_CASE("bounds: an endless length-prefixed message is frame_too_large before more than "
          "the limit is held",
          "[hostile][bounds]") {
  net::io_context io;
  auto p = connected(io);
  auto o = fast_heartbeat<lp_policy>();
  std::size_t limit = o.read_buffer_limit;
  SECTION("default options: max_message_size is finite (1 MiB)") {
    CHECK(o.heartbeat.codec.max_message_size == 1024 * 1024);
  }
  SECTION("max_message_size off: read_buffer_limit still bounds a message read") {
    o.heartbeat.codec.max_message_size = 0;
    o.read_buffer_limit = limit = 256 * 1024;
  }
  session_t<lp_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  death_watch dead;
  dead.watch(s);
  std::string message;
  error_code read_ec;
  bool read_done = false;
  s.async_read_message(net::dynamic_buffer(message), [&](error_code ec, std::size_t) {
    read_ec = ec;
    read_done = true;
  });
  // Data frames that announce "more follows", forever.
  flooding_peer peer(std::move(p.client), lp_frame(0x80, std::string(64 * 1024, 'x')));
  peer.start();
  const auto t0 = clk::now();
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 10s));
  const auto took = ms_since(t0);
  CHECK(dead.reason == error::frame_too_large);
  const auto received = s.stats().bytes_received;
  std::cout << "[bounds] endless message, limit " << limit / 1024 << " KiB: frame_too_large after "
            << took << " ms, " << received / 1024 << " KiB read from the socket, peer sent "
            << peer.sent / 1024 << " KiB\n";
  // What the session read (and so at most what it held): the limit plus one socket read.
  CHECK(received <= limit + 2 * 64 * 1024);
  REQUIRE(run_until(io, [&] { return read_done; }, 2s));
  CHECK(read_ec == error::frame_too_large);
  CHECK(message.empty());
  peer.stop = true;
  peer.sock.close();
  run_for(io, 10ms);
}

// =============================================================================================
// 2. Bookkeeping counts
// =============================================================================================

TEST_CASE("bounds: empty and tiny messages count against read_buffer_limit and none is lost",
          "[hostile][bounds]") {
  net::io_context io;
  auto p = connected(io);
  // The default heartbeat: this raw peer never answers pings, and reading 300,000 messages
  // one by one takes longer than a fast heartbeat's timeout.
  lv::session_options<lp_policy> o;
  std::string payload;
  SECTION("empty messages") {}
  SECTION("1-byte messages") { payload = "m"; }
  session_t<lp_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  death_watch dead;
  dead.watch(s);
  // 1,000 messages per write, 300,000 in all: more than twice what fits the limit.
  std::string burst;
  for (int i = 0; i < 1000; ++i) burst += lp_frame(0x00, payload);
  flooding_peer peer(std::move(p.client), burst);
  peer.limit = 300 * burst.size();
  peer.start();
  // The application does not read: reading must pause.
  std::uint64_t last = 0;
  run_until(
      io,
      [&] {
        const auto r = s.stats().bytes_received;
        const bool settled = r == last && r > 0;
        last = r;
        return settled && peer.done;
      },
      3s);
  run_for(io, 300ms);
  const auto received = s.stats().bytes_received;
  std::cout << "[bounds] " << (payload.empty() ? "empty" : "1-byte") << " messages, unread: "
            << received / 1024 << " KiB read from the socket at a "
            << o.read_buffer_limit / 1024 << " KiB limit (peer's kernel took "
            << peer.sent / 1024 << " KiB)\n";
  INFO("death: " << lv::error_name(dead.reason));
  CHECK(dead.calls == 0);
  // Each held message costs its bytes plus 8 bytes of bookkeeping, at least its wire size
  // (5-byte header): the session read no more than the limit plus one read.
  CHECK(received <= o.read_buffer_limit + 2 * 64 * 1024);
  // Now the application reads every message: nothing was lost while reading was paused.
  std::size_t messages = 0;
  std::string buf;
  std::function<void()> read_one = [&] {
    s.async_read_message(net::dynamic_buffer(buf), [&](error_code ec, std::size_t n) {
      if (ec) return;
      CHECK(n == payload.size());
      buf.clear();
      ++messages;
      read_one();
    });
  };
  read_one();
  // A bound on the test's time, not a speed requirement: 300,000 reads one by one take about
  // 10 s under ASan on an idle 2-core machine, and the test stage runs others beside it.
  REQUIRE(run_until(io, [&] { return messages == 300u * 1000u; }, 90s));
  CHECK(dead.calls == 0);
}

// =============================================================================================
// 3. A peer that neither reads nor sends
// =============================================================================================

namespace {

/// The application of an echo server: reads what arrives and writes it back, one read and
/// one write at a time (so it does not read while its write waits).
template <class Session>
struct echo_app {
  explicit echo_app(Session& session) : s(session) {}
  Session& s;
  std::array<char, 16 * 1024> buf{};
  std::uint64_t echoed = 0;
  error_code end;
  bool ended = false;

  void start() {
    s.async_read_some(net::buffer(buf), [this](error_code ec, std::size_t n) {
      if (ec) return finish(ec);
      net::async_write(s, net::buffer(buf.data(), n), [this](error_code wec, std::size_t m) {
        echoed += m;
        if (wec) return finish(wec);
        start();
      });
    });
  }
  void finish(error_code ec) {
    end = ec;
    ended = true;
  }
};

}  // namespace

TEMPLATE_TEST_CASE("bounds: a peer that neither takes our data nor sends anything new is "
                   "heartbeat_timeout although its old data fills the inbox",
                   "[hostile][bounds]", lp_policy, line_policy) {
  using policy = TestType;
  net::io_context io;
  auto p = connected(io);
  auto o = fast_heartbeat<policy>();
  session_t<policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  death_watch dead;
  dead.watch(s);
  echo_app<session_t<policy>> app(s);
  app.start();
  // The peer uploads 32 MiB (lines of 1 KiB for the line codec) and never reads: our echo
  // fills its receive window, our application waits to write and stops reading, the inbox
  // fills, and the peer's own write stalls behind our paused reading.
  std::string chunk;
  const std::string payload(1023, 'u');
  for (int i = 0; i < 64; ++i) {
    if constexpr (std::is_same_v<policy, lp_policy>)
      chunk += lp_frame(0x00, payload + "\n");
    else
      chunk += payload + "\n";
  }
  flooding_peer peer(std::move(p.client), chunk);
  peer.limit = 32u * 1024 * 1024;
  peer.start();
  const auto t0 = clk::now();
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 15s));
  std::cout << "[bounds] non-reading, silent peer (" << (std::is_same_v<policy, lp_policy> ? "length_prefixed" : "line")
            << ", 300ms/500ms): " << lv::error_name(dead.reason) << " after " << ms_since(t0)
            << " ms; echoed " << app.echoed / 1024 << " KiB, peer sent " << peer.sent / 1024
            << " KiB\n";
  CHECK(dead.reason == error::heartbeat_timeout);
  peer.sock.close();
  run_for(io, 10ms);
}

// =============================================================================================
// 4. Slowloris
// =============================================================================================

TEST_CASE("bounds: message_timeout and first_message_timeout are off by default and on in "
          "the server preset",
          "[bounds]") {
  const lv::session_options<line_policy> d;
  CHECK(d.message_timeout == lv::core::duration::zero());
  CHECK(d.first_message_timeout == lv::core::duration::zero());
  const auto srv = lv::session_options<line_policy>::suggested(lv::role::server);
  CHECK(srv.message_timeout == std::chrono::seconds(10));
  CHECK(srv.first_message_timeout == std::chrono::seconds(30));
  // The preset's first-message deadline leaves room for the default heartbeat's first
  // ping and pong.
  CHECK(srv.first_message_timeout > srv.heartbeat.detection_bound());
}

namespace {

/// A peer that sends `bytes` one byte per `every`.
struct dripping_peer {
  tcp::socket sock;
  net::steady_timer timer;
  std::string bytes;
  std::size_t pos = 0;
  std::chrono::milliseconds every;

  dripping_peer(tcp::socket s, std::string b, std::chrono::milliseconds e)
      : sock(std::move(s)), timer(sock.get_executor()), bytes(std::move(b)), every(e) {}

  void start() {
    if (pos == bytes.size()) return;
    error_code ignored;
    sock.write_some(net::buffer(&bytes[pos++], 1), ignored);
    timer.expires_after(every);
    timer.async_wait([this](error_code ec) {
      if (!ec) start();
    });
  }
};

}  // namespace

TEST_CASE("bounds: a line or frame that does not finish within message_timeout is "
          "message_timeout",
          "[hostile][bounds]") {
  net::io_context io;
  const auto budget = 1s;
  SECTION("line codec: a line that never ends") {
    auto p = connected(io);
    auto o = fast_heartbeat<line_policy>();
    o.message_timeout = budget;
    session_t<line_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
    death_watch dead;
    dead.watch(s);
    dripping_peer peer(std::move(p.client), std::string(1000, 'a'), 200ms);
    peer.start();
    const auto t0 = clk::now();
    REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 5s));
    const auto took = ms_since(t0);
    std::cout << "[bounds] slowloris line, message_timeout 1 s: " << lv::error_name(dead.reason)
              << " after " << took << " ms\n";
    CHECK(dead.reason == error::message_timeout);
    CHECK(took >= 900);
  }
  SECTION("length_prefixed: a frame header sent byte by byte, then a message's frames") {
    auto p = connected(io);
    auto o = fast_heartbeat<lp_policy>();
    o.message_timeout = budget;
    session_t<lp_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
    death_watch dead;
    dead.watch(s);
    // A whole 40-byte message in 45 bytes, one per 200 ms: 9 s, far beyond the deadline.
    dripping_peer peer(std::move(p.client), lp_frame(0x00, std::string(40, 'b')), 200ms);
    peer.start();
    const auto t0 = clk::now();
    REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 5s));
    const auto took = ms_since(t0);
    std::cout << "[bounds] slowloris frame, message_timeout 1 s: " << lv::error_name(dead.reason)
              << " after " << took << " ms\n";
    CHECK(dead.reason == error::message_timeout);
    CHECK(took >= 900);
  }
}

TEST_CASE("bounds: 200 slowloris connections are all cut off by message_timeout",
          "[hostile][bounds]") {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  auto o = fast_heartbeat<line_policy>();
  o.message_timeout = 1s;
  constexpr int n = 200;
  std::vector<std::unique_ptr<session_t<line_policy>>> sessions;
  std::vector<std::unique_ptr<dripping_peer>> peers;
  int dead = 0, by_message_timeout = 0;
  for (int i = 0; i < n; ++i) {
    tcp::socket c(io), srv(io);
    c.connect(acceptor.local_endpoint());
    acceptor.accept(srv);
    sessions.push_back(std::make_unique<session_t<line_policy>>(std::move(srv), liveness_test::with_role(o, liveness::role::server)));
    sessions.back()->async_wait_dead([&](error_code ec) {
      ++dead;
      if (ec == error::message_timeout) ++by_message_timeout;
    });
    peers.push_back(std::make_unique<dripping_peer>(std::move(c), std::string(1000, 's'), 500ms));
    peers.back()->start();
  }
  const auto t0 = clk::now();
  REQUIRE(run_until(io, [&] { return dead == n; }, 10s));
  std::cout << "[bounds] 200 slowloris connections (1 byte / 500 ms), message_timeout 1 s: all "
            << "cut off after " << ms_since(t0) << " ms\n";
  CHECK(by_message_timeout == n);
}

TEST_CASE("bounds: no whole line or frame within first_message_timeout is message_timeout",
          "[hostile][bounds]") {
  net::io_context io;
  auto p = connected(io);
  // A slow heartbeat, so that only the first-message deadline can act.
  lv::session_options<line_policy> o;
  o.first_message_timeout = 1s;
  session_t<line_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  death_watch dead;
  dead.watch(s);
  std::unique_ptr<dripping_peer> peer;
  SECTION("a silent peer") {}
  SECTION("a peer that drips a line that never ends") {
    peer = std::make_unique<dripping_peer>(std::move(p.client), std::string(100, 'x'), 200ms);
    peer->start();
  }
  const auto t0 = clk::now();
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 5s));
  const auto took = ms_since(t0);
  CHECK(dead.reason == error::message_timeout);
  CHECK(took >= 900);
}

TEST_CASE("bounds: honest peers are not cut off by the message deadlines", "[bounds]") {
  net::io_context io;
  auto p = connected(io);
  SECTION("whole lines, slowly, each within the deadline") {
    auto o = fast_heartbeat<line_policy>();
    o.message_timeout = 1s;
    o.first_message_timeout = 1s;
    session_t<line_policy> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
    death_watch dead;
    dead.watch(s);
    // "hello\n" in 6 bytes at 100 ms each: 600 ms per line, ten lines, 6 s in all.
    std::string lines;
    for (int i = 0; i < 10; ++i) lines += "hello\n";
    dripping_peer peer(std::move(p.client), lines, 100ms);
    peer.start();
    run_until(io, [&] { return dead.calls == 1 || peer.pos == lines.size(); }, 8s);
    CHECK(dead.calls == 0);
    CHECK(peer.pos == lines.size());
  }
  SECTION("an idle liveness client whose first pong is its first message") {
    lv::session_options<line_policy> o;
    o.heartbeat.interval = 300ms;
    o.heartbeat.timeout = 500ms;
    o.heartbeat.pinger = lv::core::ping_role::server;
    auto so = o;
    so.first_message_timeout = 1s;
    so.message_timeout = 1s;
    session_t<line_policy> server(std::move(p.server), liveness_test::with_role(so, liveness::role::server));
    session_t<line_policy> client(std::move(p.client), liveness_test::with_role(o, liveness::role::client));
    death_watch dead;
    dead.watch(server);
    run_for(io, 3s);
    CHECK(dead.calls == 0);
    CHECK(server.stats().pongs_received > 0);
  }
  SECTION("a message left half received while the application does not read") {
    auto o = fast_heartbeat<lp_policy>();
    o.message_timeout = 1s;
    o.read_buffer_limit = 64 * 1024;
    session_t<lp_policy> server(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
    session_t<lp_policy> client(std::move(p.client), liveness_test::with_role(fast_heartbeat<lp_policy>(), liveness::role::client));
    death_watch dead;
    dead.watch(server);
    // 4 MiB in one message: the server's application does not read for 2 s, so reading
    // pauses in the middle of the message; that is not the peer's slowness.
    const std::string big(4 * 1024 * 1024, 'z');
    bool sent = false;
    client.async_write_some(net::buffer(big), [&](error_code, std::size_t) { sent = true; });
    run_for(io, 2s);
    CHECK(dead.calls == 0);
    std::vector<char> sink(64 * 1024);
    std::uint64_t got = 0;
    std::function<void()> drain = [&] {
      server.async_read_some(net::buffer(sink), [&](error_code ec, std::size_t k) {
        got += k;
        if (!ec) drain();
      });
    };
    drain();
    run_until(io, [&] { return got >= 64 * 1024; }, 3s);
    CHECK(dead.calls == 0);
  }
}

// =============================================================================================
// 6. Half-close
// =============================================================================================

TEMPLATE_TEST_CASE("bounds: a peer that sends a request and shuts down its sending side "
                   "gets the whole reply",
                   "[hostile][bounds]", lv::heartbeat::none, lp_policy, line_policy) {
  using policy = TestType;
  net::io_context io;
  auto p = connected(io);
  session_t<policy> s(std::move(p.server), liveness_test::as_role(liveness::role::server));
  death_watch dead;
  dead.watch(s);
  echo_app<session_t<policy>> app(s);
  app.start();
  // A 1 MiB request in user bytes (newline-terminated lines for the line codec), then FIN.
  std::string request;
  while (request.size() < 1024 * 1024) request += std::string(1023, 'r') + "\n";
  std::string wire = request;
  if constexpr (std::is_same_v<policy, lp_policy>) {
    wire.clear();
    for (std::size_t i = 0; i < request.size(); i += 64 * 1024)
      wire += lp_frame(0x00, request.substr(i, 64 * 1024));
  }
  tcp::socket peer = std::move(p.client);
  bool wrote = false;
  net::async_write(peer, net::buffer(wire), [&](error_code ec, std::size_t) {
    REQUIRE_FALSE(ec);
    peer.shutdown(tcp::socket::shutdown_send);
    wrote = true;
  });
  // The peer reads everything until our FIN.
  std::string reply;
  std::array<char, 64 * 1024> buf{};
  error_code peer_end;
  bool peer_done = false;
  std::function<void()> read_more = [&] {
    peer.async_read_some(net::buffer(buf), [&](error_code ec, std::size_t n) {
      reply.append(buf.data(), n);
      if (ec) {
        peer_end = ec;
        peer_done = true;
        return;
      }
      read_more();
    });
  };
  read_more();
  const auto t0 = clk::now();
  REQUIRE(run_until(io, [&] { return peer_done && dead.calls == 1; }, 10s));
  CHECK(wrote);
  CHECK(peer_end == net::error::eof);
  CHECK(dead.reason == error::peer_closed);
  // User bytes back: the line codec adds nothing, the length codec frames them.
  std::size_t user_bytes = reply.size();
  if constexpr (std::is_same_v<policy, lp_policy>) {
    user_bytes = 0;
    for (std::size_t i = 0; i + 5 <= reply.size();) {
      const auto b = [&](std::size_t k) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(reply[i + k]));
      };
      const std::uint32_t len = b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
      if (reply[i + 4] == 0 || static_cast<unsigned char>(reply[i + 4]) == 0x80) user_bytes += len;
      i += 5 + len;
    }
  }
  std::cout << "[bounds] half-close, 1 MiB request + FIN: " << user_bytes << " of "
            << request.size() << " bytes echoed, session ended " << lv::error_name(dead.reason)
            << " after " << ms_since(t0) << " ms\n";
  CHECK(user_bytes == request.size());
  CHECK(app.echoed == request.size());
}

TEST_CASE("bounds: the linger after the peer's FIN is bounded", "[hostile][bounds]") {
  net::io_context io;
  auto p = connected(io);
  lv::session_options<lv::heartbeat::none> o;
  o.close_linger = 500ms;
  session_t<lv::heartbeat::none> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  death_watch dead;
  dead.watch(s);
  tcp::socket peer = std::move(p.client);
  // The peer shuts down its sending side and never reads; our application keeps writing
  // 64 MiB, which can never be delivered.
  peer.shutdown(tcp::socket::shutdown_send);
  const std::string big(64 * 1024 * 1024, 'w');
  error_code write_ec;
  bool write_done = false;
  net::async_write(s, net::buffer(big), [&](error_code ec, std::size_t) {
    write_ec = ec;
    write_done = true;
  });
  const auto t0 = clk::now();
  REQUIRE(run_until(io, [&] { return dead.calls == 1 && write_done; }, 5s));
  const auto took = ms_since(t0);
  std::cout << "[bounds] linger 500 ms after FIN, undeliverable write: " << lv::error_name(dead.reason)
            << " after " << took << " ms\n";
  CHECK(dead.reason == error::peer_closed);
  CHECK(write_ec == net::error::eof);
  CHECK(took >= 400);
}

TEST_CASE("bounds: close_linger zero ends the session at the peer's FIN", "[bounds]") {
  net::io_context io;
  auto p = connected(io);
  lv::session_options<lv::heartbeat::none> o;
  o.close_linger = lv::core::duration::zero();
  session_t<lv::heartbeat::none> s(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  death_watch dead;
  dead.watch(s);
  bool write_started = false;
  error_code write_ec;
  p.client.shutdown(tcp::socket::shutdown_send);
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 2s));
  CHECK(dead.reason == error::peer_closed);
  s.async_write_some(net::buffer("late", 4), [&](error_code ec, std::size_t) {
    write_ec = ec;
    write_started = true;
  });
  REQUIRE(run_until(io, [&] { return write_started; }, 1s));
  CHECK(write_ec == net::error::eof);
}

}  // namespace resource_bounds_test
