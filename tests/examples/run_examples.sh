#!/usr/bin/env bash
# Drives the example programs and checks their event lines (docs/examples.md).
#
#   run_examples.sh CASE BIN_DIR [CLIENT]
#
# CASE: flags | echo | hung | reconnect | deadlines | accept_limit | tls | demo. CLIENT (echo, hung, reconnect): echo_client
# (default) or echo_client_coro (also accept_limit). Every wait is bounded; every process started here is
# killed (by its pid) on exit. Exit code 0 when every check passed.
set -uo pipefail

case_name=${1:?case}
bin=${2:?bin dir}
client_name=${3:-echo_client}
server="$bin/echo_server"
client="$bin/$client_name"
work=$(mktemp -d "${TMPDIR:-/tmp}/liveness_examples.XXXXXX")
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

checks=0
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do
    [ -f "$f" ] && { echo "--- $(basename "$f")" >&2; cat "$f" >&2; }
  done
  exit 1
}
ok() { checks=$((checks + 1)); echo "ok: $*"; }

# wait_line FILE REGEX SECONDS: waits until a line of FILE matches the extended REGEX.
wait_line() {
  local file=$1 re=$2 limit=$3 i
  for ((i = 0; i < limit * 20; i++)); do
    grep -Eq "$re" "$file" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
# count_lines FILE REGEX
count_lines() { grep -Ec "$1" "$2" 2>/dev/null || true; }

# start_server NAME ARGS...: starts echo_server with its log in $work/NAME.log; sets
# server_pid and server_addr.
start_server() {
  local name=$1; shift
  "$server" "$@" >"$work/$name.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  wait_line "$work/$name.log" '^listening addr=' 10 || fail "$name: no listening line"
  server_addr=$(sed -n 's/^listening addr=\([^ ]*\).*/\1/p' "$work/$name.log")
}

# start_client NAME ARGS...: starts the client in the background; sets client_pid.
start_client() {
  local name=$1; shift
  "$client" "$@" >"$work/$name.log" 2>&1 &
  client_pid=$!
  pids+=("$client_pid")
}

# wait_exit PID SECONDS: waits for the process to end; sets exit_code (124 on time-out).
wait_exit() {
  local pid=$1 limit=$2 i
  for ((i = 0; i < limit * 20; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"; exit_code=$?; return 0
    fi
    sleep 0.05
  done
  exit_code=124
}

# expect_usage DESCRIPTION PROGRAM ARGS...: exit code 2, a usage line on stderr, no stdout.
expect_usage() {
  local what=$1; shift
  local out err rc
  out=$(timeout 10 "$@" 2>"$work/stderr") && rc=0 || rc=$?
  err=$(cat "$work/stderr")
  [ "$rc" -eq 2 ] || fail "$what: exit code $rc, expected 2 (stderr: $err)"
  grep -q '^usage: ' "$work/stderr" || fail "$what: no usage line on stderr: $err"
  [ -z "$out" ] || fail "$what: printed on stdout: $out"
  ok "$what -> exit 2, $(head -1 "$work/stderr")"
}

hb=(--heartbeat 300ms/500ms)

case "$case_name" in
flags)
  for prog in echo_server echo_client echo_client_coro; do
    [ -x "$bin/$prog" ] || continue
    p="$bin/$prog"
    if [ "$prog" = echo_server ]; then a=(--listen 127.0.0.1:0); else a=(--connect 127.0.0.1:9); fi
    expect_usage "$prog: no flags" "$p"
    expect_usage "$prog: unknown flag" "$p" "${a[@]}" --bogus 1
    expect_usage "$prog: missing value" "$p" "${a[@]}" --heartbeat
    expect_usage "$prog: stray argument" "$p" "${a[@]}" extra
    expect_usage "$prog: duration garbage" "$p" "${a[@]}" --heartbeat 5x/1s
    expect_usage "$prog: duration without unit" "$p" "${a[@]}" --heartbeat 300/500ms
    expect_usage "$prog: zero duration" "$p" "${a[@]}" --heartbeat 0ms/500ms
    expect_usage "$prog: negative duration" "$p" "${a[@]}" --heartbeat -1s/500ms
    expect_usage "$prog: one duration" "$p" "${a[@]}" --heartbeat 300ms
    expect_usage "$prog: huge duration" "$p" "${a[@]}" --heartbeat 99999999999999999999s/1s
    expect_usage "$prog: keepalive garbage" "$p" "${a[@]}" --keepalive 1s:x:3
    expect_usage "$prog: keepalive zero" "$p" "${a[@]}" --keepalive 0:1:3
    expect_usage "$prog: unknown codec" "$p" "${a[@]}" "${hb[@]}" --codec xml
    expect_usage "$prog: unknown role" "$p" "${a[@]}" "${hb[@]}" --role boss
    expect_usage "$prog: ping equals pong" "$p" "${a[@]}" "${hb[@]}" --ping X --pong X
    expect_usage "$prog: ping without heartbeat" "$p" "${a[@]}" --ping HI
    expect_usage "$prog: ping with the length codec" "$p" "${a[@]}" "${hb[@]}" --codec length --ping HI
    expect_usage "$prog: message timeout garbage" "$p" "${a[@]}" --message-timeout soon
    expect_usage "$prog: message timeout without unit" "$p" "${a[@]}" --message-timeout 10
    expect_usage "$prog: first message timeout negative" "$p" "${a[@]}" --first-message-timeout -1s
    expect_usage "$prog: close linger garbage" "$p" "${a[@]}" --close-linger 1x
    if [ "$prog" = echo_server ]; then
      expect_usage "$prog: no port" "$p" --listen 127.0.0.1
      expect_usage "$prog: port out of range" "$p" --listen 127.0.0.1:99999
    else
      expect_usage "$prog: no --connect" "$p" --send hi
      expect_usage "$prog: no port" "$p" --connect localhost
      expect_usage "$prog: port 0" "$p" --connect 127.0.0.1:0
      expect_usage "$prog: every garbage" "$p" "${a[@]}" --send hi --every soon
      expect_usage "$prog: every without unit" "$p" "${a[@]}" --send hi --every 10
      expect_usage "$prog: every without send" "$p" "${a[@]}" --every 1s
      expect_usage "$prog: reconnect min > max" "$p" "${a[@]}" --reconnect 2s/1s
      expect_usage "$prog: reconnect attempts garbage" "$p" "${a[@]}" --reconnect 1s/2s/x
      expect_usage "$prog: count garbage" "$p" "${a[@]}" --send hi --count -3
      expect_usage "$prog: send equals ping" "$p" "${a[@]}" "${hb[@]}" --send PING
    fi
    if [ "$prog" = echo_server ]; then
      expect_usage "$prog: --tls without --cert and --key" "$p" "${a[@]}" --tls
      expect_usage "$prog: --cert without --tls" "$p" "${a[@]}" --cert c.pem --key k.pem
    elif [ "$prog" = echo_client ]; then
      expect_usage "$prog: --ca without --tls" "$p" "${a[@]}" --ca ca.pem
      expect_usage "$prog: --tls with --reconnect" "$p" "${a[@]}" --tls --reconnect 1s/2s
    fi
    out=$("$p" --help) && rc=0 || rc=$?
    [ "$rc" -eq 0 ] && [[ "$out" == usage:* ]] || fail "$prog --help: exit $rc, '$out'"
    ok "$prog --help -> usage on stdout, exit 0"
  done
  if [ -x "$bin/liveness_demo" ]; then
    expect_usage "liveness_demo: unknown flag" "$bin/liveness_demo" --bogus
    expect_usage "liveness_demo: unknown scenario" "$bin/liveness_demo" --only nosuch
  fi
  ;;

echo)
  # Each watch configuration: echoes come back; the server reports online, then offline
  # with reason peer_closed when the client exits.
  for mode in keepalive line length; do
    case $mode in
      keepalive) w=(--keepalive 1s:1s:2) ;;
      line) w=("${hb[@]}" --ping HB? --pong HB!) ;;
      length) w=("${hb[@]}" --codec length) ;;
    esac
    start_server "server_$mode" --listen 127.0.0.1:0 "${w[@]}"
    log="$work/server_$mode.log"
    start_client "client_$mode" --connect "$server_addr" "${w[@]}" --send "hello $mode" \
      --every 100ms --count 3
    wait_exit "$client_pid" 15
    [ "$exit_code" -eq 0 ] || fail "$mode: client exit code $exit_code"
    clog="$work/client_$mode.log"
    grep -Eq "^connected peer=$server_addr\$" "$clog" || fail "$mode: no connected line"
    [ "$(count_lines "^echo text=hello $mode\$" "$clog")" -eq 3 ] || fail "$mode: not 3 echoes"
    grep -q '^done echoes=3$' "$clog" || fail "$mode: no done line"
    wait_line "$log" '^offline id=[^ ]+ peer=127\.0\.0\.1:[0-9]+ reason=peer_closed silent_ms=[0-9]+ verdict=peer_closed_or_reset$' 5 \
      || fail "$mode: no offline line with reason peer_closed"
    grep -Eq '^online id=tcp:127\.0\.0\.1:[0-9]+ peer=127\.0\.0\.1:[0-9]+$' "$log" \
      || fail "$mode: no online line"
    ok "$mode: 3 echoes, online, offline reason=peer_closed"
    kill "$server_pid"; wait_exit "$server_pid" 5
    [ "$exit_code" -eq 0 ] || fail "$mode: server exit code $exit_code after SIGTERM"
  done

  # A crashed client (SIGKILL): its kernel closes the connection.
  start_server crash --listen 127.0.0.1:0 "${hb[@]}"
  # The address is taken now: a second server cannot listen there (exit 1, a message).
  timeout 10 "$server" --listen "$server_addr" >"$work/taken.log" 2>&1 && rc=0 || rc=$?
  [ "$rc" -eq 1 ] || fail "address in use: exit code $rc, expected 1"
  grep -q "^echo_server: cannot listen on $server_addr: " "$work/taken.log" \
    || fail "address in use: no message"
  ok "address in use: $(head -1 "$work/taken.log"), exit 1"
  start_client crash_client --connect "$server_addr" "${hb[@]}"
  wait_line "$work/crash_client.log" '^connected ' 10 || fail "crash: client did not connect"
  wait_line "$work/crash.log" '^online ' 5 || fail "crash: no online line"
  kill -KILL "$client_pid"; wait "$client_pid" 2>/dev/null
  wait_line "$work/crash.log" '^offline .* reason=(peer_closed|peer_reset) ' 5 \
    || fail "crash: no offline line with peer_closed/peer_reset"
  ok "crashed client: offline $(sed -n 's/^offline .*\(reason=[^ ]*\).*/\1/p' "$work/crash.log")"

  # Nobody listening, no --reconnect: connect_failed, exit 1.
  port=$(sed -n 's/^listening addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/crash.log")
  kill -KILL "$server_pid"; wait "$server_pid" 2>/dev/null
  start_client refused --connect "127.0.0.1:$port"
  wait_exit "$client_pid" 10
  [ "$exit_code" -eq 1 ] || fail "refused: exit code $exit_code, expected 1"
  grep -q '^connect_failed reason=' "$work/refused.log" || fail "refused: no connect_failed line"
  ok "refused connection: $(head -1 "$work/refused.log"), exit 1"
  ;;

hung)
  # A hung client (SIGSTOP): only the heartbeat can see it (its kernel still ACKs).
  start_server hung --listen 127.0.0.1:0 "${hb[@]}" --keepalive 1s:1s:2
  start_client hung_client --connect "$server_addr" "${hb[@]}"
  wait_line "$work/hung.log" '^online ' 10 || fail "hung client: no online line"
  sleep 0.5
  kill -STOP "$client_pid"
  wait_line "$work/hung.log" '^offline .* reason=heartbeat_timeout silent_ms=[0-9]+ verdict=[a-z_]+$' 5 \
    || fail "hung client: no offline line with reason heartbeat_timeout"
  silent=$(sed -n 's/^offline .*silent_ms=\([0-9]*\).*/\1/p' "$work/hung.log")
  [ "$silent" -ge 500 ] || fail "hung client: silent_ms=$silent, expected >= 500"
  ok "hung client: offline reason=heartbeat_timeout silent_ms=$silent"
  kill -KILL "$client_pid"; wait "$client_pid" 2>/dev/null

  # A hung server: the client (no --reconnect) reports it and exits 1.
  start_client hung_server_client --connect "$server_addr" "${hb[@]}"
  wait_line "$work/hung_server_client.log" '^connected ' 10 || fail "hung server: no connected"
  sleep 0.5
  kill -STOP "$server_pid"
  wait_exit "$client_pid" 5
  kill -CONT "$server_pid"
  [ "$exit_code" -eq 1 ] || fail "hung server: client exit code $exit_code, expected 1"
  grep -Eq '^disconnected reason=heartbeat_timeout silent_ms=[0-9]+ verdict=[a-z_]+$' \
    "$work/hung_server_client.log" || fail "hung server: no disconnected heartbeat_timeout"
  ok "hung server: $(grep '^disconnected' "$work/hung_server_client.log"), exit 1"
  ;;

reconnect)
  # The client reconnects after the server is killed (SIGKILL) and started again on the
  # same port.
  start_server first --listen 127.0.0.1:0 "${hb[@]}"
  port=${server_addr##*:}
  start_client client --connect "127.0.0.1:$port" "${hb[@]}" --reconnect 100ms/500ms \
    --send ping --every 100ms
  clog="$work/client.log"
  wait_line "$clog" '^echo text=ping$' 10 || fail "no echo before the restart"
  kill -KILL "$server_pid"; wait "$server_pid" 2>/dev/null
  wait_line "$clog" '^disconnected reason=(peer_closed|peer_reset) silent_ms=[0-9]+ verdict=peer_closed_or_reset$' 5 \
    || fail "no disconnected line after SIGKILL"
  wait_line "$clog" '^reconnecting in_ms=[0-9]+$' 5 || fail "no reconnecting line"
  sleep 1  # down for a while: attempts fail (connection refused)
  echoes_before=$(count_lines '^echo text=ping$' "$clog")
  start_server second --listen "127.0.0.1:$port" "${hb[@]}"
  wait_line "$work/second.log" '^online id=tcp:127\.0\.0\.1:[0-9]+ peer=127\.0\.0\.1:[0-9]+$' 5 \
    || fail "the restarted server saw no client"
  [ "$(count_lines '^connected peer=' "$clog")" -eq 2 ] || fail "not 2 connected lines"
  for ((i = 0; i < 100; i++)); do
    [ "$(count_lines '^echo text=ping$' "$clog")" -gt "$echoes_before" ] && break
    sleep 0.05
  done
  [ "$(count_lines '^echo text=ping$' "$clog")" -gt "$echoes_before" ] \
    || fail "no echo after reconnecting"
  ok "reconnected after the server restart: $(grep -c '^reconnecting' "$clog") reconnecting lines, echoes flow again"
  kill "$client_pid"; wait_exit "$client_pid" 5
  [ "$exit_code" -eq 0 ] || fail "client exit code $exit_code after SIGTERM"

  # Nobody comes back: the client gives up after the attempts allowed.
  kill -KILL "$server_pid"; wait "$server_pid" 2>/dev/null
  start_client gives_up --connect "127.0.0.1:$port" --reconnect 20ms/50ms/3
  wait_exit "$client_pid" 10
  [ "$exit_code" -eq 1 ] || fail "give up: exit code $exit_code, expected 1"
  grep -q '^gave_up attempts=3$' "$work/gives_up.log" || fail "give up: no gave_up attempts=3"
  ok "gave up: $(grep '^gave_up' "$work/gives_up.log"), exit 1"
  ;;

deadlines)
  # --message-timeout cuts off a client that starts a line and never ends it (slowloris),
  # --first-message-timeout one that never sends a whole line; --close-linger 0 is taken.
  start_server srv --listen 127.0.0.1:0 --heartbeat 10s/10s --codec line --message-timeout 500ms \
    --first-message-timeout 1s --close-linger 0
  host=${server_addr%:*}; port=${server_addr##*:}
  # A client that drips one byte every 200 ms and never ends its line.
  ( exec 3<>"/dev/tcp/$host/$port"; for i in $(seq 1 50); do printf a >&3; sleep 0.2; done ) &
  pids+=($!)
  wait_line "$work/srv.log" 'offline id=tcp:[^ ]+ peer=[^ ]+ reason=message_timeout ' 5 ||
    fail "deadlines: the dripping client was not cut off with message_timeout"
  ok "a line that does not end within --message-timeout -> offline reason=message_timeout"
  # A client that connects and sends nothing.
  ( exec 3<>"/dev/tcp/$host/$port"; sleep 10 ) &
  pids+=($!)
  for ((i = 0; i < 100; i++)); do
    [ "$(count_lines 'reason=message_timeout ' "$work/srv.log")" -ge 2 ] && break
    sleep 0.05
  done
  [ "$(count_lines 'reason=message_timeout ' "$work/srv.log")" -ge 2 ] ||
    fail "deadlines: the silent client was not cut off by --first-message-timeout"
  ok "no whole line within --first-message-timeout -> offline reason=message_timeout"
  ;;
accept_limit)
  # At the descriptor limit (prlimit --nofile) echo_server pauses accepting instead of
  # retrying at once: little CPU, one line for the episode, and it accepts again once
  # descriptors are free. (Before async_accept_loop: 99 % of a core and hundreds of
  # thousands of "error what=accept" lines per second.)
  nofile=48       # about 10 for the process itself, the rest for clients
  held=60         # connections opened (and held) by this script: more than fit
  window=3        # seconds measured at the limit
  out="$work/limit.out"  # not *.log: fail() must not print a flood of lines
  if command -v prlimit >/dev/null 2>&1; then
    prlimit --nofile=$nofile:$nofile "$server" --listen 127.0.0.1:0 >"$out" 2>&1 &
  else
    (ulimit -n $nofile && exec "$server" --listen 127.0.0.1:0) >"$out" 2>&1 &
  fi
  server_pid=$!
  pids+=("$server_pid")
  wait_line "$out" '^listening addr=' 10 || fail "limit: no listening line: $(head -3 "$out")"
  server_addr=$(sed -n 's/^listening addr=\([^ ]*\).*/\1/p' "$out")
  port=${server_addr##*:}
  conns=()
  for ((i = 0; i < held; i++)); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$port" || fail "limit: connection $i refused"
    conns+=("$fd")
  done
  wait_line "$out" '^(accept_paused|error what=accept)' 10 \
    || fail "limit: the server never reached its descriptor limit: $(tail -3 "$out")"
  sleep 0.2
  cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
  hz=$(getconf CLK_TCK)
  lines0=$(wc -l <"$out"); cpu0=$(cpu_ticks)
  sleep "$window"
  lines1=$(wc -l <"$out"); cpu1=$(cpu_ticks)
  lines=$((lines1 - lines0))
  cpu_pct=$(((cpu1 - cpu0) * 100 / (window * hz)))
  online=$(count_lines '^online ' "$out")
  echo "at the limit (--nofile=$nofile, $online clients online, $held connecting): $lines lines and ${cpu_pct} % CPU in ${window} s ($(((lines + window - 1) / window)) lines/s), log $(wc -c <"$out") bytes"
  [ "$lines" -lt 20 ] || fail "limit: $lines lines in ${window} s at the limit (expected < 20): $(tail -2 "$out")"
  [ "$cpu_pct" -lt 20 ] || fail "limit: ${cpu_pct} % CPU at the limit (expected < 20 %)"
  [ "$(count_lines '^accept_paused reason=[^ ]+$' "$out")" -eq 1 ] || fail "limit: not one accept_paused line"
  [ "$(count_lines '^error what=accept' "$out")" -eq 0 ] || fail "limit: error what=accept lines"
  [ "$online" -ge 20 ] || fail "limit: only $online clients online before the limit"
  ok "at the limit: one line ($(grep '^accept_paused' "$out")), $lines lines and ${cpu_pct} % CPU in ${window} s"

  # The clients leave: their sessions end, descriptors are free, accepting resumes (the
  # connections still in the backlog first), and a new client gets its echo.
  for fd in "${conns[@]}"; do exec {fd}>&-; done
  wait_line "$out" '^accept_resumed paused_ms=[0-9]+ retries=[0-9]+$' 5 \
    || fail "limit: no accept_resumed line: $(tail -3 "$out")"
  start_client limit_client --connect "$server_addr" --send hello --count 1
  wait_exit "$client_pid" 10
  [ "$exit_code" -eq 0 ] || fail "limit: client exit code $exit_code after the limit"
  grep -q '^echo text=hello$' "$work/limit_client.log" || fail "limit: no echo after the limit"
  # Accepting may pause once more while the backlog drains: the loop's retry can come
  # before every closed client's session has given its descriptor back (the backlog holds
  # the connections that never fitted). Each such episode is one line and ends in a
  # resume.
  for ((i = 0; i < 100; i++)); do
    paused=$(count_lines '^accept_paused' "$out")
    [ "$paused" -eq "$(count_lines '^accept_resumed' "$out")" ] && break
    sleep 0.05
  done
  [ "$paused" -eq "$(count_lines '^accept_resumed' "$out")" ] \
    || fail "limit: a pause without its resume: $(grep '^accept_' "$out" | tr '\n' ' ')"
  [ "$paused" -le 3 ] || fail "limit: $paused pauses: $(grep '^accept_' "$out" | tr '\n' ' ')"
  ok "resumed: $(grep '^accept_resumed' "$out" | tail -1) ($paused pause(s)), $(count_lines '^online ' "$out") clients online in all, a new client got its echo"
  kill "$server_pid"; wait_exit "$server_pid" 5
  [ "$exit_code" -eq 0 ] || fail "limit: server exit code $exit_code after SIGTERM"
  ;;

tls)
  # --tls: a certificate made now (no key is checked in); echoes, online and offline over
  # TLS, a client that does not verify (a warning), a hung TLS client found by the
  # heartbeat inside TLS, and a plain TCP client refused by the handshake.
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
    -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1 || fail "tls: openssl req failed"
  tls=(--tls --cert "$work/cert.pem" --key "$work/key.pem")
  for mode in line length; do
    case $mode in
      line) w=("${hb[@]}") ;;
      length) w=("${hb[@]}" --codec length) ;;
    esac
    start_server "tls_server_$mode" --listen 127.0.0.1:0 "${w[@]}" "${tls[@]}"
    log="$work/tls_server_$mode.log"
    start_client "tls_client_$mode" --connect "$server_addr" "${w[@]}" --tls --ca "$work/cert.pem" \
      --send "hello tls $mode" --every 100ms --count 3
    wait_exit "$client_pid" 15
    [ "$exit_code" -eq 0 ] || fail "tls $mode: client exit code $exit_code"
    clog="$work/tls_client_$mode.log"
    grep -Eq "^connected peer=$server_addr\$" "$clog" || fail "tls $mode: no connected line"
    [ "$(count_lines "^echo text=hello tls $mode\$" "$clog")" -eq 3 ] || fail "tls $mode: not 3 echoes"
    grep -q '^done echoes=3$' "$clog" || fail "tls $mode: no done line"
    grep -q 'warning' "$clog" && fail "tls $mode: a warning although --ca was given"
    grep -Eq '^online id=tcp:127\.0\.0\.1:[0-9]+ peer=127\.0\.0\.1:[0-9]+$' "$log" \
      || fail "tls $mode: no online line"
    wait_line "$log" '^offline id=[^ ]+ peer=127\.0\.0\.1:[0-9]+ reason=peer_closed silent_ms=[0-9]+ verdict=peer_closed_or_reset$' 5 \
      || fail "tls $mode: no offline line with reason peer_closed (close_notify)"
    ok "tls $mode: verified, 3 echoes, online, offline reason=peer_closed"
    [ "$mode" = length ] || { kill "$server_pid"; wait_exit "$server_pid" 5; }
  done

  # Without --ca: no verification, said on stderr; it still works.
  start_client tls_noverify --connect "$server_addr" "${hb[@]}" --codec length --tls \
    --send unverified --count 1
  wait_exit "$client_pid" 15
  [ "$exit_code" -eq 0 ] || fail "tls without --ca: client exit code $exit_code"
  grep -q '^echo_client: warning: --tls without --ca: ' "$work/tls_noverify.log" \
    || fail "tls without --ca: no warning"
  grep -q '^echo text=unverified$' "$work/tls_noverify.log" || fail "tls without --ca: no echo"
  ok "tls without --ca: $(grep -c warning "$work/tls_noverify.log") warning, echo"

  # A hung TLS client (SIGSTOP after the handshake): heartbeat_timeout.
  start_client tls_hung --connect "$server_addr" "${hb[@]}" --codec length --tls
  wait_line "$work/tls_hung.log" '^connected ' 10 || fail "tls hung: no connected line"
  sleep 0.5
  kill -STOP "$client_pid"
  wait_line "$log" '^offline .* reason=heartbeat_timeout silent_ms=[0-9]+ verdict=[a-z_]+$' 5 \
    || fail "tls hung: no offline line with reason heartbeat_timeout"
  ok "tls hung client: $(grep 'reason=heartbeat_timeout' "$log")"
  kill -KILL "$client_pid"; wait "$client_pid" 2>/dev/null

  # A plain TCP client: its bytes are no TLS handshake.
  start_client tls_plain --connect "$server_addr" "${hb[@]}" --codec length --send plain
  wait_line "$log" '^error what=tls_handshake reason=[^ ]+$' 10 \
    || fail "tls: a plain client was not refused by the handshake"
  ok "plain client against --tls: $(grep '^error what=tls_handshake' "$log" | head -1)"
  kill -KILL "$client_pid" 2>/dev/null; wait "$client_pid" 2>/dev/null
  kill "$server_pid"; wait_exit "$server_pid" 5
  [ "$exit_code" -eq 0 ] || fail "tls: server exit code $exit_code after SIGTERM"
  ;;

demo)
  out="$work/demo.log"
  timeout 110 "$bin/liveness_demo" >"$out" 2>&1 && rc=0 || rc=$?
  cat "$out"
  [ "$rc" -eq 0 ] || fail "liveness_demo exit code $rc"
  for s in 'peer crashed' 'peer hung' 'peer closed gracefully' \
           'bulk transfer' 'clients, ' 'server restarted' 'cable pulled'; do
    grep -q "^$s\|^.*$s" "$out" || fail "demo: no row for '$s'"
  done
  [ "$(grep -c '  MISSED$' "$out")" -eq 0 ] || fail "demo: a row missed its budget"
  if [ "$(id -u)" -eq 0 ]; then
    [ "$(grep -c '^cable pulled.*  ok$' "$out")" -eq 2 ] || fail "demo: cable rows not ok as root"
  fi
  ok "liveness_demo: every scenario inside its budget"
  ;;

*)
  echo "unknown case: $case_name" >&2
  exit 2
  ;;
esac
echo "$case_name: $checks checks passed"
