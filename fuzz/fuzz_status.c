/*
 * fuzz_status: the SDK's reader of status objects (sdk/status_obj.c), the
 * JSON a worker writes to the store and the host reads back: on S3 anyone
 * with write access to the bucket can put bytes there.
 *
 * Properties: wren__status_parse returns OK or EBADINPUT (ENOMEM aside) and
 * leaks nothing; on OK the object is consistent: an ok status has exactly one
 * of result_b64 (decoded) and result_key, a failed one has an error type;
 * clean-up is idempotent; wren__error_status maps any type to a valid status.
 * Also the other way: every status wren__status_json (bootstrap) writes for
 * an event parses back to the same fields.
 */
#include "fuzz_util.h"
#include "sdk_internal.h"
#ifdef WREN_FUZZ_HAVE_BOOTSTRAP
#include "bootstrap.h"

/* Writes a status with the bootstrap's writer from fuzz bytes (the message,
 * log tail and result), reads it back with the SDK's reader. */
static void s_round_trip(const uint8_t *data, size_t size)
{
    char text[1025];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    int ok = size > 0 && (data[0] & 1);
    wren__status_info in = {
        .job = "j-fuzz", .call = "00000001", .kernel = "echo", .attempt = (int64_t)(size % 7), .ok = ok,
        .error_type = "Wren.KernelError", .error_message = text, .result = (const char *)data,
        .result_len = size, .result_bytes = size, .flops = 2.0, .has_t_submit = 1, .t_submit = 1763781234.25,
        .t_start = 1763781234.5, .instance = "i-fuzz", .cold = 1, .log_tail = text,
    };
    wren_buf out;
    wren_buf_init(&out, 0);
    WREN_FUZZ_CHECK(wren__status_json(&in, &out) == WREN_OK, "status_json failed");
    wren__status st;
    int rc = wren__status_parse(out.data, out.len, &st);
    WREN_FUZZ_CHECK(rc == WREN_OK, "the SDK refused the bootstrap's status: %s", out.data);
    WREN_FUZZ_CHECK(st.ok == ok && st.attempt == (int)(size % 7), "ok/attempt changed");
    WREN_FUZZ_CHECK(st.kernel && !strcmp(st.kernel, "echo"), "kernel changed");
    WREN_FUZZ_CHECK(st.t_submit == 1763781234.25 && st.t_start == 1763781234.5 && st.cold == 1, "times changed");
    if (ok) {
        WREN_FUZZ_CHECK(st.has_result_b64 && st.result_len == size && (!size || !memcmp(st.result, data, size)),
                        "result changed");
    } else {
        WREN_FUZZ_CHECK(st.error_type && !strcmp(st.error_type, "Wren.KernelError"), "error type changed");
        /* Text that is valid UTF-8 comes back exactly; other text is mended. */
        WREN_FUZZ_CHECK(st.error_message != NULL, "error message lost");
    }
    wren__status_clean_up(&st);
    wren_buf_clean_up(&out);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wren__status st;
    memset(&st, 0x55, sizeof st);
#ifdef WREN_FUZZ_HAVE_BOOTSTRAP
    s_round_trip(data, size);
#endif
    int rc = wren__status_parse((const char *)data, size, &st);
    WREN_FUZZ_CHECK(rc == WREN_OK || rc == WREN_EBADINPUT || rc == WREN_ENOMEM, "parse returned %d", rc);
    if (rc == WREN_OK) {
        WREN_FUZZ_CHECK(st.ok == 0 || st.ok == 1, "ok = %d", st.ok);
        if (st.ok) {
            WREN_FUZZ_CHECK(!!st.has_result_b64 != !!st.result_key, "ok status needs one of result_b64/result_key");
            if (st.has_result_b64 && st.result_len)
                WREN_FUZZ_CHECK(st.result != NULL, "result_b64 without bytes");
        } else {
            /* An empty "type" gets the default (regress-empty-error-type). */
            WREN_FUZZ_CHECK(st.error_type != NULL, "failed status without an error type");
            WREN_FUZZ_CHECK(st.error_type[0], "failed status with an empty error type");
            int s = wren__error_status(st.error_type);
            WREN_FUZZ_CHECK(wren_fuzz_status_valid(s) && s != WREN_OK, "error type maps to %d", s);
            int r = wren__error_retryable(st.error_type);
            WREN_FUZZ_CHECK(r == 0 || r == 1, "retryable = %d", r);
        }
        if (st.kernel)
            (void)strlen(st.kernel);
        if (st.error_message)
            (void)strlen(st.error_message);
        if (st.log_tail)
            (void)strlen(st.log_tail);
        if (st.result_len)
            WREN_FUZZ_CHECK(((volatile unsigned char *)st.result)[st.result_len - 1] || 1, "result");
        wren__status_clean_up(&st);
        wren__status_clean_up(&st);
    }
    return 0;
}
