// Loopback tests of the data path of liveness/session.hpp: user data passes through
// untouched both ways with heartbeats interleaved, a write that starts while the socket's
// send buffer is full sends the right bytes, and 64 MiB to a slow reader trips no heartbeat
// and arrives identical.
//
// Every test bounds its own time (run_until loops with a deadline). Timing assertions are
// computed from the options, with an upper slack for a loaded 2-core machine; measured values
// are printed. Helpers: tests/support/loopback.hpp and session_fixtures.hpp.
#include <liveness/session.hpp>

#include "asio_includes.hpp"
#include "test_support.hpp"
#include "loopback.hpp"
#include "session_fixtures.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <cstring>
#include <random>

namespace session_data_test {

using namespace liveness_test::session_names;  // lv, net, tcp, clk, session_t, helpers

// =============================================================================================
// User data passes through untouched, heartbeats interleaved
// =============================================================================================

namespace {

template <class Codec>
std::vector<std::string> tricky_messages();

template <>
std::vector<std::string> tricky_messages<lv::codec::line>() {
  std::vector<std::string> m = {"PING extra\n", "xPONG\n",  "PINGPONG\n", "PIN\n",
                                "PONG PONG\n",  "\n",       "PING \n",    "hello world\n"};
  std::string binary = "bin:";
  for (int c = 0; c < 256; ++c)
    if (c != '\n') binary.push_back(static_cast<char>(c));
  m.push_back(binary + "\n");
  // A long line: many socket reads, just under the default max_line_length (64 KiB).
  std::string long_line(60 * 1024, 'L');
  std::mt19937 rng(11);
  for (auto& c : long_line) c = static_cast<char>(' ' + rng() % 95);
  m.push_back(long_line + "\n");
  return m;
}

template <>
std::vector<std::string> tricky_messages<lv::codec::length_prefixed>() {
  std::vector<std::string> m = {std::string("\0\0\0\0\x01", 5), std::string("\0\0\0\0\x02", 5),
                                "x", std::string(1, '\0'), "PING\n"};
  std::string big(200 * 1024, '\0');  // several write chunks
  std::mt19937 rng(13);
  for (auto& c : big) c = static_cast<char>(rng());
  m.push_back(big);
  std::string frames;
  for (int i = 0; i < 10; ++i) frames += lp_frame(static_cast<std::uint8_t>(i), "nested");
  m.push_back(frames);
  return m;
}

/// Reads one message of `size` bytes (length_prefixed: async_read; line: async_read_until).
template <class Codec, class Session, class Handler>
void read_message(Session& s, std::string& buf, std::size_t size, Handler&& h) {
  if constexpr (std::is_same_v<Codec, lv::codec::line>) {
    static_cast<void>(size);
    net::async_read_until(s, net::dynamic_buffer(buf), '\n',
                          [&buf, h = std::forward<Handler>(h)](error_code ec, std::size_t n) {
                            std::string line = buf.substr(0, n);
                            buf.erase(0, n);
                            h(ec, std::move(line));
                          });
  } else {
    buf.assign(size, '\0');
    net::async_read(s, net::buffer(&buf[0], size),
                    [&buf, h = std::forward<Handler>(h)](error_code ec, std::size_t n) {
                      h(ec, buf.substr(0, n));
                    });
  }
}

}  // namespace

TEMPLATE_TEST_CASE("session: user data passes through untouched both ways, heartbeats "
                   "interleaved",
                   "[session][data][smoke]", lv::codec::length_prefixed, lv::codec::line) {
  using codec = TestType;
  using policy = lv::heartbeat::ping_pong<codec>;
  const clk::duration interval = 60ms;
  const clk::duration gap = 150ms;  // idle between messages: heartbeats go out
  net::io_context io;
  auto p = connected(io);
  auto o = pp_options<policy>(interval, 300ms);
  // Both ends ping every 60 ms of silence: keep the flood guard below that.
  o.heartbeat.min_ping_interval = 20ms;
  session_t<policy> a(std::move(p.client), liveness_test::with_role(o, liveness::role::client));
  session_t<policy> b(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  death_watch dead_a, dead_b;
  dead_a.watch(a);
  dead_b.watch(b);

  const auto msgs = tricky_messages<codec>();
  std::size_t round = 0;
  std::vector<std::string> at_b, back_at_a;
  std::string buf_a, buf_b;
  error_code failure;
  bool finished = false;
  net::steady_timer pause(io);

  std::function<void()> next_round = [&] {
    if (round == msgs.size()) {
      finished = true;
      return;
    }
    const std::string& m = msgs[round];
    net::async_write(a, net::buffer(m), [&](error_code ec, std::size_t n) {
      if (ec) failure = ec;
      CHECK(n == msgs[round].size());
    });
    read_message<codec>(b, buf_b, m.size(), [&](error_code ec, std::string got) {
      if (ec) {
        failure = ec;
        return;
      }
      at_b.push_back(got);
      // Echo it back.
      auto echo = std::make_shared<std::string>(std::move(got));
      net::async_write(b, net::buffer(*echo), [&, echo](error_code ec2, std::size_t) {
        if (ec2) failure = ec2;
      });
      read_message<codec>(a, buf_a, echo->size(), [&](error_code ec3, std::string back) {
        if (ec3) {
          failure = ec3;
          return;
        }
        back_at_a.push_back(std::move(back));
        ++round;
        pause.expires_after(gap);
        pause.async_wait([&](error_code ec4) {
          if (!ec4) next_round();
        });
      });
    });
  };
  next_round();
  REQUIRE(run_until(io, [&] { return finished || failure || dead_a.calls || dead_b.calls; },
                    10s));
  INFO("failure: " << failure.message() << ", round " << round << ", at b " << at_b.size()
                    << ", back at a " << back_at_a.size() << ", a: "
                    << a.reason().message() << ", b: " << b.reason().message());
  REQUIRE_FALSE(failure);
  REQUIRE(finished);
  CHECK(dead_a.calls == 0);
  CHECK(dead_b.calls == 0);
  REQUIRE(at_b.size() == msgs.size());
  REQUIRE(back_at_a.size() == msgs.size());
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    INFO("message " << i);
    CHECK(at_b[i] == msgs[i]);
    CHECK(back_at_a[i] == msgs[i]);
  }
  const auto sa = a.stats();
  const auto sb = b.stats();
  std::cout << "[session] data+heartbeats (" << wire<codec>::name() << "): pings a/b "
            << sa.pings_sent << "/" << sb.pings_sent << ", pongs a/b " << sa.pongs_received
            << "/" << sb.pongs_received << "\n";
  CHECK(sa.pings_sent + sb.pings_sent > 0);
  CHECK(sa.pongs_received + sb.pongs_received > 0);
  CHECK(sa.pongs_sent + sb.pongs_sent > 0);
}

// =============================================================================================
// A write that starts while the socket's send buffer is full
// =============================================================================================

TEMPLATE_TEST_CASE("session: a write that starts while the socket's send buffer is full "
                   "still sends the right bytes",
                   "[session][data]", lv::codec::length_prefixed, lv::codec::line) {
  // Happens whenever the peer reads slowly: a chunk's write completes the moment the kernel
  // took its last byte, and the next chunk's first send then finds no room and waits.
  // To make that moment certain, the send buffer is filled behind the session's back, with
  // bytes the raw peer skips.
  using codec = TestType;
  using policy = lv::heartbeat::ping_pong<codec>;
  net::io_context io;
  auto p = connected(io);
  session_t<policy> s(std::move(p.server), liveness_test::with_role(pp_options<policy>(10s, 10s), liveness::role::server));
  raw_peer peer(std::move(p.client));
  death_watch dead;
  dead.watch(s);

  auto& sock = s.next_layer();
  sock.non_blocking(true);
  const std::string filler(64 * 1024, 'f');
  std::size_t filled = 0;
  for (;;) {
    error_code ec;
    const std::size_t n = sock.write_some(net::buffer(filler), ec);
    if (ec) break;
    filled += n;
  }
  REQUIRE(filled > 0);

  const std::string payload = "hello\n";
  bool written = false;
  error_code write_ec;
  s.async_write_some(net::buffer(payload), [&](error_code ec, std::size_t n) {
    written = true;
    write_ec = ec;
    CHECK(n == payload.size());
  });
  run_for(io, 50ms);
  REQUIRE_FALSE(written);  // waiting for room
  // Unrelated work on the stack meanwhile, as in any program.
  {
    volatile char junk[8192];
    for (auto& c : junk) c = static_cast<char>(0xAA);
  }
  run_for(io, 10ms);

  const std::string expected = wire<codec>::data(payload);
  peer.start_reading();
  run_until(io, [&] { return written && peer.received.size() >= filled + expected.size(); }, 3s);
  CHECK(written);
  CHECK_FALSE(write_ec);
  CHECK(dead.calls == 0);
  REQUIRE(peer.received.size() >= filled);
  const std::string tail = peer.received.substr(filled);
  std::string hex;
  for (unsigned char c : tail.substr(0, 16)) hex += " " + std::to_string(c);
  INFO("bytes after the filler:" << hex);
  CHECK(tail == expected);
}


// =============================================================================================
// 64 MiB to a slow reader: no false alarm, bytes identical
// =============================================================================================

namespace {

/// xorshift64*: fast enough to fill 64 MiB under ASan in a blink.
struct fast_rng {
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  std::uint64_t operator()() noexcept {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    return x * 0x2545F4914F6CDD1Dull;
  }
};

template <class Codec>
std::string make_bulk(std::size_t size) {
  std::string out(size, '\0');
  char* d = &out[0];
  fast_rng rng;
  if constexpr (std::is_same_v<Codec, lv::codec::length_prefixed>) {
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
      const std::uint64_t v = rng();
      std::memcpy(d + i, &v, 8);
    }
    for (; i < size; ++i) d[i] = static_cast<char>(rng());
  } else {
    // Lines of printable text (0 to 199 characters), never equal to the ping or pong text.
    std::size_t i = 0;
    while (i < size) {
      const std::size_t room = size - i - 1;
      const std::size_t len = (std::min)(static_cast<std::size_t>(rng() % 200), room);
      std::uint64_t v = 0;
      for (std::size_t k = 0; k < len; ++k) {
        if (k % 8 == 0) v = rng();
        d[i + k] = static_cast<char>(' ' + (v & 0xFF) % 95);
        v >>= 8;
      }
      if (len == 4 && (std::memcmp(d + i, "PING", 4) == 0 || std::memcmp(d + i, "PONG", 4) == 0))
        d[i] = 'x';
      d[i + len] = '\n';
      i += len + 1;
    }
  }
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("session: 64 MiB to a slow reader trips no 300 ms heartbeat, bytes arrive "
                   "identical",
                   "[session][data]", lv::codec::length_prefixed, lv::codec::line) {
  using codec = TestType;
  using policy = lv::heartbeat::ping_pong<codec>;
  constexpr std::size_t size = 64u * 1024 * 1024;
  const std::string data = make_bulk<codec>(size);
  REQUIRE(data.size() == size);

  net::io_context io;
  auto p = connected(io);
  const auto o = pp_options<policy>(100ms, 300ms);
  session_t<policy> writer(std::move(p.client), liveness_test::with_role(o, liveness::role::client));
  session_t<policy> reader(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  death_watch dead_w, dead_r;
  dead_w.watch(writer);
  dead_r.watch(reader);

  const auto start = clk::now();
  bool write_done = false;
  error_code write_ec;
  clk::time_point write_end{};
  net::async_write(writer, net::buffer(data), [&](error_code ec, std::size_t n) {
    write_ec = ec;
    write_done = true;
    write_end = clk::now();
    CHECK(n == size);
  });

  // The slow reader: 256 KiB, then 5 ms of doing nothing.
  std::vector<char> buf(256 * 1024);
  std::size_t total = 0;
  std::size_t mismatch_at = size;  // first differing offset
  error_code read_ec;
  bool read_done = false;
  net::steady_timer nap(io);
  std::function<void()> read_more = [&] {
    reader.async_read_some(net::buffer(buf), [&](error_code ec, std::size_t n) {
      if (n > 0 && mismatch_at == size) {
        if (total + n > size || std::memcmp(buf.data(), data.data() + total, n) != 0)
          mismatch_at = total;
      }
      total += n;
      if (ec || total >= size) {
        read_ec = ec;
        read_done = true;
        return;
      }
      nap.expires_after(5ms);
      nap.async_wait([&](error_code ec2) {
        if (!ec2) read_more();
      });
    });
  };
  read_more();

  run_until(io, [&] { return (read_done && write_done) || dead_w.calls || dead_r.calls; }, 25s);
  const auto elapsed = clk::now() - start;
  const auto sw = writer.stats();
  const auto sr = reader.stats();
  std::cout << "[session] 64 MiB (" << wire<codec>::name() << "): " << to_ms(elapsed)
            << " ms, writer pings " << sw.pings_sent << " pongs " << sw.pongs_received
            << " misses " << sw.consecutive_misses << ", reader pings " << sr.pings_sent
            << " pongs sent " << sr.pongs_sent << "\n";
  INFO("writer: " << writer.reason().message() << ", reader: " << reader.reason().message());
  CHECK(dead_w.calls == 0);
  CHECK(dead_r.calls == 0);
  REQUIRE(read_done);
  REQUIRE(write_done);
  CHECK_FALSE(write_ec);
  CHECK_FALSE(read_ec);
  CHECK(total == size);
  CHECK(mismatch_at == size);
  CHECK(elapsed > 1s);  // several heartbeat timeouts long
  CHECK(sw.pings_sent > 0);  // the reader says nothing, so the writer had to ping
  run_for(io, 50ms);
  CHECK(dead_w.calls == 0);
  CHECK(dead_r.calls == 0);
}

}  // namespace session_data_test
