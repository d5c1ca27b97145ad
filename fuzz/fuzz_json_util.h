/*
 * fuzz/fuzz_json_util.h: JSON helpers for the harnesses that convert between
 * msgpack and JSON (jansson).
 */
#ifndef WREN_FUZZ_JSON_UTIL_H
#define WREN_FUZZ_JSON_UTIL_H

#include <jansson.h>
#include <msgpack.h>

#include "fuzz_util.h"
#include "wren_common.h"

/* Levels of nesting: a scalar is 1, [1] is 2 (as wren_msgpack_depth counts).
 * Stops counting past cap + 1. */
static inline int wren_fuzz_json_depth(const json_t *j, int cap)
{
    if (cap < 0)
        return 1;
    int best = 0;
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j) && best <= cap; i++) {
            int d = wren_fuzz_json_depth(json_array_get(j, i), cap - 1);
            best = d > best ? d : best;
        }
    } else if (json_is_object(j)) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)j, key, val)
        {
            int d = wren_fuzz_json_depth(val, cap - 1);
            best = d > best ? d : best;
            if (best > cap)
                break;
        }
    }
    return best + 1;
}

/* True if any object key (at any depth) holds a NUL byte. */
static inline int wren_fuzz_json_has_nul_key(const json_t *j)
{
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++)
            if (wren_fuzz_json_has_nul_key(json_array_get(j, i)))
                return 1;
    } else if (json_is_object(j)) {
        const char *key;
        size_t key_len;
        json_t *val;
        json_object_keylen_foreach((json_t *)j, key, key_len, val)
        {
            if (memchr(key, '\0', key_len) || wren_fuzz_json_has_nul_key(val))
                return 1;
        }
    }
    return 0;
}

/* Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF),
 * as jansson checks it when loading. */
static inline int wren_fuzz_utf8_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t len;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4, cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

/* True if any string or object key (at any depth) is not valid UTF-8:
 * wren_msgpack_to_json builds such values with jansson's *_nocheck calls. */
static inline int wren_fuzz_json_has_bad_utf8(const json_t *j)
{
    if (json_is_string(j))
        return !wren_fuzz_utf8_ok(json_string_value(j), json_string_length(j));
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++)
            if (wren_fuzz_json_has_bad_utf8(json_array_get(j, i)))
                return 1;
    } else if (json_is_object(j)) {
        const char *key;
        size_t key_len;
        json_t *val;
        json_object_keylen_foreach((json_t *)j, key, key_len, val)
        {
            if (!wren_fuzz_utf8_ok(key, key_len) || wren_fuzz_json_has_bad_utf8(val))
                return 1;
        }
    }
    return 0;
}

/* json_equal, but byte-exact on object keys: jansson's own json_equal looks
 * keys up as C strings, so {"a\0b": 1} and {"a": 1} compare equal there. */
static inline int wren_fuzz_json_equal(const json_t *a, const json_t *b)
{
    if (!a || !b || json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        const char *key;
        size_t key_len;
        json_t *val;
        json_object_keylen_foreach((json_t *)a, key, key_len, val)
        {
            if (!wren_fuzz_json_equal(val, json_object_getn(b, key, key_len)))
                return 0;
        }
        return 1;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!wren_fuzz_json_equal(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    return json_equal(a, b); /* scalars: strings compare by length and bytes */
}

/* Packs json with wren_json_to_msgpack into buf (which the caller cleans up). */
static inline int wren_fuzz_pack_json(const json_t *j, wren_buf *buf)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, wren_buf_msgpack_write);
    int rc = wren_json_to_msgpack(j, &pk);
    if (rc == WREN_OK && buf->failed)
        rc = WREN_ENOMEM;
    return rc;
}

#endif
