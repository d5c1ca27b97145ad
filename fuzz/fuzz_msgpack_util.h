/*
 * fuzz/fuzz_msgpack_util.h: msgpack helpers for the harnesses.
 *
 * Fixed bugs these harnesses found in common/json_msgpack.c (their inputs
 * are now seeds, fuzz/corpus/NAME/regress-*): msgpack-c allocating a 32-bit
 * container count up front (5 bytes asked for 128 GiB), empty strings with a
 * NULL pointer failing to render, non-UTF-8 strings and keys rendering as
 * broken JSON, keys truncated at a NUL, and msgpack-c's 32-container stack
 * answering ENOMEM below the advertised nesting limit.
 */
#ifndef WREN_FUZZ_MSGPACK_UTIL_H
#define WREN_FUZZ_MSGPACK_UTIL_H

#include <msgpack.h>

#include "fuzz_util.h"
#include "wren_common.h"

/* True if obj holds an ext value `level` levels down or deeper (the top is
 * level 1) at level WREN_MAX_NESTING: an ext renders as an object
 * {"ext", "data"}, one level more than it took in msgpack, so one at the
 * deepest level cannot be rendered within the limit. */
static inline int wren_fuzz_msgpack_deep_ext(const msgpack_object *o, int level)
{
    switch (o->type) {
    case MSGPACK_OBJECT_EXT:
        return level >= WREN_MAX_NESTING;
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < o->via.array.size; i++)
            if (wren_fuzz_msgpack_deep_ext(&o->via.array.ptr[i], level + 1))
                return 1;
        return 0;
    case MSGPACK_OBJECT_MAP:
        for (uint32_t i = 0; i < o->via.map.size; i++)
            if (wren_fuzz_msgpack_deep_ext(&o->via.map.ptr[i].key, level + 1) ||
                wren_fuzz_msgpack_deep_ext(&o->via.map.ptr[i].val, level + 1))
                return 1;
        return 0;
    default:
        return 0;
    }
}

/* True if some map key is an array, a map or an ext: the only keys whose JSON
 * text can pass WREN_MAX_KEY_TEXT_BYTES (rendering then refuses the value). */
static inline int wren_fuzz_msgpack_container_key(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < o->via.array.size; i++)
            if (wren_fuzz_msgpack_container_key(&o->via.array.ptr[i]))
                return 1;
        return 0;
    case MSGPACK_OBJECT_MAP:
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            msgpack_object_type t = o->via.map.ptr[i].key.type;
            if (t == MSGPACK_OBJECT_ARRAY || t == MSGPACK_OBJECT_MAP || t == MSGPACK_OBJECT_EXT ||
                wren_fuzz_msgpack_container_key(&o->via.map.ptr[i].val))
                return 1;
        }
        return 0;
    default:
        return 0;
    }
}

#endif
