/*
 * wren emulator: the local Lambda service on a loopback port, until SIGINT or
 * SIGTERM. Prints its address (http://HOST:PORT) on stdout once it listens.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "emulator.h"

#define S_MAX_FUNCTIONS 64
#define S_MAX_ENV 256

static void s_help(FILE *f)
{
    fprintf(f,
            "usage: wren emulator --function NAME=PATH [--function NAME=PATH ...] [OPTIONS]\n"
            "\n"
            "Runs the Lambda Invoke API on a loopback port and, for each function, a pool\n"
            "of instances: real processes (PATH, e.g. build/bin/bootstrap) each with its own\n"
            "Runtime API endpoint and Lambda's environment. Prints http://HOST:PORT on\n"
            "stdout once listening; stops every instance on SIGINT, SIGTERM or SIGHUP.\n"
            "\n"
            "options:\n"
            "  --function NAME=PATH  serve function NAME with the executable PATH; repeatable.\n"
            "                        NAME is 1-64 characters of [A-Za-z0-9_-]\n"
            "  --listen HOST:PORT    address of the Invoke API (default 127.0.0.1:9000;\n"
            "                        port 0 picks a free one). HOST must be an IPv4 address\n"
            "  --concurrency N       instances per function at most (default: the core count)\n"
            "  --timeout S           function timeout in seconds, fractions allowed (default 60)\n"
            "  --memory MB           memory size, 128-10240 (default 1769, one vCPU on Lambda);\n"
            "                        also bounds each instance's address space (see docs/emulator.md)\n"
            "  --async-retries N     retries of a failed Event invocation, 0-2 (default 2, as Lambda)\n"
            "  --queue-max N         queued Event invocations per function before 429 (default 100000)\n"
            "  --idle-reap S         stop instances idle for S seconds (default 600)\n"
            "  --handler H           _HANDLER given to every function (default \"wren\")\n"
            "  --task-root DIR       LAMBDA_TASK_ROOT and working directory of every instance\n"
            "                        (default: the directory of each function's PATH)\n"
            "  --log FILE            append function logs (START/END/REPORT, instance output)\n"
            "                        to FILE instead of stderr\n"
            "  --quiet               no START/END/REPORT lines (instance output is still logged)\n"
            "  --env NAME=VALUE      add NAME=VALUE to every instance's environment, as a\n"
            "                        function's environment variables on Lambda; repeatable.\n"
            "                        Lambda's rules: NAME is a letter then letters, digits or\n"
            "                        '_'; reserved names (_HANDLER, AWS_REGION, AWS_LAMBDA_*,\n"
            "                        credentials, LAMBDA_TASK_ROOT, ...) are refused; 4 KB in\n"
            "                        total. Overrides PATH, LANG, TZ or a passed-through variable\n"
            "  -h, --help            this help\n"
            "\n"
            "example:\n"
            "  wren emulator --function wren=build/bin/bootstrap --concurrency 4 --timeout 60\n"
            "  aws lambda invoke --endpoint-url http://127.0.0.1:9000 --function-name wren \\\n"
            "      --cli-binary-format raw-in-base64-out --payload '{\"kernel\":\"addone\",\"args\":41}' out.json\n");
}

static int s_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "wren emulator: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'wren emulator --help')\n");
    return 2;
}

static int s_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int wren_cmd_emulator(int argc, char **argv)
{
    static const struct option opts[] = {
        {"function", required_argument, NULL, 'f'}, {"listen", required_argument, NULL, 'l'},
        {"concurrency", required_argument, NULL, 'c'}, {"timeout", required_argument, NULL, 't'},
        {"memory", required_argument, NULL, 'm'}, {"async-retries", required_argument, NULL, 'r'},
        {"queue-max", required_argument, NULL, 'q'}, {"idle-reap", required_argument, NULL, 'i'},
        {"handler", required_argument, NULL, 'H'}, {"task-root", required_argument, NULL, 'T'},
        {"log", required_argument, NULL, 'L'}, {"quiet", no_argument, NULL, 'Q'},
        {"env", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    wren_emulator_function fns[S_MAX_FUNCTIONS];
    char *names[S_MAX_FUNCTIONS];
    size_t n_fns = 0;
    const char *env[S_MAX_ENV];
    size_t n_env = 0;
    char host[64] = "127.0.0.1";
    long port = 9000, concurrency = 0, memory = 1769, retries = 2, queue_max = 0, idle = 0;
    double timeout = 60;
    const char *handler = NULL, *task_root = NULL, *log_path = NULL;
    int quiet = 0, rc = 2;
    memset(fns, 0, sizeof fns);
    memset(names, 0, sizeof names);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1]) {
                rc = s_usage_error("--function wants NAME=PATH, got '%s'", optarg);
                goto done;
            }
            if (n_fns == S_MAX_FUNCTIONS) {
                rc = s_usage_error("too many --function options (at most 64)%s", "");
                goto done;
            }
            names[n_fns] = strndup(optarg, (size_t)(eq - optarg));
            fns[n_fns].name = names[n_fns];
            fns[n_fns].bootstrap_path = eq + 1;
            n_fns++;
            break;
        }
        case 'l': {
            const char *colon = strrchr(optarg, ':');
            if (!colon || (size_t)(colon - optarg) >= sizeof host || s_parse_long(colon + 1, 0, 65535, &port)) {
                rc = s_usage_error("--listen wants HOST:PORT (port 0-65535), got '%s'", optarg);
                goto done;
            }
            if (colon > optarg)
                snprintf(host, sizeof host, "%.*s", (int)(colon - optarg), optarg);
            break;
        }
        case 'c':
            if (s_parse_long(optarg, 1, 100000, &concurrency)) {
                rc = s_usage_error("--concurrency wants an integer from 1 to 100000, got '%s'", optarg);
                goto done;
            }
            break;
        case 't': {
            char *end;
            errno = 0;
            timeout = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(timeout > 0) || timeout > 86400) {
                rc = s_usage_error("--timeout wants seconds, more than 0 and at most 86400, got '%s'", optarg);
                goto done;
            }
            break;
        }
        case 'm':
            if (s_parse_long(optarg, 128, 10240, &memory)) {
                rc = s_usage_error("--memory wants MB from 128 to 10240, got '%s'", optarg);
                goto done;
            }
            break;
        case 'r':
            if (s_parse_long(optarg, 0, 2, &retries)) {
                rc = s_usage_error("--async-retries wants 0, 1 or 2, got '%s'", optarg);
                goto done;
            }
            break;
        case 'q':
            if (s_parse_long(optarg, 1, LONG_MAX, &queue_max)) {
                rc = s_usage_error("--queue-max wants a positive integer, got '%s'", optarg);
                goto done;
            }
            break;
        case 'i':
            if (s_parse_long(optarg, 1, INT_MAX, &idle)) {
                rc = s_usage_error("--idle-reap wants a positive number of seconds, got '%s'", optarg);
                goto done;
            }
            break;
        case 'H':
            handler = optarg;
            break;
        case 'T':
            task_root = optarg;
            break;
        case 'L':
            log_path = optarg;
            break;
        case 'Q':
            quiet = 1;
            break;
        case 'e':
            /* The name and size rules are the library's (wren_emulator_start). */
            if (!strchr(optarg, '=') || optarg[0] == '=') {
                rc = s_usage_error("--env wants NAME=VALUE, got '%s'", optarg);
                goto done;
            }
            if (n_env == S_MAX_ENV) {
                rc = s_usage_error("too many --env options (at most 256)%s", "");
                goto done;
            }
            env[n_env++] = optarg;
            break;
        case 'h':
            s_help(stdout);
            rc = 0;
            goto done;
        case ':':
            rc = s_usage_error("%s needs a value", argv[optind - 1]);
            goto done;
        default:
            rc = s_usage_error("unknown option '%s'", argv[optind - 1]);
            goto done;
        }
    }
    if (optind < argc) {
        rc = s_usage_error("unexpected argument '%s'", argv[optind]);
        goto done;
    }
    if (n_fns == 0) {
        rc = s_usage_error("at least one --function NAME=PATH is needed%s", "");
        goto done;
    }
    for (size_t i = 0; i < n_fns; i++) {
        struct stat st;
        if (stat(fns[i].bootstrap_path, &st) != 0 || !S_ISREG(st.st_mode) || access(fns[i].bootstrap_path, X_OK) != 0) {
            fprintf(stderr, "wren emulator: function %s: %s is not an executable file\n", fns[i].name,
                    fns[i].bootstrap_path);
            rc = 2;
            goto done;
        }
        fns[i].handler = handler;
        fns[i].task_root = task_root;
        fns[i].concurrency = (int)concurrency;
        fns[i].timeout_s = timeout;
        fns[i].memory_mb = (int)memory;
        fns[i].async_retries = (int)retries;
    }

    /* SIGINT and SIGTERM are taken with sigwait: block them before any thread
     * starts (the emulator's threads inherit the mask; instances get a clean
     * one). */
    sigset_t stop_sigs;
    sigemptyset(&stop_sigs);
    sigaddset(&stop_sigs, SIGINT);
    sigaddset(&stop_sigs, SIGTERM);
    sigaddset(&stop_sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    wren_emulator_config cfg = {0};
    cfg.host = host;
    cfg.port = (int)port;
    cfg.functions = fns;
    cfg.n_functions = n_fns;
    cfg.queue_max = (size_t)queue_max;
    cfg.idle_reap_s = (int)idle;
    cfg.log_path = log_path;
    cfg.quiet = quiet;
    cfg.env = env;
    cfg.n_env = n_env;
    wren_emulator *em = NULL;
    int st = wren_emulator_start(&cfg, &em);
    if (st != 0) {
        fprintf(stderr, "wren emulator: %s\n", wren_emulator_errmsg());
        rc = (st == WREN_EINVAL || st == WREN_EEXIST) ? 2 : 1;
        goto done;
    }
    printf("http://%s:%d\n", host, wren_emulator_port(em));
    fflush(stdout);
    for (size_t i = 0; i < n_fns; i++)
        fprintf(stderr, "wren emulator: function %s -> %s\n", fns[i].name, fns[i].bootstrap_path);
    int sig = 0;
    sigwait(&stop_sigs, &sig);
    fprintf(stderr, "wren emulator: %s, stopping\n", strsignal(sig));
    wren_emulator_stop(em);
    rc = 0;

done:
    for (size_t i = 0; i < n_fns; i++)
        free(names[i]);
    return rc;
}
