/*
 * sdk/aws_backend.h: the AWS backend of the executor (internal).
 *
 * Only two things differ from the local backend: the store is S3 (opened
 * from an s3:// URL like any store) and the Invoke API is AWS Lambda's,
 * signed with SigV4. So this file only resolves the configuration and signs;
 * futures, waits, retries and deadlines are the executor's, shared.
 *
 * Configuration, first found wins:
 *   function: cfg->function_name, $WREN_FUNCTION, "wren"
 *   store:    cfg->store_url, $WREN_STORE (must be s3://bucket/prefix)
 *   endpoint: cfg->invoke_url, AWS_ENDPOINT_URL_LAMBDA / AWS_ENDPOINT_URL /
 *             the profile's endpoint_url, https://lambda.REGION.amazonaws.com
 *   region, credentials: store/aws_config.h (environment, ~/.aws files)
 *   rate:     $WREN_INVOKE_RATE requests/s (token bucket; default none)
 */
#ifndef WREN_SDK_AWS_BACKEND_H
#define WREN_SDK_AWS_BACKEND_H

#include <stddef.h>

#include <curl/curl.h>

#include "invoke.h"
#include "wren/wren.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wren__aws wren__aws;

/* True when the environment asks for the AWS backend ($WREN_BACKEND=aws)
 * and the config leaves the backend at its default. */
int wren__aws_wanted(const wren_config *cfg);

/* Resolves everything above. *resolved is cfg with store_url, invoke_url and
 * function_name filled in (strings owned by *out, valid until destroy).
 * WREN_EINVAL / WREN_EAUTH with a message in err (never a secret). */
int wren__aws_new(const wren_config *cfg, wren_config *resolved, wren__aws **out, char *err, size_t err_size);
void wren__aws_destroy(wren__aws *aws); /* wipes the secrets; NULL-safe */

/* Token bucket settings for the invoker ($WREN_INVOKE_RATE, 0: none). */
double wren__aws_rate_per_s(const wren__aws *aws);

/* The invoker's signer (wren__sign_fn) for Lambda: SigV4, service "lambda",
 * the config's region, X-Amz-Security-Token when a session token is set. */
int wren__aws_sign(void *aws, const char *method, const char *url, const char *body, size_t len,
                   struct curl_slist **headers);

/* Signs with explicit credentials (for tests and `wren deploy`): appends
 * X-Amz-Date, X-Amz-Security-Token (when token set) and Authorization to
 * *headers. `headers` must already hold every header to sign (Content-Type,
 * X-Amz-*); Host is taken from the URL. */
int wren__sigv4_curl_sign(const char *access_key_id, const char *secret, const char *token, const char *region,
                          const char *service, int64_t time_s, const char *method, const char *url,
                          const char *body, size_t len, struct curl_slist **headers);

#ifdef __cplusplus
}
#endif
#endif
