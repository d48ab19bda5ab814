#include <liveness/keepalive.hpp>

#include "test_support.hpp"

#include <chrono>
#include <string>

namespace keepalive_options_test {

using namespace std::chrono_literals;
using liveness::error;
using liveness::error_code;
using liveness::keepalive_options;
namespace detail = liveness::detail;

TEST_CASE("presets follow the 30-40 s and 6-9 s guidance", "[keepalive][options]") {
  const auto standard = keepalive_options::standard();
  CHECK(standard.enabled);
  CHECK(standard.detection_bound() >= 30s);
  CHECK(standard.detection_bound() <= 40s);
  CHECK(standard.effective_user_timeout() == standard.detection_bound());
  CHECK_FALSE(standard.validate());

  const auto aggressive = keepalive_options::aggressive();
  CHECK(aggressive.detection_bound() >= 6s);
  CHECK(aggressive.detection_bound() <= 9s);
  CHECK_FALSE(aggressive.validate());

  const auto off = keepalive_options::disabled();
  CHECK_FALSE(off.enabled);
  CHECK(off.effective_user_timeout() == 0ms);

  // A default-constructed options struct is the standard preset.
  const keepalive_options d;
  CHECK(d.idle == standard.idle);
  CHECK(d.interval == standard.interval);
  CHECK(d.probes == standard.probes);
}

TEST_CASE("the user timeout is derived, explicit or off", "[keepalive][options]") {
  keepalive_options o{true, 10s, 2s, 4, keepalive_options::derive_user_timeout};
  CHECK(o.detection_bound() == 18s);
  CHECK(o.effective_user_timeout() == 18s);
  o.user_timeout = 5s;
  CHECK(o.effective_user_timeout() == 5s);
  o.user_timeout = keepalive_options::no_user_timeout;
  CHECK(o.effective_user_timeout() == 0ms);
}

TEST_CASE("value-initialised options derive the user timeout", "[keepalive][options]") {
  const keepalive_options o{true, 2s, 1s, 2, {}};
  CHECK_FALSE(o.user_timeout.has_value());
  CHECK(o.effective_user_timeout() == 4s);
}

TEST_CASE("detection_bound saturates instead of overflowing", "[keepalive][options]") {
  keepalive_options o;
  o.idle = std::chrono::milliseconds::max();
  o.interval = std::chrono::milliseconds::max();
  o.probes = 1000;
  CHECK(o.detection_bound() == std::chrono::milliseconds::max());
}

TEST_CASE("parse accepts the documented forms", "[keepalive][parse]") {
  error_code ec;
  auto o = keepalive_options::parse("30s:5s:3", ec);
  REQUIRE_FALSE(ec);
  CHECK(o.idle == 30s);
  CHECK(o.interval == 5s);
  CHECK(o.probes == 3);
  CHECK(o.user_timeout == keepalive_options::derive_user_timeout);

  o = keepalive_options::parse("30:5:3", ec);
  REQUIRE_FALSE(ec);
  CHECK(o.idle == 30s);
  CHECK(o.interval == 5s);

  o = keepalive_options::parse(" 2m : 1500ms : 9 : 45s ", ec);
  REQUIRE_FALSE(ec);
  CHECK(o.idle == 2min);
  CHECK(o.interval == 1500ms);
  CHECK(o.probes == 9);
  CHECK(o.user_timeout == std::optional<std::chrono::milliseconds>(45s));

  o = keepalive_options::parse("1h::5:off", ec);
  REQUIRE_FALSE(ec);
  CHECK(o.idle == 1h);
  CHECK(o.interval == keepalive_options::standard().interval);  // empty field keeps default
  CHECK(o.probes == 5);
  CHECK(o.user_timeout == keepalive_options::no_user_timeout);

  o = keepalive_options::parse("10:2:3:auto", ec);
  REQUIRE_FALSE(ec);
  CHECK(o.user_timeout == keepalive_options::derive_user_timeout);

  o = keepalive_options::parse("off", ec);
  REQUIRE_FALSE(ec);
  CHECK_FALSE(o.enabled);
  o = keepalive_options::parse("on", ec);
  REQUIRE_FALSE(ec);
  CHECK(o.enabled);
  CHECK(o.detection_bound() == keepalive_options::standard().detection_bound());
}

TEST_CASE("parse refuses bad input with an error that names the problem",
          "[keepalive][parse]") {
  struct bad_case {
    const char* spec;
    error expected;
  };
  const bad_case cases[] = {
      {"", error::invalid_keepalive_spec},
      {"30", error::invalid_keepalive_spec},
      {"30:5", error::invalid_keepalive_spec},
      {"30:5:3:4:5", error::invalid_keepalive_spec},
      {"abc:5:3", error::invalid_keepalive_spec},
      {"30x:5:3", error::invalid_keepalive_spec},
      {"30s:5s:3s", error::invalid_keepalive_spec},
      {"30 s:5:3", error::invalid_keepalive_spec},
      {"30:5:three", error::invalid_keepalive_spec},
      {"30:5:3:soon", error::invalid_keepalive_spec},
      {"99999999999999999999:5:3", error::keepalive_idle_out_of_range},
      {"9223372036854775807h:5:3", error::keepalive_idle_out_of_range},
      {"30:99999999999999999999ms:3", error::keepalive_interval_out_of_range},
      {"30:5:3:99999999999999999999h", error::keepalive_user_timeout_out_of_range},
      {"s:5:3", error::invalid_keepalive_spec},
      {"0:5:3", error::keepalive_zero_time},
      {"30:0:3", error::keepalive_zero_time},
      {"-5:5:3", error::keepalive_zero_time},
      {"30:5:0", error::keepalive_probes_out_of_range},
      {"30:5:-1", error::keepalive_probes_out_of_range},
      {"30:5:99999999999", error::keepalive_probes_out_of_range},
      {"30:5:3:-1s", error::keepalive_user_timeout_out_of_range},
#if defined(__linux__)
      {"32768:5:3", error::keepalive_idle_out_of_range},
      {"30:32768:3", error::keepalive_interval_out_of_range},
      {"30:5:128", error::keepalive_probes_out_of_range},
      {"30:5:3:25d", error::invalid_keepalive_spec},
      {"30:5:3:600h", error::keepalive_user_timeout_out_of_range},
#endif
  };
  for (const auto& c : cases) {
    INFO("spec \"" << c.spec << "\"");
    error_code ec;
    const auto o = keepalive_options::parse(c.spec, ec);
    CHECK(ec == c.expected);
    // On failure the result is the safe standard preset, never a half-parsed value.
    CHECK(o.detection_bound() == keepalive_options::standard().detection_bound());
  }
}

TEST_CASE("the throwing parse quotes the spec", "[keepalive][parse]") {
  try {
    (void)keepalive_options::parse("1:2");
    FAIL("no exception");
  } catch (const liveness::system_error& e) {
    CHECK(e.code() == error::invalid_keepalive_spec);
    CHECK(std::string(e.what()).find("\"1:2\"") != std::string::npos);
  }
  CHECK(keepalive_options::parse("7:1:2").idle == 7s);
}

TEST_CASE("Linux limits: 1..32767 s, 1..127 probes, rejected not clamped",
          "[keepalive][validate]") {
  const auto& l = detail::linux_keepalive_limits;
  keepalive_options o{true, 1s, 1s, 1, keepalive_options::derive_user_timeout};
  CHECK_FALSE(detail::validate_keepalive(o, l));
  o.idle = 32767s;
  o.interval = 32767s;
  o.probes = 127;
  CHECK_FALSE(detail::validate_keepalive(o, l));
  o.idle = 32768s;
  CHECK(detail::validate_keepalive(o, l) == error::keepalive_idle_out_of_range);
  o.idle = 32767s + 1ms;  // rounds up to 32768 s
  CHECK(detail::validate_keepalive(o, l) == error::keepalive_idle_out_of_range);
  o.idle = 1ms;  // rounds up to 1 s: accepted
  CHECK_FALSE(detail::validate_keepalive(o, l));
  o.interval = 32768s;
  CHECK(detail::validate_keepalive(o, l) == error::keepalive_interval_out_of_range);
  o.interval = 1s;
  o.probes = 128;
  CHECK(detail::validate_keepalive(o, l) == error::keepalive_probes_out_of_range);
  o.probes = 0;
  CHECK(detail::validate_keepalive(o, l) == error::keepalive_probes_out_of_range);
  o.probes = 3;
  o.idle = 0ms;
  CHECK(detail::validate_keepalive(o, l) == error::keepalive_zero_time);
  o.idle = -1ms;
  CHECK(detail::validate_keepalive(o, l) == error::keepalive_zero_time);
  o.idle = 1s;
  o.user_timeout = std::chrono::milliseconds(2147483647LL);
  CHECK_FALSE(detail::validate_keepalive(o, l));
  o.user_timeout = std::chrono::milliseconds(2147483648LL);
  CHECK(detail::validate_keepalive(o, l) == error::keepalive_user_timeout_out_of_range);
  o.user_timeout = -5ms;
  CHECK(detail::validate_keepalive(o, l) == error::keepalive_user_timeout_out_of_range);
}

TEST_CASE("Windows limits: millisecond times, 1..255 probes", "[keepalive][validate]") {
  const auto& l = detail::windows_keepalive_limits;
  keepalive_options o{true, 1ms, 1ms, 255, keepalive_options::derive_user_timeout};
  CHECK_FALSE(detail::validate_keepalive(o, l));
  o.probes = 256;
  CHECK(detail::validate_keepalive(o, l) == error::keepalive_probes_out_of_range);
  o.probes = 10;
  o.idle = std::chrono::milliseconds(4294967295LL);
  CHECK_FALSE(detail::validate_keepalive(o, l));
  o.idle = std::chrono::milliseconds(4294967296LL);
  CHECK(detail::validate_keepalive(o, l) == error::keepalive_idle_out_of_range);
  o.idle = 0ms;  // zero makes Windows probe without pause
  CHECK(detail::validate_keepalive(o, l) == error::keepalive_zero_time);
}

TEST_CASE("BSD/macOS limits", "[keepalive][validate]") {
  const auto& l = detail::bsd_keepalive_limits;
  keepalive_options o{true, 40000s, 1s, 500, keepalive_options::derive_user_timeout};
  CHECK_FALSE(detail::validate_keepalive(o, l));
  o.idle = std::chrono::seconds(2147484);
  CHECK(detail::validate_keepalive(o, l) == error::keepalive_idle_out_of_range);
}

TEST_CASE("disabled options skip the timing checks but not an explicit user timeout",
          "[keepalive][validate]") {
  keepalive_options o = keepalive_options::disabled();
  o.idle = 0ms;
  o.probes = 0;
  CHECK_FALSE(o.validate());
  o.user_timeout = -3ms;
  CHECK(o.validate() == error::keepalive_user_timeout_out_of_range);
}

}  // namespace keepalive_options_test
