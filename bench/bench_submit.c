/* bench_submit: Event invocation submission rate from one client to a sink
 * answering 202 at once (test/sdk_sink.h, libmicrohttpd on 127.0.0.1):
 * wren's invoker, SigV4-signed with a session token as on AWS, side by side
 * with @aws-sdk/client-lambda (bench/node/submit.mjs, 64 in flight) sending
 * the same bodies to the same sink. Alternating runs; medians.
 *
 *   bench/node/setup.sh   # once: npm ci
 *   build/bin/bench_submit [--invokes 100000] [--node-invokes 20000] [--runs 3] [--in-flight 64]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws_backend.h"
#include "invoke.h"
#include "sdk_sink.h"
#include "wren_common.h"

static const char s_ev[] = "{\"wren\":1,\"kernel\":\"echo\",\"job\":\"j\",\"call\":\"00000000\",\"attempt\":0,"
                           "\"store\":\"s3://b/p\",\"args_b64\":\"KQ==\"}";

static double s_now(void)
{
    return (double)wren_mono_ns() / 1e9;
}

static void s_done(void *user, void *req, int status, long code, const char *detail)
{
    (void)req;
    (void)code;
    (void)detail;
    if (status != WREN_OK)
        (*(size_t *)user)++;
}

static double s_cpu(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* *cpu_us: the client thread's CPU per invoke (the sink runs in other threads). */
static double s_wren(int port, size_t n, int in_flight, wren__aws *aws, double *cpu_us)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    wren__invoker_config ic = {.base_url = url, .function_name = "wren", .max_in_flight = in_flight};
    wren__invoker *inv = NULL;
    if (wren__invoker_new(&ic, &inv) != WREN_OK)
        exit(1);
    wren__invoker_set_signer(inv, wren__aws_sign, aws);
    size_t failed = 0;
    double t0 = s_now(), c0 = s_cpu(CLOCK_THREAD_CPUTIME_ID);
    for (size_t i = 0; i < n; i++) {
        wren__invoker_submit(inv, strdup(s_ev), sizeof s_ev - 1, NULL);
        if ((i & 255) == 255)
            wren__invoker_pump(inv, 0, s_done, &failed);
    }
    while (wren__invoker_pending(inv))
        wren__invoker_pump(inv, 50, s_done, &failed);
    double dt = s_now() - t0;
    *cpu_us = (s_cpu(CLOCK_THREAD_CPUTIME_ID) - c0) / (double)n * 1e6;
    wren__invoker_destroy(inv);
    if (failed)
        fprintf(stderr, "bench_submit: %zu wren invokes failed\n", failed);
    return (double)n / dt;
}

static double s_node(const char *dir, int port, size_t n, int in_flight, double *cpu_us)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "cd '%s' && node --no-warnings submit.mjs http://127.0.0.1:%d %zu %d", dir, port, n,
             in_flight);
    FILE *p = popen(cmd, "r");
    double rate = 0;
    long failed = -1;
    *cpu_us = 0;
    if (!p || fscanf(p, "%lf %ld %lf", &rate, &failed, cpu_us) != 3)
        rate = 0;
    if (p)
        pclose(p);
    if (failed)
        fprintf(stderr, "bench_submit: %ld node invokes failed\n", failed);
    return rate;
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double s_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, s_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void s_usage(FILE *f)
{
    fprintf(f, "usage: bench_submit [--invokes 100000] [--node-invokes 20000] [--runs 3] [--in-flight 64]\n"
               "  Event invoke submissions per second to a 202 sink: wren's invoker vs @aws-sdk/client-lambda\n"
               "  (--node-invokes 0 skips the Node side; bench/node/setup.sh installs it)\n");
}

int main(int argc, char **argv)
{
    size_t invokes = 100000, node_invokes = 20000;
    int runs = 3, in_flight = 64;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            s_usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            s_usage(stderr);
            return 2;
        }
        if (!strcmp(argv[i], "--invokes"))
            invokes = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--node-invokes"))
            node_invokes = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--runs"))
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--in-flight"))
            in_flight = atoi(argv[++i]);
        else {
            s_usage(stderr);
            return 2;
        }
    }
    if (!invokes || runs < 1 || runs > 50 || in_flight < 1) {
        s_usage(stderr);
        return 2;
    }
    /* The invoker signs as on AWS: SigV4 with a session token. */
    setenv("AWS_ACCESS_KEY_ID", "AKIDBENCH", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "bench-secret", 1);
    setenv("AWS_SESSION_TOKEN", "bench-token", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    wren_config cfg, res;
    wren_config_init(&cfg);
    cfg.store_url = "s3://b/p";
    cfg.invoke_url = "http://127.0.0.1:1";
    wren__aws *aws = NULL;
    char err[256];
    if (wren__aws_new(&cfg, &res, &aws, err, sizeof err) != WREN_OK) {
        fprintf(stderr, "bench_submit: %s\n", err);
        return 1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/bench/node", WREN_SOURCE_DIR);
    char mod[4200];
    snprintf(mod, sizeof mod, "%s/node_modules/@aws-sdk/client-lambda", dir);
    int have_node = access(mod, R_OK) == 0;
    if (!have_node)
        fprintf(stderr, "bench_submit: no %s (run bench/node/setup.sh): wren only\n", mod);
    sdk_sink sink;
    if (sdk_sink_start(&sink, 0, 1) != 0) {
        fprintf(stderr, "bench_submit: cannot start the sink\n");
        return 1;
    }
    double w[50], nd[50], wc[50], nc[50];
    for (int r = 0; r < runs; r++) {
        w[r] = s_wren(sink.port, invokes, in_flight, aws, &wc[r]);
        nc[r] = 0;
        nd[r] = have_node && node_invokes ? s_node(dir, sink.port, node_invokes, 64, &nc[r]) : 0;
        fprintf(stderr, "run %d: wren %.0f/s (%.1f us CPU each), @aws-sdk/client-lambda %.0f/s (%.1f us CPU each)\n",
                r + 1, w[r], wc[r], nd[r], nc[r]);
    }
    sdk_sink_stop(&sink);
    wren__aws_destroy(aws);
    double wm = s_median(w, runs), nm = s_median(nd, runs), wcm = s_median(wc, runs), ncm = s_median(nc, runs);
    printf("bench_submit: signed Event invokes to a 202 sink on 127.0.0.1 (medians of %d runs)\n", runs);
    printf("  wren invoker (%d in flight, %zu invokes):          %8.0f invokes/s wall, %6.1f us CPU each "
           "(%.0f/s per busy core)\n",
           in_flight, invokes, wm, wcm, 1e6 / wcm);
    if (nm > 0) {
        printf("  @aws-sdk/client-lambda (64 in flight, %zu invokes): %8.0f invokes/s wall, %6.1f us CPU each "
               "(%.0f/s per busy core)\n",
               node_invokes, nm, ncm, 1e6 / ncm);
        printf("  ratio wren / JS SDK:  %.1f x wall, %.1f x CPU per invoke\n", wm / nm, ncm / wcm);
    }
    return 0;
}
