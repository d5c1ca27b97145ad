/* wren deploy: the IAM role, job bucket, layer and function on AWS Lambda,
 * made with wren's own signed API calls (sdk/deploy.c). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "deploy.h"
#include "wren/status.h"

static const char s_help[] =
    "usage: wren deploy --bucket NAME [OPTIONS]\n"
    "\n"
    "Makes (or brings up to date) what a map on AWS Lambda needs, with the same\n"
    "resources as layers/template.yaml:\n"
    "  iam     the role FUNCTION-role, assumed by Lambda only, with an inline policy\n"
    "          wren-job-bucket: the bucket and the function's own log streams only\n"
    "  s3      the bucket (in the region), its public access block (all four on),\n"
    "          default encryption SSE-S3 (a KMS default is kept), and a lifecycle\n"
    "          rule expiring PREFIX/ after --expire-days (stale uploads after 1 day)\n"
    "  logs    the log group /aws/lambda/FUNCTION, kept --log-retention-days\n"
    "  lambda  the layer (bootstrap, kernels, libraries), the function\n"
    "          (provided.al2023) and its async config (0 retries: the SDK retries\n"
    "          calls itself)\n"
    "Each resource is read first and changed only if it differs, so a second run\n"
    "reports \"unchanged\". Credentials, region and endpoints as the AWS CLI has them\n"
    "(AWS_* variables, ~/.aws files; AWS_ENDPOINT_URL_IAM, _S3, _CLOUDWATCH_LOGS,\n"
    "_LAMBDA or AWS_ENDPOINT_URL for other endpoints).\n"
    "\n"
    "  --bucket NAME        the job bucket (required); created if missing\n"
    "  --prefix P           where jobs go in the bucket (default jobs)\n"
    "  --function NAME      function name (default wren)\n"
    "  --role NAME          IAM role name (default FUNCTION-role)\n"
    "  --layer-name NAME    layer name (default FUNCTION)\n"
    "  --layer-zip PATH     the layer (default: layer/wren-layer.zip of this build,\n"
    "                       made by `cmake --build build --target layer`)\n"
    "  --function-zip PATH  function package, e.g. user kernels as libNAME.so (default: empty)\n"
    "  --handler H          _HANDLER (default wren; libNAME.so for a package)\n"
    "  --arch A             x86_64 or arm64 (default x86_64; the layer must match)\n"
    "  --memory MB          128-10240 (default 1769: one vCPU)\n"
    "  --timeout S          1-900 (default 300)\n"
    "  --expire-days N      days before job data is deleted (1-36500, default 7)\n"
    "  --log-retention-days N\n"
    "                       days CloudWatch keeps the function's logs (default 14;\n"
    "                       one of 1 3 5 7 14 30 60 90 120 150 180 365 400 545 731\n"
    "                       1096 1827 2192 2557 2922 3288 3653)\n"
    "  --steps LIST         some of iam,s3,logs,lambda, comma-separated (default all;\n"
    "                       lambda reads the role, so it runs the iam step too)\n"
    "  --help               this text\n"
    "\n"
    "then: WREN_BACKEND=aws WREN_STORE=s3://BUCKET/PREFIX wren map KERNEL --args FILE\n";

static int s_int(const char *s, long lo, long hi, int *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!s[0] || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* The retentions CloudWatch Logs accepts (PutRetentionPolicy). */
static int s_is_retention(int days)
{
    static const int ok[] = {1,   3,   5,   7,   14,  30,   60,   90,   120,  150,  180,
                             365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (ok[i] == days)
            return 1;
    return 0;
}

int wren_cmd_deploy(int argc, char **argv)
{
    wren__deploy_opts o = {.function = "wren",
                           .prefix = "jobs",
                           .handler = "wren",
                           .arch = "x86_64",
                           .memory_mb = 1769,
                           .timeout_s = 300,
                           .expire_days = 7,
                           .max_event_age_s = 21600,
                           .log_retention_days = 14};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(s_help, stdout);
            return 0;
        }
        if (strncmp(a, "--", 2) || i + 1 >= argc) {
            fprintf(stderr, "wren deploy: %s %s\n", a, strncmp(a, "--", 2) ? "is not an option" : "needs a value");
            fprintf(stderr, "see: wren deploy --help\n");
            return 2;
        }
        const char *v = argv[++i];
        int bad = 0;
        if (!strcmp(a, "--bucket"))
            o.bucket = v;
        else if (!strcmp(a, "--prefix"))
            o.prefix = v;
        else if (!strcmp(a, "--function"))
            o.function = v;
        else if (!strcmp(a, "--role"))
            o.role = v;
        else if (!strcmp(a, "--layer-name"))
            o.layer_name = v;
        else if (!strcmp(a, "--layer-zip"))
            o.layer_zip = v;
        else if (!strcmp(a, "--function-zip"))
            o.function_zip = v;
        else if (!strcmp(a, "--handler"))
            o.handler = v;
        else if (!strcmp(a, "--arch"))
            bad = strcmp(v, "x86_64") && strcmp(v, "arm64"), o.arch = v;
        else if (!strcmp(a, "--memory"))
            bad = s_int(v, 128, 10240, &o.memory_mb);
        else if (!strcmp(a, "--timeout"))
            bad = s_int(v, 1, 900, &o.timeout_s);
        else if (!strcmp(a, "--expire-days"))
            bad = s_int(v, 1, 36500, &o.expire_days);
        else if (!strcmp(a, "--log-retention-days"))
            bad = s_int(v, 1, 3653, &o.log_retention_days) || !s_is_retention(o.log_retention_days);
        else if (!strcmp(a, "--steps")) {
            o.steps = 0;
            char list[128];
            snprintf(list, sizeof list, "%s", v);
            char *save = NULL;
            for (char *t = strtok_r(list, ",", &save); t && !bad; t = strtok_r(NULL, ",", &save))
                if (!strcmp(t, "iam"))
                    o.steps |= WREN__DEPLOY_IAM;
                else if (!strcmp(t, "s3"))
                    o.steps |= WREN__DEPLOY_S3;
                else if (!strcmp(t, "logs"))
                    o.steps |= WREN__DEPLOY_LOGS;
                else if (!strcmp(t, "lambda"))
                    o.steps |= WREN__DEPLOY_LAMBDA;
                else
                    bad = 1;
            bad |= !o.steps;
        }
        else {
            fprintf(stderr, "wren deploy: unknown option %s\nsee: wren deploy --help\n", a);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "wren deploy: bad value '%s' for %s\n", v, a);
            return 2;
        }
    }
    if (!o.bucket) {
        fprintf(stderr, "wren deploy: --bucket is required\nsee: wren deploy --help\n");
        return 2;
    }
    /* Names go into URLs and ARNs: keep them to what AWS allows. */
    const char *names[] = {o.function, o.bucket, o.prefix, o.role, o.layer_name, o.handler};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        const char *n = names[k];
        if (n && (!n[0] || strlen(n) > 63 || strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(n))) {
            fprintf(stderr, "wren deploy: bad name '%s' (want 1-63 of [A-Za-z0-9._-])\n", n);
            return 2;
        }
    }
    char layer[PATH_MAX];
    if (!o.layer_zip) {
        /* The build's layer: bin/wren -> ../layer/wren-layer.zip */
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
            self[n] = '\0';
            char *slash = strrchr(self, '/');
            if (slash)
                *slash = '\0';
            snprintf(layer, sizeof layer, "%.*s/../layer/wren-layer.zip", (int)(sizeof layer - 32), self);
            o.layer_zip = layer;
        } else {
            o.layer_zip = "build/layer/wren-layer.zip";
        }
    }
    char err[1024];
    int rc = wren__deploy(&o, stdout, err, sizeof err);
    if (rc != WREN_OK) {
        fprintf(stderr, "wren deploy: %s\n", err[0] ? err : wren_strerror(rc));
        return 1;
    }
    return 0;
}
