#!/usr/bin/env bash
# bench/run_all.sh: runs every benchmark in bench/ and prints one table.
#
#   bench/run_all.sh [--full] [--bin DIR] [--keep-logs]
#
# Quick settings by default (a few minutes on 2 busy cores); --full uses each
# benchmark's own defaults (long). DIR is the build's bin directory (default
# $WREN_BIN_DIR, else build/bin beside this script); build it first with
# `cmake --build build -j2`. Each benchmark's own output is saved in a log
# directory (printed at the end; removed unless --keep-logs); the table shows
# its headline figures. Benchmarks that are not built, or fail, show as
# "skipped" with the reason, and the script carries on.
set -u

here=$(cd "$(dirname "$0")" && pwd)
bin=${WREN_BIN_DIR:-$here/../build/bin}
full=0
keep=0
while [ $# -gt 0 ]; do
    case $1 in
    --full) full=1 ;;
    --bin) bin=$2; shift ;;
    --keep-logs) keep=1 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_all.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done
bin=$(cd "$bin" 2>/dev/null && pwd) || { echo "run_all.sh: no bin directory (build first, or --bin DIR)" >&2; exit 2; }
logs=$(mktemp -d /tmp/wren-bench.XXXXXX)
cleanup() { [ "$keep" = 1 ] || rm -rf "$logs"; }
trap cleanup EXIT

machine() {
    local model
    model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null)
    printf 'machine: %s, nproc %s, %s MiB RAM, %s\n' "${model:-unknown CPU}" "$(nproc)" \
        "$(awk '/^MemTotal/ {printf "%d", $2 / 1024}' /proc/meminfo)" "$(uname -sr)"
}
load_now() { cut -d' ' -f1-3 /proc/loadavg; }

rows=()
row() { rows+=("$(printf '%-46s %-24s %s' "$1" "$2" "$3")"); }

# run NAME CMD...: runs one benchmark into $logs/NAME.txt; false when absent or failing.
run() {
    local name=$1
    shift
    if [ ! -x "$1" ]; then
        row "$name" "skipped" "not built: $1"
        return 1
    fi
    echo "running $name: $*" >&2
    local t0=$SECONDS
    if ! "$@" >"$logs/$name.txt" 2>"$logs/$name.err"; then
        row "$name" "skipped" "failed (exit $?): $(tail -n 1 "$logs/$name.err")"
        return 1
    fi
    echo "  done in $((SECONDS - t0)) s" >&2
    return 0
}

date_utc=$(date -u +%Y-%m-%dT%H:%MZ)
load_start=$(load_now)

# Cold start: exec -> first Runtime API GET, bootstrap vs a bare C program.
if [ $full = 1 ]; then cold=(200); else cold=(30); fi
if run cold_start "$bin/bench_cold_start" "${cold[@]}"; then
    f=$logs/cold_start.txt
    boot=$(awk '/^bootstrap \(isolation=child/ {print $(NF-2)}' "$f")
    bare=$(awk '/^bare C \(socket/ {print $(NF-2)}' "$f")
    row "cold start: bootstrap exec -> first next" "$(awk -v u="$boot" 'BEGIN{printf "%.1f ms", u/1000}')" \
        "median of ${cold[0]}; bare C program $(awk -v u="$bare" 'BEGIN{printf "%.1f ms", u/1000}')"
fi

# Sync invokes/s through the emulator, one keep-alive client.
if [ $full = 1 ]; then inv=(); else inv=(-n 500 -r 3); fi
if run invoke "$bin/bench_invoke" "${inv[@]}"; then
    f=$logs/invoke.txt
    read -r one many < <(awk '$1 == "median" {print $2, $3}' "$f")
    ninst=$(awk '/^invokes\/s/ {print $(NF-1)}' "$f")
    row "sync invokes/s (emulator, 1 client)" "$one" "1 instance; $many with $ninst instances"
    cs=$(sed -n 's/^cold start .*median \([0-9.]*\) ms.*/\1 ms/p' "$f")
    [ -n "$cs" ] && row "cold start: spawn -> first next (emulator)" "$cs" "median of 21 instances (Init Duration)"
fi

# Local tasks/s and submission rate.
if [ $full = 1 ]; then map=(); else map=(--tasks 2000 --invokes 10000 --runs 1); fi
if run map "$bin/bench_map" "${map[@]}"; then
    f=$logs/map.txt
    row "local tasks/s (addone, wren_map)" "$(awk '/local map/ {print $(NF-1)}' "$f")" \
        "$(sed -n 's/^  local map, \([0-9]* addone tasks, [0-9]* workers\).*/\1/p' "$f"); xargs one process per task: $(awk '/one process per task/ {print $(NF-1)}' "$f")"
    row "submission rate, Event invokes/s (wren_map)" "$(awk '/sink \(wren_map\)/ {print $(NF-1)}' "$f")" \
        "invoker alone $(awk '/sink \(invoker\)/ {print $(NF-1)}' "$f")/s; client CPU $(awk '/client CPU per invoke/ {print $(NF-6)}' "$f") us/invoke"
fi

# Signed (SigV4) submission rate, wren's invoker vs the AWS JS SDK (when
# bench/node/setup.sh has installed it).
if [ $full = 1 ]; then sub=(); else sub=(--invokes 10000 --node-invokes 2000 --runs 1); fi
if run submit "$bin/bench_submit" "${sub[@]}"; then
    f=$logs/submit.txt
    rate() { sed -n "/$1/s/.*: *\([0-9]*\) invokes\/s wall, *\([0-9.]*\) us CPU.*/\\$2/p" "$f"; }
    js=$(rate client-lambda 1)
    row "submission rate, signed Event invokes/s" "$(rate 'wren invoker' 1)" \
        "$(rate 'wren invoker' 2) us CPU each; ${js:+@aws-sdk/client-lambda $js/s ($(rate client-lambda 2) us CPU each): }$(sed -n 's/^  ratio wren \/ JS SDK: *//p' "$f")"
fi

# GEMM efficiency: the kernel through the registry vs bare dgemm, one thread.
if [ $full = 1 ]; then gemm=(); else gemm=(--sizes 1024 --runs 5 --loops 2); fi
if run gemm "$bin/bench_gemm" "${gemm[@]}"; then
    while read -r n k b ratio e2e e2eratio best; do
        row "GEMM n=$n (1 thread), kernel GFLOPS" "$k" "bare dgemm $b GFLOPS: kernel $ratio of bare (best runs $best); end-to-end call $e2e ($e2eratio)"
    done < <(awk '$1 ~ /^[0-9]+$/' "$logs/gemm.txt")
fi

# msgpack array throughput against memcpy.
if [ $full = 1 ]; then arr=(--mib 256 --runs 9); else arr=(--mib 32 --runs 7); fi
if run arrays "$bin/bench_arrays" "${arr[@]}"; then
    f=$logs/arrays.txt
    mc=$(awk '/^  memcpy/ {print $2}' "$f")
    row "msgpack f64 array pack (wren_array_pack)" "$(awk '/wren_array_pack/ {print $2 " GB/s"}' "$f")" \
        "memcpy $mc GB/s, same ${arr[1]} MiB, same run"
    row "msgpack f64 array copy out (wren_array_copy)" "$(awk '/wren_array_copy/ {print $2 " GB/s"}' "$f")" \
        "after unpack + wren_array_parse: $(awk '/wren_array_parse/ {print $4}' "$f") us (zero-copy)"
fi

# SigV4 signatures/s.
if [ $full = 1 ]; then sig=(20000); else sig=(3000); fi
if run sigv4 "$bin/bench_sigv4" "${sig[@]}"; then
    f=$logs/sigv4.txt
    row "SigV4 signatures/s (S3 GET, key cached)" "$(awk '/s3 GET object, unsigned payload/ {print $(NF-4)}' "$f")" \
        "Lambda Invoke + token $(awk '/lambda Invoke/ {print $(NF-4)}' "$f")/s; S3 PUT 1 KiB hashed $(awk '/s3 PUT 1 KiB/ {print $(NF-4)}' "$f")/s"
fi

# The file:// store: quick settings put it in RAM (/dev/shm, where the SDK's
# local default keeps it too), --full on /tmp's disk (about 2 minutes here).
store_dir=
if [ $full = 0 ] && [ -w /dev/shm ]; then store_dir=$(mktemp -d /dev/shm/wren-bench-store.XXXXXX); fi
if run store "$bin/bench_store" ${store_dir:+"$store_dir"}; then
    f=$logs/store.txt
    row "file store put / get 512 B per s" "$(awk '/put 512 B  / {print $4}' "$f") / $(awk '/get 512 B/ {print $4}' "$f")" \
        "${store_dir:+in /dev/shm; }put with fsync $(awk '/fsync on/ {print $6}' "$f")/s; list one job $(awk '/list one job/ {print $(NF-4)}' "$f")/s"
fi
[ -n "$store_dir" ] && rm -rf "$store_dir"

# Kernel isolation overhead per call (child process, fork per call) over inline.
if [ $full = 1 ]; then iso=(); else iso=(3 500 20); fi
if run isolation "$bin/bench_isolation" "${iso[@]}"; then
    f=$logs/isolation.txt
    for k in echo gemm; do
        row "isolation overhead per call ($k)" "$(awk -v k=$k '$1 == k && $2 == "child" {print $4 " us"}' "$f") (child)" \
            "fork per call $(awk -v k=$k '$1 == k && $2 == "fork" {print $4}' "$f") us; inline call $(awk -v k=$k '$1 == k && $2 == "inline" {print $3}' "$f") us"
    done
fi

# The Lambda layer's launcher start-up (needs the layer zip: --target layer).
build_dir=$(cd "$bin/.." && pwd)
if [ -f "$build_dir/layer/wren-layer.zip" ] && command -v python3 >/dev/null; then
    if [ $full = 1 ]; then ls_rounds=300; else ls_rounds=30; fi
    if run layer_start python3 "$here/bench_layer_start.py" "$build_dir" "$ls_rounds"; then
        while IFS= read -r line; do
            name=$(echo "$line" | sed 's/ *median.*//; s/^ *//')
            med=$(echo "$line" | sed -n 's/.*median *\([0-9.]*\) ms.*/\1 ms/p')
            row "layer start: $name" "$med" "exec -> exit, median of $ls_rounds"
        done < <(grep 'median' "$logs/layer_start.txt")
    fi
else
    row "layer start (bench_layer_start.py)" "skipped" "no $build_dir/layer/wren-layer.zip (cmake --build --target layer)"
fi

echo
echo "wren benchmarks, $date_utc, $([ $full = 1 ] && echo full || echo quick) settings, bin $bin"
machine
echo "load average (1, 5, 15 min): $load_start at the start, $(load_now) at the end"
printf '%-46s %-24s %s\n' "figure" "value" "detail"
printf '%-46s %-24s %s\n' "------" "-----" "------"
printf '%s\n' "${rows[@]}"
if [ "$keep" = 1 ]; then echo "each benchmark's output: $logs"; fi
