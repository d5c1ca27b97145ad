/*
 * fuzz_s3_xml: the S3 backend's reader of XML replies (store/store_s3.c):
 * ListObjectsV2 pages and <Error> bodies, from any S3-compatible endpoint,
 * which is outside wren's control.
 *
 * The reader is static in store_s3.c, so this harness compiles that file
 * into itself (#include) rather than exposing it; the library's copy of the
 * file is then not linked (every symbol it defines is defined here first).
 *
 * Properties: s_xml_parse returns OK, EPROTO (not well-formed) or ENOMEM
 * (only when an element's text passes the 1 MiB cap); the fixed-size fields
 * (root, code, message, region) are NUL-terminated within their arrays; the
 * listing holds n_entries <= cap_entries entries, each with a key (a C
 * string); and the listing filter the backend applies (prefix, then
 * wren_store_key_ok) only ever hands on keys that are valid store keys.
 * Clean-up frees everything (LeakSanitizer).
 */
#include "store_s3.c" /* NOLINT: the static XML reader under test */

#include "fuzz_util.h"

static void s_terminated(const char *field, size_t size, const char *what)
{
    WREN_FUZZ_CHECK(memchr(field, '\0', size) != NULL, "%s not NUL-terminated", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_xml x;
    int rc = s_xml_parse(&x, (const char *)data, size);
    WREN_FUZZ_CHECK(rc == WREN_OK || rc == WREN_EPROTO || rc == WREN_ENOMEM, "s_xml_parse returned %d", rc);
    if (rc == WREN_ENOMEM)
        WREN_FUZZ_CHECK(size > (1u << 20), "ENOMEM on %zu bytes", size);
    s_terminated(x.root, sizeof x.root, "root");
    s_terminated(x.code, sizeof x.code, "code");
    s_terminated(x.message, sizeof x.message, "message");
    s_terminated(x.region, sizeof x.region, "region");
    WREN_FUZZ_CHECK(x.n_entries <= x.cap_entries, "%zu entries in room for %zu", x.n_entries, x.cap_entries);
    static const char prefix[] = "pre/";
    for (size_t i = 0; i < x.n_entries; i++) {
        const char *k = x.entries[i].key;
        WREN_FUZZ_CHECK(k != NULL, "entry %zu without a key", i);
        if (strncmp(k, prefix, sizeof prefix - 1) == 0 && wren_store_key_ok(k + sizeof prefix - 1)) {
            const char *rel = k + sizeof prefix - 1;
            WREN_FUZZ_CHECK(rel[0] != '/' && !strstr(rel, "//") && strcmp(rel, "..") && strncmp(rel, "../", 3) &&
                                !strstr(rel, "/../"),
                            "listing handed on '%s'", rel);
        }
    }
    if (x.next_token)
        (void)strlen(x.next_token);
    s_xml_clean_up(&x);
    return 0;
}
