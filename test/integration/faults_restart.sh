#!/usr/bin/env bash
# Fault matrix (docs/faults.md), the slow half of faults_endpoint.sh: the store
# unusable for a while, and the emulator killed (SIGKILL) and restarted
# mid-job. Lost calls are noticed at the SDK's client deadline and re-invoked.
# Every call must end in exactly one outcome (test/fault_check.py).
source "$(dirname "$0")/lib.sh"
source "$WREN_SOURCE_DIR/test/faults_lib.sh"

start_emulator 0
EMU_PORT=${EMU_URL##*:}

# 6. The store unusable for a while: 60 calls of 200 ms; 1 s in, the job's
# directory is replaced by a plain file for 1.5 s (as root, chmod would not stop
# the workers), so every put and list under it fails (ENOTDIR); then it comes
# back. Workers fail to write their status, the SDK's listings fail; lost calls
# are re-invoked at the client deadline (2 s + 10 s, --retries 2).
gen "    d.update(do='sleep', ms=200, expect_or=['Wren.StoreError', 'Wren.Timeout'])" 60 "$WREN_TMP/sto.jsonl"
mapf "$EMU_URL" sto "$WREN_TMP/sto.jsonl" "$WREN_TMP/sto.out" --timeout 2 --retries 2 &
host=$!
WREN_PIDS+=($host)
for _ in $(seq 100); do [ -d "$STORE/sto" ] && break; sleep 0.05; done
sleep 1
mv "$STORE/sto" "$STORE/sto.away"
: > "$STORE/sto"
sleep 1.5
rm "$STORE/sto"
mv "$STORE/sto.away" "$STORE/sto"
wait "$host"
python3 "$CHECK" "$WREN_TMP/sto.jsonl" "$WREN_TMP/sto.out"
# the fault hit: a worker failed to write under the missing directory
grep -q "put sto/[0-9]*/status: a parent of the key is an object" "$WREN_TMP/emu.log" || { cp "$WREN_TMP/emu.log" /tmp/faults-emu.log; fail "no worker met the store fault (log: /tmp/faults-emu.log)"; }
echo "[$SECONDS s]"

# 7. The emulator killed (SIGKILL) and restarted on its port mid-job: its queued
# events are lost (they live in its memory, as documented); the SDK re-invokes
# every call without an outcome at the client deadline (--retries 2), and the
# restarted emulator runs them. The killed emulator's instances must exit.
gen "    d.update(do='sleep', ms=200, expect_or=['Wren.Timeout'])" 60 "$WREN_TMP/res.jsonl"
mapf "$EMU_URL" res "$WREN_TMP/res.jsonl" "$WREN_TMP/res.out" --timeout 2 --retries 2 &
host=$!
WREN_PIDS+=($host)
sleep 2
instances=$(cat /proc/"$EMU_PID"/task/*/children 2>/dev/null || true)
[ -n "$instances" ] || fail "no emulator instances running at the kill"
kill -9 "$EMU_PID"
wait "$EMU_PID" 2>/dev/null || true
sleep 1
start_emulator "$EMU_PORT"
wait "$host"
python3 "$CHECK" "$WREN_TMP/res.jsonl" "$WREN_TMP/res.out"
orphans=""
for p in $instances; do [ -d /proc/"$p" ] && orphans="$orphans $p"; done
if [ -n "$orphans" ]; then
  kill -9 $orphans 2>/dev/null || true
  fail "instances of the killed emulator still running:$orphans"
fi
echo "faults restart: ok [$SECONDS s]"
