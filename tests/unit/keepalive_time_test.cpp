// The keepalive time arithmetic that the options and every platform's code share
// (detail/keepalive_time.hpp): rounding up to whole seconds with its note, and the user
// timeout that follows from the options.
#include <liveness/detail/keepalive_time.hpp>

#include "test_support.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace keepalive_time_test {

using namespace std::chrono_literals;
namespace detail = liveness::detail;
using ms = std::chrono::milliseconds;

TEST_CASE("ceil_to_seconds rounds up to a whole second and keeps whole seconds",
          "[keepalive][time]") {
  CHECK(detail::ceil_to_seconds(0ms) == 0ms);
  CHECK(detail::ceil_to_seconds(1ms) == 1s);
  CHECK(detail::ceil_to_seconds(999ms) == 1s);
  CHECK(detail::ceil_to_seconds(1000ms) == 1s);
  CHECK(detail::ceil_to_seconds(1001ms) == 2s);
  CHECK(detail::ceil_to_seconds(1500ms) == 2s);
  CHECK(detail::ceil_to_seconds(32767s) == 32767s);
}

TEST_CASE("a rounding note names the value asked for, the value applied and why",
          "[keepalive][time]") {
  std::vector<std::string> notes;
  detail::note_rounded_up(notes, "idle", 1500ms, 2s, "TCP_KEEPIDLE counts whole seconds");
  REQUIRE(notes.size() == 1);
  CHECK(notes[0] == "idle 1500 ms rounded up to 2 s: TCP_KEEPIDLE counts whole seconds");

  SECTION("nothing is noted when nothing was rounded") {
    detail::note_rounded_up(notes, "interval", 2s, 2s, "whatever");
    detail::note_rounded_up(notes, "user timeout", 0ms, 0ms, "whatever");
    CHECK(notes.size() == 1);
  }
}

TEST_CASE("the user timeout to apply: derived, explicit or none", "[keepalive][time]") {
  const std::optional<ms> derive;
  SECTION("derived from idle + interval x probes while keepalive is on") {
    CHECK(detail::user_timeout_to_apply(derive, true, 10s, 2s, 4) == 18s);
    // Windows' ioctl path: the values the kernel really got (10 fixed probes).
    CHECK(detail::user_timeout_to_apply(derive, true, 2s, 1s, 10) == 12s);
  }
  SECTION("none when derived while keepalive is off") {
    CHECK(detail::user_timeout_to_apply(derive, false, 10s, 2s, 4) == 0ms);
  }
  SECTION("an explicit time is taken as is, whether keepalive is on or off") {
    CHECK(detail::user_timeout_to_apply(5s, true, 10s, 2s, 4) == 5s);
    CHECK(detail::user_timeout_to_apply(1500ms, false, 10s, 2s, 4) == 1500ms);
  }
  SECTION("zero (no_user_timeout) and negative times mean none") {
    CHECK(detail::user_timeout_to_apply(0ms, true, 10s, 2s, 4) == 0ms);
    CHECK(detail::user_timeout_to_apply(-5s, true, 10s, 2s, 4) == 0ms);
  }
  SECTION("a derived value saturates instead of overflowing") {
    CHECK(detail::user_timeout_to_apply(derive, true, ms::max(), ms::max(), 1000) == ms::max());
  }
}

}  // namespace keepalive_time_test
