#!/usr/bin/env bash
# wren call / map / status / results / plot on the embedded local backend:
# JSON in, JSON out, typed errors, order kept, a kept job read back, plots
# rendered by a real SVG renderer, and nothing left behind.
source "$(dirname "$0")/lib.sh"
W="$WREN_BIN_DIR/wren"
export WREN_STORE="file://$WREN_TMP/store"   # where --keep puts jobs (not ~/.cache)
export TMPDIR="$WREN_TMP/tmp"; mkdir -p "$TMPDIR"

for c in call map status results plot; do
  "$W" "$c" --help | grep -q "usage: wren $c" || fail "$c --help"
done

# An option missing its value is a usage error that says so.
for cmd in "map addone --args" "plot job --out" "kernels --load"; do
  set +e; "$W" $cmd > /dev/null 2> "$WREN_TMP/err"; rc=$?; set -e
  [ $rc = 2 ] && grep -q -- "--[a-z]* needs a" "$WREN_TMP/err" || fail "'wren $cmd': rc $rc, $(cat "$WREN_TMP/err")"
done

# call: JSON in, JSON out.
[ "$("$W" call addone 41)" = 42 ] || fail "call addone 41"
[ "$("$W" call addone "[1, 2.5]")" = "[2,3.5]" ] || fail "call addone list"
[ "$("$W" call echo '{"a": "b"}')" = '{"a":"b"}' ] || fail "call echo"
set +e
out=$("$W" call fail '{"type": "SingularMatrix", "message": "det 0"}' 2>"$WREN_TMP/err"); rc=$?
set -e
[ $rc = 1 ] || fail "call fail rc $rc"
[ "$out" = '{"error":{"type":"Wren.SingularMatrix","message":"det 0"}}' ] || fail "call fail out: $out"
grep -q "Wren.SingularMatrix: det 0" "$WREN_TMP/err" || fail "call fail stderr"
set +e
out=$("$W" call nope 1 2>/dev/null); rc=$?
set -e
[ $rc = 1 ] && echo "$out" | grep -q Wren.UnknownKernel || fail "unknown kernel: $rc $out"
set +e; "$W" call addone '{bad' 2>/dev/null; rc=$?; set -e
[ $rc = 2 ] || fail "bad JSON should be a usage error, got $rc"
set +e; "$W" call '../x' 1 2>/dev/null; rc=$?; set -e
[ $rc = 2 ] || fail "bad kernel name should be a usage error, got $rc"

# map: one call per line, results in order, failures in place.
printf '1\n\n2\n"x"\n  \n3\n' > "$WREN_TMP/in.jsonl"
set +e
"$W" map addone --args "$WREN_TMP/in.jsonl" --keep --job cli-test-job > "$WREN_TMP/out.jsonl" 2>"$WREN_TMP/err"; rc=$?
set -e
[ $rc = 1 ] || fail "map with a bad line should exit 1, got $rc"
sed -n 1p "$WREN_TMP/out.jsonl" | grep -qx 2 || fail "map line 1"
sed -n 2p "$WREN_TMP/out.jsonl" | grep -qx 3 || fail "map line 2"
sed -n 3p "$WREN_TMP/out.jsonl" | grep -q '"type":"Wren.BadInput"' || fail "map line 3"
sed -n 4p "$WREN_TMP/out.jsonl" | grep -qx 4 || fail "map line 4"
[ "$(wc -l < "$WREN_TMP/out.jsonl")" = 4 ] || fail "map should print 4 lines"
grep -q "job cli-test-job kept in file://$WREN_TMP/store" "$WREN_TMP/err" || fail "map should say where the job is"
grep -q "1 of 4 calls failed" "$WREN_TMP/err" || fail "map failure count"
! grep -q $'\r' "$WREN_TMP/err" || fail "no progress bar when stderr is not a terminal"

# 200 calls from stdin, in order.
seq 0 199 > "$WREN_TMP/seq.jsonl"
"$W" map addone --args - < "$WREN_TMP/seq.jsonl" > "$WREN_TMP/seq.out"
seq 1 200 | diff - "$WREN_TMP/seq.out" || fail "map of 200 out of order"

# status / results / plot on the kept job.
"$W" results cli-test-job > "$WREN_TMP/res.jsonl" && fail "results should exit 1 (a call failed)" || true
diff "$WREN_TMP/out.jsonl" "$WREN_TMP/res.jsonl" || fail "results differ from what map printed"
"$W" status --json cli-test-job > "$WREN_TMP/st.json" || true
python3 - "$WREN_TMP/st.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["calls"] == 4 and s["done"] == 3 and s["failed"] == 1 and s["pending"] == 0, s
assert s["errors"] == {"Wren.BadInput": 1}, s
assert s["wall_s"] > 0, s
PY
"$W" status cli-test-job > "$WREN_TMP/st.txt" && fail "status should exit 1 (a call failed)" || true
grep -q "4: 3 done, 1 failed" "$WREN_TMP/st.txt" || fail "status text"
mkdir -p "$WREN_TMP/plots"
"$W" plot cli-test-job --out "$WREN_TMP/plots" > "$WREN_TMP/paths"
for kind in timeline gflops; do
  svg="$WREN_TMP/plots/cli-test-job-$kind.svg"
  grep -qx "$svg" "$WREN_TMP/paths" || fail "plot did not name $svg"
  rsvg-convert -o "$WREN_TMP/$kind.png" "$svg" || fail "rsvg-convert $kind"
  python3 - "$WREN_TMP/$kind.png" <<'PY' || fail "png $kind"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (960, 600), (w, h)
# Decode IDAT and count distinct pixel rows: a blank picture has one.
idat = b"".join(data[i+8:i+8+struct.unpack(">I", data[i:i+4])[0]]
                for i in range(8, len(data)) if data[i+4:i+8] == b"IDAT")
raw = zlib.decompress(idat)
stride = len(raw) // h
rows = {raw[r*stride+1:(r+1)*stride] for r in range(h)}
assert len(rows) > 20, len(rows)
PY
done
"$W" status no-such-job 2>/dev/null && fail "status of a missing job" || true
"$W" results '../etc' 2>/dev/null && fail "results of a bad id" || true

# On a terminal (script(1) gives one) the progress bar shows, ending at 100/100.
if command -v script >/dev/null; then
  script -qec "'$W' map addone --args '$WREN_TMP/seq.jsonl' > /dev/null" /dev/null > "$WREN_TMP/tty.txt" 2>&1 || true
  grep -q "200/200 done, 0 failed" "$WREN_TMP/tty.txt" || fail "no progress bar on a terminal: $(head -c 300 "$WREN_TMP/tty.txt")"
  script -qec "'$W' map addone --quiet --args '$WREN_TMP/seq.jsonl' > /dev/null" /dev/null > "$WREN_TMP/tty2.txt" 2>&1 || true
  ! grep -q "done," "$WREN_TMP/tty2.txt" || fail "--quiet should hide the bar"
fi

# SIGTERM mid-job: the workers stop, the temporary store goes, exit 143.
seq 1 20 | sed 's/.*/3000/' > "$WREN_TMP/sleep.jsonl"
"$W" map sleep_ms --args "$WREN_TMP/sleep.jsonl" > /dev/null 2>"$WREN_TMP/sig.err" &
mp=$!
for _ in $(seq 200); do [ -n "$(ls -A "$TMPDIR")" ] && [ "$(pgrep -P $mp | wc -l)" -ge 1 ] && break; sleep 0.05; done
[ -n "$(ls -A "$TMPDIR")" ] || fail "map never made its temporary store"
kill -TERM $mp
set +e; wait $mp; rc=$?; set -e
[ $rc = 143 ] || fail "map on SIGTERM should exit 143, got $rc"
grep -q "interrupted by signal 15" "$WREN_TMP/sig.err" || fail "no word about the signal"

# Nothing left behind (check_sdk proves no worker process outlives an executor).
[ -z "$(ls -A "$TMPDIR")" ] || fail "left in TMPDIR: $(ls -A "$TMPDIR")"
echo "cli call/map/status/results/plot: ok"
