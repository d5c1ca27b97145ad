#!/usr/bin/env bash
# Every bench program keeps the usage contract (wren_check_usage in lib.sh:
# --help/-h print at most 4 lines on stdout, exit 0, and run no benchmark; an
# unknown option or a missing value is exit 2). bench_map_one is not in the
# list: it is the helper bench_map runs per task under xargs, not a benchmark.
source "$(dirname "$0")/lib.sh"
benches=(bench_arrays bench_cold_start bench_gemm bench_invoke bench_isolation bench_map bench_sigv4 bench_store bench_submit)
cd "$WREN_TMP"   # bench_store makes its directory under /tmp; nothing may appear here either
for b in "${benches[@]}"; do
  wren_check_usage "$b" 4
done
[ "$(ls -A "$WREN_TMP" | sort | tr '\n' ' ')" = "err out " ] || fail "left behind: $(ls -A "$WREN_TMP")"
echo "bench --help: ${#benches[@]} programs ok"
