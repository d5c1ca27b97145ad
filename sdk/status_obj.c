/* The worker's status object (docs/wire.md), error typing, and small helpers. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdk_internal.h"
#include "store.h"

/* Longest strings kept from a status: anything longer is cut, never trusted. */
#define S_TEXT_MAX 16384

static char *s_dup_str(const json_t *j)
{
    if (!json_is_string(j))
        return NULL;
    size_t n = json_string_length(j);
    if (n > S_TEXT_MAX)
        n = S_TEXT_MAX;
    return strndup(json_string_value(j), n);
}

static double s_num(const json_t *j)
{
    return json_is_number(j) ? json_number_value(j) : 0.0;
}

void wren__status_clean_up(wren__status *s)
{
    if (!s)
        return;
    free(s->kernel);
    free(s->error_type);
    free(s->error_message);
    free(s->log_tail);
    free(s->result);
    free(s->result_key);
    free(s->instance);
    memset(s, 0, sizeof *s);
}

int wren__status_parse(const char *text, size_t len, wren__status *out)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    int rc = WREN_EBADINPUT;
    if (!json_is_object(root))
        goto cleanup;
    json_t *ok = json_object_get(root, "ok");
    json_t *wren = json_object_get(root, "wren");
    if (!json_is_boolean(ok) || (wren && (!json_is_integer(wren) || json_integer_value(wren) != 1)))
        goto cleanup;
    out->ok = json_is_true(ok);
    json_t *att = json_object_get(root, "attempt");
    if (att && (!json_is_integer(att) || json_integer_value(att) < 0 || json_integer_value(att) > 1000000))
        goto cleanup;
    out->attempt = att ? (int)json_integer_value(att) : 0;
    out->kernel = s_dup_str(json_object_get(root, "kernel"));
    out->log_tail = s_dup_str(json_object_get(root, "log_tail"));
    out->instance = s_dup_str(json_object_get(root, "instance"));
    out->flops = s_num(json_object_get(root, "flops"));
    out->t_submit = s_num(json_object_get(root, "t_submit"));
    out->t_start = s_num(json_object_get(root, "t_start"));
    out->t_setup = s_num(json_object_get(root, "t_setup"));
    out->t_kernel = s_num(json_object_get(root, "t_kernel"));
    out->t_written = s_num(json_object_get(root, "t_written"));
    out->cold = json_is_true(json_object_get(root, "cold"));
    if (!out->ok) {
        json_t *e = json_object_get(root, "error");
        out->error_type = s_dup_str(json_object_get(e, "type"));
        out->error_message = s_dup_str(json_object_get(e, "message"));
        if (out->error_type && !out->error_type[0]) {
            free(out->error_type); /* an empty type is no type: never hand the caller an untyped failure */
            out->error_type = NULL;
        }
        if (!out->error_type)
            out->error_type = strdup("Wren.KernelError");
        if (!out->error_message)
            out->error_message = strdup("");
        if (!out->error_type || !out->error_message) {
            rc = WREN_ENOMEM;
            goto cleanup;
        }
    } else {
        json_t *b64 = json_object_get(root, "result_b64");
        json_t *key = json_object_get(root, "result_key");
        if ((b64 != NULL) == (key != NULL))
            goto cleanup;
        if (b64) {
            if (!json_is_string(b64))
                goto cleanup;
            rc = wren_base64_decode(json_string_value(b64), json_string_length(b64), &out->result,
                                    &out->result_len);
            if (rc != WREN_OK)
                goto cleanup;
            out->has_result_b64 = 1;
            rc = WREN_EBADINPUT;
        } else {
            out->result_key = s_dup_str(key);
            if (!out->result_key || !wren_store_key_ok(out->result_key))
                goto cleanup;
        }
    }
    rc = WREN_OK;
cleanup:
    json_decref(root);
    if (rc != WREN_OK)
        wren__status_clean_up(out);
    return rc;
}

typedef struct s_type_map {
    const char *type;
    int status;
    int retryable;
} s_type_map;

static const s_type_map s_types[] = {
    {"Wren.KernelError", WREN_EKERNEL, 0},     {"Wren.UnknownKernel", WREN_EUNKNOWNKERNEL, 0},
    {"Wren.BadInput", WREN_EBADINPUT, 0},      {"Wren.BadEvent", WREN_EBADINPUT, 0},
    {"Wren.KernelCrash", WREN_ECRASH, 1},      {"Runtime.ExitError", WREN_ECRASH, 1},
    {"Sandbox.Timedout", WREN_ETIMEDOUT, 1},   {"Wren.Timeout", WREN_ETIMEDOUT, 1},
    {"Wren.StoreError", WREN_ESTORE, 1},       {"Wren.OutputTooLarge", WREN_ETOOBIG, 0},
    {"Wren.Throttled", WREN_ETHROTTLED, 0},    {"Wren.InvokeError", WREN_EHTTP, 0},
    {"Wren.Cancelled", WREN_ECANCELLED, 0},    {"Wren.MapFailed", WREN_EKERNEL, 0},
};

int wren__error_status(const char *type)
{
    for (size_t i = 0; type && i < sizeof s_types / sizeof *s_types; i++)
        if (!strcmp(type, s_types[i].type))
            return s_types[i].status;
    /* Kernel-chosen types (Wren.SingularMatrix) are kernel errors. */
    return WREN_EKERNEL;
}

int wren__error_retryable(const char *type)
{
    for (size_t i = 0; type && i < sizeof s_types / sizeof *s_types; i++)
        if (!strcmp(type, s_types[i].type))
            return s_types[i].retryable;
    return 0;
}

int wren__default_store_url(char *buf, size_t size)
{
    const char *e = getenv("WREN_STORE");
    int n;
    if (e && *e)
        n = snprintf(buf, size, "%s", e);
    else if ((e = getenv("XDG_CACHE_HOME")) && e[0] == '/')
        n = snprintf(buf, size, "file://%s/wren/store", e);
    else if ((e = getenv("HOME")) && e[0] == '/')
        n = snprintf(buf, size, "file://%s/.cache/wren/store", e);
    else
        return WREN_EINVAL;
    return n > 0 && (size_t)n < size ? WREN_OK : WREN_ETOOBIG;
}

static int s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

int wren__remove_tree(const char *path)
{
    if (!path || !*path || !strcmp(path, "/"))
        return WREN_EINVAL;
    return nftw(path, s_rm, 32, FTW_DEPTH | FTW_PHYS) == 0 ? WREN_OK : WREN_EIO;
}
