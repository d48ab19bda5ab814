// Unit tests of liveness/core/presence.hpp: online/offline with a grace period, driven by a
// manual clock.
#include <liveness/core/presence.hpp>

#if defined(ASIO_VERSION) || defined(BOOST_ASIO_VERSION)
#error "core/ must not include Asio"
#endif

#include "test_support.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace core_presence_test {

using namespace std::chrono_literals;

namespace {

namespace core = liveness::core;
using core::presence_change;
using core::presence_state;
using table = core::presence<int>;
using report = std::pair<std::string, int>;

std::vector<report> expire(table& t, core::time_point now) {
  std::vector<report> out;
  t.expire(now, [&](const std::string& k, int&& p) { out.emplace_back(k, p); });
  return out;
}

}  // namespace

TEST_CASE("presence: a new id is online, a second connection replaces, no events",
          "[presence]") {
  core::manual_clock clock;
  table t(5s);
  CHECK(t.state("a") == presence_state::offline);
  CHECK(t.connect("a", clock.now()) == presence_change::online);
  CHECK(t.state("a") == presence_state::connected);
  CHECK(t.connect("a", clock.now()) == presence_change::replaced);
  CHECK(t.online() == 1);
  CHECK(t.connected() == 1);
  CHECK(t.pending() == 0);
  CHECK_FALSE(t.next_deadline());
}

TEST_CASE("presence: a disconnected id goes offline exactly when the grace period ends",
          "[presence]") {
  core::manual_clock clock;
  table t(5s);
  t.connect("a", clock.now());
  const auto down = clock.now();
  CHECK(t.disconnect("a", down, 7));
  CHECK(t.state("a") == presence_state::pending);
  CHECK(t.online() == 1);
  CHECK(t.connected() == 0);
  CHECK(t.pending() == 1);
  REQUIRE(t.next_deadline());
  CHECK(*t.next_deadline() == down + 5s);

  clock.advance(5s - 1ns);
  CHECK(expire(t, clock.now()).empty());
  CHECK(t.state("a") == presence_state::pending);
  clock.advance(1ns);
  CHECK(expire(t, clock.now()) == std::vector<report>{{"a", 7}});
  CHECK(t.state("a") == presence_state::offline);
  CHECK(t.online() == 0);
  CHECK_FALSE(t.next_deadline());
  CHECK(expire(t, clock.now() + 1h).empty());  // reported once
  // Offline again: a new connection is a new online.
  CHECK(t.connect("a", clock.now()) == presence_change::online);
}

TEST_CASE("presence: a reconnect within the grace period cancels the offline, no events",
          "[presence]") {
  core::manual_clock clock;
  table t(5s);
  t.connect("a", clock.now());
  t.disconnect("a", clock.now(), 1);
  clock.advance(4s);
  CHECK(t.connect("a", clock.now()) == presence_change::resumed);
  CHECK(t.state("a") == presence_state::connected);
  CHECK(t.pending() == 0);
  CHECK(t.online() == 1);
  CHECK_FALSE(t.next_deadline());
  clock.advance(10s);
  CHECK(expire(t, clock.now()).empty());
  CHECK(t.state("a") == presence_state::connected);

  // A later disconnect gets a full grace period from its own time, not the old deadline.
  const auto second = clock.now();
  t.disconnect("a", second, 2);
  clock.advance(4s);
  CHECK(expire(t, clock.now()).empty());
  clock.advance(1s);
  CHECK(expire(t, clock.now()) == std::vector<report>{{"a", 2}});
}

TEST_CASE("presence: a reconnect exactly at the deadline loses to expire only if expire "
          "ran first", "[presence]") {
  core::manual_clock clock;
  table t(1s);
  t.connect("a", clock.now());
  t.disconnect("a", clock.now(), 1);
  clock.advance(1s);
  CHECK(t.connect("a", clock.now()) == presence_change::resumed);
  CHECK(expire(t, clock.now()).empty());
}

TEST_CASE("presence: with a zero grace the id is offline at the next expire", "[presence]") {
  core::manual_clock clock;
  table t(0s);
  t.connect("a", clock.now());
  t.disconnect("a", clock.now(), 3);
  CHECK(*t.next_deadline() == clock.now());
  CHECK(expire(t, clock.now()) == std::vector<report>{{"a", 3}});
  table neg(-5s);
  CHECK(neg.grace() == 0s);
}

TEST_CASE("presence: expiries come in disconnect order, cancelled ones are skipped",
          "[presence]") {
  core::manual_clock clock;
  table t(10s);
  for (const char* id : {"a", "b", "c", "d"}) t.connect(id, clock.now());
  t.disconnect("a", clock.now(), 1);
  clock.advance(1s);
  t.disconnect("b", clock.now(), 2);
  clock.advance(1s);
  t.disconnect("c", clock.now(), 3);
  clock.advance(1s);
  t.disconnect("d", clock.now(), 4);
  // b comes back; a comes back and leaves again (new deadline, after d's).
  CHECK(t.connect("b", clock.now()) == presence_change::resumed);
  CHECK(t.connect("a", clock.now()) == presence_change::resumed);
  clock.advance(1s);
  t.disconnect("a", clock.now(), 5);
  CHECK(t.pending() == 3);
  // The oldest live deadline is c's (the cancelled a and b entries are skipped).
  REQUIRE(t.next_deadline());
  CHECK(*t.next_deadline() == core::manual_clock::default_start + 12s);

  CHECK(expire(t, core::manual_clock::default_start + 12s) == std::vector<report>{{"c", 3}});
  CHECK(expire(t, core::manual_clock::default_start + 100s) ==
        std::vector<report>{{"d", 4}, {"a", 5}});
  CHECK(t.state("b") == presence_state::connected);
  CHECK(t.online() == 1);
}

TEST_CASE("presence: disconnect of an unknown or pending id is ignored", "[presence]") {
  core::manual_clock clock;
  table t(1s);
  CHECK_FALSE(t.disconnect("x", clock.now(), 1));
  t.connect("a", clock.now());
  CHECK(t.disconnect("a", clock.now(), 1));
  CHECK_FALSE(t.disconnect("a", clock.now() + 500ms, 2));
  CHECK(expire(t, clock.now() + 1s) == std::vector<report>{{"a", 1}});
}

TEST_CASE("presence: time going backwards keeps the FIFO order", "[presence]") {
  core::manual_clock clock;
  table t(5s);
  t.connect("a", clock.now());
  t.connect("b", clock.now());
  t.disconnect("a", clock.now() + 3s, 1);
  t.disconnect("b", clock.now(), 2);  // earlier than the latest time seen
  CHECK(expire(t, clock.now() + 8s) == std::vector<report>{{"a", 1}, {"b", 2}});
}

TEST_CASE("presence: the report callback may reconnect and clear", "[presence]") {
  core::manual_clock clock;
  table t(1s);
  t.connect("a", clock.now());
  t.connect("b", clock.now());
  t.disconnect("a", clock.now(), 1);
  t.disconnect("b", clock.now(), 2);
  std::vector<std::string> seen;
  t.expire(clock.now() + 1s, [&](const std::string& k, int&&) {
    seen.push_back(k);
    CHECK(t.state(k) == presence_state::offline);  // offline before the callback
    CHECK(t.connect(k, clock.now()) == presence_change::online);
  });
  CHECK(seen == std::vector<std::string>{"a", "b"});
  CHECK(t.connected() == 2);

  clock.advance(1s);  // the latest time seen is now + 1 s
  t.disconnect("a", clock.now(), 1);
  t.disconnect("b", clock.now(), 2);
  std::size_t calls = 0;
  t.expire(clock.now() + 1s, [&](const std::string&, int&&) {
    ++calls;
    t.clear();
  });
  CHECK(calls == 1);
  CHECK(t.online() == 0);
}

TEST_CASE("presence: many ids, one queue: every disconnect reported once, in order",
          "[presence]") {
  core::manual_clock clock;
  table t(100ms);
  constexpr int n = 50000;
  for (int i = 0; i < n; ++i) t.connect(std::to_string(i), clock.now());
  for (int i = 0; i < n; ++i) {
    t.disconnect(std::to_string(i), clock.now(), i);
    if (i % 2 == 1) t.connect(std::to_string(i), clock.now());  // odd ones come back
    clock.advance(1us);
  }
  int expected = 0;
  bool ordered = true;
  std::size_t reported = 0;
  t.expire(clock.now() + 1s, [&](const std::string& k, int&& p) {
    ordered = ordered && p == expected && k == std::to_string(expected);
    expected += 2;
    ++reported;
  });
  CHECK(ordered);
  CHECK(reported == n / 2);
  CHECK(t.online() == n / 2);
  CHECK_FALSE(t.next_deadline());
}

}  // namespace core_presence_test
