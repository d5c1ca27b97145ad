#!/usr/bin/env bash
# wren status JOB shows the cost of a kept job: fixed status objects and a
# manifest written straight into a file store (the layout of docs/wire.md),
# then the text and --json outputs checked to the exact figures (the same
# synthetic job as check_cost), and a real kept `wren map` job's cost is
# consistent with its calls.
source "$(dirname "$0")/lib.sh"
W="$WREN_BIN_DIR/wren"
S="$WREN_TMP/store"
mkdir -p "$S/j-cost/00000000" "$S/j-cost/00000001" "$S/j-cost/00000002"
printf '%s' '{"wren":1,"job":"j-cost","call":"00000000","attempt":0,"kernel":"addone","ok":true,"result_b64":"AQ==","result_bytes":1,"flops":0,"t_submit":999.9,"t_start":1000.0,"t_setup":1000.01,"t_kernel":1000.1,"t_written":1000.1005,"instance":"i-1","cold":true}' > "$S/j-cost/00000000/status"
printf '\x91\x01' > "$S/j-cost/00000001/in"
printf '\x01' > "$S/j-cost/00000001/out"
printf '%s' '{"wren":1,"job":"j-cost","call":"00000001","attempt":0,"kernel":"gemm","ok":true,"result_key":"j-cost/00000001/out","result_bytes":1,"flops":0,"t_submit":999.95,"t_start":1000.0,"t_setup":1000.5,"t_kernel":1001.9,"t_written":1002.0,"instance":"i-2","cold":false}' > "$S/j-cost/00000001/status"
printf '%s' '{"wren":1,"job":"j-cost","call":"00000002","attempt":1,"kernel":"crash","ok":false,"error":{"type":"Wren.KernelCrash","message":"SIGSEGV"},"flops":0,"t_submit":1000.0,"t_start":1000.5,"t_setup":null,"t_kernel":null,"t_written":1000.5004,"instance":"i-1","cold":false}' > "$S/j-cost/00000002/status"

# Without a manifest: 1,769 MB, the SDK's requests estimated.
set +e
out=$("$W" status --store "file://$S" j-cost); rc=$?
set -e
[ $rc = 1 ] || fail "a failed call: status exits 1, got $rc"
echo "$out" | grep -q '^cost       4 Lambda requests, 2102 ms billed x 1769 MB = 3.631287 GB-s (+ unknown duration of 1 earlier attempts without a status)$' || fail "cost line: $out"
echo "$out" | grep -q 'S3: 6 PUT, 5 GET, 1 LIST (the SDK.s share estimated from the layout)' || fail "S3 line: $out"
# 4 x 2e-7 + 2.102 x 1769 / 1024 x 0.0000166667 = 0.00006132; S3 7 x 5e-6 + 5 x 4e-7 = 0.000037
echo "$out" | grep -q '\$0.00009832 on x86_64, \$0.00008622 on arm64 (Lambda \$0.00006132 / \$0.00004922, S3 \$0.00003700), for 2.100 s of wall time' || fail "dollars: $out"

# With the manifest the executor writes: memory, attempts and the SDK's counts.
printf '%s' '{"wren":1,"job":"j-cost","function":"wren","n_calls":3,"memory_mb":1024,"sdk_s3":{"put":2,"get":5,"list":3},"calls":[{"call":"00000000","kernel":"addone","state":"done","attempts":1,"t_submit":999.9},{"call":"00000001","kernel":"gemm","state":"done","attempts":1,"t_submit":999.95},{"call":"00000002","kernel":"crash","state":"failed","attempts":2,"t_submit":1000.0,"error":{"type":"Wren.KernelCrash","message":"SIGSEGV"}}]}' > "$S/j-cost/manifest"
set +e
"$W" status --json --store "file://$S" j-cost > "$WREN_TMP/cost.json"
set -e
python3 - "$WREN_TMP/cost.json" <<'PY' || fail "json cost"
import json, sys
c = json.load(open(sys.argv[1]))["cost"]
want = {"requests": 4, "billed_ms": 2102, "unmeasured": 1, "memory_mb": 1024, "s3_put": 7, "s3_get": 6,
        "s3_list": 3, "s3_counted": True}
for k, v in want.items():
    assert c[k] == v, (k, c[k], v)
assert abs(c["gb_s"] - 2.102) < 1e-12, c["gb_s"]
assert abs(c["x86_64_lambda_usd"] - (4 * 2e-7 + 2.102 * 0.0000166667)) < 1e-15, c
assert abs(c["arm64_lambda_usd"] - (4 * 2e-7 + 2.102 * 0.0000133334)) < 1e-15, c
assert abs(c["s3_usd"] - (10 * 5e-6 + 6 * 4e-7)) < 1e-15, c
assert abs(c["x86_64_usd"] - c["x86_64_lambda_usd"] - c["s3_usd"]) < 1e-15, c
assert abs(c["wall_s"] - 2.1) < 1e-9, c
PY

# A real kept job: one request and one status PUT per call, 256 MB.
export TMPDIR="$WREN_TMP/tmp"; mkdir -p "$TMPDIR"
seq 1 20 | "$W" map addone --args - --store "file://$WREN_TMP/real" --job j-real --memory 256 --quiet > /dev/null
"$W" status --json --store "file://$WREN_TMP/real" j-real > "$WREN_TMP/real.json"
python3 - "$WREN_TMP/real.json" <<'PY' || fail "real job cost"
import json, sys
j = json.load(open(sys.argv[1]))
c = j["cost"]
assert j["done"] == 20, j
assert c["requests"] == 20 and c["memory_mb"] == 256 and c["unmeasured"] == 0, c
assert c["billed_ms"] >= 20, c                      # at least 1 ms each
assert abs(c["gb_s"] - c["billed_ms"] / 1000 * 256 / 1024) < 1e-12, c
assert c["s3_put"] == 20 + 1 and c["s3_counted"], c  # status PUTs + the manifest
assert c["s3_get"] >= 20 and c["s3_list"] >= 1, c
PY
echo "PASS cost_status"
