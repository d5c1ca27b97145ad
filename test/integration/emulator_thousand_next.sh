#!/usr/bin/env bash
# Load (issue 5): 1,000 concurrent long-polling Runtime API `next` requests
# against the emulator. 1,000 sync invokes at once make it start 1,000
# instances of test/emulator_test_runtime (--concurrency 1000; 1,000 measured,
# at least 800 required in case a slow machine lets a late call find one free); once
# they have answered, every instance sits in a long-polling `next`. A second
# wave of 1,000 invokes must then be served by those waiting instances: all
# 2,000 answered right, and no cold start in the second wave beyond the calls
# that found no waiting instance.
source "$(dirname "$0")/lib.sh"
RT="$WREN_BIN_DIR/emulator_test_runtime"
[ -x "$RT" ] || { echo "SKIP: emulator_test_runtime not built"; exit 77; }
# 1,000 sanitized processes would take gigabytes of a shared machine's memory.
if grep -q '^WREN_SANITIZE:BOOL=ON' "${WREN_BUILD_DIR:-/nonexistent}/CMakeCache.txt" 2>/dev/null; then
  echo "SKIP: sanitizer build"; exit 77
fi
ulimit -n 8192 2>/dev/null || true
[ "$(ulimit -n)" -ge 4096 ] || { echo "SKIP: need 4096 file descriptors"; exit 77; }
"$WREN_BIN_DIR/wren" emulator --listen 127.0.0.1:0 --function fn="$RT" --concurrency 1000 \
  --timeout 120 --memory 128 --log "$WREN_TMP/emu.log" > "$WREN_TMP/url" &
WREN_PIDS+=($!)
emu=$!
for _ in $(seq 100); do [ -s "$WREN_TMP/url" ] && break; sleep 0.05; done
url=$(head -1 "$WREN_TMP/url")
python3 - "$url" "$WREN_TMP/emu.log" <<'PY'
import json, sys, threading, urllib.request
url = sys.argv[1] + "/2015-03-31/functions/fn/invocations"
N = 1000
def wave(tag, ms):
    res = [None] * N
    go = threading.Barrier(N)
    def one(i):
        go.wait()
        body = json.dumps({"op": "sleep", "ms": ms, "i": i, "w": tag}).encode()
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=110) as r:
                res[i] = (r.status, json.loads(r.read()))
        except Exception as e:
            res[i] = ("error", str(e))
    ts = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(N)]
    for t in ts: t.start()
    for t in ts: t.join()
    bad = [(i, r) for i, r in enumerate(res) if r is None or r[0] != 200 or r[1].get("i") != i or r[1].get("w") != tag]
    assert not bad, "%s: %d bad, e.g. %r" % (tag, len(bad), bad[:3])
    print("%s: %d answered" % (tag, N))
threading.stack_size(256 * 1024)
import time
def inits():
    return sum("Init Duration" in l for l in open(sys.argv[2]))
wave("cold", 10000)  # holds every instance busy, so about 1,000 start
# instances spawned for the first wave may log their start a little later
n1, stable = inits(), 0
while stable < 4:
    time.sleep(0.5)
    n = inits()
    stable = stable + 1 if n == n1 else 0
    n1 = n
wave("warm", 0)      # served by the instances now all waiting in `next`
n2 = inits()
print("instances started by the first wave: %d; by the second: %d" % (n1, n2 - n1))
assert n1 >= 800, "only %d instances: the first wave did not start enough" % n1
# every waiting instance takes a call; only calls beyond them may cold-start
assert n2 - n1 <= N - n1, "the second wave cold-started %d instances while %d waited" % (n2 - n1, n1)
PY
inits=$(grep -c "Init Duration" "$WREN_TMP/emu.log" || true)
reports=$(grep -c "^REPORT RequestId" "$WREN_TMP/emu.log" || true)
[ "$reports" = 2000 ] || fail "$reports REPORT lines, want 2000"
n=$(cat /proc/"$emu"/task/*/children | wc -w)
echo "emulator thousand next: ok ($inits instances, $n alive, $reports invocations) [$SECONDS s]"
