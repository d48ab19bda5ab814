// Helpers for the tests that run in a private network namespace (see netns_main.cpp): run a
// shell command, and pull the cable of a TCP connection with nftables.
//
// Everything here acts on the namespace of the calling process. netns_main.cpp moves the
// whole test process into a private namespace before any test runs, so a rule can never
// touch the host's traffic and vanishes with the process even if a destructor is skipped.
#ifndef LIVENESS_TESTS_SUPPORT_NETNS_HPP
#define LIVENESS_TESTS_SUPPORT_NETNS_HPP

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace liveness_test {

/// Runs `command` with /bin/sh. Returns its exit status, or -1 when it could not be run or
/// was killed by a signal.
inline int shell(const std::string& command) {
  std::fflush(nullptr);  // our buffered output first, then the child's
  const int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

/// Runs `command` with /bin/sh; throws std::runtime_error naming it unless it exits with 0.
inline void shell_check(const std::string& command) {
  const int status = shell(command);
  if (status != 0)
    throw std::runtime_error("command failed (status " + std::to_string(status) + "): " + command);
}

/// The directory of $PATH that holds an executable `program`, or "" if none does.
inline std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string rest = path ? path : "";
  for (;;) {
    const auto colon = rest.find(':');
    std::string dir = rest.substr(0, colon);
    if (dir.empty()) dir = ".";
    if (::access((dir + "/" + program).c_str(), X_OK) == 0) return dir;
    if (colon == std::string::npos) return {};
    rest.erase(0, colon + 1);
  }
}

/// Drops TCP packets by port in the current network namespace while it lives: a pulled
/// cable (or a firewall that silently forgot the flow), as seen by both ends.
///
/// The rules sit in a table of their own, on the input hook: on loopback every packet passes
/// there on its way to the receiving socket, so dropping there loses it after the sender's
/// kernel has "sent" it, exactly like a dead link (no ICMP, no RST, no local send error).
/// The destructor deletes the table.
class blackhole {
 public:
  enum class direction {
    /// Packets sent from `port` (the peer of the socket bound to it hears nothing from it).
    from_port,
    /// Packets sent to `port` (the socket bound to it hears nothing).
    to_port,
    /// Both: the connection through `port` is cut in both directions.
    both,
  };

  /// Installs the rules; throws std::runtime_error if nft refuses them. When the
  /// constructor returns, the rules are in force.
  explicit blackhole(std::uint16_t port, direction d = direction::both)
      : table_("liveness_test_" + std::to_string(next_id())) {
    const std::string p = std::to_string(port);
    std::string script = "add table inet " + table_ + "; add chain inet " + table_ +
                         " input { type filter hook input priority 0; policy accept; }";
    if (d == direction::from_port || d == direction::both)
      script += "; add rule inet " + table_ + " input tcp sport " + p + " drop";
    if (d == direction::to_port || d == direction::both)
      script += "; add rule inet " + table_ + " input tcp dport " + p + " drop";
    // One nft invocation is one transaction: all rules or none.
    shell_check("nft '" + script + "'");
  }

  ~blackhole() {
    if (shell("nft delete table inet " + table_) != 0)
      std::fprintf(stderr, "warning: could not delete nftables table %s\n", table_.c_str());
  }

  blackhole(const blackhole&) = delete;
  blackhole& operator=(const blackhole&) = delete;

  /// The nftables table (family inet) holding the rules.
  const std::string& table() const noexcept { return table_; }

 private:
  static int next_id() noexcept {
    static int id = 0;
    return ++id;
  }

  std::string table_;
};

}  // namespace liveness_test

#endif  // LIVENESS_TESTS_SUPPORT_NETNS_HPP
