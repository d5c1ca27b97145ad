#!/usr/bin/env bash
# The demo the README's first command ends with (after building into
# ${BUILD_DIR:-build}): a few kernel calls through `wren call`, then the seeds'
# big_flops benchmark at a laptop size, on the embedded local backend (no AWS,
# nothing to start by hand), and where its plots are.
#   BIG_FLOPS_ARGS="--tasks 16 --loops 4 --n 2048" scripts/run-demo.sh   # bigger
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
bin="$build/bin"
out="$build/demo"
mkdir -p "$out"

echo "== wren call: one kernel call each, JSON in, JSON out (local workers)"
for c in 'addone 41' 'montecarlo_pi {"samples":1000000,"seed":1}' \
         'solve {"a":[[4,1],[1,3]],"b":[1,2]}' 'fail {"type":"Demo","message":"errors come back typed"}'; do
  kernel=${c%% *}; args=${c#* }
  printf '$ wren call %s %s\n' "$kernel" "$args"
  "$bin/wren" call "$kernel" "$args" || true
done

echo
echo "== big_flops: tasks x loops dgemm of n x n mapped over local workers"
# shellcheck disable=SC2086
"$bin/example_big_flops" --out "$out" ${BIG_FLOPS_ARGS:---tasks 8 --loops 4 --n 1024}
echo
echo "Plots: $out/big_flops-timeline.svg and $out/big_flops-gflops.svg (open them in a browser)."
echo "The seeds' full run: $bin/example_big_flops --tasks 1600 --loops 10 --n 4096 --timeout 900"
