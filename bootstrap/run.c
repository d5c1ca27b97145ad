/* Running one task where the supervisor put it (the child, usually): look the
 * kernel up, unpack its arguments, call it, and hand back the outcome. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bootstrap.h"
#include "kernels.h"
#include "run.h"

/* Whether this process has set its BLAS thread count. Cleared in every
 * forked child (a respawned kernel child, a fork-per-task child), so each
 * process sets it once, without a getpid() per task. */
static int s_blas_set;

static void s_blas_after_fork(void)
{
    s_blas_set = 0;
}

__attribute__((constructor)) static void s_register_fork_hook(void)
{
    pthread_atfork(NULL, NULL, s_blas_after_fork);
}

void wren__run_kernel(const wren__task *task, wren__task_result *res, void *user)
{
    (void)user;
    /* The BLAS thread count (from the memory size) is set in the process
     * that runs kernels, on its first task: openblas_set_num_threads starts
     * the pool in whichever process calls it, and the supervisor's parent
     * never calls BLAS (main.c). Once per process: a respawned or forked
     * child sets it again. */
    if (!s_blas_set) {
        wren__kernels_set_blas_threads();
        s_blas_set = 1;
    }
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    wren_ctx ctx;
    wren__ctx_init(&ctx, task->request_id, task->deadline_ms);

    const wren_kernel_def *def = wren__kernels_find(task->kernel, strlen(task->kernel));
    if (!def) {
        /* The parent looked it up already; this only guards a mismatch. */
        res->status = WREN_EUNKNOWNKERNEL;
        snprintf(res->error_type, sizeof res->error_type, "Wren.UnknownKernel");
        snprintf(res->error_message, sizeof res->error_message, "no kernel named '%s' in this worker", task->kernel);
        goto cleanup;
    }
    msgpack_object args;
    int rc = wren_msgpack_unpack_one(task->args, task->args_len, &zone, &args);
    if (rc != WREN_OK) {
        res->status = rc == WREN_EBADINPUT ? WREN_EBADINPUT : rc;
        snprintf(res->error_type, sizeof res->error_type, "Wren.BadInput");
        snprintf(res->error_message, sizeof res->error_message,
                 "the arguments for kernel '%s' are not one msgpack object (%zu bytes: truncated, trailing bytes "
                 "or malformed)",
                 task->kernel, task->args_len);
        goto cleanup;
    }
    if (wren_msgpack_depth(&args, WREN_MAX_NESTING) > WREN_MAX_NESTING) {
        res->status = WREN_EBADINPUT;
        snprintf(res->error_type, sizeof res->error_type, "Wren.BadInput");
        snprintf(res->error_message, sizeof res->error_message,
                 "the arguments for kernel '%s' nest deeper than %d levels", task->kernel, WREN_MAX_NESTING);
        goto cleanup;
    }
    res->t_setup = wren_now_s();
    rc = wren__kernels_call(def, &args, &res->result, &ctx);
    res->t_kernel = wren_now_s();
    res->flops = ctx.flops;
    res->status = rc;
    if (rc != WREN_OK) {
        snprintf(res->error_type, sizeof res->error_type, "%s", ctx.error_type);
        snprintf(res->error_message, sizeof res->error_message, "%s", ctx.error_message);
        wren_buf_reset(&res->result);
    }
    if (ctx.log_len)
        wren_buf_append(&res->log_tail, ctx.log, ctx.log_len < WREN__LOG_TAIL_MAX ? ctx.log_len : WREN__LOG_TAIL_MAX);
cleanup:
    wren__ctx_clean_up(&ctx);
    msgpack_zone_destroy(&zone);
}
