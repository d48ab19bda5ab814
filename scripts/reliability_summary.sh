#!/usr/bin/env bash
# Prints the closing reliability summary of the last ctest run in a build directory: fault
# cases (network-namespace fault matrix), hostile inputs, lifetime cases and fuzz targets,
# each tried / passed / failed / skipped, the failures by name, and the suite's overall
# failure count.
#
#   scripts/reliability_summary.sh [BUILD_DIR]     (default: build)
#
# Reads BUILD_DIR/Testing/Temporary/LastTest.log (every test's name, output and result)
# and LastTestsFailed.log (the failures, as ctest counts them: failed, timed out, not run).
# Test names: "<variant>:netns:fault: ...", "<variant>:hostile: ...",
# "<variant>:lifetime: ...", "fuzz:<target>". A test that printed a line starting with
# "SKIP:" (the netns executables without root) or "fuzz:<target>: skipped" (no clang)
# counts as skipped (ctest's log reports such a test as passed).
#
# Informational only: always exits 0, so the caller's exit status is unchanged.
set -uo pipefail

build_dir=${1:-build}
log="$build_dir/Testing/Temporary/LastTest.log"
failed_log="$build_dir/Testing/Temporary/LastTestsFailed.log"

echo "== reliability summary"
if [ ! -f "$log" ]; then
  echo "   no ctest log at $log: nothing to summarise"
  exit 0
fi

# LastTestsFailed.log lines are "<index>:<name>"; it is absent when nothing failed, or left
# over from an earlier run: then it was written before this run started ("Start testing:"
# in LastTest.log, to the minute) and is ignored. ctest may close LastTest.log after it
# writes LastTestsFailed.log, so the two files' times cannot be compared directly.
failed_names=$(mktemp)
trap 'rm -f "$failed_names"' EXIT
if [ -f "$failed_log" ]; then
  started=$(sed -n -e 's/^Start testing: //p' "$log" | head -n 1)
  started_s=$(date -d "$started" +%s 2>/dev/null || echo 0)
  if [ "$(stat -c %Y "$failed_log")" -ge "$started_s" ]; then
    sed -e 's/^[0-9]*://' "$failed_log" >"$failed_names"
  fi
fi

awk -v failed_file="$failed_names" '
  BEGIN {
    while ((getline line < failed_file) > 0) failed[line] = 1
    ncat = split("fault hostile lifetime fuzz", cats, " ")
    label["fault"] = "faults (netns fault matrix)"
    label["hostile"] = "hostile inputs"
    label["lifetime"] = "lifetime cases"
    label["fuzz"] = "fuzz targets"
    total = 0
  }
  function category(name) {
    if (name ~ /^[^:]+:netns:fault: /) return "fault"
    if (name ~ /^[^:]+:hostile: /) return "hostile"
    if (name ~ /^[^:]+:lifetime: /) return "lifetime"
    if (name ~ /^fuzz:/) return "fuzz"
    return ""
  }
  function finish() {
    if (current == "") return
    total++
    c = category(current)
    if (c != "") {
      tried[c]++
      if (current in failed) { nfailed[c]++; failures[c] = failures[c] "      " current "\n" }
      else if (skipped) nskipped[c]++
      else npassed[c]++
      if (c == "fuzz") {
        status = (current in failed) ? "FAILED" : (skipped ? "skipped" : "passed")
        fuzz_runs = fuzz_runs "      " current ": " status "\n"
      }
    }
    current = ""
  }
  /^[0-9]+\/[0-9]+ Testing: / {
    finish()
    current = $0
    sub(/^[0-9]+\/[0-9]+ Testing: /, "", current)
    skipped = 0
    next
  }
  current != "" && (/^SKIP: / || /^fuzz:[^ ]+: skipped/) { skipped = 1 }
  END {
    finish()
    for (i = 1; i <= ncat; i++) {
      c = cats[i]
      printf "   %-28s tried %4d   passed %4d   failed %4d   skipped %4d\n", label[c],
             tried[c] + 0, npassed[c] + 0, nfailed[c] + 0, nskipped[c] + 0
      if (c == "fuzz") printf "%s", fuzz_runs
      else if (failures[c] != "") printf "%s", failures[c]
    }
    n = 0
    for (f in failed) n++
    printf "   %-28s %d of %d tests\n", "overall failures", n, total
    if (n > 0) {
      shown = 0
      for (f in failed) {
        if (category(f) != "") continue
        if (shown++ < 20) print "      " f
      }
      if (shown > 20) print "      ... and " shown - 20 " more"
    }
  }
' "$log"
exit 0
