/*
 * The supervisor: runs kernels away from the process that talks to the
 * Runtime API, so a kernel that segfaults, aborts or exits costs one
 * invocation (answered with Wren.KernelCrash) and not the worker.
 *
 * WREN__ISO_CHILD (the default, chosen by measurement: docs/bootstrap.md)
 * keeps one child alive; a pipe each way carries one request frame and one
 * response frame per task. WREN__ISO_FORK forks a child per task (it reads
 * the task from its copy of memory and answers on a pipe). WREN__ISO_INLINE
 * calls the kernel in-process (no isolation; for benchmarks and debugging).
 *
 * The parent never calls BLAS, so OpenBLAS's worker threads live only in the
 * child: its pthread_atfork handler stops the (idle) pool in the parent before
 * each fork, and the child starts its own on first use.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootstrap.h"

#define S_REQ_MAGIC 0x77524551u /* "wREQ" */
#define S_RES_MAGIC 0x77524553u /* "wRES" */

typedef struct s_req_hdr {
    uint32_t magic;
    uint32_t kernel_len;
    uint32_t request_id_len;
    uint32_t pad;
    int64_t deadline_ms;
    uint64_t args_len;
} s_req_hdr;

typedef struct s_res_hdr {
    uint32_t magic;
    int32_t status;
    double flops, t_setup, t_kernel;
    uint32_t type_len, msg_len, log_len, pad;
    uint64_t result_len;
} s_res_hdr;

/* A frame reader: small frames arrive whole in one read() instead of one per
 * field. Frames are strictly request/response, so nothing is ever read
 * ahead of the current frame; reset it whenever the pipe changes. */
typedef struct s_reader {
    size_t pos, len;
    char buf[16384];
} s_reader;

struct wren__sup {
    wren__isolation iso;
    wren__run_fn run;
    void *user;
    pid_t child;
    int to_child;   /* parent's write end (CHILD mode) */
    int from_child; /* parent's read end */
    wren__task_result res;
    s_reader rd; /* for from_child; reset with each new child */
};

int64_t wren__deadline_margin_env(void)
{
    const char *e = getenv("WREN_DEADLINE_MARGIN_MS");
    if (e && *e) {
        char *end = NULL;
        long long v = strtoll(e, &end, 10);
        if (end && *end == '\0' && v >= 0 && v <= 600000)
            return v;
    }
    return -1;
}

int64_t wren__deadline_margin_ms(int64_t env_ms, const char *store_url)
{
    if (env_ms >= 0)
        return env_ms;
    /* A stopped kernel's status must still reach the store before Lambda's
     * own deadline ends the instance: a file write takes microseconds, an
     * S3 PUT (with retries) hundreds of milliseconds. Too short a margin
     * turns Sandbox.Timedout into a lost call the client only sees at its
     * deadline (it_faults_aws_kernel measured it). */
    if (store_url && !strncmp(store_url, "s3://", 5))
        return 500;
    return 50;
}

int wren__isolation_parse(const char *name, wren__isolation *out)
{
    if (!name || !strcmp(name, "child"))
        *out = WREN__ISO_CHILD;
    else if (!strcmp(name, "fork"))
        *out = WREN__ISO_FORK;
    else if (!strcmp(name, "inline"))
        *out = WREN__ISO_INLINE;
    else
        return WREN_EINVAL;
    return WREN_OK;
}

/* ---- raw I/O -------------------------------------------------------------- */

static int s_write_all(int fd, struct iovec *iov, int iovcnt)
{
    while (iovcnt > 0) {
        ssize_t n = writev(fd, iov, iovcnt > IOV_MAX ? IOV_MAX : iovcnt);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        size_t left = (size_t)n;
        while (iovcnt > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            iovcnt--;
        }
        if (iovcnt > 0) {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

/* Reads what is there, up to max bytes, waiting until deadline_ns (a
 * wren_mono_ns() time; 0 for none). Returns the count (> 0), -1 on EOF or
 * error, -2 when the deadline passed first. */
static ssize_t s_read_some(int fd, char *p, size_t max, uint64_t deadline_ns)
{
    for (;;) {
        if (deadline_ns) {
            uint64_t now = wren_mono_ns();
            if (now >= deadline_ns)
                return -2;
            uint64_t wait_ms = (deadline_ns - now + 999999) / 1000000;
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            int r = poll(&pfd, 1, wait_ms > 3600000 ? 3600000 : (int)wait_ms);
            if (r < 0 && errno != EINTR)
                return -1;
            if (r <= 0)
                continue;
        }
        ssize_t got = read(fd, p, max);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -1;
        }
        return got == 0 ? -1 : got;
    }
}

/* Reads exactly n bytes: 0, -1 (EOF or error) or -2 (deadline). */
static int s_read_all(int fd, void *buf, size_t n, uint64_t deadline_ns)
{
    char *p = buf;
    while (n > 0) {
        ssize_t got = s_read_some(fd, p, n, deadline_ns);
        if (got < 0)
            return (int)got;
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

static int s_rd(s_reader *r, int fd, void *dst, size_t n, uint64_t deadline_ns)
{
    char *p = dst;
    size_t have = r->len - r->pos;
    size_t k = have < n ? have : n;
    if (k) {
        memcpy(p, r->buf + r->pos, k);
        r->pos += k;
        p += k;
        n -= k;
    }
    if (n == 0)
        return 0;
    if (n >= sizeof r->buf)
        return s_read_all(fd, p, n, deadline_ns);
    r->pos = r->len = 0;
    while (r->len < n) {
        ssize_t got = s_read_some(fd, r->buf + r->len, sizeof r->buf - r->len, deadline_ns);
        if (got < 0)
            return (int)got;
        r->len += (size_t)got;
    }
    memcpy(p, r->buf, n);
    r->pos = n;
    return 0;
}

static void s_result_init(wren__task_result *res)
{
    memset(res, 0, sizeof *res);
    wren_buf_init(&res->result, WREN__RESULT_MAX_BYTES);
    wren_buf_init(&res->log_tail, WREN__LOG_TAIL_MAX + 1);
}

static void s_result_reset(wren__task_result *res)
{
    res->status = WREN_OK;
    res->error_type[0] = '\0';
    res->error_message[0] = '\0';
    res->flops = 0;
    res->t_setup = 0;
    res->t_kernel = 0;
    wren_buf_reset(&res->result);
    wren_buf_reset(&res->log_tail);
}

static void s_result_clean_up(wren__task_result *res)
{
    wren_buf_clean_up(&res->result);
    wren_buf_clean_up(&res->log_tail);
}

static int s_send_result(int fd, const wren__task_result *res)
{
    s_res_hdr h = {0};
    h.magic = S_RES_MAGIC;
    h.status = res->status;
    h.flops = res->flops;
    h.t_setup = res->t_setup;
    h.t_kernel = res->t_kernel;
    h.type_len = (uint32_t)strnlen(res->error_type, sizeof res->error_type);
    h.msg_len = (uint32_t)strnlen(res->error_message, sizeof res->error_message);
    h.log_len = (uint32_t)(res->log_tail.len > WREN__LOG_TAIL_MAX ? WREN__LOG_TAIL_MAX : res->log_tail.len);
    h.result_len = res->status == WREN_OK ? res->result.len : 0;
    struct iovec iov[5] = {
        {&h, sizeof h},
        {(void *)res->error_type, h.type_len},
        {(void *)res->error_message, h.msg_len},
        {res->log_tail.data, h.log_len},
        {res->result.data, (size_t)h.result_len},
    };
    return s_write_all(fd, iov, 5);
}

/* Reads a response frame into res. 0, -1 (child gone or garbled), -2 (deadline). */
static int s_recv_result(s_reader *rd, int fd, wren__task_result *res, uint64_t deadline_ns)
{
    s_res_hdr h;
    int r = s_rd(rd, fd, &h, sizeof h, deadline_ns);
    if (r != 0)
        return r;
    if (h.magic != S_RES_MAGIC || h.type_len >= sizeof res->error_type || h.msg_len >= sizeof res->error_message ||
        h.log_len > WREN__LOG_TAIL_MAX || h.result_len > WREN__RESULT_MAX_BYTES)
        return -1;
    res->status = h.status;
    res->flops = h.flops;
    res->t_setup = h.t_setup;
    res->t_kernel = h.t_kernel;
    if ((r = s_rd(rd, fd, res->error_type, h.type_len, deadline_ns)) != 0)
        return r;
    res->error_type[h.type_len] = '\0';
    if ((r = s_rd(rd, fd, res->error_message, h.msg_len, deadline_ns)) != 0)
        return r;
    res->error_message[h.msg_len] = '\0';
    if (wren_buf_reserve(&res->log_tail, h.log_len) != WREN_OK ||
        wren_buf_reserve(&res->result, (size_t)h.result_len) != WREN_OK)
        return -1;
    if ((r = s_rd(rd, fd, res->log_tail.data, h.log_len, deadline_ns)) != 0)
        return r;
    res->log_tail.len = h.log_len;
    res->log_tail.data[h.log_len] = '\0';
    if ((r = s_rd(rd, fd, res->result.data, (size_t)h.result_len, deadline_ns)) != 0)
        return r;
    res->result.len = (size_t)h.result_len;
    res->result.data[res->result.len] = '\0';
    return 0;
}

/* ---- the child ------------------------------------------------------------ */

/* In a fresh child: die with the parent, keep only the pipes and stdio. */
static void s_child_setup(int keep_a, int keep_b, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(0); /* the parent died before prctl: nobody will read our answers */
    int a = keep_a < keep_b ? keep_a : keep_b;
    int b = keep_a < keep_b ? keep_b : keep_a;
    /* The Runtime API socket and store handles stay in the parent only. */
    if (a > 3)
        close_range(3, (unsigned)a - 1, 0);
    if (b > a + 1)
        close_range((unsigned)a + 1, (unsigned)b - 1, 0);
    close_range((unsigned)b + 1, ~0u, 0);
    signal(SIGPIPE, SIG_DFL);
    /* A kernel's printf must not reach stdout (the worker's logs are stderr,
     * and stdout is nobody's protocol here): send it to stderr too. Bytes the
     * parent had buffered are the parent's to write: drop our copy. */
    __fpurge(stdout);
    dup2(STDERR_FILENO, STDOUT_FILENO);
}

/* The long-lived child: one request frame in, one response frame out, until
 * the parent closes the pipe. Never returns. */
static void s_child_loop(wren__sup *sup, int rfd, int wfd)
{
    wren__task_result res;
    s_result_init(&res);
    static s_reader rd; /* static: 16 KiB is too much for some kernels' stacks */
    char *kernel = NULL, *request_id = NULL, *args = NULL;
    for (;;) {
        s_req_hdr h;
        if (s_rd(&rd, rfd, &h, sizeof h, 0) != 0 || h.magic != S_REQ_MAGIC || h.kernel_len > 1024 ||
            h.request_id_len > 4096 || h.args_len > WREN__INPUT_MAX_BYTES)
            break;
        kernel = malloc(h.kernel_len + 1);
        request_id = malloc(h.request_id_len + 1);
        args = malloc(h.args_len ? h.args_len : 1);
        if (!kernel || !request_id || !args || s_rd(&rd, rfd, kernel, h.kernel_len, 0) != 0 ||
            s_rd(&rd, rfd, request_id, h.request_id_len, 0) != 0 || s_rd(&rd, rfd, args, h.args_len, 0) != 0)
            break;
        kernel[h.kernel_len] = '\0';
        request_id[h.request_id_len] = '\0';
        wren__task task = {kernel, request_id, h.deadline_ms, args, (size_t)h.args_len};
        s_result_reset(&res);
        sup->run(&task, &res, sup->user);
        free(kernel);
        free(request_id);
        free(args);
        kernel = request_id = args = NULL;
        if (s_send_result(wfd, &res) != 0)
            break;
    }
    /* _exit: the parent's atexit handlers (libcurl, stores) are not ours to run. */
    _exit(0);
}

static void s_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Reaps the child (it is dead or dying) and describes how it ended. */
static void s_reap(wren__sup *sup, const char *kernel, wren__task_result *res, int killed_for_deadline)
{
    int wstatus = 0;
    pid_t r;
    do {
        r = waitpid(sup->child, &wstatus, 0);
    } while (r < 0 && errno == EINTR);
    sup->child = 0;
    s_close(&sup->to_child);
    s_close(&sup->from_child);
    if (killed_for_deadline)
        return;
    res->status = WREN_ECRASH;
    snprintf(res->error_type, sizeof res->error_type, "Wren.KernelCrash");
    if (r > 0 && WIFSIGNALED(wstatus)) {
        char buf[32];
        int sig = WTERMSIG(wstatus);
        snprintf(res->error_message, sizeof res->error_message, "kernel '%s' died of %s (signal %d)", kernel,
                 wren__signal_name(sig, buf, sizeof buf), sig);
    } else if (r > 0 && WIFEXITED(wstatus)) {
        snprintf(res->error_message, sizeof res->error_message, "kernel '%s' exited with status %d", kernel,
                 WEXITSTATUS(wstatus));
    } else {
        snprintf(res->error_message, sizeof res->error_message, "kernel '%s': the worker's child vanished", kernel);
    }
}

/* After a failed write: if the child had already exited before it read
 * anything of this task, reap it and say so (the caller respawns). A child
 * that read part of the request and then died is this task's crash. */
static int s_idle_child_died(wren__sup *sup)
{
    int wstatus;
    pid_t r = waitpid(sup->child, &wstatus, WNOHANG);
    if (r != sup->child)
        return 0;
    char buf[32];
    wren__log(WREN_LOG_WARN, "bootstrap", "the kernel process (pid %d) died between invocations: %s",
              (int)sup->child,
              WIFSIGNALED(wstatus) ? wren__signal_name(WTERMSIG(wstatus), buf, sizeof buf) : "exited");
    sup->child = 0;
    s_close(&sup->to_child);
    s_close(&sup->from_child);
    return 1;
}

static int s_spawn(wren__sup *sup)
{
    pid_t parent = getpid();
    int down[2] = {-1, -1}, up[2] = {-1, -1};
    if (pipe2(down, O_CLOEXEC) != 0)
        return WREN_ESYS;
    if (pipe2(up, O_CLOEXEC) != 0) {
        close(down[0]);
        close(down[1]);
        return WREN_ESYS;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(down[0]);
        close(down[1]);
        close(up[0]);
        close(up[1]);
        return WREN_ESYS;
    }
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        s_child_setup(down[0], up[1], parent);
        s_child_loop(sup, down[0], up[1]);
    }
    close(down[0]);
    close(up[1]);
    sup->child = pid;
    sup->rd.pos = sup->rd.len = 0;
    sup->to_child = down[1];
    sup->from_child = up[0];
    return WREN_OK;
}

/* ---- the parent ----------------------------------------------------------- */

int wren__sup_new(wren__isolation iso, wren__run_fn run, void *user, wren__sup **out)
{
    *out = NULL;
    wren__sup *sup = calloc(1, sizeof *sup);
    if (!sup)
        return WREN_ENOMEM;
    sup->iso = iso;
    sup->run = run;
    sup->user = user;
    sup->to_child = sup->from_child = -1;
    s_result_init(&sup->res);
    /* A dead child must give EPIPE, not kill the worker. */
    signal(SIGPIPE, SIG_IGN);
    if (iso == WREN__ISO_CHILD) {
        int rc = s_spawn(sup);
        if (rc != WREN_OK) {
            wren__sup_destroy(sup);
            return rc;
        }
    }
    *out = sup;
    return WREN_OK;
}

void wren__sup_destroy(wren__sup *sup)
{
    if (!sup)
        return;
    if (sup->child > 0) {
        /* Closing its input ends the child's loop; SIGKILL in case it is busy. */
        s_close(&sup->to_child);
        kill(sup->child, SIGKILL);
        while (waitpid(sup->child, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    s_close(&sup->to_child);
    s_close(&sup->from_child);
    s_result_clean_up(&sup->res);
    free(sup);
}

int wren__sup_ensure(wren__sup *sup)
{
    if (sup->iso != WREN__ISO_CHILD || sup->child > 0)
        return WREN_OK;
    return s_spawn(sup);
}

pid_t wren__sup_child_pid(const wren__sup *sup)
{
    return sup ? sup->child : 0;
}

/* The monotonic time at which a task must be stopped, or 0 for never. */
static uint64_t s_stop_at(const wren__task *task, int64_t margin_ms)
{
    if (task->deadline_ms <= 0)
        return 0;
    int64_t left_ms = task->deadline_ms - wren_now_ms();
    int64_t limit_ms = left_ms - margin_ms;
    if (limit_ms < 1)
        limit_ms = left_ms > 0 ? left_ms : 0;
    return wren_mono_ns() + (uint64_t)limit_ms * 1000000u + 1;
}

static void s_timed_out(wren__sup *sup, const wren__task *task, uint64_t started_ns)
{
    kill(sup->child, SIGKILL);
    s_reap(sup, task->kernel, &sup->res, 1);
    sup->res.status = WREN_ETIMEDOUT;
    snprintf(sup->res.error_type, sizeof sup->res.error_type, "Sandbox.Timedout");
    snprintf(sup->res.error_message, sizeof sup->res.error_message,
             "Task timed out after %.2f seconds: kernel '%s' was stopped at the function's deadline",
             (double)(wren_mono_ns() - started_ns) / 1e9, task->kernel);
}

int wren__sup_run(wren__sup *sup, const wren__task *task, int64_t margin_ms, wren__task_result **res_out)
{
    wren__task_result *res = &sup->res;
    *res_out = res;
    s_result_reset(res);
    uint64_t started_ns = wren_mono_ns();
    uint64_t stop_ns = s_stop_at(task, margin_ms);

    if (sup->iso == WREN__ISO_INLINE) {
        sup->run(task, res, sup->user);
        return WREN_OK;
    }

    if (sup->iso == WREN__ISO_FORK) {
        int up[2];
        if (pipe2(up, O_CLOEXEC) != 0)
            return WREN_ESYS;
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
            close(up[0]);
            close(up[1]);
            return WREN_ESYS;
        }
        if (pid == 0) {
            close(up[0]);
            s_child_setup(up[1], up[1], parent);
            sup->run(task, res, sup->user);
            _exit(s_send_result(up[1], res) == 0 ? 0 : 1);
        }
        close(up[1]);
        sup->child = pid;
        sup->rd.pos = sup->rd.len = 0;
        sup->from_child = up[0];
    } else {
        if (sup->child <= 0 && s_spawn(sup) != WREN_OK)
            return WREN_ESYS;
        s_req_hdr h = {S_REQ_MAGIC, (uint32_t)strlen(task->kernel), (uint32_t)strlen(task->request_id), 0,
                       task->deadline_ms, task->args_len};
        struct iovec iov[4] = {
            {&h, sizeof h},
            {(void *)task->kernel, h.kernel_len},
            {(void *)task->request_id, h.request_id_len},
            {(void *)task->args, task->args_len},
        };
        int wrote = s_write_all(sup->to_child, iov, 4);
        if (wrote != 0 && s_idle_child_died(sup)) {
            /* It died between tasks (killed from outside, say): this task
             * did not do it, so give it a fresh child once. */
            if (s_spawn(sup) != WREN_OK)
                return WREN_ESYS;
            struct iovec again[4] = {
                {&h, sizeof h},
                {(void *)task->kernel, h.kernel_len},
                {(void *)task->request_id, h.request_id_len},
                {(void *)task->args, task->args_len},
            };
            wrote = s_write_all(sup->to_child, again, 4);
        }
        if (wrote != 0) {
            kill(sup->child, SIGKILL);
            s_reap(sup, task->kernel, res, 0);
            return WREN_OK;
        }
    }

    int r = s_recv_result(&sup->rd, sup->from_child, res, stop_ns);
    if (r == -2) {
        s_timed_out(sup, task, started_ns);
    } else if (r != 0) {
        kill(sup->child, SIGKILL); /* garbled frame: do not trust this child */
        s_reap(sup, task->kernel, res, 0);
    } else if (sup->iso == WREN__ISO_FORK) {
        s_close(&sup->from_child);
        while (waitpid(sup->child, NULL, 0) < 0 && errno == EINTR) {
        }
        sup->child = 0;
    }
    return WREN_OK;
}
