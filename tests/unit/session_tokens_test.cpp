// Loopback tests of liveness/session.hpp with every completion-token style (plain
// callbacks, deferred, as_tuple, use_future with the io_context on another thread,
// use_awaitable) and with strands on a 4-thread io_context.
//
// Every test bounds its own time (run_until loops with a deadline). Timing assertions are
// computed from the options, with an upper slack for a loaded 2-core machine; measured values
// are printed. Helpers: tests/support/loopback.hpp and session_fixtures.hpp.
#include <liveness/session.hpp>
#include <liveness/as_tuple.hpp>

#include "asio_includes.hpp"
#include "test_support.hpp"
#include "loopback.hpp"
#include "session_fixtures.hpp"
#include "handler_log.hpp"

#if defined(LIVENESS_USE_BOOST_ASIO)
#if BOOST_VERSION >= 108000
#include <boost/asio/deferred.hpp>
#define LIVENESS_TEST_TOKEN_NS ::boost::asio
#else
#include <boost/asio/experimental/deferred.hpp>
#define LIVENESS_TEST_TOKEN_NS ::boost::asio::experimental
#endif
#else
#if ASIO_VERSION >= 102400
#include <asio/deferred.hpp>
#define LIVENESS_TEST_TOKEN_NS ::asio
#else
#include <asio/experimental/deferred.hpp>
#define LIVENESS_TEST_TOKEN_NS ::asio::experimental
#endif
#endif

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>
#include <atomic>
#include <future>
#include <thread>
#include <tuple>

namespace session_tokens_test {

using namespace liveness_test::session_names;  // lv, net, tcp, clk, session_t, helpers

namespace {

using liveness_test::handler_log;
namespace tokens {
using liveness::as_tuple;  // net::as_tuple or, before Asio 1.24, net::experimental::as_tuple
using LIVENESS_TEST_TOKEN_NS::deferred;
}  // namespace tokens

}  // namespace

// =============================================================================================
// Completion-token styles
// =============================================================================================

TEST_CASE("session: plain callbacks, deferred and as_tuple", "[session][tokens][smoke]") {
  net::io_context io;
  auto p = connected(io);
  session_t<lp_policy> a(std::move(p.client), liveness_test::as_role(liveness::role::client));
  session_t<lp_policy> b(std::move(p.server), liveness_test::as_role(liveness::role::server));
  char buf[16];

  SECTION("plain callbacks") {
    std::size_t written = 0, read = 0;
    error_code wec, rec;
    a.async_write_some(net::buffer("abc", 3), [&](error_code ec, std::size_t n) {
      wec = ec;
      written = n;
    });
    b.async_read_some(net::buffer(buf), [&](error_code ec, std::size_t n) {
      rec = ec;
      read = n;
    });
    REQUIRE(run_until(io, [&] { return written && read; }, 2s));
    CHECK_FALSE(wec);
    CHECK_FALSE(rec);
    CHECK(std::string(buf, read) == "abc");
    error_code dead;
    b.async_wait_dead([&](error_code ec) { dead = ec; });
    a.close();
    REQUIRE(run_until(io, [&] { return bool(dead); }, 2s));
    CHECK(dead == error::peer_closed);
  }

  SECTION("deferred") {
    auto write_op = a.async_write_some(net::buffer("defer", 5), tokens::deferred);
    auto read_op = b.async_read_some(net::buffer(buf), tokens::deferred);
    auto wait_op = b.async_wait_dead(tokens::deferred);
    // Nothing starts until the deferred operations are invoked.
    run_for(io, 30ms);
    std::size_t written = 0, read = 0;
    error_code dead;
    std::move(write_op)([&](error_code ec, std::size_t n) {
      CHECK_FALSE(ec);
      written = n;
    });
    std::move(read_op)([&](error_code ec, std::size_t n) {
      CHECK_FALSE(ec);
      read = n;
    });
    std::move(wait_op)([&](error_code ec) { dead = ec; });
    REQUIRE(run_until(io, [&] { return written && read; }, 2s));
    CHECK(written == 5);
    CHECK(std::string(buf, read) == "defer");
    CHECK_FALSE(dead);
    a.close();
    REQUIRE(run_until(io, [&] { return bool(dead); }, 2s));
    CHECK(dead == error::peer_closed);
  }

  SECTION("as_tuple") {
    std::optional<std::tuple<error_code, std::size_t>> w, r;
    std::optional<std::tuple<error_code>> d;
    a.async_write_some(net::buffer("tuple", 5),
                       tokens::as_tuple([&](std::tuple<error_code, std::size_t> t) { w = t; }));
    b.async_read_some(net::buffer(buf),
                      tokens::as_tuple([&](std::tuple<error_code, std::size_t> t) { r = t; }));
    b.async_wait_dead(tokens::as_tuple([&](std::tuple<error_code> t) { d = t; }));
    REQUIRE(run_until(io, [&] { return w && r; }, 2s));
    CHECK_FALSE(std::get<0>(*w));
    CHECK(std::get<1>(*w) == 5);
    CHECK_FALSE(std::get<0>(*r));
    CHECK(std::string(buf, std::get<1>(*r)) == "tuple");
    a.close();
    REQUIRE(run_until(io, [&] { return d.has_value(); }, 2s));
    CHECK(std::get<0>(*d) == error::peer_closed);
  }

  SECTION("deferred composed with as_tuple") {
    std::optional<std::tuple<error_code>> d;
    auto op = b.async_wait_dead(tokens::as_tuple(tokens::deferred));
    std::move(op)([&](std::tuple<error_code> t) { d = t; });
    a.close();
    REQUIRE(run_until(io, [&] { return d.has_value(); }, 2s));
    CHECK(std::get<0>(*d) == error::peer_closed);
  }
}

TEST_CASE("session: use_future with the io_context on another thread",
          "[session][tokens][threads]") {
  net::io_context io;
  auto p = connected(io);
  session_t<lp_policy> a(std::move(p.client), liveness_test::as_role(liveness::role::client));
  session_t<lp_policy> b(std::move(p.server), liveness_test::as_role(liveness::role::server));
  char buf[16];
  // Initiated before the io thread starts (the sessions are not yet shared).
  auto written = a.async_write_some(net::buffer("future", 6), net::use_future);
  auto read = b.async_read_some(net::buffer(buf), net::use_future);
  auto dead = b.async_wait_dead(net::use_future);

  auto guard = net::make_work_guard(io);
  std::thread t([&] { io.run_for(10s); });
  REQUIRE(written.wait_for(2s) == std::future_status::ready);
  CHECK(written.get() == 6);
  REQUIRE(read.wait_for(2s) == std::future_status::ready);
  const std::size_t n = read.get();
  CHECK(std::string(buf, n) == "future");
  CHECK(dead.wait_for(50ms) == std::future_status::timeout);

  net::post(io, [&] { a.close(); });
  REQUIRE(dead.wait_for(2s) == std::future_status::ready);
  CHECK(thrown_code([&] { dead.get(); }) == error::peer_closed);

  // A future for an operation on a closed session: operation_aborted.
  std::promise<std::future<std::size_t>> started;
  net::post(io, [&] {
    started.set_value(a.async_read_some(net::buffer(buf), net::use_future));
  });
  auto aborted = started.get_future().get();
  REQUIRE(aborted.wait_for(2s) == std::future_status::ready);
  CHECK(thrown_code([&] { aborted.get(); }) == net::error::operation_aborted);

  net::post(io, [&] { b.close(); });
  guard.reset();
  t.join();
}

TEST_CASE("session: a completion on another thread's executor leaves the session's state to "
          "the session's executor",
          "[session][tokens][threads]") {
  // The handlers of b's reads are bound to `other`, run by a second thread. After such a
  // handler the read stops being counted by the session (it is counted until after its
  // handler, so that the reads a handler starts are counted first); that must happen on
  // the session's executor, not on the handler's thread, where it would race with the
  // session's own work (the next read, the heartbeats): ThreadSanitizer reports it in the
  // tsan variant.
  net::io_context io;
  net::io_context other;
  auto p = connected(io);
  auto o = pp_options<lp_policy>(20ms, 2s);
  o.heartbeat.min_ping_interval = 10ms;
  session_t<lp_policy> a(std::move(p.client), liveness_test::with_role(o, liveness::role::client));
  session_t<lp_policy> b(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  constexpr int rounds = 300;
  std::atomic<int> reads{0};
  std::atomic<int> off_thread{0};
  std::atomic<bool> failed{false};
  std::array<char, 64> buf{};
  std::promise<std::thread::id> started;
  auto started_id = started.get_future();
  std::thread::id other_thread;  // written before the sessions run, read on `other`
  std::function<void()> read = [&] {
    b.async_read_some(net::buffer(buf), net::bind_executor(other, [&](error_code ec,
                                                                      std::size_t) {
      if (std::this_thread::get_id() != other_thread) ++off_thread;
      if (ec) {
        failed = true;
        return;
      }
      // The next read is started where the session runs, as the application must.
      if (++reads < rounds) net::post(io, read);
    }));
  };
  // a writes one byte, waits for b's read to take it, and writes again.
  std::function<void()> write = [&] {
    if (reads >= rounds || failed) return;
    net::async_write(a, net::buffer("x", 1), [&](error_code ec, std::size_t) {
      if (ec) {
        failed = true;
        return;
      }
      net::post(io, write);
    });
  };
  auto other_guard = net::make_work_guard(other);
  std::thread t([&] {
    started.set_value(std::this_thread::get_id());
    other.run_for(20s);
  });
  other_thread = started_id.get();
  net::post(io, read);
  net::post(io, write);
  const bool done = run_until(io, [&] { return reads >= rounds || failed; }, 10s);
  const bool ok = !failed;
  a.close();
  b.close();
  run_until(io, [] { return false; }, 100ms);
  other_guard.reset();
  t.join();
  INFO("reads " << reads << " of " << rounds);
  CHECK(done);
  CHECK(ok);
  CHECK(off_thread == 0);
}

TEST_CASE("session: a handler on another executor that throws still ends its read's "
          "counting",
          "[session][tokens]") {
  // The read's handler runs on `other` and throws. The read must still stop counting as
  // pending (on the session's executor): after the peer's FIN a session drains, and ends
  // at once when nothing is held or no read of the application's is pending; one that
  // believed a read still pending would hold the peer's last bytes until close_linger
  // (5 s) ran out.
  net::io_context io;
  net::io_context other;
  auto p = connected(io);
  session_t<lv::heartbeat::none> s(std::move(p.server),
                                   liveness_test::as_role(liveness::role::server));
  death_watch dead;
  dead.watch(s);
  std::array<char, 16> buf{};
  bool ran = false;
  s.async_read_some(net::buffer(buf), net::bind_executor(other, [&](error_code, std::size_t) {
                      ran = true;
                      throw std::runtime_error("the application's handler threw");
                    }));
  net::write(p.client, net::buffer("x", 1));
  bool thrown = false;
  REQUIRE(run_until(io, [&] {
    try {
      other.poll();
    } catch (const std::runtime_error&) {
      thrown = true;
    }
    return thrown;
  }, 2s));
  CHECK(ran);
  net::write(p.client, net::buffer("yz", 2));  // held: no read is pending
  run_until(io, [] { return false; }, 100ms);
  p.client.shutdown(tcp::socket::shutdown_send);
  const auto t0 = clk::now();
  REQUIRE(run_until(io, [&] { return dead.calls == 1; }, 7s));
  CHECK(dead.reason == error::peer_closed);
  INFO("peer_closed after "
       << std::chrono::duration_cast<std::chrono::milliseconds>(clk::now() - t0).count()
       << " ms");
  CHECK(clk::now() - t0 < 1s);
}

TEST_CASE("session: use_future completions run through the session's executor, not the "
          "system thread pool",
          "[session][tokens][threads]") {
  // With use_future the handler's associated executor is a promise executor that runs
  // posted work on the system thread pool. The operation's own steps must still run on the
  // session's executor (the session's state is not thread-safe): without a thread running
  // the io_context, nothing can complete.
  net::io_context io;
  auto p = connected(io);
  session_t<lv::heartbeat::none> s(std::move(p.server), liveness_test::as_role(liveness::role::server));
  death_watch first;
  first.watch(s);
  p.client.shutdown(tcp::socket::shutdown_send);
  REQUIRE(run_until(io, [&] { return first.calls == 1; }, 2s));

  auto dead = s.async_wait_dead(net::use_future);
  // Nobody runs the io_context now.
  const auto status = dead.wait_for(200ms);
  CHECK(status == std::future_status::timeout);
  run_until(io, [&] { return dead.wait_for(0s) == std::future_status::ready; }, 1s);
  REQUIRE(dead.wait_for(0s) == std::future_status::ready);
  CHECK(thrown_code([&] { dead.get(); }) == error::peer_closed);
  // Where the operation did run on the system thread pool, that thread may still be
  // destroying it (and its work guard on `io`): give it time before `io` goes away, so
  // that a failure here does not turn into a crash in the next test.
  if (status != std::future_status::timeout) std::this_thread::sleep_for(100ms);
}

TEST_CASE("session: every operation works on the session's executor and completes on the "
          "handler's",
          "[session][tokens]") {
  // The handler is bound to another io_context that nobody runs yet: an operation that ran
  // its steps where the handler's executor says (as Asio's composed operations do) would
  // not move a byte until that io_context runs.
  net::io_context io;
  net::io_context other;
  auto p = connected(io);
  session_t<lp_policy> a(std::move(p.client), liveness_test::as_role(liveness::role::client));
  session_t<lp_policy> b(std::move(p.server), liveness_test::as_role(liveness::role::server));
  const std::string message(300 * 1024, 'm');  // several frames of max_write_chunk
  std::string got;
  std::size_t got_size = 0;
  b.async_read_message(net::dynamic_buffer(got),
                       [&](error_code, std::size_t n) { got_size = n; });
  int completions = 0;
  error_code write_ec;
  std::size_t written = 0;
  a.async_write_message(net::buffer(message),
                        net::bind_executor(other, [&](error_code ec, std::size_t n) {
                          ++completions;
                          write_ec = ec;
                          written = n;
                        }));
  REQUIRE(run_until(io, [&] { return got_size == message.size(); }, 5s));
  // async_write_some and async_read_some with their handlers there too: the same.
  char small[64];
  std::size_t small_written = 0;
  a.async_write_some(net::buffer("tail", 4),
                     net::bind_executor(other, [&](error_code, std::size_t n) { small_written = n; }));
  std::size_t small_read = 0;
  b.async_read_some(net::buffer(small),
                    net::bind_executor(other, [&](error_code, std::size_t n) { small_read = n; }));
  run_for(io, 100ms);
  CHECK(completions == 0);  // the handlers wait for their own io_context
  CHECK(small_written == 0);
  CHECK(small_read == 0);
  CHECK(got == message);
  // Their io_context runs: each completes there, with the result of what already happened.
  REQUIRE(run_until(other, [&] { return completions == 1 && small_written == 4 && small_read > 0; },
                    2s));
  CHECK_FALSE(write_ec);
  CHECK(written == message.size());
  // Some of it (a read_some may end early); what it got is the start of what was written.
  CHECK(std::string(small, small_read) == std::string("tail").substr(0, small_read));
}

#if defined(ASIO_HAS_CO_AWAIT) || defined(BOOST_ASIO_HAS_CO_AWAIT)  // Asio 1.28 and clang 14: none
TEST_CASE("session: use_awaitable with co_spawn", "[session][tokens]") {
  net::io_context io;
  auto p = connected(io);
  session_t<lp_policy> a(std::move(p.client), liveness_test::as_role(liveness::role::client));
  session_t<lp_policy> b(std::move(p.server), liveness_test::as_role(liveness::role::server));
  bool finished = false;
  std::string failure;

  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        char buf[16];
        const std::size_t w =
            co_await a.async_write_some(net::buffer("await", 5), net::use_awaitable);
        if (w != 5) failure += "write size; ";
        const std::size_t r = co_await b.async_read_some(net::buffer(buf), net::use_awaitable);
        if (std::string(buf, r) != "await") failure += "read data; ";
        // Composed operations work on the session too.
        co_await net::async_write(a, net::buffer("0123456789", 10), net::use_awaitable);
        co_await net::async_read(b, net::buffer(buf, 10), net::use_awaitable);
        if (std::string(buf, 10) != "0123456789") failure += "composed read; ";
        a.close();
        // Without as_tuple, a death reason arrives as an exception.
        try {
          co_await b.async_wait_dead(net::use_awaitable);
          failure += "no exception; ";
        } catch (const lv::system_error& e) {
          if (e.code() != error::peer_closed) failure += "wrong reason; ";
        }
        // With as_tuple, as a value.
        auto [ec] = co_await b.async_wait_dead(tokens::as_tuple(net::use_awaitable));
        if (ec != error::peer_closed) failure += "wrong tuple reason; ";
        auto [rec, n] = co_await b.async_read_some(net::buffer(buf),
                                                   tokens::as_tuple(net::use_awaitable));
        if (rec != net::error::eof || n != 0) failure += "read after death; ";
        finished = true;
      },
      net::detached);
  REQUIRE(run_until(io, [&] { return finished; }, 3s));
  CHECK(failure.empty());
  INFO(failure);
}
#endif

// =============================================================================================
// Strands on a multi-threaded io_context
// =============================================================================================

TEST_CASE("session: strands on a 4-thread io_context, every handler runs exactly once",
          "[session][strands][threads]") {
  using S = session_t<lp_policy>;
  net::io_context io(4);
  auto strand_a = net::make_strand(io);
  auto strand_b = net::make_strand(io);
  auto p = connected(io, strand_a, strand_b);
  auto o = pp_options<lp_policy>(50ms, 300ms);
  o.heartbeat.min_ping_interval = 20ms;  // below interval, as validate() requires
  std::optional<S> a, b;
  a.emplace(std::move(p.client), liveness_test::with_role(o, liveness::role::client));
  b.emplace(std::move(p.server), liveness_test::with_role(o, liveness::role::server));
  handler_log log;
  std::atomic<bool> stop{false};
  std::atomic<int> off_strand{0};
  std::string a_sent, a_received;  // touched on strand_a only
  error_code a_dead, b_dead;
  net::steady_timer a_timer(strand_a);
  std::array<char, 8192> a_buf{}, b_buf{};

  // a: writes a message every 70 ms (longer than the interval, so heartbeats go out), reads
  // the echo.
  std::function<void()> a_write = [&] {
    if (stop) return;
    auto msg = std::make_shared<std::string>("msg " + std::to_string(a_sent.size()) + ";");
    a_sent += *msg;
    const int id = log.start();
    net::async_write(*a, net::buffer(*msg), [&, id, msg](error_code ec, std::size_t) {
      log.ran(id);
      if (!strand_a.running_in_this_thread()) ++off_strand;
      if (ec) return;
      const int tid = log.start();
      a_timer.expires_after(70ms);
      a_timer.async_wait([&, tid](error_code ec2) {
        log.ran(tid);
        if (!ec2) a_write();
      });
    });
  };
  std::function<void()> a_read = [&] {
    const int id = log.start();
    a->async_read_some(net::buffer(a_buf), [&, id](error_code ec, std::size_t n) {
      log.ran(id);
      if (!strand_a.running_in_this_thread()) ++off_strand;
      a_received.append(a_buf.data(), n);
      if (!ec) a_read();
    });
  };
  // b: echoes everything.
  std::function<void()> b_read = [&] {
    const int id = log.start();
    b->async_read_some(net::buffer(b_buf), [&, id](error_code ec, std::size_t n) {
      log.ran(id);
      if (!strand_b.running_in_this_thread()) ++off_strand;
      if (ec) return;
      const int wid = log.start();
      net::async_write(*b, net::buffer(b_buf.data(), n), [&, wid](error_code ec2, std::size_t) {
        log.ran(wid);
        if (!strand_b.running_in_this_thread()) ++off_strand;
        if (!ec2) b_read();
      });
    });
  };
  net::dispatch(strand_a, [&] {
    const int id = log.start();
    a->async_wait_dead([&, id](error_code ec) {
      log.ran(id);
      if (!strand_a.running_in_this_thread()) ++off_strand;
      a_dead = ec;
    });
    a_read();
    a_write();
  });
  net::dispatch(strand_b, [&] {
    const int id = log.start();
    b->async_wait_dead([&, id](error_code ec) {
      log.ran(id);
      if (!strand_b.running_in_this_thread()) ++off_strand;
      b_dead = ec;
    });
    b_read();
  });

  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { io.run_for(10s); });
  std::this_thread::sleep_for(500ms);
  net::post(strand_a, [&] {
    stop = true;
    a_timer.cancel();
    a->close();
  });
  for (auto& t : threads) t.join();

  const auto wrong = log.wrong();
  for (const auto& w : wrong) INFO("operation " << w.first << " ran " << w.second << " times");
  CHECK(wrong.empty());
  CHECK(off_strand == 0);
  std::cout << "[session] strands: " << log.started() << " handlers, a pings "
            << a->stats().pings_sent << ", b pings " << b->stats().pings_sent << ", "
            << a_sent.size() << " bytes echoed\n";
  CHECK(log.started() > 10);
  CHECK(a_dead == net::error::operation_aborted);  // closed by us
  // Closed by the peer: a FIN, or an RST when echoes were still unread in a's socket.
  CHECK((b_dead == error::peer_closed || b_dead == error::peer_reset));
  CHECK(a_sent.size() > 0);
  CHECK(a_received.size() <= a_sent.size());
  CHECK(a_received == a_sent.substr(0, a_received.size()));
  CHECK(a->stats().pings_sent + b->stats().pings_sent > 0);
  CHECK(a->stats().pongs_received + b->stats().pongs_received > 0);
}

}  // namespace session_tokens_test
