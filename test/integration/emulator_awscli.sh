#!/usr/bin/env bash
# The AWS CLI v2 (Debian's /usr/bin/aws) invokes the emulator unchanged:
# sync, Tail, Event, DryRun, a function error and an unknown function.
# Uses the real bootstrap when this build has one, else the test runtime.
. "$(dirname "$0")/lib.sh"
AWS=/usr/bin/aws
if [ ! -x "$AWS" ]; then echo "SKIP: $AWS (Debian's awscli, v2) is not installed"; exit 0; fi
"$AWS" --version 2>&1 | grep -q '^aws-cli/2\.' || { echo "SKIP: $AWS is not the AWS CLI v2"; exit 0; }
export AWS_ACCESS_KEY_ID=AKIDWRENTEST AWS_SECRET_ACCESS_KEY=wrentestsecret AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE="$WREN_TMP/none" AWS_SHARED_CREDENTIALS_FILE="$WREN_TMP/none" AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL

if [ -x "$WREN_BIN_DIR/bootstrap" ]; then
  RT="$WREN_BIN_DIR/bootstrap"; PAYLOAD='{"kernel":"addone","args":41}'
else
  RT="$WREN_BIN_DIR/emulator_test_runtime"; PAYLOAD='{"kernel":"addone","args":41,"note":"caf\u00e9"}'
fi
"$WREN_BIN_DIR/wren" emulator --listen 127.0.0.1:0 --function wren="$RT" --function tester="$WREN_BIN_DIR/emulator_test_runtime" \
  --concurrency 2 --timeout 30 --async-retries 0 --log "$WREN_TMP/fn.log" >"$WREN_TMP/out" 2>"$WREN_TMP/err" &
WREN_PIDS+=("$!")
for _ in $(seq 100); do [ -s "$WREN_TMP/out" ] && break; sleep 0.05; done
EP=$(head -1 "$WREN_TMP/out")
[ -n "$EP" ] || fail "emulator did not start: $(cat "$WREN_TMP/err")"
inv() { "$AWS" lambda invoke --endpoint-url "$EP" --cli-binary-format raw-in-base64-out "$@"; }

# Sync: out.json holds exactly the function's answer.
inv --function-name wren --payload "$PAYLOAD" "$WREN_TMP/out.json" >"$WREN_TMP/meta.json" || fail "aws lambda invoke failed"
[ "$(jq -r .StatusCode "$WREN_TMP/meta.json")" = 200 ] || fail "meta: $(cat "$WREN_TMP/meta.json")"
[ "$(jq -r .ExecutedVersion "$WREN_TMP/meta.json")" = '$LATEST' ] || fail "meta: $(cat "$WREN_TMP/meta.json")"
[ "$(jq -r '.FunctionError // "none"' "$WREN_TMP/meta.json")" = none ] || fail "meta: $(cat "$WREN_TMP/meta.json")"
if [ "$RT" = "$WREN_BIN_DIR/bootstrap" ]; then
  [ "$(jq -c .result "$WREN_TMP/out.json")" = 42 ] || fail "out.json: $(cat "$WREN_TMP/out.json")"
  [ "$(jq -r .kernel "$WREN_TMP/out.json")" = addone ] || fail "out.json: $(cat "$WREN_TMP/out.json")"
else
  printf '%s' "$PAYLOAD" | cmp - "$WREN_TMP/out.json" || fail "out.json: $(cat "$WREN_TMP/out.json")"
fi

# A full ARN with a qualifier, and Tail: LogResult is the base64 of the log.
inv --function-name 'arn:aws:lambda:us-east-1:000000000000:function:tester:$LATEST' --log-type Tail \
  --payload '{"op":"print","lines":2}' "$WREN_TMP/out2.json" >"$WREN_TMP/meta2.json" || fail "invoke by ARN failed"
printf '%s' '{"op":"print","lines":2}' | cmp - "$WREN_TMP/out2.json" || fail "out2.json: $(cat "$WREN_TMP/out2.json")"
jq -r .LogResult "$WREN_TMP/meta2.json" | base64 -d >"$WREN_TMP/tail.txt"
grep -q '^START RequestId: ' "$WREN_TMP/tail.txt" || fail "tail: $(cat "$WREN_TMP/tail.txt")"
grep -q '^line 2 of 2$' "$WREN_TMP/tail.txt" || fail "tail: $(cat "$WREN_TMP/tail.txt")"
grep -q '^REPORT RequestId: ' "$WREN_TMP/tail.txt" || fail "tail: $(cat "$WREN_TMP/tail.txt")"

# A function error.
inv --function-name tester --payload '{"op":"fail"}' "$WREN_TMP/out3.json" >"$WREN_TMP/meta3.json" || fail "invoke (fail) failed"
[ "$(jq -r .FunctionError "$WREN_TMP/meta3.json")" = Unhandled ] || fail "meta3: $(cat "$WREN_TMP/meta3.json")"
[ "$(cat "$WREN_TMP/out3.json")" = '{"errorMessage":"failed on purpose","errorType":"Test.Failed","stackTrace":[]}' ] \
  || fail "out3.json: $(cat "$WREN_TMP/out3.json")"

# Event and DryRun.
inv --function-name tester --invocation-type Event --payload '{"op":"echo"}' "$WREN_TMP/out4.json" >"$WREN_TMP/meta4.json" \
  || fail "Event invoke failed"
[ "$(jq -r .StatusCode "$WREN_TMP/meta4.json")" = 202 ] || fail "meta4: $(cat "$WREN_TMP/meta4.json")"
inv --function-name tester --invocation-type DryRun --payload '{}' "$WREN_TMP/out5.json" >"$WREN_TMP/meta5.json" \
  || fail "DryRun invoke failed"
[ "$(jq -r .StatusCode "$WREN_TMP/meta5.json")" = 204 ] || fail "meta5: $(cat "$WREN_TMP/meta5.json")"

# An unknown function: the CLI reports the AWS error code.
rc=0
inv --function-name nosuch --payload '{}' "$WREN_TMP/out6.json" >/dev/null 2>"$WREN_TMP/err6" || rc=$?
[ "$rc" != 0 ] || fail "unknown function succeeded"
grep -q 'ResourceNotFoundException' "$WREN_TMP/err6" || fail "err6: $(cat "$WREN_TMP/err6")"
grep -q 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nosuch' "$WREN_TMP/err6" || fail "err6: $(cat "$WREN_TMP/err6")"

# A payload that is not JSON.
rc=0
inv --function-name tester --payload 'not json' "$WREN_TMP/out7.json" >/dev/null 2>"$WREN_TMP/err7" || rc=$?
[ "$rc" != 0 ] && grep -q 'InvalidRequestContentException' "$WREN_TMP/err7" || fail "err7 ($rc): $(cat "$WREN_TMP/err7")"
echo "emulator_awscli: ok ($RT)"
