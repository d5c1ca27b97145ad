#!/usr/bin/env bash
# Fault matrix on the loopback-AWS backend, the Lambda endpoint dying
# (docs/faults.md; the local backend's twin is faults_restart.sh): the
# emulator serving as the Lambda endpoint killed (SIGKILL) and restarted
# mid-job, then killed for good. Lost calls are noticed at the SDK's client
# deadline and re-invoked. Every call must end in exactly one outcome
# (test/fault_check.py).
source "$(dirname "$0")/lib.sh"
source "$WREN_SOURCE_DIR/test/faults_aws_lib.sh"

start_s3
start_emulator 0
EMU_PORT=${EMU_URL##*:}
echo "moto, proxy and emulator up [$SECONDS s]"

# 1. The emulator killed (SIGKILL) and restarted on its port mid-job: its
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
echo "[$SECONDS s]"

# 2. The emulator killed for good mid-job: the calls it had taken are lost;
# at the client deadline (1 s + 10 s) their re-invokes find nothing listening
# (--retries 1): each ends Wren.InvokeError naming the endpoint, never a hang.
gen "    d.update(do='sleep', ms=300, expect_or=['Wren.InvokeError'])" 20 "$WREN_TMP/gone.jsonl"
mapf "$EMU_URL" gone "$WREN_TMP/gone.jsonl" "$WREN_TMP/gone.out" --timeout 1 --retries 1 &
host=$!
WREN_PIDS+=($host)
sleep 2
instances=$(cat /proc/"$EMU_PID"/task/*/children 2>/dev/null || true)
kill -9 "$EMU_PID"
wait "$EMU_PID" 2>/dev/null || true
t0=$(date +%s)
wait "$host"
python3 "$CHECK" "$WREN_TMP/gone.jsonl" "$WREN_TMP/gone.out" --min-errors 1
[ "$(grep -c "\"type\":\"Wren.InvokeError\",\"message\":\"invoke $EMU_URL/2015-03-31/functions/wren/invocations: Couldn't connect to server\"" "$WREN_TMP/gone.out")" = \
  "$(grep -c error "$WREN_TMP/gone.out")" ] || fail "untyped errors: $(grep error "$WREN_TMP/gone.out" | head -2)"
[ $(( $(date +%s) - t0 )) -lt 30 ] || fail "calls of a dead endpoint took $(( $(date +%s) - t0 )) s to fail"
orphans=""
for p in $instances; do [ -d /proc/"$p" ] && orphans="$orphans $p"; done
if [ -n "$orphans" ]; then
  kill -9 $orphans 2>/dev/null || true
  fail "instances of the emulator killed for good still running:$orphans"
fi
echo "faults aws restart: ok [$SECONDS s]"
