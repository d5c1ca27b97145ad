/*
 * bench_isolation: per-invocation cost of each way the bootstrap can isolate
 * kernels (bootstrap/supervisor.c), for the `echo` kernel, for the whole
 * per-invocation path around echo (`path`: event JSON parsed and checked,
 * args converted to msgpack, kernel run, response JSON built; everything but
 * the HTTP), and for a 256x256 `gemm`:
 *
 *   inline  the kernel runs in the worker process (no isolation: the floor)
 *   child   one long-lived child, a pipe each way (request frame, response frame)
 *   fork    a fresh fork per task
 *
 * Each measurement batch runs in a fresh process forked from this one (so
 * each mode starts as a bootstrap would: no OpenBLAS pool yet, nothing warmed
 * by another mode), and batches of the three modes are interleaved so they
 * share the machine's noise. Prints the median per-invocation time and the
 * overhead over inline.
 *
 *   build/bin/bench_isolation [rounds=5] [echo_iters=2000] [gemm_iters=100]
 *
 * AWS_LAMBDA_FUNCTION_MEMORY_SIZE sets the OpenBLAS threads as in the worker
 * (default here 3538 MB: 2 threads, so fork-per-task pays for OpenBLAS's pool).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootstrap.h"
#include "kernels.h"
#include "run.h"

#define S_MAX_SAMPLES 200000

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double s_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, s_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void s_pack_args(const char *kernel, wren_buf *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, wren_buf_msgpack_write);
    if (!strcmp(kernel, "echo")) {
        msgpack_pack_map(&pk, 1);
        msgpack_pack_str_with_body(&pk, "x", 1);
        msgpack_pack_int(&pk, 42);
    } else {
        msgpack_pack_map(&pk, 3);
        msgpack_pack_str_with_body(&pk, "n", 1);
        msgpack_pack_int(&pk, 256);
        msgpack_pack_str_with_body(&pk, "loops", 5);
        msgpack_pack_int(&pk, 1);
        msgpack_pack_str_with_body(&pk, "seed", 4);
        msgpack_pack_int(&pk, 7);
    }
}

/* In a fresh process: `iters` tasks of `kernel` under `iso`; writes each
 * task's wall time (µs) to fd. */
static void s_batch(wren__isolation iso, const char *kernel, int iters, int fd)
{
    wren_buf args;
    wren_buf_init(&args, 0);
    s_pack_args(kernel, &args);
    wren__sup *sup = NULL;
    if (wren__sup_new(iso, wren__run_kernel, NULL, &sup) != WREN_OK)
        _exit(2);
    double *us = calloc((size_t)iters, sizeof *us);
    int warmup = iters / 10 + 1;
    /* "path": everything the bootstrap does per invocation between `next`
     * and the answer (event JSON -> msgpack args -> kernel -> response JSON). */
    int path = !strcmp(kernel, "path");
    static const char event[] = "{\"kernel\":\"echo\",\"args\":{\"x\":42,\"v\":[1,2.5,\"s\"]}}";
    wren_buf reply;
    wren_buf_init(&reply, WREN__RESPONSE_MAX_BYTES);
    for (int i = -warmup; i < iters; i++) {
        uint64_t t0 = wren_mono_ns();
        wren__task task = {kernel, "bench", 0, args.data, args.len};
        wren__event ev;
        if (path) {
            char err[256];
            wren_buf_reset(&args);
            if (wren__event_parse(event, sizeof event - 1, &ev, err, sizeof err) != WREN_OK ||
                wren__event_args(&ev, &args, err, sizeof err) != WREN_OK)
                _exit(5);
            task.kernel = ev.kernel;
            task.args = args.data;
            task.args_len = args.len;
        }
        wren__task_result *res = NULL;
        if (wren__sup_run(sup, &task, 0, &res) != WREN_OK || res->status != WREN_OK) {
            fprintf(stderr, "task failed: %s %s\n", res ? res->error_type : "?", res ? res->error_message : "");
            _exit(3);
        }
        if (path) {
            wren__timings t = {1, res->t_setup, res->t_kernel};
            wren_buf_reset(&reply);
            if (wren__response_json(ev.kernel, res->result.data, res->result.len, 0, res->flops, &t, &reply) != WREN_OK)
                _exit(6);
            wren__event_clean_up(&ev);
        }
        uint64_t t1 = wren_mono_ns();
        if (i >= 0)
            us[i] = (double)(t1 - t0) / 1e3;
    }
    wren__sup_destroy(sup);
    ssize_t w = write(fd, us, sizeof *us * (size_t)iters);
    _exit(w == (ssize_t)(sizeof *us * (size_t)iters) ? 0 : 4);
}

static int s_run_batch(wren__isolation iso, const char *kernel, int iters, double *out)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        s_batch(iso, kernel, iters, p[1]);
    }
    close(p[1]);
    size_t want = sizeof *out * (size_t)iters, got = 0;
    while (got < want) {
        ssize_t n = read(p[0], (char *)out + got, want - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(p[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return got == want && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void s_usage(FILE *f)
{
    fprintf(f, "usage: bench_isolation [ROUNDS=5] [ECHO_ITERS=2000] [GEMM_ITERS=100]\n"
               "  per-invocation cost of inline / child / fork isolation for echo, the path, gemm(256)\n");
}

/* A positive count from argv, or -1. */
static int s_count_arg(const char *s)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    return s[0] && !*end && v >= 1 && v <= S_MAX_SAMPLES ? (int)v : -1;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            s_usage(stdout);
            return 0;
        }
    int rounds = argc > 1 ? s_count_arg(argv[1]) : 5;
    int echo_iters = argc > 2 ? s_count_arg(argv[2]) : 2000;
    int gemm_iters = argc > 3 ? s_count_arg(argv[3]) : 100;
    if (argc > 4 || rounds < 0 || echo_iters < 0 || gemm_iters < 0) {
        s_usage(stderr);
        return 2;
    }
    setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") ?: "3538", 1);
    char msg[256];
    if (wren__kernels_check(msg, sizeof msg) != WREN_OK) {
        fprintf(stderr, "registry: %s\n", msg);
        return 1;
    }
    int threads = wren__kernels_set_blas_threads();
    static const char *modes[] = {"inline", "child", "fork"};
    static const char *kernels[] = {"echo", "path", "gemm"};
    printf("bench_isolation: %d rounds, echo x%d, gemm(n=256) x%d per batch, OpenBLAS threads %d\n", rounds,
           echo_iters, gemm_iters, threads);
    double median[3][3];
    for (int k = 0; k < 3; k++) {
        int iters = k < 2 ? echo_iters : gemm_iters;
        size_t total = (size_t)rounds * (size_t)iters;
        if (total > S_MAX_SAMPLES)
            return 1;
        double *all[3];
        for (int m = 0; m < 3; m++)
            all[m] = calloc(total, sizeof(double));
        for (int r = 0; r < rounds; r++)
            for (int m = 0; m < 3; m++)
                if (s_run_batch((wren__isolation)(m == 0 ? WREN__ISO_INLINE
                                                  : m == 1 ? WREN__ISO_CHILD
                                                           : WREN__ISO_FORK),
                                kernels[k], iters, all[m] + (size_t)r * (size_t)iters) != 0) {
                    fprintf(stderr, "batch %s/%s failed\n", kernels[k], modes[m]);
                    return 1;
                }
        for (int m = 0; m < 3; m++) {
            median[k][m] = s_median(all[m], total);
            free(all[m]);
        }
    }
    printf("%-8s %14s %14s %14s\n", "kernel", "mode", "median us", "overhead us");
    for (int k = 0; k < 3; k++)
        for (int m = 0; m < 3; m++)
            printf("%-8s %14s %14.1f %14.1f\n", kernels[k], modes[m], median[k][m], median[k][m] - median[k][0]);
    return 0;
}
