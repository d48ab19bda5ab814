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

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <utility>
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

// ---- issue 16: bytes per session beyond the floor, both operations pending -------------

namespace session_memory_test {

using lp_policy = lv::heartbeat::ping_pong<lv::codec::length_prefixed>;

// What the parked operations asked for: their handlers carry this allocator, so the
// session's parked_op node (and anything else Asio allocates for them through it) is
// recorded here by size.
std::atomic<long long> op_alloc_bytes{0};
std::atomic<long long> op_allocs{0};

template <class T>
struct recording_allocator {
  using value_type = T;
  recording_allocator() noexcept = default;
  template <class U>
  recording_allocator(const recording_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    op_alloc_bytes += static_cast<long long>(n * sizeof(T));
    ++op_allocs;
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
  template <class U>
  bool operator==(const recording_allocator<U>&) const noexcept { return true; }
  template <class U>
  bool operator!=(const recording_allocator<U>&) const noexcept { return false; }
};

// A completion handler with the recording allocator; counts its calls.
struct recorded_handler {
  using allocator_type = recording_allocator<void>;
  allocator_type get_allocator() const noexcept { return {}; }
  int* calls;
  void operator()(lv::error_code) const { ++*calls; }
  void operator()(lv::error_code, std::size_t) const { ++*calls; }
};

// The floor: per connection a socket, a timestamp and one pending 64-byte read.
struct floor_conn {
  explicit floor_conn(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  std::chrono::steady_clock::time_point last{};
  std::array<char, 64> buf{};
};

// A session with the application's 64-byte read and async_wait_dead pending.
template <class Policy>
struct session_conn {
  session_conn(tcp::socket s, const lv::session_options<Policy>& o) : session(std::move(s), o) {}
  lv::session<tcp::socket, Policy> session;
  std::array<char, 64> buf{};
};

struct heap_figures {
  double per_conn = -1;      // malloc'd bytes per connection (mallinfo2), -1: n/a
  double op_bytes = 0;       // bytes the two parked operations asked of their allocator
  double op_allocs = 0;      // allocations of that allocator per session
};

// Runs what is ready until nothing is left for a while: closed sessions free their state
// in handlers, which must not run (and free) inside the next measurement.
void settle(net::io_context& io) {
  for (int quiet = 0; quiet < 3;) {
    io.restart();
    if (io.poll() == 0) {
      ++quiet;
      std::this_thread::sleep_for(5ms);
    } else {
      quiet = 0;
    }
  }
  io.restart();
}

template <class Conn, class Start>
heap_figures measure_heap(net::io_context& io, tcp::acceptor& acceptor, int n, Start start) {
  heap_figures h;
  std::vector<std::unique_ptr<Conn>> conns;
  conns.reserve(static_cast<std::size_t>(n));
  int calls = 0;
  op_alloc_bytes = 0;
  op_allocs = 0;
  settle(io);
  count_allocs = 0;
  counting = true;
#if defined(LIVENESS_TEST_MALLINFO)
  const auto before = mallinfo2().uordblks;
#endif
  for (int i = 0; i < n / 2; ++i) {
    tcp::socket c(io);
    c.connect(acceptor.local_endpoint());
    conns.push_back(start(acceptor.accept(), liveness::role::server, &calls));
    conns.push_back(start(std::move(c), liveness::role::client, &calls));
  }
  // The operations start (a session's begin on its executor) and park.
  for (int i = 0; i < 5; ++i) {
    io.poll();
    io.restart();
  }
#if defined(LIVENESS_TEST_MALLINFO)
  // Less the 16-byte header this file's operator new adds to each of its allocations.
  h.per_conn = (double(mallinfo2().uordblks - before) - double(header) * double(count_allocs)) /
               double(n);
#endif
  counting = false;
  h.op_bytes = double(op_alloc_bytes) / double(n);
  h.op_allocs = double(op_allocs) / double(n);
  CHECK(calls == 0);  // nothing completed: every operation is still pending
  conns.clear();
  settle(io);
  return h;
}

template <class Policy>
heap_figures measure_session_heap(net::io_context& io, tcp::acceptor& acceptor, int n) {
  lv::session_options<Policy> opts;  // the defaults: keepalive, the wheel, 15 s heartbeats
  return measure_heap<session_conn<Policy>>(
      io, acceptor, n, [&](tcp::socket s, liveness::role r, int* calls) {
        auto c = std::make_unique<session_conn<Policy>>(std::move(s),
                                                        liveness_test::with_role(opts, r));
        c->session.async_read_some(net::buffer(c->buf), recorded_handler{calls});
        c->session.async_wait_dead(recorded_handler{calls});
        return c;
      });
}

TEST_CASE("session memory: bytes per session beyond the floor with a read and async_wait_dead pending",
          "[session][memory]") {
  // LIVENESS_MEMORY_SESSIONS=10000 for the figures of docs/session.md; 2000 by default.
  int n = 2000;
  if (const char* e = std::getenv("LIVENESS_MEMORY_SESSIONS")) n = std::max(2, std::atoi(e));
  n -= n % 2;
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
  acceptor.listen(net::socket_base::max_listen_connections);
  // Warm-up: per-io_context and per-thread memory (the wheel, the config cache's first
  // blocks, Asio's reactor and handler caches) is not per session. The reactor keeps the
  // state of closed sockets for reuse: after n sockets every measurement below reuses it
  // alike (otherwise the first one would pay for it and the others not).
  (void)measure_heap<floor_conn>(io, acceptor, n, [](tcp::socket s, liveness::role, int*) {
    return std::make_unique<floor_conn>(std::move(s));
  });
  (void)measure_session_heap<line_policy>(io, acceptor, 20);
  (void)measure_session_heap<lp_policy>(io, acceptor, 20);
  (void)measure_session_heap<lv::heartbeat::none>(io, acceptor, 20);

  const auto floor = measure_heap<floor_conn>(
      io, acceptor, n, [](tcp::socket s, liveness::role, int* calls) {
        auto c = std::make_unique<floor_conn>(std::move(s));
        c->socket.async_read_some(net::buffer(c->buf), recorded_handler{calls});
        return c;
      });
  const auto line = measure_session_heap<line_policy>(io, acceptor, n);
  const auto lp = measure_session_heap<lp_policy>(io, acceptor, n);
  const auto none = measure_session_heap<lv::heartbeat::none>(io, acceptor, n);

  const auto show = [&](const char* name, std::size_t impl_size, const heap_figures& h) {
    char beyond[48] = "n/a (no mallinfo2)";
    if (h.per_conn >= 0)
      std::snprintf(beyond, sizeof beyond, "%.0f B (heap %.0f B)", h.per_conn - floor.per_conn,
                    h.per_conn);
    std::printf("[memory] %-24s sizeof(session_impl) %4zu B; beyond the floor %s; the two "
                "parked operations %.0f B in %.1f allocations\n",
                name, impl_size, beyond, h.op_bytes, h.op_allocs);
  };
  std::printf("[memory] %d connections; floor (socket + timestamp + pending 64-byte read): "
              "%.0f B heap per connection\n",
              n, floor.per_conn);
  show("ping_pong<line>", sizeof(lv::detail::session_impl<tcp::socket, line_policy>), line);
  show("ping_pong<length_prefixed>", sizeof(lv::detail::session_impl<tcp::socket, lp_policy>),
       lp);
  show("none", sizeof(lv::detail::session_impl<tcp::socket, lv::heartbeat::none>), none);

  // Upper bounds on the shared state, so that it cannot grow back unnoticed (g++ 12 /
  // libstdc++ on x86-64 measure 664 / 728 / 392 B; the bounds leave 24 B). Raise them
  // only with a reason written in docs/session.md.
  CHECK(sizeof(lv::detail::session_impl<tcp::socket, line_policy>) <= 688);
  CHECK(sizeof(lv::detail::session_impl<tcp::socket, lp_policy>) <= 752);
  CHECK(sizeof(lv::detail::session_impl<tcp::socket, lv::heartbeat::none>) <= 416);
  // The handle holds no copy of the executor: the state's pointer, the pointer kept for
  // the executor once moved from, and the lazily made closed socket of next_layer().
  CHECK(sizeof(lv::session<tcp::socket, line_policy>) <= 5 * sizeof(void*));
  // heartbeat::none holds no heartbeat state: no core::detector, no codec texts.
  CHECK(sizeof(lv::detail::session_impl<tcp::socket, lv::heartbeat::none>) +
            sizeof(lv::core::detector) - sizeof(lv::core::none_detector) <=
        sizeof(lv::detail::session_impl<tcp::socket, lv::heartbeat::idle_timeout>) + 64);
  // The parked operations allocate through their handler's allocator.
  CHECK(line.op_allocs >= 2.0);
  CHECK(none.op_allocs >= 2.0);
  // A pending operation is one node holding its handler and state, without async_compose's
  // work guards (g++ 12 measures 328 B for the read, Asio's socket read it waits in, and
  // async_wait_dead; 456 B with async_compose): an upper bound, so that it cannot grow
  // back unnoticed. The step handler inside Asio's socket read is three pointers (the
  // session's shared_ptr and the node; the allocator, when empty, takes no room, and the
  // cancellation slot is asked of the node).
  CHECK(line.op_bytes <= 344);
  CHECK(none.op_bytes <= 344);
  CHECK(sizeof(lv::detail::op_step<lv::detail::session_impl<tcp::socket, line_policy>,
                                   std::allocator<void>, true>) == 3 * sizeof(void*));
}

// Heap per session (mallinfo2) of `n` idle ping_pong<line> sessions made from `opts`.
double line_heap_per_session(const lv::session_options<line_policy>& opts, int n) {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
  std::vector<tcp::socket> sockets;
  for (int i = 0; i < n / 2; ++i) {
    tcp::socket c(io);
    c.connect(acceptor.local_endpoint());
    sockets.push_back(acceptor.accept());
    sockets.push_back(std::move(c));
  }
  std::vector<lv::session<tcp::socket, line_policy>> sessions;
  sessions.reserve(sockets.size());
  sessions.emplace_back(std::move(sockets.back()), opts);  // warm-up: the cache's block
  sockets.pop_back();
  double per = -1;
#if defined(LIVENESS_TEST_MALLINFO)
  count_allocs = 0;
  counting = true;
  const auto before = mallinfo2().uordblks;
  for (auto& s : sockets) sessions.emplace_back(std::move(s), opts);
  per = (double(mallinfo2().uordblks - before) - double(header) * double(count_allocs)) /
        double(sockets.size());
  counting = false;
#else
  (void)opts;
#endif
  sessions.clear();
  io.run_for(20ms);
  return per;
}

TEST_CASE("session memory: sessions made from equal options share their configuration",
          "[session][memory]") {
  using cache = lv::detail::session_config_cache<lv::codec::line>;
  net::io_context io;
  auto& c = cache::of(io.get_executor());
  lv::codec::line_options texts;
  texts.ping = std::string(60, 'p');
  lv::engine::limits limits;
  const auto a = c.config(texts, limits);
  const auto b = c.config(texts, limits);
  CHECK(a == b);  // equal options: one block
  CHECK(a->codec->options.ping == texts.ping);
  CHECK(a->codec->ping_frame == texts.ping + "\n");
  limits.read_buffer_limit = 4096;
  const auto d = c.config(texts, limits);
  CHECK(d != a);  // other limits: a block of their own
  CHECK(d->session_limits.read_buffer_limit == 4096);
  CHECK(a->session_limits.read_buffer_limit == lv::engine::limits().read_buffer_limit);
  lv::keepalive_report r;
  r.notes.push_back("a note");
  const auto ra = c.report(lv::keepalive_report(r));
  CHECK(c.report(lv::keepalive_report(r)) == ra);
  r.notes.push_back("another");
  CHECK(c.report(lv::keepalive_report(r)) != ra);
  // Invalid codec options are refused, as before.
  lv::codec::line_options bad;
  bad.ping.clear();
  CHECK_THROWS_AS(c.config(bad, limits), lv::system_error);

  // Sessions: long heartbeat texts (no small-string optimisation) cost a session nothing,
  // because the texts live in the shared block (before, each session held six copies).
  auto plain = memory_options<line_policy>(true);
  auto longer = plain;
  longer.heartbeat.codec.ping = std::string(60, 'p');
  longer.heartbeat.codec.pong = std::string(60, 'q');
  const double short_texts = line_heap_per_session(plain, 100);
  const double long_texts = line_heap_per_session(longer, 100);
  std::printf("[memory] ping_pong<line> heap per session: %.0f B with 4-byte texts, %.0f B with "
              "60-byte texts\n",
              short_texts, long_texts);
  if (short_texts >= 0) CHECK(long_texts < short_texts + 60);
}

TEST_CASE("session memory: sessions with equal keepalive options share one report, true to "
          "each socket",
          "[session][memory][keepalive]") {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
  lv::session_options<line_policy> opts;
  opts.keepalive = lv::keepalive_options::aggressive();
  auto other = opts;
  other.keepalive->idle = std::chrono::seconds(9);
  std::vector<tcp::socket> peers;
  auto session_with = [&](const lv::session_options<line_policy>& o) {
    tcp::socket c(io);
    c.connect(acceptor.local_endpoint());
    peers.push_back(std::move(c));
    return lv::session<tcp::socket, line_policy>(acceptor.accept(), o);
  };
  auto first = session_with(opts);
  auto second = session_with(opts);
  auto third = session_with(other);
  auto fourth = session_with(opts);
  // The first and second share the report; the second only applied (no read-back), so
  // read its socket now: the kernel holds what the shared report says.
  CHECK(&first.keepalive() == &second.keepalive());
  for (auto* s : {&second, &third, &fourth}) {
    const auto kernel = lv::read_keepalive(s->next_layer());
    const auto& said = s->keepalive();
    CHECK(said.enabled == kernel.enabled);
    CHECK(said.idle.value == kernel.idle.value);
    CHECK(said.interval.value == kernel.interval.value);
    CHECK(said.probes.value == kernel.probes.value);
    CHECK(said.user_timeout.value == kernel.user_timeout.value);
  }
  CHECK(third.keepalive().idle.value == std::chrono::seconds(9));
  CHECK(&third.keepalive() != &first.keepalive());
  CHECK(fourth.keepalive().idle.value == std::chrono::seconds(4));
}

}  // namespace session_memory_test
