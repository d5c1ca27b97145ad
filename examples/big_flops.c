/*
 * big_flops: the seeds' benchmark. T tasks, each `loops` products of two
 * n x n matrices with OpenBLAS dgemm (the built-in `gemm` kernel), mapped
 * over the workers; prints the effective GFLOPS (all the work over the wall
 * time from first submit to last result) and the peak (the most GFLOPS in
 * flight at once), and writes the timeline and GFLOPS plots as SVG.
 *
 *     build/bin/example_big_flops                          # laptop size
 *     build/bin/example_big_flops --tasks 1600 --loops 10 --n 4096 --timeout 900   # the seeds' run
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wren/wren.h"

static void s_usage(FILE *f)
{
    fprintf(f, "usage: example_big_flops [--tasks T] [--loops L] [--n N] [--concurrency C]\n"
               "                         [--timeout S] [--memory MB] [--out DIR] [--keep]\n"
               "  --tasks T        gemm tasks (default 8)\n"
               "  --loops L        products per task (default 4)\n"
               "  --n N            matrix size (default 1024)\n"
               "  --concurrency C  local workers (default: the core count)\n"
               "  --timeout S      per-task timeout in seconds (default 600)\n"
               "  --memory MB      worker memory; 1769 MB = 1 vCPU = 1 BLAS thread (default 1769)\n"
               "  --out DIR        where the plots go (default .)\n"
               "  --keep           keep the job in the default store (wren status/results/plot JOB)\n");
}

static void s_progress(const wren_progress *p, void *user)
{
    (void)user;
    fprintf(stderr, "\rbig_flops: %zu done, %zu failed, %.1f s ", p->done, p->failed, p->elapsed_s);
}

int main(int argc, char **argv)
{
    long tasks = 8, loops = 4, n = 1024, conc = 0, mem = 0;
    double timeout = 600;
    const char *out = ".";
    int keep = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            s_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--keep")) {
            keep = 1;
            continue;
        } else if (!v) {
            s_usage(stderr);
            return 2;
        } else if (!strcmp(a, "--tasks")) {
            tasks = atol(v);
        } else if (!strcmp(a, "--loops")) {
            loops = atol(v);
        } else if (!strcmp(a, "--n")) {
            n = atol(v);
        } else if (!strcmp(a, "--concurrency")) {
            conc = atol(v);
        } else if (!strcmp(a, "--memory")) {
            mem = atol(v);
        } else if (!strcmp(a, "--timeout")) {
            timeout = atof(v);
        } else if (!strcmp(a, "--out")) {
            out = v;
        } else {
            s_usage(stderr);
            return 2;
        }
        i++;
    }
    if (tasks < 1 || tasks > 1000000 || loops < 1 || n < 1 || n > 16384 || timeout <= 0) {
        s_usage(stderr);
        return 2;
    }
    wren_config cfg;
    wren_config_init(&cfg);
    cfg.concurrency = (int)conc;
    cfg.memory_mb = (int)mem;
    cfg.timeout_s = timeout;
    cfg.keep_data = keep;
    cfg.quiet = 1;
    if (isatty(2))
        cfg.progress = s_progress; /* a live count on a terminal only */
    wren_executor *ex = NULL;
    if (wren_executor_new(&cfg, &ex) != WREN_OK) {
        fprintf(stderr, "big_flops: %s\n", wren_last_error());
        return 1;
    }
    wren_args **args = calloc((size_t)tasks, sizeof *args);
    wren_future **fs = calloc((size_t)tasks, sizeof *fs);
    int rc = args && fs ? WREN_OK : WREN_ENOMEM;
    for (long i = 0; rc == WREN_OK && i < tasks; i++) {
        /* Same seed, one stream per task: independent, reproducible matrices. */
        args[i] = wren_args_new();
        wren_args_map(args[i], 4);
        wren_args_str(args[i], "n");
        wren_args_int(args[i], n);
        wren_args_str(args[i], "loops");
        wren_args_int(args[i], loops);
        wren_args_str(args[i], "seed");
        wren_args_int(args[i], 1);
        wren_args_str(args[i], "stream");
        wren_args_int(args[i], i);
    }
    printf("big_flops: %ld tasks x %ld dgemm of %ld x %ld on %s\n", tasks, loops, n, n,
           wren_executor_invoke_url(ex));
    if (rc == WREN_OK)
        rc = wren_map(ex, "gemm", (const wren_args *const *)args, (size_t)tasks, fs);
    if (rc == WREN_OK)
        rc = wren_wait(ex, fs, (size_t)tasks, WREN_ALL_COMPLETED, -1, NULL);
    if (isatty(2))
        fprintf(stderr, "\n");
    double t0 = 0, t1 = 0, flops = 0, peak = 0, best_task = 0;
    size_t ok = 0;
    for (long i = 0; rc == WREN_OK && i < tasks; i++) {
        wren_timings tm;
        wren_future_timings(fs[i], &tm);
        if (wren_future_result(fs[i], 0, NULL) != WREN_OK) {
            fprintf(stderr, "big_flops: task %ld: %s: %s\n", i, wren_future_error_type(fs[i]),
                    wren_future_error_message(fs[i]));
            continue;
        }
        ok++;
        flops += tm.flops;
        if (t0 == 0 || tm.t_submit < t0)
            t0 = tm.t_submit;
        if (tm.t_written > t1)
            t1 = tm.t_written;
        if (tm.t_kernel > tm.t_setup && tm.flops / (tm.t_kernel - tm.t_setup) > best_task)
            best_task = tm.flops / (tm.t_kernel - tm.t_setup);
    }
    /* Peak: the most GFLOPS in flight at any kernel's start. */
    for (long i = 0; rc == WREN_OK && i < tasks; i++) {
        wren_timings a;
        wren_future_timings(fs[i], &a);
        double at = a.t_setup, sum = 0;
        for (long j = 0; at > 0 && j < tasks; j++) {
            wren_timings b;
            wren_future_timings(fs[j], &b);
            if (b.t_setup <= at && at < b.t_kernel && b.t_kernel > b.t_setup)
                sum += b.flops / (b.t_kernel - b.t_setup);
        }
        if (sum > peak)
            peak = sum;
    }
    if (rc == WREN_OK && ok) {
        printf("big_flops: %zu/%ld tasks, %.2f GFLOP in %.3f s\n", ok, tasks, flops / 1e9, t1 - t0);
        printf("big_flops: effective %.2f GFLOPS, peak %.2f GFLOPS in flight, best task %.2f GFLOPS\n",
               flops / 1e9 / (t1 - t0), peak / 1e9, best_task / 1e9);
        char p1[4096], p2[4096];
        snprintf(p1, sizeof p1, "%s/big_flops-timeline.svg", out);
        snprintf(p2, sizeof p2, "%s/big_flops-gflops.svg", out);
        if (wren_plot_executor(ex, p1, p2) == WREN_OK)
            printf("big_flops: plots: %s %s\n", p1, p2);
        else
            fprintf(stderr, "big_flops: could not write the plots into %s\n", out);
        if (keep)
            printf("big_flops: job %s kept in %s\n", wren_executor_job(ex), wren_executor_store_url(ex));
    }
    int failed = rc != WREN_OK || ok != (size_t)tasks;
    if (rc != WREN_OK)
        fprintf(stderr, "big_flops: %s (%s)\n", wren_strerror(rc), wren_executor_errmsg(ex));
    for (long i = 0; args && i < tasks; i++)
        wren_args_destroy(args[i]);
    free(args);
    free(fs);
    wren_executor_destroy(ex);
    return failed ? 1 : 0;
}
