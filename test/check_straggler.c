/* check_straggler: speculative backups (sdk/straggler.c). The pure rule with
 * exact values, then real workers: 40 calls of 50 ms and 3 that take 3,000 ms
 * on their first attempt only (test/straggler_kernel_fixture.c, loaded via
 * _HANDLER), run side by side with speculation off and on. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdk_internal.h"

#define S_FAST 40
#define S_SLOW 3
#define S_N (S_FAST + S_SLOW)
#define S_SLOW_MS 3000

START_TEST(rule_exact)
{
    /* Finished: 1, 2, 3, 4 s (median 2.5); pending: 4.9, 5.1 s; one not eligible. */
    wren__spec_call c[7] = {{1, -1}, {2, -1}, {3, -1}, {4, -1}, {-1, 4.9}, {-1, 5.1}, {-1, -1}};
    unsigned char want[7];
    memset(want, 9, sizeof want);
    ck_assert_uint_eq(wren__stragglers(c, 7, 2.0, 0.5, want), 1);
    ck_assert_mem_eq(want, "\0\0\0\0\0\1\0", 7);
    /* 4 of 7 finished is under 0.6: no backups yet. */
    ck_assert_uint_eq(wren__stragglers(c, 7, 2.0, 0.6, want), 0);
    /* factor 1.9: 4.9 > 4.75 too. */
    ck_assert_uint_eq(wren__stragglers(c, 7, 1.9, 0.5, want), 2);
    /* Off. */
    ck_assert_uint_eq(wren__stragglers(c, 7, 0, 0.5, want), 0);
    double v[4] = {4, 1, 3, 2};
    ck_assert_double_eq(wren__median(v, 4), 2.5);
    ck_assert_double_eq(wren__median(v, 3), 2);
}
END_TEST

/* Made and removed by the parent process (an unchecked fixture), so a
 * failing test, which ends its forked child at once, leaves no directory. */
static char s_root[256];

static void s_setup(void)
{
    snprintf(s_root, sizeof s_root, "/tmp/check_straggler-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s_root));
}

static void s_teardown(void)
{
    wren__remove_tree(s_root);
}

typedef struct s_counts {
    size_t done, failed, calls;
} s_counts;

static void s_progress(const wren_progress *p, void *user)
{
    s_counts *c = user;
    c->done = p->done;
    c->failed = p->failed;
    c->calls++;
}

/* One job; returns its makespan (map to all results) in seconds. */
static double s_run(double factor, int *backups, uint64_t *requests)
{
    char dir[400];
    snprintf(dir, sizeof dir, "%s/run-XXXXXX", s_root);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    s_counts counts = {0};
    wren_config cfg;
    wren_config_init(&cfg);
    cfg.handler = "libwren_test_straggler_kernels.so";
    cfg.task_root = WREN_TEST_STRAGGLER_DIR;
    cfg.concurrency = 8; /* sleeping kernels: more workers than cores is fine */
    cfg.quiet = 1;
    cfg.speculate_factor = factor;
    cfg.speculate_min_done = 0.5;
    cfg.progress = s_progress;
    cfg.progress_user = &counts;
    wren_executor *ex = NULL;
    ck_assert_msg(wren_executor_new(&cfg, &ex) == WREN_OK, "%s", wren_last_error());
    /* Warm-up: 8 calls of 300 ms at once start the 8 workers, so worker
     * start-up (slow under sanitizers) is not part of the makespan. Its own
     * map, so its durations are not in the job's median. */
    wren_args *warm[8];
    wren_future *wf[8];
    for (int i = 0; i < 8; i++) {
        warm[i] = wren_args_new();
        wren_args_map(warm[i], 3);
        wren_args_str(warm[i], "id");
        wren_args_int(warm[i], i);
        wren_args_str(warm[i], "ms");
        wren_args_int(warm[i], 300);
        wren_args_str(warm[i], "slow_ms");
        wren_args_int(warm[i], 300);
    }
    ck_assert_int_eq(wren_map(ex, "slow_once", (const wren_args *const *)warm, 8, wf), WREN_OK);
    ck_assert_int_eq(wren_wait(ex, wf, 8, WREN_ALL_COMPLETED, 30000, NULL), WREN_OK);
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(wren_future_status(wf[i]), WREN_OK);
        wren_args_destroy(warm[i]);
    }

    wren_args *args[S_N];
    char marker[S_N][PATH_MAX];
    for (int i = 0; i < S_N; i++) {
        int slow = i < S_SLOW; /* first in the map: they start at once and hold workers */
        snprintf(marker[i], sizeof marker[i], "%s/m%d", dir, i);
        args[i] = wren_args_new();
        wren_args_map(args[i], 4);
        wren_args_str(args[i], "id");
        wren_args_int(args[i], 1000 + i);
        wren_args_str(args[i], "ms");
        wren_args_int(args[i], 50);
        wren_args_str(args[i], "slow_ms");
        wren_args_int(args[i], slow ? S_SLOW_MS : 50);
        wren_args_str(args[i], "marker");
        wren_args_str(args[i], slow ? marker[i] : "");
    }
    wren_future *fs[S_N];
    double t0 = wren_now_s();
    ck_assert_int_eq(wren_map(ex, "slow_once", (const wren_args *const *)args, S_N, fs), WREN_OK);
    size_t n_done = 0;
    ck_assert_int_eq(wren_wait(ex, fs, S_N, WREN_ALL_COMPLETED, 30000, &n_done), WREN_OK);
    double makespan = wren_now_s() - t0;
    /* Every result once, and the right one. */
    ck_assert_uint_eq(n_done, S_N);
    ck_assert_uint_eq(counts.done, 8 + S_N);
    ck_assert_uint_eq(counts.failed, 0);
    int attempts = 0;
    for (int i = 0; i < S_N; i++) {
        const msgpack_object *r = NULL;
        ck_assert_int_eq(wren_future_result(fs[i], 0, &r), WREN_OK);
        ck_assert_int_eq(r->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
        ck_assert_int_eq((int)r->via.u64, 1000 + i);
        attempts += wren_future_attempts(fs[i]);
        if (factor == 0)
            ck_assert_int_eq(wren_future_attempts(fs[i]), 1);
        else if (i < S_SLOW)
            ck_assert_int_eq(wren_future_attempts(fs[i]), 2); /* the backup won */
        wren_args_destroy(args[i]);
    }
    /* A later round sees nothing new: nothing is counted twice. */
    ck_assert_int_eq(wren_wait(ex, fs, S_N, WREN_ALWAYS, 0, &n_done), WREN_OK);
    ck_assert_uint_eq(counts.done, 8 + S_N);
    wren_cost cost;
    ck_assert_int_eq(wren_job_cost(ex, NULL, &cost), WREN_OK);
    ck_assert_uint_eq(cost.requests, 8 + (uint64_t)attempts);
    /* Durations from the statuses read: 8 x 300 ms of warm-up and at least
     * 50 ms per call (the winners); the losers' durations are not known. */
    ck_assert_uint_ge(cost.billed_ms, 8 * 300 + S_N * 50);
    ck_assert_uint_lt(cost.billed_ms, 8 * 300 + S_N * 50 + (8 + S_N) * 200 + (factor == 0 ? S_SLOW * S_SLOW_MS : 0));
    ck_assert_uint_eq(cost.unmeasured, (uint64_t)(attempts - S_N));
    ck_assert_int_eq(cost.memory_mb, 1769);
    ck_assert_double_eq_tol(cost.gb_s, (double)cost.billed_ms / 1000 * 1769 / 1024, 1e-9);
    /* Workers: one status PUT per invocation (results inline, no arguments
     * in the store); the SDK: at least one status GET per call, some LISTs. */
    ck_assert_uint_eq(cost.s3_put, cost.requests);
    ck_assert_uint_ge(cost.s3_get, 8 + S_N);
    ck_assert_uint_ge(cost.s3_list, 2);
    ck_assert_double_gt(cost.wall_s, 0.3);
    *backups = attempts - S_N;
    *requests = cost.requests;
    wren_executor_destroy(ex);
    for (int i = 0; i < S_SLOW; i++)
        unlink(marker[i]);
    ck_assert_int_eq(rmdir(dir), 0);
    return makespan;
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

START_TEST(makespan_shrinks)
{
    double off[3], on[3];
    int b_off = 0, b_on = 0;
    uint64_t r_off = 0, r_on = 0;
    for (int k = 0; k < 3; k++) { /* side by side, alternating */
        off[k] = s_run(0, &b_off, &r_off);
        ck_assert_int_eq(b_off, 0);
        ck_assert_uint_eq(r_off, 8 + S_N);
        on[k] = s_run(2.0, &b_on, &r_on);
        /* The three stragglers got a backup; a fast call queued behind
         * others may too, but never most of them. */
        ck_assert_int_ge(b_on, S_SLOW);
        ck_assert_int_le(b_on, S_N / 2);
        fprintf(stderr, "check_straggler: run %d: makespan off %.3f s, on %.3f s (%d backups)\n", k, off[k], on[k],
                b_on);
    }
    qsort(off, 3, sizeof *off, s_cmp);
    qsort(on, 3, sizeof *on, s_cmp);
    fprintf(stderr, "check_straggler: median makespan off %.3f s, on %.3f s\n", off[1], on[1]);
    ck_assert_double_ge(off[1], S_SLOW_MS / 1000.0); /* the slow first attempts are waited for */
    ck_assert_double_lt(on[1], 0.6 * off[1]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("straggler");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, s_setup, s_teardown);
    tcase_add_test(tc, rule_exact);
    tcase_add_test(tc, makespan_shrinks);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
