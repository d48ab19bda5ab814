#!/usr/bin/env bash
# Builds and runs liveness_demo: the classic dead-peer failures (crashed, hung and gracefully
# closed peers, a bulk transfer, 100 clients of which 10 go silent, a server restart and, as
# root, a pulled cable) played against real sockets on this machine, with a table of what
# detected each one, its budget, when and why. Exits with the demo's code: 0 when every
# scenario is inside its budget.
#
#   scripts/demo.sh            (as root on a fresh Debian bookworm machine)
#
# Missing Debian packages are installed when run as root; otherwise the install line is
# printed. BUILD_DIR (default: build-demo) can be set. docs/examples.md explains the table
# and the echo_server / echo_client examples (`cmake --build build-demo` builds them).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

build_dir=${BUILD_DIR:-build-demo}
packages=(cmake ninja-build g++ libasio-dev)
# The cable-pull scenario (root only) drops the traffic with nftables.
[ "$(id -u)" -eq 0 ] && packages+=(nftables)
stage "dependencies" ensure_packages "${packages[@]}"
stage "configure" cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DLIVENESS_BUILD_TESTS=OFF -DLIVENESS_BUILD_EXAMPLES=ON >/dev/null
stage "build" cmake --build "$build_dir" --target liveness_demo >/dev/null

echo
rc=0
"$build_dir/examples/liveness_demo" || rc=$?
echo
if [ "$(id -u)" -ne 0 ]; then
  echo "(run as root to add the pulled-cable scenario: a private network namespace + nftables)"
fi
exit $rc
