/*
 * fuzz_event: the worker's event parser and reply builders (bootstrap/),
 * on arbitrary bytes as the event Lambda (or the emulator) delivers.
 *
 * Properties:
 *  - wren__event_parse returns OK or EBADINPUT (ENOMEM aside); a failure
 *    leaves a NUL-terminated reason and an empty event;
 *  - an accepted event is safe to act on: kernel, job and call pass
 *    wren_is_safe_id, job and call come together and with a store, an input
 *    key passes an independent path-traversal oracle (no leading '/', no empty,
 *    "." or ".." segment, no NUL, [A-Za-z0-9._-/] only, <= 1024 bytes),
 *    attempt is in 0..1000000 and t_submit is finite and >= 0;
 *  - wren__event_args gives the msgpack the event carries: base64 decoded
 *    exactly, JSON converted (too deep: EBADINPUT), none: nil;
 *  - wren__response_json over those bytes (as if a kernel echoed them) is
 *    valid JSON whose "result" equals the rendered msgpack, or whose
 *    "result_b64" decodes to the bytes;
 *  - wren__status_json over the event's fields and raw fuzz bytes as the
 *    error message and log tail (not UTF-8, say) is valid JSON that keeps
 *    job, call and kernel and carries the result bytes exactly.
 * (A result holding an ext at the deepest level cannot be rendered: the
 * response is then refused, see fuzz_msgpack_util.h.)
 */
#include <math.h>

#include "bootstrap.h"
#include "fuzz_json_util.h"
#include "fuzz_msgpack_util.h"

static int s_key_oracle(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > 1024 || key[0] == '/' || key[n - 1] == '/' || strstr(key, "//"))
        return 0;
    const char *seg = key;
    while (seg) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.') || len > 128)
            return 0;
        seg = slash ? slash + 1 : NULL;
    }
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-' || c == '/'))
            return 0;
    }
    return 1;
}

static json_t *s_load_json(const wren_buf *b, const char *what)
{
    json_error_t err;
    json_t *j = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
    WREN_FUZZ_CHECK(j != NULL, "%s is not JSON (%s): %.*s", what, err.text, (int)(b->len > 300 ? 300 : b->len),
                    b->data);
    WREN_FUZZ_CHECK(json_is_object(j), "%s is not an object", what);
    return j;
}

static void s_check_response(const wren__event *ev, const char *bytes, size_t len)
{
    wren__timings t = {1763781234.5, 1763781234.6, 0};
    wren_buf out;
    wren_buf_init(&out, 0);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    json_t *resp = NULL, *want = NULL;
    int rc = wren__response_json(ev->kernel, bytes, len, ev->reply_msgpack, 12.0, &t, &out);
    if (ev->reply_msgpack) {
        WREN_FUZZ_CHECK(rc == WREN_OK, "msgpack reply failed: %s", wren_status_name(rc));
        resp = s_load_json(&out, "the msgpack response");
        const char *b64 = json_string_value(json_object_get(resp, "result_b64"));
        WREN_FUZZ_CHECK(b64 != NULL, "no result_b64");
        unsigned char *dec = NULL;
        size_t dec_len = 0;
        WREN_FUZZ_CHECK(wren_base64_decode(b64, strlen(b64), &dec, &dec_len) == WREN_OK && dec_len == len &&
                            (len == 0 || memcmp(dec, bytes, len) == 0),
                        "result_b64 does not carry the result");
        free(dec);
        goto cleanup;
    }
    msgpack_object obj;
    int urc = wren_msgpack_unpack_one(bytes, len, &zone, &obj);
    if (urc != WREN_OK) {
        WREN_FUZZ_CHECK(rc != WREN_OK, "rendered a result that does not unpack");
        goto cleanup;
    }
    want = wren_msgpack_to_json(&obj);
    if (!want) {
        WREN_FUZZ_CHECK(wren_fuzz_msgpack_deep_ext(&obj, 1), "an unpacked result did not render");
        WREN_FUZZ_CHECK(rc != WREN_OK, "a result that does not render was answered");
        goto cleanup;
    }
    WREN_FUZZ_CHECK(rc == WREN_OK, "response over an unpacked result failed: %s", wren_status_name(rc));
    if (wren_fuzz_json_has_nul_key(want))
        goto cleanup; /* valid JSON, but jansson will not load a key holding \u0000 */
    resp = s_load_json(&out, "the response");
    WREN_FUZZ_CHECK(json_integer_value(json_object_get(resp, "wren")) == 1, "response without wren: 1");
    const char *k = json_string_value(json_object_get(resp, "kernel"));
    WREN_FUZZ_CHECK(k && !strcmp(k, ev->kernel), "response names another kernel");
    WREN_FUZZ_CHECK(wren_fuzz_json_equal(json_object_get(resp, "result"), want), "response result differs");
cleanup:
    json_decref(want);
    json_decref(resp);
    msgpack_zone_destroy(&zone);
    wren_buf_clean_up(&out);
}

static void s_check_status(const wren__event *ev, const char *bytes, size_t len, const uint8_t *raw, size_t raw_len)
{
    char text[1025];
    size_t n = raw_len < sizeof text - 1 ? raw_len : sizeof text - 1;
    memcpy(text, raw, n);
    text[n] = '\0';
    wren__status_info in = {
        .job = ev->job, .call = ev->call, .kernel = ev->kernel, .attempt = ev->attempt,
        .ok = raw_len > 0 && (raw[raw_len - 1] & 1), .error_type = "Wren.KernelError", .error_message = text,
        .result = bytes, .result_len = len, .result_bytes = len, .flops = 1.5,
        .has_t_submit = ev->has_t_submit, .t_submit = ev->t_submit, .t_start = 1.0, .instance = "i-fuzz",
        .cold = 1, .log_tail = text,
    };
    wren_buf out;
    wren_buf_init(&out, 0);
    int rc = wren__status_json(&in, &out);
    WREN_FUZZ_CHECK(rc == WREN_OK, "status failed: %s", wren_status_name(rc));
    json_t *st = s_load_json(&out, "the status");
    const char *job = json_string_value(json_object_get(st, "job"));
    const char *kernel = json_string_value(json_object_get(st, "kernel"));
    WREN_FUZZ_CHECK(job && !strcmp(job, ev->job ? ev->job : ""), "status lost the job");
    WREN_FUZZ_CHECK(kernel && !strcmp(kernel, ev->kernel), "status lost the kernel");
    WREN_FUZZ_CHECK(json_is_boolean(json_object_get(st, "ok")), "status without ok");
    if (in.ok) {
        const char *b64 = json_string_value(json_object_get(st, "result_b64"));
        unsigned char *dec = NULL;
        size_t dec_len = 0;
        WREN_FUZZ_CHECK(b64 && wren_base64_decode(b64, strlen(b64), &dec, &dec_len) == WREN_OK && dec_len == len &&
                            (len == 0 || memcmp(dec, bytes, len) == 0),
                        "status result_b64 does not carry the result");
        free(dec);
        WREN_FUZZ_CHECK(!json_object_get(st, "error"), "ok status with an error");
    } else {
        json_t *e = json_object_get(st, "error");
        WREN_FUZZ_CHECK(json_is_string(json_object_get(e, "type")) && json_is_string(json_object_get(e, "message")),
                        "failed status without error type and message");
    }
    json_decref(st);
    wren_buf_clean_up(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wren__event ev;
    char err[256];
    memset(err, 0x55, sizeof err);
    int rc = wren__event_parse((const char *)data, size, &ev, err, sizeof err);
    WREN_FUZZ_CHECK(rc == WREN_OK || rc == WREN_EBADINPUT || rc == WREN_ENOMEM, "parse returned %d", rc);
    if (rc != WREN_OK) {
        WREN_FUZZ_CHECK(ev.root == NULL && ev.kernel == NULL, "failed parse left an event");
        if (rc == WREN_EBADINPUT)
            WREN_FUZZ_CHECK(memchr(err, '\0', sizeof err) && err[0], "failure without a reason");
        return 0;
    }
    WREN_FUZZ_CHECK(ev.kernel && wren_is_safe_id(ev.kernel, strlen(ev.kernel)), "unsafe kernel name");
    WREN_FUZZ_CHECK(!ev.job == !ev.call, "job without call");
    if (ev.job) {
        WREN_FUZZ_CHECK(wren_is_safe_id(ev.job, strlen(ev.job)) && wren_is_safe_id(ev.call, strlen(ev.call)),
                        "unsafe job or call id");
        WREN_FUZZ_CHECK(ev.store != NULL, "job without a store");
        WREN_FUZZ_CHECK(wren__event_has_outcome(&ev), "has_outcome disagrees");
    }
    if (ev.store)
        WREN_FUZZ_CHECK(strlen(ev.store) > 0 && strlen(ev.store) <= WREN__URL_MAX_BYTES, "store URL length");
    WREN_FUZZ_CHECK(ev.attempt >= 0 && ev.attempt <= 1000000, "attempt %lld", (long long)ev.attempt);
    if (ev.has_t_submit)
        WREN_FUZZ_CHECK(isfinite(ev.t_submit) && ev.t_submit >= 0, "t_submit %g", ev.t_submit);

    wren_buf args;
    wren_buf_init(&args, 8u << 20);
    switch (ev.form) {
    case WREN__ARGS_STORE:
        WREN_FUZZ_CHECK(ev.input && s_key_oracle(ev.input), "accepted input key '%s'", ev.input);
        WREN_FUZZ_CHECK(wren__key_ok(ev.input), "wren__key_ok disagrees");
        WREN_FUZZ_CHECK(ev.store != NULL, "input without a store");
        goto done;
    case WREN__ARGS_NONE:
        rc = wren__event_args(&ev, &args, err, sizeof err);
        WREN_FUZZ_CHECK(rc == WREN_OK && args.len == 1 && (uint8_t)args.data[0] == 0xc0, "no args must give nil");
        break;
    case WREN__ARGS_B64: {
        unsigned char *want = NULL;
        size_t want_len = 0;
        int brc = wren_base64_decode(ev.args_b64, ev.args_b64_len, &want, &want_len);
        rc = wren__event_args(&ev, &args, err, sizeof err);
        WREN_FUZZ_CHECK((rc == WREN_OK) == (brc == WREN_OK), "args_b64: %d but base64 says %d", rc, brc);
        if (rc == WREN_OK)
            WREN_FUZZ_CHECK(args.len == want_len && (!want_len || memcmp(args.data, want, want_len) == 0),
                            "args_b64 decoded differently");
        free(want);
        break;
    }
    case WREN__ARGS_JSON: {
        int depth = wren_fuzz_json_depth(ev.args, WREN_MAX_NESTING + 1);
        rc = wren__event_args(&ev, &args, err, sizeof err);
        WREN_FUZZ_CHECK((rc == WREN_OK) == (depth <= WREN_MAX_NESTING), "args %d deep: %s", depth,
                        wren_status_name(rc));
        if (rc == WREN_OK) {
            msgpack_zone zone;
            msgpack_zone_init(&zone, 2048);
            msgpack_object obj;
            int urc = wren_msgpack_unpack_one(args.data, args.len, &zone, &obj);
            WREN_FUZZ_CHECK(urc == WREN_OK, "converted args do not unpack: %s", wren_status_name(urc));
            msgpack_zone_destroy(&zone);
        }
        break;
    }
    }
    if (rc != WREN_OK)
        goto done;
    s_check_response(&ev, args.data, args.len);
    s_check_status(&ev, args.data, args.len, data, size);
done:
    wren_buf_clean_up(&args);
    wren__event_clean_up(&ev);
    return 0;
}
