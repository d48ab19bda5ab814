// main() of the network-namespace tests.
//
// Moves the whole process into a private network namespace (unshare(CLONE_NEWNET)) before
// any thread exists, brings its loopback up, then runs the Catch2 session. Every socket and
// nftables rule the tests create lives in that namespace and vanishes with the process, so
// no cleanup can be missed and the host's traffic is never touched.
//
// Exit status 4 (CTest SKIP_RETURN_CODE) with a "SKIP: ..." line when the tests cannot run
// here: not root, no `ip` or `nft`, namespaces or nftables unavailable. Listing the tests
// (any argument starting with "--list", as catch_discover_tests does at build time, maybe
// as an ordinary user) needs none of this and just runs the session.
#if !defined(LIVENESS_CATCH2_MAJOR) || LIVENESS_CATCH2_MAJOR < 3
#define CATCH_CONFIG_RUNNER
#endif
#include "test_support.hpp"
#if LIVENESS_CATCH2_MAJOR >= 3
#include <catch2/catch_session.hpp>
#endif
#include "netns.hpp"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

constexpr int skip_exit_code = 4;

// CI sets LIVENESS_REQUIRE_PRIVILEGED_TESTS=1: there a skip is a failure, so that a
// machine without root or nftables cannot pass by running nothing.
int skip(const std::string& reason) {
  const char* required = std::getenv("LIVENESS_REQUIRE_PRIVILEGED_TESTS");
  if (required && std::string(required) == "1") {
    std::cout << "FAIL (LIVENESS_REQUIRE_PRIVILEGED_TESTS=1): cannot run: " << reason
              << std::endl;
    return 1;
  }
  std::cout << "SKIP: " << reason << std::endl;
  return skip_exit_code;
}

// Finds `program` on $PATH, or in the sbin directories that an ordinary user's PATH often
// lacks (then appends that directory to PATH, for the shell commands of the tests).
bool locate(const std::string& program) {
  if (!liveness_test::find_on_path(program).empty()) return true;
  for (const char* dir : {"/usr/local/sbin", "/usr/sbin", "/sbin"}) {
    if (::access((std::string(dir) + "/" + program).c_str(), X_OK) == 0) {
      const char* path = std::getenv("PATH");
      const std::string extended = (path && *path ? std::string(path) + ":" : std::string()) + dir;
      ::setenv("PATH", extended.c_str(), 1);
      return true;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char* argv[]) {
  bool listing = false;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--list", 6) == 0) listing = true;

  if (!listing) {
    if (::geteuid() != 0)
      return skip("network-namespace tests need root (unshare(CLONE_NEWNET), nftables)");
    if (!locate("ip")) return skip("`ip` (iproute2) is not on PATH");
    if (!locate("nft")) return skip("`nft` (nftables) is not on PATH");

    // No thread exists yet: every thread created from here on (none in these tests, but a
    // backend might) inherits the new namespace.
    if (::unshare(CLONE_NEWNET) != 0)
      return skip(std::string("unshare(CLONE_NEWNET) refused: ") + std::strerror(errno));
    if (liveness_test::shell("ip link set lo up") != 0) {
      std::cerr << "error: `ip link set lo up` failed in the private network namespace\n";
      return 1;
    }
    if (liveness_test::shell("nft add table inet liveness_probe && "
                             "nft delete table inet liveness_probe") != 0)
      return skip("nftables does not work here (kernel without nf_tables?)");
  }

  Catch::Session session;
  const int result = session.run(argc, argv);
  // When listing, Catch2 v2 returns the number of tests listed: pass it on unchanged.
  // Otherwise Catch returns the number of failed assertions; 4 of them must not read as
  // "skipped" to CTest. (None of these tests uses Catch2 v3's SKIP(), whose all-skipped
  // status is also 4.)
  if (!listing && result == skip_exit_code) return 1;
  return result;
}
