#!/usr/bin/env bash
# Builds and runs the whole liveness test suite (docs/testing.md): every test built for
# C++17/C++20 on standalone Asio and Boost.Asio by g++; the sans-I/O and smoke tiers run in
# each of them, the real-time loopback and network-namespace (root) tests in the C++20
# standalone build; the same tests built by clang++ under ASan+UBSan (all of them run) and
# ThreadSanitizer (the [threads] cases); header self-containment, the consumer projects (a
# strict-warning vendored one by g++ and clang++ among them), the examples, the fuzz
# targets and the Windows path under Wine. Each stage prints its time, and a summary at the
# end.
#
#   scripts/test.sh            (as root on a fresh Debian bookworm machine)
#
# Missing Debian packages are installed when run as root; otherwise the install line is
# printed. BUILD_DIR (default: build) and JOBS (default: nproc) can be set.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

total_start=$SECONDS
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}

stage "dependencies" ensure_packages \
  cmake ninja-build g++ libasio-dev catch2 libboost1.81-dev \
  iproute2 nftables util-linux mosquitto g++-mingw-w64-x86-64-posix wine wine64 \
  clang libclang-rt-14-dev libtsan2 libssl-dev openssl pkg-config make

# Two builds, side by side, each ninja -j JOBS (their compiles share the cores; each fills
# the other's idle time: configure, links, the last long translation unit):
#  - g++ ("$build_dir"): the std17, std20, boost17 and boost20 variants, the header checks,
#    the examples; the consumer, Wine, docs, examples and fuzz tests.
#  - clang++ ("$build_dir/sanitizers"): the asan (ASan+UBSan) and tsan variants, nothing else.
#    clang++ compiles them in half the CPU time g++ takes (a unity batch of the ASan socket
#    tests: 68 against 151 CPU-s), and is the second compiler of every test file.
# One unity batch per executable (LIVENESS_TEST_UNITY_BATCH=32, more than any executable
# has files): every test file of an executable in one translation unit, so that the
# session's, Asio's and Catch2's templates are instantiated and compiled once per
# executable (the default batch of 8 keeps the edit loop's rebuilds small).
# Debug, with line tables only (-g1): enough for the sanitizers' and a crash's stack traces,
# and 12 % less compile time than -g; the variants that run only the sans-I/O and smoke tiers
# get none (-g0, LIVENESS_TEST_G0). The g++ build's ctest runs the clang++ build's tests too
# (LIVENESS_TEST_INCLUDE_BUILDS): one test run, one summary.
mkdir -p "$build_dir"
build_abs=$(cd "$build_dir" && pwd)
san_dir="$build_abs/sanitizers"
configure() {
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
    -DLIVENESS_BUILD_TESTS=ON -DLIVENESS_BUILD_EXAMPLES=ON -DLIVENESS_WERROR=ON \
    -DLIVENESS_TEST_SANITIZERS=OFF -DLIVENESS_TEST_TSAN=OFF -DLIVENESS_TEST_UNITY_BATCH=32 \
    "-DLIVENESS_TEST_INCLUDE_BUILDS=$san_dir" &&
  cmake -S . -B "$san_dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DLIVENESS_BUILD_TESTS=ON -DLIVENESS_BUILD_EXAMPLES=OFF \
    -DLIVENESS_TEST_UNITY_BATCH=32 \
    -DLIVENESS_WERROR=ON -DLIVENESS_TEST_VARIANTS= -DLIVENESS_TEST_SANITIZERS=ON \
    -DLIVENESS_TEST_TSAN=ON -DLIVENESS_TEST_EXTRAS=OFF
}
stage "configure (g++; clang++ for the sanitizers)" configure

# build_both: the two ninjas at once; fails if either does (both run to their end).
build_both() {
  local san_rc=0 rc=0
  cmake --build "$san_dir" -j "$jobs" >"$san_dir/build.log" 2>&1 &
  local san_pid=$!
  cmake --build "$build_dir" -j "$jobs" || rc=$?
  wait "$san_pid" || san_rc=$?
  tail -n 1 "$san_dir/build.log"
  if [ "$san_rc" -ne 0 ]; then cat "$san_dir/build.log"; return "$san_rc"; fi
  return "$rc"
}
stage "build (g++ and clang++ at once)" build_both || exit 1

# The tests: the real-time ones mostly sleep on timers, so ctest runs more of them than
# there are cores (-j 3 x JOBS); the CPU-bound ones (consumer and fuzz compiles, the
# fuzzers) run at nice 19, one per core ("cpus" slots of cpu_slots.json), started first
# (tests/CMakeLists.txt), so that they use the CPU the sleeping tests leave.
rc=0
rm -f "$build_dir/Testing/Temporary/LastTestsFailed.log"  # this run's failures only
stage "test" ctest --test-dir "$build_dir" -j "$((3 * jobs))" \
  --resource-spec-file "$build_abs/tests/cpu_slots.json" \
  --output-on-failure --timeout 900 || rc=$?
# Faults, hostile inputs, lifetime cases and fuzz targets of this run; informational, the
# exit status stays ctest's.
scripts/reliability_summary.sh "$build_dir" || true
stage_summary
echo "== total: $((SECONDS - total_start)) s"
exit $rc
