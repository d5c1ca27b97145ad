/*
 * bench_map: how fast the SDK moves trivial tasks.
 *  1. local map: N `addone` calls through the embedded local backend (the
 *     emulator in this process, real bootstrap workers, file store), from
 *     wren_map to the last result, in tasks/s;
 *  2. the same work as one process per task: `xargs -P CORES` running
 *     bench_map_one (decode msgpack, add one, print) once per task;
 *  3. invoke submission rate: Event invokes from one client to a sink that
 *     answers 202 at once (test/sdk_sink.h), through the invoker alone and
 *     through wren_map (encoding, base64, event JSON included).
 * Runs interleave and medians are printed. Not a ctest test.
 *
 * The local map also prints CPU time per task, split by process (the
 * machine is shared, so wall-clock rates are noisy; CPU per task is not):
 * the SDK (this program's main thread), the embedded emulator (this
 * program's other threads), the bootstrap supervisors (our children) and
 * their kernel children (our grandchildren), read from /proc after the
 * warm-up and after the last result, so start-up is not counted.
 *
 *     build/bin/bench_map [--tasks 10000] [--invokes 50000] [--runs 3] [--local-only]
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "invoke.h"
#include "sdk_internal.h"
#include "sdk_sink.h"

static double s_now(void)
{
    return (double)wren_mono_ns() / 1e9;
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

static double s_thread_cpu(void);

typedef struct s_cpu {
    double sdk, emulator, bootstrap, kernel_child; /* seconds */
    double sdk_map;                                /* the SDK in wren_map (the rest: in wren_wait) */
} s_cpu;

/* utime + stime of /proc/PID/stat in seconds, and its parent; -1 if gone. */
static double s_proc_cpu(const char *pid, long *ppid)
{
    char path[300], buf[1024];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    /* The command name may hold spaces: fields start after the last ')'. */
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    char state;
    if (!p || sscanf(p + 2, "%c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &state, ppid, &ut, &st) != 4)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU used so far by each part of the local backend (see the top). */
static void s_cpu_now(s_cpu *c)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    c->sdk = s_thread_cpu();
    c->emulator = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - c->sdk;
    c->bootstrap = c->kernel_child = 0;
    long self = (long)getpid();
    long kids[4096];
    size_t n_kids = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return;
    /* Two passes: our children, then theirs. */
    for (int pass = 0; pass < 2; pass++) {
        rewinddir(d);
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] < '0' || de->d_name[0] > '9')
                continue;
            long ppid = 0;
            double cpu = s_proc_cpu(de->d_name, &ppid);
            if (cpu < 0)
                continue;
            if (pass == 0 && ppid == self) {
                c->bootstrap += cpu;
                if (n_kids < sizeof kids / sizeof kids[0])
                    kids[n_kids++] = atol(de->d_name);
            } else if (pass == 1) {
                for (size_t i = 0; i < n_kids; i++)
                    if (kids[i] == ppid)
                        c->kernel_child += cpu;
            }
        }
    }
    closedir(d);
}

static double s_local(size_t n, int concurrency, s_cpu *per_task)
{
    wren_config c;
    wren_config_init(&c);
    c.concurrency = concurrency;
    c.quiet = 1;
    wren_executor *ex = NULL;
    if (wren_executor_new(&c, &ex) != WREN_OK) {
        fprintf(stderr, "bench_map: %s\n", wren_last_error());
        exit(1);
    }
    /* Warm the workers first: cold starts are another benchmark's business. */
    wren_future *w[8];
    wren_map(ex, "addone", NULL, 8, w);
    wren_wait(ex, w, 8, WREN_ALL_COMPLETED, -1, NULL);
    wren_args **args = calloc(n, sizeof *args);
    wren_future **fs = calloc(n, sizeof *fs);
    for (size_t i = 0; i < n; i++) {
        args[i] = wren_args_new();
        wren_args_int(args[i], (int64_t)i);
    }
    s_cpu c0, c1;
    s_cpu_now(&c0);
    double t0 = s_now();
    int rc = wren_map(ex, "addone", (const wren_args *const *)args, n, fs);
    per_task->sdk_map = (s_thread_cpu() - c0.sdk) / (double)n;
    if (rc == WREN_OK)
        rc = wren_wait(ex, fs, n, WREN_ALL_COMPLETED, -1, NULL);
    double dt = s_now() - t0;
    s_cpu_now(&c1);
    per_task->sdk = (c1.sdk - c0.sdk) / (double)n;
    per_task->emulator = (c1.emulator - c0.emulator) / (double)n;
    per_task->bootstrap = (c1.bootstrap - c0.bootstrap) / (double)n;
    per_task->kernel_child = (c1.kernel_child - c0.kernel_child) / (double)n;
    for (size_t i = 0; i < n; i++) {
        const msgpack_object *o;
        if (wren_future_result(fs[i], 0, &o) != WREN_OK || o->via.i64 != (int64_t)i + 1) {
            fprintf(stderr, "bench_map: call %zu: %s %s\n", i, wren_future_error_type(fs[i]),
                    wren_future_error_message(fs[i]));
            exit(1);
        }
        wren_args_destroy(args[i]);
    }
    free(args);
    free(fs);
    wren_executor_destroy(ex);
    return (double)n / dt;
}

static double s_xargs(size_t n, int cores)
{
    char self[4096];
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k <= 0)
        return 0;
    self[k] = '\0';
    char cmd[8400];
    /* bench_map_one sits beside this program. */
    snprintf(cmd, sizeof cmd, "seq 0 %zu | xargs -P %d -n 1 %s_one > /dev/null", n - 1, cores, self);
    double t0 = s_now();
    if (system(cmd) != 0)
        return 0;
    return (double)n / (s_now() - t0);
}

static void s_done(void *user, void *req, int status, long code, const char *detail)
{
    (void)req;
    (void)code;
    (void)detail;
    if (status != WREN_OK)
        (*(size_t *)user)++;
}

static double s_thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Rate of the invoker alone; *cpu_us gets the client thread's CPU per invoke
 * (the sink runs in other threads). */
static double s_invoker(sdk_sink *sink, size_t n, double *cpu_us)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", sink->port);
    wren__invoker_config ic = {.base_url = url, .function_name = "wren", .max_in_flight = 64};
    wren__invoker *inv = NULL;
    if (wren__invoker_new(&ic, &inv) != WREN_OK)
        exit(1);
    static const char ev[] = "{\"wren\":1,\"kernel\":\"echo\",\"job\":\"j\",\"call\":\"00000000\",\"attempt\":0,"
                             "\"store\":\"file:///tmp/x\",\"args_b64\":\"KQ==\"}";
    size_t failed = 0;
    double t0 = s_now(), c0 = s_thread_cpu();
    for (size_t i = 0; i < n; i++) {
        wren__invoker_submit(inv, strdup(ev), sizeof ev - 1, NULL);
        if ((i & 255) == 255)
            wren__invoker_pump(inv, 0, s_done, &failed);
    }
    while (wren__invoker_pending(inv))
        wren__invoker_pump(inv, 50, s_done, &failed);
    double dt = s_now() - t0;
    *cpu_us = (s_thread_cpu() - c0) / (double)n * 1e6;
    wren__invoker_destroy(inv);
    if (failed)
        fprintf(stderr, "bench_map: %zu invokes failed\n", failed);
    return (double)n / dt;
}

static double s_submit_map(sdk_sink *sink, size_t n)
{
    char url[64], dir[] = "/tmp/wren-bench-map-XXXXXX", store[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", sink->port);
    if (!mkdtemp(dir))
        exit(1);
    snprintf(store, sizeof store, "file://%s", dir);
    wren_config c;
    wren_config_init(&c);
    c.invoke_url = url;
    c.store_url = store;
    wren_executor *ex = NULL;
    if (wren_executor_new(&c, &ex) != WREN_OK)
        exit(1);
    wren_args **args = calloc(n, sizeof *args);
    wren_future **fs = calloc(n, sizeof *fs);
    for (size_t i = 0; i < n; i++) {
        args[i] = wren_args_new();
        wren_args_int(args[i], (int64_t)i);
    }
    double t0 = s_now();
    wren_map(ex, "echo", (const wren_args *const *)args, n, fs);
    double dt = s_now() - t0;
    for (size_t i = 0; i < n; i++)
        wren_args_destroy(args[i]);
    free(args);
    free(fs);
    wren_executor_destroy(ex);
    wren__remove_tree(dir);
    return (double)n / dt;
}

int main(int argc, char **argv)
{
    static const char usage[] =
        "usage: bench_map [--tasks N] [--invokes N] [--runs R] [--local-only]\n"
        "  N trivial addone tasks through the local backend (tasks/s, CPU per task by process), the same as one\n"
        "  process per task under xargs -P, and N Event invokes to a 202 sink; medians of R interleaved runs\n"
        "  (defaults 10000, 50000, 3); --local-only: the local backend alone\n";
    size_t tasks = 10000, invokes = 50000;
    int runs = 3, cores = (int)sysconf(_SC_NPROCESSORS_ONLN), local_only = 0, bad = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--local-only")) {
            local_only = 1;
        } else if (i + 1 < argc && !strcmp(argv[i], "--tasks")) {
            tasks = (size_t)atol(argv[++i]);
        } else if (i + 1 < argc && !strcmp(argv[i], "--invokes")) {
            invokes = (size_t)atol(argv[++i]);
        } else if (i + 1 < argc && !strcmp(argv[i], "--runs")) {
            runs = atoi(argv[++i]);
        } else {
            bad = 1;
        }
    }
    if (bad || !tasks || !invokes || runs < 1 || runs > 50) {
        fputs(usage, stderr);
        return 2;
    }
    double local[50], xargs[50], inv[50], sub[50], cpu[50];
    double c_sdk[50], c_map[50], c_emu[50], c_boot[50], c_kid[50], c_all[50];
    sdk_sink sink;
    if (sdk_sink_start(&sink, 0, 1) != 0) {
        fprintf(stderr, "bench_map: cannot start the sink\n");
        return 1;
    }
    for (int r = 0; r < runs; r++) {
        s_cpu pt;
        local[r] = s_local(tasks, cores, &pt);
        c_sdk[r] = pt.sdk * 1e6;
        c_map[r] = pt.sdk_map * 1e6;
        c_emu[r] = pt.emulator * 1e6;
        c_boot[r] = pt.bootstrap * 1e6;
        c_kid[r] = pt.kernel_child * 1e6;
        c_all[r] = c_sdk[r] + c_emu[r] + c_boot[r] + c_kid[r];
        fprintf(stderr, "run %d: local %.0f/s, CPU per task %.1f us (SDK %.1f of which map %.1f, emulator %.1f, bootstrap %.1f, "
                        "kernel child %.1f)",
                r + 1, local[r], c_all[r], c_sdk[r], c_map[r], c_emu[r], c_boot[r], c_kid[r]);
        if (local_only) {
            fputc('\n', stderr);
            continue;
        }
        xargs[r] = s_xargs(tasks, cores);
        inv[r] = s_invoker(&sink, invokes, &cpu[r]);
        sub[r] = s_submit_map(&sink, invokes);
        fprintf(stderr, ", xargs %.0f/s, invoker %.0f/s, wren_map submit %.0f/s\n", xargs[r], inv[r], sub[r]);
    }
    sdk_sink_stop(&sink);
    printf("bench_map (%d cores, medians of %d runs)\n", cores, runs);
    printf("  local map, %zu addone tasks, %d workers:   %8.0f tasks/s\n", tasks, cores, s_median(local, runs));
    printf("    CPU per task, all processes:             %8.1f us\n", s_median(c_all, runs));
    printf("      SDK (main thread):                     %8.1f us\n", s_median(c_sdk, runs));
    printf("        of which in wren_map (submitting):   %8.1f us\n", s_median(c_map, runs));
    printf("      emulator (its threads):                %8.1f us\n", s_median(c_emu, runs));
    printf("      bootstrap supervisors:                 %8.1f us\n", s_median(c_boot, runs));
    printf("      kernel children:                       %8.1f us\n", s_median(c_kid, runs));
    if (local_only)
        return 0;
    printf("  one process per task (xargs -P %d):        %8.0f tasks/s\n", cores, s_median(xargs, runs));
    printf("  Event invokes to a 202 sink (invoker):     %8.0f invokes/s\n", s_median(inv, runs));
    double c = s_median(cpu, runs);
    printf("    client CPU per invoke:                   %8.1f us (%.0f invokes/s per busy core)\n", c, 1e6 / c);
    printf("  Event invokes to a 202 sink (wren_map):    %8.0f invokes/s\n", s_median(sub, runs));
    return 0;
}
