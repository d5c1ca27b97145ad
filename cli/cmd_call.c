/*
 * wren call KERNEL [ARGS_JSON]: one kernel call, JSON in, JSON out. Runs on
 * the embedded local backend unless --endpoint names an Invoke API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_common.h"
#include "render_arrays.h"

static void s_usage(FILE *f)
{
    fprintf(f, "usage: wren call [OPTIONS] KERNEL [ARGS_JSON]\n"
               "\n"
               "Runs one call of KERNEL with ARGS_JSON (any JSON value; default null) converted to\n"
               "msgpack, and prints the result as one line of JSON: numeric arrays as nested lists\n"
               "of numbers (see --arrays), other bins as base64. A failure prints\n"
               "{\"error\": {\"type\": ..., \"message\": ...}} and exits 1.\n"
               "\n"
               "  wren call addone 41               -> 42\n"
               "  wren call solve '{\"a\": [[2, 0], [0, 4]], \"b\": [2, 4]}'   -> {\"x\":[1,1]}\n"
               "  wren call gemm '{\"n\": 256, \"loops\": 2}'\n"
               "\n"
               "%s"
               "%s"
               "  --help               this text\n",
               wren__arrays_help, wren__cli_exec_help);
}

int wren_cmd_call(int argc, char **argv)
{
    wren__cli_exec x;
    memset(&x, 0, sizeof x);
    wren_config_init(&x.cfg);
    x.quiet = 1; /* one call: no bar */
    const char *kernel = NULL, *json = NULL;
    wren__arrays_mode arrays = WREN__ARRAYS_LISTS;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            s_usage(stdout);
            return 0;
        }
        int r = wren__arrays_arg(argc, argv, &i, &arrays);
        if (r == 0)
            r = wren__cli_exec_arg(argc, argv, &i, &x);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "wren call: unknown option '%s'\n", argv[i]);
            return 2;
        }
        if (!kernel)
            kernel = argv[i];
        else if (!json)
            json = argv[i];
        else {
            fprintf(stderr, "wren call: too many arguments\n");
            return 2;
        }
    }
    if (!kernel) {
        s_usage(stderr);
        return 2;
    }
    wren_args *args = wren_args_new();
    if (!args)
        return 1;
    if (json && wren_args_json(args, json, strlen(json)) != WREN_OK) {
        fprintf(stderr, "wren call: ARGS_JSON is not JSON: %s\n", json);
        wren_args_destroy(args);
        return 2;
    }
    wren_executor *ex = NULL;
    int rc = wren__cli_exec_start(&x, "call", &ex);
    if (rc) {
        wren_args_destroy(args);
        return rc;
    }
    wren__cli_catch_signals(ex);
    wren_future *f = NULL;
    int st = wren_call_async(ex, kernel, json ? args : NULL, &f);
    if (st == WREN_OK)
        st = wren_future_result(f, -1, NULL) == WREN_ECANCELLED && wren__cli_signal() ? WREN_ECANCELLED : WREN_OK;
    if (wren__cli_signal()) {
        fprintf(stderr, "wren call: interrupted by signal %d; stopping the workers\n", wren__cli_signal());
        rc = 128 + wren__cli_signal();
    } else if (st != WREN_OK) {
        fprintf(stderr, "wren call: %s\n", wren_executor_errmsg(ex)[0] ? wren_executor_errmsg(ex) : wren_strerror(st));
        rc = st == WREN_EINVAL ? 2 : 1;
    } else {
        rc = wren__cli_print_outcome_with(stdout, f, wren__render_print_as, &arrays);
        if (rc)
            fprintf(stderr, "wren call: %s: %s\n", wren_future_error_type(f), wren_future_error_message(f));
    }
    wren__cli_exec_end(&x, ex, "call");
    wren_executor_destroy(ex);
    wren_args_destroy(args);
    return rc;
}
