/*
 * fuzz_msgpack_json: arbitrary bytes as msgpack (what a worker gets as
 * arguments and the SDK as results), through wren_msgpack_unpack_one and
 * wren_msgpack_to_json, then the JSON -> msgpack -> JSON round trip.
 *
 * Properties:
 *  - unpack_one returns OK or EBADINPUT, never ENOMEM on these small inputs
 *    (it refuses container counts the bytes cannot hold before msgpack-c
 *    allocates); on OK the object is at most WREN_MAX_NESTING deep;
 *  - to_json renders every unpacked object (but an ext at the deepest level,
 *    which renders one level deeper, and container keys whose JSON text is
 *    over WREN_MAX_KEY_TEXT_BYTES), with every string and key valid UTF-8;
 *  - with J = to_json(obj): wren_json_to_msgpack(J) succeeds, the bytes unpack
 *    again and render to a value equal to J, keys compared byte for byte;
 *  - J dumps as JSON text that loads back equal to J (unless a key holds NUL:
 *    jansson writes such keys but refuses to read them).
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
    WREN_FUZZ_CHECK(depth <= WREN_MAX_NESTING, "rendered JSON %d deep", depth);
    int rc = wren_fuzz_pack_json(j, &buf);
    WREN_FUZZ_CHECK(rc == WREN_OK, "wren_json_to_msgpack refused a %d-deep value: %s", depth, wren_status_name(rc));
    msgpack_object obj;
    rc = wren_msgpack_unpack_one(buf.data, buf.len, &zone, &obj);
    WREN_FUZZ_CHECK(rc == WREN_OK, "our own %d-deep packing did not unpack: %s", depth, wren_status_name(rc));
    j2 = wren_msgpack_to_json(&obj);
    WREN_FUZZ_CHECK(j2 != NULL, "re-rendering failed");
    WREN_FUZZ_CHECK(wren_fuzz_json_equal(j, j2), "JSON -> msgpack -> JSON changed the value");

    json_decref(j2);
    msgpack_zone_destroy(&zone);
    wren_buf_clean_up(&buf);
}

static void s_dump_load(const json_t *j)
{
    char *text = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    WREN_FUZZ_CHECK(text != NULL, "rendered JSON does not dump");
    if (!wren_fuzz_json_has_nul_key(j)) { /* jansson dumps "\u0000" in keys but will not load it */
        json_error_t err;
        json_t *back = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
        WREN_FUZZ_CHECK(back != NULL, "dumped JSON did not load: %s: %s", err.text, text);
        WREN_FUZZ_CHECK(wren_fuzz_json_equal(j, back), "dump -> load changed the value: %s", text);
        json_decref(back);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object obj;
    int rc = wren_msgpack_unpack_one((const char *)data, size, &zone, &obj);
    WREN_FUZZ_CHECK(rc == WREN_OK || rc == WREN_EBADINPUT, "unpack_one returned %s", wren_status_name(rc));
    if (rc == WREN_OK) {
        int depth = wren_msgpack_depth(&obj, WREN_MAX_NESTING);
        WREN_FUZZ_CHECK(depth <= WREN_MAX_NESTING, "accepted an object %d deep", depth);
        json_t *j = wren_msgpack_to_json(&obj);
        if (j) {
            WREN_FUZZ_CHECK(!wren_fuzz_json_has_bad_utf8(j), "rendered text that is not UTF-8");
            s_round_trip(j);
            s_dump_load(j);
            json_decref(j);
        } else {
            WREN_FUZZ_CHECK(wren_fuzz_msgpack_deep_ext(&obj, 1) || wren_fuzz_msgpack_container_key(&obj),
                            "wren_msgpack_to_json failed on an unpacked %d-deep object", depth);
        }
    }
    msgpack_zone_destroy(&zone);
    return 0;
}
