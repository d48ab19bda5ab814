// session::diagnosis() for a session over TLS: the evidence is read from the TCP socket under
// the TLS stream (its lowest layer), at the moment of death, before the session closes it.
#include <liveness/diagnosis.hpp>
#include <liveness/tls.hpp>

#include "asio_includes.hpp"
#include "loopback.hpp"
#include "test_support.hpp"
#include "tls_support.hpp"

#include <chrono>
#include <iostream>
#include <optional>

namespace diagnosis_tls_test {

namespace net = liveness::net;
using namespace std::chrono_literals;
using policy = liveness::heartbeat::ping_pong<liveness::codec::line>;
using tls_session = liveness::session<liveness_test::tls_stream, policy>;

TEST_CASE("diagnosis tls: the evidence comes from the TCP socket under TLS",
          "[diagnosis][tls]") {
  net::io_context io;
  liveness_test::tls_contexts ctx;
  auto t = liveness_test::tls_connected(io, ctx);
  liveness::session_options<policy> o;
  o.keepalive = std::nullopt;
  o.heartbeat.interval = 200ms;
  o.heartbeat.timeout = 300ms;
  o.heartbeat.pinger = liveness::ping_role::client;
  // The server end never reads: its kernel ACKs our TLS records, nothing answers.
  tls_session s(std::move(t.client), o);
  liveness_test::death_watch w;
  w.watch(s);
  REQUIRE(liveness_test::run_until(io, [&] { return w.calls == 1; }, 5s));
  REQUIRE(w.reason == liveness::error::heartbeat_timeout);
  const auto d = s.diagnosis();
  std::cout << "diagnosis: tls, silent peer: " << d.to_string() << std::endl;
  CHECK(d.reason == liveness::error::heartbeat_timeout);
#if defined(__linux__)
  CHECK(d.note.empty());
  REQUIRE(d.evidence.state.has_value());
  CHECK(*d.evidence.state == liveness::tcp_state::established);
  CHECK(d.verdict == liveness::verdict::peer_unresponsive);
#endif
}

}  // namespace diagnosis_tls_test
