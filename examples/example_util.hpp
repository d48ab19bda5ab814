//
// examples/example_util.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Shared by the examples: duration and flag parsing, the heartbeat policy chosen at run
// time from the flags, and the event lines (`EVENT key=value ...`, flushed at once) that
// scripts read. See docs/examples.md for the contract.
//
#ifndef LIVENESS_EXAMPLES_EXAMPLE_UTIL_HPP
#define LIVENESS_EXAMPLES_EXAMPLE_UTIL_HPP

#include <liveness.hpp>

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/asio.hpp>
#else
#include <asio.hpp>
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace example {

namespace net = liveness::net;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

/// Prints one event line and flushes it at once (scripts read these lines).
inline void event(const std::string& line) {
  std::cout << line << std::endl;
}

/// The program's name and usage line, set once by main().
struct program_info {
  const char* name = "example";
  const char* usage = "";
};

inline program_info& program() {
  static program_info info;
  return info;
}

/// Bad flags: prints what is wrong and the usage line to stderr, exits with code 2.
[[noreturn]] inline void bad_flags(const std::string& why) {
  std::cerr << program().name << ": " << why << "\nusage: " << program().usage << std::endl;
  std::exit(2);
}

/// The longest duration a flag takes: 10^12 ms (about 31 years; surely a typo beyond).
inline constexpr ms max_flag_duration{1000000000000LL};

/// A duration flag's grammar: liveness::parse_duration with a unit required ("300ms",
/// "2s", "1m", "1h"), then a positive value no longer than max_flag_duration. Empty on
/// anything else (no unit, zero, negative, too large).
inline std::optional<ms> parse_duration(std::string_view text) {
  liveness::error_code ec;
  const ms d = liveness::parse_duration(text, ec, liveness::unitless::refused);
  if (ec || d <= ms(0) || d > max_flag_duration) return std::nullopt;
  return d;
}

/// A duration flag's value, or exit 2 naming the flag.
inline ms duration_flag(const std::string& flag, const std::string& value) {
  const auto d = parse_duration(value);
  if (!d) {
    bad_flags(flag + " " + value +
              ": not a duration (a positive whole number and a unit: ms, s, m or h, "
              "e.g. 300ms, 2s, 1m)");
  }
  return *d;
}

/// Two durations "A/B" (--heartbeat INTERVAL/TIMEOUT, --reconnect MIN/MAX), with an
/// optional third integer field when `third` is given ("MIN/MAX/ATTEMPTS").
inline std::pair<ms, ms> duration_pair_flag(const std::string& flag, const std::string& value,
                                            std::optional<long>* third = nullptr) {
  const auto slash = value.find('/');
  if (slash == std::string::npos) {
    bad_flags(flag + " " + value + ": expected two durations separated by '/', e.g. 300ms/500ms");
  }
  std::string rest = value.substr(slash + 1);
  const auto slash2 = rest.find('/');
  if (slash2 != std::string::npos) {
    if (!third) bad_flags(flag + " " + value + ": expected exactly two durations");
    const std::string n = rest.substr(slash2 + 1);
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(n.c_str(), &end, 10);
    if (n.empty() || *end != '\0' || v <= 0 || errno == ERANGE || v > 1000000) {
      bad_flags(flag + " " + value + ": the attempt count must be a positive number");
    }
    *third = v;
    rest = rest.substr(0, slash2);
  }
  return {duration_flag(flag, value.substr(0, slash)), duration_flag(flag, rest)};
}

/// A positive integer flag, or exit 2.
inline long count_flag(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || v <= 0 || errno == ERANGE) {
    bad_flags(flag + " " + value + ": expected a positive whole number");
  }
  return v;
}

/// Splits "HOST:PORT" (the last colon separates the port; "[::1]:80" works). Exit 2 on
/// error.
inline std::pair<std::string, std::string> host_port_flag(const std::string& flag,
                                                          const std::string& value) {
  const auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == value.size()) {
    bad_flags(flag + " " + value + ": expected HOST:PORT");
  }
  std::string host = value.substr(0, colon);
  const std::string port = value.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  if (*end != '\0' || p < 0 || p > 65535) {
    bad_flags(flag + " " + value + ": the port must be a number from 0 to 65535");
  }
  return {host, port};
}

enum class codec_kind { line, length };

/// The flags that choose how a connection is watched (shared by server and clients).
struct watch_flags {
  liveness::keepalive_options keepalive = liveness::keepalive_options::standard();
  /// --heartbeat given: ping/pong; absent: TCP keepalive only (heartbeat::none).
  bool heartbeat = false;
  ms interval{0};
  ms timeout{0};
  codec_kind codec = codec_kind::line;
  bool codec_given = false;
  std::optional<std::string> ping;
  std::optional<std::string> pong;
  /// --role: which end pings (the flag keeps its name; it sets `heartbeat.pinger`).
  liveness::ping_role pinger = liveness::ping_role::both;
  bool role_given = false;
  /// --message-timeout, --first-message-timeout, --close-linger (absent: the library's
  /// defaults: off, off, 5 s).
  std::optional<ms> message_timeout;
  std::optional<ms> first_message_timeout;
  std::optional<ms> close_linger;
};

/// A duration flag that also takes "0" for off.
inline ms duration_or_off_flag(const std::string& flag, const std::string& value) {
  if (value == "0") return ms(0);
  return duration_flag(flag, value);
}

/// Handles one of --keepalive, --heartbeat, --codec, --ping, --pong, --role,
/// --message-timeout, --first-message-timeout, --close-linger. Returns false for any other
/// flag. Exit 2 on a bad value.
inline bool parse_watch_flag(const std::string& flag, const std::string& value,
                             watch_flags& w) {
  if (flag == "--keepalive") {
    liveness::error_code ec;
    w.keepalive = liveness::keepalive_options::parse(value, ec);
    if (ec) bad_flags("--keepalive " + value + ": " + ec.message());
  } else if (flag == "--heartbeat") {
    const auto [interval, timeout] = duration_pair_flag(flag, value);
    w.heartbeat = true;
    w.interval = interval;
    w.timeout = timeout;
  } else if (flag == "--codec") {
    if (value == "line") {
      w.codec = codec_kind::line;
    } else if (value == "length") {
      w.codec = codec_kind::length;
    } else {
      bad_flags("--codec " + value + ": expected line or length");
    }
    w.codec_given = true;
  } else if (flag == "--ping") {
    w.ping = value;
  } else if (flag == "--pong") {
    w.pong = value;
  } else if (flag == "--role") {
    using liveness::ping_role;
    if (value == "server") {
      w.pinger = ping_role::server;
    } else if (value == "client") {
      w.pinger = ping_role::client;
    } else if (value == "both") {
      w.pinger = ping_role::both;
    } else if (value == "answer") {
      w.pinger = ping_role::answer_only;
    } else {
      bad_flags("--role " + value + ": expected server, client, both or answer");
    }
    w.role_given = true;
  } else if (flag == "--message-timeout") {
    w.message_timeout = duration_or_off_flag(flag, value);
  } else if (flag == "--first-message-timeout") {
    w.first_message_timeout = duration_or_off_flag(flag, value);
  } else if (flag == "--close-linger") {
    w.close_linger = duration_or_off_flag(flag, value);
  } else {
    return false;
  }
  return true;
}

/// Sets the ping/pong timing the flags ask for on `o` (`heartbeat::ping_pong<C>::options`).
template <class HeartbeatOptions>
void set_ping_pong(const watch_flags& w, HeartbeatOptions& o) {
  o.interval = w.interval;
  o.timeout = w.timeout;
  o.pinger = w.pinger;
  // The flood guard must not demand more than the interval between the peer's pings.
  if (o.min_ping_interval > o.interval / 2) {
    o.min_ping_interval = std::chrono::duration_cast<liveness::core::duration>(o.interval / 2);
  }
}

inline liveness::codec::line_options line_flags(const watch_flags& w) {
  auto o = liveness::codec::line_options::standard();
  if (w.ping) o.ping = *w.ping;
  if (w.pong) o.pong = *w.pong;
  return o;
}

/// Checks the combination of watch flags (after all flags are read). Exit 2 on error.
inline void check_watch_flags(const watch_flags& w) {
  if (!w.heartbeat && (w.codec_given || w.ping || w.pong || w.role_given)) {
    bad_flags("--codec, --ping, --pong and --role need --heartbeat INTERVAL/TIMEOUT");
  }
  if (!w.heartbeat) return;
  if (w.codec == codec_kind::length && (w.ping || w.pong)) {
    bad_flags("--ping/--pong set the texts of --codec line; the length codec's heartbeats "
              "are binary frames");
  }
  liveness::heartbeat::ping_pong<liveness::codec::length_prefixed>::options timing;
  set_ping_pong(w, timing);
  if (auto ec = timing.validate()) bad_flags("--heartbeat: " + ec.message());
  if (w.codec == codec_kind::line) {
    if (auto ec = line_flags(w).validate()) {
      bad_flags("--ping/--pong: " + ec.message());
    }
  }
}

using none_policy = liveness::heartbeat::none;
using line_policy = liveness::heartbeat::ping_pong<liveness::codec::line>;
using length_policy = liveness::heartbeat::ping_pong<liveness::codec::length_prefixed>;

/// The session options for `Policy` and end `role` that the flags ask for.
template <class Policy>
liveness::session_options<Policy> session_options_for(const watch_flags& w, liveness::role role) {
  auto o = liveness::session_options<Policy>::suggested(role);
  // suggested(role::server) turns the untrusted-client deadlines on; the examples leave
  // them to --message-timeout / --first-message-timeout.
  o.message_timeout = liveness::core::duration::zero();
  o.first_message_timeout = liveness::core::duration::zero();
  o.keepalive = w.keepalive;
  if (w.message_timeout) o.message_timeout = *w.message_timeout;
  if (w.first_message_timeout) o.first_message_timeout = *w.first_message_timeout;
  if (w.close_linger) o.close_linger = *w.close_linger;
  if constexpr (std::is_same_v<Policy, line_policy>) {
    set_ping_pong(w, o.heartbeat);
    o.heartbeat.codec = line_flags(w);
  } else if constexpr (std::is_same_v<Policy, length_policy>) {
    set_ping_pong(w, o.heartbeat);
  }
  return o;
}

/// Calls `f(session_options<P>)` for end `role` with the policy P chosen by the flags:
/// heartbeat::none without --heartbeat, else ping_pong<codec::line> or
/// ping_pong<codec::length_prefixed>.
template <class F>
decltype(auto) with_policy(const watch_flags& w, liveness::role role, F&& f) {
  if (!w.heartbeat) return f(session_options_for<none_policy>(w, role));
  if (w.codec == codec_kind::length) return f(session_options_for<length_policy>(w, role));
  return f(session_options_for<line_policy>(w, role));
}

/// The examples' unit of text: a whole message with the length codec
/// (`async_read_message`), else a line (at most `max_line` bytes with its newline).
template <class Session>
inline constexpr bool by_message_v =
    std::is_same_v<typename Session::policy_type, length_policy>;

inline constexpr std::size_t max_line = 64 * 1024;

/// Reads one item (see by_message_v) of `s` into the end of `in`. Completion:
/// `void(error_code, std::size_t n)`: the item is the first n bytes of `in` (a line with
/// its newline); `net::error::not_found` for a line longer than max_line.
template <class Session, class Token>
auto async_read_item(Session& s, std::string& in, Token&& token) {
  if constexpr (by_message_v<Session>) {
    return s.async_read_message(net::dynamic_buffer(in), std::forward<Token>(token));
  } else {
    return net::async_read_until(s, net::dynamic_buffer(in, max_line), '\n',
                                 std::forward<Token>(token));
  }
}

/// Takes the item of `n` bytes off the front of `in`, without a line's newline.
template <class Session>
std::string take_item(std::string& in, std::size_t n) {
  std::string text = in.substr(0, n);
  in.erase(0, n);
  if (!by_message_v<Session> && !text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

/// `text` as the item `Session` sends: a line gets its newline.
template <class Session>
std::string item(std::string text) {
  if constexpr (!by_message_v<Session>) text.push_back('\n');
  return text;
}

/// Writes `bytes` (an item, newline included) as one message or as plain bytes.
/// Completion: `void(error_code, std::size_t)`.
template <class Session, class Token>
auto async_write_item(Session& s, const std::string& bytes, Token&& token) {
  if constexpr (by_message_v<Session>) {
    return s.async_write_message(net::buffer(bytes), std::forward<Token>(token));
  } else {
    return net::async_write(s, net::buffer(bytes), std::forward<Token>(token));
  }
}

/// The echo clients' count of echoes: prints each (`echo text=`), and after --count of
/// them prints `done echoes=N` and calls `finish(0)`.
struct echo_counter {
  std::optional<long> count;
  std::function<void(int exit_code)> finish;
  long echoes = 0;

  /// False once the count is reached (stop reading).
  bool got(const std::string& text) {
    event("echo text=" + text);
    if (!count || ++echoes < *count) return true;
    event("done echoes=" + std::to_string(echoes));
    finish(0);
    return false;
  }
};

/// Reads the echoes of one connection until it ends (or the count is reached).
template <class Session>
void read_echoes(std::shared_ptr<Session> s, std::shared_ptr<std::string> in,
                 echo_counter& echoes) {
  async_read_item(*s, *in, [s, in, &echoes](liveness::error_code ec, std::size_t n) {
    if (!ec && echoes.got(take_item<Session>(*in, n))) read_echoes(s, in, echoes);
  });
}

/// "heartbeat=none keepalive=..." description of the watch for the listening/connected
/// lines' extra fields.
inline std::string watch_text(const watch_flags& w) {
  const auto ka = w.keepalive.detection_bound().count();
  std::string s = "keepalive_bound_ms=" + std::to_string(w.keepalive.enabled ? ka : 0);
  if (w.heartbeat) {
    s += " heartbeat_bound_ms=" + std::to_string((w.interval + w.timeout).count());
  }
  return s;
}

inline std::string endpoint_text(const tcp::endpoint& ep) {
  if (ep.address().is_v6()) {
    return "[" + ep.address().to_string() + "]:" + std::to_string(ep.port());
  }
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

template <class Duration>
long long to_ms(Duration d) {
  return std::chrono::duration_cast<ms>(d).count();
}

inline long long ms_since(clock::time_point t) { return to_ms(clock::now() - t); }

/// The reason field of an event: the liveness reason name for dead-peer reasons and
/// transport errors ("peer_closed", "heartbeat_timeout"), else "<category>:<value>".
inline std::string reason_text(const liveness::error_code& ec) {
  return liveness::error_name(liveness::classify_transport_error(ec));
}

/// How long a session's peer has been silent, in ms.
template <class Session>
long long silent_ms(const Session& s) {
  return to_ms(s.stats().silent_for(liveness::core::clock_type::now()));
}

}  // namespace example

#endif  // LIVENESS_EXAMPLES_EXAMPLE_UTIL_HPP
