// Lifetime and concurrency of liveness::session (issue 6): stopping the io_context
// mid-flight, destroying it with operations pending, cancelling async_wait_dead while the
// peer dies, a session driven from 4 threads through a strand, destroying a session on its
// strand while 4 threads run it. Every handler must run exactly once (or, when its
// io_context is destroyed, be released without running), with nothing leaked; the tsan
// test variant runs these under ThreadSanitizer, the asan variant under ASan + UBSan.
//
// What session_test.cpp already covers is not repeated: destroying a session with
// operations pending on one thread, per-operation cancellation of async_wait_dead, two
// sessions on strands of a 4-thread io_context; nor what registry_test.cpp covers on one
// thread (a registry destroyed with sessions, writes and a grace timer pending, or from its
// own handler).
//
// Every test bounds its own time: threads run the io_context while the main thread waits
// with deadlines; on a missed deadline the test fails and the io_context is stopped.
#include <liveness/registry.hpp>
#include <liveness/session.hpp>

#include "asio_includes.hpp"
#include "roles.hpp"
#include "test_support.hpp"
#include "handler_log.hpp"
#include "loopback.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace lifetime_test {

using namespace std::chrono_literals;

namespace {

using liveness_test::connected;
using liveness_test::handler_log;
using liveness_test::run_for;
using liveness_test::run_until;
using liveness_test::socket_pair;

namespace lv = liveness;
namespace net = liveness::net;
using tcp = net::ip::tcp;
using lv::error;
using lv::error_code;
using clk = std::chrono::steady_clock;
using lp_policy = lv::heartbeat::ping_pong<lv::codec::length_prefixed>;
using session_t = lv::session<tcp::socket, lp_policy>;
using strand_t = net::strand<net::io_context::executor_type>;

lv::session_options<lp_policy> fast_options() {
  lv::session_options<lp_policy> o;
  o.heartbeat.interval = 30ms;  // timers and heartbeats run all the time
  o.heartbeat.min_ping_interval = 10ms;
  o.heartbeat.timeout = 5s;  // no verdict from a loaded machine's scheduling
  o.keepalive = std::nullopt;
  return o;
}

/// An io_context run by `n` threads until the pool is destroyed (or `stop()`).
struct thread_pool {
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> guard;
  std::vector<std::thread> threads;

  explicit thread_pool(int n) : io(n), guard(io.get_executor()) {
    for (int i = 0; i < n; ++i) threads.emplace_back([this] { io.run(); });
  }
  ~thread_pool() { stop(); }
  void stop() {
    guard.reset();
    io.stop();
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }
};

/// Runs `f` on `ex` and waits for it (at most `budget`). False on timeout.
template <class Executor, class F>
bool run_on(const Executor& ex, F f, clk::duration budget = 5s) {
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  net::post(ex, [f = std::move(f), done]() mutable {
    f();
    done->set_value();
  });
  return fut.wait_for(budget) == std::future_status::ready;
}

/// Waits until `pred()` (evaluated on `ex`) holds, at most `budget`.
template <class Executor, class Pred>
bool wait_on(const Executor& ex, Pred pred, clk::duration budget) {
  const auto deadline = clk::now() + budget;
  for (;;) {
    bool ok = false;
    if (!run_on(ex, [&] { ok = pred(); }, budget)) return false;
    if (ok) return true;
    if (clk::now() >= deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
}

}  // namespace

// =============================================================================================
// Stopping and destroying the io_context
// =============================================================================================

TEST_CASE("lifetime: the io_context stopped mid-flight, then restarted: every handler runs "
          "exactly once",
          "[lifetime][threads]") {
  net::io_context io;
  auto p = connected(io, io.get_executor(), io.get_executor());
  auto o = fast_options();
  auto a = std::make_unique<session_t>(std::move(p.client), liveness_test::with_role(o, liveness::role::client));
  auto b = std::make_unique<session_t>(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  // b's application never reads: a's big write stays pending once b's read buffer is full.
  handler_log log;
  auto big = std::make_shared<std::string>(64 * 1024 * 1024, 'w');
  auto rbuf = std::make_shared<std::array<char, 64>>();
  error_code read_ec, write_ec, wait_ec;
  const int read_id = log.start(), write_id = log.start(), wait_id = log.start();
  a->async_read_some(net::buffer(*rbuf), [&, rbuf](error_code ec, std::size_t) {
    log.ran(read_id);
    read_ec = ec;
  });
  net::async_write(*a, net::buffer(*big), [&, big](error_code ec, std::size_t) {
    log.ran(write_id);
    write_ec = ec;
  });
  a->async_wait_dead([&](error_code ec) {
    log.ran(wait_id);
    wait_ec = ec;
  });
  run_for(io, 150ms);

  // Stop from inside a handler, with timers, reads and the write in flight.
  net::post(io, [&] { io.stop(); });
  io.run();
  REQUIRE(io.stopped());
  CHECK(log.wrong().size() == 3);  // none ran yet

  SECTION("the session is destroyed while stopped") {
    a.reset();
    io.restart();
    REQUIRE(run_until(io, [&] { return log.wrong().empty(); }, 3s));
    CHECK(read_ec == net::error::operation_aborted);
    CHECK(write_ec == net::error::operation_aborted);
    CHECK(wait_ec == net::error::operation_aborted);
  }
  SECTION("the sessions carry on after restart") {
    io.restart();
    run_for(io, 200ms);
    CHECK_FALSE(a->is_dead());
    CHECK_FALSE(b->is_dead());
    CHECK(log.wrong().size() == 3);
    b.reset();  // the peer goes: a learns it, each handler once
    REQUIRE(run_until(io, [&] { return log.wrong().empty(); }, 3s));
    CHECK((wait_ec == error::peer_closed || wait_ec == error::peer_reset));
    CHECK(write_ec);
    CHECK(read_ec);
  }
  run_for(io, 50ms);
  CHECK(log.wrong().empty());
  CHECK(log.started() == 3);
}

TEST_CASE("lifetime: an io_context destroyed with operations pending releases every handler "
          "without running it",
          "[lifetime][threads]") {
  auto io = std::make_unique<net::io_context>();
  auto p = connected(*io, io->get_executor(), io->get_executor());
  auto o = fast_options();
  auto a = std::make_unique<session_t>(std::move(p.client), liveness_test::with_role(o, liveness::role::client));
  auto b = std::make_unique<session_t>(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  // Each handler owns a token; if any handler (or the session state it keeps alive) were
  // leaked, its token would stay shared.
  auto token = std::make_shared<int>(0);
  auto big = std::make_shared<std::string>(64 * 1024 * 1024, 'w');
  auto msg = std::make_shared<std::string>();
  std::atomic<int> ran{0};
  const auto start_ops = [&] {
    auto rbuf = std::make_shared<std::array<char, 64>>();
    a->async_read_some(net::buffer(*rbuf), [&ran, token, rbuf](error_code, std::size_t) { ++ran; });
    net::async_write(*a, net::buffer(*big), [&ran, token, big](error_code, std::size_t) { ++ran; });
    a->async_wait_dead([&ran, token](error_code) { ++ran; });
    b->async_wait_dead([&ran, token](error_code) { ++ran; });
    b->async_read_message(net::dynamic_buffer(*msg),
                          [&ran, token, msg](error_code, std::size_t) { ++ran; });
  };

  SECTION("operations waiting on sockets and timers; sessions destroyed, loop never run "
          "again") {
    start_ops();
    run_for(*io, 100ms);
    a.reset();
    b.reset();
  }
  SECTION("operations not started yet (their first step is posted)") {
    start_ops();
    a.reset();
    b.reset();
  }
  SECTION("sessions closed, completions queued but never run") {
    start_ops();
    run_for(*io, 50ms);
    a->close();
    b->close();
    a.reset();
    b.reset();
  }
  const int ran_before_destroy = ran;
  io.reset();
  CHECK(ran == ran_before_destroy);  // destroying the io_context runs no handler
  CHECK(token.use_count() == 1);     // ... but releases every one of them
  CHECK(big.use_count() == 1);
}

// =============================================================================================
// Cancellation racing the peer's death
// =============================================================================================

TEST_CASE("lifetime: cancelling async_wait_dead while the peer dies, on a 4-thread "
          "io_context, completes it exactly once",
          "[lifetime][threads]") {
  thread_pool pool(4);
  handler_log log;
  int aborted = 0, peer_gone = 0;
  for (int round = 0; round < 30; ++round) {
    INFO("round " << round);
    auto strand = net::make_strand(pool.io);
    auto peer_strand = net::make_strand(pool.io);
    auto p = connected(pool.io, peer_strand, strand);  // client: the peer; server: ours
    std::optional<session_t> s;
    net::cancellation_signal cancel;
    std::mutex m;
    std::vector<error_code> results;
    REQUIRE(run_on(strand, [&] {
      s.emplace(std::move(p.server), liveness_test::with_role(fast_options(), liveness::role::server));
      const int id = log.start();
      s->async_wait_dead(net::bind_cancellation_slot(cancel.slot(), [&, id](error_code ec) {
        log.ran(id);
        std::lock_guard<std::mutex> lock(m);
        results.push_back(ec);
      }));
    }));
    // Race: the cancellation on the session's strand, the peer's close on its own strand.
    std::promise<void> closed;
    net::post(peer_strand, [&] {
      error_code ignored;
      p.client.close(ignored);
      closed.set_value();
    });
    net::post(strand, [&] { cancel.emit(net::cancellation_type::terminal); });
    REQUIRE(closed.get_future().wait_for(5s) == std::future_status::ready);
    REQUIRE(wait_on(strand, [&] {
      std::lock_guard<std::mutex> lock(m);
      return !results.empty();
    }, 5s));
    // Let any duplicate show up, then destroy the session on its strand.
    std::this_thread::sleep_for(5ms);
    REQUIRE(run_on(strand, [&] { s.reset(); }));
    std::this_thread::sleep_for(2ms);
    std::lock_guard<std::mutex> lock(m);
    REQUIRE(results.size() == 1);
    if (results[0] == net::error::operation_aborted) {
      ++aborted;
    } else {
      CHECK((results[0] == error::peer_closed || results[0] == error::peer_reset));
      ++peer_gone;
    }
  }
  std::cout << "[lifetime] cancel vs death: " << aborted << " cancelled, " << peer_gone
            << " peer gone first\n";
  CHECK(aborted + peer_gone == 30);
  CHECK(log.wrong().empty());
}

// =============================================================================================
// A session driven from 4 threads through a strand
// =============================================================================================

TEST_CASE("lifetime: a session driven from 4 threads through its strand delivers every "
          "message once, in order per thread",
          "[lifetime][threads]") {
  thread_pool pool(4);
  auto strand_a = net::make_strand(pool.io);
  auto strand_b = net::make_strand(pool.io);
  auto p = connected(pool.io, strand_a, strand_b);
  const auto o = fast_options();
  std::optional<session_t> a, b;
  REQUIRE(run_on(strand_a, [&] { a.emplace(std::move(p.client), liveness_test::with_role(o, liveness::role::client)); }));
  REQUIRE(run_on(strand_b, [&] { b.emplace(std::move(p.server), liveness_test::with_role(o, liveness::role::server)); }));
  handler_log log;
  std::atomic<int> off_strand{0};

  // a: a queue of messages, written one at a time (one write at a time is the session's
  // rule), touched on strand_a only.
  std::vector<std::shared_ptr<std::string>> queue;
  bool writing = false;
  std::size_t written = 0;
  std::function<void()> pump = [&] {
    if (writing || queue.empty()) return;
    writing = true;
    auto msg = queue.front();
    queue.erase(queue.begin());
    const int id = log.start();
    a->async_write_message(net::buffer(*msg), [&, id, msg](error_code ec, std::size_t) {
      log.ran(id);
      if (!strand_a.running_in_this_thread()) ++off_strand;
      writing = false;
      if (ec) return;
      ++written;
      pump();
    });
  };
  // b: reads whole messages, on strand_b only.
  std::vector<std::string> received;
  std::string buf;
  std::function<void()> read_next = [&] {
    const int id = log.start();
    buf.clear();
    b->async_read_message(net::dynamic_buffer(buf), [&, id](error_code ec, std::size_t) {
      log.ran(id);
      if (!strand_b.running_in_this_thread()) ++off_strand;
      if (ec) return;
      received.push_back(buf);
      read_next();
    });
  };
  error_code a_dead, b_dead;
  REQUIRE(run_on(strand_b, [&] {
    const int id = log.start();
    b->async_wait_dead([&, id](error_code ec) {
      log.ran(id);
      b_dead = ec;
    });
    read_next();
  }));
  REQUIRE(run_on(strand_a, [&] {
    const int id = log.start();
    a->async_wait_dead([&, id](error_code ec) {
      log.ran(id);
      a_dead = ec;
    });
  }));

  // 4 application threads submit messages and read stats, all through strand_a.
  constexpr int per_thread = 50;
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto msg = std::make_shared<std::string>("t" + std::to_string(t) + ":" +
                                                 std::to_string(i) + ":" +
                                                 std::string(static_cast<std::size_t>(i * 97 % 5000), 'x'));
        net::post(strand_a, [&, msg] {
          queue.push_back(msg);
          pump();
        });
        net::post(strand_a, [&] { (void)a->stats(); });
        if (i % 10 == 0) std::this_thread::sleep_for(3ms);  // let heartbeats interleave
      }
    });
  }
  for (auto& t : producers) t.join();
  const bool all = wait_on(strand_b, [&] { return received.size() == 4 * per_thread; }, 10s);
  CHECK(all);
  std::this_thread::sleep_for(100ms);  // idle: heartbeats only
  REQUIRE(run_on(strand_a, [&] { a->close(); }));
  REQUIRE(wait_on(strand_b, [&] { return b->is_dead(); }, 5s));
  std::uint64_t pings = 0;
  REQUIRE(run_on(strand_a, [&] { pings += a->stats().pings_sent; }));
  REQUIRE(run_on(strand_b, [&] { pings += b->stats().pings_sent; }));
  REQUIRE(wait_on(strand_a, [&] { return log.wrong().empty(); }, 5s));

  // Every message once, each thread's in its order (checked here, on the test's thread).
  std::vector<std::string> got;
  REQUIRE(run_on(strand_b, [&] { got = received; }));
  std::array<int, 4> next{};
  for (const auto& m : got) {
    REQUIRE(m.size() >= 4);
    const int t = m[1] - '0';
    REQUIRE((t >= 0 && t < 4));
    const auto colon = m.find(':', 3);
    const int i = std::stoi(m.substr(3, colon - 3));
    CHECK(i == next[static_cast<std::size_t>(t)]);
    next[static_cast<std::size_t>(t)] = i + 1;
  }
  for (const int n : next) CHECK(n == per_thread);
  std::cout << "[lifetime] 4 threads through a strand: " << got.size() << " messages, "
            << pings << " pings, " << log.started() << " handlers\n";
  CHECK(written == 4 * per_thread);
  CHECK(off_strand == 0);
  CHECK(a_dead == net::error::operation_aborted);
  CHECK((b_dead == error::peer_closed || b_dead == error::peer_reset));
  REQUIRE(run_on(strand_a, [&] { a.reset(); }));
  REQUIRE(run_on(strand_b, [&] { b.reset(); }));
}

TEST_CASE("lifetime: destroying a session on its strand while 4 threads run it completes "
          "each pending operation exactly once",
          "[lifetime][threads]") {
  thread_pool pool(4);
  handler_log log;
  auto token = std::make_shared<int>(0);
  for (int round = 0; round < 20; ++round) {
    INFO("round " << round);
    auto strand = net::make_strand(pool.io);
    auto peer_strand = net::make_strand(pool.io);
    auto p = connected(pool.io, peer_strand, strand);  // client: the peer; server: ours
    std::optional<session_t> s, peer;
    std::mutex m;
    std::vector<error_code> results;
    const auto record = [&](int id, error_code ec) {
      log.ran(id);
      std::lock_guard<std::mutex> lock(m);
      results.push_back(ec);
    };
    REQUIRE(run_on(peer_strand, [&] { peer.emplace(std::move(p.client), liveness_test::with_role(fast_options(), liveness::role::client)); }));
    REQUIRE(run_on(strand, [&] {
      s.emplace(std::move(p.server), liveness_test::with_role(fast_options(), liveness::role::server));
      // More than the peer's read buffer and both sockets' buffers hold together (about
      // 11 MiB on loopback), so the write is still pending when the session goes.
      auto big = std::make_shared<std::string>(64 * 1024 * 1024, 'd');
      auto rbuf = std::make_shared<std::array<char, 32>>();
      const int r = log.start(), w = log.start(), d = log.start();
      s->async_read_some(net::buffer(*rbuf), [&, r, rbuf, token](error_code ec, std::size_t) {
        record(r, ec);
      });
      net::async_write(*s, net::buffer(*big), [&, w, big, token](error_code ec, std::size_t) {
        record(w, ec);
      });
      s->async_wait_dead([&, d, token](error_code ec) { record(d, ec); });
    }));
    // Vary where the operations are when the session goes.
    std::this_thread::sleep_for(std::chrono::milliseconds(round % 5 * 4));
    REQUIRE(run_on(strand, [&] { s.reset(); }));
    REQUIRE(wait_on(strand, [&] {
      std::lock_guard<std::mutex> lock(m);
      return results.size() >= 3;
    }, 5s));
    REQUIRE(run_on(peer_strand, [&] { peer.reset(); }));
    std::this_thread::sleep_for(5ms);
    std::lock_guard<std::mutex> lock(m);
    CHECK(results.size() == 3);
    for (const auto& ec : results) CHECK(ec == net::error::operation_aborted);
  }
  CHECK(log.wrong().empty());
  CHECK(log.started() == 60);
  // All handlers (and the session states they held) are gone.
  REQUIRE(wait_on(pool.io.get_executor(), [&] { return token.use_count() == 1; }, 5s));
}

// =============================================================================================
// A registry destroyed on its strand while 4 threads run its sessions
// =============================================================================================

TEST_CASE("lifetime: registry destroyed with sessions pending, on a strand of a 4-thread "
          "io_context: no event after, app-held sessions closed, nothing leaked",
          "[lifetime][registry][threads]") {
  thread_pool pool(4);
  auto strand = net::make_strand(pool.io);
  auto peer_strand = net::make_strand(pool.io);
  const auto o = fast_options();
  std::optional<lv::registry<session_t>> reg;
  std::atomic<int> online{0}, offline{0};
  REQUIRE(run_on(strand, [&] {
    reg.emplace(strand, lv::registry_options::with_grace(10s));
    reg->on_online([&](const lv::peer_event&) { ++online; });
    reg->on_offline([&](const lv::peer_event&) { ++offline; });
  }));

  // 6 clients that never read (broadcasts stay in flight); ours on `strand`.
  constexpr int n = 6;
  std::vector<tcp::socket> peers;
  std::vector<std::weak_ptr<session_t>> weak;
  std::shared_ptr<session_t> held;  // the application keeps one session
  for (int i = 0; i < n; ++i) {
    auto p = connected(pool.io, peer_strand, strand);
    peers.push_back(std::move(p.client));
    REQUIRE(run_on(strand, [&] {
      auto sp = reg->add(session_t(std::move(p.server), liveness_test::with_role(o, liveness::role::server)), "c" + std::to_string(i));
      weak.push_back(sp);
      if (i == 0) held = sp;
    }));
  }
  handler_log log;
  error_code held_read_ec;
  auto rbuf = std::make_shared<std::array<char, 16>>();
  REQUIRE(run_on(strand, [&] {
    const int id = log.start();
    held->async_read_some(net::buffer(*rbuf), [&, id, rbuf](error_code ec, std::size_t) {
      log.ran(id);
      held_read_ec = ec;
    });
  }));
  // The last client goes: its id enters the 10 s grace period (offline pending).
  REQUIRE(run_on(peer_strand, [&] { peers.back().close(); }));
  std::size_t live = 0;
  REQUIRE(wait_on(strand, [&] { return (live = reg->live()) == n - 1; }, 5s));
  std::size_t queued = 0;
  REQUIRE(run_on(strand, [&] {
    const std::string big(2 * 1024 * 1024, 'b');
    for (int k = 0; k < 3; ++k) queued += reg->broadcast(net::buffer(big));
  }));
  CHECK(queued == 3 * (n - 1));
  std::this_thread::sleep_for(50ms);  // writes, heartbeats and the grace timer in flight

  REQUIRE(run_on(strand, [&] { reg.reset(); }));
  // The held session was closed with the registry: its read completes, once.
  REQUIRE(wait_on(strand, [&] { return log.wrong().empty(); }, 5s));
  std::this_thread::sleep_for(100ms);  // anything still pending runs now
  bool held_dead = true;
  REQUIRE(run_on(strand, [&] {
    held_dead = held->is_dead();
    held.reset();
  }));
  // Every session (and the handlers holding them) is released: no cycle through the
  // registry's state survives it.
  const bool all_released = wait_on(strand, [&] {
    for (const auto& w : weak)
      if (!w.expired()) return false;
    return true;
  }, 5s);
  REQUIRE(run_on(peer_strand, [&] {
    for (auto& p : peers) {
      error_code ignored;
      p.close(ignored);
    }
  }));
  std::cout << "[lifetime] registry destroyed: " << online << " online, " << offline
            << " offline, read ended with '" << held_read_ec.message() << "'\n";
  CHECK(online == n);
  CHECK(offline == 0);  // the grace period was pending: it ends with the registry, silently
  CHECK(held_read_ec == net::error::operation_aborted);
  CHECK_FALSE(held_dead);  // closed by us, not a death of the peer
  CHECK(all_released);
  CHECK(log.wrong().empty());
}

}  // namespace lifetime_test
