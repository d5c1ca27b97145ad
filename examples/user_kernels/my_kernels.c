/*
 * my_kernels.c: a user's own kernels, registered by name in their own file.
 * Built into libmykernels.so (loaded by the stock worker through _HANDLER)
 * or linked into a bootstrap of one's own; the same source serves both.
 */
#include <math.h>

#include "wren/kernel.h"

/* {"x": number, "n": int} -> x^n (by repeated squaring), counting FLOPs. */
static int power(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    double x = 0;
    int64_t n = 0;
    if (wren_arg_double(args, "x", &x, 0.0) != WREN_OK || wren_arg_int(args, "n", &n, 1) != WREN_OK || n < 0)
        return wren_ctx_fail(ctx, "BadInput", "power: want {\"x\": number, \"n\": integer >= 0}");
    double r = 1, b = x;
    double flops = 0;
    for (int64_t e = n; e > 0; e >>= 1, flops += 2) {
        if (e & 1)
            r *= b;
        b *= b;
    }
    wren_ctx_add_flops(ctx, flops);
    return msgpack_pack_double(out, r) == 0 ? WREN_OK : WREN_ENOMEM;
}
WREN_KERNEL("power", power, "x to the power n (examples/user_kernels)");

/* {"n": int} -> the n-th Collatz stopping time; refuses n < 1 with a typed error. */
static int collatz(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    int64_t n = 0;
    if (wren_arg_int(args, "n", &n, 0) != WREN_OK)
        return wren_ctx_fail(ctx, "BadInput", "collatz: n must be an integer");
    if (n < 1)
        return wren_ctx_fail(ctx, "NotPositive", "collatz: n = %lld is not positive", (long long)n);
    int64_t steps = 0;
    for (uint64_t v = (uint64_t)n; v != 1; steps++)
        v = v % 2 ? 3 * v + 1 : v / 2;
    return msgpack_pack_int64(out, steps) == 0 ? WREN_OK : WREN_ENOMEM;
}
WREN_KERNEL("collatz", collatz, "Collatz stopping time of n (examples/user_kernels)");
