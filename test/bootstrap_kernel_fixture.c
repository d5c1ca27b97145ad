/* Kernels for the bootstrap's integration tests, loaded through
 * _HANDLER=libwren_test_bootstrap_kernels.so: logging, FLOP counting, a
 * result too deep to render as JSON, and BLAS from the worker. */
#include <cblas.h>
#include <stdio.h>

#include "wren/kernel.h"

/* Logs two lines, counts 1e9 FLOPs, returns x. */
static int s_bt_logs(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    int64_t x;
    if (wren_arg_int(args, "x", &x, 0) != WREN_OK)
        return wren_ctx_fail(ctx, "BadInput", "x must be an integer");
    wren_ctx_log(ctx, "starting with x=%lld", (long long)x);
    wren_ctx_add_flops(ctx, 1e9);
    wren_ctx_log(ctx, "done");
    return msgpack_pack_int64(out, x) == 0 ? WREN_OK : WREN_ENOMEM;
}
WREN_KERNEL("bt_logs", s_bt_logs, "logs two lines, 1e9 flops, returns x");

/* [[[...[1]...]]] nested 40 deep: fine as msgpack, too deep for JSON. */
static int s_bt_deep(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    (void)args;
    (void)ctx;
    for (int i = 0; i < 40; i++)
        if (msgpack_pack_array(out, 1) != 0)
            return WREN_ENOMEM;
    return msgpack_pack_int(out, 1) == 0 ? WREN_OK : WREN_ENOMEM;
}
WREN_KERNEL("bt_deep", s_bt_deep, "a result nested 40 deep");

/* Writes to stdout, as a careless kernel would: the worker sends it to stderr. */
static int s_bt_printf(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    (void)args;
    (void)ctx;
    printf("bt_printf was here\n");
    fflush(stdout);
    return msgpack_pack_int(out, 1) == 0 ? WREN_OK : WREN_ENOMEM;
}
WREN_KERNEL("bt_printf", s_bt_printf, "prints to stdout");

/* Links no BLAS: cblas_ddot and the thread count come from the worker's
 * exported OpenBLAS. Returns {dot: [1,2,3].[4,5,6], threads}. */
static int s_bt_blas(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    (void)args;
    (void)ctx;
    const double x[3] = {1, 2, 3}, y[3] = {4, 5, 6};
    double dot = cblas_ddot(3, x, 1, y, 1);
    int threads = openblas_get_num_threads();
    if (msgpack_pack_map(out, 2) != 0 || msgpack_pack_str_with_body(out, "dot", 3) != 0 ||
        msgpack_pack_double(out, dot) != 0 || msgpack_pack_str_with_body(out, "threads", 7) != 0 ||
        msgpack_pack_int(out, threads) != 0)
        return WREN_ENOMEM;
    return WREN_OK;
}
WREN_KERNEL("bt_blas", s_bt_blas, "cblas_ddot and the BLAS thread count, from the worker");
