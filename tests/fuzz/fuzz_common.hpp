//
// tests/fuzz/fuzz_common.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Shared by the libFuzzer targets: an invariant check that aborts (so libFuzzer reports
// it as a crash, with the input saved), and checks on error codes.
#ifndef LIVENESS_TESTS_FUZZ_FUZZ_COMMON_HPP
#define LIVENESS_TESTS_FUZZ_FUZZ_COMMON_HPP

#include <liveness/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#define LIVENESS_FUZZ_CHECK(cond)                                                     \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace liveness_fuzz {

/// Reads the fuzzer's input one byte at a time; 0 once it is used up.
struct reader {
  const std::uint8_t* p;
  std::size_t n;
  std::uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  bool done() const { return n == 0; }
};

/// An error code of the liveness category, with a message that names the problem (not
/// empty, not the "unknown" fallback) and a known enumerator name.
inline void check_named_error(const liveness::error_code& ec) {
  LIVENESS_FUZZ_CHECK(ec);
  LIVENESS_FUZZ_CHECK(ec.category() == liveness::error_category());
  const std::string message = ec.message();
  LIVENESS_FUZZ_CHECK(!message.empty());
  LIVENESS_FUZZ_CHECK(message.rfind("liveness error ", 0) != 0);  // the unnamed fallback
  LIVENESS_FUZZ_CHECK(liveness::error_name(ec) != "unknown");
}

}  // namespace liveness_fuzz

#endif  // LIVENESS_TESTS_FUZZ_FUZZ_COMMON_HPP
