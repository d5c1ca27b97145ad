/*
 * The executor: configuration, the embedded local backend, calls, futures,
 * completion by listing, retries and deadlines.
 *
 * One thread drives everything: wren_map submits invokes and pumps the
 * invoker until each is accepted; wren_wait and wren_future_result run
 * polling rounds (s_poll), each one LIST of JOB/ in the store plus a GET per
 * newly finished call, then deadlines, retries and reducers.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws_backend.h"
#include "invoke.h"
#include "sdk_internal.h"
#include "store.h"
#ifdef WREN_SDK_HAVE_EMULATOR
#include "emulator.h"
#endif

#ifndef WREN_DEFAULT_BOOTSTRAP
#define WREN_DEFAULT_BOOTSTRAP "bootstrap"
#endif

#define S_DEFAULT_INLINE ((size_t)256 * 1024)
#define S_INLINE_MAX ((size_t)700 * 1024)
/* Results are read whole into memory; past this a result object is refused. */
#define S_RESULT_MAX ((size_t)2 << 30)
/* Pending calls are counted per 100 call ids (ids sharing their first 6 of 8
 * digits), so a polling round lists only the stretches of a job that still
 * have pending calls. */
#define S_CHUNK 100
/* A round's LIST walks through up to this many finished stretches between
 * pending ones rather than start another LIST. */
#define S_GAP_CHUNKS 5
/* Rounds between the once-a-second full ones list pending calls from this
 * far behind the highest call seen finished (those in flight). */
#define S_BEHIND_CALLS 2000
#define S_POLL_MIN_MS 1
#define S_POLL_MAX_MS 200
/* Invoke requests in flight to the embedded emulator unless configured:
 * 10,000 trivial tasks, alternating, 3 runs each: emulator CPU per task
 * 139 us with 64, 98 with 16, 96 with 8; tasks/s 2,329 vs 3,063 vs 2,620. */
#define S_LOCAL_IN_FLIGHT 16
/* The interval is at least this many times the CPU of the last round's
 * listing (and at least its wall time). */
#define S_LIST_SHARE 10

struct wren_future {
    wren_executor *ex;
    size_t index;
    char call[16];
    char *kernel;
    wren_future_state state;
    int status;
    int attempt;   /* the latest attempt invoked (0-based) */
    int attempts;  /* invocations made */
    int invoking;  /* an invoke request is queued or in flight */
    int started;   /* invoked at least once (reducers wait for their inputs) */
    char *args_b64;     /* inline arguments, kept for retries */
    int args_in_store;  /* arguments are at JOB/CALL/in */
    uint64_t sent_ns;   /* monotonic time of the latest invoke */
    char *error_type, *error_message, *log_tail;
    wren_timings tm;
    char *result;
    size_t result_len;
    msgpack_zone zone;
    msgpack_object obj;
    int decoded;
    /* map_reduce: the reducer's inputs and extra argument */
    wren_future **deps;
    size_t n_deps;
    char *extra;
    size_t extra_len;
    /* stragglers and cost */
    size_t map_first, map_n; /* the map this call belongs to (map_n 0: a reducer) */
    int backups;             /* speculative attempts launched (not counted against retries) */
    int out_in_store;        /* the result was read from JOB/CALL/out */
    uint64_t seen_ns;        /* monotonic time the outcome was seen */
};

struct wren_executor {
    char job[136];
    char *function;
    char *store_url;
    char *store_json;   /* the store URL as a JSON string, quotes included */
    char *invoke_url;
    char *tmp_dir;      /* made here, removed at destroy */
    wren_store *store;
    void *emulator;     /* wren_emulator *, when embedded */
    wren__invoker *inv;
    wren__aws *aws;     /* the AWS backend's config and signer, else NULL */
    size_t inline_threshold;
    double deadline_s;  /* timeout_s + slack */
    int retries;
    int keep_data;
    int own_store_data; /* the job's objects live in a store the user gave: delete them at destroy */
    wren_progress_fn progress;
    void *progress_user;
    wren_future **calls;
    size_t n_calls, cap_calls;
    uint32_t *chunk_pending; /* pending calls per S_CHUNK call ids, to list only where needed */
    size_t n_done, n_failed, n_retried;
    size_t last_reported;
    double t_first;
    uint64_t last_outcome_ns;
    int poll_ms;
    volatile sig_atomic_t interrupted;
    uint64_t n_rounds, n_lists, list_ns, n_gets; /* for WREN_LOG=debug */
    /* Listings failing since (0: the last round's all succeeded), and why: a
     * call that then times out says the store, not the worker, may be the
     * cause. */
    uint64_t list_failing_since_ns;
    char list_err[200];
    size_t frontier;    /* 1 + the highest call index settled from a status */
    size_t low_pending; /* no call below this index is pending */
    size_t last_got;    /* outcomes found by the last polling round */
    uint64_t last_full_ns; /* when a round last listed every pending stretch */
    int memory_mb;
    double spec_factor, spec_min_done; /* stragglers (sdk/straggler.c); factor 0: off */
    uint64_t last_spec_ns, spec_every_ns;
    size_t n_speculated;
    uint64_t n_puts, n_out_gets; /* the SDK's own S3 requests beyond LISTs and status GETs, for the cost */
    char errmsg[512];
};

static __thread char s_last_error[512];

const char *wren_last_error(void)
{
    return s_last_error;
}

static void s_err(wren_executor *ex, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_err(wren_executor *ex, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ex ? ex->errmsg : s_last_error, ex ? sizeof ex->errmsg : sizeof s_last_error, fmt, ap);
    va_end(ap);
    if (ex)
        snprintf(s_last_error, sizeof s_last_error, "%s", ex->errmsg);
}

void wren_config_init(wren_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
}

/* ---- finding the bootstrap -------------------------------------------------- */

static int s_is_exec(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* $WREN_BOOTSTRAP, then `bootstrap` beside this executable, then the path
 * CMake compiled in. */
int wren__find_bootstrap(char *out, size_t size)
{
    const char *e = getenv("WREN_BOOTSTRAP");
    if (e && *e) {
        if (!s_is_exec(e))
            return WREN_ENOTFOUND;
        snprintf(out, size, "%s", e);
        return WREN_OK;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            if ((size_t)snprintf(out, size, "%s/bootstrap", self) < size && s_is_exec(out))
                return WREN_OK;
        }
    }
    if (s_is_exec(WREN_DEFAULT_BOOTSTRAP)) {
        snprintf(out, size, "%s", WREN_DEFAULT_BOOTSTRAP);
        return WREN_OK;
    }
    return WREN_ENOTFOUND;
}

/* ---- executor lifecycle ------------------------------------------------------ */

static int s_mkdirs(const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return WREN_ETOOBIG;
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                return WREN_EIO;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return WREN_EIO;
    return WREN_OK;
}

static int s_make_tmp(wren_executor *ex)
{
    /* $TMPDIR if set; else /dev/shm when usable: a job's calls each create
     * a directory and files, and on a disk file system inode allocation
     * alone cost 4x the throughput of RAM here. Kept data never goes here. */
    const char *base = getenv("TMPDIR");
    if (!base || base[0] != '/')
        base = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "%s/wren-XXXXXX", base);
    if (!mkdtemp(tmpl)) {
        s_err(ex, "mkdtemp %s: %s", tmpl, strerror(errno));
        return WREN_EIO;
    }
    ex->tmp_dir = strdup(tmpl);
    return ex->tmp_dir ? WREN_OK : WREN_ENOMEM;
}

static int s_start_embedded(wren_executor *ex, const wren_config *cfg)
{
#ifdef WREN_SDK_HAVE_EMULATOR
    char boot[PATH_MAX];
    if (cfg->bootstrap_path) {
        if (!s_is_exec(cfg->bootstrap_path)) {
            s_err(ex, "bootstrap '%s' is not an executable file", cfg->bootstrap_path);
            return WREN_ENOTFOUND;
        }
        snprintf(boot, sizeof boot, "%s", cfg->bootstrap_path);
    } else if (wren__find_bootstrap(boot, sizeof boot) != WREN_OK) {
        s_err(ex, "no bootstrap found: set WREN_BOOTSTRAP, or put it beside this program, or build it at %s",
              WREN_DEFAULT_BOOTSTRAP);
        return WREN_ENOTFOUND;
    }
    char log_path[PATH_MAX];
    if (cfg->log_path) {
        snprintf(log_path, sizeof log_path, "%s", cfg->log_path);
    } else {
        if (!ex->tmp_dir) {
            int rc = s_make_tmp(ex);
            if (rc != WREN_OK)
                return rc;
        }
        snprintf(log_path, sizeof log_path, "%s/workers.log", ex->tmp_dir);
    }
    wren_emulator_function fn = {
        .name = ex->function,
        .bootstrap_path = boot,
        .handler = cfg->handler,
        .task_root = cfg->task_root,
        .concurrency = cfg->concurrency,
        .timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : 60,
        .memory_mb = cfg->memory_mb,
        /* The SDK retries itself, counting attempts; the service must not. */
        .async_retries = 0,
    };
    wren_emulator_config ec = {
        .host = "127.0.0.1",
        .port = 0,
        .functions = &fn,
        .n_functions = 1,
        .log_path = log_path,
        .quiet = cfg->quiet,
    };
    wren_emulator *em = NULL;
    int rc = wren_emulator_start(&ec, &em);
    if (rc != WREN_OK) {
        s_err(ex, "embedded emulator: %s", wren_emulator_errmsg());
        return rc;
    }
    ex->emulator = em;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", wren_emulator_port(em));
    ex->invoke_url = strdup(url);
    return ex->invoke_url ? WREN_OK : WREN_ENOMEM;
#else
    (void)cfg;
    s_err(ex, "this build has no embedded emulator: set invoke_url");
    return WREN_EINVAL;
#endif
}

int wren_executor_new(const wren_config *cfg_in, wren_executor **out)
{
    *out = NULL;
    s_last_error[0] = '\0';
    wren_config dflt;
    wren_config_init(&dflt);
    const wren_config *cfg = cfg_in ? cfg_in : &dflt;
    int rc = WREN_ENOMEM;
    wren_executor *ex = calloc(1, sizeof *ex);
    if (!ex) {
        s_err(NULL, "out of memory");
        return WREN_ENOMEM;
    }
    /* The AWS backend differs only in the store URL (s3://), the Invoke
     * endpoint and a signer: resolve those into a config, then go the same way. */
    wren_config aws_cfg;
    if (cfg->backend == WREN_BACKEND_AWS || wren__aws_wanted(cfg)) {
        char aws_err[256] = "";
        rc = wren__aws_new(cfg, &aws_cfg, &ex->aws, aws_err, sizeof aws_err);
        if (rc != WREN_OK) {
            s_err(ex, "%s", aws_err);
            goto cleanup;
        }
        cfg = &aws_cfg;
    } else if (cfg->backend != WREN_BACKEND_LOCAL) {
        s_err(ex, "unknown backend %d", (int)cfg->backend);
        rc = WREN_EINVAL;
        goto cleanup;
    }
    ex->function = strdup(cfg->function_name ? cfg->function_name : "wren");
    if (!ex->function)
        goto cleanup;
    if (!wren_is_safe_id(ex->function, strlen(ex->function))) {
        s_err(ex, "bad function name '%s'", ex->function);
        rc = WREN_EINVAL;
        goto cleanup;
    }
    if (cfg->job_id) {
        if (!wren_is_safe_id(cfg->job_id, strlen(cfg->job_id))) {
            s_err(ex, "bad job id '%s' (want [A-Za-z0-9._-]{1,128})", cfg->job_id);
            rc = WREN_EINVAL;
            goto cleanup;
        }
        snprintf(ex->job, sizeof ex->job, "%s", cfg->job_id);
    } else {
        char hex[13];
        if (wren_random_hex(hex, 6) != WREN_OK) {
            rc = WREN_ESYS;
            goto cleanup;
        }
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        snprintf(ex->job, sizeof ex->job, "j-%04d%02d%02dT%02d%02d%02d-%s", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, hex);
    }
    ex->inline_threshold = cfg->inline_threshold_bytes ? cfg->inline_threshold_bytes : S_DEFAULT_INLINE;
    /* An Event payload is at most 1 MB (Lambda and the emulator answer 413
     * past it); base64 adds a third: keep inline arguments well under. */
    if (ex->inline_threshold > S_INLINE_MAX)
        ex->inline_threshold = S_INLINE_MAX;
    ex->deadline_s = (cfg->timeout_s > 0 ? cfg->timeout_s : 60) + (cfg->deadline_slack_s > 0 ? cfg->deadline_slack_s : 10);
    ex->retries = cfg->retries > 0 ? cfg->retries : 0;
    ex->keep_data = cfg->keep_data;
    ex->memory_mb = cfg->memory_mb > 0 ? cfg->memory_mb : 1769;
    ex->spec_factor = cfg->speculate_factor > 0 ? cfg->speculate_factor : 0;
    ex->spec_min_done = cfg->speculate_min_done;
    ex->progress = cfg->progress;
    ex->progress_user = cfg->progress_user;
    ex->poll_ms = 2;

    /* The store: the user's, the kept default, or a fresh temporary one. */
    char url[PATH_MAX + 16];
    if (cfg->store_url) {
        snprintf(url, sizeof url, "%s", cfg->store_url);
        ex->own_store_data = !cfg->keep_data;
    } else if (cfg->keep_data) {
        rc = wren__default_store_url(url, sizeof url);
        if (rc != WREN_OK) {
            s_err(ex, "no default store: set WREN_STORE or HOME");
            goto cleanup;
        }
        if (!strncmp(url, "file://", 7) && (rc = s_mkdirs(url + 7)) != WREN_OK) {
            s_err(ex, "cannot make %s", url + 7);
            goto cleanup;
        }
    } else {
        if ((rc = s_make_tmp(ex)) != WREN_OK)
            goto cleanup;
        snprintf(url, sizeof url, "file://%s/store", ex->tmp_dir);
    }
    rc = wren_store_open(url, &ex->store);
    if (rc != WREN_OK) {
        s_err(ex, "store %s: %s", url, wren_strerror(rc));
        goto cleanup;
    }
    rc = WREN_ENOMEM;
    ex->store_url = strdup(wren_store_url(ex->store));
    json_t *js = json_string(ex->store_url ? ex->store_url : "");
    ex->store_json = js ? json_dumps(js, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(js);
    if (!ex->store_url || !ex->store_json)
        goto cleanup;

    if (cfg->invoke_url) {
        ex->invoke_url = strdup(cfg->invoke_url);
        if (!ex->invoke_url)
            goto cleanup;
    } else if ((rc = s_start_embedded(ex, cfg)) != WREN_OK) {
        goto cleanup;
    }
    wren__invoker_config ic = {
        .base_url = ex->invoke_url,
        .function_name = ex->function,
        /* The embedded emulator answers an Event invoke in microseconds, and
         * its CPU per invoke grows with open connections (each is polled
         * on every pass): 16 keep it busy for less. */
        .max_in_flight = cfg->max_in_flight > 0 ? cfg->max_in_flight : ex->emulator ? S_LOCAL_IN_FLIGHT : 0,
        .rate_per_s = wren__aws_rate_per_s(ex->aws),
    };
    rc = wren__invoker_new(&ic, &ex->inv);
    if (rc != WREN_OK) {
        s_err(ex, "invoker: %s", wren_strerror(rc));
        goto cleanup;
    }
    if (ex->aws)
        wren__invoker_set_signer(ex->inv, wren__aws_sign, ex->aws);
    *out = ex;
    ex = NULL;
    rc = WREN_OK;
cleanup:
    if (ex) {
        if (!s_last_error[0])
            s_err(ex, "%s", wren_strerror(rc));
        ex->keep_data = 0;
        wren_executor_destroy(ex);
    }
    return rc;
}

static void s_future_free(wren_future *f)
{
    if (!f)
        return;
    free(f->kernel);
    free(f->args_b64);
    free(f->error_type);
    free(f->error_message);
    free(f->log_tail);
    free(f->result);
    if (f->decoded)
        msgpack_zone_destroy(&f->zone);
    free(f->deps);
    free(f->extra);
    free(f);
}

static const char *s_state_name(wren_future_state s)
{
    switch (s) {
    case WREN_FUTURE_PENDING:
        return "pending";
    case WREN_FUTURE_DONE:
        return "done";
    case WREN_FUTURE_FAILED:
        return "failed";
    case WREN_FUTURE_CANCELLED:
        return "cancelled";
    }
    return "pending";
}

/* JOB/manifest: every call's kernel and host-side outcome, for `wren
 * results/status/plot` later (the statuses alone miss calls that never
 * reported, such as timeouts). */
static void s_write_manifest(wren_executor *ex)
{
    json_t *root = json_object();
    json_t *calls = json_array();
    if (!root || !calls) {
        json_decref(root);
        json_decref(calls);
        return;
    }
    json_object_set_new(root, "wren", json_integer(1));
    json_object_set_new(root, "job", json_string(ex->job));
    json_object_set_new(root, "function", json_string(ex->function));
    json_object_set_new(root, "n_calls", json_integer((json_int_t)ex->n_calls));
    /* For the cost `wren status` shows: the workers' memory and the SDK's
     * own S3 requests (the manifest's PUT included). */
    json_object_set_new(root, "memory_mb", json_integer(ex->memory_mb));
    json_object_set_new(root, "sdk_s3",
                        json_pack("{s:I, s:I, s:I}", "put", (json_int_t)(ex->n_puts + 1), "get",
                                  (json_int_t)(ex->n_gets + ex->n_out_gets), "list", (json_int_t)ex->n_lists));
    for (size_t i = 0; i < ex->n_calls; i++) {
        wren_future *f = ex->calls[i];
        json_t *c = json_pack("{s:s, s:s, s:s, s:i, s:f}", "call", f->call, "kernel", f->kernel, "state",
                              s_state_name(f->state), "attempts", f->attempts, "t_submit", f->tm.t_submit);
        if (c && f->error_type)
            json_object_set_new(c, "error",
                                json_pack("{s:s, s:s}", "type", f->error_type, "message",
                                          f->error_message ? f->error_message : ""));
        if (c)
            json_array_append_new(calls, c);
    }
    json_object_set_new(root, "calls", calls);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!text)
        return;
    char key[160];
    snprintf(key, sizeof key, "%s/manifest", ex->job);
    wren_store_put(ex->store, key, text, strlen(text));
    free(text);
}

static int s_delete_cb(const char *key, uint64_t size, void *user)
{
    (void)size;
    wren_store_delete(user, key);
    return 0;
}

void wren_executor_destroy(wren_executor *ex)
{
    if (!ex)
        return;
    wren__log(WREN_LOG_DEBUG, "wren-sdk",
              "job %s: %zu calls, %llu polling rounds, %llu LISTs (%.1f ms), %llu status GETs, %zu retried, "
              "%zu backups",
              ex->job, ex->n_calls, (unsigned long long)ex->n_rounds, (unsigned long long)ex->n_lists,
              (double)ex->list_ns / 1e6, (unsigned long long)ex->n_gets, ex->n_retried, ex->n_speculated);
    /* Stop the workers first, so nothing writes to the store while it goes. */
    wren__invoker_destroy(ex->inv);
    wren__aws_destroy(ex->aws);
#ifdef WREN_SDK_HAVE_EMULATOR
    wren_emulator_stop(ex->emulator);
#endif
    if (ex->store && ex->n_calls) {
        if (ex->keep_data) {
            s_write_manifest(ex);
        } else if (ex->own_store_data) {
            char prefix[160];
            snprintf(prefix, sizeof prefix, "%s/", ex->job);
            wren_store_list(ex->store, prefix, s_delete_cb, ex->store);
        }
    }
    wren_store_destroy(ex->store);
    if (ex->tmp_dir) {
        if (ex->keep_data && ex->store_url && !strncmp(ex->store_url, "file://", 7) &&
            !strncmp(ex->store_url + 7, ex->tmp_dir, strlen(ex->tmp_dir)))
            ; /* the store lives in it and was asked to be kept */
        else
            wren__remove_tree(ex->tmp_dir);
    }
    for (size_t i = 0; i < ex->n_calls; i++)
        s_future_free(ex->calls[i]);
    free(ex->calls);
    free(ex->chunk_pending);
    free(ex->function);
    free(ex->store_url);
    free(ex->store_json);
    free(ex->invoke_url);
    free(ex->tmp_dir);
    free(ex);
}

void wren__executor_poll_counts(const wren_executor *ex, uint64_t *rounds, uint64_t *lists, uint64_t *gets)
{
    if (rounds)
        *rounds = ex->n_rounds;
    if (lists)
        *lists = ex->n_lists;
    if (gets)
        *gets = ex->n_gets;
}

void wren_executor_interrupt(wren_executor *ex)
{
    if (ex)
        ex->interrupted = 1;
}

const char *wren_executor_job(const wren_executor *ex)
{
    return ex->job;
}
const char *wren_executor_store_url(const wren_executor *ex)
{
    return ex->store_url;
}
const char *wren_executor_invoke_url(const wren_executor *ex)
{
    return ex->invoke_url;
}
const char *wren_executor_errmsg(const wren_executor *ex)
{
    return ex ? ex->errmsg : s_last_error;
}

/* ---- outcomes ------------------------------------------------------------------ */

static void s_report(wren_executor *ex)
{
    /* Any change of done, failed or retried counts is news. */
    size_t sum = ex->n_done + ex->n_failed + ex->n_retried;
    if (!ex->progress || sum == ex->last_reported)
        return;
    ex->last_reported = sum;
    wren_progress p = {
        .submitted = ex->n_calls,
        .done = ex->n_done,
        .failed = ex->n_failed,
        .retried = ex->n_retried,
        .elapsed_s = ex->t_first > 0 ? wren_now_s() - ex->t_first : 0,
    };
    ex->progress(&p, ex->progress_user);
}

/* A future gets exactly one outcome: later ones are ignored by every caller
 * checking state first, so a duplicate never overwrites or counts twice. */
static void s_finish_ok(wren_executor *ex, wren_future *f, char *result, size_t len)
{
    f->state = WREN_FUTURE_DONE;
    f->status = WREN_OK;
    ex->chunk_pending[f->index / S_CHUNK]--;
    f->result = result;
    f->result_len = len;
    f->tm.t_seen = wren_now_s();
    f->seen_ns = wren_mono_ns();
    free(f->args_b64);
    f->args_b64 = NULL;
    ex->n_done++;
    ex->last_outcome_ns = wren_mono_ns();
}

static void s_finish_err(wren_executor *ex, wren_future *f, int status, const char *type, const char *msg,
                         const char *log_tail)
{
    f->state = status == WREN_ECANCELLED ? WREN_FUTURE_CANCELLED : WREN_FUTURE_FAILED;
    ex->chunk_pending[f->index / S_CHUNK]--;
    f->status = status;
    free(f->error_type);
    free(f->error_message);
    free(f->log_tail);
    f->error_type = strdup(type);
    f->error_message = strdup(msg ? msg : "");
    f->log_tail = log_tail && *log_tail ? strdup(log_tail) : NULL;
    f->tm.t_seen = wren_now_s();
    free(f->args_b64);
    f->args_b64 = NULL;
    ex->n_failed++;
    /* Not last_outcome_ns: a deadline passing or an invoke refused is no
     * sign that the job moves (s_settle sets it when a worker wrote). */
}

/* ---- invoking ------------------------------------------------------------------ */

static int s_send(wren_executor *ex, wren_future *f)
{
    wren_buf ev;
    wren_buf_init(&ev, 0);
    double now = wren_now_s();
    wren_buf_printf(&ev, "{\"wren\":1,\"kernel\":\"%s\",\"job\":\"%s\",\"call\":\"%s\",\"attempt\":%d,"
                         "\"t_submit\":%.6f,\"store\":%s",
                    f->kernel, ex->job, f->call, f->attempt, now, ex->store_json);
    if (f->args_in_store)
        wren_buf_printf(&ev, ",\"input\":\"%s/%s/in\"}", ex->job, f->call);
    else if (f->args_b64)
        wren_buf_printf(&ev, ",\"args_b64\":\"%s\"}", f->args_b64);
    else
        wren_buf_append_str(&ev, "}");
    if (ev.failed) {
        wren_buf_clean_up(&ev);
        return WREN_ENOMEM;
    }
    size_t len = 0;
    char *body = wren_buf_detach(&ev, &len);
    if (ex->t_first == 0)
        ex->t_first = now;
    f->tm.t_submit = now;
    f->sent_ns = wren_mono_ns();
    f->attempts++;
    f->invoking = 1;
    f->started = 1;
    return wren__invoker_submit(ex->inv, body, len, f);
}

static void s_on_invoked(void *user, void *req_user, int status, long code, const char *detail)
{
    wren_executor *ex = user;
    wren_future *f = req_user;
    (void)code;
    f->invoking = 0;
    if (status == WREN_OK || f->state != WREN_FUTURE_PENDING)
        return;
    s_finish_err(ex, f, status, status == WREN_ETHROTTLED ? "Wren.Throttled" : "Wren.InvokeError", detail, NULL);
}

static int s_pump(wren_executor *ex, int timeout_ms)
{
    return wren__invoker_pump(ex->inv, timeout_ms, s_on_invoked, ex);
}

/* Drives the invoker until nothing is queued or in flight. */
static int s_flush(wren_executor *ex)
{
    while (wren__invoker_pending(ex->inv)) {
        if (ex->interrupted)
            return WREN_ECANCELLED;
        int rc = s_pump(ex, 50);
        if (rc != WREN_OK)
            return rc;
    }
    return WREN_OK;
}

static int s_retry(wren_executor *ex, wren_future *f)
{
    f->attempt++;
    ex->n_retried++;
    return s_send(ex, f);
}

/* ---- creating calls ------------------------------------------------------------ */

static int s_new_future(wren_executor *ex, const char *kernel, wren_future **out)
{
    if (ex->n_calls >= 99999999) {
        s_err(ex, "a job holds at most 99,999,999 calls");
        return WREN_ETOOBIG;
    }
    if (ex->n_calls == ex->cap_calls) {
        size_t cap = ex->cap_calls ? ex->cap_calls * 2 : 64;
        wren_future **c = realloc(ex->calls, cap * sizeof *c);
        if (!c)
            return WREN_ENOMEM;
        ex->calls = c;
        uint32_t *cp = realloc(ex->chunk_pending, (cap / S_CHUNK + 1) * sizeof *cp);
        if (!cp)
            return WREN_ENOMEM; /* cap_calls unchanged: both grow again next time */
        size_t had = ex->cap_calls ? ex->cap_calls / S_CHUNK + 1 : 0;
        memset(cp + had, 0, (cap / S_CHUNK + 1 - had) * sizeof *cp);
        ex->chunk_pending = cp;
        ex->cap_calls = cap;
    }
    wren_future *f = calloc(1, sizeof *f);
    if (!f || !(f->kernel = strdup(kernel))) {
        free(f);
        return WREN_ENOMEM;
    }
    f->ex = ex;
    f->index = ex->n_calls;
    f->status = WREN_ESTATE;
    snprintf(f->call, sizeof f->call, "%08u", (unsigned)f->index);
    ex->calls[ex->n_calls++] = f;
    ex->chunk_pending[f->index / S_CHUNK]++;
    *out = f;
    return WREN_OK;
}

/* Arguments inline (base64 in the event) when small, else at JOB/CALL/in. */
static int s_set_args(wren_executor *ex, wren_future *f, const char *data, size_t len)
{
    if (!data || !len)
        return WREN_OK;
    if (len <= ex->inline_threshold) {
        f->args_b64 = wren_base64_encode(data, len, NULL);
        return f->args_b64 ? WREN_OK : WREN_ENOMEM;
    }
    char key[180];
    snprintf(key, sizeof key, "%s/%s/in", ex->job, f->call);
    int rc = wren_store_put(ex->store, key, data, len);
    if (rc != WREN_OK) {
        s_err(ex, "store put %s: %s", key, wren_store_errmsg(ex->store));
        return rc;
    }
    f->args_in_store = 1;
    ex->n_puts++;
    return WREN_OK;
}

static int s_check_kernel(wren_executor *ex, const char *kernel)
{
    if (!kernel || !wren_is_safe_id(kernel, strlen(kernel))) {
        s_err(ex, "bad kernel name '%s' (want [A-Za-z0-9._-]{1,128})", kernel ? kernel : "(null)");
        return WREN_EINVAL;
    }
    return WREN_OK;
}

/* The engine under every way of making calls: n calls, raw args. */
static int s_map_raw(wren_executor *ex, const char *kernel, const char *const *args, const size_t *sizes, size_t n,
                     wren_future **futures)
{
    int rc = s_check_kernel(ex, kernel);
    if (rc != WREN_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        wren_future *f = NULL;
        if ((rc = s_new_future(ex, kernel, &f)) != WREN_OK)
            return rc;
        futures[i] = f;
        f->map_first = ex->n_calls - 1 - i;
        f->map_n = n;
        rc = s_set_args(ex, f, args ? args[i] : NULL, sizes ? sizes[i] : 0);
        if (rc == WREN_OK)
            rc = s_send(ex, f);
        if (rc != WREN_OK) {
            s_finish_err(ex, f, rc, rc == WREN_ENOMEM ? "Wren.OutOfMemory" : "Wren.StoreError", ex->errmsg, NULL);
            continue;
        }
        /* Keep the pipe moving while encoding the rest. */
        if ((i & 255) == 255 && (rc = s_pump(ex, 0)) != WREN_OK)
            return rc;
        if (ex->interrupted)
            return WREN_ECANCELLED;
    }
    return s_flush(ex);
}

int wren_map_bytes(wren_executor *ex, const char *kernel, const char *const *args, const size_t *sizes, size_t n,
                   wren_future **futures)
{
    if (!ex || (n && !futures))
        return WREN_EINVAL;
    return s_map_raw(ex, kernel, args, sizes, n, futures);
}

int wren_map(wren_executor *ex, const char *kernel, const wren_args *const *args, size_t n, wren_future **futures)
{
    if (!ex || (n && !futures))
        return WREN_EINVAL;
    int rc = s_check_kernel(ex, kernel);
    if (rc != WREN_OK)
        return rc;
    const char **data = calloc(n ? n : 1, sizeof *data);
    size_t *sizes = calloc(n ? n : 1, sizeof *sizes);
    if (!data || !sizes) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; args && i < n; i++) {
        if (!args[i])
            continue;
        if ((rc = wren_args_status(args[i])) != WREN_OK) {
            s_err(ex, "args[%zu]: %s", i, wren_strerror(rc));
            goto cleanup;
        }
        data[i] = wren_args_data(args[i], &sizes[i]);
    }
    rc = s_map_raw(ex, kernel, data, sizes, n, futures);
cleanup:
    free(data);
    free(sizes);
    return rc;
}

int wren_call_async(wren_executor *ex, const char *kernel, const wren_args *args, wren_future **out)
{
    return wren_map(ex, kernel, &args, 1, out);
}

int wren_map_reduce(wren_executor *ex, const char *kernel, const wren_args *const *args, size_t n,
                    const char *reducer, const wren_args *reduce_args, wren_future **futures,
                    wren_future **reduce_out)
{
    if (!ex || !reduce_out)
        return WREN_EINVAL;
    *reduce_out = NULL;
    int rc = s_check_kernel(ex, reducer);
    if (rc != WREN_OK)
        return rc;
    if (reduce_args && (rc = wren_args_status(reduce_args)) != WREN_OK)
        return rc;
    wren_future **fs = futures ? futures : calloc(n ? n : 1, sizeof *fs);
    wren_future *r = NULL;
    if (!fs)
        return WREN_ENOMEM;
    if ((rc = wren_map(ex, kernel, args, n, fs)) != WREN_OK)
        goto cleanup;
    if ((rc = s_new_future(ex, reducer, &r)) != WREN_OK)
        goto cleanup;
    rc = WREN_ENOMEM;
    r->deps = malloc((n ? n : 1) * sizeof *r->deps);
    if (!r->deps)
        goto cleanup;
    memcpy(r->deps, fs, n * sizeof *fs);
    r->n_deps = n;
    if (reduce_args) {
        size_t len = 0;
        const char *d = wren_args_data(reduce_args, &len);
        if (len) {
            r->extra = malloc(len);
            if (!r->extra)
                goto cleanup;
            memcpy(r->extra, d, len);
            r->extra_len = len;
        }
    }
    *reduce_out = r;
    rc = WREN_OK;
cleanup:
    if (fs != futures)
        free(fs);
    return rc;
}

/* Starts a reducer whose inputs are all done, or fails it if one failed. */
static void s_try_reduce(wren_executor *ex, wren_future *r)
{
    wren_buf b;
    for (size_t i = 0; i < r->n_deps; i++) {
        wren_future *d = r->deps[i];
        if (d->state == WREN_FUTURE_PENDING)
            return;
        if (d->state != WREN_FUTURE_DONE) {
            char msg[600];
            snprintf(msg, sizeof msg, "map call %s failed: %s: %s", d->call, d->error_type ? d->error_type : "?",
                     d->error_message ? d->error_message : "");
            s_finish_err(ex, r, d->status, d->error_type ? d->error_type : "Wren.MapFailed", msg, d->log_tail);
            return;
        }
    }
    wren_buf_init(&b, 0);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, wren_buf_msgpack_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "results", 7);
    msgpack_pack_array(&pk, (uint32_t)r->n_deps);
    for (size_t i = 0; i < r->n_deps; i++)
        wren_buf_append(&b, r->deps[i]->result, r->deps[i]->result_len);
    msgpack_pack_str_with_body(&pk, "extra", 5);
    if (r->extra_len)
        wren_buf_append(&b, r->extra, r->extra_len);
    else
        msgpack_pack_nil(&pk);
    int rc = b.failed ? WREN_ENOMEM : s_set_args(ex, r, b.data, b.len);
    wren_buf_clean_up(&b);
    if (rc == WREN_OK)
        rc = s_send(ex, r);
    if (rc != WREN_OK)
        s_finish_err(ex, r, rc, "Wren.StoreError", "could not start the reducer", NULL);
}

/* ---- polling ------------------------------------------------------------------- */

typedef struct s_listed {
    size_t idx;  /* the call */
    int attempt; /* the attempt its status is of (the key's suffix) */
} s_listed;

typedef struct s_seen {
    s_listed *found;
    size_t n, cap;
    wren_executor *ex;
    size_t prefix_len;
    size_t stop_at; /* stop the listing at the first call id at or past this */
} s_seen;

static int s_list_cb(const char *key, uint64_t size, void *user)
{
    s_seen *s = user;
    (void)size;
    /* JOB/CALL/status or JOB/CALL/status.N (attempt N), CALL being 8 digits
     * this executor made. */
    const char *c = key + s->prefix_len;
    size_t klen = strlen(key);
    if (klen < s->prefix_len + 9 || c[8] != '/')
        return 0;
    size_t idx = 0;
    for (int i = 0; i < 8; i++) {
        if (c[i] < '0' || c[i] > '9')
            return 0;
        idx = idx * 10 + (size_t)(c[i] - '0');
    }
    /* Keys come in order: past the range, the listing is done. */
    if (idx >= s->stop_at)
        return 1;
    int attempt = wren__status_key_attempt(c + 9, klen - s->prefix_len - 9);
    if (attempt < 0)
        return 0;
    if (idx >= s->ex->n_calls || s->ex->calls[idx]->state != WREN_FUTURE_PENDING || !s->ex->calls[idx]->started)
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        s_listed *p = realloc(s->found, cap * sizeof *p);
        if (!p)
            return 1;
        s->found = p;
        s->cap = cap;
    }
    s->found[s->n++] = (s_listed){idx, attempt};
    return 0;
}

/* Reads the status object of one attempt of a call and settles its future,
 * or re-invokes it. Statuses come in key order, attempt 0 first; once the
 * future is settled, the other attempts' statuses are not read. */
static void s_settle(wren_executor *ex, wren_future *f, int attempt)
{
    if (f->state != WREN_FUTURE_PENDING)
        return;
    char key[180];
    wren__outcome_key(key, sizeof key, ex->job, f->call, attempt, "status");
    wren_buf b;
    wren_buf_init(&b, 1u << 24);
    wren__status st;
    int rc = wren_store_get(ex->store, key, &b);
    ex->n_gets++;
    if (rc != WREN_OK) {
        wren_buf_clean_up(&b);
        return; /* listed but gone or unreadable: try again next round */
    }
    /* A worker wrote a status: the job moves (the deadlines of calls queued
     * behind it restart). The SDK's own timeouts and invoke errors do not,
     * or n lost calls would time out one after another, n x the deadline. */
    ex->last_outcome_ns = wren_mono_ns();
    rc = wren__status_parse(b.data, b.len, &st);
    wren_buf_clean_up(&b);
    if (rc != WREN_OK) {
        s_finish_err(ex, f, WREN_EPROTO, "Wren.StoreError", "the call's status object is malformed", NULL);
        return;
    }
    f->tm.t_start = st.t_start;
    f->tm.t_setup = st.t_setup;
    f->tm.t_kernel = st.t_kernel;
    f->tm.t_written = st.t_written;
    f->tm.flops = st.flops;
    f->tm.cold = st.cold;
    if (st.t_submit > 0)
        f->tm.t_submit = st.t_submit;
    if (st.ok) {
        /* A success from any attempt is a good result. */
        char *res = NULL;
        size_t len = 0;
        if (st.has_result_b64) {
            res = (char *)st.result;
            len = st.result_len;
            st.result = NULL;
        } else {
            wren_buf ob;
            wren_buf_init(&ob, S_RESULT_MAX);
            if (!wren__result_key_ok(st.result_key, ex->job, f->call, st.attempt)) {
                rc = WREN_EPROTO;
            } else {
                rc = wren_store_get(ex->store, st.result_key, &ob);
                ex->n_out_gets++;
                f->out_in_store = 1;
            }
            if (rc != WREN_OK) {
                wren_buf_clean_up(&ob);
                char msg[300];
                snprintf(msg, sizeof msg, "result %.200s: %s", st.result_key, wren_strerror(rc));
                s_finish_err(ex, f, WREN_ESTORE, "Wren.StoreError", msg, NULL);
                wren__status_clean_up(&st);
                return;
            }
            res = wren_buf_detach(&ob, &len);
        }
        s_finish_ok(ex, f, res, len);
        if (f->index + 1 > ex->frontier)
            ex->frontier = f->index + 1;
    } else if (st.attempt < f->attempt) {
        /* The failure of an attempt already superseded by a retry. */
    } else if (wren__error_retryable(st.error_type) && f->attempt - f->backups < ex->retries && !f->invoking) {
        f->tm.t_start = f->tm.t_setup = f->tm.t_kernel = f->tm.t_written = 0;
        if (s_retry(ex, f) != WREN_OK)
            s_finish_err(ex, f, WREN_ENOMEM, "Wren.InvokeError", "could not re-invoke", NULL);
    } else {
        s_finish_err(ex, f, wren__error_status(st.error_type), st.error_type, st.error_message, st.log_tail);
    }
    wren__status_clean_up(&st);
}

/* Backups for stragglers, looked for at most every 50 ms (or 20x as long as
 * the last look took, so a huge map's sort stays under ~5% of the time): per map, the
 * pending calls running longer than spec_factor x the median of its finished
 * calls get one more attempt. The first outcome wins (s_settle ignores the
 * other), and a backup does not use up a retry. */
static void s_speculate(wren_executor *ex, uint64_t now)
{
    if (ex->spec_factor <= 0 || now - ex->last_spec_ns < ex->spec_every_ns || ex->n_done + ex->n_failed == ex->n_calls)
        return;
    ex->last_spec_ns = now;
    for (size_t first = 0; first < ex->n_calls;) {
        if (!ex->calls[first]->map_n) { /* a reducer */
            first++;
            continue;
        }
        /* The map's calls: those made by the wren_map that made this one
         * (fewer than it asked for if it stopped early). */
        size_t n = 1;
        while (first + n < ex->n_calls && ex->calls[first + n]->map_n && ex->calls[first + n]->map_first == first)
            n++;
        size_t pending = 0;
        for (size_t i = first; i < first + n; i++)
            pending += ex->calls[i]->state == WREN_FUTURE_PENDING;
        wren__spec_call *sc = pending ? malloc(n * sizeof *sc) : NULL;
        unsigned char *want = pending ? calloc(n, 1) : NULL;
        if (sc && want) {
            for (size_t i = 0; i < n; i++) {
                const wren_future *f = ex->calls[first + i];
                sc[i].done_s = f->state == WREN_FUTURE_DONE ? (double)(f->seen_ns - f->sent_ns) / 1e9 : -1;
                sc[i].running_s = f->state == WREN_FUTURE_PENDING && f->started && !f->invoking && !f->backups
                                      ? (double)(now - f->sent_ns) / 1e9
                                      : -1;
            }
            if (wren__stragglers(sc, n, ex->spec_factor, ex->spec_min_done, want)) {
                for (size_t i = 0; i < n; i++) {
                    wren_future *f = ex->calls[first + i];
                    if (!want[i])
                        continue;
                    f->backups++;
                    f->attempt++;
                    ex->n_speculated++;
                    if (s_send(ex, f) != WREN_OK)
                        s_finish_err(ex, f, WREN_ENOMEM, "Wren.InvokeError", "could not invoke a backup", NULL);
                }
            }
        }
        free(sc);
        free(want);
        first += n;
    }
    uint64_t took = wren_mono_ns() - now;
    ex->spec_every_ns = 20 * took > 50000000u ? 20 * took : 50000000u;
}

static uint64_t s_thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One polling round: one LIST, then deadlines and reducers. Returns how many
 * futures finished in this round. */
static size_t s_poll(wren_executor *ex)
{
    size_t before = ex->n_done + ex->n_failed;
    uint64_t round_list_ns = 0, round_list_cpu_ns = 0;
    s_pump(ex, 0);
    size_t pending = ex->n_calls - before;
    if (pending) {
        /* One LIST per range of call ids with pending calls, from the
         * range's first pending call on (StartAfter "JOB/CALL"), stopped at
         * the range's end: finished calls before it are not listed again.
         * (Why: a file-store LIST reads all of JOB/ — ~0.4 us per call
         * finished, 4 ms on a 10,000-call job — plus ~9 us per call
         * directory it walks; S3 pages 1,000 keys a request. So a round
         * makes one LIST where it can, and walks few finished calls.)
         * Ranges of 100-id stretches with pending calls, merged across up
         * to S_GAP_CHUNKS finished stretches. Workers take calls about in
         * submission order, so a round looks only at a window past the
         * highest call seen finished and the stretches just behind it;
         * once a second a round lists every pending stretch, so an
         * out-of-order outcome waits about a second at most. */
        s_seen seen = {.ex = ex, .prefix_len = strlen(ex->job) + 1};
        int list_auth_failed = 0, list_failed = 0;
        uint64_t t0 = wren_mono_ns(), c0 = s_thread_cpu_ns();
        while (ex->low_pending < ex->n_calls && ex->calls[ex->low_pending]->state != WREN_FUTURE_PENDING)
            ex->low_pending++;
        size_t lo = ex->low_pending, hi = ex->n_calls;
        int full = t0 - ex->last_full_ns >= 1000000000u;
        if (full)
            ex->last_full_ns = t0;
        size_t behind = 0; /* non-full rounds skip ranges wholly below this */
        if (!full) {
            size_t window = 4 * ex->last_got + 200;
            size_t top = (ex->frontier > lo ? ex->frontier : lo) + window;
            if (top < hi)
                hi = top;
            behind = ex->frontier > S_BEHIND_CALLS ? ex->frontier - S_BEHIND_CALLS : 0;
        }
        char prefix[160], after[160];
        snprintf(prefix, sizeof prefix, "%s/", ex->job);
        for (size_t c = lo / S_CHUNK; c * S_CHUNK < hi;) {
            if (!ex->chunk_pending[c]) {
                c++;
                continue;
            }
            /* A range: this stretch and the next ones with pending calls,
             * across short runs of finished stretches. */
            size_t first = c, last = c;
            for (size_t d = c + 1; d * S_CHUNK < hi && d <= last + S_GAP_CHUNKS; d++)
                if (ex->chunk_pending[d])
                    last = d;
            c = last + 1;
            size_t end = (last + 1) * S_CHUNK < hi ? (last + 1) * S_CHUNK : hi;
            if (end <= behind)
                continue;
            size_t from = first * S_CHUNK > lo ? first * S_CHUNK : lo;
            while (from < end && ex->calls[from]->state != WREN_FUTURE_PENDING)
                from++;
            /* "JOB/CALL" sorts before that call's keys and after those of
             * every call before it. */
            snprintf(after, sizeof after, "%s/%08zu", ex->job, from);
            seen.stop_at = end;
            int lrc = wren_store_list_after(ex->store, prefix, after, s_list_cb, &seen);
            if (lrc == WREN_EAUTH)
                list_auth_failed = 1;
            if (lrc != WREN_OK && !list_failed) {
                list_failed = 1;
                snprintf(ex->list_err, sizeof ex->list_err, "%s", wren_store_errmsg(ex->store));
            }
            ex->n_lists++;
        }
        if (!list_failed)
            ex->list_failing_since_ns = 0;
        else if (!ex->list_failing_since_ns)
            ex->list_failing_since_ns = t0;
        ex->list_ns += wren_mono_ns() - t0;
        ex->n_rounds++;
        for (size_t i = 0; i < seen.n; i++)
            s_settle(ex, ex->calls[seen.found[i].idx], seen.found[i].attempt);
        free(seen.found);
        if (list_auth_failed) {
            /* The store refuses us (a wrong or expired key): no outcome can
             * ever be read, so say so now rather than at every deadline. */
            char msg[512];
            snprintf(msg, sizeof msg, "polling the store: %s", wren_store_errmsg(ex->store));
            for (size_t i = 0; i < ex->n_calls; i++)
                if (ex->calls[i]->state == WREN_FUTURE_PENDING)
                    s_finish_err(ex, ex->calls[i], WREN_ESTORE, "Wren.StoreError", msg, NULL);
        }
        round_list_ns = wren_mono_ns() - t0;
        round_list_cpu_ns = s_thread_cpu_ns() - c0;
    }
    uint64_t now = wren_mono_ns();
    uint64_t limit = (uint64_t)(ex->deadline_s * 1e9);
    for (size_t i = ex->low_pending; i < ex->n_calls; i++) {
        wren_future *f = ex->calls[i];
        if (f->state != WREN_FUTURE_PENDING)
            continue;
        if (!f->started) {
            if (f->deps)
                s_try_reduce(ex, f);
            continue;
        }
        /* A call's clock runs from its invoke, or from the last outcome of
         * any call if that is later: calls queued behind others are not
         * timed out while the job still moves. */
        uint64_t base = f->sent_ns > ex->last_outcome_ns ? f->sent_ns : ex->last_outcome_ns;
        if (f->invoking || now < base + limit)
            continue;
        if (f->attempt - f->backups < ex->retries) {
            if (s_retry(ex, f) != WREN_OK)
                s_finish_err(ex, f, WREN_ENOMEM, "Wren.InvokeError", "could not re-invoke", NULL);
            continue;
        }
        char msg[512];
        int len = snprintf(msg, sizeof msg, "call %s (%s) of job %s: no outcome within %.1f s (attempt %d)", f->call,
                           f->kernel, ex->job, ex->deadline_s, f->attempt);
        if (ex->list_failing_since_ns && len > 0 && (size_t)len < sizeof msg)
            snprintf(msg + len, sizeof msg - (size_t)len, "; listing the store has failed for %.1f s: %s",
                     (double)(now - ex->list_failing_since_ns) / 1e9, ex->list_err);
        s_finish_err(ex, f, WREN_ETIMEDOUT, "Wren.Timeout", msg, NULL);
    }
    s_speculate(ex, now);
    size_t got = ex->n_done + ex->n_failed - before;
    ex->last_got = got;
    if (got)
        ex->poll_ms = ex->poll_ms / 2 > S_POLL_MIN_MS ? ex->poll_ms / 2 : S_POLL_MIN_MS;
    else
        ex->poll_ms = ex->poll_ms * 3 / 2 + 1 < S_POLL_MAX_MS ? ex->poll_ms * 3 / 2 + 1 : S_POLL_MAX_MS;
    /* Listing takes at most about half the time, and its CPU at most about
     * 1/S_LIST_SHARE: a file-store LIST reads all of JOB/ (4 ms of CPU at
     * 10,000 calls), and the CPU a poller burns is taken from the local
     * workers; polling more often only re-reads the directory, each round
     * still finding what finished since the last. An S3 LIST is mostly
     * waiting (its CPU is signing and parsing), so it is not slowed by
     * more than its round trip. Small jobs list in microseconds, so their
     * rounds stay short. */
    uint64_t floor_ms = round_list_ns / 1000000u;
    if (round_list_cpu_ns * S_LIST_SHARE / 1000000u > floor_ms)
        floor_ms = round_list_cpu_ns * S_LIST_SHARE / 1000000u;
    if (floor_ms > S_POLL_MAX_MS)
        floor_ms = S_POLL_MAX_MS;
    if ((uint64_t)ex->poll_ms < floor_ms)
        ex->poll_ms = (int)floor_ms;
    s_report(ex);
    return got;
}

static void s_idle(wren_executor *ex, int ms)
{
    if (ms <= 0)
        return;
    if (wren__invoker_pending(ex->inv)) {
        s_pump(ex, ms);
        return;
    }
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int wren_wait(wren_executor *ex, wren_future *const *futures, size_t n, wren_wait_mode mode, int64_t timeout_ms,
              size_t *n_done)
{
    if (n_done)
        *n_done = 0;
    if (!ex || (n && !futures))
        return WREN_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!futures[i] || futures[i]->ex != ex)
            return WREN_EINVAL;
    if (mode == WREN_ALWAYS) {
        s_poll(ex);
        size_t done = 0;
        for (size_t i = 0; i < n; i++)
            done += futures[i]->state != WREN_FUTURE_PENDING;
        if (n_done)
            *n_done = done;
        return WREN_OK;
    }
    uint64_t start = wren_mono_ns();
    for (int round = 0;; round++) {
        if (ex->interrupted)
            return WREN_ECANCELLED;
        size_t done = 0;
        for (size_t i = 0; i < n; i++)
            done += futures[i]->state != WREN_FUTURE_PENDING;
        if (n_done)
            *n_done = done;
        int satisfied = done == n || (mode == WREN_ANY_COMPLETED && done > 0);
        if (satisfied)
            return WREN_OK;
        int64_t elapsed_ms = (int64_t)((wren_mono_ns() - start) / 1000000u);
        if (round > 0 && timeout_ms >= 0 && elapsed_ms >= timeout_ms)
            return WREN_ETIMEDOUT;
        if (round > 0) {
            int ms = ex->poll_ms;
            if (timeout_ms >= 0 && timeout_ms - elapsed_ms < ms)
                ms = (int)(timeout_ms - elapsed_ms);
            s_idle(ex, ms);
        }
        s_poll(ex);
    }
}

/* ---- futures ------------------------------------------------------------------- */

wren_future_state wren_future_state_of(const wren_future *f)
{
    return f->state;
}

int wren_future_finished(const wren_future *f)
{
    return f->state != WREN_FUTURE_PENDING;
}

int wren_future_result(wren_future *f, int64_t timeout_ms, const msgpack_object **out)
{
    if (out)
        *out = NULL;
    if (!f)
        return WREN_EINVAL;
    if (f->state == WREN_FUTURE_PENDING) {
        int rc = wren_wait(f->ex, &f, 1, WREN_ALL_COMPLETED, timeout_ms, NULL);
        if (rc == WREN_ETIMEDOUT)
            return WREN_ESTATE;
        if (rc != WREN_OK)
            return rc;
    }
    if (f->state != WREN_FUTURE_DONE)
        return f->status;
    if (!f->decoded) {
        msgpack_zone_init(&f->zone, 2048);
        f->decoded = 1;
        int rc = wren_msgpack_unpack_one(f->result, f->result_len, &f->zone, &f->obj);
        if (rc != WREN_OK) {
            msgpack_zone_destroy(&f->zone);
            f->decoded = 0;
            return WREN_EPROTO;
        }
    }
    if (out)
        *out = &f->obj;
    return WREN_OK;
}

const char *wren_future_result_bytes(const wren_future *f, size_t *size_bytes)
{
    if (size_bytes)
        *size_bytes = f && f->state == WREN_FUTURE_DONE ? f->result_len : 0;
    return f && f->state == WREN_FUTURE_DONE ? f->result : NULL;
}

char *wren_future_result_json(wren_future *f)
{
    const msgpack_object *o = NULL;
    if (!f || f->state != WREN_FUTURE_DONE || wren_future_result(f, 0, &o) != WREN_OK)
        return NULL;
    json_t *j = wren_msgpack_to_json(o);
    char *text = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

int wren_future_status(const wren_future *f)
{
    return f->state == WREN_FUTURE_PENDING ? WREN_ESTATE : f->status;
}

const char *wren_future_error_type(const wren_future *f)
{
    return f->error_type;
}
const char *wren_future_error_message(const wren_future *f)
{
    return f->error_message;
}
const char *wren_future_log_tail(const wren_future *f)
{
    return f->log_tail;
}
const char *wren_future_call_id(const wren_future *f)
{
    return f->call;
}
const char *wren_future_kernel(const wren_future *f)
{
    return f->kernel;
}
int wren_future_attempts(const wren_future *f)
{
    return f->attempts;
}

void wren_future_timings(const wren_future *f, wren_timings *out)
{
    *out = f->tm;
}

int wren_future_cancel(wren_future *f)
{
    if (!f)
        return WREN_EINVAL;
    if (f->state != WREN_FUTURE_PENDING)
        return WREN_ESTATE;
    s_finish_err(f->ex, f, WREN_ECANCELLED, "Wren.Cancelled", "cancelled by the caller", NULL);
    s_report(f->ex);
    return WREN_OK;
}

/* ---- plots --------------------------------------------------------------------- */

int wren_plot_executor(wren_executor *ex, const char *timeline_svg, const char *gflops_svg)
{
    if (!ex)
        return WREN_EINVAL;
    wren__plot_call *pc = calloc(ex->n_calls ? ex->n_calls : 1, sizeof *pc);
    if (!pc)
        return WREN_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < ex->n_calls; i++) {
        const wren_future *f = ex->calls[i];
        if (f->tm.t_start <= 0)
            continue;
        pc[n++] = (wren__plot_call){f->tm.t_submit, f->tm.t_start, f->tm.t_setup, f->tm.t_kernel,
                                    f->tm.t_written > 0 ? f->tm.t_written : f->tm.t_kernel, f->tm.flops,
                                    f->state == WREN_FUTURE_DONE};
    }
    int rc = WREN_OK;
    if (timeline_svg)
        rc = wren__plot_timeline(pc, n, ex->job, timeline_svg);
    if (rc == WREN_OK && gflops_svg)
        rc = wren__plot_gflops(pc, n, ex->job, gflops_svg);
    free(pc);
    return rc;
}

/* ---- cost ---------------------------------------------------------------------- */

int wren_job_cost(const wren_executor *ex, const wren_prices *prices, wren_cost *out)
{
    if (!ex || !out)
        return WREN_EINVAL;
    wren__cost_call *cc = calloc(ex->n_calls ? ex->n_calls : 1, sizeof *cc);
    if (!cc)
        return WREN_ENOMEM;
    for (size_t i = 0; i < ex->n_calls; i++) {
        const wren_future *f = ex->calls[i];
        /* t_submit of the first invoke is not kept: the latest one is (the
         * wall time is the job's anyway, from t_first below). */
        cc[i] = (wren__cost_call){f->tm.t_submit, f->tm.t_start, f->tm.t_written, f->attempts, f->args_in_store,
                                  f->out_in_store};
    }
    wren__s3_counts sdk = {ex->n_puts, ex->n_gets + ex->n_out_gets, ex->n_lists};
    wren__cost_compute(cc, ex->n_calls, ex->memory_mb, &sdk, prices, out);
    /* The wall time from the executor's first invoke, not a retried call's. */
    double t1 = 0;
    for (size_t i = 0; i < ex->n_calls; i++)
        if (cc[i].t_written > t1)
            t1 = cc[i].t_written;
    out->wall_s = ex->t_first > 0 && t1 > ex->t_first ? t1 - ex->t_first : 0;
    free(cc);
    return WREN_OK;
}
