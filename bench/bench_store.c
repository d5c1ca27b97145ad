/* bench_store: the file:// store's put (with and without fsync), get, head
 * and the SDK's poll (list one job's prefix among many jobs), as operations
 * per second, medians of 5 rounds, the variants side by side in each round.
 * Usage: bench_store [DIR] (default: a new directory under /tmp) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int s_count(const char *key, uint64_t size_bytes, void *user)
{
    (*(int *)user)++;
    return 0;
}

static void s_usage(FILE *f)
{
    fprintf(f, "usage: bench_store [DIR]   (default: a new directory under /tmp)\n"
               "  file:// store put (with and without fsync), get, head and poll, operations per second\n");
}

int main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        s_usage(stdout);
        return 0;
    }
    if (argc > 2 || (argc > 1 && argv[1][0] == '-')) {
        s_usage(stderr);
        return 2;
    }
    char dir[256];
    if (argc > 1) {
        snprintf(dir, sizeof dir, "%s", argv[1]);
    } else {
        snprintf(dir, sizeof dir, "/tmp/wren-bench-store.XXXXXX");
        if (!mkdtemp(dir))
            return 1;
    }
    char url[300];
    snprintf(url, sizeof url, "file://%s/store", dir);
    wren_store *st = NULL;
    if (wren_store_open(url, &st) != WREN_OK)
        return 1;
    enum { ROUNDS = 5, PUTS = 400, SYNC_PUTS = 100, JOBS = 20, CALLS = 500, LISTS = 50 };
    char body[512], key[96];
    memset(body, 'x', sizeof body);
    /* A store like the SDK's: JOBS jobs of CALLS calls, three objects each. */
    for (int j = 0; j < JOBS; j++)
        for (int c = 0; c < CALLS; c++)
            for (int o = 0; o < 3; o++) {
                static const char *const names[] = {"in", "out", "status"};
                snprintf(key, sizeof key, "job%02d/%05d/%s", j, c, names[o]);
                if (wren_store_put(st, key, body, 200) != WREN_OK)
                    return 1;
            }
    double put_rate[ROUNDS], sync_rate[ROUNDS], get_rate[ROUNDS], head_rate[ROUNDS], list_rate[ROUNDS];
    double newdir_rate[ROUNDS], after_rate[ROUNDS];
    wren_buf b;
    wren_buf_init(&b, 0);
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t t0 = wren_mono_ns();
        for (int i = 0; i < PUTS; i++) {
            snprintf(key, sizeof key, "bench/p%d/%05d", r, i);
            wren_store_put(st, key, body, sizeof body);
        }
        put_rate[r] = PUTS / ((double)(wren_mono_ns() - t0) / 1e9);
        wren_store_set_sync(st, 1);
        t0 = wren_mono_ns();
        for (int i = 0; i < SYNC_PUTS; i++) {
            snprintf(key, sizeof key, "bench/s%d/%05d", r, i);
            wren_store_put(st, key, body, sizeof body);
        }
        sync_rate[r] = SYNC_PUTS / ((double)(wren_mono_ns() - t0) / 1e9);
        wren_store_set_sync(st, 0);
        t0 = wren_mono_ns();
        for (int i = 0; i < PUTS; i++) {
            snprintf(key, sizeof key, "bench/p%d/%05d", r, i);
            wren_buf_reset(&b);
            wren_store_get(st, key, &b);
        }
        get_rate[r] = PUTS / ((double)(wren_mono_ns() - t0) / 1e9);
        t0 = wren_mono_ns();
        for (int i = 0; i < PUTS; i++) {
            snprintf(key, sizeof key, "bench/p%d/%05d", r, i);
            wren_store_head(st, key, NULL);
        }
        head_rate[r] = PUTS / ((double)(wren_mono_ns() - t0) / 1e9);
        t0 = wren_mono_ns();
        int n = 0;
        for (int i = 0; i < LISTS; i++)
            wren_store_list(st, "job07/", s_count, &n);
        list_rate[r] = LISTS / ((double)(wren_mono_ns() - t0) / 1e9);
        if (n != LISTS * CALLS * 3)
            fprintf(stderr, "list saw %d keys\n", n);
        /* A worker's status write: each into a new call directory. */
        t0 = wren_mono_ns();
        for (int i = 0; i < PUTS; i++) {
            snprintf(key, sizeof key, "bench/n%d/%08d/status", r, i);
            wren_store_put(st, key, body, 200);
        }
        newdir_rate[r] = PUTS / ((double)(wren_mono_ns() - t0) / 1e9);
        /* A poller's round: the job's last 20 calls, after the rest. */
        t0 = wren_mono_ns();
        n = 0;
        for (int i = 0; i < LISTS; i++)
            wren_store_list_after(st, "job07/", "job07/00480", s_count, &n);
        after_rate[r] = LISTS / ((double)(wren_mono_ns() - t0) / 1e9);
        if (n != LISTS * 20 * 3)
            fprintf(stderr, "list_after saw %d keys\n", n);
    }
    double *all[] = {put_rate, sync_rate, get_rate, head_rate, list_rate, newdir_rate, after_rate};
    for (int i = 0; i < 7; i++)
        qsort(all[i], ROUNDS, sizeof(double), s_cmp);
    printf("bench_store: %s, medians of %d rounds\n", url, ROUNDS);
    printf("  put 512 B                 %9.0f /s  (%.1f us each)\n", put_rate[2], 1e6 / put_rate[2]);
    printf("  put 512 B, fsync on       %9.0f /s  (%.1f us each)\n", sync_rate[2], 1e6 / sync_rate[2]);
    printf("  get 512 B                 %9.0f /s  (%.1f us each)\n", get_rate[2], 1e6 / get_rate[2]);
    printf("  head                      %9.0f /s  (%.1f us each)\n", head_rate[2], 1e6 / head_rate[2]);
    printf("  list one job (%d calls x 3 objects, among %d jobs) %7.0f /s  (%.2f ms each)\n", CALLS, JOBS,
           list_rate[2], 1e3 / list_rate[2]);
    printf("  put 200 B into a new directory (a worker's status)  %7.0f /s  (%.1f us each)\n", newdir_rate[2],
           1e6 / newdir_rate[2]);
    printf("  list the same job after its call 00480 (20 calls)  %7.0f /s  (%.2f ms each)\n", after_rate[2],
           1e3 / after_rate[2]);
    wren_buf_clean_up(&b);
    wren_store_destroy(st);
    if (argc <= 1) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            return 1;
    }
    return 0;
}
