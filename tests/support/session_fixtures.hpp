// Shared by the socket-level session tests (tests/unit/session_*_test.cpp, hostile_test.cpp):
// the heartbeat options of a test, the codecs' wire formats written by hand (independent of
// the library's encoders), the timing bounds of a loaded 2-core machine and the printed
// figures, and the code a refused construction throws.
#ifndef LIVENESS_TESTS_SUPPORT_SESSION_FIXTURES_HPP
#define LIVENESS_TESTS_SUPPORT_SESSION_FIXTURES_HPP

#include <liveness/session.hpp>

#include "loopback.hpp"
#include "roles.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <string>

namespace liveness_test {

// ---- timing ---------------------------------------------------------------------------------

/// How late a timer or a handler may run on a loaded 2-core machine (ASan included).
constexpr std::chrono::steady_clock::duration sched_slack = std::chrono::milliseconds(150);
/// Clock granularity tolerance for lower bounds.
constexpr std::chrono::steady_clock::duration early_tolerance = std::chrono::milliseconds(5);

/// `(interval + timeout) * 1.1 + slack`: the upper bound the issue asks for.
inline std::chrono::steady_clock::duration upper_bound(std::chrono::steady_clock::duration bound) {
  return bound + bound / 10 + sched_slack;
}

/// Prints a measured time with what was expected: "[session] what: m ms (expected ...)".
inline void report(const std::string& what, std::chrono::steady_clock::duration measured,
                   std::chrono::steady_clock::duration expected) {
  std::cout << "[session] " << what << ": " << to_ms(measured) << " ms (expected "
            << to_ms(expected) << " ms, upper bound " << to_ms(upper_bound(expected))
            << " ms)\n";
}

// ---- options --------------------------------------------------------------------------------


/// ping_pong options with the given interval, timeout and role, the rest default.
template <class Policy>
liveness::session_options<Policy> pp_options(std::chrono::steady_clock::duration interval,
                                             std::chrono::steady_clock::duration timeout,
                                             liveness::ping_role role =
                                                 liveness::ping_role::both) {
  liveness::session_options<Policy> o;
  o.heartbeat.interval = interval;
  o.heartbeat.timeout = timeout;
  o.heartbeat.pinger = role;
  return o;
}

/// The code of the `liveness::system_error` that `f()` throws, or no error.
template <class F>
liveness::error_code thrown_code(F&& f) {
  try {
    f();
  } catch (const liveness::system_error& e) {
    return e.code();
  }
  return {};
}

// ---- wire formats, written by hand ----------------------------------------------------------

/// What a peer read from a session's outbound stream, by frame kind.
struct wire_count {
  std::size_t data_bytes = 0;
  std::size_t pings = 0;
  std::size_t pongs = 0;
  bool malformed = false;
};

/// Counts the frames of a `codec::length_prefixed` stream.
inline wire_count count_lp(const std::string& s) {
  wire_count c;
  std::size_t pos = 0;
  while (s.size() - pos >= 5) {
    const auto b = [&](std::size_t i) {
      return static_cast<std::uint32_t>(static_cast<unsigned char>(s[pos + i]));
    };
    const std::uint32_t len = b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
    const auto type = b(4);
    if (s.size() - pos - 5 < len) break;
    if (type == 0x00 || type == 0x80)
      c.data_bytes += len;
    else if (type == 0x01)
      ++c.pings;
    else if (type == 0x02)
      ++c.pongs;
    else
      c.malformed = true;
    pos += 5 + len;
  }
  if (pos != s.size()) c.malformed = true;
  return c;
}

/// Counts the lines of a `codec::line` stream with the default heartbeat texts.
inline wire_count count_lines(const std::string& s) {
  wire_count c;
  std::size_t pos = 0;
  for (auto nl = s.find('\n'); nl != std::string::npos; pos = nl + 1, nl = s.find('\n', pos)) {
    const auto line = s.substr(pos, nl - pos);
    if (line == "PING")
      ++c.pings;
    else if (line == "PONG")
      ++c.pongs;
    else
      c.data_bytes += line.size() + 1;
  }
  if (pos != s.size()) c.malformed = true;
  return c;
}

/// A codec's bytes on the wire, with the default options.
template <class Codec>
struct wire;

template <>
struct wire<liveness::codec::length_prefixed> {
  static const char* name() { return "length_prefixed"; }
  static std::string data(const std::string& s) { return lp_frame(0x00, s); }
  static std::string ping() { return lp_frame(0x01, ""); }
  static std::string pong() { return lp_frame(0x02, ""); }
  static wire_count count(const std::string& s) { return count_lp(s); }
  /// `n` bytes for the session to send (any bytes will do: the session frames them).
  static std::string user_data(std::size_t n) { return std::string(n, 'z'); }
};

template <>
struct wire<liveness::codec::line> {
  static const char* name() { return "line"; }
  static std::string data(const std::string& s) { return s; }  // the caller ends lines
  static std::string ping() { return "PING\n"; }
  static std::string pong() { return "PONG\n"; }
  static wire_count count(const std::string& s) { return count_lines(s); }
  /// `n` bytes or a little more for the session to send: lines of 64 bytes, so that the
  /// session's chunks end at line boundaries where heartbeats may go.
  static std::string user_data(std::size_t n) {
    std::string s;
    s.reserve(n);
    while (s.size() < n) s += std::string(63, 'z') + "\n";
    return s;
  }
};

// ---- the names of a session test -------------------------------------------------------------

/// What a session test names, brought in with `using namespace liveness_test::session_names;`:
/// the usual aliases (lv, net, tcp, clk, ms, session_t<Policy>, lp_policy, line_policy), the
/// error and role names, the chrono literals and the helpers of loopback.hpp and this header.
namespace session_names {

using namespace std::chrono_literals;
namespace lv = liveness;
namespace net = liveness::net;
using tcp = net::ip::tcp;
using liveness::error;
using liveness::error_code;
using liveness::ping_role;
using liveness::role;
using liveness_test::with_role;
using liveness_test::as_role;
using clk = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;
using lp_policy = liveness::heartbeat::ping_pong<liveness::codec::length_prefixed>;
using line_policy = liveness::heartbeat::ping_pong<liveness::codec::line>;
template <class Policy>
using session_t = liveness::session<tcp::socket, Policy>;

using liveness_test::connected;
using liveness_test::count_of;
using liveness_test::death_watch;
using liveness_test::early_tolerance;
using liveness_test::lp_frame;
using liveness_test::pp_options;
using liveness_test::raw_peer;
using liveness_test::report;
using liveness_test::run_for;
using liveness_test::run_until;
using liveness_test::sched_slack;
using liveness_test::socket_pair;
using liveness_test::thrown_code;
using liveness_test::to_ms;
using liveness_test::upper_bound;
using liveness_test::wire;

}  // namespace session_names

}  // namespace liveness_test

#endif  // LIVENESS_TESTS_SUPPORT_SESSION_FIXTURES_HPP
