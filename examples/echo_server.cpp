// echo_server: echoes lines back to every client; TCP keepalive on every accepted socket.
//
//   echo_server --listen 127.0.0.1:PORT [--keepalive IDLE:INTVL:COUNT]
//
// Prints one event per line:  listening addr=...  |  online id=N peer=... keepalive_bound_ms=...
//                             offline id=N peer=... reason=... silent_ms=...
// (Heartbeat policies arrive with liveness::session.)
#include "example_util.hpp"

#include <memory>

using namespace example;

namespace {

const char* const usage_text =
    "echo_server --listen HOST:PORT [--keepalive IDLE:INTERVAL:COUNT]";

struct connection : std::enable_shared_from_this<connection> {
  tcp::socket socket;
  int id;
  std::string peer;
  std::string buffer;
  clock::time_point last_received = clock::now();

  connection(tcp::socket s, int i) : socket(std::move(s)), id(i) {
    liveness::error_code ec;
    peer = endpoint_text(socket.remote_endpoint(ec));
  }

  void read() {
    net::async_read_until(socket, net::dynamic_buffer(buffer), '\n',
                          [self = shared_from_this()](liveness::error_code ec, std::size_t n) {
                            self->on_read(ec, n);
                          });
  }

  void on_read(liveness::error_code ec, std::size_t n) {
    if (ec) {
      event("offline id=" + std::to_string(id) + " peer=" + peer +
            " reason=" + liveness::error_name(liveness::classify_transport_error(ec)) +
            " silent_ms=" + std::to_string(ms_since(last_received)));
      return;
    }
    last_received = clock::now();
    auto line = std::make_shared<std::string>(buffer.substr(0, n));
    buffer.erase(0, n);
    net::async_write(socket, net::buffer(*line),
                     [self = shared_from_this(), line](liveness::error_code wec, std::size_t) {
                       if (!wec) self->read();
                     });
  }
};

void accept(tcp::acceptor& acceptor, const liveness::keepalive_options& opts, int& next_id) {
  liveness::async_accept_with_keepalive(
      acceptor, opts, [&acceptor, &opts, &next_id](liveness::error_code ec, tcp::socket s) {
        if (ec == net::error::operation_aborted) return;
        if (!ec) {
          auto c = std::make_shared<connection>(std::move(s), ++next_id);
          liveness::error_code rec;
          const auto report = liveness::read_keepalive(c->socket, rec);
          event("online id=" + std::to_string(c->id) + " peer=" + c->peer +
                " keepalive_bound_ms=" +
                std::to_string(report.detection_bound ? report.detection_bound->count() : 0));
          c->read();
        } else {
          event("accept_error reason=" + liveness::error_name(ec) + " message=\"" +
                ec.message() + "\"");
        }
        accept(acceptor, opts, next_id);
      });
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen;
  auto opts = liveness::keepalive_options::standard();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage(usage_text);
    const std::string value = argv[++i];
    if (arg == "--listen") {
      listen = value;
    } else if (arg == "--keepalive") {
      opts = parse_keepalive_flag(value, usage_text);
    } else {
      usage(usage_text);
    }
  }
  if (listen.empty()) usage(usage_text);
  const auto [host, port] = split_host_port(listen, usage_text);

  try {
    net::io_context io;
    tcp::resolver resolver(io);
    const tcp::endpoint ep = *resolver.resolve(host, port).begin();
    tcp::acceptor acceptor(io, ep);
    event("listening addr=" + endpoint_text(acceptor.local_endpoint()));
    int next_id = 0;
    accept(acceptor, opts, next_id);
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](liveness::error_code, int) { io.stop(); });
    io.run();
  } catch (const std::exception& e) {
    std::cerr << "echo_server: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
