# Shared by scripts/demo.sh and scripts/test.sh: Debian package checks and stage timing.

# ensure_packages PKG...: installs the missing ones when run as root; otherwise prints the
# exact install line and exits 1.
ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
}

# children_cpu: sets children_cpu_s to the CPU seconds (user + system) used so far by this
# shell's finished children, from the `times` builtin (run here, not in a subshell, whose
# children would be others).
children_cpu_s=0
children_cpu() {
  local f
  f=$(mktemp)
  times >"$f"
  # `times` prints "XmY.YYYs XmY.YYYs" (user, system): the shell's, then its children's.
  local sum='NR == 2 { split($0, t, /[ ms]+/); print 60 * t[1] + t[2] + 60 * t[3] + t[4] }'
  children_cpu_s=$(awk "$sum" "$f")
  rm -f "$f"
}

# stage NAME COMMAND...: runs a command and prints how long it took (wall, and the CPU time
# of the processes it waited for: on a shared machine the wall time is noise, the CPU time
# is not); stage_summary prints every stage's time again, one line each.
stage_times=()
stage() {
  local name=$1; shift
  local start=$SECONDS cpu_start
  children_cpu
  cpu_start=$children_cpu_s
  echo "== $name"
  local rc=0
  "$@" || rc=$?
  local cpu
  children_cpu
  cpu=$(awk -v a="$cpu_start" -v b="$children_cpu_s" 'BEGIN { printf "%d", b - a }')
  echo "== $name: $((SECONDS - start)) s, $cpu CPU-s (exit $rc)"
  stage_times+=("$(printf '%6d s %6d CPU-s  %s (exit %d)' $((SECONDS - start)) "$cpu" "$name" \
    $rc)")
  return $rc
}
stage_summary() {
  echo "== stage times"
  printf '%s\n' "${stage_times[@]}"
}
