// For test executables that bring their own main() because they may not be able to run
// here (tests/netns: root and nftables; tests/mqtt: a mosquitto broker): say why and skip
// with CTest's SKIP_RETURN_CODE, find a program in the sbin directories an ordinary user's
// PATH lacks, and run the Catch2 session (Catch2 v2's implementation is linked from
// catch_impl.cpp).
#ifndef LIVENESS_TESTS_SUPPORT_OWN_MAIN_HPP
#define LIVENESS_TESTS_SUPPORT_OWN_MAIN_HPP

#include "test_support.hpp"
#if LIVENESS_CATCH2_MAJOR >= 3
#include <catch2/catch_session.hpp>
#endif
#include "netns.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace liveness_test {

constexpr int skip_exit_code = 4;

/// True when Catch2 is only asked to list the tests (as catch_discover_tests does at build
/// time, maybe as an ordinary user): nothing needs to run then.
inline bool listing_only(int argc, char* argv[]) {
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--list", 6) == 0) return true;
  return false;
}

/// Says why the tests cannot run here and returns the skip exit code. CI sets
/// LIVENESS_REQUIRE_PRIVILEGED_TESTS=1: there a skip is a failure (exit code 1), so that a
/// machine without what the tests need cannot pass by running nothing.
inline int skip(const std::string& reason) {
  const char* required = std::getenv("LIVENESS_REQUIRE_PRIVILEGED_TESTS");
  if (required && std::string(required) == "1") {
    std::cout << "FAIL (LIVENESS_REQUIRE_PRIVILEGED_TESTS=1): cannot run: " << reason
              << std::endl;
    return 1;
  }
  std::cout << "SKIP: " << reason << std::endl;
  return skip_exit_code;
}

/// Finds `program` on $PATH, or in the sbin directories that an ordinary user's PATH often
/// lacks (then appends that directory to PATH, for the shell commands of the tests).
inline bool locate(const std::string& program) {
  if (!find_on_path(program).empty()) return true;
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

#if LIVENESS_CATCH2_MAJOR >= 3
inline int catch_session_run(int argc, char* argv[]) { return Catch::Session().run(argc, argv); }
#else
int catch_session_run(int argc, char* argv[]);  // catch_impl.cpp
#endif

/// Runs the Catch2 session. When listing, Catch2 v2 returns the number of tests listed: it
/// is passed on unchanged. Otherwise Catch returns the number of failed assertions; 4 of
/// them must not read as "skipped" to CTest. (None of these tests uses Catch2 v3's SKIP(),
/// whose all-skipped status is also 4.)
inline int run_catch(int argc, char* argv[]) {
  const int result = catch_session_run(argc, argv);
  if (!listing_only(argc, argv) && result == skip_exit_code) return 1;
  return result;
}

}  // namespace liveness_test

#endif  // LIVENESS_TESTS_SUPPORT_OWN_MAIN_HPP
