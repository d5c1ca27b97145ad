#!/usr/bin/env bash
# fuzz/run.sh: runs wren's libFuzzer harnesses (see docs/fuzzing.md).
#
#   fuzz/run.sh list                 harnesses built in the fuzz build
#   fuzz/run.sh TARGET SECONDS [ARGS] one harness for SECONDS (ARGS go to libFuzzer)
#   fuzz/run.sh all SECONDS          every harness, one after the other
#   fuzz/run.sh stats                per harness: runs logged in WREN_FUZZ_WORK, total
#                                    executions, and the longest single run
#   fuzz/run.sh crashes              replays every recorded fuzz/corpus/*/crash-*:
#                                    passes without WREN_FUZZ_KNOWN_BUGS, and says
#                                    which still fail with it (exit 1 only if the
#                                    first is false)
#
# Build first: CC=clang cmake -S . -B build-fuzz -DWREN_FUZZ=ON -DWREN_WERROR=ON && cmake --build build-fuzz -j2
# Environment:
#   WREN_FUZZ_BUILD_DIR  the fuzz build (default: <repo>/build-fuzz)
#   WREN_FUZZ_WORK       where the growing corpora, logs and crash artifacts go
#                        (default: <build>/fuzz-work); the seeds in fuzz/corpus stay untouched
#   WREN_FUZZ_NICE       niceness of the fuzzer (default 19: never starve a build)
# Exit status: 0 if every run ended without a crash, leak, timeout or OOM; 1 otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${WREN_FUZZ_BUILD_DIR:-$repo/build-fuzz}
bin=$build/bin
work=${WREN_FUZZ_WORK:-$build/fuzz-work}
niceness=${WREN_FUZZ_NICE:-19}

usage() { sed -n '2,/^[^#]/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' >&2; exit 2; }

targets() {
  local f
  for f in "$bin"/fuzz_*; do
    [ -x "$f" ] && basename "$f" | sed 's/^fuzz_//'
  done
}

# run_one TARGET SECONDS [ARGS...]: fuzzes one harness; prints its final stats.
run_one() {
  local t=$1 secs=$2
  shift 2
  local exe=$bin/fuzz_$t
  [ -x "$exe" ] || { echo "run.sh: no harness $exe (build with -DWREN_FUZZ=ON)" >&2; return 1; }
  local dir=$work/$t
  mkdir -p "$dir/corpus" "$dir/artifacts"
  # The seeds minus recorded crash-* inputs (known open bugs: replay them
  # with `run.sh crashes`), copied so libFuzzer never writes into the repo.
  rm -rf "$dir/seeds"
  mkdir -p "$dir/seeds"
  if [ -d "$here/corpus/$t" ]; then
    find "$here/corpus/$t" -maxdepth 1 -type f ! -name 'crash-*' -exec cp {} "$dir/seeds/" \;
  fi
  local dict=()
  [ -f "$here/dict/$t.dict" ] && dict=(-dict="$here/dict/$t.dict")
  local log
  log=$dir/log-$(date -u +%Y%m%dT%H%M%SZ).txt
  local cmd=(nice -n "$niceness" "$exe" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=25
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "${dict[@]}" "$@" "$dir/corpus" "$dir/seeds")
  echo "== $t: ${cmd[*]}"
  local rc=0
  "${cmd[@]}" >"$log" 2>&1 || rc=$?
  # libFuzzer's own summary: "Done N runs in S second(s)" and the final stats.
  grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$log" |
    sed "s/^/   $t: /" || true
  if [ "$rc" != 0 ]; then
    echo "   $t: FAILED (exit $rc), log $log; last lines:" >&2
    grep -E 'ERROR|SUMMARY|wren fuzz|Test unit written|^    #[0-9]' "$log" | head -30 >&2 || tail -30 "$log" >&2
    return 1
  fi
  echo "   $t: ok, corpus $(find "$dir/corpus" -type f | wc -l) inputs, log $log"
}

# replay: runs each crash-* input once with the gated checks on.
replay() {
  local t f status=0 any=0
  for t in $(targets); do
    for f in "$here/corpus/$t"/crash-*; do
      [ -f "$f" ] || continue
      any=1
      # Without the gate the harness must step around it (that is what CI runs).
      if ! "$bin/fuzz_$t" -runs=1 "$f" >/dev/null 2>&1; then
        echo "$t/$(basename "$f"): FAILS EVEN WITHOUT WREN_FUZZ_KNOWN_BUGS (a new bug, or a missing gate)"
        status=1
      elif WREN_FUZZ_KNOWN_BUGS=1 "$bin/fuzz_$t" -runs=1 "$f" >/dev/null 2>&1; then
        echo "$t/$(basename "$f"): passes now (fixed? drop the gate and keep it as a seed)"
      else
        echo "$t/$(basename "$f"): still fails (known open bug)"
      fi
    done
  done
  [ "$any" = 1 ] || echo "no recorded crash-* inputs"
  return $status
}

# stats: sums libFuzzer's final counts over every log of every harness.
stats() {
  local t log
  printf '%-16s %5s %14s %14s %10s\n' harness runs executions longest_run exec/s
  for t in $(targets); do
    [ -d "$work/$t" ] || continue
    for log in "$work/$t"/log-*.txt; do
      [ -f "$log" ] || continue
      awk '/^stat::number_of_executed_units:/ {n=$2} /^stat::average_exec_per_sec:/ {r=$2} END {if (n != "") print n, r}' "$log"
    done | awk -v t="$t" '{runs++; total += $1; if ($1 > best) {best = $1; rate = $2}}
      END {if (runs) printf "%-16s %5d %14d %14d %10d\n", t, runs, total, best, rate}'
  done
}

[ $# -ge 1 ] || usage
case $1 in
list) targets ;;
stats) stats ;;
crashes) replay ;;
all)
  [ $# -eq 2 ] || usage
  status=0
  for t in $(targets); do
    run_one "$t" "$2" || status=1
  done
  exit $status
  ;;
-h | --help) usage ;;
*)
  [ $# -ge 2 ] || usage
  run_one "$@"
  ;;
esac
