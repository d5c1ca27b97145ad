/*
 * common/utf8.c: UTF-8 validation and repair, shared by every place that
 * turns bytes from outside into JSON text (error bodies, rendered results).
 */
#include "wren_common.h"

static const char s_replacement[3] = {(char)0xEF, (char)0xBF, (char)0xBD};

/* Length of the valid UTF-8 sequence at s[0..avail), or 0 if ill-formed; then
 * *subpart_len is the length of the maximal ill-formed subpart (>= 1): the
 * lead byte and those continuation bytes that could still have begun a valid
 * sequence (Unicode Table 3-7 bounds the second byte per lead byte). */
static size_t s_valid_sequence(const unsigned char *s, size_t avail, size_t *subpart_len)
{
    unsigned char b0 = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (b0 < 0x80)
        return 1;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 3;
        if (b0 == 0xE0)
            lo = 0xA0; /* below is overlong */
        else if (b0 == 0xED)
            hi = 0x9F; /* above is a surrogate */
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 4;
        if (b0 == 0xF0)
            lo = 0x90; /* below is overlong */
        else if (b0 == 0xF4)
            hi = 0x8F; /* above is past U+10FFFF */
    } else {
        *subpart_len = 1; /* 80..C1 (continuation or overlong lead), F5..FF */
        return 0;
    }
    size_t i = 1;
    for (; i < need && i < avail; i++) {
        unsigned char b = s[i];
        unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (b < l || b > h)
            break;
    }
    if (i == need)
        return need;
    *subpart_len = i;
    return 0;
}

int wren_utf8_sanitize(const char *s, size_t len, wren_buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    size_t run = 0; /* start of the current run of valid bytes */
    while (i < len) {
        if (p[i] < 0x80) { /* the common case, one byte at a time */
            i++;
            continue;
        }
        size_t bad = 0;
        size_t n = s_valid_sequence(p + i, len - i, &bad);
        if (n) {
            i += n;
            continue;
        }
        int rc = wren_buf_append(out, s + run, i - run);
        if (rc == WREN_OK)
            rc = wren_buf_append(out, s_replacement, sizeof s_replacement);
        if (rc != WREN_OK)
            return rc;
        i += bad;
        run = i;
    }
    return wren_buf_append(out, s + run, len - run);
}

