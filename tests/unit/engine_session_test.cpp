// The session's rules, tested on the sans-I/O engine with a manual clock: no socket, no
// sleep. Each case states a fact sequence and the actions, frames and deadlines a user of
// the session relies on. The socket-level session tests keep the plumbing.
#include <liveness/engine/session_engine.hpp>

#include <liveness/codec/length_prefixed.hpp>
#include <liveness/codec/line.hpp>
#include <liveness/codec/raw.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace engine_session_test {

namespace {

using namespace std::chrono_literals;
using liveness::error;
using liveness::make_error_code;
namespace core = liveness::core;
namespace codec = liveness::codec;
namespace engine = liveness::engine;

core::ping_pong_options heartbeat(core::duration interval = 1s, core::duration timeout = 1s) {
  core::ping_pong_options o;
  o.interval = interval;
  o.timeout = timeout;
  return o;
}

template <class Codec>
struct rig {
  core::manual_clock clock;
  engine::session_engine<Codec> e;

  explicit rig(const core::ping_pong_options& hb = heartbeat(), engine::limits l = {},
               typename Codec::options co = Codec::options::standard(),
               liveness::role side = liveness::role::client)
      : e(core::detector(hb, side, clock.now()), co, l, clock.now()) {}

  // Moves the clock to the engine's next deadline and evaluates there.
  engine::actions tick() {
    const auto next = e.next_deadline();
    REQUIRE(next);
    clock.advance_to(*next);
    return e.on_time(clock.now());
  }
  engine::actions feed(std::string_view bytes) {
    return e.on_received(clock.now(), bytes.data(), bytes.size());
  }
  // Takes the wanted heartbeats and reports them written at once.
  std::string write_heartbeats() {
    const std::string out(e.take_heartbeats());
    if (!out.empty()) e.on_heartbeats_written(clock.now(), out.size());
    return out;
  }
};

std::string lp_ping() {
  const auto f = codec::length_prefixed_encoder().ping();
  return std::string(f.data(), f.size());
}
std::string lp_pong() {
  const auto f = codec::length_prefixed_encoder().pong();
  return std::string(f.data(), f.size());
}
std::string lp_message(std::string_view payload, bool more = false) {
  const auto h = codec::length_prefixed_encoder().data_header(payload.size(), more);
  return std::string(h.begin(), h.end()) + std::string(payload);
}

}  // namespace

TEST_CASE("engine: a silent peer is pinged after interval and dead timeout after the ping",
          "[engine]") {
  rig<codec::length_prefixed> r;
  const auto t0 = r.clock.now();
  REQUIRE(*r.e.next_deadline() == t0 + 1s);
  CHECK_FALSE(r.tick().shut_down);
  CHECK(r.write_heartbeats() == lp_ping());
  CHECK(r.e.detector().stats().pings_sent == 1);
  REQUIRE(*r.e.next_deadline() == t0 + 2s);
  const auto a = r.tick();
  CHECK(a.shut_down);
  CHECK(r.e.dead());
  CHECK(r.e.reason() == error::heartbeat_timeout);
  CHECK_FALSE(r.e.wants_read());
  CHECK_FALSE(r.e.next_deadline());
}

TEST_CASE("engine: the peer's pong settles the ping and its pings are answered", "[engine]") {
  rig<codec::length_prefixed> r;
  r.tick();
  CHECK(r.write_heartbeats() == lp_ping());
  r.clock.advance(300ms);
  CHECK_FALSE(r.feed(lp_pong()).shut_down);
  CHECK(r.e.detector().stats().pongs_received == 1);
  CHECK_FALSE(r.e.detector().ping_outstanding());
  r.clock.advance(100ms);
  r.feed(lp_ping());
  CHECK(r.write_heartbeats() == lp_pong());
  CHECK_FALSE(r.e.dead());
}

TEST_CASE("engine: the ping timeout counts from the real write, not from the decision",
          "[engine]") {
  rig<codec::length_prefixed> r;
  codec::chunk_header h;
  const std::string data(10, 'x');
  // A user chunk holds the writer when the ping falls due.
  CHECK(r.e.begin_user_chunk(data.data(), data.size(), false, h) == 10);
  CHECK(h.size == 5);
  CHECK(r.e.writer_busy());
  r.tick();
  CHECK(r.e.take_heartbeats().empty());  // the writer is busy: the ping waits
  r.clock.advance(700ms);
  const auto a = r.e.on_user_written(r.clock.now(), 15, false);
  CHECK(a.wake_writers);
  CHECK(r.write_heartbeats() == lp_ping());
  // Written 700 ms after the decision: the timeout ends 1 s after the write.
  CHECK(*r.e.next_deadline() == r.clock.now() + 1s);
}

TEST_CASE("engine: a peer flooding pings is cut off with ping_flood", "[engine]") {
  rig<codec::length_prefixed> r;
  engine::actions a;
  for (int i = 0; i < 10 && !a.shut_down; ++i) {
    r.clock.advance(1ms);
    a = r.feed(lp_ping());
    r.write_heartbeats();
  }
  CHECK(a.shut_down);
  CHECK(r.e.reason() == error::ping_flood);
}

TEST_CASE("engine: user data between pings is no strike", "[engine]") {
  rig<codec::length_prefixed> r;
  for (int i = 0; i < 10; ++i) {
    r.clock.advance(1ms);
    r.feed(lp_message("x"));
    CHECK_FALSE(r.feed(lp_ping()).shut_down);
    r.write_heartbeats();
  }
  CHECK_FALSE(r.e.dead());
}

TEST_CASE("engine: receiving data without writing sends a progress pong after interval",
          "[engine]") {
  rig<codec::length_prefixed> r;
  const auto t0 = r.clock.now();
  // The peer uploads; we never write. Every 400 ms a message arrives.
  std::string out;
  while (r.clock.now() < t0 + 1500ms && out.empty()) {
    r.clock.advance(400ms);
    r.feed(lp_message("data"));
    out = r.write_heartbeats();
  }
  CHECK(out == lp_pong());
  CHECK(r.clock.now() - t0 >= 1s);
}

TEST_CASE("engine: a write that waited for the peer's window keeps a ping from killing",
          "[engine]") {
  rig<codec::length_prefixed> r;
  r.tick();
  CHECK(r.write_heartbeats() == lp_ping());
  codec::chunk_header h;
  const std::string data(100, 'x');
  r.e.begin_user_chunk(data.data(), data.size(), false, h);
  r.e.on_user_write_waiting(r.clock.now());
  r.clock.advance(900ms);
  // The peer read our data (its window opened): it is alive; its pong is behind our data.
  r.e.on_user_written(r.clock.now(), 105, true);
  const auto a = r.tick();  // the ping's timeout
  CHECK_FALSE(a.shut_down);
  CHECK(r.e.detector().stats().consecutive_misses == 1);
  // The peer has been silent for more than interval: another ping goes out at once.
  CHECK(r.write_heartbeats() == lp_ping());
  CHECK(r.e.detector().stats().pings_sent == 2);
}

TEST_CASE("engine: our own half-written line holds the ping back and its timeout", "[engine]") {
  rig<codec::line> r;
  codec::chunk_header h;
  const std::string half = "half a line";
  CHECK(r.e.begin_user_chunk(half.data(), half.size(), false, h) == half.size());
  CHECK(h.size == 0);
  r.e.on_user_written(r.clock.now(), half.size(), false);
  // The ping falls due while our line is open: it may not split the line.
  for (int i = 0; i < 5; ++i) {
    CHECK_FALSE(r.tick().shut_down);
    CHECK(r.e.take_heartbeats().empty());
  }
  CHECK_FALSE(r.e.dead());
  // The line ends: the ping goes, and only now does its timeout run.
  const std::string rest = " ends\n";
  r.e.begin_user_chunk(rest.data(), rest.size(), false, h);
  r.e.on_user_written(r.clock.now(), rest.size(), false);
  CHECK(r.write_heartbeats() == "PING\n");
  CHECK(*r.e.next_deadline() == r.clock.now() + 1s);
  CHECK(r.tick().shut_down);
  CHECK(r.e.reason() == error::heartbeat_timeout);
}

TEST_CASE("engine: a full inbox pauses reading and counts as life", "[engine]") {
  engine::limits l;
  l.read_buffer_limit = 64;
  rig<codec::length_prefixed> r(heartbeat(), l);
  const auto a = r.feed(lp_message(std::string(100, 'x')));
  CHECK(a.wake_readers);
  CHECK_FALSE(r.e.wants_read());  // paused: the application does not read
  // The peer's pongs wait behind the data we do not read: no death for 10 s.
  for (int i = 0; i < 10; ++i) {
    r.clock.advance(1s);
    CHECK_FALSE(r.e.on_time(r.clock.now()).shut_down);
    r.write_heartbeats();
  }
  // The application reads: reading resumes.
  r.e.consume(r.clock.now(), r.e.inbox().held());
  CHECK(r.e.wants_read());
}

TEST_CASE("engine: a full inbox is no life once our write waited for the heartbeat timeout",
          "[engine]") {
  engine::limits l;
  l.read_buffer_limit = 64;
  rig<codec::length_prefixed> r(heartbeat(300ms, 500ms), l);
  r.feed(lp_message(std::string(100, 'x')));
  codec::chunk_header h;
  const std::string data(100, 'y');
  r.e.begin_user_chunk(data.data(), data.size(), false, h);
  r.e.on_user_write_waiting(r.clock.now());  // the peer takes nothing
  const auto t0 = r.clock.now();
  engine::actions a;
  while (!a.shut_down && r.clock.now() - t0 < 5s) {
    r.clock.advance(50ms);
    a = r.e.on_time(r.clock.now());
  }
  CHECK(a.shut_down);
  CHECK(r.e.reason() == error::heartbeat_timeout);
  // Not before the write had waited for the timeout, not long after it plus a heartbeat.
  CHECK(r.clock.now() - t0 >= 500ms);
  CHECK(r.clock.now() - t0 <= 1500ms);
}

TEST_CASE("engine: a message read needs the whole message within the limit", "[engine]") {
  engine::limits l;
  l.read_buffer_limit = 64;
  rig<codec::length_prefixed> r(heartbeat(), l);
  CHECK_FALSE(r.e.set_message_read_pending(r.clock.now(), true).shut_down);
  const auto a = r.feed(lp_message(std::string(40, 'x'), true) + lp_message(std::string(40, 'x'), true));
  CHECK(a.shut_down);
  CHECK(r.e.reason() == error::frame_too_large);
}

TEST_CASE("engine: each held message costs 8 bytes against the limit", "[engine]") {
  engine::limits l;
  l.read_buffer_limit = 80;
  rig<codec::length_prefixed> r(heartbeat(), l);
  std::string many;
  for (int i = 0; i < 10; ++i) many += lp_message("");
  r.feed(many);
  CHECK(r.e.inbox().messages_held() == 10);
  CHECK(r.e.inbox().held() == 0);
  CHECK(r.e.inbox().cost() == 80);
  CHECK_FALSE(r.e.wants_read());
  for (int i = 0; i < 10; ++i) {
    REQUIRE(r.e.inbox().message_ready());
    CHECK(r.e.inbox().message_size() == 0);
    r.e.consume_message(r.clock.now());
  }
  CHECK(r.e.wants_read());
}

TEST_CASE("engine: a line or frame that does not finish in time is a message_timeout",
          "[engine]") {
  engine::limits l;
  l.message_timeout = 2s;
  rig<codec::length_prefixed> r(heartbeat(10s, 10s), l);
  const std::string frame = lp_message("hello");
  r.feed(frame.substr(0, 3));  // a header begun
  REQUIRE(r.e.next_deadline());
  CHECK(*r.e.next_deadline() == r.clock.now() + 2s);
  r.clock.advance(1500ms);
  r.feed(frame.substr(3, 3));  // dripping does not restart it
  CHECK(*r.e.next_deadline() == r.clock.now() + 500ms);
  CHECK(r.tick().shut_down);
  CHECK(r.e.reason() == error::message_timeout);
}

TEST_CASE("engine: the first whole message must come within first_message_timeout",
          "[engine]") {
  engine::limits l;
  l.first_message_timeout = 3s;
  rig<codec::length_prefixed> r(heartbeat(10s, 10s), l);
  const auto t0 = r.clock.now();
  CHECK(*r.e.next_deadline() == t0 + 3s);
  CHECK(r.tick().shut_down);
  CHECK(r.e.reason() == error::message_timeout);

  rig<codec::length_prefixed> ok(heartbeat(10s, 10s), l);
  ok.clock.advance(1s);
  ok.feed(lp_message("hi"));
  CHECK(*ok.e.next_deadline() == t0 + 10s);  // only the heartbeat's deadline is left
}

TEST_CASE("engine: after the peer's FIN the session drains its writes then ends",
          "[engine]") {
  engine::limits l;
  l.close_linger = 2s;
  rig<codec::length_prefixed> r(heartbeat(), l);
  r.e.on_user_op_begin(true);  // the application writes its reply
  codec::chunk_header h;
  const std::string reply = "reply";
  r.e.begin_user_chunk(reply.data(), reply.size(), false, h);
  const auto a = r.e.on_eof(r.clock.now());
  CHECK(a.wake_readers);
  CHECK(a.evaluate_soon);
  CHECK_FALSE(a.shut_down);
  CHECK(r.e.read_closed());
  CHECK_FALSE(r.e.wants_read());
  CHECK_FALSE(r.e.on_time(r.clock.now()).shut_down);  // the write is in progress
  r.e.on_user_written(r.clock.now(), 10, false);
  CHECK(r.e.on_user_op_end(true).evaluate_soon);
  CHECK(r.e.on_time(r.clock.now()).shut_down);
  CHECK(r.e.reason() == error::peer_closed);
}

TEST_CASE("engine: the linger bounds a drain that never ends", "[engine]") {
  engine::limits l;
  l.close_linger = 2s;
  rig<codec::length_prefixed> r(heartbeat(), l);
  r.e.on_user_op_begin(true);
  r.e.on_eof(r.clock.now());
  CHECK(*r.e.next_deadline() == r.clock.now() + 2s);
  CHECK(r.tick().shut_down);
  CHECK(r.e.reason() == error::peer_closed);
}

TEST_CASE("engine: without linger the FIN ends the session at once", "[engine]") {
  engine::limits l;
  l.close_linger = core::duration::zero();
  rig<codec::length_prefixed> r(heartbeat(), l);
  r.feed(lp_message("last"));
  CHECK(r.e.on_eof(r.clock.now()).shut_down);
  CHECK(r.e.reason() == error::peer_closed);
  CHECK(r.e.inbox().message_ready());  // held data stays readable
}

TEST_CASE("engine: bad bytes end the session with the codec's reason", "[engine]") {
  rig<codec::length_prefixed> r;
  const std::string bad("\x00\x00\x00\x01\x7fx", 6);  // length 1, unknown type 0x7f
  CHECK(r.feed(bad).shut_down);
  CHECK(r.e.reason() == error::protocol_error);
}

TEST_CASE("engine: idle_timeout with the raw codec sees only inbound bytes", "[engine]") {
  core::manual_clock clock;
  core::idle_timeout_options o;
  o.timeout = 2s;
  engine::session_engine<codec::raw> e(core::detector(o, clock.now()), {}, {}, clock.now());
  codec::chunk_header h;
  const std::string data(100, 'x');
  CHECK(e.begin_user_chunk(data.data(), data.size(), false, h) == 100);
  CHECK(h.size == 0);
  e.on_user_written(clock.now(), 100, false);
  CHECK(e.take_heartbeats().empty());  // raw never writes heartbeats
  clock.advance(1500ms);
  e.on_received(clock.now(), "abc", 3);
  CHECK(e.inbox().held() == 3);
  clock.advance(1999ms);
  CHECK_FALSE(e.on_time(clock.now()).shut_down);
  clock.advance(1ms);
  CHECK(e.on_time(clock.now()).shut_down);
  CHECK(e.reason() == error::idle_timeout);
}

TEST_CASE("engine: close ends everything once and is not a death", "[engine]") {
  rig<codec::length_prefixed> r;
  CHECK(r.e.close().shut_down);
  CHECK_FALSE(r.e.close().shut_down);
  CHECK(r.e.closed());
  CHECK_FALSE(r.e.dead());
  CHECK_FALSE(r.e.wants_read());
  CHECK_FALSE(r.e.next_deadline());
  CHECK_FALSE(r.feed(lp_ping()).shut_down);  // facts after the end change nothing
  CHECK(r.e.take_heartbeats().empty());
}

TEST_CASE("engine: the codecs meet the Codec requirements", "[engine]") {
  STATIC_REQUIRE(codec::is_codec_v<codec::raw>);
  STATIC_REQUIRE(codec::is_codec_v<codec::line>);
  STATIC_REQUIRE(codec::is_codec_v<codec::length_prefixed>);
  STATIC_REQUIRE_FALSE(codec::is_codec_v<int>);
  STATIC_REQUIRE(codec::has_messages_v<codec::length_prefixed>);
  STATIC_REQUIRE_FALSE(codec::has_messages_v<codec::line>);
  STATIC_REQUIRE_FALSE(codec::has_messages_v<codec::raw>);
}

TEST_CASE("engine: pings at a decent pace are never strikes", "[engine]") {
  rig<codec::length_prefixed> r;
  for (int i = 0; i < 20; ++i) {
    r.clock.advance(150ms);  // above min_ping_interval (100 ms)
    CHECK_FALSE(r.feed(lp_ping()).shut_down);
    CHECK(r.write_heartbeats() == lp_pong());
  }
  CHECK(r.e.detector().stats().ping_strikes == 0);
  CHECK_FALSE(r.e.dead());
}

TEST_CASE("engine: a busy link carries no pings", "[engine]") {
  rig<codec::length_prefixed> r(heartbeat(200ms, 400ms));
  codec::chunk_header h;
  const std::string data = "tick";
  for (int i = 0; i < 100; ++i) {  // 2 s of traffic both ways, every 20 ms
    r.clock.advance(20ms);
    r.feed(lp_message(data));
    r.e.begin_user_chunk(data.data(), data.size(), false, h);
    r.e.on_user_written(r.clock.now(), 9, false);
    r.e.on_time(r.clock.now());
    CHECK(r.e.take_heartbeats().empty());
  }
  CHECK(r.e.detector().stats().pings_sent == 0);
  CHECK_FALSE(r.e.dead());
}

TEST_CASE("engine: an answer-only end that uploads stays alive through the peer's pings",
          "[engine]") {
  core::ping_pong_options o = heartbeat(100ms, 200ms);
  o.pinger = core::ping_role::server;  // we are the client: we only answer
  rig<codec::length_prefixed> r(o);
  codec::chunk_header h;
  const std::string data(19, 'u');
  for (int i = 0; i < 45; ++i) {  // 900 ms of upload, 19 bytes every 20 ms
    r.clock.advance(20ms);
    r.e.begin_user_chunk(data.data(), data.size(), false, h);
    r.e.on_user_written(r.clock.now(), 24, false);
    if (i % 5 == 4) {  // the peer pings every 100 ms; we answer
      r.feed(lp_ping());
      CHECK(r.write_heartbeats() == lp_pong());
    }
    CHECK_FALSE(r.e.on_time(r.clock.now()).shut_down);
  }
  CHECK(r.e.detector().stats().pings_sent == 0);
  CHECK_FALSE(r.e.dead());
}

TEST_CASE("engine: the Msgtest/OK preset serving a classic client that sends data",
          "[engine]") {
  // The session is the classic server; the client sends "BOOKING" every 100 ms and
  // answers each "Msgtest" with a bare "OK" in a read of its own.
  rig<codec::line> r(core::ping_pong_options::msgtest_ok(), {},
                     codec::line_options::msgtest_ok(), liveness::role::server);
  const auto t0 = r.clock.now();
  std::string to_client;
  std::size_t oks = 0;
  for (int step = 1; step <= 100; ++step) {  // 10 s
    r.clock.advance_to(t0 + step * 100ms);
    REQUIRE_FALSE(r.feed("BOOKING").shut_down);
    if (oks * 7 < to_client.size()) {  // a "Msgtest" came in the last step: answer it
      REQUIRE_FALSE(r.feed("OK").shut_down);
      ++oks;
    }
    REQUIRE_FALSE(r.e.on_time(r.clock.now()).shut_down);
    to_client += r.write_heartbeats();
  }
  // Every BOOKING arrives intact (not "BOING"), and no "OK" went into the data.
  const std::string received(r.e.inbox().data(), r.e.inbox().held());
  std::string expected;
  for (int i = 0; i < 100; ++i) expected += "BOOKING";
  CHECK(received == expected);
  // The client got a "Msgtest" every 2 s (the server hears data, so these are progress
  // pings) and never an unasked "OK".
  CHECK(to_client.find("OK") == std::string::npos);
  const auto& st = r.e.detector().stats();
  CHECK(st.pings_sent == 5);
  CHECK(st.progress_pings == 5);
  CHECK(st.pongs_received == oks);
  CHECK(st.progress_pongs == 0);
  CHECK(st.consecutive_misses == 0);
  CHECK(to_client.size() == 5 * 7);
}

TEST_CASE("engine: bare framing, a heartbeat is one whole on_received", "[engine]") {
  rig<codec::line> r(core::ping_pong_options::msgtest_ok(), {},
                     codec::line_options::msgtest_ok(), liveness::role::client);
  r.feed("BOOKING");
  r.feed("Msgtest");  // a read of its own: a ping, answered
  CHECK(r.e.detector().stats().pings_received == 1);
  CHECK(r.write_heartbeats() == "OK");
  r.feed("MsgtestMsgtest");  // two that coalesced: one read, one pong
  CHECK(r.e.detector().stats().pings_received == 3);
  CHECK(r.write_heartbeats() == "OK");
  r.feed("Msg");  // split across two reads: data, as the classic peer would take it
  r.feed("test");
  r.feed("xMsgtest");
  CHECK(r.e.detector().stats().pings_received == 3);
  CHECK(r.write_heartbeats().empty());
  CHECK(std::string(r.e.inbox().data(), r.e.inbox().held()) == "BOOKINGMsgtestxMsgtest");
}

}  // namespace engine_session_test
