/*
 * wren/wren.h: the SDK. Map C kernels over many workers and collect futures.
 *
 *     wren_executor *ex = NULL;
 *     wren_executor_new(NULL, &ex);               // embedded local default
 *     wren_args *args[10];
 *     for (int i = 0; i < 10; i++) {
 *         args[i] = wren_args_new();
 *         wren_args_int(args[i], i);
 *     }
 *     wren_future *fs[10];
 *     wren_map(ex, "addone", (const wren_args *const *)args, 10, fs);
 *     wren_wait(ex, fs, 10, WREN_ALL_COMPLETED, -1, NULL);
 *     const msgpack_object *r;
 *     if (wren_future_result(fs[0], 0, &r) == WREN_OK) ... r->via.i64 ...
 *     wren_executor_destroy(ex);                 // frees every future too
 *
 * The embedded local default (a NULL config, or backend WREN_BACKEND_LOCAL
 * with no invoke_url) starts the local Lambda emulator inside this process on
 * an ephemeral 127.0.0.1 port, running real `bootstrap` workers, and a file
 * store in a fresh temporary directory ($TMPDIR if absolute, else /dev/shm
 * when usable, else /tmp). Destroying the executor stops every worker and removes that
 * directory; keep_data keeps the job in a lasting store instead.
 *
 * The bootstrap the local default runs is, in order: $WREN_BOOTSTRAP (when
 * set it must be executable; nothing else is tried then); a file
 * named `bootstrap` next to the running executable (/proc/self/exe); the path
 * compiled in by CMake (${CMAKE_BINARY_DIR}/bin/bootstrap).
 *
 * Threads: an executor and its futures are used from one thread at a time.
 * Nothing runs in the background: wren_map submits, and wren_wait (or
 * wren_future_result) polls the store and re-invokes failed calls.
 */
#ifndef WREN_WREN_H
#define WREN_WREN_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "wren/kernel.h"
#include "wren/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- arguments: msgpack built from C ----------------------------------------
 * A wren_args holds one msgpack value. Build it with the calls below (they
 * append in msgpack order: a map of 2 is followed by key, value, key, value).
 * Errors are sticky: after the first failure every call does nothing, and
 * wren_args_status() (and wren_map) report it once. */

typedef struct wren_args wren_args;

wren_args *wren_args_new(void);               /* NULL on out of memory */
void wren_args_destroy(wren_args *a);         /* NULL-safe */
int wren_args_status(const wren_args *a);     /* WREN_OK or the first failure */
void wren_args_reset(wren_args *a);           /* empty again, error cleared */

void wren_args_nil(wren_args *a);
void wren_args_bool(wren_args *a, int v);
void wren_args_int(wren_args *a, int64_t v);
void wren_args_double(wren_args *a, double v);
void wren_args_str(wren_args *a, const char *s);            /* NUL-terminated; copied */
void wren_args_strn(wren_args *a, const char *s, size_t len);
void wren_args_bin(wren_args *a, const void *data, size_t len);
void wren_args_map(wren_args *a, uint32_t n_pairs);         /* then n_pairs keys and values */
void wren_args_array(wren_args *a, uint32_t n);             /* then n values */
/* A numeric array {dtype, shape, data} (see wren/kernel.h); data is host order,
 * prod(shape) elements; copied. */
void wren_args_ndarray(wren_args *a, wren_dtype dtype, int ndim, const uint64_t *shape, const void *data);
/* Converts JSON text (one value) to msgpack: integers stay integers, reals
 * become float64. WREN_EBADINPUT if it is not JSON. */
int wren_args_json(wren_args *a, const char *json_text, size_t len);
/* The packer, to use msgpack-c directly (msgpack_pack_*); owned by `a`. */
msgpack_packer *wren_args_packer(wren_args *a);
/* The bytes so far; valid until the next append or destroy. */
const char *wren_args_data(const wren_args *a, size_t *size_bytes);

/* ---- executor ------------------------------------------------------------ */

typedef enum wren_backend {
    WREN_BACKEND_LOCAL = 0, /* the embedded emulator, or invoke_url if set */
    WREN_BACKEND_AWS = 1    /* AWS Lambda + S3 (docs/aws.md); also chosen by WREN_BACKEND=aws */
} wren_backend;

/* Called from wren_wait / wren_future_result whenever counts change. */
typedef struct wren_progress {
    size_t submitted; /* calls made (each counted once, retries not) */
    size_t done;      /* calls with a result */
    size_t failed;    /* calls with an error (cancelled ones included) */
    size_t retried;   /* re-invocations so far */
    double elapsed_s; /* since the executor's first call */
} wren_progress;
typedef void (*wren_progress_fn)(const wren_progress *p, void *user);

/* Zero means the default everywhere; fill with wren_config_init() first.
 * Every string is copied by wren_executor_new. */
typedef struct wren_config {
    wren_backend backend;
    const char *function_name;    /* Lambda function; NULL: "wren" (AWS: $WREN_FUNCTION, else "wren") */
    const char *store_url;        /* "file:///dir" or "s3://b/p"; NULL: fresh temp dir (kept if keep_data:
                                     then $WREN_STORE, else $XDG_CACHE_HOME/wren/store, else
                                     ~/.cache/wren/store) */
    const char *invoke_url;       /* Invoke API base, e.g. "http://127.0.0.1:9000"; NULL local: embedded */
    const char *bootstrap_path;   /* local: the worker executable; NULL: the rule at the top */
    const char *handler;          /* local: _HANDLER for the workers (a .so of user kernels); NULL: "wren" */
    const char *task_root;        /* local: LAMBDA_TASK_ROOT; NULL: the bootstrap's directory */
    const char *job_id;           /* safe id; NULL: a random "j-" id */
    int concurrency;              /* local worker processes; 0: the core count */
    double timeout_s;             /* function timeout; 0: 60 */
    double deadline_slack_s;      /* added to timeout_s for the client deadline; 0: 10 */
    int retries;                  /* re-invocations of a call that crashed/timed out/hit a store error;
                                     < 0: none; 0: default 0. Deterministic errors are never retried. */
    int memory_mb;                /* 0: 1769 */
    size_t inline_threshold_bytes;/* args up to this travel in the event; 0: 256 KiB; at most 700 KiB (an
                                     Event payload is at most 1 MB); larger go to JOB/CALL/in */
    int max_in_flight;            /* invoke requests in flight at once; 0: 64, or 16 to the embedded
                                     emulator (its CPU per invoke grows with open connections) */
    int keep_data;                /* keep the store's job data (and a default store dir) after destroy */
    int quiet;                    /* local: no START/END/REPORT lines in the worker log */
    const char *log_path;         /* local: worker logs; NULL: a file in the executor's temp dir */
    wren_progress_fn progress;
    void *progress_user;
    /* Stragglers (docs/sdk.md): when a call has run longer than
     * speculate_factor x the median worker duration of finished calls of the
     * same map, a backup invocation (the next attempt) is launched; the first
     * outcome wins. 0: off. Only once at least speculate_min_done (a fraction,
     * 0: 0.5) of that map's calls have finished, and one backup per call. */
    double speculate_factor;
    double speculate_min_done;
} wren_config;

void wren_config_init(wren_config *cfg);

typedef struct wren_executor wren_executor;

/* Makes an executor; cfg NULL means the embedded local default. On failure
 * *out is NULL and wren_last_error() says why. */
int wren_executor_new(const wren_config *cfg, wren_executor **out);
/* Stops the embedded emulator (every worker process), frees every future,
 * removes the temporary store unless keep_data. When keep_data, first writes
 * JOB/manifest (every call's kernel and outcome) so `wren results/plot JOB`
 * can read the job later. NULL-safe. */
void wren_executor_destroy(wren_executor *ex);

/* Async-signal-safe: makes wren_map stop submitting and wren_wait /
 * wren_future_result return WREN_ECANCELLED at once (futures stay as they
 * are), so a signal handler can let the program destroy the executor and
 * leave nothing behind. */
void wren_executor_interrupt(wren_executor *ex);

const char *wren_executor_job(const wren_executor *ex);       /* the job id */
const char *wren_executor_store_url(const wren_executor *ex); /* where the job's data lives */
const char *wren_executor_invoke_url(const wren_executor *ex);
/* Detail of the last failure on this executor (or of wren_executor_new). */
const char *wren_executor_errmsg(const wren_executor *ex);
const char *wren_last_error(void);

/* ---- calls --------------------------------------------------------------- */

/* A future belongs to its executor and is freed with it. */
typedef struct wren_future wren_future;

/* Starts n calls of `kernel`, one per args[i] (NULL entries pass nil), and
 * stores a future for each in futures[0..n). The args are copied; the caller
 * keeps them. Returns once every invoke was accepted or failed (a failed
 * invoke fails that future, not the map). WREN_EINVAL for a bad kernel name,
 * an args error for a bad args object (then no call is made). */
int wren_map(wren_executor *ex, const char *kernel, const wren_args *const *args, size_t n, wren_future **futures);
/* Like wren_map over raw msgpack bytes: args[i] holds sizes[i] bytes. */
int wren_map_bytes(wren_executor *ex, const char *kernel, const char *const *args, const size_t *sizes, size_t n,
                   wren_future **futures);
/* One call. */
int wren_call_async(wren_executor *ex, const char *kernel, const wren_args *args, wren_future **out);

/* Maps `kernel` over args, then runs `reducer` as one more worker invocation
 * whose argument is the map {"results": [r0, r1, ...], "extra": reduce_args or nil}.
 * The reducer is invoked as soon as the last map call succeeds (it is started
 * from within wren_wait/wren_future_result); if any map call fails, the
 * reduce future fails with that call's error type and a message naming it.
 * futures (n of them) may be NULL if the caller does not want them. */
int wren_map_reduce(wren_executor *ex, const char *kernel, const wren_args *const *args, size_t n,
                    const char *reducer, const wren_args *reduce_args, wren_future **futures,
                    wren_future **reduce_out);

/* ---- waiting ------------------------------------------------------------- */

typedef enum wren_wait_mode {
    WREN_ALL_COMPLETED, /* return when every future is finished */
    WREN_ANY_COMPLETED, /* return when at least one is finished */
    WREN_ALWAYS         /* poll once and return */
} wren_wait_mode;

/* Waits on futures from one executor (from any number of maps). timeout_ms
 * < 0 waits without a limit, which always ends: every call has a deadline.
 * Returns WREN_OK when the mode is satisfied (always for WREN_ALWAYS) and
 * WREN_ETIMEDOUT when timeout_ms passed first; *n_done (if not NULL) gets
 * how many of the futures are finished either way. */
int wren_wait(wren_executor *ex, wren_future *const *futures, size_t n, wren_wait_mode mode, int64_t timeout_ms,
              size_t *n_done);

/* ---- futures ------------------------------------------------------------- */

typedef enum wren_future_state {
    WREN_FUTURE_PENDING,   /* submitted, no outcome yet */
    WREN_FUTURE_DONE,      /* has a result */
    WREN_FUTURE_FAILED,    /* has an error */
    WREN_FUTURE_CANCELLED  /* cancelled by the caller */
} wren_future_state;

wren_future_state wren_future_state_of(const wren_future *f);
int wren_future_finished(const wren_future *f); /* DONE, FAILED or CANCELLED */

/* Waits up to timeout_ms (< 0: until the call's deadline) for the outcome.
 * WREN_OK: *out points at the result, a view into memory the future owns
 * (valid until the executor is destroyed). Otherwise the call's status:
 * WREN_EKERNEL, WREN_EUNKNOWNKERNEL, WREN_EBADINPUT, WREN_ECRASH,
 * WREN_ETIMEDOUT (deadline passed: type "Wren.Timeout"), WREN_ECANCELLED,
 * WREN_ESTORE, WREN_ETOOBIG, WREN_ETHROTTLED, WREN_EHTTP or another HTTP
 * class of a failed invoke (WREN_EAUTH, WREN_ENOTFOUND, ...: docs/sdk.md);
 * or WREN_ESTATE if timeout_ms passed first (the call is still pending);
 * WREN_EPROTO if a DONE call's result bytes are not one msgpack value (a
 * kept result object truncated or corrupted). */
int wren_future_result(wren_future *f, int64_t timeout_ms, const msgpack_object **out);
/* The raw msgpack result bytes of a DONE future (NULL otherwise). */
const char *wren_future_result_bytes(const wren_future *f, size_t *size_bytes);
/* The result as JSON text (malloc'ed; caller frees); NULL if not DONE. */
char *wren_future_result_json(wren_future *f);

/* The outcome status (WREN_OK for DONE, the error's status otherwise;
 * WREN_ESTATE while pending). */
int wren_future_status(const wren_future *f);
/* Error detail of a FAILED or CANCELLED future; NULL otherwise. Type is the
 * wire's ("Wren.KernelCrash", "Wren.Timeout", ...); log tail may be NULL. */
const char *wren_future_error_type(const wren_future *f);
const char *wren_future_error_message(const wren_future *f);
const char *wren_future_log_tail(const wren_future *f);

const char *wren_future_call_id(const wren_future *f);  /* "00000042" */
const char *wren_future_kernel(const wren_future *f);
int wren_future_attempts(const wren_future *f);          /* invocations made so far */

/* Timestamps (epoch seconds; 0 when unknown) and facts from the status. */
typedef struct wren_timings {
    double t_submit;  /* host: invoke sent */
    double t_start;   /* worker: event received */
    double t_setup;   /* worker: arguments read and decoded */
    double t_kernel;  /* worker: kernel returned */
    double t_written; /* worker: outcome written */
    double t_seen;    /* host: outcome picked up */
    double flops;     /* the kernel's FLOP count */
    int cold;         /* 1 if the worker was cold-started */
} wren_timings;
void wren_future_timings(const wren_future *f, wren_timings *out);

/* Gives up on a call: a pending future becomes CANCELLED (WREN_ECANCELLED)
 * and any late outcome is ignored. The invocation itself may still run (an
 * accepted async Lambda invocation cannot be withdrawn). WREN_ESTATE if the
 * future has already finished. */
int wren_future_cancel(wren_future *f);

/* Reads array `key` of a result map (key NULL: the result itself) as a
 * numeric array view; see wren_array_parse in wren/kernel.h. */
int wren_result_array(const msgpack_object *result, const char *key, wren_array_view *out);

/* Looks a string key up in a result map; NULL if absent or not a map. */
const msgpack_object *wren_result_get(const msgpack_object *map, const char *key);
/* Reads a number (integer or float) at key; WREN_ENOTFOUND / WREN_EBADINPUT. */
int wren_result_double(const msgpack_object *map, const char *key, double *out);
int wren_result_int(const msgpack_object *map, const char *key, int64_t *out);

/* ---- cost (docs/cost.md) ---------------------------------------------------
 * What a job would cost on AWS Lambda + S3. Prices are per unit in US dollars;
 * wren_prices_default gives the public us-east-1 prices stated in docs/cost.md. */

typedef enum wren_arch { WREN_ARCH_X86_64 = 0, WREN_ARCH_ARM64 = 1 } wren_arch;

typedef struct wren_prices {
    double gb_s_usd;     /* per GB-second of billed duration */
    double request_usd;  /* per Lambda invocation */
    double s3_put_usd;   /* per S3 PUT, COPY, POST or LIST request */
    double s3_get_usd;   /* per S3 GET (and other) request */
} wren_prices;
void wren_prices_default(wren_arch arch, wren_prices *out);

typedef struct wren_cost {
    uint64_t requests;      /* Lambda invocations: every attempt, retries and backups included */
    uint64_t billed_ms;     /* sum of the calls' durations (status t_start..t_written), each rounded up to 1 ms */
    uint64_t unmeasured;    /* invocations with no status seen (their duration is not in billed_ms) */
    int memory_mb;
    double gb_s;            /* billed_ms / 1000 x memory_mb / 1024 */
    uint64_t s3_put, s3_get, s3_list; /* SDK and workers together (docs/cost.md says which are estimated) */
    double wall_s;          /* first submit to last outcome written */
    double lambda_usd;      /* requests and GB-seconds */
    double s3_usd;
    double total_usd;
} wren_cost;

/* The cost of every call made so far by this executor at `prices` (NULL: the
 * x86_64 defaults). */
int wren_job_cost(const wren_executor *ex, const wren_prices *prices, wren_cost *out);

/* ---- plots --------------------------------------------------------------- */

/* Writes the timeline of the executor's calls (host submit, worker start,
 * set-up done, kernel done) and GFLOPS over time (effective and in flight)
 * as SVG files. Either path may be NULL. */
int wren_plot_executor(wren_executor *ex, const char *timeline_svg, const char *gflops_svg);

#ifdef __cplusplus
}
#endif
#endif
