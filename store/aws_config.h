/*
 * store/aws_config.h: AWS credentials, region and endpoints, resolved the
 * way the AWS CLI and SDKs resolve them. Internal (not installed). Used by
 * the S3 store and the Lambda invoker.
 *
 * Order (first found wins, per item):
 *   credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 *                then the profile's aws_access_key_id / aws_secret_access_key /
 *                aws_session_token in the shared credentials file
 *                (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials),
 *                then in the config file (AWS_CONFIG_FILE, default ~/.aws/config).
 *   profile:     AWS_PROFILE, else "default". Sections are [NAME] in the
 *                credentials file, [profile NAME] (or [default]) in the config file.
 *   region:      AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`.
 *   endpoints:   AWS_ENDPOINT_URL_<SERVICE> (S3, LAMBDA, ...), AWS_ENDPOINT_URL,
 *                the profile's `endpoint_url`; none when
 *                AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true.
 *
 * Secrets never appear in errmsg or logs; they are wiped before they are
 * freed (also the file buffers they were read from).
 */
#ifndef WREN_AWS_CONFIG_H
#define WREN_AWS_CONFIG_H

#include "wren_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wren_aws_config {
    char *access_key_id;     /* NULL when no credentials were found */
    char *secret_access_key; /* NULL when no credentials were found */
    char *session_token;     /* NULL when none */
    char *region;            /* NULL when none was configured */
    char *profile;           /* the profile used ("default" unless AWS_PROFILE) */
    char *endpoint_url;      /* generic endpoint, NULL when none */
    char *endpoint_url_s3;
    char *endpoint_url_lambda;
    char credentials_source[64]; /* "environment", "credentials file", "config file", "" */
    char errmsg[256];            /* internal: the message handed to load's `err` */
} wren_aws_config;

/* Resolves everything from the environment and the two files, into a new
 * object. Missing files are fine; a malformed line is skipped. WREN_OK even
 * without credentials (access_key_id NULL); WREN_ENOMEM; WREN_EINVAL when an
 * access key is set without its secret (or the reverse), with a message in
 * err (err_cap bytes, may be NULL) saying where, never what. */
int wren_aws_config_load(wren_aws_config **out, char *err, size_t err_cap);

/* Wipes the secrets and frees. NULL-safe. */
void wren_aws_config_destroy(wren_aws_config *cfg);

/* The endpoint URL for a service id ("s3", "lambda", "iam"): the
 * service-specific setting, else the generic one, else NULL (use AWS's). */
const char *wren_aws_config_endpoint(const wren_aws_config *cfg, const char *service);

/* The CA bundle to give libcurl (CURLOPT_CAINFO) for any AWS endpoint:
 * WREN_CA_BUNDLE, else the first readable of Amazon Linux's
 * (/etc/pki/tls/certs/ca-bundle.crt), Debian's
 * (/etc/ssl/certs/ca-certificates.crt) and other usual paths; NULL if none
 * (then libcurl's built-in default). Debian's libcurl looks only in Debian's
 * place and ignores SSL_CERT_FILE, so set it explicitly. */
const char *wren_aws_ca_bundle(void);

/* True if the config holds a usable key pair. */
int wren_aws_config_has_credentials(const wren_aws_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
