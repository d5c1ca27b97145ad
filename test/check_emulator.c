/*
 * check_emulator: the local Lambda service end to end, in process.
 *
 * Each test starts an emulator (wren_emulator_start on an ephemeral port)
 * whose instances are build/bin/emulator_test_runtime processes, invokes it
 * over real HTTP with libcurl, and stops it; the last checks that no process
 * it spawned is left.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "emulator.h"
#include "wren_common.h"

static char s_runtime[1024];
static char s_logdir[256];

typedef struct {
    long status;
    char *body;
    size_t len;
    char function_error[64];
    char error_type[128];
    char request_id[64];
    char version[32];
    char *log_result;
} s_resp;

static size_t s_write(char *p, size_t size, size_t n, void *ud)
{
    s_resp *r = ud;
    size_t k = size * n;
    char *d = realloc(r->body, r->len + k + 1);
    if (!d)
        return 0;
    memcpy(d + r->len, p, k);
    r->len += k;
    d[r->len] = '\0';
    r->body = d;
    return k;
}

static void s_copy_header(const char *p, size_t k, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    if (k <= nl || strncasecmp(p, name, nl))
        return;
    const char *v = p + nl;
    while (*v == ' ')
        v++;
    size_t vl = 0;
    while (v + vl < p + k && v[vl] != '\r' && v[vl] != '\n' && vl + 1 < cap)
        vl++;
    memcpy(out, v, vl);
    out[vl] = '\0';
}

static size_t s_header(char *p, size_t size, size_t n, void *ud)
{
    s_resp *r = ud;
    size_t k = size * n;
    s_copy_header(p, k, "x-amz-function-error:", r->function_error, sizeof r->function_error);
    s_copy_header(p, k, "x-amzn-errortype:", r->error_type, sizeof r->error_type);
    s_copy_header(p, k, "x-amzn-requestid:", r->request_id, sizeof r->request_id);
    s_copy_header(p, k, "x-amz-executed-version:", r->version, sizeof r->version);
    if (k > 17 && !strncasecmp(p, "x-amz-log-result:", 17)) {
        char tmp[8192] = "";
        s_copy_header(p, k, "x-amz-log-result:", tmp, sizeof tmp);
        free(r->log_result);
        r->log_result = strdup(tmp);
    }
    return k;
}

static void s_resp_free(s_resp *r)
{
    free(r->body);
    free(r->log_result);
    memset(r, 0, sizeof *r);
}

/* Headers the next s_invoke_with adds (NULL-terminated), or NULL. */
static const char *const *s_extra_headers;

/* POST an invoke; type NULL means no X-Amz-Invocation-Type header. */
static void s_invoke_with(CURL *c, int port, const char *fn, const char *type, const char *payload, size_t len, int tail,
                          s_resp *r)
{
    memset(r, 0, sizeof *r);
    char url[512], th[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/2015-03-31/functions/%s/invocations", port, fn);
    struct curl_slist *h = NULL;
    if (type) {
        snprintf(th, sizeof th, "X-Amz-Invocation-Type: %s", type);
        h = curl_slist_append(h, th);
    }
    if (tail)
        h = curl_slist_append(h, "X-Amz-Log-Type: Tail");
    h = curl_slist_append(h, "Expect:");
    for (const char *const *e = s_extra_headers; e && *e; e++)
        h = curl_slist_append(h, *e);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    CURLcode cc = curl_easy_perform(c);
    ck_assert_msg(cc == CURLE_OK, "curl: %s", curl_easy_strerror(cc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    if (!r->body)
        r->body = strdup("");
}

static void s_invoke(int port, const char *fn, const char *type, const char *payload, int tail, s_resp *r)
{
    CURL *c = curl_easy_init();
    s_invoke_with(c, port, fn, type, payload, strlen(payload), tail, r);
    curl_easy_cleanup(c);
}

static wren_emulator_function s_fn(const char *name, const char *handler)
{
    wren_emulator_function f = {0};
    f.name = name;
    f.bootstrap_path = s_runtime;
    f.handler = handler;
    f.concurrency = 2;
    f.timeout_s = 10;
    f.memory_mb = 512;
    f.async_retries = 0;
    return f;
}

static char s_log_path[512];

static wren_emulator *s_start(wren_emulator_function *fns, size_t n, size_t queue_max)
{
    static int seq;
    snprintf(s_log_path, sizeof s_log_path, "%s/log-%d-%d.txt", s_logdir, (int)getpid(), ++seq);
    wren_emulator_config cfg = {0};
    cfg.functions = fns;
    cfg.n_functions = n;
    cfg.queue_max = queue_max;
    cfg.log_path = s_log_path;
    wren_emulator *em = NULL;
    int rc = wren_emulator_start(&cfg, &em);
    ck_assert_msg(rc == WREN_OK, "start: %s", wren_emulator_errmsg());
    ck_assert_int_gt(wren_emulator_port(em), 0);
    return em;
}

static char *s_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    wren_buf b;
    wren_buf_init(&b, 0);
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        wren_buf_append(&b, tmp, n);
    fclose(f);
    return b.data ? wren_buf_detach(&b, NULL) : strdup("");
}

static int s_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Waits up to limit_ms for the log to hold `needle` `times` times. */
static int s_wait_log(const char *needle, int times, int limit_ms)
{
    for (int waited = 0;; waited += 20) {
        char *log = s_read_file(s_log_path);
        int n = s_count(log, needle);
        free(log);
        if (n >= times || waited >= limit_ms)
            return n;
        usleep(20000);
    }
}

/* Our own child processes (live or zombie), from /proc. */
static int s_children(pid_t *out, int cap)
{
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[300], buf[512];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t k = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[k] = '\0';
        char *rp = strrchr(buf, ')');
        int ppid = 0;
        char st;
        if (rp && sscanf(rp + 2, "%c %d", &st, &ppid) == 2 && ppid == getpid()) {
            if (n < cap && out)
                out[n] = atoi(e->d_name);
            n++;
        }
    }
    if (d)
        closedir(d);
    return n;
}

static json_t *s_json(const s_resp *r)
{
    json_t *j = json_loadb(r->body, r->len, JSON_DECODE_ANY, NULL);
    ck_assert_msg(j != NULL, "not JSON: %s", r->body);
    return j;
}

static const char *s_str(json_t *j, const char *key)
{
    const char *v = json_string_value(json_object_get(j, key));
    return v ? v : "";
}

/* ---- tests --------------------------------------------------------------- */

START_TEST(test_sync_round_trip_and_environment)
{
    wren_emulator_function f = s_fn("fn", "my.handler");
    wren_emulator *em = s_start(&f, 1, 0);
    int port = wren_emulator_port(em);
    s_resp r;
    s_invoke(port, "fn", "RequestResponse", "{\"a\":[1,2,3],\"s\":\"\xc3\xa9\"}", 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"a\":[1,2,3],\"s\":\"\xc3\xa9\"}");
    ck_assert_str_eq(r.function_error, "");
    ck_assert_str_eq(r.version, "$LATEST");
    ck_assert_int_eq((int)strlen(r.request_id), 36);
    s_resp_free(&r);

    /* No invocation type: RequestResponse. A full ARN with a qualifier works. */
    s_invoke(port, "arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Afn%3A%24LATEST", NULL, "{\"op\":\"env\"}", 0, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *env = s_json(&r);
    ck_assert_str_eq(s_str(env, "_HANDLER"), "my.handler");
    ck_assert_str_eq(s_str(env, "AWS_LAMBDA_FUNCTION_NAME"), "fn");
    ck_assert_str_eq(s_str(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "512");
    ck_assert_str_eq(s_str(env, "AWS_LAMBDA_FUNCTION_VERSION"), "$LATEST");
    ck_assert_str_eq(s_str(env, "AWS_LAMBDA_LOG_GROUP_NAME"), "/aws/lambda/fn");
    ck_assert_str_eq(s_str(env, "TZ"), ":UTC");
    ck_assert_str_eq(s_str(env, "AWS_ACCESS_KEY_ID"), "AKIDEMULATORTEST");
    ck_assert_str_eq(s_str(env, "AWS_REGION"), "eu-west-3");
    ck_assert_str_eq(s_str(env, "AWS_DEFAULT_REGION"), "eu-west-3");
    ck_assert(strncmp(s_str(env, "AWS_LAMBDA_RUNTIME_API"), "127.0.0.1:", 10) == 0);
    ck_assert(strstr(s_str(env, "AWS_LAMBDA_LOG_STREAM_NAME"), "/[$LATEST]") != NULL);
    /* The task root defaults to the bootstrap's directory, and is the cwd. */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", s_runtime);
    *strrchr(dir, '/') = '\0';
    char *real = realpath(dir, NULL);
    ck_assert_str_eq(s_str(env, "LAMBDA_TASK_ROOT"), real);
    ck_assert_str_eq(s_str(env, "cwd"), real);
    free(real);
    json_decref(env);
    s_resp_free(&r);
    wren_emulator_stop(em);
}
END_TEST

START_TEST(test_runtime_api_headers_and_misuse)
{
    wren_emulator_function f = s_fn("fn", NULL);
    f.timeout_s = 7;
    wren_emulator *em = s_start(&f, 1, 0);
    int port = wren_emulator_port(em);
    /* next carries Lambda's headers; the caller's trace id and client context pass through. */
    static const char *const extra[] = {
        "X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "X-Amz-Client-Context: eyJjdXN0b20iOnsiayI6InYifX0=", /* {"custom":{"k":"v"}} */
        NULL};
    const char *payload = "{\"op\":\"headers\"}";
    int64_t before = wren_now_ms();
    s_resp r;
    s_extra_headers = extra;
    s_invoke(port, "fn", NULL, payload, 0, &r);
    s_extra_headers = NULL;
    ck_assert_int_eq(r.status, 200);
    json_t *j = s_json(&r);
    ck_assert_str_eq(s_str(j, "lambda-runtime-aws-request-id"), r.request_id);
    ck_assert_str_eq(s_str(j, "lambda-runtime-invoked-function-arn"), "arn:aws:lambda:eu-west-3:000000000000:function:fn");
    ck_assert_str_eq(s_str(j, "lambda-runtime-trace-id"),
                     "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
    ck_assert_str_eq(s_str(j, "lambda-runtime-client-context"), "{\"custom\":{\"k\":\"v\"}}");
    ck_assert_str_eq(s_str(j, "content-type"), "application/json");
    long long deadline = atoll(s_str(j, "lambda-runtime-deadline-ms"));
    ck_assert_int_ge(deadline, before + 7000);
    ck_assert_int_le(deadline, wren_now_ms() + 7000);
    json_decref(j);
    s_resp_free(&r);
    /* Without a trace id from the caller, one is made in X-Ray's shape. */
    s_invoke(port, "fn", NULL, payload, 0, &r);
    j = s_json(&r);
    const char *trace = s_str(j, "lambda-runtime-trace-id");
    ck_assert_msg(strlen(trace) == strlen("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0") &&
                      !strncmp(trace, "Root=1-", 7) && strstr(trace, ";Sampled=0"),
                  "trace id %s", trace);
    ck_assert_ptr_null(json_object_get(j, "lambda-runtime-client-context"));
    json_decref(j);
    s_resp_free(&r);
    /* A long poll abandoned by the runtime does not swallow the next event. */
    s_invoke(port, "fn", NULL, "{\"op\":\"twice\"}", 0, &r);
    ck_assert_str_eq(r.body, "{\"op\":\"twice\"}");
    s_resp_free(&r);
    usleep(500000);
    s_invoke(port, "fn", NULL, "{\"after\":\"twice\"}", 0, &r);
    ck_assert_str_eq(r.body, "{\"after\":\"twice\"}");
    s_resp_free(&r);
    /* A response for another request id: 400; init/error after init: 403; unknown path: 404. */
    s_invoke(port, "fn", NULL, "{\"op\":\"probe\"}", 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"bad_id\":400,\"late_init_error\":403,\"unknown_path\":404}");
    s_resp_free(&r);
    wren_emulator_stop(em);
}
END_TEST

START_TEST(test_memory_size_limits_the_instance)
{
#if defined(__SANITIZE_ADDRESS__)
    return; /* sanitizer builds set no address-space limit (docs/emulator.md) */
#endif
    wren_emulator_function f = s_fn("fn", NULL);
    f.memory_mb = 128; /* address space: 2 x 128 MB + 4 GiB */
    wren_emulator *em = s_start(&f, 1, 0);
    int port = wren_emulator_port(em);
    s_resp r;
    s_invoke(port, "fn", NULL, "{\"op\":\"alloc\",\"mb\":256}", 0, &r);
    ck_assert_str_eq(r.body, "{\"allocated\":true}");
    s_resp_free(&r);
    s_invoke(port, "fn", NULL, "{\"op\":\"alloc\",\"mb\":4500}", 0, &r);
    ck_assert_str_eq(r.body, "{\"allocated\":false}");
    s_resp_free(&r);
    wren_emulator_stop(em);
    /* The same request with 1769 MB (7.5 GiB of address space) succeeds. */
    f.memory_mb = 1769;
    em = s_start(&f, 1, 0);
    s_invoke(wren_emulator_port(em), "fn", NULL, "{\"op\":\"alloc\",\"mb\":4500}", 0, &r);
    ck_assert_str_eq(r.body, "{\"allocated\":true}");
    s_resp_free(&r);
    wren_emulator_stop(em);
}
END_TEST

START_TEST(test_function_error_is_unhandled)
{
    wren_emulator_function f = s_fn("fn", NULL);
    wren_emulator *em = s_start(&f, 1, 0);
    s_resp r;
    s_invoke(wren_emulator_port(em), "fn", "RequestResponse", "{\"op\":\"fail\"}", 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.function_error, "Unhandled");
    ck_assert_str_eq(r.body, "{\"errorMessage\":\"failed on purpose\",\"errorType\":\"Test.Failed\",\"stackTrace\":[]}");
    s_resp_free(&r);
    wren_emulator_stop(em);
}
END_TEST

START_TEST(test_event_is_202_and_runs_later)
{
    wren_emulator_function f = s_fn("fn", NULL);
    wren_emulator *em = s_start(&f, 1, 0);
    s_resp r;
    s_invoke(wren_emulator_port(em), "fn", "Event", "{\"op\":\"echo\"}", 0, &r);
    ck_assert_int_eq(r.status, 202);
    ck_assert_str_eq(r.body, "");
    ck_assert_int_eq((int)strlen(r.request_id), 36);
    char needle[128];
    snprintf(needle, sizeof needle, "echo %s\n", r.request_id);
    ck_assert_int_eq(s_wait_log(needle, 1, 10000), 1);
    snprintf(needle, sizeof needle, "REPORT RequestId: %s\t", r.request_id);
    ck_assert_int_eq(s_wait_log(needle, 1, 10000), 1);
    s_resp_free(&r);
    wren_emulator_stop(em);
}
END_TEST

START_TEST(test_dry_run_404_400)
{
    wren_emulator_function f = s_fn("fn", NULL);
    wren_emulator *em = s_start(&f, 1, 0);
    int port = wren_emulator_port(em);
    s_resp r;
    s_invoke(port, "fn", "DryRun", "{}", 0, &r);
    ck_assert_int_eq(r.status, 204);
    s_resp_free(&r);
    /* DryRun starts nothing. */
    ck_assert_int_eq(s_children(NULL, 0), 0);

    s_invoke(port, "nope", "RequestResponse", "{}", 0, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(r.error_type, "ResourceNotFoundException");
    ck_assert_str_eq(r.body,
                     "{\"Type\":\"User\",\"message\":\"Function not found: arn:aws:lambda:eu-west-3:000000000000:function:nope\"}");
    s_resp_free(&r);

    s_invoke(port, "fn", "RequestResponse", "{not json", 0, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(r.error_type, "InvalidRequestContentException");
    s_resp_free(&r);

    s_invoke(port, "fn", "Sideways", "{}", 0, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(r.error_type, "InvalidParameterValueException");
    s_resp_free(&r);
    wren_emulator_stop(em);
}
END_TEST

/* A JSON string payload of exactly n bytes. */
static char *s_payload(size_t n)
{
    char *p = malloc(n + 1);
    p[0] = '"';
    memset(p + 1, 'y', n - 2);
    p[n - 1] = '"';
    p[n] = '\0';
    return p;
}

START_TEST(test_413_sync_and_async_limits)
{
    wren_emulator_function f = s_fn("fn", NULL);
    wren_emulator *em = s_start(&f, 1, 0);
    int port = wren_emulator_port(em);
    CURL *c = curl_easy_init();
    s_resp r;
    size_t six = 6u * 1024 * 1024, one = 1024u * 1024;
    char *p = s_payload(six + 1);
    s_invoke_with(c, port, "fn", "RequestResponse", p, six + 1, 0, &r);
    ck_assert_int_eq(r.status, 413);
    ck_assert_str_eq(r.error_type, "RequestEntityTooLargeException");
    s_resp_free(&r);
    free(p);
    p = s_payload(one + 1);
    s_invoke_with(c, port, "fn", "Event", p, one + 1, 0, &r);
    ck_assert_int_eq(r.status, 413);
    ck_assert_str_eq(r.error_type, "RequestEntityTooLargeException");
    s_resp_free(&r);
    /* The same 1 MB + 1 payload is fine synchronously, and comes back whole. */
    s_invoke_with(c, port, "fn", "RequestResponse", p, one + 1, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.len, one + 1);
    ck_assert_mem_eq(r.body, p, one + 1);
    s_resp_free(&r);
    free(p);
    p = s_payload(one);
    s_invoke_with(c, port, "fn", "Event", p, one, 0, &r);
    ck_assert_int_eq(r.status, 202);
    s_resp_free(&r);
    free(p);
    /* A response over 6 MB from the function is its error, as on Lambda. */
    const char *big = "{\"op\":\"big\",\"bytes\":6291500}";
    s_invoke_with(c, port, "fn", "RequestResponse", big, strlen(big), 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.function_error, "Unhandled");
    json_t *j = s_json(&r);
    ck_assert_str_eq(s_str(j, "errorType"), "Function.ResponseSizeTooLarge");
    json_decref(j);
    s_resp_free(&r);
    curl_easy_cleanup(c);
    wren_emulator_stop(em);
}
END_TEST

START_TEST(test_429_when_event_queue_full)
{
    wren_emulator_function f = s_fn("fn", NULL);
    f.concurrency = 1;
    wren_emulator *em = s_start(&f, 1, 2);
    int port = wren_emulator_port(em);
    long st[4];
    s_resp r;
    /* The events sleep far longer than the four invokes can take on a loaded
     * machine (with 1.5 s, a sanitizer build under load once saw the first
     * event end and its instance take the next before the fourth invoke);
     * stopping the emulator kills the instance, so the test stays short. */
    for (int i = 0; i < 4; i++) {
        s_invoke(port, "fn", "Event", "{\"op\":\"sleep\",\"ms\":60000}", 0, &r);
        st[i] = r.status;
        if (r.status == 429)
            ck_assert_str_eq(r.error_type, "TooManyRequestsException");
        s_resp_free(&r);
    }
    /* One instance sleeping 60 s takes at most one event off a queue of 2. */
    ck_assert_int_eq(st[0], 202);
    ck_assert_int_eq(st[1], 202);
    ck_assert_int_eq(st[3], 429);
    wren_emulator_stop(em);
}
END_TEST

static char *s_decode_tail(const s_resp *r)
{
    ck_assert_ptr_nonnull(r->log_result);
    unsigned char *d = NULL;
    size_t n = 0;
    ck_assert_int_eq(wren_base64_decode(r->log_result, strlen(r->log_result), &d, &n), WREN_OK);
    ck_assert_uint_le(n, 4096);
    return (char *)d;
}

START_TEST(test_tail_log)
{
    wren_emulator_function f = s_fn("fn", NULL);
    /* One instance, so the second invoke is warm: with two, it may find the
     * first instance not yet back at `next` and cold-start the other. */
    f.concurrency = 1;
    wren_emulator *em = s_start(&f, 1, 0);
    int port = wren_emulator_port(em);
    s_resp r;
    s_invoke(port, "fn", "RequestResponse", "{\"op\":\"print\",\"lines\":3}", 1, &r);
    ck_assert_int_eq(r.status, 200);
    char *log = s_decode_tail(&r), want[512];
    snprintf(want, sizeof want, "START RequestId: %s Version: $LATEST\nline 1 of 3\nline 2 of 3\nline 3 of 3\nEND RequestId: %s\nREPORT RequestId: %s\tDuration: ",
             r.request_id, r.request_id, r.request_id);
    ck_assert_msg(!strncmp(log, want, strlen(want)), "tail: %s", log);
    ck_assert_ptr_nonnull(strstr(log, "\tMemory Size: 512 MB\tMax Memory Used: "));
    ck_assert_ptr_nonnull(strstr(log, "\tInit Duration: ")); /* cold */
    free(log);
    s_resp_free(&r);
    /* Warm: no Init Duration. Long output: the last 4 KB, ending in REPORT. */
    s_invoke(port, "fn", "RequestResponse", "{\"op\":\"print\",\"lines\":2000}", 1, &r);
    log = s_decode_tail(&r);
    ck_assert_uint_eq(strlen(log), 4096);
    ck_assert_ptr_null(strstr(log, "Init Duration"));
    ck_assert_ptr_nonnull(strstr(log, "line 2000 of 2000\nEND RequestId: "));
    ck_assert_str_eq(log + strlen(log) - 2, "\t\n");
    free(log);
    s_resp_free(&r);
    /* Without Tail, no header. */
    s_invoke(port, "fn", "RequestResponse", "{}", 0, &r);
    ck_assert_ptr_null(r.log_result);
    s_resp_free(&r);
    wren_emulator_stop(em);
}
END_TEST

typedef struct {
    int port;
    int index;
    int ok;
} s_par;

static void *s_par_run(void *arg)
{
    s_par *p = arg;
    char payload[64];
    snprintf(payload, sizeof payload, "{\"op\":\"sleep\",\"ms\":20,\"i\":%d}", p->index);
    CURL *c = curl_easy_init();
    s_resp r;
    memset(&r, 0, sizeof r);
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/2015-03-31/functions/fn/invocations", p->port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
        p->ok = r.status == 200 && r.body && !strcmp(r.body, payload);
    }
    free(r.body);
    curl_easy_cleanup(c);
    return NULL;
}

START_TEST(test_parallel_64_against_2_all_succeed)
{
    wren_emulator_function f = s_fn("fn", NULL);
    f.concurrency = 2;
    wren_emulator *em = s_start(&f, 1, 0);
    enum { N = 64 };
    pthread_t th[N];
    s_par ps[N];
    for (int i = 0; i < N; i++) {
        ps[i] = (s_par){wren_emulator_port(em), i, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, s_par_run, &ps[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ok += ps[i].ok;
    }
    ck_assert_int_eq(ok, N);
    /* Never more than `concurrency` instances. */
    ck_assert_int_eq(s_children(NULL, 0), 2);
    char *log = s_read_file(s_log_path);
    ck_assert_int_eq(s_count(log, "START RequestId: "), N);
    ck_assert_int_eq(s_count(log, "\tInit Duration: "), 2);
    free(log);
    wren_emulator_stop(em);
}
END_TEST

/* A thousand callers waiting at once (suspended connections, not threads),
 * served by 4 instances, all answered. */
START_TEST(test_thousand_waiting_callers)
{
    wren_emulator_function f = s_fn("fn", NULL);
    f.concurrency = 4;
    wren_emulator *em = s_start(&f, 1, 0);
    enum { N = 1000 };
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/2015-03-31/functions/fn/invocations", wren_emulator_port(em));
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)N);
    CURL **h = calloc(N, sizeof *h);
    s_resp *rs = calloc(N, sizeof *rs);
    char (*payloads)[48] = calloc(N, sizeof *payloads);
    for (int i = 0; i < N; i++) {
        snprintf(payloads[i], sizeof payloads[i], "{\"op\":\"echo\",\"i\":%d}", i);
        h[i] = curl_easy_init();
        curl_easy_setopt(h[i], CURLOPT_URL, url);
        curl_easy_setopt(h[i], CURLOPT_POSTFIELDS, payloads[i]);
        curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, s_write);
        curl_easy_setopt(h[i], CURLOPT_WRITEDATA, &rs[i]);
        curl_easy_setopt(h[i], CURLOPT_TIMEOUT, 90L);
        curl_easy_setopt(h[i], CURLOPT_NOSIGNAL, 1L);
        curl_multi_add_handle(m, h[i]);
    }
    int running = 1;
    while (running) {
        curl_multi_perform(m, &running);
        if (running)
            curl_multi_poll(m, NULL, 0, 200, NULL);
    }
    int ok = 0;
    for (int i = 0; i < N; i++) {
        long code = 0;
        curl_easy_getinfo(h[i], CURLINFO_RESPONSE_CODE, &code);
        ok += code == 200 && rs[i].body && !strcmp(rs[i].body, payloads[i]);
        curl_multi_remove_handle(m, h[i]);
        curl_easy_cleanup(h[i]);
        free(rs[i].body);
    }
    curl_multi_cleanup(m);
    free(h);
    free(rs);
    free(payloads);
    ck_assert_int_eq(ok, N);
    ck_assert_int_le(s_children(NULL, 0), 4);
    wren_emulator_stop(em);
}
END_TEST

START_TEST(test_timeout_then_recovers)
{
    wren_emulator_function f = s_fn("fn", NULL);
    f.concurrency = 1;
    f.timeout_s = 1.0;
    wren_emulator *em = s_start(&f, 1, 0);
    int port = wren_emulator_port(em);
    s_resp r;
    uint64_t t0 = wren_mono_ns();
    s_invoke(port, "fn", "RequestResponse", "{\"op\":\"sleep\",\"ms\":30000}", 1, &r);
    double took = (double)(wren_mono_ns() - t0) / 1e9;
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.function_error, "Unhandled");
    json_t *j = s_json(&r);
    ck_assert_str_eq(s_str(j, "errorType"), "Sandbox.Timedout");
    char want[200];
    snprintf(want, sizeof want, "RequestId: %s Error: Task timed out after 1.00 seconds", r.request_id);
    ck_assert_str_eq(s_str(j, "errorMessage"), want);
    json_decref(j);
    ck_assert_msg(took >= 0.99 && took < 3.0, "took %.2f s", took);
    char *log = s_decode_tail(&r);
    snprintf(want, sizeof want, " %s Task timed out after 1.00 seconds\n", r.request_id);
    ck_assert_ptr_nonnull(strstr(log, want));
    free(log);
    s_resp_free(&r);
    s_invoke(port, "fn", "RequestResponse", "{\"after\":\"timeout\"}", 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"after\":\"timeout\"}");
    s_resp_free(&r);
    wren_emulator_stop(em);
}
END_TEST

START_TEST(test_crash_is_exit_error_then_recovers)
{
    wren_emulator_function f = s_fn("fn", NULL);
    f.concurrency = 1;
    wren_emulator *em = s_start(&f, 1, 0);
    int port = wren_emulator_port(em);
    const char *ops[] = {"{\"op\":\"crash\"}", "{\"op\":\"abort\"}", "{\"op\":\"exit\",\"code\":7}"};
    const char *why[] = {"signal: segmentation fault", "signal: aborted", "exit status 7"};
    for (int i = 0; i < 3; i++) {
        s_resp r;
        s_invoke(port, "fn", "RequestResponse", ops[i], 0, &r);
        ck_assert_int_eq(r.status, 200);
        ck_assert_str_eq(r.function_error, "Unhandled");
        json_t *j = s_json(&r);
        ck_assert_str_eq(s_str(j, "errorType"), "Runtime.ExitError");
        char want[200];
        snprintf(want, sizeof want, "RequestId: %s Error: Runtime exited with error: %s", r.request_id, why[i]);
        ck_assert_str_eq(s_str(j, "errorMessage"), want);
        json_decref(j);
        s_resp_free(&r);
        s_invoke(port, "fn", "RequestResponse", "{\"still\":\"alive\"}", 0, &r);
        ck_assert_int_eq(r.status, 200);
        ck_assert_str_eq(r.body, "{\"still\":\"alive\"}");
        s_resp_free(&r);
    }
    wren_emulator_stop(em);
}
END_TEST

START_TEST(test_init_errors_reach_the_caller)
{
    wren_emulator_function fs[4] = {s_fn("posts", "init_error"), s_fn("exits", "init_exit"), s_fn("missing", NULL),
                                     s_fn("hangs", "init_hang")};
    fs[2].bootstrap_path = "/nonexistent/bootstrap";
    fs[3].timeout_s = 1.0;
    wren_emulator *em = s_start(fs, 4, 0);
    int port = wren_emulator_port(em);
    s_resp r;
    for (int round = 0; round < 2; round++) { /* each call retries the cold start */
        s_invoke(port, "posts", "RequestResponse", "{}", 0, &r);
        ck_assert_int_eq(r.status, 200);
        ck_assert_str_eq(r.function_error, "Unhandled");
        ck_assert_str_eq(r.body, "{\"errorMessage\":\"init failed on purpose\",\"errorType\":\"Test.InitFailed\"}");
        s_resp_free(&r);
    }
    s_invoke(port, "exits", "RequestResponse", "{}", 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.function_error, "Unhandled");
    json_t *j = s_json(&r);
    ck_assert_str_eq(s_str(j, "errorType"), "Runtime.ExitError");
    char want[200];
    snprintf(want, sizeof want, "RequestId: %s Error: Runtime exited with error: exit status 3", r.request_id);
    ck_assert_str_eq(s_str(j, "errorMessage"), want);
    json_decref(j);
    s_resp_free(&r);
    uint64_t t0 = wren_mono_ns();
    s_invoke(port, "hangs", "RequestResponse", "{}", 0, &r);
    double took = (double)(wren_mono_ns() - t0) / 1e9;
    ck_assert_msg(took >= 0.99 && took < 3.0, "took %.2f s", took);
    ck_assert_str_eq(r.function_error, "Unhandled");
    j = s_json(&r);
    ck_assert_str_eq(s_str(j, "errorType"), "Sandbox.Timedout");
    snprintf(want, sizeof want, "RequestId: %s Error: Task timed out after 1.00 seconds", r.request_id);
    ck_assert_str_eq(s_str(j, "errorMessage"), want);
    json_decref(j);
    s_resp_free(&r);
    s_invoke(port, "missing", "RequestResponse", "{}", 0, &r);
    ck_assert_int_eq(r.status, 200);
    j = s_json(&r);
    ck_assert_str_eq(s_str(j, "errorType"), "Runtime.InvalidEntrypoint");
    ck_assert_ptr_nonnull(strstr(s_str(j, "errorMessage"), "/nonexistent/bootstrap"));
    json_decref(j);
    s_resp_free(&r);
    wren_emulator_stop(em);
}
END_TEST

START_TEST(test_async_retries_honoured)
{
    wren_emulator_function fs[2] = {s_fn("twice", NULL), s_fn("never", NULL)};
    fs[0].async_retries = 2;
    fs[1].async_retries = 0;
    wren_emulator *em = s_start(fs, 2, 0);
    int port = wren_emulator_port(em);
    s_resp a, b;
    s_invoke(port, "twice", "Event", "{\"op\":\"fail\"}", 0, &a);
    s_invoke(port, "never", "Event", "{\"op\":\"fail\"}", 0, &b);
    ck_assert_int_eq(a.status, 202);
    ck_assert_int_eq(b.status, 202);
    char na[128], nb[128];
    snprintf(na, sizeof na, "failing %s\n", a.request_id);
    snprintf(nb, sizeof nb, "failing %s\n", b.request_id);
    ck_assert_int_eq(s_wait_log(na, 3, 10000), 3);
    ck_assert_int_eq(s_wait_log(nb, 1, 10000), 1);
    usleep(500000);
    ck_assert_int_eq(s_wait_log(na, 99, 0), 3);
    ck_assert_int_eq(s_wait_log(nb, 99, 0), 1);
    s_resp_free(&a);
    s_resp_free(&b);
    wren_emulator_stop(em);
}
END_TEST

START_TEST(test_idle_instances_are_reaped)
{
    wren_emulator_function f = s_fn("fn", NULL);
    wren_emulator_config cfg = {0};
    cfg.functions = &f;
    cfg.n_functions = 1;
    cfg.idle_reap_s = 1;
    cfg.quiet = 1;
    cfg.log_path = "/dev/null";
    wren_emulator *em = NULL;
    ck_assert_int_eq(wren_emulator_start(&cfg, &em), WREN_OK);
    s_resp r;
    s_invoke(wren_emulator_port(em), "fn", NULL, "{}", 1, &r);
    ck_assert_int_eq(r.status, 200);
    s_resp_free(&r);
    ck_assert_int_eq(s_children(NULL, 0), 1);
    usleep(2200000);
    ck_assert_int_eq(s_children(NULL, 0), 0);
    s_invoke(wren_emulator_port(em), "fn", NULL, "{}", 1, &r);
    ck_assert_int_eq(r.status, 200);
    char *log = s_decode_tail(&r);
    ck_assert_ptr_nonnull(strstr(log, "Init Duration")); /* cold again */
    free(log);
    s_resp_free(&r);
    wren_emulator_stop(em);
}
END_TEST

START_TEST(test_two_emulators_in_one_process)
{
    wren_emulator_function f = s_fn("fn", NULL);
    wren_emulator *a = s_start(&f, 1, 0);
    wren_emulator *b = s_start(&f, 1, 0);
    ck_assert_int_ne(wren_emulator_port(a), wren_emulator_port(b));
    s_resp r;
    s_invoke(wren_emulator_port(a), "fn", NULL, "{\"to\":\"a\"}", 0, &r);
    ck_assert_str_eq(r.body, "{\"to\":\"a\"}");
    s_resp_free(&r);
    s_invoke(wren_emulator_port(b), "fn", NULL, "{\"to\":\"b\"}", 0, &r);
    ck_assert_str_eq(r.body, "{\"to\":\"b\"}");
    s_resp_free(&r);
    wren_emulator_stop(a);
    s_invoke(wren_emulator_port(b), "fn", NULL, "{\"to\":\"b2\"}", 0, &r);
    ck_assert_str_eq(r.body, "{\"to\":\"b2\"}");
    s_resp_free(&r);
    wren_emulator_stop(b);
}
END_TEST

START_TEST(test_user_environment)
{
    wren_emulator_function f = s_fn("fn", NULL);
    static const char *const env[] = {"MY_VAR=hello world=1", "PATH=/opt/custom/bin:/usr/bin:/bin", "TZ=:Europe/Paris",
                                      "EMPTY_ONE="};
    wren_emulator_config cfg = {0};
    cfg.functions = &f;
    cfg.n_functions = 1;
    cfg.log_path = "/dev/null";
    cfg.env = env;
    cfg.n_env = 4;
    wren_emulator *em = NULL;
    ck_assert_msg(wren_emulator_start(&cfg, &em) == WREN_OK, "start: %s", wren_emulator_errmsg());
    s_resp r;
    s_invoke(wren_emulator_port(em), "fn", NULL, "{\"op\":\"env\",\"names\":[\"MY_VAR\",\"EMPTY_ONE\",\"NOT_SET\"]}", 0,
             &r);
    ck_assert_int_eq(r.status, 200);
    json_t *got = s_json(&r);
    ck_assert_str_eq(s_str(got, "MY_VAR"), "hello world=1");
    ck_assert_ptr_nonnull(json_object_get(got, "EMPTY_ONE"));
    ck_assert_str_eq(s_str(got, "EMPTY_ONE"), "");
    ck_assert_ptr_null(json_object_get(got, "NOT_SET"));
    /* Variables the emulator sets itself take the user's value... */
    ck_assert_str_eq(s_str(got, "PATH"), "/opt/custom/bin:/usr/bin:/bin");
    ck_assert_str_eq(s_str(got, "TZ"), ":Europe/Paris");
    /* ...and the others are Lambda's as before. */
    ck_assert_str_eq(s_str(got, "AWS_LAMBDA_FUNCTION_NAME"), "fn");
    ck_assert_str_eq(s_str(got, "_HANDLER"), "wren");
    json_decref(got);
    s_resp_free(&r);
    wren_emulator_stop(em);

    /* Refused as Lambda refuses them, before anything starts. */
    static const struct {
        const char *kv;
        int rc;
        const char *msg;
    } bad[] = {
        {"AWS_REGION=us-west-2", WREN_EINVAL, "environment variable AWS_REGION is reserved by Lambda and cannot be set"},
        {"AWS_LAMBDA_RUNTIME_API=1.2.3.4:5", WREN_EINVAL,
         "environment variable AWS_LAMBDA_RUNTIME_API is reserved by Lambda and cannot be set"},
        {"_HANDLER=x", WREN_EINVAL, "environment variable '_HANDLER=x' is not NAME=VALUE with NAME a letter then "
                                    "letters, digits or '_' (Lambda's rule)"},
        {"1ABC=x", WREN_EINVAL, "environment variable '1ABC=x' is not NAME=VALUE with NAME a letter then letters, "
                                "digits or '_' (Lambda's rule)"},
        {"A=x", WREN_EINVAL, "environment variable 'A=x' is not NAME=VALUE with NAME a letter then letters, digits "
                             "or '_' (Lambda's rule)"},
        {"MY-VAR=x", WREN_EINVAL, "environment variable 'MY-VAR=x' is not NAME=VALUE with NAME a letter then "
                                  "letters, digits or '_' (Lambda's rule)"},
        {"NOVALUE", WREN_EINVAL, "environment variable 'NOVALUE' is not NAME=VALUE with NAME a letter then letters, "
                                 "digits or '_' (Lambda's rule)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *one[] = {bad[i].kv};
        cfg.env = one;
        cfg.n_env = 1;
        em = (wren_emulator *)&cfg;
        ck_assert_int_eq(wren_emulator_start(&cfg, &em), bad[i].rc);
        ck_assert_ptr_null(em);
        ck_assert_str_eq(wren_emulator_errmsg(), bad[i].msg);
    }
    const char *twice[] = {"MY_VAR=a", "MY_VAR=b"};
    cfg.env = twice;
    cfg.n_env = 2;
    ck_assert_int_eq(wren_emulator_start(&cfg, &em), WREN_EEXIST);
    ck_assert_str_eq(wren_emulator_errmsg(), "environment variable MY_VAR given twice");
    /* 4 KB of names and values in total: 4,096 passes, 4,097 does not. */
    static char big[4200];
    memcpy(big, "BIG=", 4);
    memset(big + 4, 'x', 4093); /* "BIG" + 4,093 = 4,096 */
    big[4097] = '\0';
    const char *at_limit[] = {big};
    cfg.env = at_limit;
    cfg.n_env = 1;
    ck_assert_msg(wren_emulator_start(&cfg, &em) == WREN_OK, "start: %s", wren_emulator_errmsg());
    wren_emulator_stop(em);
    big[4097] = 'x';
    big[4098] = '\0';
    ck_assert_int_eq(wren_emulator_start(&cfg, &em), WREN_EINVAL);
    ck_assert_str_eq(wren_emulator_errmsg(), "environment variables exceed Lambda's 4 KB in total");
}
END_TEST

START_TEST(test_start_refuses_bad_config)
{
    wren_emulator_function fs[2] = {s_fn("fn", NULL), s_fn("fn", NULL)};
    wren_emulator *em = (wren_emulator *)&fs;
    wren_emulator_config cfg = {0};
    cfg.functions = fs;
    cfg.n_functions = 2;
    ck_assert_int_eq(wren_emulator_start(&cfg, &em), WREN_EEXIST);
    ck_assert_ptr_null(em);
    ck_assert_str_eq(wren_emulator_errmsg(), "function fn given twice");
    fs[1].name = "bad/name";
    ck_assert_int_eq(wren_emulator_start(&cfg, &em), WREN_EINVAL);
    cfg.n_functions = 1;
    cfg.host = "not-an-ip";
    ck_assert_int_eq(wren_emulator_start(&cfg, &em), WREN_EINVAL);
    ck_assert_str_eq(wren_emulator_errmsg(), "cannot listen on 'not-an-ip': not an IPv4 address");
    wren_emulator_stop(NULL);
}
END_TEST

static int s_count_dir(const char *path)
{
    int n = 0;
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

START_TEST(test_stop_leaves_no_process)
{
    int fds_before = s_count_dir("/proc/self/fd"), threads_before = s_count_dir("/proc/self/task");
    wren_emulator_function f = s_fn("fn", NULL);
    f.concurrency = 3;
    wren_emulator *em = s_start(&f, 1, 0);
    int port = wren_emulator_port(em);
    s_resp r;
    /* A grandchild (the runtime's own child) must go too. */
    s_invoke(port, "fn", NULL, "{\"op\":\"fork\"}", 0, &r);
    json_t *j = s_json(&r);
    pid_t grandchild = (pid_t)json_integer_value(json_object_get(j, "child"));
    json_decref(j);
    s_resp_free(&r);
    ck_assert_int_gt(grandchild, 0);
    ck_assert_int_eq(kill(grandchild, 0), 0);
    /* One instance busy in a long sleep while we stop: its caller is released. */
    s_invoke(port, "fn", "Event", "{\"op\":\"sleep\",\"ms\":60000}", 0, &r);
    s_resp_free(&r);
    ck_assert_int_eq(s_wait_log("START RequestId: ", 2, 5000), 2);
    pid_t kids[16];
    int n = s_children(kids, 16);
    ck_assert_int_ge(n, 1);
    ck_assert_int_gt(s_count_dir("/proc/self/task"), threads_before);
    wren_emulator_stop(em);
    ck_assert_int_eq(s_children(NULL, 0), 0);
    /* No descriptor or thread left behind either. */
    ck_assert_int_eq(s_count_dir("/proc/self/fd"), fds_before);
    ck_assert_int_eq(s_count_dir("/proc/self/task"), threads_before);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(kill(kids[i], 0) == -1 && errno == ESRCH, 1);
    /* The grandchild was killed: gone, or a zombie waiting for init. */
    for (int waited = 0; waited < 2000; waited += 20) {
        char path[64], st = '?';
        snprintf(path, sizeof path, "/proc/%d/stat", (int)grandchild);
        FILE *fp = fopen(path, "r");
        if (!fp)
            break;
        char buf[512];
        size_t k = fread(buf, 1, sizeof buf - 1, fp);
        fclose(fp);
        buf[k] = '\0';
        char *rp = strrchr(buf, ')');
        if (rp)
            st = rp[2];
        if (st == 'Z' || st == 'X')
            break;
        ck_assert_msg(waited + 20 < 2000, "grandchild %d still running (%c)", (int)grandchild, st);
        usleep(20000);
    }
}
END_TEST

START_TEST(test_start_stop_cycles_leak_nothing)
{
    int fds_before = s_count_dir("/proc/self/fd"), threads_before = s_count_dir("/proc/self/task");
    for (int cycle = 0; cycle < 10; cycle++) {
        wren_emulator_function f = s_fn("fn", NULL);
        wren_emulator *em = s_start(&f, 1, 0);
        s_resp r;
        s_invoke(wren_emulator_port(em), "fn", NULL, cycle % 2 ? "{\"op\":\"crash\"}" : "{}", 0, &r);
        ck_assert_int_eq(r.status, 200);
        s_resp_free(&r);
        wren_emulator_stop(em);
    }
    ck_assert_int_eq(s_children(NULL, 0), 0);
    ck_assert_int_eq(s_count_dir("/proc/self/fd"), fds_before);
    ck_assert_int_eq(s_count_dir("/proc/self/task"), threads_before);
}
END_TEST

static Suite *emulator_suite(void)
{
    Suite *s = suite_create("emulator");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sync_round_trip_and_environment);
    tcase_add_test(tc, test_user_environment);
    tcase_add_test(tc, test_runtime_api_headers_and_misuse);
    tcase_add_test(tc, test_memory_size_limits_the_instance);
    tcase_add_test(tc, test_function_error_is_unhandled);
    tcase_add_test(tc, test_event_is_202_and_runs_later);
    tcase_add_test(tc, test_dry_run_404_400);
    tcase_add_test(tc, test_413_sync_and_async_limits);
    tcase_add_test(tc, test_429_when_event_queue_full);
    tcase_add_test(tc, test_tail_log);
    tcase_add_test(tc, test_parallel_64_against_2_all_succeed);
    tcase_add_test(tc, test_thousand_waiting_callers);
    tcase_add_test(tc, test_timeout_then_recovers);
    tcase_add_test(tc, test_crash_is_exit_error_then_recovers);
    tcase_add_test(tc, test_init_errors_reach_the_caller);
    tcase_add_test(tc, test_async_retries_honoured);
    tcase_add_test(tc, test_idle_instances_are_reaped);
    tcase_add_test(tc, test_two_emulators_in_one_process);
    tcase_add_test(tc, test_start_refuses_bad_config);
    tcase_add_test(tc, test_stop_leaves_no_process);
    tcase_add_test(tc, test_start_stop_cycles_leak_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *bin = getenv("WREN_BIN_DIR");
    snprintf(s_runtime, sizeof s_runtime, "%s/emulator_test_runtime", bin ? bin : "build/bin");
    snprintf(s_logdir, sizeof s_logdir, "/tmp/wren-check-emulator.XXXXXX");
    if (!mkdtemp(s_logdir)) {
        perror("mkdtemp");
        return 1;
    }
    setenv("AWS_REGION", "eu-west-3", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDEMULATORTEST", 1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    SRunner *sr = srunner_create(emulator_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_logdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s_logdir);
    return failed ? 1 : 0;
}
