/* check_bootstrap: the worker's event parser, reply builders, error typing and
 * crash-isolating supervisor (bootstrap/bootstrap.h), without a Runtime API. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootstrap.h"

/* ---- helpers -------------------------------------------------------------- */

static int parse(const char *json, wren__event *ev, char *err, size_t n)
{
    return wren__event_parse(json, strlen(json), ev, err, n);
}

/* Parsing must fail with Wren.BadEvent's status and a message containing `want`. */
static void expect_bad(const char *json, const char *want)
{
    wren__event ev;
    char err[512];
    ck_assert_int_eq(parse(json, &ev, err, sizeof err), WREN_EBADINPUT);
    ck_assert_msg(strstr(err, want) != NULL, "for %s: message '%s' lacks '%s'", json, err, want);
    ck_assert_ptr_null(ev.root);
}

/* ---- the event ------------------------------------------------------------ */

START_TEST(test_event_minimal_plain_json_args)
{
    wren__event ev;
    char err[256];
    ck_assert_int_eq(parse("{\"kernel\":\"addone\",\"args\":41}", &ev, err, sizeof err), WREN_OK);
    ck_assert_str_eq(ev.kernel, "addone");
    ck_assert_int_eq(ev.form, WREN__ARGS_JSON);
    ck_assert_int_eq(json_integer_value(ev.args), 41);
    ck_assert_int_eq(ev.attempt, 0);
    ck_assert_int_eq(ev.has_t_submit, 0);
    ck_assert_int_eq(wren__event_has_outcome(&ev), 0);
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren__event_args(&ev, &b, err, sizeof err), WREN_OK);
    ck_assert_uint_eq(b.len, 1);
    ck_assert_uint_eq((unsigned char)b.data[0], 41); /* positive fixint */
    wren_buf_clean_up(&b);
    wren__event_clean_up(&ev);
    wren__event_clean_up(&ev); /* idempotent */
}
END_TEST

START_TEST(test_event_full_store_form)
{
    wren__event ev;
    char err[256];
    const char *json = "{\"wren\":1,\"kernel\":\"gemm\",\"input\":\"j-1/00000042/in\",\"store\":\"file:///tmp/s\","
                       "\"job\":\"j-1\",\"call\":\"00000042\",\"attempt\":2,\"t_submit\":1763781234.5,"
                       "\"reply\":\"msgpack\",\"future_field\":[1,2]}";
    ck_assert_int_eq(parse(json, &ev, err, sizeof err), WREN_OK);
    ck_assert_int_eq(ev.form, WREN__ARGS_STORE);
    ck_assert_str_eq(ev.input, "j-1/00000042/in");
    ck_assert_str_eq(ev.store, "file:///tmp/s");
    ck_assert_str_eq(ev.job, "j-1");
    ck_assert_str_eq(ev.call, "00000042");
    ck_assert_int_eq(ev.attempt, 2);
    ck_assert_int_eq(ev.has_t_submit, 1);
    ck_assert_double_eq(ev.t_submit, 1763781234.5);
    ck_assert_int_eq(ev.reply_msgpack, 1);
    ck_assert_int_eq(wren__event_has_outcome(&ev), 1);
    wren__event_clean_up(&ev);
}
END_TEST

START_TEST(test_event_b64_and_none)
{
    wren__event ev;
    char err[256];
    wren_buf b;
    wren_buf_init(&b, 0);
    /* 0x92 0x01 0x02 = [1, 2] */
    ck_assert_int_eq(parse("{\"kernel\":\"echo\",\"args_b64\":\"kgEC\"}", &ev, err, sizeof err), WREN_OK);
    ck_assert_int_eq(ev.form, WREN__ARGS_B64);
    ck_assert_int_eq(wren__event_args(&ev, &b, err, sizeof err), WREN_OK);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_int_eq(memcmp(b.data, "\x92\x01\x02", 3), 0);
    wren__event_clean_up(&ev);

    wren_buf_reset(&b);
    ck_assert_int_eq(parse("{\"kernel\":\"echo\"}", &ev, err, sizeof err), WREN_OK);
    ck_assert_int_eq(ev.form, WREN__ARGS_NONE);
    ck_assert_int_eq(wren__event_args(&ev, &b, err, sizeof err), WREN_OK);
    ck_assert_uint_eq(b.len, 1);
    ck_assert_uint_eq((unsigned char)b.data[0], 0xc0); /* nil */
    wren__event_clean_up(&ev);

    wren_buf_reset(&b);
    ck_assert_int_eq(parse("{\"kernel\":\"echo\",\"args_b64\":\"kg!C\"}", &ev, err, sizeof err), WREN_OK);
    ck_assert_int_eq(wren__event_args(&ev, &b, err, sizeof err), WREN_EBADINPUT);
    ck_assert_str_eq(err, "field 'args_b64' is not valid base64 (standard alphabet, padded)");
    wren__event_clean_up(&ev);
    wren_buf_clean_up(&b);
}
END_TEST

START_TEST(test_event_plain_json_types_become_msgpack)
{
    wren__event ev;
    char err[256];
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(parse("{\"kernel\":\"echo\",\"args\":{\"x\":[1,2.5,\"s\",null,true]}}", &ev, err, sizeof err),
                     WREN_OK);
    ck_assert_int_eq(wren__event_args(&ev, &b, err, sizeof err), WREN_OK);
    static const unsigned char want[] = {0x81, 0xa1, 'x', 0x95, 0x01, 0xcb, 0x40, 0x04, 0, 0, 0, 0, 0, 0,
                                         0xa1, 's',  0xc0, 0xc3};
    ck_assert_uint_eq(b.len, sizeof want);
    ck_assert_int_eq(memcmp(b.data, want, sizeof want), 0);
    wren__event_clean_up(&ev);
    wren_buf_clean_up(&b);
}
END_TEST

START_TEST(test_event_refuses_malformed)
{
    expect_bad("", "the event is empty");
    expect_bad("{\"kernel\":", "the event is not valid JSON");
    expect_bad("[1,2]", "must be a JSON object, not an array");
    expect_bad("42", "must be a JSON object, not a scalar");
    expect_bad("{\"args\":1}", "the event has no 'kernel' field");
    expect_bad("{\"kernel\":7}", "field 'kernel' must be a string");
    expect_bad("{\"kernel\":\"\"}", "field 'kernel' is empty");
    expect_bad("{\"kernel\":\"../etc\"}", "field 'kernel' must match [A-Za-z0-9._-]{1,128}");
    expect_bad("{\"kernel\":\"a b\"}", "field 'kernel' must match");
    expect_bad("{\"kernel\":\"echo\",\"wren\":2}", "unsupported event version: field 'wren' must be 1");
    expect_bad("{\"kernel\":\"echo\",\"wren\":\"1\"}", "unsupported event version");
    expect_bad("{\"kernel\":\"echo\",\"args\":1,\"args_b64\":\"AQ==\"}",
               "give at most one of 'args', 'args_b64' and 'input' (got 2)");
    expect_bad("{\"kernel\":\"echo\",\"args_b64\":5}", "field 'args_b64' must be a string");
    expect_bad("{\"kernel\":\"echo\",\"input\":\"a/../b\",\"store\":\"file:///x\"}",
               "field 'input' is not a valid store key");
    expect_bad("{\"kernel\":\"echo\",\"input\":\"/abs\",\"store\":\"file:///x\"}", "field 'input' is not a valid");
    expect_bad("{\"kernel\":\"echo\",\"input\":\"j/c/in\"}", "field 'input' needs a 'store'");
    expect_bad("{\"kernel\":\"echo\",\"job\":\"j\",\"store\":\"file:///x\"}",
               "fields 'job' and 'call' must be given together");
    expect_bad("{\"kernel\":\"echo\",\"job\":\"j\",\"call\":\"c\"}", "need a 'store' to write the outcome to");
    expect_bad("{\"kernel\":\"echo\",\"job\":\"..\",\"call\":\"c\",\"store\":\"file:///x\"}",
               "field 'job' must match");
    expect_bad("{\"kernel\":\"echo\",\"job\":\"j\",\"call\":\"c/d\",\"store\":\"file:///x\"}",
               "field 'call' must match");
    expect_bad("{\"kernel\":\"echo\",\"store\":3}", "field 'store' must be a string");
    expect_bad("{\"kernel\":\"echo\",\"attempt\":-1}", "field 'attempt' must be an integer in 0..1000000");
    expect_bad("{\"kernel\":\"echo\",\"attempt\":1.5}", "field 'attempt' must be an integer");
    expect_bad("{\"kernel\":\"echo\",\"t_submit\":\"now\"}", "field 't_submit' must be a non-negative number");
    expect_bad("{\"kernel\":\"echo\",\"t_submit\":-3}", "field 't_submit' must be a non-negative number");
    expect_bad("{\"kernel\":\"echo\",\"reply\":\"xml\"}", "field 'reply' must be \"json\" or \"msgpack\"");
    expect_bad("{\"kernel\":\"echo\",\"kernel\":\"fail\"}", "the event is not valid JSON: duplicate object key");
    expect_bad("{\"kernel\":\"ec\\u0000ho\"}", "the event is not valid JSON: \\u0000 is not allowed");
}
END_TEST

START_TEST(test_event_size_limits)
{
    /* A store URL over the limit is refused before anything uses it. */
    size_t n = WREN__URL_MAX_BYTES + 1;
    char *json = malloc(n + 64);
    ck_assert_ptr_nonnull(json);
    int off = sprintf(json, "{\"kernel\":\"echo\",\"store\":\"");
    memset(json + off, 'a', n);
    strcpy(json + off + n, "\"}");
    expect_bad(json, "field 'store' is 2049 bytes long (limit 2048)");
    free(json);

    wren__event ev;
    char err[256];
    ck_assert_int_eq(wren__event_parse("{}", WREN__EVENT_MAX_BYTES + 1, &ev, err, sizeof err), WREN_EBADINPUT);
    ck_assert_str_eq(err, "the event is 6292481 bytes (limit 6292480)");
}
END_TEST

START_TEST(test_event_args_too_deep)
{
    char json[512];
    int off = sprintf(json, "{\"kernel\":\"echo\",\"args\":");
    for (int i = 0; i < 70; i++)
        json[off++] = '[';
    for (int i = 0; i < 70; i++)
        json[off++] = ']';
    strcpy(json + off, "}");
    wren__event ev;
    char err[256];
    ck_assert_int_eq(parse(json, &ev, err, sizeof err), WREN_OK);
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren__event_args(&ev, &b, err, sizeof err), WREN_EBADINPUT);
    char want[64];
    snprintf(want, sizeof want, "field 'args' nests deeper than %d levels", WREN_MAX_NESTING);
    ck_assert_str_eq(err, want);
    wren_buf_clean_up(&b);
    wren__event_clean_up(&ev);
}
END_TEST

START_TEST(test_key_rule)
{
    ck_assert_int_eq(wren__key_ok("j-1/00000042/in"), 1);
    ck_assert_int_eq(wren__key_ok("in"), 1);
    ck_assert_int_eq(wren__key_ok(""), 0);
    ck_assert_int_eq(wren__key_ok("a//b"), 0);
    ck_assert_int_eq(wren__key_ok("a/"), 0);
    ck_assert_int_eq(wren__key_ok("/a"), 0);
    ck_assert_int_eq(wren__key_ok("a/./b"), 0);
    ck_assert_int_eq(wren__key_ok("a/../b"), 0);
    ck_assert_int_eq(wren__key_ok("a\\b"), 0);
    ck_assert_int_eq(wren__key_ok(NULL), 0);
}
END_TEST

/* ---- errors --------------------------------------------------------------- */

START_TEST(test_error_types)
{
    char t[128];
    wren__error_type("SingularMatrix", WREN_EKERNEL, t, sizeof t);
    ck_assert_str_eq(t, "Wren.SingularMatrix");
    wren__error_type("My.Own", WREN_EKERNEL, t, sizeof t);
    ck_assert_str_eq(t, "My.Own");
    wren__error_type(NULL, WREN_EBADINPUT, t, sizeof t);
    ck_assert_str_eq(t, "Wren.BadInput");
    wren__error_type("", WREN_ENOMEM, t, sizeof t);
    ck_assert_str_eq(t, "Wren.KernelError");
    wren__error_type(NULL, WREN_ECRASH, t, sizeof t);
    ck_assert_str_eq(t, "Wren.KernelCrash");
    wren__error_type(NULL, WREN_ETIMEDOUT, t, sizeof t);
    ck_assert_str_eq(t, "Sandbox.Timedout");
    char buf[32];
    ck_assert_str_eq(wren__signal_name(SIGSEGV, buf, sizeof buf), "SIGSEGV");
    ck_assert_str_eq(wren__signal_name(SIGABRT, buf, sizeof buf), "SIGABRT");
    ck_assert_str_eq(wren__signal_name(77, buf, sizeof buf), "signal 77");
}
END_TEST

/* ---- replies -------------------------------------------------------------- */

START_TEST(test_response_json_exact)
{
    wren_buf out;
    wren_buf_init(&out, 0);
    wren__timings t = {1.5, 2.25, 3.75};
    ck_assert_int_eq(wren__response_json("addone", "\x2a", 1, 0, 0, &t, &out), WREN_OK);
    ck_assert_str_eq(out.data, "{\"wren\":1,\"kernel\":\"addone\",\"result\":42,\"flops\":0,"
                               "\"timings\":{\"received\":1.5,\"setup_done\":2.25,\"kernel_done\":3.75}}");
    wren_buf_reset(&out);
    /* bin -> base64, flops non-integral stay real, unreached stages are null */
    wren__timings t2 = {1.5, 0, 0};
    ck_assert_int_eq(wren__response_json("echo", "\x82\xa1" "a\xc4\x02hi\xa1" "b\xc0", 10, 0, 2.5, &t2, &out),
                     WREN_OK);
    ck_assert_str_eq(out.data, "{\"wren\":1,\"kernel\":\"echo\",\"result\":{\"a\":\"aGk=\",\"b\":null},\"flops\":2.5,"
                               "\"timings\":{\"received\":1.5,\"setup_done\":null,\"kernel_done\":null}}");
    wren_buf_reset(&out);
    ck_assert_int_eq(wren__response_json("addone", "\x2a", 1, 1, 1e9, &t, &out), WREN_OK);
    ck_assert_str_eq(out.data, "{\"wren\":1,\"kernel\":\"addone\",\"result_b64\":\"Kg==\",\"flops\":1000000000,"
                               "\"timings\":{\"received\":1.5,\"setup_done\":2.25,\"kernel_done\":3.75}}");
    wren_buf_reset(&out);
    /* a truncated result (array of 2 with one element) is refused */
    ck_assert_int_eq(wren__response_json("echo", "\x92\x01", 2, 0, 0, &t, &out), WREN_EBADINPUT);
    wren_buf_reset(&out);
    /* The frame is written by hand and the values by jansson: the bytes are
     * those of jansson dumping the whole object, for real epoch times and a
     * kernel name that needs escaping too. */
    wren__timings t3 = {1763797000.123456, 1763797000.1234579, 1763797001.0000019};
    ck_assert_int_eq(wren__response_json("k\"\xc3\xa9\\", "\x93\x01\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a\xa1x", 13, 0,
                                         123.25, &t3, &out),
                     WREN_OK);
    json_t *whole = json_pack("{s:i, s:s, s:[i, f, s], s:f, s:{s:f, s:f, s:f}}", "wren", 1, "kernel",
                              "k\"\xc3\xa9\\", "result", 1, 0.1, "x", "flops", 123.25, "timings", "received",
                              t3.received, "setup_done", t3.setup_done, "kernel_done", t3.kernel_done);
    char *want = json_dumps(whole, JSON_COMPACT);
    ck_assert_str_eq(out.data, want);
    free(want);
    json_decref(whole);
    wren_buf_clean_up(&out);
}
END_TEST

START_TEST(test_response_json_over_cap)
{
    wren_buf out;
    wren_buf_init(&out, 64);
    wren__timings t = {1.5, 2.25, 3.75};
    char big[200];
    big[0] = (char)0xc4;
    big[1] = (char)150;
    memset(big + 2, 'x', 150);
    ck_assert_int_eq(wren__response_json("echo", big, 152, 0, 0, &t, &out), WREN_ETOOBIG);
    wren_buf_clean_up(&out);
}
END_TEST

START_TEST(test_status_json_exact)
{
    wren_buf out;
    wren_buf_init(&out, 0);
    wren__status_info si = {0};
    si.job = "j-1";
    si.call = "00000042";
    si.kernel = "addone";
    si.attempt = 1;
    si.ok = 1;
    si.result = "\x2a";
    si.result_len = 1;
    si.result_bytes = 1;
    si.flops = 3;
    si.has_t_submit = 1;
    si.t_submit = 100.5;
    si.t_start = 101.25;
    si.t_setup = 101.5;
    si.t_kernel = 102;
    si.t_written = 102.5;
    si.instance = "i-abc";
    si.cold = 1;
    si.log_tail = "hello\n";
    ck_assert_int_eq(wren__status_json(&si, &out), WREN_OK);
    ck_assert_str_eq(out.data,
                     "{\"wren\":1,\"job\":\"j-1\",\"call\":\"00000042\",\"attempt\":1,\"kernel\":\"addone\",\"ok\":true,"
                     "\"result_b64\":\"Kg==\",\"result_bytes\":1,\"flops\":3,\"t_submit\":100.5,\"t_start\":101.25,"
                     "\"t_setup\":101.5,\"t_kernel\":102.0,\"t_written\":102.5,\"instance\":\"i-abc\",\"cold\":true,"
                     "\"log_tail\":\"hello\\n\"}");

    wren_buf_reset(&out);
    si.result = NULL;
    si.result_key = "j-1/00000042/out";
    si.result_bytes = 70000;
    si.cold = 0;
    si.has_t_submit = 0;
    si.log_tail = NULL;
    ck_assert_int_eq(wren__status_json(&si, &out), WREN_OK);
    ck_assert_str_eq(out.data,
                     "{\"wren\":1,\"job\":\"j-1\",\"call\":\"00000042\",\"attempt\":1,\"kernel\":\"addone\",\"ok\":true,"
                     "\"result_key\":\"j-1/00000042/out\",\"result_bytes\":70000,\"flops\":3,\"t_submit\":null,"
                     "\"t_start\":101.25,\"t_setup\":101.5,\"t_kernel\":102.0,\"t_written\":102.5,"
                     "\"instance\":\"i-abc\",\"cold\":false,\"log_tail\":\"\"}");

    wren_buf_reset(&out);
    si.ok = 0;
    si.error_type = "Wren.KernelCrash";
    si.error_message = "kernel 'crash' died of SIGSEGV (signal 11)";
    si.flops = 0;
    si.t_setup = 0;
    si.t_kernel = 0;
    si.log_tail = "bad \xff byte";
    ck_assert_int_eq(wren__status_json(&si, &out), WREN_OK);
    ck_assert_str_eq(out.data,
                     "{\"wren\":1,\"job\":\"j-1\",\"call\":\"00000042\",\"attempt\":1,\"kernel\":\"addone\",\"ok\":false,"
                     "\"error\":{\"type\":\"Wren.KernelCrash\",\"message\":\"kernel 'crash' died of SIGSEGV (signal "
                     "11)\"},\"flops\":0,\"t_submit\":null,\"t_start\":101.25,\"t_setup\":null,\"t_kernel\":null,"
                     "\"t_written\":102.5,\"instance\":\"i-abc\",\"cold\":false,\"log_tail\":\"bad ? byte\"}");

    /* The frame is written by hand, plain ASCII strings copied and the rest
     * dumped by jansson: the bytes are those of jansson dumping the whole
     * object, for real epoch times, a non-integral FLOP count, and strings
     * that need escaping (quotes, backslash, control bytes, DEL, UTF-8). */
    wren_buf_reset(&out);
    si.ok = 0;
    si.attempt = 3;
    si.error_type = "Wren.KernelError";
    si.error_message = "said \"no\" \\ tab\there\x7f caf\xc3\xa9 \xe2\x82\xac";
    si.flops = 123.25;
    si.has_t_submit = 1;
    si.t_submit = 1763797000.123456;
    si.t_start = 1763797000.1234579;
    si.t_setup = 1763797000.5;
    si.t_kernel = 1763797001.0000019;
    si.t_written = 1763797001.25;
    si.cold = 1;
    si.log_tail = "line 1\nline 2\r\n\x01end/\xc3\xa9";
    ck_assert_int_eq(wren__status_json(&si, &out), WREN_OK);
    json_t *whole = json_pack("{s:i, s:s, s:s, s:i, s:s, s:b, s:{s:s, s:s}, s:f, s:f, s:f, s:f, s:f, s:f, s:s, s:b, s:s}",
                              "wren", 1, "job", si.job, "call", si.call, "attempt", 3, "kernel", si.kernel, "ok", 0,
                              "error", "type", si.error_type, "message", si.error_message, "flops", si.flops,
                              "t_submit", si.t_submit, "t_start", si.t_start, "t_setup", si.t_setup, "t_kernel",
                              si.t_kernel, "t_written", si.t_written, "instance", si.instance, "cold", 1, "log_tail",
                              si.log_tail);
    ck_assert_ptr_nonnull(whole);
    char *want = json_dumps(whole, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ck_assert_str_eq(out.data, want);
    free(want);
    json_decref(whole);

    /* a status over the buffer's cap is refused, not cut */
    wren_buf small;
    wren_buf_init(&small, 64);
    ck_assert_int_eq(wren__status_json(&si, &small), WREN_ETOOBIG);
    wren_buf_clean_up(&small);
    wren_buf_clean_up(&out);
}
END_TEST

/* ---- the supervisor ------------------------------------------------------- */

/* A stand-in for the kernel runner: behaviour chosen by the kernel name. */
static void test_run(const wren__task *task, wren__task_result *res, void *user)
{
    (void)user;
    res->t_setup = 10;
    if (!strcmp(task->kernel, "echo")) {
        wren_buf_append(&res->result, task->args, task->args_len);
        res->flops = 7;
        wren_buf_append_str(&res->log_tail, "echoed\n");
    } else if (!strcmp(task->kernel, "fail")) {
        res->status = WREN_EKERNEL;
        snprintf(res->error_type, sizeof res->error_type, "Wren.SingularMatrix");
        snprintf(res->error_message, sizeof res->error_message, "pivot 3 is zero");
    } else if (!strcmp(task->kernel, "segv")) {
        signal(SIGSEGV, SIG_DFL); /* past ASan's handler, as in a plain build */
        raise(SIGSEGV);
    } else if (!strcmp(task->kernel, "abort")) {
        abort();
    } else if (!strcmp(task->kernel, "exit3")) {
        _exit(3);
    } else if (!strcmp(task->kernel, "sleep")) {
        sleep(30);
    } else if (!strcmp(task->kernel, "pid")) {
        int pid = (int)getpid();
        wren_buf_append(&res->result, &pid, sizeof pid);
    }
    res->t_kernel = 11;
}

static wren__task_result *run(wren__sup *sup, const char *kernel, const char *args, size_t len, int64_t deadline_ms)
{
    wren__task task = {kernel, "req-1", deadline_ms, args, len};
    wren__task_result *res = NULL;
    ck_assert_int_eq(wren__sup_run(sup, &task, 50, &res), WREN_OK);
    ck_assert_ptr_nonnull(res);
    return res;
}

static int run_pid(wren__sup *sup)
{
    wren__task_result *res = run(sup, "pid", "", 0, 0);
    ck_assert_int_eq(res->status, WREN_OK);
    ck_assert_uint_eq(res->result.len, sizeof(int));
    int pid;
    memcpy(&pid, res->result.data, sizeof pid);
    return pid;
}

static void check_crashes(wren__isolation iso)
{
    wren__sup *sup = NULL;
    ck_assert_int_eq(wren__sup_new(iso, test_run, NULL, &sup), WREN_OK);
    static const struct {
        const char *kernel, *message;
    } cases[] = {
        {"segv", "kernel 'segv' died of SIGSEGV (signal 11)"},
        {"abort", "kernel 'abort' died of SIGABRT (signal 6)"},
        {"exit3", "kernel 'exit3' exited with status 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wren__task_result *res = run(sup, cases[i].kernel, "", 0, 0);
        ck_assert_int_eq(res->status, WREN_ECRASH);
        ck_assert_str_eq(res->error_type, "Wren.KernelCrash");
        ck_assert_str_eq(res->error_message, cases[i].message);
        ck_assert_int_eq(wren__sup_ensure(sup), WREN_OK);
        /* and the next task is served */
        res = run(sup, "echo", "\x2a", 1, 0);
        ck_assert_int_eq(res->status, WREN_OK);
        ck_assert_uint_eq(res->result.len, 1);
        ck_assert_int_eq(res->result.data[0], 0x2a);
    }
    wren__sup_destroy(sup);
}

START_TEST(test_sup_child_survives_crashes)
{
    check_crashes(WREN__ISO_CHILD);
}
END_TEST

START_TEST(test_sup_fork_survives_crashes)
{
    check_crashes(WREN__ISO_FORK);
}
END_TEST

START_TEST(test_sup_child_is_long_lived_and_restarted)
{
    wren__sup *sup = NULL;
    ck_assert_int_eq(wren__sup_new(WREN__ISO_CHILD, test_run, NULL, &sup), WREN_OK);
    pid_t child = wren__sup_child_pid(sup);
    ck_assert_int_gt(child, 0);
    ck_assert_int_eq(run_pid(sup), child);
    ck_assert_int_eq(run_pid(sup), child);
    run(sup, "segv", "", 0, 0);
    ck_assert_int_eq(wren__sup_child_pid(sup), 0);
    /* without ensure, the next run starts a child itself */
    int again = run_pid(sup);
    ck_assert_int_ne(again, child);
    ck_assert_int_eq(again, wren__sup_child_pid(sup));
    wren__sup_destroy(sup);
    /* destroy reaped it: the pid is no longer our child */
    ck_assert_int_eq(kill(again, 0) == 0 && waitpid(again, NULL, WNOHANG) == 0, 0);
}
END_TEST

START_TEST(test_sup_child_killed_between_tasks_is_not_the_next_tasks_crash)
{
    wren__sup *sup = NULL;
    ck_assert_int_eq(wren__sup_new(WREN__ISO_CHILD, test_run, NULL, &sup), WREN_OK);
    pid_t child = wren__sup_child_pid(sup);
    ck_assert_int_eq(run_pid(sup), child);
    ck_assert_int_eq(kill(child, SIGKILL), 0);
    usleep(100000); /* let it die */
    wren__task_result *res = run(sup, "echo", "\x07", 1, 0);
    ck_assert_int_eq(res->status, WREN_OK);
    ck_assert_uint_eq(res->result.len, 1);
    ck_assert_int_eq(res->result.data[0], 7);
    ck_assert_int_ne(wren__sup_child_pid(sup), child);
    wren__sup_destroy(sup);
}
END_TEST

START_TEST(test_sup_carries_results_errors_and_logs)
{
    for (int iso = WREN__ISO_CHILD; iso <= WREN__ISO_INLINE; iso++) {
        wren__sup *sup = NULL;
        ck_assert_int_eq(wren__sup_new((wren__isolation)iso, test_run, NULL, &sup), WREN_OK);
        /* a 3 MiB result crosses the pipe whole */
        size_t n = 3u << 20;
        char *big = malloc(n);
        ck_assert_ptr_nonnull(big);
        for (size_t i = 0; i < n; i++)
            big[i] = (char)(i * 131 + 7);
        wren__task_result *res = run(sup, "echo", big, n, 0);
        ck_assert_int_eq(res->status, WREN_OK);
        ck_assert_uint_eq(res->result.len, n);
        ck_assert_int_eq(memcmp(res->result.data, big, n), 0);
        ck_assert_double_eq(res->flops, 7);
        ck_assert_double_eq(res->t_setup, 10);
        ck_assert_double_eq(res->t_kernel, 11);
        ck_assert_str_eq(res->log_tail.data, "echoed\n");
        free(big);

        res = run(sup, "fail", "", 0, 0);
        ck_assert_int_eq(res->status, WREN_EKERNEL);
        ck_assert_str_eq(res->error_type, "Wren.SingularMatrix");
        ck_assert_str_eq(res->error_message, "pivot 3 is zero");
        ck_assert_uint_eq(res->result.len, 0);
        ck_assert_uint_eq(res->log_tail.len, 0);
        wren__sup_destroy(sup);
    }
}
END_TEST

START_TEST(test_sup_stops_task_at_deadline)
{
    for (int iso = WREN__ISO_CHILD; iso <= WREN__ISO_FORK; iso++) {
        wren__sup *sup = NULL;
        ck_assert_int_eq(wren__sup_new((wren__isolation)iso, test_run, NULL, &sup), WREN_OK);
        uint64_t t0 = wren_mono_ns();
        wren__task_result *res = run(sup, "sleep", "", 0, wren_now_ms() + 400); /* margin 50 */
        double took_s = (double)(wren_mono_ns() - t0) / 1e9;
        ck_assert_int_eq(res->status, WREN_ETIMEDOUT);
        ck_assert_str_eq(res->error_type, "Sandbox.Timedout");
        ck_assert_msg(strstr(res->error_message, "kernel 'sleep' was stopped at the function's deadline") != NULL,
                      "%s", res->error_message);
        ck_assert_msg(strncmp(res->error_message, "Task timed out after 0.3", 24) == 0, "%s", res->error_message);
        ck_assert_msg(took_s > 0.3 && took_s < 0.45, "took %.3f s", took_s);
        res = run(sup, "echo", "\x01", 1, wren_now_ms() + 5000);
        ck_assert_int_eq(res->status, WREN_OK);
        wren__sup_destroy(sup);
    }
}
END_TEST

START_TEST(test_isolation_names)
{
    wren__isolation iso;
    ck_assert_int_eq(wren__isolation_parse("fork", &iso), WREN_OK);
    ck_assert_int_eq(iso, WREN__ISO_FORK);
    ck_assert_int_eq(wren__isolation_parse("inline", &iso), WREN_OK);
    ck_assert_int_eq(iso, WREN__ISO_INLINE);
    ck_assert_int_eq(wren__isolation_parse(NULL, &iso), WREN_OK);
    ck_assert_int_eq(iso, WREN__ISO_CHILD);
    ck_assert_int_eq(wren__isolation_parse("thread", &iso), WREN_EINVAL);
    setenv("WREN_DEADLINE_MARGIN_MS", "120", 1);
    ck_assert_int_eq(wren__deadline_margin_env(), 120);
    ck_assert_int_eq(wren__deadline_margin_ms(wren__deadline_margin_env(), "s3://b/p"), 120);
    setenv("WREN_DEADLINE_MARGIN_MS", "0", 1);
    ck_assert_int_eq(wren__deadline_margin_ms(wren__deadline_margin_env(), "s3://b/p"), 0);
    setenv("WREN_DEADLINE_MARGIN_MS", "12x", 1);
    ck_assert_int_eq(wren__deadline_margin_env(), -1);
    unsetenv("WREN_DEADLINE_MARGIN_MS");
    ck_assert_int_eq(wren__deadline_margin_env(), -1);
    /* unset: S3 needs time to take the status, a file store or a sync reply does not */
    ck_assert_int_eq(wren__deadline_margin_ms(-1, "s3://bucket/jobs"), 500);
    ck_assert_int_eq(wren__deadline_margin_ms(-1, "file:///tmp/x"), 50);
    ck_assert_int_eq(wren__deadline_margin_ms(-1, NULL), 50);
}
END_TEST

static Suite *bootstrap_suite(void)
{
    Suite *s = suite_create("bootstrap");
    TCase *tc = tcase_create("event");
    tcase_add_test(tc, test_event_minimal_plain_json_args);
    tcase_add_test(tc, test_event_full_store_form);
    tcase_add_test(tc, test_event_b64_and_none);
    tcase_add_test(tc, test_event_plain_json_types_become_msgpack);
    tcase_add_test(tc, test_event_refuses_malformed);
    tcase_add_test(tc, test_event_size_limits);
    tcase_add_test(tc, test_event_args_too_deep);
    tcase_add_test(tc, test_key_rule);
    suite_add_tcase(s, tc);
    tc = tcase_create("replies");
    tcase_add_test(tc, test_error_types);
    tcase_add_test(tc, test_response_json_exact);
    tcase_add_test(tc, test_response_json_over_cap);
    tcase_add_test(tc, test_status_json_exact);
    suite_add_tcase(s, tc);
    tc = tcase_create("supervisor");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sup_child_survives_crashes);
    tcase_add_test(tc, test_sup_fork_survives_crashes);
    tcase_add_test(tc, test_sup_child_is_long_lived_and_restarted);
    tcase_add_test(tc, test_sup_child_killed_between_tasks_is_not_the_next_tasks_crash);
    tcase_add_test(tc, test_sup_carries_results_errors_and_logs);
    tcase_add_test(tc, test_sup_stops_task_at_deadline);
    tcase_add_test(tc, test_isolation_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(bootstrap_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
