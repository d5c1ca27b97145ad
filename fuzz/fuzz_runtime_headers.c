/*
 * fuzz_runtime_headers: what the Runtime API client (runtime/runtime.c)
 * makes of the headers of a `next` answer and of its endpoint setting:
 * Lambda-Runtime-Deadline-Ms (s_parse_deadline), the request id that goes
 * into the URLs it posts to (wren_is_safe_id, checked in s_invocation_url)
 * and AWS_LAMBDA_RUNTIME_API (s_endpoint_ok).
 *
 * These are static in runtime.c, so the harness compiles that file into
 * itself (#include); the library's copy is then not linked.
 *
 * Properties: a deadline is accepted iff it is 1..18 ASCII digits, and then
 * equals strtoll's value (no overflow: 18 digits < 2^63); an endpoint is
 * accepted iff it is 1..255 printable ASCII bytes without '/', '?', '#', '@'
 * or space; an invocation URL is built only for a safe request id, and then
 * is the base, "/invocation/", the id and the suffix, nothing else.
 */
#include "runtime.c" /* NOLINT: the static header parsers under test */

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1024)
        return -1;
    char s[1025];
    memcpy(s, data, size);
    s[size] = '\0';
    size_t n = strlen(s);

    int64_t v = -1;
    int rc = s_parse_deadline(s, &v);
    int digits = n >= 1 && n <= 18 && strspn(s, "0123456789") == n;
    WREN_FUZZ_CHECK((rc == WREN_OK) == digits, "deadline '%s': %d", s, rc);
    if (rc == WREN_OK)
        WREN_FUZZ_CHECK(v == strtoll(s, NULL, 10) && v >= 0, "deadline '%s' read as %lld", s, (long long)v);

    int ok = s_endpoint_ok(s);
    int want = n >= 1 && n <= 255;
    for (size_t i = 0; i < n && want; i++) {
        unsigned char c = (unsigned char)s[i];
        want = c > 0x20 && c < 0x7f && !strchr("/?#@", c);
    }
    WREN_FUZZ_CHECK(!!ok == want, "endpoint '%s': %d", s, ok);

    /* The request id, as it would come in Lambda-Runtime-Aws-Request-Id. */
    wren_runtime rt;
    memset(&rt, 0, sizeof rt);
    rt.base_url = (char *)"http://127.0.0.1:9001/2018-06-01/runtime";
    wren_buf_init(&rt.url, 0);
    rc = s_invocation_url(&rt, s, "/response");
    WREN_FUZZ_CHECK((rc == WREN_OK) == !!wren_is_safe_id(s, n), "invocation url for '%s': %d", s, rc);
    if (rc == WREN_OK) {
        char want_url[1200];
        snprintf(want_url, sizeof want_url, "%s/invocation/%s/response", rt.base_url, s);
        WREN_FUZZ_CHECK(!strcmp(rt.url.data, want_url), "url '%s'", rt.url.data);
    }
    wren_buf_clean_up(&rt.url);
    return 0;
}
