#!/usr/bin/env bash
# The emulator with wren's real bootstrap over loopback: results of built-in
# kernels, typed errors, a crashing kernel, the function timeout, events, and
# many parallel calls against a pool of 2, all through `wren emulator`.
. "$(dirname "$0")/lib.sh"
BOOT="$WREN_BIN_DIR/bootstrap"
if [ ! -x "$BOOT" ]; then echo "SKIP: $BOOT is not built"; exit 0; fi
"$WREN_BIN_DIR/wren" emulator --listen 127.0.0.1:0 --function wren="$BOOT" --concurrency 2 --timeout 2 \
  --async-retries 0 --log "$WREN_TMP/fn.log" >"$WREN_TMP/out" 2>"$WREN_TMP/err" &
EM=$!
WREN_PIDS+=("$EM")
for _ in $(seq 100); do [ -s "$WREN_TMP/out" ] && break; sleep 0.05; done
EP=$(head -1 "$WREN_TMP/out")
[ -n "$EP" ] || fail "emulator did not start: $(cat "$WREN_TMP/err")"
URL="$EP/2015-03-31/functions/wren/invocations"
call() { curl -sS -D "$WREN_TMP/h" -X POST "$URL" -d "$1"; }
ferr() { tr -d '\r' <"$WREN_TMP/h" | awk -F': ' 'tolower($1)=="x-amz-function-error"{print $2}'; }

b=$(call '{"kernel":"addone","args":41}')
[ "$(jq -c .result <<<"$b")" = 42 ] || fail "addone: $b"
[ -z "$(ferr)" ] || fail "addone flagged as an error"
b=$(call '{"kernel":"echo","args":{"a":[1,2.5,"x"]}}')
[ "$(jq -c .result <<<"$b")" = '{"a":[1,2.5,"x"]}' ] || fail "echo: $b"

b=$(call '{"kernel":"no_such_kernel"}')
[ "$(ferr)" = Unhandled ] || fail "unknown kernel not Unhandled"
[ "$(jq -r .errorType <<<"$b")" = Wren.UnknownKernel ] || fail "unknown kernel: $b"

# A crashing kernel: a typed error, and the worker serves the next call.
b=$(call '{"kernel":"crash"}')
[ "$(ferr)" = Unhandled ] || fail "crash not Unhandled: $b"
[ "$(jq -r .errorType <<<"$b")" = Wren.KernelCrash ] || fail "crash: $b"
b=$(call '{"kernel":"addone","args":1}')
[ "$(jq -c .result <<<"$b")" = 2 ] || fail "after crash: $b"

# The function timeout (2 s): Sandbox.Timedout, then the pool recovers.
start=$(date +%s%N)
b=$(call '{"kernel":"sleep_ms","args":10000}')
took=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$(ferr)" = Unhandled ] || fail "timeout not Unhandled: $b"
[ "$(jq -r .errorType <<<"$b")" = Sandbox.Timedout ] || fail "timeout: $b"
jq -r .errorMessage <<<"$b" | grep -Eq 'Task timed out after [0-9]+\.[0-9]{2} seconds' || fail "timeout message: $b"
[ "$took" -lt 4000 ] || fail "timeout took $took ms"
b=$(call '{"kernel":"addone","args":2}')
[ "$(jq -c .result <<<"$b")" = 3 ] || fail "after timeout: $b"

# Parallel: 48 calls at once against 2 instances, every answer right.
for i in $(seq 48); do
  curl -sS -X POST "$URL" -d "{\"kernel\":\"addone\",\"args\":$i}" >"$WREN_TMP/p$i" &
done
wait $(jobs -p | grep -v "^$EM$") 2>/dev/null || true
for i in $(seq 48); do
  [ "$(jq -c .result "$WREN_TMP/p$i")" = "$((i + 1))" ] || fail "parallel $i: $(cat "$WREN_TMP/p$i")"
done
[ "$(pgrep -P "$EM" | wc -l)" -le 2 ] || fail "more than 2 instances"

# An event runs (its REPORT appears in the log).
rid=$(curl -sS -D - -o /dev/null -H 'X-Amz-Invocation-Type: Event' -X POST "$URL" -d '{"kernel":"addone","args":7}' \
  | tr -d '\r' | awk -F': ' 'tolower($1)=="x-amzn-requestid"{print $2}')
[ -n "$rid" ] || fail "no request id for the event"
for _ in $(seq 100); do grep -q "^REPORT RequestId: $rid" "$WREN_TMP/fn.log" && break; sleep 0.05; done
grep -q "^REPORT RequestId: $rid" "$WREN_TMP/fn.log" || fail "event $rid never ran"
[ "$(grep -c '^START RequestId: ' "$WREN_TMP/fn.log")" = "$(grep -c '^REPORT RequestId: ' "$WREN_TMP/fn.log")" ] \
  || fail "START and REPORT lines do not pair up"
echo "emulator_bootstrap: ok"
