#!/usr/bin/env bash
# Runs the liveness benchmarks and writes docs/benchmarks.md and docs/benchmarks.png:
#   1. idle fleet (liveness vs Boost.Beast websocket vs hand-rolled Asio, N = 2k..18k),
#   2. detection accuracy, 3. data path throughput, 4. timers alone (micro).
#
#   scripts/bench.sh                 (as root on a fresh Debian bookworm machine; ~20 min)
#   BENCH_QUICK=1 scripts/bench.sh   (smoke run: tiny sizes, about a minute; writes its
#                                     report under the build directory, not docs/)
#
# Missing Debian packages (Beast's headers come with libboost1.81-dev, the plot needs
# gnuplot) are installed when run as root; otherwise the install line is printed.
# BUILD_DIR (default: build-bench), JOBS (default: nproc) and BENCH_OUT_DIR (where the
# report goes; default docs/, or the build directory in quick mode) can be set.
# Run it on an otherwise quiet machine: every number is a ratio measured in the same run,
# but a busy machine still makes the run noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

total_start=$SECONDS
build_dir=${BUILD_DIR:-build-bench}
jobs=${JOBS:-$(nproc)}
quick=${BENCH_QUICK:-0}
results_dir="$build_dir/bench-results"
if [ "$quick" = 1 ]; then
  out_dir=${BENCH_OUT_DIR:-$results_dir}
else
  out_dir=${BENCH_OUT_DIR:-docs}
fi

stage "dependencies" ensure_packages \
  cmake ninja-build g++ libasio-dev libboost1.81-dev libbenchmark-dev gnuplot

stage "configure" cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DLIVENESS_BUILD_BENCHMARKS=ON -DLIVENESS_BUILD_TESTS=OFF -DLIVENESS_BUILD_EXAMPLES=OFF \
  -DLIVENESS_INSTALL=OFF
stage "build" cmake --build "$build_dir" -j "$jobs" --target \
  fleet_server fleet_client detection datapath micro_timers bench_report

bin="$build_dir/bench"
mkdir -p "$results_dir" "$out_dir"
results="$results_dir/results.txt"
: > "$results"

# ---- the machine ----------------------------------------------------------------------
machine="$results_dir/machine.txt"
{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "nproc=$(nproc)"
  echo "kernel=$(uname -sr)"
  echo "memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "load=$(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at the start)"
  echo "compiler=$(g++ --version | head -1)"
  echo "asio=standalone $(dpkg-query -W -f='${Version}' libasio-dev 2>/dev/null || echo '?')"
  echo "boost=$(dpkg-query -W -f='${Version}' libboost1.81-dev 2>/dev/null || echo '?') (Beast, Boost.Asio)"
  echo "commit=$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' + local changes')"
  if [ "$quick" = 1 ]; then echo "mode=quick"; fi
} > "$machine"

# ---- 1. idle fleet --------------------------------------------------------------------
if [ "$quick" = 1 ]; then
  sizes="200 500"; window=3; settle=1; raw_window=2
else
  sizes="2000 5000 10000 18000"; window=60; settle=5; raw_window=10
fi
per_client=9000  # connections per client process (each process may hold 20,000 fds)

# fleet_run IMPL N SECONDS: one server, ceil(N / per_client) client processes.
fleet_run() {
  local impl=$1 n=$2 seconds=$3
  local port_file="$results_dir/port.$impl.$n"
  rm -f "$port_file"
  "$bin/fleet_server" --impl "$impl" --n "$n" --seconds "$seconds" --settle "$settle" \
    --setup-timeout 180 --port-file "$port_file" --out "$results" &
  local server=$!
  local i
  for i in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.1; done
  if [ ! -s "$port_file" ]; then
    echo "fleet_server did not start" >&2
    kill "$server" 2>/dev/null || true
    wait "$server" || true
    return 1
  fi
  local port
  port=$(cat "$port_file")
  local clients=() left=$n
  while [ "$left" -gt 0 ]; do
    local k=$(( left < per_client ? left : per_client ))
    "$bin/fleet_client" --impl "$impl" --port "$port" --n "$k" \
      --max-seconds $(( seconds + 300 )) &
    clients+=($!)
    left=$(( left - k ))
  done
  local rc=0
  wait "$server" || rc=$?
  # The server exited: its connections are closed and the clients see EOF and exit.
  local c
  for c in "${clients[@]}"; do
    for i in $(seq 300); do kill -0 "$c" 2>/dev/null || break; sleep 0.1; done
    kill "$c" 2>/dev/null || true
    wait "$c" || true
  done
  rm -f "$port_file"
  return $rc
}

fleet_all() {
  local n impl largest=${sizes##* }
  for n in $sizes; do
    fleet_run raw "$n" "$raw_window" || echo "fleet raw N=$n failed" >&2
    for impl in liveness beast asio; do
      fleet_run "$impl" "$n" "$window" || echo "fleet $impl N=$n failed" >&2
    done
    if [ "$n" = "$largest" ]; then
      fleet_run liveness_steady "$n" "$window" || echo "fleet liveness_steady failed" >&2
    fi
  done
}
stage "idle fleet" fleet_all

# ---- 2. detection accuracy ------------------------------------------------------------
if [ "$quick" = 1 ]; then
  stage "detection" timeout 300 "$bin/detection" --sessions 100 --interval-ms 100 \
    --timeout-ms 200 --silence-min 0.2 --silence-max 1.2 --out "$results" || true
else
  stage "detection" timeout 600 "$bin/detection" --sessions 1000 --interval-ms 1000 \
    --timeout-ms 2000 --silence-min 1 --silence-max 6 --out "$results" || true
fi

# ---- 3. data path ---------------------------------------------------------------------
if [ "$quick" = 1 ]; then
  stage "data path" timeout 300 "$bin/datapath" --mib 64 --rounds 1 --out "$results" || true
else
  stage "data path" timeout 900 "$bin/datapath" --mib 1024 --rounds 3 --out "$results" || true
fi

# ---- 4. timers alone ------------------------------------------------------------------
if [ "$quick" = 1 ]; then
  stage "micro" timeout 300 "$bin/micro_timers" --sessions 10000 --ops 200000 \
    --scales 10000,100000 --repeat 1 --out "$results" || true
else
  stage "micro" timeout 900 "$bin/micro_timers" --sessions 10000 --ops 2000000 \
    --scales 100000,1000000 --repeat 3 --out "$results" || true
fi

# ---- report ---------------------------------------------------------------------------
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at the end)" >> "$machine"
stage "report" "$bin/bench_report" --results "$results" --machine "$machine" \
  --md "$out_dir/benchmarks.md" --plot-dir "$results_dir" --png benchmarks.png
stage "plot" gnuplot "$results_dir/fleet.gp"
if [ "$(cd "$results_dir" && pwd)" != "$(cd "$out_dir" && pwd)" ]; then
  cp "$results_dir/benchmarks.png" "$out_dir/benchmarks.png"
fi
echo "== headline: $(cat "$results_dir/headline.txt")"
echo "== report: $out_dir/benchmarks.md, $out_dir/benchmarks.png"
echo "== total: $((SECONDS - total_start)) s"
