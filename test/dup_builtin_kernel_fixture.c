/* A shared object that tries to take a built-in's name: loading it must fail. */
#include "wren/kernel.h"

static int s_my_echo(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    (void)ctx;
    return msgpack_pack_object(out, *args) == 0 ? WREN_OK : WREN_ENOMEM;
}
WREN_KERNEL("echo", s_my_echo, "an echo of my own");
