/* bench_sigv4: SigV4 signatures per second for the requests wren makes
 * (S3 GET/PUT, Lambda Invoke with a session token), with and without the
 * signing-key cache. Prints the median of 5 runs of each, side by side.
 * Usage: bench_sigv4 [signatures_per_run] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"

typedef struct s_case {
    const char *name;
    wren_sigv4_request req;
    int s3;
    int token;
    int cache;
} s_case;

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void s_usage(FILE *f)
{
    fprintf(f, "usage: bench_sigv4 [SIGNATURES_PER_RUN=100000]\n"
               "  SigV4 signatures per second (S3 GET/PUT, Lambda Invoke), with and without the key cache\n");
}

int main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        s_usage(stdout);
        return 0;
    }
    char *end = NULL;
    long n_arg = argc > 1 ? strtol(argv[1], &end, 10) : 100000;
    if (argc > 2 || (argc > 1 && (!argv[1][0] || *end)) || n_arg < 1 || n_arg > 100000000) {
        s_usage(stderr);
        return 2;
    }
    int n = (int)n_arg;
    static char body_1k[1024], body_event[256];
    memset(body_1k, 'x', sizeof body_1k);
    snprintf(body_event, sizeof body_event,
             "{\"wren\":1,\"kernel\":\"gemm\",\"input\":\"j-5f2c/00000042/in\",\"store\":\"s3://bucket/prefix\","
             "\"job\":\"j-5f2c\",\"call\":\"00000042\",\"attempt\":0,\"t_submit\":1763781234.123456}");
    wren_sigv4_header s3h[] = {{"Host", "bucket.s3.eu-west-1.amazonaws.com"}};
    wren_sigv4_header lh[] = {{"Host", "lambda.eu-west-1.amazonaws.com"},
                              {"Content-Type", "application/json"},
                              {"X-Amz-Invocation-Type", "Event"}};
    wren_sigv4_param lq[] = {{"list-type", "2"}, {"prefix", "prefix/j-5f2c/"}, {"continuation-token", "abc=="}};
    s_case cases[] = {
        {"s3 GET object, unsigned payload", {.method = "GET", .path = "/prefix/j-5f2c/00000042/out", .headers = s3h,
                                             .header_count = 1, .payload_hash = WREN_SIGV4_UNSIGNED_PAYLOAD}, 1, 0, 1},
        {"s3 GET object, no key cache", {.method = "GET", .path = "/prefix/j-5f2c/00000042/out", .headers = s3h,
                                         .header_count = 1, .payload_hash = WREN_SIGV4_UNSIGNED_PAYLOAD}, 1, 0, 0},
        {"s3 ListObjectsV2 (3 params)", {.method = "GET", .path = "/", .query = lq, .query_count = 3, .headers = s3h,
                                         .header_count = 1, .payload_hash = WREN_SIGV4_UNSIGNED_PAYLOAD}, 1, 0, 1},
        {"s3 PUT 1 KiB, body hashed", {.method = "PUT", .path = "/prefix/j-5f2c/00000042/in", .headers = s3h,
                                       .header_count = 1, .body = body_1k, .body_len = sizeof body_1k}, 1, 0, 1},
        {"lambda Invoke + token", {.method = "POST", .path = "/2015-03-31/functions/wren/invocations", .headers = lh,
                                   .header_count = 3, .body = body_event, .body_len = strlen(body_event)}, 0, 1, 1},
    };
    const int ncases = (int)(sizeof cases / sizeof *cases);
    enum { RUNS = 5 };
    double rate[8][RUNS];
    for (int run = 0; run < RUNS; run++) {
        /* Cases alternate within each run, so drift in machine load falls
         * on all of them alike. */
        for (int c = 0; c < ncases; c++) {
            wren_sigv4_key_cache cache = {0};
            wren_sigv4_config cfg = {.access_key_id = "AKIAIOSFODNN7EXAMPLE",
                                     .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                     .session_token = cases[c].token ? "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH"
                                                                       "MEUCIQDexampletokenexampletokenexampletoken=="
                                                                     : NULL,
                                     .region = "eu-west-1",
                                     .service = cases[c].s3 ? "s3" : "lambda",
                                     .time_s = 1763781234,
                                     .s3_rules = cases[c].s3,
                                     .key_cache = cases[c].cache ? &cache : NULL};
            uint64_t t0 = wren_mono_ns();
            size_t check = 0;
            for (int i = 0; i < n; i++) {
                wren_sigv4_result res;
                if (wren_sigv4_sign(&cases[c].req, &cfg, &res) != WREN_OK) {
                    fprintf(stderr, "sign failed\n");
                    return 1;
                }
                check += (size_t)res.signature[i % 64];
                wren_buf_clean_up(&res.authorization);
            }
            double s = (double)(wren_mono_ns() - t0) / 1e9;
            rate[c][run] = n / s;
            wren_sigv4_key_cache_clean_up(&cache);
            if (check == 0)
                fprintf(stderr, "?\n");
        }
    }
    printf("bench_sigv4: %d signatures per run, median of %d runs\n", n, RUNS);
    for (int c = 0; c < ncases; c++) {
        qsort(rate[c], RUNS, sizeof(double), s_cmp);
        printf("  %-34s %10.0f signatures/s  (%.2f us each)\n", cases[c].name, rate[c][RUNS / 2],
               1e6 / rate[c][RUNS / 2]);
    }
    return 0;
}
