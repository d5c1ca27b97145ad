/* Pieces the `wren` subcommands call/map/status/results/plot share: the
 * executor options, the progress bar, printing an outcome as JSON. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_common.h"

const char wren__cli_exec_help[] =
    "executor options (default: the embedded local backend, nothing kept):\n"
    "  --keep               keep the job's data in the default store ($WREN_STORE, else\n"
    "                       $XDG_CACHE_HOME/wren/store, else ~/.cache/wren/store) for\n"
    "                       `wren status/results/plot JOB`\n"
    "  --store URL          keep the job's data in this store (file:///abs/dir, or\n"
    "                       s3://bucket/prefix on AWS: WREN_BACKEND=aws, docs/aws.md)\n"
    "  --job ID             the job id (1-128 of [A-Za-z0-9._-]; default: a fresh j-DATE-HEX)\n"
    "  --endpoint URL       send invokes to this Invoke API (e.g. a `wren emulator`) instead of\n"
    "                       starting one inside this process; needs --store or --keep\n"
    "  --function NAME      function name (default wren; on AWS $WREN_FUNCTION, else wren)\n"
    "  --bootstrap PATH     worker executable (default: $WREN_BOOTSTRAP, else bootstrap beside\n"
    "                       this program, else the one this build made)\n"
    "  --handler H          _HANDLER for the workers (e.g. libmykernels.so)\n"
    "  --task-root DIR      LAMBDA_TASK_ROOT for the workers\n"
    "  --concurrency N      local worker processes (default: the core count)\n"
    "  --timeout S          function timeout in seconds (default 60)\n"
    "  --retries N          re-invocations of calls that crashed, timed out or hit a store\n"
    "                       error (default 0)\n"
    "  --memory MB          worker memory (default 1769)\n"
    "  --inline-bytes N     arguments larger than this go through the store (default 262144;\n"
    "                       at most 716800, an Event's 1 MB in base64: larger acts as 716800)\n"
    "  --speculate F        back up a call running F x longer than the median of its map's\n"
    "                       finished calls, once half of them finished (default 0: off)\n"
    "  --quiet              no progress bar (it shows only when stderr is a terminal)\n";

static int s_num(const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (!s[0] || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

int wren__cli_exec_arg(int argc, char **argv, int *i, wren__cli_exec *x)
{
    const char *o = argv[*i];
    if (!strcmp(o, "--keep")) {
        x->cfg.keep_data = 1;
        return 1;
    }
    if (!strcmp(o, "--quiet")) {
        x->quiet = 1;
        return 1;
    }
    static const char *const with_value[] = {"--store",       "--job",    "--endpoint", "--function",
                                             "--bootstrap",   "--handler", "--task-root", "--concurrency",
                                             "--timeout",     "--retries", "--memory",    "--inline-bytes",
                                             "--speculate"};
    size_t k = 0;
    for (; k < sizeof with_value / sizeof *with_value; k++)
        if (!strcmp(o, with_value[k]))
            break;
    if (k == sizeof with_value / sizeof *with_value)
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "wren %s: %s needs a value\n", argv[0], o);
        return -1;
    }
    const char *v = argv[++*i];
    double d = 0;
    switch (k) {
    case 0:
        x->cfg.store_url = v;
        x->cfg.keep_data = 1;
        return 1;
    case 1:
        x->cfg.job_id = v;
        return 1;
    case 2:
        x->cfg.invoke_url = v;
        return 1;
    case 3:
        x->cfg.function_name = v;
        return 1;
    case 4:
        x->cfg.bootstrap_path = v;
        return 1;
    case 5:
        x->cfg.handler = v;
        return 1;
    case 6:
        x->cfg.task_root = v;
        return 1;
    case 7:
        if (s_num(v, 1, 4096, &d))
            break;
        x->cfg.concurrency = (int)d;
        return 1;
    case 8:
        if (s_num(v, 0.001, 900, &d))
            break;
        x->cfg.timeout_s = d;
        return 1;
    case 9:
        if (s_num(v, 0, 100, &d))
            break;
        x->cfg.retries = (int)d;
        return 1;
    case 10:
        if (s_num(v, 128, 10240, &d))
            break;
        x->cfg.memory_mb = (int)d;
        return 1;
    case 11:
        if (s_num(v, 1, 6e6, &d))
            break;
        x->cfg.inline_threshold_bytes = (size_t)d;
        return 1;
    case 12:
        if (s_num(v, 0, 1000, &d))
            break;
        x->cfg.speculate_factor = d;
        return 1;
    }
    fprintf(stderr, "wren %s: bad value '%s' for %s\n", argv[0], v, o);
    return -1;
}

static void s_bar(const wren_progress *p, void *user)
{
    wren__cli_exec *x = user;
    size_t total = x->total ? x->total : p->submitted;
    size_t fin = p->done + p->failed;
    int width = 30, filled = total ? (int)(fin * (size_t)width / total) : 0;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %zu/%zu done, %zu failed, %zu retried, %.1f s ", bar, p->done, total, p->failed,
            p->retried, p->elapsed_s);
    x->bar_shown = 1;
}

int wren__cli_exec_start(wren__cli_exec *x, const char *cmd, wren_executor **ex)
{
    if (x->cfg.invoke_url && !x->cfg.store_url && !x->cfg.keep_data) {
        fprintf(stderr, "wren %s: --endpoint needs --store or --keep (the workers must see the store)\n", cmd);
        return 2;
    }
    if (!x->quiet && isatty(2)) {
        x->cfg.progress = s_bar;
        x->cfg.progress_user = x;
    }
    x->cfg.quiet = 1;
    int rc = wren_executor_new(&x->cfg, ex);
    if (rc != WREN_OK) {
        fprintf(stderr, "wren %s: %s\n", cmd, wren_last_error());
        return 1;
    }
    return 0;
}

void wren__cli_exec_end(wren__cli_exec *x, wren_executor *ex, const char *cmd)
{
    if (x->bar_shown)
        fputc('\n', stderr);
    x->bar_shown = 0;
    if (ex && x->cfg.keep_data)
        fprintf(stderr, "wren %s: job %s kept in %s\n", cmd, wren_executor_job(ex), wren_executor_store_url(ex));
}

int wren__cli_print_outcome(FILE *out, wren_future *f)
{
    return wren__cli_print_outcome_with(out, f, NULL, NULL);
}

int wren__cli_print_outcome_with(FILE *out, wren_future *f, wren__cli_render_fn render, void *user)
{
    const msgpack_object *o = NULL;
    if (render && wren_future_state_of(f) == WREN_FUTURE_DONE) {
        if (wren_future_result(f, 0, &o) == WREN_OK && render(out, o, user) == WREN_OK)
            return 0;
    } else if (wren_future_state_of(f) == WREN_FUTURE_DONE) {
        char *js = wren_future_result_json(f);
        if (js) {
            fprintf(out, "%s\n", js);
            free(js);
            return 0;
        }
    }
    /* DONE, yet not printed: the result bytes (inline, or a JOB/CALL/out
     * object read back truncated or corrupted) are not one msgpack value.
     * Name that, as `wren results` does, not an untyped "no result". */
    if (wren_future_state_of(f) == WREN_FUTURE_DONE && wren_future_result(f, 0, &o) == WREN_EPROTO)
        return wren__cli_print_error(out, "Wren.BadResult", "the result is not msgpack");
    return wren__cli_print_error(out, wren_future_error_type(f) ? wren_future_error_type(f) : "Wren.Error",
                                 wren_future_error_message(f) ? wren_future_error_message(f) : "no result");
}

int wren__cli_print_error(FILE *out, const char *type, const char *message)
{
    json_t *j = json_pack("{s:{s:s, s:s}}", "error", "type", type, "message", message ? message : "");
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    fprintf(out, "%s\n", s ? s : "{\"error\":{\"type\":\"Wren.OutOfMemory\",\"message\":\"\"}}");
    free(s);
    json_decref(j);
    return 1;
}

int wren__cli_store_arg(int argc, char **argv, int *i, const char **store)
{
    if (strcmp(argv[*i], "--store"))
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "wren %s: --store needs a URL\n", argv[0]);
        return -1;
    }
    *store = argv[++*i];
    return 1;
}

const char *wren__cli_default_store(char *buf, size_t size)
{
    return wren__default_store_url(buf, size) == WREN_OK ? buf : NULL;
}

int wren__cli_load_job(const char *cmd, const char **store, char *buf, size_t buf_size, const char *job,
                       int with_results, wren__job **out)
{
    char err[512];
    *out = NULL;
    if (!*store && !(*store = wren__cli_default_store(buf, buf_size))) {
        fprintf(stderr, "wren %s: no store: pass --store URL\n", cmd);
        return 2;
    }
    if (wren__job_load(*store, job, with_results, out, err, sizeof err) != WREN_OK) {
        fprintf(stderr, "wren %s: %s\n", cmd, err);
        return 1;
    }
    return 0;
}

static wren_executor *volatile s_sig_ex;
static volatile sig_atomic_t s_sig;

static void s_on_signal(int sig)
{
    s_sig = sig;
    wren_executor *ex = s_sig_ex;
    if (ex)
        wren_executor_interrupt(ex);
}

void wren__cli_catch_signals(wren_executor *ex)
{
    s_sig_ex = ex;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a sleep in the polling loop ends at once. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int wren__cli_signal(void)
{
    return s_sig;
}
