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
#include "own_main.hpp"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>

using liveness_test::locate;
using liveness_test::skip;

int main(int argc, char* argv[]) {
  if (!liveness_test::listing_only(argc, argv)) {
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

  return liveness_test::run_catch(argc, argv);
}
