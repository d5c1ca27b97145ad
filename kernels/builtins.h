/*
 * kernels/builtins.h: private to kernels/ (and its tests): the built-in
 * kernel functions the explicit table in builtins.c lists, and the random
 * numbers they share.
 */
#ifndef WREN_KERNELS_BUILTINS_H
#define WREN_KERNELS_BUILTINS_H

#include <stddef.h>
#include <stdint.h>

#include "wren/kernel.h"

/* ---- the built-in table -------------------------------------------------- */

extern const wren_kernel_def wren__builtin_kernels[];
extern const size_t wren__builtin_kernel_count;

int wren__k_echo(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx);
int wren__k_addone(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx);
int wren__k_sleep_ms(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx);
int wren__k_fail(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx);
int wren__k_crash(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx);
int wren__k_gemm(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx);
int wren__k_montecarlo_pi(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx);
int wren__k_black_scholes_mc(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx);
int wren__k_solve(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx);
int wren__k_cholesky_solve(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx);
int wren__k_lstsq(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx);
int wren__k_eigh(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx);

/* ---- random numbers (rng.c) ---------------------------------------------- */

/* xoshiro256** (Blackman & Vigna): 256 bits of state, period 2^256 - 1.
 * Seeded from (seed, stream) through splitmix64 so that distinct pairs give
 * distinct states: s[0], s[1] come from splitmix64 started at `seed`, s[2],
 * s[3] from splitmix64 started at `stream` (xor a constant). Streams are thus
 * independent starting points in a 2^256 cycle; overlap within any realistic
 * run is vanishingly unlikely. Deterministic on every platform (the normal
 * variates' rare wedge and tail cases use libm's exp/log, which can differ in
 * the last bit between libm versions). */
typedef struct wren_rng {
    uint64_t s[4];
} wren_rng;

uint64_t wren__splitmix64(uint64_t *state);
void wren__rng_seed(wren_rng *rng, uint64_t seed, uint64_t stream);
uint64_t wren__rng_next(wren_rng *rng);
/* Uniform in [0, 1), 53 random bits. */
double wren__rng_uniform(wren_rng *rng);
/* Standard normal: the 128-block ziggurat (Marsaglia & Tsang 2000, in
 * Doornik's ZIGNOR form, 2005): one 64-bit draw per variate ~99% of the time. */
double wren__rng_normal(wren_rng *rng);
/* Fills x[0..n) with normal(0, std). */
void wren__rng_fill_normal(wren_rng *rng, double *x, size_t n, double std);

/* Closed-form Black-Scholes price of a European call (call != 0) or put. */
double wren__black_scholes(double s0, double k, double r, double sigma, double t, int call);

/* ---- helpers shared by the built-ins ------------------------------------- */

/* malloc() of n doubles aligned to 64 bytes (for BLAS); NULL on overflow/OOM.
 * Free with free(). n == 0 gives a valid 64-byte block. */
double *wren__alloc_f64(size_t n);

#endif
