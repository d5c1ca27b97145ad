/*
 * runtime/error_body.c: the bytes of an error report. Kept apart from the
 * HTTP code so every byte can be tested against exact expected output.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "runtime_internal.h"

static const char s_replacement[3] = {(char)0xEF, (char)0xBF, (char)0xBD};

/* Length of the valid UTF-8 sequence at s[0..avail), or 0 if ill-formed; then
 * *subpart_len is the length of the maximal ill-formed subpart (>= 1): the
 * lead byte and those continuation bytes that could still have begun a valid
 * sequence (Unicode Table 3-7 bounds the second byte per lead byte). */
static size_t s_valid_sequence(const unsigned char *s, size_t avail, size_t *subpart_len)
{
    unsigned char b0 = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (b0 < 0x80)
        return 1;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 3;
        if (b0 == 0xE0)
            lo = 0xA0; /* below is overlong */
        else if (b0 == 0xED)
            hi = 0x9F; /* above is a surrogate */
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 4;
        if (b0 == 0xF0)
            lo = 0x90; /* below is overlong */
        else if (b0 == 0xF4)
            hi = 0x8F; /* above is past U+10FFFF */
    } else {
        *subpart_len = 1; /* 80..C1 (continuation or overlong lead), F5..FF */
        return 0;
    }
    size_t i = 1;
    for (; i < need && i < avail; i++) {
        unsigned char b = s[i];
        unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (b < l || b > h)
            break;
    }
    if (i == need)
        return need;
    *subpart_len = i;
    return 0;
}

int wren__utf8_sanitize(const char *s, size_t len, wren_buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    size_t run = 0; /* start of the current run of valid bytes */
    while (i < len) {
        if (p[i] < 0x80) { /* the common case, one byte at a time */
            i++;
            continue;
        }
        size_t bad = 0;
        size_t n = s_valid_sequence(p + i, len - i, &bad);
        if (n) {
            i += n;
            continue;
        }
        int rc = wren_buf_append(out, s + run, i - run);
        if (rc == WREN_OK)
            rc = wren_buf_append(out, s_replacement, sizeof s_replacement);
        if (rc != WREN_OK)
            return rc;
        i += bad;
        run = i;
    }
    return wren_buf_append(out, s + run, len - run);
}

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
    rc = wren__utf8_sanitize(message, strlen(message), &msg);
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
