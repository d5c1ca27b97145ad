/*
 * bench_invoke: synchronous echo invocations per second through the local
 * Lambda emulator, with 1 instance and with N, from one keep-alive client
 * (one libcurl easy handle reused), measured side by side: the rounds of the
 * two set-ups alternate and each figure is the median of its rounds. Then
 * the cold start the emulator sees (spawn to first `next`) over 21 instances.
 *
 * usage: bench_invoke [-n INVOKES_PER_ROUND] [-r ROUNDS] [-N INSTANCES] [-L] [RUNTIME]
 * -L writes the function log (START/END/REPORT lines, to /dev/null) as
 * `wren emulator` does by default; without it the emulator runs --quiet.
 * RUNTIME defaults to the first of bin/bootstrap (payload
 * {"kernel":"echo","args":1}), bin/runtime_echo, bin/emulator_test_runtime
 * found next to this program.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include <curl/curl.h>

#include "emulator.h"
#include "wren_common.h"

static size_t s_sink(char *p, size_t size, size_t n, void *ud)
{
    size_t *total = ud;
    (void)p;
    *total += size * n;
    return size * n;
}

/* Runs `count` sync invokes on one reused handle; invokes/s, or -1 on an error.
 * The client is set up as a lean libcurl client would be (as runtime.c is):
 * the URL parsed once (CURLOPT_CURLU; given only a string, libcurl parses
 * and rebuilds it for every request) and no proxy lookups in the
 * environment per request. */
static CURLU *s_uh; /* the URL of the round being run */

static double s_round(CURL *c, int port, const char *payload, int count)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/2015-03-31/functions/bench/invocations", port);
    if (!s_uh)
        s_uh = curl_url();
    if (!s_uh || curl_url_set(s_uh, CURLUPART_URL, url, 0) != CURLUE_OK)
        return -1;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CURLU, s_uh);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_sink);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    size_t total = 0;
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &total);
    uint64_t t0 = wren_mono_ns();
    for (int i = 0; i < count; i++) {
        long code = 0;
        if (curl_easy_perform(c) != CURLE_OK)
            return -1;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (code != 200)
            return -1;
    }
    return count / ((double)(wren_mono_ns() - t0) / 1e9);
}

static double s_cpu_s(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t s_tail_header(char *p, size_t size, size_t n, void *ud)
{
    double *init_ms = ud;
    size_t k = size * n;
    static const char name[] = "X-Amz-Log-Result:";
    if (k > sizeof name && !strncasecmp(p, name, sizeof name - 1)) {
        const char *v = p + sizeof name - 1;
        while (*v == ' ')
            v++;
        size_t vl = 0;
        while (v + vl < p + k && v[vl] != '\r' && v[vl] != '\n')
            vl++;
        unsigned char *log = NULL;
        size_t ln = 0;
        if (wren_base64_decode(v, vl, &log, &ln) == WREN_OK) {
            const char *d = strstr((char *)log, "Init Duration: ");
            if (d)
                *init_ms = strtod(d + 15, NULL);
            free(log);
        }
    }
    return k;
}

/* Cold start as the emulator sees it (spawn to the first `next`, the REPORT
 * line's Init Duration), over `reps` fresh instances. */
static double s_cold_start_ms(const char *runtime, const char *payload, int reps, double *min_ms)
{
    double v[99];
    int n = 0;
    for (int i = 0; i < reps && n < 99; i++) {
        wren_emulator_function fn = {.name = "bench", .bootstrap_path = runtime, .concurrency = 1, .timeout_s = 60};
        wren_emulator_config cfg = {.functions = &fn, .n_functions = 1, .quiet = 1, .log_path = "/dev/null"};
        wren_emulator *em = NULL;
        if (wren_emulator_start(&cfg, &em) != WREN_OK)
            return -1;
        char url[256];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/2015-03-31/functions/bench/invocations", wren_emulator_port(em));
        CURL *c = curl_easy_init();
        struct curl_slist *h = curl_slist_append(NULL, "X-Amz-Log-Type: Tail");
        size_t total = 0;
        double init_ms = -1;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_sink);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &total);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_tail_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &init_ms);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        if (curl_easy_perform(c) == CURLE_OK && init_ms >= 0)
            v[n++] = init_ms;
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        wren_emulator_stop(em);
    }
    if (n == 0)
        return -1;
    qsort(v, (size_t)n, sizeof v[0], s_cmp_double);
    *min_ms = v[0];
    return v[n / 2];
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int per_round = 5000, rounds = 5, n_inst = (int)sysconf(_SC_NPROCESSORS_ONLN);
    int opt, log_lines = 0;
    static const char usage[] = "usage: bench_invoke [-n INVOKES_PER_ROUND] [-r ROUNDS] [-N INSTANCES] [-L] [RUNTIME]\n"
                                "  sync echo invokes/s through the emulator, 1 instance vs N (default: cores), medians\n"
                                "  of alternating rounds (defaults -n 5000 -r 5); -L: write the function log\n";
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        }
    while ((opt = getopt(argc, argv, "n:r:N:L")) != -1) {
        if (opt == 'n')
            per_round = atoi(optarg);
        else if (opt == 'r')
            rounds = atoi(optarg);
        else if (opt == 'N')
            n_inst = atoi(optarg);
        else if (opt == 'L')
            log_lines = 1;
        else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (per_round < 1 || rounds < 1 || rounds > 99 || n_inst < 1 || argc - optind > 1) {
        fputs(usage, stderr);
        return 2;
    }
    char self[PATH_MAX], dir[PATH_MAX], runtime[PATH_MAX + 64] = "";
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    self[k > 0 ? k : 0] = '\0';
    snprintf(dir, sizeof dir, "%s", dirname(self));
    const char *payload = "{\"kernel\":\"echo\",\"args\":1}";
    if (optind < argc) {
        snprintf(runtime, sizeof runtime, "%s", argv[optind]);
    } else {
        const char *cands[] = {"bootstrap", "runtime_echo", "emulator_test_runtime"};
        for (int i = 0; i < 3 && !runtime[0]; i++) {
            snprintf(runtime, sizeof runtime, "%s/%s", dir, cands[i]);
            if (access(runtime, X_OK) != 0)
                runtime[0] = '\0';
        }
    }
    if (!runtime[0]) {
        fprintf(stderr, "bench_invoke: no runtime found next to %s\n", self);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    wren_emulator_function fn = {.name = "bench", .bootstrap_path = runtime, .timeout_s = 60, .memory_mb = 1769};
    wren_emulator_config cfg = {.functions = &fn, .n_functions = 1, .quiet = !log_lines, .log_path = "/dev/null"};
    wren_emulator *em[2] = {NULL, NULL};
    int counts[2] = {1, n_inst};
    CURL *c[2];
    for (int s = 0; s < 2; s++) {
        fn.concurrency = counts[s];
        if (wren_emulator_start(&cfg, &em[s]) != WREN_OK) {
            fprintf(stderr, "bench_invoke: %s\n", wren_emulator_errmsg());
            return 1;
        }
        c[s] = curl_easy_init();
        /* Warm up: cold starts and the first connection out of the way. */
        if (s_round(c[s], wren_emulator_port(em[s]), payload, 200) < 0) {
            fprintf(stderr, "bench_invoke: invokes fail with %s (payload %s)\n", runtime, payload);
            return 1;
        }
    }
    double r[2][99], emu_cpu_s[2] = {0, 0}, client_cpu_s[2] = {0, 0};
    for (int i = 0; i < rounds; i++)
        for (int s = 0; s < 2; s++) {
            /* The emulator's CPU is this process's minus the client's (this
             * thread's); the instances are other processes. */
            double self0 = s_cpu_s(RUSAGE_SELF), me0 = s_cpu_s(RUSAGE_THREAD);
            r[s][i] = s_round(c[s], wren_emulator_port(em[s]), payload, per_round);
            double self1 = s_cpu_s(RUSAGE_SELF), me1 = s_cpu_s(RUSAGE_THREAD);
            client_cpu_s[s] += me1 - me0;
            emu_cpu_s[s] += (self1 - self0) - (me1 - me0);
        }
    printf("runtime: %s\npayload: %s\n%d rounds of %d sync invokes, one keep-alive client, %s\n\n", runtime,
           payload, rounds, per_round, log_lines ? "START/END/REPORT logged" : "quiet");
    printf("%-14s %14s %11d inst\n", "invokes/s", "1 instance", n_inst);
    for (int i = 0; i < rounds; i++)
        printf("  round %-6d %14.0f %16.0f\n", i + 1, r[0][i], r[1][i]);
    for (int s = 0; s < 2; s++)
        qsort(r[s], (size_t)rounds, sizeof r[s][0], s_cmp);
    printf("  %-12s %14.0f %16.0f\n", "median", r[0][rounds / 2], r[1][rounds / 2]);
    double total = (double)rounds * per_round;
    printf("  %-12s %14.1f %16.1f\n", "emulator CPU", emu_cpu_s[0] / total * 1e6, emu_cpu_s[1] / total * 1e6);
    printf("  %-12s %14s %16s\n", "", "us/invoke", "us/invoke");
    printf("  %-12s %14.1f %16.1f\n", "client CPU", client_cpu_s[0] / total * 1e6, client_cpu_s[1] / total * 1e6);
    /* The instances' CPU: once the emulators have stopped (killed and reaped
     * every instance, in this process), RUSAGE_CHILDREN holds what they
     * used, warm-ups included (their kernel children, killed with them, are
     * not counted). */
    double kids0 = s_cpu_s(RUSAGE_CHILDREN);
    for (int s = 0; s < 2; s++) {
        curl_easy_cleanup(c[s]);
        wren_emulator_stop(em[s]);
    }
    double kids = s_cpu_s(RUSAGE_CHILDREN) - kids0;
    /* Both set-ups' invokes, their warm-ups (200 each) included. */
    printf("  %-12s %14.1f us/invoke (main process of the instances, both set-ups)\n", "runtime CPU",
           kids / (2 * total + 400) * 1e6);
    double cold_min = 0, cold = s_cold_start_ms(runtime, payload, 21, &cold_min);
    if (cold >= 0)
        printf("\ncold start (spawn to first next, Init Duration), 21 instances: median %.2f ms, min %.2f ms\n", cold,
               cold_min);
    curl_url_cleanup(s_uh);
    curl_global_cleanup();
    return 0;
}
