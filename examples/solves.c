/*
 * solves: a batch of dense linear systems A x = b solved on the workers with
 * the built-in `solve` (LAPACK dgesv). Each A is random and diagonally
 * dominant, b = A x for a known x, so the host can check every answer. One
 * extra system is singular on purpose: its future fails with
 * Wren.SingularMatrix rather than returning garbage.
 *
 *     build/bin/example_solves [--systems S] [--n N]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wren/wren.h"

static uint64_t s_rng = 88172645463325252ull;
static double s_uniform(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (double)(s_rng >> 11) / 9007199254740992.0;
}

static wren_args *s_system(long n, int singular, double *x_true)
{
    double *a = malloc((size_t)(n * n) * sizeof *a), *b = malloc((size_t)n * sizeof *b);
    for (long i = 0; i < n; i++) {
        x_true[i] = (double)(i + 1);
        for (long j = 0; j < n; j++)
            a[i * n + j] = s_uniform() - 0.5 + (i == j ? (double)n : 0.0);
    }
    if (singular && n > 1)
        memcpy(a + n, a, (size_t)n * sizeof *a); /* row 1 = row 0 */
    for (long i = 0; i < n; i++) {
        b[i] = 0;
        for (long j = 0; j < n; j++)
            b[i] += a[i * n + j] * x_true[j];
    }
    wren_args *args = wren_args_new();
    uint64_t shape_a[2] = {(uint64_t)n, (uint64_t)n}, shape_b[1] = {(uint64_t)n};
    wren_args_map(args, 2);
    wren_args_str(args, "a");
    wren_args_ndarray(args, WREN_F64, 2, shape_a, a);
    wren_args_str(args, "b");
    wren_args_ndarray(args, WREN_F64, 1, shape_b, b);
    free(a);
    free(b);
    return args;
}

static void s_usage(FILE *f)
{
    fprintf(f, "usage: example_solves [--systems S] [--n N]\n"
               "  --systems S  systems to solve, plus one singular on purpose (1-100000, default 16)\n"
               "  --n N        size of each system (2-4000, default 200)\n");
}

int main(int argc, char **argv)
{
    long systems = 16, n = 200;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            s_usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            s_usage(stderr);
            return 2;
        }
        if (!strcmp(argv[i], "--systems"))
            systems = atol(argv[++i]);
        else if (!strcmp(argv[i], "--n"))
            n = atol(argv[++i]);
        else {
            s_usage(stderr);
            return 2;
        }
    }
    if (systems < 1 || systems > 100000 || n < 2 || n > 4000) {
        s_usage(stderr);
        return 2;
    }
    wren_executor *ex = NULL;
    if (wren_executor_new(NULL, &ex) != WREN_OK) {
        fprintf(stderr, "solves: %s\n", wren_last_error());
        return 1;
    }
    size_t total = (size_t)systems + 1; /* the last one is singular */
    wren_args **args = calloc(total, sizeof *args);
    wren_future **fs = calloc(total, sizeof *fs);
    double *x = malloc((size_t)n * sizeof *x);
    for (size_t i = 0; i < total; i++)
        args[i] = s_system(n, i == total - 1, x);
    int rc = wren_map(ex, "solve", (const wren_args *const *)args, total, fs);
    if (rc == WREN_OK)
        rc = wren_wait(ex, fs, total, WREN_ALL_COMPLETED, -1, NULL);
    double worst = 0;
    int bad = rc != WREN_OK;
    double *got = malloc((size_t)n * sizeof *got);
    for (size_t i = 0; rc == WREN_OK && i + 1 < total; i++) {
        const msgpack_object *r;
        wren_array_view v;
        if (wren_future_result(fs[i], 0, &r) != WREN_OK || wren_result_array(r, "x", &v) != WREN_OK ||
            v.dtype != WREN_F64 || v.count != (uint64_t)n) {
            fprintf(stderr, "solves: system %zu: %s: %s\n", i, wren_future_error_type(fs[i]),
                    wren_future_error_message(fs[i]));
            bad = 1;
            continue;
        }
        memcpy(got, v.data, v.size_bytes);
        for (long j = 0; j < n; j++)
            if (fabs(got[j] - (double)(j + 1)) > worst)
                worst = fabs(got[j] - (double)(j + 1));
    }
    if (rc == WREN_OK) {
        printf("solves: %ld systems of %ld x %ld solved, largest error in x %.3g\n", systems, n, n, worst);
        wren_future *s = fs[total - 1];
        printf("solves: the singular system: %s (%s)\n",
               wren_future_error_type(s) ? wren_future_error_type(s) : "solved?!",
               wren_future_error_message(s) ? wren_future_error_message(s) : "");
        bad |= worst > 1e-8 || !wren_future_error_type(s) || strcmp(wren_future_error_type(s), "Wren.SingularMatrix");
    }
    for (size_t i = 0; i < total; i++)
        wren_args_destroy(args[i]);
    free(args);
    free(fs);
    free(x);
    free(got);
    wren_executor_destroy(ex);
    return bad ? 1 : 0;
}
