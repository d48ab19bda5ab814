// The multi-threaded server of docs/registry.md ("More than one thread"): one io_context
// per thread, each with its own registry and its own sessions (a shard), one accept loop
// (async_accept_loop_on) that makes every accepted socket on the next shard's executor, a
// broadcast posted to every shard, and an online count kept by the application. Asserts
// that every client lands on the shard it was handed to, that each registry raises its
// events on its own thread only, that a broadcast reaches every client of every shard, and
// that offline events arrive on the owning thread. Run under TSan too ([threads]): the
// shards share nothing but the atomics.
#include <liveness/accept.hpp>
#include <liveness/registry.hpp>

#include "asio_includes.hpp"
#include "loopback.hpp"
#include "test_support.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace registry_shards_test {

using namespace std::chrono_literals;

namespace lv = liveness;
namespace net = liveness::net;
using tcp = net::ip::tcp;
using lv::error_code;
using session_type = lv::session<tcp::socket, lv::heartbeat::none>;

/// One thread's share of the server: its io_context, its registry, its thread.
struct shard {
  net::io_context io{1};
  lv::registry<session_type> peers{io.get_executor()};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work{
      io.get_executor()};
  std::thread::id thread_id;
  std::atomic<int> online{0};
  std::atomic<int> offline{0};
  std::atomic<int> wrong_thread{0};
  std::thread thread;

  shard() {
    peers.on_online([this](const lv::peer_event&) {
      if (std::this_thread::get_id() != thread_id) ++wrong_thread;
      ++online;
    });
    peers.on_offline([this](const lv::peer_event&) {
      if (std::this_thread::get_id() != thread_id) ++wrong_thread;
      ++offline;
    });
  }
  void start() {
    std::atomic<bool> started{false};
    thread = std::thread([this, &started] {
      thread_id = std::this_thread::get_id();
      started = true;
      io.run();
    });
    while (!started) std::this_thread::yield();
  }
  void stop() {
    // The registry closes its sessions on its own thread, then the thread ends.
    net::post(io, [this] {
      peers.close();
      work.reset();
    });
    thread.join();
  }
};

TEST_CASE("registry shards: one registry per io_context, a socket handed to each in turn, "
          "a broadcast posted to all",
          "[registry][shards][threads]") {
  constexpr int shard_count = 2;
  constexpr int client_count = 6;
  std::vector<std::unique_ptr<shard>> shards;
  for (int i = 0; i < shard_count; ++i) shards.push_back(std::make_unique<shard>());
  for (auto& s : shards) s->start();

  // The acceptor runs on shard 0's thread; each accepted socket is made on the next shard's
  // executor (async_accept_loop_on), and its session is made and added on that thread.
  tcp::acceptor acceptor(shards[0]->io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const auto endpoint = acceptor.local_endpoint();
  std::atomic<int> accepted{0};
  std::atomic<int> accepted_on_acceptor_thread{0};
  std::atomic<int> loop_events{0};
  std::size_t next = 0;
  std::optional<error_code> loop_result;
  std::mutex loop_mutex;
  net::post(shards[0]->io, [&] {
    lv::async_accept_loop_on(
        acceptor, lv::accept_options{},
        [&] { return shards[next++ % shards.size()]->io.get_executor(); },
        [&](tcp::socket socket) {
          ++accepted;
          if (std::this_thread::get_id() == shards[0]->thread_id) ++accepted_on_acceptor_thread;
          const auto ex = socket.get_executor();
          net::post(ex, [&shards, ex, s = std::move(socket)]() mutable {
            for (auto& t : shards) {
              if (ex == net::any_io_executor(t->io.get_executor())) {
                lv::session_options<lv::heartbeat::none> o;
                o.keepalive = std::nullopt;
                o.role = lv::role::server;
                t->peers.add(session_type(std::move(s), o));
              }
            }
          });
        },
        [&](const lv::accept_event&) { ++loop_events; },
        [&](error_code ec) {
          std::lock_guard<std::mutex> lock(loop_mutex);
          loop_result = ec;
        });
  });

  net::io_context client_io;
  std::vector<tcp::socket> clients;
  for (int i = 0; i < client_count; ++i) {
    clients.emplace_back(client_io);
    clients.back().connect(endpoint);
  }
  const auto online_total = [&] {
    int n = 0;
    for (auto& s : shards) n += s->online;
    return n;
  };
  REQUIRE(liveness_test::run_until(client_io, [&] { return online_total() == client_count; },
                                   5s));
  for (auto& s : shards) CHECK(s->online == client_count / shard_count);

  // A broadcast to everyone: posted to every shard, each writes to its own clients.
  const std::string message = "to everyone\n";
  for (auto& s : shards) {
    net::post(s->io, [sh = s.get(), message] { sh->peers.broadcast(net::buffer(message)); });
  }
  std::vector<std::string> received(client_count);
  std::vector<std::array<char, 64>> buffers(client_count);
  std::function<void(std::size_t)> read_one = [&](std::size_t i) {
    clients[i].async_read_some(net::buffer(buffers[i]), [&, i](error_code ec, std::size_t n) {
      if (ec) return;
      received[i].append(buffers[i].data(), n);
      if (received[i].size() < message.size()) read_one(i);
    });
  };
  for (std::size_t i = 0; i < clients.size(); ++i) read_one(i);
  const bool all_received = liveness_test::run_until(
      client_io,
      [&] {
        for (const auto& r : received) {
          if (r.size() < message.size()) return false;
        }
        return true;
      },
      5s);
  CHECK(all_received);
  for (const auto& r : received) CHECK(r == message);

  // The clients leave: each shard reports its own offline events, on its own thread.
  for (auto& c : clients) c.close();
  const auto offline_total = [&] {
    int n = 0;
    for (auto& s : shards) n += s->offline;
    return n;
  };
  CHECK(liveness_test::run_until(client_io, [&] { return offline_total() == client_count; },
                                 5s));
  net::post(shards[0]->io, [&] { acceptor.close(); });
  for (auto& s : shards) s->stop();
  CHECK(accepted == client_count);
  CHECK(accepted_on_acceptor_thread == client_count);  // on_socket runs on the loop's executor
  CHECK(loop_events == 0);
  {
    std::lock_guard<std::mutex> lock(loop_mutex);
    REQUIRE(loop_result.has_value());
    CHECK(*loop_result == lv::net::error::operation_aborted);
  }
  for (auto& s : shards) {
    CHECK(s->offline == client_count / shard_count);
    CHECK(s->wrong_thread == 0);
  }
}

}  // namespace registry_shards_test
