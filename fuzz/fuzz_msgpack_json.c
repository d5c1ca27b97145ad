/*
 * fuzz_msgpack_json: arbitrary bytes as msgpack (what a worker gets as
 * arguments and the SDK as results), through wren_msgpack_unpack_one and
 * wren_msgpack_to_json, then the JSON -> msgpack -> JSON round trip.
 *
 * Properties:
 *  - unpack_one returns OK or EBADINPUT (ENOMEM only for the known depth bug);
 *    on OK the object is at most WREN_MAX_NESTING deep;
 *  - to_json renders every unpacked object (it may fail only when too deep or
 *    out of memory, and unpack_one already bounds the depth);
 *  - with J = to_json(obj): wren_json_to_msgpack(J) succeeds, the bytes unpack
 *    again and render to a value equal to J (byte-exact on keys);
 *  - when J dumps as text, the text loads back equal to J (unless a key holds
 *    NUL: jansson writes such keys but refuses to read them).
 * Known open bugs (fuzz_msgpack_util.h, fuzz_json_util.h) are asserted only
 * with WREN_FUZZ_KNOWN_BUGS=1; their inputs are fuzz/corpus/msgpack_json/crash-*.
 */
#include "fuzz_json_util.h"
#include "fuzz_msgpack_util.h"

static void s_round_trip(const json_t *j)
{
    wren_buf buf;
    wren_buf_init(&buf, 0);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    json_t *j2 = NULL;

    int depth = wren_fuzz_json_depth(j, WREN_MAX_NESTING + 1);
    int rc = wren_fuzz_pack_json(j, &buf);
    if (depth > WREN_MAX_NESTING + 1) {
        WREN_FUZZ_CHECK(rc == WREN_EBADINPUT, "packed JSON %d deep: %d", depth, rc);
        goto cleanup;
    }
    WREN_FUZZ_CHECK(rc == WREN_OK, "wren_json_to_msgpack refused a %d-deep value: %d", depth, rc);

    msgpack_object obj;
    rc = wren_msgpack_unpack_one(buf.data, buf.len, &zone, &obj);
    if (depth > WREN_MAX_NESTING) {
        /* An ext 64 levels down renders as a 65-level object. */
        WREN_FUZZ_CHECK(rc != WREN_OK, "unpacked a %d-deep value", depth);
        goto cleanup;
    }
    if (rc == WREN_ENOMEM && depth > WREN_FUZZ_MSGPACK_MAX_LEVELS && !wren_fuzz_known_bugs())
        goto cleanup; /* known: msgpack-c's fixed stack */
    WREN_FUZZ_CHECK(rc == WREN_OK, "our own %d-deep packing did not unpack: %s", depth, wren_status_name(rc));
    j2 = wren_msgpack_to_json(&obj);
    if (!j2 && !wren_fuzz_known_bugs() && wren_fuzz_msgpack_render_bug(&obj))
        goto cleanup;
    WREN_FUZZ_CHECK(j2 != NULL, "re-rendering failed");
    if (!wren_fuzz_json_equal(j, j2) && !wren_fuzz_known_bugs() && wren_fuzz_json_has_nul_key(j))
        goto cleanup; /* known: keys with NUL bytes are truncated */
    WREN_FUZZ_CHECK(wren_fuzz_json_equal(j, j2), "JSON -> msgpack -> JSON changed the value");

cleanup:
    json_decref(j2);
    msgpack_zone_destroy(&zone);
    wren_buf_clean_up(&buf);
}

static void s_dump_load(const json_t *j)
{
    char *text = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text)
        return; /* strings that are not UTF-8 render but do not dump */
    if (wren_fuzz_json_has_nul_key(j)) {
        free(text); /* jansson dumps "\u0000" in keys but will not load it */
        return;
    }
    json_error_t err;
    json_t *back = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    /* Known: keys that are not UTF-8 dump as broken JSON (jansson writes no
     * key at all for them and does not fail): asserted with the gate on. */
    if ((!back || !wren_fuzz_json_equal(j, back)) && !wren_fuzz_known_bugs() && wren_fuzz_json_has_bad_utf8(j))
        goto cleanup;
    WREN_FUZZ_CHECK(back != NULL, "dumped JSON did not load: %s: %s", err.text, text);
    WREN_FUZZ_CHECK(wren_fuzz_json_equal(j, back), "dump -> load changed the value: %s", text);
cleanup:
    json_decref(back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!wren_fuzz_known_bugs() && !wren_fuzz_msgpack_counts_fit(data, size))
        return -1; /* known: huge up-front allocation; not added to the corpus */
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object obj;
    int rc = wren_msgpack_unpack_one((const char *)data, size, &zone, &obj);
    if (rc == WREN_ENOMEM && !wren_fuzz_known_bugs())
        rc = WREN_EBADINPUT; /* known: too deep for msgpack-c's stack */
    WREN_FUZZ_CHECK(rc == WREN_OK || rc == WREN_EBADINPUT, "unpack_one returned %s", wren_status_name(rc));
    if (rc == WREN_OK) {
        int depth = wren_msgpack_depth(&obj, WREN_MAX_NESTING);
        WREN_FUZZ_CHECK(depth <= WREN_MAX_NESTING, "accepted an object %d deep", depth);
        json_t *j = wren_msgpack_to_json(&obj);
        if (j) {
            s_round_trip(j);
            s_dump_load(j);
            json_decref(j);
        } else {
            WREN_FUZZ_CHECK(!wren_fuzz_known_bugs() && wren_fuzz_msgpack_render_bug(&obj),
                            "wren_msgpack_to_json failed on an unpacked %d-deep object", depth);
        }
    }
    msgpack_zone_destroy(&zone);
    return 0;
}
