/*
 * bootstrap/bootstrap.h: the worker's internal pieces, split so each can be
 * tested without a Runtime API, a store or the kernel registry.
 *
 *  - the event: parsing and checking the JSON Lambda delivers (docs/wire.md);
 *  - replies: the sync response, the status object, error typing;
 *  - the supervisor: runs kernels in a child process so a crash costs one
 *    invocation, not the worker (docs/bootstrap.md says why a long-lived child).
 *
 * Not installed; nothing outside bootstrap/, test/ and bench/ includes it.
 */
#ifndef WREN_BOOTSTRAP_H
#define WREN_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <msgpack.h>

#include "wren_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits ------------------------------------------------------------- */

#define WREN__EVENT_MAX_BYTES (6u * 1024 * 1024 + 1024) /* Lambda's sync payload cap, plus slack */
#define WREN__RESPONSE_MAX_BYTES (6u * 1024 * 1024)     /* Lambda refuses bigger sync responses */
#define WREN__INLINE_RESULT_MAX_BYTES (64u * 1024)      /* status carries results up to this inline */
#define WREN__INPUT_MAX_BYTES ((size_t)1 << 30)         /* store input cap: 1 GiB */
#define WREN__RESULT_MAX_BYTES ((size_t)1 << 30)        /* kernel result cap: 1 GiB */
#define WREN__URL_MAX_BYTES 2048
#define WREN__KEY_MAX_BYTES 1024
#define WREN__ERR_TYPE_MAX 128
#define WREN__ERR_MSG_MAX 2048
#define WREN__LOG_TAIL_MAX 4096

/* ---- the event ---------------------------------------------------------- */

typedef enum wren__args_form {
    WREN__ARGS_NONE,  /* no arguments: the kernel gets nil */
    WREN__ARGS_JSON,  /* "args": plain JSON */
    WREN__ARGS_B64,   /* "args_b64": base64 of msgpack */
    WREN__ARGS_STORE, /* "input": a store key */
} wren__args_form;

/* A checked event. Every pointer borrows from `root`, which the event owns. */
typedef struct wren__event {
    json_t *root;
    const char *kernel;   /* safe id, never NULL after a successful parse */
    wren__args_form form;
    const json_t *args;   /* WREN__ARGS_JSON */
    const char *args_b64; /* WREN__ARGS_B64 */
    size_t args_b64_len;
    const char *input;    /* WREN__ARGS_STORE: a well-formed key */
    const char *store;    /* URL, or NULL */
    const char *job;      /* safe id, or NULL */
    const char *call;     /* safe id, or NULL; job and call come together */
    int64_t attempt;      /* default 0 */
    double t_submit;      /* valid when has_t_submit */
    int has_t_submit;
    int reply_msgpack;    /* "reply": "msgpack" */
} wren__event;

/* Parses and checks an event (docs/wire.md). On failure returns
 * WREN_EBADINPUT with a message in err naming what was wrong (error type
 * Wren.BadEvent), and leaves ev empty. Free with wren__event_clean_up. */
int wren__event_parse(const char *payload, size_t len, wren__event *ev, char *err, size_t err_size);
void wren__event_clean_up(wren__event *ev); /* NULL-safe, idempotent */

/* True when the outcome goes to the store (store, job and call all present). */
int wren__event_has_outcome(const wren__event *ev);

/* True if key is a well-formed store key: 1..1024 bytes of '/'-separated
 * segments that each pass wren_is_safe_id (same rule as wren_store_key_ok). */
int wren__key_ok(const char *key);

/* Decodes the arguments carried in the event itself (JSON or base64) into
 * msgpack bytes appended to out. WREN__ARGS_NONE packs nil. Store input is
 * the caller's job. WREN_EBADINPUT with a message for bad base64 or JSON too
 * deep to convert. */
int wren__event_args(const wren__event *ev, wren_buf *out, char *err, size_t err_size);

/* ---- errors ------------------------------------------------------------- */

/* The errorType a caller sees for a kernel's failure: a kernel-chosen type is
 * prefixed "Wren." unless it already has a dot; with no type, WREN_EBADINPUT
 * maps to Wren.BadInput and anything else to Wren.KernelError. */
void wren__error_type(const char *kernel_type, int status, char *out, size_t out_size);

/* A readable name for a signal: "SIGSEGV"; "signal 77" for unknown ones. */
const char *wren__signal_name(int sig, char *buf, size_t buf_size);

/* ---- replies ------------------------------------------------------------ */

typedef struct wren__timings {
    double received;   /* event arrived (epoch seconds) */
    double setup_done; /* arguments ready; 0 when never reached */
    double kernel_done;/* kernel returned; 0 when never reached */
} wren__timings;

/* The sync response (docs/wire.md) as compact JSON, appended to out:
 * {"wren":1,"kernel","result"|"result_b64","flops","timings":{...}}.
 * `result` is msgpack bytes: rendered as JSON, or base64 when as_msgpack.
 * WREN_EBADINPUT if the result is not one msgpack object or nests too deep. */
int wren__response_json(const char *kernel, const char *result, size_t result_len, int as_msgpack, double flops,
                        const wren__timings *t, wren_buf *out);

/* Everything a status object records (docs/wire.md "Status object"). */
typedef struct wren__status_info {
    const char *job, *call, *kernel;
    int64_t attempt;
    int ok;
    const char *error_type, *error_message; /* when !ok */
    const char *result;                     /* msgpack bytes inline (<= 64 KiB), or NULL */
    size_t result_len;
    const char *result_key;                 /* when the result went to the store, or NULL */
    uint64_t result_bytes;
    double flops;
    int has_t_submit;
    double t_submit, t_start, t_setup, t_kernel, t_written; /* 0: not reached (null) */
    const char *instance;
    int cold;
    const char *log_tail; /* may be NULL or empty */
} wren__status_info;

/* The status object as compact JSON, appended to out. */
int wren__status_json(const wren__status_info *info, wren_buf *out);

/* ---- the supervisor ----------------------------------------------------- */

/* One task for a child: what the kernel needs, nothing of HTTP or stores. */
typedef struct wren__task {
    const char *kernel;
    const char *request_id;
    int64_t deadline_ms; /* epoch ms; 0: none */
    const char *args;    /* msgpack bytes */
    size_t args_len;
} wren__task;

/* What came back. The supervisor owns the strings and the result buffer
 * until the next run or wren__sup_destroy. */
typedef struct wren__task_result {
    int status;          /* WREN_OK, a kernel's status, WREN_ECRASH, WREN_ETIMEDOUT */
    char error_type[WREN__ERR_TYPE_MAX];   /* the final errorType ("Wren.KernelCrash"), when status != OK */
    char error_message[WREN__ERR_MSG_MAX];
    double flops;
    double t_setup;      /* args unpacked, ctx ready (epoch s) */
    double t_kernel;     /* kernel returned (epoch s) */
    wren_buf result;     /* msgpack bytes of the result when OK */
    wren_buf log_tail;   /* last lines the kernel logged */
} wren__task_result;

/* Runs one task where it is called (in the child, or in-process). Fills res
 * (status, error, flops, t_setup, t_kernel, result, log_tail) and returns. */
typedef void (*wren__run_fn)(const wren__task *task, wren__task_result *res, void *user);

typedef enum wren__isolation {
    WREN__ISO_CHILD,  /* one long-lived child, restarted when it dies (default) */
    WREN__ISO_FORK,   /* a fresh fork per task */
    WREN__ISO_INLINE, /* no isolation: in-process (benchmarks, debugging) */
} wren__isolation;

/* "child", "fork", "inline"; WREN_EINVAL for anything else. */
int wren__isolation_parse(const char *name, wren__isolation *out);

typedef struct wren__sup wren__sup;

/* A supervisor running tasks with `run` under the given isolation. With
 * WREN__ISO_CHILD the child is started now (so the first invocation does not
 * pay for the fork). `run` and `user` must outlive the supervisor. */
int wren__sup_new(wren__isolation iso, wren__run_fn run, void *user, wren__sup **out);
/* Stops the child (closes its pipe, then kills and reaps it). NULL-safe. */
void wren__sup_destroy(wren__sup *sup);

/* Runs a task and fills *res (owned by the supervisor, valid until the next
 * call). A crash or an exit gives status WREN_ECRASH, type Wren.KernelCrash
 * and a message naming the signal or exit status; a task still running
 * `margin_ms` before its deadline is killed (WREN_ETIMEDOUT, Sandbox.Timedout).
 * The worker survives both; the next run starts a fresh child. Returns
 * WREN_OK when a result (success or failure) is in *res, or WREN_ESYS when no
 * child could be started (pipe/fork failed). */
int wren__sup_run(wren__sup *sup, const wren__task *task, int64_t margin_ms, wren__task_result **res);

/* Starts the child now if there is none (WREN__ISO_CHILD only): the worker
 * calls it after answering an invocation whose child died, so the restart
 * happens between invocations. WREN_ESYS if pipe/fork failed. */
int wren__sup_ensure(wren__sup *sup);

/* Pid of the current child (0 if none): for tests. */
pid_t wren__sup_child_pid(const wren__sup *sup);

/* WREN_DEADLINE_MARGIN_MS when set to 0..600000, else -1. */
int64_t wren__deadline_margin_env(void);

/* The kill-at-deadline margin for a task whose outcome goes to store_url
 * (NULL: none): env_ms when >= 0, else 500 for an s3:// store, else 50. */
int64_t wren__deadline_margin_ms(int64_t env_ms, const char *store_url);

#ifdef __cplusplus
}
#endif
#endif
