/*
 * kernels/registry.c: the process-wide kernel registry.
 *
 * Two sources, one list: the explicit built-in table (builtins.c), which is
 * always there because this file references it, and registrations from
 * WREN_KERNEL constructors (in the executable's own objects, or in a shared
 * object loaded at start-up). Constructors run before main() and cannot
 * report anything, so registration only records; wren__kernels_check() is
 * where duplicates and bad names become a start-up failure.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "kernels.h"

typedef struct s_entry {
    const wren_kernel_def *def;
    const char *file; /* NULL for wren_kernel_register() without a place */
    int line;
    char origin[320]; /* filled lazily by s_origin() */
} s_entry;

/* Registrations (not built-ins). Grown with realloc; a failed grow is
 * remembered so that the start-up check fails instead of a kernel silently
 * going missing. */
static s_entry *s_entries;
static size_t s_count;
static size_t s_cap;
static int s_lost;

void wren_kernel_register_at(const wren_kernel_def *def, const char *file, int line)
{
    if (!def) {
        s_lost = 1;
        return;
    }
    if (s_count == s_cap) {
        size_t cap = s_cap ? s_cap * 2 : 16;
        s_entry *p = realloc(s_entries, cap * sizeof *p);
        if (!p) {
            s_lost = 1;
            return;
        }
        s_entries = p;
        s_cap = cap;
    }
    s_entry *e = &s_entries[s_count++];
    memset(e, 0, sizeof *e);
    e->def = def;
    e->file = file;
    e->line = line;
}

void wren_kernel_register(const wren_kernel_def *def)
{
    wren_kernel_register_at(def, NULL, 0);
}

size_t wren__kernels_count(void)
{
    return wren__builtin_kernel_count + s_count;
}

const wren_kernel_def *wren__kernels_at(size_t i)
{
    if (i < wren__builtin_kernel_count)
        return &wren__builtin_kernels[i];
    i -= wren__builtin_kernel_count;
    return i < s_count ? s_entries[i].def : NULL;
}

/* "FILE:LINE in OBJECT": the object is whatever dladdr() says holds the
 * definition (the executable or a shared object), by its base name. */
static const char *s_origin(s_entry *e)
{
    if (e->origin[0])
        return e->origin;
    Dl_info info;
    const char *object = "?";
    if (dladdr((const void *)e->def, &info) && info.dli_fname && info.dli_fname[0]) {
        const char *slash = strrchr(info.dli_fname, '/');
        object = slash ? slash + 1 : info.dli_fname;
    }
    if (e->file)
        snprintf(e->origin, sizeof e->origin, "%s:%d in %s", e->file, e->line, object);
    else
        snprintf(e->origin, sizeof e->origin, "wren_kernel_register() in %s", object);
    return e->origin;
}

const char *wren__kernels_origin(size_t i)
{
    if (i < wren__builtin_kernel_count)
        return "built-in";
    i -= wren__builtin_kernel_count;
    return i < s_count ? s_origin(&s_entries[i]) : "?";
}

/* Lookup is a linear scan: a worker has tens of kernels and looks one up per
 * invocation, next to an HTTP round trip. */
const wren_kernel_def *wren__kernels_find(const char *name, size_t len)
{
    if (!name)
        return NULL;
    size_t n = wren__kernels_count();
    for (size_t i = 0; i < n; i++) {
        const wren_kernel_def *d = wren__kernels_at(i);
        if (d->name && strlen(d->name) == len && memcmp(d->name, name, len) == 0)
            return d;
    }
    return NULL;
}

static void s_msg(char *msg, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void s_msg(char *msg, size_t size, const char *fmt, ...)
{
    if (!msg || size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
}

int wren__kernels_check(char *msg, size_t size)
{
    s_msg(msg, size, "%s", "");
    if (s_lost) {
        s_msg(msg, size, "a kernel registration was lost (out of memory, or a NULL definition)");
        return WREN_EINVAL;
    }
    size_t n = wren__kernels_count();
    for (size_t i = 0; i < n; i++) {
        const wren_kernel_def *d = wren__kernels_at(i);
        if (!d->name || !wren_is_safe_id(d->name, strlen(d->name))) {
            s_msg(msg, size, "kernel name '%.128s' (%s) is not 1-128 characters of [A-Za-z0-9._-]",
                  d->name ? d->name : "(null)", wren__kernels_origin(i));
            return WREN_EINVAL;
        }
        if (!d->fn) {
            s_msg(msg, size, "kernel '%s' (%s) has no function", d->name, wren__kernels_origin(i));
            return WREN_EINVAL;
        }
    }
    /* Quadratic, once, over tens of names. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (!strcmp(wren__kernels_at(i)->name, wren__kernels_at(j)->name)) {
                s_msg(msg, size, "kernel '%s' is registered twice: %s and %s", wren__kernels_at(i)->name,
                      wren__kernels_origin(i), wren__kernels_origin(j));
                return WREN_EEXIST;
            }
    return WREN_OK;
}

int wren__kernels_load_shared(const char *path, char *msg, size_t size)
{
    s_msg(msg, size, "%s", "");
    if (!path || !path[0]) {
        s_msg(msg, size, "no shared object named");
        return WREN_EINVAL;
    }
    size_t before = s_count;
    int lost_before = s_lost;
    /* RTLD_NOW: an unresolved symbol fails here, at start-up, rather than at
     * the first call. RTLD_LOCAL: the object's own symbols stay its own. */
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *err = dlerror();
        s_msg(msg, size, "cannot load kernels from %s: %s", path, err ? err : "dlopen failed");
        return WREN_ENOTFOUND;
    }
    if (s_count == before && s_lost == lost_before) {
        /* Loading the same object twice runs no constructors either. */
        s_msg(msg, size, "%s registered no kernels (are they declared with WREN_KERNEL?)", path);
        return WREN_EINVAL;
    }
    int rc = wren__kernels_check(msg, size);
    if (rc != WREN_OK) {
        /* Roll back so the registry stays consistent; the handle is not
         * closed on purpose (constructors may have registered other state). */
        s_count = before;
        s_lost = lost_before;
    }
    return rc;
}

static int s_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

int wren__kernels_from_handler(const char *task_root, const char *handler, char *msg, size_t size)
{
    if (handler && s_ends_with(handler, ".so")) {
        /* The handler names a file directly in the task root; nothing from
         * the environment is allowed to walk elsewhere. */
        if (strchr(handler, '/') || strstr(handler, "..") || !wren_is_safe_id(handler, strlen(handler))) {
            s_msg(msg, size,
                  "_HANDLER '%.200s' must be a plain file name in LAMBDA_TASK_ROOT ([A-Za-z0-9._-], no '/' or '..')",
                  handler);
            return WREN_EINVAL;
        }
        const char *root = task_root && task_root[0] ? task_root : ".";
        char path[PATH_MAX];
        int w = snprintf(path, sizeof path, "%s/%s", root, handler);
        if (w < 0 || (size_t)w >= sizeof path) {
            s_msg(msg, size, "LAMBDA_TASK_ROOT is too long");
            return WREN_EINVAL;
        }
        return wren__kernels_load_shared(path, msg, size);
    }
    return wren__kernels_check(msg, size);
}
