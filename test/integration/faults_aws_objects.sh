#!/usr/bin/env bash
# Fault matrix on the loopback-AWS backend, objects read back damaged
# (docs/faults.md; the local backend's twin is the end of faults_endpoint.sh):
# `wren map` with WREN_BACKEND=aws against moto_server as S3 seen through
# test/s3_fault_proxy.py and a `wren emulator` as the Lambda endpoint. The
# proxy serves status objects corrupted, cuts result downloads short and
# serves result objects truncated or corrupted; then a kept job's objects are
# damaged in S3 itself and read back by `wren results`. Every call must end in
# exactly one outcome: its result or a typed error naming the cause.
source "$(dirname "$0")/lib.sh"
source "$WREN_SOURCE_DIR/test/faults_aws_lib.sh"

# Each rule hits one job only.
start_s3 \
  --rule 'GET:/jobs/cor/[0-9]{7}4/status$:garbage:0' \
  --rule 'GET:/jobs/cin/[0-9]{7}3/in$:garbage:0' \
  --rule 'GET:/jobs/cin/[0-9]{7}7/in$:short:0' \
  --rule 'GET:/jobs/big/0000000[0-2]/out$:cut:3' \
  --rule 'GET:/jobs/big/00000003/out$:short:0' \
  --rule 'GET:/jobs/big/00000004/out$:garbage:0'
start_emulator 0
echo "moto, proxy and emulator up [$SECONDS s]"

# 1. Status objects read back corrupted: for 4 of 40 calls every GET of
# JOB/CALL/status returns garbage. The SDK must make that a typed
# Wren.StoreError, never a result.
gen "    if i % 10 == 4: d.update(expect=['Wren.StoreError'])" 40 "$WREN_TMP/cor.jsonl"
mapf "$EMU_URL" cor "$WREN_TMP/cor.jsonl" "$WREN_TMP/cor.out"
python3 "$CHECK" "$WREN_TMP/cor.jsonl" "$WREN_TMP/cor.out" --min-errors 4 --max-errors 4
[ "$(grep -c '"type":"Wren.StoreError","message":"the call.s status object is malformed"' "$WREN_TMP/cor.out")" = 4 ] ||
  fail "4 malformed-status errors: $(grep error "$WREN_TMP/cor.out" | head -2)"
echo "[$SECONDS s]"

# Argument objects (past --inline-bytes, at JOB/CALL/in) read back damaged by
# the workers: 2 of 20 served corrupted, 2 truncated. The worker must refuse
# them typed (Wren.BadInput), never run the kernel on half an argument.
gen "    d.update(pad='y' * 4000)
    if i % 10 in (3, 7): d.update(expect=['Wren.BadInput'])" 20 "$WREN_TMP/cin.jsonl"
mapf "$EMU_URL" cin "$WREN_TMP/cin.jsonl" "$WREN_TMP/cin.out" --inline-bytes 1000
python3 "$CHECK" "$WREN_TMP/cin.jsonl" "$WREN_TMP/cin.out" --min-errors 4 --max-errors 4
[ "$(grep -c '"type":"Wren.BadInput","message":"the arguments for kernel .fault_mix. are not one msgpack object ([0-9]* bytes: truncated' "$WREN_TMP/cin.out")" = 4 ] ||
  fail "4 bad-argument errors: $(grep error "$WREN_TMP/cin.out" | head -2)"
echo "[$SECONDS s]"

# 2. Result objects (100 KB, past the 64 KiB inline limit, so at JOB/CALL/out)
# read back damaged during the map: the first 3 downloads of calls 0-2 cut
# after half the body (the store retries: right results), call 3's object
# served truncated and call 4's corrupted, every time (Wren.BadResult).
gen "    d.update(pad='x' * 100000)" 10 "$WREN_TMP/big.jsonl"
set +e
"$W" map echo --args "$WREN_TMP/big.jsonl" --endpoint "$EMU_URL" --store "$STORE" --job big --quiet > "$WREN_TMP/big.out"
rc=$?; set -e
[ $rc = 1 ] || fail "big map exited $rc, want 1 (two calls fail)"
python3 - "$WREN_TMP/big.out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 10, len(rows)
for i in (0, 1, 2, 5, 6, 7, 8, 9):
    assert rows[i] == {"i": i, "pad": "x" * 100000}, (i, str(rows[i])[:200])
for i in (3, 4):
    assert rows[i]["error"]["type"] == "Wren.BadResult" and rows[i]["error"]["message"], (i, rows[i])
print("big: 8 results right, 2 Wren.BadResult:", rows[3]["error"]["message"], "/", rows[4]["error"]["message"])
PY
[ "$(s3count cut)" = 3 ] || fail "the S3 proxy cut $(s3count cut) downloads, want 3"
echo "[$SECONDS s]"

# 3. A kept job's objects damaged in S3 itself, read back by `wren results`.
gen "    d.update(pad='x' * 100000)" 6 "$WREN_TMP/kept.jsonl"
"$W" map echo --args "$WREN_TMP/kept.jsonl" --endpoint "$EMU_URL" --store "$STORE" --job kept --quiet > "$WREN_TMP/kept.out" ||
  fail "kept map failed"
s3obj trunc jobs/kept/00000001/out 50000                  # out cut in half
s3obj put jobs/kept/00000002/out $'\xc1\xc1\xc1 garbage'   # out not msgpack
s3obj trunc jobs/kept/00000003/status 20                  # status cut short
s3obj put jobs/kept/00000004/status null                  # status valid JSON, wrong shape
"$W" results --store "$STORE" kept > "$WREN_TMP/kept.res" 2>"$WREN_TMP/kept.err" || true
python3 - "$WREN_TMP/kept.res" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 6, len(rows)
for i in (0, 5):
    assert rows[i] == {"i": i, "pad": "x" * 100000}, i
want = {1: ("Wren.BadResult", "the result is not msgpack"),
        2: ("Wren.BadResult", "the result is not msgpack"),
        3: ("Wren.StoreError", "kept/00000003/status: unreadable or malformed status"),
        4: ("Wren.StoreError", "kept/00000004/status: unreadable or malformed status")}
for i, (t, m) in want.items():
    assert rows[i] == {"error": {"type": t, "message": m}}, (i, rows[i])
PY
s3obj del jobs/kept/00000005/out                          # out gone
"$W" results --store "$STORE" kept > "$WREN_TMP/kept.res" 2>"$WREN_TMP/kept.err" || true
sed -n 6p "$WREN_TMP/kept.res" | grep -qx '{"error":{"type":"Wren.StoreError","message":"kept/00000005/out: result object missing or unreadable"}}' ||
  fail "a missing out object: $(sed -n 6p "$WREN_TMP/kept.res")"

echo "faults aws objects: ok [$SECONDS s]"
