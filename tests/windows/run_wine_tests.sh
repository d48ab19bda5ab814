#!/usr/bin/env bash
# The Windows code path, for real: cross-compile the test programs of tests/windows/ with
# mingw-w64 and run them under Wine in a private network namespace.
#   keepalive_wine_test.cpp  TCP keepalive on Windows (SIO_KEEPALIVE_VALS, the Windows 10
#                            setsockopt path, a blackholed connection timed out by keepalive)
#   session_wine_test.cpp    the session, registry and reconnecting client over loopback:
#                            data both ways, every death reason loopback can produce,
#                            completion tokens, lifetime cases (see the file's header)
#
# Usage (CTest does this): bash run_wine_tests.sh <source_dir> <work_dir>
#
# Exit codes: 0 all checks passed; 4 skipped (not root, a tool missing, no network namespaces;
# the reason is printed); anything else is a failure.
#
# What happens:
#  1. compile  x86_64-w64-mingw32-g++-posix, static, each program once per backend (standalone
#              Asio, header-only, and, when its headers are there, Boost.Asio, separately
#              compiled with src/liveness.cpp), LIVENESS_WINE_JOBS (default
#              2) compiles at a time, through ccache when it is installed (objects then come
#              from the cache when nothing changed), against a private include dir holding
#              only symlinks to the Asio and Boost headers (all of /usr/include would drag
#              glibc headers into a Windows build).
#  2. in `unshare -n` (a network namespace that disappears with its last process):
#     lo up; a fresh WINEPREFIX under <work_dir>; `wineserver -f -p` started here, so that it
#     (which owns Wine's sockets) lives in this namespace; `wineboot --init` (once, shared by
#     every run below).
#  3. session  session_wine_test_<backend>.exe, under Wine's default Windows version, the
#              backends at once.
#  4. run 1    keepalive, Wine's default Windows version (Wine 8: Windows 7, build 7601): the
#              library must go straight to SIO_KEEPALIVE_VALS.
#  5. run 2    keepalive, the prefix set to Windows 10 (build 18362): the library tries
#              setsockopt (TCP_KEEPIDLE...), Wine refuses it, the library falls back to the
#              ioctl.
#     In each keepalive run the program writes its listening port to run/blackhole.port while
#     reads are pending on two keepalive connections to it; this script drops that port's TCP
#     traffic both ways with nftables (Wine's host sockets are Linux sockets in this
#     namespace) and creates run/blackhole.ready; keepalive must then end both reads within
#     the bound (Wine 8: the overlapped read with ERROR_SEM_TIMEOUT 121, the blocking one
#     with WSAETIMEDOUT 10060), and liveness::classify_transport_error must call both
#     keepalive_timeout.
#  6. `wineserver -k`; the prefix is removed (LIVENESS_WINE_KEEP_PREFIX=1 keeps it); the
#     namespace goes away.
# The whole script is bounded (LIVENESS_WINE_BUDGET seconds, default 540) and prints the time
# of each stage.

set -u

budget=${LIVENESS_WINE_BUDGET:-540}
self=$(readlink -f "${BASH_SOURCE[0]}")

# CI sets LIVENESS_REQUIRE_PRIVILEGED_TESTS=1: there a skip is a failure.
skip() {
  if [ "${LIVENESS_REQUIRE_PRIVILEGED_TESTS:-}" = 1 ]; then
    echo "FAIL (LIVENESS_REQUIRE_PRIVILEGED_TESTS=1): cannot run: $*"
    exit 1
  fi
  echo "SKIPPED: $*"
  exit 4
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
stage() { echo; echo "==== [$(date +%T)] $* ===="; }

# --------------------------------------------------------------------------------------------
# Inside the namespace:
#   run_wine_tests.sh --inside <source_dir> <work_dir> <seconds_left> <outer netns, for the log>
# --------------------------------------------------------------------------------------------
inside() {
  local work=$2 left=$3 host_netns=$4
  local deadline=$((SECONDS + left))
  local run="$work/run" exe
  remaining() { echo $((deadline - SECONDS > 1 ? deadline - SECONDS : 1)); }

  ip link set lo up || { echo "FAIL: ip link set lo up"; return 1; }
  echo "network namespace: $(readlink /proc/self/ns/net) (outside: $host_netns)"
  echo "net.ipv4.tcp_keepalive_probes here: $(cat /proc/sys/net/ipv4/tcp_keepalive_probes)" \
       "(Wine leaves TCP_KEEPCNT alone, so this is its probe count)"

  export WINEPREFIX="$work/wineprefix" WINEARCH=win64 WINEDEBUG=-all
  export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
  unset DISPLAY WAYLAND_DISPLAY

  local t
  stage "fresh WINEPREFIX $WINEPREFIX, wineserver started in this namespace"
  t=$(now)
  # A server left over from an interrupted run (for the old prefix) must not serve this one.
  if [ -d "$WINEPREFIX" ]; then timeout 10 wineserver -k >/dev/null 2>&1; fi
  rm -rf "$WINEPREFIX" "$run"
  mkdir -p "$WINEPREFIX" "$run"
  wineserver -f -p &
  local ws_pid=$!
  # The prefix takes ~700 MB (Wine 8 copies its DLLs into it): remove it when done, unless
  # LIVENESS_WINE_KEEP_PREFIX=1 asks to keep it for a look.
  drop_prefix() {
    [ "${LIVENESS_WINE_KEEP_PREFIX:-0}" = 1 ] || rm -rf "$WINEPREFIX"
  }
  # shellcheck disable=SC2064
  trap "timeout 15 wineserver -k >/dev/null 2>&1; wait $ws_pid 2>/dev/null; drop_prefix" EXIT
  # Wait for its socket. The server directory is /tmp/.wine-UID/server-DEV-INODE upstream and
  # /tmp/wine-XXXXXX/server-DEV-INODE in Debian's package; wineserver works in it, so ask it.
  local sock=""
  for _ in $(seq 100); do
    sock="$(readlink "/proc/$ws_pid/cwd" 2>/dev/null)/socket"
    [ -S "$sock" ] && break
    kill -0 "$ws_pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! kill -0 "$ws_pid" 2>/dev/null; then echo "FAIL: wineserver did not start"; return 1; fi
  echo "wineserver pid $ws_pid, netns $(readlink "/proc/$ws_pid/ns/net"), socket $sock"
  if [ "$(readlink "/proc/$ws_pid/ns/net")" != "$(readlink /proc/self/ns/net)" ]; then
    echo "FAIL: wineserver is not in this network namespace"
    return 1
  fi
  echo "stage time: $(elapsed "$t") s"

  stage "wineboot --init (first start of a prefix is slow)"
  t=$(now)
  # Harmless below: "could not open working directory" (system32 does not exist yet) and
  # "failed to open ...syswow64\\rundll32.exe" (no 32-bit Wine is installed).
  timeout -k 5 "$(remaining)" wine wineboot --init
  local rc=$?
  echo "wineboot exit code $rc; stage time: $(elapsed "$t") s"
  if [ $rc -ne 0 ]; then echo "FAIL: wineboot"; return 1; fi

  local overall=0
  # The session programs need nothing from this script: all backends at once, each in its
  # own directory, their output printed one after the other.
  run_sessions() {
    local t0 exe label rc logs=() pids=()
    stage "run: session_wine_test (session, registry, reconnect), every backend at once"
    t0=$(now)
    for exe in "$work"/build/session_wine_test_*.exe; do
      label=$(basename "$exe" .exe)
      mkdir -p "$run/$label"
      (cd "$run/$label" &&
         timeout -k 5 "$(($(remaining) < 120 ? $(remaining) : 120))" wine "$exe" >out.log 2>&1
       echo $? >rc) &
      pids+=($!)
      logs+=("$run/$label")
    done
    wait "${pids[@]}"  # not a bare wait: wineserver is a child of this shell too
    for dir in "${logs[@]}"; do
      label=$(basename "$dir")
      echo "---- $label ----"
      cat "$dir/out.log"
      rc=$(cat "$dir/rc" 2>/dev/null || echo 1)
      [ "$rc" -eq 124 ] && { echo "FAIL: $label timed out"; rc=1; }
      [ "$rc" -eq 4 ] && rc=1
      echo "$label: exit code $rc"
      [ "$rc" -ne 0 ] && [ $overall -eq 0 ] && overall=$rc
    done
    echo "stage time: $(elapsed "$t0") s"
  }
  run_program() {  # <label> <program arguments...>
    local label=$1
    shift
    stage "run: $label"
    local t0 rc pid port=""
    t0=$(now)
    rm -f "$run"/blackhole.*
    (cd "$run" && exec timeout -k 5 "$(($(remaining) < 120 ? $(remaining) : 120))" \
       wine "$exe" "$@") &
    pid=$!
    # The program writes the port once a read is pending on the keepalive socket.
    for _ in $(seq 600); do
      [ -s "$run/blackhole.port" ] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    [ -s "$run/blackhole.port" ] && port=$(tr -dc 0-9 < "$run/blackhole.port")
    if [ -n "$port" ]; then
      if nft -f - <<EOF
table inet liveness_wine {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport $port counter drop
    tcp sport $port counter drop
  }
}
EOF
      then
        touch "$run/blackhole.ready"
        echo "script: [$(date +%T.%N)] dropping tcp port $port both ways"
      else
        echo "script: nft failed; the blackhole check will fail"
      fi
    elif kill -0 "$pid" 2>/dev/null; then
      echo "script: no blackhole.port from the program within 60 s"
    fi
    wait "$pid"
    rc=$?
    if [ -n "$port" ]; then
      echo "script: [$(date +%T.%N)] program ended; packets dropped (the probes):"
      nft list table inet liveness_wine 2>/dev/null | grep counter
      nft delete table inet liveness_wine 2>/dev/null
    fi
    [ $rc -eq 124 ] && { echo "FAIL: $label timed out"; rc=1; }
    [ $rc -eq 4 ] && rc=1  # 4 means "skipped" to CTest; the program never returns it
    echo "$label: exit code $rc; stage time: $(elapsed "$t0") s"
    [ $rc -ne 0 ] && [ $overall -eq 0 ] && overall=$rc
    return 0
  }

  run_sessions

  for exe in "$work"/build/keepalive_wine_test_*.exe; do
    run_program "$(basename "$exe"): Wine default Windows version" --expect=default
  done

  stage "set the prefix's Windows version to win10"
  t=$(now)
  timeout -k 5 60 wine reg add 'HKCU\Software\Wine' /v Version /d win10 /f
  rc=$?
  echo "reg add exit code $rc; stage time: $(elapsed "$t") s"
  if [ $rc -ne 0 ]; then
    echo "FAIL: could not set the Windows version"
    [ $overall -eq 0 ] && overall=1
  else
    for exe in "$work"/build/keepalive_wine_test_*.exe; do
      run_program "$(basename "$exe"): Windows 10 (setsockopt refused, fallback)" --expect=win10
    done
  fi

  stage "wineserver -k"
  t=$(now)
  timeout 15 wineserver -k
  wait "$ws_pid" 2>/dev/null
  trap - EXIT
  drop_prefix
  echo "stage time: $(elapsed "$t") s"
  return $overall
}

if [ "${1:-}" = "--inside" ]; then
  shift
  inside "$@"
  exit $?
fi

# --------------------------------------------------------------------------------------------
# Outside: checks, compile, then the namespace part.
# --------------------------------------------------------------------------------------------
if [ $# -ne 2 ]; then
  echo "usage: bash $0 <source_dir> <work_dir>"
  exit 2
fi
deadline=$((SECONDS + budget))
script_start=$(now)

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace and nftables)"
cxx=x86_64-w64-mingw32-g++-posix
for tool in "$cxx" wine wineserver nft ip unshare timeout; do
  command -v "$tool" >/dev/null 2>&1 ||
    skip "$tool not found (Debian: g++-mingw-w64-x86-64-posix, wine, nftables, iproute2)"
done
if [ ! -f /usr/include/asio.hpp ] || [ ! -d /usr/include/asio ]; then
  skip "standalone Asio not found in /usr/include (Debian: libasio-dev)"
fi
unshare -n true 2>/dev/null || skip "cannot create a network namespace (unshare -n failed)"
src=$(readlink -f "$1")
mkdir -p "$2" || exit 1
work=$(readlink -f "$2")

echo "source: $src"
echo "work:   $work"
"$cxx" --version | head -n1
wine --version 2>/dev/null

mkdir -p "$work/include" "$work/build"
ln -sfn /usr/include/asio "$work/include/asio"
ln -sfn /usr/include/asio.hpp "$work/include/asio.hpp"
backends=(standalone)
if [ -d /usr/include/boost/asio ]; then
  ln -sfn /usr/include/boost "$work/include/boost"
  backends+=(boost)
else
  echo "note: Boost headers not found; only the standalone Asio backend is tested"
fi
programs=(session_wine_test keepalive_wine_test)  # the longest compile first
jobs=${LIVENESS_WINE_JOBS:-2}
launcher=()
if command -v ccache >/dev/null 2>&1 && [ "${LIVENESS_WINE_CCACHE:-1}" = 1 ]; then
  launcher=(ccache)
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$src}"
fi
# One compile (to an object, which ccache can keep) and link: <program> <backend>.
# The Boost.Asio builds are also separately compiled (LIVENESS_SEPARATE_COMPILATION, with
# src/liveness.cpp linked in; docs/separate_compilation.md), the standalone ones header-only.
compile_one() {
  local program=$1 backend=$2 t0 rc defs=(-DASIO_STANDALONE) objs=()
  [ "$backend" = boost ] && defs=(-DLIVENESS_USE_BOOST_ASIO -DLIVENESS_SEPARATE_COMPILATION)
  local obj="$work/build/${program}_$backend.o" exe="$work/build/${program}_$backend.exe"
  local left=$((deadline - SECONDS > 1 ? deadline - SECONDS : 1))
  t0=$(now)
  rm -f "$exe"
  # -Wa,-mbig-obj: Asio's templates can exceed the 32768 sections of a plain COFF object.
  local base=("${launcher[@]}" "$cxx" -std=c++17 -O1 -Wall -Wextra -Wpedantic -Werror
              -D_WIN32_WINNT=0x0A00 "${defs[@]}" -Wa,-mbig-obj
              -I"$src/include" -I"$src/tests/support" -I"$work/include")
  local cmd=("${base[@]}" -c "$src/tests/windows/$program.cpp" -o "$obj")
  echo "${cmd[*]}"
  timeout -k 5 "$left" "${cmd[@]}"
  rc=$?
  objs=("$obj")
  if [ $rc -eq 0 ] && [ "$backend" = boost ]; then
    local lib="$work/build/${program}_${backend}_liveness_src.o"
    cmd=("${base[@]}" -c "$src/src/liveness.cpp" -o "$lib")
    echo "${cmd[*]}"
    timeout -k 5 "$left" "${cmd[@]}"
    rc=$?
    objs+=("$lib")
  fi
  [ $rc -eq 0 ] && timeout -k 5 "$left" "$cxx" "${objs[@]}" -o "$exe" -static -lws2_32 -lmswsock
  rc=$?
  echo "compile ${program}_$backend.exe: exit code $rc; time: $(elapsed "$t0") s"
  return $rc
}
stage "compile ${programs[*]} x ${backends[*]} ($jobs at a time${launcher:+, through ccache})"
t=$(now)
logs=()
for program in "${programs[@]}"; do
  [ -f "$src/tests/windows/$program.cpp" ] ||
    { echo "FAIL: $src/tests/windows/$program.cpp not found"; exit 1; }
  for backend in "${backends[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    log="$work/build/${program}_$backend.log"
    rm -f "$log.rc"
    (compile_one "$program" "$backend" >"$log" 2>&1; echo $? >"$log.rc") &
    logs+=("$log")
  done
done
wait
compile_failed=0
for log in "${logs[@]}"; do
  cat "$log"
  [ "$(cat "$log.rc" 2>/dev/null)" = 0 ] || compile_failed=1
done
echo "compile stage time: $(elapsed "$t") s"
[ $compile_failed -eq 0 ] || { echo "FAIL: cross-compilation"; exit 1; }

left=$((deadline - SECONDS))
[ $left -gt 30 ] || { echo "FAIL: no time left for the Wine part"; exit 1; }
timeout -k 20 "$left" unshare -n -- bash "$self" --inside "$src" "$work" "$((left - 15))" \
  "$(readlink /proc/self/ns/net)"
rc=$?
[ $rc -eq 124 ] && echo "FAIL: the Wine part exceeded the time budget"
[ $rc -eq 4 ] && rc=1
echo
echo "total time: $(elapsed "$script_start") s; result: $([ $rc -eq 0 ] && echo PASSED || echo "FAILED ($rc)")"
exit $rc
