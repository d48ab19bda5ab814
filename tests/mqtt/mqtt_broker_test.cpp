// codec::mqtt against a real MQTT broker: Debian's mosquitto, started by each test on a free
// loopback port with a generated configuration in a temporary directory, killed and removed
// at the end. A liveness client session (heartbeat::ping_pong<codec::mqtt>, the client
// pings, also after its own silence) CONNECTs with keep-alive K = 2 s and
//  - stays connected through 3 x K idle seconds with one PINGREQ per interval, and sends
//    none while the link is busy both ways;
//  - stays connected as a subscriber that receives a steady stream and sends nothing of its
//    own (the broker drops a client that sent nothing for 1.5 x K);
//  - finds the SIGSTOP-ed broker dead (`heartbeat_timeout`) within interval + timeout.
// The broker's own log (log_type all) is the witness: it counts the PINGREQs it received and
// would say "exceeded timeout" had it dropped us.
//
// This file has its own main(): exit status 4 (CTest SKIP_RETURN_CODE), with a "SKIP: ..."
// line, when mosquitto is not installed; a failure instead when
// LIVENESS_REQUIRE_PRIVILEGED_TESTS=1 (CI, where scripts/test.sh installs it).
#include <liveness/codec/mqtt.hpp>
#include <liveness/session.hpp>

#include "own_main.hpp"
#include "asio_includes.hpp"
#include "loopback.hpp"
#include "mqtt_packets.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace lv = liveness;
namespace net = liveness::net;
namespace mq = liveness_test::mqtt;
using tcp = net::ip::tcp;
using clk = std::chrono::steady_clock;

using policy = lv::heartbeat::ping_pong<lv::codec::mqtt>;
using session_t = lv::session<tcp::socket, policy>;

constexpr std::uint16_t keep_alive_s = 2;  // K, in the CONNECT
constexpr auto interval = 1s;              // K / 2
constexpr auto timeout = 1s;               // K / 2

std::string mosquitto_path;  // set by main()

// ---- the broker ---------------------------------------------------------------------------

std::uint16_t free_port(net::io_context& io) {
  tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

/// mosquitto on 127.0.0.1:port(), anonymous, no persistence, logging everything to a file
/// in its temporary directory. Killed (SIGCONT, SIGKILL, reaped) and the directory removed by
/// the destructor; it also dies with the test process (PR_SET_PDEATHSIG).
class broker {
 public:
  explicit broker(net::io_context& io) {
    char dir[] = "/tmp/liveness-mqtt-XXXXXX";
    if (!::mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    // The port is free when chosen; another process may take it before mosquitto binds it:
    // then mosquitto exits and another port is tried.
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port(io);
      std::ofstream(dir_ + "/mosquitto.conf")
          << "listener " << port_ << " 127.0.0.1\n"
          << "allow_anonymous true\n"
          << "persistence false\n"
          << "log_dest stderr\n"
          << "log_type all\n"
          << "log_timestamp true\n"
          << "connection_messages true\n"
          // Run as root, mosquitto would switch to its own user, and a change of user clears
          // PR_SET_PDEATHSIG: it would outlive a crashed test.
          << (::geteuid() == 0 ? "user root\n" : "");
      start();
      if (wait_listening(io)) return;
      kill();
    }
    const std::string text = log();
    std::filesystem::remove_all(dir_);
    throw std::runtime_error("mosquitto did not start; its log:\n" + text);
  }
  broker(const broker&) = delete;
  broker& operator=(const broker&) = delete;
  ~broker() {
    kill();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::uint16_t port() const noexcept { return port_; }
  void stop() const { ::kill(pid_, SIGSTOP); }
  void resume() const { ::kill(pid_, SIGCONT); }
  /// Everything mosquitto logged so far.
  std::string log() const {
    std::ifstream in(dir_ + "/mosquitto.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  void start() {
    const std::string conf = dir_ + "/mosquitto.conf";
    const std::string log_file = dir_ + "/mosquitto.log";
    std::fflush(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(126);
      const int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execl(mosquitto_path.c_str(), "mosquitto", "-c", conf.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }

  // Until a TCP connect succeeds (true), mosquitto exits (false), or 10 s pass (false).
  bool wait_listening(net::io_context& io) {
    const auto deadline = clk::now() + 10s;
    while (clk::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      tcp::socket probe(io);
      lv::error_code ec;
      probe.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ec);
      if (!ec) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  void kill() noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::string dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// ---- the clients --------------------------------------------------------------------------

lv::session_options<policy> client_options() {
  lv::session_options<policy> o;
  o.role = lv::role::client;
  o.heartbeat.interval = interval;
  o.heartbeat.timeout = timeout;
  o.heartbeat.pinger = lv::ping_role::client;
  o.heartbeat.ping_after_own_silence = true;
  return o;
}

/// A liveness MQTT client: CONNECTs with keep-alive K, then reads every packet (one message
/// each) into `packets`.
struct mqtt_client {
  net::io_context& io;
  std::vector<std::string> packets;
  std::string in;
  liveness_test::death_watch dead;
  session_t s;  // last: destroyed first

  mqtt_client(net::io_context& ctx, std::uint16_t port, const std::string& id)
      : io(ctx), s(connect_socket(ctx, port), client_options()) {
    dead.watch(s);
    read_next();
    write(mq::connect(id, keep_alive_s));
    REQUIRE(liveness_test::run_until(io, [&] { return !packets.empty() || dead.calls; }, 10s));
    REQUIRE(dead.calls == 0);
    REQUIRE(packets.front() == mq::connack_accepted);
    packets.clear();
  }

  static tcp::socket connect_socket(net::io_context& ctx, std::uint16_t port) {
    tcp::socket socket(ctx);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    return socket;
  }

  void read_next() {
    s.async_read_message(net::dynamic_buffer(in), [this](lv::error_code ec, std::size_t) {
      if (ec) return;
      packets.push_back(in);
      in.clear();
      read_next();
    });
  }

  /// Writes one whole packet.
  void write(const std::string& packet) {
    auto bytes = std::make_shared<std::string>(packet);
    s.async_write_message(net::buffer(*bytes), [bytes](lv::error_code, std::size_t) {});
  }

  void subscribe(const std::string& topic) {
    write(mq::subscribe(1, topic));
    REQUIRE(liveness_test::run_until(io, [&] { return !packets.empty() || dead.calls; }, 10s));
    REQUIRE(packets.front() == mq::suback(1));
    packets.clear();
  }

  std::uint64_t pings() const { return s.stats().pings_sent; }
};

/// A plain MQTT client on a socket (keep-alive 0: never pings) that publishes.
struct plain_publisher {
  tcp::socket sock;
  explicit plain_publisher(net::io_context& io, std::uint16_t port) : sock(io) {
    sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    net::write(sock, net::buffer(mq::connect("liveness-plain-publisher", 0)));
    std::string ack(4, '\0');
    net::read(sock, net::buffer(ack));
    REQUIRE(ack == mq::connack_accepted);
  }
  void publish(const std::string& topic, const std::string& payload) {
    net::write(sock, net::buffer(mq::publish(topic, payload)));
  }
};

/// Calls `f` every `period` on `io` while `*on` (a timer chain: no threads).
void every(net::io_context& io, clk::duration period, std::shared_ptr<bool> on,
           std::function<void()> f) {
  auto t = std::make_shared<net::steady_timer>(io, period);
  t->async_wait([&io, period, on, f, t](lv::error_code ec) {
    if (ec || !*on) return;
    f();
    every(io, period, on, f);
  });
}

double seconds(clk::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

TEST_CASE("mqtt broker: an idle client stays connected with PINGREQs only when idle",
          "[mqtt]") {
  net::io_context io;
  broker b(io);
  mqtt_client c(io, b.port(), "liveness-idle");
  c.subscribe("liveness/echo");

  // Idle for 3 x K: one PINGREQ per interval, every one answered, the broker keeps us.
  const auto idle_start = clk::now();
  const auto pings_before = c.pings();
  liveness_test::run_for(io, 3 * std::chrono::seconds(keep_alive_s));
  const auto idle = clk::now() - idle_start;
  const auto idle_pings = c.pings() - pings_before;
  const double expected = seconds(idle) / seconds(interval);
  const std::string log = b.log();
  const auto broker_pingreqs = liveness_test::count_of(log, "Received PINGREQ from liveness-idle");
  std::cout << "[mqtt] idle " << seconds(idle) << " s: " << idle_pings << " PINGREQ sent (about "
            << expected << " expected), " << c.s.stats().pongs_received
            << " PINGRESP received, broker log: " << broker_pingreqs << " PINGREQ received\n";
  CHECK(c.dead.calls == 0);
  CHECK(static_cast<double>(idle_pings) >= expected - 2);
  CHECK(static_cast<double>(idle_pings) <= expected + 1);
  CHECK(c.s.stats().pongs_received + 1 >= c.pings());
  CHECK(broker_pingreqs + 1 >= c.pings());
  CHECK(log.find("exceeded timeout") == std::string::npos);

  // Busy both ways (we publish to a topic we subscribe to, every 200 ms): no PINGREQ.
  const auto busy_pings_before = c.pings();
  auto on = std::make_shared<bool>(true);
  every(io, 200ms, on, [&] { c.write(mq::publish("liveness/echo", "tick")); });
  liveness_test::run_for(io, 3s);
  *on = false;
  const auto busy_pings = c.pings() - busy_pings_before;
  std::cout << "[mqtt] busy 3 s: " << c.packets.size() << " PUBLISH echoed, " << busy_pings
            << " PINGREQ sent\n";
  CHECK(c.packets.size() >= 10);
  CHECK(busy_pings <= 1);  // at most one already due as the busy phase began
  CHECK(c.dead.calls == 0);
  CHECK(b.log().find("exceeded timeout") == std::string::npos);
}

TEST_CASE("mqtt broker: a subscriber that only receives is never dropped for silence",
          "[mqtt]") {
  net::io_context io;
  broker b(io);
  mqtt_client c(io, b.port(), "liveness-subscriber");
  c.subscribe("liveness/stream");
  plain_publisher pub(io, b.port());

  // A steady stream for 3 x K; the subscriber writes nothing of its own. Without pings
  // after its own silence it would hear the broker all the time, never ping, and be dropped
  // after 1.5 x K.
  const auto start = clk::now();
  const auto pings_before = c.pings();
  int published = 0;
  auto on = std::make_shared<bool>(true);
  every(io, 100ms, on, [&] { pub.publish("liveness/stream", std::to_string(++published)); });
  liveness_test::run_for(io, 3 * std::chrono::seconds(keep_alive_s));
  *on = false;
  // Whatever was published arrives: the broker still forwards to us.
  REQUIRE(liveness_test::run_until(
      io, [&] { return c.packets.size() == static_cast<std::size_t>(published) || c.dead.calls; },
      5s));
  const auto elapsed = clk::now() - start;
  const auto pings = c.pings() - pings_before;
  const std::string log = b.log();
  const auto broker_pingreqs =
      liveness_test::count_of(log, "Received PINGREQ from liveness-subscriber");
  std::cout << "[mqtt] subscriber " << seconds(elapsed) << " s: " << c.packets.size() << " of "
            << published << " PUBLISH received, " << pings
            << " PINGREQ sent after our own silence, broker log: " << broker_pingreqs
            << " PINGREQ received, " << c.s.stats().progress_pongs << " progress PINGRESP\n";
  CHECK(c.dead.calls == 0);
  CHECK(published >= 30);
  REQUIRE_FALSE(c.packets.empty());
  CHECK(c.packets.back() == mq::publish("liveness/stream", std::to_string(published)));
  CHECK(static_cast<double>(pings) >= seconds(elapsed) / seconds(interval) - 2);
  CHECK(broker_pingreqs >= pings);
  CHECK(c.s.stats().progress_pongs == 0);  // a client never sends PINGRESP
  CHECK(log.find("exceeded timeout") == std::string::npos);
  CHECK(log.find("liveness-subscriber disconnected") == std::string::npos);
}

TEST_CASE("mqtt broker: a SIGSTOP-ed broker is heartbeat_timeout within interval plus timeout",
          "[mqtt]") {
  net::io_context io;
  broker b(io);
  mqtt_client c(io, b.port(), "liveness-stopped");
  liveness_test::run_for(io, 1500ms);  // a ping or two, answered
  REQUIRE(c.dead.calls == 0);
  const auto pongs = c.s.stats().pongs_received;
  b.stop();
  const auto stopped = clk::now();
  const bool died = liveness_test::run_until(io, [&] { return c.dead.calls > 0; },
                                             interval + timeout + 5s);
  b.resume();
  REQUIRE(died);
  const auto detected = c.dead.at - stopped;
  std::cout << "[mqtt] SIGSTOP-ed broker: " << c.dead.reason.message() << " after "
            << liveness_test::to_ms(detected) << " ms (interval + timeout = "
            << liveness_test::to_ms(interval + timeout) << " ms), " << pongs
            << " PINGRESP before the stop\n";
  CHECK(pongs >= 1);
  CHECK(c.dead.calls == 1);
  CHECK(c.dead.reason == lv::error::heartbeat_timeout);
  // Not before a ping has waited its timeout (the last ping may have left just before the
  // stop), and within interval + timeout of the stop, plus a loaded machine's slack.
  CHECK(detected >= timeout - 50ms);
  CHECK(detected <= interval + timeout + 750ms);
}

int main(int argc, char* argv[]) {
  if (!liveness_test::listing_only(argc, argv)) {
    const char* override_path = std::getenv("LIVENESS_MOSQUITTO");
    if (override_path && *override_path)
      mosquitto_path = override_path;
    else if (liveness_test::locate("mosquitto"))
      mosquitto_path = liveness_test::find_on_path("mosquitto") + "/mosquitto";
    if (mosquitto_path.empty() || ::access(mosquitto_path.c_str(), X_OK) != 0)
      return liveness_test::skip(
          "mosquitto is not installed (Debian: apt-get install mosquitto; or set "
          "LIVENESS_MOSQUITTO to its path): " +
          (mosquitto_path.empty() ? std::string("not found") : mosquitto_path));
  }
  return liveness_test::run_catch(argc, argv);
}
