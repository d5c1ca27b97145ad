/* check_store: the file:// store — key rules, exact behaviour, traversal
 * refusals, listing order and prefixes, atomicity under concurrent writers. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"

static char s_tmp[256];
static char s_url[300];

static void s_rm_rf(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
}

static void s_setup(void)
{
    snprintf(s_tmp, sizeof s_tmp, "/tmp/wren-check-store.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s_tmp));
    snprintf(s_url, sizeof s_url, "file://%s/root/sub", s_tmp);
}

static void s_teardown(void)
{
    s_rm_rf(s_tmp);
}

static wren_store *s_open(void)
{
    wren_store *st = NULL;
    ck_assert_int_eq(wren_store_open(s_url, &st), WREN_OK);
    ck_assert_ptr_nonnull(st);
    return st;
}

START_TEST(test_key_rules)
{
    const char *good[] = {"a", "job1/call1/status", "A-b_c.d", "a/..b", "...", "x/y/z/w", ".hidden/a"};
    const char *bad[] = {"", "/abs", "a//b", "a/", "../x", "a/../b", "a/./b", ".", "..", "a\\b", "a b",
                         "a\nb", "a\x01", "caf\xc3\xa9", "a%2fb", "a:b", "a?b", "a*b", "~/x"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        ck_assert_msg(wren_store_key_ok(good[i]), "should accept %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!wren_store_key_ok(bad[i]), "should refuse %s", bad[i]);
    ck_assert(!wren_store_key_ok(NULL));
    char seg[130];
    memset(seg, 'a', 128);
    seg[128] = '\0';
    ck_assert(wren_store_key_ok(seg));
    seg[128] = 'a';
    seg[129] = '\0';
    ck_assert(!wren_store_key_ok(seg)); /* a segment over 128 bytes */
    char key[1100];
    /* 1024 bytes exactly: 512 segments "a/" minus the last slash, plus one. */
    size_t n = 0;
    while (n < 1022) {
        key[n++] = 'b';
        key[n++] = '/';
    }
    key[n++] = 'c';
    key[n++] = 'd';
    key[n] = '\0';
    ck_assert_uint_eq(strlen(key), 1024);
    ck_assert(wren_store_key_ok(key));
    key[n++] = 'e';
    key[n] = '\0';
    ck_assert(!wren_store_key_ok(key));
}
END_TEST

START_TEST(test_open_creates_root_0700_and_keeps_url)
{
    wren_store *st = s_open();
    ck_assert_str_eq(wren_store_url(st), s_url);
    char root[400];
    snprintf(root, sizeof root, "%s/root/sub", s_tmp);
    struct stat sb;
    ck_assert_int_eq(stat(root, &sb), 0);
    ck_assert(S_ISDIR(sb.st_mode));
    ck_assert_int_eq(sb.st_mode & 0777, 0700);
    wren_store_destroy(st);
    wren_store_destroy(NULL);

    wren_store *bad = (wren_store *)0x1;
    ck_assert_int_eq(wren_store_open("file://relative/dir", &bad), WREN_EINVAL);
    ck_assert_ptr_null(bad);
    ck_assert_int_eq(wren_store_open("ftp://x/y", &bad), WREN_EINVAL);
    ck_assert_int_eq(wren_store_open("/tmp/x", &bad), WREN_EINVAL);
    ck_assert_int_eq(wren_store_open(NULL, &bad), WREN_EINVAL);
    ck_assert_int_eq(wren_store_open("file:///tmp/a%00b", &bad), WREN_EINVAL);
    /* A file where the root should be. */
    char file_url[600], file_path[400];
    snprintf(file_path, sizeof file_path, "%s/plainfile", s_tmp);
    FILE *f = fopen(file_path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    snprintf(file_url, sizeof file_url, "file://%s", file_path);
    ck_assert_int_ne(wren_store_open(file_url, &bad), WREN_OK);
    ck_assert_ptr_null(bad);
    char err[512];
    ck_assert_int_eq(wren_store_open_msg(file_url, &bad, err, sizeof err), WREN_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "plainfile"));
    ck_assert_ptr_nonnull(strstr(err, "Not a directory"));
    ck_assert_int_eq(wren_store_open_msg("file://rel", &bad, err, sizeof err), WREN_EINVAL);
    ck_assert_str_eq(err, "file store URL must be file:///absolute/dir");
    ck_assert_int_eq(wren_store_open_msg("gopher://x", &bad, err, sizeof err), WREN_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "unknown store URL scheme"));
}
END_TEST

START_TEST(test_put_get_head_delete_exact)
{
    wren_store *st = s_open();
    ck_assert_int_eq(wren_store_put(st, "job1/c1/out", "hello", 5), WREN_OK);
    ck_assert_int_eq(wren_store_put(st, "job1/c1/empty", NULL, 0), WREN_OK);

    wren_buf b;
    wren_buf_init(&b, 0);
    wren_buf_append_str(&b, ">>");
    ck_assert_int_eq(wren_store_get(st, "job1/c1/out", &b), WREN_OK);
    ck_assert_uint_eq(b.len, 7);
    ck_assert_str_eq(b.data, ">>hello"); /* appended, NUL-terminated */
    wren_buf_reset(&b);
    ck_assert_int_eq(wren_store_get(st, "job1/c1/empty", &b), WREN_OK);
    ck_assert_uint_eq(b.len, 0);

    uint64_t size = 99;
    ck_assert_int_eq(wren_store_head(st, "job1/c1/out", &size), WREN_OK);
    ck_assert_uint_eq(size, 5);
    ck_assert_int_eq(wren_store_head(st, "job1/c1/out", NULL), WREN_OK);
    ck_assert_int_eq(wren_store_head(st, "job1/c1/empty", &size), WREN_OK);
    ck_assert_uint_eq(size, 0);
    /* A prefix of keys is not an object. */
    ck_assert_int_eq(wren_store_head(st, "job1/c1", &size), WREN_ENOTFOUND);
    ck_assert_int_eq(wren_store_get(st, "job1", &b), WREN_ENOTFOUND);
    /* Below an object is not an object either. */
    ck_assert_int_eq(wren_store_head(st, "job1/c1/out/x", &size), WREN_ENOTFOUND);

    /* Overwrite, shorter. */
    ck_assert_int_eq(wren_store_put(st, "job1/c1/out", "bye", 3), WREN_OK);
    wren_buf_reset(&b);
    ck_assert_int_eq(wren_store_get(st, "job1/c1/out", &b), WREN_OK);
    ck_assert_str_eq(b.data, "bye");

    /* Missing objects: typed error and a message naming the key. */
    wren_buf_reset(&b);
    ck_assert_int_eq(wren_store_get(st, "job1/c2/out", &b), WREN_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "job1/c2/out"));
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "no such object"));
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(wren_store_head(st, "nope", &size), WREN_ENOTFOUND);

    ck_assert_int_eq(wren_store_delete(st, "job1/c1/out"), WREN_OK);
    ck_assert_int_eq(wren_store_head(st, "job1/c1/out", &size), WREN_ENOTFOUND);
    ck_assert_int_eq(wren_store_delete(st, "job1/c1/out"), WREN_OK); /* absent: fine */
    ck_assert_int_eq(wren_store_delete(st, "never/was"), WREN_OK);
    ck_assert_int_eq(wren_store_delete(st, "job1/c1/empty"), WREN_OK);
    /* Deleting the last object removed the directories it left empty. */
    char dir[400];
    snprintf(dir, sizeof dir, "%s/root/sub/job1", s_tmp);
    struct stat sb;
    ck_assert_int_eq(stat(dir, &sb), -1);
    ck_assert_int_eq(errno, ENOENT);
    snprintf(dir, sizeof dir, "%s/root/sub", s_tmp);
    ck_assert_int_eq(stat(dir, &sb), 0); /* never the root */
    /* With the directories gone, "job1" can now be an object itself. */
    ck_assert_int_eq(wren_store_put(st, "job1", "x", 1), WREN_OK);
    wren_buf_clean_up(&b);
    wren_store_destroy(st);
}
END_TEST

START_TEST(test_get_respects_cap)
{
    wren_store *st = s_open();
    char big[1000];
    memset(big, 'z', sizeof big);
    ck_assert_int_eq(wren_store_put(st, "big", big, sizeof big), WREN_OK);
    wren_buf b;
    wren_buf_init(&b, 999);
    ck_assert_int_eq(wren_store_get(st, "big", &b), WREN_ETOOBIG);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "1000 bytes"));
    wren_buf_clean_up(&b);
    wren_buf_init(&b, 1000);
    ck_assert_int_eq(wren_store_get(st, "big", &b), WREN_OK);
    ck_assert_uint_eq(b.len, 1000);
    ck_assert_int_eq(memcmp(b.data, big, 1000), 0);
    /* The cap counts what is already in the buffer. */
    wren_buf_reset(&b);
    wren_buf_append_str(&b, "x");
    ck_assert_int_eq(wren_store_get(st, "big", &b), WREN_ETOOBIG);
    ck_assert_str_eq(b.data, "x");
    wren_buf_clean_up(&b);
    wren_store_destroy(st);
}
END_TEST

START_TEST(test_traversal_refused_before_any_path)
{
    wren_store *st = s_open();
    const char *bad[] = {"../x", "../../etc/passwd", "a//b", "/abs", "a/./b", "a/../../b", "..", "a/",
                         "a\\..\\b", "a\tb", "%2e%2e/x"};
    wren_buf b;
    wren_buf_init(&b, 0);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_int_eq(wren_store_put(st, bad[i], "x", 1), WREN_EINVAL);
        ck_assert_msg(strstr(wren_store_errmsg(st), "invalid key") != NULL, "errmsg: %s", wren_store_errmsg(st));
        ck_assert_int_eq(wren_store_get(st, bad[i], &b), WREN_EINVAL);
        ck_assert_int_eq(wren_store_head(st, bad[i], NULL), WREN_EINVAL);
        ck_assert_int_eq(wren_store_delete(st, bad[i]), WREN_EINVAL);
    }
    /* A key with a NUL inside is, to a C API, the key before the NUL; that
     * part is checked on its own (here it is a valid "a"). A NUL can never
     * smuggle a "../" past the check. */
    const char with_nul[] = "..\0/x";
    ck_assert_int_eq(wren_store_put(st, with_nul, "x", 1), WREN_EINVAL);
    ck_assert_int_eq(wren_store_put(st, NULL, "x", 1), WREN_EINVAL);
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "invalid key"));
    /* The message shows the refused key, made printable. */
    ck_assert_int_eq(wren_store_put(st, "a\nb/../c", "x", 1), WREN_EINVAL);
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "\"a?b/../c\""));
    /* Nothing was written anywhere: the temp dir holds only the root. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "test $(find '%s' -mindepth 1 | wc -l) -eq 2", s_tmp);
    ck_assert_int_eq(system(cmd), 0);
    wren_buf_clean_up(&b);
    wren_store_destroy(st);
}
END_TEST

/* Collects listed keys as "key=size," into a buffer. */
typedef struct s_collect {
    wren_buf out;
    int stop_after;
    int seen;
} s_collect;

static int s_collect_fn(const char *key, uint64_t size_bytes, void *user)
{
    s_collect *c = user;
    wren_buf_printf(&c->out, "%s=%llu,", key, (unsigned long long)size_bytes);
    c->seen++;
    return c->stop_after && c->seen >= c->stop_after;
}

static const char *s_list(wren_store *st, const char *prefix, s_collect *c)
{
    wren_buf_clean_up(&c->out);
    wren_buf_init(&c->out, 0);
    wren_buf_append_str(&c->out, "");
    c->seen = 0;
    int rc = wren_store_list(st, prefix, s_collect_fn, c);
    ck_assert_msg(rc == WREN_OK, "list %s: %s", prefix, wren_store_errmsg(st));
    return c->out.data;
}

START_TEST(test_list_order_and_prefixes)
{
    wren_store *st = s_open();
    const char *keys[] = {"job1/0002/status", "job1/0001/out", "job1/0001/status", "job1/0010/status", "job1-x",
                          "job1.y",           "job10/a",       "job2/0001/in",     "a",                "job1/0001/in"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        ck_assert_int_eq(wren_store_put(st, keys[i], keys[i], strlen(keys[i])), WREN_OK);
    s_collect c = {0};
    /* Exactly byte order, as S3 lists: '-' < '.' < '/' < '0'. */
    ck_assert_str_eq(s_list(st, "", &c), "a=1,job1-x=6,job1.y=6,job1/0001/in=12,job1/0001/out=13,"
                                         "job1/0001/status=16,job1/0002/status=16,job1/0010/status=16,"
                                         "job10/a=7,job2/0001/in=12,");
    ck_assert_str_eq(s_list(st, "job1/", &c), "job1/0001/in=12,job1/0001/out=13,job1/0001/status=16,"
                                              "job1/0002/status=16,job1/0010/status=16,");
    ck_assert_str_eq(s_list(st, "job1", &c), "job1-x=6,job1.y=6,job1/0001/in=12,job1/0001/out=13,"
                                             "job1/0001/status=16,job1/0002/status=16,job1/0010/status=16,"
                                             "job10/a=7,");
    ck_assert_str_eq(s_list(st, "job1/000", &c), "job1/0001/in=12,job1/0001/out=13,job1/0001/status=16,"
                                                 "job1/0002/status=16,");
    ck_assert_str_eq(s_list(st, "job1/0001/s", &c), "job1/0001/status=16,");
    ck_assert_str_eq(s_list(st, "job1/0001/status", &c), "job1/0001/status=16,");
    ck_assert_str_eq(s_list(st, "job3/", &c), "");
    ck_assert_str_eq(s_list(st, "a/", &c), ""); /* "a" is an object, not a directory */
    ck_assert_str_eq(s_list(st, "zz", &c), "");
    c.stop_after = 2;
    ck_assert_str_eq(s_list(st, "job1/", &c), "job1/0001/in=12,job1/0001/out=13,");
    c.stop_after = 0;
    /* Bad prefixes are refused. */
    const char *bad[] = {"/", "../", "job1//", "job1/../", "/job1", "a b", "job1/x y"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_int_eq(wren_store_list(st, bad[i], s_collect_fn, &c), WREN_EINVAL);
        ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "invalid prefix"));
    }
    /* Temporaries, symlinks and names that are not keys never show. */
    char path[600];
    snprintf(path, sizeof path, "%s/root/sub/job1/0001/#wren-tmp.1.abc", s_tmp);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    snprintf(path, sizeof path, "%s/root/sub/job1/0001/bad name", s_tmp);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    char link[600];
    snprintf(link, sizeof link, "%s/root/sub/job1/0001/link", s_tmp);
    ck_assert_int_eq(symlink("/etc/passwd", link), 0);
    ck_assert_str_eq(s_list(st, "job1/0001/", &c), "job1/0001/in=12,job1/0001/out=13,job1/0001/status=16,");
    /* ... and a symlink is not read through either. */
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren_store_get(st, "job1/0001/link", &b), WREN_ENOTFOUND);
    ck_assert_int_eq(wren_store_head(st, "job1/0001/link", NULL), WREN_ENOTFOUND);
    wren_buf_clean_up(&b);
    wren_buf_clean_up(&c.out);
    wren_store_destroy(st);
}
END_TEST

/* Every (prefix, start_after) pair against the full listing filtered by
 * strcmp(key, start_after) > 0: what S3's StartAfter means. The bounds
 * include every key, every prefix of one, and each of those with a byte
 * around '/' appended, so directories are cut at, before and after. */
typedef struct s_keylist {
    char keys[64][64];
    int n;
} s_keylist;

static int s_keylist_fn(const char *key, uint64_t size_bytes, void *user)
{
    (void)size_bytes;
    s_keylist *k = user;
    ck_assert_int_lt(k->n, 64);
    snprintf(k->keys[k->n++], sizeof k->keys[0], "%s", key);
    return 0;
}

START_TEST(test_list_after_is_start_after)
{
    wren_store *st = s_open();
    const char *keys[] = {"job1/0002/status", "job1/0001/out", "job1/0001/status", "job1/0010/status", "job1-x",
                          "job1.y",           "job10/a",       "job2/0001/in",     "a",                "job1/0001/in",
                          "job1/0002/in",     "job1/00020/out"};
    size_t nk = sizeof keys / sizeof *keys;
    for (size_t i = 0; i < nk; i++)
        ck_assert_int_eq(wren_store_put(st, keys[i], keys[i], strlen(keys[i])), WREN_OK);
    s_keylist all;
    all.n = 0;
    ck_assert_int_eq(wren_store_list(st, "", s_keylist_fn, &all), WREN_OK);
    ck_assert_int_eq(all.n, (int)nk);
    static char bounds[2000][72];
    size_t nb = 0;
    const char *extra[] = {"", "-", ".", "/", "0", "z"};
    for (size_t i = 0; i < nk; i++)
        for (size_t len = 1; len <= strlen(keys[i]); len++)
            for (size_t e = 0; e < sizeof extra / sizeof *extra; e++)
                snprintf(bounds[nb++], sizeof bounds[0], "%.*s%s", (int)len, keys[i], extra[e]);
    const char *prefixes[] = {"", "job1", "job1/", "job1/000", "job1/0001/", "job1/0002", "job2/", "zz"};
    size_t checked = 0;
    for (size_t p = 0; p < sizeof prefixes / sizeof *prefixes; p++) {
        for (size_t b = 0; b < nb; b++) {
            s_keylist got;
            got.n = 0;
            int rc = wren_store_list_after(st, prefixes[p], bounds[b], s_keylist_fn, &got);
            ck_assert_msg(rc == WREN_OK, "list_after %s %s: %s", prefixes[p], bounds[b], wren_store_errmsg(st));
            int want = 0;
            for (int i = 0; i < all.n; i++) {
                if (strncmp(all.keys[i], prefixes[p], strlen(prefixes[p])) || strcmp(all.keys[i], bounds[b]) <= 0)
                    continue;
                ck_assert_msg(want < got.n && !strcmp(got.keys[want], all.keys[i]),
                              "prefix '%s' after '%s': key %d should be %s", prefixes[p], bounds[b], want,
                              all.keys[i]);
                want++;
            }
            ck_assert_msg(got.n == want, "prefix '%s' after '%s': %d keys, want %d", prefixes[p], bounds[b], got.n,
                          want);
            checked++;
        }
    }
    ck_assert_uint_gt(checked, 1000);
    /* NULL and "" list from the start; a bound with other bytes is refused. */
    s_keylist got;
    got.n = 0;
    ck_assert_int_eq(wren_store_list_after(st, "job1/", NULL, s_keylist_fn, &got), WREN_OK);
    ck_assert_int_eq(got.n, 7);
    got.n = 0;
    ck_assert_int_eq(wren_store_list_after(st, "job1/", "", s_keylist_fn, &got), WREN_OK);
    ck_assert_int_eq(got.n, 7);
    ck_assert_int_eq(wren_store_list_after(st, "job1/", "job1/a b", s_keylist_fn, &got), WREN_EINVAL);
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "invalid start_after"));
    ck_assert_int_eq(wren_store_list_after(st, "job1/", "job1/~", s_keylist_fn, &got), WREN_EINVAL);
    wren_store_destroy(st);
}
END_TEST

START_TEST(test_object_and_prefix_conflicts)
{
    wren_store *st = s_open();
    ck_assert_int_eq(wren_store_put(st, "a/b", "1", 1), WREN_OK);
    /* "a" is a prefix of "a/b": the file store cannot hold both. */
    ck_assert_int_eq(wren_store_put(st, "a", "2", 1), WREN_ESTORE);
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "prefix of other keys"));
    ck_assert_int_eq(wren_store_put(st, "a/b/c", "3", 1), WREN_ESTORE);
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "parent of the key is an object"));
    /* Failed puts left no temporary behind. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "test $(find '%s/root/sub' -name '#*' | wc -l) -eq 0", s_tmp);
    ck_assert_int_eq(system(cmd), 0);
    wren_store_destroy(st);
}
END_TEST

/* After a put that made its directory, the next put makes its directory
 * first: every case of that guess (the directory new, already there, its
 * parents missing, a parent an object) gives the same outcome as without. */
START_TEST(test_put_new_and_existing_directories_in_any_order)
{
    wren_store *st = s_open();
    wren_buf b;
    wren_buf_init(&b, 0);
    const char *seq[] = {"j/00000000/status", "j/00000001/status", "j/00000001/out", "j/00000002/status",
                         "top",               "k/deep/er/x",       "k/deep/er/y",    "j/00000003/in",
                         "j/00000003/status"};
    for (size_t i = 0; i < sizeof seq / sizeof *seq; i++) {
        ck_assert_msg(wren_store_put(st, seq[i], seq[i], strlen(seq[i])) == WREN_OK, "put %s: %s", seq[i],
                      wren_store_errmsg(st));
        wren_buf_reset(&b);
        ck_assert_int_eq(wren_store_get(st, seq[i], &b), WREN_OK);
        ck_assert_str_eq(b.data, seq[i]);
    }
    /* A new directory under an object, right after a put that made one. */
    ck_assert_int_eq(wren_store_put(st, "j/00000004/status", "x", 1), WREN_OK);
    ck_assert_int_eq(wren_store_put(st, "top/a/b", "x", 1), WREN_ESTORE);
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "parent of the key is an object"));
    ck_assert_int_eq(wren_store_put(st, "j/00000005/status", "x", 1), WREN_OK);
    ck_assert_int_eq(wren_store_put(st, "j/00000005", "x", 1), WREN_ESTORE);
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "prefix of other keys"));
    /* A directory a delete removed between two puts is made again. */
    ck_assert_int_eq(wren_store_delete(st, "j/00000004/status"), WREN_OK);
    ck_assert_int_eq(wren_store_put(st, "j/00000004/status", "y", 1), WREN_OK);
    wren_buf_reset(&b);
    ck_assert_int_eq(wren_store_get(st, "j/00000004/status", &b), WREN_OK);
    ck_assert_str_eq(b.data, "y");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "test $(find '%s/root/sub' -name '#*' | wc -l) -eq 0", s_tmp);
    ck_assert_int_eq(system(cmd), 0);
    wren_buf_clean_up(&b);
    wren_store_destroy(st);
}
END_TEST

START_TEST(test_get_range)
{
    wren_store *st = s_open();
    ck_assert_int_eq(wren_store_put(st, "r", "0123456789", 10), WREN_OK);
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren_store_get_range(st, "r", 2, 3, &b), WREN_OK);
    ck_assert_str_eq(b.data, "234");
    ck_assert_int_eq(wren_store_get_range(st, "r", 8, 100, &b), WREN_OK);
    ck_assert_str_eq(b.data, "23489"); /* appended, clamped at the end */
    ck_assert_int_eq(wren_store_get_range(st, "r", 10, 5, &b), WREN_OK);
    ck_assert_int_eq(wren_store_get_range(st, "r", UINT64_MAX, UINT64_MAX, &b), WREN_OK);
    ck_assert_uint_eq(b.len, 5);
    ck_assert_int_eq(wren_store_get_range(st, "nope", 0, 1, &b), WREN_ENOTFOUND);
    ck_assert_int_eq(wren_store_get_range(st, "../r", 0, 1, &b), WREN_EINVAL);
    wren_buf capped;
    wren_buf_init(&capped, 4);
    ck_assert_int_eq(wren_store_get_range(st, "r", 0, 5, &capped), WREN_ETOOBIG);
    ck_assert_int_eq(wren_store_get_range(st, "r", 0, 4, &capped), WREN_OK);
    ck_assert_str_eq(capped.data, "0123");
    wren_buf_clean_up(&capped);
    wren_buf_clean_up(&b);
    wren_store_destroy(st);
}
END_TEST

START_TEST(test_delete_prefix)
{
    wren_store *st = s_open();
    const char *keys[] = {"j1/a/in", "j1/a/out", "j1/b/status", "j10/x", "j1-y", "j2/a"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        ck_assert_int_eq(wren_store_put(st, keys[i], "v", 1), WREN_OK);
    uint64_t n = 0;
    ck_assert_int_eq(wren_store_delete_prefix(st, "j1/", &n), WREN_OK);
    ck_assert_uint_eq(n, 3);
    s_collect c = {0};
    ck_assert_str_eq(s_list(st, "", &c), "j1-y=1,j10/x=1,j2/a=1,");
    ck_assert_int_eq(wren_store_delete_prefix(st, "j1", &n), WREN_OK); /* mid-segment */
    ck_assert_uint_eq(n, 5);
    ck_assert_str_eq(s_list(st, "", &c), "j2/a=1,");
    ck_assert_int_eq(wren_store_delete_prefix(st, "", &n), WREN_EINVAL);
    ck_assert_int_eq(wren_store_delete_prefix(st, "../", &n), WREN_EINVAL);
    ck_assert_int_eq(wren_store_delete_prefix(st, "none/", NULL), WREN_OK);
    char dir[400];
    snprintf(dir, sizeof dir, "%s/root/sub/j1", s_tmp);
    struct stat sb;
    ck_assert_int_eq(stat(dir, &sb), -1); /* directories went too */
    wren_buf_clean_up(&c.out);
    wren_store_destroy(st);
}
END_TEST

START_TEST(test_sync_mode_puts_and_reads)
{
    wren_store *st = s_open();
    ck_assert_int_eq(wren_store_set_sync(st, 1), WREN_OK);
    ck_assert_int_eq(wren_store_put(st, "d/s", "durable", 7), WREN_OK);
    ck_assert_int_eq(wren_store_put(st, "top", "t", 1), WREN_OK);
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren_store_get(st, "d/s", &b), WREN_OK);
    ck_assert_str_eq(b.data, "durable");
    wren_buf_clean_up(&b);
    ck_assert_int_eq(wren_store_set_sync(NULL, 1), WREN_EINVAL);
    wren_store_destroy(st);
}
END_TEST

/* An object that proves it is whole: 8 bytes of length, then bytes that
 * depend on (writer, round, index). */
static size_t s_make_obj(char *buf, int writer, int round)
{
    size_t len = 8 + (size_t)((writer * 7919 + round * 104729) % 60000);
    snprintf(buf, 9, "%08zu", len);
    for (size_t i = 8; i < len; i++)
        buf[i] = (char)('a' + (writer + round + i) % 26);
    return len;
}

static int s_obj_whole(const char *data, size_t len)
{
    if (len < 8)
        return 0;
    char head[9];
    memcpy(head, data, 8);
    head[8] = '\0';
    if ((size_t)strtoul(head, NULL, 10) != len)
        return 0;
    int base = (data[8] - 'a' - 8 % 26 + 26) % 26;
    for (size_t i = 8; i < len; i++)
        if (data[i] != (char)('a' + (base + i) % 26))
            return 0;
    return 1;
}

typedef struct s_scan {
    int bad;
    int count;
} s_scan;

static int s_scan_fn(const char *key, uint64_t size_bytes, void *user)
{
    s_scan *s = user;
    if (strchr(key, '#') || !wren_store_key_ok(key))
        s->bad++;
    s->count++;
    return 0;
}

START_TEST(test_concurrent_writers_and_readers_see_whole_objects)
{
    enum { WRITERS = 4, ROUNDS = 150 };
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        ck_assert_int_ge(pids[w], 0);
        if (pids[w] == 0) {
            wren_store *st = NULL;
            if (wren_store_open(s_url, &st) != WREN_OK)
                _exit(2);
            char *obj = malloc(70000);
            char key[64];
            for (int r = 0; r < ROUNDS; r++) {
                size_t len = s_make_obj(obj, w, r);
                /* Everyone overwrites the same keys ... */
                snprintf(key, sizeof key, "shared/k%d", r % 5);
                if (wren_store_put(st, key, obj, len) != WREN_OK)
                    _exit(3);
                /* ... and churns a directory others write into, so deletes
                 * removing directories race with puts creating them. */
                snprintf(key, sizeof key, "churn/d%d/w%d", r % 3, w);
                if (wren_store_put(st, key, obj, len) != WREN_OK)
                    _exit(4);
                if (wren_store_delete(st, key) != WREN_OK)
                    _exit(5);
                snprintf(key, sizeof key, "own/w%d/r%03d", w, r);
                if (wren_store_put(st, key, obj, len) != WREN_OK)
                    _exit(6);
            }
            free(obj);
            wren_store_destroy(st);
            _exit(0);
        }
    }
    wren_store *st = s_open();
    wren_buf b;
    wren_buf_init(&b, 0);
    int reads = 0, lists = 0, alive = WRITERS;
    while (alive > 0) {
        for (int k = 0; k < 5; k++) {
            char key[32];
            snprintf(key, sizeof key, "shared/k%d", k);
            wren_buf_reset(&b);
            int rc = wren_store_get(st, key, &b);
            ck_assert_msg(rc == WREN_OK || rc == WREN_ENOTFOUND, "get: %s", wren_store_errmsg(st));
            if (rc == WREN_OK) {
                ck_assert_msg(s_obj_whole(b.data, b.len), "partial object of %zu bytes", b.len);
                reads++;
            }
        }
        s_scan sc = {0};
        ck_assert_int_eq(wren_store_list(st, "", s_scan_fn, &sc), WREN_OK);
        ck_assert_int_eq(sc.bad, 0);
        lists++;
        int status;
        pid_t done;
        while ((done = waitpid(-1, &status, WNOHANG)) > 0) {
            ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer failed with %d", status);
            alive--;
        }
    }
    ck_assert_int_gt(reads, 0);
    ck_assert_int_gt(lists, 0);
    /* Every writer's own objects are there, whole, and nothing else is. */
    s_scan sc = {0};
    ck_assert_int_eq(wren_store_list(st, "own/", s_scan_fn, &sc), WREN_OK);
    ck_assert_int_eq(sc.count, WRITERS * ROUNDS);
    sc.count = 0;
    ck_assert_int_eq(wren_store_list(st, "churn/", s_scan_fn, &sc), WREN_OK);
    ck_assert_int_eq(sc.count, 0);
    for (int w = 0; w < WRITERS; w++) {
        char key[64];
        snprintf(key, sizeof key, "own/w%d/r%03d", w, ROUNDS - 1);
        wren_buf_reset(&b);
        ck_assert_int_eq(wren_store_get(st, key, &b), WREN_OK);
        ck_assert(s_obj_whole(b.data, b.len));
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "test $(find '%s/root/sub' -name '#*' | wc -l) -eq 0", s_tmp);
    ck_assert_int_eq(system(cmd), 0);
    wren_buf_clean_up(&b);
    wren_store_destroy(st);
}
END_TEST

static int s_count_fn(const char *key, uint64_t size_bytes, void *user)
{
    (*(int *)user)++;
    return 0;
}

START_TEST(test_list_one_job_among_many_is_fast)
{
    /* The SDK polls one job's prefix thousands of times; other jobs in the
     * store must not slow that down. */
    wren_store *st = s_open();
    char key[64];
    for (int j = 0; j < 50; j++)
        for (int c = 0; c < 40; c++) {
            snprintf(key, sizeof key, "job%02d/%04d/status", j, c);
            ck_assert_int_eq(wren_store_put(st, key, "{}", 2), WREN_OK);
        }
    uint64_t t0 = wren_mono_ns();
    int total = 0;
    for (int i = 0; i < 200; i++) {
        int n = 0;
        ck_assert_int_eq(wren_store_list(st, "job07/", s_count_fn, &n), WREN_OK);
        ck_assert_int_eq(n, 40);
        total += n;
    }
    double per_list_ms = (double)(wren_mono_ns() - t0) / 200 / 1e6;
    fprintf(stderr, "list of 40 calls among 2000: %.3f ms\n", per_list_ms);
    ck_assert_int_eq(total, 8000);
    /* 41 directories and 40 stats; generous bound for a loaded 2-core box
     * (under ASan too), far below a walk of all 2000. */
    ck_assert_msg(per_list_ms < 20.0, "list took %.3f ms", per_list_ms);
    wren_store_destroy(st);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("file");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_key_rules);
    tcase_add_test(tc, test_open_creates_root_0700_and_keeps_url);
    tcase_add_test(tc, test_put_get_head_delete_exact);
    tcase_add_test(tc, test_get_respects_cap);
    tcase_add_test(tc, test_traversal_refused_before_any_path);
    tcase_add_test(tc, test_list_order_and_prefixes);
    tcase_add_test(tc, test_list_after_is_start_after);
    tcase_add_test(tc, test_object_and_prefix_conflicts);
    tcase_add_test(tc, test_put_new_and_existing_directories_in_any_order);
    tcase_add_test(tc, test_sync_mode_puts_and_reads);
    tcase_add_test(tc, test_delete_prefix);
    tcase_add_test(tc, test_get_range);
    tcase_add_test(tc, test_concurrent_writers_and_readers_see_whole_objects);
    tcase_add_test(tc, test_list_one_job_among_many_is_fast);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
