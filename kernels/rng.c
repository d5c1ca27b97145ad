/*
 * kernels/rng.c: the random numbers every built-in shares: splitmix64 for
 * seeding, xoshiro256** for the stream, a ziggurat for normals.
 * References: https://prng.di.unimi.it/ (public-domain C by Blackman & Vigna);
 * J. A. Doornik, "An Improved Ziggurat Method to Generate Normal Random
 * Samples" (2005), whose ZIGNOR layout this follows.
 */
#include <math.h>
#include <pthread.h>

#include "builtins.h"
#include "wren_common.h"

uint64_t wren__splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void wren__rng_seed(wren_rng *rng, uint64_t seed, uint64_t stream)
{
    /* splitmix64's output is a bijection of its state, so s[0] determines
     * seed and s[2] determines stream: distinct (seed, stream) pairs can never
     * share a state. */
    uint64_t a = seed, b = stream ^ 0x6a09e667f3bcc909ull;
    rng->s[0] = wren__splitmix64(&a);
    rng->s[1] = wren__splitmix64(&a);
    rng->s[2] = wren__splitmix64(&b);
    rng->s[3] = wren__splitmix64(&b);
    if (!(rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]))
        rng->s[0] = 1; /* the one state xoshiro cannot leave */
}

uint64_t wren__rng_next(wren_rng *rng)
{
    return wren__xoshiro256ss(rng->s);
}

double wren__rng_uniform(wren_rng *rng)
{
    return (double)(wren__rng_next(rng) >> 11) * 0x1.0p-53;
}

/* ---- the ziggurat --------------------------------------------------------
 * 128 blocks of equal area V under the normal density's right half; block 0
 * is the base strip plus the tail beyond R. x[i] are the blocks' right edges
 * (x[1] = R, x[128] = 0), ratio[i] = x[i+1] / x[i] the fraction of block i
 * that lies wholly under the curve. */
#define S_ZIG_C 128
#define S_ZIG_R 3.442619855899
#define S_ZIG_V 9.91256303526217e-3

static double s_zig_x[S_ZIG_C + 1];
static double s_zig_ratio[S_ZIG_C];
static pthread_once_t s_zig_once = PTHREAD_ONCE_INIT;

static void s_zig_init(void)
{
    double f = exp(-0.5 * S_ZIG_R * S_ZIG_R);
    s_zig_x[0] = S_ZIG_V / f;
    s_zig_x[1] = S_ZIG_R;
    s_zig_x[S_ZIG_C] = 0;
    for (int i = 2; i < S_ZIG_C; i++) {
        s_zig_x[i] = sqrt(-2.0 * log(S_ZIG_V / s_zig_x[i - 1] + f));
        f = exp(-0.5 * s_zig_x[i] * s_zig_x[i]);
    }
    for (int i = 0; i < S_ZIG_C; i++)
        s_zig_ratio[i] = s_zig_x[i + 1] / s_zig_x[i];
}

/* Uniform in (0, 1]: safe for log(). */
static double s_uniform_pos(wren_rng *rng)
{
    return (double)((wren__rng_next(rng) >> 11) + 1) * 0x1.0p-53;
}

/* Marsaglia's tail method: a variate beyond `min`, on the side asked for. */
static double s_zig_tail(wren_rng *rng, double min, int negative)
{
    double x, y;
    do {
        x = log(s_uniform_pos(rng)) / min;
        y = log(s_uniform_pos(rng));
    } while (-2.0 * y < x * x);
    return negative ? x - min : min - x;
}

double wren__rng_normal(wren_rng *rng)
{
    pthread_once(&s_zig_once, s_zig_init);
    for (;;) {
        /* One draw: bits 11..63 give u in [-1, 1), bits 0..6 the block. */
        uint64_t bits = wren__rng_next(rng);
        double u = 2.0 * ((double)(bits >> 11) * 0x1.0p-53) - 1.0;
        unsigned i = (unsigned)(bits & 0x7f);
        if (fabs(u) < s_zig_ratio[i])
            return u * s_zig_x[i]; /* inside the block's rectangle: ~99% */
        if (i == 0)
            return s_zig_tail(rng, S_ZIG_R, u < 0);
        /* In the wedge between the rectangle and the curve: accept under f. */
        double x = u * s_zig_x[i];
        double f0 = exp(-0.5 * (s_zig_x[i] * s_zig_x[i] - x * x));
        double f1 = exp(-0.5 * (s_zig_x[i + 1] * s_zig_x[i + 1] - x * x));
        if (f1 + wren__rng_uniform(rng) * (f0 - f1) < 1.0)
            return x;
    }
}

void wren__rng_fill_normal(wren_rng *rng, double *x, size_t n, double std)
{
    for (size_t i = 0; i < n; i++)
        x[i] = std * wren__rng_normal(rng);
}
