/*
 * sdk/deploy.h: `wren deploy`, the resources of layers/template.yaml made
 * with wren's own SigV4-signed API calls (internal).
 *
 * Each step first reads what is there and changes only what differs, so a
 * second run reports "unchanged" everywhere:
 *   IAM     GetRole / CreateRole (assumed by lambda.amazonaws.com only);
 *           GetRolePolicy / PutRolePolicy (the bucket and the function's log streams only)
 *   S3      HeadBucket / CreateBucket; GetPublicAccessBlock / PutPublicAccessBlock
 *           (all four on); GetBucketEncryption / PutBucketEncryption (SSE-S3,
 *           a KMS default is kept); GetBucketLifecycleConfiguration /
 *           PutBucketLifecycleConfiguration (expire PREFIX/ after N days)
 *   Logs    DescribeLogGroups / CreateLogGroup + PutRetentionPolicy
 *           (/aws/lambda/FUNCTION, before the function so Lambda never makes
 *           it without a retention)
 *   Lambda  ListLayerVersions + GetLayerVersion / PublishLayerVersion (by CodeSha256);
 *           GetFunction / CreateFunction or UpdateFunctionCode +
 *           UpdateFunctionConfiguration (waiting while an update is in progress);
 *           GetFunctionEventInvokeConfig / PutFunctionEventInvokeConfig
 *           (MaximumRetryAttempts 0: the SDK retries calls itself)
 * Endpoints and credentials: store/aws_config.h (AWS_ENDPOINT_URL_IAM/_S3/_LAMBDA).
 */
#ifndef WREN_SDK_DEPLOY_H
#define WREN_SDK_DEPLOY_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WREN__DEPLOY_IAM 1u    /* role and its policy */
#define WREN__DEPLOY_S3 2u     /* bucket and lifecycle */
#define WREN__DEPLOY_LAMBDA 4u /* layer, function, async config (reads the role: implies IAM) */
#define WREN__DEPLOY_LOGS 8u   /* the function's log group and its retention */

typedef struct wren__deploy_opts {
    const char *function;     /* "wren" */
    const char *bucket;       /* required */
    const char *prefix;       /* "jobs" */
    const char *role;         /* NULL: "FUNCTION-role" */
    const char *layer_name;   /* NULL: "FUNCTION" */
    const char *layer_zip;    /* path, required */
    const char *function_zip; /* path; NULL: an empty package (the layer's bootstrap serves) */
    const char *handler;      /* "wren" */
    const char *arch;         /* "x86_64" or "arm64" */
    int memory_mb;            /* 1769 */
    int timeout_s;            /* 300 */
    int expire_days;          /* 7 */
    int max_event_age_s;      /* 21600 */
    int log_retention_days;   /* 14; one of CloudWatch's values (1, 3, 5, 7, 14, 30, ...) */
    unsigned steps;           /* WREN__DEPLOY_*; 0: all */
} wren__deploy_opts;

/* Runs the steps (IAM, S3, Logs, Lambda, in that order), printing one line
 * per resource to `out` ("role wren-role: created", "... unchanged",
 * "... updated"). WREN_OK, or the failing call's
 * status with a message in err (the API call, HTTP code, AWS error code and
 * message; never a secret). */
int wren__deploy(const wren__deploy_opts *o, FILE *out, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
