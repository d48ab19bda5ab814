// What a TLS session's shared state costs (issue 16): sizeof of the session's
// implementation over a TLS stream, printed for docs/session.md and bounded so that it
// cannot grow back unnoticed. The TLS session also holds its 16 KiB read buffer (one TLS
// record; see docs/session.md, TLS) and OpenSSL's own per-connection state, which are not
// counted here.
#include <liveness/tls.hpp>

#include "asio_includes.hpp"

#include <catch2/catch.hpp>

#include <cstdio>

namespace session_tls_memory_test {

namespace lv = liveness;
using tcp = lv::net::ip::tcp;
using tls_stream = lv::net::ssl::stream<tcp::socket>;
using line_policy = lv::heartbeat::ping_pong<lv::codec::line>;

TEST_CASE("session memory: the shared state of a TLS session", "[session][memory][tls]") {
  using tls_impl = lv::detail::session_impl<tls_stream, line_policy>;
  using tcp_impl = lv::detail::session_impl<tcp::socket, line_policy>;
  std::printf("[memory] TLS ping_pong<line>: sizeof(session_impl) %zu B (the stream %zu B, "
              "the socket's session %zu B); plus its read buffer, %zu B, allocated with it\n",
              sizeof(tls_impl), sizeof(tls_stream), sizeof(tcp_impl),
              lv::detail::stream_traits<tls_stream>::read_buffer_size);
  // The same state as over a socket, with the larger stream and the read buffer's pointer
  // (g++ 12 / libstdc++ x86-64: 1024 B).
  CHECK(sizeof(tls_impl) - sizeof(tls_stream) <= sizeof(tcp_impl) - sizeof(tcp::socket) + 16);
  CHECK(sizeof(tls_impl) <= 1048);
}

}  // namespace session_tls_memory_test
