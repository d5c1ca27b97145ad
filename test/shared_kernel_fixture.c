/* A user's kernels in a shared object (what _HANDLER=libmykernels.so loads):
 * check_kernels loads it with wren__kernels_load_shared and calls them. */
#include "wren/kernel.h"

static int s_so_triple(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    int64_t x;
    if (wren_arg_int(args, "x", &x, 0) != WREN_OK)
        return wren_ctx_fail(ctx, "BadInput", "x must be an integer");
    return msgpack_pack_int64(out, 3 * x) == 0 ? WREN_OK : WREN_ENOMEM;
}
WREN_KERNEL("so_triple", s_so_triple, "3 x");

static int s_so_refuse(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    (void)args;
    (void)out;
    return wren_ctx_fail(ctx, "Lib.Refused", "refused by %s", "the shared object");
}
WREN_KERNEL("so_refuse", s_so_refuse);
