// The Windows keepalive path, cross-compiled with mingw-w64 and run under Wine in a private
// network namespace by run_wine_tests.sh (see that script for how it is driven).
//
// Checks: wine_check.hpp (PASS/FAIL lines, "N passed, M failed", exit code 0 or 1).
//
// Usage: keepalive_wine_test.exe --expect=default|win10 [--no-blackhole]
//   --expect=default  Wine's default Windows version (Wine 8: Windows 7, build 7601): the code
//                     must go straight to WSAIoctl(SIO_KEEPALIVE_VALS).
//   --expect=win10    the prefix claims Windows 10 (build >= 16299): the code must try
//                     setsockopt(TCP_KEEPIDLE...) first, which Wine 8 refuses with
//                     WSAENOPROTOOPT, and fall back to SIO_KEEPALIVE_VALS, saying so in the notes.
//   --no-blackhole    skip section 2 (no script needed).
//   Blackhole handshake (the files live in the current directory): while reads are pending,
//   the program writes its listening port to "blackhole.port"; the script then drops that
//   port's TCP packets both ways with nftables (Wine's sockets are Linux sockets of
//   wineserver's network namespace) and creates "blackhole.ready".
//
// First include: the header under test (proves it is self-contained on Windows too).
#include <liveness/keepalive.hpp>
#include <liveness/error.hpp>

#include "wine_check.hpp"

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/asio.hpp>
namespace asio = boost::asio;
#define ASIO_VERSION BOOST_ASIO_VERSION
#else
#include <asio.hpp>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using tcp = asio::ip::tcp;

using wine_check::describe;
using wine_check::info;
using wine_check::report_check;

bool any_note_contains(const liveness::keepalive_report& r, const std::string& text) {
  for (const auto& n : r.notes)
    if (n.find(text) != std::string::npos) return true;
  return false;
}

void print_report(const char* title, const liveness::keepalive_report& r) {
  std::printf("---- %s ----\n%s\n----\n", title, r.to_string().c_str());
  std::fflush(stdout);
}

struct connected_pair {
  explicit connected_pair(asio::io_context& io)
      : acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)), client(io), server(io) {
    client.connect(acceptor.local_endpoint());
    server = acceptor.accept();
  }
  tcp::acceptor acceptor;
  tcp::socket client;
  tcp::socket server;
};

// keepalive_options::user_timeout in milliseconds, -1 for "derive" (whether the member is a
// duration with a -1 sentinel or an optional<duration>).
[[maybe_unused]] long long user_timeout_ms(std::chrono::milliseconds d) { return d.count(); }
[[maybe_unused]] long long user_timeout_ms(const std::optional<std::chrono::milliseconds>& d) {
  return d ? d->count() : -1;
}

bool file_exists(const char* name) { return std::ifstream(name).good(); }

// ---- 1. apply_keepalive: which mechanism runs under this Windows version ------------------

void test_apply(asio::io_context& io, connected_pair& pair, bool expect_win10) {
  std::printf("== 1. apply_keepalive on a connected loopback socket ==\n");
  const unsigned long build = liveness::detail::windows_build_number();
  info("RtlGetVersion build number: " + std::to_string(build));
  if (expect_win10)
    CHECK(build >= liveness::detail::win_build_keepidle);
  else
    CHECK(build != 0 && build < liveness::detail::win_build_keepidle);

  const liveness::keepalive_options options{true, 1000ms, 1000ms, 2,
                                            liveness::keepalive_options::derive_user_timeout};
  liveness::error_code ec;
  const auto r = liveness::apply_keepalive(pair.client, options, ec);
  print_report("keepalive_report {true, 1000ms, 1000ms, 2, derive}", r);
  CHECK_EC(ec, liveness::error_code());
  // Wine refuses every IPPROTO_TCP keepalive option (WSAENOPROTOOPT), so whatever the claimed
  // version, the ioctl is what configures the socket.
  CHECK(r.mechanism == liveness::keepalive_mechanism::sio_keepalive_vals);
  CHECK(r.enabled);
  CHECK_EQ(r.idle.value.count(), 1000);
  CHECK(r.idle.source == liveness::value_source::requested);
  CHECK_EQ(r.interval.value.count(), 1000);
  CHECK(r.interval.source == liveness::value_source::requested);
  CHECK_EQ(r.probes.value, 10);
  CHECK(r.probes.source == liveness::value_source::platform_fixed);
  CHECK(r.detection_bound.has_value() && r.detection_bound->count() == 11000);
  CHECK(any_note_contains(r, "probe count is fixed at 10"));
  CHECK(any_note_contains(r, "2 were asked"));
  CHECK(any_note_contains(r, "cannot be read back"));
  CHECK(any_note_contains(r, "running under Wine"));
  if (expect_win10) {
    // The setsockopt path was tried, refused, and the fallback said so.
    CHECK(any_note_contains(r, "refused setsockopt("));
    CHECK(any_note_contains(r, "fell back to SIO_KEEPALIVE_VALS"));
    CHECK(any_note_contains(r, std::to_string(WSAENOPROTOOPT)));
  } else {
    // Straight to the ioctl: nothing was refused.
    CHECK(!any_note_contains(r, "refused setsockopt("));
  }
  // Wine 8 has no TCP_MAXRT either: the user timeout is reported unsupported, not invented.
  if (r.user_timeout.source == liveness::value_source::unsupported)
    CHECK(any_note_contains(r, "refused TCP_MAXRT"));
  else
    CHECK(r.user_timeout.source == liveness::value_source::requested &&
          r.user_timeout.value.count() == 11000);

  liveness::error_code rec;
  const auto back = liveness::read_keepalive(pair.client, rec);
  print_report("read_keepalive afterwards (SIO_KEEPALIVE_VALS cannot be read back)", back);
  CHECK_EC(rec, liveness::error_code());
  CHECK(back.enabled);
  CHECK(!back.idle.known() || back.idle.source == liveness::value_source::kernel);
  // Wine cannot read TCP_KEEPIDLE back: the mechanism is not guessed.
  if (!back.idle.known()) {
    CHECK(back.mechanism == liveness::keepalive_mechanism::unknown);
    CHECK(any_note_contains(back, "cannot report its timing"));
  }

  // Sub-second times are legal on Windows (the ioctl takes milliseconds).
  connected_pair other(io);
  liveness::error_code sec;
  const auto sub = liveness::apply_keepalive(
      other.client, liveness::keepalive_options{true, 500ms, 250ms, 3,
                                                liveness::keepalive_options::no_user_timeout},
      sec);
  print_report("keepalive_report {true, 500ms, 250ms, 3, none}", sub);
  CHECK_EC(sec, liveness::error_code());
  CHECK(sub.mechanism == liveness::keepalive_mechanism::sio_keepalive_vals);
  CHECK_EQ(sub.idle.value.count(), 500);
  CHECK_EQ(sub.interval.value.count(), 250);
}

// ---- 2. blackhole: a silent peer is found by keepalive ------------------------------------
//
// Two keepalive connections to the same listening port, so that one nftables rule on that
// port silences both: an asynchronous read (Asio's overlapped WSARecv on an I/O completion
// port) on the first and a blocking read on the second, in a thread. Both must end by
// keepalive, and both errors must classify as keepalive_timeout. Under Wine 8 the two paths
// report different codes for the same Linux ETIMEDOUT: the overlapped read completes with
// STATUS_IO_TIMEOUT, which the completion port turns into ERROR_SEM_TIMEOUT (121); the
// blocking recv() returns WSAETIMEDOUT (10060).

struct read_result {
  liveness::error_code ec;
  std::size_t bytes = 0;
  clock_type::time_point end{};
};

bool is_windows_keepalive_code(const liveness::error_code& ec) {
  if (ec.category() != asio::error::get_system_category()) return false;
  switch (ec.value()) {
    case WSAETIMEDOUT:     // 10060
    case WSAENETRESET:     // 10052
    case WSAECONNABORTED:  // 10053
    case 121:              // ERROR_SEM_TIMEOUT
    case 64:               // ERROR_NETNAME_DELETED (Asio turns it into WSAECONNRESET on reads)
      return true;
    default:
      return false;
  }
}

void check_dead_by_keepalive(const char* what, const read_result& r,
                             clock_type::time_point read_start, clock_type::time_point drop_seen) {
  const auto ms = [](clock_type::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d);
  };
  const auto idle = 1000ms, interval = 1000ms;  // as applied
  info(std::string(what) + ": read completed with error " + describe(r.ec) + " -> " +
       describe(liveness::classify_transport_error(r.ec)));
  info(std::string(what) + ": elapsed since the read started " +
       std::to_string(ms(r.end - read_start).count()) + " ms, since the drop rule " +
       std::to_string(ms(r.end - drop_seen).count()) + " ms");
  CHECK_EQ(r.bytes, 0u);
  CHECK(is_windows_keepalive_code(r.ec));
  CHECK_EC(liveness::classify_transport_error(r.ec),
           liveness::make_error_code(liveness::error::keepalive_timeout));
  CHECK(r.ec == liveness::condition::peer_dead);

  // The bound, honestly. Real Windows sends the fixed 10 probes of SIO_KEEPALIVE_VALS: a
  // silent peer is declared dead about idle + 10 x interval after the last answered probe.
  // Wine 8 implements SIO_KEEPALIVE_VALS by setting SO_KEEPALIVE, TCP_KEEPIDLE and
  // TCP_KEEPINTVL (rounded to whole seconds) on its Linux host socket and leaves TCP_KEEPCNT
  // alone, so the namespace's net.ipv4.tcp_keepalive_probes (default 9) is the probe count:
  // measured here 10.1-10.3 s after the drop (the first unanswered probe goes out within
  // `idle` of the rule, 9 probes `interval` apart, then Linux gives up one interval after the
  // last). idle + 10 x interval + 2 s of scheduling slack covers both.
  const auto elapsed = ms(r.end - drop_seen);
  const auto upper = idle + 10 * interval + 2000ms;
  // And it must really be keepalive: an immediate error (a reset, a local abort) is not.
  const auto lower = idle + interval;
  CHECK(elapsed <= upper);
  CHECK(elapsed >= lower);
  info(std::string(what) + ": bound checked: " + std::to_string(lower.count()) +
       " ms <= elapsed <= " + std::to_string(upper.count()) + " ms");
}

void test_blackhole(asio::io_context& io, connected_pair& pair) {
  std::printf("== 2. blackholed peer while reads are pending ==\n");
  const liveness::keepalive_options options{true, 1000ms, 1000ms, 2,
                                            liveness::keepalive_options::derive_user_timeout};

  // The second connection, for the blocking read (same listening port, same rule).
  tcp::socket sync_client(io);
  sync_client.connect(pair.acceptor.local_endpoint());
  tcp::socket sync_server = pair.acceptor.accept();
  liveness::error_code aec;
  liveness::apply_keepalive(sync_client, options, aec);
  CHECK_EC(aec, liveness::error_code());
  // A last resort if keepalive never fires: the blocking read gives up after 45 s (and then
  // fails the bound check).
  const DWORD rcvtimeo = 45000;
  CHECK(::setsockopt(sync_client.native_handle(), SOL_SOCKET, SO_RCVTIMEO,
                     reinterpret_cast<const char*>(&rcvtimeo), sizeof(rcvtimeo)) == 0);

  std::remove("blackhole.ready");
  {
    std::ofstream tmp("blackhole.port.tmp");
    tmp << pair.acceptor.local_endpoint().port() << "\n";
  }
  std::remove("blackhole.port");
  if (std::rename("blackhole.port.tmp", "blackhole.port") != 0) {
    CHECK(!"could not write blackhole.port");
    return;
  }
  info("blackhole.port written: " + std::to_string(pair.acceptor.local_endpoint().port()));

  const auto read_start = clock_type::now();
  std::promise<read_result> sync_promise;
  auto sync_future = sync_promise.get_future();
  std::thread([&sync_client, p = std::move(sync_promise)]() mutable {
    char b[64];
    read_result r;
    r.bytes = sync_client.read_some(asio::buffer(b), r.ec);
    r.end = clock_type::now();
    p.set_value(r);
  }).detach();

  char buffer[64];
  bool read_done = false;
  read_result async_result;
  clock_type::time_point drop_seen{};
  asio::steady_timer guard(io), poll(io);
  pair.client.async_read_some(asio::buffer(buffer),
                              [&](const liveness::error_code& ec, std::size_t n) {
                                read_done = true;
                                async_result = {ec, n, clock_type::now()};
                                guard.cancel();
                                poll.cancel();
                              });

  // The guard: the script must answer within 30 s and keepalive must end the read within
  // 40 s after that; otherwise the read is cancelled and the checks below fail.
  bool guard_fired = false;
  guard.expires_after(std::chrono::seconds(70));
  guard.async_wait([&](const liveness::error_code& ec) {
    if (ec) return;
    guard_fired = true;
    liveness::error_code ignored;
    pair.client.cancel(ignored);
    poll.cancel();
  });

  // Poll for the script's "rule is in place" file; the clock starts when it is seen.
  const auto poll_deadline = read_start + std::chrono::seconds(30);
  std::function<void(const liveness::error_code&)> on_poll = [&](const liveness::error_code& ec) {
    if (ec || read_done) return;
    if (file_exists("blackhole.ready")) {
      drop_seen = clock_type::now();
      info("blackhole.ready seen: traffic on the port is dropped from now on");
      return;
    }
    if (clock_type::now() > poll_deadline) {
      info("the script did not create blackhole.ready within 30 s");
      liveness::error_code ignored;
      pair.client.cancel(ignored);
      return;
    }
    poll.expires_after(20ms);
    poll.async_wait(on_poll);
  };
  poll.expires_after(0ms);
  poll.async_wait(on_poll);

  io.restart();
  io.run();

  CHECK(read_done);
  CHECK(!guard_fired);
  const bool dropped = drop_seen != clock_type::time_point{};
  CHECK(dropped);
  CHECK(!read_done || !dropped || async_result.end >= drop_seen);
  if (read_done && dropped)
    check_dead_by_keepalive("async read (IOCP)", async_result, read_start, drop_seen);

  // The blocking read shares the rule; allow it a little longer than the async one.
  const bool sync_done = sync_future.wait_for(std::chrono::seconds(20)) ==
                         std::future_status::ready;
  CHECK(sync_done);
  if (!sync_done) {
    std::printf("the blocking read is still pending; %d passed, %d failed\n", wine_check::passed,
                wine_check::failed);
    std::fflush(stdout);
    std::_Exit(1);  // the thread is stuck in recv(): leave without joining it
  }
  const auto sync_result = sync_future.get();
  if (dropped) check_dead_by_keepalive("blocking read", sync_result, read_start, drop_seen);
}

// ---- 3. validation against the Windows limits ---------------------------------------------

void test_validation() {
  std::printf("== 3. keepalive_options::parse / validate on Windows ==\n");
  using liveness::error;
  using liveness::keepalive_options;
  liveness::error_code ec;

  auto o = keepalive_options::parse("1:1:256", ec);
  CHECK_EC(ec, error::keepalive_probes_out_of_range);
  CHECK(ec.message().find("Windows accepts 1 to 255") != std::string::npos);
  info("probes 256: " + ec.message());

  o = keepalive_options::parse("1:1:255", ec);  // Linux stops at 127; Windows takes 255
  CHECK_EC(ec, liveness::error_code());
  CHECK_EQ(o.probes, 255);

  o = keepalive_options::parse("1:1:0", ec);
  CHECK_EC(ec, error::keepalive_probes_out_of_range);

  o = keepalive_options::parse("0:1:3", ec);
  CHECK_EC(ec, error::keepalive_zero_time);
  o = keepalive_options::parse("1s:0ms:3", ec);
  CHECK_EC(ec, error::keepalive_zero_time);

  o = keepalive_options::parse("500ms:250ms:3", ec);  // sub-second: fine on Windows
  CHECK_EC(ec, liveness::error_code());
  CHECK_EQ(o.idle.count(), 500);
  CHECK_EQ(o.interval.count(), 250);

  o = keepalive_options::parse("1ms:1ms:1", ec);  // the smallest Windows takes
  CHECK_EC(ec, liveness::error_code());

  o = keepalive_options::parse("30s:5s:3:1500ms", ec);  // TCP_MAXRT: seconds, 1.5 s -> 2 s
  CHECK_EC(ec, liveness::error_code());
  CHECK_EQ(user_timeout_ms(o.user_timeout), 1500);

  o = keepalive_options::parse("30:5", ec);
  CHECK_EC(ec, error::invalid_keepalive_spec);

  CHECK_EC((keepalive_options{true, 0ms, 1000ms, 3, keepalive_options::derive_user_timeout}
                .validate()),
           error::keepalive_zero_time);
  CHECK_EC((keepalive_options{true, 1000ms, 1000ms, 256, keepalive_options::derive_user_timeout}
                .validate()),
           error::keepalive_probes_out_of_range);
  CHECK_EC((keepalive_options{true, 1ms, 1ms, 1, keepalive_options::derive_user_timeout}
                .validate()),
           liveness::error_code());
}

// ---- 4. classify_transport_error on Windows codes -----------------------------------------

void test_classify() {
  std::printf("== 4. classify_transport_error on Windows error codes ==\n");
  using liveness::classify_transport_error;
  const auto timeout = liveness::make_error_code(liveness::error::keepalive_timeout);
  const auto& sys = asio::error::get_system_category();
  CHECK_EC(classify_transport_error({10060, sys}), timeout);  // WSAETIMEDOUT
  CHECK_EC(classify_transport_error({10052, sys}), timeout);  // WSAENETRESET
  CHECK_EC(classify_transport_error({10053, sys}), timeout);  // WSAECONNABORTED
  CHECK_EC(classify_transport_error({121, sys}), timeout);    // ERROR_SEM_TIMEOUT (IOCP)
  CHECK_EC(classify_transport_error({64, sys}), timeout);     // ERROR_NETNAME_DELETED (IOCP)
  CHECK_EC(classify_transport_error({10054, sys}),            // WSAECONNRESET
           liveness::make_error_code(liveness::error::peer_reset));
  CHECK_EC(classify_transport_error(asio::error::timed_out), timeout);
  CHECK_EC(classify_transport_error(asio::error::eof),
           liveness::make_error_code(liveness::error::peer_closed));
  CHECK_EC(classify_transport_error(asio::error::operation_aborted),
           liveness::error_code(asio::error::operation_aborted));
  CHECK(liveness::error_code(10060, sys) == liveness::condition::peer_dead);
  CHECK(liveness::error_code(10054, sys) == liveness::condition::peer_dead);
}

}  // namespace

int main(int argc, char** argv) {
  bool expect_win10 = false, blackhole = true, mode_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--expect=default") {
      mode_given = true;
    } else if (a == "--expect=win10") {
      expect_win10 = mode_given = true;
    } else if (a == "--no-blackhole") {
      blackhole = false;
    } else {
      std::printf("unknown argument: %s\n", a.c_str());
      return 1;
    }
  }
  if (!mode_given) {
    std::printf("usage: keepalive_wine_test.exe --expect=default|win10 [--no-blackhole]\n");
    return 1;
  }
  std::printf("keepalive_wine_test (%s): liveness %s, Asio %d\n",
              expect_win10 ? "win10" : "default", LIVENESS_VERSION_STRING, ASIO_VERSION);
  std::printf("backend: %s\n", liveness::uses_boost_asio ? "Boost.Asio" : "standalone Asio");

  try {
    asio::io_context io;
    connected_pair pair(io);
    test_apply(io, pair, expect_win10);
    if (blackhole) test_blackhole(io, pair);
  } catch (const std::exception& e) {
    report_check(false, "no exception", __FILE__, __LINE__, e.what());
  }
  test_validation();
  test_classify();

  return wine_check::result();
}
