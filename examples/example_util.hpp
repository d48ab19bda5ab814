// Small helpers shared by the echo examples: flag parsing and event lines.
#ifndef LIVENESS_EXAMPLES_EXAMPLE_UTIL_HPP
#define LIVENESS_EXAMPLES_EXAMPLE_UTIL_HPP

#include <liveness.hpp>

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/asio.hpp>
#else
#include <asio.hpp>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

namespace example {

namespace net = liveness::net;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;

/// Prints one event line and flushes it at once (scripts read these lines).
inline void event(const std::string& line) {
  std::cout << line << std::endl;
}

[[noreturn]] inline void usage(const char* text) {
  std::cerr << "usage: " << text << std::endl;
  std::exit(2);
}

/// The value of --keepalive (IDLE:INTERVAL:COUNT). Exits with the reason and the usage on
/// error.
inline liveness::keepalive_options parse_keepalive_flag(const std::string& value,
                                                       const char* usage_text) {
  liveness::error_code ec;
  auto opts = liveness::keepalive_options::parse(value, ec);
  if (ec) {
    std::cerr << "--keepalive " << value << ": " << ec.message() << std::endl;
    usage(usage_text);
  }
  return opts;
}

/// Splits "HOST:PORT" (the last colon separates the port). Exits with the usage on error.
inline std::pair<std::string, std::string> split_host_port(const std::string& s,
                                                           const char* usage_text) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) usage(usage_text);
  return {s.substr(0, colon), s.substr(colon + 1)};
}

inline std::string endpoint_text(const tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

inline long long ms_since(clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t).count();
}

}  // namespace example

#endif
