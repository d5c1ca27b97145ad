/*
 * bench_arrays: msgpack numeric arrays against memcpy. One large f64 array
 * ({dtype, shape, data: bin}, docs/wire.md) is packed with wren_array_pack
 * into a preallocated buffer, parsed back (msgpack unpack + wren_array_parse,
 * a zero-copy view) and copied out with wren_array_copy; beside it a plain
 * memcpy of the same bytes. Every buffer is touched first so page faults are
 * not measured. Medians of the runs, in GB/s (1e9 bytes of array data).
 *
 *   build/bin/bench_arrays [--mib 64] [--runs 7]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>

#include "wren/kernel.h"

typedef struct s_fixed {
    char *data;
    size_t len, cap;
} s_fixed;

/* A msgpack writer into a preallocated buffer: what a worker does when it
 * knows the result size (no realloc in the measurement). */
static int s_write(void *user, const char *buf, size_t len)
{
    s_fixed *f = user;
    if (f->len + len > f->cap)
        return -1;
    memcpy(f->data + f->len, buf, len);
    f->len += len;
    return 0;
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double s_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, s_cmp);
    return v[n / 2];
}

static void s_usage(FILE *f)
{
    fprintf(f, "usage: bench_arrays [--mib 64] [--runs 7]\n"
               "  packs, parses and copies one f64 array of --mib MiB against memcpy; GB/s medians\n");
}

int main(int argc, char **argv)
{
    long mib = 64;
    int runs = 7;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            s_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--mib") && i + 1 < argc) {
            mib = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else {
            s_usage(stderr);
            return 2;
        }
    }
    if (mib < 1 || mib > 4096 || runs < 1 || runs > 1000) {
        fprintf(stderr, "bench_arrays: --mib 1..4096, --runs 1..1000\n");
        return 2;
    }
    size_t bytes = (size_t)mib << 20;
    uint64_t count = bytes / sizeof(double);
    double *src = aligned_alloc(64, bytes);
    double *dst = aligned_alloc(64, bytes);
    s_fixed msg = {aligned_alloc(64, bytes + 4096), 0, bytes + 4096};
    double *t_pack = calloc((size_t)runs, sizeof *t_pack), *t_parse = calloc((size_t)runs, sizeof *t_parse);
    double *t_copy = calloc((size_t)runs, sizeof *t_copy), *t_memcpy = calloc((size_t)runs, sizeof *t_memcpy);
    if (!src || !dst || !msg.data || !t_pack || !t_parse || !t_copy || !t_memcpy) {
        fprintf(stderr, "bench_arrays: out of memory for %ld MiB\n", mib);
        return 1;
    }
    for (uint64_t i = 0; i < count; i++)
        src[i] = (double)i * 0.5;
    memset(dst, 0, bytes);
    memset(msg.data, 0, msg.cap);
    uint64_t shape[1] = {count};
    double check = 0;
    for (int r = 0; r < runs; r++) {
        msgpack_packer pk;
        msgpack_packer_init(&pk, &msg, s_write);
        msg.len = 0;
        double t0 = s_now();
        if (wren_array_pack(&pk, WREN_F64, 1, shape, src) != WREN_OK) {
            fprintf(stderr, "bench_arrays: pack failed\n");
            return 1;
        }
        double t1 = s_now();
        msgpack_zone zone;
        msgpack_zone_init(&zone, 4096);
        msgpack_object obj;
        size_t off = 0;
        wren_array_view view;
        char why[160];
        if (msgpack_unpack(msg.data, msg.len, &off, &zone, &obj) != MSGPACK_UNPACK_SUCCESS ||
            wren_array_parse(&obj, &view, why, sizeof why) != WREN_OK || view.count != count) {
            fprintf(stderr, "bench_arrays: parse failed\n");
            return 1;
        }
        double t2 = s_now();
        wren_array_copy(&view, dst);
        double t3 = s_now();
        msgpack_zone_destroy(&zone);
        check += dst[count - 1];
        memset(dst, 0, 64); /* the next copy must not be elided */
        double t4 = s_now();
        memcpy(dst, src, bytes);
        double t5 = s_now();
        check += dst[count / 2];
        t_pack[r] = t1 - t0;
        t_parse[r] = t2 - t1;
        t_copy[r] = t3 - t2;
        t_memcpy[r] = t5 - t4;
    }
    double gb = (double)bytes / 1e9;
    double pack = gb / s_median(t_pack, runs), parse_us = s_median(t_parse, runs) * 1e6;
    double copy = gb / s_median(t_copy, runs), mc = gb / s_median(t_memcpy, runs);
    printf("bench_arrays: one f64 array of %ld MiB, medians of %d runs (check %.0f)\n", mib, runs, check);
    printf("  memcpy                          %8.2f GB/s\n", mc);
    printf("  wren_array_pack                 %8.2f GB/s  (%.0f%% of memcpy)\n", pack, 100 * pack / mc);
    printf("  unpack + wren_array_parse       %8.1f us    (zero-copy view, independent of size)\n", parse_us);
    printf("  wren_array_copy                 %8.2f GB/s  (%.0f%% of memcpy)\n", copy, 100 * copy / mc);
    free(src);
    free(dst);
    free(msg.data);
    free(t_pack);
    free(t_parse);
    free(t_copy);
    free(t_memcpy);
    return 0;
}
