#!/usr/bin/env bash
# Every example, built by examples/CMakeLists.txt, run at a small size on the
# embedded local backend, with its output checked.
source "$(dirname "$0")/lib.sh"
B="$WREN_BIN_DIR"
export TMPDIR="$WREN_TMP/tmp"; mkdir -p "$TMPDIR"

[ "$("$B/example_addone")" = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]" ] || fail "addone"

mkdir -p "$WREN_TMP/plots"
"$B/example_big_flops" --tasks 4 --loops 2 --n 256 --out "$WREN_TMP/plots" > "$WREN_TMP/bf.txt"
cat "$WREN_TMP/bf.txt"
grep -q "4/4 tasks, 0.27 GFLOP" "$WREN_TMP/bf.txt" || fail "big_flops work"    # 4 * 2 * 2 * 256^3
grep -Eq "effective [0-9.]+ GFLOPS, peak [0-9.]+ GFLOPS" "$WREN_TMP/bf.txt" || fail "big_flops figures"
for kind in timeline gflops; do
  rsvg-convert -o "$WREN_TMP/$kind.png" "$WREN_TMP/plots/big_flops-$kind.svg" || fail "big_flops $kind svg"
  [ "$(stat -c %s "$WREN_TMP/$kind.png")" -gt 10000 ] || fail "big_flops $kind png too small"
done

"$B/example_montecarlo" --tasks 4 --samples 100000 > "$WREN_TMP/mc.txt" || { cat "$WREN_TMP/mc.txt"; fail "montecarlo"; }
grep -q "^pi ~ 3.1" "$WREN_TMP/mc.txt" || fail "montecarlo pi"
grep -q "^  0.30 " "$WREN_TMP/mc.txt" || fail "montecarlo sweep table"

"$B/example_solves" --systems 6 --n 40 > "$WREN_TMP/sv.txt" || { cat "$WREN_TMP/sv.txt"; fail "solves"; }
grep -q "6 systems of 40 x 40 solved" "$WREN_TMP/sv.txt" || fail "solves count"
grep -q "singular system: Wren.SingularMatrix" "$WREN_TMP/sv.txt" || fail "solves singular"

"$B/example_knn_sweep" --train 300 --val 60 --kmax 7 > "$WREN_TMP/knn.txt" || { cat "$WREN_TMP/knn.txt"; fail "knn"; }
[ "$(grep -c '^k = ' "$WREN_TMP/knn.txt")" = 4 ] || fail "knn: 4 values of k"
grep -Eq "^best k = [1357] \(validation accuracy 0\.[0-9]+\)" "$WREN_TMP/knn.txt" || fail "knn best"

[ -z "$(ls -A "$TMPDIR")" ] || fail "left in TMPDIR: $(ls -A "$TMPDIR")"
echo "examples: ok"
