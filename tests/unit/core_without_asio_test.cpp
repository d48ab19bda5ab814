// The sans-I/O layers (core/, codec/, duration.hpp) must not include Asio: they are usable,
// and tested, without an I/O library. This translation unit includes only them and fails to
// compile if any of them pulls in an Asio header.
#include <liveness/codec/length_prefixed.hpp>
#include <liveness/codec/line.hpp>
#include <liveness/core/clock.hpp>
#include <liveness/core/detector.hpp>
#include <liveness/duration.hpp>

#if defined(ASIO_VERSION) || defined(BOOST_ASIO_VERSION)
#error "core/, codec/ and duration.hpp must not include Asio"
#endif

#include "test_support.hpp"

TEST_CASE("the sans-I/O layers build without Asio", "[core]") {
  // Reaching this point proves it (see the #error above); use the types so that the
  // headers' templates are instantiated in this Asio-free translation unit too.
  liveness::core::manual_clock clock;
  liveness::core::detector d(liveness::core::ping_pong_options::aggressive(),
                             liveness::core::side::client, clock.now());
  CHECK(d.next_deadline().has_value());
  liveness::codec::line_encoder enc;
  CHECK(enc.ping() == "PING\n");
  liveness::error_code ec;
  CHECK(liveness::parse_duration("250ms", ec) == std::chrono::milliseconds(250));
}
