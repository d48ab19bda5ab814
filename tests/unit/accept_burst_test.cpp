// async_accept_loop under a burst (issue 16, "Accept bursts"): connections already waiting
// in the accept queue are taken without a trip through the reactor each, in bounded
// batches, and still every one reaches on_socket exactly once and in accept order; the
// loop still pauses at EMFILE in the middle of a batch and resumes; cancellation in the
// middle of a batch leaves the rest queued; async_accept_loop_on still calls
// next_executor() once per socket; the acceptor's modes are given back when the loop ends.
//
// Loopback sockets only; every test bounds its own time.
#include <liveness/accept.hpp>

#include "asio_includes.hpp"
#include "test_support.hpp"
#include "loopback.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <thread>
// As in accept_test.cpp: the sanitizers' runtime needs free descriptors.
#define LIVENESS_TEST_HAVE_FORK 1
#endif

namespace accept_burst_test {

using namespace std::chrono_literals;

namespace {

namespace lv = liveness;
namespace net = liveness::net;
using tcp = net::ip::tcp;
using lv::accept_event;
using lv::accept_event_kind;
using lv::error_code;
using liveness_test::run_until;

const tcp::endpoint any_loopback(net::ip::make_address("127.0.0.1"), 0);

/// `n` clients connected one after the other (each handshake done before the next starts,
/// so the accept queue holds them in this order); their local ports, in that order.
std::vector<std::uint16_t> queue_clients(net::io_context& io, const tcp::acceptor& acceptor,
                                         int n, std::vector<tcp::socket>& clients) {
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < n; ++i) {
    clients.emplace_back(io);
    clients.back().connect(acceptor.local_endpoint());
    ports.push_back(clients.back().local_endpoint().port());
  }
  return ports;
}

}  // namespace

TEST_CASE("accept burst: a queued burst reaches on_socket once each, in accept order, "
          "in bounded batches",
          "[accept][burst]") {
  net::io_context io;
  tcp::acceptor acceptor(io, any_loopback);
  std::vector<tcp::socket> clients;
  constexpr int n = 200;  // more than three batches of 64
  const auto ports = queue_clients(io, acceptor, n, clients);

  std::vector<std::uint16_t> peers;
  std::vector<tcp::socket> accepted;
  std::vector<accept_event> events;
  int completions = 0;
  error_code result;
  net::cancellation_signal cancel;
  lv::async_accept_loop(
      acceptor, lv::accept_options{},
      [&](tcp::socket s, const tcp::endpoint& peer) {
        peers.push_back(peer.port());
        accepted.push_back(std::move(s));
      },
      [&](const accept_event& e) { events.push_back(e); },
      net::bind_cancellation_slot(cancel.slot(), [&](error_code ec) {
        ++completions;
        result = ec;
      }));
  // A handler queued behind the loop's first completion runs before the burst is all
  // taken: a batch is bounded, the executor's other work is not starved.
  int seen_by_other_handler = -1;
  net::post(io, [&] { seen_by_other_handler = static_cast<int>(peers.size()); });

  REQUIRE(run_until(io, [&] { return static_cast<int>(peers.size()) >= n; }, 20s));
  liveness_test::run_for(io, 50ms);  // nothing more may arrive
  CHECK(peers == ports);             // each once, in the order they were queued
  CHECK(events.empty());
  for (auto& s : accepted) CHECK(s.is_open());
  CHECK(seen_by_other_handler > 1);  // more than one socket per handler: drained
  CHECK(seen_by_other_handler < n);  // but not the whole burst in one handler
  CHECK(completions == 0);

  // The loop keeps accepting after the burst, through async_accept again.
  tcp::socket late(io);
  late.connect(acceptor.local_endpoint());
  const auto late_port = late.local_endpoint().port();
  REQUIRE(run_until(io, [&] { return static_cast<int>(peers.size()) == n + 1; }, 10s));
  CHECK(peers.back() == late_port);

  CHECK(acceptor.non_blocking());  // the loop's own mode while it runs
  cancel.emit(net::cancellation_type::terminal);
  REQUIRE(run_until(io, [&] { return completions > 0; }, 5s));
  CHECK(result == net::error::operation_aborted);
  // Given back as the caller had it: a blocking acceptor that does not report
  // connection_aborted.
  CHECK_FALSE(acceptor.non_blocking());
  tcp::socket::enable_connection_aborted aborted;
  acceptor.get_option(aborted);
  CHECK_FALSE(aborted.value());
}

TEST_CASE("accept burst: cancellation in the middle of a batch ends the loop at once and "
          "leaves the rest queued",
          "[accept][burst]") {
  net::io_context io;
  tcp::acceptor acceptor(io, any_loopback);
  acceptor.non_blocking(true);  // the caller's mode: kept
  std::vector<tcp::socket> clients;
  constexpr int n = 10;
  const auto ports = queue_clients(io, acceptor, n, clients);

  std::vector<std::uint16_t> peers;
  int completions = 0;
  error_code result;
  net::cancellation_signal cancel;
  lv::async_accept_loop(
      acceptor, lv::accept_options{},
      [&](tcp::socket, const tcp::endpoint& peer) {
        peers.push_back(peer.port());
        if (peers.size() == 3) cancel.emit(net::cancellation_type::terminal);
      },
      [](const accept_event&) {},
      net::bind_cancellation_slot(cancel.slot(), [&](error_code ec) {
        ++completions;
        result = ec;
      }));
  REQUIRE(run_until(io, [&] { return completions > 0; }, 10s));
  CHECK(result == net::error::operation_aborted);
  CHECK(completions == 1);
  REQUIRE(peers.size() == 3);  // the socket that came with the signal is still handed over
  CHECK(acceptor.non_blocking());

  // The other seven are still in the queue, in order: a new loop takes them.
  lv::async_accept_loop(
      acceptor, lv::accept_options{},
      [&](tcp::socket, const tcp::endpoint& peer) {
        peers.push_back(peer.port());
        if (peers.size() == n) acceptor.close();  // a handler closing it ends the loop
      },
      [](const accept_event&) {},
      [&](error_code ec) {
        ++completions;
        result = ec;
      });
  REQUIRE(run_until(io, [&] { return completions > 1; }, 10s));
  CHECK(result == net::error::operation_aborted);
  CHECK(peers == ports);
}

TEST_CASE("accept burst: async_accept_loop_on calls next_executor once per socket, so a "
          "round robin stays one",
          "[accept][burst]") {
  net::io_context io;
  net::io_context shard_a;
  net::io_context shard_b;
  tcp::acceptor acceptor(io, any_loopback);
  std::vector<tcp::socket> clients;
  constexpr int n = 100;
  const auto ports = queue_clients(io, acceptor, n, clients);

  std::size_t calls = 0;
  std::vector<std::uint16_t> peers;
  std::vector<bool> on_a;  // per socket: made on shard_a's executor
  int completions = 0;
  net::cancellation_signal cancel;
  lv::async_accept_loop_on(
      acceptor, lv::accept_options{},
      [&]() -> net::any_io_executor {
        return (calls++ % 2 == 0) ? shard_a.get_executor() : shard_b.get_executor();
      },
      [&](tcp::socket s, const tcp::endpoint& peer) {
        peers.push_back(peer.port());
        on_a.push_back(s.get_executor() == net::any_io_executor(shard_a.get_executor()));
      },
      [](const accept_event&) {},
      net::bind_cancellation_slot(cancel.slot(), [&](error_code) { ++completions; }));
  REQUIRE(run_until(io, [&] { return static_cast<int>(peers.size()) >= n; }, 20s));
  liveness_test::run_for(io, 50ms);
  CHECK(peers == ports);
  // One call per socket, plus the one of the accept still pending.
  CHECK(calls == n + 1);
  int alternations = 0;
  for (std::size_t i = 0; i < on_a.size(); ++i) alternations += on_a[i] == (i % 2 == 0);
  CHECK(alternations == n);
  cancel.emit(net::cancellation_type::terminal);
  REQUIRE(run_until(io, [&] { return completions > 0; }, 5s));
}

#if defined(LIVENESS_TEST_HAVE_FORK)

namespace {

constexpr int emfile_burst = 40;
constexpr int emfile_free = 5;  // descriptors free when the burst is drained

/// The child: a queued burst of `emfile_burst` connections (made by the child itself, so the
/// parent's test process keeps its limit), then a descriptor limit that leaves
/// `emfile_free` free for accepting: the batch stops at EMFILE; later the filler descriptors
/// are closed and the loop resumes. Exit code 0 when every check held,
/// else the number of the first one that failed.
int burst_at_emfile_child_checks();

/// The child's checks, and on a failure what it saw (on stderr, for the test's log).
int burst_at_emfile_child() {
  const int code = burst_at_emfile_child_checks();
  if (code != 0) std::fprintf(stderr, "[accept burst] EMFILE child: check %d failed\n", code);
  return code;
}

int burst_at_emfile_child_checks() {
  net::io_context io;
  tcp::acceptor acceptor(io, any_loopback);
  std::vector<tcp::socket> clients;
  const auto ports = queue_clients(io, acceptor, emfile_burst, clients);
  // The clients' ends as raw descriptors, so that they can be closed to free room.
  std::vector<int> client_fds;
  for (auto& c : clients) client_fds.push_back(c.release());

  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 2;
  int highest = 0;
  for (int fd = 0; fd < 4096; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1) highest = fd;
  }
  // Room above the highest open descriptor for the whole burst and some slack, whatever
  // descriptors this process inherited (an earlier version relied on inherited holes and
  // failed where there were none), all taken by the filler below but `emfile_free`.
  rl.rlim_cur = static_cast<rlim_t>(highest + 1 + emfile_burst + 8);
  if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) return 3;
  std::vector<int> filler;
  for (;;) {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    filler.push_back(fd);
  }
  if (errno != EMFILE || static_cast<int>(filler.size()) < emfile_burst + 8) {
    std::fprintf(stderr, "[accept burst] EMFILE child: highest %d, %zu filler, errno %d\n",
                 highest, filler.size(), errno);
    return 11;
  }
  for (int i = 0; i < emfile_free && !filler.empty(); ++i) {
    ::close(filler.back());
    filler.pop_back();
  }

  std::vector<std::uint16_t> peers;
  std::vector<tcp::socket> accepted;
  std::vector<accept_event> events;
  int completions = 0;
  lv::accept_options o;
  o.initial_pause = 5ms;
  o.max_pause = 20ms;
  net::cancellation_signal cancel;
  lv::async_accept_loop(
      acceptor, o,
      [&](tcp::socket s, const tcp::endpoint& peer) {
        peers.push_back(peer.port());
        accepted.push_back(std::move(s));
      },
      [&](const accept_event& e) { events.push_back(e); },
      net::bind_cancellation_slot(cancel.slot(), [&](error_code) { ++completions; }));
  // Until the pause (a loaded machine may take its time), then a little longer: nothing
  // more may arrive while the limit holds.
  run_until(io, [&] { return !events.empty(); }, 10s);
  liveness_test::run_for(io, 100ms);
  const auto seen = [&] {
    std::fprintf(stderr, "[accept burst] EMFILE child: %zu accepted of %d, %zu events:",
                 peers.size(), emfile_burst, events.size());
    for (const auto& e : events)
      std::fprintf(stderr, " %s (%s)",
                   e.kind == accept_event_kind::paused    ? "paused"
                   : e.kind == accept_event_kind::resumed ? "resumed"
                                                          : "failed",
                   e.error.message().c_str());
    std::fprintf(stderr, "\n");
  };
  if (static_cast<int>(peers.size()) != emfile_free) {  // stopped at the limit
    seen();
    return 4;
  }
  if (events.size() != 1 || events[0].kind != accept_event_kind::paused) {
    seen();
    return 5;
  }
  if (events[0].error != net::error::no_descriptors) return 6;

  // Room again: the filler goes.
  for (int fd : filler) ::close(fd);
  filler.clear();
  if (!run_until(io, [&] { return static_cast<int>(peers.size()) >= emfile_burst; }, 10s)) {
    seen();
    return 7;
  }
  liveness_test::run_for(io, 50ms);
  if (peers != ports) return 8;  // each once, in order, across the pause
  if (events.size() != 2 || events[1].kind != accept_event_kind::resumed) {
    seen();
    return 9;
  }
  cancel.emit(net::cancellation_type::terminal);
  if (!run_until(io, [&] { return completions > 0; }, 5s)) return 10;
  for (int fd : client_fds) ::close(fd);
  return 0;
}

}  // namespace

TEST_CASE("accept burst: a batch stops at EMFILE with one paused event and resumes in order",
          "[accept][burst][emfile]") {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 20;
    try {
      code = burst_at_emfile_child();
    } catch (...) {
      code = 21;
    }
    ::_exit(code);
  }
  int status = 0;
  bool reaped = false;
  for (int i = 0; i < 400 && !reaped; ++i) {  // 20 s at most
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      reaped = true;
    } else {
      std::this_thread::sleep_for(50ms);
    }
  }
  if (!reaped) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  REQUIRE(reaped);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // else: the number of the check that failed
}

#endif  // LIVENESS_TEST_HAVE_FORK

}  // namespace accept_burst_test
