/* One of two files that register the same kernel name: the registry must
 * refuse the pair at start-up (check_kernels_dup, and the .so in check_kernels). */
#include "wren/kernel.h"

static int s_dup_a(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    (void)args;
    (void)ctx;
    return msgpack_pack_str_with_body(out, "a", 1) == 0 ? WREN_OK : WREN_ENOMEM;
}
WREN_KERNEL("dup_kernel", s_dup_a, "first of two");
