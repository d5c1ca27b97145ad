/*
 * fuzz_store_key: the gates between wire text and the object store's paths:
 * wren_store_key_ok (store/store.c), wren__store_prefix_ok (list prefixes) and
 * the bootstrap's own wren__key_ok, which must apply the same rule.
 *
 * The input is split at its first NUL as a C caller would see it.
 * Properties of an accepted key: 1..1024 bytes, no leading or trailing '/',
 * no "//", no "." or ".." segment, segments of 1..128 bytes of
 * [A-Za-z0-9._-]: so no path it names can leave the store's root. (".." as a
 * substring of a longer segment, "a..b", is allowed and harmless.)
 * Both key checks agree with each other and with an independent oracle; the
 * prefix check agrees with its oracle: "" or whole key segments, then a
 * partial segment of safe bytes; every key is a valid prefix, and so is
 * key + "/".
 */
#include "fuzz_util.h"
#include "store_internal.h"

#ifdef WREN_FUZZ_HAVE_BOOTSTRAP
int wren__key_ok(const char *key); /* bootstrap/bootstrap.h */
#endif

static int s_safe_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

static int s_segment_ok(const char *s, size_t n)
{
    if (n < 1 || n > 128 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!s_safe_char(s[i]))
            return 0;
    return 1;
}

static int s_key_oracle(const char *k, size_t n)
{
    if (n < 1 || n > 1024)
        return 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || k[i] == '/') {
            if (!s_segment_ok(k + start, i - start))
                return 0;
            start = i + 1;
        }
    }
    return 1;
}

static int s_prefix_oracle(const char *p, size_t n)
{
    if (n == 0)
        return 1;
    if (n > 1024)
        return 0;
    size_t last = n;
    for (size_t i = n; i-- > 0;)
        if (p[i] == '/') {
            last = i;
            break;
        }
    size_t part = 0;
    if (last != n) {
        if (!s_key_oracle(p, last))
            return 0;
        part = last + 1;
    }
    if (n - part > 128)
        return 0;
    for (size_t i = part; i < n; i++)
        if (!s_safe_char(p[i]))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return -1;
    char buf[4096 + 2];
    memcpy(buf, data, size);
    buf[size] = '\0';
    size_t n = strlen(buf); /* what a C caller sees */

    int ok = wren_store_key_ok(buf);
    WREN_FUZZ_CHECK(ok == 0 || ok == 1, "wren_store_key_ok returned %d", ok);
    WREN_FUZZ_CHECK(ok == s_key_oracle(buf, n), "wren_store_key_ok says %d for \"%s\"", ok, buf);
#ifdef WREN_FUZZ_HAVE_BOOTSTRAP
    WREN_FUZZ_CHECK(!!wren__key_ok(buf) == ok, "wren__key_ok and wren_store_key_ok disagree on \"%s\"", buf);
#endif
    if (ok) {
        WREN_FUZZ_CHECK(buf[0] != '/' && buf[n - 1] != '/' && !strstr(buf, "//"), "accepted \"%s\"", buf);
        WREN_FUZZ_CHECK(strcmp(buf, "..") && strncmp(buf, "../", 3) && !strstr(buf, "/../") &&
                            !(n >= 3 && !strcmp(buf + n - 3, "/..")),
                        "accepted a .. segment: \"%s\"", buf);
        WREN_FUZZ_CHECK(wren__store_prefix_ok(buf), "key \"%s\" is not a valid prefix", buf);
        if (n < 1024) {
            buf[n] = '/';
            buf[n + 1] = '\0';
            WREN_FUZZ_CHECK(wren__store_prefix_ok(buf), "\"%s\" refused as a prefix", buf);
            buf[n] = '\0';
        }
    }
    int pok = wren__store_prefix_ok(buf);
    WREN_FUZZ_CHECK(pok == s_prefix_oracle(buf, n), "wren__store_prefix_ok says %d for \"%s\"", pok, buf);
    return 0;
}
