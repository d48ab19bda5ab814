//
// examples/echo_client_coro.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// echo_client_coro: echo_client written with C++20 coroutines (net::co_spawn and
// net::use_awaitable): the same flags, events and exit codes (docs/examples.md). The
// reconnect loop is written out here, so that the coroutine version shows the whole life
// of a connection: connect, watch, read and write until the peer is declared dead, wait,
// connect again.
//
// Built only when the compiler supports C++20 coroutines.
//
#include "client_flags.hpp"

#include <algorithm>
#include <memory>
#include <random>

using namespace example;

namespace {

using liveness::error_code;
namespace this_coro = net::this_coro;

template <class Session>
net::awaitable<void> reader(std::shared_ptr<Session> s, std::shared_ptr<long> echoes,
                            std::optional<long> count, std::shared_ptr<bool> done) {
  using policy = typename Session::policy_type;
  std::string in;
  for (;;) {
    error_code ec;
    std::size_t n = 0;
    if constexpr (std::is_same_v<policy, length_policy>) {
      n = co_await s->async_read_message(net::dynamic_buffer(in),
                                         net::redirect_error(net::use_awaitable, ec));
    } else {
      n = co_await net::async_read_until(*s, net::dynamic_buffer(in), '\n',
                                         net::redirect_error(net::use_awaitable, ec));
    }
    if (ec) co_return;  // the death is reported by the connection's coroutine
    std::string text = in.substr(0, n);
    in.erase(0, n);
    if constexpr (!std::is_same_v<policy, length_policy>) {
      if (!text.empty() && text.back() == '\n') text.pop_back();
    }
    event("echo text=" + text);
    if (count && ++*echoes >= *count) {
      event("done echoes=" + std::to_string(*echoes));
      *done = true;
      s->close();  // ends the connection's wait with operation_aborted
      co_return;
    }
  }
}

template <class Session>
net::awaitable<void> sender(std::shared_ptr<Session> s, std::string text,
                            std::optional<ms> every) {
  using policy = typename Session::policy_type;
  if constexpr (!std::is_same_v<policy, length_policy>) text.push_back('\n');
  net::steady_timer timer(co_await this_coro::executor);
  for (;;) {
    error_code ec;
    if constexpr (std::is_same_v<policy, length_policy>) {
      co_await s->async_write_message(net::buffer(text),
                                      net::redirect_error(net::use_awaitable, ec));
    } else {
      co_await net::async_write(*s, net::buffer(text),
                                net::redirect_error(net::use_awaitable, ec));
    }
    if (ec || !every || s->is_dead()) co_return;
    timer.expires_after(*every);
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    if (s->is_dead()) co_return;
  }
}

/// The whole client. Returns the exit code.
template <class Policy>
net::awaitable<int> client(client_flags f, liveness::session_options<Policy> options) {
  using session_t = liveness::session<tcp::socket, Policy>;
  auto ex = co_await this_coro::executor;
  tcp::resolver resolver(ex);
  net::steady_timer delay_timer(ex);
  const auto schedule = f.reconnect_options();
  std::minstd_rand rng(std::random_device{}());
  auto echoes = std::make_shared<long>(0);
  auto done = std::make_shared<bool>(false);
  std::uint32_t failures = 0;  // attempts in a row without a stable connection
  for (;;) {
    // One attempt: resolve, connect, watch.
    error_code ec;
    const auto endpoints = co_await resolver.async_resolve(
        f.host, f.port, net::redirect_error(net::use_awaitable, ec));
    tcp::socket socket(ex);
    if (!ec) {
      co_await net::async_connect(socket, endpoints,
                                  net::redirect_error(net::use_awaitable, ec));
    }
    bool stable = false;
    if (ec) {
      event("connect_failed reason=" + connect_reason_text(ec));
    } else {
      // The session applies keepalive now that connect has completed; the error_code
      // constructor reports refused settings without an exception.
      auto s = std::make_shared<session_t>(std::move(socket), options, ec);
      if (ec) {
        event("connect_failed reason=" + connect_reason_text(ec));
      } else {
        const auto up = clock::now();
        event("connected peer=" + endpoint_text(s->next_layer().remote_endpoint(ec)));
        net::co_spawn(ex, reader(s, echoes, f.count, done), net::detached);
        if (f.send) net::co_spawn(ex, sender(s, *f.send, f.every), net::detached);
        // as_tuple: the death reason arrives as a value (plain use_awaitable would throw it).
        auto [why] = co_await s->async_wait_dead(liveness::as_tuple(net::use_awaitable));
        if (*done) co_return 0;
        event("disconnected reason=" + reason_text(why) +
              " silent_ms=" + std::to_string(silent_ms(*s)));
        s->close();
        stable = clock::now() - up >= schedule.stable_after;
      }
    }
    if (!f.reconnect) co_return 1;
    failures = stable ? 0 : failures + 1;
    if (schedule.max_attempts && failures >= *schedule.max_attempts) {
      event("gave_up attempts=" + std::to_string(failures));
      co_return 1;
    }
    // Exponential backoff with full jitter above the floor: [min, min(max, min * 2^n)].
    const auto floor = std::chrono::duration_cast<ms>(schedule.min_delay);
    const auto cap = std::chrono::duration_cast<ms>(schedule.max_delay);
    ms ceiling = floor;
    for (std::uint32_t i = 1; i < failures && ceiling < cap; ++i) ceiling *= 2;
    ceiling = std::min(ceiling, cap);
    std::uniform_int_distribution<ms::rep> pick(floor.count(), ceiling.count());
    const ms delay(pick(rng));
    event("reconnecting in_ms=" + std::to_string(delay.count()));
    delay_timer.expires_after(delay);
    co_await delay_timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
}

}  // namespace

int main(int argc, char** argv) {
  program() = {"echo_client_coro", client_usage_text("echo_client_coro")};
  const client_flags flags = parse_client_flags(argc, argv);
  net::io_context io;
  int exit_code = 1;
  with_policy(flags.watch, liveness::role::client, [&](const auto& options) {
    net::co_spawn(io, client(flags, options), [&](std::exception_ptr e, int code) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          std::cerr << "echo_client_coro: " << x.what() << std::endl;
        }
        code = 1;
      }
      exit_code = code;
      io.stop();
    });
    return 0;
  });
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](error_code ec, int) {
    if (!ec) {
      exit_code = 0;
      io.stop();
    }
  });
  io.run();
  return exit_code;
}
