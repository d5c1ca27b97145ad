/*
 * store/sigv4.h: AWS Signature Version 4 (header form), over OpenSSL.
 * Internal (not installed). Used by the S3 store and the Lambda invoker.
 *
 * Built from named stages, each testable on its own against the AWS test
 * suite, with the time passed in (nothing here reads a clock):
 *
 *   canonical request -> string to sign -> (signing key) -> Authorization
 *
 * Two rule sets:
 *   - generic (Lambda, IAM, ...): the URL path is normalised (dot segments
 *     and repeated slashes removed) and percent-encoded again, so a path
 *     sent as "/fn%3Aalias" is signed as "/fn%253Aalias";
 *   - S3: the path is signed exactly as sent (already encoded once, never
 *     normalised: "a//b" is a real key), and X-Amz-Content-SHA256 is added.
 *
 * Secrets: the functions read the secret key and leave no copy behind but
 * in a caller's key cache, which wren_sigv4_key_cache_clean_up wipes.
 */
#ifndef WREN_SIGV4_H
#define WREN_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "wren_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WREN_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

typedef struct wren_sigv4_header {
    const char *name;  /* any case; lower-cased for signing */
    const char *value; /* trimmed, inner runs of whitespace folded to one space */
} wren_sigv4_header;

typedef struct wren_sigv4_param {
    const char *key;   /* decoded: the signer encodes (RFC 3986 unreserved kept) */
    const char *value; /* decoded; NULL or "" for "key" / "key=" */
} wren_sigv4_param;

/* The request as it will be sent. Nothing is copied; the signer only reads. */
typedef struct wren_sigv4_request {
    const char *method;                  /* "GET" */
    const char *path;                    /* URL path as sent, e.g. "/bucket/a%20b"; NULL or "" is "/" */
    const wren_sigv4_param *query;       /* in any order; sorted for signing */
    size_t query_count;
    const wren_sigv4_header *headers;    /* must include Host */
    size_t header_count;
    const void *body;                    /* hashed unless payload_hash is set */
    size_t body_len;
    const char *payload_hash;            /* NULL: SHA-256 of body; or UNSIGNED-PAYLOAD; or 64 hex */
} wren_sigv4_request;

/* A cache of the derived signing key (one per day, region, service and
 * secret). Optional: saves four HMACs per request. Caller storage, zero it
 * to init; not thread-safe. Holds a copy of the secret, wiped on clean-up. */
typedef struct wren_sigv4_key_cache {
    char date[9];
    char region[64];
    char service[64];
    char *secret;
    unsigned char key[32];
} wren_sigv4_key_cache;
void wren_sigv4_key_cache_clean_up(wren_sigv4_key_cache *cache); /* NULL-safe */

typedef struct wren_sigv4_config {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL or "": none; else X-Amz-Security-Token is signed */
    const char *region;        /* "us-east-1" */
    const char *service;       /* "s3", "lambda" */
    int64_t time_s;            /* signing time, seconds since the epoch (UTC) */
    int s3_rules;              /* 1: S3's path and payload rules */
    wren_sigv4_key_cache *key_cache; /* optional */
    /* moto_server compatibility only: moto signs the query as it decoded it,
     * so a '/' in a query value must be signed (and sent) unencoded there.
     * Real S3 and botocore want %2F: leave 0 for them. */
    int query_raw_slash;
} wren_sigv4_config;

/* Headers the caller must send, besides its own: exactly these values. */
typedef struct wren_sigv4_result {
    char amz_date[17];       /* X-Amz-Date: "20150830T123600Z" */
    char payload_hash[65];   /* X-Amz-Content-SHA256 (send it when s3_rules) */
    char signature[65];      /* hex */
    wren_buf authorization;  /* Authorization header value; wren_buf_clean_up() it */
    /* X-Amz-Security-Token: the config's session_token, when set. */
} wren_sigv4_result;

/* ---- stages ------------------------------------------------------------ */

/* "YYYYMMDDTHHMMSSZ" for an epoch time. WREN_EINVAL if out of range. */
int wren_sigv4_amz_date(int64_t time_s, char out[17]);

/* Percent-encodes bytes for SigV4 (A-Za-z0-9-_.~ kept, and '/' when
 * keep_slash), appending uppercase %XX to out. Use it to build the URL sent,
 * so what is sent and what is signed agree. */
int wren_sigv4_uri_encode(const char *s, size_t len, int keep_slash, wren_buf *out);

/* The canonical request, appended to `creq`; the signed header list
 * ("host;x-amz-date") appended to `signed_headers`. Signs, in place of any
 * the request carries (as botocore does): x-amz-date from cfg->time_s;
 * x-amz-security-token when cfg->session_token is set; under S3 rules
 * x-amz-content-sha256. Never signs hop-by-hop headers, User-Agent,
 * X-Amzn-Trace-Id or Authorization. Under the generic rules an
 * X-Amz-Content-SHA256 header given by the caller is the payload hash; it
 * must then be [A-Za-z0-9-]{1,64} once trimmed (WREN_EINVAL otherwise).
 * payload_hash_out (65 bytes, may be NULL) receives the payload hash used.
 *
 * All functions here are pure and thread-safe, but for a key cache, which
 * one thread at a time may use. */
int wren_sigv4_canonical_request(const wren_sigv4_request *req, const wren_sigv4_config *cfg, wren_buf *creq,
                                 wren_buf *signed_headers, char payload_hash_out[65]);

/* "AWS4-HMAC-SHA256\n<amz_date>\n<date>/<region>/<service>/aws4_request\n<hex sha256(creq)>" appended to out. */
int wren_sigv4_string_to_sign(const char *amz_date, const char *region, const char *service, const char *creq,
                              size_t creq_len, wren_buf *out);

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date8), region), service), "aws4_request"). */
int wren_sigv4_signing_key(const char *secret, const char *date8, const char *region, const char *service,
                           unsigned char key[32]);

/* "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, SignedHeaders=..., Signature=hex"
 * appended to out; the hex signature also into signature_out (65 bytes) if not NULL. */
int wren_sigv4_authorization(const char *access_key_id, const char *amz_date, const char *region,
                             const char *service, const char *signed_headers, const unsigned char key[32],
                             const char *sts, size_t sts_len, wren_buf *out, char *signature_out);

/* ---- all at once --------------------------------------------------------- */

/* Signs the request. `out` is caller storage; on WREN_OK its authorization
 * buffer holds the header value (free with wren_buf_clean_up). WREN_EINVAL
 * for missing fields (no Host header, no credentials). */
int wren_sigv4_sign(const wren_sigv4_request *req, const wren_sigv4_config *cfg, wren_sigv4_result *out);

#ifdef __cplusplus
}
#endif
#endif
