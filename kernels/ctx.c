/*
 * kernels/ctx.c: the context a kernel runs in, running a kernel into a
 * buffer, and the OpenBLAS thread count.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "kernels.h"

/* Copies src into dst (size > 0), truncated, always NUL-terminated. */
static void s_copy(char *dst, size_t size, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

void wren__ctx_init(wren_ctx *ctx, const char *request_id, int64_t deadline_ms)
{
    memset(ctx, 0, sizeof *ctx);
    s_copy(ctx->request_id, sizeof ctx->request_id, request_id);
    ctx->deadline_ms = deadline_ms;
    ctx->log_to_stderr = 1;
}

void wren__ctx_clean_up(wren_ctx *ctx)
{
    if (!ctx)
        return;
    memset(ctx, 0, sizeof *ctx);
}

const char *wren_ctx_request_id(const wren_ctx *ctx)
{
    return ctx->request_id;
}

int64_t wren_ctx_remaining_ms(const wren_ctx *ctx)
{
    if (ctx->deadline_ms <= 0)
        return INT64_MAX;
    return ctx->deadline_ms - wren_now_ms();
}

void wren_ctx_add_flops(wren_ctx *ctx, double flops)
{
    ctx->flops += flops;
}

/* Appends one line, dropping whole lines from the front until it fits. A
 * line longer than the whole buffer keeps its tail. */
static void s_log_append(wren_ctx *ctx, const char *line, size_t len)
{
    const size_t cap = sizeof ctx->log - 1; /* room for the NUL */
    size_t need = len + 1;                  /* + '\n' */
    if (need > cap) {
        ctx->log_dropped_bytes += ctx->log_len + (need - cap);
        line += need - cap;
        len = cap - 1;
        need = cap;
        ctx->log_len = 0;
    }
    if (ctx->log_len + need > cap) {
        size_t drop = ctx->log_len + need - cap;
        /* Extend the cut to the end of the line it falls in. */
        char *nl = memchr(ctx->log + drop - 1, '\n', ctx->log_len - (drop - 1));
        drop = nl ? (size_t)(nl - ctx->log) + 1 : ctx->log_len;
        memmove(ctx->log, ctx->log + drop, ctx->log_len - drop);
        ctx->log_len -= drop;
        ctx->log_dropped_bytes += drop;
    }
    memcpy(ctx->log + ctx->log_len, line, len);
    ctx->log_len += len;
    ctx->log[ctx->log_len++] = '\n';
    ctx->log[ctx->log_len] = '\0';
}

void wren_ctx_log(wren_ctx *ctx, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (w < 0)
        return;
    size_t len = (size_t)w < sizeof line ? (size_t)w : sizeof line - 1;
    /* One line per call: a trailing newline is the caller's habit, not a
     * second, empty line. Embedded newlines are kept (they are rare). */
    while (len && line[len - 1] == '\n')
        len--;
    s_log_append(ctx, line, len);
    if (ctx->log_to_stderr)
        fprintf(stderr, "%s\t%.*s\n", ctx->request_id, (int)len, line);
}

/* Kernel-chosen types become "Wren.TYPE" unless already dotted, and are kept
 * to [A-Za-z0-9._-] because the type travels in an HTTP header
 * (Lambda-Runtime-Function-Error-Type). */
static void s_set_type(wren_ctx *ctx, const char *type)
{
    if (!type || !type[0])
        type = "KernelError";
    size_t off = 0;
    if (!strchr(type, '.')) {
        memcpy(ctx->error_type, "Wren.", 5);
        off = 5;
    }
    size_t i = 0;
    for (; type[i] && off + i < sizeof ctx->error_type - 1; i++) {
        char c = type[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                 c == '-';
        ctx->error_type[off + i] = ok ? c : '_';
    }
    ctx->error_type[off + i] = '\0';
}

void wren__ctx_set_error(wren_ctx *ctx, const char *error_type, const char *message)
{
    if (ctx->failed)
        return;
    ctx->failed = 1;
    s_set_type(ctx, error_type);
    s_copy(ctx->error_message, sizeof ctx->error_message, message);
}

int wren_ctx_fail(wren_ctx *ctx, const char *error_type, const char *fmt, ...)
{
    if (ctx->failed)
        return WREN_EKERNEL; /* the first error is the cause; keep it */
    char message[WREN_CTX_ERROR_MESSAGE_BYTES];
    message[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(message, sizeof message, fmt, ap);
        va_end(ap);
    }
    wren__ctx_set_error(ctx, error_type, message);
    return WREN_EKERNEL;
}

int wren__ctx_settle(wren_ctx *ctx, int rc)
{
    if (rc == WREN_OK)
        return ctx->failed ? WREN_EKERNEL : WREN_OK;
    if (!ctx->failed) {
        if (rc == WREN_EBADINPUT)
            wren__ctx_set_error(ctx, "BadInput", "the kernel refused its arguments");
        else if (rc == WREN_ETOOBIG)
            wren__ctx_set_error(ctx, "OutputTooLarge", "the kernel's result is over the size limit");
        else
            wren__ctx_set_error(ctx, "KernelError", wren_strerror(rc));
    }
    return rc;
}

int wren__kernels_call(const wren_kernel_def *def, const msgpack_object *args, wren_buf *out, wren_ctx *ctx)
{
    msgpack_object nil;
    memset(&nil, 0, sizeof nil);
    nil.type = MSGPACK_OBJECT_NIL;
    if (!args)
        args = &nil;
    size_t start = out->len;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, wren_buf_msgpack_write);
    int rc = def->fn(args, &pk, ctx);
    if (out->failed) {
        /* The packer refused bytes: either the cap or memory. A kernel may
         * not have noticed (msgpack's return values are easy to ignore). */
        if (!ctx->failed) {
            char m[128];
            if (out->max_bytes)
                snprintf(m, sizeof m, "the kernel's result is over the %zu-byte limit", out->max_bytes);
            else
                snprintf(m, sizeof m, "the kernel's result could not be buffered (out of memory)");
            wren__ctx_set_error(ctx, out->max_bytes ? "OutputTooLarge" : "KernelError", m);
        }
        /* With a cap, running into it is by far the likelier cause. */
        return wren__ctx_settle(ctx, out->max_bytes ? WREN_ETOOBIG : WREN_ENOMEM);
    }
    if (rc == WREN_OK && !ctx->failed && out->len == start)
        wren__ctx_set_error(ctx, "KernelError", "the kernel returned success but packed no result");
    return wren__ctx_settle(ctx, rc == WREN_OK && out->len == start ? WREN_EKERNEL : rc);
}

/* ---- OpenBLAS threads ---------------------------------------------------- */

int wren__kernels_blas_threads_for(const char *memory_mb_text, long host_cores)
{
    const long mb_per_vcpu = 1769, max_vcpus = 6;
    long threads = 1;
    if (memory_mb_text && memory_mb_text[0]) {
        char *end = NULL;
        errno = 0;
        long long mb = strtoll(memory_mb_text, &end, 10);
        if (errno == 0 && end && *end == '\0' && mb > 0) {
            long long v = (mb + mb_per_vcpu - 1) / mb_per_vcpu;
            threads = v > max_vcpus ? max_vcpus : (long)v;
        }
    }
    if (host_cores > 0 && threads > host_cores)
        threads = host_cores;
    return (int)threads;
}

int wren__kernels_set_blas_threads(void)
{
    long cores = 0;
    cpu_set_t set;
    /* The cores this process may run on (a container's cpuset), not the host's. */
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        cores = CPU_COUNT(&set);
    if (cores <= 0)
        cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = wren__kernels_blas_threads_for(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), cores);
    openblas_set_num_threads(n);
    return n;
}
