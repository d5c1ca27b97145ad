/*
 * fuzz_invoke_path: how the emulator routes request URLs (emulator/http.c):
 * the Invoke API path "/2015-03-31/functions/NAME/invocations" (NAME a name,
 * a partial or full ARN, with an optional ":qualifier"), and the Runtime API
 * routes "/2018-06-01/runtime/invocation/ID/{response,error}", ".../next",
 * ".../init/error". URLs come from whoever can reach the port.
 *
 * The parsers are static in http.c, so this harness compiles that file into
 * itself (#include); the library's copy is then not linked.
 *
 * Input: byte 0 picks the method (GET or POST), the rest is the URL (up to
 * its first NUL, as libmicrohttpd hands it over).
 *
 * Properties: s_parse_invoke_path accepts only URLs with that prefix and
 * suffix, and then gives a NUL-terminated name shorter than the buffer with
 * no ':' or '/' that occurs in the URL; s_runtime_route gives NEXT only for
 * GET .../next, RESPONSE/ERROR only for POST with a non-empty id of no '/'
 * that fits its buffer and occurs in the URL right after the prefix.
 */
#include "http.c" /* NOLINT: the static routing functions under test */

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return -1;
    const char *method = (data[0] & 1) ? "POST" : "GET";
    char url[4097];
    memcpy(url, data + 1, size - 1);
    url[size - 1] = '\0';
    size_t ul = strlen(url);

    char name[256];
    memset(name, 0x55, sizeof name);
    if (s_parse_invoke_path(url, name, sizeof name)) {
        static const char prefix[] = "/2015-03-31/functions/", suffix[] = "/invocations";
        WREN_FUZZ_CHECK(ul > sizeof prefix + sizeof suffix - 2 && !strncmp(url, prefix, sizeof prefix - 1) &&
                            !strcmp(url + ul - (sizeof suffix - 1), suffix),
                        "accepted '%s'", url);
        size_t nl = strnlen(name, sizeof name);
        WREN_FUZZ_CHECK(nl < sizeof name, "name not NUL-terminated");
        WREN_FUZZ_CHECK(!strchr(name, ':'), "name '%s' holds a qualifier", name);
        WREN_FUZZ_CHECK(!strchr(name, '/') || strstr(url + sizeof prefix - 1, name), "name '%s' not from the URL",
                        name);
        WREN_FUZZ_CHECK(strstr(url, name) != NULL, "name '%s' is not in the URL", name);
    }

    wren__req req;
    memset(&req, 0, sizeof req);
    wren__req_kind kind = s_runtime_route(url, method, req.id, sizeof req.id);
    static const char inv_prefix[] = "/2018-06-01/runtime/invocation/";
    switch (kind) {
    case WREN__REQ_NEXT:
        WREN_FUZZ_CHECK(!strcmp(method, "GET") && !strcmp(url, "/2018-06-01/runtime/invocation/next"), "next for %s",
                        url);
        break;
    case WREN__REQ_INIT_ERROR:
        WREN_FUZZ_CHECK(!strcmp(method, "POST") && !strcmp(url, "/2018-06-01/runtime/init/error"), "init error");
        break;
    case WREN__REQ_RESPONSE:
    case WREN__REQ_ERROR: {
        WREN_FUZZ_CHECK(!strcmp(method, "POST"), "%s routed as a post", method);
        size_t il = strnlen(req.id, sizeof req.id);
        WREN_FUZZ_CHECK(il > 0 && il < sizeof req.id, "id of %zu bytes", il);
        WREN_FUZZ_CHECK(!strchr(req.id, '/'), "id '%s' holds '/'", req.id);
        WREN_FUZZ_CHECK(!strncmp(url, inv_prefix, sizeof inv_prefix - 1) &&
                            !strncmp(url + sizeof inv_prefix - 1, req.id, il) &&
                            !strcmp(url + sizeof inv_prefix - 1 + il,
                                    kind == WREN__REQ_RESPONSE ? "/response" : "/error"),
                        "route of '%s'", url);
        break;
    }
    default:
        break;
    }
    return 0;
}
