#!/usr/bin/env bash
# Fault matrix on the loopback-AWS backend, around the workers (docs/faults.md;
# the local backend's twin is faults_endpoint.sh): `wren map` with
# WREN_BACKEND=aws against moto_server as S3 and a `wren emulator` as the
# Lambda endpoint, with test doubles in between:
#   test/invoke_proxy.py in front of the emulator: throttling (429) for a
#     while and for good, connections dropped mid-upload, every async event
#     delivered twice, answers lost after the event was accepted;
#   test/s3_fault_proxy.py in front of moto: S3 uploads dropped mid-body (the
#     SDK's argument objects, the workers' status objects).
# Objects read back damaged: faults_aws_objects.sh. S3 answering 500/503 for a
# while and the emulator killed mid-job: faults_aws_restart.sh. Every call must end in exactly one outcome: its result
# or a typed error naming the cause (test/fault_check.py).
source "$(dirname "$0")/lib.sh"
source "$WREN_SOURCE_DIR/test/faults_aws_lib.sh"

# One S3 proxy for the whole script (the workers' S3 endpoint is fixed when
# the emulator starts); each rule hits one job only.
start_s3 \
  --rule 'PUT:/jobs/sdrop/[0-9]+/in$:drop:5' \
  --rule 'PUT:/jobs/sdrop/[0-9]+/status$:drop:5'
start_emulator 0
echo "moto, proxy and emulator up [$SECONDS s]"

# 1. Throttling: every invoke answered 429 TooManyRequestsException for the
# first second. The invoker backs off (10 ms .. 2 s, 8 tries); a call still
# throttled at the end would fail Wren.Throttled.
gen "    d.update(expect_or=['Wren.Throttled'])" 100 "$WREN_TMP/thr.jsonl"
start_proxy --throttle-s 1
mapf "$PROXY_URL" thr "$WREN_TMP/thr.jsonl" "$WREN_TMP/thr.out"
python3 "$CHECK" "$WREN_TMP/thr.jsonl" "$WREN_TMP/thr.out"
[ "$(count throttled)" -ge 100 ] || fail "the proxy throttled only $(count throttled) invokes"
echo "  429 answers: $(count throttled), forwarded: $(count forwarded)"
stop_proxy
echo "[$SECONDS s]"

# Throttled for good: every invoke answered 429. Each call fails typed,
# Wren.Throttled, after its 1 + 8 tries (about 10 s of backoff), not later.
gen "    d.update(expect=['Wren.Throttled'])" 10 "$WREN_TMP/thr2.jsonl"
start_proxy --throttle-s 3600
t0=$(date +%s)
mapf "$PROXY_URL" thr2 "$WREN_TMP/thr2.jsonl" "$WREN_TMP/thr2.out"
python3 "$CHECK" "$WREN_TMP/thr2.jsonl" "$WREN_TMP/thr2.out" --min-errors 10
[ "$(grep -c '"type":"Wren.Throttled","message":"invoke answered HTTP 429: .*Rate exceeded' "$WREN_TMP/thr2.out")" = 10 ] ||
  fail "10 typed throttling errors: $(head -1 "$WREN_TMP/thr2.out")"
[ "$(count throttled)" = 90 ] || fail "the proxy answered $(count throttled) 429s, want 10 x (1 + 8)"
[ $(( $(date +%s) - t0 )) -lt 30 ] || fail "throttled calls took $(( $(date +%s) - t0 )) s to fail"
stop_proxy
echo "[$SECONDS s]"

# 2. Invokes dropped mid-upload: the first 10 invokes (100 KB events) are cut
# after half their body, unanswered. The invoker retries a dropped connection.
gen "    d.update(pad='x' * 100000)" 40 "$WREN_TMP/drop.jsonl"
start_proxy --drop 10
mapf "$PROXY_URL" drop "$WREN_TMP/drop.jsonl" "$WREN_TMP/drop.out"
python3 "$CHECK" "$WREN_TMP/drop.jsonl" "$WREN_TMP/drop.out" --max-errors 0
[ "$(count dropped)" = 10 ] || fail "the proxy dropped $(count dropped) connections, want 10"
stop_proxy
echo "[$SECONDS s]"

# 3. S3 uploads dropped mid-body: arguments past --inline-bytes go to S3 as
# JOB/CALL/in; the S3 proxy cuts the first 5 of those PUTs (the SDK's) and the
# first 5 status PUTs (the workers') after half their body, each key once; the store retries
# them: 40 results, 10 drops counted.
gen "    d.update(pad='y' * 4000)" 40 "$WREN_TMP/sdrop.jsonl"
mapf "$EMU_URL" sdrop "$WREN_TMP/sdrop.jsonl" "$WREN_TMP/sdrop.out" --inline-bytes 1000
python3 "$CHECK" "$WREN_TMP/sdrop.jsonl" "$WREN_TMP/sdrop.out" --max-errors 0
[ "$(s3count drop)" = 10 ] || fail "the S3 proxy dropped $(s3count drop) uploads, want 10"
echo "[$SECONDS s]"

# 4. Every async event delivered twice (Lambda delivers at least once): 50
# calls run 100 times, 50 outcomes, and the kept job counts 50 done.
gen "" 50 "$WREN_TMP/dup.jsonl"
start_proxy --duplicate
s0=$(starts)
mapf "$PROXY_URL" dup "$WREN_TMP/dup.jsonl" "$WREN_TMP/dup.out"
python3 "$CHECK" "$WREN_TMP/dup.jsonl" "$WREN_TMP/dup.out" --max-errors 0
[ "$(count duplicated)" = 50 ] || fail "the proxy duplicated $(count duplicated) events, want 50"
for _ in $(seq 100); do [ $(( $(starts) - s0 )) -ge 100 ] && break; sleep 0.1; done
[ $(( $(starts) - s0 )) -ge 100 ] || fail "the emulator ran $(( $(starts) - s0 )) invocations, want 100"
"$W" status --json --store "$STORE" dup > "$WREN_TMP/dup.json" || true
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); assert s['calls']==50 and s['done']==50 and s['failed']==0, s" "$WREN_TMP/dup.json"
stop_proxy
echo "[$SECONDS s]"

# 5. Answers lost: the first 10 invokes are forwarded (the events accepted)
# and their connections closed without the 202. The invoker retries them, so
# 10 calls run twice: 50 invocations, 40 outcomes, the kept job 40 done.
gen "" 40 "$WREN_TMP/lose.jsonl"
start_proxy --lose 10
s0=$(starts)
mapf "$PROXY_URL" lose "$WREN_TMP/lose.jsonl" "$WREN_TMP/lose.out"
python3 "$CHECK" "$WREN_TMP/lose.jsonl" "$WREN_TMP/lose.out" --max-errors 0
[ "$(count lost)" = 10 ] && [ "$(count forwarded)" = 50 ] ||
  fail "the proxy lost $(count lost) answers of $(count forwarded) forwarded, want 10 of 50"
for _ in $(seq 100); do [ $(( $(starts) - s0 )) -ge 50 ] && break; sleep 0.1; done
[ $(( $(starts) - s0 )) = 50 ] || fail "the emulator ran $(( $(starts) - s0 )) invocations, want 50"
"$W" status --json --store "$STORE" lose > "$WREN_TMP/lose.json" || true
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); assert s['calls']==40 and s['done']==40 and s['failed']==0, s" "$WREN_TMP/lose.json"
stop_proxy
echo "[$SECONDS s]"

echo "faults aws endpoint: ok [$SECONDS s]"
