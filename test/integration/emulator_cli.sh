#!/usr/bin/env bash
# `wren emulator` as a command: --help, usage errors (exit 2), the address on
# stdout, invokes over real HTTP, and a clean stop on SIGTERM and SIGINT that
# leaves no instance (nor an instance's child) behind.
. "$(dirname "$0")/lib.sh"
WREN="$WREN_BIN_DIR/wren"
RT="$WREN_BIN_DIR/emulator_test_runtime"
[ -x "$RT" ] || fail "missing $RT"

# --help documents every option.
help=$("$WREN" emulator --help)
for o in --function --listen --concurrency --timeout --memory --async-retries --queue-max --idle-reap \
         --handler --task-root --log --quiet --env --help; do
  grep -q -- "$o" <<<"$help" || fail "--help does not mention $o"
done

# Usage errors: exit 2 with a message naming the problem.
expect_usage() {
  local want=$1; shift
  local rc=0 err
  err=$("$WREN" emulator "$@" 2>&1 >/dev/null) || rc=$?
  [ "$rc" = 2 ] || fail "wren emulator $* exited $rc, wanted 2"
  grep -q -- "$want" <<<"$err" || fail "wren emulator $*: '$err' lacks '$want'"
}
expect_usage "at least one --function" --listen 127.0.0.1:0
expect_usage "--function wants NAME=PATH" --function justaname
expect_usage "--memory wants MB" --function f="$RT" --memory 5
expect_usage "--timeout wants seconds" --function f="$RT" --timeout -1
expect_usage "--concurrency wants" --function f="$RT" --concurrency zero
expect_usage "--listen wants HOST:PORT" --function f="$RT" --listen 127.0.0.1
expect_usage "unknown option" --function f="$RT" --bogus
expect_usage "needs a value" --function f="$RT" --timeout
expect_usage "function f given twice" --function f="$RT" --function f="$RT"
expect_usage "not 1-64 characters" --function 'a.b'="$RT"
expect_usage "not an IPv4 address" --function f="$RT" --listen nowhere:0
expect_usage "is not an executable file" --function f=/nonexistent/bootstrap
expect_usage "--env wants NAME=VALUE" --function f="$RT" --env JUSTANAME
expect_usage "AWS_REGION is reserved by Lambda" --function f="$RT" --env AWS_REGION=eu-west-1
expect_usage "environment variable MY_VAR given twice" --function f="$RT" --env MY_VAR=1 --env MY_VAR=2

# Start, read the address, invoke.
start_emulator() {
  # Remove the previous run's files first: the background job truncates them
  # only once it runs, and the wait below must not read the old address.
  rm -f "$WREN_TMP/out" "$WREN_TMP/err"
  "$WREN" emulator --listen 127.0.0.1:0 --function echo="$RT" --function other="$RT" \
    --concurrency 2 --timeout 5 --memory 256 --log "$WREN_TMP/fn.log" "$@" >"$WREN_TMP/out" 2>"$WREN_TMP/err" &
  EM=$!
  WREN_PIDS+=("$EM")
  for _ in $(seq 100); do [ -s "$WREN_TMP/out" ] && break; sleep 0.05; done
  ADDR=$(head -1 "$WREN_TMP/out")
  [[ "$ADDR" =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "no address on stdout: '$ADDR' $(cat "$WREN_TMP/err")"
}
start_emulator --env MY_CLI_VAR="two words" --env LANG=C.UTF-8
body=$(curl -sS -X POST "$ADDR/2015-03-31/functions/echo/invocations" -d '{"hello":"world"}')
[ "$body" = '{"hello":"world"}' ] || fail "echo: $body"
body=$(curl -sS -X POST "$ADDR/2015-03-31/functions/other/invocations" -d '{"op":"env"}')
[ "$(jq -r .AWS_LAMBDA_FUNCTION_MEMORY_SIZE <<<"$body")" = 256 ] || fail "memory: $body"
[ "$(jq -r ._HANDLER <<<"$body")" = wren ] || fail "handler: $body"
body=$(curl -sS -X POST "$ADDR/2015-03-31/functions/other/invocations" -d '{"op":"env","names":["MY_CLI_VAR"]}')
[ "$(jq -r .MY_CLI_VAR <<<"$body")" = "two words" ] || fail "--env MY_CLI_VAR: $body"
[ "$(jq -r .LANG <<<"$body")" = C.UTF-8 ] || fail "--env LANG: $body"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$ADDR/2015-03-31/functions/none/invocations" -d '{}')
[ "$code" = 404 ] || fail "unknown function gave $code"
grep -q '^START RequestId: .* Version: \$LATEST$' "$WREN_TMP/fn.log" || fail "no START line in --log file"
grep -q '^REPORT RequestId: .*	Duration: .* ms	Billed Duration: .* ms	Memory Size: 256 MB	Max Memory Used: .* MB	Init Duration: .* ms' "$WREN_TMP/fn.log" \
  || fail "no REPORT line in --log file: $(cat "$WREN_TMP/fn.log")"

# Each stop signal: the emulator exits 0 and takes its instances (and their
# children) with it.
for sig in TERM INT; do
  child=$(curl -sS -X POST "$ADDR/2015-03-31/functions/echo/invocations" -d '{"op":"fork"}' | jq -r .child)
  [ "$child" -gt 0 ] || fail "fork op gave '$child'"
  instances=$(pgrep -P "$EM" | tr '\n' ' ')
  [ -n "$instances" ] || fail "no instance processes under $EM"
  kill -s "$sig" "$EM"
  rc=0; wait "$EM" || rc=$?
  [ "$rc" = 0 ] || fail "emulator exited $rc on SIG$sig"
  for p in $instances; do
    [ -e "/proc/$p" ] && fail "instance $p survived SIG$sig"
  done
  for _ in $(seq 50); do
    st=$(awk '{print $3}' "/proc/$child/stat" 2>/dev/null || echo gone)
    [ "$st" = gone ] || [ "$st" = Z ] && break
    sleep 0.05
  done
  [ "$st" = gone ] || [ "$st" = Z ] || fail "instance child $child survived SIG$sig ($st)"
  grep -q "stopping" "$WREN_TMP/err" || fail "no stop message"
  [ "$sig" = TERM ] && start_emulator --quiet
done
echo "emulator_cli: ok"
