// Loopback tests of the direct read: an application read that is pending reads the socket
// straight into its own buffer, and the codec strips heartbeats and frame headers there.
// A raw socket sends a stream of user bytes with heartbeats among them, in pieces of random
// sizes; the session's application reads it with buffers smaller and larger than what
// arrives, so reads cut frames, lines and heartbeats everywhere. The bytes the application
// gets must be the user bytes, each once, in order, and no heartbeat byte among them; every
// heartbeat must be seen as one.
//
// Every test bounds its own time (run_until with a budget). Helpers: tests/support.
#include <liveness/session.hpp>

#include "asio_includes.hpp"
#include "loopback.hpp"
#include "session_fixtures.hpp"
#include "test_support.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace session_direct_read_test {

using namespace liveness_test::session_names;  // lv, net, tcp, clk, session_t, helpers

/// What a raw peer sends (`wire`) and what the application must read from it (`user`).
struct script {
  std::string wire;
  std::string user;
  std::size_t pings = 0;
  std::size_t pongs = 0;
};

template <class Codec>
struct make_script;

// No heartbeat in the stream: every byte is the application's.
template <>
struct make_script<lv::codec::raw> {
  static script make(std::size_t size, std::mt19937& rng) {
    script s;
    s.user.resize(size);
    for (auto& c : s.user) c = static_cast<char>(rng());
    s.wire = s.user;
    return s;
  }
};

// Lines, some of which look like heartbeats up to a point, with PING and PONG lines among
// them.
template <>
struct make_script<lv::codec::line> {
  static script make(std::size_t size, std::mt19937& rng) {
    static const std::array<const char*, 8> tricky = {"PIN",  "PINGS", "PONGx", "PING PING",
                                                      "xPONG", "",     "PI\r", "P"};
    script s;
    while (s.user.size() < size) {
      const auto pick = rng() % 10;
      if (pick == 0 && s.pings < 3) {
        s.wire += "PING\n";
        ++s.pings;
        continue;
      }
      if (pick == 1) {
        s.wire += rng() % 2 ? "PONG\n" : "PONG\r\n";
        ++s.pongs;
        continue;
      }
      std::string line;
      if (pick < 4) {
        line = tricky[rng() % tricky.size()];
      } else {
        line.resize(rng() % 3000);
        for (auto& c : line) c = static_cast<char>(' ' + rng() % 95);
      }
      line += '\n';
      s.wire += line;
      s.user += line;
    }
    return s;
  }
};

// Data frames (messages in one or several frames, binary payloads) with pings and pongs
// between them.
template <>
struct make_script<lv::codec::length_prefixed> {
  static script make(std::size_t size, std::mt19937& rng) {
    script s;
    while (s.user.size() < size) {
      const auto pick = rng() % 10;
      if (pick == 0 && s.pings < 3) {
        s.wire += lp_frame(0x01, "");
        ++s.pings;
        continue;
      }
      if (pick == 1) {
        s.wire += lp_frame(0x02, "");
        ++s.pongs;
        continue;
      }
      std::string payload(rng() % 5000, '\0');
      for (auto& c : payload) c = static_cast<char>(rng());
      s.wire += lp_frame(pick == 2 ? 0x80 : 0x00, payload);
      s.user += payload;
    }
    if (!s.wire.empty()) s.wire += lp_frame(0x00, "");  // ends a message left open
    return s;
  }
};

/// The raw peer writes `wire` in pieces of random sizes, one after the other.
struct piecewise_writer {
  tcp::socket& socket;
  const std::string& wire;
  std::mt19937& rng;
  std::size_t sent = 0;
  error_code failure;
  void next() {
    if (sent == wire.size()) return;
    const std::size_t left = wire.size() - sent;
    const std::size_t piece = (std::min)(left, rng() % 4 == 0 ? std::size_t(100 * 1024)
                                                              : std::size_t(1 + rng() % 2000));
    net::async_write(socket, net::buffer(wire.data() + sent, piece),
                     [this](error_code ec, std::size_t n) {
                       if (ec) failure = ec;
                       sent += n;
                       if (!ec) next();
                     });
  }
};

template <class Policy>
void check_direct_reads(std::size_t read_size, std::size_t user_size, unsigned seed) {
  using codec = typename Policy::codec;
  net::io_context io;
  auto p = connected(io);
  lv::session_options<Policy> o;
  if constexpr (std::is_same_v<Policy, lv::heartbeat::idle_timeout>) {
    o.heartbeat.timeout = std::chrono::seconds(30);
  } else if constexpr (!std::is_same_v<Policy, lv::heartbeat::none>) {
    o.heartbeat.interval = std::chrono::seconds(30);
    o.heartbeat.timeout = std::chrono::seconds(30);
  }
  session_t<Policy> s(std::move(p.server), o);
  std::mt19937 rng(seed);
  const script sc = make_script<codec>::make(user_size, rng);

  // The session's pongs come back to the raw peer: drained so that nothing blocks.
  std::array<char, 4096> drain{};
  std::function<void()> drain_next = [&] {
    p.client.async_read_some(net::buffer(drain), [&](error_code ec, std::size_t) {
      if (!ec) drain_next();
    });
  };
  drain_next();
  piecewise_writer w{p.client, sc.wire, rng, 0, {}};
  w.next();

  std::string got;
  std::vector<char> buffer(read_size);
  error_code read_error;
  std::size_t reads = 0;
  std::function<void()> read_next = [&] {
    s.async_read_some(net::buffer(buffer), [&](error_code ec, std::size_t n) {
      if (ec) {
        read_error = ec;
        return;
      }
      ++reads;
      CHECK(n > 0);
      CHECK(n <= buffer.size());
      got.append(buffer.data(), n);
      if (got.size() < sc.user.size()) read_next();
    });
  };
  read_next();

  const bool done = run_until(
      io, [&] { return got.size() >= sc.user.size() || read_error || w.failure; },
      std::chrono::seconds(20));
  INFO("codec " << typeid(codec).name() << ", reads of " << read_size << " bytes, "
                << sc.user.size() << " user bytes in " << sc.wire.size() << " wire bytes");
  CHECK_FALSE(read_error);
  CHECK_FALSE(w.failure);
  REQUIRE(done);
  CHECK(got.size() == sc.user.size());
  // Compared by position so that a failure shows where the streams part.
  const auto diff = std::mismatch(got.begin(), got.end(), sc.user.begin(), sc.user.end());
  CHECK(diff.first - got.begin() == static_cast<std::ptrdiff_t>(got.size()));
  CHECK(got == sc.user);
  CHECK_FALSE(s.is_dead());
  if constexpr (!std::is_same_v<codec, lv::codec::raw>) {
    // Every heartbeat was seen as one (none leaked into the data, none lost).
    CHECK(s.stats().pings_received == sc.pings);
    CHECK(s.stats().pongs_received == sc.pongs);
  }
  std::cout << "[direct read] " << typeid(codec).name() << " reads of " << read_size
            << " bytes: " << got.size() << " user bytes in " << reads << " reads\n";
}

struct read_case {
  std::size_t read_size;
  std::size_t user_size;
};
// Reads smaller than a heartbeat, smaller and larger than what arrives at once, and larger
// than the session's own reads (64 KiB).
constexpr std::array<read_case, 5> read_cases{{
    {1, 6 * 1024}, {3, 20 * 1024}, {7, 40 * 1024}, {4096, 400 * 1024}, {200 * 1024, 1536 * 1024}}};

TEMPLATE_TEST_CASE("session direct read: the application gets the user bytes once in order "
                   "with reads smaller and larger than what arrives",
                   "[session][data][direct_read]", lv::heartbeat::none,
                   lv::heartbeat::idle_timeout, lv::heartbeat::ping_pong<lv::codec::line>,
                   lv::heartbeat::ping_pong<lv::codec::length_prefixed>) {
  unsigned seed = 5;
  for (const auto& c : read_cases) check_direct_reads<TestType>(c.read_size, c.user_size, ++seed);
}

TEST_CASE("session direct read: bare framing keeps a heartbeat whole when the application "
          "reads fewer bytes than its text",
          "[session][data][direct_read]") {
  using policy = lv::heartbeat::ping_pong<lv::codec::line>;
  net::io_context io;
  auto p = connected(io);
  lv::session_options<policy> o;
  o.heartbeat = lv::heartbeat::msgtest_ok();
  o.heartbeat.interval = std::chrono::seconds(30);
  o.heartbeat.timeout = std::chrono::seconds(30);
  o.role = lv::role::client;  // the server end (raw here) pings
  session_t<policy> s(std::move(p.server), o);

  std::array<char, 3> buffer{};  // smaller than "Msgtest"
  std::string got;
  error_code read_error;
  std::function<void()> read_next = [&] {
    s.async_read_some(net::buffer(buffer), [&](error_code ec, std::size_t n) {
      if (ec) {
        read_error = ec;
        return;
      }
      got.append(buffer.data(), n);
      read_next();
    });
  };
  read_next();
  // The ping alone (one write, one segment), then user data once it was seen.
  net::write(p.client, net::buffer(std::string("Msgtest")));
  REQUIRE(run_until(io, [&] { return s.stats().pings_received == 1 || read_error; },
                    std::chrono::seconds(10)));
  net::write(p.client, net::buffer(std::string("hello\n")));
  REQUIRE(run_until(io, [&] { return got.size() >= 6 || read_error; }, std::chrono::seconds(10)));
  CHECK_FALSE(read_error);
  CHECK(got == "hello\n");
  CHECK(s.stats().pings_received == 1);
}

}  // namespace session_direct_read_test
