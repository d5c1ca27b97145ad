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
               "kernels' GFLOP count. The job must have been kept (wren map --keep / --store).\n"
               "\n"
               "  --store URL   the store holding the job (default: $WREN_STORE, else\n"
               "                file://~/.cache/wren/store)\n"
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
    char buf[4200];
    if (!store && !(store = wren__cli_default_store(buf, sizeof buf))) {
        fprintf(stderr, "wren status: no store: pass --store URL\n");
        return 2;
    }
    wren__job *j = NULL;
    char err[512];
    if (wren__job_load(store, job, 0, &j, err, sizeof err) != WREN_OK) {
        fprintf(stderr, "wren status: %s\n", err);
        return 1;
    }
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
    if (as_json) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:O, s:f, s:f, s:f, s:I}", "job", job, "store", store,
                              "calls", (json_int_t)j->n_calls, "done", (json_int_t)done, "failed", (json_int_t)failed,
                              "cancelled", (json_int_t)cancelled, "pending", (json_int_t)pending, "errors", types,
                              "wall_s", wall, "worker_s", busy, "gflop", flops / 1e9, "cold_starts", (json_int_t)cold);
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
    }
    json_decref(types);
    wren__job_destroy(j);
    return failed || pending ? 1 : 0;
}
