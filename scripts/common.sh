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

# stage NAME COMMAND...: runs a command and prints how long it took; stage_summary prints
# every stage's time again, one line each.
stage_times=()
stage() {
  local name=$1; shift
  local start=$SECONDS
  echo "== $name"
  local rc=0
  "$@" || rc=$?
  echo "== $name: $((SECONDS - start)) s (exit $rc)"
  stage_times+=("$(printf '%6d s  %s (exit %d)' $((SECONDS - start)) "$name" $rc)")
  return $rc
}
stage_summary() {
  echo "== stage times"
  printf '%s\n' "${stage_times[@]}"
}
