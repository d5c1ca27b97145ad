#!/bin/bash
# Store mode: the bootstrap reads `input` from a file:// store and writes
# JOB/CALL/status (and JOB/CALL/out past 64 KiB), or status.N and out.N for
# attempt N > 0; the files are read back and checked exactly, for successes and
# for each kind of failure.
source "$(dirname "$0")/lib.sh"
source "$WREN_SOURCE_DIR/test/fake_runtime_api.sh"

export BOOT_STORE=$WREN_TMP/store
url="file://$BOOT_STORE"
mkdir -p "$BOOT_STORE/j-1/00000001"
printf '\x29' >"$BOOT_STORE/j-1/00000001/in"   # msgpack 41
big_b64=$(python3 -c 'import base64,struct
n = 70000
print(base64.b64encode(b"\xc6" + struct.pack(">I", n) + bytes(i % 251 for i in range(n))).decode())')

ev=$WREN_TMP/events.jsonl
res=$WREN_TMP/results.json
boot_events "$ev" \
    '{"wren":1,"kernel":"addone","input":"j-1/00000001/in","store":"'"$url"'","job":"j-1","call":"00000001","attempt":1,"t_submit":123.5}' \
    '{"kernel":"echo","args_b64":"'"$big_b64"'","store":"'"$url"'","job":"j-1","call":"00000002"}' \
    '{"kernel":"nope","args":1,"store":"'"$url"'","job":"j-1","call":"00000003"}' \
    '{"kernel":"crash","args":{"how":"segv"},"store":"'"$url"'","job":"j-1","call":"00000004"}' \
    '{"kernel":"addone","input":"j-1/00000009/in","store":"'"$url"'","job":"j-1","call":"00000005"}' \
    '{"kernel":"addone","args":5,"store":"ftp://nowhere","job":"j-1","call":"00000006"}' \
    '{"kernel":"addone","input":"j-1/00000001/in","store":"'"$url"'"}' \
    '{"kernel":"fail","args":{"message":"no"},"store":"'"$url"'","job":"j-2","call":"00000001"}' \
    '{"kernel":"echo","args_b64":"'"$big_b64"'","store":"'"$url"'","job":"j-4","call":"00000000","attempt":12}'
boot_run "$ev" "$res"
boot_check "$res" <<'EOF'
import base64, re
assert len(r) == 9, len(r)
def status(job, call, name="status"):
    with open(os.path.join(store, job, call, name)) as f:
        text = f.read()
    return text, json.loads(text)
# 1: input from the store, small result inline in the status of attempt 1
text, s = status("j-1", "00000001", "status.1")
assert sorted(os.listdir(os.path.join(store, "j-1", "00000001"))) == ["in", "status.1"]
assert r[0]["kind"] == "response" and r[0]["body"] == text, "the sync answer in store mode is the status"
assert list(s) == ["wren", "job", "call", "attempt", "kernel", "ok", "result_b64", "result_bytes", "flops",
                   "t_submit", "t_start", "t_setup", "t_kernel", "t_written", "instance", "cold", "log_tail"], list(s)
assert (s["wren"], s["job"], s["call"], s["attempt"], s["kernel"], s["ok"]) == (1, "j-1", "00000001", 1, "addone", True), s
assert s["result_b64"] == "Kg==" and s["result_bytes"] == 1 and s["flops"] == 0, s
assert s["t_submit"] == 123.5 and s["t_submit"] < s["t_start"] <= s["t_setup"] <= s["t_kernel"] <= s["t_written"], s
assert re.fullmatch(r"i-[0-9a-f]{32}", s["instance"]) and s["cold"] is True and s["log_tail"] == "", s
inst = s["instance"]
assert not os.path.exists(os.path.join(store, "j-1", "00000001", "out"))
# 2: a 70005-byte result goes to JOB/CALL/out, the status points at it
text, s = status("j-1", "00000002")
assert s["ok"] is True and s["result_key"] == "j-1/00000002/out" and s["result_bytes"] == 70005, s
assert "result_b64" not in s and s["cold"] is False and s["instance"] == inst and s["t_submit"] is None, s
with open(os.path.join(store, "j-1", "00000002", "out"), "rb") as f:
    out = f.read()
n = 70000
assert out == b"\xc6" + n.to_bytes(4, "big") + bytes(i % 251 for i in range(n)), len(out)
# 3: unknown kernel: a status with the error, no out; the invoke fails with the same type
text, s = status("j-1", "00000003")
assert s["ok"] is False and s["error"]["type"] == "Wren.UnknownKernel", s
assert s["error"]["message"].startswith("no kernel named 'nope' in this worker ("), s
assert s["t_setup"] is None and s["t_kernel"] is None and "result_bytes" not in s, s
assert r[2]["kind"] == "error" and r[2]["error_type"] == "Wren.UnknownKernel", r[2]
# 4: crash
text, s = status("j-1", "00000004")
assert s["error"] == {"type": "Wren.KernelCrash", "message": "kernel 'crash' died of SIGSEGV (signal 11)"}, s
assert r[3]["error_type"] == "Wren.KernelCrash", r[3]
# 5: missing input
text, s = status("j-1", "00000005")
assert s["error"]["type"] == "Wren.StoreError", s
assert s["error"]["message"] == "input 'j-1/00000009/in' not found in file://%s" % store, s
# 6: a store that cannot be opened: only the invoke's error can say so
assert r[5]["kind"] == "error" and r[5]["error_type"] == "Wren.StoreError", r[5]
assert body(5)["errorMessage"].startswith("cannot open store 'ftp://nowhere'"), body(5)
# 7: input without job/call: plain sync answer, nothing written
assert r[6]["kind"] == "response" and body(6)["result"] == 42, r[6]
# 8: kernel error with the default type
text, s = status("j-2", "00000001")
assert s["error"] == {"type": "Wren.KernelError", "message": "no"}, s
assert sorted(os.listdir(os.path.join(store, "j-1"))) == ["00000001", "00000002", "00000003", "00000004", "00000005"]
assert sorted(os.listdir(os.path.join(store, "j-1", "00000002"))) == ["out", "status"]
# 9: attempt 12 of a call with a big result: out.12 and status.12, nothing of attempt 0's
text, s = status("j-4", "00000000", "status.12")
assert s["ok"] is True and s["attempt"] == 12 and s["result_key"] == "j-4/00000000/out.12", s
assert r[8]["kind"] == "response" and r[8]["body"] == text, r[8]
assert sorted(os.listdir(os.path.join(store, "j-4", "00000000"))) == ["out.12", "status.12"]
with open(os.path.join(store, "j-4", "00000000", "out.12"), "rb") as f:
    assert f.read() == out
EOF
echo "bootstrap_store: ok"

# A user's .so kernel that logs and counts FLOPs: both reach the status.
boot_events "$ev" \
    '{"kernel":"bt_logs","args":{"x":7},"store":"'"$url"'","job":"j-3","call":"00000001"}' \
    '{"kernel":"bt_deep"}' \
    '{"kernel":"bt_deep","reply":"msgpack"}' \
    '{"kernel":"bt_printf"}'
boot_run "$ev" "$res" _HANDLER=libwren_test_bootstrap_kernels.so LAMBDA_TASK_ROOT="${WREN_BUILD_DIR:?}/lib"
boot_check "$res" <<'EOF'
text, = [open(os.path.join(store, "j-3", "00000001", "status")).read()]
s = json.loads(text)
assert s["ok"] is True and s["result_b64"] == "Bw==" and s["flops"] == 1000000000, s
assert s["log_tail"] == "starting with x=7\ndone\n", repr(s["log_tail"])
assert s["cold"] is True, s
assert r[1]["kind"] == "error" and r[1]["error_type"] == "Wren.KernelError", r[1]
assert body(1)["errorMessage"].startswith("kernel 'bt_deep' returned a result that cannot be rendered as JSON"), body(1)
assert len(r) == 4 and body(3)["result"] == 1, r
assert r[2]["kind"] == "response" and body(2)["result_b64"] == "kZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkQE=", body(2)
EOF
grep -q "^bt_printf was here$" "$WREN_TMP/bootstrap.log" || fail "a kernel's stdout did not reach stderr"
echo "bootstrap_store (user kernels): ok"
