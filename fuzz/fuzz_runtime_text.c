/*
 * fuzz_runtime_text: the Runtime API client's text handling (runtime/): what
 * a kernel's or worker's error type and message become on the wire.
 * Input: byte 0 splits the rest into an error type and a message.
 *
 * Properties:
 *  - wren_utf8_sanitize: the output is valid UTF-8 (strict: no overlongs,
 *    surrogates or code points past U+10FFFF); valid input comes out
 *    unchanged; every replaced stretch becomes U+FFFD, so the output is never
 *    longer than 3 bytes per input byte;
 *  - wren__error_type_clean: NUL-terminated, at most 255 bytes, printable
 *    ASCII and inner spaces only (safe as an HTTP header), never empty, no
 *    leading or trailing space;
 *  - wren__error_body: valid JSON {"errorMessage","errorType","stackTrace":[]}
 *    whose errorType is the cleaned type and whose errorMessage is the
 *    sanitized message, byte for byte.
 */
#include "fuzz_json_util.h"
#include "runtime_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return -1;
    size_t split = data[0] < size - 1 ? data[0] : size - 1;
    const char *rest = (const char *)data + 1;
    size_t rest_len = size - 1;

    /* sanitize the whole rest (NULs included) */
    wren_buf clean;
    wren_buf_init(&clean, 0);
    int rc = wren_utf8_sanitize(rest, rest_len, &clean);
    WREN_FUZZ_CHECK(rc == WREN_OK, "sanitize returned %d", rc);
    WREN_FUZZ_CHECK(wren_fuzz_utf8_ok(clean.data, clean.len), "sanitized text is not UTF-8");
    WREN_FUZZ_CHECK(clean.len <= 3 * rest_len, "sanitized %zu bytes into %zu", rest_len, clean.len);
    if (wren_fuzz_utf8_ok(rest, rest_len))
        WREN_FUZZ_CHECK(clean.len == rest_len && (!rest_len || memcmp(clean.data, rest, rest_len) == 0),
                        "valid UTF-8 changed");

    /* type and message as C strings */
    char *type = strndup(rest, split);
    char *msg = strndup(rest + split, rest_len - split);
    WREN_FUZZ_CHECK(type && msg, "strndup");
    char ctype[WREN__ERROR_TYPE_MAX_BYTES + 1];
    memset(ctype, 0x55, sizeof ctype);
    wren__error_type_clean(type, ctype, sizeof ctype);
    size_t tn = strnlen(ctype, sizeof ctype);
    WREN_FUZZ_CHECK(tn > 0 && tn <= WREN__ERROR_TYPE_MAX_BYTES, "cleaned type of %zu bytes", tn);
    WREN_FUZZ_CHECK(ctype[0] != ' ' && ctype[tn - 1] != ' ', "cleaned type has outer spaces: '%s'", ctype);
    for (size_t i = 0; i < tn; i++)
        WREN_FUZZ_CHECK(ctype[i] >= 0x20 && ctype[i] <= 0x7e, "cleaned type holds 0x%02x",
                        (unsigned char)ctype[i]);

    wren_buf body;
    wren_buf_init(&body, 0);
    rc = wren__error_body(ctype, msg, &body);
    WREN_FUZZ_CHECK(rc == WREN_OK, "error body returned %d", rc);
    json_error_t err;
    json_t *j = json_loadb(body.data, body.len, JSON_ALLOW_NUL, &err);
    WREN_FUZZ_CHECK(j != NULL, "error body is not JSON: %s", err.text);
    WREN_FUZZ_CHECK(json_object_size(j) == 3 && json_is_array(json_object_get(j, "stackTrace")),
                    "error body has the wrong fields");
    const char *jt = json_string_value(json_object_get(j, "errorType"));
    WREN_FUZZ_CHECK(jt && !strcmp(jt, ctype), "errorType changed");
    json_t *jm = json_object_get(j, "errorMessage");
    wren_buf want;
    wren_buf_init(&want, 0);
    WREN_FUZZ_CHECK(wren_utf8_sanitize(msg, strlen(msg), &want) == WREN_OK, "sanitize");
    WREN_FUZZ_CHECK(json_is_string(jm) && json_string_length(jm) == want.len &&
                        (!want.len || memcmp(json_string_value(jm), want.data, want.len) == 0),
                    "errorMessage is not the sanitized message");
    json_decref(j);
    wren_buf_clean_up(&want);
    wren_buf_clean_up(&body);
    wren_buf_clean_up(&clean);
    free(type);
    free(msg);
    return 0;
}
