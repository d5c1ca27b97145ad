/*
 * fuzz_kernels: built-in kernels called through the registry with fuzzed
 * msgpack arguments, as the worker calls them (wren__kernels_find +
 * wren__kernels_call; no isolation: a crash here is a crash).
 *
 * Input: byte 0 picks the kernel, the rest is the msgpack arguments.
 * Kernels: echo, addone, fail, solve, cholesky_solve, lstsq, eigh, gemm (the
 * {a, b} form only: {n} is sized by a number, not by bytes), montecarlo_pi and
 * black_scholes_mc (only with samples <= 20000, so each call stays short).
 * sleep_ms and crash are left out on purpose.
 *
 * Properties: no crash, leak or UB; the status is a wren status; success means
 * exactly one msgpack object was packed (echo: the arguments themselves;
 * addone on a number: that number + 1) and no error recorded; failure means a
 * typed error: a type of [A-Za-z0-9._-] holding a dot, and a message.
 */
#include <math.h>

#include "fuzz_msgpack_util.h"
#include "kernels.h"
#include "wren_common.h"

static const char *const s_kernels[] = {
    "echo", "addone", "fail", "solve", "cholesky_solve", "lstsq", "eigh", "gemm", "montecarlo_pi", "black_scholes_mc",
};
#define S_NKERNELS (sizeof s_kernels / sizeof s_kernels[0])

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char msg[256];
    WREN_FUZZ_CHECK(wren__kernels_check(msg, sizeof msg) == WREN_OK, "registry: %s", msg);
    wren__kernels_set_blas_threads(); /* no AWS_LAMBDA_FUNCTION_MEMORY_SIZE: 1 thread */
    return 0;
}

static void s_check_error(const wren_ctx *ctx, int rc)
{
    WREN_FUZZ_CHECK(ctx->failed, "status %s without a recorded error", wren_status_name(rc));
    size_t n = strnlen(ctx->error_type, sizeof ctx->error_type);
    WREN_FUZZ_CHECK(n > 0 && n < sizeof ctx->error_type, "error type empty or unterminated");
    WREN_FUZZ_CHECK(strchr(ctx->error_type, '.') != NULL, "error type '%s' has no dot", ctx->error_type);
    for (size_t i = 0; i < n; i++) {
        char c = ctx->error_type[i];
        WREN_FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                            c == '_' || c == '-',
                        "error type holds byte 0x%02x", (unsigned char)c);
    }
    WREN_FUZZ_CHECK(memchr(ctx->error_message, '\0', sizeof ctx->error_message), "message unterminated");
}

static void s_check_result(const char *kernel, const msgpack_object *args, const wren_buf *out)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object res;
    int rc = wren_msgpack_unpack_one(out->data, out->len, &zone, &res);
    WREN_FUZZ_CHECK(rc == WREN_OK, "%s packed something that is not one msgpack object: %s", kernel,
                    wren_status_name(rc));
    if (!strcmp(kernel, "echo")) {
        /* echo packs msgpack_pack_object(args): compare with our own packing. */
        wren_buf want;
        wren_buf_init(&want, 0);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &want, wren_buf_msgpack_write);
        msgpack_pack_object(&pk, *args);
        WREN_FUZZ_CHECK(want.len == out->len && memcmp(want.data, out->data, out->len) == 0,
                        "echo changed its arguments");
        wren_buf_clean_up(&want);
    } else if (!strcmp(kernel, "addone") && rc == WREN_OK) {
        if (args->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            WREN_FUZZ_CHECK(res.type == MSGPACK_OBJECT_POSITIVE_INTEGER && res.via.u64 == args->via.u64 + 1,
                            "addone(%llu)", (unsigned long long)args->via.u64);
        if (args->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
            WREN_FUZZ_CHECK((res.type == MSGPACK_OBJECT_NEGATIVE_INTEGER && res.via.i64 == args->via.i64 + 1) ||
                                (args->via.i64 == -1 && res.type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
                                 res.via.u64 == 0),
                            "addone(%lld)", (long long)args->via.i64);
        if (args->type == MSGPACK_OBJECT_FLOAT64 && !isnan(args->via.f64))
            WREN_FUZZ_CHECK(res.type == MSGPACK_OBJECT_FLOAT64 && res.via.f64 == args->via.f64 + 1.0, "addone(%g)",
                            args->via.f64);
    }
    msgpack_zone_destroy(&zone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return -1;
    const char *kernel = s_kernels[data[0] % S_NKERNELS];
    const char *bytes = (const char *)data + 1;
    size_t len = size - 1;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object args;
    if (wren_msgpack_unpack_one(bytes, len, &zone, &args) != WREN_OK)
        goto done;
    if (!strcmp(kernel, "gemm") && !wren_arg(&args, "a"))
        goto done; /* {n}: sized by a number (up to 16384^2 doubles) */
    if (!strcmp(kernel, "montecarlo_pi") || !strcmp(kernel, "black_scholes_mc")) {
        int64_t samples = -1;
        if (wren_arg_int(&args, "samples", &samples, -1) != WREN_OK || samples < 0 || samples > 20000)
            goto done;
    }
    const wren_kernel_def *def = wren__kernels_find(kernel, strlen(kernel));
    WREN_FUZZ_CHECK(def != NULL, "no built-in kernel '%s'", kernel);

    wren_ctx ctx;
    wren__ctx_init(&ctx, "fuzz-request", 0);
    ctx.log_to_stderr = 0;
    wren_buf out;
    wren_buf_init(&out, 64u << 20);
    int rc = wren__kernels_call(def, &args, &out, &ctx);
    WREN_FUZZ_CHECK(wren_fuzz_status_valid(rc), "%s returned %d", kernel, rc);
    if (rc == WREN_OK) {
        WREN_FUZZ_CHECK(!ctx.failed, "%s succeeded with an error recorded: %s", kernel, ctx.error_type);
        WREN_FUZZ_CHECK(out.len > 0, "%s succeeded and packed nothing", kernel);
        s_check_result(kernel, &args, &out);
    } else {
        s_check_error(&ctx, rc);
        if (!strcmp(kernel, "echo"))
            WREN_FUZZ_CHECK(0, "echo failed: %s %s", ctx.error_type, ctx.error_message);
    }
    wren__ctx_clean_up(&ctx);
    wren_buf_clean_up(&out);
done:
    msgpack_zone_destroy(&zone);
    return 0;
}
