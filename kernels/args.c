/*
 * kernels/args.c: reading kernel arguments and numeric arrays.
 *
 * Everything here reads msgpack that came off the wire: every length, count
 * and type is checked before it is used, and array data is only ever copied
 * (it sits at whatever alignment the message gave it).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "kernels.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define WREN__BIG_ENDIAN 1
#else
#define WREN__BIG_ENDIAN 0
#endif

static void s_msg(char *msg, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void s_msg(char *msg, size_t size, const char *fmt, ...)
{
    if (!msg || size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
}

static int s_str_eq(const msgpack_object *o, const char *s)
{
    size_t n = strlen(s);
    /* msgpack-c gives an empty str a NULL ptr: no memcmp (nonnull) for n == 0. */
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n && (n == 0 || memcmp(o->via.str.ptr, s, n) == 0);
}

const msgpack_object *wren_arg(const msgpack_object *map, const char *key)
{
    if (!map || !key || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++)
        if (s_str_eq(&map->via.map.ptr[i].key, key))
            return &map->via.map.ptr[i].val;
    return NULL;
}

/* A number as int64: integers in range, or floats with an integral value in range. */
static int s_as_int(const msgpack_object *o, int64_t *out)
{
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > (uint64_t)INT64_MAX)
            return WREN_EBADINPUT;
        *out = (int64_t)o->via.u64;
        return WREN_OK;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        *out = o->via.i64;
        return WREN_OK;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: {
        double d = o->via.f64;
        /* 2^63 is the first double out of range. */
        if (!isfinite(d) || d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
            return WREN_EBADINPUT;
        *out = (int64_t)d;
        return WREN_OK;
    }
    default:
        return WREN_EBADINPUT;
    }
}

static int s_as_double(const msgpack_object *o, double *out)
{
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        *out = (double)o->via.u64;
        return WREN_OK;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        *out = (double)o->via.i64;
        return WREN_OK;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        *out = o->via.f64;
        return WREN_OK;
    default:
        return WREN_EBADINPUT;
    }
}

int wren_arg_int(const msgpack_object *map, const char *key, int64_t *out, int64_t dflt)
{
    const msgpack_object *o = wren_arg(map, key);
    *out = dflt;
    if (!o)
        return WREN_OK;
    return s_as_int(o, out) == WREN_OK ? WREN_OK : WREN_EBADINPUT;
}

int wren_arg_double(const msgpack_object *map, const char *key, double *out, double dflt)
{
    const msgpack_object *o = wren_arg(map, key);
    *out = dflt;
    if (!o)
        return WREN_OK;
    return s_as_double(o, out);
}

int wren_arg_str(const msgpack_object *map, const char *key, const char **out, size_t *len, const char *dflt)
{
    const msgpack_object *o = wren_arg(map, key);
    if (!o) {
        *out = dflt;
        *len = dflt ? strlen(dflt) : 0;
        return WREN_OK;
    }
    if (o->type != MSGPACK_OBJECT_STR) {
        *out = dflt;
        *len = dflt ? strlen(dflt) : 0;
        return WREN_EBADINPUT;
    }
    *out = o->via.str.ptr;
    *len = o->via.str.size;
    return WREN_OK;
}

/* ---- arrays -------------------------------------------------------------- */

static const char *const s_dtype_names[] = {"f64", "f32", "i64", "i32", "u8"};
static const size_t s_dtype_sizes[] = {8, 4, 8, 4, 1};

size_t wren_dtype_size(wren_dtype dtype)
{
    return (unsigned)dtype < 5 ? s_dtype_sizes[dtype] : 0;
}

const char *wren_dtype_name(wren_dtype dtype)
{
    return (unsigned)dtype < 5 ? s_dtype_names[dtype] : "?";
}

int wren_array_parse(const msgpack_object *obj, wren_array_view *out, char *msg, size_t msg_size)
{
    memset(out, 0, sizeof *out);
    if (!obj || obj->type != MSGPACK_OBJECT_MAP) {
        s_msg(msg, msg_size, "an array must be a map {dtype, shape, data}");
        return WREN_EBADINPUT;
    }
    const msgpack_object *dtype = wren_arg(obj, "dtype");
    const msgpack_object *shape = wren_arg(obj, "shape");
    const msgpack_object *data = wren_arg(obj, "data");
    if (!dtype || !shape || !data) {
        s_msg(msg, msg_size, "an array needs dtype, shape and data");
        return WREN_EBADINPUT;
    }
    int found = 0;
    for (int i = 0; i < 5; i++)
        if (s_str_eq(dtype, s_dtype_names[i])) {
            out->dtype = (wren_dtype)i;
            found = 1;
        }
    if (!found) {
        if (dtype->type == MSGPACK_OBJECT_STR)
            s_msg(msg, msg_size, "unknown dtype '%.*s' (f64, f32, i64, i32, u8)",
                  (int)(dtype->via.str.size > 32 ? 32 : dtype->via.str.size),
                  dtype->via.str.size ? dtype->via.str.ptr : "");
        else
            s_msg(msg, msg_size, "dtype must be a string (f64, f32, i64, i32, u8)");
        return WREN_EBADINPUT;
    }
    if (shape->type != MSGPACK_OBJECT_ARRAY) {
        s_msg(msg, msg_size, "shape must be an array of non-negative integers");
        return WREN_EBADINPUT;
    }
    if (shape->via.array.size > WREN_ARRAY_MAX_DIMS) {
        s_msg(msg, msg_size, "shape has %u dimensions (at most %d)", shape->via.array.size, WREN_ARRAY_MAX_DIMS);
        return WREN_EBADINPUT;
    }
    uint64_t count = 1;
    for (uint32_t i = 0; i < shape->via.array.size; i++) {
        const msgpack_object *d = &shape->via.array.ptr[i];
        if (d->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
            s_msg(msg, msg_size, "shape[%u] is not a non-negative integer", i);
            return WREN_EBADINPUT;
        }
        if (__builtin_mul_overflow(count, d->via.u64, &count)) {
            s_msg(msg, msg_size, "shape's product overflows");
            return WREN_EBADINPUT;
        }
        out->shape[i] = d->via.u64;
    }
    uint64_t bytes;
    if (__builtin_mul_overflow(count, (uint64_t)wren_dtype_size(out->dtype), &bytes) || bytes > SIZE_MAX) {
        s_msg(msg, msg_size, "shape's byte size overflows");
        return WREN_EBADINPUT;
    }
    if (data->type != MSGPACK_OBJECT_BIN) {
        s_msg(msg, msg_size, "data must be bin");
        return WREN_EBADINPUT;
    }
    if ((uint64_t)data->via.bin.size != bytes) {
        s_msg(msg, msg_size, "data has %u bytes; shape and dtype %s need %llu", data->via.bin.size,
              wren_dtype_name(out->dtype), (unsigned long long)bytes);
        return WREN_EBADINPUT;
    }
    out->ndim = (int)shape->via.array.size;
    out->count = count;
    out->data = data->via.bin.ptr;
    out->size_bytes = (size_t)bytes;
    return WREN_OK;
}

int wren_array_expect(const msgpack_object *obj, wren_dtype dtype, int ndim, wren_array_view *out, char *msg,
                      size_t msg_size)
{
    int rc = wren_array_parse(obj, out, msg, msg_size);
    if (rc != WREN_OK)
        return rc;
    if (out->dtype != dtype) {
        s_msg(msg, msg_size, "dtype is %s, expected %s", wren_dtype_name(out->dtype), wren_dtype_name(dtype));
        return WREN_EBADINPUT;
    }
    if (ndim >= 0 && out->ndim != ndim) {
        s_msg(msg, msg_size, "array has %d dimensions, expected %d", out->ndim, ndim);
        return WREN_EBADINPUT;
    }
    return WREN_OK;
}

static void s_swap_elements(void *p, size_t count, size_t width)
{
    unsigned char *b = p;
    for (size_t i = 0; i < count; i++, b += width)
        for (size_t j = 0; j < width / 2; j++) {
            unsigned char t = b[j];
            b[j] = b[width - 1 - j];
            b[width - 1 - j] = t;
        }
}

void wren_array_copy(const wren_array_view *view, void *dst)
{
    if (view->size_bytes)
        memcpy(dst, view->data, view->size_bytes);
    if (WREN__BIG_ENDIAN)
        s_swap_elements(dst, (size_t)view->count, wren_dtype_size(view->dtype));
}

int wren_array_pack(msgpack_packer *pk, wren_dtype dtype, int ndim, const uint64_t *shape, const void *data)
{
    size_t width = wren_dtype_size(dtype);
    if (!width || ndim < 0 || ndim > WREN_ARRAY_MAX_DIMS)
        return WREN_EINVAL;
    uint64_t count = 1, bytes;
    for (int i = 0; i < ndim; i++)
        if (__builtin_mul_overflow(count, shape[i], &count))
            return WREN_EINVAL;
    if (__builtin_mul_overflow(count, (uint64_t)width, &bytes) || bytes > UINT32_MAX)
        return WREN_ETOOBIG; /* msgpack's bin is at most 4 GiB - 1 */
    const char *name = wren_dtype_name(dtype);
    int bad = 0;
    bad |= msgpack_pack_map(pk, 3);
    bad |= msgpack_pack_str_with_body(pk, "dtype", 5);
    bad |= msgpack_pack_str_with_body(pk, name, strlen(name));
    bad |= msgpack_pack_str_with_body(pk, "shape", 5);
    bad |= msgpack_pack_array(pk, (size_t)ndim);
    for (int i = 0; i < ndim; i++)
        bad |= msgpack_pack_uint64(pk, shape[i]);
    bad |= msgpack_pack_str_with_body(pk, "data", 4);
    bad |= msgpack_pack_bin(pk, (size_t)bytes);
    if (!WREN__BIG_ENDIAN || width == 1) {
        bad |= msgpack_pack_bin_body(pk, data, (size_t)bytes);
    } else {
        /* Swap in small chunks rather than copying the whole array. */
        unsigned char chunk[4096];
        const unsigned char *src = data;
        size_t left = (size_t)bytes;
        while (left) {
            size_t n = left < sizeof chunk ? left : sizeof chunk;
            memcpy(chunk, src, n);
            s_swap_elements(chunk, n / width, width);
            bad |= msgpack_pack_bin_body(pk, chunk, n);
            src += n;
            left -= n;
        }
    }
    return bad ? WREN_ENOMEM : WREN_OK;
}

double *wren__alloc_f64(size_t n)
{
    if (n > SIZE_MAX / sizeof(double) - 64)
        return NULL;
    size_t bytes = (n ? n : 1) * sizeof(double);
    bytes = (bytes + 63) / 64 * 64; /* aligned_alloc wants a multiple of the alignment */
    return aligned_alloc(64, bytes);
}

/* Element i of a checked view, as a double. */
static double s_element(const wren_array_view *v, uint64_t i)
{
    const unsigned char *p = (const unsigned char *)v->data + i * wren_dtype_size(v->dtype);
    union {
        double f64;
        float f32;
        int64_t i64;
        int32_t i32;
        uint8_t u8;
        unsigned char b[8];
    } u;
    size_t w = wren_dtype_size(v->dtype);
    memcpy(u.b, p, w);
    if (WREN__BIG_ENDIAN)
        s_swap_elements(u.b, 1, w);
    switch (v->dtype) {
    case WREN_F64:
        return u.f64;
    case WREN_F32:
        return u.f32;
    case WREN_I64:
        return (double)u.i64;
    case WREN_I32:
        return u.i32;
    case WREN_U8:
        return u.u8;
    }
    return 0;
}

int wren_array_get_f64(const msgpack_object *obj, int max_ndim, wren_array_view *shape, double **data, char *msg,
                       size_t msg_size)
{
    *data = NULL;
    memset(shape, 0, sizeof *shape);
    if (max_ndim > 2)
        max_ndim = 2;
    if (!obj) {
        s_msg(msg, msg_size, "missing");
        return WREN_EBADINPUT;
    }
    if (obj->type == MSGPACK_OBJECT_MAP) {
        wren_array_view v;
        int rc = wren_array_parse(obj, &v, msg, msg_size);
        if (rc != WREN_OK)
            return rc;
        if (v.ndim < 1 || v.ndim > max_ndim) {
            s_msg(msg, msg_size, "array has %d dimensions, expected 1%s", v.ndim, max_ndim == 2 ? " or 2" : "");
            return WREN_EBADINPUT;
        }
        double *d = wren__alloc_f64((size_t)v.count);
        if (!d)
            return WREN_ENOMEM;
        if (v.dtype == WREN_F64)
            wren_array_copy(&v, d);
        else
            for (uint64_t i = 0; i < v.count; i++)
                d[i] = s_element(&v, i);
        *shape = v;
        shape->data = NULL;
        if (v.count == 0) {
            free(d);
            d = NULL;
        }
        *data = d;
        return WREN_OK;
    }
    if (obj->type != MSGPACK_OBJECT_ARRAY) {
        s_msg(msg, msg_size, "expected an array map or a list of numbers");
        return WREN_EBADINPUT;
    }
    /* Nested lists: a list of numbers, or (2-D) a list of equal-length lists. */
    uint32_t rows = obj->via.array.size;
    int two_d = rows > 0 && obj->via.array.ptr[0].type == MSGPACK_OBJECT_ARRAY;
    if (two_d && max_ndim < 2) {
        s_msg(msg, msg_size, "expected a list of numbers, not of lists");
        return WREN_EBADINPUT;
    }
    uint32_t cols = two_d ? obj->via.array.ptr[0].via.array.size : 1;
    size_t count = (size_t)rows * cols;
    double *d = wren__alloc_f64(count);
    if (!d)
        return WREN_ENOMEM;
    for (uint32_t r = 0; r < rows; r++) {
        const msgpack_object *row = &obj->via.array.ptr[r];
        if (two_d) {
            if (row->type != MSGPACK_OBJECT_ARRAY || row->via.array.size != cols) {
                s_msg(msg, msg_size, "row %u is not a list of %u numbers", r, cols);
                free(d);
                return WREN_EBADINPUT;
            }
            for (uint32_t c = 0; c < cols; c++)
                if (s_as_double(&row->via.array.ptr[c], &d[(size_t)r * cols + c]) != WREN_OK) {
                    s_msg(msg, msg_size, "element [%u][%u] is not a number", r, c);
                    free(d);
                    return WREN_EBADINPUT;
                }
        } else if (s_as_double(row, &d[r]) != WREN_OK) {
            s_msg(msg, msg_size, "element [%u] is not a number", r);
            free(d);
            return WREN_EBADINPUT;
        }
    }
    shape->dtype = WREN_F64;
    shape->ndim = two_d ? 2 : 1;
    shape->shape[0] = rows;
    shape->shape[1] = two_d ? cols : 0;
    shape->count = count;
    shape->size_bytes = count * sizeof(double);
    if (count == 0) {
        free(d);
        d = NULL;
    }
    *data = d;
    return WREN_OK;
}
