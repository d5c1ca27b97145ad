# Sourced by test/integration/bootstrap_*.sh (after lib.sh): runs the real
# bootstrap against test/fake_runtime_api.py on a port the OS picks.
BOOT_BIN=${WREN_BIN_DIR}/bootstrap
if [ ! -x "$BOOT_BIN" ]; then
    echo "SKIP: $BOOT_BIN not built (runtime/kernels/store missing)" >&2
    exit 77
fi
# Under ASan/UBSan the kernel must die of its own signal, not a sanitizer report.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_abort=0"

# boot_events FILE PAYLOAD...: one event per argument (the raw body), deadline 60 s.
boot_events() {
    local file=$1
    shift
    python3 -c 'import json,sys
with open(sys.argv[1], "w") as f:
    for p in sys.argv[2:]:
        f.write(json.dumps({"payload": p}) + "\n")' "$file" "$@"
}

# boot_run EVENTS RESULTS [VAR=VALUE...]: serves EVENTS to one bootstrap
# process (environment overridable), waits until the fake API has handed
# out every event and the bootstrap has exited; BOOT_RC is its exit status.
boot_run() {
    local events=$1 results=$2
    shift 2
    local portf
    portf=$(mktemp -u "$WREN_TMP/port.XXXXXX")
    python3 "$WREN_SOURCE_DIR/test/fake_runtime_api.py" --events "$events" --results "$results" \
        --port-file "$portf" --timeout 50 &
    local fpid=$!
    WREN_PIDS+=("$fpid")
    local i=0
    while [ ! -s "$portf" ]; do
        i=$((i + 1))
        [ "$i" -gt 200 ] && fail "fake Runtime API never wrote its port"
        sleep 0.05
    done
    local port
    port=$(cat "$portf")
    env AWS_LAMBDA_RUNTIME_API="127.0.0.1:$port" _HANDLER=wren LAMBDA_TASK_ROOT="$WREN_TMP" \
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1769 "$@" "$BOOT_BIN" 2>>"$WREN_TMP/bootstrap.log" >"$WREN_TMP/stdout.log" &
    local bpid=$!
    WREN_PIDS+=("$bpid")
    wait "$fpid" || { cat "$WREN_TMP/bootstrap.log" >&2; fail "fake Runtime API failed"; }
    BOOT_RC=0
    wait "$bpid" || BOOT_RC=$?
    [ -s "$WREN_TMP/stdout.log" ] && fail "bootstrap wrote to stdout: $(head -c 200 "$WREN_TMP/stdout.log")"
    return 0
}

# boot_check RESULTS: runs the Python on stdin with `r` = the recorded results
# (a list) and `store` = $BOOT_STORE (a directory, if set); it asserts.
boot_check() {
    python3 -c 'import json, os, sys
r = json.load(open(sys.argv[1]))
store = os.environ.get("BOOT_STORE", "")
def body(i): return json.loads(r[i]["body"])
exec(sys.stdin.read())' "$1" || { cat "$WREN_TMP/bootstrap.log" >&2; fail "checks on $1 failed"; }
}
