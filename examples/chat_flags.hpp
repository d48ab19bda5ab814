//
// examples/chat_flags.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The flags of chat_server and chat_client (docs/examples.md#chat_server-chat_client), on
// the parsers of example_util.hpp. Bad flags: the problem and the usage line on stderr,
// exit 2.
//
#ifndef LIVENESS_EXAMPLES_CHAT_FLAGS_HPP
#define LIVENESS_EXAMPLES_CHAT_FLAGS_HPP

#include "flags.hpp"

#include <cstddef>
#include <string>

namespace example {

/// The longest chat line, in bytes (the line codec's own limit, `max_line_length`).
inline constexpr std::size_t chat_max_line = 64 * 1024;

/// The budget of `session_options::within` (default 10 s): a dead peer is found within it.
inline ms chat_budget_flag(const std::string& value) {
  const ms budget = duration_flag("--budget", value);
  liveness::error_code ec;
  (void)liveness::session_options<line_policy>::within(budget, liveness::role::client, ec);
  if (ec) bad_flags("--budget " + value + ": " + ec.message());
  return budget;
}

/// Walks argv as "--flag value" pairs (and --help; flags.hpp's for_each_flag), calling
/// `on(flag, value)`, which returns false for an unknown flag.
template <class OnFlag>
void parse_pairs(int argc, char** argv, OnFlag on) {
  for_each_flag(argc, argv, nullptr, [&](const std::string& flag, const std::string& value) {
    if (!on(flag, value)) bad_flags("unknown flag: " + flag);
  });
}

inline const char* const chat_server_usage =
    "chat_server [--host ADDR] [--port PORT] [--budget DUR] [--quorum N]";

struct chat_server_flags {
  std::string host = "127.0.0.1";
  std::string port = "0";  // 0: the kernel picks one (see the listening line)
  ms budget{10000};
  std::size_t quorum = 1;  // relay once this many clients are online; hold lines till then
};

inline chat_server_flags parse_chat_server_flags(int argc, char** argv) {
  chat_server_flags f;
  parse_pairs(argc, argv, [&](const std::string& flag, const std::string& value) {
    if (flag == "--host") {
      f.host = value;
    } else if (flag == "--port") {
      char* end = nullptr;
      const long port = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || port < 0 || port > 65535) {
        bad_flags("--port " + value + ": expected a number from 0 to 65535");
      }
      f.port = value;
    } else if (flag == "--budget") {
      f.budget = chat_budget_flag(value);
    } else if (flag == "--quorum") {
      f.quorum = static_cast<std::size_t>(count_flag(flag, value));
    } else {
      return false;
    }
    return true;
  });
  return f;
}

inline const char* const chat_client_usage =
    "chat_client --connect HOST:PORT --name NAME [--budget DUR] [--reconnect MIN/MAX]";

struct chat_client_flags {
  std::string host;
  std::string port;
  std::string name;
  ms budget{10000};
  /// The reconnect schedule: `reconnect_options::fast()` (50 ms doubling to 2 s, forever)
  /// with --reconnect's MIN and MAX.
  liveness::reconnect_options reconnect = liveness::reconnect_options::fast();
};

inline chat_client_flags parse_chat_client_flags(int argc, char** argv) {
  chat_client_flags f;
  parse_pairs(argc, argv, [&](const std::string& flag, const std::string& value) {
    if (flag == "--connect") {
      std::tie(f.host, f.port) = host_port_flag(flag, value);
      if (f.port == "0") bad_flags("--connect " + value + ": port 0");
    } else if (flag == "--name") {
      f.name = value;
    } else if (flag == "--budget") {
      f.budget = chat_budget_flag(value);
    } else if (flag == "--reconnect") {
      const auto [lo, hi] = duration_pair_flag(flag, value);
      if (lo > hi) bad_flags("--reconnect " + value + ": MIN is larger than MAX");
      f.reconnect.min_delay = lo;
      f.reconnect.max_delay = hi;
    } else {
      return false;
    }
    return true;
  });
  if (f.host.empty()) bad_flags("--connect HOST:PORT is required");
  // A name is one word: the wire line is "NAME TEXT", and the event lines print it.
  const bool word = !f.name.empty() && f.name.size() <= 32 &&
                    f.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789_-.") == std::string::npos;
  if (!word) bad_flags("--name NAME is required: 1-32 letters, digits, '_', '-' or '.'");
  return f;
}

}  // namespace example

#endif  // LIVENESS_EXAMPLES_CHAT_FLAGS_HPP
