#include <liveness/duration.hpp>

#include "test_support.hpp"

#include <chrono>
#include <string>

namespace duration_test {

using namespace std::chrono_literals;
using liveness::error_code;
using liveness::parse_duration;
using liveness::unitless;
namespace sys = liveness::sys;
using ms = std::chrono::milliseconds;

TEST_CASE("parse_duration: a whole number and a unit", "[duration]") {
  error_code ec;
  CHECK(parse_duration("250ms", ec) == 250ms);
  CHECK_FALSE(ec);
  CHECK(parse_duration("30s", ec) == 30s);
  CHECK(parse_duration("2m", ec) == 2min);
  CHECK(parse_duration("1h", ec) == 1h);
  CHECK(parse_duration("007s", ec) == 7s);
  CHECK(parse_duration("0ms", ec) == 0ms);
  CHECK_FALSE(ec);
  // Negative values are the caller's to refuse (keepalive validation names them).
  CHECK(parse_duration("-5s", ec) == -5s);
  CHECK_FALSE(ec);
}

TEST_CASE("parse_duration: a plain number is seconds or refused, as asked", "[duration]") {
  error_code ec;
  CHECK(parse_duration("30", ec, unitless::seconds) == 30s);
  CHECK_FALSE(ec);
  CHECK(parse_duration("30", ec) == 0ms);
  CHECK(ec == sys::errc::invalid_argument);
  CHECK(parse_duration("30", ec, unitless::refused) == 0ms);
  CHECK(ec == sys::errc::invalid_argument);
}

TEST_CASE("parse_duration: anything else is not a duration", "[duration]") {
  for (const char* text : {"", "s", "ms", "5x", "5S", "5 s", " 5s", "5s ", "+5s", "1.5s",
                           "1e3ms", "5sec", "5msx", "0x10s", "--5s", "five"}) {
    INFO("\"" << text << "\"");
    error_code ec;
    CHECK(parse_duration(text, ec, unitless::seconds) == 0ms);
    CHECK(ec == sys::errc::invalid_argument);
  }
}

TEST_CASE("parse_duration: a value that milliseconds cannot hold is out of range",
          "[duration]") {
  error_code ec;
  CHECK(parse_duration("99999999999999999999s", ec) == 0ms);
  CHECK(ec == sys::errc::result_out_of_range);
  CHECK(parse_duration("-99999999999999999999ms", ec) == 0ms);
  CHECK(ec == sys::errc::result_out_of_range);
  // The largest number of hours that fits, and one more.
  const auto max_h = ms::max().count() / 3600000;
  CHECK(parse_duration(std::to_string(max_h) + "h", ec) == ms(max_h * 3600000));
  CHECK_FALSE(ec);
  CHECK(parse_duration(std::to_string(max_h + 1) + "h", ec) == 0ms);
  CHECK(ec == sys::errc::result_out_of_range);
  // A bad unit is reported as such even after a huge number.
  CHECK(parse_duration("99999999999999999999x", ec) == 0ms);
  CHECK(ec == sys::errc::invalid_argument);
  // A success clears an earlier error.
  CHECK(parse_duration("1s", ec) == 1s);
  CHECK_FALSE(ec);
}

}  // namespace duration_test
