/*
 * What a job would cost on AWS Lambda + S3: requests, billed GB-seconds and
 * S3 requests, priced (docs/cost.md). The executor (wren_job_cost) and
 * `wren status JOB` both fill wren__cost_call rows and call
 * wren__cost_compute, so the arithmetic lives in one place.
 */
#include <math.h>
#include <string.h>

#include "sdk_internal.h"

void wren_prices_default(wren_arch arch, wren_prices *out)
{
    /* us-east-1 public prices as published in 2024-2025 (docs/cost.md). */
    out->gb_s_usd = arch == WREN_ARCH_ARM64 ? 0.0000133334 : 0.0000166667;
    out->request_usd = 0.20 / 1e6;
    out->s3_put_usd = 0.005 / 1000;
    out->s3_get_usd = 0.0004 / 1000;
}

/* Lambda bills duration per 1 ms, rounded up, at least 1 ms. Timestamps are
 * epoch seconds in doubles (about 0.2 us apart at today's epoch), so a
 * duration within 1 us above a whole millisecond counts as that millisecond
 * rather than the next. */
uint64_t wren__billed_ms(double t_start, double t_written)
{
    if (!(t_start > 0) || !(t_written >= t_start))
        return 0;
    double ms = ceil((t_written - t_start) * 1000.0 - 1e-3);
    return ms < 1 ? 1 : (uint64_t)ms;
}

void wren__cost_compute(const wren__cost_call *calls, size_t n, int memory_mb, const wren__s3_counts *sdk,
                        const wren_prices *prices, wren_cost *out)
{
    wren_prices dflt;
    if (!prices) {
        wren_prices_default(WREN_ARCH_X86_64, &dflt);
        prices = &dflt;
    }
    memset(out, 0, sizeof *out);
    out->memory_mb = memory_mb > 0 ? memory_mb : 1769;
    double t0 = INFINITY, t1 = 0;
    uint64_t sdk_put = 0, sdk_get = 0;
    for (size_t i = 0; i < n; i++) {
        const wren__cost_call *c = &calls[i];
        uint64_t inv = c->invocations > 0 ? (uint64_t)c->invocations : 0;
        int measured = c->t_start > 0 && c->t_written >= c->t_start;
        out->requests += inv;
        if (measured) {
            out->billed_ms += wren__billed_ms(c->t_start, c->t_written);
            out->unmeasured += inv > 0 ? inv - 1 : 0;
        } else {
            out->unmeasured += inv;
        }
        /* Workers: every invocation writes its status (and the result when
         * it is over 64 KiB) and reads arguments kept in the store. */
        out->s3_put += inv * (1 + (c->out_store ? 1u : 0u));
        out->s3_get += inv * (c->in_store ? 1u : 0u);
        /* The SDK, when it did not count itself: one PUT per stored argument,
         * one GET per status read and per stored result. */
        sdk_put += c->in_store ? 1u : 0u;
        sdk_get += (measured ? 1u : 0u) + (measured && c->out_store ? 1u : 0u);
        if (c->t_submit > 0 && c->t_submit < t0)
            t0 = c->t_submit;
        if (c->t_written > t1)
            t1 = c->t_written;
    }
    if (sdk) {
        out->s3_put += sdk->put;
        out->s3_get += sdk->get;
        out->s3_list += sdk->list;
    } else {
        /* At least one LIST per 1,000 call ids (a lower bound: polling
         * lists again every round). */
        out->s3_put += sdk_put;
        out->s3_get += sdk_get;
        out->s3_list += (n + 999) / 1000;
    }
    out->wall_s = isfinite(t0) && t1 > t0 ? t1 - t0 : 0;
    out->gb_s = (double)out->billed_ms / 1000.0 * (double)out->memory_mb / 1024.0;
    out->lambda_usd = (double)out->requests * prices->request_usd + out->gb_s * prices->gb_s_usd;
    out->s3_usd = (double)(out->s3_put + out->s3_list) * prices->s3_put_usd + (double)out->s3_get * prices->s3_get_usd;
    out->total_usd = out->lambda_usd + out->s3_usd;
}
