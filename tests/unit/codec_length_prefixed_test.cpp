// Unit tests of liveness/codec/length_prefixed.hpp: binary frames over every chunk boundary,
// hostile headers refused before any payload, message boundaries across fragments.
#include <liveness/codec/length_prefixed.hpp>

#include "test_support.hpp"

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <system_error>
#include <vector>

namespace codec_length_prefixed_test {

namespace {

namespace codec = liveness::codec;
using liveness::error;
using encoder = codec::length_prefixed_encoder;

/// Records decoder events; adjacent data events are merged so that the result does not
/// depend on how the input was split.
struct recorder {
  std::vector<std::string> events;
  std::vector<std::string> messages;  // complete messages
  std::string current;
  bool open = false;

  void on_message_begin() {
    REQUIRE_FALSE(open);
    open = true;
    current.clear();
    events.emplace_back("BEGIN");
  }
  void on_data(const char* p, std::size_t n) {
    REQUIRE(open);
    REQUIRE(n > 0);
    current.append(p, n);
    if (!events.empty() && events.back().compare(0, 2, "D:") == 0)
      events.back().append(p, n);
    else
      events.push_back("D:" + std::string(p, n));
  }
  void on_message_end() {
    REQUIRE(open);
    open = false;
    messages.push_back(current);
    events.emplace_back("END");
  }
  void on_ping(const char* p, std::size_t n) {
    REQUIRE(p != nullptr);
    events.push_back("PING:" + std::string(p, n));
  }
  void on_pong(const char* p, std::size_t n) {
    REQUIRE(p != nullptr);
    events.push_back("PONG:" + std::string(p, n));
  }
};

struct outcome {
  recorder rec;
  liveness::error_code ec;
};

outcome decode_split(const codec::length_prefixed_options& o, const std::string& input,
                     const std::vector<std::size_t>& cuts) {
  outcome out;
  codec::length_prefixed_decoder d(o);
  std::size_t pos = 0;
  for (std::size_t i = 0; i <= cuts.size() && !out.ec; ++i) {
    const std::size_t next = i < cuts.size() ? cuts[i] : input.size();
    out.ec = d.feed(input.data() + pos, next - pos, out.rec);
    pos = next;
  }
  return out;
}

/// Whole, one byte at a time, and cut at every point (and every pair of points for short
/// inputs): all must agree.
outcome decode_every_way(const codec::length_prefixed_options& o, const std::string& input) {
  const outcome whole = decode_split(o, input, {});
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < input.size(); ++i) cuts.push_back(i);
  const outcome bytewise = decode_split(o, input, cuts);
  CHECK(bytewise.rec.events == whole.rec.events);
  CHECK(bytewise.ec == whole.ec);
  for (std::size_t i = 0; i <= input.size(); ++i) {
    INFO("split at " << i);
    const outcome split = decode_split(o, input, {i});
    CHECK(split.rec.events == whole.rec.events);
    CHECK(split.ec == whole.ec);
    if (input.size() <= 48) {
      for (std::size_t j = i; j <= input.size(); ++j) {
        INFO("and at " << j);
        const outcome split2 = decode_split(o, input, {i, j});
        CHECK(split2.rec.events == whole.rec.events);
        CHECK(split2.ec == whole.ec);
      }
    }
  }
  return whole;
}

/// A raw header, for frames the encoder refuses to make.
std::string header(std::uint32_t length, std::uint8_t type) {
  std::string h(5, '\0');
  h[0] = static_cast<char>(length >> 24);
  h[1] = static_cast<char>(length >> 16 & 0xFF);
  h[2] = static_cast<char>(length >> 8 & 0xFF);
  h[3] = static_cast<char>(length & 0xFF);
  h[4] = static_cast<char>(type);
  return h;
}

std::string str(const encoder::header_bytes& h) { return std::string(h.data(), h.size()); }
std::string str(const encoder::frame& f) { return std::string(f.data(), f.size()); }

/// One data frame.
std::string data_frame(const encoder& e, const std::string& payload, bool more = false) {
  return str(e.data_header(payload.size(), more)) + payload;
}

using events = std::vector<std::string>;

}  // namespace

// ---- options and encoder ----------------------------------------------------------------

TEST_CASE("length_prefixed options are validated", "[codec]") {
  CHECK_FALSE(codec::length_prefixed_options{}.validate());
  CHECK_FALSE(codec::length_prefixed_options::standard().validate());
  codec::length_prefixed_options o;
  o.max_frame_size = 0;
  CHECK(o.validate() == liveness::error::codec_invalid_options);
  CHECK_THROWS_AS(codec::length_prefixed_decoder(o), liveness::system_error);
  CHECK_THROWS_AS(codec::length_prefixed_encoder(o), liveness::system_error);
}

TEST_CASE("length_prefixed encoder: exact bytes", "[codec]") {
  codec::length_prefixed_options big;
  big.max_frame_size = 0xFFFFFFFF;
  CHECK(str(encoder(big).data_header(0x01020304, false)) == header(0x01020304, 0x00));
  CHECK(str(encoder(big).data_header(0xFFFFFFFF, true)) == header(0xFFFFFFFF, 0x80));
  const encoder e;
  CHECK(str(e.data_header(5, true)) == header(5, 0x80));
  CHECK(str(e.data_header(0)) == header(0, 0x00));
  CHECK(str(e.ping()) == header(0, 0x01));
  CHECK(str(e.pong()) == header(0, 0x02));
  CHECK(str(e.ping("12345678", 8)) == header(8, 0x01) + "12345678");
  CHECK(str(e.pong("ab", 2)) == header(2, 0x02) + "ab");
  const std::string max_payload(64, 'p');
  CHECK(e.ping(max_payload.data(), 64).size() == 69);
}

TEST_CASE("length_prefixed encoder: refuses what the decoder would refuse", "[codec]") {
  codec::length_prefixed_options o;
  o.max_frame_size = 100;
  const encoder e(o);
  CHECK_NOTHROW(e.data_header(100));
  CHECK_THROWS_AS(e.data_header(101), liveness::system_error);
  try {
    (void)e.data_header(101);
  } catch (const liveness::system_error& ex) {
    CHECK(ex.code() == error::frame_too_large);
  }
  const std::string big(65, 'p');
  try {
    (void)e.ping(big.data(), big.size());
    FAIL("no exception");
  } catch (const liveness::system_error& ex) {
    CHECK(ex.code() == error::protocol_error);
  }
  o.max_frame_size = 4;
  const encoder small(o);
  try {
    (void)small.pong(big.data(), 8);
    FAIL("no exception");
  } catch (const liveness::system_error& ex) {
    CHECK(ex.code() == error::frame_too_large);
  }
}

TEST_CASE("length_prefixed encoder: chunk sizes", "[codec]") {
  codec::length_prefixed_options o;
  o.max_frame_size = 1000;
  const encoder e(o);
  CHECK(e.chunk_size(0, 100) == 0);
  CHECK(e.chunk_size(50, 100) == 50);
  CHECK(e.chunk_size(500, 100) == 100);
  CHECK(e.chunk_size(5000, 4000) == 1000);  // never above max_frame_size
  CHECK(e.chunk_size(10, 0) == 1);
}

// ---- decoding ---------------------------------------------------------------------------

TEST_CASE("length_prefixed: messages, pings and pongs over every split", "[codec]") {
  const encoder e;
  const std::string wire = data_frame(e, "hello") + str(e.ping("12345678", 8)) +
                           str(e.pong()) + data_frame(e, "ab", true) + str(e.ping()) +
                           data_frame(e, "cd", true) + data_frame(e, "e") +
                           data_frame(e, "") + str(e.pong("xy", 2));
  const auto out = decode_every_way({}, wire);
  CHECK_FALSE(out.ec);
  CHECK(out.rec.events == events{"BEGIN", "D:hello", "END", "PING:12345678", "PONG:", "BEGIN",
                                 "D:ab", "PING:", "D:cde", "END", "BEGIN", "END", "PONG:xy"});
  CHECK(out.rec.messages == std::vector<std::string>{"hello", "abcde", ""});
}

TEST_CASE("length_prefixed: binary payloads pass through untouched", "[codec]") {
  const encoder e;
  std::string payload;
  for (int i = 0; i < 256; ++i) payload += static_cast<char>(i);
  const auto out = decode_every_way({}, data_frame(e, payload) + str(e.ping(payload.data(), 64)));
  CHECK(out.rec.messages == std::vector<std::string>{payload});
  CHECK(out.rec.events.back() == "PING:" + payload.substr(0, 64));
}

TEST_CASE("length_prefixed: an oversized length prefix is refused at once", "[codec]") {
  codec::length_prefixed_options o;
  o.max_frame_size = 1024;
  SECTION("0xFFFFFFFF: refused after the 4 length bytes, before the type byte") {
    codec::length_prefixed_decoder d(o);
    recorder rec;
    const std::string h = header(0xFFFFFFFF, 0x00);
    CHECK_FALSE(d.feed(h.data(), 3, rec));
    CHECK(d.feed(h.data() + 3, 1, rec) == error::frame_too_large);
    CHECK(rec.events.empty());
    CHECK(d.feed(h.data() + 4, 1, rec) == error::frame_too_large);  // sticky
  }
  SECTION("one above the maximum, after a valid frame in the same chunk") {
    const encoder e(o);
    const auto out = decode_every_way(o, data_frame(e, "ok") + header(1025, 0x00) + "xyz");
    CHECK(out.ec == error::frame_too_large);
    CHECK(out.rec.events == events{"BEGIN", "D:ok", "END"});
  }
  SECTION("exactly the maximum is fine") {
    const encoder e(o);
    const auto out = decode_split(o, data_frame(e, std::string(1024, 'z')), {});
    CHECK_FALSE(out.ec);
    CHECK(out.rec.messages.at(0).size() == 1024);
  }
  SECTION("a ping claiming 4 GiB is refused the same way") {
    const auto out = decode_every_way(o, header(0xFFFFFFFF, 0x01));
    CHECK(out.ec == error::frame_too_large);
  }
  SECTION("the largest allowed frame is streamed, never buffered") {
    o.max_frame_size = 0xFFFFFFFF;
    o.max_message_size = 0;  // no message limit (the default is 1 MiB)
    codec::length_prefixed_decoder d(o);
    recorder rec;
    const std::string wire = header(0xFFFFFFFF, 0x00) + std::string(10, 'q');
    CHECK_FALSE(d.feed(wire.data(), wire.size(), rec));
    CHECK(rec.events == events{"BEGIN", "D:qqqqqqqqqq"});
    CHECK(d.in_message());
    CHECK_FALSE(d.at_frame_boundary());
    // The decoder's footprint is fixed: a header, a 64-byte heartbeat buffer, counters.
    static_assert(sizeof(codec::length_prefixed_decoder) < 256, "no hidden buffers");
  }
}

TEST_CASE("length_prefixed: unknown frame types are protocol errors", "[codec]") {
  const encoder e;
  for (const int type : {0x03, 0x04, 0x7F, 0x81, 0x82, 0xC0, 0xFF}) {
    INFO("type " << type);
    const auto out = decode_every_way(
        {}, str(e.ping()) + header(1, static_cast<std::uint8_t>(type)) + "x" + str(e.ping()));
    CHECK(out.ec == error::protocol_error);
    CHECK(out.rec.events == events{"PING:"});
  }
}

TEST_CASE("length_prefixed: heartbeat payloads are bounded", "[codec]") {
  const std::string p64(64, 'a');
  const auto ok = decode_every_way({}, header(64, 0x02) + p64);
  CHECK_FALSE(ok.ec);
  CHECK(ok.rec.events == events{"PONG:" + p64});
  const auto bad = decode_every_way({}, header(65, 0x01) + p64 + "a");
  CHECK(bad.ec == error::protocol_error);
  CHECK(bad.rec.events.empty());
}

TEST_CASE("length_prefixed: max_message_size bounds fragmented messages", "[codec]") {
  codec::length_prefixed_options o;
  o.max_frame_size = 16;
  o.max_message_size = 20;
  const encoder e(o);
  const std::string ten(10, 't');
  SECTION("at the limit") {
    const auto out = decode_every_way(o, data_frame(e, ten, true) + str(e.ping()) +
                                             data_frame(e, ten) + data_frame(e, ten, true) +
                                             data_frame(e, ten));
    CHECK_FALSE(out.ec);
    CHECK(out.rec.messages == std::vector<std::string>{ten + ten, ten + ten});
  }
  SECTION("one byte over: refused at the header of the frame that crosses it") {
    const auto out = decode_every_way(o, data_frame(e, ten, true) + data_frame(e, ten, true) +
                                             data_frame(e, "x"));
    CHECK(out.ec == error::frame_too_large);
    CHECK(out.rec.events == events{"BEGIN", "D:" + ten + ten});
  }
}

TEST_CASE("length_prefixed: finish detects a truncated stream", "[codec]") {
  const encoder e;
  const auto finish_after = [&](const std::string& wire) {
    codec::length_prefixed_decoder d;
    recorder rec;
    REQUIRE_FALSE(d.feed(wire.data(), wire.size(), rec));
    return d.finish(rec);
  };
  CHECK_FALSE(finish_after(""));
  CHECK_FALSE(finish_after(data_frame(e, "abc") + str(e.ping())));
  CHECK(finish_after(header(3, 0x00).substr(0, 2)) == error::protocol_error);
  CHECK(finish_after(header(3, 0x00) + "ab") == error::protocol_error);
  CHECK(finish_after(header(3, 0x01) + "ab") == error::protocol_error);
  CHECK(finish_after(data_frame(e, "abc", true)) == error::protocol_error);
}

TEST_CASE("length_prefixed: errors are sticky until reset", "[codec]") {
  const encoder e;
  codec::length_prefixed_decoder d;
  recorder rec;
  const std::string bad = header(0, 0x09);
  CHECK(d.feed(bad.data(), bad.size(), rec) == error::protocol_error);
  const std::string good = str(e.ping());
  CHECK(d.feed(good.data(), good.size(), rec) == error::protocol_error);
  CHECK(d.finish(rec) == error::protocol_error);
  CHECK(rec.events.empty());
  CHECK(d.error() == error::protocol_error);
  d.reset();
  CHECK_FALSE(d.error());
  CHECK(d.at_frame_boundary());
  CHECK_FALSE(d.feed(good.data(), good.size(), rec));
  CHECK(rec.events == events{"PING:"});
}

// A large message sent in bounded chunks with heartbeats between them, fed in random
// pieces: every message arrives identical, with its boundaries, and every heartbeat too.
TEST_CASE("length_prefixed: random streams round-trip", "[codec]") {
  std::mt19937 rng(7);
  const auto roll = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  codec::length_prefixed_options o;
  o.max_frame_size = 512;
  const encoder e(o);
  for (int run = 0; run < 100; ++run) {
    std::string wire;
    std::vector<std::string> sent;
    std::vector<std::string> heartbeats;
    for (int m = 0; m < 20; ++m) {
      std::string msg(roll(3) == 0 ? roll(5000) : roll(50), '\0');
      for (auto& c : msg) c = static_cast<char>(rng());
      sent.push_back(msg);
      const std::size_t max_chunk = 1 + roll(700);
      std::size_t pos = 0;
      do {
        const std::size_t n = e.chunk_size(msg.size() - pos, max_chunk);
        const bool more = pos + n < msg.size();
        wire += str(e.data_header(n, more));
        wire.append(msg, pos, n);
        pos += n;
        if (roll(3) == 0) {
          std::string payload(roll(65), '\0');
          for (auto& c : payload) c = static_cast<char>(rng());
          const bool ping = roll(2) == 0;
          wire += str(ping ? e.ping(payload.data(), payload.size())
                           : e.pong(payload.data(), payload.size()));
          heartbeats.push_back((ping ? "PING:" : "PONG:") + payload);
        }
      } while (pos < msg.size());
    }
    codec::length_prefixed_decoder d(o);
    recorder rec;
    std::size_t pos = 0;
    while (pos < wire.size()) {
      const std::size_t n = std::min<std::size_t>(1 + roll(300), wire.size() - pos);
      REQUIRE_FALSE(d.feed(wire.data() + pos, n, rec));
      pos += n;
    }
    REQUIRE_FALSE(d.finish(rec));
    CHECK(rec.messages == sent);
    std::vector<std::string> seen;
    for (const auto& ev : rec.events)
      if (ev.compare(0, 5, "PING:") == 0 || ev.compare(0, 5, "PONG:") == 0) seen.push_back(ev);
    CHECK(seen == heartbeats);
  }
}

}  // namespace codec_length_prefixed_test
