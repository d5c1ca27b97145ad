/*
 * emulator_test_runtime: a small Lambda custom runtime (libcurl + jansson)
 * for the emulator's tests, independent of wren's own runtime library.
 *
 * _HANDLER picks start-up behaviour:
 *   "init_error"  POST init/error (type Test.InitFailed), then wait to be killed
 *   "init_exit"   exit with status 3 before the first `next`
 *   "init_hang"   never ask for an event
 *   anything else serve events
 * The event (a JSON object) picks the behaviour per invocation by "op":
 *   "echo" (default)  print "echo REQUEST_ID" and return the event unchanged
 *   "sleep"  {"ms": N}  sleep, then return the event
 *   "fail"   POST .../error with errorType Test.Failed
 *   "crash"  die of SIGSEGV;  "abort": abort();  "exit" {"code": N}: exit(N)
 *   "print"  {"lines": N}  print N lines, then return the event
 *   "big"    {"bytes": N}  return a JSON string of N bytes
 *   "fork"   start a child that sleeps 300 s; return {"child": PID}
 *   "env"    return the Lambda environment variables as an object (and those
 *            named in "names": [...])
 *   "headers" return the headers of this event's `next` response
 *   "twice"  answer, then abandon a second long poll on another connection
 *   "alloc"  {"mb": N}  malloc N MB (untouched); {"allocated": true|false}
 *   "probe"  misuse the Runtime API; return the status codes it gave
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

typedef struct {
    char *data;
    size_t len;
} s_buf;

static size_t s_write(char *p, size_t size, size_t n, void *ud)
{
    s_buf *b = ud;
    size_t k = size * n;
    char *d = realloc(b->data, b->len + k + 1);
    if (!d)
        return 0;
    memcpy(d + b->len, p, k);
    b->len += k;
    d[b->len] = '\0';
    b->data = d;
    return k;
}

/* Headers of the last `next`, as a JSON object with lower-case names. */
static json_t *s_next_headers;

static void s_keep_header(const char *p, size_t k)
{
    const char *colon = memchr(p, ':', k);
    if (!colon || !s_next_headers)
        return;
    char name[128], value[1024];
    size_t nl = (size_t)(colon - p), vl = 0;
    if (nl >= sizeof name)
        return;
    for (size_t i = 0; i < nl; i++)
        name[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] - 'A' + 'a' : p[i]);
    name[nl] = '\0';
    const char *v = colon + 1;
    while (v < p + k && *v == ' ')
        v++;
    while (v + vl < p + k && v[vl] != '\r' && v[vl] != '\n' && vl + 1 < sizeof value)
        vl++;
    memcpy(value, v, vl);
    value[vl] = '\0';
    json_object_set_new(s_next_headers, name, json_string(value));
}

static size_t s_header(char *p, size_t size, size_t n, void *ud)
{
    char *id = ud;
    size_t k = size * n;
    s_keep_header(p, k);
    static const char name[] = "lambda-runtime-aws-request-id:";
    if (k > sizeof name && !strncasecmp(p, name, sizeof name - 1)) {
        const char *v = p + sizeof name - 1;
        while (*v == ' ')
            v++;
        size_t vl = 0;
        while (v + vl < p + k && v[vl] != '\r' && v[vl] != '\n' && vl < 127)
            vl++;
        memcpy(id, v, vl);
        id[vl] = '\0';
    }
    return k;
}

static CURL *s_curl;
static char s_base[256];

static long s_post(const char *path, const char *body, size_t len, const char *err_type)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", s_base, path);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    if (err_type) {
        char line[160];
        snprintf(line, sizeof line, "Lambda-Runtime-Function-Error-Type: %s", err_type);
        h = curl_slist_append(h, line);
    }
    s_buf out = {0};
    curl_easy_reset(s_curl);
    curl_easy_setopt(s_curl, CURLOPT_URL, url);
    curl_easy_setopt(s_curl, CURLOPT_POST, 1L);
    curl_easy_setopt(s_curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(s_curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(s_curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(s_curl, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt(s_curl, CURLOPT_WRITEDATA, &out);
    long code = 0;
    if (curl_easy_perform(s_curl) == CURLE_OK)
        curl_easy_getinfo(s_curl, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    free(out.data);
    return code;
}

static void s_respond(const char *id, const char *body, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "/invocation/%s/response", id);
    long code = s_post(path, body, len, NULL);
    if (code != 202)
        printf("response for %s got HTTP %ld\n", id, code);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    const char *handler = getenv("_HANDLER");
    if (!api) {
        fprintf(stderr, "AWS_LAMBDA_RUNTIME_API is not set\n");
        return 1;
    }
    snprintf(s_base, sizeof s_base, "http://%s/2018-06-01/runtime", api);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    s_curl = curl_easy_init();
    if (handler && !strcmp(handler, "init_exit")) {
        fprintf(stderr, "init_exit: leaving before the first next\n");
        return 3;
    }
    if (handler && !strcmp(handler, "init_hang")) {
        printf("init_hang: never asking for an event\n");
        sleep(300);
        return 1;
    }
    if (handler && !strcmp(handler, "init_error")) {
        static const char body[] = "{\"errorMessage\":\"init failed on purpose\",\"errorType\":\"Test.InitFailed\"}";
        s_post("/init/error", body, sizeof body - 1, "Test.InitFailed");
        sleep(60); /* Lambda (and the emulator) stop the instance */
        return 1;
    }
    for (;;) {
        char url[512], id[128] = "";
        snprintf(url, sizeof url, "%s/invocation/next", s_base);
        s_buf ev = {0};
        json_decref(s_next_headers);
        s_next_headers = json_object();
        curl_easy_reset(s_curl);
        curl_easy_setopt(s_curl, CURLOPT_URL, url);
        curl_easy_setopt(s_curl, CURLOPT_WRITEFUNCTION, s_write);
        curl_easy_setopt(s_curl, CURLOPT_WRITEDATA, &ev);
        curl_easy_setopt(s_curl, CURLOPT_HEADERFUNCTION, s_header);
        curl_easy_setopt(s_curl, CURLOPT_HEADERDATA, id);
        long code = 0;
        if (curl_easy_perform(s_curl) != CURLE_OK)
            return 1;
        curl_easy_getinfo(s_curl, CURLINFO_RESPONSE_CODE, &code);
        if (code != 200 || !id[0])
            return 1;
        json_t *j = json_loadb(ev.data ? ev.data : "", ev.len, JSON_DECODE_ANY, NULL);
        const char *op = json_string_value(json_object_get(j, "op"));
        if (!op)
            op = "echo";
        if (!strcmp(op, "sleep")) {
            long ms = (long)json_integer_value(json_object_get(j, "ms"));
            struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            s_respond(id, ev.data, ev.len);
        } else if (!strcmp(op, "fail")) {
            static const char body[] =
                "{\"errorMessage\":\"failed on purpose\",\"errorType\":\"Test.Failed\",\"stackTrace\":[]}";
            char path[256];
            snprintf(path, sizeof path, "/invocation/%s/error", id);
            printf("failing %s\n", id);
            s_post(path, body, sizeof body - 1, "Test.Failed");
        } else if (!strcmp(op, "crash")) {
            signal(SIGSEGV, SIG_DFL);
            raise(SIGSEGV);
        } else if (!strcmp(op, "abort")) {
            abort();
        } else if (!strcmp(op, "exit")) {
            exit((int)json_integer_value(json_object_get(j, "code")));
        } else if (!strcmp(op, "print")) {
            long n = (long)json_integer_value(json_object_get(j, "lines"));
            for (long i = 0; i < n; i++)
                printf("line %ld of %ld\n", i + 1, n);
            s_respond(id, ev.data, ev.len);
        } else if (!strcmp(op, "big")) {
            size_t n = (size_t)json_integer_value(json_object_get(j, "bytes"));
            char *b = malloc(n + 3);
            b[0] = '"';
            memset(b + 1, 'x', n);
            b[n + 1] = '"';
            s_respond(id, b, n + 2);
            free(b);
        } else if (!strcmp(op, "fork")) {
            pid_t c = fork();
            if (c == 0) {
                sleep(300);
                _exit(0);
            }
            char body[64];
            snprintf(body, sizeof body, "{\"child\":%d}", (int)c);
            s_respond(id, body, strlen(body));
        } else if (!strcmp(op, "twice")) {
            /* Answer, then ask for the next event on a fresh connection that
             * gives up after 300 ms, then carry on with the usual one: the
             * emulator must drop the abandoned long poll and serve the new. */
            s_respond(id, ev.data, ev.len);
            CURL *other = curl_easy_init();
            char u[512];
            snprintf(u, sizeof u, "%s/invocation/next", s_base);
            curl_easy_setopt(other, CURLOPT_URL, u);
            curl_easy_setopt(other, CURLOPT_TIMEOUT_MS, 300L);
            curl_easy_setopt(other, CURLOPT_WRITEFUNCTION, s_write);
            s_buf junk = {0};
            curl_easy_setopt(other, CURLOPT_WRITEDATA, &junk);
            curl_easy_perform(other);
            curl_easy_cleanup(other);
            free(junk.data);
        } else if (!strcmp(op, "headers")) {
            char *body = json_dumps(s_next_headers, JSON_COMPACT);
            s_respond(id, body, strlen(body));
            free(body);
        } else if (!strcmp(op, "alloc")) {
            /* Address space only (not touched): fails only under a limit. */
            size_t mb = (size_t)json_integer_value(json_object_get(j, "mb"));
            void *p = malloc(mb << 20);
            const char *body = p ? "{\"allocated\":true}" : "{\"allocated\":false}";
            free(p);
            s_respond(id, body, strlen(body));
        } else if (!strcmp(op, "probe")) {
            /* The Runtime API's answers to a misbehaving runtime. */
            char path[256], body[256];
            long bad_id = s_post("/invocation/not-a-request-id/response", "{}", 2, NULL);
            long late_init = s_post("/init/error", "{}", 2, "Test.Late");
            snprintf(path, sizeof path, "/invocation/%s/bogus", id);
            long unknown = s_post(path, "{}", 2, NULL);
            snprintf(body, sizeof body, "{\"bad_id\":%ld,\"late_init_error\":%ld,\"unknown_path\":%ld}", bad_id,
                     late_init, unknown);
            s_respond(id, body, strlen(body));
        } else if (!strcmp(op, "env")) {
            static const char *const names[] = {"_HANDLER", "LAMBDA_TASK_ROOT", "AWS_LAMBDA_RUNTIME_API",
                                                "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                                "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME",
                                                "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_REGION", "AWS_DEFAULT_REGION",
                                                "AWS_ACCESS_KEY_ID", "TZ", "LANG", "PATH", NULL};
            json_t *o = json_object();
            for (int i = 0; names[i]; i++)
                if (getenv(names[i]))
                    json_object_set_new(o, names[i], json_string(getenv(names[i])));
            /* Any other names the event lists (the user's variables). */
            json_t *more = json_object_get(j, "names");
            for (size_t i = 0; i < json_array_size(more); i++) {
                const char *n = json_string_value(json_array_get(more, i));
                if (n && getenv(n))
                    json_object_set_new(o, n, json_string(getenv(n)));
            }
            char cwd[512];
            if (getcwd(cwd, sizeof cwd))
                json_object_set_new(o, "cwd", json_string(cwd));
            char *body = json_dumps(o, JSON_COMPACT);
            s_respond(id, body, strlen(body));
            free(body);
            json_decref(o);
        } else {
            printf("echo %s\n", id);
            s_respond(id, ev.data, ev.len);
        }
        json_decref(j);
        free(ev.data);
    }
}
