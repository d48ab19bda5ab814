// async_accept_loop (issue 11, item 5): every connection handed over; one paused and one
// resumed event per episode at the descriptor limit, never one per retry; other errors
// reported and backed off; cancellation and closing end the loop; and a real EMFILE episode
// in a forked child (its RLIMIT_NOFILE lowered and its descriptor table filled; the test
// process keeps its own limit) that costs almost no CPU and ends when descriptors are freed.
//
// The event logic runs against a scripted acceptor (any type with async_accept works),
// the rest against loopback sockets. Every test bounds its own time.
#include <liveness/accept.hpp>

#include "asio_includes.hpp"
#include "test_support.hpp"
#include "loopback.hpp"

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <future>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#define LIVENESS_TEST_HAVE_FORK 1
#endif
// The EMFILE case fills the child's descriptor table, and the sanitizers' runtime needs
// free descriptors (UBSan's vptr check probes memory through a pipe and, at EMFILE,
// reports every virtual call as an invalid vptr): not built into the sanitizer variants.
// It runs in every other variant.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#undef LIVENESS_TEST_HAVE_FORK
#endif

namespace accept_test {

using namespace std::chrono_literals;

namespace {

namespace lv = liveness;
namespace net = liveness::net;
using tcp = net::ip::tcp;
using lv::accept_event;
using lv::accept_event_kind;
using lv::error_code;
using liveness_test::run_until;
using clk = std::chrono::steady_clock;

/// An acceptor whose accepts complete as scripted: each entry of `script` is one accept's
/// result (an empty code: a connection, handed over as an unopened socket). When the script
/// is used up, accepts fail with `repeat`, or (empty `repeat`) wait until `close()`.
struct scripted_acceptor {
  using executor_type = net::io_context::executor_type;
  using protocol_type = tcp;
  using endpoint_type = tcp::endpoint;
  using socket_type = tcp::socket::rebind_executor<executor_type>::other;

  explicit scripted_acceptor(net::io_context& io) : io_(io), waiting_(io) {}

  executor_type get_executor() noexcept { return io_.get_executor(); }
  bool is_open() const noexcept { return open_; }
  void close() {
    open_ = false;
    waiting_.cancel();
  }

  template <class Handler>
  void async_accept(endpoint_type& peer, Handler&& handler) {
    peer = endpoint_type(net::ip::make_address("127.0.0.1"), 1);
    ++accepts;
    const auto ex = get_executor();
    error_code ec;
    if (!script.empty()) {
      ec = script.front();
      script.pop_front();
    } else if (repeat) {
      ec = repeat;
    } else {
      waiting_.expires_at(net::steady_timer::time_point::max());
      waiting_.async_wait([h = std::move(handler), ex](error_code) mutable {
        h(error_code(net::error::operation_aborted), socket_type(ex));
      });
      return;
    }
    net::post(io_, [h = std::move(handler), ec, ex]() mutable { h(ec, socket_type(ex)); });
  }

  std::deque<error_code> script;
  error_code repeat;
  int accepts = 0;

 private:
  net::io_context& io_;
  net::steady_timer waiting_;
  bool open_ = true;
};

/// What a loop reported.
struct loop_record {
  std::vector<accept_event> events;
  int sockets = 0;
  int completions = 0;
  error_code result;

  int count(accept_event_kind k) const {
    int n = 0;
    for (const auto& e : events) n += e.kind == k ? 1 : 0;
    return n;
  }
};

template <class Acceptor>
void start_loop(Acceptor& acceptor, const lv::accept_options& options, loop_record& r,
                net::cancellation_slot slot = {}) {
  lv::async_accept_loop(
      acceptor, options, [&r](auto) { ++r.sockets; },
      [&r](const accept_event& e) { r.events.push_back(e); },
      net::bind_cancellation_slot(slot, [&r](error_code ec) {
        ++r.completions;
        r.result = ec;
      }));
}

lv::accept_options fast_options() {
  lv::accept_options o;
  o.initial_pause = 1ms;
  o.max_pause = 4ms;
  return o;
}

const error_code emfile = net::error::no_descriptors;
const error_code enfile = make_error_code(lv::sys::errc::too_many_files_open_in_system);
const error_code accepted{};  // a script entry: a connection

}  // namespace

TEST_CASE("accept: the pause schedule doubles to its cap and refuses a zero pause",
          "[accept]") {
  lv::accept_options o;
  CHECK(o.initial_pause == 10ms);
  CHECK(o.max_pause == 1s);
  CHECK_FALSE(o.validate());
  CHECK(o.pause(1) == 10ms);
  CHECK(o.pause(2) == 20ms);
  CHECK(o.pause(7) == 640ms);
  CHECK(o.pause(8) == 1s);
  CHECK(o.pause(UINT32_MAX) == 1s);

  lv::accept_options zero;
  zero.initial_pause = 0ms;
  CHECK(zero.validate() == lv::core::backoff_error::negative_min_delay);
  lv::accept_options inverted;
  inverted.max_pause = 5ms;
  CHECK(inverted.validate() == lv::core::backoff_error::max_below_min);
  lv::accept_options huge;
  huge.initial_pause = lv::core::duration::max() / 3;
  huge.max_pause = lv::core::duration::max();
  CHECK(huge.pause(UINT32_MAX) == lv::core::duration::max());

  CHECK(lv::is_accept_resource_error(net::error::no_descriptors));
  CHECK(lv::is_accept_resource_error(net::error::no_buffer_space));
  CHECK(lv::is_accept_resource_error(net::error::no_memory));
  CHECK(lv::is_accept_resource_error(
      enfile));
  CHECK_FALSE(lv::is_accept_resource_error(net::error::connection_aborted));
  CHECK_FALSE(lv::is_accept_resource_error(error_code()));
}

TEST_CASE("accept: one paused and one resumed event per episode however many retries",
          "[accept]") {
  net::io_context io;
  scripted_acceptor acceptor(io);
  // One episode mixing every resource error, then three connections; a second episode.
  const error_code enobufs = net::error::no_buffer_space;
  const error_code enomem = net::error::no_memory;
  acceptor.script = {emfile,   enfile,   enobufs,  enomem, emfile,
                     accepted, accepted, accepted, enobufs, accepted};
  loop_record r;
  const auto t0 = clk::now();
  start_loop(acceptor, fast_options(), r);
  CHECK(acceptor.accepts == 1);
  CHECK(r.events.empty());  // nothing inline
  REQUIRE(run_until(io, [&] { return r.sockets == 4; }, 10s));
  const auto took = clk::now() - t0;

  REQUIRE(r.events.size() == 4);
  CHECK(r.events[0].kind == accept_event_kind::paused);
  CHECK(r.events[0].error == emfile);
  CHECK(r.events[0].pause == 1ms);
  CHECK(r.events[1].kind == accept_event_kind::resumed);
  CHECK(r.events[1].error == emfile);  // the error that began the episode
  CHECK(r.events[1].retries == 5);     // 4 more failures, then the connection
  CHECK(r.events[1].pause >= 1ms + 2ms + 4ms + 4ms + 4ms);
  CHECK(r.events[1].pause <= took);
  // A connection resets the schedule: the next episode starts again at 1 ms.
  CHECK(r.events[2].kind == accept_event_kind::paused);
  CHECK(r.events[2].error == net::error::no_buffer_space);
  CHECK(r.events[2].pause == 1ms);
  CHECK(r.events[3].kind == accept_event_kind::resumed);
  CHECK(r.events[3].retries == 1);
  CHECK(r.completions == 0);

  acceptor.close();
  REQUIRE(run_until(io, [&] { return r.completions > 0; }, 5s));
  CHECK(r.result == net::error::operation_aborted);
  CHECK(r.events.size() == 4);
}

TEST_CASE("accept: other errors are reported each time and backed off", "[accept]") {
  net::io_context io;
  scripted_acceptor acceptor(io);
  acceptor.repeat = net::error::connection_reset;
  loop_record r;
  auto o = fast_options();
  o.initial_pause = 20ms;
  o.max_pause = 80ms;
  start_loop(acceptor, o, r);
  // A persistent error does not spin: 20 + 40 + 80 + 80 ... ms apart.
  run_until(io, [] { return false; }, 500ms);
  const auto n = r.events.size();
  CHECK(n >= 3);
  CHECK(n <= 9);  // 500 ms / the pauses: 7 at most (a late timer only lowers it)
  CHECK(r.count(accept_event_kind::failed) == static_cast<int>(n));
  REQUIRE(n >= 3);
  CHECK(r.events[0].pause == 20ms);
  CHECK(r.events[1].pause == 40ms);
  CHECK(r.events[2].pause == 80ms);
  CHECK(r.events[0].error == net::error::connection_reset);
  std::cout << "accept: a persistent error raised " << n << " events in 500 ms ("
            << acceptor.accepts << " accepts)\n";

  // A connection resets the schedule.
  acceptor.repeat = {};
  acceptor.script = {accepted, net::error::connection_reset, accepted};
  REQUIRE(run_until(io, [&] { return r.sockets == 2; }, 5s));
  CHECK(r.events.back().kind == accept_event_kind::failed);
  CHECK(r.events.back().pause == 20ms);
  acceptor.close();
  REQUIRE(run_until(io, [&] { return r.completions > 0; }, 5s));
  CHECK(r.result == net::error::operation_aborted);
}

TEST_CASE("accept: cancellation ends the loop during a pause", "[accept]") {
  net::io_context io;
  scripted_acceptor acceptor(io);
  acceptor.repeat = emfile;
  loop_record r;
  net::cancellation_signal cancel;
  lv::accept_options o;
  o.initial_pause = 30s;  // the pause would outlast the test
  o.max_pause = 30s;
  start_loop(acceptor, o, r, cancel.slot());
  REQUIRE(run_until(io, [&] { return !r.events.empty(); }, 5s));
  CHECK(r.events[0].kind == accept_event_kind::paused);
  const auto t0 = clk::now();
  cancel.emit(net::cancellation_type::terminal);
  REQUIRE(run_until(io, [&] { return r.completions > 0; }, 5s));
  CHECK(clk::now() - t0 < 5s);
  CHECK(r.result == net::error::operation_aborted);
  CHECK(acceptor.accepts == 1);
  io.restart();
  io.run_for(50ms);
  CHECK(r.completions == 1);
}

TEST_CASE("accept: a closed acceptor or refused options complete at once and not inline",
          "[accept]") {
  net::io_context io;
  {
    tcp::acceptor closed(io);
    loop_record r;
    start_loop(closed, {}, r);
    CHECK(r.completions == 0);
    REQUIRE(run_until(io, [&] { return r.completions > 0; }, 5s));
    CHECK(r.result == net::error::bad_descriptor);
  }
  {
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    lv::accept_options o;
    o.initial_pause = 0ms;
    loop_record r;
    start_loop(acceptor, o, r);
    CHECK(r.completions == 0);
    REQUIRE(run_until(io, [&] { return r.completions > 0; }, 5s));
    CHECK(r.result == lv::core::backoff_error::negative_min_delay);
  }
  {
    // Open but not listening: ends with invalid_argument instead of retrying forever.
    tcp::acceptor unlistened(io);
    unlistened.open(tcp::v4());
    loop_record r;
    start_loop(unlistened, {}, r);
    REQUIRE(run_until(io, [&] { return r.completions > 0; }, 5s));
    CHECK(r.result == net::error::invalid_argument);
    CHECK(r.events.empty());
  }
}

TEST_CASE("accept: on_socket may take the peer endpoint that accept returned, even when "
          "the peer has reset at once",
          "[accept]") {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  std::vector<tcp::endpoint> peers;
  net::cancellation_signal cancel;
  bool ended = false;
  lv::async_accept_loop(
      acceptor, lv::accept_options{},
      [&](tcp::socket, const tcp::endpoint& peer) { peers.push_back(peer); },
      [](const accept_event&) {},
      net::bind_cancellation_slot(cancel.slot(), [&](error_code) { ended = true; }));
  // A client that resets right after connecting (SO_LINGER 0 + close): remote_endpoint()
  // on the accepted socket may fail by then; the endpoint from accept does not.
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  const auto client_ep = client.local_endpoint();
  client.set_option(net::socket_base::linger(true, 0));
  client.close();
  REQUIRE(run_until(io, [&] { return peers.size() == 1; }, 5s));
  CHECK(peers[0] == client_ep);
  cancel.emit(net::cancellation_type::terminal);
  REQUIRE(run_until(io, [&] { return ended; }, 5s));
}

TEST_CASE("accept: the loop accepts many loopback connections until cancelled",
          "[accept][smoke]") {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  std::vector<tcp::socket> accepted;
  std::vector<accept_event> events;
  int completions = 0;
  error_code result;
  net::cancellation_signal cancel;
  lv::async_accept_loop(
      acceptor, lv::accept_options{},
      [&](tcp::socket s) { accepted.push_back(std::move(s)); },
      [&](const accept_event& e) { events.push_back(e); },
      net::bind_cancellation_slot(cancel.slot(), [&](error_code ec) {
        ++completions;
        result = ec;
      }));
  constexpr int n = 100;
  std::vector<std::unique_ptr<tcp::socket>> clients;
  int connected = 0;
  for (int i = 0; i < n; ++i) {
    clients.push_back(std::make_unique<tcp::socket>(io));
    clients.back()->async_connect(acceptor.local_endpoint(),
                                  [&](error_code ec) { connected += ec ? 0 : 1; });
  }
  REQUIRE(run_until(io, [&] { return static_cast<int>(accepted.size()) == n; }, 20s));
  CHECK(connected == n);
  CHECK(events.empty());
  for (auto& s : accepted) CHECK(s.is_open());
  CHECK(completions == 0);

  // Per-operation cancellation ends it while an accept is pending.
  cancel.emit(net::cancellation_type::terminal);
  REQUIRE(run_until(io, [&] { return completions > 0; }, 5s));
  CHECK(result == net::error::operation_aborted);
  CHECK(acceptor.is_open());  // the loop ended; the acceptor is the caller's

  // A new loop on the same acceptor; closing the acceptor ends it too.
  completions = 0;
  lv::async_accept_loop(
      acceptor, lv::accept_options{}, [&](tcp::socket s) { accepted.push_back(std::move(s)); },
      [&](const accept_event& e) { events.push_back(e); },
      [&](error_code ec) {
        ++completions;
        result = ec;
      });
  tcp::socket late(io);
  late.connect(acceptor.local_endpoint());
  REQUIRE(run_until(io, [&] { return static_cast<int>(accepted.size()) == n + 1; }, 10s));
  acceptor.close();
  REQUIRE(run_until(io, [&] { return completions > 0; }, 5s));
  CHECK(result == net::error::operation_aborted);
}

TEST_CASE("accept: a handler that closes the acceptor ends the loop with operation_aborted",
          "[accept]") {
  net::io_context io;
  {
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    int sockets = 0;
    int completions = 0;
    error_code result;
    lv::async_accept_loop(
        acceptor, lv::accept_options{},
        [&](tcp::socket) {
          ++sockets;
          acceptor.close();
        },
        [](const accept_event&) {},
        [&](error_code ec) {
          ++completions;
          result = ec;
        });
    tcp::socket client(io);
    client.connect(acceptor.local_endpoint());
    REQUIRE(run_until(io, [&] { return completions > 0; }, 10s));
    CHECK(sockets == 1);
    CHECK(result == net::error::operation_aborted);
  }
  {
    // From the paused event: no pause is waited out (it would last 30 s).
    scripted_acceptor acceptor(io);
    acceptor.repeat = emfile;
    lv::accept_options o;
    o.initial_pause = 30s;
    o.max_pause = 30s;
    loop_record r;
    lv::async_accept_loop(
        acceptor, o, [&r](auto) { ++r.sockets; },
        [&](const accept_event& e) {
          r.events.push_back(e);
          acceptor.close();
        },
        [&r](error_code ec) {
          ++r.completions;
          r.result = ec;
        });
    REQUIRE(run_until(io, [&] { return r.completions > 0; }, 5s));
    CHECK(r.result == net::error::operation_aborted);
    CHECK(r.events.size() == 1);
    CHECK(acceptor.accepts == 1);
  }
}

TEST_CASE("accept: the loop's end through use_future", "[accept]") {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  int sockets = 0;
  std::future<void> done = lv::async_accept_loop(
      acceptor, lv::accept_options{}, [&](tcp::socket) { ++sockets; },
      [](const accept_event&) {}, net::use_future);
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  REQUIRE(run_until(io, [&] { return sockets == 1; }, 10s));
  acceptor.close();
  REQUIRE(run_until(
      io, [&] { return done.wait_for(0s) == std::future_status::ready; }, 5s));
  try {
    done.get();
    FAIL("the future held no error");
  } catch (const lv::system_error& e) {
    CHECK(e.code() == net::error::operation_aborted);
  }
}

#if defined(LIVENESS_TEST_HAVE_FORK)

namespace {

/// Reads one '\n'-terminated line from `fd`, waiting at most until `deadline`.
bool read_line(int fd, std::string& line, clk::time_point deadline) {
  line.clear();
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clk::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char c = 0;
    const auto got = ::read(fd, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    if (c == '\n') return true;
    line.push_back(c);
  }
}

void write_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const auto n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

long long cpu_us() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  const auto us = [](const timeval& t) {
    return static_cast<long long>(t.tv_sec) * 1000000 + t.tv_usec;
  };
  return us(u.ru_utime) + us(u.ru_stime);
}

constexpr int emfile_clients = 8;

/// The child: listens, reports its port, fills its descriptor table, runs the loop at the
/// limit for 1 s (CPU measured), frees 16 descriptors, waits for the parent's connections,
/// cancels the loop, and reports what happened as one line of key=value.
int emfile_child(int out) {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  write_all(out, std::to_string(acceptor.local_endpoint().port()) + "\n");

  // Lower the soft limit (in this child only) and take every descriptor below it.
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 10;
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 256) rl.rlim_cur = 256;
  if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) return 11;
  std::vector<int> filler;
  for (;;) {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    filler.push_back(fd);
  }
  if (errno != EMFILE || filler.size() < 16) return 12;

  loop_record r;
  net::cancellation_signal cancel;
  start_loop(acceptor, lv::accept_options{}, r, cancel.slot());
  const auto wall0 = clk::now();
  const auto cpu0 = cpu_us();
  liveness_test::run_for(io, 1s);
  const auto cpu_at_limit = cpu_us() - cpu0;
  const auto wall_at_limit =
      std::chrono::duration_cast<std::chrono::microseconds>(clk::now() - wall0).count();
  const int sockets_at_limit = r.sockets;
  const auto events_at_limit = r.events.size();

  for (int i = 0; i < 16; ++i) {
    ::close(filler.back());
    filler.pop_back();
  }
  const auto freed = clk::now();
  run_until(io, [&] { return r.sockets >= emfile_clients; }, 10s);
  const auto resumed_after =
      std::chrono::duration_cast<std::chrono::milliseconds>(clk::now() - freed).count();
  cancel.emit(net::cancellation_type::terminal);
  run_until(io, [&] { return r.completions > 0; }, 5s);

  std::ostringstream s;
  s << "events_at_limit=" << events_at_limit << " sockets_at_limit=" << sockets_at_limit
    << " cpu_us=" << cpu_at_limit << " wall_us=" << wall_at_limit
    << " paused=" << r.count(accept_event_kind::paused)
    << " resumed=" << r.count(accept_event_kind::resumed)
    << " failed=" << r.count(accept_event_kind::failed) << " sockets=" << r.sockets
    << " resumed_after_ms=" << resumed_after;
  for (const auto& e : r.events) {
    if (e.kind == accept_event_kind::paused) s << " first_error=" << e.error.value();
    if (e.kind == accept_event_kind::resumed) {
      s << " retries=" << e.retries << " paused_ms="
        << std::chrono::duration_cast<std::chrono::milliseconds>(e.pause).count();
    }
  }
  s << " aborted=" << (r.completions == 1 && r.result == net::error::operation_aborted ? 1 : 0)
    << "\n";
  write_all(out, s.str());
  return 0;
}

/// The value of `key=` in the child's report, or -1.
long long field(const std::string& line, const std::string& key) {
  const std::string text = " " + line;
  const auto pos = text.find(" " + key + "=");
  if (pos == std::string::npos) return -1;
  return std::atoll(text.c_str() + pos + key.size() + 2);
}

}  // namespace

TEST_CASE("accept: at EMFILE the loop pauses once with little CPU and resumes when descriptors are freed",
          "[accept][emfile]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    int code = 20;
    try {
      code = emfile_child(fds[1]);
    } catch (...) {
      code = 21;
    }
    ::_exit(code);
  }
  ::close(fds[1]);
  // Whatever happens below, the child does not outlive the test.
  struct reaper {
    pid_t pid;
    int fd;
    bool reaped = false;
    ~reaper() {
      ::close(fd);
      if (reaped) return;
      ::kill(pid, SIGKILL);  // not reaped yet: the pid is still the child's
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
  } reap{pid, fds[0]};

  const auto deadline = clk::now() + 30s;
  std::string line;
  REQUIRE(read_line(fds[0], line, deadline));
  const auto port = static_cast<unsigned short>(std::atoi(line.c_str()));
  REQUIRE(port != 0);
  // Connections wait in the child's backlog until it can accept them.
  net::io_context io;
  std::vector<tcp::socket> clients;
  for (int i = 0; i < emfile_clients; ++i) {
    clients.emplace_back(io);
    clients.back().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  const bool reported = read_line(fds[0], line, deadline);
  INFO("child: " << line);
  REQUIRE(reported);
  std::cout << "accept at EMFILE (child): " << line << "\n";

  CHECK(field(line, "events_at_limit") == 1);  // one event for the whole second
  CHECK(field(line, "sockets_at_limit") == 0);
  CHECK(field(line, "paused") == 1);
  CHECK(field(line, "resumed") == 1);
  CHECK(field(line, "failed") == 0);
  CHECK(field(line, "first_error") == EMFILE);
  CHECK(field(line, "sockets") == emfile_clients);
  // Under 20 % of a core at the limit (a loop retrying at once takes all of it).
  CHECK(field(line, "cpu_us") * 5 < field(line, "wall_us"));
  CHECK(field(line, "wall_us") >= 900000);
  // Resumed by the next retry: at most the cap (1 s) after the descriptors were freed.
  CHECK(field(line, "resumed_after_ms") < 3000);
  CHECK(field(line, "paused_ms") >= 900);
  CHECK(field(line, "retries") >= 3);   // 10, 20, 40 ... ms: several in the first second
  CHECK(field(line, "retries") <= 15);  // never one per millisecond
  CHECK(field(line, "aborted") == 1);

  int status = 0;
  for (int i = 0; i < 100 && !reap.reaped; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      reap.reaped = true;
    } else {
      std::this_thread::sleep_for(50ms);
    }
  }
  REQUIRE(reap.reaped);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

#endif  // LIVENESS_TEST_HAVE_FORK

}  // namespace accept_test
