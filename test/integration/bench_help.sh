#!/usr/bin/env bash
# Every bench program in this list answers --help and -h with its usage on
# stdout and exit 0 without running the benchmark (each must return within
# 5 s), and refuses an unknown option with exit 2. The list is explicit:
# bench_map_one is not in it (a helper bench_map runs per task under xargs,
# not a benchmark).
source "$(dirname "$0")/lib.sh"
benches=(bench_arrays bench_cold_start bench_gemm bench_invoke bench_isolation bench_map bench_sigv4 bench_store bench_submit)
cd "$WREN_TMP"   # bench_store makes its directory under /tmp; nothing may appear here either
for b in "${benches[@]}"; do
  exe="$WREN_BIN_DIR/$b"
  [ -x "$exe" ] || fail "$b is not built"
  for opt in --help -h; do
    set +e
    timeout 5 "$exe" "$opt" > "$WREN_TMP/out" 2> "$WREN_TMP/err"; rc=$?
    set -e
    [ $rc = 0 ] || fail "$b $opt exited $rc: $(head -c 300 "$WREN_TMP/err")"
    head -1 "$WREN_TMP/out" | grep -q "^usage: $b" || fail "$b $opt: no usage line: $(head -c 300 "$WREN_TMP/out")"
    [ "$(wc -l < "$WREN_TMP/out")" -le 4 ] || fail "$b $opt printed more than its usage"
    [ ! -s "$WREN_TMP/err" ] || fail "$b $opt wrote to stderr: $(head -c 300 "$WREN_TMP/err")"
  done
  set +e
  timeout 5 "$exe" --no-such-option > "$WREN_TMP/out" 2> "$WREN_TMP/err"; rc=$?
  set -e
  [ $rc = 2 ] || fail "$b --no-such-option exited $rc, not 2"
  grep -q "^usage: $b" "$WREN_TMP/err" || fail "$b --no-such-option: no usage on stderr"
done
[ "$(ls -A "$WREN_TMP" | sort | tr '\n' ' ')" = "err out " ] || fail "left behind: $(ls -A "$WREN_TMP")"
echo "bench --help: ${#benches[@]} programs ok"
