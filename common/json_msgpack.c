/* Conversions between msgpack objects and jansson values, bounded in depth. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wren_common.h"

static json_t *s_to_json(const msgpack_object *o, int depth);

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
        if (k->type == MSGPACK_OBJECT_STR) {
            rc = json_object_setn_new_nocheck(obj, k->via.str.ptr, k->via.str.size, v);
        } else {
            json_t *kj = s_to_json(k, depth + 1);
            char *text = kj ? json_dumps(kj, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
            json_decref(kj);
            if (!text) {
                json_decref(v);
                goto fail;
            }
            rc = json_object_set_new_nocheck(obj, text, v);
            free(text);
        }
        if (rc != 0)
            goto fail;
    }
    return obj;
fail:
    json_decref(obj);
    return NULL;
}

static json_t *s_to_json(const msgpack_object *o, int depth)
{
    if (depth > WREN_MAX_NESTING)
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
        return json_stringn_nocheck(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_BIN:
        return s_bytes_to_b64(o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_EXT: {
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

static int s_pack_json(const json_t *j, msgpack_packer *pk, int depth)
{
    if (depth > WREN_MAX_NESTING)
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
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)j, key, val)
        {
            if (rc != 0)
                break;
            rc = msgpack_pack_str_with_body(pk, key, strlen(key));
            if (rc == 0) {
                int r = s_pack_json(val, pk, depth + 1);
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

int wren_msgpack_unpack_one(const char *bytes, size_t len, msgpack_zone *zone, msgpack_object *out)
{
    size_t off = 0;
    msgpack_unpack_return r = msgpack_unpack(bytes, len, &off, zone, out);
    if (r == MSGPACK_UNPACK_SUCCESS && off == len) {
        /* msgpack-c recurses on unpack; refuse what we would not render. */
        if (wren_msgpack_depth(out, WREN_MAX_NESTING) > WREN_MAX_NESTING)
            return WREN_EBADINPUT;
        return WREN_OK;
    }
    if (r == MSGPACK_UNPACK_NOMEM_ERROR)
        return WREN_ENOMEM;
    return WREN_EBADINPUT;
}
