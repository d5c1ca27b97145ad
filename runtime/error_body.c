/*
 * runtime/error_body.c: the bytes of an error report. Kept apart from the
 * HTTP code so every byte can be tested against exact expected output.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "runtime_internal.h"

void wren__error_type_clean(const char *type, char *out, size_t out_size)
{
    size_t n = 0;
    size_t cap = out_size - 1 < WREN__ERROR_TYPE_MAX_BYTES ? out_size - 1 : WREN__ERROR_TYPE_MAX_BYTES;
    for (const unsigned char *p = (const unsigned char *)(type ? type : ""); *p && n < cap; p++) {
        if (*p == ' ' && n == 0)
            continue; /* leading space */
        if (*p >= 0x20 && *p <= 0x7E)
            out[n++] = (char)*p;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    if (n == 0)
        snprintf(out, out_size, "%s", "Runtime.Unknown");
}

typedef struct s_dump_ctx {
    wren_buf *out;
    int rc;
} s_dump_ctx;

static int s_dump_to_buf(const char *bytes, size_t len, void *data)
{
    s_dump_ctx *ctx = data;
    ctx->rc = wren_buf_append(ctx->out, bytes, len);
    return ctx->rc == WREN_OK ? 0 : -1;
}

int wren__error_body(const char *clean_type, const char *message, wren_buf *out)
{
    int rc = WREN_OK;
    wren_buf msg;
    json_t *obj = NULL;
    /* The message may be large: cap its clean copy at the output's own cap. */
    wren_buf_init(&msg, out->max_bytes);
    if (!message)
        message = "";
    rc = wren_utf8_sanitize(message, strlen(message), &msg);
    if (rc != WREN_OK)
        goto cleanup;
    obj = json_object();
    if (!obj || json_object_set_new(obj, "errorMessage", json_stringn(msg.data ? msg.data : "", msg.len)) != 0 ||
        json_object_set_new(obj, "errorType", json_string(clean_type)) != 0 ||
        json_object_set_new(obj, "stackTrace", json_array()) != 0) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    /* jansson (>= 2.8) keeps insertion order; without JSON_ENSURE_ASCII it
     * writes UTF-8 as is and escapes only '"', '\\' and control bytes. */
    s_dump_ctx ctx = {out, WREN_OK};
    if (json_dump_callback(obj, s_dump_to_buf, &ctx, JSON_COMPACT) != 0)
        rc = ctx.rc != WREN_OK ? ctx.rc : WREN_ENOMEM;

cleanup:
    json_decref(obj);
    wren_buf_clean_up(&msg);
    return rc;
}
