// Helpers for the fault matrix (tests/netns/fault_*_test.cpp): connected session pairs on
// loopback, bounded event loops, death watches, a peer in a child process (to SIGSTOP or
// SIGKILL it), a deterministic byte stream with a checksum, and the one-line result that
// every fault case prints:
//
//   fault: <case> policy=<p> detected_by=<what> reason=<r> after_ms=<n> bound_ms=<b>
//
// docs/reliability.md is filled from these lines.
#ifndef LIVENESS_TESTS_SUPPORT_FAULT_SUPPORT_HPP
#define LIVENESS_TESTS_SUPPORT_FAULT_SUPPORT_HPP

#include <liveness/session.hpp>

#include "asio_includes.hpp"
#include "loopback.hpp"
#include "roles.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace liveness_test {

namespace fault {

namespace net = liveness::net;
using tcp = net::ip::tcp;
using liveness::error_code;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Slack allowed on top of every bound: timer granularity and a loaded 2-core machine
/// (other builds running, ASan). Detection later than bound + margin fails the case.
constexpr milliseconds margin{1500};

/// Keepalive of every case: 1 s idle, 1 s interval, 2 probes, user timeout derived (3 s).
constexpr liveness::keepalive_options fast_keepalive{
    true, std::chrono::seconds(1), std::chrono::seconds(1), 2,
    liveness::keepalive_options::derive_user_timeout};

inline long long to_ms(steady::duration d) {
  return std::chrono::duration_cast<milliseconds>(d).count();
}

/// The reason as the error enum's name ("heartbeat_timeout"), or "none".
inline std::string reason_text(const std::optional<error_code>& ec) {
  if (!ec) return "none";
  return liveness::error_name(*ec);
}

/// The result line of one case, on stdout (the ctest log keeps it).
inline void print_result(const std::string& name, const std::string& policy,
                         const std::string& detected_by, const std::string& reason,
                         long long after_ms, const std::string& bound_ms) {
  std::cout << "fault: " << name << " policy=" << policy << " detected_by=" << detected_by
            << " reason=" << reason << " after_ms=" << after_ms << " bound_ms=" << bound_ms
            << std::endl;
}

// The shared event loop and connected pair (loopback.hpp): run_until(io, pred, budget),
// run_for(io, d), connected(io) -> socket_pair {client, server, client_port, server_port}.
using liveness_test::connected;
using liveness_test::run_for;
using liveness_test::run_until;
using liveness_test::socket_pair;

/// Lets aborted handlers run after the sessions were closed.
inline void drain(net::io_context& io) {
  io.restart();
  io.run_for(std::chrono::milliseconds(300));
}

/// The first completion of `async_wait_dead`: the reason and when it came.
struct death_watch {
  std::optional<error_code> reason;
  steady::time_point when{};

  template <class Session>
  void start(Session& s) {
    s.async_wait_dead([this](const error_code& ec) {
      if (reason) return;
      reason = ec;
      when = steady::now();
    });
  }
  bool dead() const noexcept {
    return reason.has_value() && *reason != net::error::operation_aborted;
  }
};

/// Reads from a session and throws the data away (or hands it to `sink`) until it fails.
template <class Session>
class reader {
 public:
  explicit reader(Session& s) : s_(s), buffer_(64 * 1024) {}

  template <class Sink>
  void start(Sink sink) {
    s_.async_read_some(net::buffer(buffer_), [this, sink](const error_code& ec, std::size_t n) mutable {
      bytes_ += n;
      if (n) sink(buffer_.data(), n);
      if (ec) {
        error_ = ec;
        return;
      }
      start(sink);
    });
  }
  void start() {
    start([](const char*, std::size_t) {});
  }

  std::uint64_t bytes() const noexcept { return bytes_; }
  const std::optional<error_code>& error() const noexcept { return error_; }

 private:
  Session& s_;
  std::vector<char> buffer_;
  std::uint64_t bytes_ = 0;
  std::optional<error_code> error_;
};

/// Writes 64 KiB chunks of 'x' through a session back to back until a write fails.
template <class Session>
class flood_writer {
 public:
  explicit flood_writer(Session& s) : s_(s), chunk_(64 * 1024, 'x') {}

  void start() {
    net::async_write(s_, net::buffer(chunk_), [this](const error_code& ec, std::size_t n) {
      bytes_ += n;
      if (ec) {
        error_ = ec;
        return;
      }
      start();
    });
  }
  std::uint64_t bytes() const noexcept { return bytes_; }
  const std::optional<error_code>& error() const noexcept { return error_; }

 private:
  Session& s_;
  std::string chunk_;
  std::uint64_t bytes_ = 0;
  std::optional<error_code> error_;
};

// ---- a deterministic stream and its checksum ------------------------------------------

/// A deterministic byte stream of `total` bytes from a seed: random bytes, or (lines)
/// printable random text ('0'..'o') cut into lines of 8 to 5088 bytes, ending with a newline. Both ends
/// generate it; the receiver compares what arrives with what it generates.
class stream_generator {
 public:
  stream_generator(std::uint64_t seed, bool lines, std::uint64_t total)
      : state_(seed | 1), lines_(lines), total_(total) {}

  /// Fills `p[0..n)` with the next `n` bytes of the stream (n <= remaining()). Any cut
  /// of the stream into calls gives the same bytes.
  void fill(char* p, std::size_t n) {
    std::size_t i = 0;
    if (!lines_) {
      for (; i < n && left_ > 0; ++i) take_byte(p[i]);
      for (; i + 8 <= n; i += 8) {  // whole words: the fast path
        const std::uint64_t r = next();
        std::memcpy(p + i, &r, 8);  // byte order does not matter, both ends agree
      }
      for (; i < n; ++i) take_byte(p[i]);
      position_ += n;
      return;
    }
    while (i < n) {
      if (left_ == 0 && until_newline_ >= 8 && n - i >= 8 && position_ + 8 < total_) {
        // Fast path, the same bytes as the loop below: 8 characters from one word.
        std::uint64_t r = next();
        r = (r & 0x3f3f3f3f3f3f3f3fULL) + 0x3030303030303030ULL;
        std::memcpy(p + i, &r, 8);
        i += 8;
        position_ += 8;
        until_newline_ -= 8;
        continue;
      }
      char c;
      take_byte(c);
      if (position_ + 1 == total_ || until_newline_ == 0) {
        p[i] = '\n';
        // Half short lines (8..127 bytes), half long ones (8..5088 bytes).
        const unsigned u = static_cast<unsigned char>(c);
        until_newline_ = static_cast<int>((u & 1) ? 8 + (u >> 1) % 120 : 8 + (u >> 1) * 40);
      } else {
        p[i] = static_cast<char>(0x30 + (static_cast<unsigned char>(c) & 0x3f));  // '0'..'o'
        --until_newline_;
      }
      ++i;
      ++position_;
    }
  }

  std::uint64_t remaining() const noexcept { return total_ - position_; }

 private:
  void take_byte(char& out) noexcept {
    if (left_ == 0) {
      word_ = next();
      std::memcpy(bytes_, &word_, 8);
      left_ = 8;
    }
    out = bytes_[8 - left_];
    --left_;
  }

  std::uint64_t next() noexcept {  // xorshift64*
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
  }

  std::uint64_t state_;
  bool lines_;
  std::uint64_t total_;
  std::uint64_t position_ = 0;
  int until_newline_ = 8;
  std::uint64_t word_ = 0;
  char bytes_[8] = {};
  int left_ = 0;
};

/// Adler-style 64-bit running checksum (two sums modulo a prime); independent of how the
/// stream is cut into chunks, sensitive to order.
class checksum {
 public:
  void update(const char* p, std::size_t n) noexcept {
    constexpr std::uint64_t mod = 4294967291ULL;  // largest prime below 2^32
    std::uint64_t a = a_, b = b_;
    while (n) {
      // Stay far below overflow: at most 4096 bytes between reductions.
      const std::size_t block = n < 4096 ? n : 4096;
      for (std::size_t i = 0; i < block; ++i) {
        a += static_cast<unsigned char>(p[i]);
        b += a;
      }
      a %= mod;
      b %= mod;
      p += block;
      n -= block;
    }
    a_ = a;
    b_ = b;
  }
  std::uint64_t value() const noexcept { return (b_ << 32) | a_; }

 private:
  std::uint64_t a_ = 1, b_ = 0;
};

/// Writes a `stream_generator`'s bytes through a session in chunks of at most 64 KiB,
/// waiting `pause` between chunks (zero: back to back), and checksums what it wrote.
template <class Session>
class stream_writer {
 public:
  stream_writer(Session& s, stream_generator gen, steady::duration pause = {})
      : s_(s), gen_(gen), pause_(pause), timer_(s.get_executor()), chunk_(64 * 1024) {}

  void start() {
    if (gen_.remaining() == 0) {
      done_ = true;
      return;
    }
    const std::size_t n = static_cast<std::size_t>(
        gen_.remaining() < chunk_.size() ? gen_.remaining() : chunk_.size());
    gen_.fill(chunk_.data(), n);
    sum_.update(chunk_.data(), n);
    net::async_write(s_, net::buffer(chunk_.data(), n), [this](const error_code& ec, std::size_t w) {
      bytes_ += w;
      if (ec) {
        error_ = ec;
        return;
      }
      if (pause_ == steady::duration::zero()) {
        start();
        return;
      }
      timer_.expires_after(pause_);
      timer_.async_wait([this](const error_code& e) {
        if (!e) start();
      });
    });
  }

  bool done() const noexcept { return done_; }
  std::uint64_t bytes() const noexcept { return bytes_; }
  std::uint64_t sum() const noexcept { return sum_.value(); }
  const std::optional<error_code>& error() const noexcept { return error_; }
  void cancel() { timer_.cancel(); }

 private:
  Session& s_;
  stream_generator gen_;
  steady::duration pause_;
  net::steady_timer timer_;
  std::vector<char> chunk_;
  checksum sum_;
  std::uint64_t bytes_ = 0;
  bool done_ = false;
  std::optional<error_code> error_;
};

/// Reads a session until `expected` bytes arrived, comparing every byte with its own
/// `stream_generator` and checksumming what arrived; reads at most `max_read` bytes at a
/// time and waits `pause` between reads (a slow application).
template <class Session>
class stream_checker {
 public:
  stream_checker(Session& s, stream_generator gen, std::uint64_t expected,
                 std::size_t max_read = 64 * 1024, steady::duration pause = {})
      : s_(s), gen_(gen), expected_(expected), pause_(pause), timer_(s.get_executor()),
        buffer_(max_read) {}

  void start() {
    if (bytes_ >= expected_) return;
    s_.async_read_some(net::buffer(buffer_), [this](const error_code& ec, std::size_t n) {
      if (n) check(n);
      if (ec) {
        error_ = ec;
        return;
      }
      if (bytes_ >= expected_ || pause_ == steady::duration::zero()) {
        start();
        return;
      }
      timer_.expires_after(pause_);
      timer_.async_wait([this](const error_code& e) {
        if (!e) start();
      });
    });
  }

  bool done() const noexcept { return bytes_ >= expected_; }
  std::uint64_t bytes() const noexcept { return bytes_; }
  std::uint64_t sum() const noexcept { return sum_.value(); }
  /// Offset of the first byte that differed from the expected stream.
  const std::optional<std::uint64_t>& first_mismatch() const noexcept { return mismatch_; }
  const std::optional<error_code>& error() const noexcept { return error_; }
  void cancel() { timer_.cancel(); }

 private:
  void check(std::size_t n) {
    sum_.update(buffer_.data(), n);
    if (bytes_ + n > expected_) {
      if (!mismatch_) mismatch_ = expected_;  // more than was sent
    } else if (!mismatch_) {
      reference_.resize(n);
      gen_.fill(reference_.data(), n);
      if (std::memcmp(reference_.data(), buffer_.data(), n) != 0) {
        std::size_t i = 0;
        while (reference_[i] == buffer_[i]) ++i;
        mismatch_ = bytes_ + i;
      }
    }
    bytes_ += n;
  }

  Session& s_;
  stream_generator gen_;
  std::uint64_t expected_;
  steady::duration pause_;
  net::steady_timer timer_;
  std::vector<char> buffer_;
  std::vector<char> reference_;
  checksum sum_;
  std::uint64_t bytes_ = 0;
  std::optional<std::uint64_t> mismatch_;
  std::optional<error_code> error_;
};

// ---- a peer in a child process --------------------------------------------------------

/// A peer session in a child process, to be stopped (SIGSTOP: a hung process whose kernel
/// still answers TCP) or killed (SIGKILL: a crash; its kernel closes the socket).
///
/// The child is forked before it creates anything: it makes its own io_context, connects
/// to `port` on 127.0.0.1, runs a `Policy` session (client side) that reads and discards
/// everything, and exits when the connection dies, after 60 s at most, or with its parent
/// (PR_SET_PDEATHSIG). The test process is single-threaded when it forks (netns_main.cpp
/// creates no threads and these tests run the io_context on the main thread), so the child
/// inherits no lock held by another thread. The parent's objects are never touched in the
/// child; it leaves with _exit.
class peer_process {
 public:
  template <class Policy>
  static peer_process spawn(std::uint16_t port, const liveness::session_options<Policy>& options) {
    std::fflush(nullptr);  // nothing buffered may be written twice
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) child_main<Policy>(parent, port, options);  // never returns
    return peer_process(pid);
  }

  peer_process(peer_process&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  peer_process& operator=(peer_process&&) = delete;
  ~peer_process() { kill(); }

  pid_t pid() const noexcept { return pid_; }
  void stop() const { signal(SIGSTOP); }
  void resume() const { signal(SIGCONT); }
  /// SIGKILL and reap; idempotent.
  void kill() noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  explicit peer_process(pid_t pid) : pid_(pid) {}

  void signal(int sig) const {
    if (pid_ <= 0 || ::kill(pid_, sig) != 0) throw std::runtime_error("kill() failed");
  }

  template <class Policy>
  [[noreturn]] static void child_main(pid_t parent, std::uint16_t port,
                                      const liveness::session_options<Policy>& options) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    ::alarm(60);
    try {
      net::io_context io{1};
      tcp::socket socket(io);
      socket.connect(tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port));
      liveness::session<tcp::socket, Policy> s(std::move(socket), liveness_test::with_role(options, liveness::role::client));
      reader<liveness::session<tcp::socket, Policy>> r(s);
      r.start();
      io.run_for(std::chrono::seconds(60));
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }

  pid_t pid_;
};

/// Listens on loopback, forks a `peer_process` (which connects) and accepts it.
template <class PeerPolicy>
std::pair<tcp::socket, peer_process> accept_peer_process(
    net::io_context& io, const liveness::session_options<PeerPolicy>& peer_options) {
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), 0));
  auto child = peer_process::spawn<PeerPolicy>(acceptor.local_endpoint().port(), peer_options);
  std::optional<error_code> accepted;
  tcp::socket socket(io);
  acceptor.async_accept(socket, [&](const error_code& ec) { accepted = ec; });
  run_until(io, [&] { return accepted.has_value(); }, std::chrono::seconds(10));
  if (!accepted) {
    acceptor.close();
    drain(io);
    throw std::runtime_error("the child peer did not connect within 10 s");
  }
  if (*accepted) throw std::runtime_error("accept failed: " + accepted->message());
  return {std::move(socket), std::move(child)};
}

}  // namespace fault
}  // namespace liveness_test

#endif  // LIVENESS_TESTS_SUPPORT_FAULT_SUPPORT_HPP
