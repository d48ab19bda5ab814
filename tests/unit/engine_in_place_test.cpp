// The engine's direct read (session_engine::on_received_in_place), with a manual clock: the
// bytes of a read made straight into the application's buffer are decoded there, the user
// bytes end up at the front in stream order, heartbeats and frame headers never among them,
// and what cannot stay in the buffer goes to the inbox after them. No socket, no sleep; the
// socket-level cases are in session_direct_read_test.cpp.
#include <liveness/engine/session_engine.hpp>

#include <liveness/codec/length_prefixed.hpp>
#include <liveness/codec/line.hpp>
#include <liveness/codec/raw.hpp>

#include <catch2/catch.hpp>

#include "loopback.hpp"  // liveness_test::lp_frame

#include <chrono>
#include <string>
#include <string_view>

namespace engine_in_place_test {

using namespace std::chrono_literals;
namespace core = liveness::core;
namespace codec = liveness::codec;
namespace engine = liveness::engine;

core::ping_pong_options heartbeat() {
  core::ping_pong_options o;
  o.interval = 1s;
  o.timeout = 1s;
  return o;
}

template <class Codec>
struct rig {
  core::manual_clock clock;
  engine::session_engine<Codec> e;

  explicit rig(typename Codec::options co = Codec::options::standard())
      : e(core::detector(heartbeat(), liveness::role::client, clock.now()), co, engine::limits{},
          clock.now()) {}

  // One read of `bytes` into an application buffer of their size: what the application gets
  // (the user bytes at the front of its buffer).
  std::string read(std::string_view bytes, engine::actions* a = nullptr) {
    std::string buffer(bytes);
    std::size_t delivered = 99999;
    const auto acts = e.on_received_in_place(clock.now(), buffer.data(), buffer.size(), delivered);
    if (a) *a = acts;
    REQUIRE(delivered <= buffer.size());
    return buffer.substr(0, delivered);
  }
  std::string held() const { return std::string(e.inbox().data(), e.inbox().held()); }
};

std::string lp(std::uint8_t type, std::string_view payload) {
  return liveness_test::lp_frame(type, std::string(payload));
}

TEST_CASE("engine in place: length_prefixed headers and heartbeats are stripped in the "
          "application's buffer",
          "[engine][in_place]") {
  rig<codec::length_prefixed> r;
  engine::actions a;
  const std::string got =
      r.read(lp(0x01, "") + lp(0x80, "hello ") + lp(0x02, "") + lp(0x00, "world") +
                 lp(0x00, "") + lp(0x00, "!"),
             &a);
  CHECK(got == "hello world!");
  CHECK(r.e.inbox().held() == 0);
  CHECK_FALSE(r.e.inbox().message_ready());  // boundaries of bytes read are passed
  CHECK_FALSE(a.shut_down);
  CHECK(r.e.detector().stats().pings_received == 1);
  CHECK(r.e.take_heartbeats() == std::string_view(lp(0x02, "")));  // the pong owed
}

TEST_CASE("engine in place: a frame split across reads and a heartbeat straddling two "
          "reads",
          "[engine][in_place]") {
  rig<codec::length_prefixed> r;
  const std::string stream = lp(0x00, "abc") + lp(0x01, "xy") + lp(0x00, "defg");
  std::string got;
  // Every cut of the stream into two reads.
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    rig<codec::length_prefixed> each;
    got = each.read(stream.substr(0, cut));
    got += each.read(stream.substr(cut));
    CHECK(got == "abcdefg");
    CHECK(each.e.inbox().held() == 0);
    CHECK(each.e.detector().stats().pings_received == 1);
  }
  // A message read afterwards still sees its own boundaries.
  CHECK(r.read(lp(0x80, "ab")) == "ab");
  CHECK(r.e.on_received(r.clock.now(), lp(0x00, "c").data(), 6).shut_down == false);
  REQUIRE(r.e.inbox().message_ready());
  CHECK(r.e.inbox().message_size() == 1);
  CHECK(r.held() == "c");
}

TEST_CASE("engine in place: line heartbeats are stripped, a line that looked like one "
          "stays whole",
          "[engine][in_place]") {
  rig<codec::line> r;
  CHECK(r.read("abc\nPING\nPIX\nPONG\r\nxyz\n") == "abc\nPIX\nxyz\n");
  CHECK(r.e.inbox().held() == 0);
  CHECK(r.e.detector().stats().pings_received == 1);
  CHECK(r.e.take_heartbeats() == "PONG\n");
}

TEST_CASE("engine in place: a line heartbeat straddling two reads, at every cut",
          "[engine][in_place]") {
  const std::string stream = "one\nPING\ntwo\nPINGS\nthree\n";
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    rig<codec::line> r;
    std::string got = r.read(stream.substr(0, cut));
    got += r.held();
    r.e.consume(r.clock.now(), r.e.inbox().held());
    got += r.read(stream.substr(cut));
    got += r.held();
    CHECK(got == "one\ntwo\nPINGS\nthree\n");
    CHECK(r.e.detector().stats().pings_received == 1);
  }
}

TEST_CASE("engine in place: bytes held back from an earlier read that no longer fit go to "
          "the inbox after the ones in the buffer",
          "[engine][in_place]") {
  rig<codec::line> r;
  CHECK(r.read("PIN").empty());  // a heartbeat candidate, held back
  engine::actions a;
  // "PIN" then "X\n": the held bytes do not fit before the read's own bytes.
  CHECK(r.read("X\n", &a).empty());
  CHECK(r.held() == "PINX\n");
  CHECK(a.wake_readers);
  // Whatever part stays in the buffer, the held text goes first, in order.
  rig<codec::line> r2;
  CHECK(r2.read("ab\nPO") == "ab\n");
  const std::string got = r2.read("NGO ok\n");
  CHECK(got + r2.held() == "PONGO ok\n");
}

TEST_CASE("engine in place: the inbox holding bytes keeps the order: the read goes to the "
          "inbox",
          "[engine][in_place]") {
  rig<codec::raw> r;
  r.e.on_received(r.clock.now(), "first", 5);
  CHECK(r.read("second").empty());
  CHECK(r.held() == "firstsecond");
}

TEST_CASE("engine in place: a decoding error delivers the bytes before it and kills the "
          "session",
          "[engine][in_place]") {
  rig<codec::length_prefixed> r;
  engine::actions a;
  CHECK(r.read(lp(0x00, "ok") + lp(0x07, "bad"), &a) == "ok");
  CHECK(a.shut_down);
  CHECK(r.e.dead());
  CHECK(r.e.reason() == liveness::error::protocol_error);
}

TEST_CASE("engine in place: which reads may go straight into the application's buffer",
          "[engine][in_place]") {
  rig<codec::raw> raw;
  CHECK(raw.e.reads_in_place(1));
  rig<codec::length_prefixed> lp_rig;
  CHECK(lp_rig.e.reads_in_place(1));
  lp_rig.e.set_message_read_pending(lp_rig.clock.now(), true);
  CHECK_FALSE(lp_rig.e.reads_in_place(1 << 20));  // a message read takes the inbox
  rig<codec::line> newline;
  CHECK(newline.e.reads_in_place(1));
  // Bare framing: a heartbeat is a whole read, so a read smaller than the session's own
  // would cut heartbeats into user data.
  rig<codec::line> bare(codec::line_options::msgtest_ok());
  CHECK_FALSE(bare.e.reads_in_place(3));
  CHECK(bare.e.reads_in_place(engine::session_engine<codec::line>::in_place_min_read));
}

}  // namespace engine_in_place_test
