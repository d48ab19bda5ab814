// Unit tests of liveness/timer/wheel.hpp, the sans-I/O timer wheel, with core::manual_clock:
// never early, at most one resolution late when driven at next_expiry, deadlines beyond one
// revolution, empty ticks skipped, re-arm and cancel from inside the expiry callback, and a
// randomized comparison against a std::multimap reference with 100k entries. Then
// timer/shared_wheel.hpp on real io_contexts: owners on strands of a multi-threaded
// io_context, owners destroyed while due, no wake-ups for an idle wheel, configuration.
#include <liveness/timer/wheel.hpp>
#include <liveness/timer/shared_wheel.hpp>
#include <liveness/detail/deadline.hpp>

#include <liveness/session.hpp>

#include "asio_includes.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace timer_wheel_test {

using namespace std::chrono_literals;

namespace {

namespace lv = liveness;
using lv::core::duration;
using lv::core::manual_clock;
using lv::core::time_point;
using lv::timer::wheel;
using lv::timer::wheel_entry;
using lv::timer::wheel_options;

struct item : wheel_entry {
  std::size_t id = 0;
  time_point deadline{};
  int fired = 0;
};

// Drives `w` the way timer::shared_wheel does: sleep until next_expiry, then expire.
template <class F>
std::size_t drive_until(wheel& w, manual_clock& clock, time_point end, F&& on_fire) {
  std::size_t wakeups = 0;
  while (auto next = w.next_expiry()) {
    if (*next > end) break;
    clock.advance_to(*next);
    ++wakeups;
    w.expire(clock.now(), on_fire);
  }
  clock.advance_to(end);
  return wakeups;
}

}  // namespace

TEST_CASE("timer wheel: an entry fires once, never early, less than a tick late", "[timer]") {
  manual_clock clock;
  wheel w(clock.now(), {10ms, 64});
  item a;
  a.deadline = clock.now() + 35ms;
  w.arm(a, a.deadline);
  CHECK(a.armed());
  CHECK(w.size() == 1);
  REQUIRE(w.next_expiry());
  CHECK(*w.next_expiry() == clock.now() + 40ms);  // skips the empty ticks before it

  clock.advance(34ms);
  CHECK(w.expire(clock.now(), [](wheel_entry&) { FAIL("fired early"); }) == 0);
  clock.advance(2ms);  // 36 ms: past the deadline, before the tick boundary
  CHECK(w.expire(clock.now(), [](wheel_entry&) { FAIL("fired before its tick"); }) == 0);
  clock.advance_to(*w.next_expiry());
  std::vector<item*> fired;
  CHECK(w.expire(clock.now(), [&](wheel_entry& e) { fired.push_back(static_cast<item*>(&e)); }) ==
        1);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0] == &a);
  CHECK(!a.armed());
  CHECK(w.empty());
  CHECK(!w.next_expiry());
  CHECK(clock.now() - a.deadline < 10ms);
}

TEST_CASE("timer wheel: re-arm moves the entry, cancel removes it, in O(1)", "[timer]") {
  manual_clock clock;
  wheel w(clock.now(), {1ms, 64});
  item a, b;
  w.arm(a, clock.now() + 5ms);
  w.arm(b, clock.now() + 5ms);
  w.arm(a, clock.now() + 20ms);  // re-arm later: one entry, not two
  CHECK(w.size() == 2);
  w.cancel(b);
  CHECK(!b.armed());
  w.cancel(b);  // twice: no effect
  CHECK(w.size() == 1);
  int fires = 0;
  clock.advance(10ms);
  w.expire(clock.now(), [&](wheel_entry&) { ++fires; });
  CHECK(fires == 0);
  clock.advance(10ms);
  w.expire(clock.now(), [&](wheel_entry& e) {
    CHECK(&e == &a);
    ++fires;
  });
  CHECK(fires == 1);
  CHECK(w.empty());
}

TEST_CASE("timer wheel: deadlines beyond one revolution fire on time", "[timer]") {
  manual_clock clock;
  const auto start = clock.now();
  wheel w(clock.now(), {1ms, 64});  // revolution: 64 ms
  item far;
  far.deadline = start + 1000ms + 300us;  // ~15.6 revolutions
  w.arm(far, far.deadline);
  std::vector<time_point> fired_at;
  const auto wakeups = drive_until(w, clock, start + 2s, [&](wheel_entry&) {
    fired_at.push_back(clock.now());
  });
  REQUIRE(fired_at.size() == 1);
  CHECK(fired_at[0] >= far.deadline);
  CHECK(fired_at[0] - far.deadline < 1ms);
  // One early visit per revolution at most, never one per tick (1000 ticks).
  CHECK(wakeups <= 17);
}

TEST_CASE("timer wheel: an idle wheel asks for no wake-up, empty ticks are skipped", "[timer]") {
  manual_clock clock;
  wheel w(clock.now());
  CHECK(!w.next_expiry());
  CHECK(w.expire(clock.now() + 1h, [](wheel_entry&) { FAIL("empty wheel fired"); }) == 0);
  // After a long idle pause, a new entry is still due at the right time.
  item a;
  clock.advance(1h);
  a.deadline = clock.now() + 100ms;
  w.arm(a, a.deadline);
  REQUIRE(w.next_expiry());
  CHECK(*w.next_expiry() >= a.deadline);
  CHECK(*w.next_expiry() - a.deadline < w.options().resolution);
}

TEST_CASE("timer wheel: a past deadline fires at the next tick", "[timer]") {
  manual_clock clock;
  wheel w(clock.now(), {5ms, 64});
  clock.advance(50ms);
  w.expire(clock.now(), [](wheel_entry&) {});
  item a;
  w.arm(a, clock.now() - 30ms);
  int fires = 0;
  w.expire(clock.now(), [&](wheel_entry&) { ++fires; });
  CHECK(fires == 0);  // the current tick is processed already
  clock.advance(5ms);
  w.expire(clock.now(), [&](wheel_entry&) { ++fires; });
  CHECK(fires == 1);
}

TEST_CASE("timer wheel: the callback may re-arm and cancel entries", "[timer]") {
  manual_clock clock;
  wheel w(clock.now(), {1ms, 64});
  item a, b, c;
  w.arm(a, clock.now() + 3ms);
  w.arm(b, clock.now() + 3ms);
  w.arm(c, clock.now() + 3ms);
  clock.advance(3ms);
  std::vector<wheel_entry*> fired;
  w.expire(clock.now(), [&](wheel_entry& e) {
    fired.push_back(&e);
    // Whichever comes first cancels the other two (one or both still due: not handed out)
    // and re-arms itself.
    for (item* x : {&a, &b, &c})
      if (x != &e) w.cancel(*x);
    w.arm(e, clock.now() + 2ms);
  });
  REQUIRE(fired.size() == 1);
  CHECK(w.size() == 1);
  clock.advance(2ms);
  std::vector<wheel_entry*> again;
  w.expire(clock.now(), [&](wheel_entry& e) { again.push_back(&e); });
  CHECK(again == fired);
}

TEST_CASE("timer wheel: invalid options fall back to the defaults, slots are rounded", "[timer]") {
  manual_clock clock;
  wheel a(clock.now(), {duration::zero(), 0});
  CHECK(a.options().resolution == wheel_options{}.resolution);
  CHECK(a.options().slots == 64);
  wheel b(clock.now(), {1ms, 1000});
  CHECK(b.options().slots == 1024);
  item e;
  b.arm(e, time_point::max());  // far future: no overflow, never fires
  CHECK(b.expire(clock.now() + 24h * 365, [](wheel_entry&) { FAIL("fired"); }) == 0);
  b.cancel(e);
}

TEST_CASE("timer wheel: randomized against a std::multimap reference, 100k entries",
          "[timer]") {
  std::mt19937_64 rng(20261122);
  manual_clock clock;
  const auto origin = clock.now();
  const duration res = 3ms;
  wheel w(origin, {res, 256});  // revolution 768 ms: most deadlines span several
  const auto res_ns = res.count();
  // The reference: the tick boundary at which an entry is due, computed independently.
  std::uint64_t processed = 0;  // last tick the reference has expired
  auto due_time = [&](time_point d) {
    const auto e = d <= origin ? 0 : (d - origin).count();
    std::uint64_t t = static_cast<std::uint64_t>(e / res_ns + (e % res_ns ? 1 : 0));
    if (t <= processed) t = processed + 1;
    return t;
  };
  std::multimap<std::uint64_t, std::size_t> ref;  // due tick -> id
  constexpr std::size_t n = 100000;
  std::vector<item> items(n);
  std::vector<std::multimap<std::uint64_t, std::size_t>::iterator> where(n, ref.end());
  for (std::size_t i = 0; i < n; ++i) items[i].id = i;

  auto arm = [&](std::size_t i, time_point d) {
    if (where[i] != ref.end()) ref.erase(where[i]);
    items[i].deadline = d;
    where[i] = ref.emplace(due_time(d), i);
    w.arm(items[i], d);
  };
  auto cancel = [&](std::size_t i) {
    if (where[i] != ref.end()) ref.erase(where[i]);
    where[i] = ref.end();
    w.cancel(items[i]);
  };
  std::uniform_int_distribution<std::int64_t> delay_us(-2000, 5'000'000);  // up to 5 s
  for (std::size_t i = 0; i < n; ++i) arm(i, clock.now() + std::chrono::microseconds(delay_us(rng)));
  REQUIRE(w.size() == ref.size());

  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  std::uniform_int_distribution<int> op(0, 99);
  std::uniform_int_distribution<std::int64_t> step_us(0, 40'000);
  std::size_t total_fired = 0;
  bool ok = true;
  for (int round = 0; round < 400 && ok; ++round) {
    // Random arms, re-arms and cancels between expiries.
    for (int k = 0; k < 500; ++k) {
      const std::size_t i = pick(rng);
      if (op(rng) < 80)
        arm(i, clock.now() + std::chrono::microseconds(delay_us(rng)));
      else
        cancel(i);
    }
    clock.advance(std::chrono::microseconds(step_us(rng)));
    const auto now = clock.now();
    const std::uint64_t now_tick = static_cast<std::uint64_t>((now - origin).count() / res_ns);
    std::set<std::size_t> expected;
    if (now_tick > processed) {
      for (auto it = ref.begin(); it != ref.end() && it->first <= now_tick; ++it)
        expected.insert(it->second);
      processed = now_tick;
    }
    std::set<std::size_t> got;
    std::vector<std::size_t> rearm;
    w.expire(now, [&](wheel_entry& e) {
      auto& it = static_cast<item&>(e);
      if (!got.insert(it.id).second) ok = false;  // handed out twice
      if (it.deadline > now) ok = false;          // early
      if (now - it.deadline >= res + std::chrono::microseconds(40'000)) ok = false;
      // A tenth re-arm themselves from inside the callback.
      if (it.id % 10 == 0) rearm.push_back(it.id);
    });
    for (std::size_t i : expected) {
      ref.erase(where[i]);
      where[i] = ref.end();
    }
    CHECK(got == expected);
    if (got != expected) ok = false;
    total_fired += got.size();
    for (std::size_t i : rearm) arm(i, now + std::chrono::microseconds(delay_us(rng)));
    REQUIRE(w.size() == ref.size());
  }
  CHECK(ok);
  CHECK(total_fired > 10000);  // the comparison saw real work
  const std::size_t total_remaining = w.size();
  // Drain: every remaining entry fires, each within one tick of its deadline.
  std::size_t drained = 0;
  const auto drain_start = clock.now();
  bool on_time = true;
  drive_until(w, clock, clock.now() + 10s, [&](wheel_entry& e) {
    auto& it = static_cast<item&>(e);
    ++drained;
    if (clock.now() < it.deadline) on_time = false;
    // Deadlines after the drain started: less than one tick late.
    if (it.deadline >= drain_start && clock.now() - it.deadline >= res) on_time = false;
  });
  CHECK(on_time);
  CHECK(w.empty());
  CHECK(drained == total_remaining);
}

// ---- re-arms to a later tick -------------------------------------------------------------
// What a heartbeat does to its deadline, over and over. These cases pin what any way of
// moving an entry (relinking at once, or leaving it in its slot until `expire` visits it)
// must keep: no early or late firing, one hand-out, the occupied bits (hence next_expiry)
// right after cancels and earlier re-arms.

TEST_CASE("timer wheel: re-armed later many times, an entry fires once, at its last deadline",
          "[timer]") {
  manual_clock clock;
  const auto start = clock.now();
  wheel w(start, {1ms, 64});
  item a;
  w.arm(a, start + 5ms);
  std::vector<time_point> old_deadlines;
  for (int ms = 5; ms < 30; ++ms) {
    old_deadlines.push_back(start + std::chrono::milliseconds(ms));
    w.arm(a, start + std::chrono::milliseconds(ms + 1));
  }
  a.deadline = start + 30ms;
  CHECK(w.size() == 1);
  CHECK(a.armed());
  // Possibly early, never late.
  REQUIRE(w.next_expiry());
  CHECK(*w.next_expiry() <= a.deadline);
  int fires = 0;
  for (const auto d : old_deadlines) {
    clock.advance_to(d);
    CHECK(w.expire(clock.now(), [&](wheel_entry&) { ++fires; }) == 0);
  }
  CHECK(fires == 0);
  CHECK(w.size() == 1);
  // Moved by the pass at its first old deadline: asks for its own tick now.
  REQUIRE(w.next_expiry());
  CHECK(*w.next_expiry() == a.deadline);
  clock.advance_to(a.deadline);
  CHECK(w.expire(clock.now(), [&](wheel_entry& e) {
    CHECK(&e == &a);
    ++fires;
  }) == 1);
  CHECK(fires == 1);
  CHECK(!a.armed());
  CHECK(w.empty());
  CHECK(!w.next_expiry());
}

TEST_CASE("timer wheel: re-armed later, then earlier, an entry fires at the earlier deadline",
          "[timer]") {
  manual_clock clock;
  const auto start = clock.now();
  wheel w(start, {1ms, 64});
  item a, b, c;
  SECTION("alone in its slot") {
    w.arm(a, start + 10ms);
    w.arm(a, start + 50ms);  // later: (a wheel may leave it in the slot of 10 ms)
    w.arm(a, start + 30ms);  // earlier than 50 ms: moved now, the slot of 10 ms emptied
    REQUIRE(w.next_expiry());
    CHECK(*w.next_expiry() == start + 30ms);  // no wake-up for the emptied slot
  }
  SECTION("behind another entry of its slot") {
    w.arm(a, start + 10ms);
    w.arm(b, start + 10ms);  // b is the slot's head, a after it
    w.arm(a, start + 50ms);
    w.arm(a, start + 30ms);  // unlinked from the middle of the slot of 10 ms: b stays
    REQUIRE(w.next_expiry());
    CHECK(*w.next_expiry() == start + 10ms);
    w.cancel(b);
    REQUIRE(w.next_expiry());
    CHECK(*w.next_expiry() == start + 30ms);
  }
  SECTION("ahead of another entry of its slot") {
    w.arm(b, start + 10ms);
    w.arm(a, start + 10ms);  // a is the slot's head, b after it
    w.arm(a, start + 50ms);
    w.arm(a, start + 30ms);  // the head unlinked: b becomes the head, the slot stays
    REQUIRE(w.next_expiry());
    CHECK(*w.next_expiry() == start + 10ms);
    w.cancel(b);
    REQUIRE(w.next_expiry());
    CHECK(*w.next_expiry() == start + 30ms);
  }
  w.arm(c, start + 60ms);  // later than a: the wheel is not empty after a fires
  std::vector<std::pair<wheel_entry*, time_point>> fired;
  drive_until(w, clock, start + 100ms, [&](wheel_entry& e) { fired.emplace_back(&e, clock.now()); });
  REQUIRE(fired.size() == 2);
  CHECK(fired[0].first == &a);
  CHECK(fired[0].second == start + 30ms);
  CHECK(fired[1].first == &c);
  CHECK(fired[1].second == start + 60ms);
  CHECK(w.empty());
}

TEST_CASE("timer wheel: re-armed later across revolutions, an entry fires on time", "[timer]") {
  manual_clock clock;
  const auto start = clock.now();
  wheel w(start, {1ms, 64});  // revolution: 64 ms
  item same, other;
  w.arm(same, start + 10ms);
  w.arm(other, start + 10ms);
  same.deadline = start + 10ms + 3 * 64ms;        // the same slot, three revolutions on
  other.deadline = start + 10ms + 2 * 64ms + 7ms;  // another slot, two revolutions on
  w.arm(same, same.deadline);
  w.arm(other, other.deadline);
  // At the old deadline, nothing is due: `other` moves to its slot, `same` stays in its.
  clock.advance_to(start + 10ms);
  CHECK(w.expire(clock.now(), [](wheel_entry&) { FAIL("fired at an old deadline"); }) == 0);
  CHECK(w.size() == 2);
  std::vector<std::pair<wheel_entry*, time_point>> fired;
  const auto wakeups = drive_until(w, clock, start + 1s, [&](wheel_entry& e) {
    fired.emplace_back(&e, clock.now());
  });
  REQUIRE(fired.size() == 2);
  CHECK(fired[0].first == &other);
  CHECK(fired[0].second == other.deadline);
  CHECK(fired[1].first == &same);
  CHECK(fired[1].second == same.deadline);
  // One early visit per revolution per entry at most, never one per tick (about 200).
  CHECK(wakeups <= 8);
  CHECK(w.empty());
}

TEST_CASE("timer wheel: cancelled after a later re-arm, an entry leaves no wake-up behind",
          "[timer]") {
  manual_clock clock;
  const auto start = clock.now();
  wheel w(start, {1ms, 64});
  item a, c;
  w.arm(a, start + 5ms);
  w.arm(c, start + 50ms);
  w.arm(a, start + 40ms);  // later: (a may still sit in the slot of 5 ms)
  w.cancel(a);             // that slot is empty now: its bit must go
  CHECK(!a.armed());
  CHECK(w.size() == 1);
  REQUIRE(w.next_expiry());
  CHECK(*w.next_expiry() == start + 50ms);
  w.cancel(c);
  CHECK(w.empty());
  CHECK(!w.next_expiry());
  CHECK(w.expire(start + 1s, [](wheel_entry&) { FAIL("a cancelled entry fired"); }) == 0);
  // Re-armed after the cancel, it is an ordinary entry again.
  w.arm(a, start + 1s + 20ms);
  REQUIRE(w.next_expiry());
  CHECK(*w.next_expiry() == start + 1s + 20ms);
}

TEST_CASE("timer wheel: entries re-armed later may be cancelled and destroyed in any order",
          "[timer]") {
  // Entries of one slot, half of them re-armed later (still linked there), cancelled and
  // destroyed in a shuffled order between expiries: the slot's list must never keep a
  // pointer to a destroyed entry (the ASan variant of this suite sees it if it does).
  std::mt19937_64 rng(16);
  manual_clock clock;
  const auto start = clock.now();
  wheel w(start, {1ms, 64});
  std::vector<std::unique_ptr<item>> items;
  for (std::size_t i = 0; i < 64; ++i) {
    items.push_back(std::make_unique<item>());
    items.back()->id = i;
    items.back()->deadline = start + 10ms;
    w.arm(*items.back(), items.back()->deadline);
  }
  for (std::size_t i = 0; i < items.size(); i += 2) {
    items[i]->deadline = start + 10ms + std::chrono::milliseconds(1 + i);  // later re-arms
    w.arm(*items[i], items[i]->deadline);
  }
  std::shuffle(items.begin(), items.end(), rng);
  // Destroy a third before the old deadline, then expire, then another third.
  for (std::size_t k = 0; k < 21; ++k) {
    w.cancel(*items.back());
    items.pop_back();
  }
  std::set<std::size_t> alive;
  for (auto& p : items) alive.insert(p->id);
  std::set<std::size_t> got;
  auto on_fire = [&](wheel_entry& e) {
    auto& it = static_cast<item&>(e);
    CHECK(clock.now() >= it.deadline);
    CHECK(clock.now() - it.deadline < 1ms);
    CHECK(got.insert(it.id).second);
  };
  drive_until(w, clock, start + 12ms, on_fire);
  for (std::size_t k = 0; k < 21; ++k) {
    const std::size_t id = items.back()->id;
    if (!got.count(id)) alive.erase(id);  // cancelled before it fired
    w.cancel(*items.back());
    items.pop_back();
  }
  drive_until(w, clock, start + 1s, on_fire);
  CHECK(got == alive);
  CHECK(w.empty());
}

TEST_CASE("timer wheel: randomized later re-arms against a std::multimap reference, driven at "
          "next_expiry",
          "[timer]") {
  // Mostly re-arms to later deadlines , some earlier (eager), cancels, and
  // arms from inside the callback (of the entry handed out and of others, possibly still
  // due), over a 64-slot wheel whose deadlines span several revolutions. Driven the way
  // shared_wheel drives it: each expire at next_expiry().
  std::mt19937_64 rng(20261201);
  manual_clock clock;
  const auto origin = clock.now();
  const duration res = 1ms;
  wheel w(origin, {res, 64});  // revolution 64 ms
  constexpr std::size_t n = 2000;
  std::vector<item> items(n);
  for (std::size_t i = 0; i < n; ++i) items[i].id = i;
  std::multimap<time_point, std::size_t> ref;  // deadline -> id, the armed entries
  std::vector<std::multimap<time_point, std::size_t>::iterator> where(n, ref.end());
  std::vector<char> pending(n, 0);  // due in the running expire, not handed out yet
  std::size_t pending_count = 0;

  std::uniform_int_distribution<std::int64_t> delay_us(1, 300'000);  // up to ~5 revolutions
  std::uniform_int_distribution<std::int64_t> push_us(1, 200'000);
  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  std::uniform_int_distribution<int> pct(0, 99);
  auto arm = [&](std::size_t i, time_point d) {
    if (where[i] != ref.end()) ref.erase(where[i]);
    if (pending[i]) {  // re-armed while due: not handed out by this pass
      pending[i] = 0;
      --pending_count;
    }
    items[i].deadline = d;
    where[i] = ref.emplace(d, i);
    w.arm(items[i], d);
  };
  auto cancel = [&](std::size_t i) {
    if (where[i] != ref.end()) ref.erase(where[i]);
    where[i] = ref.end();
    if (pending[i]) {
      pending[i] = 0;
      --pending_count;
    }
    w.cancel(items[i]);
  };
  for (std::size_t i = 0; i < n; i += 2)
    arm(i, clock.now() + std::chrono::microseconds(delay_us(rng)));

  std::size_t total_fired = 0, later = 0, early_wakeups = 0;
  bool ok = true;
  for (int step = 0; step < 4000 && ok; ++step) {
    for (int k = 0; k < 20; ++k) {
      const std::size_t i = pick(rng);
      const int p = pct(rng);
      if (where[i] == ref.end()) {
        arm(i, clock.now() + std::chrono::microseconds(delay_us(rng)));
      } else if (p < 65) {
        ++later;
        arm(i, items[i].deadline + std::chrono::microseconds(push_us(rng)));
      } else if (p < 85) {
        const auto left = (items[i].deadline - clock.now()).count() / 1000;
        if (left > 1)
          arm(i, clock.now() + std::chrono::microseconds(
                                   std::uniform_int_distribution<std::int64_t>(1, left - 1)(rng)));
      } else {
        cancel(i);
      }
    }
    REQUIRE(w.size() == ref.size());
    const auto next = w.next_expiry();
    if (ref.empty()) {
      CHECK(!next);
      clock.advance(10ms);
      continue;
    }
    REQUIRE(next);
    // Never later than the earliest deadline's tick (it may be earlier).
    if (*next >= ref.begin()->first + res) ok = false;
    clock.advance_to(*next);
    const auto now = clock.now();
    for (auto it = ref.begin(); it != ref.end() && it->first <= now;) {
      pending[it->second] = 1;
      ++pending_count;
      where[it->second] = ref.end();
      it = ref.erase(it);
    }
    const std::size_t expected = pending_count;
    std::size_t got = 0;
    w.expire(now, [&](wheel_entry& e) {
      auto& it = static_cast<item&>(e);
      if (!pending[it.id]) ok = false;  // not due, cancelled, re-armed or handed out twice
      pending[it.id] = 0;
      --pending_count;
      ++got;
      if (it.deadline > now) ok = false;          // early
      if (now - it.deadline >= res) ok = false;   // a tick late or more
      if (pct(rng) < 30) arm(it.id, now + std::chrono::microseconds(delay_us(rng)));
      if (pct(rng) < 10) {
        const std::size_t j = pick(rng);
        if (pct(rng) < 50)
          arm(j, now + std::chrono::microseconds(delay_us(rng)));
        else
          cancel(j);
      }
    });
    if (expected == 0) ++early_wakeups;
    if (pending_count != 0) ok = false;  // something due was not handed out
    total_fired += got;
    REQUIRE(w.size() == ref.size());
  }
  CHECK(ok);
  CHECK(total_fired > 5000);  // the comparison saw real work
  CHECK(later > 20000);
  CHECK(early_wakeups > 0);  // wake-ups that found nothing due (entries of a later revolution) were harmless
  // Drain: every remaining entry fires once, on time.
  const std::size_t remaining = w.size();
  std::size_t drained = 0;
  bool on_time = true;
  drive_until(w, clock, clock.now() + 10s, [&](wheel_entry& e) {
    auto& it = static_cast<item&>(e);
    ++drained;
    if (clock.now() < it.deadline || clock.now() - it.deadline >= res) on_time = false;
  });
  CHECK(on_time);
  CHECK(drained == remaining);
  CHECK(w.empty());
}

// ---- timer::shared_wheel ---------------------------------------------------------------

namespace {

namespace net = liveness::net;
using strand_t = net::strand<net::io_context::executor_type>;
using clk = std::chrono::steady_clock;

/// A minimal wheel owner, as a session is: held by a shared_ptr, cancels in its destructor,
/// runs its work on its own strand.
struct owner : lv::timer::wheel_timer, std::enable_shared_from_this<owner> {
  strand_t strand;
  lv::timer::shared_wheel& wheel;
  std::atomic<int>& fired;
  time_point deadline{};
  time_point fired_at{};
  int fires = 0;
  bool on_strand = false;

  owner(strand_t s, std::atomic<int>& f)
      : strand(s), wheel(lv::timer::shared_wheel::of(s)), fired(f) {}
  ~owner() { wheel.cancel(*this); }

  std::shared_ptr<void> wheel_lock() noexcept override { return weak_from_this().lock(); }
  void wheel_fire(std::shared_ptr<void> o) override {
    net::post(strand, [self = std::static_pointer_cast<owner>(std::move(o))] {
      self->fired_at = clk::now();
      self->on_strand = self->strand.running_in_this_thread();
      ++self->fires;
      ++self->fired;
    });
  }
};

/// Runs `io` on 4 threads until `fired` reaches `n` (true) or 20 s passed (false). Bounded:
/// the io_context runs out of work once every owner fired (an idle wheel keeps nothing
/// pending); a watchdog stops it otherwise.
bool run_on_4_threads_until(net::io_context& io, const std::atomic<int>& fired, int n) {
  const auto start = clk::now();
  std::vector<std::thread> pool;
  for (int i = 0; i < 4; ++i) pool.emplace_back([&] { io.run(); });
  while (fired < n && clk::now() - start < std::chrono::seconds(20))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const bool all_fired = fired == n;
  if (!all_fired) io.stop();
  for (auto& t : pool) t.join();
  return all_fired;
}

}  // namespace

TEST_CASE("timer wheel: shared_wheel fires owners on their own strands of a 4-thread io_context",
          "[timer][shared_wheel]") {
  net::io_context io(4);
  std::atomic<int> fired{0};
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> ms(20, 300);
  constexpr int n = 400;
  std::vector<std::shared_ptr<owner>> owners;
  for (int i = 0; i < n; ++i) {
    auto o = std::make_shared<owner>(net::make_strand(io), fired);
    const auto delay = std::chrono::milliseconds(ms(rng));
    // Armed from the owner's strand, as a session arms its deadline.
    net::post(o->strand, [o, delay] {
      o->deadline = clk::now() + delay;
      o->wheel.arm(*o, o->deadline);
    });
    owners.push_back(o);
  }
  REQUIRE(run_on_4_threads_until(io, fired, n));
  auto& wheel = lv::timer::shared_wheel::of(io.get_executor());
  CHECK(wheel.size() == 0);
  duration worst{};
  for (auto& o : owners) {
    CHECK(o->fires == 1);
    CHECK(o->on_strand);
    CHECK(o->fired_at >= o->deadline);  // never early
    worst = (std::max)(worst, o->fired_at - o->deadline);
  }
  // Late by one resolution (4 ms) plus scheduling; generous for a loaded 2-core machine.
  CHECK(worst < std::chrono::milliseconds(500));
  std::cout << "[timer] shared_wheel: " << n << " owners on 4 threads, worst lateness "
            << std::chrono::duration<double, std::milli>(worst).count() << " ms, "
            << wheel.wakeups() << " wheel wake-ups\n";
}

namespace {

/// An owner of the session's deadline (detail::deadline), with its executor type-erased as
/// a session's is: records whether its work ran on the strand it was given.
struct deadline_owner : lv::detail::deadline<deadline_owner, net::any_io_executor>,
                        std::enable_shared_from_this<deadline_owner> {
  strand_t strand;
  std::atomic<int>& fired;
  int fires = 0;
  bool on_strand = false;

  deadline_owner(strand_t s, std::atomic<int>& f)
      : deadline(net::any_io_executor(s), true), strand(s), fired(f) {}
  ~deadline_owner() override { detach_deadline(); }
  net::any_io_executor get_executor() const { return strand; }
  void on_deadline() {
    on_strand = strand.running_in_this_thread();
    ++fires;
    ++fired;
  }
};

}  // namespace

TEST_CASE("timer wheel: executor_target names the executor an any_io_executor holds, never "
          "another",
          "[timer][shared_wheel]") {
  net::io_context io;
  using io_executor = net::io_context::executor_type;
  const net::any_io_executor plain(io.get_executor());
  const net::any_io_executor on_strand(net::make_strand(io));
  // Asio 1.22's own target<T>() casts whatever is inside: a strand read as an io_context
  // executor would say "runs here" on any thread of the io_context.
  CHECK(lv::detail::executor_target<io_executor>(plain) != nullptr);
  CHECK(lv::detail::executor_target<strand_t>(plain) == nullptr);
  CHECK(lv::detail::executor_target<strand_t>(on_strand) != nullptr);
  CHECK(lv::detail::executor_target<io_executor>(on_strand) == nullptr);
  CHECK(lv::detail::executor_target<io_executor>(net::any_io_executor()) == nullptr);
}

TEST_CASE("timer wheel: a session's deadline on a strand of a 4-thread io_context runs on that "
          "strand",
          "[timer][shared_wheel][threads]") {
  net::io_context io(4);
  std::atomic<int> fired{0};
  constexpr int n = 200;
  std::vector<std::shared_ptr<deadline_owner>> owners;
  for (int i = 0; i < n; ++i) {
    auto o = std::make_shared<deadline_owner>(net::make_strand(io), fired);
    const auto delay = std::chrono::milliseconds(10 + i % 50);
    net::post(o->strand, [o, delay] { o->arm_deadline(clk::now() + delay); });
    owners.push_back(o);
  }
  REQUIRE(run_on_4_threads_until(io, fired, n));
  int off_strand = 0;
  for (auto& o : owners) {
    CHECK(o->fires == 1);
    off_strand += o->on_strand ? 0 : 1;
  }
  CHECK(off_strand == 0);
}

TEST_CASE("lifetime: shared_wheel never touches an owner destroyed while it is due",
          "[timer][shared_wheel]") {
  for (int round = 0; round < 5; ++round) {
    net::io_context io(2);
    std::atomic<int> fired{0};
    constexpr int n = 500;
    std::vector<std::shared_ptr<owner>> owners;
    const auto due = clk::now() + std::chrono::milliseconds(30);
    for (int i = 0; i < n; ++i) {
      auto o = std::make_shared<owner>(net::make_strand(io), fired);
      o->deadline = due;
      o->wheel.arm(*o, due);
      owners.push_back(std::move(o));
    }
    auto guard = net::make_work_guard(io);
    std::vector<std::thread> pool;
    for (int i = 0; i < 2; ++i) pool.emplace_back([&] { io.run(); });
    // Destroy the owners (from this thread) right around their deadline, while the wheel's
    // expiry runs on the io threads: each is either fired (alive through its reference) or
    // cancelled by its destructor; AddressSanitizer would see a use after free.
    std::this_thread::sleep_until(due - std::chrono::milliseconds(2 * round));
    for (auto& o : owners) o.reset();
    guard.reset();
    std::thread watchdog([&] {
      const auto end = clk::now() + std::chrono::seconds(10);
      while (!io.stopped() && clk::now() < end)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      io.stop();
    });
    for (auto& t : pool) t.join();
    watchdog.join();
    CHECK(fired <= n);
    CHECK(lv::timer::shared_wheel::of(io.get_executor()).size() == 0);
  }
}

TEST_CASE("timer wheel: an idle shared wheel keeps nothing pending, far deadlines skip ticks",
          "[timer][shared_wheel]") {
  net::io_context io;
  REQUIRE(lv::timer::configure_shared_wheel(io, {std::chrono::milliseconds(1), 4096}));
  auto& wheel = lv::timer::shared_wheel::of(io.get_executor());
  CHECK(wheel.options().resolution == std::chrono::milliseconds(1));
  std::atomic<int> fired{0};
  auto o = std::make_shared<owner>(net::make_strand(io), fired);
  o->deadline = clk::now() + std::chrono::milliseconds(200);
  wheel.arm(*o, o->deadline);
  // Armed: reconfiguring is refused.
  CHECK(!lv::timer::configure_shared_wheel(io, {}));
  const auto start = clk::now();
  io.run_for(std::chrono::seconds(10));  // returns once fired: nothing else is pending
  CHECK(fired == 1);
  CHECK(clk::now() - start < std::chrono::seconds(5));
  // 200 ticks of 1 ms, but only the non-empty one wakes the io_context (one more at most,
  // for a re-arm race).
  CHECK(wheel.wakeups() <= 2);

  // A far deadline, then cancelled: the wheel's timer is cancelled with it and run()
  // returns at once instead of waiting for the old expiry.
  io.restart();
  o->deadline = clk::now() + std::chrono::seconds(60);
  wheel.arm(*o, o->deadline);
  wheel.cancel(*o);
  const auto before = clk::now();
  io.run_for(std::chrono::seconds(10));
  CHECK(clk::now() - before < std::chrono::seconds(5));
  CHECK(fired == 1);
  CHECK(wheel.size() == 0);
  CHECK(lv::timer::configure_shared_wheel(io, {}));  // empty again: accepted
}

TEST_CASE("timer wheel: sessions detect a silent peer on time, with and without the wheel",
          "[timer][shared_wheel][session]") {
  using tcp = net::ip::tcp;
  using session_t = lv::session<tcp::socket, lv::heartbeat::idle_timeout>;
  const auto budget = std::chrono::milliseconds(300);
  for (bool use_wheel : {true, false}) {
    net::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
    tcp::socket silent(io);
    silent.connect(acceptor.local_endpoint());
    lv::session_options<lv::heartbeat::idle_timeout> opts;
    opts.keepalive = std::nullopt;
    opts.heartbeat.timeout = budget;
    opts.use_timer_wheel = use_wheel;
    opts.role = lv::role::server;
    const auto start = clk::now();
    session_t s(acceptor.accept(), opts);
    auto& wheel = lv::timer::shared_wheel::of(io.get_executor());
    CHECK(wheel.size() == (use_wheel ? 1u : 0u));  // the deadline is on the wheel or not
    lv::error_code why;
    clk::time_point died{};
    s.async_wait_dead([&](lv::error_code ec) {
      why = ec;
      died = clk::now();
    });
    io.run_for(std::chrono::seconds(10));  // returns once the session is dead
    REQUIRE(why == lv::error::idle_timeout);
    const auto took = died - start;
    // Never early (no false alarm); late by the wheel's resolution plus scheduling (the
    // target is budget + 2 % + 20 ms; the bound is wide for a loaded 2-core machine).
    CHECK(took >= budget);
    CHECK(took < budget + budget / 50 + std::chrono::milliseconds(200));
    CHECK(wheel.size() == 0u);
    std::cout << "[timer] idle_timeout 300 ms " << (use_wheel ? "with" : "without")
              << " the wheel: detected after "
              << std::chrono::duration<double, std::milli>(took).count() << " ms\n";
  }
}

// Not run by default (hidden tag): the per-session timer cost at 10k, 100k and 1M simulated
// sessions, each re-armed once per simulated second (a 1 Hz reader) with a 15 s deadline,
// against a std::multimap (a balanced tree: O(log n), like Asio's timer heap). Prints ns per
// re-arm; the wheel's figure stays flat as n grows. Run: liveness_tests_std17 "[.bench]".
TEST_CASE("timer wheel: cost per session stays flat up to 1M sessions", "[.bench]") {
  for (std::size_t n : {std::size_t(10000), std::size_t(100000), std::size_t(1000000)}) {
    manual_clock clock;
    wheel w(clock.now());
    std::vector<item> items(n);
    std::mt19937_64 rng(1);
    std::uniform_int_distribution<std::int64_t> phase(0, 999);
    for (auto& it : items) w.arm(it, clock.now() + 15s + std::chrono::milliseconds(phase(rng)));
    const int seconds = 3;
    std::size_t fired = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int s = 0; s < seconds * 250; ++s) {  // 4 ms steps
      clock.advance(4ms);
      // The sessions whose read falls in this step re-arm (each once per second).
      const std::size_t from = (static_cast<std::size_t>(s) % 250) * n / 250;
      const std::size_t to = (static_cast<std::size_t>(s) % 250 + 1) * n / 250;
      for (std::size_t i = from; i < to; ++i) w.arm(items[i], clock.now() + 15s);
      fired += w.expire(clock.now(), [](wheel_entry&) {});
    }
    const double wheel_ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
        double(n * seconds);

    std::multimap<time_point, std::size_t> tree;
    std::vector<std::multimap<time_point, std::size_t>::iterator> where(n);
    manual_clock c2;
    for (std::size_t i = 0; i < n; ++i)
      where[i] = tree.emplace(c2.now() + 15s + std::chrono::milliseconds(phase(rng)), i);
    const auto t1 = std::chrono::steady_clock::now();
    for (int s = 0; s < seconds * 250; ++s) {
      c2.advance(4ms);
      const std::size_t from = (static_cast<std::size_t>(s) % 250) * n / 250;
      const std::size_t to = (static_cast<std::size_t>(s) % 250 + 1) * n / 250;
      for (std::size_t i = from; i < to; ++i) {
        tree.erase(where[i]);
        where[i] = tree.emplace(c2.now() + 15s, i);
      }
    }
    const double tree_ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t1).count() /
        double(n * seconds);
    std::cout << "[timer] " << n << " sessions at 1 Hz: wheel " << wheel_ns
              << " ns per re-arm (" << fired << " fired), multimap " << tree_ns << " ns\n";
    CHECK(fired == 0);  // every session keeps reading: nothing expires
    for (auto& it : items) w.cancel(it);
  }
}

// Issue 11, item 9: a deadline exactly on the current tick (the latest `now`, on a tick
// boundary) used to fire a full resolution late, at the next tick.
TEST_CASE("timer wheel: a deadline at the latest now on a tick boundary fires at once, not a "
          "tick late",
          "[timer]") {
  manual_clock clock;
  wheel w(clock.now(), {10ms, 64});
  item a;
  std::vector<time_point> fired_at;
  auto on_fire = [&](wheel_entry&) { fired_at.push_back(clock.now()); };

  SECTION("armed at the origin, before any expire") {
    a.deadline = clock.now();
    w.arm(a, a.deadline);
  }
  SECTION("armed at now right after an expire on a tick boundary") {
    clock.advance(30ms);  // tick 3 begins exactly here
    w.expire(clock.now(), on_fire);
    a.deadline = clock.now();
    w.arm(a, a.deadline);
  }
  REQUIRE(w.next_expiry());
  CHECK(*w.next_expiry() <= a.deadline);  // due at once
  CHECK(*w.next_expiry() >= a.deadline - 10ms);
  clock.advance_to((std::max)(*w.next_expiry(), clock.now()));
  CHECK(w.expire(clock.now(), on_fire) == 1);
  REQUIRE(fired_at.size() == 1);
  CHECK(fired_at[0] >= a.deadline);
  CHECK(fired_at[0] - a.deadline < 10ms);  // the documented bound: less than one tick
  CHECK_FALSE(a.armed());
  CHECK(w.empty());
  CHECK_FALSE(w.next_expiry());
}

TEST_CASE("timer wheel: an entry re-armed at now from its callback waits for the next expire",
          "[timer]") {
  manual_clock clock;
  wheel w(clock.now(), {10ms, 64});
  item a, b;
  clock.advance(20ms);
  w.arm(a, clock.now());
  w.arm(b, clock.now() + 5ms);
  int fires = 0;
  // No endless loop: the re-armed entry is handed out by the next call, not this one.
  CHECK(w.expire(clock.now(), [&](wheel_entry& e) {
    ++fires;
    w.arm(e, clock.now());
  }) == 1);
  CHECK(fires == 1);
  CHECK(a.armed());
  REQUIRE(w.next_expiry());
  CHECK(*w.next_expiry() <= clock.now());
  // Cancel and re-arm of an entry due at once work like any other.
  w.cancel(a);
  CHECK_FALSE(a.armed());
  CHECK(w.size() == 1);
  w.arm(a, clock.now());
  w.arm(a, clock.now() + 100ms);  // moved out of the due-at-once list
  CHECK(*w.next_expiry() == clock.now() + 10ms);  // b's tick
  CHECK(w.expire(clock.now(), [&](wheel_entry&) { FAIL("nothing is due"); }) == 0);
  clock.advance(10ms);
  CHECK(w.expire(clock.now(), [&](wheel_entry& e) { CHECK(&e == &b); }) == 1);
  CHECK(w.size() == 1);
}

}  // namespace timer_wheel_test
