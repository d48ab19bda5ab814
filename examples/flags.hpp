//
// examples/flags.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The flags of echo_server, echo_client and echo_client_coro (docs/examples.md; the two
// clients share one contract).
//
#ifndef LIVENESS_EXAMPLES_FLAGS_HPP
#define LIVENESS_EXAMPLES_FLAGS_HPP

#include "example_tls.hpp"
#include "example_util.hpp"

#include <liveness/reconnect.hpp>

namespace example {

/// Walks the flags: `--help` prints the usage line and exits 0; `--tls` (the one flag
/// without a value) sets `*tls` when `tls` is given (else it is unknown); every other flag
/// is `--NAME VALUE`, handed to `on_value(flag, value)`. Exit 2 on a stray argument or a
/// missing value.
template <class OnValue>
void for_each_flag(int argc, char** argv, bool* tls, OnValue on_value) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << "usage: " << program().usage << std::endl;
      std::exit(0);
    }
    if (flag.rfind("--", 0) != 0) bad_flags("unexpected argument: " + flag);
    if (tls && flag == "--tls") {
      require_tls();
      *tls = true;
      continue;
    }
    if (i + 1 >= argc) bad_flags(flag + ": missing value");
    on_value(flag, std::string(argv[++i]));
  }
}

inline const char* const server_usage_text =
    "echo_server --listen HOST:PORT [--keepalive IDLE:INTVL:COUNT] "
    "[--heartbeat INTERVAL/TIMEOUT] [--codec line|length] [--ping TEXT --pong TEXT] "
    "[--role server|client|both|answer] [--message-timeout DUR] "
    "[--first-message-timeout DUR] [--close-linger DUR] [--tls --cert FILE --key FILE]";

struct server_flags {
  std::string host;
  std::string port;
  watch_flags watch;
  /// --tls with the certificate (chain) and private key files, PEM.
  bool tls = false;
  std::string cert;
  std::string key;
};

inline server_flags parse_server_flags(int argc, char** argv) {
  server_flags f;
  bool have_listen = false;
  for_each_flag(argc, argv, &f.tls, [&](const std::string& flag, const std::string& value) {
    if (flag == "--listen") {
      std::tie(f.host, f.port) = host_port_flag(flag, value);
      have_listen = true;
    } else if (flag == "--cert") {
      f.cert = value;
    } else if (flag == "--key") {
      f.key = value;
    } else if (!parse_watch_flag(flag, value, f.watch)) {
      bad_flags("unknown flag: " + flag);
    }
  });
  if (!have_listen) bad_flags("--listen HOST:PORT is required");
  if (f.tls && (f.cert.empty() || f.key.empty())) bad_flags("--tls needs --cert FILE and --key FILE");
  if (!f.tls && (!f.cert.empty() || !f.key.empty())) bad_flags("--cert and --key need --tls");
  check_watch_flags(f.watch);
  return f;
}

/// `tls`: the program takes --tls [--ca FILE] (echo_client).
inline const char* client_usage_text(const std::string& name, bool tls = false) {
  static std::string text;
  text = name +
         " --connect HOST:PORT [--keepalive IDLE:INTVL:COUNT] [--heartbeat INTERVAL/TIMEOUT] "
         "[--codec line|length] [--ping TEXT --pong TEXT] [--role server|client|both|answer] "
         "[--message-timeout DUR] [--first-message-timeout DUR] [--close-linger DUR] "
         "[--reconnect MIN/MAX[/ATTEMPTS]] [--send TEXT [--every DURATION]] [--count N]" +
         (tls ? " [--tls [--ca FILE]]" : "");
  return text.c_str();
}

struct client_flags {
  std::string host;
  std::string port;
  watch_flags watch;
  /// --reconnect MIN/MAX[/ATTEMPTS]
  std::optional<std::pair<ms, ms>> reconnect;
  std::optional<long> attempts;
  std::optional<std::string> send;
  std::optional<ms> every;
  std::optional<long> count;
  /// --tls: connect with TLS; --ca FILE: verify the server's certificate against it.
  bool tls = false;
  std::optional<std::string> ca;

  /// The reconnect schedule: MIN doubling to MAX with jitter, reset after 2 s up, give up
  /// after ATTEMPTS failures in a row (never without it).
  liveness::reconnect_options reconnect_options() const {
    auto o = liveness::reconnect_options::fast();
    if (reconnect) {
      o.min_delay = reconnect->first;
      o.max_delay = reconnect->second;
    }
    if (attempts) o.max_attempts = static_cast<std::uint32_t>(*attempts);
    return o;
  }
};

/// `tls`: accept --tls and --ca (echo_client); otherwise they are unknown flags.
inline client_flags parse_client_flags(int argc, char** argv, bool tls = false) {
  client_flags f;
  bool have_connect = false;
  for_each_flag(argc, argv, tls ? &f.tls : nullptr, [&](const std::string& flag,
                                                         const std::string& value) {
    if (tls && flag == "--ca") {
      f.ca = value;
    } else if (flag == "--connect") {
      std::tie(f.host, f.port) = host_port_flag(flag, value);
      if (f.port == "0") bad_flags("--connect " + value + ": port 0");
      have_connect = true;
    } else if (flag == "--reconnect") {
      f.reconnect = duration_pair_flag(flag, value, &f.attempts);
      if (f.reconnect->first > f.reconnect->second) {
        bad_flags("--reconnect " + value + ": MIN is larger than MAX");
      }
    } else if (flag == "--send") {
      f.send = value;
    } else if (flag == "--every") {
      f.every = duration_flag(flag, value);
    } else if (flag == "--count") {
      f.count = count_flag(flag, value);
    } else if (!parse_watch_flag(flag, value, f.watch)) {
      bad_flags("unknown flag: " + flag);
    }
  });
  if (!have_connect) bad_flags("--connect HOST:PORT is required");
  check_watch_flags(f.watch);
  if (f.every && !f.send) bad_flags("--every needs --send TEXT");
  if (f.count && !f.send) bad_flags("--count needs --send TEXT");
  if (f.ca && !f.tls) bad_flags("--ca needs --tls");
  if (f.tls && f.reconnect) bad_flags("--tls does not work with --reconnect");
  if (f.send) {
    const bool length = f.watch.heartbeat && f.watch.codec == codec_kind::length;
    if (!length && (f.send->empty() || f.send->find_first_of("\r\n") != std::string::npos)) {
      bad_flags("--send TEXT: one line of text (not empty, no CR or LF)");
    }
    if (f.watch.heartbeat && !length) {
      const auto line = line_flags(f.watch);
      if (*f.send == line.ping || *f.send == line.pong) {
        bad_flags("--send " + *f.send + ": equals the ping or pong text (it would be taken "
                  "for a heartbeat)");
      }
    }
  }
  return f;
}

}  // namespace example

#endif  // LIVENESS_EXAMPLES_FLAGS_HPP
