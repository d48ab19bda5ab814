#!/usr/bin/env bash
# Builds one libFuzzer target with clang++ (-fsanitize=fuzzer,address,undefined) and runs it
# for a bounded time on a copy of its seed corpus (the repository is never written).
#
#   run_fuzz.sh SOURCE_DIR BUILD_DIR TARGET [SECONDS]
#
# Fails (exit 1) on a compile error, a crash, a broken invariant, a leak, a sanitizer report
# or a timeout/OOM of a single input. Exits 4 (skipped), printing why, when clang++ or its
# fuzzer runtime is missing, unless LIVENESS_REQUIRE_PRIVILEGED_TESTS=1 (CI): then fails.
set -euo pipefail

source_dir=$1
build_dir=$2
target=$3
seconds=${4:-60}

skip_or_fail() {
  echo "fuzz:${target}: $1"
  if [[ "${LIVENESS_REQUIRE_PRIVILEGED_TESTS:-0}" == 1 ]]; then
    echo "fuzz:${target}: LIVENESS_REQUIRE_PRIVILEGED_TESTS=1, so this is a failure" \
         "(Debian: apt-get install clang libclang-rt-14-dev)"
    exit 1
  fi
  echo "fuzz:${target}: skipped (Debian: apt-get install clang libclang-rt-14-dev)"
  exit 4
}

cxx=${LIVENESS_FUZZ_CXX:-}
if [[ -z "$cxx" ]]; then
  for c in clang++ clang++-16 clang++-15 clang++-14; do
    if command -v "$c" >/dev/null 2>&1; then cxx=$c; break; fi
  done
fi
[[ -n "$cxx" ]] || skip_or_fail "clang++ not found"

mkdir -p "$build_dir"
exe="$build_dir/${target}_fuzz"
flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -fno-omit-frame-pointer -Wall -Wextra -Wpedantic -Werror
       -I"$source_dir/include" -DASIO_NO_DEPRECATED)

# A compiler that cannot link a fuzzer at all (no libclang-rt) means a missing package,
# not a bug in the target.
probe="$build_dir/probe.cpp"
printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
  'extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }' \
  > "$probe"
if ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe" -o "$build_dir/probe" \
     >"$build_dir/probe.log" 2>&1; then
  cat "$build_dir/probe.log"
  skip_or_fail "$cxx cannot link -fsanitize=fuzzer (libclang-rt-14-dev missing?)"
fi

echo "fuzz:${target}: building with $cxx"
"$cxx" "${flags[@]}" "$source_dir/tests/fuzz/${target}_fuzz.cpp" -o "$exe"

corpus="$build_dir/${target}_corpus"
artifacts="$build_dir/${target}_artifacts"
rm -rf "$corpus" "$artifacts"
mkdir -p "$corpus" "$artifacts"
cp "$source_dir/tests/fuzz/corpus/${target}/"* "$corpus/"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "fuzz:${target}: running for ${seconds} s"
rc=0
"$exe" "$corpus" -max_total_time="$seconds" -rss_limit_mb=512 -max_len=4096 -timeout=10 \
  -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$artifacts/" || rc=$?
if [[ $rc -ne 0 ]] || compgen -G "$artifacts/*" >/dev/null; then
  echo "fuzz:${target}: FAILED (exit code $rc); reproducer(s) in $artifacts:"
  ls -l "$artifacts"
  echo "fuzz:${target}: reproduce with: $exe <reproducer>"
  exit 1
fi
echo "fuzz:${target}: passed ($(ls "$corpus" | wc -l) corpus inputs)"
