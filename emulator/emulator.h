/*
 * emulator/emulator.h: the local Lambda service, as a library.
 *
 * Serves the Lambda Invoke API on one loopback port and a Runtime API for
 * every instance (a real `bootstrap` process each, with the environment
 * Lambda gives). Used by `wren emulator` and by the SDK's embedded local
 * default, which starts one inside the user's process on an ephemeral port.
 * Internal (not installed).
 */
#ifndef WREN_EMULATOR_H
#define WREN_EMULATOR_H

#include <stddef.h>
#include <stdint.h>

#include "wren/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wren_emulator_function {
    const char *name;           /* function name in the Invoke path; safe id */
    const char *bootstrap_path; /* executable run as each instance */
    const char *handler;        /* _HANDLER; NULL: "wren" */
    const char *task_root;      /* LAMBDA_TASK_ROOT; NULL: the bootstrap's directory */
    int concurrency;            /* instances at most; 0: the core count */
    double timeout_s;           /* function timeout; 0: 60 */
    int memory_mb;              /* memory size; 0: 1769 (1 vCPU) */
    int async_retries;          /* retries of failed Event invocations; < 0: Lambda's default, 2 */
} wren_emulator_function;

typedef struct wren_emulator_config {
    const char *host;           /* NULL: "127.0.0.1" */
    int port;                   /* 0: an ephemeral port (read it with wren_emulator_port) */
    const wren_emulator_function *functions;
    size_t n_functions;
    size_t queue_max;           /* queued Event invocations per function before 429; 0: 100000 */
    int idle_reap_s;            /* idle instances are stopped after this; 0: 600 */
    const char *log_path;       /* function logs (START/END/REPORT, worker stderr); NULL: stderr */
    int quiet;                  /* no START/END/REPORT lines */
    /* "NAME=VALUE" strings added to every instance's environment, as a
     * function's environment variables on Lambda: NAME is a letter then one
     * or more of [A-Za-z0-9_]; Lambda's reserved names (_HANDLER,
     * AWS_LAMBDA_*, AWS_REGION, credentials, LAMBDA_TASK_ROOT, ...) are
     * refused; together at most 4 KB. A NAME the emulator would also set or
     * pass through (PATH, LANG, TZ, LD_LIBRARY_PATH, WREN_*) takes this
     * value. Copied at start. */
    const char *const *env;
    size_t n_env;
} wren_emulator_config;

typedef struct wren_emulator wren_emulator;

/* Copies the config, binds, starts serving, and returns once the port is
 * listening. Instances start on demand (cold start at first invoke).
 *
 * What it does to the calling process: starts two threads (the HTTP event
 * loop and a supervisor); raises the soft RLIMIT_NOFILE to the hard limit
 * (instances get 1,024); instances are child processes of the caller, each
 * in its own process group, reaped through pidfds by their own pid only. It
 * installs no signal handler. A program that ignores SIGCHLD or reaps with
 * waitpid(-1) still works, but exit statuses are then lost ("exit status
 * unknown" in Runtime.ExitError). Start and stop may be called from any
 * thread; several emulators may run in one process. */
int wren_emulator_start(const wren_emulator_config *cfg, wren_emulator **out);
/* The port the Invoke API listens on. */
int wren_emulator_port(const wren_emulator *em);
/* Stops serving, kills every instance (no process left behind), joins every
 * thread, frees. Pending invocations fail. NULL-safe. */
void wren_emulator_stop(wren_emulator *em);
/* Detail of the last failure of wren_emulator_start; never NULL. */
const char *wren_emulator_errmsg(void);

#ifdef __cplusplus
}
#endif
#endif
