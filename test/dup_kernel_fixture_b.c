/* The second registration of "dup_kernel" (see dup_kernel_fixture_a.c). */
#include "wren/kernel.h"

static int s_dup_b(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    (void)args;
    (void)ctx;
    return msgpack_pack_str_with_body(out, "b", 1) == 0 ? WREN_OK : WREN_ENOMEM;
}

WREN_KERNEL("dup_kernel", s_dup_b, "second of two");
