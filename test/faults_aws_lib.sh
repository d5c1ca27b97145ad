# Sourced by test/integration/faults_aws_*.sh (after lib.sh): the fault matrix
# on the loopback-AWS backend. The SDK (`wren map`, WREN_BACKEND=aws) against
# moto_server as S3 (signature checking on, as in aws_e2e.sh) seen through
# test/s3_fault_proxy.py, and a standalone `wren emulator` as the Lambda
# endpoint, whose instances run the real bootstrap on the same s3:// store
# (through the same proxy) with test/fault_kernels_fixture.c's fault_mix.
# The helpers mirror test/faults_lib.sh (gen, mapf, start_emulator,
# start_proxy, count), so the two matrices read alike.
command -v moto_server >/dev/null || { echo "SKIP: moto_server is not on PATH (pip install 'moto[server]')"; exit 77; }
python3 -c 'import boto3' 2>/dev/null || { echo "SKIP: python3 has no boto3"; exit 77; }
W="$WREN_BIN_DIR/wren"
TK="${WREN_BUILD_DIR:?}/test-kernels"
CHECK="$WREN_SOURCE_DIR/test/fault_check.py"
PROXY="$WREN_SOURCE_DIR/test/invoke_proxy.py"
S3PROXY="$WREN_SOURCE_DIR/test/s3_fault_proxy.py"
[ -f "$TK/libwrenfaults.so" ] || fail "build libwrenfaults.so first"
BUCKET=wren-faults
STORE="s3://$BUCKET/jobs"

gen() { python3 -c "import json,sys
for i in range(int(sys.argv[1])):
    d = {'i': i}
$1
    print(json.dumps(d))" "$2" > "$3"; }

# start_s3 [s3_fault_proxy.py OPTIONS...]: moto_server with signature checking,
# an IAM key and the bucket; then the fault proxy in front of it. Exports the
# credentials; S3_URL is the proxy (what the SDK and the workers use), MOTO_URL
# moto itself (what the test uses to look at or damage objects).
start_s3() {
  local budget=24 mport
  mport=$(wren_free_port)
  INITIAL_NO_AUTH_ACTION_COUNT=$budget moto_server -H 127.0.0.1 -p "$mport" >"$WREN_TMP/moto.log" 2>&1 &
  WREN_PIDS+=($!)
  wren_wait_port "$mport" 30
  MOTO_URL="http://127.0.0.1:$mport"
  local akid secret
  read -r akid secret < <(python3 "$WREN_SOURCE_DIR/test/s3_moto_setup.py" "$MOTO_URL" "$budget" "$BUCKET")
  [ -n "$secret" ] || fail "moto set-up"
  export AWS_ACCESS_KEY_ID=$akid AWS_SECRET_ACCESS_KEY=$secret AWS_REGION=us-east-1
  export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
  unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_DEFAULT_REGION AWS_ENDPOINT_URL_LAMBDA || true
  : > "$WREN_TMP/s3proxy.url"
  python3 "$S3PROXY" --upstream "$MOTO_URL" --counts "$WREN_TMP/s3counts.json" "$@" > "$WREN_TMP/s3proxy.url" &
  WREN_PIDS+=($!)
  S3_URL=$(wren_wait_url "$WREN_TMP/s3proxy.url" "S3 proxy") || exit 1
  export WREN_BACKEND=aws AWS_ENDPOINT_URL_S3=$S3_URL TMPDIR="$WREN_TMP"
  # The emulator passes credentials and WREN_* to its instances, not
  # AWS_ENDPOINT_URL_S3 (on Lambda S3 is AWS's): the function is a wrapper
  # that sets it, as a function's environment variables would.
  cat >"$WREN_TMP/fn" <<EOF
#!/bin/sh
export AWS_ENDPOINT_URL_S3="\$WREN_FAULTS_S3"
exec "$WREN_BIN_DIR/bootstrap" "\$@"
EOF
  chmod +x "$WREN_TMP/fn"
}

# mapf URL JOB INPUT OUTPUT [options]: `wren map fault_mix` on the AWS backend,
# invokes to URL; exit status 0 or 1 (some failed) only.
mapf() {
  local url=$1 job=$2 in=$3 out=$4 rc
  shift 4
  set +e
  "$W" map fault_mix --args "$in" --endpoint "$url" --store "$STORE" --job "$job" --quiet "$@" > "$out" \
    2> "$WREN_TMP/$job.err"
  rc=$?
  set -e
  [ $rc = 0 ] || [ $rc = 1 ] || { cat "$WREN_TMP/$job.err" >&2; fail "map $job exited $rc"; }
}
# start_emulator PORT [emulator OPTIONS...]: EMU_PID and EMU_URL (PORT 0: the
# kernel picks). Async retries 0, as `wren deploy` configures the function.
start_emulator() {
  local port=$1
  shift
  : > "$WREN_TMP/emu.url"
  WREN_FAULTS_S3=$S3_URL "$W" emulator --listen "127.0.0.1:$port" --function wren="$WREN_TMP/fn" --concurrency 2 \
    --async-retries 0 --handler libwrenfaults.so --task-root "$TK" --log "$WREN_TMP/emu.log" "$@" > "$WREN_TMP/emu.url" &
  EMU_PID=$!
  WREN_PIDS+=($EMU_PID)
  EMU_URL=$(wren_wait_url "$WREN_TMP/emu.url" "emulator") || exit 1
}
# start_proxy OPTIONS...: the Invoke API double (test/invoke_proxy.py) in front
# of EMU_URL: PROXY_PID, PROXY_URL; counts in $WREN_TMP/counts.json.
start_proxy() {
  : > "$WREN_TMP/proxy.url"
  python3 "$PROXY" --upstream "$EMU_URL" --counts "$WREN_TMP/counts.json" "$@" > "$WREN_TMP/proxy.url" &
  PROXY_PID=$!
  WREN_PIDS+=($PROXY_PID)
  PROXY_URL=$(wren_wait_url "$WREN_TMP/proxy.url" "proxy") || exit 1
}
stop_proxy() { kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true; }
count() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$WREN_TMP/counts.json" "$1"; }
s3count() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$WREN_TMP/s3counts.json" "$1"; }
starts() { grep -c '^START RequestId' "$WREN_TMP/emu.log" || true; }
# s3obj put|get|trunc|del KEY [FILE|BYTES]: reads or damages an object in moto directly.
s3obj() {
  python3 - "$MOTO_URL" "$BUCKET" "$@" <<'PY'
import os, sys, boto3
url, bucket, op, key = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
if op == "get":
    sys.stdout.buffer.write(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
elif op == "put":
    s3.put_object(Bucket=bucket, Key=key, Body=os.fsencode(sys.argv[5]))
elif op == "trunc":
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.put_object(Bucket=bucket, Key=key, Body=body[: int(sys.argv[5])])
elif op == "del":
    s3.delete_object(Bucket=bucket, Key=key)
PY
}
