/*
 * store/store_s3.c: the s3://BUCKET/PREFIX backend over libcurl, SigV4
 * (sigv4.c) and expat. Key "JOB/CALL/out" is the object PREFIX/JOB/CALL/out.
 *
 * Addressing: path-style (ENDPOINT/BUCKET/KEY) for a custom endpoint
 * (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL) and for bucket names with dots
 * (their virtual host would not match the wildcard certificate);
 * virtual-hosted (https://BUCKET.s3.REGION.amazonaws.com/KEY) otherwise.
 *
 * Failures: 500/502/503/504, SlowDown/InternalError (also inside a 200
 * reply) and dropped connections are retried with exponential backoff and
 * full jitter; other failures are typed at once (NoSuchKey -> ENOTFOUND,
 * AccessDenied / SignatureDoesNotMatch / InvalidAccessKeyId -> EAUTH, a
 * bucket in another region -> ESTORE naming that region).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <expat.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "aws_config.h"
#include "sigv4.h"
#include "store_internal.h"
#include "store_s3.h"

#define S_ERR_BODY_MAX (64u * 1024)
#define S_LIST_BODY_MAX (32u * 1024 * 1024)

typedef struct s_s3_store {
    wren_store base;
    wren_aws_config *aws;
    char *bucket;
    char *prefix;      /* "" or "some/prefix/" */
    char *origin;      /* "https://bucket.s3.eu-west-1.amazonaws.com" or "http://127.0.0.1:5000" */
    char *host_header; /* what curl sends as Host, for signing */
    char *path_base;   /* "/bucket" (path-style) or "" (virtual-hosted) */
    char *region;
    char *ca_bundle;   /* NULL: libcurl's default */
    CURL *curl;
    wren_sigv4_key_cache key_cache;
    int max_attempts;
    int base_delay_ms;
    int max_delay_ms;
    unsigned list_max_keys;
    size_t multipart_bytes; /* objects this large or larger go up in parts */
    size_t part_bytes;
    int moto_quirks; /* 1: sign '/' in query values raw (see wren_sigv4_config.query_raw_slash) */
    int moto_auto;   /* may switch moto_quirks on by itself (custom endpoint, WREN_S3_MOTO_QUIRKS unset) */
    const char *extra_header; /* one more header for the next request (Content-MD5) */
    uint64_t attempts_total; /* for tests: every HTTP attempt made */
} s_s3_store;

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;
static void s_curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

const char *wren__s3_ca_bundle(void)
{
    return wren_aws_ca_bundle();
}

static s_s3_store *s_s3(wren_store *st)
{
    return (s_s3_store *)st;
}

/* ---- XML replies ---------------------------------------------------------- */

typedef struct s_entry {
    char *key;
    uint64_t size;
} s_entry;

typedef struct s_xml {
    int depth;
    char names[8][40]; /* element names on the path, truncated */
    wren_buf text;     /* character data of the current element */
    char root[40];
    /* <Error> */
    char code[64];
    char message[256];
    char region[64];
    /* <InitiateMultipartUploadResult> */
    char upload_id[512];
    /* <DeleteResult>: per-key failures */
    size_t del_errors;
    char del_code[64];
    char del_key[128];
    /* <ListBucketResult> */
    int truncated;
    char *next_token;
    s_entry *entries;
    size_t n_entries, cap_entries;
    char *cur_key;
    uint64_t cur_size;
    int failed; /* out of memory */
} s_xml;

static void XMLCALL s_xml_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    s_xml *x = ud;
    (void)attrs;
    if (x->depth < 8)
        snprintf(x->names[x->depth], sizeof x->names[0], "%s", name);
    if (x->depth == 0)
        snprintf(x->root, sizeof x->root, "%s", name);
    x->depth++;
    wren_buf_reset(&x->text);
}

static void XMLCALL s_xml_chars(void *ud, const XML_Char *s, int len)
{
    s_xml *x = ud;
    if (wren_buf_append(&x->text, s, (size_t)len) != WREN_OK)
        x->failed = 1;
}

static void XMLCALL s_xml_end(void *ud, const XML_Char *name)
{
    s_xml *x = ud;
    x->depth--;
    const char *t = x->text.data ? x->text.data : "";
    if (!strcmp(x->root, "Error") && x->depth == 1) {
        if (!strcmp(name, "Code"))
            snprintf(x->code, sizeof x->code, "%s", t);
        else if (!strcmp(name, "Message"))
            snprintf(x->message, sizeof x->message, "%s", t);
        else if (!strcmp(name, "Region"))
            snprintf(x->region, sizeof x->region, "%s", t);
    } else if (!strcmp(x->root, "InitiateMultipartUploadResult")) {
        if (x->depth == 1 && !strcmp(name, "UploadId"))
            snprintf(x->upload_id, sizeof x->upload_id, "%s", t);
    } else if (!strcmp(x->root, "DeleteResult")) {
        if (x->depth == 1 && !strcmp(name, "Error"))
            x->del_errors++;
        else if (x->depth == 2 && !strcmp(x->names[1], "Error") && !x->del_errors && !strcmp(name, "Code"))
            snprintf(x->del_code, sizeof x->del_code, "%s", t);
        else if (x->depth == 2 && !strcmp(x->names[1], "Error") && !x->del_errors && !strcmp(name, "Key"))
            snprintf(x->del_key, sizeof x->del_key, "%s", t);
    } else if (!strcmp(x->root, "ListBucketResult")) {
        if (x->depth == 1 && !strcmp(name, "IsTruncated")) {
            x->truncated = !strcmp(t, "true");
        } else if (x->depth == 1 && !strcmp(name, "NextContinuationToken")) {
            free(x->next_token);
            x->next_token = strdup(t);
            x->failed |= x->next_token == NULL;
        } else if (x->depth == 2 && !strcmp(x->names[1], "Contents")) {
            if (!strcmp(name, "Key")) {
                free(x->cur_key);
                x->cur_key = strdup(t);
                x->failed |= x->cur_key == NULL;
            } else if (!strcmp(name, "Size")) {
                x->cur_size = strtoull(t, NULL, 10);
            }
        } else if (x->depth == 1 && !strcmp(name, "Contents") && x->cur_key) {
            if (x->n_entries == x->cap_entries) {
                size_t cap = x->cap_entries ? x->cap_entries * 2 : 256;
                s_entry *p = realloc(x->entries, cap * sizeof *p);
                if (!p) {
                    x->failed = 1;
                    return;
                }
                x->entries = p;
                x->cap_entries = cap;
            }
            x->entries[x->n_entries].key = x->cur_key;
            x->entries[x->n_entries].size = x->cur_size;
            x->n_entries++;
            x->cur_key = NULL;
            x->cur_size = 0;
        }
    }
    wren_buf_reset(&x->text);
}

static void s_xml_clean_up(s_xml *x)
{
    for (size_t i = 0; i < x->n_entries; i++)
        free(x->entries[i].key);
    free(x->entries);
    free(x->cur_key);
    free(x->next_token);
    wren_buf_clean_up(&x->text);
    memset(x, 0, sizeof *x);
}

/* Parses a reply body; WREN_EPROTO if it is not well-formed XML. */
static int s_xml_parse(s_xml *x, const char *body, size_t len)
{
    memset(x, 0, sizeof *x);
    wren_buf_init(&x->text, 1u << 20);
    XML_Parser p = XML_ParserCreate(NULL);
    if (!p)
        return WREN_ENOMEM;
    XML_SetUserData(p, x);
    XML_SetElementHandler(p, s_xml_start, s_xml_end);
    XML_SetCharacterDataHandler(p, s_xml_chars);
    int ok = XML_Parse(p, body ? body : "", (int)len, 1) == XML_STATUS_OK;
    XML_ParserFree(p);
    if (x->failed)
        return WREN_ENOMEM;
    return ok ? WREN_OK : WREN_EPROTO;
}

/* ---- one request ----------------------------------------------------------- */

typedef struct s_xfer {
    s_s3_store *s3;
    wren_buf *sink; /* 2xx body goes here (caller's cap applies) */
    size_t sink_start;
    int sink_rc;    /* WREN_ETOOBIG when the sink refused */
    wren_buf other; /* non-2xx body (errors), capped */
    char bucket_region[64];
    char etag[128];
    long status;
} s_xfer;

static size_t s_write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    s_xfer *x = ud;
    size_t n = size * nmemb;
    long status = 0;
    curl_easy_getinfo(x->s3->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300 && x->sink) {
        int rc = wren_buf_append(x->sink, ptr, n);
        if (rc != WREN_OK) {
            x->sink_rc = rc;
            return 0; /* aborts the transfer */
        }
        return n;
    }
    if (x->other.len + n <= S_ERR_BODY_MAX)
        wren_buf_append(&x->other, ptr, n);
    return n;
}

/* Copies a header's value (trimmed) if the line is that header. */
static void s_header_value(const char *buf, size_t n, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    if (n <= nl || strncasecmp(buf, name, nl) != 0)
        return;
    size_t i = nl, j = 0;
    while (i < n && buf[i] == ' ')
        i++;
    while (i < n && buf[i] != '\r' && buf[i] != '\n' && j < cap - 1)
        out[j++] = buf[i++];
    out[j] = '\0';
}

static size_t s_header_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    s_xfer *x = ud;
    size_t n = size * nitems;
    s_header_value(buf, n, "etag:", x->etag, sizeof x->etag);
    static const char name[] = "x-amz-bucket-region:";
    if (n > sizeof name - 1 && !strncasecmp(buf, name, sizeof name - 1)) {
        size_t i = sizeof name - 1, j = 0;
        while (i < n && buf[i] == ' ')
            i++;
        while (i < n && buf[i] != '\r' && buf[i] != '\n' && j < sizeof x->bucket_region - 1)
            x->bucket_region[j++] = buf[i++];
        x->bucket_region[j] = '\0';
    }
    return n;
}

typedef struct s_reply {
    long status;
    int curl_rc;
    char curl_err[CURL_ERROR_SIZE];
    uint64_t content_length;
    s_xml xml; /* the parsed error, or the list page */
    int have_xml;
    int xml_rc; /* WREN_EPROTO when the body was not well-formed XML */
    char bucket_region[64];
    char etag[128];
    int sink_rc;
} s_reply;

static void s_reply_clean_up(s_reply *r)
{
    if (r->have_xml)
        s_xml_clean_up(&r->xml);
    memset(r, 0, sizeof *r);
}

static int s_retryable_curl(int rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

static int s_retryable_code(const char *code)
{
    return !strcmp(code, "SlowDown") || !strcmp(code, "InternalError") || !strcmp(code, "ServiceUnavailable") ||
           !strcmp(code, "RequestTimeout") || !strcmp(code, "RequestTimeTooSkewed");
}

/* Sleeps a random time in [0, min(max, base * 2^attempt)] ("full jitter"),
 * so many workers retrying together spread out. */
static void s_backoff(s_s3_store *s3, int attempt)
{
    uint64_t ceiling = (uint64_t)s3->base_delay_ms << (attempt < 20 ? attempt : 20);
    if (ceiling > (uint64_t)s3->max_delay_ms)
        ceiling = (uint64_t)s3->max_delay_ms;
    uint32_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (uint32_t)wren_mono_ns();
    uint64_t ms = ceiling ? v % (ceiling + 1) : 0;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* One signed HTTP exchange (no retries). `object` is the full object key
 * (prefix included) or NULL for the bucket. */
static int s_exchange(s_s3_store *s3, const char *method, const char *object, const wren_sigv4_param *params,
                      size_t nparams, const void *body, size_t body_len, wren_buf *sink, int xml_reply, s_reply *r)
{
    wren_buf path, url;
    wren_buf_init(&path, 0);
    wren_buf_init(&url, 0);
    s_xfer x;
    memset(&x, 0, sizeof x);
    x.s3 = s3;
    x.sink = sink;
    x.sink_start = sink ? sink->len : 0;
    wren_buf_init(&x.other, 0);
    struct curl_slist *hdrs = NULL;
    wren_sigv4_result sig;
    memset(&sig, 0, sizeof sig);
    int rc = WREN_OK;

    /* The path as sent is the path as signed (S3 rules: encoded once). */
    /* The bucket itself is "/bucket" path-style, "/" virtual-hosted. */
    wren_buf_append_str(&path, s3->path_base);
    if (object || !s3->path_base[0])
        wren_buf_append_str(&path, "/");
    if (object)
        wren_sigv4_uri_encode(object, strlen(object), 1, &path);
    wren_buf_printf(&url, "%s%s", s3->origin, path.data);
    for (size_t i = 0; i < nparams; i++) {
        wren_buf_append_str(&url, i ? "&" : "?");
        wren_sigv4_uri_encode(params[i].key, strlen(params[i].key), 0, &url);
        if (params[i].value[0])
            wren_buf_append_str(&url, "=");
        wren_sigv4_uri_encode(params[i].value, strlen(params[i].value), s3->moto_quirks, &url);
    }
    if (path.failed || url.failed) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    wren_sigv4_header sh[] = {{"Host", s3->host_header}};
    wren_sigv4_request req = {.method = method, .path = path.data, .query = params, .query_count = nparams,
                              .headers = sh, .header_count = 1, .body = body, .body_len = body_len};
    wren_sigv4_config cfg = {.access_key_id = s3->aws->access_key_id,
                             .secret_access_key = s3->aws->secret_access_key,
                             .session_token = s3->aws->session_token,
                             .region = s3->region,
                             .service = "s3",
                             .time_s = wren_now_ms() / 1000,
                             .s3_rules = 1,
                             .key_cache = &s3->key_cache,
                             .query_raw_slash = s3->moto_quirks};
    if ((rc = wren_sigv4_sign(&req, &cfg, &sig)) != WREN_OK)
        goto cleanup;
    char line[256];
    wren_buf auth;
    wren_buf_init(&auth, 0);
    wren_buf_printf(&auth, "Authorization: %s", sig.authorization.data);
    hdrs = curl_slist_append(hdrs, auth.data);
    wren_buf_clean_up(&auth);
    snprintf(line, sizeof line, "x-amz-date: %s", sig.amz_date);
    hdrs = curl_slist_append(hdrs, line);
    snprintf(line, sizeof line, "x-amz-content-sha256: %s", sig.payload_hash);
    hdrs = curl_slist_append(hdrs, line);
    if (s3->aws->session_token && s3->aws->session_token[0]) {
        wren_buf tok;
        wren_buf_init(&tok, 0);
        wren_buf_printf(&tok, "x-amz-security-token: %s", s3->aws->session_token);
        hdrs = curl_slist_append(hdrs, tok.data);
        OPENSSL_cleanse(tok.data, tok.len);
        wren_buf_clean_up(&tok);
    }
    /* No "Expect: 100-continue" round trip; a neutral type for bodies. */
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (s3->extra_header)
        hdrs = curl_slist_append(hdrs, s3->extra_header);
    if (body)
        hdrs = curl_slist_append(hdrs, "Content-Type: application/octet-stream");
    if (!hdrs) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }

    CURL *c = s3->curl;
    curl_easy_reset(c); /* keeps the connection cache */
    curl_easy_setopt(c, CURLOPT_URL, url.data);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    /* Abort a transfer that stalls (under 1 byte/s for 60 s) rather than
     * bound the whole transfer, which may be large. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (s3->ca_bundle)
        curl_easy_setopt(c, CURLOPT_CAINFO, s3->ca_bundle);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->curl_err);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    if (!strcmp(method, "HEAD")) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (body) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else if (strcmp(method, "GET")) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    r->curl_err[0] = '\0';
    s3->attempts_total++;
    r->curl_rc = (int)curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_off_t cl = -1;
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
    r->content_length = cl > 0 ? (uint64_t)cl : 0;
    r->sink_rc = x.sink_rc;
    snprintf(r->bucket_region, sizeof r->bucket_region, "%s", x.bucket_region);
    snprintf(r->etag, sizeof r->etag, "%s", x.etag);
    if (r->curl_rc == CURLE_OK) {
        int ok = r->status >= 200 && r->status < 300;
        /* Error bodies always; success bodies when the reply is XML (list,
         * batch delete), where S3 may still put an <Error> after a 200. */
        const wren_buf *xb = ok ? (xml_reply ? sink : NULL) : &x.other;
        if (xb && xb->len) {
            int prc = s_xml_parse(&r->xml, xb->data + (ok ? x.sink_start : 0), xb->len - (ok ? x.sink_start : 0));
            r->have_xml = 1;
            r->xml_rc = prc;
            if (prc == WREN_ENOMEM)
                rc = prc;
        }
    }
cleanup:
    curl_slist_free_all(hdrs);
    wren_buf_clean_up(&sig.authorization);
    wren_buf_clean_up(&x.other);
    wren_buf_clean_up(&path);
    wren_buf_clean_up(&url);
    return rc;
}

/* Runs a request with retries and turns the outcome into a status and an
 * errmsg "OP s3://bucket/key: ...". On success r holds the last reply. */
static int s_request(s_s3_store *s3, const char *op, const char *method, const char *object,
                     const wren_sigv4_param *params, size_t nparams, const void *body, size_t body_len,
                     wren_buf *sink, int xml_reply, s_reply *r)
{
    wren_store *st = &s3->base;
    size_t sink_start = sink ? sink->len : 0;
    const char *what = object ? object : "";
    for (int attempt = 0;; attempt++) {
        s_reply_clean_up(r);
        if (sink) {
            sink->len = sink_start; /* a retried GET starts over */
            if (sink->data)
                sink->data[sink_start] = '\0';
        }
        int rc = s_exchange(s3, method, object, params, nparams, body, body_len, sink, xml_reply, r);
        if (rc != WREN_OK)
            return wren__store_fail(st, rc, "%s s3://%s/%s: %s", op, s3->bucket, what, wren_strerror(rc));
        if (r->sink_rc)
            return wren__store_fail(st, r->sink_rc, "%s s3://%s/%s: object does not fit the buffer's cap", op,
                                    s3->bucket, what);
        const char *code = r->have_xml && !strcmp(r->xml.root, "Error") ? r->xml.code : "";
        int ok = r->curl_rc == CURLE_OK && r->status >= 200 && r->status < 300 && !code[0];
        if (ok)
            return WREN_OK;
        if (!strcmp(code, "SignatureDoesNotMatch") && s3->moto_auto && !s3->moto_quirks) {
            int slash = 0;
            for (size_t i = 0; i < nparams; i++)
                slash |= strchr(params[i].value, '/') != NULL;
            if (slash) {
                /* moto_server signs the query as it decoded it ('/' raw,
                 * where AWS specifies %2F): try once its way. If that fails
                 * too, the secret is wrong and the first answer stands. */
                s3->moto_quirks = 1;
                s_reply second;
                memset(&second, 0, sizeof second);
                size_t at = sink ? sink->len : 0;
                int rc2 = s_exchange(s3, method, object, params, nparams, body, body_len, sink, xml_reply, &second);
                const char *code2 =
                    second.have_xml && !strcmp(second.xml.root, "Error") ? second.xml.code : "";
                if (rc2 == WREN_OK && second.curl_rc == CURLE_OK && second.status >= 200 && second.status < 300 &&
                    !code2[0] && !second.sink_rc) {
                    wren__log(WREN_LOG_DEBUG, "wren-store", "%s: endpoint wants moto's query signing; using it",
                              s3->origin);
                    s_reply_clean_up(r);
                    *r = second;
                    return WREN_OK;
                }
                s3->moto_quirks = 0;
                s_reply_clean_up(&second);
                if (sink) {
                    sink->len = at;
                    if (sink->data)
                        sink->data[at] = '\0';
                }
            }
        }
        int retry = r->curl_rc != CURLE_OK ? s_retryable_curl(r->curl_rc)
                                           : (r->status == 500 || r->status == 502 || r->status == 503 ||
                                              r->status == 504 || s_retryable_code(code));
        if (retry && attempt + 1 < s3->max_attempts) {
            s_backoff(s3, attempt);
            continue;
        }
        const char *tries = attempt ? " (after retries)" : "";
        if (r->curl_rc != CURLE_OK)
            return wren__store_fail(st, WREN_EHTTP, "%s s3://%s/%s: %s%s%s%s", op, s3->bucket, what,
                                    curl_easy_strerror((CURLcode)r->curl_rc), r->curl_err[0] ? ": " : "", r->curl_err,
                                    tries);
        const char *region = r->bucket_region[0] ? r->bucket_region : r->xml.region;
        if (region[0] && strcmp(region, s3->region) &&
            (r->status == 301 || !strcmp(code, "AuthorizationHeaderMalformed") ||
             !strcmp(code, "PermanentRedirect") || !strcmp(code, "IllegalLocationConstraintException")))
            return wren__store_fail(st, WREN_ESTORE,
                                    "%s s3://%s/%s: the bucket is in region %s, not %s (set AWS_REGION=%s)", op,
                                    s3->bucket, what, region, s3->region, region);
        if (!code[0]) /* HEAD replies have no body: name the status */
            code = r->status == 404 ? "NotFound" : r->status == 403 ? "Forbidden" : r->status == 301 ? "PermanentRedirect" : "";
        int status;
        if (!strcmp(code, "NoSuchKey") || (r->status == 404 && !strcmp(code, "NotFound")))
            status = WREN_ENOTFOUND;
        else if (!strcmp(code, "AccessDenied") || !strcmp(code, "SignatureDoesNotMatch") ||
                 !strcmp(code, "InvalidAccessKeyId") || !strcmp(code, "ExpiredToken") ||
                 !strcmp(code, "InvalidToken") || !strcmp(code, "TokenRefreshRequired") || r->status == 403)
            status = WREN_EAUTH;
        else if (!strcmp(code, "SlowDown") || r->status == 503)
            status = WREN_ETHROTTLED;
        else
            status = WREN_ESTORE;
        return wren__store_fail(st, status, "%s s3://%s/%s: HTTP %ld %s%s%s%s", op, s3->bucket, what, r->status,
                                code, r->have_xml && r->xml.message[0] ? ": " : "",
                                r->have_xml ? r->xml.message : "", tries);
    }
}

/* ---- operations ------------------------------------------------------------- */

static char *s_object(s_s3_store *s3, const char *key)
{
    size_t n = strlen(s3->prefix) + strlen(key) + 1;
    char *o = malloc(n);
    if (o)
        snprintf(o, n, "%s%s", s3->prefix, key);
    return o;
}

/* Multipart upload: initiate, PUT the parts (each retried on its own),
 * complete; abort on failure so no parts linger (and cost). The object
 * appears only at completion, whole, like a single PUT. */
static int s_put_multipart(s_s3_store *s3, const char *obj, const char *data, size_t len)
{
    wren_store *st = &s3->base;
    s_reply r;
    memset(&r, 0, sizeof r);
    wren_buf reply, done;
    wren_buf_init(&reply, S_ERR_BODY_MAX);
    wren_buf_init(&done, 0);
    char upload_id[512] = "";
    int rc;
    wren_sigv4_param init[] = {{"uploads", ""}};
    rc = s_request(s3, "put", "POST", obj, init, 1, NULL, 0, &reply, 1, &r);
    if (rc == WREN_OK && (!r.have_xml || !r.xml.upload_id[0]))
        rc = wren__store_fail(st, WREN_EPROTO, "put s3://%s/%s: no UploadId in the reply", s3->bucket, obj);
    if (rc != WREN_OK)
        goto cleanup;
    snprintf(upload_id, sizeof upload_id, "%s", r.xml.upload_id);
    wren_buf_append_str(&done, "<CompleteMultipartUpload>");
    size_t part_bytes = s3->part_bytes;
    unsigned part = 1;
    for (size_t off = 0; off < len; off += part_bytes, part++) {
        size_t n = len - off < part_bytes ? len - off : part_bytes;
        char num[16];
        snprintf(num, sizeof num, "%u", part);
        wren_sigv4_param pp[] = {{"partNumber", num}, {"uploadId", upload_id}};
        wren_buf_reset(&reply);
        if ((rc = s_request(s3, "put", "PUT", obj, pp, 2, data + off, n, &reply, 0, &r)) != WREN_OK)
            goto cleanup;
        if (!r.etag[0]) {
            rc = wren__store_fail(st, WREN_EPROTO, "put s3://%s/%s: no ETag for part %u", s3->bucket, obj, part);
            goto cleanup;
        }
        wren_buf_printf(&done, "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>", part, r.etag);
    }
    wren_buf_append_str(&done, "</CompleteMultipartUpload>");
    if (done.failed) {
        rc = wren__store_fail(st, WREN_ENOMEM, "put: out of memory");
        goto cleanup;
    }
    wren_sigv4_param cp[] = {{"uploadId", upload_id}};
    wren_buf_reset(&reply);
    /* S3 may answer 200 and then an <Error>: s_request parses and retries. */
    rc = s_request(s3, "put", "POST", obj, cp, 1, done.data, done.len, &reply, 1, &r);
cleanup:
    if (rc != WREN_OK && upload_id[0]) {
        char msg[WREN__STORE_ERRMSG_BYTES];
        snprintf(msg, sizeof msg, "%s", st->errmsg);
        wren_sigv4_param ap[] = {{"uploadId", upload_id}};
        s_reply ar;
        memset(&ar, 0, sizeof ar);
        s_request(s3, "put", "DELETE", obj, ap, 1, NULL, 0, NULL, 0, &ar);
        s_reply_clean_up(&ar);
        snprintf(st->errmsg, sizeof st->errmsg, "%s", msg); /* the first failure is the story */
    }
    s_reply_clean_up(&r);
    wren_buf_clean_up(&reply);
    wren_buf_clean_up(&done);
    return rc;
}

static int s_s3_put(wren_store *st, const char *key, const void *data, size_t len)
{
    s_s3_store *s3 = s_s3(st);
    char *obj = s_object(s3, key);
    if (!obj)
        return wren__store_fail(st, WREN_ENOMEM, "put %s: out of memory", key);
    if (len >= s3->multipart_bytes) {
        int mrc = s_put_multipart(s3, obj, data, len);
        free(obj);
        return mrc;
    }
    s_reply r;
    memset(&r, 0, sizeof r);
    int rc = s_request(s3, "put", "PUT", obj, NULL, 0, data, len, NULL, 0, &r);
    s_reply_clean_up(&r);
    free(obj);
    return rc;
}

static int s_s3_get(wren_store *st, const char *key, wren_buf *out)
{
    s_s3_store *s3 = s_s3(st);
    char *obj = s_object(s3, key);
    if (!obj)
        return wren__store_fail(st, WREN_ENOMEM, "get %s: out of memory", key);
    s_reply r;
    memset(&r, 0, sizeof r);
    size_t start = out->len;
    int rc = s_request(s3, "get", "GET", obj, NULL, 0, NULL, 0, out, 0, &r);
    if (rc != WREN_OK) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    s_reply_clean_up(&r);
    free(obj);
    return rc;
}

static int s_s3_get_range(wren_store *st, const char *key, uint64_t offset, uint64_t len, wren_buf *out)
{
    if (len == 0)
        return WREN_OK;
    s_s3_store *s3 = s_s3(st);
    char *obj = s_object(s3, key);
    if (!obj)
        return wren__store_fail(st, WREN_ENOMEM, "get %s: out of memory", key);
    char range[96];
    snprintf(range, sizeof range, "Range: bytes=%llu-%llu", (unsigned long long)offset,
             (unsigned long long)(offset + len - 1));
    s_reply r;
    memset(&r, 0, sizeof r);
    size_t start = out->len;
    s3->extra_header = range;
    int rc = s_request(s3, "get", "GET", obj, NULL, 0, NULL, 0, out, 0, &r);
    s3->extra_header = NULL;
    if (rc == WREN_ESTORE && r.status == 416) {
        rc = WREN_OK; /* offset at or past the end: no bytes */
        st->errmsg[0] = '\0';
    } else if (rc == WREN_OK && r.status == 200) {
        /* A server that ignores Range sends the whole object: keep the slice. */
        size_t got = out->len - start;
        size_t from = offset < got ? (size_t)offset : got;
        size_t n = got - from < len ? got - from : (size_t)len;
        memmove(out->data + start, out->data + start + from, n);
        out->len = start + n;
        out->data[out->len] = '\0';
    }
    if (rc != WREN_OK) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    s_reply_clean_up(&r);
    free(obj);
    return rc;
}

static int s_s3_head(wren_store *st, const char *key, uint64_t *size_bytes)
{
    s_s3_store *s3 = s_s3(st);
    char *obj = s_object(s3, key);
    if (!obj)
        return wren__store_fail(st, WREN_ENOMEM, "head %s: out of memory", key);
    s_reply r;
    memset(&r, 0, sizeof r);
    int rc = s_request(s3, "head", "HEAD", obj, NULL, 0, NULL, 0, NULL, 0, &r);
    if (rc == WREN_OK)
        *size_bytes = r.content_length;
    s_reply_clean_up(&r);
    free(obj);
    return rc;
}

static int s_s3_delete(wren_store *st, const char *key)
{
    s_s3_store *s3 = s_s3(st);
    char *obj = s_object(s3, key);
    if (!obj)
        return wren__store_fail(st, WREN_ENOMEM, "delete %s: out of memory", key);
    s_reply r;
    memset(&r, 0, sizeof r);
    int rc = s_request(s3, "delete", "DELETE", obj, NULL, 0, NULL, 0, NULL, 0, &r);
    if (rc == WREN_ENOTFOUND) /* S3 answers 204 for absent keys; some clones 404 */
        rc = WREN_OK;
    s_reply_clean_up(&r);
    free(obj);
    return rc;
}

static int s_s3_list(wren_store *st, const char *prefix, const char *start_after, wren_store_list_fn fn,
                     void *user)
{
    s_s3_store *s3 = s_s3(st);
    char *full = s_object(s3, prefix);
    /* StartAfter is a key too: under the store's prefix. */
    char *after = start_after[0] ? s_object(s3, start_after) : NULL;
    char *token = NULL;
    wren_buf body;
    wren_buf_init(&body, S_LIST_BODY_MAX);
    s_reply r;
    memset(&r, 0, sizeof r);
    int rc = WREN_OK;
    if (!full || (start_after[0] && !after)) {
        rc = wren__store_fail(st, WREN_ENOMEM, "list: out of memory");
        goto cleanup;
    }
    char max_keys[16];
    snprintf(max_keys, sizeof max_keys, "%u", s3->list_max_keys);
    size_t plen = strlen(s3->prefix);
    for (int stop = 0; !stop;) {
        wren_sigv4_param params[5] = {{"list-type", "2"}, {"prefix", full}, {"max-keys", max_keys}};
        size_t np = 3;
        /* S3 ignores start-after once a continuation token is given; send
         * it on the first page only. */
        if (token)
            params[np++] = (wren_sigv4_param){"continuation-token", token};
        else if (after)
            params[np++] = (wren_sigv4_param){"start-after", after};
        wren_buf_reset(&body);
        rc = s_request(s3, "list", "GET", NULL, params, np, NULL, 0, &body, 1, &r);
        if (rc != WREN_OK)
            goto cleanup;
        if (!r.have_xml || r.xml_rc != WREN_OK || strcmp(r.xml.root, "ListBucketResult")) {
            rc = wren__store_fail(st, WREN_EPROTO, "list s3://%s/%s: the reply is not a ListBucketResult",
                                  s3->bucket, full);
            goto cleanup;
        }
        for (size_t i = 0; i < r.xml.n_entries && !stop; i++) {
            const char *k = r.xml.entries[i].key;
            /* Only keys under our prefix that are valid keys: anything else
             * in the bucket (someone's "a//b") is not ours to report. */
            if (strncmp(k, s3->prefix, plen) != 0 || !wren_store_key_ok(k + plen))
                continue;
            if (fn(k + plen, r.xml.entries[i].size, user) != 0)
                stop = 1;
        }
        if (!r.xml.truncated || !r.xml.next_token || !r.xml.next_token[0])
            break;
        free(token);
        token = r.xml.next_token;
        r.xml.next_token = NULL;
    }
cleanup:
    s_reply_clean_up(&r);
    wren_buf_clean_up(&body);
    free(token);
    free(after);
    free(full);
    return rc;
}

/* Deletes every key under prefix with DeleteObjects, up to 1000 a request
 * (list_max_keys). It lists from the start each round rather than follow a
 * continuation token: what was deleted is gone, so the next page is next. */
static int s_s3_delete_prefix(wren_store *st, const char *prefix, uint64_t *deleted)
{
    s_s3_store *s3 = s_s3(st);
    char *full = s_object(s3, prefix);
    wren_buf list_body, del;
    wren_buf_init(&list_body, S_LIST_BODY_MAX);
    wren_buf_init(&del, 0);
    s_reply r, dr;
    memset(&r, 0, sizeof r);
    memset(&dr, 0, sizeof dr);
    int rc = WREN_OK;
    if (!full)
        return wren__store_fail(st, WREN_ENOMEM, "delete: out of memory");
    char max_keys[16];
    snprintf(max_keys, sizeof max_keys, "%u", s3->list_max_keys);
    size_t plen = strlen(s3->prefix);
    for (;;) {
        wren_sigv4_param lp[] = {{"list-type", "2"}, {"prefix", full}, {"max-keys", max_keys}};
        wren_buf_reset(&list_body);
        if ((rc = s_request(s3, "delete", "GET", NULL, lp, 3, NULL, 0, &list_body, 1, &r)) != WREN_OK)
            goto cleanup;
        if (!r.have_xml || r.xml_rc != WREN_OK || strcmp(r.xml.root, "ListBucketResult")) {
            rc = wren__store_fail(st, WREN_EPROTO, "delete s3://%s/%s: the list reply is not a ListBucketResult",
                                  s3->bucket, full);
            goto cleanup;
        }
        wren_buf_reset(&del);
        wren_buf_append_str(&del, "<Delete><Quiet>true</Quiet>");
        size_t n = 0;
        for (size_t i = 0; i < r.xml.n_entries; i++) {
            const char *k = r.xml.entries[i].key;
            /* Only valid keys of ours: they need no XML escaping, and a
             * foreign name is not ours to delete. */
            if (strncmp(k, s3->prefix, plen) != 0 || !wren_store_key_ok(k + plen))
                continue;
            wren_buf_printf(&del, "<Object><Key>%s</Key></Object>", k);
            n++;
        }
        wren_buf_append_str(&del, "</Delete>");
        if (del.failed) {
            rc = wren__store_fail(st, WREN_ENOMEM, "delete: out of memory");
            goto cleanup;
        }
        if (n == 0)
            break;
        /* DeleteObjects requires Content-MD5 (or a checksum header). */
        unsigned char md5[16];
        unsigned int md5_len = 0;
        char header[64];
        char *b64 = NULL;
        if (EVP_Digest(del.data, del.len, md5, &md5_len, EVP_md5(), NULL) == 1)
            b64 = wren_base64_encode(md5, md5_len, NULL);
        if (!b64) {
            rc = wren__store_fail(st, WREN_ESYS, "delete: cannot compute Content-MD5");
            goto cleanup;
        }
        snprintf(header, sizeof header, "Content-MD5: %s", b64);
        free(b64);
        wren_sigv4_param dp[] = {{"delete", ""}};
        wren_buf reply;
        wren_buf_init(&reply, S_ERR_BODY_MAX * 16);
        s3->extra_header = header;
        rc = s_request(s3, "delete", "POST", NULL, dp, 1, del.data, del.len, &reply, 1, &dr);
        s3->extra_header = NULL;
        wren_buf_clean_up(&reply);
        if (rc != WREN_OK)
            goto cleanup;
        if (dr.have_xml && dr.xml.del_errors) {
            rc = wren__store_fail(st, WREN_ESTORE, "delete s3://%s/%s: %zu keys not deleted, first %s: %s", s3->bucket,
                                  full, dr.xml.del_errors, dr.xml.del_key, dr.xml.del_code);
            goto cleanup;
        }
        if (deleted)
            *deleted += n;
        if (!r.xml.truncated && n == r.xml.n_entries)
            break;
        if (n < r.xml.n_entries && !r.xml.truncated)
            break; /* only foreign keys remain */
    }
cleanup:
    s_reply_clean_up(&r);
    s_reply_clean_up(&dr);
    wren_buf_clean_up(&list_body);
    wren_buf_clean_up(&del);
    free(full);
    return rc;
}

static void s_s3_destroy(wren_store *st)
{
    s_s3_store *s3 = s_s3(st);
    if (s3->curl)
        curl_easy_cleanup(s3->curl);
    wren_aws_config_destroy(s3->aws);
    wren_sigv4_key_cache_clean_up(&s3->key_cache);
    free(s3->bucket);
    free(s3->prefix);
    free(s3->origin);
    free(s3->host_header);
    free(s3->path_base);
    free(s3->region);
    free(s3->ca_bundle);
    free(s3);
}

static const wren__store_ops s_s3_ops = {
    .scheme = "s3",
    .put = s_s3_put,
    .get = s_s3_get,
    .get_range = s_s3_get_range,
    .head = s_s3_head,
    .del = s_s3_delete,
    .list = s_s3_list,
    .delete_prefix = s_s3_delete_prefix,
    .destroy = s_s3_destroy,
};

/* ---- open ----------------------------------------------------------------- */

static int s_bucket_ok(const char *b, size_t n)
{
    if (n < 3 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return 0;
    }
    return b[0] != '.' && b[0] != '-' && b[n - 1] != '.' && b[n - 1] != '-';
}

static int s_env_int(const char *name, int dflt, int lo, int hi)
{
    const char *v = getenv(name);
    if (!v || !v[0])
        return dflt;
    char *end;
    long x = strtol(v, &end, 10);
    return (*end || x < lo || x > hi) ? dflt : (int)x;
}

/* Splits the endpoint into origin (scheme://host[:port]) and Host header,
 * through libcurl's URL parser. Any path on the endpoint is refused. */
static int s_parse_endpoint(const char *endpoint, char **origin, char **host_header, int *is_https)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    int rc = WREN_EINVAL;
    if (!u)
        return WREN_ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        goto cleanup;
    if (strcmp(scheme, "http") && strcmp(scheme, "https"))
        goto cleanup;
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && strcmp(path, "/") && path[0])
        goto cleanup;
    curl_url_get(u, CURLUPART_PORT, &port, 0); /* only when explicit */
    int default_port = port && ((!strcmp(scheme, "http") && !strcmp(port, "80")) ||
                                (!strcmp(scheme, "https") && !strcmp(port, "443")));
    size_t n = strlen(scheme) + strlen(host) + (port ? strlen(port) : 0) + 8;
    *origin = malloc(n);
    *host_header = malloc(n);
    if (!*origin || !*host_header) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    snprintf(*host_header, n, "%s%s%s", host, port && !default_port ? ":" : "", port && !default_port ? port : "");
    snprintf(*origin, n, "%s://%s", scheme, *host_header);
    *is_https = !strcmp(scheme, "https");
    rc = WREN_OK;
cleanup:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
    return rc;
}

int wren__store_s3_open(const char *url, const char *rest, wren_store **out, char *err_out, size_t err_cap)
{
    pthread_once(&s_curl_once, s_curl_init);
    s_s3_store *s3 = calloc(1, sizeof *s3);
    if (!s3)
        return WREN_ENOMEM;
    s3->base.ops = &s_s3_ops;
    int rc = WREN_OK;
    const char *slash = strchr(rest, '/');
    size_t blen = slash ? (size_t)(slash - rest) : strlen(rest);
    if (!s_bucket_ok(rest, blen)) {
        rc = wren__store_open_fail(err_out, err_cap, WREN_EINVAL,
                                   "bad bucket name in %.200s: 3-63 of [a-z0-9.-], not starting or ending with . or -",
                                   url);
        goto fail;
    }
    s3->bucket = strndup(rest, blen);
    /* The prefix: key segments, stored with one trailing '/'. */
    const char *p = slash ? slash + 1 : "";
    size_t plen = strlen(p);
    while (plen && p[plen - 1] == '/')
        plen--;
    char *pfx = strndup(p, plen);
    if (!s3->bucket || !pfx) {
        free(pfx);
        rc = WREN_ENOMEM;
        goto fail;
    }
    if (plen && !wren_store_key_ok(pfx)) {
        free(pfx);
        rc = wren__store_open_fail(err_out, err_cap, WREN_EINVAL, "bad prefix in %.200s: it must follow the key rules",
                                   url);
        goto fail;
    }
    s3->prefix = malloc(plen + 2);
    if (!s3->prefix) {
        free(pfx);
        rc = WREN_ENOMEM;
        goto fail;
    }
    snprintf(s3->prefix, plen + 2, "%s%s", pfx, plen ? "/" : "");
    free(pfx);

    char err[256];
    if ((rc = wren_aws_config_load(&s3->aws, err, sizeof err)) != WREN_OK) {
        wren__store_open_fail(err_out, err_cap, rc, "AWS configuration: %s", err);
        goto fail;
    }
    if (!wren_aws_config_has_credentials(s3->aws)) {
        /* No credentials anywhere: fail now, not at the first put. */
        rc = wren__store_open_fail(err_out, err_cap, WREN_EAUTH,
                                   "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or profile "
                                   "%.64s in ~/.aws/credentials",
                                   s3->aws->profile);
        goto fail;
    }
    s3->region = strdup(s3->aws->region ? s3->aws->region : "us-east-1");
    const char *endpoint = wren_aws_config_endpoint(s3->aws, "s3");
    int https = 1;
    if (endpoint) {
        if ((rc = s_parse_endpoint(endpoint, &s3->origin, &s3->host_header, &https)) != WREN_OK) {
            wren__store_open_fail(err_out, err_cap, rc, "bad S3 endpoint URL %.200s: want http(s)://host[:port]",
                                  endpoint);
            goto fail;
        }
        s3->path_base = malloc(blen + 2);
        if (s3->path_base)
            snprintf(s3->path_base, blen + 2, "/%s", s3->bucket);
    } else {
        size_t n = blen + strlen(s3->region) + 64;
        s3->origin = malloc(n);
        s3->host_header = malloc(n);
        if (s3->origin && s3->host_header) {
            if (memchr(s3->bucket, '.', blen)) {
                snprintf(s3->host_header, n, "s3.%s.amazonaws.com", s3->region);
                s3->path_base = malloc(blen + 2);
                if (s3->path_base)
                    snprintf(s3->path_base, blen + 2, "/%s", s3->bucket);
            } else {
                snprintf(s3->host_header, n, "%s.s3.%s.amazonaws.com", s3->bucket, s3->region);
                s3->path_base = strdup("");
            }
            snprintf(s3->origin, n, "https://%s", s3->host_header);
        }
    }
    if (!s3->region || !s3->origin || !s3->host_header || !s3->path_base) {
        rc = WREN_ENOMEM;
        goto fail;
    }
    if (https) {
        const char *ca = wren__s3_ca_bundle();
        if (ca && !(s3->ca_bundle = strdup(ca))) {
            rc = WREN_ENOMEM;
            goto fail;
        }
    }
    s3->max_attempts = s_env_int("WREN_S3_MAX_ATTEMPTS", 5, 1, 20);
    s3->base_delay_ms = s_env_int("WREN_S3_RETRY_BASE_MS", 50, 0, 60000);
    s3->max_delay_ms = s_env_int("WREN_S3_RETRY_MAX_MS", 5000, 0, 600000);
    s3->list_max_keys = (unsigned)s_env_int("WREN_S3_LIST_MAX_KEYS", 1000, 1, 1000);
    /* moto_server: WREN_S3_MOTO_QUIRKS=1 always, =0 never; unset, a custom
     * endpoint that refuses a '/'-in-query signature gets one more try with
     * the quirk, which then sticks to this handle (see s_request). */
    s3->moto_quirks = s_env_int("WREN_S3_MOTO_QUIRKS", 0, 0, 1);
    const char *mq = getenv("WREN_S3_MOTO_QUIRKS");
    s3->moto_auto = endpoint && !(mq && mq[0]);
    /* Parts of 16 MiB from 64 MiB up: few requests, and a failed part costs
     * little to resend. S3's minimum part is 5 MiB (the last may be less). */
    s3->multipart_bytes = (size_t)s_env_int("WREN_S3_MULTIPART_MIB", 64, 5, 4096) << 20;
    s3->part_bytes = (size_t)s_env_int("WREN_S3_PART_MIB", 16, 5, 4096) << 20;
    s3->curl = curl_easy_init();
    s3->base.url = strdup(url);
    if (!s3->curl || !s3->base.url) {
        rc = WREN_ENOMEM;
        goto fail;
    }
    *out = &s3->base;
    return WREN_OK;
fail:
    free(s3->base.url);
    s_s3_destroy(&s3->base);
    return rc;
}

uint64_t wren__s3_attempts(const wren_store *st)
{
    if (!st || st->ops != &s_s3_ops)
        return 0;
    return ((const s_s3_store *)st)->attempts_total;
}

const char *wren__s3_origin(const wren_store *st)
{
    if (!st || st->ops != &s_s3_ops)
        return NULL;
    return ((const s_s3_store *)st)->origin;
}
