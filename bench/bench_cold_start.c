/*
 * bench_cold_start: exec -> first `GET .../invocation/next`, for the real
 * bootstrap and, side by side, for a bare C program (this binary in --bare
 * mode: libc only, connect, send one GET). Both are measured against the same
 * tiny listening socket on 127.0.0.1 (port chosen by the OS), alternating
 * runs so they share the machine's noise; prints medians.
 *
 *   build/bin/bench_cold_start [runs=200] [bootstrap=<dir of this binary>/bootstrap] [other-bootstrap...]
 *
 * Other bootstraps (up to 4; e.g. the same worker linked differently) run
 * with isolation=child in the same alternation, so builds compare side by side.
 *
 * Extra variants: WREN_ISOLATION=fork and =inline runs of the bootstrap show
 * what starting the long-lived kernel child costs at start-up; the same bare
 * program linked (--no-as-needed) with libcurl (bench_cold_start_curl) and
 * with libcurl + OpenBLAS + LAPACKE (bench_cold_start_libs), when built beside
 * this one, show what merely loading those libraries costs.
 * Links only libc on purpose: the bare program must be bare.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

extern char **environ;

static const char s_get[] = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n";

static double s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The bare program: what a runtime must do at the very least. */
static int s_bare(const char *hostport)
{
    char host[64];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof host)
        return 2;
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    inet_pton(AF_INET, host, &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        return 3;
    char req[256];
    int n = snprintf(req, sizeof req, "%sHost: %s\r\n\r\n", s_get, hostport);
    if (write(fd, req, (size_t)n) != n)
        return 4;
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    return 0;
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Spawns argv with env_extra added; returns µs from spawn to the first GET
 * line read on lfd, or -1. */
static double s_one(int lfd, char *const argv[], const char *isolation, const char *api)
{
    char api_env[64], iso_env[64];
    snprintf(api_env, sizeof api_env, "AWS_LAMBDA_RUNTIME_API=%s", api);
    snprintf(iso_env, sizeof iso_env, "WREN_ISOLATION=%s", isolation ? isolation : "child");
    char *envp[] = {api_env, iso_env, "_HANDLER=wren", "LAMBDA_TASK_ROOT=/tmp", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1769",
                    "PATH=/usr/bin:/bin", NULL};
    /* The runtimes complain on stderr when the listener hangs up: keep quiet. */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    double t0 = s_now_us();
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    double t = -1;
    int cfd = accept(lfd, NULL, NULL);
    if (cfd >= 0) {
        char buf[512];
        size_t got = 0;
        while (got < sizeof buf - 1) {
            ssize_t n = read(cfd, buf + got, sizeof buf - 1 - got);
            if (n <= 0)
                break;
            got += (size_t)n;
            buf[got] = '\0';
            if (strstr(buf, "\r\n")) {
                if (!strncmp(buf, s_get, sizeof s_get - 1))
                    t = s_now_us() - t0;
                break;
            }
        }
        close(cfd);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return t;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--bare"))
        return s_bare(argv[2]);
    static const char usage[] =
        "usage: bench_cold_start [RUNS] [BOOTSTRAP] [OTHER_BOOTSTRAP...]\n"
        "  exec -> first GET of the bootstrap (isolation child, fork, inline) and of a bare C program, side by\n"
        "  side; medians of RUNS (default 200) alternating runs; BOOTSTRAP defaults to bootstrap beside this\n"
        "  program; up to 4 other bootstraps run in the same alternation\n";
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return 0;
    }
    int runs = 200;
    if (argc > 1) {
        char *end;
        long r = strtol(argv[1], &end, 10);
        if (argv[1][0] == '-' || *end || r < 1 || r > 100000 || argc > 7) {
            fputs(usage, stderr);
            return 2;
        }
        runs = (int)r;
    }
    char boot[PATH_MAX], self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 1;
    self[n] = '\0';
    if (argc > 2) {
        snprintf(boot, sizeof boot, "%s", argv[2]);
    } else {
        snprintf(boot, sizeof boot, "%s", self);
        char *slash = strrchr(boot, '/');
        snprintf(slash + 1, sizeof boot - (size_t)(slash + 1 - boot), "bootstrap");
    }
    if (access(boot, X_OK) != 0) {
        fprintf(stderr, "no bootstrap at %s\n", boot);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 16) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) != 0)
        return 1;
    char api[64];
    snprintf(api, sizeof api, "127.0.0.1:%d", ntohs(a.sin_port));

    enum { BARE, CURL, LIBS, CHILD, FORK, INLINE, OTHER0, NVAR = OTHER0 + 4 };
    static const char *names[NVAR] = {"bare C (socket + one GET)",
                                      "bare C + libcurl loaded",
                                      "bare C + libcurl, OpenBLAS, LAPACKE",
                                      "bootstrap (isolation=child, default)",
                                      "bootstrap (isolation=fork)",
                                      "bootstrap (isolation=inline)"};
    const char *names_other[4] = {0};
    char *other_argv[4][2] = {{0}};
    char curl_path[PATH_MAX + 8], libs_path[PATH_MAX + 8];
    snprintf(curl_path, sizeof curl_path, "%s_curl", self);
    snprintf(libs_path, sizeof libs_path, "%s_libs", self);
    int have[NVAR] = {1, access(curl_path, X_OK) == 0, access(libs_path, X_OK) == 0, 1, 1, 1};
    for (int i = 0; i < 4 && 3 + i < argc; i++) {
        if (access(argv[3 + i], X_OK) != 0) {
            fprintf(stderr, "no bootstrap at %s\n", argv[3 + i]);
            return 1;
        }
        names_other[i] = argv[3 + i];
        other_argv[i][0] = argv[3 + i];
        have[OTHER0 + i] = 1;
    }
    double *t[NVAR];
    for (int v = 0; v < NVAR; v++)
        t[v] = calloc((size_t)runs, sizeof(double));
    char *bare_argv[] = {self, "--bare", api, NULL};
    char *curl_argv[] = {curl_path, "--bare", api, NULL};
    char *libs_argv[] = {libs_path, "--bare", api, NULL};
    char *boot_argv[] = {boot, NULL};
    for (int r = 0; r < runs; r++) {
        for (int v = 0; v < NVAR; v++) {
            if (!have[v])
                continue;
            double us = v == BARE     ? s_one(lfd, bare_argv, NULL, api)
                        : v == CURL  ? s_one(lfd, curl_argv, NULL, api)
                        : v == LIBS  ? s_one(lfd, libs_argv, NULL, api)
                        : v == CHILD ? s_one(lfd, boot_argv, "child", api)
                        : v == FORK  ? s_one(lfd, boot_argv, "fork", api)
                        : v == INLINE ? s_one(lfd, boot_argv, "inline", api)
                                      : s_one(lfd, other_argv[v - OTHER0], "child", api);
            if (us < 0) {
                fprintf(stderr, "run %d of '%s' failed\n", r, v >= OTHER0 ? names_other[v - OTHER0] : names[v]);
                return 1;
            }
            t[v][r] = us;
        }
    }
    printf("bench_cold_start: exec -> first GET next, %d runs each, alternating (us)\n", runs);
    printf("%-40s %10s %10s %10s\n", "program", "median", "p10", "p90");
    for (int v = 0; v < NVAR; v++) {
        if (!have[v])
            continue;
        qsort(t[v], (size_t)runs, sizeof(double), s_cmp);
        printf("%-40s %10.0f %10.0f %10.0f\n", v >= OTHER0 ? names_other[v - OTHER0] : names[v], t[v][runs / 2], t[v][runs / 10], t[v][runs * 9 / 10]);
        free(t[v]);
    }
    close(lfd);
    return 0;
}
