#!/usr/bin/env bash
# Runs every libFuzzer harness briefly over its seed corpus (fuzz/corpus/NAME,
# minus the recorded crash-* inputs), then replays those crash-* inputs to
# prove each is still stepped around (fuzz/run.sh crashes). Under 2 minutes.
#
# Needs a fuzz build (clang, -DWREN_FUZZ=ON; see docs/fuzzing.md): the one in
# WREN_FUZZ_BUILD_DIR, or this ctest's own build when it has the harnesses.
# Without one it is skipped (exit 77). WREN_FUZZ_SMOKE_SECONDS sets the time
# per harness (default: 75 s shared among them, at least 2 s each).
set -euo pipefail
src=${WREN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${WREN_FUZZ_BUILD_DIR:-}
if [ -z "$build" ] && [ -n "${WREN_BUILD_DIR:-}" ] && compgen -G "$WREN_BUILD_DIR/bin/fuzz_*" >/dev/null; then
  build=$WREN_BUILD_DIR
fi
if [ -z "$build" ] || ! compgen -G "$build/bin/fuzz_*" >/dev/null; then
  echo "SKIPPED: no fuzz harnesses built. Build them with" \
    "'CC=clang cmake -S . -B build-fuzz -DWREN_FUZZ=ON && cmake --build build-fuzz'" \
    "and set WREN_FUZZ_BUILD_DIR=build-fuzz (docs/fuzzing.md)."
  exit 77
fi
: "${WREN_BIN_DIR:=$build/bin}"
export WREN_BIN_DIR
# shellcheck source=lib.sh
. "$src/test/integration/lib.sh"

export WREN_FUZZ_BUILD_DIR=$build
export WREN_FUZZ_WORK=$WREN_TMP/work
export WREN_FUZZ_NICE=${WREN_FUZZ_NICE:-10}
run=$src/fuzz/run.sh

mapfile -t targets < <("$run" list)
for c in "$src"/fuzz/fuzz_*.c; do
  t=$(basename "$c" .c)
  t=${t#fuzz_}
  [ -x "$build/bin/fuzz_$t" ] || echo "note: fuzz_$t is not built in $build (its module is missing there)"
done
secs=${WREN_FUZZ_SMOKE_SECONDS:-$((75 / ${#targets[@]}))}
[ "$secs" -ge 2 ] || secs=2
echo "fuzzing ${#targets[@]} harnesses for ${secs} s each: ${targets[*]}"

failed=()
for t in "${targets[@]}"; do
  "$run" "$t" "$secs" || failed+=("$t")
done
"$run" crashes || failed+=("crash-replay")
[ ${#failed[@]} -eq 0 ] || fail "fuzzing found problems in: ${failed[*]} (logs under $WREN_FUZZ_WORK are removed on exit; rerun fuzz/run.sh TARGET to keep them)"
echo "all ${#targets[@]} harnesses ran clean"
