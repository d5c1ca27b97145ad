/*
 * kernels/k_montecarlo.c: seeded, reproducible Monte Carlo built-ins.
 * Each task passes its own `stream` (its index, say) with a shared `seed`:
 * the streams are independent (see wren__rng_seed) and a rerun with the same
 * (seed, stream) gives bit-identical results.
 */
#include <math.h>

#include "builtins.h"
#include "kernels.h"

#define S_MAX_SAMPLES 1000000000000LL /* 1e12: hours of work, far past Lambda's 15 minutes */

static int s_seed_args(const msgpack_object *args, int64_t *samples, int64_t *seed, int64_t *stream, wren_ctx *ctx,
                       const char *who, int64_t min_samples)
{
    if (args->type != MSGPACK_OBJECT_MAP)
        return wren_ctx_fail(ctx, "BadInput", "%s: arguments must be a map", who);
    if (wren_arg_int(args, "samples", samples, 1000000) != WREN_OK || *samples < min_samples ||
        *samples > S_MAX_SAMPLES)
        return wren_ctx_fail(ctx, "BadInput", "%s: samples must be an integer in [%lld, %lld]", who,
                             (long long)min_samples, (long long)S_MAX_SAMPLES);
    if (wren_arg_int(args, "seed", seed, 0) != WREN_OK || wren_arg_int(args, "stream", stream, 0) != WREN_OK)
        return wren_ctx_fail(ctx, "BadInput", "%s: seed and stream must be integers", who);
    return WREN_OK;
}

int wren__k_montecarlo_pi(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    int64_t samples, seed, stream;
    int rc = s_seed_args(args, &samples, &seed, &stream, ctx, "montecarlo_pi", 1);
    if (rc != WREN_OK)
        return rc;
    wren_rng rng;
    wren__rng_seed(&rng, (uint64_t)seed, (uint64_t)stream);
    int64_t hits = 0;
    for (int64_t i = 0; i < samples; i++) {
        double x = wren__rng_uniform(&rng), y = wren__rng_uniform(&rng);
        hits += x * x + y * y < 1.0;
    }
    double p = (double)hits / (double)samples;
    double estimate = 4.0 * p;
    double stderr_ = 4.0 * sqrt(p * (1.0 - p) / (double)samples);
    wren_ctx_add_flops(ctx, 3.0 * (double)samples);
    int bad = msgpack_pack_map(out, 6);
    bad |= msgpack_pack_str_with_body(out, "estimate", 8) | msgpack_pack_double(out, estimate);
    bad |= msgpack_pack_str_with_body(out, "stderr", 6) | msgpack_pack_double(out, stderr_);
    bad |= msgpack_pack_str_with_body(out, "hits", 4) | msgpack_pack_int64(out, hits);
    bad |= msgpack_pack_str_with_body(out, "samples", 7) | msgpack_pack_int64(out, samples);
    bad |= msgpack_pack_str_with_body(out, "seed", 4) | msgpack_pack_int64(out, seed);
    bad |= msgpack_pack_str_with_body(out, "stream", 6) | msgpack_pack_int64(out, stream);
    return bad ? WREN_ENOMEM : WREN_OK;
}

static double s_norm_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

double wren__black_scholes(double s0, double k, double r, double sigma, double t, int call)
{
    double sq = sigma * sqrt(t);
    double d1 = (log(s0 / k) + (r + 0.5 * sigma * sigma) * t) / sq;
    double d2 = d1 - sq;
    double disc = exp(-r * t);
    if (call)
        return s0 * s_norm_cdf(d1) - k * disc * s_norm_cdf(d2);
    return k * disc * s_norm_cdf(-d2) - s0 * s_norm_cdf(-d1);
}

int wren__k_black_scholes_mc(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    int64_t samples, seed, stream;
    int rc = s_seed_args(args, &samples, &seed, &stream, ctx, "black_scholes_mc", 2);
    if (rc != WREN_OK)
        return rc;
    double s0, k, r, sigma, t;
    if (wren_arg_double(args, "s0", &s0, 100) != WREN_OK || wren_arg_double(args, "k", &k, 100) != WREN_OK ||
        wren_arg_double(args, "r", &r, 0.05) != WREN_OK || wren_arg_double(args, "sigma", &sigma, 0.2) != WREN_OK ||
        wren_arg_double(args, "t", &t, 1.0) != WREN_OK)
        return wren_ctx_fail(ctx, "BadInput", "black_scholes_mc: s0, k, r, sigma and t must be numbers");
    if (!(s0 > 0) || !(k > 0) || !(sigma > 0) || !(t > 0) || !isfinite(s0) || !isfinite(k) || !isfinite(r) ||
        !isfinite(sigma) || !isfinite(t))
        return wren_ctx_fail(ctx, "BadInput", "black_scholes_mc: s0, k, sigma and t must be positive and finite");
    int call = 1;
    const msgpack_object *c = wren_arg(args, "call");
    if (c) {
        if (c->type != MSGPACK_OBJECT_BOOLEAN)
            return wren_ctx_fail(ctx, "BadInput", "black_scholes_mc: call must be true or false");
        call = c->via.boolean;
    }

    wren_rng rng;
    wren__rng_seed(&rng, (uint64_t)seed, (uint64_t)stream);
    const double drift = (r - 0.5 * sigma * sigma) * t, vol = sigma * sqrt(t);
    /* Welford's running mean and variance: stable over 1e9 samples. */
    double mean = 0, m2 = 0;
    for (int64_t i = 0; i < samples; i++) {
        double st = s0 * exp(drift + vol * wren__rng_normal(&rng));
        double payoff = call ? (st > k ? st - k : 0) : (k > st ? k - st : 0);
        double delta = payoff - mean;
        mean += delta / (double)(i + 1);
        m2 += delta * (payoff - mean);
    }
    double disc = exp(-r * t);
    double price = disc * mean;
    double se = disc * sqrt(m2 / (double)(samples - 1) / (double)samples);
    wren_ctx_add_flops(ctx, 10.0 * (double)samples);

    int bad = msgpack_pack_map(out, 5);
    bad |= msgpack_pack_str_with_body(out, "price", 5) | msgpack_pack_double(out, price);
    bad |= msgpack_pack_str_with_body(out, "stderr", 6) | msgpack_pack_double(out, se);
    bad |= msgpack_pack_str_with_body(out, "closed_form", 11) |
           msgpack_pack_double(out, wren__black_scholes(s0, k, r, sigma, t, call));
    bad |= msgpack_pack_str_with_body(out, "samples", 7) | msgpack_pack_int64(out, samples);
    bad |= msgpack_pack_str_with_body(out, "call", 4) | (call ? msgpack_pack_true(out) : msgpack_pack_false(out));
    return bad ? WREN_ENOMEM : WREN_OK;
}
