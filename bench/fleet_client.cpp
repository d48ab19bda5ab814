//
// bench/fleet_client.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Idle fleet, client side: opens --n connections to 127.0.0.1:--port (at most --parallel
// connects in flight; --parallel N opens them all at once, the accept burst) and answers the server's heartbeats as cheaply as each protocol
// allows, so that what the benchmark measures is the server:
//
//   --impl beast               a websocket client stream (Beast answers pings while reading)
//   any other --impl           a plain socket that answers each ping byte 'P' with a pong
//                              byte 'O' (every other variant pings with that one byte; raw
//                              and liveness_none never ping, their clients just idle)
//
// Exits when every connection has been closed by the server, or after --max-seconds.
// One process holds at most about 9,000 connections: scripts/bench.sh starts several.
//
#include "bench_util.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <unistd.h>

#include <array>
#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

namespace {

struct fleet {
  net::io_context& io;
  std::string impl;
  tcp::endpoint server;
  std::size_t open = 0;      // connections up
  std::size_t closed = 0;    // connections the server closed
  std::size_t failed = 0;    // connects that failed for good
  std::size_t started = 0;   // connects started
  std::size_t target = 0;
  std::function<void()> next;  // starts the next connect
  void on_closed() {
    ++closed;
    if (closed + failed >= target) io.stop();
  }
};

// A plain socket that answers pings: every byte of `ping` gets the matching `reply`.
struct plain_client {
  explicit plain_client(fleet& f) : f_(f), s_(f.io) {}
  void start() {
    s_.async_connect(f_.server, [this](error_code ec) {
      if (ec) return retry();
      ++f_.open;
      f_.next();
      read();
    });
  }
  void retry() {
    if (++attempts_ > 20) {
      ++f_.failed;
      f_.next();
      if (f_.closed + f_.failed >= f_.target) f_.io.stop();
      return;
    }
    error_code ignored;
    s_.close(ignored);
    auto t = std::make_shared<net::steady_timer>(f_.io, 200ms);
    t->async_wait([this, t](error_code) { start(); });
  }
  void read() {
    s_.async_read_some(net::buffer(buf_), [this](error_code ec, std::size_t n) {
      if (ec) return f_.on_closed();
      std::size_t pongs = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if (buf_[i] == 'P') ++pongs;
      }
      if (pongs == 0) return read();
      reply_.assign(pongs, 'O');
      net::async_write(s_, net::buffer(reply_), [this](error_code wec, std::size_t) {
        if (wec) return f_.on_closed();
        read();
      });
    });
  }
  fleet& f_;
  tcp::socket s_;
  int attempts_ = 0;
  std::array<char, 256> buf_{};
  std::string reply_;
};

// A websocket client: Beast answers the server's pings inside async_read.
struct beast_client {
  explicit beast_client(fleet& f) : f_(f), ws_(f.io) {}
  void start() {
    ws_.next_layer().async_connect(f_.server, [this](error_code ec) {
      if (ec) return retry();
      ws_.async_handshake("127.0.0.1", "/", [this](error_code hec) {
        if (hec) return retry();
        ++f_.open;
        f_.next();
        read();
      });
    });
  }
  void retry() {
    if (++attempts_ > 20) {
      ++f_.failed;
      f_.next();
      if (f_.closed + f_.failed >= f_.target) f_.io.stop();
      return;
    }
    error_code ignored;
    ws_.next_layer().close(ignored);
    auto t = std::make_shared<net::steady_timer>(f_.io, 200ms);
    t->async_wait([this, t](error_code) { start(); });
  }
  void read() {
    ws_.async_read(buf_, [this](error_code ec, std::size_t n) {
      if (ec) return f_.on_closed();
      buf_.consume(n);
      read();
    });
  }
  fleet& f_;
  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buf_;
  int attempts_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  bench::flags fl(argc, argv);
  const std::string impl = fl.str("impl", "liveness");
  const auto port = static_cast<unsigned short>(fl.num("port", 0));
  const auto n = static_cast<std::size_t>(fl.num("n", 1000));
  const auto parallel = static_cast<std::size_t>(fl.num("parallel", 128));
  const double max_seconds = fl.num("max-seconds", 600);
  fl.check();
  if (port == 0) {
    std::cerr << "error: --port is required\n";
    return 2;
  }

  net::io_context io(1);
  fleet f{io, impl, tcp::endpoint(net::ip::address_v4::loopback(), port), 0, 0, 0, 0, 0, {}};
  f.target = n;
  std::vector<std::unique_ptr<plain_client>> plain;
  std::vector<std::unique_ptr<beast_client>> ws;
  plain.reserve(n);
  ws.reserve(n);
  f.next = [&] {
    if (f.started >= n) return;
    ++f.started;
    if (impl == "beast") {
      ws.push_back(std::make_unique<beast_client>(f));
      ws.back()->start();
    } else {
      plain.push_back(std::make_unique<plain_client>(f));
      plain.back()->start();
    }
  };
  for (std::size_t i = 0; i < parallel && i < n; ++i) f.next();

  net::steady_timer deadline(io);
  deadline.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(max_seconds)));
  deadline.async_wait([&](error_code ec) {
    if (ec) return;
    std::cerr << "fleet_client: deadline reached (" << f.closed << " closed of " << n
              << ")\n";
    io.stop();
  });
  io.run();
  if (f.failed) std::cerr << "fleet_client: " << f.failed << " connects failed\n";
  std::cout.flush();
  ::_exit(f.failed ? 1 : 0);
}
