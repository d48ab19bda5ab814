// A program of a project that vendors liveness as plain headers (`-I vendor/include`, not a
// system include directory) and builds with a strict warning set and -Werror:
//   -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wconversion -Wsign-conversion
// (see CMakeLists.txt). It instantiates a session of every policy and codec, the registry
// and the reconnecting client, so that every template body of the library is compiled in
// the consumer's warning regime, and runs them on loopback so that the test proves more
// than a compile: each session pair exchanges data, the registry raises its events, the
// reconnecting client connects, and a moved-from session answers without crashing.
#include <liveness.hpp>

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/asio.hpp>
#else
#include <asio.hpp>
#endif

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

namespace net = liveness::net;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAILED: %s\n", what);
    ++failures;
  }
}

// Runs `io` until `done()` holds, for at most 5 s.
/// `options` (default: the defaults) for end `r` of a connection.
template <class Session>
typename Session::options_type end_options(liveness::role r,
                                           typename Session::options_type options = {}) {
  options.role = r;
  return options;
}

template <class Pred>
void run_until(net::io_context& io, Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  io.restart();
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.run_one_for(20ms) == 0 && io.stopped()) io.restart();
  }
}

struct socket_pair {
  tcp::socket client;
  tcp::socket server;
};

socket_pair connect_pair(net::io_context& io, tcp::acceptor& acceptor) {
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket server = acceptor.accept();
  return {std::move(client), std::move(server)};
}

// A pair of sessions of `Policy`: the client writes "hello\n", the server reads it back
// with net::async_read, the client closes, the server sees peer_closed.
template <class Policy>
void exercise_session(net::io_context& io, tcp::acceptor& acceptor, const char* name) {
  using session_type = liveness::session<tcp::socket, Policy>;
  auto sockets = connect_pair(io, acceptor);
  liveness::session_options<Policy> options;
  options.keepalive = liveness::keepalive_options::aggressive();
  session_type client(std::move(sockets.client), end_options<session_type>(liveness::role::client, options));
  session_type server(std::move(sockets.server), end_options<session_type>(liveness::role::server, options));

  static const char message[] = "hello\n";
  std::string received(sizeof message - 1, '\0');
  liveness::error_code server_reason;
  bool written = false;
  net::async_write(client, net::buffer(message, sizeof message - 1),
                   [&](liveness::error_code ec, std::size_t n) {
                     written = !ec && n == sizeof message - 1;
                     client.close();
                   });
  bool read_done = false;
  net::async_read(server, net::buffer(&received[0], received.size()),
                  [&](liveness::error_code, std::size_t) { read_done = true; });
  server.async_wait_dead([&](liveness::error_code why) { server_reason = why; });
  run_until(io, [&] { return read_done && server_reason; });

  check(written, name);
  check(received == "hello\n", name);
  check(server.is_dead() && server.reason() == liveness::error::peer_closed, name);
  check(server_reason == liveness::error::peer_closed, name);
  check(server.keepalive().enabled, name);
  check(server.stats().started <= std::chrono::steady_clock::now(), name);
  check(server.next_layer().is_open() == false, name);
  check(server.get_executor() == io.get_executor(), name);

  // A moved-from session answers its observers and completes its operations with an
  // error instead of crashing.
  session_type moved(std::move(server));
  check(!server.is_dead() && !server.reason(), name);
  liveness::error_code moved_ec;
  server.async_wait_dead([&](liveness::error_code ec) { moved_ec = ec; });
  server.close();
  run_until(io, [&] { return !!moved_ec; });
  check(moved_ec == net::error::bad_descriptor, name);
  std::printf("%s: %s, moved-from wait: %s\n", name, liveness::error_name(server_reason).c_str(),
              moved_ec.message().c_str());
}

// Whole messages over ping_pong<length_prefixed>.
void exercise_messages(net::io_context& io, tcp::acceptor& acceptor) {
  using policy = liveness::heartbeat::ping_pong<liveness::codec::length_prefixed>;
  using session_type = liveness::session<tcp::socket, policy>;
  auto sockets = connect_pair(io, acceptor);
  session_type client(std::move(sockets.client), end_options<session_type>(liveness::role::client));
  session_type server(std::move(sockets.server), end_options<session_type>(liveness::role::server));
  std::string in;
  std::size_t size = 0;
  client.async_write_message(net::buffer(std::string_view("a whole message")),
                             [](liveness::error_code, std::size_t) {});
  server.async_read_message(net::dynamic_buffer(in),
                            [&](liveness::error_code ec, std::size_t n) {
                              if (!ec) size = n;
                            });
  run_until(io, [&] { return size > 0; });
  check(size == 15 && in == "a whole message", "messages");
  std::printf("messages: %zu bytes\n", size);
}

void exercise_registry(net::io_context& io, tcp::acceptor& acceptor) {
  using policy = liveness::heartbeat::ping_pong<liveness::codec::length_prefixed>;
  using session_type = liveness::session<tcp::socket, policy>;
  liveness::registry<session_type> registry(io.get_executor(),
                                            liveness::registry_options::standard());
  int online = 0;
  int offline = 0;
  registry.on_online([&](const liveness::peer_event&) { ++online; });
  registry.on_offline([&](const liveness::peer_event&) { ++offline; });
  auto sockets = connect_pair(io, acceptor);
  session_type client(std::move(sockets.client), end_options<session_type>(liveness::role::client));
  auto added = registry.add(
      session_type(std::move(sockets.server), end_options<session_type>(liveness::role::server)), "peer-1");
  std::string in;
  client.async_read_message(net::dynamic_buffer(in), [&](liveness::error_code, std::size_t) {
    client.close();
  });
  check(registry.send("peer-1", net::buffer(std::string_view("to one"))), "registry send");
  run_until(io, [&] { return offline > 0; });
  check(in == "to one", "registry message");
  check(online == 1 && offline == 1 && registry.size() == 0, "registry events");
  std::printf("registry: online %d, offline %d, dropped %llu\n", online, offline,
              static_cast<unsigned long long>(registry.dropped()));
  registry.close();
}

void exercise_reconnect(net::io_context& io, tcp::acceptor& acceptor) {
  using policy = liveness::heartbeat::ping_pong<liveness::codec::line>;
  liveness::reconnecting_client<policy> client(
      io.get_executor(), "127.0.0.1", std::to_string(acceptor.local_endpoint().port()),
      liveness::session_options<policy>{}, liveness::reconnect_options::fast());
  bool connected = false;
  client.on_connected([&](liveness::reconnecting_client<policy>::session_type&) {
    connected = true;
    client.stop();
  });
  tcp::socket accepted(io);
  acceptor.async_accept(accepted, [](liveness::error_code) {});
  client.start();
  run_until(io, [&] { return connected; });
  check(connected && !client.running(), "reconnecting client");
  std::printf("reconnecting client: connected, stopped\n");
}

}  // namespace

int main() {
#if defined(LIVENESS_EXPECT_BOOST)
  check(liveness::uses_boost_asio, "Boost.Asio backend");
#else
  check(!liveness::uses_boost_asio, "standalone Asio backend");
#endif
  net::io_context io;
  tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), 0});
  exercise_session<liveness::heartbeat::none>(io, acceptor, "none");
  exercise_session<liveness::heartbeat::idle_timeout>(io, acceptor, "idle_timeout");
  exercise_session<liveness::heartbeat::ping_pong<liveness::codec::line>>(io, acceptor,
                                                                          "ping_pong<line>");
  exercise_session<liveness::heartbeat::ping_pong<liveness::codec::length_prefixed>>(
      io, acceptor, "ping_pong<length_prefixed>");
  exercise_messages(io, acceptor);
  exercise_registry(io, acceptor);
  exercise_reconnect(io, acceptor);
  std::printf("liveness %s, C++%ld, %s: %s\n", LIVENESS_VERSION_STRING,
              static_cast<long>(__cplusplus / 100 % 100),
              liveness::uses_boost_asio ? "Boost.Asio" : "standalone Asio",
              failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
