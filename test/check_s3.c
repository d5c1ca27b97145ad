/* check_s3: the s3:// store against moto_server (signature checking on, an
 * IAM user's key) and against a scripted fake S3 on loopback (retries,
 * 200-with-error, wrong region, dropped connections, TLS verification).
 * Tests needing moto are skipped, with a message, when moto_server is not on
 * PATH (exit 77, which ctest reports as skipped). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "store.h"
#include "store_s3.h"

/* The source tree, when run by hand outside ctest. */
#ifndef WREN_TEST_SOURCE_DIR
#define WREN_TEST_SOURCE_DIR "."
#endif
#define WREN__TEST_SOURCE_DIR WREN_TEST_SOURCE_DIR

static int s_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    close(fd);
    return ntohs(a.sin_port);
}

static int s_port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static wren_store *s_open_ok(const char *url)
{
    wren_store *st = NULL;
    int rc = wren_store_open(url, &st);
    ck_assert_msg(rc == WREN_OK, "open %s: %s", url, wren_status_name(rc));
    return st;
}

static int s_count_fn(const char *key, uint64_t size_bytes, void *user)
{
    (*(int *)user)++;
    return 0;
}

/* ---- moto_server --------------------------------------------------------- */

static pid_t s_moto_pid = -1;
static int s_moto_port;
static char s_akid[128], s_secret[128];

static int s_on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char *copy = strdup(path), *save = NULL;
    int found = 0;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", dir, prog);
        found = access(full, X_OK) == 0;
    }
    free(copy);
    return found;
}

#define MOTO_NO_AUTH_BUDGET 24

static void s_moto_start(void)
{
    s_moto_port = s_free_port();
    ck_assert_int_gt(s_moto_port, 0);
    char port[16];
    snprintf(port, sizeof port, "%d", s_moto_port);
    s_moto_pid = fork();
    ck_assert_int_ge(s_moto_pid, 0);
    if (s_moto_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the test */
        char budget[16];
        snprintf(budget, sizeof budget, "%d", MOTO_NO_AUTH_BUDGET);
        setenv("INITIAL_NO_AUTH_ACTION_COUNT", budget, 1);
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execlp("moto_server", "moto_server", "-H", "127.0.0.1", "-p", port, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 600 && !s_port_open(s_moto_port); i++)
        usleep(50000);
    ck_assert_msg(s_port_open(s_moto_port), "moto_server did not open port %d", s_moto_port);
    char cmd[4096];
    const char *src = getenv("WREN_SOURCE_DIR") ? getenv("WREN_SOURCE_DIR") : WREN__TEST_SOURCE_DIR;
    snprintf(cmd, sizeof cmd, "%s '%s/test/s3_moto_setup.py' http://127.0.0.1:%d %d wren-test wren.dotted.bucket",
             getenv("WREN_PYTHON") ? getenv("WREN_PYTHON") : "python3", src, s_moto_port, MOTO_NO_AUTH_BUDGET);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    int n = fscanf(p, "%127s %127s", s_akid, s_secret);
    int status = pclose(p);
    ck_assert_msg(n == 2 && status == 0, "moto set-up failed (%d fields, exit %d)", n, status);
}

static void s_moto_stop(void)
{
    if (s_moto_pid <= 0)
        return;
    kill(s_moto_pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(s_moto_pid, NULL, WNOHANG) == s_moto_pid) {
            s_moto_pid = -1;
            return;
        }
        usleep(50000);
    }
    kill(s_moto_pid, SIGKILL);
    waitpid(s_moto_pid, NULL, 0);
    s_moto_pid = -1;
}

/* Each test sets what it needs from a clean slate, so the suite passes in
 * one process too (CK_FORK=no, for LeakSanitizer). */
static void s_env_reset(void)
{
    static const char *const vars[] = {"AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "WREN_S3_MAX_ATTEMPTS",
                                       "WREN_S3_LIST_MAX_KEYS", "WREN_S3_MOTO_QUIRKS", "WREN_CA_BUNDLE",
                                       "WREN_S3_RETRY_BASE_MS", "WREN_S3_RETRY_MAX_MS", "WREN_S3_MULTIPART_MIB",
                                       "WREN_S3_PART_MIB"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
}

static void s_moto_env(void)
{
    s_env_reset();
    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", s_moto_port);
    setenv("AWS_ENDPOINT_URL_S3", ep, 1);
    setenv("AWS_ACCESS_KEY_ID", s_akid, 1);
    setenv("AWS_SECRET_ACCESS_KEY", s_secret, 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("WREN_S3_RETRY_BASE_MS", "1", 1);
    /* moto checks signatures against the query as it decoded it ('/' in
     * prefix=), unlike S3 and botocore. The store finds that out by itself
     * with one extra request (test_s3_moto_quirk_is_needed_and_found); set
     * here so the other tests count requests exactly. */
    setenv("WREN_S3_MOTO_QUIRKS", "1", 1);
}

START_TEST(test_s3_put_get_head_delete_roundtrip)
{
    s_moto_env();
    wren_store *st = s_open_ok("s3://wren-test/pre/fix/");
    ck_assert_str_eq(wren_store_url(st), "s3://wren-test/pre/fix/");
    ck_assert_int_eq(wren_store_put(st, "job1/c1/out", "hello", 5), WREN_OK);
    ck_assert_int_eq(wren_store_put(st, "job1/c1/empty", NULL, 0), WREN_OK);
    wren_buf b;
    wren_buf_init(&b, 0);
    wren_buf_append_str(&b, ">>");
    ck_assert_int_eq(wren_store_get(st, "job1/c1/out", &b), WREN_OK);
    ck_assert_str_eq(b.data, ">>hello");
    uint64_t size = 9;
    ck_assert_int_eq(wren_store_head(st, "job1/c1/out", &size), WREN_OK);
    ck_assert_uint_eq(size, 5);
    ck_assert_int_eq(wren_store_head(st, "job1/c1/empty", &size), WREN_OK);
    ck_assert_uint_eq(size, 0);
    /* Binary, 1 MiB, every byte value. */
    size_t big_len = 1u << 20;
    char *big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)(i * 7 + (i >> 11));
    ck_assert_int_eq(wren_store_put(st, "job1/c1/big", big, big_len), WREN_OK);
    wren_buf_reset(&b);
    ck_assert_int_eq(wren_store_get(st, "job1/c1/big", &b), WREN_OK);
    ck_assert_uint_eq(b.len, big_len);
    ck_assert_int_eq(memcmp(b.data, big, big_len), 0);
    free(big);
    /* Missing: typed, with S3's code in the message. */
    wren_buf_reset(&b);
    ck_assert_int_eq(wren_store_get(st, "job1/c9/out", &b), WREN_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "NoSuchKey"));
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "s3://wren-test/pre/fix/job1/c9/out"));
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(wren_store_head(st, "job1/c9/out", &size), WREN_ENOTFOUND);
    /* The cap applies before the caller's buffer changes. */
    wren_buf small;
    wren_buf_init(&small, 4);
    ck_assert_int_eq(wren_store_get(st, "job1/c1/out", &small), WREN_ETOOBIG);
    ck_assert_uint_eq(small.len, 0);
    wren_buf_clean_up(&small);
    /* Ranges. */
    wren_buf_reset(&b);
    ck_assert_int_eq(wren_store_get_range(st, "job1/c1/big", 1000, 24, &b), WREN_OK);
    ck_assert_uint_eq(b.len, 24);
    for (size_t i = 0; i < 24; i++)
        ck_assert_int_eq(b.data[i], (char)((1000 + i) * 7 + ((1000 + i) >> 11)));
    wren_buf_reset(&b);
    ck_assert_int_eq(wren_store_get_range(st, "job1/c1/out", 3, 100, &b), WREN_OK);
    ck_assert_str_eq(b.data, "lo");
    ck_assert_int_eq(wren_store_get_range(st, "job1/c1/out", 5, 1, &b), WREN_OK);
    ck_assert_str_eq(b.data, "lo");
    ck_assert_int_eq(wren_store_get_range(st, "job1/c9/out", 0, 1, &b), WREN_ENOTFOUND);
    /* Delete, and delete again. */
    ck_assert_int_eq(wren_store_delete(st, "job1/c1/out"), WREN_OK);
    ck_assert_int_eq(wren_store_head(st, "job1/c1/out", &size), WREN_ENOTFOUND);
    ck_assert_int_eq(wren_store_delete(st, "job1/c1/out"), WREN_OK);
    /* Overwrite. */
    ck_assert_int_eq(wren_store_put(st, "job1/c1/empty", "x", 1), WREN_OK);
    wren_buf_reset(&b);
    ck_assert_int_eq(wren_store_get(st, "job1/c1/empty", &b), WREN_OK);
    ck_assert_str_eq(b.data, "x");
    /* AWS's own CLI reads what wren wrote: the layout is ordinary S3. */
    if (s_on_path("aws")) {
        char cmd[512];
        snprintf(cmd, sizeof cmd,
                 "AWS_CONFIG_FILE=/dev/null aws --endpoint-url http://127.0.0.1:%d s3 cp "
                 "s3://wren-test/pre/fix/job1/c1/empty - 2>&1",
                 s_moto_port);
        FILE *p = popen(cmd, "r");
        char got[256] = "";
        size_t n = fread(got, 1, sizeof got - 1, p);
        got[n] = '\0';
        ck_assert_int_eq(pclose(p), 0);
        ck_assert_str_eq(got, "x");
    } else {
        fprintf(stderr, "check_s3: SKIP the AWS CLI read-back: no aws on PATH\n");
    }
    /* Bad keys never reach the wire. */
    uint64_t before = wren__s3_attempts(st);
    ck_assert_int_eq(wren_store_put(st, "../x", "x", 1), WREN_EINVAL);
    ck_assert_int_eq(wren_store_get(st, "a//b", &b), WREN_EINVAL);
    ck_assert_uint_eq(wren__s3_attempts(st), before);
    wren_buf_clean_up(&b);
    wren_store_destroy(st);
}
END_TEST

typedef struct s_keys {
    char keys[64][64];
    uint64_t sizes[64];
    int n;
    int stop_after;
} s_keys;

static int s_keys_fn(const char *key, uint64_t size_bytes, void *user)
{
    s_keys *k = user;
    if (k->n < 64) {
        snprintf(k->keys[k->n], sizeof k->keys[0], "%s", key);
        k->sizes[k->n] = size_bytes;
    }
    k->n++;
    return k->stop_after && k->n >= k->stop_after;
}

/* StartAfter against moto: keys after the bound only, across pages (the
 * bound goes on the first page, the continuation token after), with the
 * store's own prefix added to the bound as to keys. */
START_TEST(test_s3_list_after_sends_start_after)
{
    s_moto_env();
    setenv("WREN_S3_LIST_MAX_KEYS", "4", 1);
    wren_store *st = s_open_ok("s3://wren-test/aft");
    char key[64];
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "job/%04d/status", i);
        ck_assert_int_eq(wren_store_put(st, key, key, (size_t)i), WREN_OK);
    }
    ck_assert_int_eq(wren_store_put(st, "job/0005/in", "1", 1), WREN_OK);
    s_keys k;
    memset(&k, 0, sizeof k);
    uint64_t before = wren__s3_attempts(st);
    /* "job/00040" sorts after every key of call 0004 and before call 0005's. */
    int rc = wren_store_list_after(st, "job/", "job/00040", s_keys_fn, &k);
    ck_assert_msg(rc == WREN_OK, "list_after: %s", wren_store_errmsg(st));
    ck_assert_int_eq(k.n, 16);
    ck_assert_str_eq(k.keys[0], "job/0005/in");
    ck_assert_str_eq(k.keys[1], "job/0005/status");
    ck_assert_uint_eq(k.sizes[1], 5);
    ck_assert_str_eq(k.keys[15], "job/0019/status");
    ck_assert_uint_eq(wren__s3_attempts(st) - before, 4); /* ceil(16 / 4) pages */
    memset(&k, 0, sizeof k);
    ck_assert_int_eq(wren_store_list_after(st, "job/", "job/0018/status", s_keys_fn, &k), WREN_OK);
    ck_assert_int_eq(k.n, 1);
    ck_assert_str_eq(k.keys[0], "job/0019/status");
    memset(&k, 0, sizeof k);
    ck_assert_int_eq(wren_store_list_after(st, "job/", "job/0019/status", s_keys_fn, &k), WREN_OK);
    ck_assert_int_eq(k.n, 0);
    /* A bound before the prefix lists it all; NULL too. */
    memset(&k, 0, sizeof k);
    ck_assert_int_eq(wren_store_list_after(st, "job/", "a", s_keys_fn, &k), WREN_OK);
    ck_assert_int_eq(k.n, 21);
    memset(&k, 0, sizeof k);
    ck_assert_int_eq(wren_store_list_after(st, "job/001", NULL, s_keys_fn, &k), WREN_OK);
    ck_assert_int_eq(k.n, 10);
    ck_assert_int_eq(wren_store_list_after(st, "job/", "job/a b", s_keys_fn, &k), WREN_EINVAL);
    wren_store_destroy(st);
}
END_TEST

START_TEST(test_s3_list_pages_with_continuation_tokens)
{
    s_moto_env();
    setenv("WREN_S3_LIST_MAX_KEYS", "7", 1);
    wren_store *st = s_open_ok("s3://wren-test/lst");
    char key[64];
    for (int i = 29; i >= 0; i--) { /* written out of order */
        snprintf(key, sizeof key, "job/%04d/status", i);
        ck_assert_int_eq(wren_store_put(st, key, key, (size_t)i), WREN_OK);
    }
    ck_assert_int_eq(wren_store_put(st, "job-x", "1", 1), WREN_OK);
    ck_assert_int_eq(wren_store_put(st, "jobz/a", "1", 1), WREN_OK);
    s_keys k;
    memset(&k, 0, sizeof k);
    uint64_t before = wren__s3_attempts(st);
    int rc = wren_store_list(st, "job/", s_keys_fn, &k);
    ck_assert_msg(rc == WREN_OK, "list: %s", wren_store_errmsg(st));
    ck_assert_int_eq(k.n, 30);
    ck_assert_uint_eq(wren__s3_attempts(st) - before, 5); /* ceil(30 / 7) pages */
    for (int i = 0; i < 30; i++) {
        snprintf(key, sizeof key, "job/%04d/status", i);
        ck_assert_str_eq(k.keys[i], key);
        ck_assert_uint_eq(k.sizes[i], (uint64_t)i);
    }
    memset(&k, 0, sizeof k);
    ck_assert_int_eq(wren_store_list(st, "job/001", s_keys_fn, &k), WREN_OK);
    ck_assert_int_eq(k.n, 10);
    ck_assert_str_eq(k.keys[0], "job/0010/status");
    memset(&k, 0, sizeof k);
    ck_assert_int_eq(wren_store_list(st, "", s_keys_fn, &k), WREN_OK);
    ck_assert_int_eq(k.n, 32);
    ck_assert_str_eq(k.keys[0], "job-x"); /* byte order: '-' < '/' */
    ck_assert_str_eq(k.keys[31], "jobz/a");
    /* Stopping early stops paging. */
    memset(&k, 0, sizeof k);
    k.stop_after = 3;
    before = wren__s3_attempts(st);
    ck_assert_int_eq(wren_store_list(st, "job/", s_keys_fn, &k), WREN_OK);
    ck_assert_int_eq(k.n, 3);
    ck_assert_uint_eq(wren__s3_attempts(st) - before, 1);
    /* Another prefix of the same bucket sees none of it. */
    wren_store *other = s_open_ok("s3://wren-test/lst2");
    memset(&k, 0, sizeof k);
    ck_assert_int_eq(wren_store_list(other, "", s_keys_fn, &k), WREN_OK);
    ck_assert_int_eq(k.n, 0);
    ck_assert_int_eq(wren_store_list(other, "../", s_keys_fn, &k), WREN_EINVAL);
    wren_store_destroy(other);
    wren_store_destroy(st);
}
END_TEST

START_TEST(test_s3_wrong_secret_is_eauth_without_the_secret)
{
    s_moto_env();
    setenv("AWS_SECRET_ACCESS_KEY", "WrongSecretWrongSecretWrongSecret0123456", 1);
    wren_store *st = s_open_ok("s3://wren-test/auth");
    ck_assert_int_eq(wren_store_put(st, "k", "v", 1), WREN_EAUTH);
    ck_assert_msg(strstr(wren_store_errmsg(st), "SignatureDoesNotMatch") != NULL, "%s", wren_store_errmsg(st));
    ck_assert_ptr_null(strstr(wren_store_errmsg(st), "WrongSecret"));
    ck_assert_uint_eq(wren__s3_attempts(st), 1); /* not retried */
    wren_store_destroy(st);
    setenv("AWS_ACCESS_KEY_ID", "AKIANOTAREALKEY00000", 1);
    st = s_open_ok("s3://wren-test/auth");
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren_store_get(st, "k", &b), WREN_EAUTH);
    ck_assert_msg(strstr(wren_store_errmsg(st), "InvalidAccessKeyId") != NULL, "%s", wren_store_errmsg(st));
    wren_buf_clean_up(&b);
    wren_store_destroy(st);
}
END_TEST

START_TEST(test_s3_multipart_upload)
{
    s_moto_env();
    setenv("WREN_S3_MULTIPART_MIB", "8", 1);
    setenv("WREN_S3_PART_MIB", "5", 1);
    wren_store *st = s_open_ok("s3://wren-test/mp");
    size_t len = (12u << 20) + 12345; /* 3 parts: 5, 5 and 2 MiB + change */
    char *big = malloc(len);
    for (size_t i = 0; i < len; i++)
        big[i] = (char)(i * 31 + (i >> 13));
    uint64_t before = wren__s3_attempts(st);
    int rc = wren_store_put(st, "big/obj", big, len);
    ck_assert_msg(rc == WREN_OK, "%s", wren_store_errmsg(st));
    ck_assert_uint_eq(wren__s3_attempts(st) - before, 5); /* initiate, 3 parts, complete */
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren_store_get(st, "big/obj", &b), WREN_OK);
    ck_assert_uint_eq(b.len, len);
    ck_assert_int_eq(memcmp(b.data, big, len), 0);
    /* Below the threshold: one PUT. */
    before = wren__s3_attempts(st);
    ck_assert_int_eq(wren_store_put(st, "big/small", big, 1u << 20), WREN_OK);
    ck_assert_uint_eq(wren__s3_attempts(st) - before, 1);
    wren_buf_clean_up(&b);
    free(big);
    wren_store_destroy(st);
}
END_TEST

START_TEST(test_s3_delete_prefix_in_batches)
{
    s_moto_env();
    setenv("WREN_S3_LIST_MAX_KEYS", "10", 1);
    wren_store *st = s_open_ok("s3://wren-test/dp");
    char key[64];
    for (int i = 0; i < 25; i++) {
        snprintf(key, sizeof key, "job/%04d/out", i);
        ck_assert_int_eq(wren_store_put(st, key, "x", 1), WREN_OK);
    }
    ck_assert_int_eq(wren_store_put(st, "job2/keep", "x", 1), WREN_OK);
    ck_assert_int_eq(wren_store_put(st, "jo", "x", 1), WREN_OK);
    uint64_t n = 0, before = wren__s3_attempts(st);
    int rc = wren_store_delete_prefix(st, "job/", &n);
    ck_assert_msg(rc == WREN_OK, "%s", wren_store_errmsg(st));
    ck_assert_uint_eq(n, 25);
    /* 3 lists + 3 DeleteObjects of <= 10; the last page says it is the last. */
    ck_assert_uint_eq(wren__s3_attempts(st) - before, 6);
    s_keys k;
    memset(&k, 0, sizeof k);
    ck_assert_int_eq(wren_store_list(st, "", s_keys_fn, &k), WREN_OK);
    ck_assert_int_eq(k.n, 2);
    ck_assert_str_eq(k.keys[0], "jo");
    ck_assert_str_eq(k.keys[1], "job2/keep");
    wren_store_destroy(st);
}
END_TEST

/* Without the quirk, a list whose prefix holds '/' signed as AWS specifies
 * (%2F) is refused by moto (boto3's own list_objects_v2 fails the same way
 * against it). If moto is fixed, this fails, and the quirk can go. Unset,
 * the store tries moto's way once and keeps it. */
START_TEST(test_s3_moto_quirk_is_needed_and_found)
{
    s_moto_env();
    setenv("WREN_S3_MOTO_QUIRKS", "0", 1);
    wren_store *st = s_open_ok("s3://wren-test/quirk");
    ck_assert_int_eq(wren_store_put(st, "a/b", "x", 1), WREN_OK);
    int n = 0;
    ck_assert_int_eq(wren_store_list(st, "a/", s_count_fn, &n), WREN_EAUTH);
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "SignatureDoesNotMatch"));
    wren_store_destroy(st);
    unsetenv("WREN_S3_MOTO_QUIRKS");
    st = s_open_ok("s3://wren-test/quirk");
    uint64_t before = wren__s3_attempts(st);
    ck_assert_int_eq(wren_store_list(st, "a/", s_count_fn, &n), WREN_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_uint_eq(wren__s3_attempts(st) - before, 2); /* AWS's way, then moto's */
    before = wren__s3_attempts(st);
    ck_assert_int_eq(wren_store_list(st, "a/", s_count_fn, &n), WREN_OK);
    ck_assert_uint_eq(wren__s3_attempts(st) - before, 1); /* remembered */
    wren_store_destroy(st);
    /* A wrong secret is still a wrong secret, and says so. */
    setenv("AWS_SECRET_ACCESS_KEY", "WrongSecretWrongSecretWrongSecret0123456", 1);
    st = s_open_ok("s3://wren-test/quirk");
    ck_assert_int_eq(wren_store_list(st, "a/", s_count_fn, &n), WREN_EAUTH);
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "SignatureDoesNotMatch"));
    ck_assert_ptr_null(strstr(wren_store_errmsg(st), "WrongSecret"));
    wren_store_destroy(st);
}
END_TEST

START_TEST(test_s3_missing_bucket_and_dotted_bucket)
{
    s_moto_env();
    wren_store *st = s_open_ok("s3://no-such-bucket-here/x");
    ck_assert_int_eq(wren_store_put(st, "k", "v", 1), WREN_ESTORE);
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "NoSuchBucket"));
    wren_store_destroy(st);
    st = s_open_ok("s3://wren.dotted.bucket");
    ck_assert_int_eq(wren_store_put(st, "a/b", "dots", 4), WREN_OK);
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren_store_get(st, "a/b", &b), WREN_OK);
    ck_assert_str_eq(b.data, "dots");
    wren_buf_clean_up(&b);
    wren_store_destroy(st);
}
END_TEST

/* ---- a scripted fake S3 (libmicrohttpd) ------------------------------------ */

typedef struct s_step {
    int status;          /* 0: drop the connection without answering */
    const char *body;
    const char *region;  /* x-amz-bucket-region header, or NULL */
} s_step;

typedef struct s_fake {
    struct MHD_Daemon *d;
    int port;
    const s_step *steps;
    int nsteps;
    int hits;
    char last_method[16];
    char last_url[512];
    char last_query[512];
    char last_auth[512];
    char last_token[256];
    char last_sha[80];
    pthread_mutex_t mu;
} s_fake;

static enum MHD_Result s_fake_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    s_fake *f = cls;
    size_t n = strlen(f->last_query);
    snprintf(f->last_query + n, sizeof f->last_query - n, "%s%s=%s", n ? "&" : "", key, value ? value : "");
    return MHD_YES;
}

static enum MHD_Result s_fake_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                      const char *version, const char *upload, size_t *upload_size, void **state)
{
    s_fake *f = cls;
    if (!*state) {
        *state = (void *)1;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&f->mu);
    int i = f->hits < f->nsteps ? f->hits : f->nsteps - 1;
    f->hits++;
    snprintf(f->last_method, sizeof f->last_method, "%s", method);
    snprintf(f->last_url, sizeof f->last_url, "%s", url);
    f->last_query[0] = '\0';
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, s_fake_query, f);
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    snprintf(f->last_auth, sizeof f->last_auth, "%s", v ? v : "");
    v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-amz-security-token");
    snprintf(f->last_token, sizeof f->last_token, "%s", v ? v : "");
    v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-amz-content-sha256");
    snprintf(f->last_sha, sizeof f->last_sha, "%s", v ? v : "");
    s_step step = f->steps[i];
    pthread_mutex_unlock(&f->mu);
    if (step.status == 0)
        return MHD_NO; /* closes the connection: a dropped connection */
    const char *body = step.body ? step.body : "";
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (step.region)
        MHD_add_response_header(r, "x-amz-bucket-region", step.region);
    MHD_add_response_header(r, "Content-Type", "application/xml");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)step.status, r);
    MHD_destroy_response(r);
    return ret;
}

static void s_fake_start(s_fake *f, const s_step *steps, int n)
{
    s_env_reset();
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    f->steps = steps;
    f->nsteps = n;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, s_fake_handler, f,
                            MHD_OPTION_SOCK_ADDR, &a, MHD_OPTION_END);
    ck_assert_ptr_nonnull(f->d);
    f->port = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT)->port;
    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", f->port);
    setenv("AWS_ENDPOINT_URL_S3", ep, 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "fake/secret+=", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("WREN_S3_RETRY_BASE_MS", "1", 1);
    setenv("WREN_S3_RETRY_MAX_MS", "20", 1);
}

static void s_fake_stop(s_fake *f)
{
    MHD_stop_daemon(f->d);
    pthread_mutex_destroy(&f->mu);
}

static const char s_slowdown[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
                                 "<Message>Please reduce your request rate.</Message></Error>";
static const char s_internal[] = "<Error><Code>InternalError</Code><Message>We encountered an internal "
                                 "error. Please try again.</Message></Error>";

START_TEST(test_s3_retries_503_slowdown_then_succeeds)
{
    s_step steps[] = {{503, s_slowdown, NULL}, {503, s_slowdown, NULL}, {200, "", NULL}};
    s_fake f;
    s_fake_start(&f, steps, 3);
    setenv("AWS_SESSION_TOKEN", "session/token+=", 1);
    wren_store *st = s_open_ok("s3://bucket/pre");
    ck_assert_int_eq(wren_store_put(st, "k/v w", "data", 4) == WREN_EINVAL, 1); /* space: not a key */
    ck_assert_int_eq(wren_store_put(st, "k/v", "data", 4), WREN_OK);
    ck_assert_int_eq(f.hits, 3);
    ck_assert_uint_eq(wren__s3_attempts(st), 3);
    /* What went on the wire: path-style, signed, token and payload hash. */
    ck_assert_str_eq(f.last_method, "PUT");
    ck_assert_str_eq(f.last_url, "/bucket/pre/k/v");
    ck_assert_int_eq(strncmp(f.last_auth, "AWS4-HMAC-SHA256 Credential=AKIDFAKE/", 37), 0);
    ck_assert_ptr_nonnull(strstr(f.last_auth, "/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;"
                                              "x-amz-date;x-amz-security-token, Signature="));
    ck_assert_str_eq(f.last_token, "session/token+=");
    /* sha256("data") */
    ck_assert_str_eq(f.last_sha, "3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7");
    wren_store_destroy(st);
    s_fake_stop(&f);
}
END_TEST

START_TEST(test_s3_gives_up_after_max_attempts)
{
    s_step steps[] = {{500, s_internal, NULL}};
    s_fake f;
    s_fake_start(&f, steps, 1);
    setenv("WREN_S3_MAX_ATTEMPTS", "3", 1);
    wren_store *st = s_open_ok("s3://bucket");
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren_store_get(st, "k", &b), WREN_ESTORE);
    ck_assert_int_eq(f.hits, 3);
    ck_assert_str_eq(wren_store_errmsg(st), "get s3://bucket/k: HTTP 500 InternalError: We encountered an internal "
                                            "error. Please try again. (after retries)");
    ck_assert_uint_eq(b.len, 0);
    /* SlowDown to the end is throttling. */
    s_step slow[] = {{503, s_slowdown, NULL}};
    f.steps = slow;
    f.hits = 0;
    ck_assert_int_eq(wren_store_put(st, "k", "v", 1), WREN_ETHROTTLED);
    ck_assert_int_eq(f.hits, 3);
    wren_buf_clean_up(&b);
    wren_store_destroy(st);
    s_fake_stop(&f);
}
END_TEST

START_TEST(test_s3_retries_dropped_connection)
{
    s_step steps[] = {{0, NULL, NULL}, {200, "abc", NULL}};
    s_fake f;
    s_fake_start(&f, steps, 2);
    wren_store *st = s_open_ok("s3://bucket");
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren_store_get(st, "k", &b), WREN_OK);
    ck_assert_str_eq(b.data, "abc");
    ck_assert_int_eq(f.hits, 2);
    wren_buf_clean_up(&b);
    wren_store_destroy(st);
    s_fake_stop(&f);
}
END_TEST

/* A connection dropped on every try: WREN_EHTTP, and the message says the
 * request was retried (as an HTTP error's does), not just libcurl's words. */
START_TEST(test_s3_gives_up_on_dropped_connections)
{
    s_step steps[] = {{0, NULL, NULL}};
    s_fake f;
    s_fake_start(&f, steps, 1);
    setenv("WREN_S3_MAX_ATTEMPTS", "3", 1);
    wren_store *st = s_open_ok("s3://bucket");
    ck_assert_int_eq(wren_store_put(st, "k", "v", 1), WREN_EHTTP);
    ck_assert_int_eq(f.hits, 3);
    const char *m = wren_store_errmsg(st);
    ck_assert_msg(!strncmp(m, "put s3://bucket/k: ", 19), "%s", m);
    size_t n = strlen(m);
    ck_assert_msg(n > 16 && !strcmp(m + n - 16, " (after retries)"), "%s", m);
    wren_store_destroy(st);
    s_fake_stop(&f);
}
END_TEST

START_TEST(test_s3_error_inside_200_list_is_retried_and_bad_keys_skipped)
{
    static const char page[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bucket</Name>"
        "<Prefix>p/</Prefix><KeyCount>4</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
        "<Contents><Key>p/a/status</Key><Size>12</Size></Contents>"
        "<Contents><Key>p/../etc</Key><Size>1</Size></Contents>"
        "<Contents><Key>p/a//b</Key><Size>1</Size></Contents>"
        "<Contents><Key>q/outside</Key><Size>1</Size></Contents>"
        "</ListBucketResult>";
    s_step steps[] = {{200, s_internal, NULL}, {200, page, NULL}};
    s_fake f;
    s_fake_start(&f, steps, 2);
    wren_store *st = s_open_ok("s3://bucket/p");
    int n = 0;
    ck_assert_int_eq(wren_store_list(st, "", s_count_fn, &n), WREN_OK);
    ck_assert_int_eq(f.hits, 2);
    ck_assert_int_eq(n, 1); /* only p/a/status is a key of ours */
    ck_assert_str_eq(f.last_url, "/bucket");
    ck_assert_str_eq(f.last_query, "list-type=2&prefix=p/&max-keys=1000");
    /* Garbage instead of XML is a protocol error, not a crash. */
    s_step junk[] = {{200, "<ListBucketResult><Contents><Key>", NULL}};
    f.steps = junk;
    f.nsteps = 1;
    f.hits = 0;
    ck_assert_int_eq(wren_store_list(st, "", s_count_fn, &n), WREN_EPROTO);
    wren_store_destroy(st);
    s_fake_stop(&f);
}
END_TEST

START_TEST(test_s3_wrong_region_names_the_right_one)
{
    s_step steps[] = {{301, "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access "
                            "must be addressed using the specified endpoint.</Message></Error>",
                       "eu-west-2"}};
    s_fake f;
    s_fake_start(&f, steps, 1);
    wren_store *st = s_open_ok("s3://bucket");
    ck_assert_int_eq(wren_store_put(st, "k", "v", 1), WREN_ESTORE);
    ck_assert_str_eq(wren_store_errmsg(st),
                     "put s3://bucket/k: the bucket is in region eu-west-2, not us-east-1 (set AWS_REGION=eu-west-2)");
    ck_assert_int_eq(f.hits, 1);
    /* HEAD has no body: the header alone names the region. */
    ck_assert_int_eq(wren_store_head(st, "k", NULL), WREN_ESTORE);
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "AWS_REGION=eu-west-2"));
    s_step malformed[] = {{400, "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is "
                                "wrong; expecting 'ap-east-1'</Message><Region>ap-east-1</Region></Error>",
                           NULL}};
    f.steps = malformed;
    f.hits = 0;
    ck_assert_int_eq(wren_store_put(st, "k", "v", 1), WREN_ESTORE);
    ck_assert_ptr_nonnull(strstr(wren_store_errmsg(st), "region ap-east-1, not us-east-1"));
    s_step denied[] = {{403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", NULL}};
    f.steps = denied;
    ck_assert_int_eq(wren_store_delete(st, "k"), WREN_EAUTH);
    ck_assert_str_eq(wren_store_errmsg(st), "delete s3://bucket/k: HTTP 403 AccessDenied: Access Denied");
    wren_store_destroy(st);
    s_fake_stop(&f);
}
END_TEST

START_TEST(test_s3_failed_multipart_is_aborted)
{
    s_step steps[] = {{200, "<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>k</Key>"
                            "<UploadId>up.1-x_y</UploadId></InitiateMultipartUploadResult>", NULL},
                      {403, "<Error><Code>AccessDenied</Code><Message>no parts for you</Message></Error>", NULL},
                      {204, "", NULL}};
    s_fake f;
    s_fake_start(&f, steps, 3);
    setenv("WREN_S3_MULTIPART_MIB", "5", 1);
    setenv("WREN_S3_PART_MIB", "5", 1);
    wren_store *st = s_open_ok("s3://bucket");
    size_t len = 6u << 20;
    char *big = calloc(1, len);
    ck_assert_int_eq(wren_store_put(st, "k", big, len), WREN_EAUTH);
    ck_assert_str_eq(wren_store_errmsg(st), "put s3://bucket/k: HTTP 403 AccessDenied: no parts for you");
    ck_assert_int_eq(f.hits, 3);
    ck_assert_str_eq(f.last_method, "DELETE");
    ck_assert_str_eq(f.last_query, "uploadId=up.1-x_y");
    free(big);
    wren_store_destroy(st);
    s_fake_stop(&f);
}
END_TEST

START_TEST(test_s3_open_refuses_bad_urls_and_missing_credentials)
{
    s_env_reset();
    setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
    wren_store *st = NULL;
    const char *bad[] = {"s3://", "s3://ab", "s3://Upper", "s3://bucket/../x", "s3://bucket/a//b", "s3://-bucket",
                         "s3://bucket_name"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(wren_store_open(bad[i], &st) == WREN_EINVAL && st == NULL, "%s", bad[i]);
    setenv("AWS_ENDPOINT_URL_S3", "ftp://127.0.0.1:1", 1);
    ck_assert_int_eq(wren_store_open("s3://bucket", &st), WREN_EINVAL);
    unsetenv("AWS_ENDPOINT_URL_S3");
    /* Virtual-hosted on AWS; path-style for dotted names. */
    setenv("AWS_REGION", "eu-central-1", 1);
    st = s_open_ok("s3://my-bucket/p");
    ck_assert_str_eq(wren__s3_origin(st), "https://my-bucket.s3.eu-central-1.amazonaws.com");
    wren_store_destroy(st);
    st = s_open_ok("s3://my.bucket/p");
    ck_assert_str_eq(wren__s3_origin(st), "https://s3.eu-central-1.amazonaws.com");
    wren_store_destroy(st);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    ck_assert_int_eq(wren_store_open("s3://bucket", &st), WREN_EAUTH);
    ck_assert_ptr_null(st);
    char err[256];
    ck_assert_int_eq(wren_store_open_msg("s3://bucket", &st, err, sizeof err), WREN_EAUTH);
    ck_assert_str_eq(err, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or profile default "
                          "in ~/.aws/credentials");
    ck_assert_int_eq(wren_store_open_msg("s3://Bad", &st, err, sizeof err), WREN_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "bad bucket name in s3://Bad"));
}
END_TEST

START_TEST(test_s3_ca_bundle_is_found_and_overridable)
{
    unsetenv("WREN_CA_BUNDLE");
    const char *ca = wren__s3_ca_bundle();
    ck_assert_ptr_nonnull(ca); /* this machine has Debian's or Amazon Linux's */
    ck_assert_int_eq(access(ca, R_OK), 0);
    setenv("WREN_CA_BUNDLE", "/custom/bundle.pem", 1);
    ck_assert_str_eq(wren__s3_ca_bundle(), "/custom/bundle.pem");
}
END_TEST

/* TLS is verified: a self-signed server is refused until its certificate is
 * the CA bundle. */
START_TEST(test_s3_tls_is_verified)
{
    s_env_reset();
    if (!s_on_path("openssl")) {
        fprintf(stderr, "check_s3: SKIP test_s3_tls_is_verified: no openssl command to make a certificate\n");
        return;
    }
    char dir[] = "/tmp/wren-check-s3-tls.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
             "-keyout %s/key.pem -out %s/cert.pem >/dev/null 2>&1",
             dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    int port = s_free_port();
    char port_s[16], cert[256], key[256];
    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execlp("openssl", "openssl", "s_server", "-accept", port_s, "-cert", cert, "-key", key, "-www", "-quiet",
               (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && !s_port_open(port); i++)
        usleep(25000);
    char ep[64];
    snprintf(ep, sizeof ep, "https://127.0.0.1:%d", port);
    setenv("AWS_ENDPOINT_URL_S3", ep, 1);
    setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
    setenv("WREN_S3_MAX_ATTEMPTS", "1", 1);
    unsetenv("WREN_CA_BUNDLE");
    wren_store *st = s_open_ok("s3://bucket");
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren_store_get(st, "k", &b), WREN_EHTTP);
    ck_assert_msg(strstr(wren_store_errmsg(st), "certificate") != NULL, "%s", wren_store_errmsg(st));
    wren_store_destroy(st);
    /* Trusting that certificate, the TLS handshake succeeds (s_server then
     * answers whatever it answers; it is not S3). */
    setenv("WREN_CA_BUNDLE", cert, 1);
    st = s_open_ok("s3://bucket");
    wren_buf_reset(&b);
    int rc = wren_store_get(st, "k", &b);
    ck_assert_msg(strstr(wren_store_errmsg(st), "certificate") == NULL, "rc %d: %s", rc, wren_store_errmsg(st));
    wren_buf_clean_up(&b);
    wren_store_destroy(st);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    /* Hermetic: no ~/.aws of the machine's user leaks into the tests. */
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_ENDPOINT_URL");
    Suite *s = suite_create("s3");
    TCase *fake = tcase_create("fake");
    tcase_set_timeout(fake, 30);
    tcase_add_test(fake, test_s3_retries_503_slowdown_then_succeeds);
    tcase_add_test(fake, test_s3_gives_up_after_max_attempts);
    tcase_add_test(fake, test_s3_retries_dropped_connection);
    tcase_add_test(fake, test_s3_gives_up_on_dropped_connections);
    tcase_add_test(fake, test_s3_error_inside_200_list_is_retried_and_bad_keys_skipped);
    tcase_add_test(fake, test_s3_wrong_region_names_the_right_one);
    tcase_add_test(fake, test_s3_open_refuses_bad_urls_and_missing_credentials);
    tcase_add_test(fake, test_s3_failed_multipart_is_aborted);
    tcase_add_test(fake, test_s3_ca_bundle_is_found_and_overridable);
    tcase_add_test(fake, test_s3_tls_is_verified);
    suite_add_tcase(s, fake);
    int have_moto = s_on_path("moto_server");
    if (have_moto) {
        TCase *moto = tcase_create("moto");
        tcase_set_timeout(moto, 60);
        tcase_add_unchecked_fixture(moto, s_moto_start, s_moto_stop);
        tcase_add_test(moto, test_s3_put_get_head_delete_roundtrip);
        tcase_add_test(moto, test_s3_list_pages_with_continuation_tokens);
        tcase_add_test(moto, test_s3_list_after_sends_start_after);
        tcase_add_test(moto, test_s3_wrong_secret_is_eauth_without_the_secret);
        tcase_add_test(moto, test_s3_missing_bucket_and_dotted_bucket);
        tcase_add_test(moto, test_s3_moto_quirk_is_needed_and_found);
        tcase_add_test(moto, test_s3_delete_prefix_in_batches);
        tcase_add_test(moto, test_s3_multipart_upload);
        suite_add_tcase(s, moto);
    } else {
        fprintf(stderr, "check_s3: SKIP the moto_server tests: moto_server is not on PATH "
                        "(pip install \"moto[server]\")\n");
    }
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    s_moto_stop();
    if (failed)
        return EXIT_FAILURE;
    return have_moto ? EXIT_SUCCESS : 77;
}
