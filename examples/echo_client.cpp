// echo_client: connects, applies TCP keepalive, sends a line every interval and prints the
// echoes; reports how and why the connection ended.
//
//   echo_client --connect HOST:PORT [--keepalive IDLE:INTVL:COUNT] [--send TEXT]
//               [--every MILLISECONDS] [--count N]
//
// Events: connected peer=... keepalive_bound_ms=...  |  echo text=...
//         disconnected reason=... silent_ms=...       |  done sent=N
// Exit code: 0 after N echoes, 1 when the connection died first, 2 on bad flags.
#include "example_util.hpp"

using namespace example;

namespace {

const char* const usage_text =
    "echo_client --connect HOST:PORT [--keepalive IDLE:INTERVAL:COUNT] [--send TEXT] "
    "[--every MILLISECONDS] [--count N]";

long parse_positive(const std::string& s) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (end == s.c_str() || *end != '\0' || v <= 0) usage(usage_text);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::string connect, text = "hello";
  long every_ms = 500, count = 5;
  auto opts = liveness::keepalive_options::standard();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage(usage_text);
    const std::string value = argv[++i];
    if (arg == "--connect") {
      connect = value;
    } else if (arg == "--keepalive") {
      opts = parse_keepalive_flag(value, usage_text);
    } else if (arg == "--send") {
      text = value;
    } else if (arg == "--every") {
      every_ms = parse_positive(value);
    } else if (arg == "--count") {
      count = parse_positive(value);
    } else {
      usage(usage_text);
    }
  }
  if (connect.empty()) usage(usage_text);
  const auto [host, port] = split_host_port(connect, usage_text);

  net::io_context io;
  tcp::socket socket(io);
  liveness::error_code ec;
  net::connect(socket, tcp::resolver(io).resolve(host, port, ec), ec);
  if (ec) {
    event("disconnected reason=" + liveness::error_name(liveness::classify_transport_error(ec)) +
          " silent_ms=0");
    return 1;
  }
  // Keepalive goes on after connect completes: connect() closes the socket between attempts.
  const auto report = liveness::apply_keepalive(socket, opts, ec);
  if (ec) {
    std::cerr << "keepalive: " << ec.message() << std::endl;
    return 1;
  }
  event("connected peer=" + endpoint_text(socket.remote_endpoint(ec)) + " keepalive_bound_ms=" +
        std::to_string(report.detection_bound ? report.detection_bound->count() : 0));

  auto last_received = clock::now();
  std::string buffer;
  for (long sent = 0; sent < count; ++sent) {
    net::write(socket, net::buffer(text + "\n"), ec);
    std::size_t n = ec ? 0 : net::read_until(socket, net::dynamic_buffer(buffer), '\n', ec);
    if (ec) {
      event("disconnected reason=" +
            liveness::error_name(liveness::classify_transport_error(ec)) +
            " silent_ms=" + std::to_string(ms_since(last_received)));
      return 1;
    }
    last_received = clock::now();
    event("echo text=" + buffer.substr(0, n - 1));
    buffer.erase(0, n);
    if (sent + 1 < count) {
      net::steady_timer t(io, std::chrono::milliseconds(every_ms));
      t.wait();
    }
  }
  event("done sent=" + std::to_string(count));
  return 0;
}
