/* wren status JOB: a kept job's progress, errors and timings. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_common.h"

static void s_usage(FILE *f)
{
    fprintf(f, "usage: wren status [--store URL] [--json] JOB\n"
               "\n"
               "Shows how many of JOB's calls are done, failed (by error type) and pending, the\n"
               "job's wall time (first submit to last result), worker time, cold starts and the\n"
               "kernels' GFLOP count, and what the job would cost on AWS Lambda + S3 at the\n"
               "public x86_64 and arm64 prices (docs/cost.md). The job must have been kept\n"
               "(wren map --keep / --store). Exits 1 if any call failed or is pending.\n"
               "\n"
               "  --store URL   the store holding the job (default: $WREN_STORE, else\n"
               "                file://$XDG_CACHE_HOME/wren/store, else file://~/.cache/wren/store)\n"
               "  --json        one JSON object instead of text\n"
               "  --help        this text\n");
}

int wren_cmd_status(int argc, char **argv)
{
    const char *store = NULL, *job = NULL;
    int as_json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            s_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--json")) {
            as_json = 1;
            continue;
        }
        int r = wren__cli_store_arg(argc, argv, &i, &store);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (argv[i][0] == '-' || job) {
            fprintf(stderr, "wren status: unexpected '%s'\n", argv[i]);
            return 2;
        }
        job = argv[i];
    }
    if (!job) {
        s_usage(stderr);
        return 2;
    }
    wren__job *j = NULL;
    char store_buf[4200];
    int rc = wren__cli_load_job("status", &store, store_buf, sizeof store_buf, job, 0, &j);
    if (rc != 0)
        return rc;
    size_t done = 0, failed = 0, cancelled = 0, pending = 0, cold = 0;
    double t0 = INFINITY, t1 = 0, busy = 0, flops = 0;
    json_t *types = json_object();
    for (size_t i = 0; i < j->n_calls; i++) {
        wren__job_call *c = &j->calls[i];
        switch (c->state) {
        case WREN_FUTURE_DONE:
            done++;
            break;
        case WREN_FUTURE_FAILED:
            failed++;
            break;
        case WREN_FUTURE_CANCELLED:
            cancelled++;
            break;
        default:
            pending++;
        }
        if (c->error_type) {
            json_t *n = json_object_get(types, c->error_type);
            json_object_set_new(types, c->error_type, json_integer(n ? json_integer_value(n) + 1 : 1));
        }
        if (c->tm.t_submit > 0 && c->tm.t_submit < t0)
            t0 = c->tm.t_submit;
        if (c->tm.t_written > t1)
            t1 = c->tm.t_written;
        if (c->tm.t_written > c->tm.t_start && c->tm.t_start > 0)
            busy += c->tm.t_written - c->tm.t_start;
        flops += c->tm.flops;
        cold += (size_t)c->tm.cold;
    }
    double wall = isfinite(t0) && t1 > t0 ? t1 - t0 : 0;
    /* The cost: invocations from the manifest (else 1 + the highest attempt
     * with a status), durations from the status objects. */
    wren__cost_call *cc = calloc(j->n_calls ? j->n_calls : 1, sizeof *cc);
    if (!cc) {
        json_decref(types);
        wren__job_destroy(j);
        fprintf(stderr, "wren status: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < j->n_calls; i++) {
        wren__job_call *c = &j->calls[i];
        int seen = c->tm.t_start > 0;
        cc[i] = (wren__cost_call){c->tm.t_submit, c->tm.t_start, c->tm.t_written,
                                  c->attempts > 0 ? c->attempts : seen ? c->attempt_max + 1 : 0, c->in_store, c->out_store};
    }
    wren_prices px86, parm;
    wren_prices_default(WREN_ARCH_X86_64, &px86);
    wren_prices_default(WREN_ARCH_ARM64, &parm);
    wren_cost cx86, carm;
    wren__cost_compute(cc, j->n_calls, j->memory_mb, j->has_sdk_s3 ? &j->sdk_s3 : NULL, &px86, &cx86);
    wren__cost_compute(cc, j->n_calls, j->memory_mb, j->has_sdk_s3 ? &j->sdk_s3 : NULL, &parm, &carm);
    free(cc);
    if (as_json) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:O, s:f, s:f, s:f, s:I}", "job", job, "store", store,
                              "calls", (json_int_t)j->n_calls, "done", (json_int_t)done, "failed", (json_int_t)failed,
                              "cancelled", (json_int_t)cancelled, "pending", (json_int_t)pending, "errors", types,
                              "wall_s", wall, "worker_s", busy, "gflop", flops / 1e9, "cold_starts", (json_int_t)cold);
        json_t *cost = json_pack("{s:I, s:I, s:I, s:i, s:f, s:I, s:I, s:I, s:b, s:f, s:f, s:f, s:f, s:f, s:f}",
                                 "requests", (json_int_t)cx86.requests, "billed_ms", (json_int_t)cx86.billed_ms,
                                 "unmeasured", (json_int_t)cx86.unmeasured, "memory_mb", cx86.memory_mb, "gb_s",
                                 cx86.gb_s, "s3_put", (json_int_t)cx86.s3_put, "s3_get", (json_int_t)cx86.s3_get,
                                 "s3_list", (json_int_t)cx86.s3_list, "s3_counted", j->has_sdk_s3, "x86_64_usd",
                                 cx86.total_usd, "x86_64_lambda_usd", cx86.lambda_usd, "arm64_usd", carm.total_usd,
                                 "arm64_lambda_usd", carm.lambda_usd, "s3_usd", cx86.s3_usd, "wall_s", wall);
        if (o)
            json_object_set_new(o, "cost", cost);
        else
            json_decref(cost);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        printf("%s\n", s ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        printf("job        %s (%s)\n", job, store);
        printf("calls      %zu: %zu done, %zu failed, %zu cancelled, %zu pending\n", j->n_calls, done, failed,
               cancelled, pending);
        const char *k;
        json_t *v;
        json_object_foreach(types, k, v) printf("  %-24s %lld\n", k, (long long)json_integer_value(v));
        printf("wall       %.3f s (first submit to last result)\n", wall);
        printf("workers    %.3f s busy in total, %zu cold starts\n", busy, cold);
        printf("work       %.3f GFLOP", flops / 1e9);
        if (wall > 0 && flops > 0)
            printf(", %.2f GFLOPS effective", flops / 1e9 / wall);
        printf("\n");
        printf("cost       %llu Lambda requests, %llu ms billed x %d MB = %.6f GB-s", (unsigned long long)cx86.requests,
               (unsigned long long)cx86.billed_ms, cx86.memory_mb, cx86.gb_s);
        if (cx86.unmeasured)
            printf(" (+ unknown duration of %llu earlier attempts without a status)", (unsigned long long)cx86.unmeasured);
        printf("\n           S3: %llu PUT, %llu GET, %llu LIST%s\n", (unsigned long long)cx86.s3_put,
               (unsigned long long)cx86.s3_get, (unsigned long long)cx86.s3_list,
               j->has_sdk_s3 ? "" : " (the SDK's share estimated from the layout)");
        printf("           $%.8f on x86_64, $%.8f on arm64 (Lambda $%.8f / $%.8f, S3 $%.8f), for %.3f s of wall time\n",
               cx86.total_usd, carm.total_usd, cx86.lambda_usd, carm.lambda_usd, cx86.s3_usd, wall);
    }
    json_decref(types);
    wren__job_destroy(j);
    return failed || pending ? 1 : 0;
}
