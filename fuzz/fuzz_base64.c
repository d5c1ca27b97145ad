/*
 * fuzz_base64: wren_base64_decode on arbitrary text, and encode -> decode on
 * arbitrary bytes.
 *
 * Properties:
 *  - decode returns WREN_OK or WREN_EBADINPUT (ENOMEM aside), and on OK a
 *    NUL-terminated buffer of exactly len/4*3 - padding bytes;
 *  - for accepted text, encode(decode(x)) == x: only the canonical encoding
 *    is accepted (non-zero pad bits, "QR==", were accepted once: see
 *    fuzz/corpus/base64/regress-*);
 *  - decode(encode(b)) == b for any bytes b.
 */
#include "fuzz_util.h"
#include "wren_common.h"

static int s_b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static void s_check_decode(const char *text, size_t len)
{
    unsigned char *out = NULL;
    size_t out_len = 0;
    int rc = wren_base64_decode(text, len, &out, &out_len);
    WREN_FUZZ_CHECK(rc == WREN_OK || rc == WREN_EBADINPUT || rc == WREN_ENOMEM, "decode returned %d", rc);
    if (rc != WREN_OK) {
        WREN_FUZZ_CHECK(out == NULL && out_len == 0, "failed decode left output behind");
        return;
    }
    WREN_FUZZ_CHECK(len % 4 == 0, "accepted a length of %zu", len);
    size_t pad = 0;
    while (pad < len && text[len - 1 - pad] == '=')
        pad++;
    WREN_FUZZ_CHECK(pad <= 2, "accepted %zu padding characters", pad);
    WREN_FUZZ_CHECK(out_len == len / 4 * 3 - pad, "decoded %zu bytes from %zu chars with %zu pad", out_len, len,
                    pad);
    WREN_FUZZ_CHECK(out[out_len] == '\0', "decoded buffer not NUL-terminated");
    for (size_t i = 0; i + pad < len; i++)
        WREN_FUZZ_CHECK(s_b64_value(text[i]) >= 0, "accepted byte 0x%02x at %zu", (unsigned char)text[i], i);

    size_t enc_len = 0;
    char *enc = wren_base64_encode(out, out_len, &enc_len);
    WREN_FUZZ_CHECK(enc != NULL, "encode failed on %zu bytes", out_len);
    WREN_FUZZ_CHECK(enc_len == len, "re-encoded length %zu != %zu", enc_len, len);
    WREN_FUZZ_CHECK(memcmp(enc, text, len) == 0, "encode(decode(x)) != x: got %s", enc);
    free(enc);
    free(out);
}

static void s_check_encode(const uint8_t *bytes, size_t len)
{
    size_t enc_len = 0;
    char *enc = wren_base64_encode(bytes, len, &enc_len);
    WREN_FUZZ_CHECK(enc != NULL, "encode failed on %zu bytes", len);
    WREN_FUZZ_CHECK(enc_len == 4 * ((len + 2) / 3) && enc[enc_len] == '\0', "encoded length %zu for %zu bytes",
                    enc_len, len);
    unsigned char *dec = NULL;
    size_t dec_len = 0;
    int rc = wren_base64_decode(enc, enc_len, &dec, &dec_len);
    WREN_FUZZ_CHECK(rc == WREN_OK, "decode of our own encoding failed: %d", rc);
    WREN_FUZZ_CHECK(dec_len == len && (len == 0 || memcmp(dec, bytes, len) == 0), "decode(encode(b)) != b");
    free(dec);
    free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_check_decode((const char *)data, size);
    s_check_encode(data, size);
    return 0;
}
