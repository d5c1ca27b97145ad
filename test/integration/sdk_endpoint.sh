#!/usr/bin/env bash
# The SDK against a standalone `wren emulator` (not embedded): wren call/map
# with --endpoint and --store, the job read back with results/status, and
# Lambda's own async retries of a failing event (--async-retries 2) arriving
# as duplicate completions that count once.
source "$(dirname "$0")/lib.sh"
W="$WREN_BIN_DIR/wren"
store="file://$WREN_TMP/store"
"$W" emulator --listen 127.0.0.1:0 --function wren="$WREN_BIN_DIR/bootstrap" --concurrency 2 \
  --async-retries 2 --quiet --log "$WREN_TMP/emu.log" > "$WREN_TMP/url" &
WREN_PIDS+=($!)
for _ in $(seq 100); do [ -s "$WREN_TMP/url" ] && break; sleep 0.05; done
url=$(head -1 "$WREN_TMP/url")
case "$url" in http://127.0.0.1:*) ;; *) fail "emulator did not print its URL: '$url'";; esac

set +e; "$W" call addone 1 --endpoint "$url" 2>/dev/null; rc=$?; set -e
[ $rc = 2 ] || fail "--endpoint without a store must be a usage error (got $rc)"
[ "$("$W" call addone 1 --endpoint "$url" --store "$store")" = 2 ] || fail "call through the endpoint"

printf '{"message": "m1"}\n{"message": "m2"}\n{"message": "m3"}\n' > "$WREN_TMP/fail.jsonl"
set +e
"$W" map fail --args "$WREN_TMP/fail.jsonl" --endpoint "$url" --store "$store" --job dup-job \
  > "$WREN_TMP/out.jsonl" 2>"$WREN_TMP/err"; rc=$?
set -e
[ $rc = 1 ] || fail "map of fail should exit 1"
for i in 1 2 3; do
  sed -n ${i}p "$WREN_TMP/out.jsonl" | grep -qx "{\"error\":{\"type\":\"Wren.KernelError\",\"message\":\"m$i\"}}" ||
    fail "line $i: $(sed -n ${i}p "$WREN_TMP/out.jsonl")"
done
grep -q "3 of 3 calls failed" "$WREN_TMP/err" || fail "each failure counted once"
# The emulator re-ran each event (Lambda's retries): the job still has 3 outcomes.
sleep 1
"$W" status --json --store "$store" dup-job > "$WREN_TMP/st.json" || true
python3 - "$WREN_TMP/st.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["calls"] == 3 and s["failed"] == 3 and s["done"] == 0, s
assert s["errors"] == {"Wren.KernelError": 3}, s
PY
runs=0
for _ in $(seq 100); do
  runs=$(grep -c "fail kernel\|m[123]" "$WREN_TMP/emu.log" || true)
  [ "$runs" -ge 4 ] && break
  sleep 0.1
done
[ "$runs" -ge 4 ] || fail "the emulator should have re-run failed events (saw $runs runs)"

seq 0 49 | "$W" map addone --args - --endpoint "$url" --store "$store" --job ok-job > "$WREN_TMP/ok.jsonl"
seq 1 50 | diff - "$WREN_TMP/ok.jsonl" || fail "map through the endpoint"
"$W" results --store "$store" ok-job | diff - "$WREN_TMP/ok.jsonl" || fail "results read back"
echo "sdk endpoint: ok"
