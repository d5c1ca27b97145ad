#!/bin/bash
# The real bootstrap against a fake Runtime API: every argument form, typed
# errors for bad events and arguments, crashes (segv, abort, exit 3) each
# followed by a served invocation, and a kernel stopped at the deadline.
source "$(dirname "$0")/lib.sh"
source "$WREN_SOURCE_DIR/test/fake_runtime_api.sh"

ev=$WREN_TMP/events.jsonl
res=$WREN_TMP/results.json
boot_events "$ev" \
    '{"kernel":"addone","args":41}' \
    '{"wren":1,"kernel":"addone","args_b64":"KQ=="}' \
    '{"kernel":"echo"}' \
    '{"kernel":"echo","args":{"a":[1,2.5,"x",null,true]}}' \
    '{"kernel":"echo","args_b64":"xAJoaQ=="}' \
    '{"kernel":"addone","args":41,"reply":"msgpack"}' \
    '{"kernel":"nope","args":1}' \
    '{"kernel":"addone",' \
    '{"kernel":"echo","args_b64":"kgE="}' \
    '{"kernel":"echo","args_b64":"!!!!"}' \
    '{"kernel":"crash","args":{"how":"segv"}}' \
    '{"kernel":"addone","args":1}' \
    '{"kernel":"crash","args":{"how":"abort"}}' \
    '{"kernel":"addone","args":2}' \
    '{"kernel":"crash","args":{"how":"exit","code":3}}' \
    '{"kernel":"addone","args":3}' \
    '{"kernel":"fail","args":{"type":"SingularMatrix","message":"pivot 2 is zero"}}' \
    '{"wren":2,"kernel":"echo"}' \
    '{"kernel":"addone","args":"x"}' \
    '[1,2]' \
    '{"kernel":"echo","args":1,"input":"a/b"}'
boot_run "$ev" "$res"
[ "$BOOT_RC" = 1 ] || fail "bootstrap should exit 1 when next answers 500, got $BOOT_RC"
boot_check "$res" <<'EOF'
assert len(r) == 21, len(r)
for i, e in enumerate(r):
    assert e["request_id"] == "req-%04d" % i, (i, e)
def ok(i, result, kernel):
    e = r[i]
    assert e["kind"] == "response", (i, e)
    assert e["content_type"] == "application/json", e
    b = body(i)
    assert list(b) == ["wren", "kernel", "result", "flops", "timings"], b
    assert b["wren"] == 1 and b["kernel"] == kernel and b["flops"] == 0, b
    assert b["result"] == result and type(b["result"]) == type(result), (i, b["result"], result)
    t = b["timings"]
    assert 0 < t["received"] <= t["setup_done"] <= t["kernel_done"], t
def err(i, etype, msg, prefix=False):
    e = r[i]
    assert e["kind"] == "error", (i, e)
    assert e["error_type"] == etype, (i, e["error_type"], etype)
    b = body(i)
    assert b["errorType"] == etype and b["stackTrace"] == [], b
    if prefix:
        assert b["errorMessage"].startswith(msg), (i, b["errorMessage"], msg)
    else:
        assert b["errorMessage"] == msg, (i, b["errorMessage"], msg)
ok(0, 42, "addone")
ok(1, 42, "addone")
ok(2, None, "echo")
ok(3, {"a": [1, 2.5, "x", None, True]}, "echo")
ok(4, "aGk=", "echo")
b = body(5)
assert list(b) == ["wren", "kernel", "result_b64", "flops", "timings"] and b["result_b64"] == "Kg==", b
err(6, "Wren.UnknownKernel", "no kernel named 'nope' in this worker (", prefix=True)
err(7, "Wren.BadEvent", "the event is not valid JSON: ", prefix=True)
err(8, "Wren.BadInput", "the arguments for kernel 'echo' are not one msgpack object (2 bytes: truncated, "
    "trailing bytes or malformed)")
err(9, "Wren.BadInput", "field 'args_b64' is not valid base64 (standard alphabet, padded)")
err(10, "Wren.KernelCrash", "kernel 'crash' died of SIGSEGV (signal 11)")
ok(11, 2, "addone")
err(12, "Wren.KernelCrash", "kernel 'crash' died of SIGABRT (signal 6)")
ok(13, 3, "addone")
err(14, "Wren.KernelCrash", "kernel 'crash' exited with status 3")
ok(15, 4, "addone")
err(16, "Wren.SingularMatrix", "pivot 2 is zero")
err(17, "Wren.BadEvent", "unsupported event version: field 'wren' must be 1 (or absent)")
err(18, "Wren.BadInput", "addone: expected a number", prefix=True)
err(19, "Wren.BadEvent", "the event must be a JSON object, not an array")
err(20, "Wren.BadEvent", "give at most one of 'args', 'args_b64' and 'input' (got 2)")
EOF

# A kernel still running near the deadline is stopped by the worker, which
# answers Sandbox.Timedout and serves the next invocation.
python3 -c 'import json
with open("'"$ev"'", "w") as f:
    f.write(json.dumps({"payload": "{\"kernel\":\"sleep_ms\",\"args\":5000}", "deadline_in_ms": 600}) + "\n")
    f.write(json.dumps({"payload": "{\"kernel\":\"addone\",\"args\":9}"}) + "\n")'
start=$(date +%s%N)
boot_run "$ev" "$res" WREN_DEADLINE_MARGIN_MS=100
took_ms=$((($(date +%s%N) - start) / 1000000))
[ "$took_ms" -lt 4000 ] || fail "the deadline did not stop the kernel (took $took_ms ms)"
boot_check "$res" <<'EOF'
assert len(r) == 2, r
assert r[0]["kind"] == "error" and r[0]["error_type"] == "Sandbox.Timedout", r[0]
m = body(0)["errorMessage"]
assert m.startswith("Task timed out after 0.") and m.endswith("kernel 'sleep_ms' was stopped at the function's deadline"), m
assert r[1]["kind"] == "response" and body(1)["result"] == 10, r[1]
EOF
echo "bootstrap_invoke: ok"
