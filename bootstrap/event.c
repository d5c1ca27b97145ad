/* The event: parsed with jansson, every field's type and size checked before
 * use (docs/wire.md). Nothing here touches the network, a store or a kernel. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap.h"

static int s_fail(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int s_fail(char *err, size_t err_size, const char *fmt, ...)
{
    if (err && err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return WREN_EBADINPUT;
}

int wren__key_ok(const char *key)
{
    if (!key)
        return 0;
    size_t len = strlen(key);
    if (len == 0 || len > WREN__KEY_MAX_BYTES)
        return 0;
    const char *seg = key;
    for (;;) {
        const char *slash = strchr(seg, '/');
        size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
        if (!wren_is_safe_id(seg, n))
            return 0;
        if (!slash)
            return 1;
        seg = slash + 1;
    }
}

/* Reads an optional string field: absent is fine (NULL), present must be a
 * string of 1..max_len bytes with no NUL inside. */
static int s_opt_string(json_t *root, const char *name, size_t max_len, const char **out, size_t *out_len, char *err,
                        size_t err_size)
{
    *out = NULL;
    if (out_len)
        *out_len = 0;
    json_t *v = json_object_get(root, name);
    if (!v)
        return WREN_OK;
    if (!json_is_string(v))
        return s_fail(err, err_size, "field '%s' must be a string", name);
    size_t n = json_string_length(v);
    if (n == 0)
        return s_fail(err, err_size, "field '%s' is empty", name);
    if (n > max_len)
        return s_fail(err, err_size, "field '%s' is %zu bytes long (limit %zu)", name, n, max_len);
    const char *s = json_string_value(v);
    if (strlen(s) != n)
        return s_fail(err, err_size, "field '%s' contains a NUL byte", name);
    *out = s;
    if (out_len)
        *out_len = n;
    return WREN_OK;
}

static int s_safe_id_field(json_t *root, const char *name, const char **out, char *err, size_t err_size)
{
    size_t n = 0;
    int rc = s_opt_string(root, name, 128, out, &n, err, err_size);
    if (rc == WREN_OK && *out && !wren_is_safe_id(*out, n))
        return s_fail(err, err_size, "field '%s' must match [A-Za-z0-9._-]{1,128} and not be '.' or '..'", name);
    return rc;
}

void wren__event_clean_up(wren__event *ev)
{
    if (!ev)
        return;
    json_decref(ev->root);
    memset(ev, 0, sizeof *ev);
}

int wren__event_parse(const char *payload, size_t len, wren__event *ev, char *err, size_t err_size)
{
    memset(ev, 0, sizeof *ev);
    if (err && err_size)
        err[0] = '\0';
    int rc = WREN_EBADINPUT;
    if (!payload || len == 0) {
        rc = s_fail(err, err_size, "the event is empty; expected a JSON object with a 'kernel' field");
        goto cleanup;
    }
    if (len > WREN__EVENT_MAX_BYTES) {
        rc = s_fail(err, err_size, "the event is %zu bytes (limit %u)", len, WREN__EVENT_MAX_BYTES);
        goto cleanup;
    }
    json_error_t jerr;
    ev->root = json_loadb(payload, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!ev->root) {
        rc = s_fail(err, err_size, "the event is not valid JSON: %s at line %d column %d", jerr.text, jerr.line,
                    jerr.column);
        goto cleanup;
    }
    if (!json_is_object(ev->root)) {
        rc = s_fail(err, err_size, "the event must be a JSON object, not %s",
                    json_is_array(ev->root) ? "an array" : "a scalar");
        goto cleanup;
    }
    json_t *root = ev->root;

    json_t *ver = json_object_get(root, "wren");
    if (ver && !(json_is_integer(ver) && json_integer_value(ver) == 1)) {
        rc = s_fail(err, err_size, "unsupported event version: field 'wren' must be 1 (or absent)");
        goto cleanup;
    }

    json_t *k = json_object_get(root, "kernel");
    if (!k) {
        rc = s_fail(err, err_size, "the event has no 'kernel' field");
        goto cleanup;
    }
    size_t klen = 0;
    if ((rc = s_opt_string(root, "kernel", 128, &ev->kernel, &klen, err, err_size)) != WREN_OK)
        goto cleanup;
    rc = WREN_EBADINPUT;
    if (!wren_is_safe_id(ev->kernel, klen)) {
        rc = s_fail(err, err_size, "field 'kernel' must match [A-Za-z0-9._-]{1,128}");
        goto cleanup;
    }

    /* Arguments: at most one form. */
    json_t *args = json_object_get(root, "args");
    json_t *b64 = json_object_get(root, "args_b64");
    json_t *input = json_object_get(root, "input");
    int forms = !!args + !!b64 + !!input;
    if (forms > 1) {
        rc = s_fail(err, err_size, "give at most one of 'args', 'args_b64' and 'input' (got %d)", forms);
        goto cleanup;
    }
    if (args) {
        ev->form = WREN__ARGS_JSON;
        ev->args = args;
    } else if (b64) {
        if (!json_is_string(b64)) {
            rc = s_fail(err, err_size, "field 'args_b64' must be a string");
            goto cleanup;
        }
        ev->form = WREN__ARGS_B64;
        ev->args_b64 = json_string_value(b64);
        ev->args_b64_len = json_string_length(b64);
    } else if (input) {
        if ((rc = s_opt_string(root, "input", WREN__KEY_MAX_BYTES, &ev->input, NULL, err, err_size)) != WREN_OK)
            goto cleanup;
        rc = WREN_EBADINPUT;
        if (!wren__key_ok(ev->input)) {
            rc = s_fail(err, err_size, "field 'input' is not a valid store key ('/'-separated [A-Za-z0-9._-] ids)");
            goto cleanup;
        }
        ev->form = WREN__ARGS_STORE;
    }

    if ((rc = s_opt_string(root, "store", WREN__URL_MAX_BYTES, &ev->store, NULL, err, err_size)) != WREN_OK)
        goto cleanup;
    if ((rc = s_safe_id_field(root, "job", &ev->job, err, err_size)) != WREN_OK)
        goto cleanup;
    if ((rc = s_safe_id_field(root, "call", &ev->call, err, err_size)) != WREN_OK)
        goto cleanup;
    rc = WREN_EBADINPUT;
    if (!ev->job != !ev->call) {
        rc = s_fail(err, err_size, "fields 'job' and 'call' must be given together");
        goto cleanup;
    }
    if (ev->job && !ev->store) {
        rc = s_fail(err, err_size, "fields 'job' and 'call' need a 'store' to write the outcome to");
        goto cleanup;
    }
    if (ev->form == WREN__ARGS_STORE && !ev->store) {
        rc = s_fail(err, err_size, "field 'input' needs a 'store' to read it from");
        goto cleanup;
    }

    json_t *att = json_object_get(root, "attempt");
    if (att) {
        if (!json_is_integer(att) || json_integer_value(att) < 0 || json_integer_value(att) > WREN__MAX_ATTEMPT) {
            rc = s_fail(err, err_size, "field 'attempt' must be an integer in 0..1000000");
            goto cleanup;
        }
        ev->attempt = json_integer_value(att);
    }
    json_t *ts = json_object_get(root, "t_submit");
    if (ts && !json_is_null(ts)) {
        double t = json_number_value(ts);
        if (!json_is_number(ts) || !isfinite(t) || t < 0) {
            rc = s_fail(err, err_size, "field 't_submit' must be a non-negative number (epoch seconds)");
            goto cleanup;
        }
        ev->t_submit = t;
        ev->has_t_submit = 1;
    }
    json_t *reply = json_object_get(root, "reply");
    if (reply) {
        const char *r = json_string_value(reply);
        if (!r || (strcmp(r, "json") != 0 && strcmp(r, "msgpack") != 0)) {
            rc = s_fail(err, err_size, "field 'reply' must be \"json\" or \"msgpack\"");
            goto cleanup;
        }
        ev->reply_msgpack = !strcmp(r, "msgpack");
    }
    rc = WREN_OK;
cleanup:
    if (rc != WREN_OK)
        wren__event_clean_up(ev);
    return rc;
}

int wren__event_has_outcome(const wren__event *ev)
{
    return ev->store && ev->job && ev->call;
}

int wren__event_args(const wren__event *ev, wren_buf *out, char *err, size_t err_size)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, wren_buf_msgpack_write);
    switch (ev->form) {
    case WREN__ARGS_NONE:
        msgpack_pack_nil(&pk);
        break;
    case WREN__ARGS_JSON:
        if (wren_json_to_msgpack(ev->args, &pk) != WREN_OK && !out->failed)
            return s_fail(err, err_size, "field 'args' nests deeper than %d levels", WREN_MAX_NESTING);
        break;
    case WREN__ARGS_B64: {
        unsigned char *bytes = NULL;
        size_t n = 0;
        int rc = wren_base64_decode(ev->args_b64, ev->args_b64_len, &bytes, &n);
        if (rc == WREN_EBADINPUT)
            return s_fail(err, err_size, "field 'args_b64' is not valid base64 (standard alphabet, padded)");
        if (rc != WREN_OK)
            return rc;
        rc = wren_buf_append(out, bytes, n);
        free(bytes);
        if (rc != WREN_OK)
            return rc;
        break;
    }
    case WREN__ARGS_STORE:
        return WREN_EINVAL;
    }
    if (out->failed)
        return WREN_ENOMEM;
    return WREN_OK;
}
