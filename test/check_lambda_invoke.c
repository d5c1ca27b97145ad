/* check_lambda_invoke: the invoker signing Lambda Event invocations with
 * SigV4 (through the AWS backend's signer and config) against a loopback
 * test double (test/lambda_double.py) that checks every signature with
 * botocore, throttles with retryAfterSeconds / Retry-After and fails with 500.
 * Skipped (77) when python3 has no botocore. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "aws_backend.h"
#include "invoke.h"
#include "wren_common.h"

#define AKID "AKIDWRENTEST0001"
#define SECRET "wrenTestSecret/abc0123456789xyzXYZ0123"
#define TOKEN "FwoGZXIvYXdzEJr//////////token-for-tests"

static pid_t s_pid = -1;
static int s_port;
static char s_log[256];

static void s_double_start(const char *secret_for_double)
{
    snprintf(s_log, sizeof s_log, "/tmp/wren-lambda-double-%d.log", (int)getpid());
    unlink(s_log);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    s_pid = fork();
    ck_assert_int_ge(s_pid, 0);
    if (s_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        const char *src = getenv("WREN_SOURCE_DIR") ? getenv("WREN_SOURCE_DIR") : WREN_TEST_SOURCE_DIR;
        char script[4096];
        snprintf(script, sizeof script, "%s/test/lambda_double.py", src);
        const char *py = getenv("WREN_PYTHON") ? getenv("WREN_PYTHON") : "python3";
        execlp(py, py, script, AKID, secret_for_double, "us-west-2", s_log, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_msg(fscanf(f, "%d", &s_port) == 1, "the test double did not start");
    fclose(f);
}

static void s_double_stop(void)
{
    if (s_pid > 0) {
        kill(s_pid, SIGTERM);
        waitpid(s_pid, NULL, 0);
        s_pid = -1;
    }
    unlink(s_log);
}

/* The double's log: one JSON object per request. */
static json_t *s_read_log(void)
{
    json_t *all = json_array();
    FILE *f = fopen(s_log, "r");
    ck_assert_ptr_nonnull(f);
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        json_t *j = json_loads(line, 0, NULL);
        ck_assert_ptr_nonnull(j);
        json_array_append_new(all, j);
    }
    fclose(f);
    return all;
}

typedef struct s_outcome {
    int status[64];
    long code[64];
    char detail[64][320];
    int n_done;
} s_outcome;

static void s_done(void *user, void *req_user, int status, long code, const char *detail)
{
    s_outcome *o = user;
    size_t i = (size_t)(uintptr_t)req_user;
    o->status[i] = status;
    o->code[i] = code;
    snprintf(o->detail[i], sizeof o->detail[i], "%s", detail);
    o->n_done++;
}

/* Runs n invocations with bodies {"id": i, "mode": modes[i]} through an
 * invoker signed by the AWS backend; returns elapsed ms. */
static double s_run(const char *const *modes, int n, int max_retries, double rate, double burst, s_outcome *o)
{
    setenv("AWS_ACCESS_KEY_ID", AKID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    setenv("AWS_SESSION_TOKEN", TOKEN, 1);
    setenv("AWS_REGION", "us-west-2", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s_port);
    wren_config cfg;
    wren_config_init(&cfg);
    cfg.store_url = "s3://bucket/prefix";
    cfg.invoke_url = url;
    cfg.function_name = "wren-fn";
    wren_config resolved;
    wren__aws *aws = NULL;
    char err[256] = "";
    ck_assert_int_eq(wren__aws_new(&cfg, &resolved, &aws, err, sizeof err), WREN_OK);
    ck_assert_str_eq(resolved.invoke_url, url);
    ck_assert_str_eq(resolved.function_name, "wren-fn");
    wren__invoker_config ic = {
        .base_url = url, .function_name = "wren-fn", .max_retries = max_retries, .rate_per_s = rate, .burst = burst};
    wren__invoker *inv = NULL;
    ck_assert_int_eq(wren__invoker_new(&ic, &inv), WREN_OK);
    wren__invoker_set_signer(inv, wren__aws_sign, aws);
    memset(o, 0, sizeof *o);
    uint64_t t0 = wren_mono_ns();
    for (int i = 0; i < n; i++) {
        char *body = NULL;
        ck_assert_int_gt(asprintf(&body, "{\"id\": %d, \"mode\": \"%s\"}", i, modes[i]), 0);
        ck_assert_int_eq(wren__invoker_submit(inv, body, strlen(body), (void *)(uintptr_t)i), WREN_OK);
    }
    while (wren__invoker_pending(inv) && wren_mono_ns() - t0 < 30000000000ull)
        ck_assert_int_eq(wren__invoker_pump(inv, 50, s_done, o), WREN_OK);
    double ms = (double)(wren_mono_ns() - t0) / 1e6;
    ck_assert_int_eq(o->n_done, n);
    wren__invoker_destroy(inv);
    wren__aws_destroy(aws);
    return ms;
}

/* Attempts logged for one id, in order: their times and codes. */
static int s_attempts(json_t *log, int id, double *t_ms, long *codes, int cap)
{
    int k = 0;
    size_t i;
    json_t *e;
    json_array_foreach(log, i, e)
    {
        if (json_integer_value(json_object_get(e, "id")) != id)
            continue;
        if (k < cap) {
            t_ms[k] = json_number_value(json_object_get(e, "t_ms"));
            codes[k] = (long)json_integer_value(json_object_get(e, "code"));
        }
        k++;
    }
    return k;
}

START_TEST(signed_event_invocations)
{
    s_double_start(SECRET);
    const char *modes[40];
    for (int i = 0; i < 40; i++)
        modes[i] = "ok";
    s_outcome o;
    s_run(modes, 40, 0, 0, 0, &o);
    for (int i = 0; i < 40; i++) {
        ck_assert_int_eq(o.status[i], WREN_OK);
        ck_assert_int_eq(o.code[i], 202);
    }
    json_t *log = s_read_log();
    ck_assert_int_eq(json_array_size(log), 40);
    size_t i;
    json_t *e;
    json_array_foreach(log, i, e)
    {
        ck_assert(json_is_true(json_object_get(e, "sig_ok")));
        ck_assert_int_eq(json_integer_value(json_object_get(e, "attempt")), 1);
        ck_assert_str_eq(json_string_value(json_object_get(e, "token")), TOKEN);
        ck_assert_str_eq(json_string_value(json_object_get(e, "signed_headers")),
                         "content-type;host;x-amz-date;x-amz-invocation-type;x-amz-security-token");
    }
    json_decref(log);
    s_double_stop();
}
END_TEST

START_TEST(wrong_secret_is_an_auth_error)
{
    s_double_start("not-the-secret-the-client-has");
    const char *modes[] = {"ok"};
    s_outcome o;
    s_run(modes, 1, 3, 0, 0, &o);
    ck_assert_int_eq(o.status[0], WREN_EAUTH);
    ck_assert_int_eq(o.code[0], 403);
    ck_assert_msg(strstr(o.detail[0], "signature we calculated does not match"), "%s", o.detail[0]);
    json_t *log = s_read_log();
    ck_assert_int_eq(json_array_size(log), 1); /* never retried */
    json_decref(log);
    s_double_stop();
}
END_TEST

START_TEST(throttles_and_server_errors)
{
    s_double_start(SECRET);
    const char *modes[] = {"throttle", "retryafter", "err500x2", "err500", "ok"};
    s_outcome o;
    s_run(modes, 5, 3, 0, 0, &o);
    ck_assert_int_eq(o.status[0], WREN_OK);
    ck_assert_int_eq(o.status[1], WREN_OK);
    ck_assert_int_eq(o.status[2], WREN_OK);
    ck_assert_int_eq(o.status[3], WREN_EHTTP); /* 500 four times: the first and 3 retries */
    ck_assert_int_eq(o.code[3], 500);
    ck_assert_int_eq(o.status[4], WREN_OK);
    json_t *log = s_read_log();
    double t[8];
    long c[8];
    /* retryAfterSeconds "1" in a TooManyRequestsException: retried once, >= 1 s later */
    ck_assert_int_eq(s_attempts(log, 0, t, c, 8), 2);
    ck_assert_int_eq(c[0], 429);
    ck_assert_int_eq(c[1], 202);
    ck_assert_msg(t[1] - t[0] >= 995 && t[1] - t[0] < 2500, "retried after %.0f ms", t[1] - t[0]);
    /* Retry-After: 1 */
    ck_assert_int_eq(s_attempts(log, 1, t, c, 8), 2);
    ck_assert_int_eq(c[0], 429);
    ck_assert_msg(t[1] - t[0] >= 995 && t[1] - t[0] < 2500, "retried after %.0f ms", t[1] - t[0]);
    /* 500, 500, 202: exponential backoff with jitter, 10 ms.. then 20 ms.. caps */
    ck_assert_int_eq(s_attempts(log, 2, t, c, 8), 3);
    ck_assert_int_eq(c[0], 500);
    ck_assert_int_eq(c[1], 500);
    ck_assert_int_eq(c[2], 202);
    ck_assert_msg(t[1] - t[0] >= 10 && t[2] - t[1] >= 20, "gaps %.1f %.1f ms", t[1] - t[0], t[2] - t[1]);
    ck_assert_int_eq(s_attempts(log, 3, t, c, 8), 4);
    ck_assert_int_eq(s_attempts(log, 4, t, c, 8), 1);
    json_decref(log);
    s_double_stop();
}
END_TEST

START_TEST(token_bucket)
{
    s_double_start(SECRET);
    const char *modes[41];
    for (int i = 0; i < 41; i++)
        modes[i] = "ok";
    s_outcome o;
    /* 40 req/s, bursts of 1: the 41st starts no sooner than 1 s after the first. */
    double ms = s_run(modes, 41, 0, 40, 1, &o);
    for (int i = 0; i < 41; i++)
        ck_assert_int_eq(o.status[i], WREN_OK);
    ck_assert_msg(ms >= 990 && ms < 3000, "41 requests at 40/s took %.0f ms", ms);
    json_t *log = s_read_log();
    ck_assert_int_eq(json_array_size(log), 41);
    /* No 1/4 s window holds more than 10 + 1 starts. */
    double t[41];
    size_t i;
    json_t *e;
    json_array_foreach(log, i, e) t[i] = json_number_value(json_object_get(e, "t_ms"));
    for (size_t a = 0; a < 41; a++) {
        int inside = 0;
        for (size_t b = 0; b < 41; b++)
            inside += t[b] >= t[a] && t[b] < t[a] + 250;
        ck_assert_msg(inside <= 11, "%d requests within 250 ms", inside);
    }
    json_decref(log);
    s_double_stop();
}
END_TEST

START_TEST(config_errors)
{
    setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    setenv("AWS_ACCESS_KEY_ID", AKID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    setenv("AWS_REGION", "eu-west-1", 1);
    unsetenv("AWS_ENDPOINT_URL_LAMBDA");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("WREN_STORE");
    wren_config cfg, res;
    wren_config_init(&cfg);
    wren__aws *aws = NULL;
    char err[256] = "";
    ck_assert_int_eq(wren__aws_new(&cfg, &res, &aws, err, sizeof err), WREN_EINVAL);
    ck_assert_str_eq(err, "AWS backend: the store must be s3://bucket/prefix (--store or $WREN_STORE), not unset");
    cfg.store_url = "file:///tmp/x";
    ck_assert_int_eq(wren__aws_new(&cfg, &res, &aws, err, sizeof err), WREN_EINVAL);
    cfg.store_url = "s3://b/p";
    ck_assert_int_eq(wren__aws_new(&cfg, &res, &aws, err, sizeof err), WREN_OK);
    ck_assert_str_eq(res.invoke_url, "https://lambda.eu-west-1.amazonaws.com");
    ck_assert_str_eq(res.function_name, "wren");
    ck_assert_int_eq(res.backend, WREN_BACKEND_AWS);
    wren__aws_destroy(aws);
    setenv("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:1", 1);
    setenv("WREN_FUNCTION", "fn2", 1);
    ck_assert_int_eq(wren__aws_new(&cfg, &res, &aws, err, sizeof err), WREN_OK);
    ck_assert_str_eq(res.invoke_url, "http://127.0.0.1:1");
    ck_assert_str_eq(res.function_name, "fn2");
    wren__aws_destroy(aws);
    unsetenv("WREN_FUNCTION");
    unsetenv("AWS_ENDPOINT_URL_LAMBDA");
    unsetenv("AWS_REGION");
    ck_assert_int_eq(wren__aws_new(&cfg, &res, &aws, err, sizeof err), WREN_EINVAL);
    ck_assert_str_eq(err, "AWS backend: no region (set AWS_REGION or a profile's region)");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_ACCESS_KEY_ID");
    ck_assert_int_eq(wren__aws_new(&cfg, &res, &aws, err, sizeof err), WREN_EAUTH);
    ck_assert_ptr_null(strstr(err, SECRET));
    /* retryAfterSeconds as Lambda sends it (a string), as a number, and Retry-After */
    ck_assert_uint_eq(wren__retry_after_ms("{\"retryAfterSeconds\":\"2\"}", strlen("{\"retryAfterSeconds\":\"2\"}"), NULL), 2000);
    ck_assert_uint_eq(wren__retry_after_ms("{\"retryAfterSeconds\":0.5}", strlen("{\"retryAfterSeconds\":0.5}"), NULL), 500);
    ck_assert_uint_eq(wren__retry_after_ms("{\"message\":\"x\"}", strlen("{\"message\":\"x\"}"), "3"), 3000);
    ck_assert_uint_eq(wren__retry_after_ms("not json", strlen("not json"), NULL), 0);
    ck_assert_uint_eq(wren__retry_after_ms("{\"retryAfterSeconds\":\"9999\"}", strlen("{\"retryAfterSeconds\":\"9999\"}"), NULL), 300000);
}
END_TEST

int main(void)
{
    if (system("${WREN_PYTHON:-python3} -c 'import botocore' >/dev/null 2>&1") != 0) {
        fprintf(stderr, "check_lambda_invoke: SKIP: python3 has no botocore (pip install botocore)\n");
        return 77;
    }
    Suite *s = suite_create("lambda_invoke");
    TCase *tc = tcase_create("invoke");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, signed_event_invocations);
    tcase_add_test(tc, wrong_secret_is_an_auth_error);
    tcase_add_test(tc, throttles_and_server_errors);
    tcase_add_test(tc, token_bucket);
    tcase_add_test(tc, config_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
