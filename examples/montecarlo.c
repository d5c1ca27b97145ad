/*
 * montecarlo: two Monte Carlo maps on the local workers.
 *  1. pi: T tasks of `montecarlo_pi`, one random stream each, combined on the
 *     host into one estimate with its standard error.
 *  2. Black-Scholes: a sweep of European calls over strikes and volatilities
 *     with `black_scholes_mc`, each price beside the closed form.
 * Exits 1 if an estimate is more than 4 standard errors from the truth.
 *
 *     build/bin/example_montecarlo [--tasks T] [--samples S]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wren/wren.h"

static int s_run(wren_executor *ex, const char *kernel, wren_args **args, size_t n, wren_future **fs)
{
    int rc = wren_map(ex, kernel, (const wren_args *const *)args, n, fs);
    if (rc == WREN_OK)
        rc = wren_wait(ex, fs, n, WREN_ALL_COMPLETED, -1, NULL);
    for (size_t i = 0; rc == WREN_OK && i < n; i++)
        if (wren_future_result(fs[i], 0, NULL) != WREN_OK) {
            fprintf(stderr, "montecarlo: %s call %zu: %s: %s\n", kernel, i, wren_future_error_type(fs[i]),
                    wren_future_error_message(fs[i]));
            rc = wren_future_status(fs[i]);
        }
    return rc;
}

static void s_usage(FILE *f)
{
    fprintf(f, "usage: example_montecarlo [--tasks T] [--samples S]\n"
               "  --tasks T    pi tasks, one random stream each (1-100000, default 8)\n"
               "  --samples S  samples per task (at least 2, default 1000000)\n");
}

int main(int argc, char **argv)
{
    long tasks = 8, samples = 1000000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            s_usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            s_usage(stderr);
            return 2;
        }
        if (!strcmp(argv[i], "--tasks"))
            tasks = atol(argv[++i]);
        else if (!strcmp(argv[i], "--samples"))
            samples = atol(argv[++i]);
        else {
            s_usage(stderr);
            return 2;
        }
    }
    if (tasks < 1 || tasks > 100000 || samples < 2) {
        s_usage(stderr);
        return 2;
    }
    wren_executor *ex = NULL;
    if (wren_executor_new(NULL, &ex) != WREN_OK) {
        fprintf(stderr, "montecarlo: %s\n", wren_last_error());
        return 1;
    }
    int bad = 0;
    /* ---- pi ---- */
    wren_args **args = calloc((size_t)tasks, sizeof *args);
    wren_future **fs = calloc((size_t)tasks, sizeof *fs);
    for (long i = 0; i < tasks; i++) {
        args[i] = wren_args_new();
        wren_args_map(args[i], 3);
        wren_args_str(args[i], "samples");
        wren_args_int(args[i], samples);
        wren_args_str(args[i], "seed");
        wren_args_int(args[i], 2026);
        wren_args_str(args[i], "stream");
        wren_args_int(args[i], i);
    }
    int rc = s_run(ex, "montecarlo_pi", args, (size_t)tasks, fs);
    if (rc == WREN_OK) {
        double sum = 0, var = 0;
        for (long i = 0; i < tasks; i++) {
            const msgpack_object *r;
            double est = 0, se = 0;
            wren_future_result(fs[i], 0, &r);
            wren_result_double(r, "estimate", &est);
            wren_result_double(r, "stderr", &se);
            sum += est;
            var += se * se;
        }
        double pi = sum / tasks, se = sqrt(var) / tasks;
        printf("pi ~ %.6f +- %.6f from %ld x %ld samples (error %.2g, %.1f standard errors)\n", pi, se, tasks, samples,
               pi - M_PI, fabs(pi - M_PI) / se);
        bad |= fabs(pi - M_PI) > 4 * se;
    }
    for (long i = 0; i < tasks; i++)
        wren_args_destroy(args[i]);
    free(args);
    free(fs);

    /* ---- Black-Scholes sweep ---- */
    enum { NK = 5, NS = 3 };
    const double strikes[NK] = {80, 90, 100, 110, 120}, sigmas[NS] = {0.1, 0.2, 0.3};
    wren_args *bs[NK * NS];
    wren_future *bf[NK * NS];
    for (int i = 0; i < NK * NS; i++) {
        bs[i] = wren_args_new();
        wren_args_map(bs[i], 5);
        wren_args_str(bs[i], "k");
        wren_args_double(bs[i], strikes[i % NK]);
        wren_args_str(bs[i], "sigma");
        wren_args_double(bs[i], sigmas[i / NK]);
        wren_args_str(bs[i], "samples");
        wren_args_int(bs[i], samples);
        wren_args_str(bs[i], "seed");
        wren_args_int(bs[i], 7);
        wren_args_str(bs[i], "stream");
        wren_args_int(bs[i], i);
    }
    if (rc == WREN_OK)
        rc = s_run(ex, "black_scholes_mc", bs, NK * NS, bf);
    if (rc == WREN_OK) {
        printf("European call, s0 100, r 0.05, t 1: Monte Carlo (closed form)\n  sigma");
        for (int k = 0; k < NK; k++)
            printf("   K=%-14.0f", strikes[k]);
        printf("\n");
        for (int s = 0; s < NS; s++) {
            printf("  %.2f ", sigmas[s]);
            for (int k = 0; k < NK; k++) {
                const msgpack_object *r;
                double p = 0, se = 0, cf = 0;
                wren_future_result(bf[s * NK + k], 0, &r);
                wren_result_double(r, "price", &p);
                wren_result_double(r, "stderr", &se);
                wren_result_double(r, "closed_form", &cf);
                printf("  %7.3f (%7.3f)", p, cf);
                bad |= fabs(p - cf) > 4 * se;
            }
            printf("\n");
        }
    }
    for (int i = 0; i < NK * NS; i++)
        wren_args_destroy(bs[i]);
    wren_executor_destroy(ex);
    if (rc != WREN_OK)
        return 1;
    if (bad)
        fprintf(stderr, "montecarlo: an estimate is more than 4 standard errors off\n");
    return bad ? 1 : 0;
}
