/* check_cost: the cost arithmetic (sdk/cost.c) on a synthetic job: fixed
 * status objects (and a manifest) in a file store, read back the way `wren
 * status` reads them, priced at the default and at custom prices. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdk_internal.h"
#include "store.h"

/* Made and removed by the parent process (an unchecked fixture), so a
 * failing test, which ends its forked child at once, leaves nothing behind. */
static char s_root[256];
static char s_dir[PATH_MAX];

static void s_setup(void)
{
    snprintf(s_root, sizeof s_root, "/tmp/check_cost-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s_root));
}

static void s_teardown(void)
{
    wren__remove_tree(s_root);
}
static char s_url[PATH_MAX + 8];

static void s_put(wren_store *st, const char *key, const char *text)
{
    ck_assert_int_eq(wren_store_put(st, key, text, strlen(text)), WREN_OK);
}

/* Three calls: 100.5 ms (billed 101), 2,000 ms exactly with arguments and
 * result in the store, and a failure of 0.4 ms on its second attempt (billed
 * the 1 ms minimum). */
static void s_make_job(int with_manifest)
{
    snprintf(s_dir, sizeof s_dir, "%s/job-XXXXXX", s_root);
    ck_assert_ptr_nonnull(mkdtemp(s_dir));
    snprintf(s_url, sizeof s_url, "file://%s", s_dir);
    wren_store *st = NULL;
    ck_assert_int_eq(wren_store_open(s_url, &st), WREN_OK);
    s_put(st, "j-cost/00000000/status",
          "{\"wren\":1,\"job\":\"j-cost\",\"call\":\"00000000\",\"attempt\":0,\"kernel\":\"addone\",\"ok\":true,"
          "\"result_b64\":\"AQ==\",\"result_bytes\":1,\"flops\":0,\"t_submit\":999.9,\"t_start\":1000.0,"
          "\"t_setup\":1000.01,\"t_kernel\":1000.1,\"t_written\":1000.1005,\"instance\":\"i-1\",\"cold\":true}");
    s_put(st, "j-cost/00000001/in", "\x91\x01");
    s_put(st, "j-cost/00000001/out", "\x01");
    s_put(st, "j-cost/00000001/status",
          "{\"wren\":1,\"job\":\"j-cost\",\"call\":\"00000001\",\"attempt\":0,\"kernel\":\"gemm\",\"ok\":true,"
          "\"result_key\":\"j-cost/00000001/out\",\"result_bytes\":1,\"flops\":0,\"t_submit\":999.95,"
          "\"t_start\":1000.0,\"t_setup\":1000.5,\"t_kernel\":1001.9,\"t_written\":1002.0,\"instance\":\"i-2\","
          "\"cold\":false}");
    s_put(st, "j-cost/00000002/status",
          "{\"wren\":1,\"job\":\"j-cost\",\"call\":\"00000002\",\"attempt\":1,\"kernel\":\"crash\",\"ok\":false,"
          "\"error\":{\"type\":\"Wren.KernelCrash\",\"message\":\"SIGSEGV\"},\"flops\":0,\"t_submit\":1000.0,"
          "\"t_start\":1000.5,\"t_setup\":null,\"t_kernel\":null,\"t_written\":1000.5004,\"instance\":\"i-1\","
          "\"cold\":false}");
    if (with_manifest)
        s_put(st, "j-cost/manifest",
              "{\"wren\":1,\"job\":\"j-cost\",\"function\":\"wren\",\"n_calls\":3,\"memory_mb\":1024,"
              "\"sdk_s3\":{\"put\":2,\"get\":5,\"list\":3},\"calls\":["
              "{\"call\":\"00000000\",\"kernel\":\"addone\",\"state\":\"done\",\"attempts\":1,\"t_submit\":999.9},"
              "{\"call\":\"00000001\",\"kernel\":\"gemm\",\"state\":\"done\",\"attempts\":1,\"t_submit\":999.95},"
              "{\"call\":\"00000002\",\"kernel\":\"crash\",\"state\":\"failed\",\"attempts\":2,\"t_submit\":1000.0,"
              "\"error\":{\"type\":\"Wren.KernelCrash\",\"message\":\"SIGSEGV\"}}]}");
    wren_store_destroy(st);
}

static void s_drop_job(void)
{
    ck_assert_int_eq(wren__remove_tree(s_dir), WREN_OK);
}

/* What `wren status` does: the job's rows, then the arithmetic. */
static void s_cost_of_job(const wren_prices *p, wren_cost *out, wren__job **jout)
{
    wren__job *j = NULL;
    char err[256];
    ck_assert_int_eq(wren__job_load(s_url, "j-cost", 0, &j, err, sizeof err), WREN_OK);
    ck_assert_uint_eq(j->n_calls, 3);
    wren__cost_call cc[3];
    for (size_t i = 0; i < 3; i++) {
        const wren__job_call *c = &j->calls[i];
        cc[i] = (wren__cost_call){c->tm.t_submit, c->tm.t_start, c->tm.t_written,
                                  c->attempts > 0 ? c->attempts : c->attempt + 1, c->in_store, c->out_store};
    }
    ck_assert_int_eq(cc[1].in_store, 1);
    ck_assert_int_eq(cc[1].out_store, 1);
    ck_assert_int_eq(cc[0].in_store + cc[0].out_store + cc[2].in_store + cc[2].out_store, 0);
    ck_assert_int_eq(cc[2].invocations, 2);
    wren__cost_compute(cc, 3, j->memory_mb, j->has_sdk_s3 ? &j->sdk_s3 : NULL, p, out);
    *jout = j;
}

START_TEST(billed_ms_rounds_up_per_ms)
{
    ck_assert_uint_eq(wren__billed_ms(1000.0, 1000.1005), 101);
    ck_assert_uint_eq(wren__billed_ms(1000.0, 1002.0), 2000);
    ck_assert_uint_eq(wren__billed_ms(1763781234.0, 1763781234.05), 50); /* 50 ms in doubles at today's epoch */
    ck_assert_uint_eq(wren__billed_ms(1763781234.0, 1763781234.0502), 51);
    ck_assert_uint_eq(wren__billed_ms(1000.5, 1000.5004), 1); /* the 1 ms minimum */
    ck_assert_uint_eq(wren__billed_ms(1000.5, 1000.5), 1);
    ck_assert_uint_eq(wren__billed_ms(0, 1000.5), 0);         /* unknown start */
    ck_assert_uint_eq(wren__billed_ms(1000.5, 1000.0), 0);    /* written before start: not a duration */
}
END_TEST

START_TEST(default_prices)
{
    wren_prices x, a;
    wren_prices_default(WREN_ARCH_X86_64, &x);
    wren_prices_default(WREN_ARCH_ARM64, &a);
    ck_assert_double_eq(x.gb_s_usd, 0.0000166667);
    ck_assert_double_eq(a.gb_s_usd, 0.0000133334);
    ck_assert_double_eq_tol(x.request_usd, 2e-7, 1e-20);
    ck_assert_double_eq_tol(a.request_usd, 2e-7, 1e-20);
    ck_assert_double_eq_tol(x.s3_put_usd, 5e-6, 1e-20);
    ck_assert_double_eq_tol(x.s3_get_usd, 4e-7, 1e-20);
}
END_TEST

START_TEST(synthetic_job_with_manifest)
{
    s_make_job(1);
    wren_cost c;
    wren__job *j = NULL;
    s_cost_of_job(NULL, &c, &j); /* NULL: x86_64 */
    ck_assert_uint_eq(c.requests, 4);
    ck_assert_uint_eq(c.billed_ms, 101 + 2000 + 1);
    ck_assert_uint_eq(c.unmeasured, 1); /* call 2's first attempt */
    ck_assert_int_eq(c.memory_mb, 1024);
    ck_assert_double_eq_tol(c.gb_s, 2.102, 1e-12);
    /* Workers: a status PUT per invocation (4) + call 1's out PUT, call 1's in
     * GET; the SDK's counts from the manifest: 2 PUT, 5 GET, 3 LIST. */
    ck_assert_uint_eq(c.s3_put, 5 + 2);
    ck_assert_uint_eq(c.s3_get, 1 + 5);
    ck_assert_uint_eq(c.s3_list, 3);
    ck_assert_double_eq_tol(c.wall_s, 1002.0 - 999.9, 1e-9);
    ck_assert_double_eq_tol(c.lambda_usd, 4 * 2e-7 + 2.102 * 0.0000166667, 1e-15);
    ck_assert_double_eq_tol(c.s3_usd, (7 + 3) * 5e-6 + 6 * 4e-7, 1e-15);
    ck_assert_double_eq_tol(c.total_usd, 3.58334034e-5 + 5.24e-5, 1e-15);

    wren_prices arm;
    wren_prices_default(WREN_ARCH_ARM64, &arm);
    wren_cost ca;
    wren__cost_compute(NULL, 0, 0, NULL, &arm, &ca);
    ck_assert_uint_eq(ca.requests, 0);
    ck_assert_double_eq(ca.total_usd, 0);
    wren__job_destroy(j);
    s_cost_of_job(&arm, &ca, &j);
    ck_assert_double_eq_tol(ca.lambda_usd, 4 * 2e-7 + 2.102 * 0.0000133334, 1e-15);

    /* Custom prices: each price reaches its own figure. */
    wren_prices p = {.gb_s_usd = 1, .request_usd = 10, .s3_put_usd = 100, .s3_get_usd = 1000};
    wren__job_destroy(j);
    s_cost_of_job(&p, &c, &j);
    ck_assert_double_eq_tol(c.lambda_usd, 4 * 10 + 2.102, 1e-9);
    ck_assert_double_eq_tol(c.s3_usd, 10 * 100 + 6 * 1000, 1e-9);
    wren__job_destroy(j);
    s_drop_job();
}
END_TEST

START_TEST(synthetic_job_without_manifest)
{
    /* Only status objects: invocations are attempt + 1, memory the default
     * 1,769 MB, and the SDK's S3 requests estimated from the layout. */
    s_make_job(0);
    wren_cost c;
    wren__job *j = NULL;
    s_cost_of_job(NULL, &c, &j);
    ck_assert_uint_eq(c.requests, 4);
    ck_assert_uint_eq(c.billed_ms, 2102);
    ck_assert_int_eq(c.memory_mb, 1769);
    ck_assert_double_eq_tol(c.gb_s, 2.102 * 1769 / 1024, 1e-12);
    /* SDK: 1 PUT (call 1's in), 3 status GETs + 1 out GET, 1 LIST. */
    ck_assert_uint_eq(c.s3_put, 5 + 1);
    ck_assert_uint_eq(c.s3_get, 1 + 4);
    ck_assert_uint_eq(c.s3_list, 1);
    ck_assert_double_eq_tol(c.total_usd, 4 * 2e-7 + 2.102 * 1769 / 1024 * 0.0000166667 + 7 * 5e-6 + 5 * 4e-7,
                            1e-15);
    wren__job_destroy(j);
    s_drop_job();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cost");
    TCase *tc = tcase_create("core");
    tcase_add_unchecked_fixture(tc, s_setup, s_teardown);
    tcase_add_test(tc, billed_ms_rounds_up_per_ms);
    tcase_add_test(tc, default_prices);
    tcase_add_test(tc, synthetic_job_with_manifest);
    tcase_add_test(tc, synthetic_job_without_manifest);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
