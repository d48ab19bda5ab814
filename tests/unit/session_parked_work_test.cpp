// Loopback tests of what keeps an io_context running while a session operation is parked
// (issue 16: a parked operation holds no work guard of its own, detail/session_op.hpp).
// Asio's rule: the I/O executor has work outstanding until the handler has run, so
// io_context::run() must not return while an operation waits, even when the session
// itself has nothing pending (no socket read: its inbox is full; no deadline: no
// heartbeat).
//
// Every test bounds its own time (run_until loops with a deadline). Helpers:
// tests/support/loopback.hpp and session_fixtures.hpp.
#include <liveness/session.hpp>

#include "asio_includes.hpp"
#include "test_support.hpp"
#include "loopback.hpp"
#include "session_fixtures.hpp"

#include <chrono>
#include <string>
#include <utility>

namespace session_parked_work_test {

using namespace liveness_test::session_names;  // lv, net, tcp, clk, session_t, helpers

TEST_CASE("session: run() does not return while async_wait_dead is parked and the session reads nothing",
          "[session][wait]") {
  net::io_context io;
  auto p = connected(io);
  lv::session_options<lv::heartbeat::none> o;
  o.keepalive.reset();  // nothing but the session's own read and the parked operation
  o.read_buffer_limit = 1024;
  session_t<lv::heartbeat::none> s(std::move(p.server), with_role(o, role::server));
  int done = 0;
  error_code got;
  s.async_wait_dead([&](error_code ec) {
    ++done;
    got = ec;
  });
  // The peer sends more than the session may hold and the application reads nothing: the
  // session stops reading once its inbox is full, and has no deadline.
  const std::string data(8 * 1024, 'x');
  net::write(p.client, net::buffer(data));
  run_for(io, 200ms);
  REQUIRE(done == 0);
  // Only the parked operation is left: the io_context still has work.
  io.restart();
  io.poll();
  CHECK_FALSE(io.stopped());
  // Once it has completed, nothing is left: run() returns.
  s.close();
  REQUIRE(run_until(io, [&] { return done == 1; }, 5s));
  CHECK(got == net::error::operation_aborted);
  io.restart();
  io.poll();
  CHECK(io.stopped());
}

}  // namespace session_parked_work_test
