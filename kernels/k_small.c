/*
 * kernels/k_small.c: small built-ins for tests and demos: echo, addone,
 * sleep_ms, fail, crash.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "builtins.h"
#include "kernels.h"

static int s_packed(int bad)
{
    return bad ? WREN_ENOMEM : WREN_OK;
}

int wren__k_echo(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    (void)ctx;
    return s_packed(msgpack_pack_object(out, *args));
}

/* ---- addone -------------------------------------------------------------- */

#define S_ADDONE_MAX_DEPTH 32

static int s_addone_array_map(const msgpack_object *o, msgpack_packer *out, wren_ctx *ctx)
{
    wren_array_view v;
    char why[160];
    if (wren_array_parse(o, &v, why, sizeof why) != WREN_OK)
        return wren_ctx_fail(ctx, "BadInput", "addone: %s", why);
    unsigned char *d = malloc(v.size_bytes ? v.size_bytes : 1);
    if (!d)
        return WREN_ENOMEM;
    wren_array_copy(&v, d);
    /* Integer dtypes wrap around, as numpy's do (unsigned arithmetic: no UB). */
    for (uint64_t i = 0; i < v.count; i++) {
        switch (v.dtype) {
        case WREN_F64: ((double *)(void *)d)[i] += 1.0; break;
        case WREN_F32: ((float *)(void *)d)[i] += 1.0f; break;
        case WREN_I64: ((uint64_t *)(void *)d)[i] += 1u; break;
        case WREN_I32: ((uint32_t *)(void *)d)[i] += 1u; break;
        case WREN_U8: d[i] = (uint8_t)(d[i] + 1u); break;
        }
    }
    int rc = wren_array_pack(out, v.dtype, v.ndim, v.shape, d);
    free(d);
    return rc;
}

static int s_addone(const msgpack_object *o, msgpack_packer *out, wren_ctx *ctx, int depth)
{
    if (depth > S_ADDONE_MAX_DEPTH)
        return wren_ctx_fail(ctx, "BadInput", "addone: nested deeper than %d", S_ADDONE_MAX_DEPTH);
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 == UINT64_MAX)
            return wren_ctx_fail(ctx, "BadInput", "addone: %llu + 1 overflows", (unsigned long long)o->via.u64);
        return s_packed(msgpack_pack_uint64(out, o->via.u64 + 1));
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return s_packed(msgpack_pack_int64(out, o->via.i64 + 1));
    case MSGPACK_OBJECT_FLOAT32:
        return s_packed(msgpack_pack_float(out, (float)o->via.f64 + 1.0f));
    case MSGPACK_OBJECT_FLOAT64:
        return s_packed(msgpack_pack_double(out, o->via.f64 + 1.0));
    case MSGPACK_OBJECT_ARRAY: {
        if (msgpack_pack_array(out, o->via.array.size))
            return WREN_ENOMEM;
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            int rc = s_addone(&o->via.array.ptr[i], out, ctx, depth + 1);
            if (rc != WREN_OK)
                return rc;
        }
        return WREN_OK;
    }
    case MSGPACK_OBJECT_MAP:
        if (wren_arg(o, "dtype"))
            return s_addone_array_map(o, out, ctx);
        /* fall through */
    default:
        return wren_ctx_fail(ctx, "BadInput", "addone: expected a number, a list of numbers or an array");
    }
}

int wren__k_addone(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    return s_addone(args, out, ctx, 0);
}

/* ---- sleep_ms ------------------------------------------------------------ */

#define S_SLEEP_MAX_MS (15 * 60 * 1000) /* Lambda's longest timeout */

int wren__k_sleep_ms(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    int64_t ms = 0;
    int rc = WREN_OK;
    if (args->type == MSGPACK_OBJECT_MAP)
        rc = wren_arg_int(args, "ms", &ms, 0);
    else if (args->type == MSGPACK_OBJECT_POSITIVE_INTEGER && args->via.u64 <= S_SLEEP_MAX_MS)
        ms = (int64_t)args->via.u64; /* a bare number too: {"kernel":"sleep_ms","args":100} */
    else
        rc = WREN_EBADINPUT;
    if (rc != WREN_OK || ms < 0 || ms > S_SLEEP_MAX_MS)
        return wren_ctx_fail(ctx, "BadInput", "sleep_ms: ms must be an integer in [0, %d]", S_SLEEP_MAX_MS);
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return s_packed(msgpack_pack_int64(out, ms));
}

/* ---- fail ---------------------------------------------------------------- */

int wren__k_fail(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    (void)out;
    const char *type = NULL, *message = NULL;
    size_t type_len = 0, message_len = 0;
    if (wren_arg_str(args, "type", &type, &type_len, "KernelError") != WREN_OK ||
        wren_arg_str(args, "message", &message, &message_len, "fail kernel called") != WREN_OK)
        return wren_ctx_fail(ctx, "BadInput", "fail: type and message must be strings");
    char t[WREN_CTX_ERROR_TYPE_BYTES];
    size_t n = type_len < sizeof t - 1 ? type_len : sizeof t - 1;
    if (n) /* an empty msgpack str may have a NULL ptr */
        memcpy(t, type, n);
    t[n] = '\0';
    return wren_ctx_fail(ctx, t, "%.*s", message_len > 2000 ? 2000 : (int)message_len, message_len ? message : "");
}

/* ---- crash --------------------------------------------------------------- */

/* Dies for real: the bootstrap's isolation is what is being tested. The
 * default action is restored first so that a handler (a sanitizer's, say)
 * cannot turn the death into something else. */
static void s_die_by(int sig)
{
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig); /* not reached */
}

int wren__k_crash(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    (void)out;
    const char *how = NULL;
    size_t len = 0;
    int64_t code = 1;
    if (wren_arg_str(args, "how", &how, &len, "segv") != WREN_OK || wren_arg_int(args, "code", &code, 1) != WREN_OK ||
        code < 0 || code > 255)
        return wren_ctx_fail(ctx, "BadInput", "crash: how must be \"segv\", \"abort\" or \"exit\"; code in [0, 255]");
    if (len == 4 && !memcmp(how, "segv", 4))
        s_die_by(SIGSEGV);
    if (len == 5 && !memcmp(how, "abort", 5)) {
        signal(SIGABRT, SIG_DFL);
        abort();
    }
    if (len == 4 && !memcmp(how, "exit", 4))
        _exit((int)code);
    return wren_ctx_fail(ctx, "BadInput", "crash: how must be \"segv\", \"abort\" or \"exit\", not \"%.*s\"",
                         len > 32 ? 32 : (int)len, len ? how : "");
}
