/*
 * emulator/emulator_internal.h: the emulator's objects, shared by its files.
 *
 * One mutex per emulator (em->lock) guards every field below unless a comment
 * says otherwise. Two threads run per emulator: libmicrohttpd's event loop
 * (Invoke API and every instance's Runtime API, on one daemon) and the
 * supervisor (accepts instance connections, reads instance output, reaps
 * exits, enforces timeouts and idle reaping). Nothing is global, so several
 * emulators can live in one process.
 */
#ifndef WREN_EMULATOR_INTERNAL_H
#define WREN_EMULATOR_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "emulator.h"
#include "wren_common.h"

#define WREN__SYNC_MAX_BYTES ((size_t)6 * 1024 * 1024)  /* Invoke RequestResponse payload */
#define WREN__ASYNC_MAX_BYTES ((size_t)1024 * 1024)     /* Invoke Event payload */
#define WREN__RESPONSE_MAX_BYTES ((size_t)6 * 1024 * 1024) /* runtime's response */
#define WREN__ERROR_MAX_BYTES ((size_t)1024 * 1024)     /* runtime's error body */
#define WREN__TAIL_BYTES 4096                          /* X-Amz-Log-Result */
#define WREN__REQUEST_ID_LEN 36

typedef struct wren__fn wren__fn;
typedef struct wren__inst wren__inst;
typedef struct wren__inv wren__inv;
typedef struct wren__req wren__req;

typedef enum { WREN__INV_QUEUED, WREN__INV_RUNNING, WREN__INV_DONE } wren__inv_state;

/* One invocation. Sync ones are shared by the Invoke connection's request
 * (wren__req) and the engine; async ones by the engine alone: refs counts. */
struct wren__inv {
    wren__inv *next; /* function queue link */
    wren__fn *fn;
    char id[WREN__REQUEST_ID_LEN + 1];
    char trace_id[128];
    char *client_context; /* decoded X-Amz-Client-Context, or NULL */
    char *payload;
    size_t payload_len;
    int is_async;
    int attempt;
    int want_tail;
    wren__inv_state state;
    int refs;
    struct MHD_Connection *conn; /* the suspended Invoke connection (sync) */
    wren__inst *inst;            /* running on */
    uint64_t start_ns;
    int64_t deadline_ms;
    /* The log of this invocation (START..REPORT), last bytes only. */
    wren_buf log;
    /* The answer, built on completion; the Invoke handler queues it. */
    struct MHD_Response *resp;
    unsigned int http_status;
};

typedef enum {
    WREN__INST_STARTING, /* spawned, no `next` yet */
    WREN__INST_IDLE,     /* a `next` is waiting (suspended) */
    WREN__INST_BUSY,     /* has an invocation, or is between response and next */
    WREN__INST_DEAD      /* killed or exited; waiting to be reaped */
} wren__inst_state;

typedef enum { WREN__EV_LISTEN, WREN__EV_PID, WREN__EV_OUT, WREN__EV_WAKE } wren__ev_kind;

typedef struct wren__ev {
    wren__ev_kind kind;
    wren__inst *inst;
} wren__ev;

struct wren__inst {
    wren__inst *next; /* function's instance list */
    wren__fn *fn;
    unsigned long serial;
    pid_t pid;       /* 0 when spawn failed */
    int pidfd;       /* supervisor-owned; -1 when closed */
    int listen_fd;   /* supervisor-owned */
    int out_fd;      /* read end of the stdout+stderr pipe; supervisor-owned */
    int port;
    wren__inst_state state;
    int inited;      /* saw the first `next` */
    int init_error;  /* posted init/error */
    int reaped;
    int refs;        /* process + open connections + supervisor batch */
    int cold_pending; /* the next invocation reports Init Duration */
    uint64_t spawn_ns;
    double init_ms;
    uint64_t idle_since_ns;
    struct MHD_Connection *next_conn; /* suspended `next` */
    wren__req *next_req;
    wren__inv *cur;
    wren__ev ev_listen, ev_pid, ev_out;
    int status_fd;   /* /proc/PID/status, kept open for REPORT's Max Memory Used; -1 if not */
    char log_stream[96];
};

struct wren__fn {
    wren_emulator *em;
    char *name;
    char *bootstrap_path;
    char *handler;
    char *task_root;
    char arn[256];
    int concurrency;
    double timeout_s;
    int memory_mb;
    int async_retries;
    wren__inst *instances;
    int n_alive;      /* instances not DEAD */
    wren__inv *q_head, *q_tail;
    size_t n_queued;  /* all queued */
    size_t n_async_queued;
};

struct wren_emulator {
    pthread_mutex_t lock;
    struct MHD_Daemon *mhd;
    int port;
    char host[64];
    char region[64];
    wren__fn *fns;
    size_t n_fns;
    size_t queue_max;
    int idle_reap_s;
    int quiet;
    char **env;       /* the user's "NAME=VALUE" for every instance (config.env) */
    size_t n_env;
    int log_fd;
    int own_log_fd;
    int stopping;
    unsigned long inst_serial;
    /* supervisor */
    int epfd;
    int wake_fd;
    wren__ev ev_wake;
    pthread_t sup;
    int sup_started;
    int64_t sup_wake_ms; /* when the supervisor will next look at deadlines */
    /* Request ids and trace ids come from this generator, seeded once from
     * getrandom: ids need to be unique, not secret, and a syscall per
     * invocation showed up in the profile. */
    uint64_t rng[4];
    /* The Runtime API's 202 {"status":"OK"}, shared by every answer (MHD
     * counts its references); built once at start. */
    struct MHD_Response *accepted;
    /* connections to resume once the lock is released (see wren__unlock) */
    struct MHD_Connection **resume_q;
    size_t resume_len, resume_cap;
};

/* Request kinds served by the one daemon. */
typedef enum {
    WREN__REQ_INVOKE,
    WREN__REQ_NEXT,
    WREN__REQ_RESPONSE,
    WREN__REQ_ERROR,
    WREN__REQ_INIT_ERROR,
    WREN__REQ_OTHER
} wren__req_kind;

struct wren__req {
    wren__req_kind kind;
    wren__inst *inst; /* Runtime API requests: the instance the port belongs to */
    wren__fn *fn;     /* Invoke: the function (NULL: unknown) */
    char id[WREN__REQUEST_ID_LEN + 8];
    wren_buf body;
    size_t max_bytes;
    int too_big;
    int suspended;
    int dead;                    /* next: the instance went away while waiting */
    wren__inv *inv;              /* Invoke: the sync invocation */
    struct MHD_Response *resp;   /* next: the event, prepared by whoever assigned it */
    unsigned int http_status;
};

/* ---- emulator.c: the engine (call with em->lock held) ---- */

/* Queues conn to be resumed by the next wren__unlock. */
void wren__resume_later(wren_emulator *em, struct MHD_Connection *conn);
/* Releases em->lock, then resumes the queued connections. Every holder of
 * the lock releases it through here. */
void wren__unlock(wren_emulator *em);

/* Queues inv (takes the engine's reference) and dispatches. */
void wren__enqueue(wren__fn *fn, wren__inv *inv);
/* Gives queued invocations to idle instances and spawns instances for the rest. */
void wren__dispatch(wren__fn *fn);
/* A `next` arrived on inst: either answers at once (returns 1 and fills
 * req->resp) or parks the connection (returns 0; caller suspends). */
int wren__on_next(wren__inst *inst, wren__req *req, struct MHD_Connection *conn);
/* Finishes inst's current invocation: ok (body is the response) or a
 * function error (body is the error JSON). */
void wren__complete(wren__inst *inst, int func_error, const char *body, size_t len);
/* init/error from the runtime: fails the invocation waiting on this cold
 * start with body and stops the instance. */
void wren__on_init_error(wren__inst *inst, const char *body, size_t len);
wren__inst *wren__find_inst_by_port(wren_emulator *em, int port);
wren__fn *wren__find_fn(wren_emulator *em, const char *name);
void wren__inst_unref(wren__inst *inst);
void wren__inv_unref(wren__inv *inv);
wren__inv *wren__inv_new(wren__fn *fn, const char *payload, size_t len, int is_async);
void wren__wake_supervisor(wren_emulator *em, int64_t deadline_ms);

/* ---- http.c ---- */
int wren__http_start(wren_emulator *em, int listen_fd);
/* An AWS-shaped error response (x-amzn-ErrorType, JSON body). */
struct MHD_Response *wren__aws_error(const char *type, const char *message);
/* Builds the response a sync Invoke gets for a finished invocation. */
struct MHD_Response *wren__invoke_response(wren__inv *inv, int func_error, const char *body, size_t len);
/* Builds the `next` response carrying inv. */
struct MHD_Response *wren__next_response(wren__inv *inv);

#endif
