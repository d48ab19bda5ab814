// A codec written by a user from docs/codec.md alone, in a session: the session names no
// codec, so one that meets the Codec requirements carries data, pings and pongs, and a
// peer that stops answering is found. The codec: every frame is a tag byte ('D' data,
// 'P' ping, 'O' pong) and a length byte, then up to 255 payload bytes.
#include <liveness/session.hpp>

#include "asio_includes.hpp"
#include "roles.hpp"
#include "test_support.hpp"
#include "loopback.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace session_user_codec_test {

namespace {

using namespace std::chrono_literals;
namespace lv = liveness;
namespace net = liveness::net;
using tcp = net::ip::tcp;

struct tagged {
  static constexpr bool has_messages = false;

  struct options {
    static options standard() { return {}; }
    lv::error_code validate() const { return {}; }
  };

  class decoder {
   public:
    explicit decoder(const options& = {}) {}
    template <class Handler>
    lv::error_code feed(const char* data, std::size_t size, Handler&& h) {
      for (std::size_t i = 0; i < size; ++i) {
        const char c = data[i];
        if (header_ == 0) {
          if (c != 'D' && c != 'P' && c != 'O') return lv::make_error_code(lv::error::protocol_error);
          tag_ = c;
          header_ = 1;
        } else if (header_ == 1) {
          left_ = static_cast<unsigned char>(c);
          header_ = 2;
          if (left_ == 0) end(h);
        } else {
          payload_.push_back(c);
          if (--left_ == 0) end(h);
        }
      }
      return {};
    }
    template <class Handler>
    lv::error_code finish(Handler&&) {
      return header_ == 0 ? lv::error_code() : lv::make_error_code(lv::error::protocol_error);
    }
    bool data_completes_unit() const noexcept { return false; }
    bool mid_unit() const noexcept { return header_ != 0; }
    std::uint64_t units_ended() const noexcept { return data_frames_; }

   private:
    template <class Handler>
    void end(Handler& h) {
      if (tag_ == 'D') {
        ++data_frames_;
        if (!payload_.empty()) h.on_data(payload_.data(), payload_.size());
      } else if (tag_ == 'P') {
        h.on_ping(payload_.data(), payload_.size());
      } else {
        h.on_pong(payload_.data(), payload_.size());
      }
      payload_.clear();
      header_ = 0;
    }
    int header_ = 0;  // 0: expecting a tag, 1: a length, 2: payload
    char tag_ = 0;
    std::size_t left_ = 0;
    std::string payload_;
    std::uint64_t data_frames_ = 0;
  };

  class encoder {
   public:
    explicit encoder(const options& = {}) {}
    std::size_t frame_chunk(const char*, std::size_t size, std::size_t max_chunk, bool,
                            lv::codec::chunk_header& header) const {
      const std::size_t n = std::min({size, std::max<std::size_t>(max_chunk, 1), std::size_t(255)});
      header.bytes[0] = 'D';
      header.bytes[1] = static_cast<char>(n);
      header.size = 2;
      return n;
    }
    bool heartbeat_allowed() const noexcept { return true; }
    void append_heartbeat(bool ping, std::string& out) const {
      out.push_back(ping ? 'P' : 'O');
      out.push_back('\0');
    }
  };
};

static_assert(lv::codec::is_codec_v<tagged>, "the test codec meets the Codec requirements");
static_assert(!lv::codec::has_messages_v<tagged>);

using policy = lv::heartbeat::ping_pong<tagged>;
using session_t = lv::session<tcp::socket, policy>;

lv::session_options<policy> options() {
  lv::session_options<policy> o;
  o.heartbeat.interval = 100ms;
  o.heartbeat.timeout = 300ms;
  o.heartbeat.min_ping_interval = 20ms;
  return o;
}

}  // namespace

TEST_CASE("session: a user codec carries data pings and pongs", "[session][codec]") {
  net::io_context io;
  auto pair = liveness_test::connected(io);
  session_t client(std::move(pair.client), liveness_test::with_role(options(), liveness::role::client));
  session_t server(std::move(pair.server), liveness_test::with_role(options(), liveness::role::server));

  const std::string text(1000, 'x');  // four frames of at most 255 bytes
  std::string received;
  std::array<char, 4096> buf{};
  std::function<void()> read = [&] {
    server.async_read_some(net::buffer(buf), [&](lv::error_code ec, std::size_t n) {
      if (ec) return;
      received.append(buf.data(), n);
      read();
    });
  };
  read();
  net::async_write(client, net::buffer(text), [](lv::error_code, std::size_t) {});
  REQUIRE(liveness_test::run_until(io, [&] { return received.size() == text.size(); }, 5s));
  CHECK(received == text);
  // An idle link: pings and pongs go both ways through the user codec, nobody dies.
  liveness_test::run_for(io, 600ms);
  CHECK(client.stats().pings_sent + server.stats().pings_sent > 0);
  CHECK(client.stats().pongs_received + server.stats().pongs_received > 0);
  CHECK_FALSE(client.is_dead());
  CHECK_FALSE(server.is_dead());
}

TEST_CASE("session: a user codec finds a peer that stops answering", "[session][codec]") {
  net::io_context io;
  auto pair = liveness_test::connected(io);
  session_t client(std::move(pair.client), liveness_test::with_role(options(), liveness::role::client));
  liveness_test::raw_peer peer(std::move(pair.server));  // reads, never answers
  peer.start_reading();
  liveness_test::death_watch dead;
  dead.watch(client);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(liveness_test::run_until(io, [&] { return dead.calls == 1; }, 5s));
  CHECK(dead.reason == lv::error::heartbeat_timeout);
  CHECK(dead.at - start >= 390ms);  // interval + timeout, minus the clock's grain
  CHECK(peer.received.find("P\0", 0, 2) != std::string::npos);  // our ping, in our format
}

TEST_CASE("session: bytes a user codec refuses end the session with its reason",
          "[session][codec]") {
  net::io_context io;
  auto pair = liveness_test::connected(io);
  session_t client(std::move(pair.client), liveness_test::with_role(options(), liveness::role::client));
  liveness_test::raw_peer peer(std::move(pair.server));
  liveness_test::death_watch dead;
  dead.watch(client);
  peer.write("Z");
  REQUIRE(liveness_test::run_until(io, [&] { return dead.calls == 1; }, 5s));
  CHECK(dead.reason == lv::error::protocol_error);
}

}  // namespace session_user_codec_test
