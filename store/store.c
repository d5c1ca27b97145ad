/*
 * store/store.c: URL parsing, key rules and dispatch to the backends.
 * Every key is checked here, once, before any backend turns it into a path
 * or a URL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define WREN__KEY_MAX_BYTES 1024
#define WREN__SEGMENT_MAX_BYTES 128

static int s_safe_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

int wren_store_key_ok(const char *key)
{
    if (!key)
        return 0;
    size_t len = strnlen(key, WREN__KEY_MAX_BYTES + 1);
    if (len == 0 || len > WREN__KEY_MAX_BYTES)
        return 0;
    const char *seg = key;
    for (;;) {
        const char *slash = memchr(seg, '/', (size_t)(key + len - seg));
        size_t seg_len = slash ? (size_t)(slash - seg) : (size_t)(key + len - seg);
        /* Empty segments ("a//b", "/abs", "a/") and "." / ".." fail here. */
        if (!wren_is_safe_id(seg, seg_len))
            return 0;
        if (!slash)
            return 1;
        seg = slash + 1;
    }
}

int wren__store_prefix_ok(const char *prefix)
{
    if (!prefix)
        return 0;
    size_t len = strnlen(prefix, WREN__KEY_MAX_BYTES + 1);
    if (len == 0)
        return 1;
    if (len > WREN__KEY_MAX_BYTES)
        return 0;
    const char *last = strrchr(prefix, '/');
    if (last) {
        /* Everything before the last '/' is whole segments. */
        size_t dir_len = (size_t)(last - prefix);
        char dir[WREN__KEY_MAX_BYTES + 1];
        memcpy(dir, prefix, dir_len);
        dir[dir_len] = '\0';
        if (!wren_store_key_ok(dir))
            return 0;
    }
    const char *part = last ? last + 1 : prefix;
    size_t part_len = strlen(part);
    if (part_len > WREN__SEGMENT_MAX_BYTES)
        return 0;
    for (size_t i = 0; i < part_len; i++)
        if (!s_safe_char(part[i]))
            return 0;
    return 1;
}

int wren__store_fail(wren_store *st, int status, const char *fmt, ...)
{
    if (st) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->errmsg, sizeof st->errmsg, fmt, ap);
        va_end(ap);
    }
    return status;
}

int wren__store_open_fail(char *err, size_t err_cap, int status, const char *fmt, ...)
{
    if (err && err_cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_cap, fmt, ap);
        va_end(ap);
    }
    return status;
}

int wren_store_open_msg(const char *url, wren_store **out, char *err, size_t err_cap)
{
    if (err && err_cap)
        err[0] = '\0';
    if (!out)
        return wren__store_open_fail(err, err_cap, WREN_EINVAL, "no place for the store");
    *out = NULL;
    if (!url)
        return wren__store_open_fail(err, err_cap, WREN_EINVAL, "no store URL");
    if (!strncmp(url, "file://", 7))
        return wren__store_file_open(url, url + 7, out, err, err_cap);
    if (!strncmp(url, "s3://", 5))
        return wren__store_s3_open(url, url + 5, out, err, err_cap);
    return wren__store_open_fail(err, err_cap, WREN_EINVAL, "unknown store URL scheme (want file:///abs/dir or s3://bucket/prefix)");
}

int wren_store_open(const char *url, wren_store **out)
{
    return wren_store_open_msg(url, out, NULL, 0);
}

void wren_store_destroy(wren_store *st)
{
    if (!st)
        return;
    free(st->url);
    st->ops->destroy(st);
}

const char *wren_store_url(const wren_store *st)
{
    return st ? st->url : "";
}

const char *wren_store_errmsg(const wren_store *st)
{
    return st ? st->errmsg : "no store";
}

/* Refuses a bad key with a message that shows what was refused, made
 * printable, so a caller can see why without a debugger. */
static int s_bad_key(wren_store *st, const char *what, const char *key)
{
    char shown[96];
    size_t n = 0;
    for (const char *p = key ? key : ""; *p && n < sizeof shown - 4; p++)
        shown[n++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
    shown[n] = '\0';
    return wren__store_fail(st, WREN_EINVAL, "invalid %s \"%s\": segments of [A-Za-z0-9._-] (1-128 bytes, not . or ..) "
                                              "separated by single '/', at most 1024 bytes",
                            what, shown);
}

int wren_store_put(wren_store *st, const char *key, const void *data, size_t len)
{
    if (!st)
        return WREN_EINVAL;
    if (!wren_store_key_ok(key))
        return s_bad_key(st, "key", key);
    if (!data && len)
        return wren__store_fail(st, WREN_EINVAL, "put %s: NULL data", key);
    st->errmsg[0] = '\0';
    return st->ops->put(st, key, data ? data : "", len);
}

int wren_store_get(wren_store *st, const char *key, wren_buf *out)
{
    if (!st || !out)
        return WREN_EINVAL;
    if (!wren_store_key_ok(key))
        return s_bad_key(st, "key", key);
    st->errmsg[0] = '\0';
    return st->ops->get(st, key, out);
}

int wren_store_get_range(wren_store *st, const char *key, uint64_t offset, uint64_t len, wren_buf *out)
{
    if (!st || !out)
        return WREN_EINVAL;
    if (!wren_store_key_ok(key))
        return s_bad_key(st, "key", key);
    st->errmsg[0] = '\0';
    if (offset > UINT64_MAX - len)
        len = UINT64_MAX - offset;
    return st->ops->get_range(st, key, offset, len, out);
}

int wren_store_head(wren_store *st, const char *key, uint64_t *size_bytes)
{
    if (!st)
        return WREN_EINVAL;
    if (!wren_store_key_ok(key))
        return s_bad_key(st, "key", key);
    st->errmsg[0] = '\0';
    uint64_t ignored;
    return st->ops->head(st, key, size_bytes ? size_bytes : &ignored);
}

int wren_store_delete(wren_store *st, const char *key)
{
    if (!st)
        return WREN_EINVAL;
    if (!wren_store_key_ok(key))
        return s_bad_key(st, "key", key);
    st->errmsg[0] = '\0';
    return st->ops->del(st, key);
}

int wren_store_list_after(wren_store *st, const char *prefix, const char *start_after, wren_store_list_fn fn,
                          void *user)
{
    if (!st || !fn)
        return WREN_EINVAL;
    if (!prefix)
        prefix = "";
    if (!start_after)
        start_after = "";
    if (!wren__store_prefix_ok(prefix))
        return s_bad_key(st, "prefix", prefix);
    /* Any string of key characters and '/': it goes into a query string
     * (S3) and is only ever compared with keys, never made a path. */
    size_t len = strnlen(start_after, WREN__KEY_MAX_BYTES + 1);
    if (len > WREN__KEY_MAX_BYTES)
        return s_bad_key(st, "start_after", start_after);
    for (size_t i = 0; i < len; i++)
        if (!s_safe_char(start_after[i]) && start_after[i] != '/')
            return s_bad_key(st, "start_after", start_after);
    st->errmsg[0] = '\0';
    return st->ops->list(st, prefix, start_after, fn, user);
}

int wren_store_list(wren_store *st, const char *prefix, wren_store_list_fn fn, void *user)
{
    return wren_store_list_after(st, prefix, NULL, fn, user);
}

int wren_store_delete_prefix(wren_store *st, const char *prefix, uint64_t *deleted)
{
    if (!st)
        return WREN_EINVAL;
    if (!prefix || !prefix[0])
        return wren__store_fail(st, WREN_EINVAL, "delete_prefix: refusing the empty prefix (the whole store)");
    if (!wren__store_prefix_ok(prefix))
        return s_bad_key(st, "prefix", prefix);
    st->errmsg[0] = '\0';
    return st->ops->delete_prefix(st, prefix, deleted);
}
