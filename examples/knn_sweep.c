/*
 * knn_sweep: a hyper-parameter sweep with a kernel of your own.
 *
 * The host generates a labelled data set (three Gaussian blobs in d
 * dimensions), splits it into training and validation sets, and maps the
 * user kernel `knn_eval` over k = 1, 3, 5, ...: each worker classifies the
 * validation set with k nearest neighbours and returns the accuracy. The
 * host picks the best k.
 *
 * One file, two builds (examples/CMakeLists.txt):
 *  - with -DWREN_EXAMPLE_KERNELS it is libwren_example_knn.so, which the
 *    worker loads because the executor sets _HANDLER=libwren_example_knn.so
 *    and LAMBDA_TASK_ROOT to the directory holding it (docs/kernels.md);
 *  - without, it is the host program example_knn_sweep.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef WREN_EXAMPLE_KERNELS
/* ---------------------------------------------------------------- worker -- */
#include "wren/kernel.h"

/* {k, train_x: f64 [n, d], train_y: i32 [n], val_x: f64 [m, d], val_y: i32 [m]} -> {k, accuracy} */
static int knn_eval(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    int64_t k = 0;
    char why[160];
    wren_array_view tx, ty, vx, vy;
    if (wren_arg_int(args, "k", &k, 1) != WREN_OK || k < 1)
        return wren_ctx_fail(ctx, "BadInput", "k must be a positive integer");
    if (wren_array_expect(wren_arg(args, "train_x"), WREN_F64, 2, &tx, why, sizeof why) != WREN_OK ||
        wren_array_expect(wren_arg(args, "train_y"), WREN_I32, 1, &ty, why, sizeof why) != WREN_OK ||
        wren_array_expect(wren_arg(args, "val_x"), WREN_F64, 2, &vx, why, sizeof why) != WREN_OK ||
        wren_array_expect(wren_arg(args, "val_y"), WREN_I32, 1, &vy, why, sizeof why) != WREN_OK)
        return wren_ctx_fail(ctx, "BadInput", "knn_eval: %s", why);
    size_t n = tx.shape[0], d = tx.shape[1], m = vx.shape[0];
    if (ty.count != n || vy.count != m || vx.shape[1] != d || (uint64_t)k > n)
        return wren_ctx_fail(ctx, "BadInput", "knn_eval: shapes do not agree (or k > n)");
    double *X = malloc(tx.size_bytes + 1), *V = malloc(vx.size_bytes + 1), *best = malloc((size_t)k * sizeof *best);
    int32_t *Y = malloc(ty.size_bytes + 1), *W = malloc(vy.size_bytes + 1), *lab = malloc((size_t)k * sizeof *lab);
    if (!X || !V || !Y || !W || !best || !lab) {
        free(X), free(V), free(Y), free(W), free(best), free(lab);
        return WREN_ENOMEM;
    }
    wren_array_copy(&tx, X);
    wren_array_copy(&ty, Y);
    wren_array_copy(&vx, V);
    wren_array_copy(&vy, W);
    size_t right = 0;
    for (size_t q = 0; q < m; q++) {
        size_t have = 0;
        for (size_t i = 0; i < n; i++) {
            double dist = 0;
            for (size_t j = 0; j < d; j++) {
                double t = X[i * d + j] - V[q * d + j];
                dist += t * t;
            }
            /* Insertion into the k best so far. */
            size_t pos = have < (size_t)k ? have++ : (size_t)k;
            while (pos > 0 && best[pos - 1] > dist) {
                if (pos < (size_t)k) {
                    best[pos] = best[pos - 1];
                    lab[pos] = lab[pos - 1];
                }
                pos--;
            }
            if (pos < (size_t)k) {
                best[pos] = dist;
                lab[pos] = Y[i];
            }
        }
        int votes[3] = {0, 0, 0};
        for (size_t i = 0; i < have; i++)
            if (lab[i] >= 0 && lab[i] < 3)
                votes[lab[i]]++;
        int pick = votes[1] > votes[0] ? 1 : 0;
        if (votes[2] > votes[pick])
            pick = 2;
        right += pick == W[q];
    }
    wren_ctx_add_flops(ctx, 3.0 * (double)n * (double)m * (double)d);
    free(X), free(V), free(Y), free(W), free(best), free(lab);
    int rc = msgpack_pack_map(out, 2);
    rc |= msgpack_pack_str_with_body(out, "k", 1);
    rc |= msgpack_pack_int64(out, k);
    rc |= msgpack_pack_str_with_body(out, "accuracy", 8);
    rc |= msgpack_pack_double(out, m ? (double)right / (double)m : 0.0);
    return rc ? WREN_ENOMEM : WREN_OK;
}
WREN_KERNEL("knn_eval", knn_eval, "k-NN validation accuracy for one k (examples/knn_sweep.c)");

#else
/* ------------------------------------------------------------------ host -- */
#include "wren/wren.h"

#ifndef WREN_EXAMPLE_KERNEL_DIR
#define WREN_EXAMPLE_KERNEL_DIR "."
#endif

static uint64_t s_rng = 0x9E3779B97F4A7C15ull;
static double s_u(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return ((double)(s_rng >> 11) + 0.5) / 9007199254740992.0;
}
static double s_normal(void)
{
    return sqrt(-2 * log(s_u())) * cos(2 * M_PI * s_u());
}

/* Three overlapping blobs: centres at distance 2 on the first axes, unit noise. */
static void s_make(size_t n, size_t d, double *x, int32_t *y)
{
    for (size_t i = 0; i < n; i++) {
        y[i] = (int32_t)(i % 3);
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = s_normal() * 1.2 + (j == (size_t)y[i] ? 2.0 : 0.0);
    }
}

static void s_usage(FILE *f)
{
    fprintf(f, "usage: example_knn_sweep [--train N] [--val M] [--kmax K] [--kernel-dir DIR]\n"
               "  --train N         training points (at least 3, default 1500)\n"
               "  --val M           validation points (at least 1, default 300)\n"
               "  --kmax K          largest k tried, k = 1, 3, 5, ... (1-N, default 31)\n"
               "  --kernel-dir DIR  where libwren_example_knn.so is (default: $WREN_EXAMPLE_KERNEL_DIR,\n"
               "                    else this build's)\n");
}

int main(int argc, char **argv)
{
    long n = 1500, m = 300, d = 4, kmax = 31;
    const char *dir = getenv("WREN_EXAMPLE_KERNEL_DIR") ? getenv("WREN_EXAMPLE_KERNEL_DIR") : WREN_EXAMPLE_KERNEL_DIR;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            s_usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            s_usage(stderr);
            return 2;
        }
        if (!strcmp(argv[i], "--train"))
            n = atol(argv[++i]);
        else if (!strcmp(argv[i], "--val"))
            m = atol(argv[++i]);
        else if (!strcmp(argv[i], "--kmax"))
            kmax = atol(argv[++i]);
        else if (!strcmp(argv[i], "--kernel-dir"))
            dir = argv[++i];
        else {
            s_usage(stderr);
            return 2;
        }
    }
    if (n < 3 || m < 1 || kmax < 1 || kmax > n) {
        s_usage(stderr);
        return 2;
    }
    double *tx = malloc((size_t)(n * d) * sizeof *tx), *vx = malloc((size_t)(m * d) * sizeof *vx);
    int32_t *ty = malloc((size_t)n * sizeof *ty), *vy = malloc((size_t)m * sizeof *vy);
    s_make((size_t)n, (size_t)d, tx, ty);
    s_make((size_t)m, (size_t)d, vx, vy);

    wren_config cfg;
    wren_config_init(&cfg);
    cfg.handler = "libwren_example_knn.so"; /* the worker loads our kernel from here */
    cfg.task_root = dir;
    cfg.quiet = 1;
    wren_executor *ex = NULL;
    if (wren_executor_new(&cfg, &ex) != WREN_OK) {
        fprintf(stderr, "knn_sweep: %s\n", wren_last_error());
        return 1;
    }
    size_t nk = (size_t)(kmax + 1) / 2;
    wren_args **args = calloc(nk, sizeof *args);
    wren_future **fs = calloc(nk, sizeof *fs);
    uint64_t st[2] = {(uint64_t)n, (uint64_t)d}, sv[2] = {(uint64_t)m, (uint64_t)d};
    for (size_t i = 0; i < nk; i++) {
        args[i] = wren_args_new();
        wren_args_map(args[i], 5);
        wren_args_str(args[i], "k");
        wren_args_int(args[i], (int64_t)(2 * i + 1));
        wren_args_str(args[i], "train_x");
        wren_args_ndarray(args[i], WREN_F64, 2, st, tx);
        wren_args_str(args[i], "train_y");
        wren_args_ndarray(args[i], WREN_I32, 1, st, ty);
        wren_args_str(args[i], "val_x");
        wren_args_ndarray(args[i], WREN_F64, 2, sv, vx);
        wren_args_str(args[i], "val_y");
        wren_args_ndarray(args[i], WREN_I32, 1, sv, vy);
    }
    int rc = wren_map(ex, "knn_eval", (const wren_args *const *)args, nk, fs);
    if (rc == WREN_OK)
        rc = wren_wait(ex, fs, nk, WREN_ALL_COMPLETED, -1, NULL);
    int64_t best_k = -1;
    double best = -1;
    for (size_t i = 0; rc == WREN_OK && i < nk; i++) {
        const msgpack_object *r;
        double acc = 0;
        int64_t k = 0;
        if (wren_future_result(fs[i], 0, &r) != WREN_OK) {
            fprintf(stderr, "knn_sweep: k=%zu: %s: %s\n", 2 * i + 1, wren_future_error_type(fs[i]),
                    wren_future_error_message(fs[i]));
            rc = wren_future_status(fs[i]);
            break;
        }
        wren_result_int(r, "k", &k);
        wren_result_double(r, "accuracy", &acc);
        printf("k = %3lld  accuracy %.4f\n", (long long)k, acc);
        if (acc > best) {
            best = acc;
            best_k = k;
        }
    }
    if (rc == WREN_OK)
        printf("best k = %lld (validation accuracy %.4f)\n", (long long)best_k, best);
    for (size_t i = 0; i < nk; i++)
        wren_args_destroy(args[i]);
    free(args), free(fs), free(tx), free(vx), free(ty), free(vy);
    wren_executor_destroy(ex);
    return rc == WREN_OK ? 0 : 1;
}
#endif
