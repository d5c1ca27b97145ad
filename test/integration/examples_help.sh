#!/usr/bin/env bash
# The examples that take options answer --help and -h with their usage on
# stdout and exit 0 without running anything (each within 5 s, no worker
# started), and refuse an unknown option or a missing value with exit 2 and
# the usage on stderr. (example_addone takes no options.)
source "$(dirname "$0")/lib.sh"
examples=(example_big_flops example_montecarlo example_solves example_knn_sweep)
cd "$WREN_TMP"   # nothing may appear here but our own two files
for e in "${examples[@]}"; do
  exe="$WREN_BIN_DIR/$e"
  [ -x "$exe" ] || fail "$e is not built"
  for opt in --help -h; do
    set +e
    timeout 5 "$exe" "$opt" > "$WREN_TMP/out" 2> "$WREN_TMP/err"; rc=$?
    set -e
    [ $rc = 0 ] || fail "$e $opt exited $rc: $(head -c 300 "$WREN_TMP/err")"
    head -1 "$WREN_TMP/out" | grep -q "^usage: $e" || fail "$e $opt: no usage line: $(head -c 300 "$WREN_TMP/out")"
    [ "$(wc -l < "$WREN_TMP/out")" -le 12 ] || fail "$e $opt printed more than its usage"
    [ ! -s "$WREN_TMP/err" ] || fail "$e $opt wrote to stderr: $(head -c 300 "$WREN_TMP/err")"
  done
  for bad in "--no-such-option 1" "--no-such-option" "--n"; do
    set +e
    # shellcheck disable=SC2086  # word splitting wanted: an option and maybe a value
    timeout 5 "$exe" $bad > "$WREN_TMP/out" 2> "$WREN_TMP/err"; rc=$?
    set -e
    [ $rc = 2 ] || fail "$e $bad exited $rc, not 2"
    grep -q "^usage: $e" "$WREN_TMP/err" || fail "$e $bad: no usage on stderr"
    [ ! -s "$WREN_TMP/out" ] || fail "$e $bad wrote to stdout: $(head -c 300 "$WREN_TMP/out")"
  done
done
[ "$(ls -A "$WREN_TMP" | sort | tr '\n' ' ')" = "err out " ] || fail "left behind: $(ls -A "$WREN_TMP")"
echo "examples --help: ${#examples[@]} programs ok"
