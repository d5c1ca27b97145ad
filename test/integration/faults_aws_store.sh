#!/usr/bin/env bash
# Fault matrix on the loopback-AWS backend, S3 failing for a while
# (docs/faults.md; the local backend's twin is the store case of
# faults_restart.sh): test/s3_fault_proxy.py in front of moto_server answers
# every request with 503 SlowDown / 500 InternalError for 2 s mid-map, then
# for good. Lost calls are noticed at the SDK's client deadline and
# re-invoked, or time out. Every call
# must end in exactly one outcome (test/fault_check.py).
source "$(dirname "$0")/lib.sh"
source "$WREN_SOURCE_DIR/test/faults_aws_lib.sh"

DOWN="$WREN_TMP/s3-down"
start_s3 --fail-file "$DOWN"
start_emulator 0
echo "moto, proxy and emulator up [$SECONDS s]"

# 1. S3 answering 503 SlowDown and 500 InternalError (in turn) to every request
# for 2 s, 1 s into a map of 60 calls of 200 ms. The store retries each
# request (5 tries, 50 ms base, full jitter: under a second in all), so some
# workers' status PUTs fail for good and the SDK's listings fail for a while;
# calls without a status are re-invoked at the client deadline (2 s + 10 s,
# --retries 2). Every call a result, or a typed error if its retries ran out.
gen "    d.update(do='sleep', ms=200, expect_or=['Wren.StoreError', 'Wren.Timeout'])" 60 "$WREN_TMP/sto.jsonl"
mapf "$EMU_URL" sto "$WREN_TMP/sto.jsonl" "$WREN_TMP/sto.out" --timeout 2 --retries 2 &
host=$!
WREN_PIDS+=($host)
sleep 1
: > "$DOWN"
sleep 2
rm "$DOWN"
wait "$host"
python3 "$CHECK" "$WREN_TMP/sto.jsonl" "$WREN_TMP/sto.out"
failed=$(s3count failed)
[ "$failed" -ge 20 ] || fail "the S3 proxy answered only $failed errors"
# the fault hit the workers: one logged a status PUT it could not make
grep -q "put s3://$BUCKET/jobs/sto/[0-9]*/status: HTTP 50[03] .*(after retries)" "$WREN_TMP/emu.log" ||
  { cp "$WREN_TMP/emu.log" /tmp/faults-aws-emu.log; fail "no worker met the S3 outage (log: /tmp/faults-aws-emu.log)"; }
echo "  S3 errors answered: $failed [$SECONDS s]"

# 2. S3 down for good: every call's status PUT fails, every listing fails.
# Each of 20 calls must end Wren.Timeout at its deadline (1 s + 10 s, no
# retries), all about together: a call's deadline restarts when a worker's
# outcome arrives, not when another call times out (before that fix these 20
# calls timed out one after another, 11 s apart: 220 s).
gen "    d.update(expect=['Wren.Timeout'])" 20 "$WREN_TMP/down.jsonl"
: > "$DOWN"
t0=$(date +%s)
mapf "$EMU_URL" down "$WREN_TMP/down.jsonl" "$WREN_TMP/down.out" --timeout 1
took=$(( $(date +%s) - t0 ))
rm "$DOWN"
python3 "$CHECK" "$WREN_TMP/down.jsonl" "$WREN_TMP/down.out" --min-errors 20
[ "$(grep -c '"type":"Wren.Timeout","message":"call [0-9]* (fault_mix) of job down: no outcome within 11.0 s (attempt 0); listing the store has failed for 1[01].[0-9] s: [^"]*"' "$WREN_TMP/down.out")" = 20 ] ||
  fail "20 timeouts: $(head -1 "$WREN_TMP/down.out")"
[ "$took" -lt 30 ] || fail "20 lost calls took $took s to time out (one deadline is 11 s)"
echo "  S3 down for good: 20 x Wren.Timeout in $took s, e.g. $(grep -o '"message":"[^"]*' "$WREN_TMP/down.out" | head -1)"

echo "faults aws store: ok [$SECONDS s]"
