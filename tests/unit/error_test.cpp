#include <liveness/error.hpp>

#include "asio_includes.hpp"
#include "test_support.hpp"

#include <string>
#include <system_error>

namespace error_test {

using liveness::error;
using liveness::error_code;
namespace net = liveness::net;

TEST_CASE("the category is named liveness and every value has its own message", "[error]") {
  CHECK(std::string(liveness::error_category().name()) == "liveness");
  CHECK(std::string(liveness::condition_category().name()) == "liveness.condition");
  const error all[] = {error::heartbeat_timeout,
                       error::idle_timeout,
                       error::keepalive_timeout,
                       error::peer_closed,
                       error::peer_reset,
                       error::protocol_error,
                       error::frame_too_large,
                       error::ping_flood,
                       error::message_timeout,
                       error::invalid_keepalive_spec,
                       error::keepalive_zero_time,
                       error::keepalive_idle_out_of_range,
                       error::keepalive_interval_out_of_range,
                       error::keepalive_probes_out_of_range,
                       error::keepalive_user_timeout_out_of_range,
                       error::keepalive_not_supported,
                       error::heartbeat_invalid_options,
                       error::codec_invalid_options};
  for (auto e : all) {
    const error_code ec = e;
    INFO(ec.message());
    CHECK(ec.category() == liveness::error_category());
    CHECK(ec.message().find("liveness error") == std::string::npos);
    for (auto other : all)
      if (other != e) CHECK(error_code(other).message() != ec.message());
  }
  CHECK(error_code(static_cast<error>(77)).message() == "liveness error 77");
}

TEST_CASE("range messages name the platform's limits", "[error]") {
  const std::string m = error_code(error::keepalive_idle_out_of_range).message();
#if defined(__linux__)
  CHECK(m == "keepalive idle time is out of range: Linux accepts 1 s to 32767 s");
  CHECK(error_code(error::keepalive_probes_out_of_range).message() ==
        "keepalive probe count is out of range: Linux accepts 1 to 127");
#endif
}

TEST_CASE("dead-peer reasons map onto generic conditions where natural", "[error]") {
  CHECK(error_code(error::heartbeat_timeout) == liveness::sys::errc::timed_out);
  CHECK(error_code(error::idle_timeout) == liveness::sys::errc::timed_out);
  CHECK(error_code(error::keepalive_timeout) == liveness::sys::errc::timed_out);
  CHECK(error_code(error::peer_reset) == liveness::sys::errc::connection_reset);
  CHECK(error_code(error::frame_too_large) == liveness::sys::errc::message_size);
  CHECK(error_code(error::keepalive_zero_time) == liveness::sys::errc::invalid_argument);
  CHECK(error_code(error::peer_closed) != liveness::sys::errc::timed_out);
  CHECK(error_code(error::ping_flood) != liveness::sys::errc::timed_out);
}

TEST_CASE("liveness::condition groups reasons and raw transport errors", "[error]") {
  using liveness::condition;
  CHECK(error_code(error::heartbeat_timeout) == condition::peer_dead);
  CHECK(error_code(error::ping_flood) == condition::peer_dead);
  CHECK(error_code(error::message_timeout) == condition::peer_dead);
  CHECK(error_code(error::message_timeout) == liveness::sys::errc::timed_out);
  CHECK(error_code(error::keepalive_zero_time) != condition::peer_dead);
  CHECK(error_code(error::keepalive_zero_time) == condition::invalid_configuration);
  CHECK(error_code(error::peer_reset) != condition::invalid_configuration);
  CHECK(error_code(net::error::eof) == condition::peer_dead);
  CHECK(error_code(net::error::connection_reset) == condition::peer_dead);
  CHECK(error_code(net::error::timed_out) == condition::peer_dead);
  CHECK(error_code(net::error::operation_aborted) != condition::peer_dead);
  CHECK(error_code() != condition::peer_dead);
}

TEST_CASE("transport errors are classified into liveness reasons", "[error]") {
  using liveness::classify_transport_error;
  CHECK(classify_transport_error(net::error::eof) == error::peer_closed);
  CHECK(classify_transport_error(net::error::connection_reset) == error::peer_reset);
  CHECK(classify_transport_error(net::error::broken_pipe) == error::peer_reset);
  CHECK(classify_transport_error(net::error::timed_out) == error::keepalive_timeout);
  CHECK(classify_transport_error(net::error::network_reset) == error::keepalive_timeout);
  CHECK(classify_transport_error(net::error::host_unreachable) == error::keepalive_timeout);
  // Unknown codes, success and cancellation pass through unchanged.
  CHECK(classify_transport_error(net::error::operation_aborted) == net::error::operation_aborted);
  CHECK(classify_transport_error(net::error::access_denied) == net::error::access_denied);
  CHECK_FALSE(classify_transport_error(error_code()));
  CHECK(classify_transport_error(error::ping_flood) == error::ping_flood);
  CHECK(liveness::is_dead_peer_reason(error::ping_flood));
  CHECK_FALSE(liveness::is_dead_peer_reason(error::keepalive_zero_time));
  CHECK_FALSE(liveness::is_dead_peer_reason(net::error::timed_out));
}

TEST_CASE("liveness::error converts to std::error_code with either backend", "[error]") {
  const std::error_code ec = error::heartbeat_timeout;
  CHECK(ec.value() == 1);
  CHECK(ec.message() == "peer did not answer the heartbeat within the timeout");
  const std::error_condition cond = liveness::condition::peer_dead;
  CHECK(cond.value() == 1);
#if defined(LIVENESS_USE_BOOST_ASIO)
  const boost::system::error_code bec = error::peer_closed;
  CHECK(bec.category() == liveness::error_category());
#endif
}

TEST_CASE("error_name gives the enumerator or category:value", "[error]") {
  CHECK(std::string(liveness::error_name(error::peer_closed)) == "peer_closed");
  CHECK(std::string(liveness::error_name(static_cast<error>(99))) == "unknown");
  CHECK(liveness::error_name(error_code(error::ping_flood)) == "ping_flood");
  const error_code sys_ec(110, liveness::sys::system_category());
  CHECK(liveness::error_name(sys_ec) == "system:110");
}

}  // namespace error_test
