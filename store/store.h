/*
 * store/store.h: the object store the worker and the SDK share.
 * Internal (not installed). Backends: file://DIR (default locally) and, in a
 * later issue, s3://BUCKET/PREFIX. Keys are relative ("JOB/CALL/out"): a key
 * is 1..1024 bytes of segments separated by '/', each segment passing
 * wren_is_safe_id(). Nothing from the wire becomes a path without that check.
 */
#ifndef WREN_STORE_H
#define WREN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "wren_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wren_store wren_store;

/* Opens a store from a URL: "file:///abs/dir" (the directory is created if
 * missing) or "s3://bucket/prefix". Makes its own copy of the URL.
 * WREN_EINVAL for an unknown scheme or a relative file path. */
int wren_store_open(const char *url, wren_store **out);

/* As wren_store_open, and on failure also writes why into err (err_cap
 * bytes; may be NULL): the bad part of the URL, the path and errno text, or
 * "no AWS credentials ...". Never a secret. */
int wren_store_open_msg(const char *url, wren_store **out, char *err, size_t err_cap);
void wren_store_destroy(wren_store *st); /* NULL-safe */

/* The URL it was opened with (for events that tell the worker where to write). */
const char *wren_store_url(const wren_store *st);

/* Writes the whole object atomically: a reader sees the old object, or the
 * new one whole, never a part. Copies nothing it does not need to. */
int wren_store_put(wren_store *st, const char *key, const void *data, size_t len);

/* Reads the whole object into `out` (appended; out's cap applies:
 * WREN_ETOOBIG past it). WREN_ENOTFOUND if absent. */
int wren_store_get(wren_store *st, const char *key, wren_buf *out);

/* Reads bytes [offset, offset + len) of the object into `out` (appended;
 * out's cap applies): fewer if the object ends first, none if offset is at
 * or past its end (still WREN_OK). WREN_ENOTFOUND if absent. S3: a Range GET. */
int wren_store_get_range(wren_store *st, const char *key, uint64_t offset, uint64_t len, wren_buf *out);

/* WREN_OK if present (size in *size_bytes if not NULL), WREN_ENOTFOUND if not. */
int wren_store_head(wren_store *st, const char *key, uint64_t *size_bytes);

/* Deletes; absent keys are not an error. */
int wren_store_delete(wren_store *st, const char *key);

/* Calls fn for every key that starts with `prefix` ("" for all), in
 * lexicographic order, with the key relative to the store's root and its size.
 * fn returns 0 to go on, non-zero to stop (then list returns WREN_OK). */
typedef int (*wren_store_list_fn)(const char *key, uint64_t size_bytes, void *user);
int wren_store_list(wren_store *st, const char *prefix, wren_store_list_fn fn, void *user);

/* As wren_store_list, but only keys after `start_after` in byte order (S3's
 * ListObjectsV2 StartAfter): a poller lists from its lowest unfinished item
 * on. start_after need not be a key; NULL or "" means from the start; else
 * it is up to 1024 bytes of key characters and '/' (WREN_EINVAL otherwise).
 * The file store skips whole directories that sort before it unread. */
int wren_store_list_after(wren_store *st, const char *prefix, const char *start_after, wren_store_list_fn fn,
                          void *user);

/* Deletes every key that starts with `prefix` (a list prefix, not ""):
 * S3 in batches of up to 1000 (DeleteObjects), a directory walk locally.
 * Adds the number deleted to *deleted when not NULL. Keys written meanwhile
 * under the prefix may survive. */
int wren_store_delete_prefix(wren_store *st, const char *prefix, uint64_t *deleted);

/* True if the key is well formed (see above). */
int wren_store_key_ok(const char *key);

/* file:// only: when on, put fsyncs the object and its directory before
 * returning, so it survives a power cut (costs a few ms per put; off by
 * default, or on when WREN_STORE_FSYNC=1 at open). A no-op on S3. */
int wren_store_set_sync(wren_store *st, int on);

/* Detail of the last failure (path, errno text, HTTP status); never NULL. */
const char *wren_store_errmsg(const wren_store *st);

#ifdef __cplusplus
}
#endif
#endif
