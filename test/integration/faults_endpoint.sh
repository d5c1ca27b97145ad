#!/usr/bin/env bash
# Fault matrix, around the workers (docs/faults.md): the SDK (`wren map`)
# against a standalone `wren emulator` and a file store, with faults injected
# between them during a map of many calls:
#   throttling (429) for a while, connections dropped mid-upload, every async
#   event delivered twice (test/invoke_proxy.py, a test double in front of the
#   emulator); a corrupted status object; the store's job directory unusable
#   for a while and the emulator killed and restarted: faults_restart.sh.
# Every call must end in exactly one outcome: its result (i + 1) or a typed
# error naming the cause (test/fault_check.py).
source "$(dirname "$0")/lib.sh"
source "$WREN_SOURCE_DIR/test/faults_lib.sh"

start_emulator 0
EMU_PORT=${EMU_URL##*:}

# 1. Throttling: every invoke answered 429 for the first second. The invoker
# backs off (10 ms .. 2 s, 8 tries); a call still throttled at the end fails
# Wren.Throttled.
gen "    d.update(expect_or=['Wren.Throttled'])" 100 "$WREN_TMP/thr.jsonl"
start_proxy --throttle-s 1
mapf "$PROXY_URL" thr "$WREN_TMP/thr.jsonl" "$WREN_TMP/thr.out"
python3 "$CHECK" "$WREN_TMP/thr.jsonl" "$WREN_TMP/thr.out"
[ "$(count throttled)" -ge 100 ] || fail "the proxy throttled only $(count throttled) invokes"
echo "  429 answers: $(count throttled), forwarded: $(count forwarded)"
stop_proxy

# 2. Dropped connections mid-upload: the first 10 invokes (100 KB events) are
# cut after half their body. The invoker retries a dropped connection.
gen "    d.update(pad='x' * 100000)" 40 "$WREN_TMP/drop.jsonl"
start_proxy --drop 10
mapf "$PROXY_URL" drop "$WREN_TMP/drop.jsonl" "$WREN_TMP/drop.out"
python3 "$CHECK" "$WREN_TMP/drop.jsonl" "$WREN_TMP/drop.out" --max-errors 0
[ "$(count dropped)" = 10 ] || fail "the proxy dropped $(count dropped) connections, want 10"
stop_proxy

# 3. Every async event delivered twice: 50 calls run 100 times, 50 outcomes,
# and the kept job counts 50 done.
gen "" 50 "$WREN_TMP/dup.jsonl"
start_proxy --duplicate
s0=$(starts)
mapf "$PROXY_URL" dup "$WREN_TMP/dup.jsonl" "$WREN_TMP/dup.out"
python3 "$CHECK" "$WREN_TMP/dup.jsonl" "$WREN_TMP/dup.out" --max-errors 0
[ "$(count duplicated)" = 50 ] || fail "the proxy duplicated $(count duplicated) events, want 50"
for _ in $(seq 100); do [ $(( $(starts) - s0 )) -ge 100 ] && break; sleep 0.1; done
[ $(( $(starts) - s0 )) -ge 100 ] || fail "the emulator ran $(( $(starts) - s0 )) invocations, want 100"
"$W" status --json --store "file://$STORE" dup > "$WREN_TMP/dup.json" || true
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); assert s['calls']==50 and s['done']==50 and s['failed']==0, s" "$WREN_TMP/dup.json"
stop_proxy
echo "[$SECONDS s]"

# 4. A corrupted status object before the SDK reads it: in 4 of 40 calls the
# kernel itself writes garbage over its own JOB/CALL/status (by rename, as the
# store does), then sleeps so the bootstrap's real status comes 3 s later. The
# SDK must read the garbage as a typed Wren.StoreError, never as a result.
gen "    if i % 10 == 4: d.update(do='corrupt', path='$STORE/cor/%08d/status' % i, ms=3000, expect=['Wren.StoreError'])" \
  40 "$WREN_TMP/cor.jsonl"
mapf "$EMU_URL" cor "$WREN_TMP/cor.jsonl" "$WREN_TMP/cor.out" --timeout 5
python3 "$CHECK" "$WREN_TMP/cor.jsonl" "$WREN_TMP/cor.out" --min-errors 4 --max-errors 4

# 5. Truncated and corrupted objects of a kept job, read back by `wren results`:
# 100 KB results live at JOB/CALL/out (past the 64 KiB inline limit).
gen "    d.update(pad='x' * 100000)" 6 "$WREN_TMP/big.jsonl"
set +e
"$W" map echo --args "$WREN_TMP/big.jsonl" --endpoint "$EMU_URL" --store "file://$STORE" --job big --quiet > "$WREN_TMP/big.out"
rc=$?; set -e
[ $rc = 0 ] || fail "big map exited $rc"
[ -f "$STORE/big/00000001/out" ] || fail "no out object for a 100 KB result"
truncate -s 50000 "$STORE/big/00000001/out"                       # out cut in half
printf '\xc1\xc1\xc1 garbage' > "$STORE/big/00000002/out"           # out not msgpack
truncate -s 20 "$STORE/big/00000003/status"                       # status cut short
printf 'null' > "$STORE/big/00000004/status"                       # status valid JSON, wrong shape
"$W" results --store "file://$STORE" big > "$WREN_TMP/big.res" 2>"$WREN_TMP/big.err" || true

python3 - "$WREN_TMP/big.res" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 6, len(rows)
for i in (0, 5):
    assert rows[i] == {"i": i, "pad": "x" * 100000}, i
want = {1: ("Wren.BadResult", "the result is not msgpack"),
        2: ("Wren.BadResult", "the result is not msgpack"),
        3: ("Wren.StoreError", "big/00000003/status: unreadable or malformed status"),
        4: ("Wren.StoreError", "big/00000004/status: unreadable or malformed status")}
for i, (t, m) in want.items():
    assert rows[i] == {"error": {"type": t, "message": m}}, (i, rows[i])
PY
rm "$STORE/big/00000005/out"                                      # out gone
"$W" results --store "file://$STORE" big > "$WREN_TMP/big.res" 2>"$WREN_TMP/big.err" || true
sed -n 6p "$WREN_TMP/big.res" | grep -qx '{"error":{"type":"Wren.StoreError","message":"big/00000005/out: result object missing or unreadable"}}' ||
  fail "a missing out object: $(sed -n 6p "$WREN_TMP/big.res")"

echo "faults endpoint: ok [$SECONDS s]"
