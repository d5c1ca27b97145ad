/*
 * check_sdk: the SDK's futures, waits, retries, deadlines, cancel,
 * map_reduce, thresholds and argument builders.
 *
 * Two halves. The first drives the executor against a stand-in Invoke API
 * (test/sdk_sink.h) and writes the workers' status objects itself, so every
 * outcome (duplicates, stale attempts, retries) is exact and deterministic.
 * The second runs the embedded local default for real: the emulator in this
 * process and real bootstrap workers (when this build has them).
 */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sdk_internal.h"
#include "sdk_sink.h"
#include "store.h"
#include "wren/wren.h"

/* ---- fixture: a sink, a file store, an executor pointed at both ------------ */

typedef struct fx {
    sdk_sink sink;
    char dir[64];
    char store_url[128];
    wren_store *st;
    wren_executor *ex;
} fx;

static void fx_start(fx *f, wren_config *cfg)
{
    memset(f, 0, sizeof *f);
    ck_assert_int_eq(sdk_sink_start(&f->sink, 1, 1), 0);
    snprintf(f->dir, sizeof f->dir, "/tmp/wren-check-sdk-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    snprintf(f->store_url, sizeof f->store_url, "file://%s/store", f->dir);
    ck_assert_int_eq(wren_store_open(f->store_url, &f->st), WREN_OK);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", f->sink.port);
    wren_config c;
    if (cfg)
        c = *cfg;
    else
        wren_config_init(&c);
    c.invoke_url = url;
    c.store_url = f->store_url;
    c.job_id = "jt";
    ck_assert_int_eq(wren_executor_new(&c, &f->ex), WREN_OK);
}

static void fx_stop(fx *f)
{
    wren_executor_destroy(f->ex);
    wren_store_destroy(f->st);
    wren__remove_tree(f->dir);
    sdk_sink_stop(&f->sink);
}

/* Event i as the sink received it; waits up to 5 s for it. */
static json_t *fx_event(fx *f, size_t i)
{
    for (int t = 0; t < 500; t++) {
        char *b = sdk_sink_body(&f->sink, i);
        if (b) {
            json_error_t e;
            json_t *j = json_loads(b, 0, &e);
            free(b);
            ck_assert_ptr_nonnull(j);
            return j;
        }
        wren_wait(f->ex, NULL, 0, WREN_ALWAYS, 0, NULL);
        usleep(10000);
    }
    ck_abort_msg("event %zu never arrived", i);
    return NULL;
}

/* Writes the status of one attempt at KEY_ATTEMPT's key (JOB/CALL/status,
 * or status.N for N > 0). result: msgpack bytes or NULL. */
static void fx_status_at(fx *f, unsigned call, int attempt, int key_attempt, const wren_args *result, const char *etype,
                         const char *emsg)
{
    char key[64], id[16];
    snprintf(id, sizeof id, "%08u", call);
    wren__outcome_key(key, sizeof key, "jt", id, key_attempt, "status");
    json_t *s = json_pack("{s:i, s:s, s:s, s:i, s:s, s:b, s:f, s:f, s:f, s:f, s:f, s:s, s:b, s:s}", "wren", 1, "job",
                          "jt", "call", "x", "attempt", attempt, "kernel", "k", "ok", result != NULL, "flops", 100.0,
                          "t_start", 10.0, "t_setup", 11.0, "t_kernel", 12.0, "t_written", 13.0, "instance", "i-1",
                          "cold", 1, "log_tail", result ? "" : "tail line");
    if (result) {
        size_t n;
        const char *d = wren_args_data(result, &n);
        char *b64 = wren_base64_encode(d, n, NULL);
        json_object_set_new(s, "result_b64", json_string(b64));
        free(b64);
    } else {
        json_object_set_new(s, "error", json_pack("{s:s, s:s}", "type", etype, "message", emsg));
    }
    char *text = json_dumps(s, JSON_COMPACT);
    ck_assert_int_eq(wren_store_put(f->st, key, text, strlen(text)), WREN_OK);
    free(text);
    json_decref(s);
}

/* Writes an attempt's status as a worker does, at that attempt's key. */
static void fx_status(fx *f, unsigned call, int attempt, const wren_args *result, const char *etype, const char *emsg)
{
    fx_status_at(f, call, attempt, attempt, result, etype, emsg);
}

static wren_args *s_int(int64_t v)
{
    wren_args *a = wren_args_new();
    wren_args_int(a, v);
    return a;
}

static int64_t s_result_int(wren_future *fu)
{
    const msgpack_object *o = NULL;
    ck_assert_int_eq(wren_future_result(fu, 0, &o), WREN_OK);
    ck_assert(o->type == MSGPACK_OBJECT_POSITIVE_INTEGER || o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER);
    return o->via.i64;
}

/* Decodes an event's args_b64 as msgpack into a JSON string for comparison. */
static char *s_event_args_json(json_t *ev)
{
    const char *b64 = json_string_value(json_object_get(ev, "args_b64"));
    ck_assert_ptr_nonnull(b64);
    unsigned char *raw;
    size_t n;
    ck_assert_int_eq(wren_base64_decode(b64, strlen(b64), &raw, &n), WREN_OK);
    msgpack_zone z;
    msgpack_zone_init(&z, 1024);
    msgpack_object o;
    ck_assert_int_eq(wren_msgpack_unpack_one((char *)raw, n, &z, &o), WREN_OK);
    json_t *j = wren_msgpack_to_json(&o);
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    json_decref(j);
    msgpack_zone_destroy(&z);
    free(raw);
    return text;
}

/* ---- builders --------------------------------------------------------------- */

START_TEST(test_args_builders_pack_exact_msgpack)
{
    wren_args *a = wren_args_new();
    wren_args_map(a, 4);
    wren_args_str(a, "n");
    wren_args_int(a, -3);
    wren_args_str(a, "x");
    wren_args_double(a, 2.5);
    wren_args_str(a, "list");
    wren_args_array(a, 3);
    wren_args_bool(a, 1);
    wren_args_nil(a);
    wren_args_strn(a, "abc", 2);
    wren_args_str(a, "m");
    double m[6] = {1, 2, 3, 4, 5, 6};
    uint64_t shape[2] = {2, 3};
    wren_args_ndarray(a, WREN_F64, 2, shape, m);
    ck_assert_int_eq(wren_args_status(a), WREN_OK);
    size_t n;
    const char *d = wren_args_data(a, &n);
    msgpack_zone z;
    msgpack_zone_init(&z, 1024);
    msgpack_object o;
    ck_assert_int_eq(wren_msgpack_unpack_one(d, n, &z, &o), WREN_OK);
    wren_array_view v;
    ck_assert_int_eq(wren_result_array(&o, "m", &v), WREN_OK);
    ck_assert_int_eq(v.dtype, WREN_F64);
    ck_assert_int_eq(v.ndim, 2);
    ck_assert_uint_eq(v.shape[0], 2);
    ck_assert_uint_eq(v.shape[1], 3);
    ck_assert_uint_eq(v.size_bytes, 48);
    double back[6];
    memcpy(back, v.data, 48);
    ck_assert(back[5] == 6.0 && back[0] == 1.0);
    ck_assert_int_eq(wren_result_array(&o, "n", &v), WREN_EBADINPUT);
    ck_assert_int_eq(wren_result_array(&o, "zz", &v), WREN_ENOTFOUND);
    json_t *j = wren_msgpack_to_json(&o);
    json_object_del(j, "m");
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(text, "{\"list\":[true,null,\"ab\"],\"n\":-3,\"x\":2.5}");
    free(text);
    json_decref(j);
    msgpack_zone_destroy(&z);

    /* Sticky errors: a NULL string poisons the rest. */
    wren_args_reset(a);
    wren_args_array(a, 2);
    wren_args_str(a, NULL);
    wren_args_int(a, 1);
    ck_assert_int_eq(wren_args_status(a), WREN_EINVAL);
    wren_args_reset(a);
    ck_assert_int_eq(wren_args_json(a, "{\"k\": [1, 2.5, \"s\"]}", 20), WREN_OK);
    ck_assert_int_eq(wren_args_json(a, "{nope", 5), WREN_EBADINPUT);
    wren_args_destroy(a);
    wren_args_destroy(NULL);
}
END_TEST

/* ---- against the sink -------------------------------------------------------- */

START_TEST(test_map_sends_events_and_collects_results_in_order)
{
    fx f;
    fx_start(&f, NULL);
    wren_args *args[5];
    for (int i = 0; i < 5; i++)
        args[i] = s_int(i * 10);
    wren_future *fs[5];
    ck_assert_int_eq(wren_map(f.ex, "addone", (const wren_args *const *)args, 5, fs), WREN_OK);
    ck_assert_str_eq(wren_executor_job(f.ex), "jt");
    ck_assert_uint_eq(sdk_sink_count(&f.sink), 5);
    int seen[5] = {0};
    for (int i = 0; i < 5; i++) {
        json_t *ev = fx_event(&f, (size_t)i);
        ck_assert_int_eq(json_integer_value(json_object_get(ev, "wren")), 1);
        ck_assert_str_eq(json_string_value(json_object_get(ev, "kernel")), "addone");
        ck_assert_str_eq(json_string_value(json_object_get(ev, "job")), "jt");
        ck_assert_str_eq(json_string_value(json_object_get(ev, "store")), f.store_url);
        ck_assert_int_eq(json_integer_value(json_object_get(ev, "attempt")), 0);
        ck_assert(json_real_value(json_object_get(ev, "t_submit")) > 1.7e9);
        int call = atoi(json_string_value(json_object_get(ev, "call")));
        ck_assert(call >= 0 && call < 5 && !seen[call]);
        seen[call] = 1;
        char *a = s_event_args_json(ev);
        char want[16];
        snprintf(want, sizeof want, "%d", call * 10);
        ck_assert_str_eq(a, want);
        free(a);
        json_decref(ev);
    }
    ck_assert_int_eq(wren_future_state_of(fs[0]), WREN_FUTURE_PENDING);
    ck_assert_int_eq(wren_future_status(fs[0]), WREN_ESTATE);
    /* Outcomes land in reverse order; results come back by call. */
    for (int i = 4; i >= 0; i--) {
        wren_args *r = s_int(i * 10 + 1);
        fx_status(&f, (unsigned)i, 0, r, NULL, NULL);
        wren_args_destroy(r);
    }
    size_t done = 0;
    ck_assert_int_eq(wren_wait(f.ex, fs, 5, WREN_ALL_COMPLETED, 5000, &done), WREN_OK);
    ck_assert_uint_eq(done, 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(s_result_int(fs[i]), i * 10 + 1);
        char id[16];
        snprintf(id, sizeof id, "0000000%d", i);
        ck_assert_str_eq(wren_future_call_id(fs[i]), id);
        wren_timings tm;
        wren_future_timings(fs[i], &tm);
        ck_assert(tm.t_start == 10.0 && tm.t_kernel == 12.0 && tm.flops == 100.0 && tm.cold == 1);
        ck_assert(tm.t_submit > 1.7e9); /* the status had none: the host's own stays */
        char *js = wren_future_result_json(fs[i]);
        char want[16];
        snprintf(want, sizeof want, "%d", i * 10 + 1);
        ck_assert_str_eq(js, want);
        free(js);
        wren_args_destroy(args[i]);
    }
    fx_stop(&f);
}
END_TEST

START_TEST(test_wait_modes_always_any_all_and_timeout)
{
    fx f;
    fx_start(&f, NULL);
    wren_future *fs[3];
    ck_assert_int_eq(wren_map(f.ex, "echo", NULL, 3, fs), WREN_OK);
    size_t done = 99;
    ck_assert_int_eq(wren_wait(f.ex, fs, 3, WREN_ALWAYS, -1, &done), WREN_OK);
    ck_assert_uint_eq(done, 0);
    uint64_t t0 = wren_mono_ns();
    ck_assert_int_eq(wren_wait(f.ex, fs, 3, WREN_ANY_COMPLETED, 150, &done), WREN_ETIMEDOUT);
    uint64_t ms = (wren_mono_ns() - t0) / 1000000u;
    ck_assert(ms >= 150 && ms < 1500);
    wren_args *r = s_int(7);
    fx_status(&f, 1, 0, r, NULL, NULL);
    ck_assert_int_eq(wren_wait(f.ex, fs, 3, WREN_ANY_COMPLETED, 5000, &done), WREN_OK);
    ck_assert_uint_eq(done, 1);
    ck_assert_int_eq(wren_future_state_of(fs[1]), WREN_FUTURE_DONE);
    ck_assert_int_eq(wren_wait(f.ex, fs, 3, WREN_ALL_COMPLETED, 100, &done), WREN_ETIMEDOUT);
    ck_assert_uint_eq(done, 1);
    /* A result with a timeout on a pending future: ESTATE, still pending. */
    const msgpack_object *o;
    ck_assert_int_eq(wren_future_result(fs[0], 50, &o), WREN_ESTATE);
    ck_assert_ptr_null(o);
    fx_status(&f, 0, 0, r, NULL, NULL);
    fx_status(&f, 2, 0, r, NULL, NULL);
    ck_assert_int_eq(wren_future_result(fs[2], 5000, &o), WREN_OK);
    ck_assert_int_eq(o->via.i64, 7);
    ck_assert_int_eq(wren_wait(f.ex, fs, 3, WREN_ALL_COMPLETED, 5000, &done), WREN_OK);
    ck_assert_uint_eq(done, 3);
    /* Futures of another executor are refused. */
    ck_assert_int_eq(wren_wait(NULL, fs, 3, WREN_ALL_COMPLETED, 0, NULL), WREN_EINVAL);
    wren_args_destroy(r);
    fx_stop(&f);
}
END_TEST

typedef struct prog {
    size_t calls, done, failed, retried;
} prog;

static void s_on_progress(const wren_progress *p, void *user)
{
    prog *g = user;
    g->calls++;
    g->done = p->done;
    g->failed = p->failed;
    g->retried = p->retried;
}

START_TEST(test_duplicate_completion_never_overwrites_or_counts_twice)
{
    prog g = {0};
    wren_config c;
    wren_config_init(&c);
    c.progress = s_on_progress;
    c.progress_user = &g;
    fx f;
    fx_start(&f, &c);
    wren_future *fs[2];
    ck_assert_int_eq(wren_map(f.ex, "echo", NULL, 2, fs), WREN_OK);
    wren_args *good = s_int(1), *late = s_int(99);
    fx_status(&f, 0, 0, good, NULL, NULL);
    ck_assert_int_eq(wren_wait(f.ex, fs, 1, WREN_ALL_COMPLETED, 5000, NULL), WREN_OK);
    ck_assert_uint_eq(g.done, 1);
    /* The same call completes again (an async retry by the service), with a
     * different value, and then as a failure: neither changes anything. */
    fx_status(&f, 0, 0, late, NULL, NULL);
    fx_status(&f, 1, 0, good, NULL, NULL);
    ck_assert_int_eq(wren_wait(f.ex, fs, 2, WREN_ALL_COMPLETED, 5000, NULL), WREN_OK);
    fx_status(&f, 0, 1, NULL, "Wren.KernelCrash", "late crash");
    fx_status(&f, 1, 0, late, NULL, NULL);
    for (int i = 0; i < 5; i++)
        wren_wait(f.ex, fs, 2, WREN_ALWAYS, 0, NULL);
    ck_assert_int_eq(s_result_int(fs[0]), 1);
    ck_assert_int_eq(s_result_int(fs[1]), 1);
    ck_assert_uint_eq(g.done, 2);
    ck_assert_uint_eq(g.failed, 0);
    ck_assert_int_eq(wren_future_attempts(fs[0]), 1);
    ck_assert_uint_eq(sdk_sink_count(&f.sink), 2);
    wren_args_destroy(good);
    wren_args_destroy(late);
    fx_stop(&f);
}
END_TEST

START_TEST(test_crash_is_retried_and_a_stale_failure_ignored)
{
    prog g = {0};
    wren_config c;
    wren_config_init(&c);
    c.retries = 2;
    c.progress = s_on_progress;
    c.progress_user = &g;
    fx f;
    fx_start(&f, &c);
    wren_future *fu;
    wren_args *a = s_int(5);
    ck_assert_int_eq(wren_call_async(f.ex, "addone", a, &fu), WREN_OK);
    json_decref(fx_event(&f, 0));
    fx_status(&f, 0, 0, NULL, "Wren.KernelCrash", "kernel 'addone' killed by SIGSEGV");
    json_t *ev = fx_event(&f, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(ev, "attempt")), 1);
    char *args = s_event_args_json(ev);
    ck_assert_str_eq(args, "5");
    free(args);
    json_decref(ev);
    ck_assert_int_eq(wren_future_state_of(fu), WREN_FUTURE_PENDING);
    ck_assert_int_eq(wren_future_attempts(fu), 2);
    /* The attempt-0 status is still there: polling again must not fail the call. */
    for (int i = 0; i < 3; i++)
        wren_wait(f.ex, &fu, 1, WREN_ALWAYS, 0, NULL);
    ck_assert_int_eq(wren_future_state_of(fu), WREN_FUTURE_PENDING);
    wren_args *r = s_int(6);
    fx_status(&f, 0, 1, r, NULL, NULL);
    ck_assert_int_eq(wren_future_result(fu, 5000, NULL), WREN_OK);
    ck_assert_int_eq(s_result_int(fu), 6);
    ck_assert_uint_eq(g.retried, 1);
    ck_assert_uint_eq(g.done, 1);
    /* Retries run out: attempts 1 and 2 crash too, and the error stands. */
    wren_future *fu2;
    ck_assert_int_eq(wren_call_async(f.ex, "crash", NULL, &fu2), WREN_OK);
    for (int att = 0; att <= 2; att++) {
        json_t *e = fx_event(&f, 2 + (size_t)att);
        ck_assert_int_eq(json_integer_value(json_object_get(e, "attempt")), att);
        json_decref(e);
        fx_status(&f, 1, att, NULL, "Wren.KernelCrash", "killed by SIGSEGV");
    }
    ck_assert_int_eq(wren_future_result(fu2, 5000, NULL), WREN_ECRASH);
    ck_assert_int_eq(wren_future_attempts(fu2), 3);
    ck_assert_str_eq(wren_future_error_type(fu2), "Wren.KernelCrash");
    ck_assert_str_eq(wren_future_error_message(fu2), "killed by SIGSEGV");
    wren_args_destroy(a);
    wren_args_destroy(r);
    fx_stop(&f);
}
END_TEST

START_TEST(test_every_failure_kind_reaches_the_future_typed)
{
    wren_config c;
    wren_config_init(&c);
    c.retries = 3; /* deterministic errors are never retried */
    fx f;
    fx_start(&f, &c);
    static const struct {
        const char *type;
        int status;
    } kinds[] = {
        {"Wren.KernelError", WREN_EKERNEL},      {"Wren.UnknownKernel", WREN_EUNKNOWNKERNEL},
        {"Wren.BadInput", WREN_EBADINPUT},       {"Wren.BadEvent", WREN_EBADINPUT},
        {"Wren.SingularMatrix", WREN_EKERNEL},   {"Wren.OutputTooLarge", WREN_ETOOBIG},
    };
    enum { N = sizeof kinds / sizeof *kinds };
    wren_future *fs[N];
    ck_assert_int_eq(wren_map(f.ex, "k", NULL, N, fs), WREN_OK);
    for (unsigned i = 0; i < N; i++)
        fx_status(&f, i, 0, NULL, kinds[i].type, "what went wrong");
    ck_assert_int_eq(wren_wait(f.ex, fs, N, WREN_ALL_COMPLETED, 5000, NULL), WREN_OK);
    for (unsigned i = 0; i < N; i++) {
        ck_assert_int_eq(wren_future_state_of(fs[i]), WREN_FUTURE_FAILED);
        ck_assert_int_eq(wren_future_result(fs[i], 0, NULL), kinds[i].status);
        ck_assert_str_eq(wren_future_error_type(fs[i]), kinds[i].type);
        ck_assert_str_eq(wren_future_error_message(fs[i]), "what went wrong");
        ck_assert_str_eq(wren_future_log_tail(fs[i]), "tail line");
        ck_assert_int_eq(wren_future_attempts(fs[i]), 1);
        ck_assert_ptr_null(wren_future_result_bytes(fs[i], NULL));
    }
    ck_assert_uint_eq(sdk_sink_count(&f.sink), N);
    /* A malformed status object is a typed error too. */
    wren_future *bad;
    ck_assert_int_eq(wren_call_async(f.ex, "k", NULL, &bad), WREN_OK);
    ck_assert_int_eq(wren_store_put(f.st, "jt/00000006/status", "{\"ok\": 3}", 9), WREN_OK);
    ck_assert_int_eq(wren_future_result(bad, 5000, NULL), WREN_EPROTO);
    ck_assert_str_eq(wren_future_error_type(bad), "Wren.StoreError");
    fx_stop(&f);
}
END_TEST

START_TEST(test_client_deadline_gives_typed_timeout_naming_the_call)
{
    wren_config c;
    wren_config_init(&c);
    c.timeout_s = 0.3;
    c.deadline_slack_s = 0.2;
    fx f;
    fx_start(&f, &c);
    wren_future *fu;
    ck_assert_int_eq(wren_call_async(f.ex, "sleep_ms", NULL, &fu), WREN_OK);
    uint64_t t0 = wren_mono_ns();
    ck_assert_int_eq(wren_future_result(fu, -1, NULL), WREN_ETIMEDOUT);
    uint64_t ms = (wren_mono_ns() - t0) / 1000000u;
    ck_assert(ms >= 400 && ms < 3000);
    ck_assert_str_eq(wren_future_error_type(fu), "Wren.Timeout");
    ck_assert_ptr_nonnull(strstr(wren_future_error_message(fu), "call 00000000 (sleep_ms) of job jt"));
    /* A late result does not revive it. */
    wren_args *r = s_int(1);
    fx_status(&f, 0, 0, r, NULL, NULL);
    wren_wait(f.ex, &fu, 1, WREN_ALWAYS, 0, NULL);
    ck_assert_int_eq(wren_future_state_of(fu), WREN_FUTURE_FAILED);
    wren_args_destroy(r);
    fx_stop(&f);
}
END_TEST

START_TEST(test_cancel_settles_pending_and_ignores_late_outcome)
{
    prog g = {0};
    wren_config c;
    wren_config_init(&c);
    c.progress = s_on_progress;
    c.progress_user = &g;
    fx f;
    fx_start(&f, &c);
    wren_future *fs[2];
    ck_assert_int_eq(wren_map(f.ex, "echo", NULL, 2, fs), WREN_OK);
    ck_assert_int_eq(wren_future_cancel(fs[0]), WREN_OK);
    ck_assert_int_eq(wren_future_cancel(fs[0]), WREN_ESTATE);
    ck_assert_int_eq(wren_future_state_of(fs[0]), WREN_FUTURE_CANCELLED);
    ck_assert_int_eq(wren_future_result(fs[0], 0, NULL), WREN_ECANCELLED);
    ck_assert_str_eq(wren_future_error_type(fs[0]), "Wren.Cancelled");
    ck_assert_uint_eq(g.failed, 1);
    wren_args *r = s_int(3);
    fx_status(&f, 0, 0, r, NULL, NULL);
    fx_status(&f, 1, 0, r, NULL, NULL);
    ck_assert_int_eq(wren_wait(f.ex, fs, 2, WREN_ALL_COMPLETED, 5000, NULL), WREN_OK);
    ck_assert_int_eq(wren_future_state_of(fs[0]), WREN_FUTURE_CANCELLED);
    ck_assert_int_eq(s_result_int(fs[1]), 3);
    ck_assert_uint_eq(g.done, 1);
    ck_assert_int_eq(wren_future_cancel(fs[1]), WREN_ESTATE);
    wren_args_destroy(r);
    fx_stop(&f);
}
END_TEST

START_TEST(test_inline_threshold_moves_big_args_to_the_store)
{
    wren_config c;
    wren_config_init(&c);
    c.inline_threshold_bytes = 100;
    fx f;
    fx_start(&f, &c);
    char small[40], big[400];
    memset(small, 's', sizeof small);
    memset(big, 'b', sizeof big);
    wren_args *a[2] = {wren_args_new(), wren_args_new()};
    wren_args_bin(a[0], small, sizeof small);
    wren_args_bin(a[1], big, sizeof big);
    wren_future *fs[2];
    ck_assert_int_eq(wren_map(f.ex, "echo", (const wren_args *const *)a, 2, fs), WREN_OK);
    for (size_t i = 0; i < 2; i++) {
        json_t *ev = fx_event(&f, i);
        const char *call = json_string_value(json_object_get(ev, "call"));
        if (!strcmp(call, "00000000")) {
            ck_assert_ptr_nonnull(json_object_get(ev, "args_b64"));
            ck_assert_ptr_null(json_object_get(ev, "input"));
        } else {
            ck_assert_ptr_null(json_object_get(ev, "args_b64"));
            ck_assert_str_eq(json_string_value(json_object_get(ev, "input")), "jt/00000001/in");
        }
        json_decref(ev);
    }
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren_store_get(f.st, "jt/00000001/in", &b), WREN_OK);
    size_t n;
    const char *d = wren_args_data(a[1], &n);
    ck_assert_uint_eq(b.len, n);
    ck_assert(memcmp(b.data, d, n) == 0);
    ck_assert_int_eq(wren_store_head(f.st, "jt/00000000/in", NULL), WREN_ENOTFOUND);
    /* A big result comes back through result_key. */
    ck_assert_int_eq(wren_store_put(f.st, "jt/00000001/out", d, n), WREN_OK);
    const char *st = "{\"wren\":1,\"ok\":true,\"attempt\":0,\"result_key\":\"jt/00000001/out\",\"t_start\":1}";
    ck_assert_int_eq(wren_store_put(f.st, "jt/00000001/status", st, strlen(st)), WREN_OK);
    const msgpack_object *o;
    ck_assert_int_eq(wren_future_result(fs[1], 5000, &o), WREN_OK);
    ck_assert_int_eq(o->type, MSGPACK_OBJECT_BIN);
    ck_assert_uint_eq(o->via.bin.size, sizeof big);
    /* A result_key pointing elsewhere is refused, not followed. */
    st = "{\"wren\":1,\"ok\":true,\"result_key\":\"jt/00000001/out\"}";
    ck_assert_int_eq(wren_store_put(f.st, "jt/00000000/status", st, strlen(st)), WREN_OK);
    ck_assert_int_eq(wren_future_result(fs[0], 5000, NULL), WREN_ESTORE);
    wren_buf_clean_up(&b);
    wren_args_destroy(a[0]);
    wren_args_destroy(a[1]);
    fx_stop(&f);
}
END_TEST

START_TEST(test_map_reduce_invokes_reducer_over_all_results)
{
    fx f;
    fx_start(&f, NULL);
    wren_args *args[3] = {s_int(1), s_int(2), s_int(3)};
    wren_args *extra = s_int(5);
    wren_future *fs[3], *red;
    ck_assert_int_eq(wren_map_reduce(f.ex, "addone", (const wren_args *const *)args, 3, "sum", extra, fs, &red),
                     WREN_OK);
    ck_assert_str_eq(wren_future_call_id(red), "00000003");
    ck_assert_str_eq(wren_future_kernel(red), "sum");
    for (unsigned i = 0; i < 3; i++) {
        wren_args *r = s_int(i + 2);
        fx_status(&f, i, 0, r, NULL, NULL);
        wren_args_destroy(r);
    }
    json_t *ev = fx_event(&f, 3);
    ck_assert_str_eq(json_string_value(json_object_get(ev, "kernel")), "sum");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "call")), "00000003");
    char *a = s_event_args_json(ev);
    ck_assert_str_eq(a, "{\"extra\":5,\"results\":[2,3,4]}");
    free(a);
    json_decref(ev);
    wren_args *r = s_int(9);
    fx_status(&f, 3, 0, r, NULL, NULL);
    ck_assert_int_eq(s_result_int(red), 9);
    wren_args_destroy(r);

    /* A failed map call fails the reducer, naming it, and it is never invoked. */
    wren_future *red2;
    ck_assert_int_eq(wren_map_reduce(f.ex, "addone", (const wren_args *const *)args, 2, "sum", NULL, NULL, &red2),
                     WREN_OK);
    r = s_int(1);
    fx_status(&f, 4, 0, r, NULL, NULL);
    fx_status(&f, 5, 0, NULL, "Wren.BadInput", "not a number");
    ck_assert_int_eq(wren_future_result(red2, 5000, NULL), WREN_EBADINPUT);
    ck_assert_str_eq(wren_future_error_type(red2), "Wren.BadInput");
    ck_assert_str_eq(wren_future_error_message(red2), "map call 00000005 failed: Wren.BadInput: not a number");
    ck_assert_uint_eq(sdk_sink_count(&f.sink), 6);
    for (int i = 0; i < 3; i++)
        wren_args_destroy(args[i]);
    wren_args_destroy(extra);
    wren_args_destroy(r);
    fx_stop(&f);
}
END_TEST

START_TEST(test_invoke_throttling_is_retried_and_rejection_fails_typed)
{
    fx f;
    fx_start(&f, NULL);
    f.sink.fail_first = 3;
    f.sink.fail_code = 429;
    wren_future *fu;
    ck_assert_int_eq(wren_call_async(f.ex, "echo", NULL, &fu), WREN_OK);
    ck_assert_uint_eq(sdk_sink_count(&f.sink), 1); /* accepted on the fourth try */
    ck_assert_int_eq(wren_future_state_of(fu), WREN_FUTURE_PENDING);
    f.sink.fail_first = 1;
    f.sink.fail_code = 404;
    ck_assert_int_eq(wren_call_async(f.ex, "echo", NULL, &fu), WREN_OK);
    ck_assert_int_eq(wren_future_state_of(fu), WREN_FUTURE_FAILED);
    ck_assert_int_eq(wren_future_result(fu, 0, NULL), WREN_ENOTFOUND);
    ck_assert_str_eq(wren_future_error_type(fu), "Wren.InvokeError");
    ck_assert_ptr_nonnull(strstr(wren_future_error_message(fu), "HTTP 404"));
    ck_assert_int_eq(wren_call_async(f.ex, "../etc", NULL, &fu), WREN_EINVAL);
    fx_stop(&f);
}
END_TEST

START_TEST(test_keep_data_writes_manifest_readable_as_a_job)
{
    wren_config c;
    wren_config_init(&c);
    c.keep_data = 1;
    fx f;
    fx_start(&f, &c);
    wren_future *fs[2];
    ck_assert_int_eq(wren_map(f.ex, "addone", NULL, 2, fs), WREN_OK);
    wren_args *r = s_int(4);
    fx_status(&f, 0, 0, r, NULL, NULL);
    ck_assert_int_eq(wren_future_result(fs[0], 5000, NULL), WREN_OK);
    ck_assert_int_eq(wren_future_cancel(fs[1]), WREN_OK);
    wren_executor_destroy(f.ex);
    f.ex = NULL;
    wren__job *job = NULL;
    char err[256];
    ck_assert_int_eq(wren__job_load(f.store_url, "jt", 1, &job, err, sizeof err), WREN_OK);
    ck_assert_uint_eq(job->n_calls, 2);
    ck_assert_int_eq(job->has_manifest, 1);
    ck_assert_int_eq(job->calls[0].state, WREN_FUTURE_DONE);
    ck_assert_str_eq(job->calls[0].kernel, "addone");
    ck_assert_uint_eq(job->calls[0].result_len, 1);
    ck_assert_int_eq(job->calls[0].result[0], 4);
    ck_assert_int_eq(job->calls[1].state, WREN_FUTURE_CANCELLED);
    ck_assert_str_eq(job->calls[1].error_type, "Wren.Cancelled");
    wren__job_destroy(job);
    ck_assert_int_eq(wren__job_load(f.store_url, "nojob", 1, &job, err, sizeof err), WREN_ENOTFOUND);
    ck_assert_int_eq(wren__job_load(f.store_url, "../x", 1, &job, err, sizeof err), WREN_EINVAL);
    wren_args_destroy(r);
    fx_stop(&f);
}
END_TEST

/* Each attempt writes its own status (and out) object: the executor finds a
 * retry's result at status.N and out.N, and still takes a status of any
 * attempt at JOB/CALL/status from a worker that predates per-attempt keys. */
START_TEST(test_each_attempt_has_its_own_outcome_keys)
{
    wren_config c;
    wren_config_init(&c);
    c.retries = 2;
    fx f;
    fx_start(&f, &c);
    wren_future *fs[2];
    ck_assert_int_eq(wren_map(f.ex, "addone", NULL, 2, fs), WREN_OK);
    json_decref(fx_event(&f, 0));
    json_decref(fx_event(&f, 1));
    /* Call 0: attempt 0 crashes; attempt 1 succeeds with a result in out.1. */
    fx_status(&f, 0, 0, NULL, "Wren.KernelCrash", "kernel 'addone' died of SIGSEGV (signal 11)");
    json_t *ev = fx_event(&f, 2);
    ck_assert_int_eq(json_integer_value(json_object_get(ev, "attempt")), 1);
    json_decref(ev);
    ck_assert_int_eq(wren_store_put(f.st, "jt/00000000/out.1", "\x07", 1), WREN_OK);
    const char *st1 = "{\"wren\":1,\"job\":\"jt\",\"call\":\"00000000\",\"attempt\":1,\"kernel\":\"addone\","
                      "\"ok\":true,\"result_key\":\"jt/00000000/out.1\",\"result_bytes\":1,\"flops\":0,"
                      "\"t_start\":10.0,\"t_written\":11.0,\"instance\":\"i-1\",\"cold\":false}";
    ck_assert_int_eq(wren_store_put(f.st, "jt/00000000/status.1", st1, strlen(st1)), WREN_OK);
    ck_assert_int_eq(wren_future_result(fs[0], 5000, NULL), WREN_OK);
    ck_assert_int_eq(s_result_int(fs[0]), 7);
    ck_assert_int_eq(wren_future_attempts(fs[0]), 2);
    /* Call 1: attempt 0 crashes; a legacy worker writes attempt 1 over status. */
    fx_status(&f, 1, 0, NULL, "Wren.KernelCrash", "kernel 'addone' died of SIGSEGV (signal 11)");
    json_decref(fx_event(&f, 3));
    wren_args *r = s_int(8);
    fx_status_at(&f, 1, 1, 0, r, NULL, NULL);
    ck_assert_int_eq(wren_future_result(fs[1], 5000, NULL), WREN_OK);
    ck_assert_int_eq(s_result_int(fs[1]), 8);
    ck_assert_uint_eq(sdk_sink_count(&f.sink), 4);
    wren_args_destroy(r);
    fx_stop(&f);
}
END_TEST

/* A kept job read back shows what the executor returned whichever attempt
 * wrote last: a success beats any failure, of two successes the earlier
 * attempt's, of two failures the latest's; the cost counts every attempt. */
START_TEST(test_kept_job_shows_the_outcome_the_executor_took)
{
    wren_config c;
    wren_config_init(&c);
    fx f;
    fx_start(&f, &c);
    wren_args *one = s_int(1), *two = s_int(2), *ten = s_int(10);
    /* 0: a success, then a backup that failed later */
    fx_status(&f, 0, 0, one, NULL, NULL);
    fx_status(&f, 0, 1, NULL, "Sandbox.Timedout", "Task timed out after 2.00 seconds");
    /* 1: a crash, then a retry that succeeded */
    fx_status(&f, 1, 0, NULL, "Wren.KernelCrash", "died");
    fx_status(&f, 1, 1, two, NULL, NULL);
    /* 2: two failures: the latest attempt's stands */
    fx_status(&f, 2, 0, NULL, "Wren.KernelCrash", "died");
    fx_status(&f, 2, 1, NULL, "Wren.OutOfMemory", "again");
    /* 3: successes of attempts 10 and 2 (status.10 lists before status.2) */
    fx_status(&f, 3, 10, ten, NULL, NULL);
    fx_status(&f, 3, 2, two, NULL, NULL);
    /* 4: an unreadable status of a backup does not hide attempt 0's success */
    fx_status(&f, 4, 0, one, NULL, NULL);
    ck_assert_int_eq(wren_store_put(f.st, "jt/00000004/status.1", "{", 1), WREN_OK);
    wren__job *job = NULL;
    char err[256];
    ck_assert_int_eq(wren__job_load(f.store_url, "jt", 1, &job, err, sizeof err), WREN_OK);
    ck_assert_uint_eq(job->n_calls, 5);
    const int state[5] = {WREN_FUTURE_DONE, WREN_FUTURE_DONE, WREN_FUTURE_FAILED, WREN_FUTURE_DONE, WREN_FUTURE_DONE};
    const int value[5] = {1, 2, -1, 2, 1}, shown[5] = {0, 1, 1, 2, 0}, max[5] = {1, 1, 1, 10, 1};
    for (int i = 0; i < 5; i++) {
        wren__job_call *jc = &job->calls[i];
        ck_assert_msg(jc->state == state[i], "call %d: state %d", i, jc->state);
        ck_assert_msg(jc->attempt == shown[i], "call %d: attempt %d shown", i, jc->attempt);
        ck_assert_msg(jc->attempt_max == max[i], "call %d: attempt_max %d", i, jc->attempt_max);
        if (value[i] >= 0) {
            ck_assert_uint_eq(jc->result_len, 1);
            ck_assert_int_eq(jc->result[0], value[i]);
            ck_assert_ptr_null(jc->error_type);
        } else {
            ck_assert_ptr_null(jc->result);
            ck_assert_str_eq(jc->error_type, "Wren.OutOfMemory");
            ck_assert_str_eq(jc->error_message, "again");
        }
    }
    wren__job_destroy(job);
    wren_args_destroy(one);
    wren_args_destroy(two);
    wren_args_destroy(ten);
    fx_stop(&f);
}
END_TEST

START_TEST(test_outcomes_found_anywhere_in_a_big_job)
{
    fx f;
    fx_start(&f, NULL);
    enum { N = 2500 };
    wren_future **fs = calloc(N, sizeof *fs);
    ck_assert_int_eq(wren_map(f.ex, "echo", NULL, N, fs), WREN_OK);
    ck_assert_uint_eq(sdk_sink_count(&f.sink), N);
    /* Out of order, in different 100- and 1,000-id stretches, one far past
     * any window: each is found (the last by a full sweep). */
    const unsigned calls[] = {2499, 1234, 0, 999, 1000, 2100};
    wren_future *some[6];
    for (int i = 0; i < 6; i++) {
        wren_args *r = s_int((int64_t)calls[i]);
        fx_status(&f, calls[i], 0, r, NULL, NULL);
        wren_args_destroy(r);
        some[i] = fs[calls[i]];
    }
    ck_assert_int_eq(wren_wait(f.ex, some, 6, WREN_ALL_COMPLETED, 10000, NULL), WREN_OK);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(s_result_int(some[i]), calls[i]);
    size_t done = 0;
    ck_assert_int_eq(wren_wait(f.ex, fs, N, WREN_ALWAYS, 0, &done), WREN_OK);
    ck_assert_uint_eq(done, 6);
    free(fs);
    fx_stop(&f);
}
END_TEST


/* A round lists from the first pending call on and stops at the end of
 * the pending range: a job finished up to a few stragglers is found in one
 * LIST, settled calls are not fetched again, and stragglers far behind
 * (one with an input object, whose "in" key sorts before its status) are
 * still found. */
START_TEST(test_polling_lists_each_finished_call_once)
{
    fx f;
    wren_config c;
    wren_config_init(&c);
    c.inline_threshold_bytes = 64; /* call 7's argument goes to JOB/CALL/in */
    fx_start(&f, &c);
    enum { N = 3000 };
    wren_future **fs = calloc(N, sizeof *fs);
    wren_args **args = calloc(N, sizeof *args);
    for (int i = 0; i < N; i++) {
        args[i] = wren_args_new();
        if (i == 7) {
            char big[200];
            memset(big, 'a', sizeof big - 1);
            big[sizeof big - 1] = '\0';
            wren_args_str(args[i], big);
        } else {
            wren_args_int(args[i], i);
        }
    }
    ck_assert_int_eq(wren_map(f.ex, "echo", (const wren_args *const *)args, N, fs), WREN_OK);
    ck_assert_int_eq(wren_store_head(f.st, "jt/00000007/in", NULL), WREN_OK);
    const unsigned late[] = {7, 1500, 2999};
    for (unsigned i = 0; i < N; i++) {
        if (i == late[0] || i == late[1] || i == late[2])
            continue;
        wren_args *r = s_int((int64_t)i);
        fx_status(&f, i, 0, r, NULL, NULL);
        wren_args_destroy(r);
    }
    size_t done = 0;
    ck_assert_int_eq(wren_wait(f.ex, fs, N, WREN_ALWAYS, 0, &done), WREN_OK);
    ck_assert_uint_eq(done, N - 3);
    uint64_t rounds = 0, lists = 0, gets = 0;
    wren__executor_poll_counts(f.ex, &rounds, &lists, &gets);
    ck_assert_uint_eq(rounds, 1);
    ck_assert_uint_eq(lists, 1);
    ck_assert_uint_eq(gets, N - 3);
    /* Nothing new: a round fetches nothing again. */
    ck_assert_int_eq(wren_wait(f.ex, fs, N, WREN_ALWAYS, 0, &done), WREN_OK);
    wren__executor_poll_counts(f.ex, &rounds, NULL, &gets);
    ck_assert_uint_eq(gets, N - 3);
    ck_assert_uint_eq(done, N - 3);
    for (int i = 2; i >= 0; i--) {
        wren_args *r = s_int((int64_t)late[i]);
        fx_status(&f, late[i], 0, r, NULL, NULL);
        wren_args_destroy(r);
    }
    ck_assert_int_eq(wren_wait(f.ex, fs, N, WREN_ALL_COMPLETED, 10000, &done), WREN_OK);
    ck_assert_uint_eq(done, N);
    wren__executor_poll_counts(f.ex, NULL, NULL, &gets);
    ck_assert_uint_eq(gets, N); /* each status read once */
    for (int i = 0; i < N; i++) {
        if (i != 7)
            ck_assert_int_eq(s_result_int(fs[i]), i);
        wren_args_destroy(args[i]);
    }
    free(args);
    free(fs);
    fx_stop(&f);
}
END_TEST

START_TEST(test_interrupt_ends_waits_at_once)
{
    fx f;
    fx_start(&f, NULL);
    wren_future *fu;
    ck_assert_int_eq(wren_call_async(f.ex, "echo", NULL, &fu), WREN_OK);
    wren_executor_interrupt(f.ex);
    uint64_t t0 = wren_mono_ns();
    ck_assert_int_eq(wren_wait(f.ex, &fu, 1, WREN_ALL_COMPLETED, -1, NULL), WREN_ECANCELLED);
    ck_assert_int_eq(wren_future_result(fu, -1, NULL), WREN_ECANCELLED);
    ck_assert_uint_lt((wren_mono_ns() - t0) / 1000000u, 100);
    ck_assert_int_eq(wren_future_state_of(fu), WREN_FUTURE_PENDING);
    ck_assert_int_eq(wren_map(f.ex, "echo", NULL, 1, &fu), WREN_ECANCELLED);
    fx_stop(&f);
}
END_TEST

START_TEST(test_plots_write_svg)
{
    wren__plot_call c[3] = {{100, 100.1, 100.2, 101, 101.1, 2e9, 1},
                            {100, 100.2, 100.3, 101.5, 101.6, 2e9, 1},
                            {100.1, 100.5, 100.6, 102, 102.1, 2e9, 1}};
    char dir[] = "/tmp/wren-check-plot-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char p1[128], p2[128];
    snprintf(p1, sizeof p1, "%s/t.svg", dir);
    snprintf(p2, sizeof p2, "%s/g.svg", dir);
    ck_assert_int_eq(wren__plot_timeline(c, 3, "job <x>", p1), WREN_OK);
    ck_assert_int_eq(wren__plot_gflops(c, 3, "job", p2), WREN_OK);
    ck_assert_int_eq(wren__plot_timeline(c, 0, "job", p1), WREN_EINVAL);
    FILE *fp = fopen(p1, "r");
    char buf[4096] = {0};
    ck_assert_uint_gt(fread(buf, 1, sizeof buf - 1, fp), 100);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(buf, "<svg"));
    ck_assert_ptr_nonnull(strstr(buf, "job &lt;x&gt;"));
    ck_assert_ptr_nonnull(strstr(buf, "Timeline of 3 calls"));
    wren__remove_tree(dir);
}
END_TEST

/* ---- the embedded local default, for real -------------------------------------- */

#ifdef WREN_TEST_HAVE_WORKERS

/* Children of this process, by /proc (to prove none are left behind). */
static int s_children(void)
{
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    pid_t me = getpid();
    while (d && (e = readdir(d))) {
        char path[300], buf[512];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t r = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[r] = '\0';
        char *close = strrchr(buf, ')');
        int ppid = 0;
        char state;
        if (close && sscanf(close + 2, "%c %d", &state, &ppid) == 2 && ppid == me && state != 'Z')
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

static wren_executor *s_local(double timeout_s, int retries)
{
    wren_config c;
    wren_config_init(&c);
    c.concurrency = 2;
    c.timeout_s = timeout_s;
    c.deadline_slack_s = 3;
    c.retries = retries;
    c.quiet = 1;
    wren_executor *ex = NULL;
    int rc = wren_executor_new(&c, &ex);
    ck_assert_msg(rc == WREN_OK, "executor: %s", wren_last_error());
    return ex;
}

START_TEST(test_local_default_maps_addone_and_leaves_nothing)
{
    wren_executor *ex = NULL;
    ck_assert_int_eq(wren_executor_new(NULL, &ex), WREN_OK);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", wren_executor_store_url(ex) + 7);
    struct stat st;
    ck_assert_int_eq(stat(dir, &st), 0);
    wren_args *args[10];
    for (int i = 0; i < 10; i++)
        args[i] = s_int(i);
    wren_future *fs[10];
    ck_assert_int_eq(wren_map(ex, "addone", (const wren_args *const *)args, 10, fs), WREN_OK);
    ck_assert_int_eq(wren_wait(ex, fs, 10, WREN_ALL_COMPLETED, 30000, NULL), WREN_OK);
    for (int i = 0; i < 10; i++) {
        ck_assert_int_eq(s_result_int(fs[i]), i + 1);
        wren_timings tm;
        wren_future_timings(fs[i], &tm);
        ck_assert(tm.t_submit > 0 && tm.t_start >= tm.t_submit - 0.01 && tm.t_setup >= tm.t_start &&
                  tm.t_kernel >= tm.t_setup && tm.t_written >= tm.t_kernel);
        wren_args_destroy(args[i]);
    }
    ck_assert_int_gt(s_children(), 0);
    wren_executor_destroy(ex);
    ck_assert_int_eq(s_children(), 0);
    /* The temporary store's parent directory is gone too. */
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    ck_assert_int_ne(stat(dir, &st), 0);
}
END_TEST


START_TEST(test_local_missing_bootstrap_fails_clearly_and_cleanly)
{
    char tmp[] = "/tmp/wren-check-nobs-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    setenv("TMPDIR", tmp, 1);
    setenv("WREN_BOOTSTRAP", "/nonexistent/bootstrap", 1);
    wren_executor *ex = (wren_executor *)1;
    ck_assert_int_eq(wren_executor_new(NULL, &ex), WREN_ENOTFOUND);
    ck_assert_ptr_null(ex);
    ck_assert_ptr_nonnull(strstr(wren_last_error(), "WREN_BOOTSTRAP"));
    unsetenv("WREN_BOOTSTRAP");
    /* The temporary store it had made is gone again. */
    DIR *d = opendir(tmp);
    struct dirent *e;
    int entries = 0;
    while ((e = readdir(d)))
        entries += e->d_name[0] != '.';
    closedir(d);
    ck_assert_int_eq(entries, 0);
    rmdir(tmp);
    unsetenv("TMPDIR");
}
END_TEST

START_TEST(test_local_every_failure_kind)
{
    wren_executor *ex = s_local(2, 0);
    const char *kernels[] = {"fail", "no_such_kernel", "addone", "crash", "sleep_ms"};
    const char *json[] = {"{\"type\": \"SingularMatrix\", \"message\": \"det is 0\"}", "1", "\"text\"",
                          "{\"how\": \"segv\"}", "{\"ms\": 5000}"};
    const int want[] = {WREN_EKERNEL, WREN_EUNKNOWNKERNEL, WREN_EBADINPUT, WREN_ECRASH, WREN_ETIMEDOUT};
    wren_future *fs[5];
    for (int i = 0; i < 5; i++) {
        wren_args *a = wren_args_new();
        ck_assert_int_eq(wren_args_json(a, json[i], strlen(json[i])), WREN_OK);
        ck_assert_int_eq(wren_call_async(ex, kernels[i], a, &fs[i]), WREN_OK);
        wren_args_destroy(a);
    }
    ck_assert_int_eq(wren_wait(ex, fs, 5, WREN_ALL_COMPLETED, 30000, NULL), WREN_OK);
    for (int i = 0; i < 5; i++) {
        ck_assert_msg(wren_future_status(fs[i]) == want[i], "%s: %s %s: %s", kernels[i],
                      wren_status_name(wren_future_status(fs[i])), wren_future_error_type(fs[i]),
                      wren_future_error_message(fs[i]));
    }
    ck_assert_str_eq(wren_future_error_type(fs[0]), "Wren.SingularMatrix");
    ck_assert_str_eq(wren_future_error_message(fs[0]), "det is 0");
    ck_assert_str_eq(wren_future_error_type(fs[1]), "Wren.UnknownKernel");
    ck_assert_str_eq(wren_future_error_type(fs[2]), "Wren.BadInput");
    ck_assert_str_eq(wren_future_error_type(fs[3]), "Wren.KernelCrash");
    ck_assert_ptr_nonnull(strstr(wren_future_error_message(fs[3]), "SIGSEGV"));
    /* The pool recovers: a good call after all that. */
    wren_future *ok;
    wren_args *a = s_int(41);
    ck_assert_int_eq(wren_call_async(ex, "addone", a, &ok), WREN_OK);
    ck_assert_int_eq(wren_future_result(ok, 20000, NULL), WREN_OK);
    ck_assert_int_eq(s_result_int(ok), 42);
    wren_args_destroy(a);
    wren_executor_destroy(ex);
}
END_TEST

START_TEST(test_local_big_args_and_results_round_trip_through_the_store)
{
    wren_executor *ex = s_local(20, 0);
    size_t n = 300 * 1024; /* past both the 256 KiB inline threshold and the 64 KiB inline result */
    char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)(i * 7);
    wren_args *a = wren_args_new();
    wren_args_bin(a, big, n);
    wren_future *fu;
    ck_assert_int_eq(wren_call_async(ex, "echo", a, &fu), WREN_OK);
    const msgpack_object *o;
    ck_assert_int_eq(wren_future_result(fu, 20000, &o), WREN_OK);
    ck_assert_int_eq(o->type, MSGPACK_OBJECT_BIN);
    ck_assert_uint_eq(o->via.bin.size, n);
    ck_assert(memcmp(o->via.bin.ptr, big, n) == 0);
    wren_args_destroy(a);
    free(big);
    wren_executor_destroy(ex);
}
END_TEST

START_TEST(test_local_retries_a_crash_then_reports_it)
{
    wren_executor *ex = s_local(10, 1);
    wren_args *a = wren_args_new();
    wren_args_json(a, "{\"how\": \"abort\"}", 16);
    wren_future *fu;
    ck_assert_int_eq(wren_call_async(ex, "crash", a, &fu), WREN_OK);
    ck_assert_int_eq(wren_future_result(fu, 30000, NULL), WREN_ECRASH);
    ck_assert_int_eq(wren_future_attempts(fu), 2);
    ck_assert_ptr_nonnull(strstr(wren_future_error_message(fu), "SIGABRT"));
    wren_args_destroy(a);
    wren_executor_destroy(ex);
}
END_TEST

START_TEST(test_local_map_reduce_with_echo_reducer)
{
    wren_executor *ex = s_local(20, 0);
    wren_args *args[4];
    for (int i = 0; i < 4; i++)
        args[i] = s_int(i);
    wren_future *red;
    ck_assert_int_eq(wren_map_reduce(ex, "addone", (const wren_args *const *)args, 4, "echo", NULL, NULL, &red),
                     WREN_OK);
    ck_assert_int_eq(wren_future_result(red, 30000, NULL), WREN_OK);
    char *js = wren_future_result_json(red);
    ck_assert_str_eq(js, "{\"results\":[1,2,3,4],\"extra\":null}");
    free(js);
    for (int i = 0; i < 4; i++)
        wren_args_destroy(args[i]);
    wren_executor_destroy(ex);
}
END_TEST
#endif

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    Suite *s = suite_create("sdk");
    TCase *tc = tcase_create("sink");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_args_builders_pack_exact_msgpack);
    tcase_add_test(tc, test_map_sends_events_and_collects_results_in_order);
    tcase_add_test(tc, test_wait_modes_always_any_all_and_timeout);
    tcase_add_test(tc, test_duplicate_completion_never_overwrites_or_counts_twice);
    tcase_add_test(tc, test_crash_is_retried_and_a_stale_failure_ignored);
    tcase_add_test(tc, test_every_failure_kind_reaches_the_future_typed);
    tcase_add_test(tc, test_client_deadline_gives_typed_timeout_naming_the_call);
    tcase_add_test(tc, test_cancel_settles_pending_and_ignores_late_outcome);
    tcase_add_test(tc, test_inline_threshold_moves_big_args_to_the_store);
    tcase_add_test(tc, test_map_reduce_invokes_reducer_over_all_results);
    tcase_add_test(tc, test_invoke_throttling_is_retried_and_rejection_fails_typed);
    tcase_add_test(tc, test_keep_data_writes_manifest_readable_as_a_job);
    tcase_add_test(tc, test_each_attempt_has_its_own_outcome_keys);
    tcase_add_test(tc, test_kept_job_shows_the_outcome_the_executor_took);
    tcase_add_test(tc, test_outcomes_found_anywhere_in_a_big_job);
    tcase_add_test(tc, test_polling_lists_each_finished_call_once);
    tcase_add_test(tc, test_interrupt_ends_waits_at_once);
    tcase_add_test(tc, test_plots_write_svg);
    suite_add_tcase(s, tc);
#ifdef WREN_TEST_HAVE_WORKERS
    TCase *tl = tcase_create("local");
    tcase_set_timeout(tl, 120);
    tcase_add_test(tl, test_local_default_maps_addone_and_leaves_nothing);
    tcase_add_test(tl, test_local_missing_bootstrap_fails_clearly_and_cleanly);
    tcase_add_test(tl, test_local_every_failure_kind);
    tcase_add_test(tl, test_local_big_args_and_results_round_trip_through_the_store);
    tcase_add_test(tl, test_local_retries_a_crash_then_reports_it);
    tcase_add_test(tl, test_local_map_reduce_with_echo_reducer);
    suite_add_tcase(s, tl);
#endif
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
