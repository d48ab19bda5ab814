// The sans-I/O layers (core/, codec/, engine/, duration.hpp) must not include Asio: they are
// usable, and tested, without an I/O library. This translation unit includes only them and
// fails to compile if any of them pulls in an Asio header.
#include <liveness/codec/codec.hpp>
#include <liveness/codec/length_prefixed.hpp>
#include <liveness/codec/line.hpp>
#include <liveness/codec/raw.hpp>
#include <liveness/core/clock.hpp>
#include <liveness/core/detector.hpp>
#include <liveness/duration.hpp>
#include <liveness/engine/inbox.hpp>
#include <liveness/engine/session_engine.hpp>

#if defined(ASIO_VERSION) || defined(BOOST_ASIO_VERSION)
#error "core/, codec/, engine/ and duration.hpp must not include Asio"
#endif

#include "test_support.hpp"

namespace core_without_asio_test {

TEST_CASE("the sans-I/O layers build without Asio", "[core]") {
  // Reaching this point proves it (see the #error above); use the types so that the
  // headers' templates are instantiated in this Asio-free translation unit too.
  liveness::core::manual_clock clock;
  liveness::core::detector d(liveness::core::ping_pong_options::aggressive(),
                             liveness::role::client, clock.now());
  CHECK(d.next_deadline().has_value());
  liveness::codec::line_encoder enc;
  CHECK(enc.ping() == "PING\n");
  liveness::engine::session_engine<liveness::codec::line> e(
      liveness::core::detector(liveness::core::ping_pong_options::aggressive(),
                               liveness::role::client, clock.now()),
      liveness::codec::line_options::standard(), liveness::engine::limits{}, clock.now());
  CHECK(e.wants_read());
  liveness::error_code ec;
  CHECK(liveness::parse_duration("250ms", ec) == std::chrono::milliseconds(250));
}

}  // namespace core_without_asio_test
