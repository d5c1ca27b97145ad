/*
 * runtime/runtime.c: the Lambda Runtime API (2018-06-01) over one libcurl
 * easy handle.
 *
 * One handle, one keep-alive connection, for every verb: `next` is a long poll
 * (no total timeout, a short connect timeout), the POSTs send their body
 * straight from the caller's memory with no `Expect: 100-continue` round trip.
 * The buffers (event, header values, URLs, replies) live on the runtime and
 * keep their allocation from one invocation to the next, so a warm invocation
 * allocates almost nothing of ours (curl still copies the URL it is given).
 */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"
#include "wren/runtime.h"
#include "wren_common.h"

#define S_API_PATH "/2018-06-01/runtime"
#define S_TRACE_ENV "_X_AMZN_TRACE_ID"
/* Bodies of answers to our POSTs are kept only for error messages. */
#define S_REPLY_MAX_BYTES ((size_t)16 << 10)
/* Past the event cap we read and drop the rest, so the connection stays
 * usable, but only up to this much: beyond it the answer is not Lambda's. */
#define S_DRAIN_MAX_BYTES ((size_t)64 << 20)
/* "_X_AMZN_TRACE_ID=" + value + NUL; X-Ray headers are well under 1 KB. */
#define S_TRACE_ENV_BYTES 1024

enum {
    S_HDR_REQUEST_ID,
    S_HDR_DEADLINE,
    S_HDR_ARN,
    S_HDR_TRACE,
    S_HDR_CLIENT_CONTEXT,
    S_HDR_COGNITO,
    S_HDR_COUNT
};

static const char *const s_header_names[S_HDR_COUNT] = {
    [S_HDR_REQUEST_ID] = "Lambda-Runtime-Aws-Request-Id",
    [S_HDR_DEADLINE] = "Lambda-Runtime-Deadline-Ms",
    [S_HDR_ARN] = "Lambda-Runtime-Invoked-Function-Arn",
    [S_HDR_TRACE] = "Lambda-Runtime-Trace-Id",
    [S_HDR_CLIENT_CONTEXT] = "Lambda-Runtime-Client-Context",
    [S_HDR_COGNITO] = "Lambda-Runtime-Cognito-Identity",
};

/* Where a response body goes. */
typedef struct s_sink {
    CURL *curl;
    wren_buf *buf;
    int is_event;        /* reserve from Content-Length on the first chunk */
    int started;
    int overflow;        /* the body passed buf's cap: the rest is dropped */
    int nomem;
    size_t total_bytes;  /* every byte of the body seen, kept or not */
} s_sink;

struct wren_runtime {
    CURL *curl;
    char *endpoint; /* "host:port" */
    char *base_url; /* "http://host:port/2018-06-01/runtime" */
    char *next_url;
    /* The same URLs parsed once (CURLOPT_CURLU): curl then neither parses
     * the URL string nor rebuilds it for every request, which was a tenth
     * of the worker's CPU per invocation. post_uh gets each POST's path. */
    CURLU *next_uh;
    CURLU *post_uh;
    size_t path_off; /* where the path starts in our URLs ("http://" + endpoint) */
    wren_buf url;     /* scratch: per-invocation URLs */
    wren_buf event;   /* body of the current invocation */
    wren_buf headers; /* its header values, each NUL-terminated */
    wren_buf reply;   /* body of the last answer to a POST (capped) */
    wren_buf body;    /* scratch: error JSON we send */
    struct curl_slist *response_headers; /* Content-Type + Expect, cached */
    char *response_content_type;         /* the type those headers carry */
    size_t max_event_bytes;
    long connect_timeout_ms;
    long http_status;
    char curl_error[CURL_ERROR_SIZE];
    char errmsg[512];
    char trace_env[S_TRACE_ENV_BYTES]; /* given to putenv(), see s_set_trace_env */
};

/* ---- small helpers ------------------------------------------------------ */

static void s_errmsg(wren_runtime *rt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_errmsg(wren_runtime *rt, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rt->errmsg, sizeof rt->errmsg, fmt, ap);
    va_end(ap);
}

static size_t s_write(char *ptr, size_t size, size_t nmemb, void *data)
{
    s_sink *sink = data;
    size_t n = size * nmemb;
    if (!sink->started) {
        sink->started = 1;
        curl_off_t announced = -1;
        /* One allocation for a big event instead of a series of doublings;
         * a length over the cap is left to the append below to refuse. */
        if (sink->is_event && curl_easy_getinfo(sink->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced) == CURLE_OK &&
            announced > 0 && (uint64_t)announced <= sink->buf->max_bytes)
            (void)wren_buf_reserve(sink->buf, (size_t)announced);
    }
    sink->total_bytes += n;
    if (sink->overflow)
        return sink->total_bytes > S_DRAIN_MAX_BYTES ? 0 : n;
    int rc = wren_buf_append(sink->buf, ptr, n);
    if (rc == WREN_ETOOBIG) {
        sink->overflow = 1;
        return n;
    }
    if (rc != WREN_OK) {
        sink->nomem = 1;
        return 0; /* aborts the transfer */
    }
    return n;
}

/* Makes one request with the options already set. Transport failures become
 * WREN_EHTTP with curl's words in errmsg; rt->http_status is what came back
 * (0 if nothing did). */
static int s_perform(wren_runtime *rt, const char *method, const char *url)
{
    rt->curl_error[0] = '\0';
    rt->http_status = 0;
    CURLcode cc = curl_easy_perform(rt->curl);
    long status = 0;
    curl_easy_getinfo(rt->curl, CURLINFO_RESPONSE_CODE, &status);
    rt->http_status = status;
    if (cc != CURLE_OK) {
        s_errmsg(rt, "%s %s: %s (curl %d)", method, url, rt->curl_error[0] ? rt->curl_error : curl_easy_strerror(cc),
                 (int)cc);
        return WREN_EHTTP;
    }
    return WREN_OK;
}

/* The X-Ray trace id for code that reads the environment (the X-Ray SDKs do).
 * setenv() with a new value each invocation would grow glibc's private table
 * of every value ever set, without bound, in a worker that lives for
 * millions of invocations; instead the variable points at a buffer of ours
 * that we rewrite in place (and re-putenv, in case someone else set it). */
static void s_set_trace_env(wren_runtime *rt, const char *trace_id)
{
    if (!*trace_id) {
        unsetenv(S_TRACE_ENV);
        return;
    }
    size_t prefix = sizeof S_TRACE_ENV; /* name + '=' */
    size_t len = strlen(trace_id);
    if (prefix + len + 1 > sizeof rt->trace_env) {
        /* Not a real X-Ray header; correct, if not thrifty. */
        const char *ours = getenv(S_TRACE_ENV);
        if (ours == rt->trace_env + prefix)
            unsetenv(S_TRACE_ENV);
        setenv(S_TRACE_ENV, trace_id, 1);
        return;
    }
    memcpy(rt->trace_env, S_TRACE_ENV "=", prefix);
    memcpy(rt->trace_env + prefix, trace_id, len + 1);
    putenv(rt->trace_env);
}

static void s_invocation_clear(wren_invocation *inv)
{
    memset(inv, 0, sizeof *inv);
    inv->payload = inv->request_id = inv->function_arn = inv->xray_trace_id = "";
    inv->client_context = inv->cognito_identity = "";
}

/* Strict: digits only, no sign, no overflow, no trailing bytes. */
static int s_parse_deadline(const char *s, int64_t *out)
{
    if (!*s || strlen(s) > 18)
        return WREN_EPROTO;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return WREN_EPROTO;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return WREN_OK;
}

/* ---- lifecycle ---------------------------------------------------------- */

static int s_endpoint_ok(const char *endpoint)
{
    if (!*endpoint || strlen(endpoint) > 255)
        return 0;
    for (const unsigned char *p = (const unsigned char *)endpoint; *p; p++)
        if (*p <= 0x20 || *p >= 0x7F || *p == '/' || *p == '?' || *p == '#' || *p == '@')
            return 0;
    return 1;
}

static char *s_concat(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = malloc(la + lb + lc + 1);
    if (!s)
        return NULL;
    memcpy(s, a, la);
    memcpy(s + la, b, lb);
    memcpy(s + la + lb, c, lc + 1);
    return s;
}

int wren_runtime_new(const char *endpoint, wren_runtime **out)
{
    int rc = WREN_OK;
    wren_runtime *rt = NULL;
    *out = NULL;
    if (!endpoint)
        endpoint = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!endpoint || !s_endpoint_ok(endpoint))
        return WREN_EINVAL;
    /* CURL_GLOBAL_DEFAULT, not NOTHING: measured, both cost the same (~1 ms,
     * spent in initialising the libraries libcurl links, not in TLS), and
     * the same process later talks HTTPS to S3 through the store, which needs
     * TLS initialised. curl_global_init is reference-counted. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return WREN_ENOMEM;
    rt = calloc(1, sizeof *rt);
    if (!rt) {
        curl_global_cleanup();
        return WREN_ENOMEM;
    }
    wren_buf_init(&rt->url, 0);
    wren_buf_init(&rt->event, WREN_RUNTIME_DEFAULT_MAX_EVENT_BYTES);
    wren_buf_init(&rt->headers, 64 << 10);
    wren_buf_init(&rt->reply, S_REPLY_MAX_BYTES);
    wren_buf_init(&rt->body, 0);
    rt->max_event_bytes = WREN_RUNTIME_DEFAULT_MAX_EVENT_BYTES;
    rt->connect_timeout_ms = WREN_RUNTIME_DEFAULT_CONNECT_TIMEOUT_MS;
    rt->endpoint = strdup(endpoint);
    rt->base_url = rt->endpoint ? s_concat("http://", endpoint, S_API_PATH) : NULL;
    rt->next_url = rt->base_url ? s_concat(rt->base_url, "/invocation/next", "") : NULL;
    rt->curl = curl_easy_init();
    rt->next_uh = curl_url();
    rt->post_uh = curl_url();
    if (!rt->endpoint || !rt->base_url || !rt->next_url || !rt->curl || !rt->next_uh || !rt->post_uh) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    rt->path_off = strlen("http://") + strlen(endpoint);
    /* The endpoint passed s_endpoint_ok; curl may still refuse it (a bad
     * port, say): that is the caller's EINVAL. */
    CURLUcode uc = curl_url_set(rt->next_uh, CURLUPART_URL, rt->next_url, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_set(rt->post_uh, CURLUPART_URL, rt->base_url, 0);
    if (uc != CURLUE_OK) {
        rc = uc == CURLUE_OUT_OF_MEMORY ? WREN_ENOMEM : WREN_EINVAL;
        goto cleanup;
    }
    CURL *c = rt->curl;
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, rt->curl_error);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, rt->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 0L); /* `next` is a long poll */
    /* An http_proxy in the function's environment must not capture the
     * Runtime API, which is always local. */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    /* And with no_proxy set to everything, curl skips looking up no_proxy
     * and NO_PROXY in the environment on every request. */
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    /* No User-Agent: the Runtime API does not read one, and curl would
     * format the header anew for every request (an aprintf per request in
     * the profile). */
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write);
    s_errmsg(rt, "no error");

cleanup:
    if (rc != WREN_OK) {
        wren_runtime_destroy(rt);
        rt = NULL;
    }
    *out = rt;
    return rc;
}

void wren_runtime_destroy(wren_runtime *rt)
{
    if (!rt)
        return;
    /* Our buffer must not stay in the environment once freed. */
    const char *trace = getenv(S_TRACE_ENV);
    if (trace && trace == rt->trace_env + sizeof S_TRACE_ENV)
        unsetenv(S_TRACE_ENV);
    if (rt->curl)
        curl_easy_cleanup(rt->curl);
    curl_url_cleanup(rt->next_uh);
    curl_url_cleanup(rt->post_uh);
    curl_slist_free_all(rt->response_headers);
    free(rt->response_content_type);
    free(rt->endpoint);
    free(rt->base_url);
    free(rt->next_url);
    wren_buf_clean_up(&rt->url);
    wren_buf_clean_up(&rt->event);
    wren_buf_clean_up(&rt->headers);
    wren_buf_clean_up(&rt->reply);
    wren_buf_clean_up(&rt->body);
    free(rt);
    curl_global_cleanup();
}

void wren_runtime_set_max_event_bytes(wren_runtime *rt, size_t max_bytes)
{
    rt->max_event_bytes = max_bytes ? max_bytes : WREN_RUNTIME_DEFAULT_MAX_EVENT_BYTES;
}

void wren_runtime_set_connect_timeout_ms(wren_runtime *rt, long timeout_ms)
{
    rt->connect_timeout_ms = timeout_ms > 0 ? timeout_ms : WREN_RUNTIME_DEFAULT_CONNECT_TIMEOUT_MS;
    curl_easy_setopt(rt->curl, CURLOPT_CONNECTTIMEOUT_MS, rt->connect_timeout_ms);
}

const char *wren_runtime_endpoint(const wren_runtime *rt)
{
    return rt->endpoint;
}

const char *wren_runtime_errmsg(const wren_runtime *rt)
{
    return rt ? rt->errmsg : "no runtime";
}

long wren_runtime_http_status(const wren_runtime *rt)
{
    return rt ? rt->http_status : 0;
}

int64_t wren_invocation_remaining_ms(const wren_invocation *inv)
{
    return inv->deadline_ms - wren_now_ms();
}

/* ---- next --------------------------------------------------------------- */

/* Copies the Lambda-Runtime-* headers of the last answer into rt->headers
 * (absent ones as ""), and points values[] into it. */
static int s_collect_headers(wren_runtime *rt, const char *values[S_HDR_COUNT])
{
    size_t offsets[S_HDR_COUNT];
    wren_buf_reset(&rt->headers);
    for (int i = 0; i < S_HDR_COUNT; i++) {
        struct curl_header *h = NULL;
        const char *v = "";
        if (curl_easy_header(rt->curl, s_header_names[i], 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h->value)
            v = h->value;
        offsets[i] = rt->headers.len;
        if (wren_buf_append(&rt->headers, v, strlen(v) + 1) != WREN_OK) {
            s_errmsg(rt, "GET %s: header %s does not fit in %zu bytes", rt->next_url, s_header_names[i],
                     rt->headers.max_bytes);
            return rt->headers.len + strlen(v) + 1 > rt->headers.max_bytes ? WREN_EPROTO : WREN_ENOMEM;
        }
    }
    for (int i = 0; i < S_HDR_COUNT; i++)
        values[i] = rt->headers.data + offsets[i];
    return WREN_OK;
}

int wren_runtime_next(wren_runtime *rt, wren_invocation *inv)
{
    s_invocation_clear(inv);
    CURL *c = rt->curl;
    rt->event.max_bytes = rt->max_event_bytes;
    wren_buf_reset(&rt->event);
    s_sink sink = {.curl = c, .buf = &rt->event, .is_event = 1};
    curl_easy_setopt(c, CURLOPT_URL, rt->next_url); /* for curl's messages; */
    curl_easy_setopt(c, CURLOPT_CURLU, rt->next_uh); /* the request uses this */
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    int rc = s_perform(rt, "GET", rt->next_url);
    if (sink.nomem) {
        s_errmsg(rt, "GET %s: out of memory reading %zu bytes", rt->next_url, sink.total_bytes);
        return WREN_ENOMEM;
    }
    if (rc != WREN_OK) {
        if (sink.overflow)
            s_errmsg(rt, "GET %s: event larger than %zu bytes; connection dropped", rt->next_url,
                     (size_t)S_DRAIN_MAX_BYTES);
        return rc;
    }
    if (rt->http_status != 200) {
        s_errmsg(rt, "HTTP %ld from GET %s: %.200s", rt->http_status, rt->next_url,
                 rt->event.data && !sink.overflow ? rt->event.data : "");
        return WREN_EHTTP;
    }

    const char *v[S_HDR_COUNT];
    rc = s_collect_headers(rt, v);
    if (rc != WREN_OK)
        return rc;
    if (!*v[S_HDR_REQUEST_ID]) {
        s_errmsg(rt, "GET %s: the answer has no %s header", rt->next_url, s_header_names[S_HDR_REQUEST_ID]);
        return WREN_EPROTO;
    }
    /* The id goes into the URLs we post to: nothing but a safe segment. */
    if (!wren_is_safe_id(v[S_HDR_REQUEST_ID], strlen(v[S_HDR_REQUEST_ID]))) {
        s_errmsg(rt, "GET %s: unsafe %s \"%.80s\"", rt->next_url, s_header_names[S_HDR_REQUEST_ID],
                 v[S_HDR_REQUEST_ID]);
        return WREN_EPROTO;
    }
    inv->request_id = v[S_HDR_REQUEST_ID];
    if (s_parse_deadline(v[S_HDR_DEADLINE], &inv->deadline_ms) != WREN_OK) {
        s_errmsg(rt, "GET %s: %s \"%.40s\" is %s (request %s)", rt->next_url, s_header_names[S_HDR_DEADLINE],
                 v[S_HDR_DEADLINE], *v[S_HDR_DEADLINE] ? "not a count of milliseconds" : "missing",
                 inv->request_id);
        inv->deadline_ms = 0;
        return WREN_EPROTO;
    }
    if (sink.overflow) {
        s_errmsg(rt, "event of %zu bytes is larger than the cap of %zu bytes (request %s)", sink.total_bytes,
                 rt->max_event_bytes, inv->request_id);
        inv->deadline_ms = 0;
        return WREN_ETOOBIG;
    }
    inv->function_arn = v[S_HDR_ARN];
    inv->xray_trace_id = v[S_HDR_TRACE];
    inv->client_context = v[S_HDR_CLIENT_CONTEXT];
    inv->cognito_identity = v[S_HDR_COGNITO];
    inv->payload = rt->event.data ? rt->event.data : "";
    inv->payload_len = rt->event.len;
    s_set_trace_env(rt, inv->xray_trace_id);
    return WREN_OK;
}

/* ---- the POSTs ---------------------------------------------------------- */

/* rt->url = base + "/invocation/" + id + suffix. */
static int s_invocation_url(wren_runtime *rt, const char *request_id, const char *suffix)
{
    if (!request_id || !wren_is_safe_id(request_id, strlen(request_id))) {
        s_errmsg(rt, "request id \"%.80s\" is not a safe path segment", request_id ? request_id : "(null)");
        return WREN_EINVAL;
    }
    wren_buf_reset(&rt->url);
    wren_buf_append_str(&rt->url, rt->base_url);
    wren_buf_append_str(&rt->url, "/invocation/");
    wren_buf_append_str(&rt->url, request_id);
    wren_buf_append_str(&rt->url, suffix);
    if (rt->url.failed) {
        s_errmsg(rt, "out of memory");
        return WREN_ENOMEM;
    }
    return WREN_OK;
}

/* POSTs body to rt->url and maps the answer: 2xx OK, 413 ETOOBIG, other 4xx
 * ESTATE, anything else (500 above all) EHTTP. */
static int s_post(wren_runtime *rt, struct curl_slist *headers, const void *body, size_t len)
{
    CURL *c = rt->curl;
    wren_buf_reset(&rt->reply);
    s_sink sink = {.curl = c, .buf = &rt->reply};
    if (curl_url_set(rt->post_uh, CURLUPART_PATH, rt->url.data + rt->path_off, 0) != CURLUE_OK) {
        s_errmsg(rt, "POST %s: out of memory", rt->url.data);
        return WREN_ENOMEM;
    }
    curl_easy_setopt(c, CURLOPT_URL, rt->url.data);
    curl_easy_setopt(c, CURLOPT_CURLU, rt->post_uh);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    int rc = s_perform(rt, "POST", rt->url.data);
    /* Do not leave a pointer to the caller's body in the handle. */
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    if (rc != WREN_OK)
        return rc;
    long st = rt->http_status;
    if (st >= 200 && st < 300)
        return WREN_OK;
    s_errmsg(rt, "HTTP %ld from POST %s: %.200s", st, rt->url.data, rt->reply.data ? rt->reply.data : "");
    if (st == 413)
        return WREN_ETOOBIG;
    if (st >= 400 && st < 500)
        return WREN_ESTATE;
    return WREN_EHTTP;
}

/* Content-Type + an empty Expect (curl would otherwise wait for a 100
 * Continue before bodies over 1 MiB). Cached: the same type every time is
 * the common case. */
static int s_response_headers(wren_runtime *rt, const char *content_type)
{
    if (rt->response_headers && rt->response_content_type && strcmp(rt->response_content_type, content_type) == 0)
        return WREN_OK;
    curl_slist_free_all(rt->response_headers);
    free(rt->response_content_type);
    rt->response_headers = NULL;
    rt->response_content_type = strdup(content_type);
    char line[sizeof "Content-Type: " + WREN__ERROR_TYPE_MAX_BYTES];
    char clean[WREN__ERROR_TYPE_MAX_BYTES + 1];
    wren__error_type_clean(content_type, clean, sizeof clean); /* same rules: a safe header value */
    snprintf(line, sizeof line, "Content-Type: %s", clean);
    struct curl_slist *l = curl_slist_append(NULL, line);
    struct curl_slist *l2 = l ? curl_slist_append(l, "Expect:") : NULL;
    if (!rt->response_content_type || !l2) {
        curl_slist_free_all(l);
        free(rt->response_content_type);
        rt->response_content_type = NULL;
        s_errmsg(rt, "out of memory");
        return WREN_ENOMEM;
    }
    rt->response_headers = l2;
    return WREN_OK;
}

int wren_runtime_respond(wren_runtime *rt, const char *request_id, const void *body, size_t len,
                         const char *content_type)
{
    if (len && !body) {
        s_errmsg(rt, "respond: NULL body of %zu bytes", len);
        return WREN_EINVAL;
    }
    int rc = s_invocation_url(rt, request_id, "/response");
    if (rc == WREN_OK)
        rc = s_response_headers(rt, content_type && *content_type ? content_type : "application/json");
    if (rc == WREN_OK)
        rc = s_post(rt, rt->response_headers, body, len);
    return rc;
}

/* The shared half of `error` and `init/error`: rt->url is set. */
static int s_post_error(wren_runtime *rt, const char *error_type, const char *message)
{
    int rc = WREN_OK;
    struct curl_slist *headers = NULL;
    char clean[WREN__ERROR_TYPE_MAX_BYTES + 1];
    char line[sizeof "Lambda-Runtime-Function-Error-Type: " + WREN__ERROR_TYPE_MAX_BYTES];
    wren__error_type_clean(error_type, clean, sizeof clean);
    snprintf(line, sizeof line, "Lambda-Runtime-Function-Error-Type: %s", clean);
    wren_buf_reset(&rt->body);
    rc = wren__error_body(clean, message, &rt->body);
    if (rc != WREN_OK) {
        s_errmsg(rt, "building the error body: %s", wren_strerror(rc));
        goto cleanup;
    }
    /* curl_slist_append returns the head, or NULL leaving the list intact. */
    headers = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *l = headers ? curl_slist_append(headers, "Expect:") : NULL;
    l = l ? curl_slist_append(headers, line) : NULL;
    if (!l) {
        s_errmsg(rt, "out of memory");
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    rc = s_post(rt, headers, rt->body.data, rt->body.len);

cleanup:
    curl_slist_free_all(headers);
    return rc;
}

int wren_runtime_fail(wren_runtime *rt, const char *request_id, const char *error_type, const char *message)
{
    int rc = s_invocation_url(rt, request_id, "/error");
    if (rc == WREN_OK)
        rc = s_post_error(rt, error_type, message);
    return rc;
}

int wren_runtime_init_error(wren_runtime *rt, const char *error_type, const char *message)
{
    wren_buf_reset(&rt->url);
    wren_buf_append_str(&rt->url, rt->base_url);
    if (wren_buf_append_str(&rt->url, "/init/error") != WREN_OK) {
        s_errmsg(rt, "out of memory");
        return WREN_ENOMEM;
    }
    return s_post_error(rt, error_type, message);
}

/* ---- outcomes ----------------------------------------------------------- */

wren_outcome wren_outcome_failure(const char *error_type, const char *message)
{
    wren_outcome o = {0};
    o.error_type = strdup(error_type ? error_type : "Runtime.Unknown");
    o.error_message = strdup(message ? message : "");
    if (!o.error_type || !o.error_message) {
        /* NULL type is how the loop knows this is Runtime.OutOfMemory. */
        free(o.error_type);
        free(o.error_message);
        o.error_type = NULL;
        o.error_message = NULL;
    }
    return o;
}

wren_outcome wren_outcome_success(const void *payload, size_t len, const char *content_type)
{
    wren_outcome o = {0};
    if (len == SIZE_MAX || (len && !payload))
        return wren_outcome_failure("Runtime.InvalidResponse", "response payload is NULL or of impossible length");
    o.success = 1;
    o.payload = malloc(len + 1);
    o.content_type = strdup(content_type && *content_type ? content_type : "application/json");
    if (!o.payload || !o.content_type) {
        free(o.payload);
        free(o.content_type);
        return wren_outcome_failure("Runtime.OutOfMemory", "out of memory copying the response");
    }
    if (len)
        memcpy(o.payload, payload, len);
    o.payload[len] = '\0';
    o.payload_len = len;
    return o;
}

void wren_outcome_clean_up(wren_outcome *outcome)
{
    if (!outcome)
        return;
    free(outcome->payload);
    free(outcome->content_type);
    free(outcome->error_type);
    free(outcome->error_message);
    memset(outcome, 0, sizeof *outcome);
}

/* ---- the loop ----------------------------------------------------------- */

/* After a POST: EHTTP ends the loop; anything else is logged and we go on. */
static int s_after_post(wren_runtime *rt, int rc, const char *what, const char *request_id)
{
    if (rc == WREN_OK)
        return WREN_OK;
    wren__log(rc == WREN_EHTTP ? WREN_LOG_ERROR : WREN_LOG_WARN, "runtime", "%s for %s: %s: %s", what, request_id,
              wren_status_name(rc), rt->errmsg);
    return rc == WREN_EHTTP ? rc : WREN_OK;
}

int wren_runtime_loop(wren_runtime *rt, wren_handler_fn handler, void *user)
{
    char msg[sizeof rt->errmsg + 64];
    for (;;) {
        wren_invocation inv;
        int rc = wren_runtime_next(rt, &inv);
        if (rc == WREN_ETOOBIG || (rc == WREN_EPROTO && *inv.request_id)) {
            snprintf(msg, sizeof msg, "%s", rt->errmsg);
            wren__log(WREN_LOG_WARN, "runtime", "next: %s", msg);
            rc = wren_runtime_fail(rt, inv.request_id, rc == WREN_ETOOBIG ? "Wren.EventTooLarge" : "Wren.MalformedEvent",
                                   msg);
            if (s_after_post(rt, rc, "error", inv.request_id) == WREN_EHTTP)
                return WREN_EHTTP;
            continue;
        }
        if (rc != WREN_OK) {
            wren__log(WREN_LOG_ERROR, "runtime", "next: %s: %s", wren_status_name(rc), rt->errmsg);
            return rc == WREN_EPROTO || rc == WREN_ENOMEM ? rc : WREN_EHTTP;
        }
        wren_outcome out = handler(&inv, user);
        if (out.success) {
            rc = wren_runtime_respond(rt, inv.request_id, out.payload, out.payload_len, out.content_type);
            if (rc == WREN_ETOOBIG) {
                snprintf(msg, sizeof msg, "response of %zu bytes refused: %s", out.payload_len, rt->errmsg);
                wren__log(WREN_LOG_WARN, "runtime", "%s", msg);
                rc = wren_runtime_fail(rt, inv.request_id, "Wren.OutputTooLarge", msg);
                rc = s_after_post(rt, rc, "error", inv.request_id);
            } else {
                rc = s_after_post(rt, rc, "response", inv.request_id);
            }
        } else {
            rc = wren_runtime_fail(rt, inv.request_id, out.error_type ? out.error_type : "Runtime.OutOfMemory",
                                   out.error_type ? out.error_message : "out of memory building the outcome");
            rc = s_after_post(rt, rc, "error", inv.request_id);
        }
        wren_outcome_clean_up(&out);
        if (rc != WREN_OK)
            return rc;
    }
}

int wren_runtime_run(wren_handler_fn handler, void *user)
{
    wren_runtime *rt = NULL;
    int rc = wren_runtime_new(NULL, &rt);
    if (rc != WREN_OK) {
        wren__log(WREN_LOG_ERROR, "runtime", "cannot start: %s (is AWS_LAMBDA_RUNTIME_API set to host:port?)",
                  wren_strerror(rc));
        return rc;
    }
    rc = wren_runtime_loop(rt, handler, user);
    wren_runtime_destroy(rt);
    return rc;
}
