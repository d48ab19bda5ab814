// What a liveness::session costs beyond its socket: sizeof of the shared state, heap
// allocations and bytes when it is created, bytes it holds while idle with heartbeats
// running, and whether it returns everything when closed. heartbeat::none and
// ping_pong<codec::line>, with the shared timer wheel and with a steady_timer per session.
//
// Counting replaces the global operator new/delete (a 16-byte header records the size and
// whether the block was allocated while counting). Only structural facts are asserted (no
// per-session read buffer, the wheel holds every deadline, the wheel saves the per-session
// timer, nothing is left behind); the figures are printed for docs/session.md.
//
// Asio allocates the memory of pending operations (the session's readability wait, a
// per-session timer's wait) with aligned_alloc from a per-thread cache, not with operator
// new: with glibc (not under ASan) the malloc'd total (mallinfo2, chunk overhead included)
// is printed as well, which counts those too.
#include <liveness/session.hpp>

#include "asio_includes.hpp"
#include "roles.hpp"

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)) && \
    !defined(__SANITIZE_ADDRESS__)
#include <malloc.h>
#define LIVENESS_TEST_MALLINFO 1
#endif

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace session_memory_test {

std::atomic<bool> counting{false};
std::atomic<long long> count_allocs{0};
std::atomic<long long> count_live{0};  // bytes allocated while counting, not yet freed

constexpr std::size_t header = 16;

void* counted_alloc(std::size_t n) {
  void* p = std::malloc(n + header);
  if (!p) return nullptr;
  auto* h = static_cast<std::size_t*>(p);
  const bool c = counting.load(std::memory_order_relaxed);
  h[0] = n;
  h[1] = c ? 1 : 0;
  if (c) {
    count_allocs.fetch_add(1, std::memory_order_relaxed);
    count_live.fetch_add(static_cast<long long>(n), std::memory_order_relaxed);
  }
  return static_cast<char*>(p) + header;
}

void counted_free(void* p) noexcept {
  if (!p) return;
  auto* h = reinterpret_cast<std::size_t*>(static_cast<char*>(p) - header);
  if (h[1]) count_live.fetch_sub(static_cast<long long>(h[0]), std::memory_order_relaxed);
  std::free(h);
}

}  // namespace session_memory_test

void* operator new(std::size_t n) {
  if (void* p = session_memory_test::counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = session_memory_test::counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return session_memory_test::counted_alloc(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return session_memory_test::counted_alloc(n);
}
void operator delete(void* p) noexcept { session_memory_test::counted_free(p); }
void operator delete[](void* p) noexcept { session_memory_test::counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { session_memory_test::counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { session_memory_test::counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept {
  session_memory_test::counted_free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  session_memory_test::counted_free(p);
}

namespace session_memory_test {

namespace lv = liveness;
namespace net = liveness::net;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using line_policy = lv::heartbeat::ping_pong<lv::codec::line>;

struct figures {
  std::size_t impl_size = 0;
  double allocs_at_creation = 0;
  double bytes_at_creation = 0;
  double bytes_idle = 0;      // held after a few heartbeat rounds
  double malloc_idle = -1;    // mallinfo2 delta per session while idle (-1: not available)
  double allocs_idle_per_round = 0;
  long long left_after_close = 0;
  std::size_t wheel_entries = 0;
};

template <class Policy>
lv::session_options<Policy> memory_options(bool wheel) {
  lv::session_options<Policy> o;
  o.keepalive = std::nullopt;  // the keepalive report's notes are not the session's cost
  o.use_timer_wheel = wheel;
  if constexpr (std::is_same_v<Policy, line_policy>) {
    o.heartbeat.interval = 40ms;  // a heartbeat round every 40 ms
    o.heartbeat.timeout = 2s;     // never reached on loopback
    o.heartbeat.min_ping_interval = 10ms;
  }
  return o;
}

/// `pairs` connected loopback pairs, a session on each end (2 x pairs sessions).
template <class Policy>
figures measure(bool wheel, int pairs) {
  using session_t = lv::session<tcp::socket, Policy>;
  figures f;
  f.impl_size = sizeof(lv::detail::session_impl<tcp::socket, Policy>);
  {
    net::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
    std::vector<tcp::socket> sockets;
    for (int i = 0; i < pairs; ++i) {
      tcp::socket c(io);
      c.connect(acceptor.local_endpoint());
      sockets.push_back(acceptor.accept());
      sockets.push_back(std::move(c));
    }
    const auto opts = memory_options<Policy>(wheel);
    const auto client_opts = liveness_test::with_role(opts, liveness::role::client);
    const auto server_opts = liveness_test::with_role(opts, liveness::role::server);
    {
      // Warm-up: the wheel service, the thread's read buffer and Asio's per-thread handler
      // memory exist before counting (they are per io_context or per thread, not per session).
      tcp::socket c(io);
      c.connect(acceptor.local_endpoint());
      session_t a(acceptor.accept(), liveness_test::with_role(opts, liveness::role::server));
      session_t b(std::move(c), liveness_test::with_role(opts, liveness::role::client));
      io.run_for(100ms);
    }
    io.restart();
    io.run_for(20ms);
    io.restart();

    const std::size_t n = sockets.size();
    std::vector<session_t> sessions;
    sessions.reserve(n);
  #if defined(LIVENESS_TEST_MALLINFO)
    const auto malloc_before = mallinfo2().uordblks;
  #endif
    count_allocs = 0;
    count_live = 0;
    counting = true;
    for (std::size_t i = 0; i < n; ++i)
      sessions.emplace_back(std::move(sockets[i]),
                            i % 2 ? client_opts : server_opts);
    f.allocs_at_creation = double(count_allocs) / double(n);
    f.bytes_at_creation = double(count_live) / double(n);

    // Idle with heartbeats: 10 rounds of 40 ms (ping_pong), or the same time for none.
    const long long allocs_before = count_allocs;
    const auto end = std::chrono::steady_clock::now() + 400ms;
    while (std::chrono::steady_clock::now() < end) {
      io.run_for(20ms);
      io.restart();
    }
    f.allocs_idle_per_round = double(count_allocs - allocs_before) / double(n) / 10.0;
    // Let the heartbeat work that is ready run (an expiry pass may have just taken every
    // deadline off the wheel and posted the sessions' re-arming).
    io.poll();
    io.restart();
    f.bytes_idle = double(count_live) / double(n);
  #if defined(LIVENESS_TEST_MALLINFO)
    f.malloc_idle = double(mallinfo2().uordblks - malloc_before) / double(n);
  #endif
    if (wheel) f.wheel_entries = lv::timer::shared_wheel::of(io.get_executor()).size();
    for (auto& s : sessions) CHECK(!s.is_dead());

    sessions.clear();  // closes; the pending internal operations end with operation_aborted
    io.run_for(50ms);
    io.restart();
  }  // the io_context goes too: its timer heap or the wheel's storage grew for the sessions
  counting = false;
  f.left_after_close = count_live;
  return f;
}

void print(const char* name, const figures& f) {
  char malloced[32] = "n/a";
  if (f.malloc_idle >= 0) std::snprintf(malloced, sizeof malloced, "%.1f B", f.malloc_idle);
  std::printf(
      "[memory] %-26s impl %4zu B beyond the socket; creation %4.1f allocs %6.1f B; idle %6.1f B "
      "held (malloc'd incl. Asio ops: %s), %4.2f allocs/round; %lld B left at the end\n",
      name, f.impl_size - sizeof(tcp::socket), f.allocs_at_creation, f.bytes_at_creation,
      f.bytes_idle, malloced, f.allocs_idle_per_round, f.left_after_close);
}


TEST_CASE("session memory: what a session adds beyond its socket", "[session][memory]") {
  constexpr int pairs = 50;  // 100 sessions
  const auto none_wheel = measure<lv::heartbeat::none>(true, pairs);
  const auto none_timer = measure<lv::heartbeat::none>(false, pairs);
  const auto line_wheel = measure<line_policy>(true, pairs);
  const auto line_timer = measure<line_policy>(false, pairs);
  print("none, wheel", none_wheel);
  print("none, own timer", none_timer);
  print("ping_pong<line>, wheel", line_wheel);
  print("ping_pong<line>, own timer", line_timer);
  std::printf("[memory] sizeof(tcp::socket) %zu B, sizeof(core::detector) %zu B, "
              "sizeof(keepalive_report) %zu B\n",
              sizeof(tcp::socket), sizeof(lv::core::detector), sizeof(lv::keepalive_report));

  for (const auto* f : {&none_wheel, &none_timer, &line_wheel, &line_timer}) {
    // An idle session holds no read buffer (it waits for readability and reads into a
    // per-thread buffer): everything it holds is far below one 16 KiB buffer.
    CHECK(f->bytes_idle < 16 * 1024);
    CHECK(f->bytes_at_creation < 16 * 1024);
  }
  // Closing the sessions (and then their io_context, whose timer heap or wheel storage grew
  // with them) returns every byte allocated since they were created: nothing leaks.
  for (const auto* f : {&none_wheel, &none_timer, &line_wheel, &line_timer})
    CHECK(f->left_after_close == 0);
  // With the wheel a session has no Asio timer of its own.
  CHECK(none_wheel.bytes_at_creation < none_timer.bytes_at_creation);
  CHECK(line_wheel.bytes_at_creation < line_timer.bytes_at_creation);
  // Every pinging session's deadline is on the shared wheel; none has no deadline.
  CHECK(line_wheel.wheel_entries == 2u * pairs);
  CHECK(none_wheel.wheel_entries == 0u);
}

}  // namespace session_memory_test
