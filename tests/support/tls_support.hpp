// Shared by the TLS tests (tests/unit/session_tls_test.cpp, tests/netns/tls_netns_test.cpp):
// a self-signed certificate made at test time (`openssl req`, into a temporary directory
// removed at exit: no key is checked in), the two TLS contexts, and a TCP pair on loopback
// with the TLS handshake done, as a user does it before constructing a session.
#ifndef LIVENESS_TESTS_SUPPORT_TLS_SUPPORT_HPP
#define LIVENESS_TESTS_SUPPORT_TLS_SUPPORT_HPP

#include <liveness/tls.hpp>

#include "loopback.hpp"

#include <stdlib.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>

namespace liveness_test {

using tls_stream = liveness::net::ssl::stream<liveness::net::ip::tcp::socket>;

/// A certificate for CN=localhost and its key, made once per process with the `openssl`
/// command line tool (Debian `openssl`), valid for a day, in a directory removed at exit.
class test_certificate {
 public:
  static const test_certificate& get() {
    static const test_certificate c;
    return c;
  }
  const std::string& cert() const noexcept { return cert_; }
  const std::string& key() const noexcept { return key_; }

  test_certificate(const test_certificate&) = delete;
  test_certificate& operator=(const test_certificate&) = delete;
  ~test_certificate() {
    const int ignored = std::system(("rm -rf '" + dir_ + "'").c_str());
    (void)ignored;
  }

 private:
  test_certificate() {
    char tmpl[] = "/tmp/liveness_tls_XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    cert_ = dir_ + "/cert.pem";
    key_ = dir_ + "/key.pem";
    const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
                                "-subj /CN=localhost -keyout '" +
                                key_ + "' -out '" + cert_ + "' >/dev/null 2>&1";
    std::fflush(nullptr);
    const int status = std::system(command.c_str());
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw std::runtime_error("could not make a test certificate (is `openssl` installed?): " +
                               command);
  }

  std::string dir_, cert_, key_;
};

/// The server's context (the test certificate) and the client's (verifies it: the
/// certificate is its own CA).
struct tls_contexts {
  liveness::net::ssl::context server{liveness::net::ssl::context::tls_server};
  liveness::net::ssl::context client{liveness::net::ssl::context::tls_client};

  tls_contexts() {
    const auto& c = test_certificate::get();
    server.use_certificate_chain_file(c.cert());
    server.use_private_key_file(c.key(), liveness::net::ssl::context::pem);
    client.load_verify_file(c.cert());
    client.set_verify_mode(liveness::net::ssl::verify_peer);
  }
};

struct tls_pair {
  tls_stream client;
  tls_stream server;
  std::uint16_t client_port = 0;
  std::uint16_t server_port = 0;
};

/// A loopback TCP pair with the TLS handshake done at both ends (run on `io`, bounded);
/// throws std::runtime_error when a handshake fails or does not finish in 5 s.
inline tls_pair tls_connected(liveness::net::io_context& io, tls_contexts& ctx) {
  namespace net = liveness::net;
  auto p = connected(io);
  tls_pair t{tls_stream(std::move(p.client), ctx.client),
             tls_stream(std::move(p.server), ctx.server), p.client_port, p.server_port};
  liveness::error_code client_ec, server_ec;
  int done = 0;
  t.client.async_handshake(net::ssl::stream_base::client, [&](liveness::error_code ec) {
    client_ec = ec;
    ++done;
  });
  t.server.async_handshake(net::ssl::stream_base::server, [&](liveness::error_code ec) {
    server_ec = ec;
    ++done;
  });
  if (!run_until(io, [&] { return done == 2; }, std::chrono::seconds(5)))
    throw std::runtime_error("TLS handshake did not finish in 5 s");
  if (client_ec || server_ec)
    throw std::runtime_error("TLS handshake failed: client " + client_ec.message() +
                             ", server " + server_ec.message());
  return t;
}

}  // namespace liveness_test

#endif  // LIVENESS_TESTS_SUPPORT_TLS_SUPPORT_HPP
