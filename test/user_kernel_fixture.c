/* A user's kernel in its own source file, registered with WREN_KERNEL and
 * linked straight into check_kernels: proves constructor registration from a
 * separate object works and the kernel is found by name. */
#include "wren/kernel.h"

static int s_user_square(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    double x;
    if (wren_arg_double(args, "x", &x, 0.0) != WREN_OK)
        return wren_ctx_fail(ctx, "BadInput", "x must be a number");
    wren_ctx_add_flops(ctx, 1);
    wren_ctx_log(ctx, "squaring %g", x);
    return msgpack_pack_double(out, x * x) == 0 ? WREN_OK : WREN_ENOMEM;
}
WREN_KERNEL("user_square", s_user_square, "squares x");
