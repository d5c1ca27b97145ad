/* Load test: N trivial addone calls through the embedded local backend in one
 * process. Checks every result (i -> i + 1), prints the host process's peak
 * RSS and the run's rate, and fails if a file descriptor or a child process
 * (alive or zombie) is left after wren_executor_destroy, or if the peak RSS
 * passes --max-rss-mb.
 *   load_map [--calls N] [--concurrency C] [--max-rss-mb M]
 * ctest runs 10,000 calls (load_map_10k); docs/faults.md has the 100,000 run. */
#include "wren/wren.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int s_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory stream's own fd */
}

/* Processes whose parent is this one, zombies included (a scan of /proc:
 * waitpid would reap what it counts). */
static int s_count_children(void)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    int n = 0;
    pid_t me = getpid();
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        /* "pid (comm) state ppid ...": comm may hold spaces and parens. */
        const char *rp = strrchr(buf, ')');
        char state;
        int ppid;
        if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == me) {
            fprintf(stderr, "load_map: child left behind: pid %s state %c\n", e->d_name, state);
            n++;
        }
    }
    closedir(d);
    return n;
}

static long s_vm_hwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

int main(int argc, char **argv)
{
    long calls = 10000, max_rss_mb = 1024;
    int concurrency = 0;
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--calls") && a + 1 < argc)
            calls = strtol(argv[++a], NULL, 10);
        else if (!strcmp(argv[a], "--concurrency") && a + 1 < argc)
            concurrency = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--max-rss-mb") && a + 1 < argc)
            max_rss_mb = strtol(argv[++a], NULL, 10);
        else {
            fprintf(stderr, "usage: load_map [--calls N] [--concurrency C] [--max-rss-mb M]\n");
            return 2;
        }
    }
    if (calls < 1 || calls > 10000000) {
        fprintf(stderr, "load_map: --calls must be 1..10000000\n");
        return 2;
    }
    int fds_before = s_count_fds(), children_before = s_count_children();
    long hwm_before = s_vm_hwm_kb();
    int failed = 0;

    wren_config cfg;
    wren_config_init(&cfg);
    cfg.concurrency = concurrency;
    cfg.quiet = 1;
    wren_executor *ex = NULL;
    if (wren_executor_new(&cfg, &ex) != WREN_OK) {
        fprintf(stderr, "load_map: executor: %s\n", wren_last_error());
        return 1;
    }
    size_t n = (size_t)calls;
    wren_args **args = calloc(n, sizeof *args);
    wren_future **fs = calloc(n, sizeof *fs);
    if (!args || !fs) {
        fprintf(stderr, "load_map: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        args[i] = wren_args_new();
        if (!args[i]) {
            fprintf(stderr, "load_map: out of memory\n");
            return 1;
        }
        wren_args_int(args[i], (int64_t)i);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = wren_map(ex, "addone", (const wren_args *const *)args, n, fs);
    for (size_t i = 0; i < n; i++)
        wren_args_destroy(args[i]);
    free(args);
    if (rc != WREN_OK) {
        fprintf(stderr, "load_map: map: %s\n", wren_executor_errmsg(ex));
        return 1;
    }
    size_t n_done = 0;
    rc = wren_wait(ex, fs, n, WREN_ALL_COMPLETED, -1, &n_done);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != WREN_OK || n_done != n) {
        fprintf(stderr, "load_map: wait: rc %d, %zu of %zu done\n", rc, n_done, n);
        failed = 1;
    }
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++) {
        const msgpack_object *r;
        if (wren_future_result(fs[i], 0, &r) != WREN_OK || r->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            r->via.u64 != i + 1) {
            if (wrong++ < 5)
                fprintf(stderr, "load_map: call %zu: %s: %s\n", i, wren_future_error_type(fs[i]) ?: "wrong result",
                        wren_future_error_message(fs[i]) ?: "");
        }
    }
    free(fs);
    wren_executor_destroy(ex);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    int fds_after = s_count_fds(), children_after = s_count_children();
    printf("calls %zu  wrong %zu  %.2f s  %.0f calls/s\n", n, wrong, secs, (double)n / secs);
    printf("host peak RSS %.1f MiB (%.1f MiB before the executor)  largest worker peak RSS %.1f MiB\n",
           (double)self.ru_maxrss / 1024.0, (double)hwm_before / 1024.0, (double)kids.ru_maxrss / 1024.0);
    printf("fds before %d after %d  children before %d after %d\n", fds_before, fds_after, children_before,
           children_after);
    if (wrong)
        failed = 1;
    if (fds_after != fds_before || children_after != children_before) {
        fprintf(stderr, "load_map: resources left behind\n");
        failed = 1;
    }
    if (self.ru_maxrss > max_rss_mb * 1024) {
        fprintf(stderr, "load_map: peak RSS %ld KiB over --max-rss-mb %ld\n", self.ru_maxrss, max_rss_mb);
        failed = 1;
    }
    return failed;
}
