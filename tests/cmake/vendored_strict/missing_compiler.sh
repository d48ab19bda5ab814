#!/usr/bin/env bash
# The strict consumer test of a compiler that is not installed: skips (exit code 4) saying
# why, or fails when LIVENESS_REQUIRE_PRIVILEGED_TESTS=1 (CI, where scripts/test.sh installs
# both compilers). $1: the compiler's name, $2: its Debian package.
echo "vendored_strict: $1 not found (Debian: apt-get install ${2:-$1})"
if [[ "${LIVENESS_REQUIRE_PRIVILEGED_TESTS:-0}" == 1 ]]; then
  echo "vendored_strict: LIVENESS_REQUIRE_PRIVILEGED_TESTS=1, so this is a failure"
  exit 1
fi
echo "vendored_strict: skipped"
exit 4
