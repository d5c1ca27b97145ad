/* check_kernels: the registry, the context, arguments and arrays, and every
 * built-in kernel called through the registry against known answers. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cblas.h>

#include "builtins.h"
#include "kernels.h"

/* ---- helpers: call a kernel through the registry, unpack its result ------ */

typedef struct s_res {
    int rc;
    wren_ctx ctx;
    wren_buf out;
    msgpack_zone zone;
    msgpack_object obj; /* the result, when rc == WREN_OK */
} s_res;

/* Calls `kernel` with msgpack args (bytes) and unpacks the result. */
static void s_call_bytes(s_res *r, const char *kernel, const char *bytes, size_t len)
{
    memset(r, 0, sizeof *r);
    msgpack_zone_init(&r->zone, 4096);
    const wren_kernel_def *def = wren__kernels_find(kernel, strlen(kernel));
    ck_assert_msg(def != NULL, "kernel %s not found", kernel);
    msgpack_zone args_zone;
    msgpack_zone_init(&args_zone, 4096);
    msgpack_object args;
    ck_assert_int_eq(wren_msgpack_unpack_one(bytes, len, &args_zone, &args), WREN_OK);
    wren__ctx_init(&r->ctx, "req-1", wren_now_ms() + 60000);
    r->ctx.log_to_stderr = 0;
    wren_buf_init(&r->out, 256u << 20);
    r->rc = wren__kernels_call(def, &args, &r->out, &r->ctx);
    msgpack_zone_destroy(&args_zone);
    if (r->rc == WREN_OK)
        ck_assert_int_eq(wren_msgpack_unpack_one(r->out.data, r->out.len, &r->zone, &r->obj), WREN_OK);
}

/* Calls `kernel` with args given as JSON text (what a plain-JSON event becomes). */
static void s_call_json(s_res *r, const char *kernel, const char *json)
{
    json_error_t err;
    json_t *j = json_loads(json, JSON_DECODE_ANY, &err);
    ck_assert_msg(j != NULL, "bad test JSON: %s", json);
    wren_buf b;
    wren_buf_init(&b, 0);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, wren_buf_msgpack_write);
    ck_assert_int_eq(wren_json_to_msgpack(j, &pk), WREN_OK);
    json_decref(j);
    s_call_bytes(r, kernel, b.data, b.len);
    wren_buf_clean_up(&b);
}

static void s_res_clean_up(s_res *r)
{
    msgpack_zone_destroy(&r->zone);
    wren_buf_clean_up(&r->out);
    wren__ctx_clean_up(&r->ctx);
}

static void s_assert_error(const s_res *r, const char *type, const char *message_part)
{
    ck_assert_int_ne(r->rc, WREN_OK);
    ck_assert_int_eq(r->ctx.failed, 1);
    ck_assert_str_eq(r->ctx.error_type, type);
    ck_assert_msg(strstr(r->ctx.error_message, message_part) != NULL, "message '%s' lacks '%s'",
                  r->ctx.error_message, message_part);
}

static double s_num(const msgpack_object *map, const char *key)
{
    const msgpack_object *o = wren_arg(map, key);
    ck_assert_msg(o != NULL, "result lacks %s", key);
    double d;
    ck_assert_int_eq(wren_arg_double(map, key, &d, 0), WREN_OK);
    return d;
}

/* Reads result[key] as an f64 array of ndim dims into dst (at most max), returns count. */
static size_t s_f64(const msgpack_object *map, const char *key, int ndim, const uint64_t *shape, double *dst,
                    size_t max)
{
    wren_array_view v;
    char why[160];
    int rc = wren_array_expect(wren_arg(map, key), WREN_F64, ndim, &v, why, sizeof why);
    ck_assert_msg(rc == WREN_OK, "%s: %s", key, why);
    for (int i = 0; i < ndim; i++)
        ck_assert_uint_eq(v.shape[i], shape[i]);
    ck_assert_uint_le(v.count, max);
    wren_array_copy(&v, dst);
    return (size_t)v.count;
}

/* msgpack {"a": A(f64 rows x cols), "b": B(...)} built with wren_array_pack. */
static void s_pack_ab(wren_buf *b, const double *a, int ar, int ac, const double *bb, int br, int bc, int b_ndim)
{
    wren_buf_init(b, 0);
    msgpack_packer pk;
    msgpack_packer_init(&pk, b, wren_buf_msgpack_write);
    msgpack_pack_map(&pk, bb ? 2 : 1);
    msgpack_pack_str_with_body(&pk, "a", 1);
    uint64_t sa[2] = {(uint64_t)ar, (uint64_t)ac};
    ck_assert_int_eq(wren_array_pack(&pk, WREN_F64, 2, sa, a), WREN_OK);
    if (bb) {
        msgpack_pack_str_with_body(&pk, "b", 1);
        uint64_t sb[2] = {(uint64_t)br, (uint64_t)bc};
        ck_assert_int_eq(wren_array_pack(&pk, WREN_F64, b_ndim, sb, bb), WREN_OK);
    }
    ck_assert_int_eq(b->failed, 0);
}

/* ---- registry ------------------------------------------------------------ */

START_TEST(test_registry_finds_builtins_and_user_kernel)
{
    const char *names[] = {"echo", "addone", "sleep_ms", "fail", "crash", "gemm", "montecarlo_pi",
                           "black_scholes_mc", "solve", "cholesky_solve", "lstsq", "eigh"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const wren_kernel_def *d = wren__kernels_find(names[i], strlen(names[i]));
        ck_assert_msg(d != NULL, "%s missing", names[i]);
        ck_assert_str_eq(d->name, names[i]);
        ck_assert(d->doc && d->doc[0]);
    }
    ck_assert_ptr_null(wren__kernels_find("nope", 4));
    ck_assert_ptr_null(wren__kernels_find("ech", 3));
    ck_assert_ptr_null(wren__kernels_find(NULL, 0));
    /* The name need not be NUL-terminated. */
    ck_assert_str_eq(wren__kernels_find("gemmXYZ", 4)->name, "gemm");

    /* The kernel in test/user_kernel_fixture.c, registered by WREN_KERNEL. */
    const wren_kernel_def *u = wren__kernels_find("user_square", 11);
    ck_assert_ptr_nonnull(u);
    ck_assert_str_eq(u->doc, "squares x");
    ck_assert_uint_eq(wren__kernels_count(), wren__builtin_kernel_count + 1);
    ck_assert_ptr_eq(wren__kernels_at(wren__builtin_kernel_count), u);
    ck_assert_ptr_null(wren__kernels_at(wren__builtin_kernel_count + 1));
    ck_assert_str_eq(wren__kernels_origin(0), "built-in");
    const char *origin = wren__kernels_origin(wren__builtin_kernel_count);
    ck_assert_msg(strstr(origin, "test/user_kernel_fixture.c:15 in check_kernels") != NULL, "origin %s", origin);

    char msg[256];
    ck_assert_int_eq(wren__kernels_check(msg, sizeof msg), WREN_OK);
    ck_assert_str_eq(msg, "");

    s_res r;
    s_call_json(&r, "user_square", "{\"x\": 1.5}");
    ck_assert_int_eq(r.rc, WREN_OK);
    ck_assert_double_eq(r.obj.via.f64, 2.25);
    ck_assert_double_eq(r.ctx.flops, 1);
    ck_assert_str_eq(r.ctx.log, "squaring 1.5\n");
    s_res_clean_up(&r);
}
END_TEST

START_TEST(test_load_shared_registers_and_calls)
{
    char msg[512];
    ck_assert_ptr_null(wren__kernels_find("so_triple", 9));
    ck_assert_int_eq(wren__kernels_load_shared(WREN_TEST_SHARED_SO, msg, sizeof msg), WREN_OK);
    ck_assert_uint_eq(wren__kernels_count(), wren__builtin_kernel_count + 3);
    s_res r;
    s_call_json(&r, "so_triple", "{\"x\": 14}");
    ck_assert_int_eq(r.rc, WREN_OK);
    ck_assert_int_eq(r.obj.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    ck_assert_uint_eq(r.obj.via.u64, 42);
    s_res_clean_up(&r);
    /* A dotted type is the kernel's own and keeps its name. */
    s_call_json(&r, "so_refuse", "null");
    s_assert_error(&r, "Lib.Refused", "refused by the shared object");
    s_res_clean_up(&r);
    /* Loading it again runs no constructors: refused, registry unchanged. */
    ck_assert_int_eq(wren__kernels_load_shared(WREN_TEST_SHARED_SO, msg, sizeof msg), WREN_EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "registered no kernels"));
    ck_assert_uint_eq(wren__kernels_count(), wren__builtin_kernel_count + 3);
}
END_TEST

START_TEST(test_load_shared_refuses_duplicate_and_rolls_back)
{
    char msg[512], want[1024];
    size_t before = wren__kernels_count();
    ck_assert_int_eq(wren__kernels_load_shared(WREN_TEST_DUP_SO, msg, sizeof msg), WREN_EEXIST);
    snprintf(want, sizeof want,
             "kernel 'dup_kernel' is registered twice: %s/test/dup_kernel_fixture_a.c:11 in libwren_test_dup_kernels.so"
             " and %s/test/dup_kernel_fixture_b.c:11 in libwren_test_dup_kernels.so",
             WREN_TEST_SOURCE_DIR, WREN_TEST_SOURCE_DIR);
    ck_assert_str_eq(msg, want);
    ck_assert_uint_eq(wren__kernels_count(), before);
    ck_assert_ptr_null(wren__kernels_find("dup_kernel", 10));
    ck_assert_int_eq(wren__kernels_check(msg, sizeof msg), WREN_OK);

    /* Taking a built-in's name is refused the same way. */
    ck_assert_int_eq(wren__kernels_load_shared(WREN_TEST_DUP_BUILTIN_SO, msg, sizeof msg), WREN_EEXIST);
    snprintf(want, sizeof want,
             "kernel 'echo' is registered twice: built-in and %s/test/dup_builtin_kernel_fixture.c:9 in "
             "libwren_test_dup_builtin_kernels.so",
             WREN_TEST_SOURCE_DIR);
    ck_assert_str_eq(msg, want);
    ck_assert_ptr_eq(wren__kernels_find("echo", 4), &wren__builtin_kernels[0]);

    ck_assert_int_eq(wren__kernels_load_shared("/nonexistent/libnothing.so", msg, sizeof msg), WREN_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(msg, "cannot load kernels from /nonexistent/libnothing.so: "));
    ck_assert_int_eq(wren__kernels_load_shared("", msg, sizeof msg), WREN_EINVAL);
}
END_TEST

START_TEST(test_handler_rule)
{
    char msg[512];
    /* Not a .so: built-ins plus what is linked in; nothing loaded. */
    ck_assert_int_eq(wren__kernels_from_handler("/nonexistent", "wren", msg, sizeof msg), WREN_OK);
    ck_assert_int_eq(wren__kernels_from_handler(NULL, NULL, msg, sizeof msg), WREN_OK);
    ck_assert_int_eq(wren__kernels_from_handler("/x", "function.handler", msg, sizeof msg), WREN_OK);
    /* Paths are refused before anything is opened. */
    const char *bad[] = {"../libx.so", "a/libx.so", "/lib/libx.so", "..so", "lib x.so", "lib..x.so"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_int_eq(wren__kernels_from_handler("/tmp", bad[i], msg, sizeof msg), WREN_EINVAL);
        ck_assert_msg(strstr(msg, "must be a plain file name in LAMBDA_TASK_ROOT") != NULL, "%s: %s", bad[i], msg);
    }
    /* A plain name is loaded from the task root. */
    char root[512];
    snprintf(root, sizeof root, "%s", WREN_TEST_SHARED_SO);
    char *slash = strrchr(root, '/');
    *slash = '\0';
    ck_assert_int_eq(wren__kernels_from_handler(root, "libmissing.so", msg, sizeof msg), WREN_ENOTFOUND);
    ck_assert_int_eq(wren__kernels_from_handler(root, slash + 1, msg, sizeof msg), WREN_OK);
    ck_assert_ptr_nonnull(wren__kernels_find("so_triple", 9));
}
END_TEST

/* ---- context ------------------------------------------------------------- */

START_TEST(test_ctx_basics_and_error_types)
{
    wren_ctx c;
    wren__ctx_init(&c, "abc-123", wren_now_ms() + 5000);
    c.log_to_stderr = 0;
    ck_assert_str_eq(wren_ctx_request_id(&c), "abc-123");
    int64_t left = wren_ctx_remaining_ms(&c);
    ck_assert(left > 4000 && left <= 5000);
    c.deadline_ms = wren_now_ms() - 10;
    ck_assert(wren_ctx_remaining_ms(&c) < 0);
    c.deadline_ms = 0;
    ck_assert(wren_ctx_remaining_ms(&c) == INT64_MAX);
    wren_ctx_add_flops(&c, 2);
    wren_ctx_add_flops(&c, 0.5);
    ck_assert_double_eq(c.flops, 2.5);
    ck_assert_int_eq(wren__ctx_settle(&c, WREN_OK), WREN_OK);

    ck_assert_int_eq(wren_ctx_fail(&c, "SingularMatrix", "pivot %d", 3), WREN_EKERNEL);
    ck_assert_str_eq(c.error_type, "Wren.SingularMatrix");
    ck_assert_str_eq(c.error_message, "pivot 3");
    /* The first error stays. */
    ck_assert_int_eq(wren_ctx_fail(&c, "Other", "later"), WREN_EKERNEL);
    ck_assert_str_eq(c.error_type, "Wren.SingularMatrix");
    ck_assert_int_eq(wren__ctx_settle(&c, WREN_OK), WREN_EKERNEL);

    const char *in[] = {"My.Error", NULL, "", "bad type\r\n", "Runtime.ExitError"};
    const char *want[] = {"My.Error", "Wren.KernelError", "Wren.KernelError", "Wren.bad_type__", "Runtime.ExitError"};
    for (size_t i = 0; i < 5; i++) {
        wren__ctx_init(&c, NULL, 0);
        ck_assert_str_eq(wren_ctx_request_id(&c), "");
        wren_ctx_fail(&c, in[i], "m");
        ck_assert_str_eq(c.error_type, want[i]);
    }
    /* Long types and messages are cut, NUL-terminated. */
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    wren__ctx_init(&c, big, 0);
    ck_assert_uint_eq(strlen(c.request_id), WREN_CTX_REQUEST_ID_BYTES - 1);
    wren_ctx_fail(&c, big, "%s", big);
    ck_assert_uint_eq(strlen(c.error_type), WREN_CTX_ERROR_TYPE_BYTES - 1);
    ck_assert(strncmp(c.error_type, "Wren.xxx", 8) == 0);
    ck_assert_uint_eq(strlen(c.error_message), WREN_CTX_ERROR_MESSAGE_BYTES - 1);

    /* Statuses without a recorded error get one. */
    wren__ctx_init(&c, "r", 0);
    ck_assert_int_eq(wren__ctx_settle(&c, WREN_EBADINPUT), WREN_EBADINPUT);
    ck_assert_str_eq(c.error_type, "Wren.BadInput");
    wren__ctx_init(&c, "r", 0);
    ck_assert_int_eq(wren__ctx_settle(&c, WREN_ENOMEM), WREN_ENOMEM);
    ck_assert_str_eq(c.error_type, "Wren.KernelError");
    ck_assert_str_eq(c.error_message, "out of memory");
    wren__ctx_clean_up(&c);
    wren__ctx_clean_up(NULL);
}
END_TEST

START_TEST(test_ctx_log_keeps_last_whole_lines)
{
    wren_ctx c;
    wren__ctx_init(&c, "r", 0);
    c.log_to_stderr = 0;
    wren_ctx_log(&c, "first %d", 1);
    wren_ctx_log(&c, "second\n");
    ck_assert_str_eq(c.log, "first 1\nsecond\n");
    ck_assert_uint_eq(c.log_len, 15);
    /* 100 lines of 100 bytes: only the last 40 (4000 bytes) fit in 4095. */
    for (int i = 0; i < 100; i++)
        wren_ctx_log(&c, "%03d %0*d", i, 95, 0);
    ck_assert_uint_eq(c.log_len, 40 * 100);
    ck_assert_uint_eq(strlen(c.log), c.log_len);
    ck_assert(strncmp(c.log, "060 ", 4) == 0);
    ck_assert(strncmp(c.log + c.log_len - 100, "099 ", 4) == 0);
    ck_assert_uint_eq(c.log_dropped_bytes, 15 + 60 * 100);
    /* A 1023-byte line (wren_ctx_log's longest) pushes out just enough. */
    char big[8000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    wren_ctx_log(&c, "%s", big);
    ck_assert_uint_eq(c.log_len, 30 * 100 + 1024);
    ck_assert(strncmp(c.log, "070 ", 4) == 0);
    ck_assert_int_eq(c.log[c.log_len - 2], 'y');
    wren__ctx_init(&c, "r", 0);
    c.log_to_stderr = 0;
    for (int i = 0; i < 5; i++)
        wren_ctx_log(&c, "%01000d", i); /* 1001-byte lines: 4 fit */
    ck_assert_uint_eq(c.log_len, 4 * 1001);
    ck_assert_int_eq(c.log[999], '1');
}
END_TEST

START_TEST(test_blas_threads_follow_lambda_memory)
{
    ck_assert_int_eq(wren__kernels_blas_threads_for(NULL, 8), 1);
    ck_assert_int_eq(wren__kernels_blas_threads_for("", 8), 1);
    ck_assert_int_eq(wren__kernels_blas_threads_for("abc", 8), 1);
    ck_assert_int_eq(wren__kernels_blas_threads_for("0", 8), 1);
    ck_assert_int_eq(wren__kernels_blas_threads_for("-3000", 8), 1);
    ck_assert_int_eq(wren__kernels_blas_threads_for("2048MB", 8), 1);
    ck_assert_int_eq(wren__kernels_blas_threads_for("128", 8), 1);
    ck_assert_int_eq(wren__kernels_blas_threads_for("1769", 8), 1);
    ck_assert_int_eq(wren__kernels_blas_threads_for("1770", 8), 2);
    ck_assert_int_eq(wren__kernels_blas_threads_for("3538", 8), 2);
    ck_assert_int_eq(wren__kernels_blas_threads_for("3539", 8), 3);
    ck_assert_int_eq(wren__kernels_blas_threads_for("8845", 8), 5);
    ck_assert_int_eq(wren__kernels_blas_threads_for("8846", 8), 6);
    ck_assert_int_eq(wren__kernels_blas_threads_for("10240", 8), 6);
    ck_assert_int_eq(wren__kernels_blas_threads_for("10240", 2), 2);
    ck_assert_int_eq(wren__kernels_blas_threads_for("99999999999999999999", 8), 1);
    ck_assert_int_eq(wren__kernels_blas_threads_for("10240", 0), 6);

    setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1769", 1);
    ck_assert_int_eq(wren__kernels_set_blas_threads(), 1);
    ck_assert_int_eq(openblas_get_num_threads(), 1);
}
END_TEST

/* ---- arguments and arrays ------------------------------------------------ */

START_TEST(test_args_typed_getters)
{
    msgpack_zone z;
    msgpack_zone_init(&z, 1024);
    const char *json = "{\"i\": 7, \"neg\": -3, \"f\": 2.5, \"fi\": 4.0, \"s\": \"hey\", \"big\": 1e300}";
    json_t *j = json_loads(json, 0, NULL);
    wren_buf b;
    wren_buf_init(&b, 0);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, wren_buf_msgpack_write);
    wren_json_to_msgpack(j, &pk);
    json_decref(j);
    msgpack_object m;
    ck_assert_int_eq(wren_msgpack_unpack_one(b.data, b.len, &z, &m), WREN_OK);

    int64_t i;
    double d;
    const char *s;
    size_t n;
    ck_assert_int_eq(wren_arg_int(&m, "i", &i, 0), WREN_OK);
    ck_assert_int_eq(i, 7);
    ck_assert_int_eq(wren_arg_int(&m, "neg", &i, 0), WREN_OK);
    ck_assert_int_eq(i, -3);
    ck_assert_int_eq(wren_arg_int(&m, "fi", &i, 0), WREN_OK);
    ck_assert_int_eq(i, 4);
    ck_assert_int_eq(wren_arg_int(&m, "f", &i, 0), WREN_EBADINPUT);
    ck_assert_int_eq(wren_arg_int(&m, "big", &i, 0), WREN_EBADINPUT);
    ck_assert_int_eq(wren_arg_int(&m, "s", &i, 0), WREN_EBADINPUT);
    ck_assert_int_eq(wren_arg_int(&m, "absent", &i, 99), WREN_OK);
    ck_assert_int_eq(i, 99);
    ck_assert_int_eq(wren_arg_double(&m, "i", &d, 0), WREN_OK);
    ck_assert_double_eq(d, 7.0);
    ck_assert_int_eq(wren_arg_double(&m, "f", &d, 0), WREN_OK);
    ck_assert_double_eq(d, 2.5);
    ck_assert_int_eq(wren_arg_double(&m, "s", &d, 0), WREN_EBADINPUT);
    ck_assert_int_eq(wren_arg_double(&m, "absent", &d, 1.25), WREN_OK);
    ck_assert_double_eq(d, 1.25);
    ck_assert_int_eq(wren_arg_str(&m, "s", &s, &n, NULL), WREN_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert(memcmp(s, "hey", 3) == 0);
    ck_assert_int_eq(wren_arg_str(&m, "i", &s, &n, NULL), WREN_EBADINPUT);
    ck_assert_int_eq(wren_arg_str(&m, "absent", &s, &n, "dflt"), WREN_OK);
    ck_assert_str_eq(s, "dflt");
    ck_assert_uint_eq(n, 4);
    /* An empty key (msgpack-c gives it a NULL ptr) is found without UB
     * (fuzz/corpus/arrays/crash-wren-arg-empty-key-memcmp-null). */
    msgpack_object e;
    ck_assert_int_eq(wren_msgpack_unpack_one("\x82\xa0\xa1\xff\x00\x00", 6, &z, &e), WREN_OK);
    const msgpack_object *ev = wren_arg(&e, "");
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(ev->type, MSGPACK_OBJECT_STR);
    ck_assert_uint_eq(ev->via.str.size, 1);
    ck_assert_ptr_null(wren_arg(&e, "x"));
    /* Not a map: every key is absent. */
    ck_assert_ptr_null(wren_arg(&m.via.map.ptr[0].val, "i"));
    ck_assert_ptr_null(wren_arg(NULL, "i"));
    wren_buf_clean_up(&b);
    msgpack_zone_destroy(&z);
}
END_TEST

/* Packs {dtype, shape, data} with the given pieces, for malformed arrays. */
static void s_pack_raw_array(wren_buf *b, const char *dtype, const int64_t *shape, int ndim, size_t data_len)
{
    wren_buf_init(b, 0);
    msgpack_packer pk;
    msgpack_packer_init(&pk, b, wren_buf_msgpack_write);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "dtype", 5);
    msgpack_pack_str_with_body(&pk, dtype, strlen(dtype));
    msgpack_pack_str_with_body(&pk, "shape", 5);
    msgpack_pack_array(&pk, (size_t)ndim);
    for (int i = 0; i < ndim; i++)
        msgpack_pack_int64(&pk, shape[i]);
    msgpack_pack_str_with_body(&pk, "data", 4);
    msgpack_pack_bin(&pk, data_len);
    char zeros[64] = {0};
    for (size_t left = data_len; left;) {
        size_t k = left < sizeof zeros ? left : sizeof zeros;
        msgpack_pack_bin_body(&pk, zeros, k);
        left -= k;
    }
}

static int s_parse_raw(const char *dtype, const int64_t *shape, int ndim, size_t data_len, char *why, size_t size)
{
    wren_buf b;
    s_pack_raw_array(&b, dtype, shape, ndim, data_len);
    msgpack_zone z;
    msgpack_zone_init(&z, 1024);
    msgpack_object o;
    ck_assert_int_eq(wren_msgpack_unpack_one(b.data, b.len, &z, &o), WREN_OK);
    wren_array_view v;
    int rc = wren_array_parse(&o, &v, why, size);
    msgpack_zone_destroy(&z);
    wren_buf_clean_up(&b);
    return rc;
}

START_TEST(test_array_checks_before_use)
{
    char why[160];
    int64_t s23[] = {2, 3};
    ck_assert_int_eq(s_parse_raw("f64", s23, 2, 48, why, sizeof why), WREN_OK);
    ck_assert_int_eq(s_parse_raw("i32", s23, 2, 24, why, sizeof why), WREN_OK);
    ck_assert_int_eq(s_parse_raw("u8", s23, 2, 6, why, sizeof why), WREN_OK);
    ck_assert_int_eq(s_parse_raw("f64", s23, 2, 47, why, sizeof why), WREN_EBADINPUT);
    ck_assert_str_eq(why, "data has 47 bytes; shape and dtype f64 need 48");
    ck_assert_int_eq(s_parse_raw("f64", s23, 2, 49, why, sizeof why), WREN_EBADINPUT);
    ck_assert_int_eq(s_parse_raw("f16", s23, 2, 12, why, sizeof why), WREN_EBADINPUT);
    ck_assert_str_eq(why, "unknown dtype 'f16' (f64, f32, i64, i32, u8)");
    int64_t neg[] = {2, -3};
    ck_assert_int_eq(s_parse_raw("f64", neg, 2, 0, why, sizeof why), WREN_EBADINPUT);
    ck_assert_str_eq(why, "shape[1] is not a non-negative integer");
    int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    ck_assert_int_eq(s_parse_raw("u8", nine, 9, 1, why, sizeof why), WREN_EBADINPUT);
    ck_assert_str_eq(why, "shape has 9 dimensions (at most 8)");
    ck_assert_int_eq(s_parse_raw("u8", nine, 8, 1, why, sizeof why), WREN_OK);
    int64_t huge[] = {INT64_C(1) << 32, INT64_C(1) << 32};
    ck_assert_int_eq(s_parse_raw("u8", huge, 2, 0, why, sizeof why), WREN_EBADINPUT);
    ck_assert_str_eq(why, "shape's product overflows");
    int64_t bytes_overflow[] = {INT64_C(1) << 62};
    ck_assert_int_eq(s_parse_raw("f64", bytes_overflow, 1, 0, why, sizeof why), WREN_EBADINPUT);
    ck_assert_str_eq(why, "shape's byte size overflows");
    /* Empty arrays and 0-d scalars are arrays too. */
    int64_t empty[] = {0, 3};
    ck_assert_int_eq(s_parse_raw("f64", empty, 2, 0, why, sizeof why), WREN_OK);
    ck_assert_int_eq(s_parse_raw("i64", NULL, 0, 8, why, sizeof why), WREN_OK);

    /* Not a map, missing fields, data not bin. */
    msgpack_object o = {.type = MSGPACK_OBJECT_NIL};
    wren_array_view v;
    ck_assert_int_eq(wren_array_parse(&o, &v, why, sizeof why), WREN_EBADINPUT);
    ck_assert_int_eq(wren_array_parse(NULL, &v, NULL, 0), WREN_EBADINPUT);
    msgpack_zone z;
    msgpack_zone_init(&z, 1024);
    wren_buf b;
    wren_buf_init(&b, 0);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, wren_buf_msgpack_write);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "dtype", 5);
    msgpack_pack_str_with_body(&pk, "u8", 2);
    msgpack_pack_str_with_body(&pk, "shape", 5);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_int(&pk, 2);
    msgpack_pack_str_with_body(&pk, "data", 4);
    msgpack_pack_str_with_body(&pk, "ab", 2);
    ck_assert_int_eq(wren_msgpack_unpack_one(b.data, b.len, &z, &o), WREN_OK);
    ck_assert_int_eq(wren_array_parse(&o, &v, why, sizeof why), WREN_EBADINPUT);
    ck_assert_str_eq(why, "data must be bin");
    wren_buf_clean_up(&b);
    msgpack_zone_destroy(&z);
}
END_TEST

START_TEST(test_array_pack_parse_round_trip_unaligned)
{
    double src[6] = {1.5, -2, 3.25, 1e300, -0.0, 6};
    uint64_t shape[2] = {2, 3};
    wren_buf b;
    wren_buf_init(&b, 0);
    /* One leading byte so the bin's body is certainly not 8-byte aligned in
     * an aligned buffer (msgpack bin8 header is 2 bytes, the map ~20). */
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, wren_buf_msgpack_write);
    ck_assert_int_eq(wren_array_pack(&pk, WREN_F64, 2, shape, src), WREN_OK);
    msgpack_zone z;
    msgpack_zone_init(&z, 1024);
    msgpack_object o;
    ck_assert_int_eq(wren_msgpack_unpack_one(b.data, b.len, &z, &o), WREN_OK);
    wren_array_view v;
    char why[160];
    ck_assert_int_eq(wren_array_expect(&o, WREN_F64, 2, &v, why, sizeof why), WREN_OK);
    ck_assert_uint_eq(v.count, 6);
    ck_assert_uint_eq(v.size_bytes, 48);
    ck_assert_uint_eq(v.shape[0], 2);
    ck_assert_uint_eq(v.shape[1], 3);
    ck_assert_ptr_ne(v.data, NULL);
    double dst[6];
    wren_array_copy(&v, dst);
    ck_assert(memcmp(dst, src, sizeof src) == 0);
    /* Little-endian on the wire: 1.5 is 00 00 00 00 00 00 F8 3F. */
    const unsigned char le15[8] = {0, 0, 0, 0, 0, 0, 0xf8, 0x3f};
    ck_assert(memcmp(v.data, le15, 8) == 0);
    ck_assert_int_eq(wren_array_expect(&o, WREN_F32, 2, &v, why, sizeof why), WREN_EBADINPUT);
    ck_assert_str_eq(why, "dtype is f64, expected f32");
    ck_assert_int_eq(wren_array_expect(&o, WREN_F64, 1, &v, why, sizeof why), WREN_EBADINPUT);
    ck_assert_str_eq(why, "array has 2 dimensions, expected 1");

    /* Conversion to f64 from other dtypes and from nested lists. */
    int32_t ints[4] = {1, -2, 3, 2147483647};
    uint64_t s4[1] = {4};
    wren_buf_reset(&b);
    ck_assert_int_eq(wren_array_pack(&pk, WREN_I32, 1, s4, ints), WREN_OK);
    ck_assert_int_eq(wren_msgpack_unpack_one(b.data, b.len, &z, &o), WREN_OK);
    double *d = NULL;
    ck_assert_int_eq(wren_array_get_f64(&o, 2, &v, &d, why, sizeof why), WREN_OK);
    ck_assert_int_eq(v.ndim, 1);
    ck_assert_double_eq(d[1], -2);
    ck_assert_double_eq(d[3], 2147483647.0);
    ck_assert_uint_eq((uintptr_t)d % 64, 0);
    free(d);
    json_t *j = json_loads("[[1, 2.5], [3, 4]]", 0, NULL);
    wren_buf_reset(&b);
    wren_json_to_msgpack(j, &pk);
    json_decref(j);
    ck_assert_int_eq(wren_msgpack_unpack_one(b.data, b.len, &z, &o), WREN_OK);
    ck_assert_int_eq(wren_array_get_f64(&o, 2, &v, &d, why, sizeof why), WREN_OK);
    ck_assert_int_eq(v.ndim, 2);
    ck_assert_uint_eq(v.shape[0], 2);
    ck_assert_uint_eq(v.shape[1], 2);
    ck_assert_double_eq(d[1], 2.5);
    ck_assert_double_eq(d[2], 3);
    free(d);
    ck_assert_int_eq(wren_array_get_f64(&o, 1, &v, &d, why, sizeof why), WREN_EBADINPUT);
    j = json_loads("[[1, 2], [3]]", 0, NULL);
    wren_buf_reset(&b);
    wren_json_to_msgpack(j, &pk);
    json_decref(j);
    ck_assert_int_eq(wren_msgpack_unpack_one(b.data, b.len, &z, &o), WREN_OK);
    ck_assert_int_eq(wren_array_get_f64(&o, 2, &v, &d, why, sizeof why), WREN_EBADINPUT);
    ck_assert_str_eq(why, "row 1 is not a list of 2 numbers");
    ck_assert_ptr_null(d);

    ck_assert_int_eq(wren_array_pack(&pk, WREN_F64, 9, shape, src), WREN_EINVAL);
    ck_assert_str_eq(wren_dtype_name(WREN_U8), "u8");
    ck_assert_uint_eq(wren_dtype_size(WREN_I32), 4);
    wren_buf_clean_up(&b);
    msgpack_zone_destroy(&z);
}
END_TEST

/* ---- small kernels ------------------------------------------------------- */

START_TEST(test_echo_and_addone)
{
    s_res r;
    s_call_json(&r, "echo", "{\"a\": [1, 2.5, \"x\", null, true], \"b\": {\"c\": -7}}");
    ck_assert_int_eq(r.rc, WREN_OK);
    json_t *j = wren_msgpack_to_json(&r.obj);
    char *text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    ck_assert_str_eq(text, "{\"a\":[1,2.5,\"x\",null,true],\"b\":{\"c\":-7}}");
    free(text);
    json_decref(j);
    s_res_clean_up(&r);

    s_call_json(&r, "addone", "41");
    ck_assert_int_eq(r.rc, WREN_OK);
    ck_assert_int_eq(r.obj.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    ck_assert_uint_eq(r.obj.via.u64, 42);
    s_res_clean_up(&r);
    s_call_json(&r, "addone", "-1");
    ck_assert_int_eq(r.obj.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    ck_assert_uint_eq(r.obj.via.u64, 0);
    s_res_clean_up(&r);
    s_call_json(&r, "addone", "-5");
    ck_assert_int_eq(r.obj.type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
    ck_assert_int_eq(r.obj.via.i64, -4);
    s_res_clean_up(&r);
    s_call_json(&r, "addone", "1.5");
    ck_assert_int_eq(r.obj.type, MSGPACK_OBJECT_FLOAT64);
    ck_assert_double_eq(r.obj.via.f64, 2.5);
    s_res_clean_up(&r);
    s_call_json(&r, "addone", "[1, [2.5, -3]]");
    j = wren_msgpack_to_json(&r.obj);
    text = json_dumps(j, JSON_COMPACT);
    ck_assert_str_eq(text, "[2,[3.5,-2]]");
    free(text);
    json_decref(j);
    s_res_clean_up(&r);
    s_call_json(&r, "addone", "\"x\"");
    s_assert_error(&r, "Wren.BadInput", "addone: expected a number");
    s_res_clean_up(&r);

    /* 2^64 - 1 + 1 overflows. */
    char max[9] = {(char)0xcf, -1, -1, -1, -1, -1, -1, -1, -1};
    s_call_bytes(&r, "addone", max, sizeof max);
    s_assert_error(&r, "Wren.BadInput", "overflows");
    s_res_clean_up(&r);

    /* Arrays elementwise; u8 wraps like numpy. */
    uint8_t u[3] = {0, 41, 255};
    uint64_t shape[1] = {3};
    wren_buf b;
    wren_buf_init(&b, 0);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, wren_buf_msgpack_write);
    wren_array_pack(&pk, WREN_U8, 1, shape, u);
    s_call_bytes(&r, "addone", b.data, b.len);
    ck_assert_int_eq(r.rc, WREN_OK);
    wren_array_view v;
    ck_assert_int_eq(wren_array_expect(&r.obj, WREN_U8, 1, &v, NULL, 0), WREN_OK);
    ck_assert(memcmp(v.data, "\x01\x2a\x00", 3) == 0);
    s_res_clean_up(&r);
    wren_buf_clean_up(&b);
}
END_TEST

START_TEST(test_sleep_fail_and_bad_args)
{
    s_res r;
    uint64_t t0 = wren_mono_ns();
    s_call_json(&r, "sleep_ms", "{\"ms\": 60}");
    uint64_t took_ms = (wren_mono_ns() - t0) / 1000000;
    ck_assert_int_eq(r.rc, WREN_OK);
    ck_assert_uint_eq(r.obj.via.u64, 60);
    ck_assert(took_ms >= 60 && took_ms < 1000);
    s_res_clean_up(&r);
    s_call_json(&r, "sleep_ms", "5");
    ck_assert_int_eq(r.rc, WREN_OK);
    ck_assert_uint_eq(r.obj.via.u64, 5);
    s_res_clean_up(&r);
    s_call_json(&r, "sleep_ms", "{\"ms\": -1}");
    s_assert_error(&r, "Wren.BadInput", "sleep_ms: ms must be an integer in [0, 900000]");
    s_res_clean_up(&r);

    s_call_json(&r, "fail", "{\"type\": \"Custom\", \"message\": \"it broke\"}");
    ck_assert_int_eq(r.rc, WREN_EKERNEL);
    s_assert_error(&r, "Wren.Custom", "it broke");
    ck_assert_str_eq(r.ctx.error_message, "it broke");
    s_res_clean_up(&r);
    s_call_json(&r, "fail", "{\"type\": \"Mine.Oops\"}");
    s_assert_error(&r, "Mine.Oops", "fail kernel called");
    s_res_clean_up(&r);
    s_call_json(&r, "fail", "null");
    s_assert_error(&r, "Wren.KernelError", "fail kernel called");
    s_res_clean_up(&r);
    /* Empty strings (NULL ptr in msgpack-c) are fine too. */
    s_call_json(&r, "fail", "{\"type\": \"\", \"message\": \"\"}");
    s_assert_error(&r, "Wren.KernelError", "");
    ck_assert_str_eq(r.ctx.error_message, "");
    s_res_clean_up(&r);
    s_call_json(&r, "crash", "{\"how\": \"\"}");
    s_assert_error(&r, "Wren.BadInput", "not \"\"");
    s_res_clean_up(&r);
    s_call_json(&r, "fail", "{\"type\": 3}");
    s_assert_error(&r, "Wren.BadInput", "fail: type and message must be strings");
    s_res_clean_up(&r);
    s_call_json(&r, "crash", "{\"how\": \"politely\"}");
    s_assert_error(&r, "Wren.BadInput", "not \"politely\"");
    s_res_clean_up(&r);
}
END_TEST

/* Runs crash in a forked child and returns its wait status. */
static int s_crash_in_child(const char *json)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        s_res r;
        s_call_json(&r, "crash", json);
        _exit(99); /* crash returned: the test sees 99 and fails */
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return status;
}

START_TEST(test_crash_really_dies)
{
    int st = s_crash_in_child("{\"how\": \"segv\"}");
    ck_assert(WIFSIGNALED(st));
    ck_assert_int_eq(WTERMSIG(st), SIGSEGV);
    st = s_crash_in_child("{\"how\": \"abort\"}");
    ck_assert(WIFSIGNALED(st));
    ck_assert_int_eq(WTERMSIG(st), SIGABRT);
    st = s_crash_in_child("{\"how\": \"exit\", \"code\": 7}");
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 7);
    st = s_crash_in_child("null"); /* default: segv */
    ck_assert(WIFSIGNALED(st));
    ck_assert_int_eq(WTERMSIG(st), SIGSEGV);
}
END_TEST

static int s_silent(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    (void)args;
    (void)out;
    (void)ctx;
    return WREN_OK;
}

static int s_status_only(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    (void)args;
    (void)out;
    (void)ctx;
    return WREN_EBADINPUT;
}

START_TEST(test_call_reports_empty_and_too_large_results)
{
    /* Success with nothing packed is an error, not an empty body. */
    const wren_kernel_def silent = {.name = "silent", .fn = s_silent, .doc = ""};
    wren_ctx c;
    wren_buf o;
    wren__ctx_init(&c, "r", 0);
    wren_buf_init(&o, 0);
    ck_assert_int_eq(wren__kernels_call(&silent, NULL, &o, &c), WREN_EKERNEL);
    ck_assert_str_eq(c.error_type, "Wren.KernelError");
    ck_assert_str_eq(c.error_message, "the kernel returned success but packed no result");
    /* A bare status gets a type of its own. */
    const wren_kernel_def status_only = {.name = "status_only", .fn = s_status_only, .doc = ""};
    wren__ctx_init(&c, "r", 0);
    ck_assert_int_eq(wren__kernels_call(&status_only, NULL, &o, &c), WREN_EBADINPUT);
    ck_assert_str_eq(c.error_type, "Wren.BadInput");
    ck_assert_str_eq(c.error_message, "the kernel refused its arguments");
    wren_buf_clean_up(&o);

    s_res r;
    memset(&r, 0, sizeof r);
    /* A result over the buffer's cap. */
    const wren_kernel_def *echo = wren__kernels_find("echo", 4);
    msgpack_object big = {.type = MSGPACK_OBJECT_STR};
    static char text[2000];
    memset(text, 'q', sizeof text);
    big.via.str.ptr = text;
    big.via.str.size = sizeof text;
    wren__ctx_init(&r.ctx, "r", 0);
    wren_buf_init(&r.out, 1000);
    ck_assert_int_eq(wren__kernels_call(echo, &big, &r.out, &r.ctx), WREN_ETOOBIG);
    ck_assert_str_eq(r.ctx.error_type, "Wren.OutputTooLarge");
    ck_assert_str_eq(r.ctx.error_message, "the kernel's result is over the 1000-byte limit");
    wren_buf_clean_up(&r.out);
    /* NULL args are nil. */
    wren__ctx_init(&r.ctx, "r", 0);
    wren_buf_init(&r.out, 0);
    ck_assert_int_eq(wren__kernels_call(echo, NULL, &r.out, &r.ctx), WREN_OK);
    ck_assert_uint_eq(r.out.len, 1);
    ck_assert_int_eq((unsigned char)r.out.data[0], 0xc0);
    wren_buf_clean_up(&r.out);
}
END_TEST

/* ---- random numbers ------------------------------------------------------ */

START_TEST(test_rng_reference_values)
{
    /* splitmix64 from seed 1234567 (the reference sequence). */
    uint64_t st = 1234567;
    ck_assert_uint_eq(wren__splitmix64(&st), UINT64_C(6457827717110365317));
    ck_assert_uint_eq(wren__splitmix64(&st), UINT64_C(3203168211198807973));
    /* xoshiro256** from state {1, 2, 3, 4}: 11520, 0, 1509978240, 1215971899390074240. */
    wren_rng r = {.s = {1, 2, 3, 4}};
    ck_assert_uint_eq(wren__rng_next(&r), 11520);
    ck_assert_uint_eq(wren__rng_next(&r), 0);
    ck_assert_uint_eq(wren__rng_next(&r), 1509978240);
    ck_assert_uint_eq(wren__rng_next(&r), UINT64_C(1215971899390074240));

    /* Distinct (seed, stream) pairs differ; the same pair repeats. */
    wren_rng a, b, c;
    wren__rng_seed(&a, 1, 0);
    wren__rng_seed(&b, 1, 1);
    wren__rng_seed(&c, 1, 0);
    ck_assert(a.s[0] == b.s[0] && a.s[2] != b.s[2]);
    for (int i = 0; i < 100; i++)
        ck_assert_uint_eq(wren__rng_next(&a), wren__rng_next(&c));
    /* Normal variates over 1M draws, each within 5 standard errors: mean 0,
     * variance 1, fourth moment 3, and the tail fractions (the ziggurat's
     * rectangles, wedges and tail beyond R = 3.4426 all take part). */
    wren__rng_seed(&a, 42, 0);
    const int n = 1000000;
    double s1 = 0, s2 = 0, s4 = 0;
    int over1 = 0, over2 = 0, over3 = 0, over_r = 0, neg_tail = 0;
    for (int i = 0; i < n; i++) {
        double x = wren__rng_normal(&a);
        s1 += x;
        s2 += x * x;
        s4 += x * x * x * x;
        over1 += fabs(x) > 1;
        over2 += fabs(x) > 2;
        over3 += fabs(x) > 3;
        over_r += fabs(x) > 3.442619855899;
        neg_tail += x < -3.442619855899;
    }
    ck_assert(fabs(s1 / n) < 5 / sqrt(n));
    ck_assert(fabs(s2 / n - 1) < 5 * sqrt(2.0 / n));
    ck_assert(fabs(s4 / n - 3) < 5 * sqrt(96.0 / n));
    /* P(|Z| > t) = erfc(t / sqrt 2); binomial standard error. */
    const double ts[4] = {1, 2, 3, 3.442619855899};
    const int counts[4] = {over1, over2, over3, over_r};
    for (int k = 0; k < 4; k++) {
        double p = erfc(ts[k] / sqrt(2.0));
        ck_assert_msg(fabs(counts[k] - n * p) < 5 * sqrt(n * p * (1 - p)), "|Z| > %g: %d, expected %.0f", ts[k],
                      counts[k], n * p);
    }
    ck_assert(neg_tail > over_r / 2 - 5 * sqrt(over_r / 4.0) && neg_tail < over_r / 2 + 5 * sqrt(over_r / 4.0));
    for (int i = 0; i < 1000; i++) {
        double u = wren__rng_uniform(&a);
        ck_assert(u >= 0 && u < 1);
    }
}
END_TEST

/* ---- gemm ---------------------------------------------------------------- */

START_TEST(test_gemm_generated_matches_reference)
{
    const int n = 37;
    s_res r;
    s_call_json(&r, "gemm", "{\"n\": 37, \"loops\": 3, \"std\": 2.0, \"seed\": 11}");
    ck_assert_int_eq(r.rc, WREN_OK);
    /* Same A and B generated here, multiplied naively. */
    wren_rng rng;
    wren__rng_seed(&rng, 11, 0);
    double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n);
    wren__rng_fill_normal(&rng, a, (size_t)n * n, 2.0);
    wren__rng_fill_normal(&rng, b, (size_t)n * n, 2.0);
    double sum = 0, abs_sum = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double cij = 0;
            for (int k = 0; k < n; k++)
                cij += a[i * n + k] * b[k * n + j];
            sum += cij;
            abs_sum += fabs(cij);
        }
    free(a);
    free(b);
    ck_assert(fabs(s_num(&r.obj, "sum") - sum) <= 1e-12 * abs_sum);
    ck_assert_double_eq(s_num(&r.obj, "flops"), 2.0 * 37 * 37 * 37 * 3);
    ck_assert_double_eq(r.ctx.flops, 2.0 * 37 * 37 * 37 * 3);
    ck_assert(s_num(&r.obj, "seconds") >= 0);
    ck_assert_double_eq(s_num(&r.obj, "n"), 37);
    double first = s_num(&r.obj, "sum");
    s_res_clean_up(&r);

    /* Deterministic: same seed same sum, to the bit; another seed differs. */
    s_call_json(&r, "gemm", "{\"n\": 37, \"std\": 2.0, \"seed\": 11}");
    ck_assert(s_num(&r.obj, "sum") == first);
    s_res_clean_up(&r);
    s_call_json(&r, "gemm", "{\"n\": 37, \"std\": 2.0, \"seed\": 12}");
    ck_assert(s_num(&r.obj, "sum") != first);
    s_res_clean_up(&r);
    /* std 0: all zeros. */
    s_call_json(&r, "gemm", "{\"n\": 8, \"std\": 0}");
    ck_assert_double_eq(s_num(&r.obj, "sum"), 0);
    s_res_clean_up(&r);

    const char *bad[] = {"{}", "{\"n\": 0}", "{\"n\": 16385}", "{\"n\": 4, \"loops\": 0}", "{\"n\": 4, \"std\": -1}",
                         "{\"n\": 4, \"seed\": \"x\"}", "7"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        s_call_json(&r, "gemm", bad[i]);
        s_assert_error(&r, "Wren.BadInput", "gemm: ");
        s_res_clean_up(&r);
    }
}
END_TEST

START_TEST(test_gemm_multiplies_given_matrices)
{
    const double a[6] = {1, 2, 3, 4, 5, 6};      /* 2x3 */
    const double b[6] = {7, 8, 9, 10, 11, 12};   /* 3x2 */
    wren_buf args;
    s_pack_ab(&args, a, 2, 3, b, 3, 2, 2);
    s_res r;
    s_call_bytes(&r, "gemm", args.data, args.len);
    ck_assert_int_eq(r.rc, WREN_OK);
    double c[4];
    uint64_t shape[2] = {2, 2};
    s_f64(&r.obj, "c", 2, shape, c, 4);
    ck_assert_double_eq(c[0], 58);
    ck_assert_double_eq(c[1], 64);
    ck_assert_double_eq(c[2], 139);
    ck_assert_double_eq(c[3], 154);
    ck_assert_double_eq(r.ctx.flops, 2 * 2 * 3 * 2);
    s_res_clean_up(&r);
    wren_buf_clean_up(&args);

    /* Nested lists work too (plain JSON). */
    s_call_json(&r, "gemm", "{\"a\": [[1, 2], [3, 4]], \"b\": [[5, 6], [7, 8]]}");
    ck_assert_int_eq(r.rc, WREN_OK);
    s_f64(&r.obj, "c", 2, shape, c, 4);
    ck_assert_double_eq(c[0], 19);
    ck_assert_double_eq(c[1], 22);
    ck_assert_double_eq(c[2], 43);
    ck_assert_double_eq(c[3], 50);
    s_res_clean_up(&r);

    s_call_json(&r, "gemm", "{\"a\": [[1, 2], [3, 4]], \"b\": [[5, 6]]}");
    s_assert_error(&r, "Wren.BadInput", "a's columns == b's rows (got 2x2 and 1x2)");
    s_res_clean_up(&r);
    s_call_json(&r, "gemm", "{\"a\": [[1, 2], [3, 4]]}");
    s_assert_error(&r, "Wren.BadInput", "gemm: b: missing");
    s_res_clean_up(&r);
    s_call_json(&r, "gemm", "{\"a\": [1, 2], \"b\": [1, 2]}");
    s_assert_error(&r, "Wren.BadInput", "must be 2-D");
    s_res_clean_up(&r);
}
END_TEST

/* ---- Monte Carlo --------------------------------------------------------- */

START_TEST(test_montecarlo_pi_reproducible_streams)
{
    s_res r;
    s_call_json(&r, "montecarlo_pi", "{\"samples\": 1000000, \"seed\": 7, \"stream\": 3}");
    ck_assert_int_eq(r.rc, WREN_OK);
    double est = s_num(&r.obj, "estimate"), se = s_num(&r.obj, "stderr"), hits = s_num(&r.obj, "hits");
    ck_assert_double_eq(est, 4.0 * hits / 1e6);
    double p = hits / 1e6;
    ck_assert_double_eq_tol(se, 4 * sqrt(p * (1 - p) / 1e6), 1e-15);
    ck_assert(fabs(est - M_PI) < 4 * se);
    ck_assert(se > 0.0015 && se < 0.0018); /* 4 sqrt(pi/4 (1-pi/4) / 1e6) = 0.00164 */
    s_res_clean_up(&r);
    s_call_json(&r, "montecarlo_pi", "{\"samples\": 1000000, \"seed\": 7, \"stream\": 3}");
    ck_assert(s_num(&r.obj, "hits") == hits);
    s_res_clean_up(&r);
    s_call_json(&r, "montecarlo_pi", "{\"samples\": 1000000, \"seed\": 7, \"stream\": 4}");
    ck_assert(s_num(&r.obj, "hits") != hits);
    s_res_clean_up(&r);
    /* Tiny, checkable by hand with the same stream. */
    s_call_json(&r, "montecarlo_pi", "{\"samples\": 1000, \"seed\": 5, \"stream\": 9}");
    wren_rng rng;
    wren__rng_seed(&rng, 5, 9);
    int h = 0;
    for (int i = 0; i < 1000; i++) {
        double x = wren__rng_uniform(&rng), y = wren__rng_uniform(&rng);
        h += x * x + y * y < 1.0;
    }
    ck_assert_double_eq(s_num(&r.obj, "hits"), h);
    s_res_clean_up(&r);
    s_call_json(&r, "montecarlo_pi", "{\"samples\": 0}");
    s_assert_error(&r, "Wren.BadInput", "samples must be an integer");
    s_res_clean_up(&r);
}
END_TEST

START_TEST(test_black_scholes_mc_agrees_with_closed_form)
{
    /* Closed form, textbook values (S=K=100, r=5%, sigma=20%, T=1). */
    ck_assert_double_eq_tol(wren__black_scholes(100, 100, 0.05, 0.2, 1, 1), 10.450583572185565, 1e-9);
    ck_assert_double_eq_tol(wren__black_scholes(100, 100, 0.05, 0.2, 1, 0), 5.573526022256971, 1e-9);
    const char *cases[] = {
        "{\"s0\": 100, \"k\": 100, \"r\": 0.05, \"sigma\": 0.2, \"t\": 1, \"samples\": 200000, \"seed\": 1}",
        "{\"s0\": 100, \"k\": 100, \"r\": 0.05, \"sigma\": 0.2, \"t\": 1, \"samples\": 200000, \"seed\": 1, "
        "\"call\": false}",
        "{\"s0\": 50, \"k\": 60, \"r\": 0.01, \"sigma\": 0.4, \"t\": 0.5, \"samples\": 200000, \"seed\": 2, "
        "\"stream\": 5}",
    };
    const double want[] = {10.450583572185565, 5.573526022256971, wren__black_scholes(50, 60, 0.01, 0.4, 0.5, 1)};
    double prev = 0;
    for (int i = 0; i < 3; i++) {
        s_res r;
        s_call_json(&r, "black_scholes_mc", cases[i]);
        ck_assert_int_eq(r.rc, WREN_OK);
        double price = s_num(&r.obj, "price"), se = s_num(&r.obj, "stderr");
        ck_assert_double_eq_tol(s_num(&r.obj, "closed_form"), want[i], 1e-9);
        ck_assert_msg(fabs(price - want[i]) < 4 * se, "case %d: %g vs %g (se %g)", i, price, want[i], se);
        ck_assert(se > 0 && se < 0.05);
        ck_assert(price != prev);
        prev = price;
        s_res_clean_up(&r);
    }
    s_res r;
    s_call_json(&r, "black_scholes_mc", cases[0]);
    double again = s_num(&r.obj, "price");
    s_res_clean_up(&r);
    s_call_json(&r, "black_scholes_mc", cases[0]);
    ck_assert(s_num(&r.obj, "price") == again);
    s_res_clean_up(&r);
    s_call_json(&r, "black_scholes_mc", "{\"sigma\": 0}");
    s_assert_error(&r, "Wren.BadInput", "must be positive");
    s_res_clean_up(&r);
    s_call_json(&r, "black_scholes_mc", "{\"call\": 1}");
    s_assert_error(&r, "Wren.BadInput", "call must be true or false");
    s_res_clean_up(&r);
}
END_TEST

/* ---- solvers ------------------------------------------------------------- */

START_TEST(test_solve_exact_systems_and_errors)
{
    s_res r;
    double x[6];
    uint64_t s2[1] = {2};
    s_call_json(&r, "solve", "{\"a\": [[2, 1], [1, 3]], \"b\": [3, 5]}");
    ck_assert_int_eq(r.rc, WREN_OK);
    s_f64(&r.obj, "x", 1, s2, x, 2);
    ck_assert_double_eq_tol(x[0], 0.8, 1e-14);
    ck_assert_double_eq_tol(x[1], 1.4, 1e-14);
    s_res_clean_up(&r);

    /* Matrix right-hand side, given as arrays: a x = b with b = a [1 2; 3 4; 5 6]. */
    const double a[9] = {4, -2, 1, -2, 4, -2, 1, -2, 4};
    double b[6];
    const double xs[6] = {1, 2, 3, 4, 5, 6};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) {
            b[i * 2 + j] = 0;
            for (int k = 0; k < 3; k++)
                b[i * 2 + j] += a[i * 3 + k] * xs[k * 2 + j];
        }
    wren_buf args;
    s_pack_ab(&args, a, 3, 3, b, 3, 2, 2);
    s_call_bytes(&r, "solve", args.data, args.len);
    ck_assert_int_eq(r.rc, WREN_OK);
    uint64_t s32[2] = {3, 2};
    s_f64(&r.obj, "x", 2, s32, x, 6);
    for (int i = 0; i < 6; i++)
        ck_assert_double_eq_tol(x[i], xs[i], 1e-13);
    s_res_clean_up(&r);
    wren_buf_clean_up(&args);

    s_call_json(&r, "solve", "{\"a\": [[1, 2], [2, 4]], \"b\": [1, 2]}");
    s_assert_error(&r, "Wren.SingularMatrix", "solve: a is singular");
    s_res_clean_up(&r);
    /* Singular, but LU in floating point leaves a tiny pivot, not zero. */
    s_call_json(&r, "solve", "{\"a\": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], \"b\": [1, 2, 3]}");
    s_assert_error(&r, "Wren.SingularMatrix", "singular");
    s_res_clean_up(&r);
    s_call_json(&r, "solve", "{\"a\": [[1, 2, 3], [4, 5, 6]], \"b\": [1, 2]}");
    s_assert_error(&r, "Wren.BadInput", "solve: a must be square (got 2x3)");
    s_res_clean_up(&r);
    s_call_json(&r, "solve", "{\"a\": [[2, 1], [1, 3]], \"b\": [3, 5, 7]}");
    s_assert_error(&r, "Wren.BadInput", "solve: b must have 2 rows");
    s_res_clean_up(&r);
    s_call_json(&r, "solve", "{\"a\": [[2, 1], [1, \"x\"]], \"b\": [3, 5]}");
    s_assert_error(&r, "Wren.BadInput", "solve: a: element [1][1] is not a number");
    s_res_clean_up(&r);
}
END_TEST

START_TEST(test_cholesky_solve_exact_and_not_spd)
{
    s_res r;
    double x[2];
    uint64_t s2[1] = {2};
    s_call_json(&r, "cholesky_solve", "{\"a\": [[4, 2], [2, 3]], \"b\": [2, 1]}");
    ck_assert_int_eq(r.rc, WREN_OK);
    s_f64(&r.obj, "x", 1, s2, x, 2);
    ck_assert_double_eq_tol(x[0], 0.5, 1e-15);
    ck_assert_double_eq_tol(x[1], 0.0, 1e-15);
    s_res_clean_up(&r);
    s_call_json(&r, "cholesky_solve", "{\"a\": [[1, 2], [2, 1]], \"b\": [1, 1]}");
    s_assert_error(&r, "Wren.NotPositiveDefinite", "leading minor of order 2");
    s_res_clean_up(&r);
    s_call_json(&r, "cholesky_solve", "{\"a\": [[4, 2], [1, 3]], \"b\": [1, 1]}");
    s_assert_error(&r, "Wren.NotPositiveDefinite", "not symmetric");
    s_res_clean_up(&r);
    s_call_json(&r, "cholesky_solve", "{\"a\": [[4, 2]], \"b\": [1]}");
    s_assert_error(&r, "Wren.BadInput", "must be square");
    s_res_clean_up(&r);
}
END_TEST

START_TEST(test_lstsq_known_fit)
{
    s_res r;
    double x[2];
    uint64_t s2[1] = {2};
    /* Exact line y = 1 + 2t through four points: zero residual. */
    s_call_json(&r, "lstsq", "{\"a\": [[1, 0], [1, 1], [1, 2], [1, 3]], \"b\": [1, 3, 5, 7]}");
    ck_assert_int_eq(r.rc, WREN_OK);
    s_f64(&r.obj, "x", 1, s2, x, 2);
    ck_assert_double_eq_tol(x[0], 1, 1e-14);
    ck_assert_double_eq_tol(x[1], 2, 1e-14);
    ck_assert_double_eq_tol(s_num(&r.obj, "residuals"), 0, 1e-26);
    ck_assert_double_eq(s_num(&r.obj, "rank"), 2);
    s_res_clean_up(&r);
    /* Overdetermined: x = [7/6, 1/2], residual sum of squares 1/6. */
    s_call_json(&r, "lstsq", "{\"a\": [[1, 0], [1, 1], [1, 2]], \"b\": [1, 2, 2]}");
    ck_assert_int_eq(r.rc, WREN_OK);
    s_f64(&r.obj, "x", 1, s2, x, 2);
    ck_assert_double_eq_tol(x[0], 7.0 / 6, 1e-14);
    ck_assert_double_eq_tol(x[1], 0.5, 1e-14);
    ck_assert_double_eq_tol(s_num(&r.obj, "residuals"), 1.0 / 6, 1e-14);
    s_res_clean_up(&r);
    /* Two right-hand sides: residuals per column. */
    s_call_json(&r, "lstsq", "{\"a\": [[1, 0], [1, 1], [1, 2]], \"b\": [[1, 0], [2, 1], [2, 2]]}");
    ck_assert_int_eq(r.rc, WREN_OK);
    double res[2], xx[4];
    uint64_t s22[2] = {2, 2};
    s_f64(&r.obj, "x", 2, s22, xx, 4);
    ck_assert_double_eq_tol(xx[0], 7.0 / 6, 1e-14);
    ck_assert_double_eq_tol(xx[1], 0, 1e-14);
    ck_assert_double_eq_tol(xx[3], 1, 1e-14);
    s_f64(&r.obj, "residuals", 1, s2, res, 2);
    ck_assert_double_eq_tol(res[0], 1.0 / 6, 1e-14);
    ck_assert_double_eq_tol(res[1], 0, 1e-26);
    s_res_clean_up(&r);

    s_call_json(&r, "lstsq", "{\"a\": [[1, 1], [1, 1], [1, 1]], \"b\": [1, 2, 3]}");
    s_assert_error(&r, "Wren.SingularMatrix", "lstsq: a is rank deficient");
    s_res_clean_up(&r);
    s_call_json(&r, "lstsq", "{\"a\": [[1, 2, 3]], \"b\": [1]}");
    s_assert_error(&r, "Wren.BadInput", "at least as many rows as columns (got 1x3)");
    s_res_clean_up(&r);
}
END_TEST

START_TEST(test_eigh_known_spectrum)
{
    s_res r;
    double w[3], v[9];
    uint64_t s2[1] = {2}, s22[2] = {2, 2};
    s_call_json(&r, "eigh", "{\"a\": [[2, 1], [1, 2]]}");
    ck_assert_int_eq(r.rc, WREN_OK);
    s_f64(&r.obj, "eigenvalues", 1, s2, w, 2);
    ck_assert_double_eq_tol(w[0], 1, 1e-14);
    ck_assert_double_eq_tol(w[1], 3, 1e-14);
    s_f64(&r.obj, "eigenvectors", 2, s22, v, 4);
    /* Columns: (1, -1)/sqrt2 for 1 and (1, 1)/sqrt2 for 3, up to sign. */
    const double h = 1 / sqrt(2.0);
    ck_assert_double_eq_tol(fabs(v[0]), h, 1e-14);
    ck_assert_double_eq_tol(v[2], -v[0], 1e-14);
    ck_assert_double_eq_tol(fabs(v[1]), h, 1e-14);
    ck_assert_double_eq_tol(v[3], v[1], 1e-14);
    s_res_clean_up(&r);

    /* A v = lambda v on a 3x3 with eigenvalues 2 - sqrt2, 2, 2 + sqrt2. */
    s_call_json(&r, "eigh", "{\"a\": [[2, -1, 0], [-1, 2, -1], [0, -1, 2]]}");
    ck_assert_int_eq(r.rc, WREN_OK);
    uint64_t s3[1] = {3}, s33[2] = {3, 3};
    s_f64(&r.obj, "eigenvalues", 1, s3, w, 3);
    ck_assert_double_eq_tol(w[0], 2 - sqrt(2.0), 1e-14);
    ck_assert_double_eq_tol(w[1], 2, 1e-14);
    ck_assert_double_eq_tol(w[2], 2 + sqrt(2.0), 1e-14);
    s_f64(&r.obj, "eigenvectors", 2, s33, v, 9);
    const double a[9] = {2, -1, 0, -1, 2, -1, 0, -1, 2};
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 3; i++) {
            double av = 0;
            for (int k = 0; k < 3; k++)
                av += a[i * 3 + k] * v[k * 3 + c];
            ck_assert_double_eq_tol(av, w[c] * v[i * 3 + c], 1e-13);
        }
    s_res_clean_up(&r);
    s_call_json(&r, "eigh", "{\"a\": [[1, 2], [3, 4]]}");
    s_assert_error(&r, "Wren.BadInput", "eigh: a is not symmetric");
    s_res_clean_up(&r);
}
END_TEST

/* ---- random arguments never crash a kernel ------------------------------- */

static const char *const s_keys[] = {"n", "loops", "std", "seed", "stream", "a", "b", "x", "samples", "s0", "k",
                                     "r", "sigma", "t", "call", "type", "message", "dtype", "shape", "data", "ms"};

/* Packs a random value: small or extreme numbers, strings, nested lists and
 * array maps with random (often inconsistent) dtype, shape and data length. */
static void s_pack_random(msgpack_packer *pk, wren_rng *rng, int depth)
{
    uint64_t pick = wren__rng_next(rng) % (depth > 3 ? 6 : 10);
    static const int64_t ints[] = {0, 1, 2, 3, 7, 40, -1, -7, INT64_MAX, INT64_MIN, INT64_C(1) << 40, 9};
    static const double reals[] = {0.0, 0.5, -2.25, 1e308, -1e-308, 3.0};
    switch (pick) {
    case 0: msgpack_pack_int64(pk, ints[wren__rng_next(rng) % 12]); break;
    case 1: msgpack_pack_double(pk, reals[wren__rng_next(rng) % 6]); break;
    case 2: msgpack_pack_double(pk, (wren__rng_next(rng) & 1) ? NAN : -INFINITY); break;
    case 3: msgpack_pack_str_with_body(pk, "f64", 3); break;
    case 4: msgpack_pack_nil(pk); break;
    case 5: (wren__rng_next(rng) & 1) ? msgpack_pack_true(pk) : msgpack_pack_false(pk); break;
    case 6:
    case 7: {
        uint32_t n = (uint32_t)(wren__rng_next(rng) % 5);
        msgpack_pack_array(pk, n);
        for (uint32_t i = 0; i < n; i++)
            s_pack_random(pk, rng, depth + 1);
        break;
    }
    case 8: {
        static const char *const dtypes[] = {"f64", "f32", "i64", "i32", "u8", "x"};
        const char *dt = dtypes[wren__rng_next(rng) % 6];
        uint32_t nd = (uint32_t)(wren__rng_next(rng) % 4);
        uint64_t count = 1;
        msgpack_pack_map(pk, 3);
        msgpack_pack_str_with_body(pk, "dtype", 5);
        msgpack_pack_str_with_body(pk, dt, strlen(dt));
        msgpack_pack_str_with_body(pk, "shape", 5);
        msgpack_pack_array(pk, nd);
        for (uint32_t i = 0; i < nd; i++) {
            uint64_t d = wren__rng_next(rng) % 5;
            count *= d;
            msgpack_pack_uint64(pk, d);
        }
        size_t len = (size_t)(count * 8) + (size_t)(wren__rng_next(rng) % 3) * 4 - 4 * ((count & 1) != 0);
        if (len > 4096)
            len = 0;
        unsigned char data[4096];
        for (size_t i = 0; i < len; i++)
            data[i] = (unsigned char)wren__rng_next(rng);
        msgpack_pack_str_with_body(pk, "data", 4);
        msgpack_pack_bin_with_body(pk, data, len);
        break;
    }
    default: {
        uint32_t n = (uint32_t)(wren__rng_next(rng) % 4);
        msgpack_pack_map(pk, n);
        for (uint32_t i = 0; i < n; i++) {
            const char *key = s_keys[wren__rng_next(rng) % (sizeof s_keys / sizeof *s_keys)];
            msgpack_pack_str_with_body(pk, key, strlen(key));
            s_pack_random(pk, rng, depth + 1);
        }
        break;
    }
    }
}

START_TEST(test_random_arguments_get_results_or_typed_errors)
{
    /* Everything but crash (dies on purpose) and sleep_ms (would sleep). */
    const char *kernels[] = {"echo", "addone", "fail", "gemm", "montecarlo_pi", "black_scholes_mc", "solve",
                             "cholesky_solve", "lstsq", "eigh"};
    wren_rng rng;
    wren__rng_seed(&rng, 2026, 0);
    int ok = 0, refused = 0;
    for (int iter = 0; iter < 4000; iter++) {
        wren_buf b;
        wren_buf_init(&b, 0);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &b, wren_buf_msgpack_write);
        /* Mostly maps with the keys kernels read. */
        const char *kernel = kernels[iter % 10];
        /* The Monte Carlo kernels get a small sample count first (wren_arg
         * finds the first of duplicate keys), or they would run for hours. */
        int capped = !strcmp(kernel, "montecarlo_pi") || !strcmp(kernel, "black_scholes_mc");
        if (iter % 4) {
            uint32_t n = 1 + (uint32_t)(wren__rng_next(&rng) % 5);
            msgpack_pack_map(&pk, n + (capped ? 1 : 0));
            if (capped) {
                msgpack_pack_str_with_body(&pk, "samples", 7);
                msgpack_pack_int(&pk, (int)(wren__rng_next(&rng) % 50));
            }
            for (uint32_t i = 0; i < n; i++) {
                const char *key = s_keys[wren__rng_next(&rng) % (sizeof s_keys / sizeof *s_keys)];
                msgpack_pack_str_with_body(&pk, key, strlen(key));
                s_pack_random(&pk, &rng, 1);
            }
        } else {
            s_pack_random(&pk, &rng, 0);
        }
        s_res r;
        s_call_bytes(&r, kernel, b.data, b.len);
        if (r.rc == WREN_OK) {
            ck_assert_int_eq(r.ctx.failed, 0);
            ok++;
        } else {
            ck_assert_int_eq(r.ctx.failed, 1);
            ck_assert_msg(!strncmp(r.ctx.error_type, "Wren.", 5), "%s: type %s", kernel, r.ctx.error_type);
            ck_assert(r.ctx.error_message[0] != '\0');
            refused++;
        }
        s_res_clean_up(&r);
        wren_buf_clean_up(&b);
    }
    /* Both outcomes happen: the generator reaches past the argument checks. */
    ck_assert_int_gt(ok, 400);
    ck_assert_int_gt(refused, 400);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels");
    TCase *reg = tcase_create("registry");
    tcase_add_test(reg, test_registry_finds_builtins_and_user_kernel);
    tcase_add_test(reg, test_load_shared_registers_and_calls);
    tcase_add_test(reg, test_load_shared_refuses_duplicate_and_rolls_back);
    tcase_add_test(reg, test_handler_rule);
    suite_add_tcase(s, reg);
    TCase *ctx = tcase_create("context");
    tcase_add_test(ctx, test_ctx_basics_and_error_types);
    tcase_add_test(ctx, test_ctx_log_keeps_last_whole_lines);
    tcase_add_test(ctx, test_blas_threads_follow_lambda_memory);
    tcase_add_test(ctx, test_call_reports_empty_and_too_large_results);
    suite_add_tcase(s, ctx);
    TCase *args = tcase_create("args");
    tcase_add_test(args, test_args_typed_getters);
    tcase_add_test(args, test_array_checks_before_use);
    tcase_add_test(args, test_array_pack_parse_round_trip_unaligned);
    suite_add_tcase(s, args);
    TCase *k = tcase_create("builtins");
    tcase_add_test(k, test_echo_and_addone);
    tcase_add_test(k, test_sleep_fail_and_bad_args);
    tcase_add_test(k, test_crash_really_dies);
    tcase_add_test(k, test_rng_reference_values);
    tcase_add_test(k, test_gemm_generated_matches_reference);
    tcase_add_test(k, test_gemm_multiplies_given_matrices);
    tcase_add_test(k, test_montecarlo_pi_reproducible_streams);
    tcase_add_test(k, test_black_scholes_mc_agrees_with_closed_form);
    tcase_add_test(k, test_solve_exact_systems_and_errors);
    tcase_add_test(k, test_cholesky_solve_exact_and_not_spd);
    tcase_add_test(k, test_lstsq_known_fit);
    tcase_add_test(k, test_eigh_known_spectrum);
    tcase_add_test(k, test_random_arguments_get_results_or_typed_errors);
    suite_add_tcase(s, k);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
