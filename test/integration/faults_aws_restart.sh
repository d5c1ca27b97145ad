#!/usr/bin/env bash
# Fault matrix on the loopback-AWS backend, the slow half (docs/faults.md; the
# local backend's twin is faults_restart.sh): S3 answering 500/503 for a while
# (test/s3_fault_proxy.py in front of moto_server), and the emulator serving as
# the Lambda endpoint killed (SIGKILL) and restarted mid-job. Lost calls are
# noticed at the SDK's client deadline and re-invoked. Every call must end in
# exactly one outcome (test/fault_check.py).
source "$(dirname "$0")/lib.sh"
source "$WREN_SOURCE_DIR/test/faults_aws_lib.sh"

DOWN="$WREN_TMP/s3-down"
start_s3 --fail-file "$DOWN"
start_emulator 0
EMU_PORT=${EMU_URL##*:}
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

# 2. The emulator killed (SIGKILL) and restarted on its port mid-job: its
# queued events are lost (they live in its memory); the SDK re-invokes every
# call without an outcome at the client deadline (--retries 2), and the
# restarted emulator runs them. The killed emulator's instances must exit.
gen "    d.update(do='sleep', ms=200, expect_or=['Wren.Timeout'])" 60 "$WREN_TMP/res.jsonl"
mapf "$EMU_URL" res "$WREN_TMP/res.jsonl" "$WREN_TMP/res.out" --timeout 2 --retries 2 &
host=$!
WREN_PIDS+=($host)
sleep 2
instances=$(cat /proc/"$EMU_PID"/task/*/children 2>/dev/null || true)
[ -n "$instances" ] || fail "no emulator instances running at the kill"
kill -9 "$EMU_PID"
wait "$EMU_PID" 2>/dev/null || true
sleep 1
start_emulator "$EMU_PORT"
wait "$host"
python3 "$CHECK" "$WREN_TMP/res.jsonl" "$WREN_TMP/res.out"
"$W" status --json --store "$STORE" res > "$WREN_TMP/res.json" || true
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); assert s['calls']==60 and s['done']+s['failed']==60, s" "$WREN_TMP/res.json"
orphans=""
for p in $instances; do [ -d /proc/"$p" ] && orphans="$orphans $p"; done
if [ -n "$orphans" ]; then
  kill -9 $orphans 2>/dev/null || true
  fail "instances of the killed emulator still running:$orphans"
fi
echo "faults aws restart: ok [$SECONDS s]"
