#!/usr/bin/env bash
# The whole AWS code path with no AWS, on loopback: moto_server (signature
# checking on) as S3, `wren emulator` as the Lambda endpoint running the real
# bootstrap with an s3:// store and the credentials of its environment, and
# `wren map/call` with the AWS backend (WREN_BACKEND=aws) pointed at both by
# AWS_ENDPOINT_URL_LAMBDA / AWS_ENDPOINT_URL_S3. Results are checked exactly;
# a wrong secret is a typed auth error; the AWS CLI reads a status object.
source "$(dirname "$0")/lib.sh"
W="$WREN_BIN_DIR/wren"
command -v moto_server >/dev/null || { echo "SKIP: moto_server is not on PATH (pip install 'moto[server]')"; exit 77; }
python3 -c 'import boto3' 2>/dev/null || { echo "SKIP: python3 has no boto3"; exit 77; }

budget=24
mport=$(wren_free_port)
INITIAL_NO_AUTH_ACTION_COUNT=$budget moto_server -H 127.0.0.1 -p "$mport" >"$WREN_TMP/moto.log" 2>&1 &
WREN_PIDS+=($!)
wren_wait_port "$mport" 30
S3="http://127.0.0.1:$mport"
read -r akid secret < <(python3 "$WREN_SOURCE_DIR/test/s3_moto_setup.py" "$S3" "$budget" wren-e2e)
[ -n "$secret" ] || fail "moto set-up"

export AWS_ACCESS_KEY_ID=$akid AWS_SECRET_ACCESS_KEY=$secret AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_DEFAULT_REGION || true

# The emulator gives instances Lambda's environment plus AWS credentials and
# WREN_*; on Lambda the S3 endpoint would be the default one, here it is
# moto's, so the function is a two-line wrapper that sets it and execs the
# real bootstrap (as a function's environment variables would).
cat >"$WREN_TMP/fn" <<EOF
#!/bin/sh
export AWS_ENDPOINT_URL_S3="\$WREN_E2E_S3"
exec "$WREN_BIN_DIR/bootstrap" "\$@"
EOF
chmod +x "$WREN_TMP/fn"
lport=$(wren_free_port)
WREN_E2E_S3=$S3 "$W" emulator --function "wren=$WREN_TMP/fn" --listen "127.0.0.1:$lport" --concurrency 2 \
    --timeout 30 --task-root "$WREN_BIN_DIR" --log "$WREN_TMP/emulator.log" >"$WREN_TMP/emu.out" &
WREN_PIDS+=($!)
wren_wait_port "$lport" 20

export WREN_BACKEND=aws AWS_ENDPOINT_URL_LAMBDA="http://127.0.0.1:$lport" AWS_ENDPOINT_URL_S3=$S3
export TMPDIR="$WREN_TMP"
store=s3://wren-e2e/jobs

# map: 50 calls, results in order; arguments past --inline-bytes go through S3.
seq 0 49 >"$WREN_TMP/in.jsonl"
"$W" map addone --args "$WREN_TMP/in.jsonl" --store "$store" --job e2e-map --quiet >"$WREN_TMP/out.jsonl" \
    2>"$WREN_TMP/map.err" || { cat "$WREN_TMP/map.err" "$WREN_TMP/emulator.log" >&2; fail "map on the AWS backend"; }
seq 1 50 | cmp - "$WREN_TMP/out.jsonl" || fail "map results: $(head -c 300 "$WREN_TMP/out.jsonl")"
out=$("$W" call addone '[1, 2.5, 3]' --store "$store" --job e2e-big --inline-bytes 1 --quiet) || fail "call via S3 input"
[ "$out" = "[2,3.5,4]" ] || fail "call result $out"
# a kernel error comes back typed, through the status object in S3
set +e
out=$("$W" call fail '{"type": "SingularMatrix", "message": "det 0"}' --store "$store" --job e2e-fail --quiet 2>/dev/null)
rc=$?
set -e
[ $rc = 1 ] && [ "$out" = '{"error":{"type":"Wren.SingularMatrix","message":"det 0"}}' ] || fail "typed error: $rc $out"

# The layout is ordinary S3: the AWS CLI reads a status object wren's worker wrote.
aws_cli() {
  if [ -x /usr/bin/aws ]; then /usr/bin/aws "$@"; else aws "$@"; fi
}
aws_cli s3 cp "s3://wren-e2e/jobs/e2e-map/00000007/status" - --endpoint-url "$S3" >"$WREN_TMP/status.json" \
    || fail "aws s3 cp of a status object"
python3 - "$WREN_TMP/status.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
assert (s["wren"], s["job"], s["call"], s["kernel"], s["ok"], s["result_b64"]) == \
    (1, "e2e-map", "00000007", "addone", True, "CA=="), s   # msgpack 8
EOF

# A wrong secret: SignatureDoesNotMatch from moto, a typed auth error here.
set +e
AWS_SECRET_ACCESS_KEY="${secret}x" "$W" call addone '[1, 2, 3]' --store "$store" --job e2e-bad --inline-bytes 1 \
    --timeout 5 --quiet \
    >"$WREN_TMP/bad.out" 2>"$WREN_TMP/bad.err"
rc=$?
set -e
[ $rc = 1 ] || fail "wrong secret should fail with exit 1, got $rc"
grep -q "SignatureDoesNotMatch" "$WREN_TMP/bad.out" "$WREN_TMP/bad.err" || \
    fail "wrong secret: $(cat "$WREN_TMP/bad.out" "$WREN_TMP/bad.err")"
grep -q '^{"error":{"type":"Wren.StoreError","message":"store put e2e-bad/00000000/in: .*HTTP 403 SignatureDoesNotMatch' \
    "$WREN_TMP/bad.out" || fail "wrong secret is not a typed error: $(cat "$WREN_TMP/bad.out")"
echo "wrong secret -> $(cat "$WREN_TMP/bad.out")"

# With arguments inline only polling touches S3: the refusal fails the call
# at once, not at its deadline.
set +e
t0=$(date +%s)
AWS_SECRET_ACCESS_KEY="${secret}x" "$W" call addone 1 --store "$store" --job e2e-bad2 --timeout 60 --quiet \
    >"$WREN_TMP/bad2.out" 2>/dev/null
rc=$?
set -e
[ $rc = 1 ] && grep -q '^{"error":{"type":"Wren.StoreError","message":"polling the store: .*SignatureDoesNotMatch' \
    "$WREN_TMP/bad2.out" || fail "wrong secret while polling: $rc $(cat "$WREN_TMP/bad2.out")"
[ $(( $(date +%s) - t0 )) -lt 20 ] || fail "a refused poll should fail the call at once"

# No AWS backend without an s3:// store.
set +e
"$W" call addone 1 --store "file://$WREN_TMP/st" --quiet 2>"$WREN_TMP/nostore.err"; rc=$?
set -e
[ $rc = 1 ] && grep -q "the store must be s3://bucket/prefix" "$WREN_TMP/nostore.err" || \
    fail "file store with the AWS backend: $rc $(cat "$WREN_TMP/nostore.err")"
echo "aws_e2e: ok"
