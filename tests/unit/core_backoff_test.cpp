// Unit tests of liveness/core/backoff.hpp: the reconnect schedule without I/O. The random
// source is a seeded std::mt19937_64, so the statistics are reproducible; the bounds are
// wide enough for any conforming uniform_int_distribution.
#include <liveness/core/backoff.hpp>

#if defined(ASIO_VERSION) || defined(BOOST_ASIO_VERSION)
#error "core/ must not include Asio"
#endif

#include "test_support.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

namespace core_backoff_test {

using namespace std::chrono_literals;

namespace {

namespace core = liveness::core;
using core::backoff;
using core::backoff_error;
using core::backoff_options;
using core::duration;
using ms = std::chrono::milliseconds;

backoff_options opts(duration min, duration max, double mult = 2.0, bool jitter = true) {
  backoff_options o;
  o.min_delay = min;
  o.max_delay = max;
  o.multiplier = mult;
  o.jitter = jitter;
  return o;
}

double to_ms(duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

TEST_CASE("backoff: defaults are valid and refused values name the field", "[backoff]") {
  CHECK_FALSE(backoff_options{}.validate());

  backoff_options o;
  o.min_delay = -1ms;
  CHECK(o.validate() == backoff_error::negative_min_delay);
  CHECK(o.validate().message().find("min_delay") != std::string::npos);
  CHECK(std::string(o.validate().category().name()) == "liveness.backoff");

  o = {};
  o.max_delay = o.min_delay - 1ms;
  CHECK(o.validate() == backoff_error::max_below_min);
  CHECK(o.validate().message().find("max_delay") != std::string::npos);

  for (double m : {0.5, 0.0, -2.0, std::nan(""), HUGE_VAL}) {
    o = {};
    o.multiplier = m;
    CHECK(o.validate() == backoff_error::bad_multiplier);
  }
  o = {};
  o.multiplier = 1.0;
  CHECK_FALSE(o.validate());

  o = {};
  o.max_attempts = 0u;
  CHECK(o.validate() == backoff_error::zero_max_attempts);
  CHECK(o.validate().message().find("max_attempts") != std::string::npos);

  o = {};
  o.stable_after = -1ns;
  CHECK(o.validate() == backoff_error::negative_stable_after);

  o = {};
  o.min_delay = -5s;
  CHECK_THROWS_AS(backoff(o), liveness::system_error);
  try {
    backoff b(o);
    FAIL("no throw");
  } catch (const liveness::system_error& e) {
    CHECK(e.code() == backoff_error::negative_min_delay);
  }
}

TEST_CASE("backoff: the cap grows by the multiplier from min_delay and stops at max_delay",
          "[backoff]") {
  backoff b(opts(100ms, 1s));
  CHECK(b.cap(0) == 100ms);
  CHECK(b.cap(1) == 200ms);
  CHECK(b.cap(2) == 400ms);
  CHECK(b.cap(3) == 800ms);
  CHECK(b.cap(4) == 1s);
  CHECK(b.cap(5) == 1s);
  // No overflow for absurd retry numbers or extreme options.
  CHECK(b.cap(100000) == 1s);
  CHECK(b.cap(UINT32_MAX) == 1s);
  backoff huge(opts(1ns, duration::max(), 10.0));
  CHECK(huge.cap(UINT32_MAX) == duration::max());
  CHECK(huge.cap(3) == 1000ns);

  backoff flat(opts(250ms, 10s, 1.0));
  CHECK(flat.cap(0) == 250ms);
  CHECK(flat.cap(50) == 250ms);

  backoff fixed(opts(300ms, 300ms));
  CHECK(fixed.cap(0) == 300ms);
  CHECK(fixed.cap(9) == 300ms);

  backoff zero(opts(0ms, 1s));
  CHECK(zero.cap(7) == 0ms);

  backoff fractional(opts(100ms, 10s, 1.5));
  CHECK(fractional.cap(2) == 225ms);
}

TEST_CASE("backoff: without jitter every delay is exactly its cap", "[backoff]") {
  std::mt19937_64 g(1);
  backoff b(opts(10ms, 100ms, 2.0, false));
  std::vector<duration> seen;
  for (int i = 0; i < 6; ++i) seen.push_back(*b.on_failed(g));
  CHECK(seen == std::vector<duration>{20ms, 40ms, 80ms, 100ms, 100ms, 100ms});
  CHECK(b.attempts() == 6);
}

TEST_CASE("backoff: full jitter spreads delays uniformly over [min_delay, cap]",
          "[backoff]") {
  std::mt19937_64 g(20261122);
  backoff b(opts(100ms, 10s));
  // Retry 3: cap 800 ms, so delays are uniform over [100, 800] ms.
  constexpr int samples = 20000;
  constexpr int buckets = 7;
  std::vector<int> hist(buckets, 0);
  double sum = 0, sum2 = 0;
  duration lo = duration::max(), hi = duration::min();
  std::set<duration::rep> distinct;
  for (int i = 0; i < samples; ++i) {
    const duration d = b.delay(3, g);
    REQUIRE(d >= 100ms);
    REQUIRE(d <= 800ms);
    lo = (std::min)(lo, d);
    hi = (std::max)(hi, d);
    const double x = to_ms(d);
    sum += x;
    sum2 += x * x;
    distinct.insert(d.count());
    ++hist[(std::min)(buckets - 1, static_cast<int>((x - 100.0) / 100.0))];
  }
  const double mean = sum / samples;
  const double sd = std::sqrt(sum2 / samples - mean * mean);
  INFO("mean " << mean << " ms, sd " << sd << " ms, min " << to_ms(lo) << ", max "
               << to_ms(hi));
  // Uniform(100, 800): mean 450, sd 700/sqrt(12) = 202. Standard error of the mean ~1.4.
  CHECK(std::abs(mean - 450.0) < 10.0);
  CHECK(std::abs(sd - 202.07) < 8.0);
  CHECK(lo < 105ms);  // the floor is reached, the range is not narrower than promised
  CHECK(hi > 795ms);
  CHECK(distinct.size() > samples / 2);  // not a handful of fixed values
  for (int k = 0; k < buckets; ++k) {
    INFO("bucket " << k);
    CHECK(std::abs(hist[k] - samples / buckets) < samples / buckets / 8);
  }
  // No pile-up at the floor: the classic clamp of uniform(0, cap) would put 1/8 of all
  // delays at exactly min_delay here.
  const auto at_floor = std::count_if(distinct.begin(), distinct.end(), [](auto v) {
    return duration(v) == 100ms;
  });
  CHECK(at_floor <= 1);
}

TEST_CASE("backoff: jitter is applied after the cap: capped retries spread over "
          "[min_delay, max_delay], never above", "[backoff]") {
  std::mt19937_64 g(7);
  backoff b(opts(50ms, 1s));
  double sum = 0;
  constexpr int samples = 10000;
  duration hi = duration::zero();
  for (int i = 0; i < samples; ++i) {
    const duration d = b.delay(40, g);  // 50 ms * 2^40 is far past the cap
    REQUIRE(d >= 50ms);
    REQUIRE(d <= 1s);
    hi = (std::max)(hi, d);
    sum += to_ms(d);
  }
  CHECK(std::abs(sum / samples - 525.0) < 15.0);
  CHECK(hi > 990ms);
}

TEST_CASE("backoff: the same seed gives the same schedule, another seed another one",
          "[backoff]") {
  auto run = [](std::uint64_t seed) {
    std::mt19937_64 g(seed);
    backoff b(opts(10ms, 5s));
    std::vector<duration> v;
    for (int i = 0; i < 12; ++i) v.push_back(*b.on_failed(g));
    return v;
  };
  CHECK(run(42) == run(42));
  CHECK(run(42) != run(43));
}

TEST_CASE("backoff: the delay after the n-th failure in a row is drawn from [min, cap(n)]",
          "[backoff]") {
  std::mt19937_64 g(3);
  backoff b(opts(100ms, 100s));
  for (std::uint32_t n = 1; n <= 10; ++n) {
    const auto d = b.on_failed(g);
    REQUIRE(d);
    INFO("failure " << n << " delay " << to_ms(*d));
    CHECK(*d >= 100ms);
    CHECK(*d <= b.cap(n));
    CHECK(b.attempts() == n);
  }
  CHECK(b.delay(0, g) == 100ms);
}

TEST_CASE("backoff: the first retry is jittered too, over [min_delay, min_delay * multiplier]",
          "[backoff]") {
  std::mt19937_64 g(17);
  std::set<duration::rep> first;
  duration lo = duration::max(), hi = duration::min();
  for (int i = 0; i < 2000; ++i) {
    backoff b(opts(100ms, 30s));  // a fleet of fresh clients, all failing once
    const auto d = *b.on_failed(g);
    first.insert(d.count());
    lo = (std::min)(lo, d);
    hi = (std::max)(hi, d);
  }
  CHECK(lo >= 100ms);
  CHECK(hi <= 200ms);
  CHECK(lo < 105ms);
  CHECK(hi > 195ms);
  CHECK(first.size() > 1000);
}

TEST_CASE("backoff: max_attempts gives up on the attempt that reaches it", "[backoff]") {
  std::mt19937_64 g(5);
  auto o = opts(10ms, 1s);
  o.max_attempts = 3u;
  backoff b(o);
  CHECK(b.on_failed(g));
  CHECK(b.on_failed(g));
  CHECK_FALSE(b.on_failed(g));
  CHECK(b.attempts() == 3);

  o.max_attempts = 1u;
  backoff once(o);
  CHECK_FALSE(once.on_failed(g));
  CHECK(once.attempts() == 1);

  b.reset();
  CHECK(b.attempts() == 0);
  CHECK(b.on_failed(g));
}

TEST_CASE("backoff: only a connection that stayed up for stable_after resets the count",
          "[backoff]") {
  std::mt19937_64 g(9);
  core::manual_clock clock;
  auto o = opts(10ms, 10s, 2.0, false);
  o.stable_after = 5s;
  o.max_attempts = 4u;
  backoff b(o);

  CHECK(*b.on_failed(g) == 20ms);  // connect refused
  CHECK(*b.on_failed(g) == 40ms);
  // Connects, but dies before stable_after: still counts, the delay keeps growing.
  b.on_connected(clock.now());
  CHECK(b.connected());
  clock.advance(5s - 1ns);
  CHECK(*b.on_disconnected(clock.now(), g) == 80ms);
  CHECK_FALSE(b.connected());
  CHECK(b.attempts() == 3);
  // Up for exactly stable_after: the count resets, the next delay is a first retry's.
  b.on_connected(clock.now());
  clock.advance(5s);
  CHECK(*b.on_disconnected(clock.now(), g) == 20ms);
  CHECK(b.attempts() == 0);
  // And the limit counts afresh from there.
  CHECK(b.on_failed(g));
  CHECK(b.on_failed(g));
  CHECK(b.on_failed(g));
  CHECK_FALSE(b.on_failed(g));
  CHECK(b.attempts() == 4);
}

TEST_CASE("backoff: connections that keep dying young reach max_attempts", "[backoff]") {
  std::mt19937_64 g(11);
  core::manual_clock clock;
  auto o = opts(10ms, 10s, 2.0, false);
  o.stable_after = 1s;
  o.max_attempts = 3u;
  backoff b(o);
  for (int i = 0; i < 2; ++i) {
    b.on_connected(clock.now());
    clock.advance(100ms);
    CHECK(b.on_disconnected(clock.now(), g));
  }
  b.on_connected(clock.now());
  clock.advance(100ms);
  CHECK_FALSE(b.on_disconnected(clock.now(), g));
  CHECK(b.attempts() == 3);
}

TEST_CASE("backoff: a disconnect without a connect counts as a failure", "[backoff]") {
  std::mt19937_64 g(13);
  core::manual_clock clock;
  auto o = opts(10ms, 10s, 2.0, false);
  o.stable_after = 0ms;
  backoff b(o);
  CHECK(*b.on_disconnected(clock.now(), g) == 20ms);
  CHECK(*b.on_disconnected(clock.now(), g) == 40ms);
  // stable_after zero: any connection resets.
  b.on_connected(clock.now());
  CHECK(*b.on_disconnected(clock.now(), g) == 20ms);
}

}  // namespace core_backoff_test
