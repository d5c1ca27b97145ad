#!/bin/bash
# Start-up: _HANDLER naming a user's .so in LAMBDA_TASK_ROOT loads its
# kernels; a bad, missing or duplicate-laden handler is an init error the
# Runtime API hears about, and the bootstrap exits non-zero.
source "$(dirname "$0")/lib.sh"
source "$WREN_SOURCE_DIR/test/fake_runtime_api.sh"

lib=${WREN_BUILD_DIR:?}/lib
ev=$WREN_TMP/events.jsonl
res=$WREN_TMP/results.json
boot_events "$ev" '{"kernel":"addone","args":1}'

expect_init_error() { # type message-prefix VAR=VALUE...
    local type=$1 msg=$2
    shift 2
    boot_run "$ev" "$res" "$@"
    [ "$BOOT_RC" != 0 ] || fail "bootstrap exited 0 after an init error ($*)"
    BOOT_TYPE=$type BOOT_MSG=$msg boot_check "$res" <<'EOF'
assert len(r) == 1 and r[0]["kind"] == "init_error", r
assert r[0]["error_type"] == os.environ["BOOT_TYPE"], r[0]
b = body(0)
assert b["errorType"] == os.environ["BOOT_TYPE"], b
assert b["errorMessage"].startswith(os.environ["BOOT_MSG"]), (b["errorMessage"], os.environ["BOOT_MSG"])
EOF
}

expect_init_error Wren.BadHandler "_HANDLER '../evil.so' must be a plain file name" _HANDLER=../evil.so
expect_init_error Wren.BadHandler "" _HANDLER=missing.so LAMBDA_TASK_ROOT="$lib"
expect_init_error Wren.DuplicateKernel "kernel 'dup_kernel' is registered twice" \
    _HANDLER=libwren_test_dup_kernels.so LAMBDA_TASK_ROOT="$lib"
expect_init_error Wren.InitError "WREN_ISOLATION=thread: expected child, fork or inline" WREN_ISOLATION=thread

# A user's kernels from a shared object, beside the built-ins.
boot_events "$ev" '{"kernel":"so_triple","args":{"x":5}}' '{"kernel":"so_refuse"}' '{"kernel":"addone","args":1}'
boot_run "$ev" "$res" _HANDLER=libwren_test_shared_kernels.so LAMBDA_TASK_ROOT="$lib"
boot_check "$res" <<'EOF'
assert len(r) == 3, r
assert r[0]["kind"] == "response" and body(0)["result"] == 15, r[0]
assert r[1]["error_type"] == "Lib.Refused" and body(1)["errorMessage"] == "refused by the shared object", r[1]
assert body(2)["result"] == 2, r[2]
EOF
# A module that links no BLAS (libwren_test_bootstrap_kernels.so) gets
# cblas_ddot and the thread count from the worker's OpenBLAS; the count
# follows the memory size (3,538 MB: 2 vCPUs) in the process running the
# kernel, whichever the isolation.
want_threads=$(( $(nproc) < 2 ? $(nproc) : 2 ))
boot_events "$ev" '{"kernel":"bt_blas"}' '{"kernel":"bt_blas"}'
for iso in child fork inline; do
  boot_run "$ev" "$res" _HANDLER=libwren_test_bootstrap_kernels.so LAMBDA_TASK_ROOT="$lib" \
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE=3538 WREN_ISOLATION=$iso
  WANT=$want_threads boot_check "$res" <<'EOF'
want = int(os.environ["WANT"])
assert len(r) == 2, r
for i in range(2):
    assert r[i]["kind"] == "response", r[i]
    assert body(i)["result"] == {"dot": 32.0, "threads": want}, (body(i)["result"], want)
EOF
done
echo "bootstrap_init: ok"
