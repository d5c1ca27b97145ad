#!/usr/bin/env bash
# valgrind memcheck over the runtime, the bootstrap and the SDK's local path
# (issue 5, "Sanitizers and leak checks"): check_runtime and check_bootstrap
# (CK_FORK=no, so the tests run in the process valgrind watches), the real
# bootstrap serving events from test/fake_runtime_api.py, and the SDK's map
# and results through `wren` (invoker, polling, futures, job store) against a
# standalone emulator (its workers are separate processes, not traced). Any memcheck error or definite leak fails.
# Label nosan: the ASan build skips it (valgrind and ASan do not mix).
source "$(dirname "$0")/lib.sh"
command -v valgrind > /dev/null || { echo "SKIP: valgrind not installed"; exit 77; }
if grep -q '^WREN_SANITIZE:BOOL=ON' "${WREN_BUILD_DIR:-/nonexistent}/CMakeCache.txt" 2>/dev/null; then
  echo "SKIP: sanitizer build"; exit 77
fi
VG=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --child-silent-after-fork=yes --quiet)
vg() { # vg NAME PROGRAM ARGS...: runs it under memcheck; fails on a report
  local name=$1 rc
  shift
  set +e
  CK_FORK=no "${VG[@]}" --log-file="$WREN_TMP/vg-$name.%p.log" "$@" > "$WREN_TMP/$name.out" 2>&1
  rc=$?
  set -e
  if [ $rc = 99 ] || grep -qs "ERROR SUMMARY: [1-9]\|definitely lost: [1-9]" "$WREN_TMP"/vg-"$name".*.log; then
    cat "$WREN_TMP"/vg-"$name".*.log >&2
    fail "$name: memcheck reports"
  fi
  [ $rc = 0 ] || { tail -20 "$WREN_TMP/$name.out" >&2; fail "$name exited $rc"; }
  echo "  $name: clean [$SECONDS s]"
}
vg check_runtime "$WREN_BIN_DIR/check_runtime"
# check_bootstrap's supervisor cases fork kernels that crash on purpose; run
# the in-process cases (event parsing, replies) and the supervisor too: forked
# children are silent (--child-silent-after-fork), the parent is checked.
vg check_bootstrap "$WREN_BIN_DIR/check_bootstrap"
# The SDK's path (invoker, polling, futures, job store, CLI) under memcheck,
# against a standalone emulator that is not: valgrind 3.19 does not know
# pidfd_open (syscall 434), which the emulator's supervisor needs, so the
# embedded emulator cannot run under it.
"$WREN_BIN_DIR/wren" emulator --listen 127.0.0.1:0 --function wren="$WREN_BIN_DIR/bootstrap" --concurrency 2 \
  --quiet --log "$WREN_TMP/emu.log" > "$WREN_TMP/url" &
WREN_PIDS+=($!)
for _ in $(seq 100); do [ -s "$WREN_TMP/url" ] && break; sleep 0.05; done
url=$(head -1 "$WREN_TMP/url")
seq 0 199 > "$WREN_TMP/in.jsonl"
vg sdk_map "$WREN_BIN_DIR/wren" map addone --args "$WREN_TMP/in.jsonl" --endpoint "$url" \
  --store "file://$WREN_TMP/store" --job vg --quiet
sed -n '/^[0-9]/p' "$WREN_TMP/sdk_map.out" | diff - <(seq 1 200) > /dev/null || fail "wren map printed wrong results"
vg sdk_results "$WREN_BIN_DIR/wren" results --store "file://$WREN_TMP/store" vg
[ "$(grep -c '^[0-9]' "$WREN_TMP/sdk_results.out")" = 200 ] || fail "wren results: $(head -3 "$WREN_TMP/sdk_results.out")"
# The embedded emulator under valgrind: its instances cannot be watched (no
# pidfd_open), so the calls must end with typed errors at their deadline, not
# hang. (Under valgrind vfork is fork, and the emulator used to wait for the
# first instance it could not watch, forever: its kill of the instance's
# process group could run before the child had made the group.)
seq 0 3 > "$WREN_TMP/in4.jsonl"
set +e
timeout 120 valgrind --tool=none -q "$WREN_BIN_DIR/wren" map addone --args "$WREN_TMP/in4.jsonl" --timeout 1 \
  > "$WREN_TMP/emb.out" 2> "$WREN_TMP/emb.err"
rc=$?
set -e
[ $rc != 124 ] || fail "wren map with the embedded emulator hung under valgrind"
n_ok=$(grep -c '^[1-4]$' "$WREN_TMP/emb.out" || true)
n_err=$(grep -c '"type":"Wren.Timeout"' "$WREN_TMP/emb.out" || true)
[ $((n_ok + n_err)) = 4 ] || fail "embedded map under valgrind: $(head -3 "$WREN_TMP/emb.out") / $(tail -3 "$WREN_TMP/emb.err")"
echo "  embedded emulator under valgrind: $n_ok results, $n_err Wren.Timeout, exit $rc [$SECONDS s]"

# The bootstrap process itself against a fake Runtime API: good calls, typed
# errors, bad events, a store input; it exits 1 when next answers 500 at the end.
source "$WREN_SOURCE_DIR/test/fake_runtime_api.sh"
cat > "$WREN_TMP/vg-bootstrap" <<SH
#!/bin/sh
exec ${VG[*]} --log-file=$WREN_TMP/vg-bootstrap.%p.log "$WREN_BIN_DIR/bootstrap"
SH
chmod +x "$WREN_TMP/vg-bootstrap"
BOOT_BIN=$WREN_TMP/vg-bootstrap
boot_events "$WREN_TMP/ev.jsonl" \
  '{"kernel":"addone","args":41}' \
  '{"wren":1,"kernel":"addone","args_b64":"KQ=="}' \
  '{"kernel":"echo","args":{"a":[1,2.5,"x",null,true]}}' \
  '{"kernel":"addone","args":41,"reply":"msgpack"}' \
  '{"kernel":"nope","args":1}' \
  '{"kernel":"addone",' \
  '{"kernel":"echo","args_b64":"!!!!"}' \
  '{"kernel":"fail","args":{"type":"SingularMatrix","message":"pivot 2 is zero"}}' \
  '{"kernel":"gemm","args":{"n":64}}' \
  '[1,2]'
boot_run "$WREN_TMP/ev.jsonl" "$WREN_TMP/res.json"
if grep -qs "ERROR SUMMARY: [1-9]\|definitely lost: [1-9]" "$WREN_TMP"/vg-bootstrap.*.log || [ "$BOOT_RC" = 99 ]; then
  cat "$WREN_TMP"/vg-bootstrap.*.log >&2
  fail "bootstrap: memcheck reports"
fi
[ "$BOOT_RC" = 1 ] || { cat "$WREN_TMP/bootstrap.log" >&2; fail "bootstrap should exit 1 when next answers 500, got $BOOT_RC"; }
boot_check "$WREN_TMP/res.json" <<'PY'
assert len(r) == 10, len(r)
assert body(0)["result"] == 42 and body(1)["result"] == 42, (body(0), body(1))
assert r[4]["kind"] == "error" and body(4)["errorType"] == "Wren.UnknownKernel", r[4]
assert body(7)["errorType"] == "Wren.SingularMatrix", r[7]
assert body(8)["result"]["n"] == 64, r[8]
PY
echo "  bootstrap: clean [$SECONDS s]"
echo "valgrind memcheck: ok"
