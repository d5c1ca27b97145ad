/*
 * fuzz/fuzz_msgpack_util.h: msgpack helpers for the harnesses.
 *
 * Known open bugs in common/json_msgpack.c that these helpers let a harness
 * step around (each is asserted when WREN_FUZZ_KNOWN_BUGS=1; see
 * docs/fuzzing.md and the crash-* inputs in fuzz/corpus/):
 *  - huge counts: msgpack-c allocates count * sizeof(msgpack_object) up front
 *    for an array32/map32 header, so 5 bytes (dd ff ff ff ff) ask malloc for
 *    128 GiB; wren_msgpack_unpack_one does not bound counts by the bytes left.
 *  - empty strings: msgpack-c leaves via.str.ptr NULL for some zero-length
 *    strings (a bare a0, the first key of a map), and wren_msgpack_to_json
 *    hands that NULL to jansson, which refuses it: "" does not render.
 *  - non-string keys holding strings that are not UTF-8 do not render either.
 *  - depth: msgpack-c's unpacker has a fixed stack of MSGPACK_EMBED_STACK_SIZE
 *    (32) containers and answers NOMEM past it, so wren_msgpack_unpack_one
 *    returns WREN_ENOMEM (not EBADINPUT) for anything over 33 levels, below
 *    the WREN_MAX_NESTING (64) that wren_json_to_msgpack and
 *    wren_msgpack_to_json accept.
 */
#ifndef WREN_FUZZ_MSGPACK_UTIL_H
#define WREN_FUZZ_MSGPACK_UTIL_H

#include <msgpack.h>
#include <msgpack/unpack_define.h> /* MSGPACK_EMBED_STACK_SIZE */

#include "fuzz_util.h"

/* Levels (a scalar or an empty container is 1) msgpack-c surely unpacks:
 * its stack holds 32 containers, and whether a 33rd level passes depends on
 * what sits there. */
#define WREN_FUZZ_MSGPACK_MAX_LEVELS MSGPACK_EMBED_STACK_SIZE

static inline uint64_t wren_fuzz_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* False if some array16/32 or map16/32 header in these msgpack bytes declares
 * more elements than there are bytes left. For 32-bit counts that is the
 * huge-count bug above; for 16-bit ones (up to 4 MiB up front, each time) it
 * only makes fuzzing slow. Either way such input can only fail as truncated,
 * so harnesses skip it unless WREN_FUZZ_KNOWN_BUGS=1. Walks the headers
 * without allocating; stops at the end of the first object or at truncation. */
static inline int wren_fuzz_msgpack_counts_fit(const uint8_t *p, size_t n)
{
    size_t pos = 0;
    uint64_t pending = 1;
    while (pending > 0 && pos < n) {
        uint8_t c = p[pos++];
        size_t left = n - pos;
        uint64_t skip = 0, items = 0;
        pending--;
        if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc1 || c == 0xc2 || c == 0xc3) {
            skip = 0;
        } else if (c <= 0x8f) {
            items = 2u * (c & 0x0f);
        } else if (c <= 0x9f) {
            items = c & 0x0f;
        } else if (c <= 0xbf) {
            skip = c & 0x1f;
        } else {
            static const uint8_t fixed[] = {
                [0xca - 0xc4] = 4, [0xcb - 0xc4] = 8, [0xcc - 0xc4] = 1, [0xcd - 0xc4] = 2,
                [0xce - 0xc4] = 4, [0xcf - 0xc4] = 8, [0xd0 - 0xc4] = 1, [0xd1 - 0xc4] = 2,
                [0xd2 - 0xc4] = 4, [0xd3 - 0xc4] = 8, [0xd4 - 0xc4] = 2, [0xd5 - 0xc4] = 3,
                [0xd6 - 0xc4] = 5, [0xd7 - 0xc4] = 9, [0xd8 - 0xc4] = 17,
            };
            size_t lenbytes = 0;
            switch (c) {
            case 0xc4: case 0xd9: lenbytes = 1; break;
            case 0xc5: case 0xda: lenbytes = 2; break;
            case 0xc6: case 0xdb: lenbytes = 4; break;
            case 0xc7: lenbytes = 1; break;
            case 0xc8: lenbytes = 2; break;
            case 0xc9: lenbytes = 4; break;
            case 0xdc: case 0xde: lenbytes = 2; break;
            case 0xdd: case 0xdf: lenbytes = 4; break;
            default: skip = fixed[c - 0xc4]; break;
            }
            if (lenbytes) {
                if (left < lenbytes)
                    return 1;
                uint64_t v = wren_fuzz_be(p + pos, lenbytes);
                pos += lenbytes;
                left -= lenbytes;
                if (c == 0xdc || c == 0xdd) {
                    items = v;
                } else if (c == 0xde || c == 0xdf) {
                    items = 2 * v;
                } else {
                    skip = v + (c >= 0xc7 && c <= 0xc9); /* ext: the type byte */
                }
                if ((c == 0xdc || c == 0xdd || c == 0xde || c == 0xdf) && v > left)
                    return 0;
            }
        }
        if (skip > n - pos)
            return 1; /* truncated */
        pos += (size_t)skip;
        pending += items;
    }
    return 1;
}

/* True if obj holds a zero-length str (value or key) whose pointer is NULL,
 * or a map key that is not a str (the two rendering bugs above). */
static inline int wren_fuzz_msgpack_render_bug(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        return o->via.str.size == 0 && o->via.str.ptr == NULL;
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < o->via.array.size; i++)
            if (wren_fuzz_msgpack_render_bug(&o->via.array.ptr[i]))
                return 1;
        return 0;
    case MSGPACK_OBJECT_MAP:
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR || wren_fuzz_msgpack_render_bug(&kv->key) ||
                wren_fuzz_msgpack_render_bug(&kv->val))
                return 1;
        }
        return 0;
    default:
        return 0;
    }
}

#endif
