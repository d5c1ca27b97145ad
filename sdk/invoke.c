/* The Lambda Invoke API client: many Event invokes in flight over libcurl multi. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "invoke.h"
#include "wren_common.h"

#define S_RESP_MAX 4096

typedef struct s_req {
    struct s_req *next;
    char *body;
    size_t len;
    void *req_user;
    int tries;
    uint64_t not_before_ns; /* backoff: not sent before this monotonic time */
    CURL *easy;
    struct curl_slist *signed_headers;
    wren_buf resp;
} s_req;

struct wren__invoker {
    CURLM *multi;
    char *url;
    int max_in_flight;
    int max_retries;
    struct curl_slist *headers;
    wren__sign_fn sign;
    void *sign_user;
    s_req *head, *tail; /* queued, FIFO; retries go back in at the tail with a not_before time */
    size_t queued;
    size_t in_flight;
    s_req *flying;      /* in flight (unordered), so destroy can abort them */
    CURL **idle;        /* easy handles kept for reuse */
    size_t n_idle;
    uint64_t rng;
    double rate_per_ns; /* token bucket (0: none) */
    double burst;
    double tokens;
    uint64_t tokens_ns; /* when tokens was last brought up to date */
};

static int s_curl_global_done;

static size_t s_on_body(char *ptr, size_t size, size_t nmemb, void *user)
{
    s_req *r = user;
    size_t n = size * nmemb;
    /* Only the start of an error body matters; drop the rest quietly. */
    if (r->resp.len < S_RESP_MAX)
        wren_buf_append(&r->resp, ptr, r->resp.len + n > S_RESP_MAX ? S_RESP_MAX - r->resp.len : n);
    return n;
}

int wren__invoker_new(const wren__invoker_config *cfg, wren__invoker **out)
{
    *out = NULL;
    if (!cfg || !cfg->base_url || !cfg->function_name ||
        !wren_is_safe_id(cfg->function_name, strlen(cfg->function_name)))
        return WREN_EINVAL;
    if (!s_curl_global_done) {
        /* Not thread-safe by libcurl's rules; the SDK's first executor calls it. */
        curl_global_init(CURL_GLOBAL_DEFAULT);
        s_curl_global_done = 1;
    }
    int rc = WREN_ENOMEM;
    wren__invoker *inv = calloc(1, sizeof *inv);
    if (!inv)
        return WREN_ENOMEM;
    size_t base_len = strlen(cfg->base_url);
    while (base_len && cfg->base_url[base_len - 1] == '/')
        base_len--;
    wren_buf url;
    wren_buf_init(&url, 4096);
    wren_buf_printf(&url, "%.*s/2015-03-31/functions/%s/invocations", (int)base_len, cfg->base_url,
                    cfg->function_name);
    if (url.failed) {
        wren_buf_clean_up(&url);
        goto cleanup;
    }
    inv->url = wren_buf_detach(&url, NULL);
    inv->max_in_flight = cfg->max_in_flight > 0 ? cfg->max_in_flight : 64;
    inv->max_retries = cfg->max_retries > 0 ? cfg->max_retries : 8;
    inv->multi = curl_multi_init();
    if (!inv->multi || !inv->url)
        goto cleanup;
    /* Keep connections for every request in flight; no pipelining. */
    curl_multi_setopt(inv->multi, CURLMOPT_MAXCONNECTS, (long)inv->max_in_flight);
    curl_multi_setopt(inv->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)inv->max_in_flight);
    char type_header[128];
    snprintf(type_header, sizeof type_header, "X-Amz-Invocation-Type: %s",
             cfg->invocation_type ? cfg->invocation_type : "Event");
    const char *hs[] = {"Content-Type: application/json", type_header, "Expect:", "Accept:"};
    for (size_t i = 0; i < sizeof hs / sizeof *hs; i++) {
        struct curl_slist *l = curl_slist_append(inv->headers, hs[i]);
        if (!l)
            goto cleanup;
        inv->headers = l;
    }
    inv->idle = calloc((size_t)inv->max_in_flight, sizeof *inv->idle);
    if (!inv->idle)
        goto cleanup;
    inv->rng = wren_mono_ns() | 1;
    if (cfg->rate_per_s > 0) {
        inv->rate_per_ns = cfg->rate_per_s / 1e9;
        inv->burst = cfg->burst > 0 ? cfg->burst : cfg->rate_per_s;
        if (inv->burst < 1)
            inv->burst = 1;
        inv->tokens = inv->burst;
        inv->tokens_ns = wren_mono_ns();
    }
    *out = inv;
    inv = NULL;
    rc = WREN_OK;
cleanup:
    wren__invoker_destroy(inv);
    return rc;
}

static void s_req_free(s_req *r)
{
    if (!r)
        return;
    free(r->body);
    curl_slist_free_all(r->signed_headers);
    wren_buf_clean_up(&r->resp);
    free(r);
}

void wren__invoker_destroy(wren__invoker *inv)
{
    if (!inv)
        return;
    for (s_req *r = inv->head; r;) {
        s_req *n = r->next;
        s_req_free(r);
        r = n;
    }
    for (size_t i = 0; i < inv->n_idle; i++)
        curl_easy_cleanup(inv->idle[i]);
    free(inv->idle);
    if (inv->multi) {
        for (s_req *r = inv->flying; r;) {
            s_req *n = r->next;
            curl_multi_remove_handle(inv->multi, r->easy);
            curl_easy_cleanup(r->easy);
            s_req_free(r);
            r = n;
        }
        curl_multi_cleanup(inv->multi);
    }
    curl_slist_free_all(inv->headers);
    free(inv->url);
    free(inv);
}

void wren__invoker_set_signer(wren__invoker *inv, wren__sign_fn fn, void *user)
{
    inv->sign = fn;
    inv->sign_user = user;
}

static void s_enqueue(wren__invoker *inv, s_req *r)
{
    r->next = NULL;
    if (inv->tail)
        inv->tail->next = r;
    else
        inv->head = r;
    inv->tail = r;
    inv->queued++;
}

int wren__invoker_submit(wren__invoker *inv, char *body, size_t len, void *req_user)
{
    s_req *r = calloc(1, sizeof *r);
    if (!r) {
        free(body);
        return WREN_ENOMEM;
    }
    r->body = body;
    r->len = len;
    r->req_user = req_user;
    wren_buf_init(&r->resp, S_RESP_MAX + 1);
    s_enqueue(inv, r);
    return WREN_OK;
}

size_t wren__invoker_pending(const wren__invoker *inv)
{
    return inv->queued + inv->in_flight;
}

/* A fresh easy handle with everything that is the same for every request:
 * set once, not per request (the per-request cost is what bounds the
 * submission rate). */
static CURL *s_new_easy(wren__invoker *inv)
{
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    curl_easy_setopt(e, CURLOPT_URL, inv->url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, inv->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    /* The endpoint is named explicitly: no proxy, and no proxy-variable
     * lookups for every request. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    return e;
}

static int s_start(wren__invoker *inv, s_req *r)
{
    CURL *e = inv->n_idle ? inv->idle[--inv->n_idle] : s_new_easy(inv);
    if (!e)
        return WREN_ENOMEM;
    r->easy = e;
    wren_buf_reset(&r->resp);
    if (inv->sign) {
        curl_slist_free_all(r->signed_headers);
        r->signed_headers = NULL;
        for (struct curl_slist *h = inv->headers; h; h = h->next) {
            struct curl_slist *l = curl_slist_append(r->signed_headers, h->data);
            if (!l)
                return WREN_ENOMEM;
            r->signed_headers = l;
        }
        int rc = inv->sign(inv->sign_user, "POST", inv->url, r->body, r->len, &r->signed_headers);
        if (rc != WREN_OK)
            return rc;
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->signed_headers);
    }
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)r);
    if (curl_multi_add_handle(inv->multi, e) != CURLM_OK)
        return WREN_EHTTP;
    inv->in_flight++;
    r->next = inv->flying;
    inv->flying = r;
    return WREN_OK;
}

/* Exponential backoff with full jitter: 10 ms .. 2 s. */
static uint64_t s_backoff_ns(wren__invoker *inv, int tries)
{
    uint64_t cap_ms = 10u << (tries < 8 ? tries : 8);
    if (cap_ms > 2000)
        cap_ms = 2000;
    inv->rng ^= inv->rng << 13;
    inv->rng ^= inv->rng >> 7;
    inv->rng ^= inv->rng << 17;
    return (cap_ms / 2 + inv->rng % (cap_ms / 2 + 1)) * 1000000u;
}

uint64_t wren__retry_after_ms(const char *body, size_t len, const char *retry_after_header)
{
    double s = 0;
    if (body && len && body[0] == '{') {
        json_t *j = json_loadb(body, len, 0, NULL);
        json_t *v = json_object_get(j, "retryAfterSeconds");
        if (json_is_number(v))
            s = json_number_value(v);
        else if (json_is_string(v))
            s = strtod(json_string_value(v), NULL);
        json_decref(j);
    }
    if (retry_after_header) {
        double h = strtod(retry_after_header, NULL); /* an HTTP date is not honoured: Lambda sends seconds */
        if (h > s)
            s = h;
    }
    if (!(s > 0))
        return 0;
    if (s > 300)
        s = 300;
    return (uint64_t)(s * 1000.0 + 0.5);
}

/* Takes a token from the bucket if one is there; else 0 and *wait_ns the
 * time until one will be. */
static int s_take_token(wren__invoker *inv, uint64_t now, uint64_t *wait_ns)
{
    if (inv->rate_per_ns <= 0)
        return 1;
    if (now > inv->tokens_ns) {
        inv->tokens += (double)(now - inv->tokens_ns) * inv->rate_per_ns;
        if (inv->tokens > inv->burst)
            inv->tokens = inv->burst;
        inv->tokens_ns = now;
    }
    if (inv->tokens >= 1) {
        inv->tokens -= 1;
        return 1;
    }
    *wait_ns = (uint64_t)((1 - inv->tokens) / inv->rate_per_ns) + 1;
    return 0;
}

static int s_classify(long code)
{
    if (code == 200 || code == 202 || code == 204)
        return WREN_OK;
    if (code == 429)
        return WREN_ETHROTTLED;
    if (code == 404)
        return WREN_ENOTFOUND;
    if (code == 413)
        return WREN_ETOOBIG;
    if (code == 401 || code == 403)
        return WREN_EAUTH;
    return WREN_EHTTP;
}

int wren__invoker_pump(wren__invoker *inv, int timeout_ms, wren__invoke_done_fn done, void *user)
{
    uint64_t now = wren_mono_ns();
    uint64_t next_retry = 0;
    /* Start what may start: walk the queue once, keeping requests in backoff. */
    size_t n = inv->queued;
    for (size_t i = 0; i < n && inv->in_flight < (size_t)inv->max_in_flight; i++) {
        s_req *r = inv->head;
        inv->head = r->next;
        if (!inv->head)
            inv->tail = NULL;
        inv->queued--;
        uint64_t token_wait_ns = 0;
        if (r->not_before_ns > now || !s_take_token(inv, now, &token_wait_ns)) {
            uint64_t due = r->not_before_ns > now ? r->not_before_ns : now + token_wait_ns;
            if (!next_retry || due < next_retry)
                next_retry = due;
            s_enqueue(inv, r);
            if (token_wait_ns) {
                /* The bucket is empty: nothing else may start now. Rotate
                 * the rest of this walk so FIFO order holds. */
                for (size_t k = i + 1; k < n; k++) {
                    s_req *q = inv->head;
                    inv->head = q->next;
                    if (!inv->head)
                        inv->tail = NULL;
                    inv->queued--;
                    s_enqueue(inv, q);
                }
                break;
            }
            continue;
        }
        int rc = s_start(inv, r);
        if (rc != WREN_OK) {
            if (r->easy) {
                if (inv->n_idle < (size_t)inv->max_in_flight)
                    inv->idle[inv->n_idle++] = r->easy;
                else
                    curl_easy_cleanup(r->easy);
            }
            done(user, r->req_user, rc, 0, "could not start the request");
            s_req_free(r);
        }
    }
    int running = 0;
    if (curl_multi_perform(inv->multi, &running) != CURLM_OK)
        return WREN_EHTTP;
    if (inv->in_flight && timeout_ms > 0) {
        int wait_ms = timeout_ms;
        if (next_retry) {
            uint64_t until = (next_retry - now) / 1000000u + 1;
            if (until < (uint64_t)wait_ms)
                wait_ms = (int)until;
        }
        int nfds = 0;
        curl_multi_poll(inv->multi, NULL, 0, wait_ms, &nfds);
        if (curl_multi_perform(inv->multi, &running) != CURLM_OK)
            return WREN_EHTTP;
    }
    CURLMsg *msg;
    int left = 0;
    while ((msg = curl_multi_info_read(inv->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *e = msg->easy_handle;
        CURLcode result = msg->data.result;
        s_req *r = NULL;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
        long code = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        curl_multi_remove_handle(inv->multi, e);
        inv->in_flight--;
        for (s_req **pp = &inv->flying; *pp; pp = &(*pp)->next)
            if (*pp == r) {
                *pp = r->next;
                break;
            }
        if (inv->n_idle < (size_t)inv->max_in_flight)
            inv->idle[inv->n_idle++] = e;
        else
            curl_easy_cleanup(e);
        r->easy = NULL;
        int st = result == CURLE_OK ? s_classify(code) : WREN_EHTTP;
        int retryable = st == WREN_ETHROTTLED || (st == WREN_EHTTP && (result != CURLE_OK || code >= 500));
        if (retryable && r->tries < inv->max_retries) {
            r->tries++;
            uint64_t wait_ns = s_backoff_ns(inv, r->tries);
            const char *ra = NULL;
#if LIBCURL_VERSION_NUM >= 0x075300 /* curl_easy_header: 7.83 */
            struct curl_header *hdr = NULL;
            if (curl_easy_header(e, "Retry-After", 0, CURLH_HEADER, -1, &hdr) == CURLHE_OK)
                ra = hdr->value;
#endif
            uint64_t asked_ns = wren__retry_after_ms(r->resp.data, r->resp.len, ra) * 1000000u;
            if (asked_ns > wait_ns)
                wait_ns = asked_ns;
            r->not_before_ns = wren_mono_ns() + wait_ns;
            s_enqueue(inv, r);
            continue;
        }
        char detail[320];
        if (result != CURLE_OK)
            snprintf(detail, sizeof detail, "invoke %s: %s", inv->url, curl_easy_strerror(result));
        else
            snprintf(detail, sizeof detail, "invoke answered HTTP %ld: %.240s", code,
                     r->resp.data ? r->resp.data : "");
        done(user, r->req_user, st, code, st == WREN_OK ? "" : detail);
        s_req_free(r);
    }
    if (!inv->in_flight && inv->queued && timeout_ms > 0 && next_retry) {
        /* Only backoffs are left: sleep until the first is due (or the timeout). */
        uint64_t until_ms = (next_retry - now) / 1000000u + 1;
        struct timespec ts = {0, 0};
        uint64_t ms = until_ms < (uint64_t)timeout_ms ? until_ms : (uint64_t)timeout_ms;
        ts.tv_sec = (time_t)(ms / 1000);
        ts.tv_nsec = (long)(ms % 1000) * 1000000L;
        nanosleep(&ts, NULL);
    }
    return WREN_OK;
}
