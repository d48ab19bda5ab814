#!/usr/bin/env bash
# Builds and runs the whole liveness test suite (docs/testing.md): every test built for
# C++17/C++20 on standalone Asio and Boost.Asio; the sans-I/O and smoke tiers run in each of
# them, the real-time loopback and network-namespace (root) tests in the C++20 standalone
# build and under ASan+UBSan, the [threads] cases under TSan; header self-containment, the
# consumer projects (a strict-warning vendored one by g++ and clang++ among them), the
# examples, the fuzz targets, the Windows path under Wine, and the unit tests built by
# clang++ (C++20, the quick tier run). Each stage prints its time, and a summary at the end.
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

# Debug, with line tables only (-g1): enough for the sanitizers' and a crash's stack traces,
# and 12 % less compile time than -g (measured on the std20 test executables).
stage "configure" cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
  -DLIVENESS_BUILD_TESTS=ON -DLIVENESS_BUILD_EXAMPLES=ON -DLIVENESS_WERROR=ON
# The unit tests built by clang++ too (C++20, standalone Asio, no sanitizers; every unit test
# file, its warnings errors), running the quick tier (the real-time tests run in the g++
# builds). The library headers under clang's strict warnings: tests/cmake/vendored_strict.
# Its build starts now, at nice 19, beside the main build: it takes only the CPU time that
# the main build leaves idle (its configure, its links, the last long translation units)
# and costs the main build about 1/70 of a core. The test stage waits for it, so that no
# compile loads the machine under the timing tests, and its quick tier runs last.
clang_dir="$build_dir/clang-std20"
clang_build() {
  cmake -S . -B "$clang_dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
    -DLIVENESS_BUILD_TESTS=ON -DLIVENESS_BUILD_EXAMPLES=OFF -DLIVENESS_WERROR=ON \
    -DLIVENESS_TEST_VARIANTS=std20 -DLIVENESS_TEST_SANITIZERS=OFF -DLIVENESS_TEST_TSAN=OFF &&
    cmake --build "$clang_dir" --target liveness_sansio_tests_std20 liveness_tests_std20 \
      -j "$jobs"
}
mkdir -p "$clang_dir"
( renice -n 19 -p "$BASHPID" >/dev/null; start=$SECONDS; crc=0; clang_build || crc=$?
  echo "clang++ build: $((SECONDS - start)) s at nice 19 (exit $crc)"; exit $crc
) >"$clang_dir/build.log" 2>&1 &
clang_pid=$!
# The stage's wall time is what the main build left of it; its CPU time is all of it.
clang_wait() {
  local rc=0
  wait "$clang_pid" || rc=$?
  if [ "$rc" -eq 0 ]; then tail -n 3 "$clang_dir/build.log"; else cat "$clang_dir/build.log"; fi
  return $rc
}

rc=0
stage "build" cmake --build "$build_dir" -j "$jobs" || { wait "$clang_pid" || true; exit 1; }
stage "clang++: build (std20; the rest of it, after the main build)" clang_wait || rc=$?
stage "test" ctest --test-dir "$build_dir" -j "$jobs" --output-on-failure --timeout 900 || rc=$?
stage "clang++: quick tier (std20)" \
  ctest --test-dir "$clang_dir" -L quick -j "$jobs" --output-on-failure --timeout 300 || rc=$?
# Faults, hostile inputs, lifetime cases and fuzz targets of this run; informational, the
# exit status stays ctest's.
scripts/reliability_summary.sh "$build_dir" || true
stage_summary
echo "== total: $((SECONDS - total_start)) s"
exit $rc
