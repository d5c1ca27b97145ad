#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "wren_common.h"

int64_t wren_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double wren_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000) / 1e6;
}

uint64_t wren_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

char *wren_base64_encode(const void *bytes, size_t len, size_t *out_len)
{
    if (len > (size_t)INT32_MAX / 4 * 3 - 3)
        return NULL;
    size_t n = 4 * ((len + 2) / 3);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    int w = EVP_EncodeBlock((unsigned char *)out, bytes, (int)len);
    out[w] = '\0';
    if (out_len)
        *out_len = (size_t)w;
    return out;
}

/* The 6-bit value of a base64 character, or -1. */
static int s_b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int wren_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (len % 4 != 0 || len > (size_t)INT32_MAX)
        return WREN_EBADINPUT;
    /* EVP_DecodeBlock accepts whitespace and stray padding; check strictly
     * first so a corrupted payload is refused rather than half-decoded. */
    size_t pad = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '=') {
            if (i < len - 2)
                return WREN_EBADINPUT;
            pad++;
        } else if (s_b64_value(c) < 0 || pad) {
            return WREN_EBADINPUT;
        }
    }
    /* The bits after the last byte must be zero, so each byte string has
     * exactly one encoding ("Zh==" is not "Zg=="). */
    if (pad && (s_b64_value((unsigned char)text[len - pad - 1]) & (pad == 1 ? 0x3 : 0xf)))
        return WREN_EBADINPUT;
    unsigned char *buf = malloc(len / 4 * 3 + 1);
    if (!buf)
        return WREN_ENOMEM;
    int n = len ? EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len) : 0;
    if (n < 0) {
        free(buf);
        return WREN_EBADINPUT;
    }
    n -= (int)pad; /* EVP_DecodeBlock counts padding as zero bytes */
    buf[n] = '\0';
    *out = buf;
    *out_len = (size_t)n;
    return WREN_OK;
}

int wren_is_safe_id(const char *s, size_t len)
{
    if (!s || len == 0 || len > 128)
        return 0;
    if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return 0;
    }
    return 1;
}

int wren_random_hex(char *out, size_t nbytes)
{
    unsigned char raw[64];
    if (nbytes > sizeof raw)
        return WREN_EINVAL;
    size_t got = 0;
    while (got < nbytes) {
        ssize_t n = getrandom(raw + got, nbytes - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return WREN_ESYS;
        }
        got += (size_t)n;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * nbytes] = '\0';
    return WREN_OK;
}

static int s_log_threshold = -1;

void wren__log(wren_log_level level, const char *tag, const char *fmt, ...)
{
    if (s_log_threshold < 0) {
        const char *e = getenv("WREN_LOG");
        s_log_threshold = WREN_LOG_INFO;
        if (e && !strcmp(e, "debug"))
            s_log_threshold = WREN_LOG_DEBUG;
        else if (e && !strcmp(e, "warn"))
            s_log_threshold = WREN_LOG_WARN;
        else if (e && !strcmp(e, "error"))
            s_log_threshold = WREN_LOG_ERROR;
    }
    if ((int)level < s_log_threshold)
        return;
    static const char *names[] = {"debug", "info", "warn", "error"};
    char line[2048];
    int n = snprintf(line, sizeof line, "%s: %s: ", tag ? tag : "wren", names[level]);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = strnlen(line, sizeof line - 2);
    line[len++] = '\n';
    /* One write() so lines from concurrent processes do not interleave. */
    ssize_t ignored = write(STDERR_FILENO, line, len);
    (void)ignored;
}

int wren__outcome_key(char *out, size_t size, const char *job, const char *call, int attempt, const char *name)
{
    if (attempt <= 0)
        return snprintf(out, size, "%s/%s/%s", job, call, name);
    return snprintf(out, size, "%s/%s/%s.%d", job, call, name, attempt);
}

static int s_is_out_key(const char *result_key, const char *job, const char *call, int attempt)
{
    char key[1200];
    int n = wren__outcome_key(key, sizeof key, job, call, attempt, "out");
    return n > 0 && (size_t)n < sizeof key && !strcmp(result_key, key);
}

int wren__result_key_ok(const char *result_key, const char *job, const char *call, int attempt)
{
    return s_is_out_key(result_key, job, call, attempt) || s_is_out_key(result_key, job, call, 0);
}

int wren__status_key_attempt(const char *segment, size_t len)
{
    static const char name[] = "status";
    const size_t n = sizeof name - 1;
    if (len < n || memcmp(segment, name, n) != 0)
        return -1;
    if (len == n)
        return 0;
    /* ".N": 1..7 digits, no leading zero, at most WREN__MAX_ATTEMPT. */
    if (segment[n] != '.' || len - n - 1 < 1 || len - n - 1 > 7 || segment[n + 1] == '0')
        return -1;
    int v = 0;
    for (size_t i = n + 1; i < len; i++) {
        if (segment[i] < '0' || segment[i] > '9')
            return -1;
        v = v * 10 + (segment[i] - '0');
    }
    return v <= WREN__MAX_ATTEMPT ? v : -1;
}
