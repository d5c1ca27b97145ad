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

/* ---- cost (sdk/cost.c) ------------------------------------------------------ */

typedef struct wren__cost_call {
    double t_submit;        /* host submit (0: unknown) */
    double t_start, t_written; /* of the status seen; 0: none */
    int invocations;        /* attempts made (retries and backups included) */
    int in_store;           /* the arguments were at JOB/CALL/in */
    int out_store;          /* the result was at JOB/CALL/out */
} wren__cost_call;

typedef struct wren__s3_counts {
    uint64_t put, get, list;
} wren__s3_counts;

/* Billed milliseconds of one invocation (0 when the times are unknown). */
uint64_t wren__billed_ms(double t_start, double t_written);
/* sdk: the SDK's own S3 requests as counted; NULL: estimated from the calls. */
void wren__cost_compute(const wren__cost_call *calls, size_t n, int memory_mb, const wren__s3_counts *sdk,
                        const wren_prices *prices, wren_cost *out);

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
    int attempt;     /* the attempt whose status is shown */
    int attempt_max; /* the highest attempt with a status; -1: none */
    int attempts;    /* invocations made, from the manifest; 0: unknown */
    int in_store;  /* JOB/CALL/in exists */
    int out_store; /* the status shown names an out object */
    int shown;     /* which status is shown: 0 none yet, S_SHOWN_FAILURE, S_SHOWN_SUCCESS (job.c) */
} wren__job_call;

typedef struct wren__job {
    char *job;
    wren__job_call *calls; /* in call order */
    size_t n_calls;
    int has_manifest;
    int memory_mb;          /* from the manifest; 0: unknown */
    int has_sdk_s3;         /* the manifest counted the SDK's S3 requests */
    wren__s3_counts sdk_s3;
} wren__job;

/* Reads JOB's manifest (if any) and every status object under JOB/ in the
 * store at store_url; with load_results, also each result's bytes. */
int wren__job_load(const char *store_url, const char *job, int load_results, wren__job **out, char *err,
                   size_t err_size);
void wren__job_destroy(wren__job *job);

/* ---- stragglers (sdk/straggler.c) ------------------------------------------- */

typedef struct wren__spec_call {
    double done_s;    /* a finished call: invoke to outcome seen, seconds; < 0: not finished */
    double running_s; /* a pending call that may get a backup: since its invoke; < 0: not eligible */
} wren__spec_call;

/* Median of v[0..n) (sorts v); 0 when n is 0. */
double wren__median(double *v, size_t n);
/* Sets want[i] (1/0) for the calls of one map running longer than factor x
 * the median of its finished calls, once at least min_done (a fraction; 0 or
 * out of (0, 1]: 0.5) of them finished. Returns how many were picked. */
size_t wren__stragglers(const wren__spec_call *c, size_t n, double factor, double min_done, unsigned char *want);

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

/* The executor's polling so far (for tests and WREN_LOG=debug): rounds,
 * LISTs, status GETs. Any pointer may be NULL. */
void wren__executor_poll_counts(const wren_executor *ex, uint64_t *rounds, uint64_t *lists, uint64_t *gets);

#ifdef __cplusplus
}
#endif
#endif
