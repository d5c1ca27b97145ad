/* check_render_arrays: cli/render_arrays.c, results as JSON for the `wren`
 * command with numeric arrays as nested lists. Exact text for each dtype and
 * shape, look-alikes printed as they are (as common/ prints them), the
 * base64 mode identical to common/, and a round trip of random floats. */
#include <check.h>
#include <endian.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "render_arrays.h"
#include "wren_common.h"

/* ---- building msgpack ---------------------------------------------------- */

typedef struct t_msg {
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_zone zone;
    msgpack_object obj;
} t_msg;

static void t_begin(t_msg *m)
{
    msgpack_sbuffer_init(&m->sb);
    msgpack_packer_init(&m->pk, &m->sb, msgpack_sbuffer_write);
    msgpack_zone_init(&m->zone, 1024);
}

/* Unpacks what was packed; the object lives until t_end. */
static const msgpack_object *t_obj(t_msg *m)
{
    ck_assert_int_eq(wren_msgpack_unpack_one(m->sb.data, m->sb.size, &m->zone, &m->obj), WREN_OK);
    return &m->obj;
}

static void t_end(t_msg *m)
{
    msgpack_zone_destroy(&m->zone);
    msgpack_sbuffer_destroy(&m->sb);
}

static void t_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

/* {dtype, shape, data} with data given as raw little-endian bytes. */
static void t_array(msgpack_packer *pk, const char *dtype, int ndim, const uint64_t *shape, const void *data,
                    size_t nbytes)
{
    msgpack_pack_map(pk, 3);
    t_str(pk, "dtype");
    t_str(pk, dtype);
    t_str(pk, "shape");
    msgpack_pack_array(pk, (size_t)ndim);
    for (int i = 0; i < ndim; i++)
        msgpack_pack_uint64(pk, shape[i]);
    t_str(pk, "data");
    msgpack_pack_bin_with_body(pk, data, nbytes);
}

static void t_f64s(msgpack_packer *pk, int ndim, const uint64_t *shape, const double *v, size_t n)
{
    uint64_t *le = calloc(n ? n : 1, 8);
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, &v[i], 8);
        le[i] = htole64(u);
    }
    t_array(pk, "f64", ndim, shape, le, n * 8);
    free(le);
}

static void t_f32s(msgpack_packer *pk, int ndim, const uint64_t *shape, const float *v, size_t n)
{
    uint32_t *le = calloc(n ? n : 1, 4);
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        le[i] = htole32(u);
    }
    t_array(pk, "f32", ndim, shape, le, n * 4);
    free(le);
}

/* Renders in a mode; the text is the caller's to free. */
static char *t_render(const msgpack_object *o, wren__arrays_mode mode)
{
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren__render_json(o, mode, &b), WREN_OK);
    return wren_buf_detach(&b, NULL);
}

/* What the CLI printed before this module: common/'s rendering. */
static char *t_common(const msgpack_object *o)
{
    json_t *j = wren_msgpack_to_json(o);
    ck_assert_ptr_nonnull(j);
    char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(j);
    return s;
}

/* The packed value renders as `lists` by default, and as common/ does in
 * base64 mode. */
static void t_expect(t_msg *m, const char *lists)
{
    const msgpack_object *o = t_obj(m);
    char *got = t_render(o, WREN__ARRAYS_LISTS);
    ck_assert_str_eq(got, lists);
    free(got);
    char *b64 = t_render(o, WREN__ARRAYS_BASE64), *old = t_common(o);
    ck_assert_str_eq(b64, old);
    free(b64);
    free(old);
}

/* A look-alike: both modes print exactly what common/ prints. */
static void t_expect_as_is(t_msg *m)
{
    const msgpack_object *o = t_obj(m);
    char *old = t_common(o);
    char *got = t_render(o, WREN__ARRAYS_LISTS);
    ck_assert_str_eq(got, old);
    free(got);
    got = t_render(o, WREN__ARRAYS_BASE64);
    ck_assert_str_eq(got, old);
    free(got);
    free(old);
}

/* ---- each dtype ---------------------------------------------------------- */

START_TEST(test_f64_2x3)
{
    t_msg m;
    t_begin(&m);
    const double v[] = {1, 2.5, -3, 0.1, 1e300, -0.0};
    t_f64s(&m.pk, 2, (uint64_t[]){2, 3}, v, 6);
    t_expect(&m, "[[1,2.5,-3],[0.1,1e+300,-0.0]]");
    t_end(&m);
}
END_TEST

START_TEST(test_f64_shortest_exact)
{
    t_msg m;
    t_begin(&m);
    /* 15, 16 and 17 significant digits needed; the smallest subnormal; the
     * largest double; an integer past 2^53; NaN and infinities as null. */
    const double v[] = {0.1 + 0.2, 1.0 / 3, 123456789012345.6, 4.9406564584124654e-324, 1.7976931348623157e308,
                        9007199254740993.0, NAN, INFINITY, -INFINITY, 1e-7};
    t_f64s(&m.pk, 1, (uint64_t[]){10}, v, 10);
    t_expect(&m, "[0.30000000000000004,0.3333333333333333,123456789012345.6,4.94065645841247e-324,"
                 "1.7976931348623157e+308,9007199254740992,null,null,null,1e-07]");
    t_end(&m);
}
END_TEST

START_TEST(test_f32)
{
    t_msg m;
    t_begin(&m);
    const float v[] = {0.1f, 1.0f, -2.5f, 3.4028235e38f, 1e-45f, 16777217.0f, 0.333333343f, -0.0f, NAN};
    t_f32s(&m.pk, 1, (uint64_t[]){9}, v, 9);
    t_expect(&m, "[0.1,1,-2.5,3.4028235e+38,1.4013e-45,16777216,0.33333334,-0.0,null]");
    t_end(&m);
}
END_TEST

START_TEST(test_i64)
{
    t_msg m;
    t_begin(&m);
    const int64_t v[] = {INT64_MIN, -1, 0, INT64_MAX};
    uint64_t le[4];
    for (int i = 0; i < 4; i++)
        le[i] = htole64((uint64_t)v[i]);
    t_array(&m.pk, "i64", 2, (uint64_t[]){2, 2}, le, sizeof le);
    t_expect(&m, "[[-9223372036854775808,-1],[0,9223372036854775807]]");
    t_end(&m);
}
END_TEST

START_TEST(test_i32)
{
    t_msg m;
    t_begin(&m);
    const int32_t v[] = {INT32_MIN, 7, INT32_MAX};
    uint32_t le[3];
    for (int i = 0; i < 3; i++)
        le[i] = htole32((uint32_t)v[i]);
    t_array(&m.pk, "i32", 1, (uint64_t[]){3}, le, sizeof le);
    t_expect(&m, "[-2147483648,7,2147483647]");
    t_end(&m);
}
END_TEST

START_TEST(test_u8)
{
    t_msg m;
    t_begin(&m);
    const unsigned char v[] = {0, 255, 7, 128};
    t_array(&m.pk, "u8", 2, (uint64_t[]){1, 4}, v, 4);
    t_expect(&m, "[[0,255,7,128]]");
    t_end(&m);
}
END_TEST

/* ---- shapes ---------------------------------------------------------------- */

START_TEST(test_0d)
{
    t_msg m;
    t_begin(&m);
    msgpack_pack_map(&m.pk, 2);
    t_str(&m.pk, "x");
    t_f64s(&m.pk, 0, NULL, (double[]){42.5}, 1);
    t_str(&m.pk, "n");
    uint32_t le = htole32(7);
    t_array(&m.pk, "i32", 0, NULL, &le, 4);
    t_expect(&m, "{\"x\":42.5,\"n\":7}");
    t_end(&m);
}
END_TEST

START_TEST(test_3d)
{
    t_msg m;
    t_begin(&m);
    uint32_t le[12];
    for (int i = 0; i < 12; i++)
        le[i] = htole32((uint32_t)i);
    t_array(&m.pk, "i32", 3, (uint64_t[]){2, 3, 2}, le, sizeof le);
    t_expect(&m, "[[[0,1],[2,3],[4,5]],[[6,7],[8,9],[10,11]]]");
    t_end(&m);
}
END_TEST

START_TEST(test_empty)
{
    static const struct {
        int ndim;
        uint64_t shape[3];
        const char *want;
    } cases[] = {
        {1, {0}, "[]"},
        {2, {2, 0}, "[[],[]]"},
        {2, {0, 3}, "[]"},
        {3, {2, 1, 0}, "[[[]],[[]]]"},
        /* A huge empty array stays within the bound on lists... */
        {2, {WREN__RENDER_MAX_EMPTY_LISTS - 1, 0}, NULL},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        t_msg m;
        t_begin(&m);
        t_array(&m.pk, "f64", cases[c].ndim, cases[c].shape, "", 0);
        if (cases[c].want) {
            t_expect(&m, cases[c].want);
        } else {
            char *got = t_render(t_obj(&m), WREN__ARRAYS_LISTS);
            /* "[" + 65535 "[]" with 65534 commas + "]" */
            ck_assert_uint_eq(strlen(got), 2 + 2 * (size_t)(WREN__RENDER_MAX_EMPTY_LISTS - 1) +
                                               (WREN__RENDER_MAX_EMPTY_LISTS - 2));
            ck_assert(!strncmp(got, "[[],[],", 7));
            free(got);
        }
        t_end(&m);
    }
}
END_TEST

START_TEST(test_inside_results)
{
    /* Arrays anywhere in a result: in a map beside other values, in a list,
     * under a non-string key; everything else as common/ prints it (a
     * scalar double keeps jansson's form, a bin outside an array base64). */
    t_msg m;
    t_begin(&m);
    msgpack_pack_map(&m.pk, 5);
    t_str(&m.pk, "x");
    t_f64s(&m.pk, 1, (uint64_t[]){2}, (double[]){1, 1}, 2);
    t_str(&m.pk, "seconds");
    msgpack_pack_double(&m.pk, 0.5);
    t_str(&m.pk, "raw");
    msgpack_pack_bin_with_body(&m.pk, "\x01\x02", 2);
    t_str(&m.pk, "list");
    msgpack_pack_array(&m.pk, 2);
    t_array(&m.pk, "u8", 1, (uint64_t[]){2}, "\x05\x06", 2);
    msgpack_pack_nil(&m.pk);
    msgpack_pack_int(&m.pk, 3);
    t_array(&m.pk, "u8", 0, NULL, "\x09", 1);
    t_expect(&m, "{\"x\":[1,1],\"seconds\":0.5,\"raw\":\"AQI=\",\"list\":[[5,6],null],\"3\":9}");
    t_end(&m);
}
END_TEST

START_TEST(test_repeated_keys)
{
    /* A repeated key prints as jansson does: first place, last value. */
    t_msg m;
    t_begin(&m);
    msgpack_pack_map(&m.pk, 4);
    t_str(&m.pk, "a");
    msgpack_pack_int(&m.pk, 1);
    t_str(&m.pk, "b");
    t_array(&m.pk, "u8", 1, (uint64_t[]){1}, "\x02", 1);
    t_str(&m.pk, "a");
    msgpack_pack_int(&m.pk, 3);
    msgpack_pack_str_with_body(&m.pk, "k\0z", 3);
    msgpack_pack_true(&m.pk);
    t_expect(&m, "{\"a\":3,\"b\":[2],\"k\\u0000z\":true}");
    t_end(&m);
    /* ... and with no array, byte for byte common/'s text. */
    t_begin(&m);
    msgpack_pack_map(&m.pk, 3);
    t_str(&m.pk, "a");
    msgpack_pack_int(&m.pk, 1);
    msgpack_pack_int(&m.pk, 1);
    msgpack_pack_double(&m.pk, 1.0);
    t_str(&m.pk, "a");
    msgpack_pack_str_with_body(&m.pk, "\xff", 1);
    t_expect_as_is(&m);
    t_end(&m);
}
END_TEST

/* ---- look-alikes ----------------------------------------------------------- */

START_TEST(test_look_alikes)
{
    unsigned char bytes[64] = {0};
    t_msg m;
    /* Wrong dtype; dtype not a string. */
    t_begin(&m);
    t_array(&m.pk, "f16", 1, (uint64_t[]){2}, bytes, 4);
    t_expect_as_is(&m);
    t_end(&m);
    t_begin(&m);
    msgpack_pack_map(&m.pk, 3);
    t_str(&m.pk, "dtype");
    msgpack_pack_bin_with_body(&m.pk, "f64", 3);
    t_str(&m.pk, "shape");
    msgpack_pack_array(&m.pk, 0);
    t_str(&m.pk, "data");
    msgpack_pack_bin_with_body(&m.pk, bytes, 8);
    t_expect_as_is(&m);
    t_end(&m);
    /* Byte count one short, one over, for the shape. */
    t_begin(&m);
    t_array(&m.pk, "f64", 1, (uint64_t[]){2}, bytes, 8);
    t_expect(&m, "{\"dtype\":\"f64\",\"shape\":[2],\"data\":\"AAAAAAAAAAA=\"}");
    t_end(&m);
    t_begin(&m);
    t_array(&m.pk, "i32", 2, (uint64_t[]){2, 2}, bytes, 17);
    t_expect_as_is(&m);
    t_end(&m);
    /* A product that overflows; dimensions so large an empty array would be
     * billions of lists; more than WREN_ARRAY_MAX_DIMS dimensions. */
    t_begin(&m);
    t_array(&m.pk, "u8", 3, (uint64_t[]){1ull << 32, 1ull << 32, 2}, bytes, 0);
    t_expect_as_is(&m);
    t_end(&m);
    t_begin(&m);
    t_array(&m.pk, "u8", 2, (uint64_t[]){1ull << 40, 0}, bytes, 0);
    t_expect_as_is(&m);
    t_end(&m);
    t_begin(&m);
    t_array(&m.pk, "u8", 2, (uint64_t[]){WREN__RENDER_MAX_EMPTY_LISTS, 0}, bytes, 0);
    t_expect_as_is(&m);
    t_end(&m);
    t_begin(&m);
    t_array(&m.pk, "u8", 9, (uint64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1}, bytes, 1);
    t_expect_as_is(&m);
    t_end(&m);
    /* A negative dimension; a real dimension; shape not a list. */
    t_begin(&m);
    msgpack_pack_map(&m.pk, 3);
    t_str(&m.pk, "dtype");
    t_str(&m.pk, "u8");
    t_str(&m.pk, "shape");
    msgpack_pack_array(&m.pk, 2);
    msgpack_pack_int(&m.pk, -1);
    msgpack_pack_int(&m.pk, -1);
    t_str(&m.pk, "data");
    msgpack_pack_bin_with_body(&m.pk, bytes, 1);
    t_expect(&m, "{\"dtype\":\"u8\",\"shape\":[-1,-1],\"data\":\"AA==\"}");
    t_end(&m);
    t_begin(&m);
    msgpack_pack_map(&m.pk, 3);
    t_str(&m.pk, "shape");
    msgpack_pack_array(&m.pk, 1);
    msgpack_pack_double(&m.pk, 2.0);
    t_str(&m.pk, "dtype");
    t_str(&m.pk, "u8");
    t_str(&m.pk, "data");
    msgpack_pack_bin_with_body(&m.pk, bytes, 2);
    t_expect_as_is(&m);
    t_end(&m);
    t_begin(&m);
    msgpack_pack_map(&m.pk, 3);
    t_str(&m.pk, "dtype");
    t_str(&m.pk, "u8");
    t_str(&m.pk, "shape");
    msgpack_pack_uint8(&m.pk, 2);
    t_str(&m.pk, "data");
    msgpack_pack_bin_with_body(&m.pk, bytes, 2);
    t_expect_as_is(&m);
    t_end(&m);
    /* data a str, not a bin (what JSON arguments give). */
    t_begin(&m);
    msgpack_pack_map(&m.pk, 3);
    t_str(&m.pk, "dtype");
    t_str(&m.pk, "u8");
    t_str(&m.pk, "shape");
    msgpack_pack_array(&m.pk, 1);
    msgpack_pack_uint8(&m.pk, 4);
    t_str(&m.pk, "data");
    t_str(&m.pk, "AAAA");
    t_expect(&m, "{\"dtype\":\"u8\",\"shape\":[4],\"data\":\"AAAA\"}");
    t_end(&m);
    /* A fourth key; a repeated key among three; a missing key. */
    t_begin(&m);
    msgpack_pack_map(&m.pk, 4);
    t_str(&m.pk, "dtype");
    t_str(&m.pk, "u8");
    t_str(&m.pk, "shape");
    msgpack_pack_array(&m.pk, 1);
    msgpack_pack_uint8(&m.pk, 1);
    t_str(&m.pk, "data");
    msgpack_pack_bin_with_body(&m.pk, bytes, 1);
    t_str(&m.pk, "name");
    t_str(&m.pk, "x");
    t_expect_as_is(&m);
    t_end(&m);
    t_begin(&m);
    msgpack_pack_map(&m.pk, 3);
    t_str(&m.pk, "dtype");
    t_str(&m.pk, "u8");
    t_str(&m.pk, "dtype");
    t_str(&m.pk, "u8");
    t_str(&m.pk, "data");
    msgpack_pack_bin_with_body(&m.pk, bytes, 1);
    t_expect_as_is(&m);
    t_end(&m);
    t_begin(&m);
    msgpack_pack_map(&m.pk, 2);
    t_str(&m.pk, "dtype");
    t_str(&m.pk, "u8");
    t_str(&m.pk, "data");
    msgpack_pack_bin_with_body(&m.pk, bytes, 1);
    t_expect_as_is(&m);
    t_end(&m);
}
END_TEST

/* An array inside `outer` lists. The deepest a valid one can sit is 29
 * (its shape's numbers are then inside 31 containers); a 2-d one there puts
 * its numbers inside 31 containers (fine), a 3-d one inside 32, past what
 * common/ renders or `wren call` reads back, so that one prints as it is. */
static void t_nested(t_msg *m, int outer, int ndim)
{
    t_begin(m);
    for (int i = 0; i < outer; i++)
        msgpack_pack_array(&m->pk, 1);
    t_array(&m->pk, "u8", ndim, (uint64_t[]){1, 1, 1}, "\x07", 1);
}

START_TEST(test_nesting)
{
    t_msg m;
    t_nested(&m, 29, 2);
    char want[128] = "";
    for (int i = 0; i < 29; i++)
        strcat(want, "[");
    strcat(want, "[[7]]");
    for (int i = 0; i < 29; i++)
        strcat(want, "]");
    t_expect(&m, want);
    t_end(&m);
    t_nested(&m, 29, 3);
    t_expect_as_is(&m);
    t_end(&m);
    /* Deeper than WREN_MAX_NESTING in all: refused by both modes, as common/
     * refuses it, with nothing printed. */
    msgpack_object leaf = {.type = MSGPACK_OBJECT_NIL};
    msgpack_object chain[WREN_MAX_NESTING + 1];
    chain[0] = leaf;
    for (int i = 1; i <= WREN_MAX_NESTING; i++) {
        chain[i].type = MSGPACK_OBJECT_ARRAY;
        chain[i].via.array.size = 1;
        chain[i].via.array.ptr = &chain[i - 1];
    }
    ck_assert_ptr_null(wren_msgpack_to_json(&chain[WREN_MAX_NESTING]));
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren__render_json(&chain[WREN_MAX_NESTING], WREN__ARRAYS_LISTS, &b), WREN_EBADINPUT);
    ck_assert_int_eq(wren__render_json(&chain[WREN_MAX_NESTING], WREN__ARRAYS_BASE64, &b), WREN_EBADINPUT);
    ck_assert_int_eq(wren__render_json(&chain[WREN_MAX_NESTING - 1], WREN__ARRAYS_LISTS, &b), WREN_OK);
    wren_buf_clean_up(&b);
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(wren__render_print(f, &chain[WREN_MAX_NESTING], WREN__ARRAYS_LISTS), WREN_EBADINPUT);
    ck_assert_int_eq(ftell(f), 0);
    wren__arrays_mode mode = WREN__ARRAYS_LISTS;
    ck_assert_int_eq(wren__render_print_as(f, &chain[1], &mode), WREN_OK);
    rewind(f);
    char line[16] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "[null]\n");
    fclose(f);
}
END_TEST

START_TEST(test_base64_mode_is_today)
{
    t_msg m;
    t_begin(&m);
    msgpack_pack_map(&m.pk, 1);
    t_str(&m.pk, "x");
    t_f64s(&m.pk, 1, (uint64_t[]){2}, (double[]){1, 2}, 2);
    const msgpack_object *o = t_obj(&m);
    char *got = t_render(o, WREN__ARRAYS_BASE64);
    ck_assert_str_eq(got, "{\"x\":{\"dtype\":\"f64\",\"shape\":[2],\"data\":\"AAAAAAAA8D8AAAAAAAAAQA==\"}}");
    free(got);
    t_end(&m);
}
END_TEST

/* Random bit patterns: every finite f64 and f32 reads back as itself. */
START_TEST(test_random_round_trip)
{
    enum { N = 20000 };
    uint64_t *d = malloc(N * 8);
    uint32_t *s = malloc(N * 4);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        d[i] = htole64(x);
        s[i] = htole32((uint32_t)(x >> 16));
    }
    for (int pass = 0; pass < 2; pass++) {
        t_msg m;
        t_begin(&m);
        if (pass == 0)
            t_array(&m.pk, "f64", 1, (uint64_t[]){N}, d, N * 8);
        else
            t_array(&m.pk, "f32", 1, (uint64_t[]){N}, s, N * 4);
        char *text = t_render(t_obj(&m), WREN__ARRAYS_LISTS);
        ck_assert(text[0] == '[');
        char *p = text + 1;
        for (int i = 0; i < N; i++) {
            char *end = NULL;
            if (!strncmp(p, "null", 4)) {
                end = p + 4;
                if (pass == 0) {
                    double v;
                    uint64_t u = le64toh(d[i]);
                    memcpy(&v, &u, 8);
                    ck_assert(!isfinite(v));
                } else {
                    float v;
                    uint32_t u = le32toh(s[i]);
                    memcpy(&v, &u, 4);
                    ck_assert(!isfinite(v));
                }
            } else if (pass == 0) {
                double v = strtod(p, &end);
                uint64_t u;
                memcpy(&u, &v, 8);
                ck_assert_msg(u == le64toh(d[i]), "f64 %d: %.30s", i, p);
            } else {
                float v = strtof(p, &end), w = (float)strtod(p, NULL);
                uint32_t u, uw;
                memcpy(&u, &v, 4);
                memcpy(&uw, &w, 4);
                ck_assert_msg(u == le32toh(s[i]) && uw == u, "f32 %d: %.30s", i, p);
            }
            ck_assert(*end == (i + 1 < N ? ',' : ']'));
            p = end + 1;
        }
        ck_assert(*p == '\0');
        /* And it is JSON. */
        json_error_t err;
        json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
        ck_assert_ptr_nonnull(j);
        ck_assert_uint_eq(json_array_size(j), N);
        json_decref(j);
        free(text);
        t_end(&m);
    }
    free(d);
    free(s);
}
END_TEST

/* Random corruptions of a result holding arrays: whatever still unpacks
 * renders, in both modes, as text jansson reads back (no crash, no bad JSON;
 * the sanitizer build checks the memory). */
START_TEST(test_random_corruptions)
{
    t_msg m;
    t_begin(&m);
    msgpack_pack_map(&m.pk, 3);
    t_str(&m.pk, "x");
    t_f64s(&m.pk, 2, (uint64_t[]){2, 2}, (double[]){1, 2.5, -3, 0.1}, 4);
    t_str(&m.pk, "n");
    uint32_t le[6] = {1, 2, 3, 4, 5, 6};
    t_array(&m.pk, "i32", 3, (uint64_t[]){1, 2, 3}, le, sizeof le);
    t_str(&m.pk, "e");
    t_array(&m.pk, "u8", 2, (uint64_t[]){3, 0}, "", 0);
    char *orig = malloc(m.sb.size), *buf = malloc(m.sb.size);
    memcpy(orig, m.sb.data, m.sb.size);
    uint64_t x = 0x2545f4914f6cdd1dull;
    int rendered = 0;
    for (int it = 0; it < 20000; it++) {
        memcpy(buf, orig, m.sb.size);
        for (int k = 0; k < 1 + it % 3; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[(x >> 8) % m.sb.size] = (char)(x >> 32);
        }
        msgpack_zone z;
        msgpack_zone_init(&z, 1024);
        msgpack_object o;
        if (wren_msgpack_unpack_one(buf, m.sb.size, &z, &o) == WREN_OK) {
            for (int mode = 0; mode < 2; mode++) {
                wren_buf b;
                wren_buf_init(&b, 0);
                ck_assert_int_eq(wren__render_json(&o, (wren__arrays_mode)mode, &b), WREN_OK);
                json_error_t err;
                json_t *j = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
                /* jansson reads no \u0000 in a key (a corrupted "shape"
                 * can become one); that text is valid JSON all the same. */
                ck_assert_msg(j != NULL || strstr(err.text, "NUL byte in object key"), "not JSON (%s): %.200s",
                              err.text, b.data);
                json_decref(j);
                wren_buf_clean_up(&b);
            }
            rendered++;
        }
        msgpack_zone_destroy(&z);
    }
    ck_assert_int_gt(rendered, 1000);
    free(orig);
    free(buf);
    t_end(&m);
}
END_TEST

START_TEST(test_arrays_arg)
{
    wren__arrays_mode mode = WREN__ARRAYS_LISTS;
    char *a1[] = {"call", "--arrays", "base64", "x"};
    int i = 1;
    ck_assert_int_eq(wren__arrays_arg(4, a1, &i, &mode), 1);
    ck_assert_int_eq(i, 2);
    ck_assert_int_eq(mode, WREN__ARRAYS_BASE64);
    char *a2[] = {"map", "--arrays=lists"};
    i = 1;
    ck_assert_int_eq(wren__arrays_arg(2, a2, &i, &mode), 1);
    ck_assert_int_eq(i, 1);
    ck_assert_int_eq(mode, WREN__ARRAYS_LISTS);
    char *a3[] = {"call", "--arrays", "hex"};
    i = 1;
    ck_assert_int_eq(wren__arrays_arg(3, a3, &i, &mode), -1);
    char *a4[] = {"call", "--arrays"};
    i = 1;
    ck_assert_int_eq(wren__arrays_arg(2, a4, &i, &mode), -1);
    char *a5[] = {"call", "--array", "lists"};
    i = 1;
    ck_assert_int_eq(wren__arrays_arg(3, a5, &i, &mode), 0);
    ck_assert_int_eq(i, 1);
    ck_assert_int_eq(mode, WREN__ARRAYS_LISTS);
    ck_assert_ptr_nonnull(strstr(wren__arrays_help, "--arrays MODE"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("render_arrays");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_f64_2x3);
    tcase_add_test(tc, test_f64_shortest_exact);
    tcase_add_test(tc, test_f32);
    tcase_add_test(tc, test_i64);
    tcase_add_test(tc, test_i32);
    tcase_add_test(tc, test_u8);
    tcase_add_test(tc, test_0d);
    tcase_add_test(tc, test_3d);
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_inside_results);
    tcase_add_test(tc, test_repeated_keys);
    tcase_add_test(tc, test_look_alikes);
    tcase_add_test(tc, test_nesting);
    tcase_add_test(tc, test_base64_mode_is_today);
    tcase_add_test(tc, test_random_round_trip);
    tcase_add_test(tc, test_random_corruptions);
    tcase_add_test(tc, test_arrays_arg);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
