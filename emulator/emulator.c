/*
 * emulator/emulator.c: the engine of the local Lambda service.
 *
 * Queues, the instance pool, process spawning and reaping, timeouts, the
 * START/END/REPORT log, and the supervisor thread. The HTTP faces (Invoke
 * API, Runtime API) live in http.c and call in here with em->lock held.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emulator_internal.h"

extern char **environ;

/* Start-up failures are reported per thread, so two emulators starting at
 * once in one process do not overwrite each other's message. */
static _Thread_local char s_errmsg[256] = "";

const char *wren_emulator_errmsg(void)
{
    return s_errmsg;
}

static void s_set_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void s_set_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s_errmsg, sizeof s_errmsg, fmt, ap);
    va_end(ap);
}

/* ---- resuming connections ------------------------------------------------ */

/* Connections are resumed only after em->lock is released, so no thread
 * ever holds the engine's lock while it waits on one of libmicrohttpd's. A
 * connection taken off the engine's books (inv->conn, inst->next_conn) has a
 * single resumer, and a suspended connection cannot be closed under it. */
void wren__resume_later(wren_emulator *em, struct MHD_Connection *conn)
{
    if (em->resume_len == em->resume_cap) {
        size_t cap = em->resume_cap ? em->resume_cap * 2 : 16;
        struct MHD_Connection **q = realloc(em->resume_q, cap * sizeof *q);
        if (!q) {
            MHD_resume_connection(conn); /* out of memory: resume now rather than never */
            return;
        }
        em->resume_q = q;
        em->resume_cap = cap;
    }
    em->resume_q[em->resume_len++] = conn;
}

void wren__unlock(wren_emulator *em)
{
    if (em->resume_len == 0) {
        pthread_mutex_unlock(&em->lock);
        return;
    }
    struct MHD_Connection **q = em->resume_q;
    size_t n = em->resume_len;
    em->resume_q = NULL;
    em->resume_len = em->resume_cap = 0;
    pthread_mutex_unlock(&em->lock);
    for (size_t i = 0; i < n; i++)
        MHD_resume_connection(q[i]);
    free(q);
}

/* ---- logs ---------------------------------------------------------------- */

static void s_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return; /* a broken log must not stop the service */
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Keeps the last bytes of an invocation's log: enough for the 4 KB Tail,
 * bounded however much the function prints. */
static void s_inv_log(wren__inv *inv, const char *p, size_t n)
{
    if (!inv)
        return;
    if (n > 2 * WREN__TAIL_BYTES) {
        p += n - 2 * WREN__TAIL_BYTES;
        n = 2 * WREN__TAIL_BYTES;
    }
    if (inv->log.len + n > 16 * WREN__TAIL_BYTES) {
        size_t keep = inv->log.len > WREN__TAIL_BYTES ? WREN__TAIL_BYTES : inv->log.len;
        memmove(inv->log.data, inv->log.data + inv->log.len - keep, keep);
        inv->log.len = keep;
        inv->log.data[keep] = '\0';
    }
    wren_buf_append(&inv->log, p, n);
}

/* A platform line (START, END, REPORT, timeouts): to the function log
 * unless quiet, and always to the invocation's own log for Tail. */
static void s_platform_log(wren_emulator *em, wren__inv *inv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void s_platform_log(wren_emulator *em, wren__inv *inv, const char *fmt, ...)
{
    char line[1024];
    if (em->quiet && (!inv || !inv->want_tail))
        return; /* nobody will read it: skip the formatting */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = (int)sizeof line - 1;
    if (!em->quiet)
        s_write_all(em->log_fd, line, (size_t)n);
    s_inv_log(inv, line, (size_t)n);
}

/* Reads whatever the instance has printed so far (non-blocking) into the
 * function log and the current invocation's log. Called before an
 * invocation is finished, so its Tail holds what it printed. */
static void s_drain_output(wren__inst *inst)
{
    char buf[16384];
    if (inst->out_fd < 0)
        return;
    for (;;) {
        ssize_t n = read(inst->out_fd, buf, sizeof buf);
        if (n > 0) {
            s_write_all(inst->fn->em->log_fd, buf, (size_t)n);
            s_inv_log(inst->cur, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return; /* EAGAIN, EOF or error: nothing more now */
    }
}

/* Peak RSS of the instance's main process in MB, from /proc (0 if gone).
 * The file stays open for the instance's life (closed with its other
 * descriptors): one pread per REPORT line instead of open, read, close, and
 * a recycled pid can never be read by mistake. */
static long s_max_rss_mb(wren__inst *inst)
{
    if (inst->status_fd < 0 && inst->pid > 0 && !inst->reaped) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/status", (int)inst->pid);
        inst->status_fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (inst->status_fd < 0)
        return 0;
    char buf[4096];
    ssize_t n = pread(inst->status_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0; /* the process is gone (ESRCH) */
    buf[n] = '\0';
    const char *hwm = strstr(buf, "\nVmHWM:");
    long kb = hwm ? strtol(hwm + 7, NULL, 10) : 0;
    return (kb + 1023) / 1024;
}

/* ---- invocations --------------------------------------------------------- */

/* A request id shaped like Lambda's (a version 4 UUID) and an X-Ray trace
 * id, from the emulator's generator (no syscall per invocation). */
static void s_format_ids(wren__inv *inv)
{
    static const char digits[] = "0123456789abcdef";
    char hex[81];
    uint64_t *rng = inv->fn->em->rng;
    for (int w = 0; w < 5; w++) {
        uint64_t v = wren__xoshiro256ss(rng); /* seeded once per emulator, from getrandom; lock held */
        for (int i = 0; i < 16; i++, v >>= 4)
            hex[w * 16 + i] = digits[v & 15];
    }
    hex[80] = '\0';
    snprintf(inv->id, sizeof inv->id, "%.8s-%.4s-4%.3s-a%.3s-%.12s", hex, hex + 8, hex + 13, hex + 17, hex + 20);
    snprintf(inv->trace_id, sizeof inv->trace_id, "Root=1-%08llx-%.24s;Parent=%.16s;Sampled=0",
             (unsigned long long)(wren_now_ms() / 1000), hex + 32, hex + 56);
}

wren__inv *wren__inv_new(wren__fn *fn, const char *payload, size_t len, int is_async)
{
    wren__inv *inv = calloc(1, sizeof *inv);
    if (!inv)
        return NULL;
    inv->payload = malloc(len + 1);
    if (!inv->payload) {
        free(inv);
        return NULL;
    }
    memcpy(inv->payload, payload, len);
    inv->payload[len] = '\0';
    inv->payload_len = len;
    inv->fn = fn;
    inv->is_async = is_async;
    inv->refs = 1;
    wren_buf_init(&inv->log, 0);
    s_format_ids(inv);
    return inv;
}

void wren__inv_unref(wren__inv *inv)
{
    if (!inv || --inv->refs > 0)
        return;
    if (inv->resp)
        MHD_destroy_response(inv->resp);
    wren_buf_clean_up(&inv->log);
    free(inv->client_context);
    free(inv->payload);
    free(inv);
}

static void s_queue_push(wren__fn *fn, wren__inv *inv)
{
    inv->next = NULL;
    inv->state = WREN__INV_QUEUED;
    if (fn->q_tail)
        fn->q_tail->next = inv;
    else
        fn->q_head = inv;
    fn->q_tail = inv;
    fn->n_queued++;
    if (inv->is_async)
        fn->n_async_queued++;
}

static wren__inv *s_queue_pop(wren__fn *fn)
{
    wren__inv *inv = fn->q_head;
    if (!inv)
        return NULL;
    fn->q_head = inv->next;
    if (!fn->q_head)
        fn->q_tail = NULL;
    inv->next = NULL;
    fn->n_queued--;
    if (inv->is_async)
        fn->n_async_queued--;
    return inv;
}

/* Ends an invocation that is no longer on an instance's books (queued or
 * just taken off one): answers a sync caller or retries an async event. */
static void s_settle(wren__inv *inv, int func_error, const char *body, size_t len)
{
    wren__fn *fn = inv->fn;
    inv->state = WREN__INV_DONE;
    inv->inst = NULL;
    if (!inv->is_async) {
        if (inv->conn) {
            inv->resp = wren__invoke_response(inv, func_error, body, len);
            inv->http_status = MHD_HTTP_OK;
            wren__resume_later(inv->fn->em, inv->conn);
            inv->conn = NULL;
        }
        wren__inv_unref(inv);
        return;
    }
    /* Lambda retries a failed event (after 1 and 2 minutes); the emulator
     * retries at once, keeping the request id, as Lambda does. */
    if (func_error && inv->attempt < fn->async_retries && !fn->em->stopping) {
        inv->attempt++;
        wren_buf_reset(&inv->log);
        s_queue_push(fn, inv);
        return;
    }
    wren__inv_unref(inv);
}

/* An invocation that never reached a running instance (cold start failed):
 * it gets START/END/REPORT like any other, then the error. */
static void s_fail_unstarted(wren__inv *inv, const char *type, const char *message_fmt_id)
{
    wren_emulator *em = inv->fn->em;
    char msg[512];
    snprintf(msg, sizeof msg, message_fmt_id, inv->id);
    json_t *j = json_pack("{s:s, s:s}", "errorMessage", msg, "errorType", type);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    s_platform_log(em, inv, "START RequestId: %s Version: $LATEST\n", inv->id);
    s_platform_log(em, inv, "%s\n%s\n", msg, type);
    s_platform_log(em, inv, "END RequestId: %s\n", inv->id);
    s_platform_log(em, inv, "REPORT RequestId: %s\tDuration: 0.00 ms\tBilled Duration: 0 ms\tMemory Size: %d MB\tMax Memory Used: 0 MB\t\n",
                   inv->id, inv->fn->memory_mb);
    s_settle(inv, 1, body ? body : "{}", body ? strlen(body) : 2);
    free(body);
    json_decref(j);
}

/* Finishes inst's current invocation: output drained, END and REPORT
 * written, the caller answered (or the event retried). */
static void s_finish(wren__inst *inst, int func_error, const char *body, size_t len)
{
    wren__inv *inv = inst->cur;
    if (!inv)
        return;
    wren_emulator *em = inst->fn->em;
    /* What it printed belongs before END (and in the Tail); when nobody
     * reads either, the supervisor's next read is soon enough. */
    if (!em->quiet || inv->want_tail)
        s_drain_output(inst);
    double duration_ms = (double)(wren_mono_ns() - inv->start_ns) / 1e6;
    char init_part[64] = "";
    double billed = duration_ms;
    if (inst->cold_pending) {
        /* Custom runtimes are billed for their init too. */
        snprintf(init_part, sizeof init_part, "Init Duration: %.2f ms\t", inst->init_ms);
        billed += inst->init_ms;
        inst->cold_pending = 0;
    }
    long billed_ms = (long)billed;
    if ((double)billed_ms < billed)
        billed_ms++;
    if (!em->quiet || inv->want_tail) {
        /* END and REPORT in one write. */
        s_platform_log(em, inv,
                       "END RequestId: %s\n"
                       "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %ld ms\tMemory Size: %d MB\tMax Memory Used: %ld MB\t%s\n",
                       inv->id, inv->id, duration_ms, billed_ms, inst->fn->memory_mb, s_max_rss_mb(inst), init_part);
    }
    inst->cur = NULL;
    s_settle(inv, func_error, body, len);
}

static void s_finish_error(wren__inst *inst, const char *type, const char *message)
{
    json_t *j = json_pack("{s:s, s:s}", "errorMessage", message, "errorType", type);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    s_finish(inst, 1, body ? body : "{}", body ? strlen(body) : 2);
    free(body);
    json_decref(j);
}

void wren__complete(wren__inst *inst, int func_error, const char *body, size_t len)
{
    s_finish(inst, func_error, body, len);
}

/* ---- instances ----------------------------------------------------------- */

/* Marks inst dead and kills its whole process group; the supervisor reaps it
 * when the pidfd fires. A waiting `next` is released so its connection
 * closes. Does not touch inst->cur: callers finish it first. */
static void s_kill(wren__inst *inst)
{
    if (inst->state != WREN__INST_DEAD) {
        inst->state = WREN__INST_DEAD;
        inst->fn->n_alive--;
    }
    if (inst->pid > 0 && !inst->reaped)
        kill(-inst->pid, SIGKILL);
    if (inst->next_conn) {
        inst->next_req->dead = 1;
        wren__resume_later(inst->fn->em, inst->next_conn);
        inst->next_conn = NULL;
        inst->next_req = NULL;
    }
}

void wren__inst_unref(wren__inst *inst)
{
    if (!inst || --inst->refs > 0)
        return;
    wren__fn *fn = inst->fn;
    for (wren__inst **pp = &fn->instances; *pp; pp = &(*pp)->next)
        if (*pp == inst) {
            *pp = inst->next;
            break;
        }
    free(inst);
}

wren__inst *wren__find_inst_by_port(wren_emulator *em, int port)
{
    for (size_t i = 0; i < em->n_fns; i++)
        for (wren__inst *in = em->fns[i].instances; in; in = in->next)
            if (in->port == port && in->listen_fd >= 0)
                return in;
    return NULL;
}

wren__fn *wren__find_fn(wren_emulator *em, const char *name)
{
    for (size_t i = 0; i < em->n_fns; i++)
        if (!strcmp(em->fns[i].name, name))
            return &em->fns[i];
    return NULL;
}

/* The address-space limit for an instance. Lambda's memory size bounds
 * resident memory; RLIMIT_AS bounds reserved address space, which runtimes
 * take far more of than they touch (glibc arenas reserve 64 MB per thread,
 * OpenBLAS its buffers, V8 its heap cages). So the limit is generous: twice
 * the memory size plus 4 GiB. Sanitizer builds reserve terabytes of shadow
 * memory and get no limit. */
static rlim_t s_as_limit_bytes(int memory_mb)
{
    return ((rlim_t)memory_mb * 2 + 4096) * 1024 * 1024;
}

#if defined(__SANITIZE_ADDRESS__)
#define WREN__AS_LIMIT 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WREN__AS_LIMIT 0
#endif
#endif
#ifndef WREN__AS_LIMIT
#define WREN__AS_LIMIT 1
#endif

static int s_env_add(char **env, size_t *n, size_t cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int s_env_add(char **env, size_t *n, size_t cap, const char *fmt, ...)
{
    if (*n + 1 >= cap)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&env[*n], fmt, ap);
    va_end(ap);
    if (r < 0) {
        env[*n] = NULL;
        return -1;
    }
    (*n)++;
    env[*n] = NULL;
    return 0;
}

static int s_is_passthrough(const char *kv)
{
    static const char *const names[] = {"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=",
                                        "LD_LIBRARY_PATH=", "ASAN_OPTIONS=", "UBSAN_OPTIONS=",
                                        "LSAN_OPTIONS=", NULL};
    for (int i = 0; names[i]; i++)
        if (!strncmp(kv, names[i], strlen(names[i])))
            return 1;
    return !strncmp(kv, "WREN_", 5);
}

/* Lambda's environment for one instance. */
static char **s_build_env(wren__inst *inst)
{
    wren__fn *fn = inst->fn;
    wren_emulator *em = fn->em;
    size_t cap = 64 + em->n_env, n = 0;
    for (char **e = environ; *e; e++)
        cap++;
    char **env = calloc(cap, sizeof *env);
    if (!env)
        return NULL;
    const char *path = getenv("PATH");
    const char *lang = getenv("LANG");
    int bad = 0;
    bad |= s_env_add(env, &n, cap, "_HANDLER=%s", fn->handler);
    bad |= s_env_add(env, &n, cap, "LAMBDA_TASK_ROOT=%s", fn->task_root);
    bad |= s_env_add(env, &n, cap, "LAMBDA_RUNTIME_DIR=%s", fn->task_root);
    bad |= s_env_add(env, &n, cap, "AWS_LAMBDA_RUNTIME_API=127.0.0.1:%d", inst->port);
    bad |= s_env_add(env, &n, cap, "AWS_LAMBDA_FUNCTION_NAME=%s", fn->name);
    bad |= s_env_add(env, &n, cap, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d", fn->memory_mb);
    bad |= s_env_add(env, &n, cap, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST");
    bad |= s_env_add(env, &n, cap, "AWS_LAMBDA_INITIALIZATION_TYPE=on-demand");
    bad |= s_env_add(env, &n, cap, "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/%s", fn->name);
    bad |= s_env_add(env, &n, cap, "AWS_LAMBDA_LOG_STREAM_NAME=%s", inst->log_stream);
    bad |= s_env_add(env, &n, cap, "AWS_REGION=%s", em->region);
    bad |= s_env_add(env, &n, cap, "AWS_DEFAULT_REGION=%s", em->region);
    bad |= s_env_add(env, &n, cap, "TZ=:UTC");
    bad |= s_env_add(env, &n, cap, "LANG=%s", lang ? lang : "en_US.UTF-8");
    bad |= s_env_add(env, &n, cap, "PATH=%s", path ? path : "/usr/local/bin:/usr/bin/:/bin:/opt/bin");
    for (char **e = environ; *e && !bad; e++)
        if (s_is_passthrough(*e))
            bad |= s_env_add(env, &n, cap, "%s", *e);
    /* The user's variables: a name set above (PATH, LANG, TZ, a passed-through
     * one) takes the user's value; reserved names were refused at start. */
    for (size_t u = 0; u < em->n_env && !bad; u++) {
        size_t name_len = (size_t)(strchr(em->env[u], '=') - em->env[u]) + 1; /* with '=' */
        size_t k = 0;
        while (k < n && strncmp(env[k], em->env[u], name_len))
            k++;
        if (k < n) {
            char *dup = strdup(em->env[u]);
            if (!dup) {
                bad = 1;
                break;
            }
            free(env[k]);
            env[k] = dup;
        } else {
            bad |= s_env_add(env, &n, cap, "%s", em->env[u]);
        }
    }
    if (bad) {
        for (size_t i = 0; i < n; i++)
            free(env[i]);
        free(env);
        return NULL;
    }
    return env;
}

static void s_free_env(char **env)
{
    if (!env)
        return;
    for (char **e = env; *e; e++)
        free(*e);
    free(env);
}

static int s_epoll_add(wren_emulator *em, int fd, wren__ev *ev)
{
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = ev};
    return epoll_ctl(em->epfd, EPOLL_CTL_ADD, fd, &e);
}

/* Closes inst's descriptors (supervisor or stop, lock held). */
static void s_close_fds(wren__inst *inst)
{
    if (inst->listen_fd >= 0)
        close(inst->listen_fd);
    if (inst->pidfd >= 0)
        close(inst->pidfd);
    if (inst->out_fd >= 0)
        close(inst->out_fd);
    if (inst->status_fd >= 0)
        close(inst->status_fd);
    inst->listen_fd = inst->pidfd = inst->out_fd = inst->status_fd = -1;
}

/* What the child of s_spawn_process does between vfork and exec. */
typedef struct {
    const char *path, *dir;
    char **argv, **env;
    int out_fd;              /* becomes stdout and stderr */
    struct rlimit as, nofile;
    int set_as;
    volatile int exec_errno; /* written by the child (it shares our memory) */
} s_spawn_req;

/* The child's side: only system calls, no allocation, no return. Limits are
 * set here, before exec, not with prlimit() after it: a runtime forks its
 * own workers as soon as it starts (wren's bootstrap forks its kernel child
 * before anything else), and a child forked before a late prlimit() kept no
 * limit at all, so a kernel could reserve 16 GiB in a 128 MB function
 * (it_faults_kernel caught it under load). */
static void s_spawn_child(s_spawn_req *r, const sigset_t *none)
{
    /* Own process group (so a kill takes its children too), default signal
     * dispositions and an empty mask whatever the embedding program set,
     * stdin from /dev/null, stdout and stderr into the log pipe, and no other
     * descriptor inherited. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL); /* fails harmlessly for KILL, STOP and libc's own */
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (setpgid(0, 0) < 0 || null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(r->out_fd, 1) < 0 ||
        dup2(r->out_fd, 2) < 0 || chdir(r->dir) < 0 || (r->set_as && setrlimit(RLIMIT_AS, &r->as) < 0) ||
        setrlimit(RLIMIT_NOFILE, &r->nofile) < 0)
        goto fail;
    close_range(3, ~0U, 0);
    sigprocmask(SIG_SETMASK, none, NULL);
    execve(r->path, r->argv, r->env);
fail:
    r->exec_errno = errno ? errno : EINVAL;
    _exit(127);
}

/* Starts r->path as posix_spawn would, with the limits in place from its
 * first instruction. 0, or the errno of the set-up or exec that failed. */
static int s_spawn_process(s_spawn_req *r, pid_t *pid_out)
{
    sigset_t all, none, old;
    sigfillset(&all);
    sigemptyset(&none);
    /* No handler of ours may run in the child while it borrows our memory
     * and stack (vfork); the child resets dispositions, then unblocks. */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    r->exec_errno = 0;
    pid_t pid = vfork();
    if (pid == 0)
        s_spawn_child(r, &none);
    int err = pid < 0 ? errno : 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        return err;
    /* The child made its group before exec; the parent makes it too (the
     * classic race-free idiom: EACCES once the child has exec'd) because
     * vfork is fork under valgrind and other emulators, and the parent can
     * then run before the child has: a kill(-pid) would miss the group and
     * the waitpid after it would wait for a runtime that never exits. */
    setpgid(pid, pid);
    if (r->exec_errno) { /* the child has exited (vfork returned after its _exit) */
        waitpid(pid, NULL, 0);
        return r->exec_errno;
    }
    *pid_out = pid;
    return 0;
}

/* Starts one instance: its own Runtime API socket, a pipe for its output,
 * the process in its own group, an address-space limit. On failure the
 * invocation at the head of the queue gets the error (the one that asked for
 * this cold start), as Lambda fails the invoke whose init failed. */
static int s_spawn(wren__fn *fn)
{
    wren_emulator *em = fn->em;
    int pipefd[2] = {-1, -1};
    char **env = NULL;
    char why[256] = "";
    wren__inst *inst = calloc(1, sizeof *inst);
    if (!inst) {
        snprintf(why, sizeof why, "out of memory");
        goto fail;
    }
    inst->fn = fn;
    inst->listen_fd = inst->pidfd = inst->out_fd = inst->status_fd = -1;
    inst->serial = ++em->inst_serial;
    inst->ev_listen = (wren__ev){WREN__EV_LISTEN, inst};
    inst->ev_pid = (wren__ev){WREN__EV_PID, inst};
    inst->ev_out = (wren__ev){WREN__EV_OUT, inst};
    {
        char hex[33];
        if (wren_random_hex(hex, 16) != WREN_OK)
            memset(hex, '0', 33);
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(inst->log_stream, sizeof inst->log_stream, "%04d/%02d/%02d/[$LATEST]%.32s", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, hex);
    }

    inst->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
    socklen_t slen = sizeof sa;
    if (inst->listen_fd < 0 || bind(inst->listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(inst->listen_fd, 128) < 0 || getsockname(inst->listen_fd, (struct sockaddr *)&sa, &slen) < 0) {
        snprintf(why, sizeof why, "runtime API socket: %s", strerror(errno));
        goto fail;
    }
    inst->port = ntohs(sa.sin_port);
    if (pipe2(pipefd, O_CLOEXEC) < 0 || fcntl(pipefd[0], F_SETFL, O_NONBLOCK) < 0) {
        snprintf(why, sizeof why, "pipe: %s", strerror(errno));
        goto fail;
    }
    inst->out_fd = pipefd[0];
    pipefd[0] = -1;
    env = s_build_env(inst);
    if (!env) {
        snprintf(why, sizeof why, "out of memory");
        goto fail;
    }

    char *argv[] = {fn->bootstrap_path, NULL};
    s_spawn_req req = {.path = fn->bootstrap_path, .dir = fn->task_root, .argv = argv, .env = env,
                       .out_fd = pipefd[1], .set_as = WREN__AS_LIMIT};
    req.as.rlim_cur = req.as.rlim_max = s_as_limit_bytes(fn->memory_mb);
    /* Lambda gives a function 1,024 descriptors, whatever the emulator
     * raised its own limit to (see s_raise_nofile). */
    if (getrlimit(RLIMIT_NOFILE, &req.nofile) < 0) {
        snprintf(why, sizeof why, "getrlimit: %s", strerror(errno));
        goto fail;
    }
    req.nofile.rlim_cur = req.nofile.rlim_max < 1024 ? req.nofile.rlim_max : 1024;
    inst->spawn_ns = wren_mono_ns();
    int rc = s_spawn_process(&req, &inst->pid);
    if (rc != 0) {
        inst->pid = 0;
        /* Lambda's wording for a bootstrap it cannot run. */
        snprintf(why, sizeof why, "Couldn't find valid bootstrap(s): [%s]: %s", fn->bootstrap_path, strerror(rc));
        goto fail;
    }
    close(pipefd[1]);
    pipefd[1] = -1;
    inst->pidfd = (int)syscall(SYS_pidfd_open, inst->pid, 0);
    if (inst->pidfd < 0 || s_epoll_add(em, inst->listen_fd, &inst->ev_listen) < 0 ||
        s_epoll_add(em, inst->pidfd, &inst->ev_pid) < 0 || s_epoll_add(em, inst->out_fd, &inst->ev_out) < 0) {
        snprintf(why, sizeof why, "pidfd/epoll: %s", strerror(errno));
        kill(-inst->pid, SIGKILL);
        waitpid(inst->pid, NULL, 0);
        goto fail;
    }
    s_free_env(env);
    wren__wake_supervisor(em, wren_now_ms() + (int64_t)(fn->timeout_s * 1000.0 + 0.5));
    inst->refs = 1; /* the process; dropped when it is reaped */
    inst->state = WREN__INST_STARTING;
    inst->next = fn->instances;
    fn->instances = inst;
    fn->n_alive++;
    return 0;

fail:
    s_free_env(env);
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    if (inst)
        s_close_fds(inst);
    free(inst);
    {
        char line[512];
        snprintf(line, sizeof line, "wren emulator: function %s: cannot start %s: %s\n", fn->name, fn->bootstrap_path,
                 why[0] ? why : "error");
        s_write_all(em->log_fd, line, strlen(line));
    }
    wren__inv *inv = s_queue_pop(fn);
    if (inv) {
        char fmt[512];
        /* '%' in the path must not reach snprintf as a directive. */
        char safe[300];
        size_t k = 0;
        for (const char *p = why; *p && k + 2 < sizeof safe; p++) {
            if (*p == '%')
                safe[k++] = '%';
            safe[k++] = *p;
        }
        safe[k] = '\0';
        snprintf(fmt, sizeof fmt, "RequestId: %%s Error: %s", safe);
        s_fail_unstarted(inv, "Runtime.InvalidEntrypoint", fmt);
    }
    return -1;
}

/* ---- dispatch ------------------------------------------------------------ */

static void s_assign(wren__inst *inst, wren__inv *inv)
{
    wren_emulator *em = inst->fn->em;
    inv->state = WREN__INV_RUNNING;
    inv->inst = inst;
    inv->start_ns = wren_mono_ns();
    inv->deadline_ms = wren_now_ms() + (int64_t)(inst->fn->timeout_s * 1000.0 + 0.5);
    inst->cur = inv;
    inst->state = WREN__INST_BUSY;
    s_platform_log(em, inv, "START RequestId: %s Version: $LATEST\n", inv->id);
    wren__wake_supervisor(em, inv->deadline_ms);
}

void wren__dispatch(wren__fn *fn)
{
    wren_emulator *em = fn->em;
    if (em->stopping)
        return;
    while (fn->q_head) {
        wren__inst *idle = NULL;
        for (wren__inst *in = fn->instances; in; in = in->next)
            if (in->state == WREN__INST_IDLE && in->next_conn) {
                idle = in;
                break;
            }
        if (!idle)
            break;
        wren__inv *inv = s_queue_pop(fn);
        s_assign(idle, inv);
        wren__req *req = idle->next_req;
        req->resp = wren__next_response(inv);
        struct MHD_Connection *c = idle->next_conn;
        idle->next_conn = NULL;
        idle->next_req = NULL;
        wren__resume_later(em, c);
    }
    size_t starting = 0;
    for (wren__inst *in = fn->instances; in; in = in->next)
        if (in->state == WREN__INST_STARTING)
            starting++;
    while (fn->n_queued > starting && fn->n_alive < fn->concurrency) {
        if (s_spawn(fn) == 0)
            starting++;
    }
}

void wren__enqueue(wren__fn *fn, wren__inv *inv)
{
    s_queue_push(fn, inv);
    wren__dispatch(fn);
}

int wren__on_next(wren__inst *inst, wren__req *req, struct MHD_Connection *conn)
{
    wren_emulator *em = inst->fn->em;
    if (inst->state == WREN__INST_DEAD || em->stopping)
        return -1;
    if (inst->cur) {
        char msg[160];
        snprintf(msg, sizeof msg, "RequestId: %s Error: the runtime asked for the next invocation without answering this one",
                 inst->cur->id);
        s_finish_error(inst, "Runtime.InvalidResponse", msg);
    }
    if (!inst->inited) {
        inst->inited = 1;
        inst->cold_pending = 1;
        inst->init_ms = (double)(wren_mono_ns() - inst->spawn_ns) / 1e6;
    }
    wren__inv *inv = s_queue_pop(inst->fn);
    if (inv) {
        s_assign(inst, inv);
        req->resp = wren__next_response(inv);
        return 1;
    }
    if (inst->next_conn) {
        /* A second `next` while one waits (the runtime gave up on the first
         * connection and asked again): the newest wins, the old one closes. */
        inst->next_req->dead = 1;
        wren__resume_later(em, inst->next_conn);
    }
    inst->state = WREN__INST_IDLE;
    inst->idle_since_ns = wren_mono_ns();
    inst->next_conn = conn;
    inst->next_req = req;
    req->suspended = 1;
    MHD_suspend_connection(conn);
    /* A new idle instance may be the one to reap soonest. */
    wren__wake_supervisor(em, wren_now_ms() + (int64_t)em->idle_reap_s * 1000);
    return 0;
}

void wren__on_init_error(wren__inst *inst, const char *body, size_t len)
{
    wren__fn *fn = inst->fn;
    inst->init_error = 1;
    s_drain_output(inst);
    s_kill(inst);
    wren__inv *inv = s_queue_pop(fn);
    if (inv) {
        s_platform_log(fn->em, inv, "START RequestId: %s Version: $LATEST\n", inv->id);
        s_platform_log(fn->em, inv, "INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: error\n",
                       (double)(wren_mono_ns() - inst->spawn_ns) / 1e6);
        s_platform_log(fn->em, inv, "END RequestId: %s\n", inv->id);
        s_platform_log(fn->em, inv,
                       "REPORT RequestId: %s\tDuration: 0.00 ms\tBilled Duration: 0 ms\tMemory Size: %d MB\tMax Memory Used: 0 MB\t\n",
                       inv->id, fn->memory_mb);
        s_settle(inv, 1, body, len);
    }
    wren__dispatch(fn);
}

/* ---- supervisor ---------------------------------------------------------- */

void wren__wake_supervisor(wren_emulator *em, int64_t deadline_ms)
{
    if (deadline_ms >= em->sup_wake_ms)
        return;
    em->sup_wake_ms = deadline_ms;
    uint64_t one = 1;
    ssize_t w = write(em->wake_fd, &one, sizeof one);
    (void)w; /* a full eventfd counter still wakes the supervisor */
}

static void s_describe_exit(int status, char *out, size_t n)
{
    if (WIFEXITED(status)) {
        snprintf(out, n, "exit status %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        /* Go's wording, which Lambda's messages use: "signal: segmentation fault". */
        const char *s = strsignal(WTERMSIG(status));
        snprintf(out, n, "signal: %s", s ? s : "unknown");
        for (char *p = out + 8; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    } else {
        snprintf(out, n, "status %d", status);
    }
}

/* The instance's process ended (pidfd readable). Lock held. */
static void s_reap(wren__inst *inst)
{
    if (inst->reaped || inst->pid <= 0)
        return;
    int status = 0;
    struct rusage ru;
    pid_t r = wait4(inst->pid, &status, WNOHANG, &ru);
    if (r == 0)
        return;
    int lost_status = r < 0; /* reaped by someone else (SIGCHLD ignored, waitpid(-1)) */
    wren__fn *fn = inst->fn;
    wren_emulator *em = fn->em;
    /* Leftover children of the runtime die with it. */
    kill(-inst->pid, SIGKILL);
    inst->reaped = 1;
    s_drain_output(inst);
    if (inst->state != WREN__INST_DEAD) {
        char desc[96], msg[256];
        if (lost_status)
            snprintf(desc, sizeof desc, "exit status unknown");
        else
            s_describe_exit(status, desc, sizeof desc);
        if (inst->cur) {
            snprintf(msg, sizeof msg, "RequestId: %s Error: Runtime exited with error: %s", inst->cur->id, desc);
            s_platform_log(em, inst->cur, "%s\nRuntime.ExitError\n", msg);
            s_finish_error(inst, "Runtime.ExitError", msg);
        } else if (!inst->inited && !inst->init_error) {
            char fmt[160];
            snprintf(fmt, sizeof fmt, "RequestId: %%s Error: Runtime exited with error: %s", desc);
            wren__inv *inv = s_queue_pop(fn);
            if (inv)
                s_fail_unstarted(inv, "Runtime.ExitError", fmt);
        } else {
            char line[200];
            snprintf(line, sizeof line, "wren emulator: function %s: idle instance exited: %s\n", fn->name, desc);
            s_write_all(em->log_fd, line, strlen(line));
        }
        s_kill(inst);
    }
    s_close_fds(inst);
    wren__dispatch(fn);
    wren__inst_unref(inst); /* the process's reference */
}

/* Timeouts and idle reaping; returns when to look again (ms epoch). */
static int64_t s_check_timers(wren_emulator *em)
{
    int64_t now = wren_now_ms();
    int64_t next = now + 3600 * 1000;
    uint64_t mono = wren_mono_ns();
    for (size_t i = 0; i < em->n_fns; i++) {
        wren__fn *fn = &em->fns[i];
        int changed = 0;
        for (wren__inst *in = fn->instances; in; in = in->next) {
            if (in->state == WREN__INST_BUSY && in->cur) {
                if (in->cur->deadline_ms <= now) {
                    wren__inv *inv = in->cur;
                    char when[40], msg[200];
                    time_t t = time(NULL);
                    struct tm tm;
                    gmtime_r(&t, &tm);
                    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
                    s_drain_output(in);
                    s_platform_log(em, inv, "%s %s Task timed out after %.2f seconds\n", when, inv->id, fn->timeout_s);
                    snprintf(msg, sizeof msg, "RequestId: %s Error: Task timed out after %.2f seconds", inv->id,
                             fn->timeout_s);
                    s_finish_error(in, "Sandbox.Timedout", msg);
                    s_kill(in);
                    changed = 1;
                } else if (in->cur->deadline_ms < next) {
                    next = in->cur->deadline_ms;
                }
            } else if (in->state == WREN__INST_STARTING) {
                /* An init that never reaches `next` must not hold its caller
                 * forever: it gets the function timeout, as Lambda gives an
                 * init retried inside an invocation. */
                int64_t age_ms = (int64_t)((mono - in->spawn_ns) / 1000000u);
                int64_t left = (int64_t)(fn->timeout_s * 1000.0 + 0.5) - age_ms;
                if (left <= 0) {
                    char fmt[160];
                    snprintf(fmt, sizeof fmt, "RequestId: %%s Error: Task timed out after %.2f seconds", fn->timeout_s);
                    s_drain_output(in);
                    s_kill(in);
                    wren__inv *inv = s_queue_pop(fn);
                    if (inv)
                        s_fail_unstarted(inv, "Sandbox.Timedout", fmt);
                    changed = 1;
                } else if (now + left < next) {
                    next = now + left;
                }
            } else if (in->state == WREN__INST_IDLE) {
                int64_t idle_ms = (int64_t)((mono - in->idle_since_ns) / 1000000u);
                int64_t left = (int64_t)em->idle_reap_s * 1000 - idle_ms;
                if (left <= 0) {
                    s_kill(in);
                    changed = 1;
                } else if (now + left < next) {
                    next = now + left;
                }
            }
        }
        if (changed)
            wren__dispatch(fn);
    }
    /* Look again within the shortest function timeout even when nothing is
     * due: every deadline set meanwhile (now + a timeout) then falls after
     * this wake-up, so starting an invocation never has to wake us. */
    for (size_t i = 0; i < em->n_fns; i++) {
        int64_t horizon = now + (int64_t)(em->fns[i].timeout_s * 1000.0 + 0.5);
        if (horizon < next)
            next = horizon;
    }
    return next;
}

/* Hands a connection on an instance's port to the HTTP daemon. No lock:
 * MHD may call back into the notify hook, which takes it. */
static void s_accept_all(wren_emulator *em, int listen_fd)
{
    for (;;) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        int fd = accept4(listen_fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        MHD_add_connection(em->mhd, fd, (struct sockaddr *)&peer, plen);
    }
}

static void *s_supervisor(void *arg)
{
    wren_emulator *em = arg;
    struct epoll_event evs[64];
    for (;;) {
        pthread_mutex_lock(&em->lock);
        if (em->stopping) {
            wren__unlock(em);
            break;
        }
        int64_t next = s_check_timers(em);
        em->sup_wake_ms = next;
        int64_t wait_ms = next - wren_now_ms();
        wren__unlock(em);
        if (wait_ms < 0)
            wait_ms = 0;
        int n = epoll_wait(em->epfd, evs, 64, (int)(wait_ms > 3600000 ? 3600000 : wait_ms) + 1);
        if (n < 0)
            continue;
        pthread_mutex_lock(&em->lock);
        /* Each event's instance stays allocated for the whole batch. */
        for (int i = 0; i < n; i++) {
            wren__ev *ev = evs[i].data.ptr;
            if (ev->inst)
                ev->inst->refs++;
        }
        int listen_fds[64];
        for (int i = 0; i < n; i++) {
            wren__ev *ev = evs[i].data.ptr;
            listen_fds[i] = -1;
            switch (ev->kind) {
            case WREN__EV_WAKE: {
                uint64_t v;
                ssize_t r = read(em->wake_fd, &v, sizeof v);
                (void)r;
                break;
            }
            case WREN__EV_OUT:
                s_drain_output(ev->inst);
                if (ev->inst->out_fd >= 0 && (evs[i].events & (EPOLLHUP | EPOLLERR))) {
                    /* Everyone holding the pipe is gone. */
                    epoll_ctl(em->epfd, EPOLL_CTL_DEL, ev->inst->out_fd, NULL);
                    close(ev->inst->out_fd);
                    ev->inst->out_fd = -1;
                }
                break;
            case WREN__EV_PID:
                s_reap(ev->inst);
                break;
            case WREN__EV_LISTEN:
                listen_fds[i] = ev->inst->listen_fd;
                break;
            }
        }
        wren__unlock(em);
        /* Only the supervisor closes instance sockets, so these stay valid. */
        for (int i = 0; i < n; i++)
            if (listen_fds[i] >= 0)
                s_accept_all(em, listen_fds[i]);
        pthread_mutex_lock(&em->lock);
        for (int i = 0; i < n; i++) {
            wren__ev *ev = evs[i].data.ptr;
            if (ev->inst)
                wren__inst_unref(ev->inst);
        }
        wren__unlock(em);
    }
    return NULL;
}

/* ---- start / stop -------------------------------------------------------- */

static char *s_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void s_free_fns(wren_emulator *em)
{
    for (size_t i = 0; i < em->n_fns; i++) {
        wren__fn *fn = &em->fns[i];
        free(fn->name);
        free(fn->bootstrap_path);
        free(fn->handler);
        free(fn->task_root);
    }
    free(em->fns);
    em->fns = NULL;
}

static int s_valid_fn_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

static int s_copy_fn(wren_emulator *em, wren__fn *fn, const wren_emulator_function *src)
{
    if (!s_valid_fn_name(src->name)) {
        s_set_err("function name '%s' is not 1-64 characters of [A-Za-z0-9_-]", src->name ? src->name : "");
        return WREN_EINVAL;
    }
    if (!src->bootstrap_path || !*src->bootstrap_path) {
        s_set_err("function %s: no bootstrap path", src->name);
        return WREN_EINVAL;
    }
    if (wren__find_fn(em, src->name)) {
        s_set_err("function %s given twice", src->name);
        return WREN_EEXIST;
    }
    fn->em = em;
    fn->name = s_dup(src->name);
    /* Instances run in the task root, so a relative path must not depend on it. */
    fn->bootstrap_path = realpath(src->bootstrap_path, NULL);
    if (!fn->bootstrap_path)
        fn->bootstrap_path = s_dup(src->bootstrap_path);
    fn->handler = s_dup(src->handler ? src->handler : "wren");
    if (src->task_root) {
        fn->task_root = realpath(src->task_root, NULL);
        if (!fn->task_root) {
            s_set_err("function %s: task root %s: %s", src->name, src->task_root, strerror(errno));
            return WREN_EINVAL;
        }
    } else if (fn->bootstrap_path) {
        fn->task_root = s_dup(fn->bootstrap_path);
        if (fn->task_root) {
            char *slash = strrchr(fn->task_root, '/');
            if (slash && slash != fn->task_root)
                *slash = '\0';
            else if (slash)
                slash[1] = '\0';
            else
                strcpy(fn->task_root, ".");
        }
    }
    if (!fn->name || !fn->bootstrap_path || !fn->handler || !fn->task_root) {
        s_set_err("out of memory");
        return WREN_ENOMEM;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    fn->concurrency = src->concurrency > 0 ? src->concurrency : (cores > 0 ? (int)cores : 1);
    fn->timeout_s = src->timeout_s > 0 ? src->timeout_s : 60.0;
    fn->memory_mb = src->memory_mb > 0 ? src->memory_mb : 1769;
    fn->async_retries = src->async_retries < 0 ? 2 : src->async_retries;
    snprintf(fn->arn, sizeof fn->arn, "arn:aws:lambda:%s:000000000000:function:%s", em->region, fn->name);
    return WREN_OK;
}

static int s_bind_listen(const char *host, int port, int *out_fd, int *out_port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (!strcmp(host, "localhost"))
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        s_set_err("cannot listen on '%s': not an IPv4 address", host);
        return WREN_EINVAL;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        s_set_err("socket: %s", strerror(errno));
        return WREN_ESYS;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t slen = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1024) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &slen) < 0) {
        s_set_err("cannot listen on %s:%d: %s", host, port, strerror(errno));
        close(fd);
        return WREN_ESYS;
    }
    *out_fd = fd;
    *out_port = ntohs(sa.sin_port);
    return WREN_OK;
}

/* Every instance costs the emulator four descriptors (its listening socket,
 * pidfd, output pipe, Runtime API connection) and every waiting caller one:
 * a thousand of either passes the usual soft limit of 1,024. So the soft
 * limit goes up to the hard limit (as Go's runtime does); instances get
 * Lambda's 1,024 back. */
static void s_raise_nofile(void)
{
    struct rlimit nf;
    if (getrlimit(RLIMIT_NOFILE, &nf) == 0 && nf.rlim_cur < nf.rlim_max) {
        nf.rlim_cur = nf.rlim_max > (1u << 20) ? (1u << 20) : nf.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nf);
    }
}

/* Names Lambda reserves for itself: a function's configuration cannot set
 * them ("Reserved environment variables" in the Lambda developer guide). */
static int s_env_reserved(const char *name, size_t len)
{
    static const char *const names[] = {"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION",
                                        "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
                                        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
                                        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
                                        "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID",
                                        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API",
                                        "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", NULL};
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == len && !strncmp(name, names[i], len))
            return 1;
    return 0;
}

/* Checks and copies the user's environment variables (config.env). */
static int s_copy_env(wren_emulator *em, const wren_emulator_config *cfg)
{
    if (cfg->n_env == 0)
        return WREN_OK;
    if (!cfg->env) {
        s_set_err("invalid configuration: n_env without env");
        return WREN_EINVAL;
    }
    em->env = calloc(cfg->n_env, sizeof *em->env);
    if (!em->env) {
        s_set_err("out of memory");
        return WREN_ENOMEM;
    }
    size_t total = 0;
    for (size_t i = 0; i < cfg->n_env; i++) {
        const char *kv = cfg->env[i] ? cfg->env[i] : "";
        const char *eq = strchr(kv, '=');
        size_t len = eq ? (size_t)(eq - kv) : strlen(kv);
        int ok = eq && len >= 2 && ((kv[0] >= 'A' && kv[0] <= 'Z') || (kv[0] >= 'a' && kv[0] <= 'z'));
        for (size_t k = 1; ok && k < len; k++) {
            char c = kv[k];
            ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        }
        if (!ok) {
            s_set_err("environment variable '%.80s' is not NAME=VALUE with NAME a letter then letters, digits "
                      "or '_' (Lambda's rule)", kv);
            return WREN_EINVAL;
        }
        if (s_env_reserved(kv, len)) {
            s_set_err("environment variable %.*s is reserved by Lambda and cannot be set", (int)len, kv);
            return WREN_EINVAL;
        }
        for (size_t j = 0; j < em->n_env; j++)
            if (!strncmp(em->env[j], kv, len + 1)) {
                s_set_err("environment variable %.*s given twice", (int)len, kv);
                return WREN_EEXIST;
            }
        total += strlen(kv) - 1; /* names and values, as Lambda counts its 4 KB */
        if (total > 4096) {
            s_set_err("environment variables exceed Lambda's 4 KB in total");
            return WREN_EINVAL;
        }
        em->env[i] = strdup(kv);
        if (!em->env[i]) {
            s_set_err("out of memory");
            return WREN_ENOMEM;
        }
        em->n_env = i + 1;
    }
    return WREN_OK;
}

int wren_emulator_start(const wren_emulator_config *cfg, wren_emulator **out)
{
    int rc = WREN_OK;
    int listen_fd = -1;
    wren_emulator *em = NULL;
    *out = NULL;
    s_errmsg[0] = '\0';
    if (!cfg || (cfg->n_functions > 0 && !cfg->functions) || cfg->port < 0 || cfg->port > 65535) {
        s_set_err("invalid configuration");
        return WREN_EINVAL;
    }
    em = calloc(1, sizeof *em);
    if (!em) {
        s_set_err("out of memory");
        return WREN_ENOMEM;
    }
    s_raise_nofile();
    pthread_mutex_init(&em->lock, NULL);
    em->epfd = em->wake_fd = em->log_fd = -1;
    const char *region = getenv("AWS_REGION");
    if (!region || !*region)
        region = getenv("AWS_DEFAULT_REGION");
    snprintf(em->region, sizeof em->region, "%s", region && *region ? region : "us-east-1");
    snprintf(em->host, sizeof em->host, "%s", cfg->host ? cfg->host : "127.0.0.1");
    em->queue_max = cfg->queue_max ? cfg->queue_max : 100000;
    em->idle_reap_s = cfg->idle_reap_s > 0 ? cfg->idle_reap_s : 600;
    em->quiet = cfg->quiet;
    em->sup_wake_ms = INT64_MAX;
    if (getrandom(em->rng, sizeof em->rng, 0) != (ssize_t)sizeof em->rng) {
        /* No entropy source: ids still differ between emulators and runs. */
        em->rng[0] = wren_mono_ns();
        em->rng[1] = (uint64_t)getpid() << 32 | (uint64_t)(uintptr_t)em;
        em->rng[2] = (uint64_t)wren_now_ms();
        em->rng[3] = 0x9e3779b97f4a7c15u;
    }
    em->fns = calloc(cfg->n_functions ? cfg->n_functions : 1, sizeof *em->fns);
    if (!em->fns) {
        s_set_err("out of memory");
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < cfg->n_functions; i++) {
        rc = s_copy_fn(em, &em->fns[i], &cfg->functions[i]);
        em->n_fns = i + 1;
        if (rc != WREN_OK)
            goto cleanup;
    }
    rc = s_copy_env(em, cfg);
    if (rc != WREN_OK)
        goto cleanup;
    if (cfg->log_path) {
        em->log_fd = open(cfg->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (em->log_fd < 0) {
            s_set_err("cannot open log %s: %s", cfg->log_path, strerror(errno));
            rc = WREN_EIO;
            goto cleanup;
        }
        em->own_log_fd = 1;
    } else {
        em->log_fd = STDERR_FILENO;
    }
    em->epfd = epoll_create1(EPOLL_CLOEXEC);
    em->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    em->ev_wake = (wren__ev){WREN__EV_WAKE, NULL};
    if (em->epfd < 0 || em->wake_fd < 0 || s_epoll_add(em, em->wake_fd, &em->ev_wake) < 0) {
        s_set_err("epoll/eventfd: %s", strerror(errno));
        rc = WREN_ESYS;
        goto cleanup;
    }
    rc = s_bind_listen(em->host, cfg->port, &listen_fd, &em->port);
    if (rc != WREN_OK)
        goto cleanup;
    rc = wren__http_start(em, listen_fd);
    listen_fd = -1; /* the daemon owns it now, even on failure */
    if (rc != WREN_OK) {
        s_set_err("cannot start the HTTP daemon");
        goto cleanup;
    }
    if (pthread_create(&em->sup, NULL, s_supervisor, em) != 0) {
        s_set_err("cannot start the supervisor thread");
        rc = WREN_ESYS;
        goto cleanup;
    }
    em->sup_started = 1;
    *out = em;
    return WREN_OK;

cleanup:
    if (listen_fd >= 0)
        close(listen_fd);
    wren_emulator_stop(em);
    return rc;
}

int wren_emulator_port(const wren_emulator *em)
{
    return em ? em->port : 0;
}

static void s_fail_stopping(wren__inv *inv)
{
    if (!inv->is_async && inv->conn) {
        inv->resp = wren__aws_error("ServiceException", "The emulator is stopping.");
        inv->http_status = MHD_HTTP_SERVICE_UNAVAILABLE;
        wren__resume_later(inv->fn->em, inv->conn);
        inv->conn = NULL;
    }
    inv->state = WREN__INV_DONE;
    wren__inv_unref(inv);
}

void wren_emulator_stop(wren_emulator *em)
{
    if (!em)
        return;
    /* 1. No new work; every waiting caller and runtime is released, every
     *    instance's process group killed. */
    pthread_mutex_lock(&em->lock);
    em->stopping = 1;
    for (size_t i = 0; i < em->n_fns; i++) {
        wren__fn *fn = &em->fns[i];
        wren__inv *inv;
        while ((inv = s_queue_pop(fn)))
            s_fail_stopping(inv);
        for (wren__inst *in = fn->instances; in; in = in->next) {
            if (in->cur) {
                wren__inv *cur = in->cur;
                in->cur = NULL;
                cur->inst = NULL;
                s_fail_stopping(cur);
            }
            s_kill(in);
        }
    }
    if (em->wake_fd >= 0) {
        uint64_t one = 1;
        ssize_t w = write(em->wake_fd, &one, sizeof one);
        (void)w;
    }
    wren__unlock(em);
    /* 2. The supervisor first (it hands sockets to the daemon), then the
     *    daemon (closes every connection, runs the completion hooks). */
    if (em->sup_started)
        pthread_join(em->sup, NULL);
    if (em->mhd)
        MHD_stop_daemon(em->mhd);
    if (em->accepted)
        MHD_destroy_response(em->accepted);
    /* 3. Reap what is left: every process we started is waited for. */
    for (size_t i = 0; i < em->n_fns; i++) {
        wren__fn *fn = &em->fns[i];
        wren__inst *in = fn->instances;
        while (in) {
            wren__inst *next = in->next;
            if (in->pid > 0 && !in->reaped) {
                kill(-in->pid, SIGKILL);
                while (waitpid(in->pid, NULL, 0) < 0 && errno == EINTR)
                    ;
                in->reaped = 1;
            }
            s_close_fds(in);
            free(in);
            in = next;
        }
        fn->instances = NULL;
    }
    if (em->epfd >= 0)
        close(em->epfd);
    if (em->wake_fd >= 0)
        close(em->wake_fd);
    if (em->own_log_fd && em->log_fd >= 0)
        close(em->log_fd);
    s_free_fns(em);
    for (size_t i = 0; i < em->n_env; i++)
        free(em->env[i]);
    free(em->env);
    free(em->resume_q);
    pthread_mutex_destroy(&em->lock);
    free(em);
}
