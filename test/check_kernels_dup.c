/* check_kernels_dup: an executable that links two files registering the same
 * kernel name ("dup_kernel", test/dup_kernel_fixture_{a,b}.c). The start-up
 * check must refuse it, naming the kernel and both registrations. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

START_TEST(test_check_refuses_duplicate_linked_in)
{
    char msg[512];
    ck_assert_int_eq(wren__kernels_check(msg, sizeof msg), WREN_EEXIST);
    char want[1024];
    snprintf(want, sizeof want,
             "kernel 'dup_kernel' is registered twice: %s/test/dup_kernel_fixture_a.c:11 in check_kernels_dup and "
             "%s/test/dup_kernel_fixture_b.c:11 in check_kernels_dup",
             WREN_TEST_SOURCE_DIR, WREN_TEST_SOURCE_DIR);
    ck_assert_str_eq(msg, want);
    /* Both are in the registry; lookup gives the first one registered. */
    ck_assert_ptr_nonnull(wren__kernels_find("dup_kernel", 10));
    ck_assert_str_eq(wren__kernels_find("dup_kernel", 10)->doc, "first of two");
    /* The handler path runs the same check. */
    ck_assert_int_eq(wren__kernels_from_handler("/nonexistent", "wren", msg, sizeof msg), WREN_EEXIST);
    ck_assert_ptr_nonnull(strstr(msg, "kernel 'dup_kernel' is registered twice"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_dup");
    TCase *tc = tcase_create("dup");
    tcase_add_test(tc, test_check_refuses_duplicate_linked_in);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
