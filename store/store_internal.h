/*
 * store/store_internal.h: what the backends of wren_store share.
 * Not installed. Each backend embeds `wren_store` as its first member and
 * fills in an ops table; store.c checks keys and dispatches.
 */
#ifndef WREN_STORE_INTERNAL_H
#define WREN_STORE_INTERNAL_H

#include <stdarg.h>

#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WREN__STORE_ERRMSG_BYTES 512

typedef struct wren__store_ops {
    const char *scheme;
    int (*put)(wren_store *st, const char *key, const void *data, size_t len);
    int (*get)(wren_store *st, const char *key, wren_buf *out);
    int (*get_range)(wren_store *st, const char *key, uint64_t offset, uint64_t len, wren_buf *out);
    int (*head)(wren_store *st, const char *key, uint64_t *size_bytes);
    int (*del)(wren_store *st, const char *key);
    /* start_after: "" for from the start, else checked by store.c. */
    int (*list)(wren_store *st, const char *prefix, const char *start_after, wren_store_list_fn fn, void *user);
    int (*delete_prefix)(wren_store *st, const char *prefix, uint64_t *deleted);
    void (*destroy)(wren_store *st);
} wren__store_ops;

struct wren_store {
    const wren__store_ops *ops;
    char *url; /* owned copy of the URL it was opened with */
    char errmsg[WREN__STORE_ERRMSG_BYTES];
};

/* Sets the store's errmsg (printf-style) and returns `status`, so a backend
 * can write `return wren__store_fail(st, WREN_EIO, "...")`. Never put a
 * secret in the message. */
int wren__store_fail(wren_store *st, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* True if `prefix` is a valid list prefix: "" or a key prefix whose last
 * segment may be partial (but not empty unless the prefix ends with '/'). */
int wren__store_prefix_ok(const char *prefix);

/* Backend constructors: take the part of the URL after "scheme://"; on
 * failure write a message into err (err_cap bytes) when err is not NULL. */
int wren__store_file_open(const char *url, const char *path, wren_store **out, char *err, size_t err_cap);
int wren__store_s3_open(const char *url, const char *bucket_and_prefix, wren_store **out, char *err, size_t err_cap);

/* snprintf into err if err is not NULL; returns status. */
int wren__store_open_fail(char *err, size_t err_cap, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#ifdef __cplusplus
}
#endif
#endif
