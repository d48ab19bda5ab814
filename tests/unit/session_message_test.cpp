#include <liveness/session.hpp>

#include "asio_includes.hpp"
#include "roles.hpp"
#include "test_support.hpp"
#include "loopback.hpp"

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <chrono>
#include <string>
#include <vector>

namespace session_message_test {

using namespace std::chrono_literals;
namespace net = liveness::net;
using tcp = net::ip::tcp;
using liveness::error_code;
using policy = liveness::heartbeat::ping_pong<liveness::codec::length_prefixed>;
using session_type = liveness::session<tcp::socket, policy>;

namespace {

struct message_pair {
  net::io_context io;
  std::optional<session_type> client, server;

  explicit message_pair(liveness::session_options<policy> o = make_options()) {
    auto p = liveness_test::connected(io);
    client.emplace(std::move(p.client), liveness_test::with_role(o, liveness::role::client));
    server.emplace(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  }

  static liveness::session_options<policy> make_options() {
    liveness::session_options<policy> o;
    o.heartbeat.interval = 50ms;  // pings interleave with the frames
    o.heartbeat.min_ping_interval = 20ms;
    o.heartbeat.timeout = 2s;
    o.max_write_chunk = 1000;               // many frames per message
    return o;
  }
};

std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + seed * 7) & 0xff);
  return s;
}

}  // namespace

TEST_CASE("session: whole messages keep their boundaries across frames and heartbeats",
          "[session][message]") {
  message_pair p;
  const std::vector<std::string> sent = {pattern(10, 1), std::string(), pattern(25000, 2),
                                         pattern(1000, 3), pattern(1, 4)};
  std::vector<std::string> received;
  std::string in;
  std::size_t written = 0;

  std::function<void(std::size_t)> write_next = [&](std::size_t i) {
    if (i == sent.size()) return;
    p.client->async_write_message(net::buffer(sent[i]), [&, i](error_code ec, std::size_t n) {
      REQUIRE_FALSE(ec);
      CHECK(n == sent[i].size());
      ++written;
      // Space the messages so that heartbeats go out between (and within) them.
      auto t = std::make_shared<net::steady_timer>(p.io, 60ms);
      t->async_wait([&, i, t](error_code) { write_next(i + 1); });
    });
  };
  std::function<void()> read_next = [&] {
    p.server->async_read_message(net::dynamic_buffer(in), [&](error_code ec, std::size_t n) {
      REQUIRE_FALSE(ec);
      CHECK(n == in.size());
      received.push_back(in);
      in.clear();
      if (received.size() < sent.size()) read_next();
    });
  };
  write_next(0);
  read_next();
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       received.size() < sent.size() && std::chrono::steady_clock::now() < deadline;)
    p.io.run_one_for(100ms);
  CHECK(written == sent.size());
  REQUIRE(received.size() == sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) CHECK(received[i] == sent[i]);
  CHECK(p.client->stats().pings_sent + p.server->stats().pings_sent > 0);
  CHECK_FALSE(p.client->is_dead());
  CHECK_FALSE(p.server->is_dead());
}

TEST_CASE("session: a message from several buffers arrives as one", "[session][message]") {
  message_pair p;
  const std::string a = pattern(1500, 5), b = pattern(2500, 6);
  const std::array<net::const_buffer, 3> parts{net::buffer(a), net::const_buffer(),
                                               net::buffer(b)};
  std::string in;
  bool done = false;
  p.client->async_write_message(parts, [&](error_code ec, std::size_t n) {
    CHECK_FALSE(ec);
    CHECK(n == a.size() + b.size());
  });
  p.server->async_read_message(net::dynamic_buffer(in), [&](error_code ec, std::size_t n) {
    CHECK_FALSE(ec);
    CHECK(n == a.size() + b.size());
    done = true;
  });
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       !done && std::chrono::steady_clock::now() < deadline;)
    p.io.run_one_for(100ms);
  REQUIRE(done);
  CHECK(in == a + b);
}

TEST_CASE("session: held messages are still read after the peer closed, then eof",
          "[session][message]") {
  message_pair p;
  const std::string m = pattern(3000, 7);
  p.client->async_write_message(net::buffer(m), [&](error_code ec, std::size_t) {
    CHECK_FALSE(ec);
    p.client->close();
  });
  error_code dead;
  p.server->async_wait_dead([&](error_code ec) { dead = ec; });
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       !dead && std::chrono::steady_clock::now() < deadline;)
    p.io.run_one_for(100ms);
  CHECK(dead == liveness::error::peer_closed);
  std::string in;
  error_code first, second;
  p.server->async_read_message(net::dynamic_buffer(in), [&](error_code ec, std::size_t n) {
    INFO("first read: " << ec.message() << " n=" << n << " in.size()=" << in.size());
    CHECK(n == m.size());
    first = ec;
    p.server->async_read_message(net::dynamic_buffer(in),
                                 [&](error_code ec2, std::size_t) { second = ec2; });
  });
  p.io.restart();  // it stopped when both dead sessions had no work left
  p.io.run_for(200ms);
  CHECK_FALSE(first);
  CHECK(in == m);
  CHECK(second == net::error::eof);
}

TEST_CASE("session: a message read can be cancelled without losing data",
          "[session][message]") {
  message_pair p;
  net::cancellation_signal signal;
  std::string in;
  error_code cancelled;
  p.server->async_read_message(
      net::dynamic_buffer(in),
      net::bind_cancellation_slot(signal.slot(),
                                  [&](error_code ec, std::size_t) { cancelled = ec; }));
  p.io.run_for(50ms);
  signal.emit(net::cancellation_type::total);
  p.io.run_for(50ms);
  CHECK(cancelled == net::error::operation_aborted);
  // The session goes on: a message sent now is read whole.
  const std::string m = pattern(100, 8);
  bool done = false;
  p.client->async_write_message(net::buffer(m), [](error_code, std::size_t) {});
  p.server->async_read_message(net::dynamic_buffer(in), [&](error_code ec, std::size_t) {
    CHECK_FALSE(ec);
    done = true;
  });
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       !done && std::chrono::steady_clock::now() < deadline;)
    p.io.run_one_for(100ms);
  CHECK(in == m);
}

}  // namespace session_message_test
