// Catch2 v2's implementation (most of the cost of its single header), compiled once per
// build directory and linked into every test executable: with catch_main.cpp's main(), or
// with the executable's own (netns_main.cpp, tests/mqtt). Catch2 v3 is a compiled library
// of its own and needs none of this.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

namespace liveness_test {

// What main() calls: Catch2 v2 declares its Session only where the implementation is.
int catch_session_run(int argc, char* argv[]) { return Catch::Session().run(argc, argv); }

}  // namespace liveness_test
