#!/usr/bin/env bash
# A third-party runtime unchanged: the Node aws-lambda-ric 3.x from the npm
# registry (installed by test/node/setup.sh) serves index.handler under the
# emulator: results, the Lambda context, a thrown error, Event, parallel calls.
. "$(dirname "$0")/lib.sh"
NODE_DIR="$WREN_SOURCE_DIR/test/node"
if [ ! -d "$NODE_DIR/node_modules/aws-lambda-ric" ]; then
  echo "SKIP: $NODE_DIR/node_modules is absent; run test/node/setup.sh (needs node 20 and the npm registry)"
  exit 0
fi
command -v node >/dev/null || { echo "SKIP: node is not installed"; exit 0; }
"$WREN_BIN_DIR/wren" emulator --listen 127.0.0.1:0 --function nodefn="$NODE_DIR/bootstrap" \
  --concurrency 2 --timeout 20 --memory 512 --log "$WREN_TMP/fn.log" >"$WREN_TMP/out" 2>"$WREN_TMP/err" &
EM=$!
WREN_PIDS+=("$EM")
for _ in $(seq 100); do [ -s "$WREN_TMP/out" ] && break; sleep 0.05; done
EP=$(head -1 "$WREN_TMP/out")
[ -n "$EP" ] || fail "emulator did not start: $(cat "$WREN_TMP/err")"
URL="$EP/2015-03-31/functions/nodefn/invocations"

curl -sS -D "$WREN_TMP/h1" -X POST "$URL" -d '{"x":[1,2],"s":"caf\u00e9"}' >"$WREN_TMP/b1"
jq -e '.echo == {"x":[1,2],"s":"café"}' "$WREN_TMP/b1" >/dev/null || fail "echo: $(cat "$WREN_TMP/b1")"
jq -e '.functionName == "nodefn" and .memoryLimitInMB == "512" and .functionVersion == "$LATEST" and .hasTimeLeft' \
  "$WREN_TMP/b1" >/dev/null || fail "context: $(cat "$WREN_TMP/b1")"
jq -e '.invokedFunctionArn == "arn:aws:lambda:us-east-1:000000000000:function:nodefn"' "$WREN_TMP/b1" >/dev/null \
  || [ -n "${AWS_REGION:-${AWS_DEFAULT_REGION:-}}" ] || fail "arn: $(cat "$WREN_TMP/b1")"
rid=$(tr -d '\r' <"$WREN_TMP/h1" | awk -F': ' 'tolower($1)=="x-amzn-requestid"{print $2}')
[ "$(jq -r .awsRequestId "$WREN_TMP/b1")" = "$rid" ] || fail "request id: $rid vs $(cat "$WREN_TMP/b1")"
grep -q "node handler got" "$WREN_TMP/fn.log" || fail "no handler output in the log"

# A thrown error: Unhandled, with the runtime's errorType and message.
curl -sS -D "$WREN_TMP/h2" -X POST "$URL" -d '{"fail":"now"}' >"$WREN_TMP/b2"
tr -d '\r' <"$WREN_TMP/h2" | grep -qi '^x-amz-function-error: Unhandled$' || fail "no X-Amz-Function-Error: $(cat "$WREN_TMP/h2")"
jq -e '.errorType == "NodeTest.Failed" and .errorMessage == "failed on purpose: now"' "$WREN_TMP/b2" >/dev/null \
  || fail "error body: $(cat "$WREN_TMP/b2")"

# Parallel: 24 at once against 2 instances, all answered.
for i in $(seq 24); do
  curl -sS -X POST "$URL" -d "{\"i\":$i}" >"$WREN_TMP/p$i" &
done
wait $(jobs -p | grep -v "^$EM$") 2>/dev/null || true
for i in $(seq 24); do
  [ "$(jq -c .echo "$WREN_TMP/p$i")" = "{\"i\":$i}" ] || fail "parallel $i: $(cat "$WREN_TMP/p$i")"
done
[ "$(pgrep -P "$EM" | wc -l)" -le 2 ] || fail "more than 2 instances"

# Event: accepted, then run.
code=$(curl -sS -o /dev/null -w '%{http_code}' -H 'X-Amz-Invocation-Type: Event' -X POST "$URL" -d '{"event":"later"}')
[ "$code" = 202 ] || fail "Event gave $code"
for _ in $(seq 100); do grep -q 'node handler got {"event":"later"}' "$WREN_TMP/fn.log" && break; sleep 0.05; done
grep -q 'node handler got {"event":"later"}' "$WREN_TMP/fn.log" || fail "the event never ran"
echo "emulator_node: ok (aws-lambda-ric $(jq -r .version "$NODE_DIR/node_modules/aws-lambda-ric/package.json"))"
