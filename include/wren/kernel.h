/*
 * wren/kernel.h: what a kernel author needs, and nothing else.
 *
 * A kernel is a C function over msgpack arguments that packs one msgpack
 * result. It runs inside the worker (`bootstrap`), locally or on Lambda:
 *
 *     static int my_sweep(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
 *     {
 *         double x;
 *         int rc = wren_arg_double(args, "x", &x, 0.0);
 *         if (rc != WREN_OK)
 *             return wren_ctx_fail(ctx, "BadInput", "x must be a number");
 *         wren_ctx_add_flops(ctx, 1);
 *         return msgpack_pack_double(out, x * x) == 0 ? WREN_OK : WREN_ENOMEM;
 *     }
 *     WREN_KERNEL("my_sweep", my_sweep, "squares x");
 *
 * Ownership: `args` and everything it points to belong to the caller and live
 * for the duration of the call only. `out` packs into a buffer the worker owns.
 * A kernel returns WREN_OK, or a status after calling wren_ctx_fail() to give
 * the error a type and message (if it does not, the worker reports
 * "Wren.BadInput" for WREN_EBADINPUT, "Wren.OutputTooLarge" for WREN_ETOOBIG,
 * and "Wren.KernelError" with the status's message for anything else).
 */
#ifndef WREN_KERNEL_H
#define WREN_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "wren/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the context a kernel runs in ---------------------------------------- */

typedef struct wren_ctx wren_ctx;

/* The invocation's request id (Lambda's, or the emulator's); never NULL. */
const char *wren_ctx_request_id(const wren_ctx *ctx);
/* Milliseconds left before the function's deadline; negative once past it. */
int64_t wren_ctx_remaining_ms(const wren_ctx *ctx);
/* Appends one line (at most 1,023 bytes) to the call's log, of which the
 * last 4 KiB of whole lines is returned with errors and in the status's
 * log_tail; also written to stderr, which Lambda sends to CloudWatch. */
void wren_ctx_log(wren_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds to the FLOP count reported in the call's status (for GFLOPS plots). */
void wren_ctx_add_flops(wren_ctx *ctx, double flops);
/* Records the error type (e.g. "SingularMatrix") and message the caller will
 * see; copies both. The type becomes "Wren.TYPE" unless it contains a dot
 * (NULL or "": "Wren.KernelError"), characters other than [A-Za-z0-9._-]
 * become '_'; the message is cut at 2,047 bytes. Only the first call counts.
 * Returns WREN_EKERNEL so a kernel can `return wren_ctx_fail(...)`. */
int wren_ctx_fail(wren_ctx *ctx, const char *error_type, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- kernels and their registration -------------------------------------- */

typedef int (*wren_kernel_fn)(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx);

typedef struct wren_kernel_def {
    const char *name; /* [A-Za-z0-9._-]{1,128}; unique in the process */
    wren_kernel_fn fn;
    const char *doc;  /* one line, shown by `wren kernels` */
} wren_kernel_def;

/* Adds a kernel to the process-wide registry. Does not copy `def`, which must
 * stay valid for the life of the process (a static). Safe before main().
 * A duplicate name is recorded, not ignored: wren_kernels_check() then fails
 * at start-up naming both. */
void wren_kernel_register(const wren_kernel_def *def);
/* The same, remembering where the registration is written (WREN_KERNEL passes
 * __FILE__ and __LINE__) so a duplicate can be reported precisely. `file` is
 * not copied either. */
void wren_kernel_register_at(const wren_kernel_def *def, const char *file, int line);

/* Registers a kernel from a user's own source file when that file's object is
 * linked into the worker, or when the shared object holding it is loaded.
 * The doc string is optional. */
#define WREN_KERNEL(name, fn, ...) WREN__KERNEL_AT(name, fn, __LINE__, "" __VA_ARGS__)
#define WREN__KERNEL_AT(name, fn, line, doc) WREN__KERNEL_AT2(name, fn, line, doc)
#define WREN__KERNEL_AT2(name, fn, line, doc)                                              \
    static const wren_kernel_def wren__kdef_##line = {name, fn, doc};                      \
    __attribute__((constructor)) static void wren__kreg_##line(void)                       \
    {                                                                                      \
        wren_kernel_register_at(&wren__kdef_##line, __FILE__, line);                       \
    }

/* ---- reading arguments --------------------------------------------------- */

/* Looks a string key up in a msgpack map; NULL if `map` is not a map or the
 * key is absent. The result points into `map`. */
const msgpack_object *wren_arg(const msgpack_object *map, const char *key);
/* Typed getters: absent keys give the default (WREN_OK); present keys of the
 * wrong type give WREN_EBADINPUT. Integers are accepted where doubles are
 * wanted; doubles with an integral value where integers are wanted. */
int wren_arg_int(const msgpack_object *map, const char *key, int64_t *out, int64_t dflt);
int wren_arg_double(const msgpack_object *map, const char *key, double *out, double dflt);
/* The string is not NUL-terminated: use the length. An empty string may come
 * back as NULL with length 0 (msgpack-c's way): test the length first. */
int wren_arg_str(const msgpack_object *map, const char *key, const char **out, size_t *len, const char *dflt);

/* ---- numeric arrays: {dtype, shape, data: bin}, little-endian, row-major -- */

typedef enum wren_dtype { WREN_F64, WREN_F32, WREN_I64, WREN_I32, WREN_U8 } wren_dtype;

#define WREN_ARRAY_MAX_DIMS 8

/* A borrowed view of an array inside a msgpack object. `data` points into the
 * message and may be unaligned: read it with wren_array_copy() or memcpy. */
typedef struct wren_array_view {
    wren_dtype dtype;
    int ndim;
    uint64_t shape[WREN_ARRAY_MAX_DIMS];
    uint64_t count;      /* product of shape */
    const void *data;
    size_t size_bytes;   /* == count * wren_dtype_size(dtype), checked */
} wren_array_view;

size_t wren_dtype_size(wren_dtype dtype);
const char *wren_dtype_name(wren_dtype dtype); /* "f64", "f32", "i64", "i32", "u8" */

/* Parses and checks an array: a map with a known dtype string, a shape of at
 * most WREN_ARRAY_MAX_DIMS non-negative integers whose product does not
 * overflow, and a bin whose length is exactly count * element size.
 * WREN_EBADINPUT otherwise (msg, if not NULL, gets a reason of <= 128 bytes). */
int wren_array_parse(const msgpack_object *obj, wren_array_view *out, char *msg, size_t msg_size);
/* Like wren_array_parse, and also demands this dtype and ndim (ndim < 0: any). */
int wren_array_expect(const msgpack_object *obj, wren_dtype dtype, int ndim, wren_array_view *out, char *msg,
                      size_t msg_size);
/* Copies the data into caller memory of at least size_bytes (aligned for the
 * dtype), converting from little-endian where the host is not. */
void wren_array_copy(const wren_array_view *view, void *dst);
/* Reads a numeric matrix or vector as doubles, from either an array map of
 * any dtype (converted) or nested msgpack arrays of numbers ([1, 2] or
 * [[1, 2], [3, 4]], rows of equal length: what plain JSON arguments become).
 * Accepts 1 or 2 dimensions, at most max_ndim. On success *data is a new
 * 64-byte-aligned row-major buffer the caller free()s (NULL when the array is
 * empty) and shape->ndim/shape/count are set (shape->data is NULL).
 * WREN_EBADINPUT with a reason in msg, or WREN_ENOMEM. */
int wren_array_get_f64(const msgpack_object *obj, int max_ndim, wren_array_view *shape, double **data, char *msg,
                       size_t msg_size);
/* Packs an array; `data` is host-order, count * element size bytes. */
int wren_array_pack(msgpack_packer *pk, wren_dtype dtype, int ndim, const uint64_t *shape, const void *data);

#ifdef __cplusplus
}
#endif
#endif
