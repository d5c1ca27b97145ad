/*
 * sdk/invoke.h: the Lambda Invoke API client (internal).
 *
 * POST {base}/2015-03-31/functions/{name}/invocations with
 * X-Amz-Invocation-Type: Event, many requests in flight at once over reused
 * connections (libcurl multi). The same code serves the local emulator and
 * AWS Lambda: only the base URL differs, and AWS adds a signer (issue 4)
 * through wren__invoker_set_signer(). Throttling (429) and server errors
 * (5xx, dropped connections) are retried with exponential backoff and jitter,
 * waiting at least what the answer asks for: Lambda's TooManyRequestsException
 * body carries "retryAfterSeconds", and a Retry-After header is honoured too.
 *
 * Nothing runs in the background: wren__invoker_pump() drives transfers.
 */
#ifndef WREN_SDK_INVOKE_H
#define WREN_SDK_INVOKE_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wren__invoker wren__invoker;

/* Adds authentication to one request before it is sent: may append headers
 * (e.g. Authorization, X-Amz-Date, X-Amz-Security-Token) to *headers. `url`
 * is the full URL, `body` the exact bytes sent. Returns WREN_OK or a status
 * that fails the request (no retry). */
typedef int (*wren__sign_fn)(void *user, const char *method, const char *url, const char *body, size_t len,
                             struct curl_slist **headers);

/* Called once per submitted request when it is finished for good: status is
 * WREN_OK for 202 (or 200), else WREN_ETHROTTLED / WREN_EHTTP / WREN_ENOTFOUND /
 * WREN_ETOOBIG / WREN_EAUTH, with `detail` a short message (HTTP code and
 * the AWS error body). */
typedef void (*wren__invoke_done_fn)(void *user, void *req_user, int status, long http_code, const char *detail);

typedef struct wren__invoker_config {
    const char *base_url;      /* "http://127.0.0.1:PORT"; copied */
    const char *function_name; /* safe id; copied */
    int max_in_flight;         /* 0: 64 */
    int max_retries;           /* for 429/5xx/transport; 0: 8 */
    const char *invocation_type; /* NULL: "Event" */
    /* Token bucket for the account's request rate: at most rate_per_s
     * requests started per second on average, bursts of up to burst
     * (0: rate_per_s, at least 1). 0: no limit. */
    double rate_per_s;
    double burst;
} wren__invoker_config;

int wren__invoker_new(const wren__invoker_config *cfg, wren__invoker **out);
void wren__invoker_destroy(wren__invoker *inv); /* aborts what is in flight; NULL-safe */
void wren__invoker_set_signer(wren__invoker *inv, wren__sign_fn fn, void *user);

/* Queues one request; takes ownership of `body` (malloc'ed) in every case. */
int wren__invoker_submit(wren__invoker *inv, char *body, size_t len, void *req_user);

/* Drives transfers for up to timeout_ms (0: only what is ready now), calling
 * done() for each request finished. Returns WREN_OK or WREN_ENOMEM/WREN_EHTTP
 * for a failure of the multi handle itself. */
int wren__invoker_pump(wren__invoker *inv, int timeout_ms, wren__invoke_done_fn done, void *user);

/* The wait a throttled answer asks for, in ms: the larger of the JSON body's
 * "retryAfterSeconds" (a string or a number, as Lambda sends it) and a
 * Retry-After header value in seconds (either may be NULL); 0 if neither
 * says; capped at 300 s. */
uint64_t wren__retry_after_ms(const char *body, size_t len, const char *retry_after_header);

/* Requests queued or in flight (or waiting for a retry). */
size_t wren__invoker_pending(const wren__invoker *inv);

#ifdef __cplusplus
}
#endif
#endif
