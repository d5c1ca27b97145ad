/*
 * sdk/sdk_internal.h: pieces shared by the SDK's files and the CLI's job
 * commands (status/results/plot). Not installed.
 */
#ifndef WREN_SDK_INTERNAL_H
#define WREN_SDK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "wren/wren.h"
#include "wren_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the status object a worker writes (docs/wire.md) --------------------- */

typedef struct wren__status {
    int ok;
    int attempt;
    char *kernel;
    char *error_type;    /* NULL when ok */
    char *error_message;
    char *log_tail;
    unsigned char *result; /* decoded result_b64 (NULL if absent) */
    size_t result_len;
    int has_result_b64;
    char *result_key;
    double flops;
    double t_submit, t_start, t_setup, t_kernel, t_written;
    int cold;
    char *instance;
} wren__status;

/* Parses a status object; WREN_EBADINPUT if it is not one (bad JSON, wrong
 * types, both or neither of result_b64/result_key when ok). */
int wren__status_parse(const char *text, size_t len, wren__status *out);
void wren__status_clean_up(wren__status *s);

/* Maps a wire error type to a status code (Wren.KernelCrash -> WREN_ECRASH...). */
int wren__error_status(const char *error_type);
/* True for error types worth another attempt (crash, timeouts, store errors). */
int wren__error_retryable(const char *error_type);

/* ---- jobs read back from a store (for `wren status/results/plot`) ---------- */

typedef struct wren__job_call {
    char call[16];
    char *kernel;
    int state;            /* wren_future_state; PENDING when nothing is known */
    char *error_type;
    char *error_message;
    unsigned char *result; /* msgpack; NULL unless loaded */
    size_t result_len;
    wren_timings tm;
    int attempt;
} wren__job_call;

typedef struct wren__job {
    char *job;
    wren__job_call *calls; /* in call order */
    size_t n_calls;
    int has_manifest;
} wren__job;

/* Reads JOB's manifest (if any) and every status object under JOB/ in the
 * store at store_url; with load_results, also each result's bytes. */
int wren__job_load(const char *store_url, const char *job, int load_results, wren__job **out, char *err,
                   size_t err_size);
void wren__job_destroy(wren__job *job);

/* ---- plots ---------------------------------------------------------------- */

typedef struct wren__plot_call {
    double t_submit, t_start, t_setup, t_kernel, t_done;
    double flops;
    int ok;
} wren__plot_call;

/* Writes an SVG file; WREN_EIO if it cannot, WREN_EINVAL with no usable calls. */
int wren__plot_timeline(const wren__plot_call *calls, size_t n, const char *title, const char *path);
int wren__plot_gflops(const wren__plot_call *calls, size_t n, const char *title, const char *path);

/* ---- small helpers -------------------------------------------------------- */

/* The default store kept between runs: $WREN_STORE (a URL), else
 * file://$XDG_CACHE_HOME/wren/store, else file://$HOME/.cache/wren/store.
 * Writes into buf; WREN_EINVAL when no home is known. */
int wren__default_store_url(char *buf, size_t size);

/* The bootstrap the local default runs: $WREN_BOOTSTRAP, else `bootstrap`
 * beside /proc/self/exe, else the path CMake compiled in. WREN_ENOTFOUND. */
int wren__find_bootstrap(char *out, size_t size);

/* rm -rf of a directory this process made. */
int wren__remove_tree(const char *path);

#ifdef __cplusplus
}
#endif
#endif
