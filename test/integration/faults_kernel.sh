#!/usr/bin/env bash
# Fault matrix, kernel side (docs/faults.md): during a map of many calls through
# the embedded local backend, some calls segfault, abort, run past the function
# timeout, or allocate past the memory size, and worker processes are killed
# with SIGKILL from outside. Every call must end in exactly one outcome: its
# result (i + 1) or a typed error naming the cause (test/fault_check.py).
# The calls run test/fault_kernels_fixture.c's fault_mix (libwrenfaults.so).
source "$(dirname "$0")/lib.sh"
W="$WREN_BIN_DIR/wren"
TK="${WREN_BUILD_DIR:?}/test-kernels"
CHECK="$WREN_SOURCE_DIR/test/fault_check.py"
[ -f "$TK/libwrenfaults.so" ] || fail "build libwrenfaults.so first"
mapf() { "$W" map fault_mix --handler libwrenfaults.so --task-root "$TK" --quiet "$@"; }
gen() { python3 -c "import json,sys
for i in range(int(sys.argv[1])):
    d = {'i': i}
$1
    print(json.dumps(d))" "$2" > "$3"; }

# 1. Segfault and abort: 80 calls, every 10th segfaults and every 10th (offset 7) aborts.
gen "    if i % 10 == 3: d.update(do='segv', expect=['Wren.KernelCrash'])
    if i % 10 == 7: d.update(do='abort', expect=['Wren.KernelCrash'])" 80 "$WREN_TMP/crash.jsonl"
set +e; mapf --args "$WREN_TMP/crash.jsonl" > "$WREN_TMP/crash.out"; rc=$?; set -e
[ $rc = 1 ] || fail "crash map should exit 1 (got $rc)"
python3 "$CHECK" "$WREN_TMP/crash.jsonl" "$WREN_TMP/crash.out" --min-errors 16 --max-errors 16
[ "$(grep -c 'died of SIGSEGV' "$WREN_TMP/crash.out")" = 8 ] || fail "8 SIGSEGV messages"
[ "$(grep -c 'died of SIGABRT' "$WREN_TMP/crash.out")" = 8 ] || fail "8 SIGABRT messages"

echo "[$SECONDS s]"
# 2. Past the time limit: 40 calls, every 10th sleeps 5 s under a 1 s timeout.
# Nothing writes a status for an Event that timed out (as on Lambda), so the
# SDK's client deadline (timeout + 10 s slack) ends it with Wren.Timeout.
gen "    if i % 10 == 5: d.update(do='sleep', ms=5000, expect=['Wren.Timeout', 'Sandbox.Timedout'])
    else: d.update(do='sleep', ms=20)" 40 "$WREN_TMP/slow.jsonl"
t0=$(date +%s)
set +e; mapf --args "$WREN_TMP/slow.jsonl" --timeout 1 > "$WREN_TMP/slow.out"; rc=$?; set -e
[ $rc = 1 ] || fail "timeout map should exit 1 (got $rc)"
python3 "$CHECK" "$WREN_TMP/slow.jsonl" "$WREN_TMP/slow.out" --min-errors 4 --max-errors 4
took=$(( $(date +%s) - t0 ))
[ "$took" -lt 40 ] || fail "the timed-out calls took $took s to resolve"

echo "[$SECONDS s]"
# 3. Over its memory: --memory 128 bounds the address space at 2 x 128 MiB + 4 GiB
# (docs/emulator.md); every 10th call asks for 16 GiB. Sanitizer builds set no
# limit, so there the case is skipped.
if grep -q '^WREN_SANITIZE:BOOL=ON' "$WREN_BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
  echo "memory case skipped: sanitizer build (no address-space limit)"
else
  gen "    if i % 10 == 2: d.update(do='hog', mb=16384, expect=['Wren.OutOfMemory'])
    else: d.update(do='hog', mb=64)" 40 "$WREN_TMP/hog.jsonl"
  # a healthy hog returns the MiB it got, not i + 1: compare on its own
  set +e; mapf --args "$WREN_TMP/hog.jsonl" --memory 128 > "$WREN_TMP/hog.out"; rc=$?; set -e
  [ $rc = 1 ] || fail "memory map should exit 1 (got $rc)"
  [ "$(wc -l < "$WREN_TMP/hog.out")" = 40 ] || fail "40 outcomes for 40 calls"
  [ "$(grep -cx '64' "$WREN_TMP/hog.out")" = 36 ] || fail "36 small hogs should succeed"
  [ "$(grep -c '"type":"Wren.OutOfMemory","message":"allocation failed after 4[0-9]* MiB of 16384 MiB"' "$WREN_TMP/hog.out")" = 4 ] ||
    fail "4 hogs should fail typed: $(grep error "$WREN_TMP/hog.out" | head -2)"
fi

echo "[$SECONDS s]"
# 4. Workers killed from outside: 60 calls of 300 ms on 2 workers; while they
# run, SIGKILL a bootstrap instance (found in /proc as a child of the host) 3
# times. Nothing writes a status for the killed call, so the SDK's client
# deadline (2 s timeout + 10 s slack) re-invokes it (--retries 1): all 60
# results, none lost, none counted twice.
gen "    d.update(do='sleep', ms=300)" 60 "$WREN_TMP/kill.jsonl"
"$W" map fault_mix --handler libwrenfaults.so --task-root "$TK" --quiet --args "$WREN_TMP/kill.jsonl" \
  --concurrency 2 --timeout 2 --retries 1 > "$WREN_TMP/kill.out" &
host=$!
WREN_PIDS+=($host)
kids() { cat /proc/"$host"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' || true; }
killed=0
for _ in $(seq 100); do
  [ -d /proc/"$host" ] || break
  for k in $(kids); do
    if [ "$(cat /proc/"$k"/comm 2>/dev/null)" = bootstrap ]; then
      kill -9 "$k" 2>/dev/null && killed=$((killed + 1))
      break
    fi
  done
  [ "$killed" -ge 3 ] && break
  sleep 1
done
set +e; wait "$host"; rc=$?; set -e
[ "$killed" -ge 3 ] || fail "found only $killed bootstrap instances to kill"
[ $rc = 0 ] || [ $rc = 1 ] || fail "map with killed workers exited $rc"
python3 "$CHECK" "$WREN_TMP/kill.jsonl" "$WREN_TMP/kill.out"
echo "killed workers: resolved in $SECONDS s of the script"
[ -z "$(kids)" ] || fail "worker processes left behind"
echo "faults kernel: ok (killed $killed workers)"
