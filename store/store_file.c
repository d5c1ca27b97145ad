/*
 * store/store_file.c: the file:// backend. A key "a/b/c" is the file
 * ROOT/a/b/c. Every operation works relative to a descriptor of ROOT held
 * open (the *at() calls), so no path is ever built from ROOT's text and a key
 * can only name something beneath ROOT (keys are checked in store.c first).
 *
 * Atomicity: put writes a temporary file in the object's own directory under
 * a name no key can have ('#' is not a key character), then rename()s it over
 * the key. rename() within one directory is atomic, so readers see the old
 * object or the new one whole; list skips names that are not valid key
 * segments, so temporaries never show.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "store_internal.h"

#define S_KEY_MAX 1024
#define S_TMP_PREFIX "#wren-tmp."
/* How often put re-creates directories that a concurrent delete removed
 * under it before giving up. */
#define S_PUT_ATTEMPTS 64

typedef struct s_file_store {
    wren_store base;
    int root_fd;
    char *root; /* for messages only */
    int sync;   /* fsync file and directory on put */
    /* The last put had to create its directory: the next one probably
     * will too (a worker writes each call's status into a new JOB/CALL/),
     * so it makes the directory first instead of failing an open first. */
    int mkdir_first;
    char tmp_tag[17]; /* random, per handle: temporary names need no getrandom each */
    unsigned long tmp_seq;
} s_file_store;

static s_file_store *s_fs(wren_store *st)
{
    return (s_file_store *)st;
}

/* Creates every directory of the relative path `dir` (no trailing '/')
 * under root_fd. EEXIST is success; ENOENT (a concurrent delete removed a
 * parent) is handed back so the caller can retry. */
static int s_mkdirs_at(int root_fd, const char *dir)
{
    char path[S_KEY_MAX + 1];
    size_t n = strlen(dir);
    if (n > S_KEY_MAX)
        return ENAMETOOLONG;
    memcpy(path, dir, n + 1);
    for (size_t i = 0; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char saved = path[i];
        path[i] = '\0';
        if (mkdirat(root_fd, path, 0700) != 0 && errno != EEXIST)
            return errno;
        path[i] = saved;
    }
    return 0;
}

/* mkdir -p for an absolute path, for the root only. */
static int s_mkdirs_abs(const char *abs)
{
    char *path = strdup(abs);
    if (!path)
        return ENOMEM;
    int err = 0;
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (path[1] && mkdir(path, 0700) != 0 && errno != EEXIST) {
            err = errno;
            break;
        }
        *p = saved;
        if (!saved)
            break;
    }
    free(path);
    return err;
}

static int s_write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t w = write(fd, data, len > (size_t)SSIZE_MAX ? (size_t)SSIZE_MAX : len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

static int s_errno_status(int err)
{
    switch (err) {
    case ENOMEM:
        return WREN_ENOMEM;
    case ENOENT:
    case ENOTDIR:
        return WREN_ENOTFOUND;
    case EACCES:
    case EPERM:
        return WREN_EAUTH;
    default:
        return WREN_EIO;
    }
}

static int s_file_put(wren_store *st, const char *key, const void *data, size_t len)
{
    s_file_store *fs = s_fs(st);
    const char *slash = strrchr(key, '/');
    char dir[S_KEY_MAX + 1] = "";
    char tmp[S_KEY_MAX + 64];
    int fd = -1, rc = WREN_OK, have_tmp = 0;
    if (slash) {
        memcpy(dir, key, (size_t)(slash - key));
        dir[slash - key] = '\0';
    }
    int made_dir = 0;
    if (dir[0] && fs->mkdir_first) {
        if (mkdirat(fs->root_fd, dir, 0700) == 0)
            made_dir = 1;
        else if (errno == ENOENT && s_mkdirs_at(fs->root_fd, dir) == 0)
            made_dir = 1;
        /* EEXIST, or anything else: the open below says what is wrong. */
    }
    for (int attempt = 0;; attempt++) {
        /* Unique per process (pid), handle (random tag) and put (counter);
         * O_EXCL catches the rest, such as a crashed writer's leftover. */
        snprintf(tmp, sizeof tmp, "%s%s" S_TMP_PREFIX "%ld.%s.%lu", dir, dir[0] ? "/" : "", (long)getpid(),
                 fs->tmp_tag, fs->tmp_seq++);
        fd = openat(fs->root_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            break;
        int err = errno;
        if (err == EEXIST && attempt < S_PUT_ATTEMPTS)
            continue;
        if (err == ENOENT && dir[0] && attempt < S_PUT_ATTEMPTS) {
            /* The directory does not exist (yet, or any more, if a delete
             * emptied and removed it meanwhile): its parent most likely
             * does, so one mkdir first, then the whole path. */
            if (mkdirat(fs->root_fd, dir, 0700) == 0 || errno == EEXIST) {
                made_dir = 1;
                continue;
            }
            err = errno == ENOENT ? s_mkdirs_at(fs->root_fd, dir) : errno;
            if (err == 0 || err == ENOENT) {
                made_dir = 1;
                continue;
            }
        }
        if (err == ENOTDIR)
            rc = wren__store_fail(st, WREN_ESTORE, "put %s: a parent of the key is an object in %s", key, fs->root);
        else
            rc = wren__store_fail(st, s_errno_status(err) == WREN_EAUTH ? WREN_EAUTH : WREN_EIO,
                                  "put %s: cannot create a file in %s/%s: %s", key, fs->root, dir, strerror(err));
        goto cleanup;
    }
    fs->mkdir_first = made_dir;
    have_tmp = 1;
    int err = s_write_all(fd, data, len);
    if (!err && fs->sync && fsync(fd) != 0)
        err = errno;
    if (err) {
        rc = wren__store_fail(st, WREN_EIO, "put %s: write to %s: %s", key, fs->root, strerror(err));
        goto cleanup;
    }
    int cfd = fd;
    fd = -1;
    if (close(cfd) != 0) {
        rc = wren__store_fail(st, WREN_EIO, "put %s: close in %s: %s", key, fs->root, strerror(errno));
        goto cleanup;
    }
    if (renameat(fs->root_fd, tmp, fs->root_fd, key) != 0) {
        err = errno;
        if (err == EISDIR || err == ENOTEMPTY || err == EEXIST)
            rc = wren__store_fail(st, WREN_ESTORE, "put %s: the key is a prefix of other keys in %s", key, fs->root);
        else
            rc = wren__store_fail(st, WREN_EIO, "put %s: rename in %s: %s", key, fs->root, strerror(err));
        goto cleanup;
    }
    have_tmp = 0;
    if (fs->sync) {
        /* The rename is durable only once the directory is. */
        int dfd = openat(fs->root_fd, dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            if (fsync(dfd) != 0)
                rc = wren__store_fail(st, WREN_EIO, "put %s: fsync of directory: %s", key, strerror(errno));
            close(dfd);
        }
    }
cleanup:
    if (fd >= 0)
        close(fd);
    if (have_tmp)
        unlinkat(fs->root_fd, tmp, 0);
    return rc;
}

static int s_file_get(wren_store *st, const char *key, wren_buf *out)
{
    s_file_store *fs = s_fs(st);
    int rc = WREN_OK;
    int fd = openat(fs->root_fd, key, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT || err == ENOTDIR || err == ELOOP)
            return wren__store_fail(st, WREN_ENOTFOUND, "get %s: no such object in %s", key, fs->root);
        return wren__store_fail(st, s_errno_status(err), "get %s: open in %s: %s", key, fs->root, strerror(err));
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        rc = wren__store_fail(st, WREN_EIO, "get %s: fstat: %s", key, strerror(errno));
        goto cleanup;
    }
    if (!S_ISREG(sb.st_mode)) {
        rc = wren__store_fail(st, WREN_ENOTFOUND, "get %s: no such object in %s (a prefix)", key, fs->root);
        goto cleanup;
    }
    /* Objects are replaced by rename, never written in place, so the size
     * is the size; check the cap before reading a byte. */
    size_t start = out->len;
    rc = wren_buf_reserve(out, (size_t)sb.st_size);
    if (rc != WREN_OK) {
        rc = wren__store_fail(st, rc, "get %s: object of %lld bytes does not fit the buffer's cap", key,
                              (long long)sb.st_size);
        goto cleanup;
    }
    size_t want = (size_t)sb.st_size;
    while (out->len - start < want) {
        ssize_t r = read(fd, out->data + out->len, want - (out->len - start));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = wren__store_fail(st, WREN_EIO, "get %s: read: %s", key, strerror(errno));
            out->len = start;
            goto cleanup;
        }
        if (r == 0)
            break;
        out->len += (size_t)r;
    }
    out->data[out->len] = '\0';
cleanup:
    close(fd);
    return rc;
}

static int s_file_get_range(wren_store *st, const char *key, uint64_t offset, uint64_t len, wren_buf *out)
{
    s_file_store *fs = s_fs(st);
    int rc = WREN_OK;
    int fd = openat(fs->root_fd, key, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT || err == ENOTDIR || err == ELOOP)
            return wren__store_fail(st, WREN_ENOTFOUND, "get %s: no such object in %s", key, fs->root);
        return wren__store_fail(st, s_errno_status(err), "get %s: open in %s: %s", key, fs->root, strerror(err));
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        rc = wren__store_fail(st, WREN_ENOTFOUND, "get %s: no such object in %s", key, fs->root);
        goto cleanup;
    }
    uint64_t size = (uint64_t)sb.st_size;
    uint64_t want = offset >= size ? 0 : (size - offset < len ? size - offset : len);
    if (want > SIZE_MAX / 2 || (rc = wren_buf_reserve(out, (size_t)want)) != WREN_OK) {
        rc = wren__store_fail(st, rc ? rc : WREN_ETOOBIG, "get %s: %llu bytes do not fit the buffer's cap", key,
                              (unsigned long long)want);
        goto cleanup;
    }
    size_t start = out->len;
    while (out->len - start < want) {
        ssize_t r = pread(fd, out->data + out->len, (size_t)want - (out->len - start),
                          (off_t)(offset + (out->len - start)));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = wren__store_fail(st, WREN_EIO, "get %s: read: %s", key, strerror(errno));
            out->len = start;
            break;
        }
        if (r == 0)
            break;
        out->len += (size_t)r;
    }
    if (out->data)
        out->data[out->len] = '\0';
cleanup:
    close(fd);
    return rc;
}

static int s_file_head(wren_store *st, const char *key, uint64_t *size_bytes)
{
    s_file_store *fs = s_fs(st);
    struct stat sb;
    if (fstatat(fs->root_fd, key, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
        int err = errno;
        if (err == ENOENT || err == ENOTDIR)
            return wren__store_fail(st, WREN_ENOTFOUND, "head %s: no such object in %s", key, fs->root);
        return wren__store_fail(st, s_errno_status(err), "head %s: stat in %s: %s", key, fs->root, strerror(err));
    }
    if (!S_ISREG(sb.st_mode))
        return wren__store_fail(st, WREN_ENOTFOUND, "head %s: no such object in %s", key, fs->root);
    *size_bytes = (uint64_t)sb.st_size;
    return WREN_OK;
}

static int s_file_delete(wren_store *st, const char *key)
{
    s_file_store *fs = s_fs(st);
    if (unlinkat(fs->root_fd, key, 0) != 0) {
        int err = errno;
        if (err == ENOENT || err == ENOTDIR || err == EISDIR)
            return WREN_OK;
        return wren__store_fail(st, s_errno_status(err) == WREN_EAUTH ? WREN_EAUTH : WREN_EIO,
                                "delete %s: unlink in %s: %s", key, fs->root, strerror(err));
    }
    /* Remove the directories this left empty, deepest first, so a deleted
     * job leaves nothing behind. rmdir refuses a non-empty directory, so a
     * concurrent put into the same directory (which holds its temporary file
     * there first) is never harmed; a put that loses the race re-creates. */
    char dir[S_KEY_MAX + 1];
    snprintf(dir, sizeof dir, "%s", key);
    for (char *slash = strrchr(dir, '/'); slash; slash = strrchr(dir, '/')) {
        *slash = '\0';
        if (unlinkat(fs->root_fd, dir, AT_REMOVEDIR) != 0)
            break;
    }
    return WREN_OK;
}

/* ---- list --------------------------------------------------------------- */

typedef struct s_entry {
    char name[129];
    unsigned char is_dir;
} s_entry;

typedef struct s_list_ctx {
    wren_store *st;
    wren_store_list_fn fn;
    void *user;
    char key[S_KEY_MAX + 2];
    int stopped;
    _Alignas(8) char dents[32768]; /* getdents64 records, reused at every level */
} s_list_ctx;

/* Orders siblings as their keys sort: a directory "a" stands for keys
 * "a/...", so it compares as "a/" ("a-x" < "a/..." < "a0"). */
static int s_entry_cmp(const void *pa, const void *pb)
{
    const s_entry *a = pa, *b = pb;
    const unsigned char *x = (const unsigned char *)a->name, *y = (const unsigned char *)b->name;
    for (;; x++, y++) {
        int cx = *x ? *x : (a->is_dir ? '/' : 0);
        int cy = *y ? *y : (b->is_dir ? '/' : 0);
        if (cx != cy || cx == 0 || cx == '/')
            return cx - cy;
    }
}

/* Walks the directory open at dfd (takes ownership of dfd), whose keys start
 * with ctx->key[0..keylen), emitting entries whose names start with
 * name_prefix. Entries that vanish mid-walk (concurrent deletes) are
 * skipped, not errors. */
/* With `after` the part of start_after past this directory's key (NULL: no
 * bound here), true if the entry may hold keys after start_after: a file
 * whose name sorts after it, or a directory "d" whose keys "d/..." do not
 * all sort before it. */
static int s_after(const char *name, size_t nl, int is_dir, const char *after)
{
    if (!after)
        return 1;
    if (!is_dir)
        return strcmp(name, after) > 0;
    int c = strncmp(name, after, nl);
    if (c)
        return c > 0;
    /* after starts with the name: the directory stands for name + '/'. */
    return after[nl] == '\0' || (unsigned char)after[nl] <= '/';
}

/* The kernel's directory record, as getdents64(2) gives it. */
typedef struct s_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
} s_dirent64;

static int s_walk(s_list_ctx *ctx, int dfd, size_t keylen, const char *name_prefix, const char *after)
{
    size_t plen = strlen(name_prefix);
    /* A call's directory holds a few objects: those need no allocation. */
    s_entry small[8];
    s_entry *ents = small;
    size_t n = 0, cap = sizeof small / sizeof *small;
    int rc = WREN_OK;
    /* getdents64 into the context's buffer rather than fdopendir/readdir:
     * per directory that saves an fstat, two fcntl and a 32 KiB buffer
     * (a poll walks one directory per finished call). The whole directory
     * is read before any subdirectory, so one buffer serves every level. */
    for (;;) {
        /* The raw call: glibc's getdents64() wrapper is only from 2.30 on. */
        ssize_t got = (ssize_t)syscall(SYS_getdents64, dfd, ctx->dents, sizeof ctx->dents);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break; /* the end, or the directory went away meanwhile */
        for (ssize_t off = 0; off < got;) {
            const s_dirent64 *de = (const s_dirent64 *)(ctx->dents + off);
            off += de->d_reclen;
            size_t nl = strlen(de->d_name);
            if (!wren_is_safe_id(de->d_name, nl) || strncmp(de->d_name, name_prefix, plen) != 0)
                continue; /* temporaries, ".", "..", and anything not a key */
            if (keylen + nl + 1 > S_KEY_MAX)
                continue;
            unsigned char type = de->d_type;
            if (type == DT_UNKNOWN) {
                struct stat sb;
                if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
                    continue;
                type = S_ISDIR(sb.st_mode) ? DT_DIR : S_ISREG(sb.st_mode) ? DT_REG : DT_UNKNOWN;
            }
            if (type != DT_DIR && type != DT_REG)
                continue; /* symlinks and devices are never objects */
            if (!s_after(de->d_name, nl, type == DT_DIR, after))
                continue; /* sorts before start_after: not read, not sorted */
            if (n == cap) {
                size_t ncap = cap * 4;
                s_entry *p = ents == small ? malloc(ncap * sizeof *p) : realloc(ents, ncap * sizeof *p);
                if (!p) {
                    rc = wren__store_fail(ctx->st, WREN_ENOMEM, "list: out of memory");
                    goto cleanup;
                }
                if (ents == small)
                    memcpy(p, small, sizeof small);
                ents = p;
                cap = ncap;
            }
            memcpy(ents[n].name, de->d_name, nl + 1);
            ents[n].is_dir = type == DT_DIR;
            n++;
        }
    }
    if (n > 1)
        qsort(ents, n, sizeof *ents, s_entry_cmp);
    for (size_t i = 0; i < n && !ctx->stopped; i++) {
        size_t nl = strlen(ents[i].name);
        memcpy(ctx->key + keylen, ents[i].name, nl + 1);
        if (ents[i].is_dir) {
            int sub = openat(dfd, ents[i].name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
            if (sub < 0)
                continue;
            ctx->key[keylen + nl] = '/';
            ctx->key[keylen + nl + 1] = '\0';
            /* Below a directory that start_after runs through, the bound
             * goes on; below one wholly after it, none. */
            const char *sub_after = after && !strncmp(ents[i].name, after, nl) && after[nl] == '/' ? after + nl + 1 : NULL;
            rc = s_walk(ctx, sub, keylen + nl + 1, "", sub_after);
            if (rc != WREN_OK)
                goto cleanup;
        } else {
            struct stat sb;
            if (fstatat(dfd, ents[i].name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode))
                continue;
            if (ctx->fn(ctx->key, (uint64_t)sb.st_size, ctx->user) != 0)
                ctx->stopped = 1;
        }
    }
cleanup:
    if (ents != small)
        free(ents);
    close(dfd);
    return rc;
}

static int s_file_list(wren_store *st, const char *prefix, const char *start_after, wren_store_list_fn fn,
                       void *user)
{
    s_file_store *fs = s_fs(st);
    s_list_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return wren__store_fail(st, WREN_ENOMEM, "list: out of memory");
    ctx->st = st;
    ctx->fn = fn;
    ctx->user = user;
    /* Only the directory holding the prefix's last segment is opened: listing
     * "JOB/" reads JOB and its subdirectories, nothing else. */
    const char *slash = strrchr(prefix, '/');
    size_t dir_len = slash ? (size_t)(slash - prefix) : 0;
    char dir[S_KEY_MAX + 1];
    memcpy(dir, prefix, dir_len);
    dir[dir_len] = '\0';
    int rc = WREN_OK;
    /* start_after against the directory's own key ("JOB/"): past it, no
     * key here can follow; before it, every key does. */
    const char *after = NULL;
    if (start_after[0]) {
        size_t kl = dir_len ? dir_len + 1 : 0;
        int c = dir_len ? strncmp(dir, start_after, dir_len) : 0;
        if (!c && dir_len)
            c = start_after[dir_len] == '\0' ? 1 : '/' - (unsigned char)start_after[dir_len];
        if (c < 0)
            goto cleanup;
        if (c == 0)
            after = start_after + kl;
    }
    int dfd = openat(fs->root_fd, dir_len ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (dfd < 0) {
        int err = errno;
        if (err != ENOENT && err != ENOTDIR)
            rc = wren__store_fail(st, WREN_EIO, "list %s: open in %s: %s", prefix, fs->root, strerror(err));
        goto cleanup; /* no such directory: no keys */
    }
    if (dir_len) {
        memcpy(ctx->key, dir, dir_len);
        ctx->key[dir_len] = '/';
        ctx->key[dir_len + 1] = '\0';
    }
    rc = s_walk(ctx, dfd, dir_len ? dir_len + 1 : 0, slash ? slash + 1 : prefix, after);
cleanup:
    free(ctx);
    return rc;
}

typedef struct s_keys {
    char **keys;
    size_t n, cap;
    int failed;
} s_keys;

static int s_collect_key(const char *key, uint64_t size_bytes, void *user)
{
    s_keys *k = user;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 64;
        char **p = realloc(k->keys, cap * sizeof *p);
        if (!p) {
            k->failed = 1;
            return 1;
        }
        k->keys = p;
        k->cap = cap;
    }
    if (!(k->keys[k->n] = strdup(key))) {
        k->failed = 1;
        return 1;
    }
    k->n++;
    return 0;
}

static int s_file_delete_prefix(wren_store *st, const char *prefix, uint64_t *deleted)
{
    /* List first, then delete: deleting while a directory is being read
     * could skip entries. */
    s_keys k = {0};
    int rc = s_file_list(st, prefix, "", s_collect_key, &k);
    if (rc == WREN_OK && k.failed)
        rc = wren__store_fail(st, WREN_ENOMEM, "delete %s: out of memory", prefix);
    for (size_t i = 0; i < k.n && rc == WREN_OK; i++) {
        rc = s_file_delete(st, k.keys[i]);
        if (rc == WREN_OK && deleted)
            (*deleted)++;
    }
    for (size_t i = 0; i < k.n; i++)
        free(k.keys[i]);
    free(k.keys);
    return rc;
}

static void s_file_destroy(wren_store *st)
{
    s_file_store *fs = s_fs(st);
    if (fs->root_fd >= 0)
        close(fs->root_fd);
    free(fs->root);
    free(fs);
}

static const wren__store_ops s_file_ops = {
    .scheme = "file",
    .put = s_file_put,
    .get = s_file_get,
    .get_range = s_file_get_range,
    .head = s_file_head,
    .del = s_file_delete,
    .list = s_file_list,
    .delete_prefix = s_file_delete_prefix,
    .destroy = s_file_destroy,
};

static int s_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int wren__store_file_open(const char *url, const char *path, wren_store **out, char *err_out, size_t err_cap)
{
    /* Only "file:///abs" (empty host); "file://rel" or "file://host/x" are
     * refused rather than guessed at. %XX escapes are decoded, %00 refused. */
    if (path[0] != '/')
        return wren__store_open_fail(err_out, err_cap, WREN_EINVAL, "file store URL must be file:///absolute/dir");
    size_t n = strlen(path);
    char *root = malloc(n + 1);
    if (!root)
        return WREN_ENOMEM;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (path[i] == '%') {
            if (i + 2 >= n || s_hexval(path[i + 1]) < 0 || s_hexval(path[i + 2]) < 0) {
                free(root);
                return wren__store_open_fail(err_out, err_cap, WREN_EINVAL, "bad %%-escape in the file store URL");
            }
            char c = (char)(s_hexval(path[i + 1]) * 16 + s_hexval(path[i + 2]));
            if (c == '\0') {
                free(root);
                return wren__store_open_fail(err_out, err_cap, WREN_EINVAL, "%%00 in the file store URL");
            }
            root[j++] = c;
            i += 2;
        } else if (path[i] == '?' || path[i] == '#') {
            break;
        } else {
            root[j++] = path[i];
        }
    }
    while (j > 1 && root[j - 1] == '/')
        j--;
    root[j] = '\0';
    s_file_store *fs = calloc(1, sizeof *fs);
    if (!fs) {
        free(root);
        return WREN_ENOMEM;
    }
    fs->base.ops = &s_file_ops;
    fs->root = root;
    fs->root_fd = -1;
    int rc = WREN_OK;
    fs->base.url = strdup(url);
    if (!fs->base.url) {
        rc = WREN_ENOMEM;
        goto fail;
    }
    if (wren_random_hex(fs->tmp_tag, 8) != WREN_OK) {
        rc = wren__store_open_fail(err_out, err_cap, WREN_ESYS, "no randomness for temporary names");
        goto fail;
    }
    const char *sync = getenv("WREN_STORE_FSYNC");
    fs->sync = sync && sync[0] == '1';
    int err = s_mkdirs_abs(root);
    if (err) {
        rc = wren__store_open_fail(err_out, err_cap, err == EACCES || err == EPERM ? WREN_EAUTH : WREN_EIO,
                                   "cannot create %s: %s", root, strerror(err));
        goto fail;
    }
    fs->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fs->root_fd < 0) {
        err = errno;
        rc = wren__store_open_fail(err_out, err_cap,
                                   err == EACCES ? WREN_EAUTH : err == ENOTDIR ? WREN_EINVAL : WREN_EIO,
                                   "cannot open %s: %s", root, strerror(err));
        goto fail;
    }
    *out = &fs->base;
    return WREN_OK;
fail:
    free(fs->base.url);
    s_file_destroy(&fs->base);
    return rc;
}

int wren_store_set_sync(wren_store *st, int on)
{
    if (!st)
        return WREN_EINVAL;
    if (st->ops != &s_file_ops)
        return WREN_OK; /* S3 acknowledges a PUT only once it is durable */
    s_fs(st)->sync = on != 0;
    return WREN_OK;
}
