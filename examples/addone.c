/*
 * addone: the first example of the seeds. Maps the built-in `addone` kernel
 * over 0..9 on the embedded local backend and prints [1, 2, ..., 10].
 *
 *     build/bin/example_addone
 */
#include <stdio.h>

#include "wren/wren.h"

int main(void)
{
    enum { N = 10 };
    wren_executor *ex = NULL;
    if (wren_executor_new(NULL, &ex) != WREN_OK) { /* NULL: the embedded local default */
        fprintf(stderr, "addone: %s\n", wren_last_error());
        return 1;
    }
    wren_args *args[N];
    for (int i = 0; i < N; i++) {
        args[i] = wren_args_new();
        wren_args_int(args[i], i);
    }
    wren_future *fs[N];
    int rc = wren_map(ex, "addone", (const wren_args *const *)args, N, fs);
    if (rc == WREN_OK)
        rc = wren_wait(ex, fs, N, WREN_ALL_COMPLETED, -1, NULL);
    printf("[");
    for (int i = 0; rc == WREN_OK && i < N; i++) {
        const msgpack_object *r = NULL;
        rc = wren_future_result(fs[i], 0, &r);
        if (rc != WREN_OK) {
            fprintf(stderr, "\naddone: call %d: %s: %s\n", i, wren_future_error_type(fs[i]),
                    wren_future_error_message(fs[i]));
            break;
        }
        printf("%s%lld", i ? ", " : "", (long long)r->via.i64);
    }
    printf("]\n");
    for (int i = 0; i < N; i++)
        wren_args_destroy(args[i]);
    wren_executor_destroy(ex); /* stops the workers, removes the temporary store */
    return rc == WREN_OK ? 0 : 1;
}
