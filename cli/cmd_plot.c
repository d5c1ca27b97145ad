/* wren plot JOB: a kept job's timeline and GFLOPS plots as SVG. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_common.h"

static void s_usage(FILE *f)
{
    fprintf(f, "usage: wren plot [--store URL] [--out DIR] JOB\n"
               "\n"
               "Writes two SVG files for JOB and prints their paths:\n"
               "  DIR/JOB-timeline.svg  every call's host submit, worker start, set-up done,\n"
               "                        kernel done and result written\n"
               "  DIR/JOB-gflops.svg    GFLOPS over time, effective and in flight, from the\n"
               "                        kernels' FLOP counts\n"
               "The job must have been kept (wren map --keep / --store, or keep_data).\n"
               "\n"
               "  --store URL   the store holding the job (default: $WREN_STORE, else\n"
               "                file://$XDG_CACHE_HOME/wren/store, else file://~/.cache/wren/store)\n"
               "  --out DIR     where to write (default: the current directory)\n"
               "  --help        this text\n");
}

int wren_cmd_plot(int argc, char **argv)
{
    const char *store = NULL, *job = NULL, *out = ".";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            s_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--out")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "wren plot: --out needs a directory\n");
                return 2;
            }
            out = argv[++i];
            continue;
        }
        int r = wren__cli_store_arg(argc, argv, &i, &store);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (argv[i][0] == '-' || job) {
            fprintf(stderr, "wren plot: unexpected '%s'\n", argv[i]);
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
    int rc = wren__cli_load_job("plot", &store, store_buf, sizeof store_buf, job, 0, &j);
    if (rc != 0)
        return rc;
    wren__plot_call *pc = calloc(j->n_calls ? j->n_calls : 1, sizeof *pc);
    size_t n = 0;
    for (size_t i = 0; pc && i < j->n_calls; i++) {
        const wren_timings *t = &j->calls[i].tm;
        if (t->t_start <= 0)
            continue;
        pc[n++] = (wren__plot_call){t->t_submit, t->t_start, t->t_setup, t->t_kernel,
                                    t->t_written > 0 ? t->t_written : t->t_kernel, t->flops,
                                    j->calls[i].state == WREN_FUTURE_DONE};
    }
    rc = 1;
    if (!n) {
        fprintf(stderr, "wren plot: job %s has no call with worker timings yet\n", job);
        goto cleanup;
    }
    char p1[4200], p2[4200];
    snprintf(p1, sizeof p1, "%s/%s-timeline.svg", out, job);
    snprintf(p2, sizeof p2, "%s/%s-gflops.svg", out, job);
    if (wren__plot_timeline(pc, n, job, p1) != WREN_OK || wren__plot_gflops(pc, n, job, p2) != WREN_OK) {
        fprintf(stderr, "wren plot: cannot write into %s\n", out);
        goto cleanup;
    }
    printf("%s\n%s\n", p1, p2);
    rc = 0;
cleanup:
    free(pc);
    wren__job_destroy(j);
    return rc;
}
