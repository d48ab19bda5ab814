//
// examples/liveness_demo.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// liveness_demo: plays the classic dead-peer failures against real sockets on this machine
// and prints a table: the scenario, what detected it (TCP, keepalive or the heartbeat),
// the budget, when it was detected, the reason and the verdict of `session::diagnosis()`
// (docs/diagnosis.md): the row is ok only when the verdict matches the scenario too. Exit code 0 when every scenario is
// inside its budget, 1 otherwise, 2 on bad flags.
//
//   liveness_demo [--only NAME[,NAME...]] [--list]
//
// The peers are this program itself, started again as child processes (`--peer ...`,
// `--clients ...`, `--cable`), so that they can be killed (SIGKILL), hung (SIGSTOP) or
// cut off (a private network namespace whose nftables drop the port; root only).
// Linux only (fork, signals, network namespaces).
//
#include "example_util.hpp"

#include <liveness/reconnect.hpp>
#include <liveness/registry.hpp>

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <iomanip>
#include <list>
#include <memory>
#include <sstream>
#include <vector>

using namespace example;
using namespace std::chrono_literals;

namespace {

/// A copy of `o` for end `r` of the connection.
template <class Options>
Options with_role(Options o, liveness::role r) {
  o.role = r;
  return o;
}


const char* const usage_text = "liveness_demo [--only NAME[,NAME...]] [--list]";

// ---- the budgets ------------------------------------------------------------------------

// Keepalive 1s:1s:2 with the derived user timeout: a silent peer is dropped after 3 s.
constexpr const char* keepalive_spec = "1s:1s:2";
constexpr ms keepalive_bound = 3000ms;
// Heartbeat: ping after 300 ms of silence, dead 500 ms later.
constexpr ms hb_interval = 300ms;
constexpr ms hb_timeout = 500ms;
constexpr ms hb_bound = hb_interval + hb_timeout;
// A FIN or RST arrives at once; 1 s covers a loaded machine.
constexpr ms tcp_budget = 1000ms;
// Late timers on a loaded 2-core machine (other builds running): added to every bound.
constexpr ms slack = 1000ms;
// The registry scenario: clients ping after 1 s of silence, the server drops a client
// that was silent for 3 s (1 s + 2 s), like the seed articles' "scan every second, offline
// after 3 s".
constexpr ms fleet_interval = 1000ms;
constexpr ms fleet_timeout = 2000ms;
constexpr int fleet_size = 100;
constexpr int fleet_silent = 10;

std::string self_exe;

liveness::keepalive_options demo_keepalive() {
  return liveness::keepalive_options::parse(keepalive_spec);
}

liveness::session_options<none_policy> keepalive_only_options() {
  liveness::session_options<none_policy> o;
  o.keepalive = demo_keepalive();
  return o;
}

liveness::session_options<line_policy> heartbeat_options() {
  liveness::session_options<line_policy> o;
  o.keepalive = demo_keepalive();
  o.heartbeat.interval = hb_interval;
  o.heartbeat.timeout = hb_timeout;
  o.heartbeat.pinger = liveness::ping_role::client;
  return o;
}

using keepalive_session = liveness::session<tcp::socket, none_policy>;
using heartbeat_session = liveness::session<tcp::socket, line_policy>;

std::string seconds_text(ms d) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(2) << static_cast<double>(d.count()) / 1000.0 << " s";
  return s.str();
}

// ---- child processes --------------------------------------------------------------------

/// A child process running this program with other arguments; its stdout is a pipe we read
/// lines from. Killed (SIGKILL) and reaped when destroyed; it also dies with us
/// (PR_SET_PDEATHSIG).
class child_process {
 public:
  explicit child_process(const std::vector<std::string>& args) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    std::vector<std::string> storage;
    storage.push_back(self_exe);
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::cout.flush();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(fds[1], 1);
      // Our sockets must not live on in the child (a killed peer must really close them).
      const long max_fd = std::min(::sysconf(_SC_OPEN_MAX), 65536L);
      for (int fd = 3; fd < max_fd; ++fd) ::close(fd);
      ::execv(self_exe.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    pid_ = pid;
    fd_ = fds[0];
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process() { kill_and_reap(); }

  pid_t pid() const noexcept { return pid_; }

  /// The next line the child prints, or empty after `timeout` or at its end of output.
  std::optional<std::string> read_line(ms timeout) {
    const auto deadline = clock::now() + timeout;
    for (;;) {
      const auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = to_ms(deadline - clock::now());
      if (left <= 0 || fd_ < 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(left));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return std::nullopt;
      char chunk[512];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  void signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }

  /// Waits up to `timeout` for the child to exit by itself (then reaps it). True if it did.
  bool wait_exit(ms timeout) {
    const auto deadline = clock::now() + timeout;
    while (pid_ > 0) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return true;
      }
      if (clock::now() >= deadline) return false;
      ::usleep(10000);
    }
    return true;
  }

  void kill_and_reap() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buffer_;
};

/// Starts `--peer MODE PORT` and returns it with the port it listens on.
std::pair<std::unique_ptr<child_process>, unsigned short> start_peer(const std::string& mode,
                                                                     unsigned short port = 0) {
  auto child = std::make_unique<child_process>(
      std::vector<std::string>{"--peer", mode, std::to_string(port)});
  const auto line = child->read_line(10s);
  if (!line || line->rfind("port ", 0) != 0) {
    throw std::runtime_error("the peer process did not start");
  }
  return {std::move(child), static_cast<unsigned short>(std::stoi(line->substr(5)))};
}

// ---- running the io_context ---------------------------------------------------------------

/// Runs `io` until `done()` or `deadline`. Returns `done()`.
template <class Pred>
bool run_until(net::io_context& io, Pred done, clock::time_point deadline) {
  auto guard = net::make_work_guard(io);
  while (!done()) {
    if (clock::now() >= deadline) return false;
    io.restart();
    io.run_for(10ms);
  }
  return true;
}

/// When and why a session's peer was declared dead, and the library's verdict.
struct death {
  std::optional<clock::time_point> at;
  liveness::error_code reason;
  liveness::verdict verdict = liveness::verdict::unknown;
};

template <class Session>
std::shared_ptr<death> watch(Session& s) {
  auto d = std::make_shared<death>();
  s.async_wait_dead([d, &s](liveness::error_code why) {
    if (why == net::error::operation_aborted) return;
    d->at = clock::now();
    d->reason = why;
    d->verdict = s.diagnosis().verdict;
  });
  return d;
}

template <class Session>
Session connect_session(net::io_context& io, unsigned short port,
                        const typename Session::options_type& options) {
  tcp::socket socket(io);
  socket.connect({net::ip::make_address("127.0.0.1"), port});
  return Session(std::move(socket), with_role(options, liveness::role::client));
}

/// Sends a line and waits for its echo: proves that the peer accepted and answers.
template <class Session>
bool roundtrip(net::io_context& io, Session& s, ms limit = 5s) {
  struct state {
    std::string in;
    bool done = false;
    liveness::error_code ec;
  };
  auto st = std::make_shared<state>();
  static const std::string hello = "HELLO\n";
  net::async_write(s, net::buffer(hello), [](liveness::error_code, std::size_t) {});
  net::async_read_until(s, net::dynamic_buffer(st->in), '\n',
                        [st](liveness::error_code ec, std::size_t) {
                          st->done = true;
                          st->ec = ec;
                        });
  run_until(io, [&] { return st->done; }, clock::now() + limit);
  return st->done && !st->ec;
}

std::string detector_of(const liveness::error_code& reason) {
  using liveness::error;
  if (reason == error::heartbeat_timeout || reason == error::idle_timeout) return "heartbeat";
  if (reason == error::keepalive_timeout) return "keepalive";
  if (reason == error::peer_closed || reason == error::peer_reset) return "TCP";
  return "?";
}

// ---- the table ----------------------------------------------------------------------------

struct row {
  std::string scenario;
  std::string watch;        // how the connection is watched
  std::string detected_by;  // TCP / keepalive / heartbeat / reconnect / -
  std::string budget;
  std::string after;
  std::string reason;
  std::string result;  // ok / MISSED / skipped
  std::string verdict = "-";  // session::diagnosis().verdict (printed after the reason)
};

/// A row for a detection that must happen within `budget` from `t0`, with the reason one of
/// `expected` and the verdict `expected_verdict`.
row detection_row(std::string scenario, std::string watch_text, const death& d,
                  clock::time_point t0, ms budget, std::vector<liveness::error> expected,
                  liveness::verdict expected_verdict) {
  row r{std::move(scenario), std::move(watch_text), "-", seconds_text(budget), "", "",
        ""};
  if (!d.at) {
    r.after = "not detected";
    r.reason = "-";
    r.result = "MISSED";
    return r;
  }
  const ms after = std::chrono::duration_cast<ms>(*d.at - t0);
  r.detected_by = detector_of(d.reason);
  r.after = seconds_text(after);
  r.reason = liveness::error_name(d.reason);
  r.verdict = liveness::to_string(d.verdict);
  bool expected_reason = false;
  for (auto e : expected) expected_reason = expected_reason || d.reason == e;
  r.result =
      (after <= budget && expected_reason && d.verdict == expected_verdict) ? "ok" : "MISSED";
  return r;
}

void print_table(const std::vector<row>& rows) {
  const std::vector<std::string> head = {"scenario",       "watched by", "detected by",
                                         "budget",         "detected after", "reason",
                                         "verdict",        "result"};
  std::vector<std::size_t> w(head.size());
  auto cells = [](const row& r) {
    return std::vector<std::string>{r.scenario, r.watch,  r.detected_by, r.budget,
                                    r.after,    r.reason, r.verdict,     r.result};
  };
  for (std::size_t i = 0; i < head.size(); ++i) w[i] = head[i].size();
  for (const auto& r : rows) {
    const auto c = cells(r);
    for (std::size_t i = 0; i < c.size(); ++i) w[i] = std::max(w[i], c[i].size());
  }
  auto line = [&](const std::vector<std::string>& c) {
    std::string s;
    for (std::size_t i = 0; i < c.size(); ++i) {
      s += c[i];
      if (i + 1 < c.size()) s += std::string(w[i] - c[i].size() + 2, ' ');
    }
    std::cout << s << "\n";
  };
  line(head);
  std::vector<std::string> rule;
  for (auto n : w) rule.push_back(std::string(n, '-'));
  line(rule);
  for (const auto& r : rows) line(cells(r));
  std::cout.flush();
}

// ---- the scenarios ------------------------------------------------------------------------

const std::string ka_text = "keepalive";
const std::string hb_text = "heartbeat";

std::vector<row> scenario_crash() {
  net::io_context io;
  auto [peer, port] = start_peer("answer");
  auto s = connect_session<keepalive_session>(io, port, keepalive_only_options());
  if (!roundtrip(io, s)) throw std::runtime_error("crash: the peer does not answer");
  auto d = watch(s);
  const auto t0 = clock::now();
  peer->signal(SIGKILL);
  run_until(io, [&] { return d->at.has_value(); }, t0 + tcp_budget + 2s);
  return {detection_row("peer crashed (SIGKILL)", ka_text, *d, t0, tcp_budget,
                        {liveness::error::peer_closed, liveness::error::peer_reset},
                        liveness::verdict::peer_closed_or_reset)};
}

std::vector<row> scenario_hung() {
  net::io_context io;
  auto [peer, port] = start_peer("answer");
  auto ka = connect_session<keepalive_session>(io, port, keepalive_only_options());
  auto hb = connect_session<heartbeat_session>(io, port, heartbeat_options());
  if (!roundtrip(io, ka) || !roundtrip(io, hb)) {
    throw std::runtime_error("hung: the peer does not answer");
  }
  auto dka = watch(ka);
  auto dhb = watch(hb);
  const auto t0 = clock::now();
  peer->signal(SIGSTOP);
  // Watch the keepalive-only connection for longer than its bound: it must stay "alive".
  const ms window = keepalive_bound + 1000ms;
  run_until(io, [] { return false; }, t0 + window);
  std::vector<row> rows;
  row r{"peer hung (SIGSTOP)", ka_text, "-", "none possible", "", "", ""};
  if (dka->at) {
    r.after = seconds_text(std::chrono::duration_cast<ms>(*dka->at - t0));
    r.detected_by = detector_of(dka->reason);
    r.reason = liveness::error_name(dka->reason);
    r.result = "MISSED";  // keepalive cannot see a hung process: something else happened
  } else {
    r.after = "not in " + seconds_text(window);
    r.reason = "- (probes ACKed)";
    r.verdict = std::string("- (") + ka.diagnosis().note + ")";
    r.result = "ok";
  }
  rows.push_back(r);
  rows.push_back(detection_row("peer hung (SIGSTOP)", ka_text + "+" + hb_text, *dhb,
                               t0, hb_bound + slack, {liveness::error::heartbeat_timeout},
                               liveness::verdict::peer_unresponsive));
  peer->signal(SIGKILL);
  return rows;
}

std::vector<row> scenario_graceful() {
  net::io_context io;
  auto [peer, port] = start_peer("answer");
  auto s = connect_session<keepalive_session>(io, port, keepalive_only_options());
  if (!roundtrip(io, s)) throw std::runtime_error("graceful: the peer does not answer");
  auto d = watch(s);
  static const std::string bye = "BYE\n";  // the peer closes its socket on this line
  const auto t0 = clock::now();
  net::async_write(s, net::buffer(bye), [](liveness::error_code, std::size_t) {});
  run_until(io, [&] { return d->at.has_value(); }, t0 + tcp_budget + 2s);
  return {detection_row("peer closed gracefully", ka_text, *d, t0, tcp_budget,
                        {liveness::error::peer_closed}, liveness::verdict::peer_closed_or_reset)};
}

std::vector<row> scenario_bulk() {
  net::io_context io;
  auto [peer, port] = start_peer("slow");
  auto s = connect_session<heartbeat_session>(io, port, heartbeat_options());
  if (!roundtrip(io, s)) throw std::runtime_error("bulk: the peer does not answer");
  auto d = watch(s);
  // 12 MiB of 1 KiB lines to a peer that reads about 3 MB/s: our pings wait behind our
  // own data in its buffers, so its pongs come late, but its reading is proof of life.
  constexpr std::size_t line_size = 1024;
  constexpr std::size_t total = 12u << 20;
  auto data = std::make_shared<std::string>();
  data->reserve(total);
  while (data->size() < total) {
    data->append(line_size - 1, 'x');
    data->push_back('\n');
  }
  bool written = false;
  liveness::error_code wec;
  const auto t0 = clock::now();
  clock::time_point t_written{};
  net::async_write(s, net::buffer(*data), [&, data](liveness::error_code ec, std::size_t) {
    written = true;
    wec = ec;
    t_written = clock::now();
  });
  const ms limit = 15s;
  run_until(io, [&] { return written || d->at.has_value(); }, t0 + limit);
  // Then the link goes idle: the heartbeat must keep it alive.
  if (written && !d->at) run_until(io, [&] { return d->at.has_value(); }, clock::now() + 1s);
  row r{"peer busy: bulk transfer", ka_text + "+" + hb_text, "-", "no alarm", "", "", ""};
  if (d->at) {
    r.detected_by = detector_of(d->reason);
    r.after = "false alarm at " + seconds_text(std::chrono::duration_cast<ms>(*d->at - t0));
    r.reason = liveness::error_name(d->reason);
    r.result = "MISSED";
  } else if (!written) {
    r.after = "none (unfinished in " + seconds_text(limit) + ")";
    r.reason = wec ? reason_text(wec) : "-";
    r.result = "ok";  // slow machine; still no false alarm
  } else {
    r.after = "none (12 MiB in " +
              seconds_text(std::chrono::duration_cast<ms>(t_written - t0)) + ")";
    r.reason = "- (alive)";
    r.result = "ok";
  }
  s.close();
  io.restart();
  io.poll();
  return {r};
}

std::vector<row> scenario_stall() {
  net::io_context io;
  auto [peer, port] = start_peer("stall");
  auto ka = connect_session<keepalive_session>(io, port, keepalive_only_options());
  auto hb = connect_session<heartbeat_session>(io, port, heartbeat_options());
  if (!roundtrip(io, ka) || !roundtrip(io, hb)) {
    throw std::runtime_error("stall: the peer does not answer");
  }
  auto dka = watch(ka);
  auto dhb = watch(hb);
  // Both connections write 1 KiB lines without end; the peer's application reads nothing
  // more, its session stops reading at read_buffer_limit, its kernel's window shuts. The
  // heartbeat's pings wait behind our data; keepalive sends no probe while data waits, and
  // the user timeout (3 s) ends a window that stays shut (Linux 5.11 and later).
  auto chunk = std::make_shared<std::string>();
  while (chunk->size() < 64 * 1024) chunk->append(1023, 'x').push_back('\n');
  std::function<void(keepalive_session&)> write_ka = [&](keepalive_session& s) {
    net::async_write(s, net::buffer(*chunk), [&, chunk](liveness::error_code ec, std::size_t) {
      if (!ec) write_ka(s);
    });
  };
  std::function<void(heartbeat_session&)> write_hb = [&](heartbeat_session& s) {
    net::async_write(s, net::buffer(*chunk), [&, chunk](liveness::error_code ec, std::size_t) {
      if (!ec) write_hb(s);
    });
  };
  const auto t0 = clock::now();
  write_ka(ka);
  write_hb(hb);
  run_until(io, [&] { return dka->at && dhb->at; }, t0 + keepalive_bound + slack + 2s);
  std::vector<row> rows;
  rows.push_back(detection_row("peer stops reading", ka_text, *dka, t0, keepalive_bound + slack,
                               {liveness::error::keepalive_timeout},
                               liveness::verdict::peer_not_reading));
  rows.push_back(detection_row("peer stops reading", ka_text + "+" + hb_text, *dhb, t0,
                               hb_bound + slack, {liveness::error::heartbeat_timeout},
                               liveness::verdict::peer_not_reading));
  ka.close();
  hb.close();
  io.restart();
  io.poll();
  return rows;
}

std::vector<row> scenario_fleet() {
  using fleet_session = heartbeat_session;
  net::io_context io;
  liveness::session_options<line_policy> opts;
  opts.keepalive = demo_keepalive();
  opts.heartbeat.interval = fleet_interval;
  opts.heartbeat.timeout = fleet_timeout;
  opts.heartbeat.pinger = liveness::ping_role::client;  // the clients ping

  liveness::registry<fleet_session> reg(io.get_executor());
  struct tally {
    int online = 0;
    std::vector<std::pair<std::string, liveness::peer_event>> offline;  // with arrival time
    std::vector<clock::time_point> offline_at;
  } t;
  reg.on_online([&](const liveness::peer_event&) { ++t.online; });
  reg.on_offline([&](const liveness::peer_event& e) {
    t.offline.emplace_back(e.id, e);
    t.offline_at.push_back(clock::now());
  });

  tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), 0});
  const auto port = std::to_string(acceptor.local_endpoint().port());
  std::function<void()> accept = [&] {
    acceptor.async_accept([&](liveness::error_code ec, tcp::socket sock) {
      if (ec) return;
      try {
        reg.add(fleet_session(std::move(sock), with_role(opts, liveness::role::server)));
      } catch (const std::exception&) {
      }
      accept();
    });
  };
  accept();

  // Two client processes: 90 clients that stay healthy, 10 that will go silent.
  child_process healthy({"--clients", std::to_string(fleet_size - fleet_silent), port});
  child_process silent({"--clients", std::to_string(fleet_silent), port});
  const auto start = clock::now();
  if (!run_until(io, [&] { return t.online == fleet_size; }, start + 20s)) {
    throw std::runtime_error("fleet: only " + std::to_string(t.online) + " of " +
                             std::to_string(fleet_size) + " clients came online");
  }
  // Let the heartbeats run on the idle links for a while, then freeze 10 clients.
  run_until(io, [] { return false; }, clock::now() + 1500ms);
  const std::size_t false_before = t.offline.size();
  const auto t0 = clock::now();
  silent.signal(SIGSTOP);
  const ms budget = fleet_interval + fleet_timeout + slack + 500ms;
  run_until(io, [&] { return t.offline.size() >= false_before + fleet_silent; }, t0 + budget + 2s);
  // A further second: none of the 90 may go offline.
  run_until(io, [] { return false; }, clock::now() + 1s);

  row r{std::to_string(fleet_size) + " clients, " + std::to_string(fleet_silent) +
            " go silent (SIGSTOP)",
        "registry+heartbeat", "heartbeat", seconds_text(budget), "", "", ""};
  ms first = ms::max(), last = ms::zero();
  int timeouts = 0, unresponsive = 0;
  for (std::size_t i = false_before; i < t.offline.size(); ++i) {
    const ms after = std::chrono::duration_cast<ms>(t.offline_at[i] - t0);
    first = std::min(first, after);
    last = std::max(last, after);
    if (t.offline[i].second.reason == liveness::error::heartbeat_timeout) ++timeouts;
    // The clients ping, the server only answers: its verdict rests on keepalive's probes
    // (idle 1 s), which the stopped clients' kernels answer.
    if (t.offline[i].second.diagnosis.verdict == liveness::verdict::peer_unresponsive) {
      ++unresponsive;
    }
  }
  const int offline_now = static_cast<int>(t.offline.size() - false_before);
  const int false_alarms = static_cast<int>(false_before) +
                           std::max(0, offline_now - fleet_silent);
  std::ostringstream after;
  if (offline_now == 0) {
    after << "not detected";
  } else {
    after << offline_now << " off at " << seconds_text(first).substr(0, 4) << ".."
          << seconds_text(last) << ", " << reg.size() << " on";
  }
  r.after = after.str();
  r.reason = offline_now ? (timeouts == offline_now ? "heartbeat_timeout" : "mixed") : "-";
  r.verdict = !offline_now ? "-"
              : unresponsive == offline_now
                  ? "peer_unresponsive"
                  : "mixed (" + std::to_string(unresponsive) + " peer_unresponsive)";
  r.result = (offline_now == fleet_silent && false_alarms == 0 && timeouts == offline_now &&
              unresponsive == offline_now && last <= budget)
                 ? "ok"
                 : "MISSED";
  reg.close();
  acceptor.close();
  io.restart();
  io.poll();
  return {r};
}

std::vector<row> scenario_restart() {
  net::io_context io;
  auto [peer, port] = start_peer("answer");
  auto ropts = liveness::reconnect_options::fast();
  ropts.min_delay = 100ms;
  ropts.max_delay = 500ms;
  liveness::reconnecting_client<line_policy> client(io.get_executor(), "127.0.0.1",
                                                     std::to_string(port), heartbeat_options(),
                                                     ropts);
  int connects = 0;
  std::optional<clock::time_point> connected_at, disconnected_at;
  liveness::error_code why;
  liveness::verdict verdict = liveness::verdict::unknown;
  client.on_connected([&](auto&) {
    ++connects;
    connected_at = clock::now();
  });
  client.on_disconnected([&](liveness::error_code reason, liveness::core::duration,
                             const liveness::diagnosis& d) {
    disconnected_at = clock::now();
    why = reason;
    verdict = d.verdict;
  });
  client.start();
  if (!run_until(io, [&] { return connects == 1; }, clock::now() + 10s)) {
    throw std::runtime_error("restart: the client did not connect");
  }
  const auto t_kill = clock::now();
  peer->kill_and_reap();
  // Down for a second, during which the client retries against a closed port.
  run_until(io, [] { return false; }, t_kill + 1s);
  auto [peer2, port2] = start_peer("answer", port);
  const auto t_up = clock::now();
  (void)port2;
  const ms budget = std::chrono::duration_cast<ms>(ropts.max_delay) + slack;
  run_until(io, [&] { return connects == 2; }, t_up + budget + 3s);
  client.stop();
  row r{"server restarted", "reconnecting_client", "reconnect", seconds_text(budget), "", "",
        ""};
  if (connects < 2) {
    r.after = "not reconnected";
    r.reason = disconnected_at ? liveness::error_name(why) : "-";
    r.result = "MISSED";
  } else {
    const ms after = std::chrono::duration_cast<ms>(*connected_at - t_up);
    const ms lost = disconnected_at ? std::chrono::duration_cast<ms>(*disconnected_at - t_kill)
                                    : ms::zero();
    r.after = "back " + seconds_text(after) + " after restart (lost at " + seconds_text(lost) +
              ")";
    r.reason = liveness::error_name(why);
    r.verdict = liveness::to_string(verdict);
    r.result = (after <= budget && lost <= tcp_budget &&
                verdict == liveness::verdict::peer_closed_or_reset)
                   ? "ok"
                   : "MISSED";
  }
  io.restart();
  io.poll();
  return {r};
}

std::vector<row> scenario_cable() {
  const std::string scenario = "cable pulled (nft drop)";
  if (::geteuid() != 0) {
    return {{scenario, "-", "-", "-", "skipped (needs root)", "-", "skipped"}};
  }
  child_process runner({"--cable"});
  std::vector<row> rows;
  const auto deadline = clock::now() + 30s;
  while (clock::now() < deadline) {
    const auto line = runner.read_line(std::chrono::duration_cast<ms>(deadline - clock::now()));
    if (!line) break;
    std::istringstream in(*line);
    std::string kind;
    in >> kind;
    if (kind == "skip") {
      std::string why;
      std::getline(in, why);
      return {{scenario, "-", "-", "-", "skipped (" + why.substr(1) + ")", "-", "skipped"}};
    }
    if (kind != "result") continue;
    std::string which, reason, verdict;
    long long after_ms = -1;
    in >> which >> after_ms >> reason >> verdict;
    death d;
    const auto t0 = clock::now();
    if (after_ms >= 0) {
      d.at = t0 + ms(after_ms);
      d.reason = reason == "keepalive_timeout"   ? liveness::error::keepalive_timeout
                 : reason == "heartbeat_timeout" ? liveness::error::heartbeat_timeout
                                                 : liveness::error::protocol_error;
      d.verdict = verdict == "peer_unreachable" ? liveness::verdict::peer_unreachable
                                                : liveness::verdict::unknown;
    }
    if (which == "keepalive") {
      rows.push_back(detection_row(scenario, ka_text, d, t0, keepalive_bound + slack,
                                   {liveness::error::keepalive_timeout},
                                   liveness::verdict::peer_unreachable));
    } else {
      rows.push_back(detection_row(scenario, ka_text + "+" + hb_text, d, t0, hb_bound + slack,
                                   {liveness::error::heartbeat_timeout},
                                   liveness::verdict::peer_unreachable));
    }
    if (rows.size() == 2) break;
  }
  if (rows.size() != 2) {
    rows.push_back({scenario, "-", "-", "-", "the netns runner failed", "-", "MISSED"});
  }
  runner.wait_exit(5s);  // it reaps its own peer (no zombie left behind)
  return rows;
}

struct scenario {
  const char* name;
  const char* title;
  std::vector<row> (*run)();
};

const scenario scenarios[] = {
    {"crash", "peer process crashed (SIGKILL)", scenario_crash},
    {"hung", "peer process hung (SIGSTOP)", scenario_hung},
    {"graceful", "peer closed gracefully", scenario_graceful},
    {"bulk", "peer busy with a bulk transfer", scenario_bulk},
    {"stall", "peer stops reading while we write", scenario_stall},
    {"fleet", "100 clients, some go silent", scenario_fleet},
    {"restart", "client reconnecting after server restart", scenario_restart},
    {"cable", "cable pulled (root: netns + nftables)", scenario_cable},
};

// ---- the child processes' programs ---------------------------------------------------------

/// --peer MODE PORT: a server on 127.0.0.1:PORT (0: any) that prints "port N", answers
/// pings (it never pings itself), echoes lines, closes a connection on the line "BYE";
/// MODE "slow" answers the first line, then reads about 3 MB/s and echoes nothing; MODE
/// "stall" answers the first line, then reads nothing more.
int peer_main(const std::string& mode, unsigned short port) {
  net::io_context io;
  tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), port});
  event("port " + std::to_string(acceptor.local_endpoint().port()));
  liveness::session_options<line_policy> opts;
  opts.keepalive = demo_keepalive();
  // The demo's own schedule: the peer answers pings and, while it receives data and
  // writes nothing, sends a progress pong every interval (the bulk scenario relies on it).
  opts.heartbeat.interval = hb_interval;
  opts.heartbeat.timeout = hb_timeout;
  opts.heartbeat.pinger = liveness::ping_role::answer_only;
  const bool slow = mode == "slow";
  const bool stall = mode == "stall";

  struct conn : std::enable_shared_from_this<conn> {
    heartbeat_session s;
    std::string in;
    std::vector<char> sink = std::vector<char>(32 * 1024);
    net::steady_timer pace;
    conn(tcp::socket sock, const liveness::session_options<line_policy>& o)
        : s(std::move(sock), with_role(o, liveness::role::server)), pace(s.get_executor()) {}
    void echo() {
      net::async_read_until(s, net::dynamic_buffer(in), '\n',
                            [self = shared_from_this()](liveness::error_code ec, std::size_t n) {
                              if (ec) return;
                              auto line = std::make_shared<std::string>(self->in.substr(0, n));
                              self->in.erase(0, n);
                              if (*line == "BYE\n") {
                                self->s.close();
                                return;
                              }
                              net::async_write(self->s, net::buffer(*line),
                                               [self, line](liveness::error_code wec,
                                                            std::size_t) {
                                                 if (!wec) self->echo();
                                               });
                            });
    }
    void drain() {
      // Answer the first line (the roundtrip), then read slowly without echoing.
      s.async_read_some(net::buffer(sink), [self = shared_from_this()](liveness::error_code ec,
                                                                       std::size_t) {
        if (ec) return;
        self->pace.expires_after(10ms);
        self->pace.async_wait([self](liveness::error_code) { self->drain(); });
      });
    }
    void slow_start(bool then_stall) {
      net::async_read_until(s, net::dynamic_buffer(in), '\n',
                            [self = shared_from_this(), then_stall](liveness::error_code ec,
                                                                    std::size_t n) {
                              if (ec) return;
                              auto line = std::make_shared<std::string>(self->in.substr(0, n));
                              self->in.erase(0, n);
                              net::async_write(self->s, net::buffer(*line),
                                               [self, line, then_stall](liveness::error_code,
                                                                        std::size_t) {
                                                 if (!then_stall) self->drain();
                                               });
                            });
    }
  };
  std::list<std::shared_ptr<conn>> conns;
  std::function<void()> accept = [&] {
    acceptor.async_accept([&](liveness::error_code ec, tcp::socket sock) {
      if (ec) return;
      auto c = std::make_shared<conn>(std::move(sock), opts);
      conns.push_back(c);
      if (slow || stall) {
        c->slow_start(stall);
      } else {
        c->echo();
      }
      accept();
    });
  };
  accept();
  io.run();
  return 0;
}

/// --clients N PORT: N heartbeat clients (ping after 1 s of silence) connected to
/// 127.0.0.1:PORT; prints "ready" once all are connected.
int clients_main(int n, unsigned short port) {
  net::io_context io;
  liveness::session_options<line_policy> opts;
  opts.keepalive = demo_keepalive();
  opts.heartbeat.interval = fleet_interval;
  opts.heartbeat.timeout = fleet_timeout;
  opts.heartbeat.pinger = liveness::ping_role::client;
  std::vector<std::unique_ptr<heartbeat_session>> sessions;
  for (int i = 0; i < n; ++i) {
    tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), port});
    sessions.push_back(std::make_unique<heartbeat_session>(
        std::move(socket), with_role(opts, liveness::role::client)));
  }
  event("ready");
  auto guard = net::make_work_guard(io);
  io.run();
  return 0;
}

/// --cable: in a private network namespace, two connections to a peer (keepalive only;
/// keepalive + heartbeat), then nftables drops the peer's port. Prints
/// "result keepalive|heartbeat MS REASON VERDICT" (MS -1: not detected), or "skip WHY".
int cable_main() {
  if (::unshare(CLONE_NEWNET) != 0) {
    event(std::string("skip unshare(CLONE_NEWNET) failed: ") + std::strerror(errno));
    return 0;
  }
  {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    const bool up = fd >= 0 && ::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 &&
                    (ifr.ifr_flags |= IFF_UP, ::ioctl(fd, SIOCSIFFLAGS, &ifr) == 0);
    if (fd >= 0) ::close(fd);
    if (!up) {
      event("skip cannot bring lo up in the namespace");
      return 0;
    }
  }
  if (std::system("nft --version >/dev/null 2>&1") != 0) {
    event("skip nft not installed: apt-get install nftables");
    return 0;
  }
  net::io_context io;
  auto [peer, port] = start_peer("answer");
  auto ka = connect_session<keepalive_session>(io, port, keepalive_only_options());
  auto hb = connect_session<heartbeat_session>(io, port, heartbeat_options());
  if (!roundtrip(io, ka) || !roundtrip(io, hb)) {
    event("skip the peer in the namespace does not answer");
    return 0;
  }
  auto dka = watch(ka);
  auto dhb = watch(hb);
  const std::string p = std::to_string(port);
  const std::string rules = "nft add table inet liveness_demo && "
                            "nft add chain inet liveness_demo input "
                            "'{ type filter hook input priority 0; policy accept; }' && "
                            "nft add rule inet liveness_demo input tcp sport " + p + " drop && "
                            "nft add rule inet liveness_demo input tcp dport " + p + " drop";
  const auto t0 = clock::now();
  if (std::system(rules.c_str()) != 0) {
    event("skip nft refused the rules");
    return 0;
  }
  run_until(io, [&] { return dka->at && dhb->at; }, t0 + keepalive_bound + slack + 2s);
  auto report = [&](const char* which, const death& d) {
    if (!d.at) {
      event(std::string("result ") + which + " -1 - -");
    } else {
      event(std::string("result ") + which + " " + std::to_string(to_ms(*d.at - t0)) + " " +
            liveness::error_name(d.reason) + " " + liveness::to_string(d.verdict));
    }
  };
  report("keepalive", *dka);
  report("heartbeat", *dhb);
  return 0;
}

std::string read_self_exe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

int main(int argc, char** argv) {
  program() = {"liveness_demo", usage_text};
  self_exe = read_self_exe();
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    // The child processes' roles.
    if (!args.empty() && args[0] == "--peer" && args.size() == 3) {
      return peer_main(args[1], static_cast<unsigned short>(std::stoi(args[2])));
    }
    if (!args.empty() && args[0] == "--clients" && args.size() == 3) {
      return clients_main(std::stoi(args[1]), static_cast<unsigned short>(std::stoi(args[2])));
    }
    if (args.size() == 1 && args[0] == "--cable") return cable_main();
  } catch (const std::exception& e) {
    std::cerr << "liveness_demo child: " << e.what() << std::endl;
    return 1;
  }

  std::vector<std::string> only;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--list") {
      for (const auto& s : scenarios) std::cout << s.name << "  " << s.title << "\n";
      return 0;
    }
    if (args[i] == "--help" || args[i] == "-h") {
      std::cout << "usage: " << usage_text << std::endl;
      return 0;
    }
    if (args[i] == "--only" && i + 1 < args.size()) {
      std::stringstream list(args[++i]);
      std::string name;
      while (std::getline(list, name, ',')) {
        bool known = false;
        for (const auto& s : scenarios) known = known || name == s.name;
        if (!known) bad_flags("--only: unknown scenario '" + name + "' (see --list)");
        only.push_back(name);
      }
      continue;
    }
    bad_flags("unknown flag or missing value: " + args[i]);
  }
  if (self_exe.empty()) {
    std::cerr << "liveness_demo: cannot find its own executable (/proc/self/exe)" << std::endl;
    return 1;
  }
  ::signal(SIGPIPE, SIG_IGN);

  std::cout
      << "liveness_demo: the classic dead-peer failures, against real sockets on this machine.\n"
         "  keepalive            TCP keepalive "
      << keepalive_spec << " (idle 1 s, 2 probes 1 s apart, user timeout 3 s): "
      << seconds_text(keepalive_bound)
      << "\n"
         "  heartbeat            ping after 300 ms of silence, dead 500 ms later: "
      << seconds_text(hb_bound)
      << "\n"
         "  registry+heartbeat   100 clients ping after 1 s of silence; the server drops a "
         "client silent for 3 s\n"
         "  reconnecting_client  backoff from 100 ms doubling to 500 ms, with jitter\n"
         "  budget               the bound + "
      << seconds_text(slack) << " for late timers on a loaded machine (TCP: "
      << seconds_text(tcp_budget) << ")\n\n";
  std::vector<row> rows;
  const auto start = clock::now();
  for (const auto& s : scenarios) {
    if (!only.empty() && std::find(only.begin(), only.end(), s.name) == only.end()) continue;
    std::cout << "  running: " << s.title << " ..." << std::endl;
    try {
      for (auto& r : s.run()) rows.push_back(std::move(r));
    } catch (const std::exception& e) {
      rows.push_back({s.title, "-", "-", "-", std::string("error: ") + e.what(), "-", "MISSED"});
    }
  }
  std::cout << "\n";
  print_table(rows);
  int missed = 0;
  for (const auto& r : rows) missed += r.result == "MISSED";
  std::cout << "\n"
            << rows.size() << " rows, " << missed << " missed their budget, in "
            << seconds_text(std::chrono::duration_cast<ms>(clock::now() - start)) << ".\n";
  std::cout.flush();
  return missed ? 1 : 0;
}
