#!/usr/bin/env bash
# examples/runtime_echo (wren_runtime_run and nothing else) under `wren emulator`:
# small, UTF-8 and 5 MB events come back byte for byte, many invokes are served
# by one warm instance, and a stopped emulator takes the runtime with it.
. "$(dirname "$0")/lib.sh"
WREN="$WREN_BIN_DIR/wren"
RT="$WREN_BIN_DIR/runtime_echo"
[ -x "$RT" ] || fail "missing $RT"

"$WREN" emulator --listen 127.0.0.1:0 --function echo="$RT" --concurrency 1 --timeout 10 \
  --log "$WREN_TMP/fn.log" >"$WREN_TMP/out" 2>"$WREN_TMP/err" &
EM=$!
WREN_PIDS+=("$EM")
for _ in $(seq 100); do [ -s "$WREN_TMP/out" ] && break; sleep 0.05; done
ADDR=$(head -1 "$WREN_TMP/out")
[[ "$ADDR" =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "no address on stdout: '$ADDR' $(cat "$WREN_TMP/err")"
URL="$ADDR/2015-03-31/functions/echo/invocations"

# Small JSON, with UTF-8 (2-, 3- and 4-byte) in it.
printf '{"msg":"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80","n":[1,2,3]}' >"$WREN_TMP/in.json"
code=$(curl -sS -o "$WREN_TMP/got.json" -D "$WREN_TMP/hdr" -w '%{http_code}' -X POST "$URL" \
  --data-binary @"$WREN_TMP/in.json")
[ "$code" = 200 ] || fail "echo gave HTTP $code: $(cat "$WREN_TMP/got.json")"
cmp -s "$WREN_TMP/in.json" "$WREN_TMP/got.json" || fail "echo changed the bytes: $(cat "$WREN_TMP/got.json")"
grep -qi '^X-Amz-Function-Error' "$WREN_TMP/hdr" && fail "echo reported a function error"

# 5 MB (under Lambda's 6 MB sync limit): past curl's 1 MiB Expect threshold on
# the way back, so this also proves the response goes out without waiting.
python3 -c 'import json; print(json.dumps({"blob": "x" * (5 * 1000 * 1000)}), end="")' >"$WREN_TMP/big.json"
start=$(date +%s%N)
code=$(curl -sS -o "$WREN_TMP/got_big.json" -w '%{http_code}' -X POST "$URL" --data-binary @"$WREN_TMP/big.json")
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$code" = 200 ] || fail "5 MB echo gave HTTP $code"
cmp -s "$WREN_TMP/big.json" "$WREN_TMP/got_big.json" || fail "5 MB echo changed the bytes"
[ "$ms" -lt 5000 ] || fail "5 MB echo took $ms ms"

# Many invokes, one instance: one cold start in the log.
for i in $(seq 50); do
  body=$(curl -sS -X POST "$URL" -d "{\"i\":$i}")
  [ "$body" = "{\"i\":$i}" ] || fail "invoke $i gave '$body'"
done
inits=$(grep -c 'Init Duration' "$WREN_TMP/fn.log" || true)
[ "$inits" = 1 ] || fail "expected one cold start, log shows $inits: $(grep REPORT "$WREN_TMP/fn.log" | head -3)"

# Stopping the emulator stops the runtime too.
instances=$(pgrep -P "$EM" | tr '\n' ' ')
[ -n "$instances" ] || fail "no runtime process under the emulator"
kill -TERM "$EM"
rc=0; wait "$EM" || rc=$?
[ "$rc" = 0 ] || fail "emulator exited $rc"
for p in $instances; do [ -e "/proc/$p" ] && fail "runtime $p survived the emulator"; done
echo "ok: runtime_echo under the emulator (5 MB echo in $ms ms)"
