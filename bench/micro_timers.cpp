//
// bench/micro_timers.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Micro benchmark: the timer re-arm a heartbeat does on every read, without sockets.
//
//  1. ns per re-arm with --sessions timers armed (default 10,000): `steady_timer::
//     expires_after` + `async_wait` (the cancelled wait's handler runs too: the io_context
//     is polled every 1,024 operations and that time is included) vs the shared timer wheel
//     (`timer::shared_wheel::arm`, mutex and clock read included, what a session does) vs
//     the bare `timer::wheel` (the data structure alone, its expiry passes included).
//  2. The same for each size in --scales (default 100000,1000000 simulated sessions), and
//     heap bytes per timer (mallinfo2, the vector holding the timers included), to show how
//     each approach grows past what one process's descriptors allow here (20,000).
//
// Sessions are re-armed in a random order (a session's reads come when its peer sends, not
// in a fixed rotation): a fixed rotation would let a linked list's neighbours, touched a
// moment earlier, prefetch the next timer, which no real fleet does. Two rows per timer
// kind: `cold`, the timer (and its owner) not in the CPU caches, so at large sizes the
// figure is mostly the memory accesses that reach the owner, which depend on how the
// owners are laid out (here: a vector of shared_ptr to the wheel's owners, the
// steady_timers in the vector itself) more than on the timer; and `touched`, the
// owner read just before (untimed), as the read handler that re-arms has done in a real
// session: what the re-arm itself adds. Timing is per batch of 16 re-arms, whose indices
// are drawn and whose owners are touched outside the timed part.
//
// The shared wheel and steady_timer rows use the real clock: every deadline is 10-11 s away
// (a fixed offset per timer, as a heartbeat's deadline is its last read plus a fixed
// timeout), every re-arm pushes it further, and nothing fires while measuring. The bare
// wheel runs on simulated time (it is sans-I/O): each session is re-armed once per
// simulated second on average with a 3 s deadline, and the wheel's expiry runs every 4 ms
// tick inside the timed part, so the work an `expire` pass does for re-armed timers (and
// for the few that fire, when a session drew no re-arm for 3 s) is counted. Each
// measurement is the best of --repeat runs.
//
#include "bench_util.hpp"

#include <liveness/config.hpp>
#include <liveness/core/clock.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#if __has_include(<liveness/timer/shared_wheel.hpp>)
#include <liveness/timer/shared_wheel.hpp>
#include <liveness/timer/wheel.hpp>
#define LIVENESS_BENCH_HAVE_WHEEL 1
#else
#define LIVENESS_BENCH_HAVE_WHEEL 0
#endif

#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

std::uint64_t handlers_run = 0;

// Bytes allocated from the heap and not yet freed (glibc), mmap-ed blocks included. Unlike
// RSS it goes down again when memory is freed, so one process can measure each case in turn.
long heap_bytes() {
  const auto m = mallinfo2();
  return static_cast<long>(m.uordblks + m.hblkhd);
}

clock_type::duration jitter(std::size_t i) {
  return std::chrono::microseconds((i * 2654435761u) % 1000000u);
}

// The random visiting order: xorshift64*, mapped onto [0, n) by a multiply (no division).
struct visit_order {
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  std::size_t n;
  explicit visit_order(std::size_t count) : n(count) {}
  std::size_t next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    const std::uint64_t r = (state * 0x2545F4914F6CDD1Dull) >> 32;
    return static_cast<std::size_t>((r * n) >> 32);
  }
};

constexpr std::size_t batch = 16;

// Runs `ops` re-arms in batches of 16: draws the batch's indices, calls `touch(i)` on each
// (untimed), then times `rearm(i)` for each and `after_batch()`. Returns ns per re-arm, the
// best of `repeat` runs.
template <class Touch, class Rearm, class After>
double timed_batches(std::size_t n, std::size_t ops, int repeat, Touch touch, Rearm rearm,
                     After after_batch) {
  double best = 1e300;
  visit_order order(n);
  for (int rep = 0; rep < repeat; ++rep) {
    double total = 0;
    std::size_t idx[batch];
    for (std::size_t done = 0; done < ops; done += batch) {
      for (auto& i : idx) i = order.next();
      for (const auto i : idx) touch(i);
      const auto t0 = clock_type::now();
      for (const auto i : idx) rearm(i);
      after_batch();
      total += std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
    }
    if (total < best) best = total;
  }
  return best / static_cast<double>((ops + batch - 1) / batch * batch);
}

struct result {
  double ns_per_op = 0;
  double bytes_per_timer = 0;
};

// The `after_batch` of the rows on an io_context: runs the handlers that are ready (the
// cancelled waits' handlers of steady_timer) every 1,024 re-arms, inside the timed part.
auto poll_every_1024(asio::io_context& io) {
  return [&io, since = std::size_t(0)]() mutable {
    if ((since += batch) >= 1024) {
      since = 0;
      io.poll();
    }
  };
}

// steady_timer: expires_after (cancels the pending wait) + async_wait. `touch`: the timer
// object read first.
result bench_steady(std::size_t sessions, std::size_t ops, int repeat, bool touch) {
  const long heap0 = heap_bytes();
  asio::io_context io(1);
  std::vector<asio::steady_timer> timers;
  timers.reserve(sessions);
  for (std::size_t i = 0; i < sessions; ++i) {
    timers.emplace_back(io);
    timers.back().expires_after(10s + jitter(i));
    timers.back().async_wait([](const asio::error_code&) { ++handlers_run; });
  }
  io.poll();
  result r;
  r.bytes_per_timer =
      static_cast<double>(heap_bytes() - heap0) / static_cast<double>(sessions);
  std::uint64_t sink = 0;
  r.ns_per_op = timed_batches(
      sessions, ops, repeat,
      [&](std::size_t i) {
        if (touch) sink += static_cast<std::uint64_t>(timers[i].expiry().time_since_epoch().count());
      },
      [&](std::size_t i) {
        timers[i].expires_after(10s + jitter(i));
        timers[i].async_wait([](const asio::error_code&) { ++handlers_run; });
      },
      poll_every_1024(io));
  io.poll();
  handlers_run += sink == 1;
  return r;
}

#if LIVENESS_BENCH_HAVE_WHEEL
namespace lt = liveness::timer;

// What a session embeds: a wheel_timer, owned by a shared_ptr.
struct owner : lt::wheel_timer, std::enable_shared_from_this<owner> {
  explicit owner(lt::shared_wheel& w) : wheel_(w) {}
  ~owner() { wheel_.cancel(*this); }
  std::shared_ptr<void> wheel_lock() noexcept override { return weak_from_this().lock(); }
  void wheel_fire(std::shared_ptr<void>) override { ++handlers_run; }
  lt::shared_wheel& wheel_;
  std::uint64_t reads_ = 0;  // what a read handler touches before it re-arms
};

// shared_wheel::arm, as a session re-arms on every read (clock read included). `touch`:
// first write a member of the owner and read its timer, as the read handler that re-arms
// has done in a real session, so that the owner's cache miss is charged to the read.
result bench_shared_wheel(std::size_t sessions, std::size_t ops, int repeat, bool touch) {
  const long heap0 = heap_bytes();
  asio::io_context io(1);
  auto& wheel = asio::use_service<lt::shared_wheel>(io);
  std::vector<std::shared_ptr<owner>> owners;
  owners.reserve(sessions);
  for (std::size_t i = 0; i < sessions; ++i) {
    owners.push_back(std::make_shared<owner>(wheel));
    wheel.arm(*owners.back(), clock_type::now() + 10s + jitter(i));
  }
  io.poll();
  result r;
  r.bytes_per_timer =
      static_cast<double>(heap_bytes() - heap0) / static_cast<double>(sessions);
  r.ns_per_op = timed_batches(
      sessions, ops, repeat,
      [&](std::size_t i) {
        if (touch) {
          auto& o = *owners[i];
          o.reads_ += o.armed();
        }
      },
      [&](std::size_t i) { wheel.arm(*owners[i], clock_type::now() + 10s + jitter(i)); },
      poll_every_1024(io));
  io.poll();
  owners.clear();
  return r;
}

// The bare wheel (no mutex, no io_context, no clock): the data structure alone, on
// simulated time. Each session is re-armed once per simulated second on average, 3 s
// ahead; the wheel expires every 4 ms tick inside the timed part.
result bench_wheel(std::size_t sessions, std::size_t ops, int repeat, bool touch) {
  const long heap0 = heap_bytes();
  const auto origin = clock_type::now();
  lt::wheel wheel(origin);
  std::vector<lt::wheel_entry> entries(sessions);
  for (std::size_t i = 0; i < sessions; ++i) wheel.arm(entries[i], origin + 3s + jitter(i));
  result r;
  r.bytes_per_timer =
      static_cast<double>(heap_bytes() - heap0) / static_cast<double>(sessions);
  const auto step = std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(1.0 / static_cast<double>(sessions)));
  auto now = origin;
  auto next_tick = origin + 4ms;
  std::uint64_t sink = 0;
  std::size_t fired = 0;
  r.ns_per_op = timed_batches(
      sessions, ops, repeat, [&](std::size_t i) { if (touch) sink += entries[i].armed(); },
      [&](std::size_t i) {
        now += step;
        wheel.arm(entries[i], now + 3s);
      },
      [&] {
        if (now >= next_tick) {
          fired += wheel.expire(now, [](lt::wheel_entry&) {});
          while (next_tick <= now) next_tick += 4ms;
        }
      });
  for (auto& e : entries) wheel.cancel(e);
  handlers_run += sink == 1;
  handlers_run += fired == 1;
  return r;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  bench::flags f(argc, argv);
  const auto sessions = static_cast<std::size_t>(f.num("sessions", 10000));
  const auto ops = static_cast<std::size_t>(f.num("ops", 2000000));
  const int repeat = static_cast<int>(f.num("repeat", 3));
  const std::string scales_text = f.str("scales", "100000,1000000");
  const std::string out = f.str("out", "");
  f.check();
  std::vector<std::size_t> scales;
  {
    std::istringstream in(scales_text);
    std::string item;
    while (std::getline(in, item, ',')) scales.push_back(std::stoul(item));
  }

  auto emit = [&](const char* kind, const char* impl, std::size_t n, std::size_t nops,
                  const result& r) {
    bench::record{kind}("impl", impl)("sessions", n)("ops", nops)("ns_per_op", r.ns_per_op)(
        "bytes_per_timer", r.bytes_per_timer)
        .write(out);
  };

  // 1. Re-arm cost at a fleet-sized population; 2. at scale (at least one re-arm per
  // session, as in one second of a 1 Hz heartbeat, and at least --ops).
  auto run = [&](const char* kind, std::size_t n, std::size_t nops) {
    for (const bool touch : {false, true}) {
      const std::string suffix = touch ? "_touched" : "";
      emit(kind, ("steady_timer" + suffix).c_str(), n, nops,
           bench_steady(n, nops, repeat, touch));
#if LIVENESS_BENCH_HAVE_WHEEL
      emit(kind, ("shared_wheel" + suffix).c_str(), n, nops,
           bench_shared_wheel(n, nops, repeat, touch));
      emit(kind, ("wheel" + suffix).c_str(), n, nops, bench_wheel(n, nops, repeat, touch));
#endif
    }
  };
#if !LIVENESS_BENCH_HAVE_WHEEL
  std::cerr << "micro_timers: built without liveness/timer/: wheel rows skipped\n";
#endif
  run("micro_rearm", sessions, ops);
  for (const auto n : scales) run("micro_scale", n, n > ops ? n : ops);
  std::cout.flush();
  ::_exit(handlers_run == static_cast<std::uint64_t>(-1));
}
