/*
 * Stragglers: which pending calls of one map deserve a backup invocation.
 * The executor gives, per call of a map, how long its finished calls took and
 * how long its pending ones have been running (host clock, from the latest
 * invoke to the outcome being seen: what the caller waits for, queueing
 * included, so calls merely queued behind others compare with calls that
 * were queued the same way).
 */
#include <stdlib.h>

#include "sdk_internal.h"

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double wren__median(double *v, size_t n)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, s_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

size_t wren__stragglers(const wren__spec_call *c, size_t n, double factor, double min_done, unsigned char *want)
{
    if (factor <= 0 || !n)
        return 0;
    if (min_done <= 0 || min_done > 1)
        min_done = 0.5;
    double *d = malloc(n * sizeof *d);
    if (!d)
        return 0;
    size_t n_done = 0;
    for (size_t i = 0; i < n; i++)
        if (c[i].done_s >= 0)
            d[n_done++] = c[i].done_s;
    size_t picked = 0;
    /* Too few finished calls make a median that says nothing. */
    if (n_done > 0 && (double)n_done >= min_done * (double)n) {
        double limit = factor * wren__median(d, n_done);
        for (size_t i = 0; i < n; i++) {
            want[i] = c[i].running_s >= 0 && c[i].running_s > limit;
            picked += want[i];
        }
    }
    free(d);
    return picked;
}
