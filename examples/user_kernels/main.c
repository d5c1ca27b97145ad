/*
 * user_kernels_demo: maps the project's own kernels over the local workers.
 * By default the stock bootstrap loads libmykernels.so (_HANDLER); with
 * --own-bootstrap the workers are this project's my_bootstrap instead.
 * Prints the results and checks them; exits 1 on any mismatch.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wren/wren.h"

int main(int argc, char **argv)
{
    int own = argc > 1 && !strcmp(argv[1], "--own-bootstrap");
    wren_config cfg;
    wren_config_init(&cfg);
    cfg.quiet = 1;
    if (own) {
        if (!OWN_BOOTSTRAP[0]) {
            fprintf(stderr, "user_kernels_demo: this wren has no bootstrap library to link a worker with\n");
            return 77;
        }
        cfg.bootstrap_path = OWN_BOOTSTRAP;
    } else {
        cfg.bootstrap_path = STOCK_BOOTSTRAP;
        cfg.handler = "libmykernels.so";
        cfg.task_root = KERNEL_DIR;
    }
    wren_executor *ex = NULL;
    if (wren_executor_new(&cfg, &ex) != WREN_OK) {
        fprintf(stderr, "user_kernels_demo: %s\n", wren_last_error());
        return 1;
    }
    enum { N = 6 };
    wren_args *pa[N], *ca[N + 1];
    wren_future *pf[N], *cf[N + 1];
    for (int i = 0; i < N; i++) {
        pa[i] = wren_args_new();
        wren_args_map(pa[i], 2);
        wren_args_str(pa[i], "x");
        wren_args_double(pa[i], 2.0);
        wren_args_str(pa[i], "n");
        wren_args_int(pa[i], i * 3);
    }
    for (int i = 0; i <= N; i++) {
        ca[i] = wren_args_new();
        wren_args_map(ca[i], 1);
        wren_args_str(ca[i], "n");
        wren_args_int(ca[i], i == N ? 0 : 27 + i); /* the last one is refused */
    }
    int rc = wren_map(ex, "power", (const wren_args *const *)pa, N, pf);
    if (rc == WREN_OK)
        rc = wren_map(ex, "collatz", (const wren_args *const *)ca, N + 1, cf);
    /* One wait across both maps. */
    wren_future *all[2 * N + 1];
    memcpy(all, pf, sizeof pf);
    memcpy(all + N, cf, sizeof cf);
    if (rc == WREN_OK)
        rc = wren_wait(ex, all, 2 * N + 1, WREN_ALL_COMPLETED, -1, NULL);
    int bad = rc != WREN_OK;
    static const int64_t collatz_want[N] = {111, 18, 18, 18, 106, 5};
    for (int i = 0; rc == WREN_OK && i < N; i++) {
        const msgpack_object *r;
        if (wren_future_result(pf[i], 0, &r) != WREN_OK || r->via.f64 != ldexp(1.0, 3 * i)) {
            fprintf(stderr, "power %d: %s %s\n", i, wren_future_error_type(pf[i]), wren_future_error_message(pf[i]));
            bad = 1;
            continue;
        }
        printf("2^%-2d = %g\n", 3 * i, r->via.f64);
    }
    for (int i = 0; rc == WREN_OK && i < N; i++) {
        const msgpack_object *r;
        if (wren_future_result(cf[i], 0, &r) != WREN_OK || r->via.i64 != collatz_want[i]) {
            fprintf(stderr, "collatz %d: %s %s\n", 27 + i, wren_future_error_type(cf[i]),
                    wren_future_error_message(cf[i]));
            bad = 1;
            continue;
        }
        printf("collatz(%d) = %lld\n", 27 + i, (long long)r->via.i64);
    }
    if (rc == WREN_OK) {
        const char *t = wren_future_error_type(cf[N]);
        printf("collatz(0): %s: %s\n", t ? t : "no error?!", t ? wren_future_error_message(cf[N]) : "");
        bad |= !t || strcmp(t, "Wren.NotPositive") != 0;
    }
    for (int i = 0; i < N; i++)
        wren_args_destroy(pa[i]);
    for (int i = 0; i <= N; i++)
        wren_args_destroy(ca[i]);
    wren_executor_destroy(ex);
    printf("%s\n", bad ? "user_kernels_demo: FAILED" : "user_kernels_demo: ok");
    return bad ? 1 : 0;
}
