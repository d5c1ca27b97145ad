/*
 * bootstrap: wren's custom runtime, the executable Lambda (or wren's local
 * emulator) runs. It loops on the Runtime API's `next`, checks the event,
 * reads the arguments (inline or from the store), runs the kernel in a
 * supervised child, writes the outcome to the store when the event asks, and
 * answers. docs/bootstrap.md describes it; docs/wire.md the formats.
 *
 * Logs go to stderr (Lambda sends it to CloudWatch); stdout is never written.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "bootstrap.h"
#include "kernels.h"
#include "run.h"
#include "store.h"
#include "wren/runtime.h"

#define S_TAG "bootstrap"
#define S_MAX_STORES 8

typedef struct s_store_slot {
    char *url;
    wren_store *st;
    uint64_t last_used;
} s_store_slot;

typedef struct s_worker {
    wren_runtime *rt;
    wren__sup *sup;
    char instance[2 + 32 + 1];
    uint64_t invocations; /* served so far: the first is the cold one */
    int64_t margin_env_ms; /* WREN_DEADLINE_MARGIN_MS, or -1 */
    s_store_slot stores[S_MAX_STORES];
    uint64_t store_clock;
    wren_buf args;  /* msgpack arguments, reused across invocations */
    wren_buf reply; /* response or status JSON */
} s_worker;

/* One invocation's outcome, as it will be answered. */
typedef struct s_outcome {
    int ok;
    char type[WREN__ERR_TYPE_MAX];
    char message[WREN__ERR_MSG_MAX + 256];
} s_outcome;

static void s_fail(s_outcome *o, const char *type, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void s_fail(s_outcome *o, const char *type, const char *fmt, ...)
{
    o->ok = 0;
    snprintf(o->type, sizeof o->type, "%s", type);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->message, sizeof o->message, fmt, ap);
    va_end(ap);
}

/* The open store for url, opening it on first use. Stores are kept by URL
 * (at most S_MAX_STORES, least recently used closed first) so a warm worker
 * does not reopen (and, for S3, re-resolve credentials) per invocation. */
static int s_store_get(s_worker *w, const char *url, wren_store **out, char *err, size_t err_size)
{
    s_store_slot *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < S_MAX_STORES; i++) {
        s_store_slot *s = &w->stores[i];
        if (s->url && !strcmp(s->url, url)) {
            s->last_used = ++w->store_clock;
            *out = s->st;
            return WREN_OK;
        }
        if (!s->url && !free_slot)
            free_slot = s;
        if (s->url && (!oldest || s->last_used < oldest->last_used))
            oldest = s;
    }
    wren_store *st = NULL;
    int rc = wren_store_open(url, &st);
    if (rc != WREN_OK) {
        snprintf(err, err_size, "cannot open store '%s': %s", url,
                 st ? wren_store_errmsg(st) : wren_strerror(rc));
        wren_store_destroy(st);
        return rc;
    }
    s_store_slot *slot = free_slot ? free_slot : oldest;
    if (slot->url) {
        free(slot->url);
        wren_store_destroy(slot->st);
    }
    slot->url = strdup(url);
    slot->st = st;
    slot->last_used = ++w->store_clock;
    if (!slot->url) {
        wren_store_destroy(st);
        slot->st = NULL;
        snprintf(err, err_size, "out of memory");
        return WREN_ENOMEM;
    }
    *out = st;
    return WREN_OK;
}

/* Writes the attempt's out object when the result is too big for the status,
 * then its status (always last: its presence means the attempt is finished).
 * Keys per attempt (wren__outcome_key): a retry or a backup never overwrites
 * another attempt's outcome. Fills the reply with the status JSON. */
static int s_write_outcome(s_worker *w, wren_store *st, const wren__event *ev, const s_outcome *o,
                           const wren__task_result *res, double t_start, s_outcome *store_err)
{
    char key[WREN__KEY_MAX_BYTES + 1];
    wren__status_info si = {0};
    si.job = ev->job;
    si.call = ev->call;
    si.kernel = ev->kernel;
    si.attempt = ev->attempt;
    si.ok = o->ok;
    si.error_type = o->type;
    si.error_message = o->message;
    si.has_t_submit = ev->has_t_submit;
    si.t_submit = ev->t_submit;
    si.t_start = t_start;
    si.instance = w->instance;
    si.cold = w->invocations == 0;
    if (res) {
        si.flops = res->flops;
        si.t_setup = res->t_setup;
        si.t_kernel = res->t_kernel;
        si.log_tail = res->log_tail.data;
    }
    if (o->ok) {
        si.result_bytes = res->result.len;
        if (res->result.len > WREN__INLINE_RESULT_MAX_BYTES) {
            wren__outcome_key(key, sizeof key, ev->job, ev->call, (int)ev->attempt, "out");
            int rc = wren_store_put(st, key, res->result.data, res->result.len);
            if (rc != WREN_OK) {
                s_fail(store_err, "Wren.StoreError", "cannot write the result to '%s' in %s: %s", key, ev->store,
                       wren_store_errmsg(st));
                return rc;
            }
            si.result_key = key;
        } else {
            si.result = res->result.data;
            si.result_len = res->result.len;
        }
    }
    si.t_written = wren_now_s();
    wren_buf_reset(&w->reply);
    int rc = wren__status_json(&si, &w->reply);
    if (rc != WREN_OK) {
        s_fail(store_err, "Wren.StoreError", "cannot build the status: %s", wren_strerror(rc));
        return rc;
    }
    char skey[WREN__KEY_MAX_BYTES + 1];
    wren__outcome_key(skey, sizeof skey, ev->job, ev->call, (int)ev->attempt, "status");
    rc = wren_store_put(st, skey, w->reply.data, w->reply.len);
    if (rc != WREN_OK) {
        s_fail(store_err, "Wren.StoreError", "cannot write the status to '%s' in %s: %s", skey, ev->store,
               wren_store_errmsg(st));
        return rc;
    }
    return WREN_OK;
}

/* Serves one invocation: everything up to (not including) the answer, which
 * is left in w->reply (success) or *o (failure). */
static void s_serve(s_worker *w, const wren_invocation *inv, s_outcome *o)
{
    double t_start = wren_now_s();
    wren__event ev;
    char err[WREN__ERR_MSG_MAX];
    wren_store *st = NULL;
    wren__task_result *res = NULL;
    o->ok = 1;
    wren_buf_reset(&w->args);
    wren_buf_reset(&w->reply);

    if (wren__event_parse(inv->payload, inv->payload_len, &ev, err, sizeof err) != WREN_OK) {
        s_fail(o, "Wren.BadEvent", "%s", err);
        return;
    }
    if (ev.store && s_store_get(w, ev.store, &st, err, sizeof err) != WREN_OK) {
        s_fail(o, "Wren.StoreError", "%s", err);
        goto cleanup; /* no store: no status can be written */
    }
    if (!wren__kernels_find(ev.kernel, strlen(ev.kernel))) {
        s_fail(o, "Wren.UnknownKernel", "no kernel named '%s' in this worker (%zu kernels registered)", ev.kernel,
               wren__kernels_count());
        goto outcome;
    }
    if (ev.form == WREN__ARGS_STORE) {
        int rc = wren_store_get(st, ev.input, &w->args);
        if (rc == WREN_ENOTFOUND) {
            s_fail(o, "Wren.StoreError", "input '%s' not found in %s", ev.input, ev.store);
            goto outcome;
        }
        if (rc != WREN_OK) {
            s_fail(o, "Wren.StoreError", "cannot read input '%s' from %s: %s", ev.input, ev.store,
                   rc == WREN_ETOOBIG ? "over the 1 GiB input limit" : wren_store_errmsg(st));
            goto outcome;
        }
    } else if (wren__event_args(&ev, &w->args, err, sizeof err) != WREN_OK) {
        s_fail(o, "Wren.BadInput", "%s", err[0] ? err : "cannot decode the arguments");
        goto outcome;
    }

    wren__task task = {ev.kernel, inv->request_id, inv->deadline_ms, w->args.data ? w->args.data : "", w->args.len};
    if (wren__sup_run(w->sup, &task, wren__deadline_margin_ms(w->margin_env_ms, ev.store), &res) != WREN_OK) {
        res = NULL;
        s_fail(o, "Wren.KernelCrash", "kernel '%s' could not be started: no child process (fork or pipe failed)",
               ev.kernel);
        goto outcome;
    }
    if (res->status != WREN_OK) {
        if (res->error_type[0])
            snprintf(o->type, sizeof o->type, "%s", res->error_type);
        else
            wren__error_type(NULL, res->status, o->type, sizeof o->type);
        snprintf(o->message, sizeof o->message, "%s", res->error_message);
        o->ok = 0;
        goto outcome;
    }

outcome:
    if (wren__event_has_outcome(&ev) && st) {
        s_outcome store_err = {0};
        if (s_write_outcome(w, st, &ev, o, res, t_start, &store_err) != WREN_OK) {
            wren__log(WREN_LOG_ERROR, S_TAG, "%s", store_err.message);
            if (o->ok)
                *o = store_err;
        }
        /* The store's status object is also the sync answer. */
        goto cleanup;
    }
    if (o->ok) {
        wren__timings t = {t_start, res->t_setup, res->t_kernel};
        int rc = wren__response_json(ev.kernel, res->result.data, res->result.len, ev.reply_msgpack, res->flops, &t,
                                     &w->reply);
        if (rc == WREN_ETOOBIG)
            s_fail(o, "Wren.OutputTooLarge", "the response for kernel '%s' is over the %u-byte limit", ev.kernel,
                   WREN__RESPONSE_MAX_BYTES);
        else if (rc != WREN_OK)
            s_fail(o, "Wren.KernelError", "kernel '%s' returned a result that cannot be rendered as JSON: %s",
                   ev.kernel, wren_strerror(rc));
    }
cleanup:
    wren__event_clean_up(&ev);
}

static int s_answer(s_worker *w, const wren_invocation *inv, const s_outcome *o)
{
    int rc;
    if (o->ok) {
        rc = wren_runtime_respond(w->rt, inv->request_id, w->reply.data, w->reply.len, "application/json");
        if (rc == WREN_ETOOBIG) {
            wren__log(WREN_LOG_WARN, S_TAG, "response of %zu bytes refused (413)", w->reply.len);
            char msg[160];
            snprintf(msg, sizeof msg, "the response (%zu bytes) was refused as too large", w->reply.len);
            rc = wren_runtime_fail(w->rt, inv->request_id, "Wren.OutputTooLarge", msg);
        }
    } else {
        wren__log(WREN_LOG_INFO, S_TAG, "request %s failed: %s: %s", inv->request_id, o->type, o->message);
        rc = wren_runtime_fail(w->rt, inv->request_id, o->type, o->message);
    }
    if (rc == WREN_ESTATE || rc == WREN_ETOOBIG) {
        /* The invocation is gone (answered, timed out): carry on. */
        wren__log(WREN_LOG_WARN, S_TAG, "answer for %s refused: %s", inv->request_id, wren_runtime_errmsg(w->rt));
        return WREN_OK;
    }
    return rc;
}

/* Start-up failed: tell the Runtime API (which fails the pending invoke with
 * this type and message) and exit non-zero. */
static int s_init_error(wren_runtime *rt, const char *type, const char *msg)
{
    wren__log(WREN_LOG_ERROR, S_TAG, "init error: %s: %s", type, msg);
    if (rt && wren_runtime_init_error(rt, type, msg) != WREN_OK)
        wren__log(WREN_LOG_ERROR, S_TAG, "could not report the init error: %s", wren_runtime_errmsg(rt));
    wren_runtime_destroy(rt);
    return 1;
}

/* OpenBLAS's constructor starts one pool thread per core unless
 * OPENBLAS_NUM_THREADS says otherwise, and its pthread_atfork handler joins
 * them again when the kernel child is forked: start-up work for a pool this
 * process never uses (the parent calls no BLAS; the thread count is set in
 * the process that runs kernels, see run.c). A priority constructor runs
 * before OpenBLAS's (linked statically; a shared OpenBLAS initialises first
 * and this changes nothing); main() removes the variable again so kernels
 * see the environment Lambda gave. A user's own OPENBLAS_NUM_THREADS stays. */
static int s_blas_env_ours;
__attribute__((constructor(101))) static void s_blas_no_pool_at_load(void)
{
    if (!getenv("OPENBLAS_NUM_THREADS") && setenv("OPENBLAS_NUM_THREADS", "1", 0) == 0)
        s_blas_env_ours = 1;
}

int main(void)
{
    if (s_blas_env_ours)
        unsetenv("OPENBLAS_NUM_THREADS");
    s_worker w;
    memset(&w, 0, sizeof w);
    wren_buf_init(&w.args, WREN__INPUT_MAX_BYTES);
    wren_buf_init(&w.reply, WREN__RESPONSE_MAX_BYTES);
    w.margin_env_ms = wren__deadline_margin_env();
    char msg[1024];

    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api || !*api) {
        wren__log(WREN_LOG_ERROR, S_TAG, "AWS_LAMBDA_RUNTIME_API is not set: run me under Lambda or `wren emulator`");
        return 1;
    }
    /* libcurl initialises OpenSSL, which parses its configuration file
     * (Debian's /usr/lib/ssl/openssl.cnf, 12 KB): ~0.25 ms of every cold
     * start, for settings the worker has no use for. The Runtime API is plain
     * HTTP, the store sets its CA bundle itself, and on Amazon Linux the
     * layer's OpenSSL finds no file at Debian's path anyway, so skipping it
     * makes the local worker behave as the deployed one. An explicit
     * OPENSSL_CONF is honoured. Done before the fork so the kernel child
     * (which may use the store) agrees. */
    if (!getenv("OPENSSL_CONF"))
        OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
    /* The kernel child is forked before the Runtime API client exists: the
     * fork is then cheaper (curl_global_init's ~0.8 ms of OpenSSL set-up has
     * not yet dirtied the heap the fork must share and the parent then
     * copies page by page), and the child runs in parallel with that set-up.
     * The child never uses the parent's client (a kernel that reaches the
     * store initialises libcurl in the child on first use). Init errors are
     * reported once the client exists. */
    const char *init_type = NULL;
    const char *handler = getenv("_HANDLER");
    const char *task_root = getenv("LAMBDA_TASK_ROOT");
    int rc = wren__kernels_from_handler(task_root, handler, msg, sizeof msg);
    if (rc != WREN_OK) {
        init_type = rc == WREN_EEXIST                            ? "Wren.DuplicateKernel"
                    : rc == WREN_EINVAL || rc == WREN_ENOTFOUND ? "Wren.BadHandler"
                                                                 : "Wren.InitError";
    } else {
        wren__isolation iso;
        const char *iso_name = getenv("WREN_ISOLATION");
        if (wren__isolation_parse(iso_name && *iso_name ? iso_name : NULL, &iso) != WREN_OK) {
            snprintf(msg, sizeof msg, "WREN_ISOLATION=%s: expected child, fork or inline", iso_name);
            init_type = "Wren.InitError";
        } else if (wren_random_hex(w.instance + 2, 16) != WREN_OK) {
            snprintf(msg, sizeof msg, "no randomness for the instance id");
            init_type = "Wren.InitError";
        } else if (wren__sup_new(iso, wren__run_kernel, NULL, &w.sup) != WREN_OK) {
            snprintf(msg, sizeof msg, "cannot start the kernel process (pipe or fork failed)");
            init_type = "Wren.InitError";
        }
        w.instance[0] = 'i';
        w.instance[1] = '-';
    }
    rc = wren_runtime_new(api, &w.rt);
    if (rc != WREN_OK) {
        wren__log(WREN_LOG_ERROR, S_TAG, "cannot use AWS_LAMBDA_RUNTIME_API=%s: %s", api, wren_strerror(rc));
        wren__sup_destroy(w.sup);
        return 1;
    }
    if (init_type)
        return s_init_error(w.rt, init_type, msg);

    int protocol_errors = 0;
    for (;;) {
        wren_invocation inv;
        rc = wren_runtime_next(w.rt, &inv);
        if (rc == WREN_EPROTO && ++protocol_errors < 10) {
            wren__log(WREN_LOG_WARN, S_TAG, "bad answer to next: %s", wren_runtime_errmsg(w.rt));
            continue;
        }
        if (rc != WREN_OK) {
            wren__log(WREN_LOG_ERROR, S_TAG, "next failed, exiting: %s", wren_runtime_errmsg(w.rt));
            break;
        }
        protocol_errors = 0;
        s_outcome o;
        s_serve(&w, &inv, &o);
        rc = s_answer(&w, &inv, &o);
        w.invocations++;
        if (rc != WREN_OK) {
            wren__log(WREN_LOG_ERROR, S_TAG, "the Runtime API is gone, exiting: %s", wren_runtime_errmsg(w.rt));
            break;
        }
        /* A child that died is restarted now, between invocations. */
        if (wren__sup_ensure(w.sup) != WREN_OK)
            wren__log(WREN_LOG_ERROR, S_TAG, "cannot restart the kernel process; will retry on the next call");
    }
    wren__sup_destroy(w.sup);
    for (int i = 0; i < S_MAX_STORES; i++) {
        free(w.stores[i].url);
        wren_store_destroy(w.stores[i].st);
    }
    wren_buf_clean_up(&w.args);
    wren_buf_clean_up(&w.reply);
    wren_runtime_destroy(w.rt);
    return 1;
}
