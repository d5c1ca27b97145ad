/*
 * wren/runtime.h: a client of the AWS Lambda Runtime API (2018-06-01), in C
 * over libcurl, shaped like the official C++ runtime (aws-lambda-cpp).
 *
 * Simplest use: a handler and wren_runtime_run(), which loops forever on
 * `next`, calls the handler, and posts the outcome:
 *
 *     static wren_outcome handler(const wren_invocation *inv, void *user)
 *     {
 *         return wren_outcome_success(inv->payload, inv->payload_len, "application/json");
 *     }
 *     int main(void) { return wren_runtime_run(handler, NULL); }
 *
 * Or drive the verbs yourself with wren_runtime_new/next/respond/fail.
 * This module knows nothing of kernels or stores.
 */
#ifndef WREN_RUNTIME_H
#define WREN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "wren/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One invocation, as `next` delivered it. Every string is NUL-terminated and
 * owned by the runtime: valid until the next call to wren_runtime_next() (or
 * wren_runtime_destroy()). Absent headers are empty strings, never NULL. */
typedef struct wren_invocation {
    const char *payload;          /* the event body, usually JSON */
    size_t payload_len;
    const char *request_id;       /* Lambda-Runtime-Aws-Request-Id */
    int64_t deadline_ms;          /* Lambda-Runtime-Deadline-Ms, epoch ms */
    const char *function_arn;     /* Lambda-Runtime-Invoked-Function-Arn */
    const char *xray_trace_id;    /* Lambda-Runtime-Trace-Id */
    const char *client_context;   /* Lambda-Runtime-Client-Context (JSON) */
    const char *cognito_identity; /* Lambda-Runtime-Cognito-Identity (JSON) */
} wren_invocation;

/* Milliseconds left before the deadline, by the wall clock; negative past it. */
int64_t wren_invocation_remaining_ms(const wren_invocation *inv);

/* What a handler returns. Build one with the two constructors below. */
typedef struct wren_outcome {
    int success;
    char *payload;       /* owned (malloc): the response body, or NULL */
    size_t payload_len;
    char *content_type;  /* owned: e.g. "application/json" */
    char *error_type;    /* owned: failures only, e.g. "Wren.UnknownKernel" */
    char *error_message; /* owned: failures only */
} wren_outcome;

/* Copies payload and content type. On out of memory the outcome becomes a
 * failure of type "Runtime.OutOfMemory". */
wren_outcome wren_outcome_success(const void *payload, size_t len, const char *content_type);
/* Copies type and message. */
wren_outcome wren_outcome_failure(const char *error_type, const char *message);
/* Frees what an outcome owns; NULL-safe. */
void wren_outcome_clean_up(wren_outcome *outcome);

typedef wren_outcome (*wren_handler_fn)(const wren_invocation *inv, void *user);

typedef struct wren_runtime wren_runtime;

/* Connects lazily to `endpoint` ("host:port", as in AWS_LAMBDA_RUNTIME_API;
 * NULL reads that variable). Makes its own copy. WREN_EINVAL if none is set. */
int wren_runtime_new(const char *endpoint, wren_runtime **out);
/* NULL-safe. */
void wren_runtime_destroy(wren_runtime *rt);

/* GET /runtime/invocation/next: waits with no timeout for the next event
 * (connect timeout is short). Sets _X_AMZN_TRACE_ID for this invocation, or
 * unsets it when the header is absent. WREN_EHTTP on transport failure or a
 * non-200 answer, WREN_EPROTO on a malformed answer (no or unsafe request id,
 * missing or bad deadline), WREN_ETOOBIG when the event is larger than the cap
 * (wren_runtime_set_max_event_bytes; the rest of the body is read and dropped
 * so the connection survives). On EPROTO and ETOOBIG, inv->request_id is set
 * whenever the answer carried a usable one (else it is ""), so the caller can
 * report an error for that invocation; the payload is then empty. On every
 * failure the other fields are empty strings and 0. */
int wren_runtime_next(wren_runtime *rt, wren_invocation *inv);

/* POST /runtime/invocation/{id}/response. WREN_ETOOBIG on 413 (the caller
 * should report an error for the invocation and carry on); WREN_ESTATE on a
 * 4xx other than 413 (e.g. the invocation was already answered);
 * WREN_EHTTP on 500 or a dead connection: the runtime must exit. */
int wren_runtime_respond(wren_runtime *rt, const char *request_id, const void *body, size_t len,
                         const char *content_type);

/* POST /runtime/invocation/{id}/error with Lambda-Runtime-Function-Error-Type
 * and the body {"errorMessage", "errorType", "stackTrace": []}, every byte
 * escaped correctly for JSON (valid UTF-8 kept, invalid bytes replaced by
 * U+FFFD). Same statuses as wren_runtime_respond. */
int wren_runtime_fail(wren_runtime *rt, const char *request_id, const char *error_type, const char *message);

/* POST /runtime/init/error: start-up failed; the caller should exit after. */
int wren_runtime_init_error(wren_runtime *rt, const char *error_type, const char *message);

/* Detail of the last failure ("HTTP 413 from .../response: ..."); never NULL. */
const char *wren_runtime_errmsg(const wren_runtime *rt);
/* HTTP status of the last request, 0 if none reached the server. */
long wren_runtime_http_status(const wren_runtime *rt);

/* The loop of a custom runtime: next -> handler -> respond/fail, forever.
 * Returns (non-zero) only when the Runtime API says to stop (500) or is gone.
 * Equivalent to wren_runtime_new(NULL) + wren_runtime_loop() + destroy. */
int wren_runtime_run(wren_handler_fn handler, void *user);

/* ---- extensions (beyond aws-lambda-cpp's shape) ------------------------- */

/* Default cap on an event body: Lambda's own limit is 6 MB for a synchronous
 * invoke (1 MB async, as the emulator enforces); 8 MiB leaves room and still
 * bounds memory. */
#define WREN_RUNTIME_DEFAULT_MAX_EVENT_BYTES ((size_t)8 << 20)
/* Default connect timeout: the Runtime API is on the same host. */
#define WREN_RUNTIME_DEFAULT_CONNECT_TIMEOUT_MS 1000L

/* The loop of wren_runtime_run() on a runtime the caller made (and still
 * owns), e.g. after its own start-up succeeded. Policy, per invocation:
 *  - handler success -> respond; on WREN_ETOOBIG (413) post an error of type
 *    "Wren.OutputTooLarge" for that invocation and carry on;
 *  - handler failure -> fail with its type and message (a failure whose
 *    error_type is NULL is reported as "Runtime.OutOfMemory");
 *  - next gives ETOOBIG or EPROTO with a request id -> post an error of type
 *    "Wren.EventTooLarge" or "Wren.MalformedEvent" for it and carry on;
 *  - WREN_ESTATE (already answered, say) is logged and the loop carries on;
 *  - WREN_EHTTP (500, transport failure, non-200 on next) or EPROTO without a
 *    request id: returns that status (non-zero); the process should exit.
 * Never returns WREN_OK. */
int wren_runtime_loop(wren_runtime *rt, wren_handler_fn handler, void *user);

/* Cap on the event body `next` accepts (0 restores the default). Takes effect
 * at the next call to wren_runtime_next(). */
void wren_runtime_set_max_event_bytes(wren_runtime *rt, size_t max_bytes);

/* Connect timeout for every request (0 restores the default). Only the TCP
 * connect is bounded: `next` is a long poll and waits as long as it takes. */
void wren_runtime_set_connect_timeout_ms(wren_runtime *rt, long timeout_ms);

/* The endpoint in use ("host:port"); owned by rt. */
const char *wren_runtime_endpoint(const wren_runtime *rt);

#ifdef __cplusplus
}
#endif
#endif
