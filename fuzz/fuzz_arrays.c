/*
 * fuzz_arrays: the numeric-array helpers of wren/kernel.h on arbitrary
 * msgpack: wren_array_parse, wren_array_expect, wren_array_copy,
 * wren_array_get_f64 and wren_array_pack, plus the wren_arg getters.
 *
 * Checked on the top-level object and on every map/array value one level
 * down (where kernels find their {a, b} arguments):
 *  - parse: OK or EBADINPUT with a NUL-terminated reason; on OK ndim <= 8,
 *    count == prod(shape), size_bytes == count * itemsize, and data lies
 *    wholly inside the input bytes; copy into exactly size_bytes of heap
 *    (ASan guards the end) reproduces those bytes;
 *  - expect agrees with parse for every dtype and ndim in -1..3;
 *  - pack(parse(x)) unpacks and parses to the same dtype, shape and bytes;
 *  - get_f64: OK gives ndim 1 or 2 (<= max_ndim), count == rows * cols,
 *    data NULL iff count == 0 (reads of every element stay in bounds);
 *  - wren_arg_int/double/str: present values of the right type come back
 *    exactly; absent keys give the default.
 */
#include <math.h>

#include "fuzz_msgpack_util.h"
#include "wren/kernel.h"
#include "wren_common.h"

static const uint8_t *s_in;
static size_t s_in_len;

static void s_check_reason(const char *msg, size_t size)
{
    WREN_FUZZ_CHECK(memchr(msg, '\0', size) != NULL, "reason not NUL-terminated");
    WREN_FUZZ_CHECK(msg[0] != '\0', "failure without a reason");
}

static void s_check_pack_round_trip(const wren_array_view *v)
{
    wren_buf buf;
    wren_buf_init(&buf, 0);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, wren_buf_msgpack_write);
    void *host = malloc(v->size_bytes ? v->size_bytes : 1);
    WREN_FUZZ_CHECK(host != NULL, "malloc");
    wren_array_copy(v, host);
    int rc = wren_array_pack(&pk, v->dtype, v->ndim, v->shape, host);
    WREN_FUZZ_CHECK(rc == WREN_OK && !buf.failed, "pack of a parsed array failed: %d", rc);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object o;
    rc = wren_msgpack_unpack_one(buf.data, buf.len, &zone, &o);
    WREN_FUZZ_CHECK(rc == WREN_OK, "packed array did not unpack: %d", rc);
    wren_array_view w;
    char msg[160];
    rc = wren_array_parse(&o, &w, msg, sizeof msg);
    WREN_FUZZ_CHECK(rc == WREN_OK, "packed array did not parse: %s", msg);
    WREN_FUZZ_CHECK(w.dtype == v->dtype && w.ndim == v->ndim && w.count == v->count && w.size_bytes == v->size_bytes,
                    "pack -> parse changed the array");
    WREN_FUZZ_CHECK(memcmp(w.shape, v->shape, sizeof w.shape) == 0, "pack -> parse changed the shape");
    WREN_FUZZ_CHECK(v->size_bytes == 0 || memcmp(w.data, v->data, v->size_bytes) == 0, "pack -> parse changed data");
    msgpack_zone_destroy(&zone);
    free(host);
    wren_buf_clean_up(&buf);
}

static void s_check_array(const msgpack_object *o)
{
    wren_array_view v;
    char msg[160];
    memset(msg, 0x55, sizeof msg);
    int rc = wren_array_parse(o, &v, msg, sizeof msg);
    WREN_FUZZ_CHECK(rc == WREN_OK || rc == WREN_EBADINPUT, "parse returned %d", rc);
    if (rc == WREN_OK) {
        WREN_FUZZ_CHECK(v.ndim >= 0 && v.ndim <= WREN_ARRAY_MAX_DIMS, "ndim %d", v.ndim);
        uint64_t count = 1;
        for (int i = 0; i < v.ndim; i++)
            count *= v.shape[i]; /* parse refused overflow; recheck */
        for (int i = v.ndim; i < WREN_ARRAY_MAX_DIMS; i++)
            WREN_FUZZ_CHECK(v.shape[i] == 0, "shape[%d] set past ndim", i);
        size_t width = wren_dtype_size(v.dtype);
        WREN_FUZZ_CHECK(width == 1 || width == 4 || width == 8, "dtype %d", (int)v.dtype);
        WREN_FUZZ_CHECK(v.count == count, "count %llu != prod(shape) %llu", (unsigned long long)v.count,
                        (unsigned long long)count);
        WREN_FUZZ_CHECK(v.size_bytes == v.count * width, "size_bytes %zu != count * itemsize", v.size_bytes);
        if (v.size_bytes) {
            const uint8_t *d = v.data;
            WREN_FUZZ_CHECK(d >= s_in && d + v.size_bytes <= s_in + s_in_len && d + v.size_bytes >= d,
                            "data (%zu bytes) outside the input", v.size_bytes);
        }
        /* Exactly size_bytes: ASan reports any write past the end. */
        unsigned char *copy = malloc(v.size_bytes ? v.size_bytes : 1);
        WREN_FUZZ_CHECK(copy != NULL, "malloc");
        wren_array_copy(&v, copy);
        WREN_FUZZ_CHECK(v.size_bytes == 0 || memcmp(copy, v.data, v.size_bytes) == 0, "copy changed bytes");
        free(copy);
        s_check_pack_round_trip(&v);
    } else {
        s_check_reason(msg, sizeof msg);
    }
    for (int dt = WREN_F64; dt <= WREN_U8; dt++) {
        for (int nd = -1; nd <= 3; nd++) {
            wren_array_view e;
            int erc = wren_array_expect(o, (wren_dtype)dt, nd, &e, msg, sizeof msg);
            int want = rc == WREN_OK && v.dtype == (wren_dtype)dt && (nd < 0 || v.ndim == nd);
            WREN_FUZZ_CHECK((erc == WREN_OK) == want, "expect(%d, %d) = %d disagrees with parse", dt, nd, erc);
            if (erc != WREN_OK)
                s_check_reason(msg, sizeof msg);
        }
    }
    for (int max_ndim = 1; max_ndim <= 2; max_ndim++) {
        wren_array_view shape;
        double *d = NULL;
        int grc = wren_array_get_f64(o, max_ndim, &shape, &d, msg, sizeof msg);
        WREN_FUZZ_CHECK(grc == WREN_OK || grc == WREN_EBADINPUT || grc == WREN_ENOMEM, "get_f64 returned %d", grc);
        if (grc == WREN_OK) {
            WREN_FUZZ_CHECK(shape.ndim >= 1 && shape.ndim <= max_ndim, "get_f64 ndim %d", shape.ndim);
            uint64_t count = shape.ndim == 1 ? shape.shape[0] : shape.shape[0] * shape.shape[1];
            WREN_FUZZ_CHECK(shape.count == count, "get_f64 count %llu", (unsigned long long)shape.count);
            WREN_FUZZ_CHECK((d == NULL) == (count == 0), "get_f64 data %p for %llu elements", (void *)d,
                            (unsigned long long)count);
            double sum = 0;
            for (uint64_t i = 0; i < count; i++)
                sum += d[i]; /* ASan: every element is in the buffer */
            (void)sum;
            free(d);
        } else {
            WREN_FUZZ_CHECK(d == NULL, "failed get_f64 left data behind");
            if (grc == WREN_EBADINPUT)
                s_check_reason(msg, sizeof msg);
        }
    }
}

static void s_check_getters(const msgpack_object *map)
{
    if (map->type != MSGPACK_OBJECT_MAP || map->via.map.size == 0)
        return;
    /* Look up the first key, as a kernel would, when it is a plain string. */
    const msgpack_object *k = &map->via.map.ptr[0].key;
    if (k->type != MSGPACK_OBJECT_STR || k->via.str.size > 64 ||
        (k->via.str.size && memchr(k->via.str.ptr, '\0', k->via.str.size)))
        return;
    char key[65];
    if (k->via.str.size) /* an empty str may have a NULL ptr (fuzz_msgpack_util.h) */
        memcpy(key, k->via.str.ptr, k->via.str.size);
    key[k->via.str.size] = '\0';
    const msgpack_object *v = wren_arg(map, key);
    WREN_FUZZ_CHECK(v != NULL, "wren_arg missed key '%s'", key);
    int64_t i;
    int rc = wren_arg_int(map, key, &i, 7);
    WREN_FUZZ_CHECK(rc == WREN_OK || rc == WREN_EBADINPUT, "wren_arg_int returned %d", rc);
    if (rc == WREN_OK && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        WREN_FUZZ_CHECK(i == v->via.i64, "wren_arg_int changed %lld", (long long)v->via.i64);
    if (rc == WREN_OK && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        WREN_FUZZ_CHECK((uint64_t)i == v->via.u64, "wren_arg_int changed %llu", (unsigned long long)v->via.u64);
    if (rc == WREN_OK && (v->type == MSGPACK_OBJECT_FLOAT32 || v->type == MSGPACK_OBJECT_FLOAT64))
        WREN_FUZZ_CHECK((double)i == v->via.f64, "wren_arg_int took a non-integral %g", v->via.f64);
    double d;
    rc = wren_arg_double(map, key, &d, 0.5);
    WREN_FUZZ_CHECK(rc == WREN_OK || rc == WREN_EBADINPUT, "wren_arg_double returned %d", rc);
    const char *s;
    size_t len;
    rc = wren_arg_str(map, key, &s, &len, "dflt");
    WREN_FUZZ_CHECK((rc == WREN_OK) == (v->type == MSGPACK_OBJECT_STR), "wren_arg_str returned %d", rc);
    if (rc == WREN_OK)
        WREN_FUZZ_CHECK(len == v->via.str.size && s == v->via.str.ptr, "wren_arg_str moved the string");
    /* An absent key gives the default. */
    rc = wren_arg_int(map, "\x01no such key", &i, 7);
    WREN_FUZZ_CHECK(rc == WREN_OK && i == 7, "absent key: %d %lld", rc, (long long)i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object obj;
    s_in = data;
    s_in_len = size;
    if (wren_msgpack_unpack_one((const char *)data, size, &zone, &obj) == WREN_OK) {
        s_check_array(&obj);
        s_check_getters(&obj);
        if (obj.type == MSGPACK_OBJECT_MAP) {
            for (uint32_t i = 0; i < obj.via.map.size && i < 8; i++)
                s_check_array(&obj.via.map.ptr[i].val);
        } else if (obj.type == MSGPACK_OBJECT_ARRAY) {
            for (uint32_t i = 0; i < obj.via.array.size && i < 8; i++)
                s_check_array(&obj.via.array.ptr[i]);
        }
    }
    msgpack_zone_destroy(&zone);
    return 0;
}
