// The moved-from state of liveness::session (docs/session.md, "A moved-from session"): like a
// moved-from Asio socket, a session that was moved from (by construction or assignment) is
// a valid object without a connection. Every public member function may be called on it:
// observers answer "no connection" (is_open() false, not dead, no reason, an empty keepalive
// report, default stats, a closed socket on the session's executor), close() does nothing,
// and each asynchronous operation completes through its handler, never inline, with
// net::error::bad_descriptor. Before this, every one of them dereferenced a null pointer.
#include <liveness/session.hpp>

#include "asio_includes.hpp"
#include "roles.hpp"
#include "test_support.hpp"
#include "loopback.hpp"

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

namespace session_moved_from_test {

namespace {

namespace lv = liveness;
namespace net = liveness::net;
using tcp = net::ip::tcp;
using lv::error_code;
using liveness_test::connected;
using liveness_test::run_until;
using namespace std::chrono_literals;

using line_policy = lv::heartbeat::ping_pong<lv::codec::line>;
using lp_policy = lv::heartbeat::ping_pong<lv::codec::length_prefixed>;
template <class Policy>
using session_t = lv::session<tcp::socket, Policy>;

/// One completion of an operation started on a moved-from session.
struct completion {
  int calls = 0;
  error_code ec;
  std::size_t bytes = 0;
  bool on_strand = false;
};

/// Every observer of a moved-from session, and close(): no crash, the documented answers.
template <class Session>
void check_observers(Session& s, net::io_context& io) {
  CHECK_FALSE(s.is_open());
  CHECK_FALSE(s.is_dead());
  CHECK_FALSE(s.reason());
  CHECK(s.get_executor() == io.get_executor());
  const auto& report = s.keepalive();
  CHECK_FALSE(report.enabled);
  CHECK(report.mechanism == lv::keepalive_mechanism::disabled);
  CHECK_FALSE(report.detection_bound);
  const auto stats = s.stats();
  CHECK(stats.bytes_received == 0);
  CHECK(stats.bytes_sent == 0);
  CHECK(stats.pings_sent == 0);
  CHECK_FALSE(stats.last_received);
  CHECK_FALSE(stats.last_sent);
  // A closed socket on the session's executor, the same object on every call.
  tcp::socket& socket = s.next_layer();
  CHECK_FALSE(socket.is_open());
  CHECK(socket.get_executor() == io.get_executor());
  CHECK(&s.next_layer() == &socket);
  const Session& cs = s;
  CHECK(&cs.next_layer() == &socket);
  error_code ec;
  (void)socket.remote_endpoint(ec);
  CHECK(ec == net::error::bad_descriptor);
  s.close();
  s.close();
  CHECK_FALSE(s.is_open());
  CHECK_FALSE(s.is_dead());
}

/// async_wait_dead, async_read_some, async_write_some and a composed net::async_write on a
/// moved-from session: each completes once with bad_descriptor, not inline, on the
/// handler's associated executor.
template <class Session>
void check_operations(Session& s, net::io_context& io) {
  auto strand = net::make_strand(io);
  completion wait, read, write, composed;
  std::array<char, 16> in{};
  const std::string out = "never sent\n";
  s.async_wait_dead(net::bind_executor(strand, [&](error_code ec) {
    ++wait.calls;
    wait.ec = ec;
    wait.on_strand = strand.running_in_this_thread();
  }));
  s.async_read_some(net::buffer(in), [&](error_code ec, std::size_t n) {
    ++read.calls;
    read.ec = ec;
    read.bytes = n;
  });
  s.async_write_some(net::buffer(out), [&](error_code ec, std::size_t n) {
    ++write.calls;
    write.ec = ec;
    write.bytes = n;
  });
  CHECK(wait.calls + read.calls + write.calls == 0);  // never inline
  REQUIRE(run_until(io, [&] { return wait.calls && read.calls && write.calls; }, 2s));
  // net::async_write after the write_some completed (one write at a time).
  net::async_write(s, net::buffer(out), [&](error_code ec, std::size_t n) {
    ++composed.calls;
    composed.ec = ec;
    composed.bytes = n;
  });
  REQUIRE(run_until(io, [&] { return composed.calls > 0; }, 2s));
  liveness_test::run_for(io, 20ms);
  CHECK(wait.calls == 1);
  CHECK(wait.ec == net::error::bad_descriptor);
  CHECK(wait.on_strand);
  CHECK(read.calls == 1);
  CHECK(read.ec == net::error::bad_descriptor);
  CHECK(read.bytes == 0);
  CHECK(write.calls == 1);
  CHECK(write.ec == net::error::bad_descriptor);
  CHECK(write.bytes == 0);
  CHECK(composed.calls == 1);
  CHECK(composed.ec == net::error::bad_descriptor);
  CHECK(composed.bytes == 0);
}

}  // namespace

TEMPLATE_TEST_CASE("session moved-from: every member function answers without crashing "
                   "and operations complete with bad_descriptor",
                   "[session][moved_from]", line_policy, lv::heartbeat::none) {
  net::io_context io;
  auto p = connected(io);
  session_t<TestType> first(std::move(p.server), liveness_test::as_role(liveness::role::server));
  tcp::socket peer = std::move(p.client);
  session_t<TestType> second(std::move(first));

  check_observers(first, io);
  check_operations(first, io);

  // The moved-to session has the connection: it reads what the peer writes.
  CHECK(second.is_open());
  CHECK(second.get_executor() == io.get_executor());
  std::array<char, 16> buf{};
  std::size_t got = 0;
  second.async_read_some(net::buffer(buf), [&](error_code ec, std::size_t n) {
    CHECK_FALSE(ec);
    got = n;
  });
  net::write(peer, net::buffer(std::string("data\n")));
  REQUIRE(run_until(io, [&] { return got > 0; }, 2s));
  CHECK(std::string(buf.data(), got) == "data\n");
  CHECK_FALSE(second.is_dead());
}

TEMPLATE_TEST_CASE("session moved-from: the source of a move assignment is moved-from and "
                   "assigning to it makes it whole again",
                   "[session][moved_from]", line_policy, lv::heartbeat::none) {
  net::io_context io;
  auto p1 = connected(io);
  auto p2 = connected(io);
  session_t<TestType> a(std::move(p1.server), liveness_test::as_role(liveness::role::server));
  session_t<TestType> b(std::move(p2.server), liveness_test::as_role(liveness::role::server));
  tcp::socket peer_a = std::move(p1.client);
  tcp::socket peer_b = std::move(p2.client);

  a = std::move(b);  // a's connection is closed; b is moved-from
  check_observers(b, io);
  check_operations(b, io);
  // a's old peer sees the close (EOF); a now talks to b's old peer.
  std::array<char, 8> buf{};
  error_code ec;
  peer_a.non_blocking(false);
  (void)peer_a.read_some(net::buffer(buf), ec);
  CHECK(ec == net::error::eof);
  CHECK(a.is_open());

  // Assigning a live session to the moved-from one revives it.
  b = std::move(a);
  CHECK(b.is_open());
  CHECK_FALSE(a.is_open());
  std::size_t got = 0;
  b.async_read_some(net::buffer(buf), [&](error_code e, std::size_t n) {
    CHECK_FALSE(e);
    got = n;
  });
  net::write(peer_b, net::buffer(std::string("back\n")));
  REQUIRE(run_until(io, [&] { return got > 0; }, 2s));
  CHECK(std::string(buf.data(), got) == "back\n");
  check_observers(a, io);
}

TEST_CASE("session moved-from: message operations complete with bad_descriptor",
          "[session][moved_from]") {
  net::io_context io;
  auto p = connected(io);
  session_t<lp_policy> first(std::move(p.server), liveness_test::as_role(liveness::role::server));
  session_t<lp_policy> second(std::move(first));
  check_observers(first, io);
  completion read, write;
  std::string in;
  first.async_read_message(net::dynamic_buffer(in), [&](error_code ec, std::size_t n) {
    ++read.calls;
    read.ec = ec;
    read.bytes = n;
  });
  first.async_write_message(net::buffer(std::string("message")),
                            [&](error_code ec, std::size_t n) {
                              ++write.calls;
                              write.ec = ec;
                              write.bytes = n;
                            });
  CHECK(read.calls + write.calls == 0);
  REQUIRE(run_until(io, [&] { return read.calls && write.calls; }, 2s));
  liveness_test::run_for(io, 20ms);
  CHECK(read.calls == 1);
  CHECK(read.ec == net::error::bad_descriptor);
  CHECK(read.bytes == 0);
  CHECK(in.empty());
  CHECK(write.calls == 1);
  CHECK(write.ec == net::error::bad_descriptor);
  CHECK(write.bytes == 0);
  CHECK(second.is_open());
}

TEST_CASE("session moved-from: destroying a moved-from session leaves the moved-to one alone",
          "[session][moved_from]") {
  net::io_context io;
  auto p = connected(io);
  auto first = std::make_unique<session_t<line_policy>>(std::move(p.server), liveness_test::as_role(liveness::role::server));
  session_t<line_policy> second(std::move(*first));
  CHECK_FALSE(first->next_layer().is_open());  // makes its closed socket
  first.reset();
  CHECK(second.is_open());
  CHECK(second.next_layer().is_open());
  CHECK_FALSE(second.is_dead());
}

TEST_CASE("session moved-from: it keeps no connection: the peer sees the end when the "
          "moved-to session closes, however long the moved-from one lives",
          "[session][moved_from]") {
  net::io_context io;
  auto p = connected(io);
  session_t<line_policy> first(std::move(p.server), liveness_test::as_role(liveness::role::server));
  auto second = std::make_unique<session_t<line_policy>>(std::move(first));
  second.reset();  // closes the connection; `first` still exists
  CHECK_FALSE(first.is_open());
  CHECK(first.get_executor() == io.get_executor());
  std::array<char, 64> buf{};
  error_code ec;
  // The end arrives at once (the session has closed the socket); bounded by run_until.
  bool done = false;
  p.client.async_read_some(net::buffer(buf), [&](error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  REQUIRE(run_until(io, [&] { return done; }, 5s));
  CHECK(ec == net::error::eof);
  // Every handler of the state has run: only `first` holds it now (ASan would see a use
  // after free here if it did not).
  io.restart();
  io.poll();
  CHECK(first.get_executor() == io.get_executor());
  CHECK_FALSE(first.next_layer().is_open());
  CHECK_FALSE(first.is_open());
}

TEST_CASE("session moved-from: a session whose opening failed keeps its executor, and so "
          "does a session moved from it, both ways",
          "[session][moved_from]") {
  net::io_context io;
  auto strand = net::make_strand(io);
  auto p = liveness_test::connected(io, io.get_executor(), strand);
  const lv::session_options<line_policy> o = liveness_test::as_role(liveness::role::server);
  lv::session_options<line_policy> bad = o;
  bad.heartbeat.interval = 0ms;  // invalid: opening fails
  error_code ec;
  session_t<line_policy> failed(std::move(p.server), bad, ec);
  REQUIRE(ec == lv::error::heartbeat_invalid_options);
  CHECK_FALSE(failed.is_open());
  CHECK(failed.get_executor() == net::any_io_executor(strand));
  CHECK_FALSE(failed.next_layer().is_open());
  session_t<line_policy> taken(std::move(failed));
  CHECK(taken.get_executor() == net::any_io_executor(strand));
  CHECK(failed.get_executor() == net::any_io_executor(strand));
  CHECK_FALSE(taken.next_layer().is_open());
  // Move assignment onto a live session closes it and leaves both without a connection.
  auto q = liveness_test::connected(io, io.get_executor(), io.get_executor());
  session_t<line_policy> live(std::move(q.server), o);
  REQUIRE(live.is_open());
  live = std::move(taken);
  CHECK_FALSE(live.is_open());
  CHECK(live.get_executor() == net::any_io_executor(strand));
  CHECK(taken.get_executor() == net::any_io_executor(strand));
  // And a live session assigned over the failed one: the failed one's executor goes, the
  // source is moved-from with the live session's executor.
  auto r = liveness_test::connected(io, io.get_executor(), io.get_executor());
  session_t<line_policy> other(std::move(r.server), o);
  failed = std::move(other);
  CHECK(failed.is_open());
  CHECK(failed.get_executor() == io.get_executor());
  CHECK_FALSE(other.is_open());
  CHECK(other.get_executor() == io.get_executor());
  CHECK_FALSE(other.next_layer().is_open());
  CHECK(failed.next_layer().is_open());
}

}  // namespace session_moved_from_test
