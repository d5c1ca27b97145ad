/*
 * fuzz_json_msgpack: arbitrary text as JSON (the event's "args", and any JSON
 * a user hands the CLI), through wren_json_to_msgpack, wren_msgpack_unpack_one
 * and wren_msgpack_to_json.
 *
 * Properties, for every text jansson loads (JSON_DECODE_ANY | JSON_ALLOW_NUL):
 *  - values deeper than WREN_MAX_NESTING are refused with EBADINPUT; others
 *    pack, unpack again and render to a value equal to the input (keys
 *    compared byte for byte): JSON -> msgpack -> JSON is the identity.
 */
#include "fuzz_json_util.h"
#include "fuzz_msgpack_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!j)
        return 0;
    wren_buf buf;
    wren_buf_init(&buf, 0);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    json_t *j2 = NULL;

    int depth = wren_fuzz_json_depth(j, WREN_MAX_NESTING + 1);
    int rc = wren_fuzz_pack_json(j, &buf);
    if (depth > WREN_MAX_NESTING) {
        WREN_FUZZ_CHECK(rc == WREN_EBADINPUT, "packed JSON %d deep: %s", depth, wren_status_name(rc));
        goto cleanup;
    }
    WREN_FUZZ_CHECK(rc == WREN_OK, "refused a %d-deep value: %s", depth, wren_status_name(rc));
    msgpack_object obj;
    rc = wren_msgpack_unpack_one(buf.data, buf.len, &zone, &obj);
    WREN_FUZZ_CHECK(rc == WREN_OK, "packed %d-deep JSON did not unpack: %s", depth, wren_status_name(rc));
    j2 = wren_msgpack_to_json(&obj);
    WREN_FUZZ_CHECK(j2 != NULL, "rendering failed");
    WREN_FUZZ_CHECK(wren_fuzz_json_equal(j, j2), "JSON -> msgpack -> JSON changed the value");

cleanup:
    json_decref(j2);
    json_decref(j);
    msgpack_zone_destroy(&zone);
    wren_buf_clean_up(&buf);
    return 0;
}
