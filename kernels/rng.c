/*
 * kernels/rng.c: the random numbers every built-in shares: splitmix64 for
 * seeding, xoshiro256** for the stream, Box-Muller for normals.
 * Reference: https://prng.di.unimi.it/ (public-domain C by Blackman & Vigna).
 */
#include <math.h>

#include "builtins.h"

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
    rng->has_spare = 0;
    rng->spare = 0;
}

static inline uint64_t s_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t wren__rng_next(wren_rng *rng)
{
    uint64_t *s = rng->s;
    const uint64_t result = s_rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s_rotl(s[3], 45);
    return result;
}

double wren__rng_uniform(wren_rng *rng)
{
    return (double)(wren__rng_next(rng) >> 11) * 0x1.0p-53;
}

double wren__rng_normal(wren_rng *rng)
{
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    /* u1 in (0, 1] so log() is finite. */
    double u1 = (double)((wren__rng_next(rng) >> 11) + 1) * 0x1.0p-53;
    double u2 = wren__rng_uniform(rng);
    double r = sqrt(-2.0 * log(u1));
    double th = 6.283185307179586476925286766559 * u2, sn, cs;
    sincos(th, &sn, &cs); /* one call for both: generation is most of a small gemm call */
    rng->spare = r * sn;
    rng->has_spare = 1;
    return r * cs;
}

void wren__rng_fill_normal(wren_rng *rng, double *x, size_t n, double std)
{
    for (size_t i = 0; i < n; i++)
        x[i] = std * wren__rng_normal(rng);
}
