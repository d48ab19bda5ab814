// Two ends that agree on their heartbeat (issue 15): the hello, the "too many pings" notice
// and the doubling rule, on the sans-I/O engine and detector with a manual clock (no
// socket, no sleep). Two engines are wired back to back by `pair` below; simulated time
// moves from deadline to deadline. tests/unit/agreement_socket_test.cpp runs the same cases
// over real sockets.
#include <liveness/engine/session_engine.hpp>

#include <liveness/codec/length_prefixed.hpp>
#include <liveness/codec/line.hpp>
#include <liveness/core/agreement.hpp>
#include <liveness/heartbeat.hpp>

#include "test_support.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace engine_agreement_test {

using namespace std::chrono_literals;
using liveness::error;
namespace core = liveness::core;
namespace codec = liveness::codec;
namespace engine = liveness::engine;
using lp_engine = engine::session_engine<codec::length_prefixed>;

// The pair: a client that pings every 50 ms, a server that accepts one per 200 ms.
inline core::ping_pong_options fast_client(bool hello) {
  core::ping_pong_options o;
  o.interval = 50ms;
  o.timeout = 1s;
  o.min_ping_interval = 50ms;  // at most its interval (validate)
  o.hello = hello;
  return o;
}
inline core::ping_pong_options strict_server(bool hello) {
  core::ping_pong_options o;
  o.interval = 1s;
  o.timeout = 1s;
  o.min_ping_interval = 200ms;
  o.hello = hello;
  return o;
}

// A frame as the length-prefixed codec writes it.
inline std::string frame(std::uint8_t type, std::string_view payload) {
  std::string out(5, '\0');
  const auto n = static_cast<std::uint32_t>(payload.size());
  out[0] = static_cast<char>(n >> 24);
  out[1] = static_cast<char>(n >> 16);
  out[2] = static_cast<char>(n >> 8);
  out[3] = static_cast<char>(n);
  out[4] = static_cast<char>(type);
  return out + std::string(payload);
}
inline std::string lp_ping() { return frame(0x01, {}); }
inline std::string lp_pong() { return frame(0x02, {}); }

// What a stream of length-prefixed frames holds: pongs by payload kind, pings, errors.
struct seen {
  int pings = 0;
  int plain_pongs = 0;
  int hellos = 0;
  int notices = 0;
  std::vector<core::hello_values> hello_values;
  liveness::error_code ec;
};
struct seen_handler {
  seen& s;
  void on_message_begin() {}
  void on_data(const char*, std::size_t) {}
  void on_message_end() {}
  void on_ping(const char*, std::size_t) { ++s.pings; }
  void on_pong(const char* p, std::size_t n) {
    const auto f = core::parse_agreement(p, n);
    if (f.kind == core::agreement_kind::hello) {
      ++s.hellos;
      s.hello_values.push_back(f.hello);
    } else if (f.kind == core::agreement_kind::too_many_pings) {
      ++s.notices;
    } else {
      ++s.plain_pongs;
    }
  }
};
inline seen decode(std::string_view bytes) {
  seen s;
  codec::length_prefixed_decoder d;
  s.ec = d.feed(bytes.data(), bytes.size(), seen_handler{s});
  return s;
}

// Two engines back to back on one manual clock, bytes delivered at once (each write is one
// read of the other end). `a` is the client, `b` the server.
struct pair {
  core::manual_clock clock;
  lp_engine a;
  lp_engine b;
  std::string a_wrote, b_wrote;  // everything each end wrote

  pair(const core::ping_pong_options& client, const core::ping_pong_options& server)
      : a(core::detector(client, liveness::role::client, clock.now()),
          codec::length_prefixed_options{}, engine::limits{}, clock.now()),
        b(core::detector(server, liveness::role::server, clock.now()),
          codec::length_prefixed_options{}, engine::limits{}, clock.now()) {
    flush();
  }

  // Writes what either end wants until neither wants more.
  void flush() {
    for (bool more = true; more;) {
      more = false;
      more |= move(a, b, a_wrote);
      more |= move(b, a, b_wrote);
    }
  }
  bool move(lp_engine& from, lp_engine& to, std::string& log) {
    if (from.dead() || to.dead()) return false;
    const std::string out(from.take_heartbeats());
    if (out.empty()) return false;
    log += out;
    from.on_heartbeats_written(clock.now(), out.size());
    to.on_received(clock.now(), out.data(), out.size());
    return true;
  }

  // Runs until `until` or a death: each end is evaluated at its deadlines.
  void run_until(core::time_point until) {
    while (!a.dead() && !b.dead()) {
      auto next = core::time_point::max();
      if (auto t = a.next_deadline()) next = std::min(next, *t);
      if (auto t = b.next_deadline()) next = std::min(next, *t);
      if (next > until) break;
      clock.advance_to(next);
      a.on_time(clock.now());
      b.on_time(clock.now());
      flush();
    }
    if (!a.dead() && !b.dead()) clock.advance_to(until);
  }
};

// ---- the payloads -----------------------------------------------------------------------

TEST_CASE("agreement: the hello payload round-trips and rounds up to whole milliseconds",
          "[agreement]") {
  core::hello_values v;
  v.interval = 50ms;
  v.timeout = 1500us;  // 1.5 ms -> 2 ms: never sooner than promised
  v.min_ping_interval = 200ms;
  v.pings = true;
  const auto p = core::encode_hello(v);
  REQUIRE(p.size == core::hello_payload_size);
  CHECK(std::string(p.data(), 4) == std::string("LVH\x01", 4));
  const auto f = core::parse_agreement(p.data(), p.size);
  REQUIRE(f.kind == core::agreement_kind::hello);
  CHECK(f.hello.interval == 50ms);
  CHECK(f.hello.timeout == 2ms);
  CHECK(f.hello.min_ping_interval == 200ms);
  CHECK(f.hello.pings);

  // Longer than 49.7 days is "never"; a later version may append fields.
  v.timeout = core::duration::max();
  v.pings = false;
  auto q = core::encode_hello(v);
  std::string longer(q.data(), q.size);
  longer += "future";
  const auto g = core::parse_agreement(longer.data(), longer.size());
  REQUIRE(g.kind == core::agreement_kind::hello);
  CHECK(g.hello.timeout == core::duration::max());
  CHECK_FALSE(g.hello.pings);

  const auto t = core::encode_too_many_pings();
  CHECK(core::parse_agreement(t.data(), t.size).kind == core::agreement_kind::too_many_pings);
}

TEST_CASE("agreement: other pong payloads are ordinary pongs never errors", "[agreement]") {
  const auto p = core::encode_hello({});
  for (std::size_t n = 0; n < p.size; ++n)  // a hello cut short
    CHECK(core::parse_agreement(p.data(), n).kind == core::agreement_kind::none);
  CHECK(core::parse_agreement(nullptr, 0).kind == core::agreement_kind::none);
  CHECK(core::parse_agreement("LVH\x02xxxxxxxxxxxxxxxx", 17).kind == core::agreement_kind::none);
  CHECK(core::parse_agreement("LVX\x01", 4).kind == core::agreement_kind::none);
  CHECK(core::parse_agreement("nonce-1234", 10).kind == core::agreement_kind::none);
}

TEST_CASE("agreement: the hello and the notice are pongs to a decoder that knows nothing of "
          "them",
          "[agreement]") {
  // What liveness 0.2's session does with a pong: count it, whatever its payload. Its
  // decoder is this one (unchanged): an unknown frame type would end the stream.
  const auto h = core::encode_hello({});
  const auto t = core::encode_too_many_pings();
  const auto f1 = codec::length_prefixed_encoder().pong(h.data(), h.size);
  const auto f2 = codec::length_prefixed_encoder().pong(t.data(), t.size);
  const std::string bytes = std::string(f1.data(), f1.size()) + std::string(f2.data(), f2.size());
  struct counter {
    int pongs = 0, others = 0;
    void on_message_begin() { ++others; }
    void on_data(const char*, std::size_t) { ++others; }
    void on_message_end() { ++others; }
    void on_ping(const char*, std::size_t) { ++others; }
    void on_pong(const char*, std::size_t) { ++pongs; }
  } c;
  codec::length_prefixed_decoder d;
  CHECK_FALSE(d.feed(bytes.data(), bytes.size(), c));
  CHECK(c.pongs == 2);
  CHECK(c.others == 0);
  CHECK(f1.size() == 22);  // the hello's cost on the wire
  // An unknown frame type is what would not do.
  const std::string unknown = frame(0x03, "x");
  codec::length_prefixed_decoder d2;
  CHECK(d2.feed(unknown.data(), unknown.size(), c) == error::protocol_error);
}

// ---- the hello -------------------------------------------------------------------------

TEST_CASE("agreement: an end with hello on sends it first and once and off sends none",
          "[agreement]") {
  core::manual_clock clock;
  lp_engine on(core::detector(strict_server(true), liveness::role::server, clock.now()), {}, {},
               clock.now());
  const std::string out(on.take_heartbeats());
  const seen s = decode(out);
  REQUIRE(s.hellos == 1);
  CHECK(s.plain_pongs + s.pings + s.notices == 0);
  CHECK(s.hello_values[0].interval == 1s);
  CHECK(s.hello_values[0].timeout == 1s);
  CHECK(s.hello_values[0].min_ping_interval == 200ms);
  CHECK(s.hello_values[0].pings);  // ping_role::both
  on.on_heartbeats_written(clock.now(), out.size());
  CHECK(on.take_heartbeats().empty());
  CHECK(on.detector().stats().pongs_sent == 0);  // a hello is no answer

  lp_engine off(core::detector(strict_server(false), liveness::role::server, clock.now()), {},
                {}, clock.now());
  CHECK(off.take_heartbeats().empty());

  // The flood guard off accepts any rate, and says so.
  auto open = strict_server(true);
  open.max_ping_strikes = 0;
  lp_engine any(core::detector(open, liveness::role::server, clock.now()), {}, {}, clock.now());
  CHECK(decode(any.take_heartbeats()).hello_values.at(0).min_ping_interval == 0ms);

  // A codec that cannot carry it sends none, whatever the option says.
  engine::session_engine<codec::line> line(
      core::detector(strict_server(true), liveness::role::server, clock.now()),
      codec::line_options{}, {}, clock.now());
  CHECK(line.take_heartbeats().empty());
}

TEST_CASE("agreement: with the hello a 50 ms pinger meets a 200 ms server without one "
          "strike over 10 s",
          "[agreement]") {
  pair p(fast_client(true), strict_server(true));
  const auto t0 = p.clock.now();
  p.run_until(t0 + 10s);
  INFO("client pings " << p.a.detector().stats().pings_sent);
  CHECK_FALSE(p.a.dead());
  CHECK_FALSE(p.b.dead());
  const auto& c = p.a.detector().stats();
  const auto& s = p.b.detector().stats();
  CHECK(c.ping_interval == 200ms);  // max(own 50 ms, the server's 200 ms)
  REQUIRE(c.peer_hello);
  CHECK(c.peer_hello->min_ping_interval == 200ms);
  CHECK(c.ping_interval_backoffs == 0);
  CHECK(c.agreement_clamped == 0);
  CHECK(s.ping_strikes == 0);
  CHECK(s.too_many_pings_sent == 0);
  // One ping per 200 ms: the link is used as the server allows, no more.
  CHECK(c.pings_sent >= 45);
  CHECK(c.pings_sent <= 50);
  CHECK(c.pongs_received >= c.pings_sent - 1);
}

TEST_CASE("agreement: without the hello the notice and two doublings settle the pair",
          "[agreement]") {
  // Hello off on the server: whether the client sends one or not, nothing is agreed.
  for (const bool client_hello : {false, true}) {
    INFO("client hello " << client_hello);
    pair p(fast_client(client_hello), strict_server(false));
    const auto t0 = p.clock.now();
    p.run_until(t0 + 10s);
    CHECK_FALSE(p.a.dead());
    CHECK_FALSE(p.b.dead());
    const auto& c = p.a.detector().stats();
    const auto& s = p.b.detector().stats();
    // 50 -> 100 -> 200 ms: two notices, each on the pong of a strike, then no strike.
    CHECK(c.ping_interval == 200ms);
    CHECK(c.ping_interval_backoffs == 2);
    CHECK(c.too_many_pings_received == 2);
    CHECK(s.too_many_pings_sent == 2);
    CHECK(s.ping_strikes == 0);  // cleared by the first ping at the accepted pace
    const seen from_server = decode(p.b_wrote);
    CHECK(from_server.notices == 2);
    CHECK(from_server.hellos == 0);
    // Each notice was the answer to a ping: no frame more than without the feature.
    CHECK(from_server.plain_pongs + from_server.notices ==
          static_cast<int>(s.pongs_sent));
  }
}

TEST_CASE("agreement: a peer that ignores the notice is still cut off with ping_flood",
          "[agreement]") {
  // A 0.2 end (it takes the notice for a pong): too_many_pings off.
  auto client = fast_client(false);
  client.too_many_pings = false;
  pair p(client, strict_server(false));
  p.run_until(p.clock.now() + 10s);
  REQUIRE(p.b.dead());
  CHECK(p.b.reason() == error::ping_flood);
  CHECK(p.a.detector().stats().ping_interval == 50ms);
  CHECK(p.a.detector().stats().too_many_pings_received == 3);
  // One notice per tolerated strike (max_ping_strikes), then the cut.
  CHECK(p.b.detector().stats().too_many_pings_sent == 3);
  CHECK(decode(p.b_wrote).notices == 3);
}

TEST_CASE("agreement: a raw flooder gets one notice per strike and is cut off", "[agreement]") {
  core::manual_clock clock;
  lp_engine server(core::detector(strict_server(false), liveness::role::server, clock.now()), {},
                   {}, clock.now());
  std::string wrote;
  int pings = 0;
  while (!server.dead() && pings < 100) {
    clock.advance(10ms);
    server.on_received(clock.now(), lp_ping().data(), lp_ping().size());
    ++pings;
    const std::string out(server.take_heartbeats());
    wrote += out;
    if (!out.empty()) server.on_heartbeats_written(clock.now(), out.size());
  }
  CHECK(server.reason() == error::ping_flood);
  CHECK(pings == 5);  // the first ping, 3 strikes tolerated, the 4th ends it
  const seen s = decode(wrote);
  CHECK(s.plain_pongs == 1);  // the first ping's
  CHECK(s.notices == 3);
}

TEST_CASE("agreement: a notice for a coalesced ping rides on the pong still owed or goes "
          "alone",
          "[agreement]") {
  core::manual_clock clock;
  lp_engine server(core::detector(strict_server(false), liveness::role::server, clock.now()), {},
                   {}, clock.now());
  // First ping: a pong is owed, and not yet written when the strike comes.
  server.on_received(clock.now(), lp_ping().data(), lp_ping().size());
  clock.advance(10ms);
  server.on_received(clock.now(), lp_ping().data(), lp_ping().size());
  std::string out(server.take_heartbeats());
  seen s = decode(out);
  CHECK(s.notices == 1);
  CHECK(s.plain_pongs == 0);  // the owed pong carries it: one frame
  server.on_heartbeats_written(clock.now(), out.size());
  // The pong is being written when the next strike comes: the notice goes on its own.
  clock.advance(10ms);
  server.on_received(clock.now(), lp_ping().data(), lp_ping().size());  // answered: pong owed
  const std::string second(server.take_heartbeats());
  clock.advance(10ms);
  server.on_received(clock.now(), lp_ping().data(), lp_ping().size());  // coalesced
  server.on_heartbeats_written(clock.now(), second.size());
  s = decode(second + std::string(server.take_heartbeats()));
  CHECK(s.notices == 2);
  CHECK(s.plain_pongs == 0);
  CHECK(server.detector().stats().too_many_pings_sent == 3);
}

TEST_CASE("agreement: the answer budget warns a flooder that sends data between its pings",
          "[agreement]") {
  auto o = strict_server(false);
  o.min_ping_interval = 100ms;
  o.max_ping_strikes = 3;  // ping_burst() 64; data between pings: no strikes, the budget alone
  core::detector d(o, liveness::role::server, core::manual_clock::default_start);
  auto now = core::manual_clock::default_start;
  int answered = 0, warned_at = -1;
  for (int i = 0; i < 200 && !d.is_dead(); ++i) {
    now += 10ms;
    d.on_data_received(now);  // data between pings: never a strike
    if (d.on_ping_received(now)) {
      ++answered;
      d.on_pong_sent(now);
    }
    if (d.take_too_many_pings() && warned_at < 0) warned_at = answered;
  }
  CHECK(d.is_dead());
  CHECK(d.reason() == error::ping_flood);
  // Warned once half the burst (64) was spent, long before the cut.
  CHECK(warned_at > 30);
  CHECK(warned_at < 40);
  CHECK(d.stats().ping_strikes == 0);
}

// ---- the doubling rule and its cap --------------------------------------------------------

TEST_CASE("agreement: each notice doubles the interval up to max(interval timeout)",
          "[agreement]") {
  auto o = fast_client(false);
  o.timeout = 120ms;
  REQUIRE(o.max_agreed_interval() == 120ms);
  core::manual_clock clock;
  core::detector d(o, liveness::role::client, clock.now());
  CHECK(d.stats().ping_interval == 50ms);
  d.on_too_many_pings_received(clock.now());
  CHECK(d.ping_interval() == 100ms);
  d.on_too_many_pings_received(clock.now());
  CHECK(d.ping_interval() == 120ms);  // capped
  d.on_too_many_pings_received(clock.now());
  CHECK(d.ping_interval() == 120ms);
  CHECK(d.stats().ping_interval_backoffs == 2);
  CHECK(d.stats().agreement_clamped == 1);
  CHECK(d.stats().too_many_pings_received == 3);
  // The next ping follows the new interval.
  const auto p = d.poll(clock.now());
  CHECK(p.kind == core::action::none);
  CHECK(*d.next_deadline() == clock.now() + 120ms);
  // A new connection starts from the options again.
  d.reset(clock.now());
  CHECK(d.ping_interval() == 50ms);
  CHECK(d.stats().ping_interval_backoffs == 0);

  // With too_many_pings off the notice is counted and nothing else.
  o.too_many_pings = false;
  core::detector off(o, liveness::role::client, clock.now());
  off.on_too_many_pings_received(clock.now());
  CHECK(off.ping_interval() == 50ms);
  CHECK(off.stats().too_many_pings_received == 1);
  // An end that does not ping has no interval to change.
  auto answer = fast_client(false);
  answer.pinger = core::ping_role::answer_only;
  core::detector quiet(answer, liveness::role::client, clock.now());
  quiet.on_too_many_pings_received(clock.now());
  CHECK(quiet.ping_interval() == 50ms);
  CHECK(quiet.stats().ping_interval_backoffs == 0);
}

TEST_CASE("agreement: a pinger whose cap is below the peer's pace keeps its bound and is cut "
          "off",
          "[agreement]") {
  auto client = fast_client(false);
  client.timeout = 120ms;  // may slow down to 120 ms, not to 200 ms
  pair p(client, strict_server(false));
  p.run_until(p.clock.now() + 10s);
  REQUIRE(p.b.dead());
  CHECK(p.b.reason() == error::ping_flood);
  CHECK(p.a.detector().stats().ping_interval == 120ms);
  CHECK(p.a.detector().stats().agreement_clamped >= 1);

  // The same with the hello: clamped at once, and reported.
  client.hello = true;
  pair q(client, strict_server(true));
  CHECK(q.a.detector().stats().ping_interval == 120ms);
  CHECK(q.a.detector().stats().agreement_clamped == 1);
}

TEST_CASE("agreement: an end that does not ping waits as long as the peer's hello promises "
          "within its own bound",
          "[agreement]") {
  // The client pings every 5 s and waits 1 s: it speaks at least every 6 s. The server
  // does not ping (ping_role::client) and alone would wait interval + timeout = 4 s.
  core::ping_pong_options client;
  client.interval = 5s;
  client.timeout = 1s;
  client.pinger = core::ping_role::client;
  core::ping_pong_options server;
  server.interval = 1s;
  server.timeout = 3s;
  server.pinger = core::ping_role::client;
  REQUIRE(server.agreed_detection_bound() == 6s);

  SECTION("with the hello: 6 s, and the pair stays up") {
    client.hello = server.hello = true;
    pair p(client, server);
    CHECK(p.b.detector().stats().peer_silence_limit == 6s);
    CHECK(p.b.detector().stats().agreement_clamped == 0);
    p.run_until(p.clock.now() + 30s);
    CHECK_FALSE(p.a.dead());
    CHECK_FALSE(p.b.dead());
    CHECK(p.a.detector().stats().pings_sent >= 5);
  }
  SECTION("without it: the server times the client out at 4 s") {
    pair p(client, server);
    CHECK(p.b.detector().stats().peer_silence_limit == 4s);
    const auto t0 = p.clock.now();
    p.run_until(t0 + 30s);
    REQUIRE(p.b.dead());
    CHECK(p.b.reason() == error::heartbeat_timeout);
    CHECK(p.clock.now() - t0 == 4s);
  }
  SECTION("a promise beyond the bound is clamped to it and reported") {
    client.interval = 9s;
    client.hello = server.hello = true;
    pair p(client, server);
    CHECK(p.b.detector().stats().peer_silence_limit == 6s);  // not 10 s
    CHECK(p.b.detector().stats().agreement_clamped == 1);
  }
}

TEST_CASE("agreement: hello off ignores the peer's hello as a plain pong", "[agreement]") {
  pair p(fast_client(false), strict_server(true));  // only the server says hello
  CHECK_FALSE(p.a.detector().stats().peer_hello);
  CHECK(p.a.detector().stats().ping_interval == 50ms);
  CHECK(p.a.detector().stats().pongs_received == 1);  // counted as the pong it is
  CHECK_FALSE(p.b.detector().stats().peer_hello);     // the client sent none
}

// ---- the detection bound ----------------------------------------------------------------

TEST_CASE("agreement: the detection bound says how far agreement may stretch it",
          "[agreement]") {
  auto o = core::ping_pong_options::aggressive();  // 2 s + 3 s
  CHECK(o.detection_bound() == 5s);
  CHECK(o.max_agreed_interval() == 3s);
  CHECK(o.agreed_detection_bound() == 6s);  // too_many_pings is on by default
  o.too_many_pings = false;
  CHECK(o.agreed_detection_bound() == 5s);
  o.hello = true;
  CHECK(o.agreed_detection_bound() == 6s);

  // interval >= timeout (every within() result, the standard preset): no stretch at all.
  const auto s = core::ping_pong_options::standard();
  CHECK(s.agreed_detection_bound() == s.detection_bound());

  // The detector, from the policy: a codec without agreement frames cannot stretch it.
  using lp = liveness::heartbeat::ping_pong<codec::length_prefixed>;
  using line = liveness::heartbeat::ping_pong<codec::line>;
  const auto now = core::manual_clock::default_start;
  CHECK(lp::make_detector(lp::options::aggressive(), liveness::role::client, now)
            .detection_bound() == 6s);
  CHECK(line::make_detector(line::options::aggressive(), liveness::role::client, now)
            .detection_bound() == 5s);
  CHECK(core::detector(core::idle_timeout_options{}, now).detection_bound() == 60s);
  CHECK(core::detector(now).detection_bound() == core::duration::max());
}

}  // namespace engine_agreement_test
