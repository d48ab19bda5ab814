// The checks of the Wine test programs (tests/windows/*_wine_test.cpp): a plain main() with
// CHECK macros rather than Catch2, so that nothing but the library, Asio and the mingw
// runtime has to cross-compile. Every check prints a PASS or FAIL line; wine_check_result()
// prints "N passed, M failed" and gives the exit code: 0 when nothing failed, 1 otherwise
// (never 4, which CTest reads as "skipped").
#ifndef LIVENESS_TESTS_WINDOWS_WINE_CHECK_HPP
#define LIVENESS_TESTS_WINDOWS_WINE_CHECK_HPP

#include <liveness/error.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <sstream>
#include <string>

namespace wine_check {

inline int passed = 0;
inline int failed = 0;
inline int known_failures = 0;

inline void report_check(bool ok, const char* expr, const char* file, int line,
                         const std::string& detail = std::string()) {
  if (ok) {
    ++passed;
    std::printf("PASS: %s\n", expr);
  } else {
    ++failed;
    std::printf("FAIL: %s  (%s:%d)%s%s\n", expr, file, line, detail.empty() ? "" : "  ",
                detail.c_str());
  }
  std::fflush(stdout);
}

template <class A, class B>
void report_equal(const A& a, const B& b, const char* expr, const char* file, int line) {
  std::ostringstream detail;
  const bool ok = a == b;
  if (!ok) detail << "left: " << a << ", right: " << b;
  report_check(ok, expr, file, line, detail.str());
}

inline std::string describe(const liveness::error_code& ec) {
  return std::to_string(ec.value()) + " [" + ec.category().name() + "] " + ec.message();
}

inline void info(const std::string& text) {
  std::printf("INFO: %s\n", text.c_str());
  std::fflush(stdout);
}

/// When not empty, only the sections whose title begins with it run (a program argument).
inline std::string only;

/// Thrown by REQUIRE: the rest of the section depends on the failed check.
struct section_aborted {};

/// Runs one section: prints its title and its time; a REQUIRE that failed or an exception
/// ends the section (counted as a failure), the next one runs.
template <class F>
void section(const char* title, F&& body) {
  if (std::string(title).compare(0, only.size(), only) != 0) return;
  std::printf("\n== %s ==\n", title);
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  try {
    body();
  } catch (const section_aborted&) {
    std::printf("(section ended by the failed REQUIRE above)\n");
  } catch (const std::exception& e) {
    report_check(false, "no exception", title, 0, e.what());
  }
  const auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
  std::printf("section time: %.0f ms\n", ms.count());
  std::fflush(stdout);
}

/// A check that fails today where `known` holds, for a known reason outside this test
/// (`why`): there its failure is printed as KNOWN FAILURE and does not fail the program, and
/// its success does ("the known failure is gone": make it a CHECK), so that it cannot linger
/// unnoticed. Where `known` does not hold it is a plain check.
inline void report_known_failure(bool known, bool ok, const char* expr, const char* why,
                                 const char* file, int line) {
  if (!known) {
    report_check(ok, expr, file, line);
  } else if (ok) {
    ++failed;
    std::printf("FAIL: %s  (%s:%d)  passes now, but is marked as a known failure (%s): make "
                "it a CHECK\n",
                expr, file, line, why);
  } else {
    ++known_failures;
    std::printf("KNOWN FAILURE: %s  (%s:%d)  %s\n", expr, file, line, why);
  }
  std::fflush(stdout);
}

/// Prints the totals; the program's exit code.
inline int result() {
  std::printf("%d passed, %d failed, %d known failures\n", passed, failed, known_failures);
  std::fflush(stdout);
  return failed == 0 && passed > 0 ? 0 : 1;
}

}  // namespace wine_check

#define CHECK(cond) ::wine_check::report_check(static_cast<bool>(cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ(a, b) ::wine_check::report_equal((a), (b), #a " == " #b, __FILE__, __LINE__)
#define KNOWN_FAILURE_IF(known, cond, why)                                                 \
  ::wine_check::report_known_failure((known), static_cast<bool>(cond), #cond, why, __FILE__, \
                                     __LINE__)
// A check the rest of the section needs: on failure the section ends.
#define REQUIRE(cond)                                                               \
  do {                                                                              \
    const bool require_ok_ = static_cast<bool>(cond);                               \
    ::wine_check::report_check(require_ok_, #cond, __FILE__, __LINE__);             \
    if (!require_ok_) throw ::wine_check::section_aborted();                        \
  } while (false)
// For error codes: prints both sides in full when they differ.
#define CHECK_EC(a, b)                                                                      \
  do {                                                                                      \
    const liveness::error_code check_ec_a_ = (a), check_ec_b_ = (b);                         \
    ::wine_check::report_check(check_ec_a_ == check_ec_b_, #a " == " #b, __FILE__, __LINE__, \
                               "left: " + ::wine_check::describe(check_ec_a_) +             \
                                   ", right: " + ::wine_check::describe(check_ec_b_));      \
  } while (false)

#endif  // LIVENESS_TESTS_WINDOWS_WINE_CHECK_HPP
