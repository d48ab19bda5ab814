// Loopback tests of liveness::session over TLS (liveness/tls.hpp,
// `session<net::ssl::stream<tcp::socket>, Policy>`): data and heartbeats travel inside TLS
// both ways, keepalive goes to the TCP socket, a hung TLS peer is cut off by the heartbeat,
// and every way a TLS peer can end is reported with its reason (close_notify and a FIN
// without close_notify: peer_closed; a reset: peer_reset). Our own close sends a
// close_notify and never hangs; a moved-from TLS session behaves like any other.
//
// The certificate is made at test time (tests/support/tls_support.hpp); the handshake is
// done before the session is constructed, as docs/session.md says. Every test bounds its
// own time.
#include <liveness/tls.hpp>

#include "asio_includes.hpp"
#include "test_support.hpp"
#include "loopback.hpp"
#include "session_fixtures.hpp"
#include "tls_support.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <iostream>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace session_tls_test {

using namespace liveness_test::session_names;  // lv, net, tcp, clk, helpers
using liveness_test::tls_connected;
using liveness_test::tls_contexts;
using liveness_test::tls_stream;

namespace {

template <class Policy>
using tls_session = lv::session<tls_stream, Policy>;

static_assert(std::is_same<tls_session<lp_policy>::next_layer_type, tls_stream>::value,
              "next_layer() of a TLS session is the ssl::stream");

/// A TLS peer that is a plain ssl::stream: records what it reads until the read fails.
struct tls_peer {
  explicit tls_peer(tls_stream& s) : stream(s) {}
  tls_stream& stream;
  std::array<char, 16 * 1024> buf{};
  std::string received;
  error_code read_error;
  bool closed = false;

  void start_reading() {
    stream.async_read_some(net::buffer(buf), [this](error_code ec, std::size_t n) {
      received.append(buf.data(), n);
      if (ec) {
        read_error = ec;
        closed = true;
        return;
      }
      start_reading();
    });
  }
};

/// Reads from a session into `out` until the read fails.
template <class Session>
struct session_reader {
  explicit session_reader(Session& session) : s(session) {}
  Session& s;
  std::array<char, 4096> buf{};
  std::string out;
  error_code error;

  void start() {
    s.async_read_some(net::buffer(buf), [this](error_code ec, std::size_t n) {
      out.append(buf.data(), n);
      if (ec) {
        error = ec;
        return;
      }
      start();
    });
  }
};

/// A loopback TLS pair with the handshake done: the server end is a session (heartbeat
/// 10 s: no ping during a test) whose death is watched, the client end `t.client` a plain
/// TLS stream, the test's peer.
struct tls_fixture {
  net::io_context io;
  tls_contexts ctx;
  liveness_test::tls_pair t = tls_connected(io, ctx);
  tls_session<lp_policy> s{std::move(t.server),
                           with_role(pp_options<lp_policy>(10s, 10s), role::server)};
  death_watch dead;

  tls_fixture() { dead.watch(s); }
};

}  // namespace

TEST_CASE("session tls: data both ways and pings and pongs inside TLS, keepalive on the TCP "
          "socket",
          "[session][tls]") {
  net::io_context io;
  tls_contexts ctx;
  auto t = tls_connected(io, ctx);
  auto o = pp_options<lp_policy>(100ms, 2s);
  tls_session<lp_policy> client(std::move(t.client), with_role(o, role::client));
  tls_session<lp_policy> server(std::move(t.server), with_role(o, role::server));
  CHECK(client.is_open());
  CHECK(client.keepalive().enabled);
  CHECK(server.keepalive().enabled);
  // The keepalive report is the TCP socket's.
  CHECK(lv::read_keepalive(client.next_layer().lowest_layer()).enabled);
  CHECK(SSL_is_init_finished(client.next_layer().native_handle()) == 1);

  // An echo server: what it reads goes back.
  std::array<char, 4096> sbuf{};
  std::function<void()> echo = [&] {
    server.async_read_some(net::buffer(sbuf), [&](error_code ec, std::size_t n) {
      if (ec) return;
      net::async_write(server, net::buffer(sbuf.data(), n), [&](error_code wec, std::size_t) {
        if (!wec) echo();
      });
    });
  };
  echo();
  session_reader<tls_session<lp_policy>> reader(client);
  reader.start();

  // 300 KiB: more than one TLS record and more than one write chunk of the session.
  std::string payload;
  for (int i = 0; payload.size() < 300 * 1024; ++i) payload += "line " + std::to_string(i) + "\n";
  bool written = false;
  net::async_write(client, net::buffer(payload), [&](error_code ec, std::size_t n) {
    CHECK_FALSE(ec);
    CHECK(n == payload.size());
    written = true;
  });
  REQUIRE(run_until(io, [&] { return reader.out.size() >= payload.size(); }, 10s));
  CHECK(written);
  CHECK(reader.out == payload);

  // Then silence: pings every 100 ms from both ends, answered.
  run_for(io, 600ms);
  const auto cs = client.stats();
  const auto ss = server.stats();
  std::cout << "[session] tls: client pings_sent=" << cs.pings_sent
            << " pongs_received=" << cs.pongs_received << ", server pings_sent=" << ss.pings_sent
            << " pongs_received=" << ss.pongs_received << "\n";
  CHECK(cs.pings_sent >= 2);
  CHECK(cs.pongs_received >= 2);
  CHECK(ss.pings_sent >= 2);
  CHECK(ss.pongs_received >= 2);
  CHECK(cs.pongs_received >= cs.pings_sent - 1);
  CHECK(ss.pongs_received >= ss.pings_sent - 1);
  CHECK_FALSE(client.is_dead());
  CHECK_FALSE(server.is_dead());
}

TEST_CASE("session tls: a hung TLS peer (handshake done then never reads or writes) is "
          "heartbeat_timeout within the bound",
          "[session][tls]") {
  const auto interval = 200ms;
  const auto timeout = 300ms;
  net::io_context io;
  tls_contexts ctx;
  auto t = tls_connected(io, ctx);
  // The peer keeps its stream and does nothing with it.
  tls_session<lp_policy> s(std::move(t.server),
                           with_role(pp_options<lp_policy>(interval, timeout), role::server));
  death_watch dead;
  dead.watch(s);
  const auto start = clk::now();
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 3s));
  CHECK(dead.reason == error::heartbeat_timeout);
  const auto after = dead.at - start;
  report("tls heartbeat_timeout of a hung TLS peer", after, interval + timeout);
  CHECK(after >= interval + timeout - early_tolerance);
  CHECK(after <= upper_bound(interval + timeout));
  CHECK(s.stats().pings_sent == 1);
  CHECK_FALSE(s.is_open());
  // Our pings went inside TLS: the peer decrypts one ping frame (and our close_notify).
  tls_peer peer(t.client);
  peer.start_reading();
  REQUIRE(run_until(io, [&] { return peer.closed; }, 2s));
  CHECK(peer.received == wire<lv::codec::length_prefixed>::ping());
  CHECK(peer.read_error == net::error::eof);
}

TEST_CASE_METHOD(tls_fixture,
                 "session tls: the peer's close_notify is peer_closed, data before it is read",
                 "[session][tls]") {
  session_reader<tls_session<lp_policy>> reader(s);
  reader.start();

  const std::string frame = lp_frame(0x00, "last words");
  net::write(t.client, net::buffer(frame));
  // The peer's TLS shutdown: it sends close_notify and waits for ours.
  bool shut = false;
  error_code shut_ec;
  t.client.async_shutdown([&](error_code ec) {
    shut_ec = ec;
    shut = true;
  });
  const auto start = clk::now();
  REQUIRE(run_until(io, [&] { return dead.calls == 1 && shut; }, 3s));
  std::cout << "[session] tls: close_notify reported after " << to_ms(dead.at - start)
            << " ms\n";
  CHECK(dead.reason == error::peer_closed);
  CHECK(reader.out == "last words");
  CHECK(reader.error == net::error::eof);
  // Ours came back: the peer's shutdown completed cleanly.
  CHECK_FALSE(shut_ec);
}

TEST_CASE_METHOD(tls_fixture, "session tls: a TCP FIN without close_notify is peer_closed",
                 "[session][tls]") {
  const std::string frame = lp_frame(0x00, "cut");
  net::write(t.client, net::buffer(frame));
  t.client.lowest_layer().shutdown(tcp::socket::shutdown_send);
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 3s));
  CHECK(dead.reason == error::peer_closed);
  session_reader<tls_session<lp_policy>> reader(s);
  reader.start();
  REQUIRE(run_until(io, [&] { return bool(reader.error); }, 1s));
  CHECK(reader.out == "cut");
  CHECK(reader.error == net::error::eof);
}

TEST_CASE_METHOD(tls_fixture, "session tls: a reset TLS peer is peer_reset",
                 "[session][tls]") {
  run_for(io, 50ms);  // the session's read is pending
  t.client.lowest_layer().set_option(net::socket_base::linger(true, 0));
  t.client.lowest_layer().close();  // RST
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 3s));
  CHECK(dead.reason == error::peer_reset);
}

TEST_CASE_METHOD(tls_fixture, "session tls: garbage instead of a TLS record is protocol_error",
                 "[session][tls]") {
  // An application-data record header (TLS 1.2 version, 16 bytes), then 16 bytes that
  // no key decrypts.
  const std::string garbage = std::string("\x17\x03\x03\x00\x10", 5) + std::string(16, 'x');
  net::write(t.client.next_layer(), net::buffer(garbage));
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 3s));
  CHECK(dead.reason == error::protocol_error);
}

TEST_CASE_METHOD(tls_fixture,
                 "session tls: close() sends close_notify, completes pending operations and "
                 "never waits for the peer",
                 "[session][tls]") {
  std::array<char, 64> buf{};
  error_code read_ec;
  bool read_done = false;
  s.async_read_some(net::buffer(buf), [&](error_code ec, std::size_t) {
    read_ec = ec;
    read_done = true;
  });
  run_for(io, 50ms);
  // The peer never reads or answers: the close must not wait for its close_notify.
  const auto start = clk::now();
  s.close();
  CHECK(clk::now() - start < 1s);  // no wait for the peer (a loaded machine may preempt us)
  CHECK_FALSE(s.is_open());
  REQUIRE(run_until(io, [&] { return read_done && dead.calls == 1; }, 1s));
  CHECK(read_ec == net::error::operation_aborted);
  CHECK(dead.reason == net::error::operation_aborted);
  // The peer reads a clean TLS end (close_notify: eof, not stream_truncated).
  tls_peer peer(t.client);
  peer.start_reading();
  REQUIRE(run_until(io, [&] { return peer.closed; }, 2s));
  CHECK(peer.received.empty());
  CHECK(peer.read_error == net::error::eof);
}

TEST_CASE_METHOD(tls_fixture,
                 "session tls: a moved-from TLS session answers like any moved-from session",
                 "[session][tls]") {
  auto& a = s;
  tls_session<lp_policy> b(std::move(a));
  CHECK(b.is_open());
  CHECK_FALSE(a.is_open());
  // A closed ssl::stream on the session's executor, the same object every time.
  auto& closed = a.next_layer();
  CHECK_FALSE(closed.lowest_layer().is_open());
  CHECK(&closed == &a.next_layer());
  CHECK(closed.get_executor() == io.get_executor());
  std::array<char, 16> buf{};
  error_code ec;
  bool done = false;
  a.async_read_some(net::buffer(buf), [&](error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  CHECK_FALSE(done);
  REQUIRE(run_until(io, [&] { return done; }, 1s));
  CHECK(ec == net::error::bad_descriptor);
  a.close();  // does nothing
  // Assigning a live session makes it whole again; the session it held is gone.
  a = std::move(b);
  CHECK(a.is_open());
  CHECK_FALSE(b.is_open());
  a.close();
  CHECK_FALSE(a.is_open());
}

}  // namespace session_tls_test
