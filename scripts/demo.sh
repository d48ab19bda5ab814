#!/usr/bin/env bash
# Builds the examples and plays a short scene: an echo server with TCP keepalive, a client
# that talks to it, then the server process is killed (SIGKILL) under a second client, which
# reports how the connection died; finally a liveness::session finds a hung peer with its
# heartbeat.
#
#   scripts/demo.sh            (as root on a fresh Debian bookworm machine)
#
# Missing Debian packages are installed when run as root; otherwise the install line is
# printed. BUILD_DIR (default: build-demo) can be set.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

build_dir=${BUILD_DIR:-build-demo}
stage "dependencies" ensure_packages cmake ninja-build g++ libasio-dev
stage "configure" cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DLIVENESS_BUILD_TESTS=OFF -DLIVENESS_BUILD_EXAMPLES=ON >/dev/null
stage "build" cmake --build "$build_dir" -j "$(nproc)" >/dev/null

bin=$build_dir/examples
log=$(mktemp)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null; rm -f "$log"; }
trap cleanup EXIT

echo
echo "--- 1. echo_server with keepalive 4s:1s:3 (a dead peer is found within 7 s)"
"$bin/readme_example" | sed 's/^/    /'
"$bin/echo_server" --listen 127.0.0.1:0 --keepalive 4s:1s:3 >"$log" &
server_pid=$!
for _ in $(seq 50); do grep -q '^listening' "$log" && break; sleep 0.1; done
addr=$(sed -n 's/^listening addr=//p' "$log")
echo "    server: $(head -1 "$log")"

echo "--- 2. a client sends three lines"
"$bin/echo_client" --connect "$addr" --keepalive 4s:1s:3 --send hello --every 100 --count 3 \
  | sed 's/^/    client: /'

echo "--- 3. a second client is talking when the server process is killed (SIGKILL)"
"$bin/echo_client" --connect "$addr" --keepalive 4s:1s:3 --send ping --every 200 --count 1000 \
  | sed 's/^/    client: /' &
client_pid=$!
sleep 1
kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
echo "    (server killed)"
rc=0
wait "$client_pid" || rc=$?
echo
echo "--- server events"
sed 's/^/    /' "$log"
echo
echo "The client saw the server's kernel close the connection (peer_closed or peer_reset)"
echo "at once: a crashed process is the easy case. A pulled cable, a powered-off host or a"
echo "hung process send nothing at all; that is what keepalive and heartbeats are for."

echo
echo "--- 4. a hung peer: its socket stays open, its kernel answers keepalive probes, its"
echo "       application never answers; a liveness::session with ping/pong (200 ms + 300 ms)"
"$bin/readme_session" | sed 's/^/    /'
echo
echo "(liveness_demo, which plays every failure side by side, arrives with the registry.)"
