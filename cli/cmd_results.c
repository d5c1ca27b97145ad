/* wren results JOB: a kept job's results as JSON lines, in call order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_common.h"
#include "render_arrays.h"

static void s_usage(FILE *f)
{
    fprintf(f, "usage: wren results [--store URL] [--arrays MODE] JOB\n"
               "\n"
               "Prints one JSON line per call of JOB, in call order: the result (msgpack rendered\n"
               "as JSON: numeric arrays as nested lists of numbers, other bins as base64), or\n"
               "{\"error\": {\"type\": ..., \"message\": ...}}, or {\"pending\": true} for a call with\n"
               "no outcome yet. Exits 1 if any call failed or is pending. The job must have been\n"
               "kept (wren map --keep, or --store URL, or an executor with keep_data).\n"
               "\n"
               "  --store URL          the store holding the job (default, where --keep puts jobs:\n"
               "                       $WREN_STORE, else file://$XDG_CACHE_HOME/wren/store, else\n"
               "                       file://~/.cache/wren/store)\n"
               "%s"
               "  --help               this text\n",
               wren__arrays_help);
}

int wren_cmd_results(int argc, char **argv)
{
    const char *store = NULL, *job = NULL;
    wren__arrays_mode arrays = WREN__ARRAYS_LISTS;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            s_usage(stdout);
            return 0;
        }
        int r = wren__arrays_arg(argc, argv, &i, &arrays);
        if (r == 0)
            r = wren__cli_store_arg(argc, argv, &i, &store);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (argv[i][0] == '-' || job) {
            fprintf(stderr, "wren results: unexpected '%s'\n", argv[i]);
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
    int rc = wren__cli_load_job("results", &store, store_buf, sizeof store_buf, job, 1, &j);
    if (rc != 0)
        return rc;
    size_t bad = 0;
    for (size_t i = 0; i < j->n_calls; i++) {
        wren__job_call *c = &j->calls[i];
        if (c->state == WREN_FUTURE_DONE && c->result) {
            msgpack_zone z;
            msgpack_zone_init(&z, 1024);
            msgpack_object o;
            if (wren_msgpack_unpack_one((const char *)c->result, c->result_len, &z, &o) != WREN_OK ||
                wren__render_print(stdout, &o, arrays) != WREN_OK)
                bad += (size_t)wren__cli_print_error(stdout, "Wren.BadResult", "the result is not msgpack");
            msgpack_zone_destroy(&z);
        } else if (c->state == WREN_FUTURE_PENDING) {
            printf("{\"pending\":true}\n");
            bad++;
        } else {
            bad += (size_t)wren__cli_print_error(stdout, c->error_type ? c->error_type : "Wren.Error",
                                                 c->error_message ? c->error_message : "");
        }
    }
    wren__job_destroy(j);
    return bad ? 1 : 0;
}
