/*
 * kernels/kernels.h: the worker's side of the kernel registry. Internal: used
 * by bootstrap/ and cli/, never by kernel authors (they use wren/kernel.h).
 *
 *  - the registry: the explicit built-in table (kernels/builtins.c) plus every
 *    kernel a WREN_KERNEL constructor registered, in the executable or in a
 *    shared object loaded with wren__kernels_load_shared();
 *  - start-up checks: a duplicate or malformed name fails loudly, naming both
 *    registrations;
 *  - the context a kernel runs in (struct wren_ctx, caller storage);
 *  - running a kernel into a wren_buf, and the OpenBLAS thread count.
 *
 * Thread-safety: registration and loading happen at start-up, on one thread.
 * Lookups are read-only afterwards and may run on any thread.
 */
#ifndef WREN_KERNELS_H
#define WREN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "wren/kernel.h"
#include "wren_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the registry -------------------------------------------------------- */

/* The kernel called `name` (len bytes, need not be NUL-terminated), or NULL.
 * The pointer stays valid for the life of the process. */
const wren_kernel_def *wren__kernels_find(const char *name, size_t len);

/* Number of registered kernels, and the i-th (built-ins first, in table order,
 * then registrations in the order they happened). NULL when i is out of range. */
size_t wren__kernels_count(void);
const wren_kernel_def *wren__kernels_at(size_t i);
/* Where the i-th kernel came from, for messages and `wren kernels`:
 * "built-in", or "FILE:LINE in OBJECT" for a WREN_KERNEL registration. Never
 * NULL; valid until the next registration (copy it to keep it). */
const char *wren__kernels_origin(size_t i);

/* Checks the whole registry once at start-up: every name matches
 * [A-Za-z0-9._-]{1,128} (and is not "." or ".."), every kernel has a function,
 * no name appears twice, and no registration was lost to memory exhaustion.
 * Returns WREN_OK, or WREN_EEXIST for a duplicate (msg: "kernel 'foo' is
 * registered twice: ORIGIN1 and ORIGIN2") / WREN_EINVAL otherwise, with msg
 * (always NUL-terminated when size > 0) saying why. */
int wren__kernels_check(char *msg, size_t size);

/* dlopen()s a user's shared object (RTLD_NOW) whose WREN_KERNEL constructors
 * register its kernels, then runs wren__kernels_check(). On any failure the
 * kernels this call added are taken out of the registry again (the object
 * stays mapped: its constructors may have done other things) and msg says why:
 * the dlerror() text, "PATH registered no kernels", or the duplicate.
 * The executable must export its symbols (wren_kernels adds
 * -Wl,--export-dynamic to whatever links it) so the object's calls to
 * wren_kernel_register() and the wren_arg and wren_array helpers resolve. */
int wren__kernels_load_shared(const char *path, char *msg, size_t size);

/* The _HANDLER rule (docs/kernels.md). If `handler` ends in ".so" it must be
 * a plain file name (no '/', no "..", [A-Za-z0-9._-] only) and
 * TASK_ROOT/HANDLER is loaded with wren__kernels_load_shared(); otherwise
 * (e.g. "wren", or NULL) nothing is loaded. Either way the registry is then
 * checked. task_root NULL or empty means ".". Returns WREN_OK or a status
 * with msg saying why (WREN_EINVAL for a refused handler). */
int wren__kernels_from_handler(const char *task_root, const char *handler, char *msg, size_t size);

/* ---- the context --------------------------------------------------------- */

#define WREN_CTX_REQUEST_ID_BYTES 128
#define WREN_CTX_LOG_BYTES 4096
#define WREN_CTX_ERROR_TYPE_BYTES 128
#define WREN_CTX_ERROR_MESSAGE_BYTES 2048

/* One invocation's context. Caller storage: wren__ctx_init() it per call.
 * Fields are read by the bootstrap after the kernel returns; kernels use the
 * accessors in wren/kernel.h. */
struct wren_ctx {
    char request_id[WREN_CTX_REQUEST_ID_BYTES]; /* copied, truncated */
    int64_t deadline_ms;                        /* epoch ms; 0 = no deadline */
    double flops;                               /* sum of wren_ctx_add_flops() */
    int log_to_stderr;                          /* 1 (default): wren_ctx_log also writes stderr */
    /* The last WREN_CTX_LOG_BYTES-1 bytes of the log, whole lines, each ending
     * in '\n'; older lines are dropped first. NUL-terminated. */
    char log[WREN_CTX_LOG_BYTES];
    size_t log_len;
    size_t log_dropped_bytes; /* how much was dropped from the front */
    int failed;               /* an error was recorded */
    /* "Wren.X" (or the kernel's own dotted type), [A-Za-z0-9._-] only. */
    char error_type[WREN_CTX_ERROR_TYPE_BYTES];
    char error_message[WREN_CTX_ERROR_MESSAGE_BYTES]; /* copied, truncated, NUL-terminated */
};

/* Sets an empty context for one invocation. request_id NULL means "". */
void wren__ctx_init(wren_ctx *ctx, const char *request_id, int64_t deadline_ms);
/* Releases what the context holds (nothing today: it owns no heap memory)
 * and zeroes it. NULL-safe. */
void wren__ctx_clean_up(wren_ctx *ctx);
/* Records an error unless one already is: type goes through the same "Wren."
 * prefixing as wren_ctx_fail(). Used by the worker for its own errors. */
void wren__ctx_set_error(wren_ctx *ctx, const char *error_type, const char *message);
/* After a kernel returned rc: makes sure a failed call has an error type and
 * message (the kernel's own, or one derived from rc: WREN_EBADINPUT gives
 * "Wren.BadInput", WREN_ETOOBIG "Wren.OutputTooLarge", anything else
 * "Wren.KernelError" with wren_strerror(rc)).
 * Returns rc, or WREN_EKERNEL when rc was WREN_OK but the kernel recorded an
 * error anyway. */
int wren__ctx_settle(wren_ctx *ctx, int rc);

/* ---- running a kernel ---------------------------------------------------- */

/* Runs `def` over args (NULL is treated as nil) packing the result into `out`
 * (appended; the caller chooses out's size cap). Returns the settled status
 * (see wren__ctx_settle). A result over out's cap gives WREN_ETOOBIG with
 * "Wren.OutputTooLarge"; a kernel that returns WREN_OK but packs nothing gives
 * "Wren.KernelError". Does not catch crashes: isolation is the caller's. */
int wren__kernels_call(const wren_kernel_def *def, const msgpack_object *args, wren_buf *out, wren_ctx *ctx);

/* ---- OpenBLAS threads ---------------------------------------------------- */

/* The thread count for a worker with AWS_LAMBDA_FUNCTION_MEMORY_SIZE =
 * memory_mb_text: Lambda gives one vCPU per 1,769 MB (rounded up, at most 6),
 * capped by host_cores (when > 0). Unset, empty or not a positive integer: 1. */
int wren__kernels_blas_threads_for(const char *memory_mb_text, long host_cores);
/* Applies wren__kernels_blas_threads_for(getenv(...), cores this process may
 * run on) with openblas_set_num_threads(). Returns the count. */
int wren__kernels_set_blas_threads(void);

#ifdef __cplusplus
}
#endif
#endif
