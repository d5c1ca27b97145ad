/*
 * kernels/k_gemm.c: the seeds' benchmark, C = A B with OpenBLAS dgemm.
 *
 * Two modes:
 *  - generate: {n, loops = 1, std = 1.0, seed = 0, stream = 0} makes A and B
 *    (n x n, normal(0, std), A first then B from one seeded stream, row-major)
 *    and multiplies `loops` times; returns {sum, flops, seconds, gflops, n, loops}
 *    where sum is the sum of C's entries after the last product and seconds
 *    times the dgemm loop only (not the generation).
 *  - multiply: {a, b} (2-D arrays, any dtype, or nested lists) returns
 *    {c: f64 array}.
 * Both add 2 m k n per product to the context's FLOPs.
 */
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "builtins.h"
#include "kernels.h"

#define S_GEMM_MAX_N 16384         /* 3 n^2 doubles = 6 GiB: over Lambda's 10 GB with any more */
#define S_GEMM_MAX_LOOPS 1000000

static int s_gemm_multiply(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    wren_array_view av, bv;
    double *a = NULL, *b = NULL, *c = NULL;
    char why[160];
    int rc = wren_array_get_f64(wren_arg(args, "a"), 2, &av, &a, why, sizeof why);
    if (rc != WREN_OK) {
        rc = rc == WREN_ENOMEM ? rc : wren_ctx_fail(ctx, "BadInput", "gemm: a: %s", why);
        goto cleanup;
    }
    rc = wren_array_get_f64(wren_arg(args, "b"), 2, &bv, &b, why, sizeof why);
    if (rc != WREN_OK) {
        rc = rc == WREN_ENOMEM ? rc : wren_ctx_fail(ctx, "BadInput", "gemm: b: %s", why);
        goto cleanup;
    }
    if (av.ndim != 2 || bv.ndim != 2 || av.shape[1] != bv.shape[0]) {
        rc = wren_ctx_fail(ctx, "BadInput", "gemm: a and b must be 2-D with a's columns == b's rows (got %llux%llu and %llux%llu)",
                           (unsigned long long)av.shape[0], (unsigned long long)av.shape[1],
                           (unsigned long long)bv.shape[0], (unsigned long long)bv.shape[1]);
        goto cleanup;
    }
    uint64_t m = av.shape[0], k = av.shape[1], n = bv.shape[1];
    if (m > INT32_MAX || k > INT32_MAX || n > INT32_MAX || (m && n > UINT64_MAX / m)) {
        rc = wren_ctx_fail(ctx, "BadInput", "gemm: matrices too large");
        goto cleanup;
    }
    c = wren__alloc_f64((size_t)(m * n));
    if (!c) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    if (m && n) {
        if (k)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0, a, (int)k, b, (int)n,
                        0.0, c, (int)n);
        else
            memset(c, 0, (size_t)(m * n) * sizeof *c);
    }
    wren_ctx_add_flops(ctx, 2.0 * (double)m * (double)k * (double)n);
    uint64_t shape[2] = {m, n};
    int bad = msgpack_pack_map(out, 1) | msgpack_pack_str_with_body(out, "c", 1);
    rc = bad ? WREN_ENOMEM : wren_array_pack(out, WREN_F64, 2, shape, c);
cleanup:
    free(a);
    free(b);
    free(c);
    return rc;
}

int wren__k_gemm(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    if (wren_arg(args, "a") || wren_arg(args, "b"))
        return s_gemm_multiply(args, out, ctx);

    int64_t n = 0, loops = 1, seed = 0, stream = 0;
    double std = 1.0;
    if (args->type != MSGPACK_OBJECT_MAP || wren_arg_int(args, "n", &n, 0) != WREN_OK || n < 1 || n > S_GEMM_MAX_N)
        return wren_ctx_fail(ctx, "BadInput", "gemm: n must be an integer in [1, %d] (or give a and b)", S_GEMM_MAX_N);
    if (wren_arg_int(args, "loops", &loops, 1) != WREN_OK || loops < 1 || loops > S_GEMM_MAX_LOOPS)
        return wren_ctx_fail(ctx, "BadInput", "gemm: loops must be an integer in [1, %d]", S_GEMM_MAX_LOOPS);
    if (wren_arg_double(args, "std", &std, 1.0) != WREN_OK || !(std >= 0) || std > 1e150)
        return wren_ctx_fail(ctx, "BadInput", "gemm: std must be a non-negative number");
    if (wren_arg_int(args, "seed", &seed, 0) != WREN_OK || wren_arg_int(args, "stream", &stream, 0) != WREN_OK)
        return wren_ctx_fail(ctx, "BadInput", "gemm: seed and stream must be integers");

    size_t nn = (size_t)n * (size_t)n;
    double *a = wren__alloc_f64(nn), *b = wren__alloc_f64(nn), *c = wren__alloc_f64(nn);
    int rc = WREN_OK;
    if (!a || !b || !c) {
        rc = wren_ctx_fail(ctx, "OutOfMemory", "gemm: cannot allocate 3 %lldx%lld matrices", (long long)n, (long long)n);
        goto cleanup;
    }
    wren_rng rng;
    wren__rng_seed(&rng, (uint64_t)seed, (uint64_t)stream);
    wren__rng_fill_normal(&rng, a, nn, std);
    wren__rng_fill_normal(&rng, b, nn, std);

    /* Fault C's fresh pages in now: otherwise the first product pays for
     * the allocation inside the timed loop. */
    memset(c, 0, nn * sizeof *c);

    uint64_t t0 = wren_mono_ns();
    for (int64_t i = 0; i < loops; i++)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0, a, (int)n, b, (int)n, 0.0,
                    c, (int)n);
    double seconds = (double)(wren_mono_ns() - t0) / 1e9;

    double sum = 0;
    for (size_t i = 0; i < nn; i++)
        sum += c[i];
    double flops = 2.0 * (double)n * (double)n * (double)n * (double)loops;
    wren_ctx_add_flops(ctx, flops);

    int bad = 0;
    bad |= msgpack_pack_map(out, 6);
    bad |= msgpack_pack_str_with_body(out, "sum", 3) | msgpack_pack_double(out, sum);
    bad |= msgpack_pack_str_with_body(out, "flops", 5) | msgpack_pack_double(out, flops);
    bad |= msgpack_pack_str_with_body(out, "seconds", 7) | msgpack_pack_double(out, seconds);
    bad |= msgpack_pack_str_with_body(out, "gflops", 6) | msgpack_pack_double(out, seconds > 0 ? flops / seconds / 1e9 : 0);
    bad |= msgpack_pack_str_with_body(out, "n", 1) | msgpack_pack_int64(out, n);
    bad |= msgpack_pack_str_with_body(out, "loops", 5) | msgpack_pack_int64(out, loops);
    rc = bad ? WREN_ENOMEM : WREN_OK;
cleanup:
    free(a);
    free(b);
    free(c);
    return rc;
}
