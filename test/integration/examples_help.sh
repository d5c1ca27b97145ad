#!/usr/bin/env bash
# The examples that take options keep the usage contract (wren_check_usage in
# lib.sh: --help/-h on stdout with exit 0 and no worker started; an unknown
# option or a missing value is exit 2). example_addone takes no options.
source "$(dirname "$0")/lib.sh"
examples=(example_big_flops example_montecarlo example_solves example_knn_sweep)
cd "$WREN_TMP"   # nothing may appear here but our own two files
for e in "${examples[@]}"; do
  wren_check_usage "$e" 12
done
[ "$(ls -A "$WREN_TMP" | sort | tr '\n' ' ')" = "err out " ] || fail "left behind: $(ls -A "$WREN_TMP")"
echo "examples --help: ${#examples[@]} programs ok"
