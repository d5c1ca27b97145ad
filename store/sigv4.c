/*
 * store/sigv4.c: AWS Signature Version 4 in named stages (see sigv4.h).
 * The rules follow the AWS documentation and botocore's signer, which the
 * differential test compares against byte for byte.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sigv4.h"

static const char s_hex[] = "0123456789abcdef";

static void s_to_hex(const unsigned char *bytes, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = s_hex[bytes[i] >> 4];
        out[2 * i + 1] = s_hex[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

/* OpenSSL 3 looks an algorithm up by name on every one-shot call (SHA256(),
 * HMAC()); that lookup cost more than the hashing itself for requests this
 * small. Fetch SHA-256 once, and build HMAC from two digests over a context
 * the caller reuses. */
static EVP_MD *s_md;
static pthread_once_t s_md_once = PTHREAD_ONCE_INIT;

static void s_md_init(void)
{
    s_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static EVP_MD_CTX *s_ctx_new(void)
{
    pthread_once(&s_md_once, s_md_init);
    return s_md ? EVP_MD_CTX_new() : NULL;
}

static int s_sha256(EVP_MD_CTX *ctx, const void *a, size_t alen, const void *b, size_t blen, unsigned char out[32])
{
    unsigned int n = 0;
    if (!EVP_DigestInit_ex(ctx, s_md, NULL) || !EVP_DigestUpdate(ctx, a, alen) ||
        (blen && !EVP_DigestUpdate(ctx, b, blen)) || !EVP_DigestFinal_ex(ctx, out, &n) || n != 32)
        return WREN_ESYS;
    return WREN_OK;
}

static int s_sha256_hex(EVP_MD_CTX *ctx, const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    int rc = s_sha256(ctx, data ? data : (const void *)"", len, NULL, 0, md);
    s_to_hex(md, 32, out);
    return rc;
}

/* HMAC-SHA256 (RFC 2104): H(K^opad || H(K^ipad || msg)). */
static int s_hmac(EVP_MD_CTX *ctx, const void *key, size_t key_len, const char *msg, size_t msg_len,
                  unsigned char out[32])
{
    unsigned char k[64], pad[64], inner[32];
    int rc = WREN_OK;
    memset(k, 0, sizeof k);
    if (key_len > 64)
        rc = s_sha256(ctx, key, key_len, NULL, 0, k);
    else
        memcpy(k, key, key_len);
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    if (rc == WREN_OK)
        rc = s_sha256(ctx, pad, 64, msg, msg_len, inner);
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    if (rc == WREN_OK)
        rc = s_sha256(ctx, pad, 64, inner, 32, out);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
    return rc;
}

int wren_sigv4_amz_date(int64_t time_s, char out[17])
{
    time_t t = (time_t)time_s;
    struct tm tm;
    if (time_s < 0 || !gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999)
        return WREN_EINVAL;
    /* Digits by hand: the ranges are known, and this runs per request. */
    int v[6] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
    out[0] = (char)('0' + v[0] / 1000);
    out[1] = (char)('0' + v[0] / 100 % 10);
    out[2] = (char)('0' + v[0] / 10 % 10);
    out[3] = (char)('0' + v[0] % 10);
    for (int i = 1, at = 4; i < 6; i++) {
        if (i == 3)
            out[at++] = 'T';
        out[at++] = (char)('0' + v[i] / 10);
        out[at++] = (char)('0' + v[i] % 10);
    }
    out[15] = 'Z';
    out[16] = '\0';
    return WREN_OK;
}

/* Appends (pointer, length) pieces; a length of (size_t)-1 means strlen.
 * printf cost more than all the hashing of a signature. */
typedef struct s_piece {
    const char *p;
    size_t n;
} s_piece;

static int s_append_pieces(wren_buf *out, const s_piece *pieces, size_t count)
{
    size_t total = 0, lens[16];
    for (size_t i = 0; i < count; i++) {
        lens[i] = pieces[i].n == (size_t)-1 ? strlen(pieces[i].p) : pieces[i].n;
        total += lens[i];
    }
    int rc = wren_buf_reserve(out, total);
    if (rc != WREN_OK)
        return rc;
    for (size_t i = 0; i < count; i++) {
        memcpy(out->data + out->len, pieces[i].p, lens[i]);
        out->len += lens[i];
    }
    out->data[out->len] = '\0';
    return WREN_OK;
}
#define S_Z ((size_t)-1)

static int s_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

int wren_sigv4_uri_encode(const char *s, size_t len, int keep_slash, wren_buf *out)
{
    static const char up[] = "0123456789ABCDEF";
    int rc = wren_buf_reserve(out, len * 3);
    if (rc != WREN_OK)
        return rc;
    char *p = out->data + out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (s_unreserved(c) || (keep_slash && c == '/')) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = up[c >> 4];
            *p++ = up[c & 15];
        }
    }
    out->len = (size_t)(p - out->data);
    out->data[out->len] = '\0';
    return WREN_OK;
}

/* Appends the path with dot segments and empty segments removed, as the
 * generic rules (and botocore's remove_dot_segments) do: "//a/./b/../c/"
 * becomes "/a/c/"; an empty path becomes "/". */
static int s_normalize_path(const char *path, wren_buf *out)
{
    size_t n = strlen(path);
    if (n == 0)
        return wren_buf_append_str(out, "/");
    /* Segment starts and lengths: a stack, popped by "..". */
    size_t cap = n / 2 + 2, top = 0;
    size_t *seg_off = malloc(cap * sizeof *seg_off), *seg_len = malloc(cap * sizeof *seg_len);
    int rc = WREN_OK;
    if (!seg_off || !seg_len) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && path[j] != '/')
            j++;
        size_t len = j - i;
        if (len == 0 || (len == 1 && path[i] == '.')) {
            /* skip */
        } else if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
            if (top)
                top--;
        } else {
            seg_off[top] = i;
            seg_len[top] = len;
            top++;
        }
        i = j + 1;
    }
    if (path[0] == '/')
        rc = wren_buf_append(out, "/", 1);
    for (size_t k = 0; k < top && rc == WREN_OK; k++) {
        if (k)
            rc = wren_buf_append(out, "/", 1);
        if (rc == WREN_OK)
            rc = wren_buf_append(out, path + seg_off[k], seg_len[k]);
    }
    if (rc == WREN_OK && path[n - 1] == '/' && top)
        rc = wren_buf_append(out, "/", 1);
cleanup:
    free(seg_off);
    free(seg_len);
    return rc;
}

/* A query pair or a header, as offsets into a scratch buffer (which may
 * move while it grows). */
typedef struct s_pair {
    size_t k_off, k_len, v_off, v_len;
    size_t order; /* original position: a stable sort for repeated headers */
    const char *base;
} s_pair;

static int s_pair_cmp(const void *pa, const void *pb)
{
    const s_pair *a = pa, *b = pb;
    size_t n = a->k_len < b->k_len ? a->k_len : b->k_len;
    int c = memcmp(a->base + a->k_off, b->base + b->k_off, n);
    if (c)
        return c;
    if (a->k_len != b->k_len)
        return a->k_len < b->k_len ? -1 : 1;
    return 0;
}

static int s_query_cmp(const void *pa, const void *pb)
{
    int c = s_pair_cmp(pa, pb);
    if (c)
        return c;
    const s_pair *a = pa, *b = pb;
    size_t n = a->v_len < b->v_len ? a->v_len : b->v_len;
    c = memcmp(a->base + a->v_off, b->base + b->v_off, n);
    if (c)
        return c;
    return a->v_len < b->v_len ? -1 : a->v_len > b->v_len;
}

static int s_header_cmp(const void *pa, const void *pb)
{
    int c = s_pair_cmp(pa, pb);
    if (c)
        return c;
    const s_pair *a = pa, *b = pb;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int s_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Appends the value with leading and trailing whitespace removed and inner
 * runs of whitespace folded to one space (the spec's Trimall). */
static int s_append_trimall(wren_buf *out, const char *v)
{
    int rc = wren_buf_reserve(out, strlen(v));
    if (rc != WREN_OK)
        return rc;
    int pending_space = 0, any = 0;
    for (const char *p = v; *p; p++) {
        if (s_is_space(*p)) {
            pending_space = any;
            continue;
        }
        if (pending_space)
            out->data[out->len++] = ' ';
        out->data[out->len++] = *p;
        pending_space = 0;
        any = 1;
    }
    out->data[out->len] = '\0';
    return WREN_OK;
}

/* Headers never signed: hop-by-hop ones a proxy may change, the user agent,
 * the trace id Lambda adds, and the Authorization header itself. */
static int s_unsigned_header(const char *lname)
{
    static const char *const skip[] = {"authorization", "connection", "expect", "keep-alive",
                                       "proxy-authenticate", "proxy-authorization", "te", "trailer",
                                       "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id"};
    for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
        if (!strcmp(lname, skip[i]))
            return 1;
    return 0;
}

/* Appends the header name lower-cased and stripped of surrounding spaces. */
static int s_append_lname(wren_buf *out, const char *name)
{
    while (s_is_space(*name))
        name++;
    size_t n = strlen(name);
    while (n && s_is_space(name[n - 1]))
        n--;
    int rc = wren_buf_reserve(out, n);
    if (rc != WREN_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        out->data[out->len++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out->data[out->len] = '\0';
    return WREN_OK;
}

static int s_is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static int s_canonical_request(EVP_MD_CTX *ctx, const wren_sigv4_request *req, const wren_sigv4_config *cfg,
                               wren_buf *creq, wren_buf *signed_headers, char payload_hash_out[65])
{
    wren_buf scratch, given;
    wren_buf_init(&scratch, 0);
    wren_buf_init(&given, 0);
    s_pair *pairs = NULL;
    int rc = WREN_OK;
    if (!req || !cfg || !req->method || !creq || !signed_headers)
        return WREN_EINVAL;
    char amz_date[17];
    rc = wren_sigv4_amz_date(cfg->time_s, amz_date);
    if (rc != WREN_OK)
        return rc;
    const char *token = cfg->session_token && cfg->session_token[0] ? cfg->session_token : NULL;

    /* The payload hash first: S3 signs it as a header too. */
    char payload_hex[65];
    const char *payload = payload_hex;
    const char *given_sha = NULL;
    for (size_t i = 0; i < req->header_count; i++)
        if (req->headers[i].name && req->headers[i].value && !strcasecmp(req->headers[i].name, "x-amz-content-sha256"))
            given_sha = req->headers[i].value;
    if (req->payload_hash) {
        if (strcmp(req->payload_hash, WREN_SIGV4_UNSIGNED_PAYLOAD) && !s_is_hex64(req->payload_hash))
            return WREN_EINVAL;
        snprintf(payload_hex, sizeof payload_hex, "%s", req->payload_hash);
    } else if (given_sha && !cfg->s3_rules) {
        /* The caller's header value, as its canonical header line shows it
         * (trimmed), and only if it can be a payload hash: 64 hex digits or a
         * token like UNSIGNED-PAYLOAD, [A-Za-z0-9-]{1,64}. Anything else
         * (a '\n' that would add a line to the canonical request) is refused. */
        if ((rc = s_append_trimall(&given, given_sha)) != WREN_OK)
            return rc;
        int ok = given.len >= 1 && given.len <= 64;
        for (size_t i = 0; ok && i < given.len; i++) {
            char ch = given.data[i];
            ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
        }
        if (!ok) {
            wren_buf_clean_up(&given);
            return WREN_EINVAL;
        }
        payload = given.data;
    } else {
        if ((rc = s_sha256_hex(ctx, req->body, req->body_len, payload_hex)) != WREN_OK)
            return rc;
    }
    if (payload_hash_out)
        snprintf(payload_hash_out, 65, "%s", payload);

    /* 1. Method. */
    for (const char *m = req->method; *m; m++) {
        char c = (*m >= 'a' && *m <= 'z') ? (char)(*m - 'a' + 'A') : *m;
        rc = wren_buf_append(creq, &c, 1);
        if (rc != WREN_OK)
            goto cleanup;
    }
    if ((rc = wren_buf_append(creq, "\n", 1)) != WREN_OK)
        goto cleanup;

    /* 2. Path: S3 signs it as sent; the generic rules normalise it and
     * encode it again. */
    const char *path = req->path && req->path[0] ? req->path : "/";
    if (cfg->s3_rules) {
        rc = wren_buf_append_str(creq, path);
    } else {
        rc = s_normalize_path(path, &scratch);
        if (rc == WREN_OK)
            rc = wren_sigv4_uri_encode(scratch.data, scratch.len, 1, creq);
        wren_buf_reset(&scratch);
    }
    if (rc != WREN_OK || (rc = wren_buf_append(creq, "\n", 1)) != WREN_OK)
        goto cleanup;

    /* 3. Query: encode each key and value, sort by key then value. */
    size_t npairs = req->query_count > req->header_count + 3 ? req->query_count : req->header_count + 3;
    pairs = calloc(npairs ? npairs : 1, sizeof *pairs);
    if (!pairs) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < req->query_count; i++) {
        const char *k = req->query[i].key ? req->query[i].key : "";
        const char *v = req->query[i].value ? req->query[i].value : "";
        pairs[i].k_off = scratch.len;
        rc = wren_sigv4_uri_encode(k, strlen(k), 0, &scratch);
        pairs[i].k_len = scratch.len - pairs[i].k_off;
        pairs[i].v_off = scratch.len;
        if (rc == WREN_OK)
            rc = wren_sigv4_uri_encode(v, strlen(v), cfg->query_raw_slash, &scratch);
        pairs[i].v_len = scratch.len - pairs[i].v_off;
        if (rc != WREN_OK)
            goto cleanup;
    }
    for (size_t i = 0; i < req->query_count; i++)
        pairs[i].base = scratch.data;
    if (req->query_count > 1)
        qsort(pairs, req->query_count, sizeof *pairs, s_query_cmp);
    for (size_t i = 0; i < req->query_count && rc == WREN_OK; i++) {
        if (i)
            rc = wren_buf_append(creq, "&", 1);
        if (rc == WREN_OK)
            rc = wren_buf_append(creq, scratch.data + pairs[i].k_off, pairs[i].k_len);
        if (rc == WREN_OK)
            rc = wren_buf_append(creq, "=", 1);
        if (rc == WREN_OK)
            rc = wren_buf_append(creq, scratch.data + pairs[i].v_off, pairs[i].v_len);
    }
    if (rc != WREN_OK || (rc = wren_buf_append(creq, "\n", 1)) != WREN_OK)
        goto cleanup;

    /* 4. Headers: lower-case names, trimmed values, sorted by name (stable,
     * so repeated headers keep their order), repeats joined with ','. The
     * signer's own x-amz-date, x-amz-security-token and (S3)
     * x-amz-content-sha256 replace any the caller set. */
    wren_buf_reset(&scratch);
    size_t nh = 0, sh_start = signed_headers->len;
    int have_host = 0;
    for (size_t i = 0; i < req->header_count; i++) {
        if (!req->headers[i].name || !req->headers[i].value)
            continue;
        size_t k_off = scratch.len;
        if ((rc = s_append_lname(&scratch, req->headers[i].name)) != WREN_OK)
            goto cleanup;
        const char *lname = scratch.data + k_off;
        if (s_unsigned_header(lname) || !strcmp(lname, "x-amz-date") ||
            (token && !strcmp(lname, "x-amz-security-token")) ||
            (cfg->s3_rules && !strcmp(lname, "x-amz-content-sha256")) || !lname[0]) {
            scratch.len = k_off;
            scratch.data[k_off] = '\0';
            continue;
        }
        have_host |= !strcmp(lname, "host");
        pairs[nh].k_off = k_off;
        pairs[nh].k_len = scratch.len - k_off;
        pairs[nh].v_off = scratch.len;
        if ((rc = s_append_trimall(&scratch, req->headers[i].value)) != WREN_OK)
            goto cleanup;
        pairs[nh].v_len = scratch.len - pairs[nh].v_off;
        pairs[nh].order = nh;
        nh++;
    }
    if (!have_host) {
        rc = WREN_EINVAL;
        goto cleanup;
    }
    const char *added[3][2] = {{"x-amz-date", amz_date},
                               {token ? "x-amz-security-token" : NULL, token},
                               {cfg->s3_rules ? "x-amz-content-sha256" : NULL, payload}};
    for (int a = 0; a < 3; a++) {
        if (!added[a][0])
            continue;
        pairs[nh].k_off = scratch.len;
        rc = wren_buf_append_str(&scratch, added[a][0]);
        pairs[nh].k_len = scratch.len - pairs[nh].k_off;
        pairs[nh].v_off = scratch.len;
        if (rc == WREN_OK)
            rc = s_append_trimall(&scratch, added[a][1]);
        if (rc != WREN_OK)
            goto cleanup;
        pairs[nh].v_len = scratch.len - pairs[nh].v_off;
        pairs[nh].order = nh;
        nh++;
    }
    for (size_t i = 0; i < nh; i++)
        pairs[i].base = scratch.data;
    qsort(pairs, nh, sizeof *pairs, s_header_cmp);
    for (size_t i = 0; i < nh && rc == WREN_OK; i++) {
        int same_as_prev = i && s_pair_cmp(&pairs[i - 1], &pairs[i]) == 0;
        if (same_as_prev) {
            rc = wren_buf_append(creq, ",", 1);
        } else {
            if (i)
                rc = wren_buf_append(creq, "\n", 1);
            if (rc == WREN_OK && i)
                rc = wren_buf_append(signed_headers, ";", 1);
            if (rc == WREN_OK)
                rc = wren_buf_append(signed_headers, scratch.data + pairs[i].k_off, pairs[i].k_len);
            if (rc == WREN_OK)
                rc = wren_buf_append(creq, scratch.data + pairs[i].k_off, pairs[i].k_len);
            if (rc == WREN_OK)
                rc = wren_buf_append(creq, ":", 1);
        }
        if (rc == WREN_OK)
            rc = wren_buf_append(creq, scratch.data + pairs[i].v_off, pairs[i].v_len);
    }
    /* 5. Signed headers, 6. payload hash. */
    if (rc == WREN_OK)
    {
        s_piece tail[] = {{"\n\n", 2}, {signed_headers->data + sh_start, S_Z}, {"\n", 1}, {payload, S_Z}};
        rc = s_append_pieces(creq, tail, 4);
    }
cleanup:
    free(pairs);
    wren_buf_clean_up(&scratch);
    wren_buf_clean_up(&given);
    return rc;
}

int wren_sigv4_canonical_request(const wren_sigv4_request *req, const wren_sigv4_config *cfg, wren_buf *creq,
                                 wren_buf *signed_headers, char payload_hash_out[65])
{
    EVP_MD_CTX *ctx = s_ctx_new();
    if (!ctx)
        return WREN_ENOMEM;
    int rc = s_canonical_request(ctx, req, cfg, creq, signed_headers, payload_hash_out);
    EVP_MD_CTX_free(ctx);
    return rc;
}

static int s_string_to_sign(EVP_MD_CTX *ctx, const char *amz_date, const char *region, const char *service,
                            const char *creq, size_t creq_len, wren_buf *out)
{
    if (!amz_date || strlen(amz_date) != 16 || !region || !service || !creq)
        return WREN_EINVAL;
    char hash[65];
    int rc = s_sha256_hex(ctx, creq, creq_len, hash);
    if (rc != WREN_OK)
        return rc;
    s_piece p[] = {{"AWS4-HMAC-SHA256\n", S_Z}, {amz_date, 16}, {"\n", 1}, {amz_date, 8}, {"/", 1}, {region, S_Z},
                   {"/", 1}, {service, S_Z}, {"/aws4_request\n", S_Z}, {hash, 64}};
    return s_append_pieces(out, p, 10);
}

int wren_sigv4_string_to_sign(const char *amz_date, const char *region, const char *service, const char *creq,
                              size_t creq_len, wren_buf *out)
{
    EVP_MD_CTX *ctx = s_ctx_new();
    if (!ctx)
        return WREN_ENOMEM;
    int rc = s_string_to_sign(ctx, amz_date, region, service, creq, creq_len, out);
    EVP_MD_CTX_free(ctx);
    return rc;
}

static int s_signing_key(EVP_MD_CTX *ctx, const char *secret, const char *date8, const char *region,
                         const char *service, unsigned char key[32])
{
    if (!secret || !date8 || !region || !service)
        return WREN_EINVAL;
    size_t slen = strlen(secret);
    char *k0 = malloc(slen + 5);
    if (!k0)
        return WREN_ENOMEM;
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, slen + 1);
    unsigned char a[32], b[32];
    int rc = s_hmac(ctx, k0, slen + 4, date8, 8, a);
    if (rc == WREN_OK)
        rc = s_hmac(ctx, a, 32, region, strlen(region), b);
    if (rc == WREN_OK)
        rc = s_hmac(ctx, b, 32, service, strlen(service), a);
    if (rc == WREN_OK)
        rc = s_hmac(ctx, a, 32, "aws4_request", 12, key);
    OPENSSL_cleanse(k0, slen + 4);
    OPENSSL_cleanse(a, sizeof a);
    OPENSSL_cleanse(b, sizeof b);
    free(k0);
    return rc;
}

int wren_sigv4_signing_key(const char *secret, const char *date8, const char *region, const char *service,
                           unsigned char key[32])
{
    EVP_MD_CTX *ctx = s_ctx_new();
    if (!ctx)
        return WREN_ENOMEM;
    int rc = s_signing_key(ctx, secret, date8, region, service, key);
    EVP_MD_CTX_free(ctx);
    return rc;
}

static int s_authorization(EVP_MD_CTX *ctx, const char *access_key_id, const char *amz_date, const char *region,
                           const char *service, const char *signed_headers, const unsigned char key[32],
                           const char *sts, size_t sts_len, wren_buf *out, char *signature_out)
{
    if (!access_key_id || !amz_date || strlen(amz_date) != 16 || !signed_headers || !sts)
        return WREN_EINVAL;
    unsigned char sig[32];
    char hex[65];
    int rc = s_hmac(ctx, key, 32, sts, sts_len, sig);
    if (rc != WREN_OK)
        return rc;
    s_to_hex(sig, 32, hex);
    if (signature_out)
        memcpy(signature_out, hex, sizeof hex);
    s_piece p[] = {{"AWS4-HMAC-SHA256 Credential=", S_Z}, {access_key_id, S_Z}, {"/", 1}, {amz_date, 8}, {"/", 1},
                   {region, S_Z}, {"/", 1}, {service, S_Z}, {"/aws4_request, SignedHeaders=", S_Z},
                   {signed_headers, S_Z}, {", Signature=", S_Z}, {hex, 64}};
    return s_append_pieces(out, p, 12);
}

int wren_sigv4_authorization(const char *access_key_id, const char *amz_date, const char *region,
                             const char *service, const char *signed_headers, const unsigned char key[32],
                             const char *sts, size_t sts_len, wren_buf *out, char *signature_out)
{
    EVP_MD_CTX *ctx = s_ctx_new();
    if (!ctx)
        return WREN_ENOMEM;
    int rc = s_authorization(ctx, access_key_id, amz_date, region, service, signed_headers, key, sts, sts_len, out,
                             signature_out);
    EVP_MD_CTX_free(ctx);
    return rc;
}

void wren_sigv4_key_cache_clean_up(wren_sigv4_key_cache *cache)
{
    if (!cache)
        return;
    if (cache->secret) {
        OPENSSL_cleanse(cache->secret, strlen(cache->secret));
        free(cache->secret);
    }
    OPENSSL_cleanse(cache, sizeof *cache);
}

/* The signing key for cfg at amz_date, from the cache when it holds the
 * same day, region, service and secret. */
static int s_key_for(EVP_MD_CTX *ctx, const wren_sigv4_config *cfg, const char *amz_date, unsigned char key[32])
{
    wren_sigv4_key_cache *c = cfg->key_cache;
    if (c && c->secret && !strncmp(c->date, amz_date, 8) && !strcmp(c->region, cfg->region) &&
        !strcmp(c->service, cfg->service) && !strcmp(c->secret, cfg->secret_access_key)) {
        memcpy(key, c->key, 32);
        return WREN_OK;
    }
    char date8[9];
    memcpy(date8, amz_date, 8);
    date8[8] = '\0';
    int rc = s_signing_key(ctx, cfg->secret_access_key, date8, cfg->region, cfg->service, key);
    if (rc != WREN_OK || !c || strlen(cfg->region) >= sizeof c->region || strlen(cfg->service) >= sizeof c->service)
        return rc;
    wren_sigv4_key_cache_clean_up(c);
    c->secret = strdup(cfg->secret_access_key);
    if (!c->secret)
        return WREN_OK; /* the cache is an optimisation only */
    memcpy(c->date, date8, sizeof date8);
    snprintf(c->region, sizeof c->region, "%s", cfg->region);
    snprintf(c->service, sizeof c->service, "%s", cfg->service);
    memcpy(c->key, key, 32);
    return WREN_OK;
}

int wren_sigv4_sign(const wren_sigv4_request *req, const wren_sigv4_config *cfg, wren_sigv4_result *out)
{
    if (!out)
        return WREN_EINVAL;
    memset(out, 0, sizeof *out);
    wren_buf_init(&out->authorization, 0);
    if (!req || !cfg || !cfg->access_key_id || !cfg->access_key_id[0] || !cfg->secret_access_key ||
        !cfg->region || !cfg->region[0] || !cfg->service || !cfg->service[0])
        return WREN_EINVAL;
    wren_buf creq, sh, sts;
    wren_buf_init(&creq, 0);
    wren_buf_init(&sh, 0);
    wren_buf_init(&sts, 0);
    unsigned char key[32];
    EVP_MD_CTX *ctx = s_ctx_new();
    int rc = ctx ? wren_sigv4_amz_date(cfg->time_s, out->amz_date) : WREN_ENOMEM;
    if (rc == WREN_OK)
        rc = s_canonical_request(ctx, req, cfg, &creq, &sh, out->payload_hash);
    if (rc == WREN_OK)
        rc = s_string_to_sign(ctx, out->amz_date, cfg->region, cfg->service, creq.data, creq.len, &sts);
    if (rc == WREN_OK)
        rc = s_key_for(ctx, cfg, out->amz_date, key);
    if (rc == WREN_OK)
        rc = s_authorization(ctx, cfg->access_key_id, out->amz_date, cfg->region, cfg->service, sh.data, key,
                                      sts.data, sts.len, &out->authorization, out->signature);
    OPENSSL_cleanse(key, sizeof key);
    EVP_MD_CTX_free(ctx);
    wren_buf_clean_up(&creq);
    wren_buf_clean_up(&sh);
    wren_buf_clean_up(&sts);
    if (rc != WREN_OK)
        wren_buf_clean_up(&out->authorization);
    return rc;
}
