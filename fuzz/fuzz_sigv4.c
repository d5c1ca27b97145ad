/*
 * fuzz_sigv4: SigV4 signing (store/sigv4.c) of hostile requests: any bytes
 * in the path, query keys and values, header values and body; header names
 * and methods from HTTP's token alphabet (anything else never reaches the
 * wire: libcurl refuses it).
 *
 * Paths are absolute (as a request line has them) and, under S3's rules
 * (signed as sent), made of URL path bytes.
 *
 * Input: byte 0 holds flags (S3 rules, session token, payload mode), bytes
 * 1..4 the signing time; then NUL-separated fields: method, path, and items
 * each led by a type byte ('q' key value, 'h' name value, anything else: the
 * body).
 *
 * Properties:
 *  - wren_sigv4_sign returns OK when a Host header is present and a caller's
 *    X-Amz-Content-SHA256 (generic rules) can be a payload hash, else EINVAL;
 *  - the canonical request has exactly its shape: METHOD (upper-cased), the
 *    path (generic rules: normalised, no empty, "." or ".." segments, only
 *    unreserved bytes, '/' and %XX; S3: as sent), the query (k=v pairs of
 *    encoded bytes, sorted), one line per distinct header name (lower-case,
 *    strictly ascending, no ':' in names), an empty line, the signed header
 *    list (those names joined by ';'), and the payload hash: a header value
 *    cannot add a line;
 *  - the signature is HMAC-SHA256(signing key, string to sign) computed here
 *    with OpenSSL's one-shot HMAC from the stages' outputs, and the
 *    Authorization header carries it in the documented form;
 *  - the order of query parameters and of distinct headers does not change
 *    the signature; a key cache does not either;
 *  - wren_sigv4_uri_encode output uses only unreserved bytes and %XX, and
 *    decodes back to its input.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz_util.h"
#include "sigv4.h"

#define S_MAX_ITEMS 16

typedef struct s_in {
    const uint8_t *p;
    size_t n;
} s_in;

/* The next NUL-terminated field (copied into the arena), or NULL at the end. */
static char *s_field(s_in *in, char **arena, size_t *left)
{
    if (in->n == 0)
        return NULL;
    const uint8_t *z = memchr(in->p, 0, in->n);
    size_t len = z ? (size_t)(z - in->p) : in->n;
    if (len + 1 > *left)
        return NULL;
    char *out = *arena;
    memcpy(out, in->p, len);
    out[len] = '\0';
    *arena += len + 1;
    *left -= len + 1;
    in->p += z ? len + 1 : len;
    in->n -= z ? len + 1 : len;
    return out;
}

/* Maps bytes onto RFC 9110 tchar, keeping case: a header name or method. */
static void s_tokenize(char *s)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (; *s; s++)
        if (!strchr(tchar, *s))
            *s = tchar[(unsigned char)*s % (sizeof tchar - 1)];
}

static int s_hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void s_check_encode(const char *s, size_t len, int keep_slash)
{
    wren_buf b;
    wren_buf_init(&b, 0);
    WREN_FUZZ_CHECK(wren_sigv4_uri_encode(s, len, keep_slash, &b) == WREN_OK, "uri_encode failed");
    size_t j = 0;
    for (size_t i = 0; i < b.len; i++, j++) {
        char c = b.data[i];
        unsigned char want = (unsigned char)s[j];
        if (c == '%') {
            WREN_FUZZ_CHECK(i + 2 < b.len + 0 && s_hexval(b.data[i + 1]) >= 0 && s_hexval(b.data[i + 2]) >= 0,
                            "bad escape in %s", b.data);
            unsigned char v = (unsigned char)(s_hexval(b.data[i + 1]) * 16 + s_hexval(b.data[i + 2]));
            WREN_FUZZ_CHECK(v == want, "escape decodes to another byte");
            WREN_FUZZ_CHECK(!((v >= 'A' && v <= 'Z') || (v >= 'a' && v <= 'z') || (v >= '0' && v <= '9') ||
                              v == '-' || v == '_' || v == '.' || v == '~' || (keep_slash && v == '/')),
                            "unreserved byte 0x%02x escaped", v);
            i += 2;
        } else {
            WREN_FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                                c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'),
                            "byte 0x%02x not escaped", (unsigned char)c);
            WREN_FUZZ_CHECK((unsigned char)c == want, "byte changed");
        }
    }
    WREN_FUZZ_CHECK(j == len, "encoding lost bytes");
    wren_buf_clean_up(&b);
}

/* Splits creq into lines (NUL-terminating them in place); returns the count. */
static size_t s_lines(char *creq, char **lines, size_t max)
{
    size_t n = 0;
    char *p = creq;
    while (n < max) {
        lines[n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    return n;
}

static void s_check_canonical(const wren_sigv4_request *req, const wren_sigv4_config *cfg, const char *signature)
{
    wren_buf creq, sh, sts;
    wren_buf_init(&creq, 0);
    wren_buf_init(&sh, 0);
    wren_buf_init(&sts, 0);
    char payload[65];
    int rc = wren_sigv4_canonical_request(req, cfg, &creq, &sh, payload);
    WREN_FUZZ_CHECK(rc == WREN_OK, "canonical_request failed after sign succeeded: %d", rc);
    char amz_date[17];
    WREN_FUZZ_CHECK(wren_sigv4_amz_date(cfg->time_s, amz_date) == WREN_OK, "amz_date");
    WREN_FUZZ_CHECK(wren_sigv4_string_to_sign(amz_date, cfg->region, cfg->service, creq.data, creq.len, &sts) ==
                        WREN_OK,
                    "string_to_sign");
    char date8[9];
    memcpy(date8, amz_date, 8);
    date8[8] = '\0';
    unsigned char key[32], mac[32];
    unsigned int mac_len = 0;
    WREN_FUZZ_CHECK(wren_sigv4_signing_key(cfg->secret_access_key, date8, cfg->region, cfg->service, key) == WREN_OK,
                    "signing_key");
    WREN_FUZZ_CHECK(HMAC(EVP_sha256(), key, 32, (const unsigned char *)sts.data, sts.len, mac, &mac_len) && mac_len == 32,
                    "HMAC");
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    WREN_FUZZ_CHECK(!strcmp(hex, signature), "signature is not HMAC(key, string to sign)");

    /* The shape. */
    char *lines[64 + 2 * S_MAX_ITEMS];
    size_t n = s_lines(creq.data, lines, sizeof lines / sizeof *lines);
    WREN_FUZZ_CHECK(n >= 7, "canonical request of %zu lines", n);
    for (const char *m = req->method, *c = lines[0];; m++, c++) {
        char want = (*m >= 'a' && *m <= 'z') ? (char)(*m - 32) : *m;
        WREN_FUZZ_CHECK(*c == want, "method line '%s'", lines[0]);
        if (!*m)
            break;
    }
    if (!cfg->s3_rules) {
        const char *path = lines[1];
        WREN_FUZZ_CHECK(path[0] == '/', "path '%s' not absolute", path);
        WREN_FUZZ_CHECK(!strstr(path, "//") && !strstr(path, "/./") && !strstr(path, "/../"), "path '%s' not normal",
                        path);
        size_t pl = strlen(path);
        WREN_FUZZ_CHECK(!(pl >= 2 && !strcmp(path + pl - 2, "/.")) && !(pl >= 3 && !strcmp(path + pl - 3, "/..")),
                        "path '%s' ends in a dot segment", path);
        for (const char *c = path; *c; c++)
            WREN_FUZZ_CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~%/", *c),
                            "path byte 0x%02x", (unsigned char)*c);
    }
    /* Query: sorted pairs of encoded bytes. */
    for (const char *c = lines[2]; *c; c++)
        WREN_FUZZ_CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~%=&", *c),
                        "query byte 0x%02x", (unsigned char)*c);
    /* Headers up to the empty line. */
    size_t h = 3, names_len = 0;
    char names[8192];
    names[0] = '\0';
    const char *prev = NULL;
    size_t prev_len = 0;
    for (; h < n && lines[h][0]; h++) {
        const char *colon = strchr(lines[h], ':');
        WREN_FUZZ_CHECK(colon && colon > lines[h], "header line '%s' without a name", lines[h]);
        size_t nl = (size_t)(colon - lines[h]);
        for (size_t i = 0; i < nl; i++)
            WREN_FUZZ_CHECK(!(lines[h][i] >= 'A' && lines[h][i] <= 'Z'), "upper-case header name");
        if (prev) {
            size_t m = nl < prev_len ? nl : prev_len;
            int c = memcmp(prev, lines[h], m);
            WREN_FUZZ_CHECK(c < 0 || (c == 0 && prev_len < nl), "header names not strictly ascending");
        }
        prev = lines[h];
        prev_len = nl;
        if (names_len + nl + 2 < sizeof names) {
            if (names_len)
                names[names_len++] = ';';
            memcpy(names + names_len, lines[h], nl);
            names_len += nl;
            names[names_len] = '\0';
        }
    }
    WREN_FUZZ_CHECK(h + 3 == n, "canonical request has %zu lines after the headers (a value added a line?)", n - h);
    WREN_FUZZ_CHECK(lines[h][0] == '\0', "no empty line after the headers");
    if (names_len + 2 < sizeof names)
        WREN_FUZZ_CHECK(!strcmp(lines[h + 1], names) && !strcmp(sh.data, names), "signed headers '%s' vs '%s'",
                        lines[h + 1], names);
    WREN_FUZZ_CHECK(!strcmp(lines[h + 2], payload), "last line is not the payload hash");
    wren_buf_clean_up(&creq);
    wren_buf_clean_up(&sh);
    wren_buf_clean_up(&sts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5 || size > 8192)
        return -1;
    uint8_t flags = data[0];
    int64_t time_s = (int64_t)((uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 8 | data[4]);
    s_in in = {data + 5, size - 5};
    char arena_mem[8192 + 64];
    char *arena = arena_mem;
    size_t left = sizeof arena_mem;

    char *method = s_field(&in, &arena, &left);
    char *path = s_field(&in, &arena, &left);
    if (!method || !path)
        return -1;
    s_tokenize(method);
    if (!method[0])
        return -1;
    /* A path as a request line carries it: absolute (or empty: "/"); under
     * S3's rules it is signed as sent, so it must be what can be sent: URL
     * path bytes only (libcurl refuses the rest). */
    if (path[0] && path[0] != '/')
        return -1;
    if ((data[0] & 1) && strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%/!$&'()*+,;=:@") !=
                             strlen(path))
        return -1;
    wren_sigv4_param q[S_MAX_ITEMS], q_rev[S_MAX_ITEMS];
    wren_sigv4_header hd[S_MAX_ITEMS], hd_rev[S_MAX_ITEMS];
    size_t nq = 0, nh = 0;
    const char *body = "";
    size_t body_len = 0;
    char *f;
    while ((f = s_field(&in, &arena, &left)) != NULL) {
        char type = f[0];
        if ((type == 'q' || type == 'h') && nq < S_MAX_ITEMS && nh < S_MAX_ITEMS) {
            char *v = s_field(&in, &arena, &left);
            if (!v)
                break;
            if (type == 'q') {
                q[nq++] = (wren_sigv4_param){f + 1, v};
            } else {
                s_tokenize(f + 1);
                hd[nh++] = (wren_sigv4_header){f + 1, v};
            }
        } else {
            body = f;
            body_len = strlen(f);
        }
    }
    int s3 = flags & 1;
    const char *payload_hash = NULL;
    if (flags & 4)
        payload_hash = WREN_SIGV4_UNSIGNED_PAYLOAD;
    else if (flags & 8)
        payload_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    s_check_encode(path, strlen(path), 1);
    if (nq)
        s_check_encode(q[0].key, strlen(q[0].key), 0);

    wren_sigv4_request req = {.method = method, .path = path, .query = q, .query_count = nq, .headers = hd,
                              .header_count = nh, .body = body, .body_len = body_len, .payload_hash = payload_hash};
    wren_sigv4_config cfg = {.access_key_id = "AKIDEXAMPLE",
                             .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                             .session_token = (flags & 2) ? "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH" : NULL,
                             .region = "us-east-1", .service = s3 ? "s3" : "lambda", .time_s = time_s,
                             .s3_rules = s3};
    int have_host = 0;
    const char *given_sha = NULL;
    for (size_t i = 0; i < nh; i++) {
        have_host |= !strcasecmp(hd[i].name, "host");
        if (!strcasecmp(hd[i].name, "x-amz-content-sha256"))
            given_sha = hd[i].value; /* the last one counts */
    }
    /* Under the generic rules a caller's X-Amz-Content-SHA256 is the payload
     * hash: it must be [A-Za-z0-9-]{1,64} once trimmed (a '\n' in it once
     * added a line to the canonical request: corpus regress-given-sha256-*). */
    int bad_sha = 0;
    if (given_sha && !s3 && !payload_hash) {
        const char *b = given_sha, *e = given_sha + strlen(given_sha);
        while (b < e && strchr(" \t\n\r\v\f", *b))
            b++;
        while (e > b && strchr(" \t\n\r\v\f", e[-1]))
            e--;
        bad_sha = e - b < 1 || e - b > 64 ||
                  strspn(b, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") < (size_t)(e - b);
    }
    wren_sigv4_result res;
    int rc = wren_sigv4_sign(&req, &cfg, &res);
    if (!have_host || bad_sha) {
        WREN_FUZZ_CHECK(rc == WREN_EINVAL, "signed without a Host header or with a bad payload hash header: %d", rc);
        return 0;
    }
    WREN_FUZZ_CHECK(rc == WREN_OK, "sign failed: %s", wren_status_name(rc));
    WREN_FUZZ_CHECK(strlen(res.amz_date) == 16 && strlen(res.signature) == 64, "amz_date or signature length");
    char want[128];
    snprintf(want, sizeof want, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/%.8s/us-east-1/%s/aws4_request, SignedHeaders=",
             res.amz_date, cfg.service);
    WREN_FUZZ_CHECK(!strncmp(res.authorization.data, want, strlen(want)), "Authorization '%s'", res.authorization.data);
    const char *sig = strstr(res.authorization.data, ", Signature=");
    WREN_FUZZ_CHECK(sig && !strcmp(sig + 12, res.signature), "Authorization does not end in the signature");
    s_check_canonical(&req, &cfg, res.signature);

    /* Order does not matter: reversed query; reversed headers when names are distinct. */
    for (size_t i = 0; i < nq; i++)
        q_rev[i] = q[nq - 1 - i];
    int distinct = 1;
    for (size_t i = 0; i < nh; i++) {
        hd_rev[i] = hd[nh - 1 - i];
        for (size_t j = 0; j < i; j++)
            distinct &= strcasecmp(hd[i].name, hd[j].name) != 0;
    }
    wren_sigv4_request rev = req;
    rev.query = q_rev;
    if (distinct)
        rev.headers = hd_rev;
    /* One cache for the whole run: it hits whenever the day and service
     * repeat, and is refilled when they change. */
    static wren_sigv4_key_cache cache;
    cfg.key_cache = &cache;
    wren_sigv4_result r2;
    WREN_FUZZ_CHECK(wren_sigv4_sign(&rev, &cfg, &r2) == WREN_OK, "reordered request failed");
    WREN_FUZZ_CHECK(!strcmp(r2.signature, res.signature), "order or key cache changed the signature");
    wren_buf_clean_up(&r2.authorization);
    wren_buf_clean_up(&res.authorization);
    return 0;
}
