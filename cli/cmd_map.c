/*
 * wren map KERNEL --args FILE.jsonl: one call per line of JSON, results as
 * JSON lines in the same order. Runs on the embedded local backend unless
 * --endpoint names an Invoke API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_common.h"
#include "render_arrays.h"

static void s_usage(FILE *f)
{
    fprintf(f, "usage: wren map [OPTIONS] KERNEL --args FILE.jsonl\n"
               "\n"
               "Calls KERNEL once per non-blank line of FILE.jsonl ('-' for stdin), each line a\n"
               "JSON value for the arguments, all at once, and prints one JSON line per call in\n"
               "the order of the input: the result, or {\"error\": {\"type\": ..., \"message\": ...}}.\n"
               "Exits 1 if any call failed. A progress bar shows on stderr when it is a terminal.\n"
               "Numeric arrays in results print as nested lists of numbers (see --arrays).\n"
               "Keep the job (--keep or --store) to look at it later with wren status/results/plot.\n"
               "\n"
               "  --args FILE          the JSON-lines file (required)\n"
               "%s"
               "%s"
               "  --help               this text\n",
               wren__arrays_help, wren__cli_exec_help);
}

static int s_read_lines(const char *path, wren_args ***out, size_t *n_out)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) {
        fprintf(stderr, "wren map: cannot open %s\n", path);
        return 1;
    }
    wren_args **v = NULL;
    size_t n = 0, cap = 0, lineno = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        size_t k = 0;
        while (k < (size_t)len && (line[k] == ' ' || line[k] == '\t' || line[k] == '\n' || line[k] == '\r'))
            k++;
        if (k == (size_t)len)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            wren_args **p = realloc(v, cap * sizeof *p);
            if (!p) {
                rc = 1;
                break;
            }
            v = p;
        }
        v[n] = wren_args_new();
        if (!v[n] || wren_args_json(v[n], line, (size_t)len) != WREN_OK) {
            fprintf(stderr, "wren map: %s line %zu is not JSON\n", path, lineno);
            wren_args_destroy(v[n]);
            rc = 2;
            break;
        }
        n++;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    if (rc) {
        for (size_t i = 0; i < n; i++)
            wren_args_destroy(v[i]);
        free(v);
        return rc;
    }
    *out = v;
    *n_out = n;
    return 0;
}

int wren_cmd_map(int argc, char **argv)
{
    wren__cli_exec x;
    memset(&x, 0, sizeof x);
    wren_config_init(&x.cfg);
    const char *kernel = NULL, *path = NULL;
    wren__arrays_mode arrays = WREN__ARRAYS_LISTS;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            s_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--args")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "wren map: --args needs a file\n");
                return 2;
            }
            path = argv[++i];
            continue;
        }
        int r = wren__arrays_arg(argc, argv, &i, &arrays);
        if (r == 0)
            r = wren__cli_exec_arg(argc, argv, &i, &x);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if ((argv[i][0] == '-' && argv[i][1] == '-') || kernel) {
            fprintf(stderr, "wren map: unexpected '%s'\n", argv[i]);
            return 2;
        }
        kernel = argv[i];
    }
    if (!kernel || !path) {
        s_usage(stderr);
        return 2;
    }
    wren_args **args = NULL;
    size_t n = 0;
    int rc = s_read_lines(path, &args, &n);
    if (rc)
        return rc;
    wren_executor *ex = NULL;
    wren_future **fs = calloc(n ? n : 1, sizeof *fs);
    if (!fs) {
        rc = 1;
        goto cleanup;
    }
    x.total = n;
    if ((rc = wren__cli_exec_start(&x, "map", &ex)) != 0)
        goto cleanup;
    wren__cli_catch_signals(ex);
    int st = wren_map(ex, kernel, (const wren_args *const *)args, n, fs);
    if (st == WREN_OK)
        st = wren_wait(ex, fs, n, WREN_ALL_COMPLETED, -1, NULL);
    if (wren__cli_signal()) {
        wren__cli_exec_end(&x, NULL, "map");
        fprintf(stderr, "wren map: interrupted by signal %d; stopping the workers\n", wren__cli_signal());
        rc = 128 + wren__cli_signal();
        goto cleanup;
    }
    if (st != WREN_OK) {
        fprintf(stderr, "wren map: %s\n", wren_executor_errmsg(ex)[0] ? wren_executor_errmsg(ex) : wren_strerror(st));
        rc = st == WREN_EINVAL ? 2 : 1;
        goto cleanup;
    }
    size_t failed = 0;
    for (size_t i = 0; i < n; i++)
        failed += (size_t)wren__cli_print_outcome_with(stdout, fs[i], wren__render_print_as, &arrays);
    fflush(stdout);
    wren__cli_exec_end(&x, ex, "map");
    if (failed)
        fprintf(stderr, "wren map: %zu of %zu calls failed\n", failed, n);
    rc = failed ? 1 : 0;
cleanup:
    wren_executor_destroy(ex);
    for (size_t i = 0; i < n; i++)
        wren_args_destroy(args[i]);
    free(args);
    free(fs);
    return rc;
}
