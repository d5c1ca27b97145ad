/* Argument builders: msgpack-c's packer over a wren_buf, with a sticky error. */
#include <stdlib.h>
#include <string.h>

#include "sdk_internal.h"

struct wren_args {
    wren_buf buf;
    msgpack_packer pk;
    int status;
};

/* Arguments go in an event (inline) or an object; 1 GiB is far past both. */
#define S_ARGS_MAX ((size_t)1 << 30)

wren_args *wren_args_new(void)
{
    wren_args *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    wren_buf_init(&a->buf, S_ARGS_MAX);
    msgpack_packer_init(&a->pk, &a->buf, wren_buf_msgpack_write);
    return a;
}

void wren_args_destroy(wren_args *a)
{
    if (!a)
        return;
    wren_buf_clean_up(&a->buf);
    free(a);
}

int wren_args_status(const wren_args *a)
{
    if (!a)
        return WREN_EINVAL;
    if (a->status != WREN_OK)
        return a->status;
    return a->buf.failed ? WREN_ENOMEM : WREN_OK;
}

void wren_args_reset(wren_args *a)
{
    wren_buf_reset(&a->buf);
    a->status = WREN_OK;
}

/* Every builder: do nothing after a failure; record the first one. */
#define S_GUARD(a)                                                                                                \
    do {                                                                                                          \
        if (!(a) || (a)->status != WREN_OK || (a)->buf.failed)                                                     \
            return;                                                                                               \
    } while (0)

static void s_check(wren_args *a, int rc)
{
    if (rc != 0 && a->status == WREN_OK)
        a->status = a->buf.failed ? WREN_ENOMEM : WREN_EINVAL;
}

void wren_args_nil(wren_args *a)
{
    S_GUARD(a);
    s_check(a, msgpack_pack_nil(&a->pk));
}

void wren_args_bool(wren_args *a, int v)
{
    S_GUARD(a);
    s_check(a, v ? msgpack_pack_true(&a->pk) : msgpack_pack_false(&a->pk));
}

void wren_args_int(wren_args *a, int64_t v)
{
    S_GUARD(a);
    s_check(a, msgpack_pack_int64(&a->pk, v));
}

void wren_args_double(wren_args *a, double v)
{
    S_GUARD(a);
    s_check(a, msgpack_pack_double(&a->pk, v));
}

void wren_args_strn(wren_args *a, const char *s, size_t len)
{
    S_GUARD(a);
    if (!s && len) {
        a->status = WREN_EINVAL;
        return;
    }
    if (len > UINT32_MAX) {
        a->status = WREN_ETOOBIG;
        return;
    }
    s_check(a, msgpack_pack_str_with_body(&a->pk, s ? s : "", len));
}

void wren_args_str(wren_args *a, const char *s)
{
    S_GUARD(a);
    if (!s) {
        a->status = WREN_EINVAL;
        return;
    }
    wren_args_strn(a, s, strlen(s));
}

void wren_args_bin(wren_args *a, const void *data, size_t len)
{
    S_GUARD(a);
    if ((!data && len) || len > UINT32_MAX) {
        a->status = len > UINT32_MAX ? WREN_ETOOBIG : WREN_EINVAL;
        return;
    }
    s_check(a, msgpack_pack_bin_with_body(&a->pk, data ? data : "", len));
}

void wren_args_map(wren_args *a, uint32_t n_pairs)
{
    S_GUARD(a);
    s_check(a, msgpack_pack_map(&a->pk, n_pairs));
}

void wren_args_array(wren_args *a, uint32_t n)
{
    S_GUARD(a);
    s_check(a, msgpack_pack_array(&a->pk, n));
}

void wren_args_ndarray(wren_args *a, wren_dtype dtype, int ndim, const uint64_t *shape, const void *data)
{
    S_GUARD(a);
    if (ndim < 0 || ndim > WREN_ARRAY_MAX_DIMS || (ndim > 0 && !shape) || (unsigned)dtype > WREN_U8) {
        a->status = WREN_EINVAL;
        return;
    }
    static const char *const names[] = {"f64", "f32", "i64", "i32", "u8"};
    static const size_t sizes[] = {8, 4, 8, 4, 1};
    uint64_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] && count > UINT64_MAX / shape[i]) {
            a->status = WREN_ETOOBIG;
            return;
        }
        count *= shape[i];
    }
    if (count > UINT32_MAX / sizes[dtype]) {
        a->status = WREN_ETOOBIG;
        return;
    }
    size_t bytes = (size_t)count * sizes[dtype];
    if (bytes && !data) {
        a->status = WREN_EINVAL;
        return;
    }
    int rc = msgpack_pack_map(&a->pk, 3);
    rc |= msgpack_pack_str_with_body(&a->pk, "dtype", 5);
    rc |= msgpack_pack_str_with_body(&a->pk, names[dtype], strlen(names[dtype]));
    rc |= msgpack_pack_str_with_body(&a->pk, "shape", 5);
    rc |= msgpack_pack_array(&a->pk, (uint32_t)ndim);
    for (int i = 0; i < ndim; i++)
        rc |= msgpack_pack_uint64(&a->pk, shape[i]);
    rc |= msgpack_pack_str_with_body(&a->pk, "data", 4);
    rc |= msgpack_pack_bin(&a->pk, (uint32_t)bytes);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    rc |= msgpack_pack_bin_body(&a->pk, data ? data : "", bytes);
#else
    /* The wire is little-endian: swap element by element on a big-endian host. */
    for (size_t i = 0; i < bytes && rc == 0; i += sizes[dtype]) {
        unsigned char tmp[8];
        for (size_t b = 0; b < sizes[dtype]; b++)
            tmp[b] = ((const unsigned char *)data)[i + sizes[dtype] - 1 - b];
        rc |= msgpack_pack_bin_body(&a->pk, tmp, sizes[dtype]);
    }
#endif
    s_check(a, rc);
}

int wren_args_json(wren_args *a, const char *json_text, size_t len)
{
    if (!a || !json_text)
        return WREN_EINVAL;
    if (a->status != WREN_OK)
        return a->status;
    json_error_t err;
    json_t *j = json_loadb(json_text, len, JSON_DECODE_ANY, &err);
    if (!j)
        return WREN_EBADINPUT;
    int rc = wren_json_to_msgpack(j, &a->pk);
    json_decref(j);
    if (rc == WREN_OK && a->buf.failed)
        rc = WREN_ENOMEM;
    if (rc != WREN_OK)
        a->status = rc;
    return rc;
}

msgpack_packer *wren_args_packer(wren_args *a)
{
    return a ? &a->pk : NULL;
}

const char *wren_args_data(const wren_args *a, size_t *size_bytes)
{
    if (size_bytes)
        *size_bytes = a ? a->buf.len : 0;
    return a ? a->buf.data : NULL;
}

/* ---- reading arrays from results ----------------------------------------- */

static int s_str_eq(const msgpack_object *o, const char *s)
{
    size_t n = strlen(s);
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n && !memcmp(o->via.str.ptr, s, n);
}

static const msgpack_object *s_lookup(const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++)
        if (s_str_eq(&map->via.map.ptr[i].key, key))
            return &map->via.map.ptr[i].val;
    return NULL;
}

int wren_result_array(const msgpack_object *result, const char *key, wren_array_view *out)
{
    static const char *const names[] = {"f64", "f32", "i64", "i32", "u8"};
    static const size_t sizes[] = {8, 4, 8, 4, 1};
    if (!result || !out)
        return WREN_EINVAL;
    memset(out, 0, sizeof *out);
    const msgpack_object *obj = key ? s_lookup(result, key) : result;
    if (!obj)
        return WREN_ENOTFOUND;
    const msgpack_object *dt = s_lookup(obj, "dtype"), *sh = s_lookup(obj, "shape"), *data = s_lookup(obj, "data");
    if (!dt || !sh || !data || sh->type != MSGPACK_OBJECT_ARRAY || data->type != MSGPACK_OBJECT_BIN ||
        sh->via.array.size > WREN_ARRAY_MAX_DIMS)
        return WREN_EBADINPUT;
    int d = -1;
    for (int i = 0; i < 5; i++)
        if (s_str_eq(dt, names[i]))
            d = i;
    if (d < 0)
        return WREN_EBADINPUT;
    uint64_t count = 1;
    for (uint32_t i = 0; i < sh->via.array.size; i++) {
        const msgpack_object *e = &sh->via.array.ptr[i];
        if (e->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            return WREN_EBADINPUT;
        uint64_t v = e->via.u64;
        if (v && count > UINT64_MAX / v)
            return WREN_EBADINPUT;
        count *= v;
        out->shape[i] = v;
    }
    if (count > SIZE_MAX / sizes[d] || count * sizes[d] != data->via.bin.size)
        return WREN_EBADINPUT;
    out->dtype = (wren_dtype)d;
    out->ndim = (int)sh->via.array.size;
    out->count = count;
    out->data = data->via.bin.ptr;
    out->size_bytes = data->via.bin.size;
    return WREN_OK;
}

const msgpack_object *wren_result_get(const msgpack_object *map, const char *key)
{
    return key ? s_lookup(map, key) : NULL;
}

int wren_result_double(const msgpack_object *map, const char *key, double *out)
{
    const msgpack_object *o = wren_result_get(map, key);
    if (!o)
        return WREN_ENOTFOUND;
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

int wren_result_int(const msgpack_object *map, const char *key, int64_t *out)
{
    const msgpack_object *o = wren_result_get(map, key);
    if (!o)
        return WREN_ENOTFOUND;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
        *out = (int64_t)o->via.u64;
    else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        *out = o->via.i64;
    else
        return WREN_EBADINPUT;
    return WREN_OK;
}
