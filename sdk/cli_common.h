/*
 * sdk/cli_common.h: what the `wren` subcommands call/map/status/results/plot
 * share (executor options, progress bar, JSON outcomes). Internal.
 */
#ifndef WREN_SDK_CLI_COMMON_H
#define WREN_SDK_CLI_COMMON_H

#include <stdio.h>

#include "sdk_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wren__cli_exec {
    wren_config cfg; /* strings point into argv */
    int quiet;
    size_t total;    /* calls expected, for the bar */
    int bar_shown;
} wren__cli_exec;

/* The option list for --help. */
extern const char wren__cli_exec_help[];

/* Consumes argv[*i] (and its value) if it is an executor option: 1 if it
 * was, 0 if not, -1 on a bad value (a message is printed). */
int wren__cli_exec_arg(int argc, char **argv, int *i, wren__cli_exec *x);
/* Makes the executor; prints why not and returns the exit status (1, or 2 for usage). */
int wren__cli_exec_start(wren__cli_exec *x, const char *cmd, wren_executor **ex);
/* Ends the progress line and says where a kept job is. */
void wren__cli_exec_end(wren__cli_exec *x, wren_executor *ex, const char *cmd);

/* On SIGINT, SIGTERM or SIGHUP, interrupts ex (wren_executor_interrupt), so
 * the command can destroy it, stopping every worker and removing temporary
 * files, before it exits with 128 + the signal. */
void wren__cli_catch_signals(wren_executor *ex);
int wren__cli_signal(void); /* the signal caught, or 0 */

/* One JSON line: the result, or {"error": {"type", "message"}}. Returns 0
 * for a result, 1 for an error. */
int wren__cli_print_outcome(FILE *out, wren_future *f);
/* The same with the result printed by render(out, result, user), which
 * returns WREN_OK having written one line, or an error having written
 * nothing (then the line is an error, as for a result that is not JSON).
 * render NULL: as wren__cli_print_outcome. */
typedef int (*wren__cli_render_fn)(FILE *out, const msgpack_object *result, void *user);
int wren__cli_print_outcome_with(FILE *out, wren_future *f, wren__cli_render_fn render, void *user);
int wren__cli_print_error(FILE *out, const char *type, const char *message);

/* --store URL for status/results/plot: 1 consumed, 0 not ours, -1 bad. */
int wren__cli_store_arg(int argc, char **argv, int *i, const char **store);
const char *wren__cli_default_store(char *buf, size_t size);

/* Loads a kept job for `wren CMD JOB`: from *store, else from the default
 * store ($WREN_STORE, else the cache dir), whose URL is then written to buf
 * and *store pointed at it. Prints "wren CMD: ..." on failure and returns the
 * exit status (2: no store, 1: not loaded), or 0 with *out set (free it with
 * wren__job_destroy). with_results: also read every result. */
int wren__cli_load_job(const char *cmd, const char **store, char *buf, size_t buf_size, const char *job,
                       int with_results, wren__job **out);

#ifdef __cplusplus
}
#endif
#endif
