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
