/* Conversions between msgpack objects and jansson values, bounded in depth. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wren_common.h"

static json_t *s_to_json(const msgpack_object *o, int depth);

/* A JSON string from bytes that may not be UTF-8 (or may be a NULL pointer
 * with length 0, as msgpack-c gives for an empty str). */
static json_t *s_text(const char *p, size_t n)
{
    if (n == 0)
        return json_string("");
    wren_buf b;
    wren_buf_init(&b, 0);
    json_t *j = NULL;
    if (wren_utf8_sanitize(p, n, &b) == WREN_OK)
        j = json_stringn_nocheck(b.data, b.len);
    wren_buf_clean_up(&b);
    return j;
}

static json_t *s_bytes_to_b64(const char *p, size_t n)
{
    size_t len = 0;
    char *b64 = wren_base64_encode(p, n, &len);
    if (!b64)
        return NULL;
    json_t *j = json_stringn(b64, len);
    free(b64);
    return j;
}

static json_t *s_map_to_json(const msgpack_object_map *m, int depth)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object *k = &m->ptr[i].key;
        json_t *v = s_to_json(&m->ptr[i].val, depth + 1);
        if (!v)
            goto fail;
        int rc;
        /* Keys keep their length (a NUL inside stays); a non-string key
         * becomes its own JSON text. */
        json_t *kj = s_to_json(k, depth + 1);
        char *text = NULL;
        if (kj && json_is_string(kj))
            rc = json_object_setn_new_nocheck(obj, json_string_value(kj), json_string_length(kj), v);
        else if (kj && (text = json_dumps(kj, JSON_ENCODE_ANY | JSON_COMPACT)) != NULL &&
                 strlen(text) <= WREN_MAX_KEY_TEXT_BYTES)
            rc = json_object_set_new_nocheck(obj, text, v);
        else
            rc = -1, json_decref(v);
        free(text);
        json_decref(kj);
        if (rc != 0)
            goto fail;
    }
    return obj;
fail:
    json_decref(obj);
    return NULL;
}

/* depth: how many containers enclose o (0 at the top). */
static json_t *s_to_json(const msgpack_object *o, int depth)
{
    if (depth >= WREN_MAX_NESTING)
        return NULL;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return json_null();
    case MSGPACK_OBJECT_BOOLEAN:
        return json_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > (uint64_t)INT64_MAX)
            return json_real((double)o->via.u64); /* JSON integers here are int64 */
        return json_integer((json_int_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return json_integer((json_int_t)o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        if (!isfinite(o->via.f64))
            return json_null();
        return json_real(o->via.f64);
    case MSGPACK_OBJECT_STR:
        return s_text(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_BIN:
        return s_bytes_to_b64(o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_EXT: {
        /* An ext renders as an object {"ext", "data"}: one level more than it
         * took in msgpack, so one at the deepest level would give JSON that
         * wren_json_to_msgpack refuses (found by fuzz_msgpack_json). */
        if (depth + 1 >= WREN_MAX_NESTING)
            return NULL;
        json_t *data = s_bytes_to_b64(o->via.ext.ptr, o->via.ext.size);
        return data ? json_pack("{s:i,s:o}", "ext", (int)o->via.ext.type, "data", data) : NULL;
    }
    case MSGPACK_OBJECT_ARRAY: {
        json_t *arr = json_array();
        if (!arr)
            return NULL;
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            json_t *v = s_to_json(&o->via.array.ptr[i], depth + 1);
            if (!v || json_array_append_new(arr, v) != 0) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    case MSGPACK_OBJECT_MAP:
        return s_map_to_json(&o->via.map, depth);
    }
    return NULL;
}

json_t *wren_msgpack_to_json(const msgpack_object *obj)
{
    return s_to_json(obj, 0);
}

/* depth: how many containers enclose j (0 at the top). */
static int s_pack_json(const json_t *j, msgpack_packer *pk, int depth)
{
    if (depth >= WREN_MAX_NESTING)
        return WREN_EBADINPUT;
    int rc = 0;
    switch (json_typeof(j)) {
    case JSON_NULL:
        rc = msgpack_pack_nil(pk);
        break;
    case JSON_TRUE:
        rc = msgpack_pack_true(pk);
        break;
    case JSON_FALSE:
        rc = msgpack_pack_false(pk);
        break;
    case JSON_INTEGER:
        rc = msgpack_pack_int64(pk, (int64_t)json_integer_value(j));
        break;
    case JSON_REAL:
        rc = msgpack_pack_double(pk, json_real_value(j));
        break;
    case JSON_STRING: {
        size_t n = json_string_length(j);
        rc = msgpack_pack_str_with_body(pk, json_string_value(j), n);
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        rc = msgpack_pack_array(pk, n);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            int r = s_pack_json(json_array_get(j, i), pk, depth + 1);
            if (r != WREN_OK)
                return r;
        }
        break;
    }
    case JSON_OBJECT: {
        rc = msgpack_pack_map(pk, json_object_size(j));
        for (void *it = json_object_iter((json_t *)j); rc == 0 && it; it = json_object_iter_next((json_t *)j, it)) {
            rc = msgpack_pack_str_with_body(pk, json_object_iter_key(it), json_object_iter_key_len(it));
            if (rc == 0) {
                int r = s_pack_json(json_object_iter_value(it), pk, depth + 1);
                if (r != WREN_OK)
                    return r;
            }
        }
        break;
    }
    }
    return rc == 0 ? WREN_OK : WREN_ENOMEM;
}

int wren_json_to_msgpack(const json_t *json, msgpack_packer *pk)
{
    return s_pack_json(json, pk, 0);
}

int wren_msgpack_depth(const msgpack_object *o, int cap)
{
    if (cap < 0)
        return 1;
    int best = 0;
    if (o->type == MSGPACK_OBJECT_ARRAY) {
        for (uint32_t i = 0; i < o->via.array.size && best <= cap; i++) {
            int d = wren_msgpack_depth(&o->via.array.ptr[i], cap - 1);
            if (d > best)
                best = d;
        }
    } else if (o->type == MSGPACK_OBJECT_MAP) {
        for (uint32_t i = 0; i < o->via.map.size && best <= cap; i++) {
            int d = wren_msgpack_depth(&o->via.map.ptr[i].key, cap - 1);
            int e = wren_msgpack_depth(&o->via.map.ptr[i].val, cap - 1);
            if (d > best)
                best = d;
            if (e > best)
                best = e;
        }
    }
    return best + 1;
}

static uint64_t s_be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Walks msgpack bytes without allocating, the way msgpack-c will read them,
 * and refuses what msgpack-c must not see: a container whose count could not
 * fit in the bytes left (every element takes at least one byte; msgpack-c
 * allocates the elements first, so five bytes could ask for gigabytes),
 * nesting deeper than WREN_MAX_NESTING, a truncated value, byte 0xc1, or
 * bytes after the one object. */
static int s_msgpack_check(const unsigned char *p, size_t len)
{
    /* left[d]: values still to read at container depth d (0: the top). */
    uint64_t left[WREN_MAX_NESTING + 1];
    int depth = 0;
    size_t off = 0;
    left[0] = 1;
    while (depth >= 0) {
        if (left[depth] == 0) {
            depth--;
            continue;
        }
        left[depth]--;
        if (off >= len)
            return WREN_EBADINPUT;
        unsigned char b = p[off++];
        int len_bytes = 0;     /* bytes of a length field that follows */
        uint64_t skip = 0;     /* payload bytes after it */
        int container = 0;     /* 1 array, 2 map */
        uint64_t count = 0;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            /* fixint, nil, bool */
        } else if (b <= 0x8f) {
            container = 2, count = b & 0x0f;
        } else if (b <= 0x9f) {
            container = 1, count = b & 0x0f;
        } else if (b <= 0xbf) {
            skip = b & 0x1f;
        } else {
            switch (b) {
            case 0xc4: case 0xd9: len_bytes = 1; break;            /* bin8, str8 */
            case 0xc5: case 0xda: len_bytes = 2; break;            /* bin16, str16 */
            case 0xc6: case 0xdb: len_bytes = 4; break;            /* bin32, str32 */
            case 0xc7: len_bytes = 1, skip = 1; break;             /* ext8: + type */
            case 0xc8: len_bytes = 2, skip = 1; break;
            case 0xc9: len_bytes = 4, skip = 1; break;
            case 0xca: skip = 4; break;                            /* float32 */
            case 0xcb: skip = 8; break;                            /* float64 */
            case 0xcc: case 0xd0: skip = 1; break;
            case 0xcd: case 0xd1: skip = 2; break;
            case 0xce: case 0xd2: skip = 4; break;
            case 0xcf: case 0xd3: skip = 8; break;
            case 0xd4: skip = 2; break;                            /* fixext 1..16: type + data */
            case 0xd5: skip = 3; break;
            case 0xd6: skip = 5; break;
            case 0xd7: skip = 9; break;
            case 0xd8: skip = 17; break;
            case 0xdc: container = 1, len_bytes = 2; break;
            case 0xdd: container = 1, len_bytes = 4; break;
            case 0xde: container = 2, len_bytes = 2; break;
            case 0xdf: container = 2, len_bytes = 4; break;
            default: return WREN_EBADINPUT;                        /* 0xc1: never used */
            }
        }
        if (len_bytes) {
            if ((size_t)len_bytes > len - off)
                return WREN_EBADINPUT;
            uint64_t n = s_be(p + off, len_bytes);
            off += (size_t)len_bytes;
            if (container)
                count = n;
            else
                skip += n;
        }
        if (container) {
            uint64_t values = container == 2 ? count * 2 : count;
            if (values > len - off)
                return WREN_EBADINPUT;
            if (values) { /* its values have depth+1 containers around them */
                if (depth + 1 >= WREN_MAX_NESTING)
                    return WREN_EBADINPUT;
                left[++depth] = values;
            }
        } else {
            if (skip > len - off)
                return WREN_EBADINPUT;
            off += (size_t)skip;
        }
    }
    return off == len ? WREN_OK : WREN_EBADINPUT;
}

int wren_msgpack_unpack_one(const char *bytes, size_t len, msgpack_zone *zone, msgpack_object *out)
{
    int rc = s_msgpack_check((const unsigned char *)bytes, len);
    if (rc != WREN_OK)
        return rc;
    size_t off = 0;
    msgpack_unpack_return r = msgpack_unpack(bytes, len, &off, zone, out);
    if (r == MSGPACK_UNPACK_SUCCESS && off == len)
        return WREN_OK;
    if (r == MSGPACK_UNPACK_NOMEM_ERROR)
        return WREN_ENOMEM;
    return WREN_EBADINPUT;
}
