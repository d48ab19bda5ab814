// Data integrity through a session with heartbeats interleaved: a 256 MiB deterministic
// random stream over loopback (in this process's private network namespace), for both
// codecs, arrives byte-identical. The receiver regenerates the stream and compares every
// byte; both ends keep a checksum. Heartbeats: a 100 ms interval, so that the sender (which
// hears nothing from the receiver but pongs) pings all the time and the pings travel inside
// the data stream; the test asserts that they did.
//
//   length_prefixed: random bytes (every byte value, heartbeat type bytes included).
//   line: random printable lines of 8..5088 bytes (never equal to "PING"/"PONG").
#include <liveness/session.hpp>

#include "fault_support.hpp"
#include "test_support.hpp"

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

namespace fault_integrity_test {

using namespace std::chrono_literals;

namespace {

namespace lv = liveness;
namespace ft = liveness_test::fault;
namespace net = liveness::net;
using tcp = net::ip::tcp;
using lv::core::ping_role;
using ft::steady;

constexpr std::uint64_t stream_size = 256ull << 20;

template <class Codec>
void integrity_case(const std::string& policy_name, bool lines) {
  using policy = lv::heartbeat::ping_pong<Codec>;
  using session_type = lv::session<tcp::socket, policy>;
  lv::session_options<policy> opts;
  opts.keepalive = ft::fast_keepalive;
  opts.heartbeat.interval = 100ms;
  opts.heartbeat.timeout = 5s;  // generous: under ASan on a loaded machine
  opts.heartbeat.pinger = ping_role::both;
  opts.heartbeat.min_ping_interval = 20ms;

  net::io_context io{1};
  ft::death_watch sender_dead, receiver_dead;
  auto pair = ft::connected(io);
  session_type sender(std::move(pair.client), liveness_test::with_role(opts, liveness::role::client));
  session_type receiver(std::move(pair.server), liveness_test::with_role(opts, liveness::role::server));
  sender_dead.start(sender);
  receiver_dead.start(receiver);

  constexpr std::uint64_t seed = 0x5eed1e55;
  ft::stream_writer<session_type> w(sender, ft::stream_generator(seed, lines, stream_size));
  ft::stream_checker<session_type> c(receiver, ft::stream_generator(seed, lines, stream_size),
                                     stream_size);
  const auto start = steady::now();
  w.start();
  c.start();
  const bool finished = ft::run_until(io, [&] {
    return c.done() || sender_dead.reason || receiver_dead.reason || c.error();
  }, start + 100s - steady::now());
  const auto elapsed_ms = ft::to_ms(steady::now() - start);
  const auto ss = sender.stats();
  const auto rs = receiver.stats();
  const bool any_death = sender_dead.dead() || receiver_dead.dead();
  ft::print_result(std::string("integrity-256MiB-") + (lines ? "lines" : "bytes"), policy_name,
                   any_death ? "heartbeat" : "none",
                   ft::reason_text(sender_dead.reason ? sender_dead.reason : receiver_dead.reason),
                   elapsed_ms, "none");
  std::cout << "  " << stream_size << " bytes in " << elapsed_ms << " ms; sender pings "
            << ss.pings_sent << " pongs " << ss.pongs_received << ", receiver pings received "
            << rs.pings_received << " pongs sent " << rs.pongs_sent << ", pings sent "
            << rs.pings_sent << "; checksum sender " << std::hex << w.sum() << " receiver "
            << c.sum() << std::dec << std::endl;
  INFO("elapsed " << elapsed_ms << " ms, received " << c.bytes() << " of " << stream_size);
  CHECK(finished);
  CHECK_FALSE(sender_dead.reason);
  CHECK_FALSE(receiver_dead.reason);
  CHECK(w.bytes() == stream_size);
  CHECK(c.bytes() == stream_size);
  if (c.first_mismatch()) FAIL("first differing byte at offset " << *c.first_mismatch());
  CHECK(c.sum() == w.sum());
  // Heartbeats really went through the stream while it flowed, both ways.
  CHECK(ss.pings_sent > 0);
  CHECK(ss.pongs_received > 0);
  CHECK(rs.pings_received > 0);
  CHECK(rs.pongs_sent > 0);
  sender.close();
  receiver.close();
  ft::drain(io);
}

}  // namespace

TEST_CASE("fault: data integrity, 256 MiB of random bytes through ping_pong<length_prefixed>",
          "[fault][netns][integrity]") {
  integrity_case<lv::codec::length_prefixed>("ping_pong<length_prefixed>", false);
}

TEST_CASE("fault: data integrity, 256 MiB of random lines through ping_pong<line>",
          "[fault][netns][integrity]") {
  integrity_case<lv::codec::line>("ping_pong<line>", true);
}

}  // namespace fault_integrity_test
