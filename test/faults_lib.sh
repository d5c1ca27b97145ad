# Sourced by test/integration/faults_endpoint.sh and faults_restart.sh (after
# lib.sh): the SDK (`wren map`) against a standalone `wren emulator` serving
# test/fault_kernels_fixture.c's fault_mix, a file store in $STORE, and the
# misbehaving Invoke API test double test/invoke_proxy.py.
W="$WREN_BIN_DIR/wren"
TK="${WREN_BUILD_DIR:?}/test-kernels"
CHECK="$WREN_SOURCE_DIR/test/fault_check.py"
PROXY="$WREN_SOURCE_DIR/test/invoke_proxy.py"
[ -f "$TK/libwrenfaults.so" ] || fail "build libwrenfaults.so first"
STORE="$WREN_TMP/store"
mkdir -p "$STORE"
gen() { python3 -c "import json,sys
for i in range(int(sys.argv[1])):
    d = {'i': i}
$1
    print(json.dumps(d))" "$2" > "$3"; }
# mapf URL JOB INPUT OUTPUT [options]: exit status 0 or 1 (some failed) only.
mapf() {
  local url=$1 job=$2 in=$3 out=$4 rc
  shift 4
  set +e
  "$W" map fault_mix --args "$in" --endpoint "$url" --store "file://$STORE" --job "$job" --quiet "$@" > "$out"
  rc=$?
  set -e
  [ $rc = 0 ] || [ $rc = 1 ] || fail "map $job exited $rc"
}
# start_emulator PORT: EMU_PID and EMU_URL (PORT 0: the kernel picks).
start_emulator() {
  : > "$WREN_TMP/emu.url"
  "$W" emulator --listen "127.0.0.1:$1" --function wren="$WREN_BIN_DIR/bootstrap" --concurrency 2 \
    --handler libwrenfaults.so --task-root "$TK" --log "$WREN_TMP/emu.log" > "$WREN_TMP/emu.url" &
  EMU_PID=$!
  WREN_PIDS+=($EMU_PID)
  EMU_URL=$(wren_wait_url "$WREN_TMP/emu.url" "emulator") || exit 1
}
# start_proxy OPTIONS...: PROXY_PID and PROXY_URL in front of EMU_URL; counts in $WREN_TMP/counts.json.
start_proxy() {
  : > "$WREN_TMP/proxy.url"
  python3 "$PROXY" --upstream "$EMU_URL" --counts "$WREN_TMP/counts.json" "$@" > "$WREN_TMP/proxy.url" &
  PROXY_PID=$!
  WREN_PIDS+=($PROXY_PID)
  PROXY_URL=$(wren_wait_url "$WREN_TMP/proxy.url" "proxy") || exit 1
}
stop_proxy() { kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true; }
count() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$WREN_TMP/counts.json" "$1"; }
starts() { grep -c '^START RequestId' "$WREN_TMP/emu.log" || true; }

