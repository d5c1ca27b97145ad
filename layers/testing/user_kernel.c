/*
 * layers/testing/user_kernel.c: a user's kernel file, as the layer tests build
 * it: into libNAME.so (the function package, loaded through _HANDLER), or into
 * a bootstrap of the user's own (wren_add_bootstrap). It calls OpenBLAS so the
 * module needs a library of the layer's lib/ when it is loaded.
 *
 *   user_dot  {x: [..], y: [..]} -> x . y   (cblas_ddot)
 */
#include <stdlib.h>

#include <cblas.h>

#include "wren/kernel.h"

static int s_user_dot(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    wren_array_view xv, yv;
    double *x = NULL, *y = NULL;
    char why[160];
    int rc = wren_array_get_f64(wren_arg(args, "x"), 1, &xv, &x, why, sizeof why);
    if (rc == WREN_OK)
        rc = wren_array_get_f64(wren_arg(args, "y"), 1, &yv, &y, why, sizeof why);
    if (rc != WREN_OK) {
        rc = wren_ctx_fail(ctx, "BadInput", "user_dot: %s", why);
        goto cleanup;
    }
    if (xv.count != yv.count || xv.count > 1000000) {
        rc = wren_ctx_fail(ctx, "BadInput", "user_dot: x and y differ in length");
        goto cleanup;
    }
    double dot = xv.count ? cblas_ddot((int)xv.count, x, 1, y, 1) : 0.0;
    wren_ctx_add_flops(ctx, 2.0 * (double)xv.count);
    rc = msgpack_pack_double(out, dot) == 0 ? WREN_OK : WREN_ENOMEM;
cleanup:
    free(x);
    free(y);
    return rc;
}
WREN_KERNEL("user_dot", s_user_dot, "x . y of two vectors, from a user's own file");
