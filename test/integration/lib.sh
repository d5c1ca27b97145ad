# Sourced by integration tests: helpers to pick ports, wait, and clean up.
# Every process a test starts goes in WREN_PIDS and is killed on exit.
set -euo pipefail
: "${WREN_BIN_DIR:?run through ctest, or set WREN_BIN_DIR}"
WREN_PIDS=()
WREN_TMP=$(mktemp -d /tmp/wren-it.XXXXXX)
wren_cleanup() {
  for p in "${WREN_PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  for p in "${WREN_PIDS[@]:-}"; do
    [ -n "$p" ] && wait "$p" 2>/dev/null || true
  done
  rm -rf "$WREN_TMP"
}
trap wren_cleanup EXIT

# A free TCP port on 127.0.0.1 (the kernel picks it).
wren_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits up to $2 seconds (default 10) for 127.0.0.1:$1 to accept connections.
wren_wait_port() {
  local port=$1 limit=${2:-10} i=0
  while ! (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -gt $((limit * 20)) ] && { echo "port $port never opened" >&2; return 1; }
    sleep 0.05
  done
}

fail() { echo "FAIL: $*" >&2; exit 1; }

# wren_wait_url FILE WHAT: prints the first line of FILE, where a server
# started in the background writes its http://127.0.0.1:PORT URL, once it is
# there (10 s at most); else fails naming WHAT. Use as
# `URL=$(wren_wait_url "$WREN_TMP/x.url" "the x proxy") || exit 1`.
wren_wait_url() {
  local url
  for _ in $(seq 200); do [ -s "$1" ] && break; sleep 0.05; done
  url=$(head -1 "$1")
  case "$url" in http://127.0.0.1:*) echo "$url" ;; *) fail "$2 did not start: '$url'" ;; esac
}

# wren_check_usage PROGRAM MAX_LINES: the usage contract of our programs.
# --help and -h print a usage starting "usage: PROGRAM" (at most MAX_LINES
# lines) on stdout, nothing on stderr, exit 0 within 5 s without running
# anything; an unknown option or a missing value exits 2 with the usage on
# stderr and nothing on stdout. Run from an empty directory to also see that
# nothing is written there.
wren_check_usage() {
  local name=$1 max_lines=$2 exe="$WREN_BIN_DIR/$1" opt bad rc
  [ -x "$exe" ] || fail "$name is not built"
  for opt in --help -h; do
    set +e
    timeout 5 "$exe" "$opt" > "$WREN_TMP/out" 2> "$WREN_TMP/err"; rc=$?
    set -e
    [ $rc = 0 ] || fail "$name $opt exited $rc: $(head -c 300 "$WREN_TMP/err")"
    head -1 "$WREN_TMP/out" | grep -q "^usage: $name" || fail "$name $opt: no usage line: $(head -c 300 "$WREN_TMP/out")"
    [ "$(wc -l < "$WREN_TMP/out")" -le "$max_lines" ] || fail "$name $opt printed more than its usage"
    [ ! -s "$WREN_TMP/err" ] || fail "$name $opt wrote to stderr: $(head -c 300 "$WREN_TMP/err")"
  done
  for bad in "--no-such-option 1" "--no-such-option" "--n"; do
    set +e
    # shellcheck disable=SC2086  # word splitting wanted: an option and maybe a value
    timeout 5 "$exe" $bad > "$WREN_TMP/out" 2> "$WREN_TMP/err"; rc=$?
    set -e
    [ $rc = 2 ] || fail "$name $bad exited $rc, not 2"
    grep -q "^usage: $name" "$WREN_TMP/err" || fail "$name $bad: no usage on stderr"
    [ ! -s "$WREN_TMP/out" ] || fail "$name $bad wrote to stdout: $(head -c 300 "$WREN_TMP/out")"
  done
}
