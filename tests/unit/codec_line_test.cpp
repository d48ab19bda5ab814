// Unit tests of liveness/codec/line.hpp: heartbeat lines carved out of a text stream, user
// bytes passed through untouched, over every chunk boundary.
#include <liveness/codec/line.hpp>

#include "test_support.hpp"

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <system_error>
#include <vector>

namespace codec_line_test {

namespace {

namespace codec = liveness::codec;
using liveness::error;

/// Records decoder events; adjacent data events are merged so that the result does not
/// depend on how the input was split.
struct recorder {
  std::vector<std::string> events;
  std::string data;
  std::size_t pings = 0;
  std::size_t pongs = 0;

  void on_data(const char* p, std::size_t n) {
    REQUIRE(n > 0);
    data.append(p, n);
    if (!events.empty() && events.back().compare(0, 2, "D:") == 0)
      events.back().append(p, n);
    else
      events.push_back("D:" + std::string(p, n));
  }
  void on_ping(const char* p, std::size_t n) {
    REQUIRE(p != nullptr);
    REQUIRE(n == 0);
    ++pings;
    events.emplace_back("PING");
  }
  void on_pong(const char* p, std::size_t n) {
    REQUIRE(p != nullptr);
    REQUIRE(n == 0);
    ++pongs;
    events.emplace_back("PONG");
  }
  // Never called by the line codec, present so one handler fits both codecs.
  void on_message_begin() { FAIL("line codec has no messages"); }
  void on_message_end() { FAIL("line codec has no messages"); }
};

struct outcome {
  recorder rec;
  liveness::error_code ec;
};

/// Decodes `input` cut at the given offsets (ascending), then finishes the stream.
outcome decode_split(const codec::line_options& o, const std::string& input,
                     const std::vector<std::size_t>& cuts, bool finish = true) {
  outcome out;
  codec::line_decoder d(o);
  std::size_t pos = 0;
  for (std::size_t i = 0; i <= cuts.size() && !out.ec; ++i) {
    const std::size_t next = i < cuts.size() ? cuts[i] : input.size();
    out.ec = d.feed(input.data() + pos, next - pos, out.rec);
    pos = next;
  }
  if (finish && !out.ec) out.ec = d.finish(out.rec);
  return out;
}

outcome decode(const codec::line_options& o, const std::string& input, bool finish = true) {
  return decode_split(o, input, {}, finish);
}

/// Decodes `input` whole, one byte at a time, and cut at every single point and every pair
/// of points (for short inputs): all must give the same events and error.
outcome decode_every_way(const codec::line_options& o, const std::string& input,
                         bool finish = true) {
  const outcome whole = decode(o, input, finish);
  {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < input.size(); ++i) cuts.push_back(i);
    const outcome bytewise = decode_split(o, input, cuts, finish);
    CHECK(bytewise.rec.events == whole.rec.events);
    CHECK(bytewise.ec == whole.ec);
  }
  for (std::size_t i = 0; i <= input.size(); ++i) {
    const outcome split = decode_split(o, input, {i}, finish);
    INFO("split at " << i);
    CHECK(split.rec.events == whole.rec.events);
    CHECK(split.ec == whole.ec);
    if (input.size() <= 40) {
      for (std::size_t j = i; j <= input.size(); ++j) {
        const outcome split2 = decode_split(o, input, {i, j}, finish);
        INFO("and at " << j);
        CHECK(split2.rec.events == whole.rec.events);
        CHECK(split2.ec == whole.ec);
      }
    }
  }
  return whole;
}

using events = std::vector<std::string>;

bool is_refused_options(const liveness::error_code& ec) {
  return ec == liveness::error::codec_invalid_options;
}

}  // namespace

// ---- options ----------------------------------------------------------------------------

TEST_CASE("line options are validated", "[codec]") {
  CHECK_FALSE(codec::line_options{}.validate());
  CHECK_FALSE(codec::line_options::standard().validate());
  CHECK_FALSE(codec::line_options::msgtest_ok().validate());

  codec::line_options o;
  SECTION("empty ping") { o.ping = ""; }
  SECTION("empty pong") { o.pong = ""; }
  SECTION("newline in a text") { o.ping = "PI\nNG"; }
  SECTION("carriage return in a text") { o.pong = "PONG\r"; }
  SECTION("equal texts") { o.pong = o.ping; }
  SECTION("text too long") { o.ping = std::string(codec::line_options::max_text_size + 1, 'x'); }
  SECTION("bare texts containing each other") {
    o.framing = codec::line_framing::bare;
    o.ping = "OK";
    o.pong = "BOOK";
  }
  SECTION("max_line_length below a heartbeat line") { o.max_line_length = 4; }
  SECTION("unknown framing") { o.framing = static_cast<codec::line_framing>(7); }
  CHECK(is_refused_options(o.validate()));
  CHECK_THROWS_AS(codec::line_decoder(o), liveness::system_error);
  CHECK_THROWS_AS(codec::line_encoder(o), liveness::system_error);
}

TEST_CASE("line options accept the boundaries", "[codec]") {
  codec::line_options o;
  o.ping = std::string(codec::line_options::max_text_size, 'x');
  o.max_line_length = codec::line_options::max_text_size + 1;
  CHECK_FALSE(o.validate());
  o.ping = "A";
  o.pong = "AB";  // a prefix is fine with newline framing: whole lines are compared
  CHECK_FALSE(o.validate());
}

// ---- newline framing --------------------------------------------------------------------

TEST_CASE("line: heartbeat lines are carved out, user lines pass through", "[codec]") {
  const codec::line_options o;
  const auto out = decode_every_way(o, "hello\nPING\nworld\nPONG\nPONG\nbye\n");
  CHECK_FALSE(out.ec);
  CHECK(out.rec.events ==
        events{"D:hello\n", "PING", "D:world\n", "PONG", "PONG", "D:bye\n"});
  CHECK(out.rec.data == "hello\nworld\nbye\n");
}

TEST_CASE("line: only whole lines equal to the text are heartbeats", "[codec]") {
  const codec::line_options o;
  // Every one of these is user data, byte for byte.
  const std::string user =
      "PINGPONG\n"
      "PING \n"
      " PING\n"
      "PIN\n"
      "PINGS\n"
      "xPING\n"
      "P\n"
      "PONGPING\n"
      "PO\n"
      "ping\n"
      "\n"
      "\n"
      "PING\rX\n"
      "PING\r\r\n"
      "\r\n"
      "PIPING\n";
  const auto out = decode_every_way(o, user);
  CHECK_FALSE(out.ec);
  CHECK(out.rec.pings == 0);
  CHECK(out.rec.pongs == 0);
  CHECK(out.rec.data == user);
}

TEST_CASE("line: the ping text as a prefix of a longer user line is user data", "[codec]") {
  const codec::line_options o;
  const auto out = decode_every_way(o, "PING and more\nPING\n");
  CHECK(out.rec.events == events{"D:PING and more\n", "PING"});
}

TEST_CASE("line: CRLF heartbeats", "[codec]") {
  codec::line_options o;
  SECTION("accepted by default, and the CR of user lines is kept") {
    const auto out = decode_every_way(o, "a\r\nPING\r\nb\r\nPONG\r\nPING\n");
    CHECK(out.rec.events == events{"D:a\r\n", "PING", "D:b\r\n", "PONG", "PING"});
  }
  SECTION("refused when accept_crlf is off: then it is a user line") {
    o.accept_crlf = false;
    const auto out = decode_every_way(o, "PING\r\nPING\n");
    CHECK(out.rec.events == events{"D:PING\r\n", "PING"});
  }
}

TEST_CASE("line: a stream that ends inside a possible heartbeat", "[codec]") {
  const codec::line_options o;
  SECTION("finish delivers the held bytes as user data") {
    const auto out = decode_every_way(o, "abc\nPIN");
    CHECK(out.rec.events == events{"D:abc\nPIN"});
  }
  SECTION("finish after a whole text without newline: still user data") {
    const auto out = decode_every_way(o, "PING");
    CHECK(out.rec.events == events{"D:PING"});
  }
  SECTION("finish after text and CR") {
    const auto out = decode_every_way(o, "PONG\r");
    CHECK(out.rec.events == events{"D:PONG\r"});
  }
  SECTION("without finish the bytes stay held, bounded") {
    codec::line_decoder d(o);
    recorder rec;
    CHECK_FALSE(d.feed("PONG\r", 5, rec));
    CHECK(rec.events.empty());
    CHECK(d.buffered() == 5);
    CHECK_FALSE(d.feed("\n", 1, rec));
    CHECK(rec.events == events{"PONG"});
    CHECK(d.buffered() == 0);
  }
}

TEST_CASE("line: a line longer than max_line_length", "[codec]") {
  codec::line_options o;
  o.max_line_length = 8;
  SECTION("exactly the limit is fine") {
    const auto out = decode_every_way(o, "12345678\nPING\n12345678");
    CHECK_FALSE(out.ec);
    CHECK(out.rec.events == events{"D:12345678\n", "PING", "D:12345678"});
  }
  SECTION("one byte more fails at that byte, without waiting for the newline") {
    const auto out = decode_every_way(o, "ok\n123456789", /*finish=*/false);
    CHECK(out.ec == error::frame_too_large);
    CHECK(out.rec.events == events{"D:ok\n12345678"});
  }
  SECTION("a CR counts") {
    const auto out = decode_every_way(o, "1234567\r\n12345678\r\n");
    CHECK(out.ec == error::frame_too_large);
    CHECK(out.rec.data == "1234567\r\n12345678");
  }
  SECTION("a user line that started like a heartbeat counts from its start") {
    const auto out = decode_every_way(o, "PINGPONGX\n");
    CHECK(out.ec == error::frame_too_large);
    CHECK(out.rec.data == "PINGPONG");
  }
  SECTION("the error is sticky") {
    codec::line_decoder d(o);
    recorder rec;
    const std::string big(1000, 'x');
    CHECK(d.feed(big.data(), big.size(), rec) == error::frame_too_large);
    CHECK(rec.data.size() == 8);
    CHECK(d.feed("PING\n", 5, rec) == error::frame_too_large);
    CHECK(d.finish(rec) == error::frame_too_large);
    CHECK(rec.events.size() == 1);
    CHECK(d.error() == error::frame_too_large);
    d.reset();
    CHECK_FALSE(d.error());
    CHECK_FALSE(d.feed("PING\n", 5, rec));
    CHECK(rec.pings == 1);
  }
  SECTION("a huge stream of short lines is fine") {
    codec::line_decoder d(o);
    recorder rec;
    std::string chunk;
    for (int i = 0; i < 1000; ++i) chunk += "1234567\n";
    for (int i = 0; i < 100; ++i) REQUIRE_FALSE(d.feed(chunk.data(), chunk.size(), rec));
    CHECK(rec.data.size() == chunk.size() * 100);
  }
}

TEST_CASE("line: user bytes are handed out without waiting for the line end", "[codec]") {
  const codec::line_options o;
  codec::line_decoder d(o);
  recorder rec;
  CHECK_FALSE(d.feed("hel", 3, rec));
  CHECK(rec.data == "hel");
  CHECK_FALSE(d.feed("lo\nPI", 5, rec));
  CHECK(rec.data == "hello\n");  // "PI" might still become a ping
  CHECK(d.buffered() == 2);
  CHECK_FALSE(d.feed("X", 1, rec));
  CHECK(rec.data == "hello\nPIX");
  CHECK(d.buffered() == 0);
}

TEST_CASE("line: heartbeats with the Msgtest/OK texts as lines", "[codec]") {
  codec::line_options o;
  o.ping = "Msgtest";
  o.pong = "OK";
  const auto out = decode_every_way(o, "Msgtest\nOK\nOK then\nMsgtest\r\nOKAY\n");
  CHECK(out.rec.events == events{"PING", "PONG", "D:OK then\n", "PING", "D:OKAY\n"});
}

TEST_CASE("line: texts sharing a prefix", "[codec]") {
  codec::line_options o;
  o.ping = "HEART";
  o.pong = "HEARTBEAT";
  const auto out = decode_every_way(o, "HEART\nHEARTBEAT\nHEARTB\nHEARTBEATS\n");
  CHECK(out.rec.events == events{"PING", "PONG", "D:HEARTB\nHEARTBEATS\n"});
}

// ---- bare framing (the classic Msgtest / OK heartbeat) -------------------------------------

namespace {

/// Decodes `reads`, one `feed` call per read (bare framing: a call is a read), then
/// finishes the stream unless an error ended it.
outcome decode_reads(const codec::line_options& o, const std::vector<std::string>& reads) {
  outcome out;
  codec::line_decoder d(o);
  for (const auto& r : reads) {
    out.ec = d.feed(r.data(), r.size(), out.rec);
    CHECK(d.buffered() == 0);  // nothing is held between reads
    CHECK_FALSE(d.mid_unit());
    if (out.ec) return out;
  }
  out.ec = d.finish(out.rec);
  return out;
}

/// True when `read` is exactly a sequence of whole ping/pong texts (a heartbeat read).
bool whole_texts(const codec::line_options& o, const std::string& read) {
  std::size_t pos = 0;
  while (pos < read.size()) {
    if (read.compare(pos, o.ping.size(), o.ping) == 0)
      pos += o.ping.size();
    else if (read.compare(pos, o.pong.size(), o.pong) == 0)
      pos += o.pong.size();
    else
      return false;
  }
  return !read.empty();
}

}  // namespace

TEST_CASE("line bare: a read that is exactly the text is a heartbeat", "[codec]") {
  const auto o = codec::line_options::msgtest_ok();
  CHECK(decode_reads(o, {"Msgtest"}).rec.events == events{"PING"});
  CHECK(decode_reads(o, {"OK"}).rec.events == events{"PONG"});
  CHECK(decode_reads(o, {"OK", "OK", "Msgtest"}).rec.events == events{"PONG", "PONG", "PING"});
}

TEST_CASE("line bare: texts that coalesced into one read are heartbeats in order",
          "[codec]") {
  const auto o = codec::line_options::msgtest_ok();
  CHECK(decode_reads(o, {"OKOK"}).rec.events == events{"PONG", "PONG"});
  CHECK(decode_reads(o, {"MsgtestMsgtestMsgtest"}).rec.events ==
        events{"PING", "PING", "PING"});
  // A pong and a ping written together (our own end answers and pings in one write).
  CHECK(decode_reads(o, {"OKMsgtest"}).rec.events == events{"PONG", "PING"});
  // A long run is still heartbeats, and max_line_length does not apply to it.
  auto small = o;
  small.max_line_length = 10;
  std::string run;
  for (int i = 0; i < 50; ++i) run += "OK";
  const auto out = decode_reads(small, {run});
  CHECK_FALSE(out.ec);
  CHECK(out.rec.pongs == 50);
  CHECK(out.rec.data.empty());
}

TEST_CASE("line bare: a text inside user data is user data", "[codec]") {
  const auto o = codec::line_options::msgtest_ok();
  // The example: "OK" inside "BOOKING" used to be taken out ("BOING").
  CHECK(decode_reads(o, {"BOOKING"}).rec.events == events{"D:BOOKING"});
  CHECK(decode_reads(o, {"OKx"}).rec.events == events{"D:OKx"});
  CHECK(decode_reads(o, {"xOK"}).rec.events == events{"D:xOK"});
  CHECK(decode_reads(o, {"OKOKx"}).rec.events == events{"D:OKOKx"});
  CHECK(decode_reads(o, {"OKMsgtes"}).rec.events == events{"D:OKMsgtes"});
  CHECK(decode_reads(o, {"I said Msgtest, you said OK"}).rec.events ==
        events{"D:I said Msgtest, you said OK"});
  // A newline is not part of a bare heartbeat: the read is data.
  CHECK(decode_reads(o, {"OK\n"}).rec.events == events{"D:OK\n"});
  CHECK(decode_reads(o, {"\nOK"}).rec.events == events{"D:\nOK"});
  CHECK(decode_reads(o, {"OK\r\n"}).rec.events == events{"D:OK\r\n"});
  // Data and heartbeats in separate reads.
  CHECK(decode_reads(o, {"BOOKING", "OK", "BOOK", "Msgtest", "ING\n"}).rec.events ==
        events{"D:BOOKING", "PONG", "D:BOOK", "PING", "D:ING\n"});
}

TEST_CASE("line bare: a text split across two reads is user data", "[codec]") {
  const auto o = codec::line_options::msgtest_ok();
  // Nothing is held between reads: "O" then "K" is two reads of data.
  const auto out = decode_reads(o, {"O", "K"});
  CHECK(out.rec.events == events{"D:OK"});
  CHECK(out.rec.pongs == 0);
  CHECK(decode_reads(o, {"Msg", "test", "OK"}).rec.events == events{"D:Msgtest", "PONG"});
  // A truncated text at the end of the stream is data as well.
  CHECK(decode_reads(o, {"Msgtest", "Msgte"}).rec.events == events{"PING", "D:Msgte"});
}

TEST_CASE("line bare: texts sharing a prefix parse without ambiguity", "[codec]") {
  codec::line_options p;
  p.framing = codec::line_framing::bare;
  p.ping = "abab";
  p.pong = "abx";
  REQUIRE_FALSE(p.validate());
  CHECK(decode_reads(p, {"ababab", "abxabab", "ababa"}).rec.events ==
        events{"D:ababab", "PONG", "PING", "D:ababa"});
}

TEST_CASE("line bare: max_line_length bounds user bytes between newlines across reads",
          "[codec]") {
  auto p = codec::line_options::msgtest_ok();
  p.max_line_length = 10;
  // Heartbeat reads between user bytes do not count towards the line.
  const auto ok =
      decode_reads(p, {"01234", "Msgtest", "56789", "\n", "0123456789\n", "OK", "0123456789"});
  CHECK_FALSE(ok.ec);
  CHECK(ok.rec.pings == 1);
  CHECK(ok.rec.pongs == 1);
  CHECK(ok.rec.data == "0123456789\n0123456789\n0123456789");
  // One byte too many, across reads: the bytes within the limit are delivered first.
  const auto bad = decode_reads(p, {"0123456789", "Msgtex"});
  CHECK(bad.ec == error::frame_too_large);
  CHECK(bad.rec.data == "0123456789");
  const auto in_one = decode_reads(p, {"0123\n0123456789x\n"});
  CHECK(in_one.ec == error::frame_too_large);
  CHECK(in_one.rec.data == "0123\n0123456789");
  // A text that starts the excess is no heartbeat inside data either.
  const auto text_excess = decode_reads(p, {"0123456789OK"});
  CHECK(text_excess.ec == error::frame_too_large);
  CHECK(text_excess.rec.data == "0123456789");
  CHECK(text_excess.rec.pongs == 0);
  // Errors are sticky.
  codec::line_decoder d(p);
  recorder rec;
  CHECK(d.feed("0123456789x", 11, rec) == error::frame_too_large);
  CHECK(d.feed("OK", 2, rec) == error::frame_too_large);
  CHECK(d.finish(rec) == error::frame_too_large);
  CHECK(rec.pongs == 0);
}

// ---- encoder ----------------------------------------------------------------------------

TEST_CASE("line encoder: heartbeat bytes", "[codec]") {
  SECTION("newline") {
    const codec::line_encoder e;
    CHECK(e.ping() == "PING\n");
    CHECK(e.pong() == "PONG\n");
  }
  SECTION("CRLF") {
    codec::line_options o;
    o.send_crlf = true;
    const codec::line_encoder e(o);
    CHECK(e.ping() == "PING\r\n");
    CHECK(e.pong() == "PONG\r\n");
  }
  SECTION("bare Msgtest/OK, exactly the bytes the classic peer sends and compares") {
    const codec::line_encoder e(codec::line_options::msgtest_ok());
    CHECK(e.ping() == "Msgtest");
    CHECK(e.pong() == "OK");
  }
}

TEST_CASE("line encoder: heartbeats only at line boundaries", "[codec]") {
  codec::line_encoder e;
  CHECK(e.at_line_boundary());
  e.on_data("partial", 7);
  CHECK_FALSE(e.at_line_boundary());
  e.on_data("", 0);
  CHECK_FALSE(e.at_line_boundary());
  e.on_data(" line\n", 6);
  CHECK(e.at_line_boundary());
  e.on_data("a\nb", 3);
  CHECK_FALSE(e.at_line_boundary());

  codec::line_encoder bare(codec::line_options::msgtest_ok());
  bare.on_data("partial", 7);
  CHECK(bare.at_line_boundary());
}

TEST_CASE("line encoder: chunking cuts after a newline", "[codec]") {
  const codec::line_encoder e;
  const std::string s = "aaa\nbbbb\ncc";
  CHECK(e.chunk_size(s.data(), s.size(), 100) == s.size());  // fits: no cut
  CHECK(e.chunk_size(s.data(), s.size(), 10) == 9);           // after "bbbb\n"
  CHECK(e.chunk_size(s.data(), s.size(), 9) == 9);
  CHECK(e.chunk_size(s.data(), s.size(), 8) == 4);  // after "aaa\n"
  CHECK(e.chunk_size(s.data(), s.size(), 3) == 3);  // no newline within: the limit
  CHECK(e.chunk_size(s.data(), s.size(), 0) == 1);
  CHECK(e.chunk_size(s.data(), 0, 10) == 0);
  const codec::line_encoder bare(codec::line_options::msgtest_ok());
  CHECK(bare.chunk_size(s.data(), s.size(), 8) == 8);
}

// ---- round trips ------------------------------------------------------------------------

// A random user stream (lines that are never exactly a heartbeat text) with heartbeats
// inserted at line boundaries, fed in random chunks: the user bytes arrive identical and
// every heartbeat is seen.
// Decodes `wire` fed in chunks whose sizes `next_size()` picks, recording the events;
// requires that neither feeding nor finishing fails.
template <class NextSize>
void decode_in_random_chunks(const codec::line_options& o, const std::string& wire,
                             NextSize next_size, recorder& rec) {
  codec::line_decoder dec(o);
  std::size_t pos = 0;
  while (pos < wire.size()) {
    const std::size_t n = std::min<std::size_t>(next_size(), wire.size() - pos);
    REQUIRE_FALSE(dec.feed(wire.data() + pos, n, rec));
    pos += n;
  }
  REQUIRE_FALSE(dec.finish(rec));
}

TEST_CASE("line: random streams round-trip byte for byte", "[codec]") {
  std::mt19937 rng(4);
  const auto roll = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  for (const bool crlf : {false, true}) {
    codec::line_options o;
    o.send_crlf = crlf;
    o.max_line_length = 200;
    codec::line_encoder enc(o);
    for (int run = 0; run < 100; ++run) {
      std::string wire;
      std::string user;
      std::size_t pings = 0;
      std::size_t pongs = 0;
      for (int line = 0; line < 60; ++line) {
        switch (roll(4)) {
          case 0:
            wire += enc.ping();
            ++pings;
            break;
          case 1:
            wire += enc.pong();
            ++pongs;
            break;
          default: {
            // Alphabet rich in heartbeat-like bytes.
            static const char alphabet[] = "PINGOPONG\r \t\x01\xff";
            std::string l;
            const auto len = roll(30);
            for (std::uint32_t i = 0; i < len; ++i) l += alphabet[roll(sizeof alphabet - 1)];
            if (l == "PING" || l == "PONG" || l == "PING\r" || l == "PONG\r") l += "x";
            l += '\n';
            user += l;
            wire += l;
          }
        }
      }
      recorder rec;
      decode_in_random_chunks(o, wire, [&] { return 1 + roll(40); }, rec);
      CHECK(rec.data == user);
      CHECK(rec.pings == pings);
      CHECK(rec.pongs == pongs);
    }
  }
}

TEST_CASE("line bare: random reads round-trip, heartbeat reads are heartbeats", "[codec]") {
  std::mt19937 rng(9);
  const auto roll = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  const auto o = codec::line_options::msgtest_ok();
  const codec::line_encoder enc(o);
  for (int run = 0; run < 200; ++run) {
    std::vector<std::string> reads;
    std::string user;
    std::size_t pings = 0;
    std::size_t pongs = 0;
    for (int piece = 0; piece < 40; ++piece) {
      if (roll(2) == 0) {
        // One to three heartbeats that coalesced into one read.
        std::string r;
        for (std::uint32_t i = 0, n = 1 + roll(3); i < n; ++i) {
          if (roll(2) == 0) {
            r += enc.ping();
            ++pings;
          } else {
            r += enc.pong();
            ++pongs;
          }
        }
        reads.push_back(r);
        continue;
      }
      // User bytes rich in the texts: whole texts, pieces of them, newlines. A read that
      // happens to be whole texts only would be heartbeats (the remaining ambiguity):
      // make it data.
      static const char* const pieces[] = {"Msgtest", "OK", "Msg", "O", "K", "test", "\n", "BOOKING"};
      std::string r;
      for (std::uint32_t i = 0, n = 1 + roll(4); i < n; ++i) r += pieces[roll(8)];
      if (whole_texts(o, r)) r += "!";
      user += r;
      reads.push_back(r);
    }
    const auto out = decode_reads(o, reads);
    REQUIRE_FALSE(out.ec);
    CHECK(out.rec.data == user);
    CHECK(out.rec.pings == pings);
    CHECK(out.rec.pongs == pongs);
  }
}

}  // namespace codec_line_test
