#!/usr/bin/env bash
# wren call / map / results print numeric arrays {dtype, shape, data: bin} as
# nested JSON lists (cli/render_arrays.c) on the embedded local backend, and
# --arrays base64 prints today's wire form; a look-alike prints as it is.
source "$(dirname "$0")/lib.sh"
W="$WREN_BIN_DIR/wren"
export WREN_STORE="file://$WREN_TMP/store"
export TMPDIR="$WREN_TMP/tmp"; mkdir -p "$TMPDIR"

for c in call map results; do
  "$W" "$c" --help | grep -q -- "--arrays MODE" || fail "$c --help does not document --arrays"
done

# One call: the issue's example, exactly.
out=$("$W" call solve '{"a":[[2,0],[0,4]],"b":[2,4]}')
[ "$out" = '{"x":[1,1]}' ] || fail "call solve printed $out"
out=$("$W" call solve --arrays base64 '{"a":[[2,0],[0,4]],"b":[2,4]}')
[ "$out" = '{"x":{"dtype":"f64","shape":[2],"data":"AAAAAAAA8D8AAAAAAADwPw=="}}' ] || fail "base64: $out"
out=$("$W" call --arrays=lists gemm '{"a":[[1,2],[3,4]],"b":[[1,0],[0,1]]}')
[ "$out" = '{"c":[[1,2],[3,4]]}' ] || fail "call gemm printed $out"
# Shortest exact doubles; a scalar outside an array prints as before (9.0).
out=$("$W" call solve '{"a":[[10,0],[0,3]],"b":[1,1]}')
[ "$out" = '{"x":[0.1,0.3333333333333333]}' ] || fail "call solve 0.1: $out"
out=$("$W" call lstsq '{"a":[[1,0],[0,1],[0,0]],"b":[1,2,3]}')
[ "$out" = '{"x":[1,2],"residuals":9.0,"rank":2}' ] || fail "call lstsq: $out"
# A look-alike (data is a string, not a bin) comes back as it went in.
la='{"dtype":"f64","shape":[1],"data":"AAAAAAAA8D8="}'
[ "$("$W" call echo "$la")" = "$la" ] || fail "look-alike changed"
set +e; "$W" call solve --arrays hex '{}' 2>"$WREN_TMP/err"; rc=$?; set -e
[ $rc = 2 ] && grep -q "bad value 'hex' for --arrays" "$WREN_TMP/err" || fail "bad --arrays: rc $rc"

# map over a JSONL file: one line per call, in order, a failure in place.
cat > "$WREN_TMP/in.jsonl" <<'JSONL'
{"a":[[2,0],[0,4]],"b":[2,4]}
{"a":[[1,2],[2,4]],"b":[1,1]}
{"a":[[2,0],[0,4]],"b":[[2,4],[4,8]]}
{"a":[[4]],"b":[1]}
JSONL
cat > "$WREN_TMP/want.jsonl" <<'JSONL'
{"x":[1,1]}
{"error":{"type":"Wren.SingularMatrix","message":"solve: a is singular (U[1][1] is exactly zero)"}}
{"x":[[1,2],[1,2]]}
{"x":[0.25]}
JSONL
set +e
"$W" map solve --args "$WREN_TMP/in.jsonl" --keep --job arrays-job > "$WREN_TMP/out.jsonl" 2>"$WREN_TMP/err"; rc=$?
set -e
[ $rc = 1 ] || fail "map with a singular system should exit 1, got $rc"
diff "$WREN_TMP/want.jsonl" "$WREN_TMP/out.jsonl" || fail "map printed other lines"
set +e
"$W" map solve --arrays base64 --args "$WREN_TMP/in.jsonl" > "$WREN_TMP/out64.jsonl" 2>/dev/null
set -e
sed -n 1p "$WREN_TMP/out64.jsonl" | grep -qxF '{"x":{"dtype":"f64","shape":[2],"data":"AAAAAAAA8D8AAAAAAADwPw=="}}' ||
  fail "map --arrays base64 line 1: $(sed -n 1p "$WREN_TMP/out64.jsonl")"
sed -n 4p "$WREN_TMP/out64.jsonl" | grep -qxF '{"x":{"dtype":"f64","shape":[1],"data":"AAAAAAAA0D8="}}' ||
  fail "map --arrays base64 line 4: $(sed -n 4p "$WREN_TMP/out64.jsonl")"

# results of the kept job: the same lines, both ways.
"$W" results arrays-job > "$WREN_TMP/res.jsonl" && fail "results should exit 1 (a call failed)" || true
diff "$WREN_TMP/out.jsonl" "$WREN_TMP/res.jsonl" || fail "results differ from map"
"$W" results --arrays base64 arrays-job > "$WREN_TMP/res64.jsonl" || true
diff "$WREN_TMP/out64.jsonl" "$WREN_TMP/res64.jsonl" || fail "results --arrays base64 differ from map's"
set +e; "$W" results --arrays arrays-job >/dev/null 2>&1; rc=$?; set -e
[ $rc = 2 ] || fail "results --arrays with a job id for a mode should be a usage error, got $rc"

[ -z "$(ls -A "$TMPDIR")" ] || fail "left in TMPDIR: $(ls -A "$TMPDIR")"
echo "cli arrays: ok"
