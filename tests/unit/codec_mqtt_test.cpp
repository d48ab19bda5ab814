// Unit tests of liveness/codec/mqtt.hpp, and of the session engine running it: MQTT's
// remaining-length framing at every edge, hostile headers refused before any byte is held,
// PINGREQ / PINGRESP stripped at any split, and on the write side a ping never inside one
// of the application's packets. A manual clock, no sockets.
#include <liveness/codec/mqtt.hpp>

#include "mqtt_packets.hpp"
#include "test_support.hpp"

#include <liveness/engine/session_engine.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codec_mqtt_test {

namespace {

using namespace std::chrono_literals;
namespace codec = liveness::codec;
namespace core = liveness::core;
namespace engine = liveness::engine;
using liveness::error;

static_assert(codec::is_codec_v<codec::mqtt>, "codec::mqtt meets the Codec requirements");
static_assert(codec::has_messages_v<codec::mqtt>, "one message per MQTT packet");

using liveness_test::mqtt::packet;
using liveness_test::mqtt::pingreq;
using liveness_test::mqtt::pingresp;
using liveness_test::mqtt::publish;
using liveness_test::mqtt::varint;

/// Decoder events, data merged per packet.
struct recorder {
  std::vector<std::string> events;  // "PKT:<bytes>", "PING", "PONG"
  std::string current;
  bool open = false;
  void on_message_begin() {
    REQUIRE_FALSE(open);
    open = true;
    current.clear();
  }
  void on_data(const char* p, std::size_t n) {
    REQUIRE(open);
    REQUIRE(n > 0);
    current.append(p, n);
  }
  void on_message_end() {
    REQUIRE(open);
    open = false;
    events.push_back("PKT:" + current);
  }
  void on_ping(const char* p, std::size_t n) {
    REQUIRE(p != nullptr);
    CHECK(n == 0);
    CHECK_FALSE(open);
    events.emplace_back("PING");
  }
  void on_pong(const char* p, std::size_t n) {
    REQUIRE(p != nullptr);
    CHECK(n == 0);
    CHECK_FALSE(open);
    events.emplace_back("PONG");
  }
};

/// Counts bytes only (for packets of hundreds of megabytes).
struct counter {
  std::uint64_t bytes = 0;
  int begins = 0;
  int ends = 0;
  void on_message_begin() { ++begins; }
  void on_data(const char*, std::size_t n) { bytes += n; }
  void on_message_end() { ++ends; }
  void on_ping(const char*, std::size_t) {}
  void on_pong(const char*, std::size_t) {}
};

struct decoded {
  recorder rec;
  liveness::error_code ec;
};

/// Feeds `input` in pieces of `step` bytes (0: whole).
decoded decode(const std::string& input, std::size_t step = 0,
               codec::mqtt_options o = codec::mqtt_options::standard()) {
  decoded out;
  codec::mqtt_decoder d(o);
  if (step == 0) step = input.size() ? input.size() : 1;
  for (std::size_t pos = 0; pos < input.size() && !out.ec; pos += step)
    out.ec = d.feed(input.data() + pos, std::min(step, input.size() - pos), out.rec);
  return out;
}

}  // namespace

// ---- options, remaining length --------------------------------------------------------

TEST_CASE("mqtt codec: options are validated", "[codec][mqtt]") {
  CHECK_FALSE(codec::mqtt_options::standard().validate());
  codec::mqtt_options o;
  o.max_packet_size = 1;
  CHECK(o.validate() == error::codec_invalid_options);
  CHECK_THROWS_AS(codec::mqtt_decoder(o), liveness::system_error);
  CHECK_THROWS_AS(codec::mqtt_encoder(o), liveness::system_error);
  o.max_packet_size = 2;
  CHECK_FALSE(o.validate());
}

TEST_CASE("mqtt codec: remaining lengths at every byte-count edge", "[codec][mqtt]") {
  struct edge {
    std::uint32_t n;
    std::string bytes;
  };
  const std::vector<edge> edges{
      {0, std::string("\x00", 1)},
      {127, "\x7F"},
      {128, "\x80\x01"},
      {16383, "\xFF\x7F"},
      {16384, "\x80\x80\x01"},
      {2097151, "\xFF\xFF\x7F"},
      {2097152, "\x80\x80\x80\x01"},
      {268435455, "\xFF\xFF\xFF\x7F"},
  };
  codec::mqtt_options big;
  big.max_packet_size = 5 + std::size_t{codec::mqtt_options::max_remaining_length};
  const std::vector<char> chunk(1 << 20, 'p');
  for (const auto& e : edges) {
    INFO("remaining length " << e.n);
    CHECK(varint(e.n) == e.bytes);
    // A PUBLISH of that remaining length decodes to exactly one packet of 1 + k + n bytes,
    // whose end comes with its last byte and not before.
    codec::mqtt_decoder d(big);
    counter c;
    const std::string header = "\x30" + e.bytes;
    REQUIRE_FALSE(d.feed(header.data(), header.size(), c));
    CHECK(c.begins == 1);
    CHECK(c.ends == (e.n == 0 ? 1 : 0));
    std::uint64_t left = e.n;
    while (left > 1) {
      const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(left - 1, chunk.size()));
      REQUIRE_FALSE(d.feed(chunk.data(), k, c));
      left -= k;
    }
    CHECK(c.ends == (e.n == 0 ? 1 : 0));
    CHECK(d.mid_unit() == (e.n != 0));
    if (left == 1) REQUIRE_FALSE(d.feed(chunk.data(), 1, c));
    CHECK(c.ends == 1);
    CHECK(c.bytes == header.size() + e.n);
    CHECK_FALSE(d.mid_unit());
  }
  char out[4];
  CHECK(codec::mqtt_encoder::put_remaining_length(268435456u, out) == 0);
}

TEST_CASE("mqtt codec: a five-byte or malformed remaining length is a protocol_error",
          "[codec][mqtt]") {
  // The 4th length byte says "more": a 5th would follow. Refused at that byte.
  for (const char* bad : {"\x30\x80\x80\x80\x80", "\x30\xFF\xFF\xFF\xFF"}) {
    codec::mqtt_decoder d;
    recorder rec;
    CHECK_FALSE(d.feed(bad, 4, rec));
    CHECK(d.feed(bad + 4, 1, rec) == error::protocol_error);
    CHECK(rec.events.empty());
    CHECK_FALSE(rec.open);
    // Sticky: nothing more is decoded.
    CHECK(d.feed(pingreq.data(), pingreq.size(), rec) == error::protocol_error);
    CHECK(rec.events.empty());
  }
  // Not the shortest form (128 would be 80 01; 0 as 80 00 is malformed).
  CHECK(decode(std::string("\x30\x80\x00", 3)).ec == error::protocol_error);
  CHECK(decode(std::string("\x30\xFF\x80\x00", 4)).ec == error::protocol_error);
  // Type 0 is reserved in every MQTT version: not an MQTT stream.
  CHECK(decode(std::string("\x00\x00", 2)).ec == error::protocol_error);
  CHECK(decode(std::string("\x0F\x00", 2)).ec == error::protocol_error);
  // PINGREQ / PINGRESP with flags or a body.
  CHECK(decode(std::string("\xC1\x00", 2)).ec == error::protocol_error);
  CHECK(decode(std::string("\xD2\x00", 2)).ec == error::protocol_error);
  CHECK(decode(std::string("\xC0\x01x", 3)).ec == error::protocol_error);
  // Events before the error are delivered.
  const auto d = decode(pingreq + std::string("\x30\x80\x00", 3));
  CHECK(d.ec == error::protocol_error);
  CHECK(d.rec.events == std::vector<std::string>{"PING"});
}

TEST_CASE("mqtt codec: a packet over max_packet_size is refused before any of it is held",
          "[codec][mqtt]") {
  codec::mqtt_options o;
  o.max_packet_size = 100;
  // 1 + 1 + 98 = 100 bytes: accepted.
  const std::string fits = packet(0x30, std::string(98, 'a'));
  REQUIRE(fits.size() == 100);
  const auto ok = decode(fits, 0, o);
  CHECK_FALSE(ok.ec);
  CHECK(ok.rec.events == std::vector<std::string>{"PKT:" + fits});
  // One more byte: frame_too_large at its length byte, before on_message_begin.
  codec::mqtt_decoder d(o);
  recorder rec;
  CHECK(d.feed("\x30\x63", 2, rec) == error::frame_too_large);
  CHECK_FALSE(rec.open);
  CHECK(rec.events.empty());
  // The largest claim MQTT can make, against the default 1 MiB: refused at once.
  CHECK(decode("\x30\xFF\xFF\xFF\x7F").ec == error::frame_too_large);
  // A two-byte PINGREQ is never too large.
  o.max_packet_size = 2;
  CHECK_FALSE(decode(pingreq + pingresp, 0, o).ec);
}

// ---- the inbound stream ---------------------------------------------------------------

TEST_CASE("mqtt codec: PINGREQ and PINGRESP are stripped between packets at any split",
          "[codec][mqtt]") {
  const std::string connack("\x20\x02\x00\x00", 4);
  const std::string pub1 = publish("a/b", "hello");
  const std::string pub2 = publish("t", std::string(300, 'x'));  // two length bytes
  const std::string disconnect("\xE0\x00", 2);
  const std::string stream =
      connack + pingresp + pub1 + pingreq + pingreq + pub2 + pingresp + disconnect;
  const std::vector<std::string> expected{"PKT:" + connack, "PONG", "PKT:" + pub1,
                                          "PING", "PING", "PKT:" + pub2,
                                          "PONG", "PKT:" + disconnect};
  const auto whole = decode(stream);
  CHECK_FALSE(whole.ec);
  CHECK(whole.rec.events == expected);
  for (std::size_t step : {std::size_t(1), std::size_t(2), std::size_t(3), std::size_t(7)}) {
    INFO("pieces of " << step);
    const auto split = decode(stream, step);
    CHECK_FALSE(split.ec);
    CHECK(split.rec.events == expected);
  }
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    INFO("cut at " << cut);
    codec::mqtt_decoder d;
    recorder rec;
    REQUIRE_FALSE(d.feed(stream.data(), cut, rec));
    REQUIRE_FALSE(d.feed(stream.data() + cut, stream.size() - cut, rec));
    CHECK(rec.events == expected);
  }
}

TEST_CASE("mqtt codec: a stream that ends inside a packet is a protocol_error",
          "[codec][mqtt]") {
  const std::string pub = publish("a", "payload");
  for (std::size_t n : {std::size_t(1), std::size_t(2), pub.size() - 1}) {
    codec::mqtt_decoder d;
    recorder rec;
    REQUIRE_FALSE(d.feed(pub.data(), n, rec));
    CHECK(d.mid_unit());
    CHECK(d.finish(rec) == error::protocol_error);
  }
  codec::mqtt_decoder d;
  recorder rec;
  REQUIRE_FALSE(d.feed(pub.data(), pub.size(), rec));
  CHECK_FALSE(d.finish(rec));
}

// ---- the outbound stream --------------------------------------------------------------

TEST_CASE("mqtt encoder: the application's bytes go out unchanged and heartbeats only "
          "between its packets",
          "[codec][mqtt]") {
  codec::mqtt_encoder e;
  std::string out;
  e.append_heartbeat(true, out);
  e.append_heartbeat(false, out);
  CHECK(out == pingreq + pingresp);

  const std::string pub = publish("topic", std::string(200, 'z'));  // 3-byte header
  const std::string stream = pub + pingreq + pub;  // the application may ping itself too
  // Written one byte at a time: a heartbeat is allowed exactly at the packet ends.
  CHECK(e.heartbeat_allowed());
  std::vector<std::size_t> allowed_after;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    codec::chunk_header h;
    h.size = 99;
    CHECK(e.frame_chunk(stream.data() + i, stream.size() - i, 1, false, h) == 1);
    CHECK(h.size == 0);
    if (e.heartbeat_allowed()) allowed_after.push_back(i + 1);
  }
  CHECK(allowed_after ==
        std::vector<std::size_t>{pub.size(), pub.size() + 2, stream.size()});
  // In big chunks: at most max_chunk (0 counts as 1), whatever packets they cut.
  codec::mqtt_encoder e2;
  codec::chunk_header h;
  CHECK(e2.frame_chunk(stream.data(), stream.size(), 0, true, h) == 1);
  CHECK(e2.frame_chunk(stream.data() + 1, stream.size() - 1, 100, true, h) == 100);
  CHECK_FALSE(e2.heartbeat_allowed());
  CHECK(e2.frame_chunk(stream.data() + 101, stream.size() - 101, 1 << 20, true, h) ==
        stream.size() - 101);
  CHECK(e2.heartbeat_allowed());
}

TEST_CASE("mqtt encoder: bytes that are not MQTT framing stop the heartbeats for good",
          "[codec][mqtt]") {
  codec::mqtt_encoder e;
  codec::chunk_header h;
  const std::string bad("\x30\x80\x80\x80\x80\x01", 6);
  e.frame_chunk(bad.data(), bad.size(), 1 << 16, false, h);
  CHECK(e.lost_framing());
  CHECK_FALSE(e.heartbeat_allowed());
  e.frame_chunk(pingreq.data(), pingreq.size(), 1 << 16, false, h);
  CHECK_FALSE(e.heartbeat_allowed());
}

// ---- in the session engine ------------------------------------------------------------

namespace {

struct mqtt_rig {
  core::manual_clock clock;
  engine::session_engine<codec::mqtt> e;

  explicit mqtt_rig(bool own_silence = true, engine::limits l = {})
      : e(core::detector(options(own_silence), liveness::role::client, clock.now()),
          codec::mqtt_options::standard(), l, clock.now()) {}

  static core::ping_pong_options options(bool own_silence) {
    core::ping_pong_options o;
    o.interval = 1s;
    o.timeout = 1s;
    o.pinger = core::ping_role::client;
    o.ping_after_own_silence = own_silence;
    return o;
  }
  void feed(const std::string& bytes) {
    const auto a = e.on_received(clock.now(), bytes.data(), bytes.size());
    REQUIRE_FALSE(a.shut_down);
  }
  std::string write_heartbeats() {
    const std::string out(e.take_heartbeats());
    if (!out.empty()) e.on_heartbeats_written(clock.now(), out.size());
    return out;
  }
  void go(core::duration d) {
    clock.advance(d);
    e.on_time(clock.now());
  }
};

}  // namespace

TEST_CASE("mqtt engine: messages are whole packets and PINGREQ is answered with PINGRESP",
          "[codec][mqtt][engine]") {
  mqtt_rig r;
  const std::string pub = publish("x", "42");
  r.feed(pub.substr(0, 3));
  CHECK_FALSE(r.e.inbox().message_ready());
  r.feed(pub.substr(3) + pingreq + pub);
  REQUIRE(r.e.inbox().messages_held() == 2);
  CHECK(std::string(r.e.inbox().data(), r.e.inbox().message_size()) == pub);
  CHECK(r.e.inbox().held() == 2 * pub.size());  // no PINGREQ among the user bytes
  CHECK(r.write_heartbeats() == pingresp);
}

TEST_CASE("mqtt engine: a ping never goes inside a packet the application is writing",
          "[codec][mqtt][engine]") {
  engine::limits l;
  l.max_write_chunk = 4;
  mqtt_rig r(true, l);
  const std::string pub = publish("topic", std::string(30, 'p'));
  codec::chunk_header h;
  std::size_t sent = 0;
  std::string wire;
  int held = 0;
  while (sent < pub.size()) {
    const std::size_t n = r.e.begin_user_chunk(pub.data() + sent, pub.size() - sent, true, h);
    REQUIRE(n <= 4);
    CHECK(h.size == 0);
    wire.append(pub, sent, n);
    sent += n;
    r.clock.advance(300ms);  // the ping falls due in the middle of the packet
    r.e.on_user_written(r.clock.now(), n, false);
    const std::string hb = r.write_heartbeats();
    if (sent < pub.size()) {
      CHECK(hb.empty());
      if (r.e.detector().ping_outstanding()) ++held;
    } else {
      CHECK(hb == pingreq);
    }
    wire += hb;
  }
  CHECK(held > 0);  // the ping was wanted while the packet was half written
  CHECK(wire == pub + pingreq);
  // The held ping's timeout counted from its real write: no death for the wait.
  CHECK_FALSE(r.e.dead());
  r.clock.advance(900ms);
  r.e.on_time(r.clock.now());
  CHECK_FALSE(r.e.dead());
  r.clock.advance(100ms);
  r.e.on_time(r.clock.now());
  CHECK(r.e.dead());
  CHECK(r.e.reason() == error::heartbeat_timeout);
}

TEST_CASE("mqtt engine: a subscriber that only receives pings after its own silence and "
          "writes no PINGRESP",
          "[codec][mqtt][engine]") {
  // A broker's stream every 100 ms for 10 s; the client writes nothing of its own. The
  // broker answers each PINGREQ 10 ms later.
  const auto run = [](bool own_silence) {
    mqtt_rig r(own_silence);
    std::string written;
    std::vector<long long> ping_at_ms;
    const auto t0 = r.clock.now();
    bool answer_due = false;
    for (int tick = 0; tick < 1000; ++tick) {  // 10 ms steps
      r.go(10ms);
      if (answer_due) {
        r.feed(pingresp);
        answer_due = false;
      }
      if (tick % 10 == 0) r.feed(publish("t", "data"));
      const std::string hb = r.write_heartbeats();
      written += hb;
      if (hb.find(pingreq) != std::string::npos) {
        ping_at_ms.push_back(
            std::chrono::duration_cast<std::chrono::milliseconds>(r.clock.now() - t0).count());
        answer_due = true;
      }
      REQUIRE_FALSE(r.e.dead());
    }
    return std::make_pair(written, ping_at_ms);
  };
  const auto [written, pings] = run(true);
  // One PINGREQ per interval of our own silence: at 1 s, 2 s, ... (9 or 10 of them), so a
  // broker with keep-alive 2 s (1.5 x 2 = 3 s) never finds us silent. Nothing else.
  CHECK(pings.size() >= 9);
  CHECK(pings.size() <= 10);
  for (std::size_t i = 1; i < pings.size(); ++i) CHECK(pings[i] - pings[i - 1] == 1000);
  CHECK(written.find(pingresp) == std::string::npos);
  CHECK(written.size() == 2 * pings.size());
  // Without the option the client hears the broker all the time, so it never pings (the
  // broker's keep-alive would drop it), and tells the broker that it reads with a PINGRESP,
  // which a broker takes for a protocol violation.
  const auto [written_default, pings_default] = run(false);
  CHECK(pings_default.empty());
  CHECK(written_default.find(pingresp) != std::string::npos);
}

}  // namespace codec_mqtt_test
