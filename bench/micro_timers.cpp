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
//     (`timer::shared_wheel::arm`, mutex included, what a session does) vs the bare
//     `timer::wheel::arm`.
//  2. The same for each size in --scales (default 100000,1000000 simulated sessions):
//     ns per re-arm in a scattered order, and heap bytes per timer (mallinfo2, the vector
//     holding the timers included), to show how each
//     approach grows past what one process's descriptors allow here (20,000). One more row,
//     `shared_wheel_touched`: the owner is touched first (as the read handler that re-arms
//     has done in a session) and the cost of the touch alone, measured in the same order,
//     is subtracted: the re-arm of an owner already in the cache.
//
// Each timer's deadline is 10-11 s away and every re-arm pushes it further, so nothing
// fires while measuring. Hand timing loops with std::chrono::steady_clock; each
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

// A scattered visiting order: i -> (i * stride) mod n with a stride coprime to n.
std::size_t stride_for(std::size_t n) {
  if (n < 3) return 1;
  std::size_t s = (n / 2 + 7919) % n;
  if (s == 0) s = 1;
  auto gcd = [](std::size_t a, std::size_t b) {
    while (b) {
      const auto t = a % b;
      a = b;
      b = t;
    }
    return a;
  };
  while (gcd(s, n) != 1) s = s + 1 < n ? s + 1 : 1;
  return s;
}

clock_type::duration jitter(std::size_t i) {
  return std::chrono::microseconds((i * 2654435761u) % 1000000u);
}

struct result {
  double ns_per_op = 0;
  double bytes_per_timer = 0;
};

// steady_timer: expires_after (cancels the pending wait) + async_wait.
result bench_steady(std::size_t sessions, std::size_t ops, int repeat) {
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
  const std::size_t stride = stride_for(sessions);
  double best = 1e300;
  for (int rep = 0; rep < repeat; ++rep) {
    std::size_t idx = 0;
    const auto t0 = clock_type::now();
    for (std::size_t op = 0; op < ops; ++op) {
      auto& t = timers[idx];
      idx += stride;
      if (idx >= sessions) idx -= sessions;
      t.expires_after(10s + jitter(op));
      t.async_wait([](const asio::error_code&) { ++handlers_run; });
      if ((op & 1023) == 1023) io.poll();
    }
    io.poll();
    const double ns = std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
    if (ns < best) best = ns;
  }
  r.ns_per_op = best / static_cast<double>(ops);
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
// first write a member of the owner, as the read handler that re-arms has done in a real
// session, so that the owner's cache miss is charged to the read, not to the re-arm.
result bench_shared_wheel(std::size_t sessions, std::size_t ops, int repeat, bool touch = false) {
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
  const std::size_t stride = stride_for(sessions);
  // One pass over `ops` re-arms (with `arm` false: the touch alone, the clock read kept).
  auto pass = [&](bool arm) {
    std::size_t idx = 0;
    const auto t0 = clock_type::now();
    for (std::size_t op = 0; op < ops; ++op) {
      auto& o = *owners[idx];
      idx += stride;
      if (idx >= sessions) idx -= sessions;
      if (touch) ++o.reads_;
      const auto deadline = clock_type::now() + 10s + jitter(op);
      if (arm) wheel.arm(o, deadline);
      if (arm && (op & 1023) == 1023) io.poll();
    }
    if (arm) io.poll();
    return std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
  };
  double best = 1e300;
  double best_touch = 1e300;
  // With `touch`, the touch alone is measured too, interleaved with the re-arms (at least
  // 3 rounds each, best of each) and subtracted: the re-arm of an owner already in the
  // cache.
  const int rounds = touch && repeat < 3 ? 3 : repeat;
  for (int rep = 0; rep < rounds; ++rep) {
    const double ns = pass(true);
    if (ns < best) best = ns;
    if (touch) {
      const double t = pass(false);
      if (t < best_touch) best_touch = t;
    }
  }
  if (touch) best -= best_touch;
  r.ns_per_op = best / static_cast<double>(ops);
  owners.clear();
  return r;
}

// The bare wheel (no mutex, no io_context): the data structure alone.
result bench_wheel(std::size_t sessions, std::size_t ops, int repeat) {
  const long heap0 = heap_bytes();
  lt::wheel wheel(clock_type::now());
  std::vector<lt::wheel_entry> entries(sessions);
  for (std::size_t i = 0; i < sessions; ++i) {
    wheel.arm(entries[i], clock_type::now() + 10s + jitter(i));
  }
  result r;
  r.bytes_per_timer =
      static_cast<double>(heap_bytes() - heap0) / static_cast<double>(sessions);
  const std::size_t stride = stride_for(sessions);
  double best = 1e300;
  for (int rep = 0; rep < repeat; ++rep) {
    std::size_t idx = 0;
    const auto t0 = clock_type::now();
    for (std::size_t op = 0; op < ops; ++op) {
      auto& e = entries[idx];
      idx += stride;
      if (idx >= sessions) idx -= sessions;
      wheel.arm(e, clock_type::now() + 10s + jitter(op));
    }
    const double ns = std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
    if (ns < best) best = ns;
  }
  r.ns_per_op = best / static_cast<double>(ops);
  for (auto& e : entries) wheel.cancel(e);
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

  // 1. Re-arm cost at a fleet-sized population.
  emit("micro_rearm", "steady_timer", sessions, ops, bench_steady(sessions, ops, repeat));
#if LIVENESS_BENCH_HAVE_WHEEL
  emit("micro_rearm", "shared_wheel", sessions, ops, bench_shared_wheel(sessions, ops, repeat));
  emit("micro_rearm", "wheel", sessions, ops, bench_wheel(sessions, ops, repeat));
#else
  std::cerr << "micro_timers: built without liveness/timer/: wheel rows skipped\n";
#endif

  // 2. Scale: re-arms in a scattered order over all simulated sessions (at least one each,
  // as in one second of a 1 Hz heartbeat, and at least --ops).
  for (const auto n : scales) {
    const std::size_t nops = n > ops ? n : ops;
    emit("micro_scale", "steady_timer", n, nops, bench_steady(n, nops, repeat));
#if LIVENESS_BENCH_HAVE_WHEEL
    emit("micro_scale", "shared_wheel", n, nops, bench_shared_wheel(n, nops, repeat));
    emit("micro_scale", "shared_wheel_touched", n, nops,
         bench_shared_wheel(n, nops, repeat, true));
    emit("micro_scale", "wheel", n, nops, bench_wheel(n, nops, repeat));
#endif
  }
  std::cout.flush();
  ::_exit(handlers_run == static_cast<std::uint64_t>(-1));
}
