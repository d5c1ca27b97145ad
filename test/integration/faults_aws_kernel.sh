#!/usr/bin/env bash
# Fault matrix on the loopback-AWS backend, kernel side (docs/faults.md; the
# local backend's twin is faults_kernel.sh): `wren map` with WREN_BACKEND=aws,
# moto_server as S3, a `wren emulator` as the Lambda endpoint (function
# timeout 2 s, memory 128 MB, async retries 0 as deployed). During a map of
# many calls some calls segfault, abort, run past the function's timeout, or
# allocate past its memory, and worker processes are killed with SIGKILL from
# outside. Every call must end in exactly one outcome: its result (i + 1) or a
# typed error naming the cause (test/fault_check.py).
source "$(dirname "$0")/lib.sh"
source "$WREN_SOURCE_DIR/test/faults_aws_lib.sh"

start_s3
# The worker stops a kernel WREN_DEADLINE_MARGIN_MS before the deadline and
# then writes its status to S3; this runs on the default for an s3:// store
# (500 ms). 50 ms, the file-store default, was too little for that PUT here
# (through the proxy to moto: about half the timed-out calls then ended
# Wren.Timeout 12 s later instead), which is what this case guards.
start_emulator 0 --timeout 2 --memory 128
echo "moto, proxy and emulator up [$SECONDS s]"

# 1. Segfault and abort: 80 calls, every 10th segfaults and every 10th (offset
# 7) aborts. The worker's supervisor writes the crash's status to S3.
gen "    if i % 10 == 3: d.update(do='segv', expect=['Wren.KernelCrash'])
    if i % 10 == 7: d.update(do='abort', expect=['Wren.KernelCrash'])" 80 "$WREN_TMP/crash.jsonl"
mapf "$EMU_URL" crash "$WREN_TMP/crash.jsonl" "$WREN_TMP/crash.out"
python3 "$CHECK" "$WREN_TMP/crash.jsonl" "$WREN_TMP/crash.out" --min-errors 16 --max-errors 16
[ "$(grep -c "kernel 'fault_mix' died of SIGSEGV (signal 11)" "$WREN_TMP/crash.out")" = 8 ] || fail "8 SIGSEGV messages"
[ "$(grep -c "kernel 'fault_mix' died of SIGABRT (signal 6)" "$WREN_TMP/crash.out")" = 8 ] || fail "8 SIGABRT messages"
echo "[$SECONDS s]"

# 2. Past the time limit: 40 calls, every 10th sleeps 5 s under the function's
# 2 s timeout. The worker stops the kernel at the deadline and writes
# Sandbox.Timedout; if no status came, the SDK's client deadline (2 s + 10 s)
# would end it with Wren.Timeout.
gen "    if i % 10 == 5: d.update(do='sleep', ms=5000, expect=['Sandbox.Timedout', 'Wren.Timeout'])
    else: d.update(do='sleep', ms=20)" 40 "$WREN_TMP/slow.jsonl"
t0=$(date +%s)
mapf "$EMU_URL" slow "$WREN_TMP/slow.jsonl" "$WREN_TMP/slow.out" --timeout 2
python3 "$CHECK" "$WREN_TMP/slow.jsonl" "$WREN_TMP/slow.out" --min-errors 4 --max-errors 4
took=$(( $(date +%s) - t0 ))
[ "$took" -lt 20 ] || fail "the timed-out calls took $took s to resolve"
[ "$(grep -c '"type":"Sandbox.Timedout","message":"Task timed out after 1\.[0-9]* seconds: kernel .fault_mix. was stopped at the function.s deadline' "$WREN_TMP/slow.out")" = 4 ] ||
  fail "4 Sandbox.Timedout from the worker: $(grep error "$WREN_TMP/slow.out" | head -2)"
echo "[$SECONDS s]"

# 3. Over its memory: --memory 128 bounds each instance's address space at
# 2 x 128 MiB + 4 GiB (docs/emulator.md); every 10th call asks for 16 GiB.
# Sanitizer builds set no limit, so there the case is skipped.
if grep -q '^WREN_SANITIZE:BOOL=ON' "$WREN_BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
  echo "memory case skipped: sanitizer build (no address-space limit)"
else
  gen "    if i % 10 == 2: d.update(do='hog', mb=16384, expect=['Wren.OutOfMemory'])
    else: d.update(do='hog', mb=64)" 40 "$WREN_TMP/hog.jsonl"
  # a healthy hog returns the MiB it got, not i + 1: compare on its own
  mapf "$EMU_URL" hog "$WREN_TMP/hog.jsonl" "$WREN_TMP/hog.out"
  [ "$(wc -l < "$WREN_TMP/hog.out")" = 40 ] || fail "40 outcomes for 40 calls"
  [ "$(grep -cx '64' "$WREN_TMP/hog.out")" = 36 ] || fail "36 small hogs should succeed"
  [ "$(grep -c '"type":"Wren.OutOfMemory","message":"allocation failed after 4[0-9]* MiB of 16384 MiB"' "$WREN_TMP/hog.out")" = 4 ] ||
    fail "4 hogs should fail typed: $(grep error "$WREN_TMP/hog.out" | head -2)"
fi
echo "[$SECONDS s]"

# 4. Workers killed from outside: 60 calls of 300 ms on the emulator's 2
# instances; while they run, SIGKILL a bootstrap instance (a child of the
# emulator) 3 times. Nothing writes a status for the killed call, so the SDK's
# client deadline (2 s + 10 s) re-invokes it (--retries 1): all 60 results,
# none lost, none counted twice.
gen "    d.update(do='sleep', ms=300)" 60 "$WREN_TMP/kill.jsonl"
mapf "$EMU_URL" kill "$WREN_TMP/kill.jsonl" "$WREN_TMP/kill.out" --timeout 2 --retries 1 &
host=$!
WREN_PIDS+=($host)
kids() { cat /proc/"$EMU_PID"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' || true; }
killed=0
sleep 1
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
wait "$host"
[ "$killed" -ge 3 ] || fail "found only $killed bootstrap instances to kill"
python3 "$CHECK" "$WREN_TMP/kill.jsonl" "$WREN_TMP/kill.out" --max-errors 0
# each call counted once: the kept job in S3 says 60 done
"$W" status --json --store "$STORE" kill > "$WREN_TMP/kill.json" || true
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); assert s['calls']==60 and s['done']==60 and s['failed']==0, s" "$WREN_TMP/kill.json"
echo "faults aws kernel: ok (killed $killed workers) [$SECONDS s]"
