/*
 * Results as JSON text for the `wren` command, with numeric arrays as nested
 * lists (see render_arrays.h). The text is written straight into a buffer
 * rather than built as a jansson tree: jansson prints every real with %.17g
 * and a ".0" (1.0 as "1.0", 0.1 as "0.10000000000000001"), and array elements
 * should print in their shortest exact form (1, 0.1). Everything around the
 * arrays is delegated to wren_msgpack_to_json piece by piece, so it prints
 * byte for byte as it does without this module.
 */
#include <endian.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render_arrays.h"
#include "wren/kernel.h" /* WREN_ARRAY_MAX_DIMS: only the constant, no code */

const char wren__arrays_help[] =
    "  --arrays MODE        how numeric arrays {dtype, shape, data} in results print:\n"
    "                       lists (default): nested JSON lists of numbers, e.g. a 2x3 f64\n"
    "                       as [[1,2,3],[4,5,6]]; base64: the wire form\n"
    "                       {\"dtype\":\"f64\",\"shape\":[2,3],\"data\":\"<base64>\"}\n";

int wren__arrays_arg(int argc, char **argv, int *i, wren__arrays_mode *mode)
{
    const char *o = argv[*i], *v = NULL;
    if (!strcmp(o, "--arrays")) {
        if (*i + 1 >= argc) {
            fprintf(stderr, "wren %s: --arrays needs a value (lists or base64)\n", argv[0]);
            return -1;
        }
        v = argv[++*i];
    } else if (!strncmp(o, "--arrays=", 9)) {
        v = o + 9;
    } else {
        return 0;
    }
    if (!strcmp(v, "lists"))
        *mode = WREN__ARRAYS_LISTS;
    else if (!strcmp(v, "base64"))
        *mode = WREN__ARRAYS_BASE64;
    else {
        fprintf(stderr, "wren %s: bad value '%s' for --arrays (lists or base64)\n", argv[0], v);
        return -1;
    }
    return 1;
}

/* ---- recognising an array ------------------------------------------------ */

enum { S_F64, S_F32, S_I64, S_I32, S_U8 };
static const char *const s_names[] = {"f64", "f32", "i64", "i32", "u8"};
static const size_t s_sizes[] = {8, 4, 8, 4, 1};

typedef struct s_array {
    int dtype;
    int ndim;
    uint64_t shape[WREN_ARRAY_MAX_DIMS];
    const unsigned char *data;
} s_array;

static int s_key_is(const msgpack_object *k, const char *name)
{
    size_t n = strlen(name);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n && !memcmp(k->via.str.ptr, name, n);
}

/* 1 if o is exactly {dtype, shape, data} with every check of the header
 * passed, and its lists, enclosed by `depth` containers already, stay within
 * WREN_MAX_NESTING; 0 if not (then it prints as it is). */
static int s_as_array(const msgpack_object *o, int depth, s_array *a)
{
    if (o->type != MSGPACK_OBJECT_MAP || o->via.map.size != 3)
        return 0;
    const msgpack_object *dtype = NULL, *shape = NULL, *data = NULL;
    for (uint32_t i = 0; i < 3; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;
        /* A repeated key leaves one of the three unset: not an array. */
        if (s_key_is(k, "dtype") && !dtype)
            dtype = v;
        else if (s_key_is(k, "shape") && !shape)
            shape = v;
        else if (s_key_is(k, "data") && !data)
            data = v;
        else
            return 0;
    }
    a->dtype = -1;
    for (int i = 0; i < 5; i++)
        if (s_key_is(dtype, s_names[i]))
            a->dtype = i;
    if (a->dtype < 0 || shape->type != MSGPACK_OBJECT_ARRAY || shape->via.array.size > WREN_ARRAY_MAX_DIMS ||
        data->type != MSGPACK_OBJECT_BIN)
        return 0;
    a->ndim = (int)shape->via.array.size;
    /* The numbers sit inside depth + ndim containers; common/ refuses a value
     * inside WREN_MAX_NESTING or more, and so would `wren call` reading it back. */
    if (depth + a->ndim >= WREN_MAX_NESTING)
        return 0;
    uint64_t count = 1;
    for (int i = 0; i < a->ndim; i++) {
        const msgpack_object *d = &shape->via.array.ptr[i];
        if (d->type != MSGPACK_OBJECT_POSITIVE_INTEGER || __builtin_mul_overflow(count, d->via.u64, &count))
            return 0;
        a->shape[i] = d->via.u64;
    }
    if (count == 0) {
        /* No data bounds the output: count the lists ([2, 0] opens 1 + 2)
         * so a shape like [2^40, 0] is not printed as 2^40 empty lists. */
        uint64_t lists = 0, prefix = 1;
        for (int i = 0; i < a->ndim && prefix; i++) {
            lists += prefix;
            if (lists > WREN__RENDER_MAX_EMPTY_LISTS || __builtin_mul_overflow(prefix, a->shape[i], &prefix))
                return 0;
        }
    }
    uint64_t bytes;
    if (__builtin_mul_overflow(count, (uint64_t)s_sizes[a->dtype], &bytes) || bytes != data->via.bin.size)
        return 0;
    a->data = (const unsigned char *)data->via.bin.ptr;
    return 1;
}

/* ---- numbers ------------------------------------------------------------- */

/* The shortest %.Ng (N = 15, 16, 17) that strtod reads back as v: any
 * decimal of at most DBL_DIG = 15 digits that reads back as v is what %.15g
 * prints (with %g's trailing zeros dropped), so this is the shortest form. */
static int s_fmt_f64(char *tmp, size_t size, double v)
{
    int n = 0;
    for (int p = 15; p <= 17; p++) {
        n = snprintf(tmp, size, "%.*g", p, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    return n;
}

/* The shortest %.Ng (N = 6..9) that reads back as f both through strtof and
 * through strtod then a narrowing (a JSON reader with only doubles): the two
 * can differ when a short decimal lies next to the midpoint of two floats.
 * If no such N, the double form of f, which both read back exactly. */
static int s_fmt_f32(char *tmp, size_t size, float f)
{
    for (int p = 6; p <= 9; p++) {
        int n = snprintf(tmp, size, "%.*g", p, (double)f);
        if (strtof(tmp, NULL) == f && (float)strtod(tmp, NULL) == f)
            return n;
    }
    return s_fmt_f64(tmp, size, (double)f);
}

static int s_emit_number(wren_buf *out, const s_array *a, uint64_t index)
{
    char tmp[64];
    int n = 0;
    const unsigned char *p = a->data + index * s_sizes[a->dtype];
    switch (a->dtype) {
    case S_F64: {
        uint64_t u;
        double v;
        memcpy(&u, p, 8);
        u = le64toh(u);
        memcpy(&v, &u, 8);
        if (!isfinite(v))
            n = snprintf(tmp, sizeof tmp, "null");
        else if (v == 0 && signbit(v))
            n = snprintf(tmp, sizeof tmp, "-0.0"); /* "-0" reads back as the integer 0 in many readers */
        else
            n = s_fmt_f64(tmp, sizeof tmp, v);
        break;
    }
    case S_F32: {
        uint32_t u;
        float v;
        memcpy(&u, p, 4);
        u = le32toh(u);
        memcpy(&v, &u, 4);
        if (!isfinite(v))
            n = snprintf(tmp, sizeof tmp, "null");
        else if (v == 0 && signbit(v))
            n = snprintf(tmp, sizeof tmp, "-0.0");
        else
            n = s_fmt_f32(tmp, sizeof tmp, v);
        break;
    }
    case S_I64: {
        uint64_t u;
        memcpy(&u, p, 8);
        n = snprintf(tmp, sizeof tmp, "%" PRId64, (int64_t)le64toh(u));
        break;
    }
    case S_I32: {
        uint32_t u;
        memcpy(&u, p, 4);
        n = snprintf(tmp, sizeof tmp, "%" PRId32, (int32_t)le32toh(u));
        break;
    }
    default:
        n = snprintf(tmp, sizeof tmp, "%u", (unsigned)p[0]);
        break;
    }
    return wren_buf_append(out, tmp, (size_t)n);
}

/* The lists of dimension dim and below; *index counts the numbers done. */
static int s_emit_lists(wren_buf *out, const s_array *a, int dim, uint64_t *index)
{
    if (dim == a->ndim)
        return s_emit_number(out, a, (*index)++);
    int rc = wren_buf_append(out, "[", 1);
    for (uint64_t i = 0; rc == WREN_OK && i < a->shape[dim]; i++) {
        if (i)
            rc = wren_buf_append(out, ",", 1);
        if (rc == WREN_OK)
            rc = s_emit_lists(out, a, dim + 1, index);
    }
    return rc == WREN_OK ? wren_buf_append(out, "]", 1) : rc;
}

/* ---- everything else, as common/ renders it ------------------------------ */

static int s_emit_json(wren_buf *out, const json_t *j)
{
    char *text = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    if (!text)
        return WREN_ENOMEM;
    int rc = wren_buf_append_str(out, text);
    free(text);
    return rc;
}

static int s_emit(wren_buf *out, const msgpack_object *o, int depth);

/* A map as wren_msgpack_to_json + jansson print it: each key as a string (a
 * non-string key as its JSON text), and for a key that repeats, the first
 * key's place with the last key's value (what json_object_set does). index
 * maps each key to the pair whose value prints. */
static int s_emit_map(wren_buf *out, const msgpack_object_map *m, int depth)
{
    int rc = WREN_ENOMEM;
    json_t *index = json_object();
    if (!index)
        return WREN_ENOMEM;
    for (uint32_t i = 0; i < m->size; i++) {
        json_t *kj = wren_msgpack_to_json(&m->ptr[i].key);
        char *text = NULL;
        int r = -1;
        if (kj && json_is_string(kj))
            r = json_object_setn_new_nocheck(index, json_string_value(kj), json_string_length(kj), json_integer(i));
        else if (kj && (text = json_dumps(kj, JSON_ENCODE_ANY | JSON_COMPACT)) != NULL)
            r = json_object_set_new_nocheck(index, text, json_integer(i));
        free(text);
        json_decref(kj);
        if (r != 0)
            goto cleanup;
    }
    rc = wren_buf_append(out, "{", 1);
    int first = 1;
    for (void *it = json_object_iter(index); rc == WREN_OK && it; it = json_object_iter_next(index, it)) {
        if (!first)
            rc = wren_buf_append(out, ",", 1);
        first = 0;
        json_t *key = json_stringn_nocheck(json_object_iter_key(it), json_object_iter_key_len(it));
        if (rc == WREN_OK)
            rc = s_emit_json(out, key);
        json_decref(key);
        if (rc == WREN_OK)
            rc = wren_buf_append(out, ":", 1);
        if (rc == WREN_OK)
            rc = s_emit(out, &m->ptr[json_integer_value(json_object_iter_value(it))].val, depth + 1);
    }
    if (rc == WREN_OK)
        rc = wren_buf_append(out, "}", 1);
cleanup:
    json_decref(index);
    return rc;
}

/* depth: how many containers enclose o (0 at the top). */
static int s_emit(wren_buf *out, const msgpack_object *o, int depth)
{
    s_array a;
    if (s_as_array(o, depth, &a)) {
        uint64_t index = 0;
        return s_emit_lists(out, &a, 0, &index);
    }
    if (o->type == MSGPACK_OBJECT_ARRAY) {
        int rc = wren_buf_append(out, "[", 1);
        for (uint32_t i = 0; rc == WREN_OK && i < o->via.array.size; i++) {
            if (i)
                rc = wren_buf_append(out, ",", 1);
            if (rc == WREN_OK)
                rc = s_emit(out, &o->via.array.ptr[i], depth + 1);
        }
        return rc == WREN_OK ? wren_buf_append(out, "]", 1) : rc;
    }
    if (o->type == MSGPACK_OBJECT_MAP)
        return s_emit_map(out, &o->via.map, depth);
    json_t *j = wren_msgpack_to_json(o);
    int rc = s_emit_json(out, j);
    json_decref(j);
    return rc;
}

int wren__render_json(const msgpack_object *obj, wren__arrays_mode mode, wren_buf *out)
{
    if (!obj || !out)
        return WREN_EINVAL;
    /* Checked once here so no piece below meets common/'s depth limit. */
    if (wren_msgpack_depth(obj, WREN_MAX_NESTING) > WREN_MAX_NESTING)
        return WREN_EBADINPUT;
    if (mode == WREN__ARRAYS_LISTS)
        return s_emit(out, obj, 0);
    json_t *j = wren_msgpack_to_json(obj);
    int rc = s_emit_json(out, j);
    json_decref(j);
    return rc;
}

int wren__render_print(FILE *f, const msgpack_object *obj, wren__arrays_mode mode)
{
    wren_buf b;
    wren_buf_init(&b, 0);
    int rc = wren__render_json(obj, mode, &b);
    if (rc == WREN_OK && wren_buf_append(&b, "\n", 1) == WREN_OK)
        fwrite(b.data, 1, b.len, f);
    wren_buf_clean_up(&b);
    return rc;
}

int wren__render_print_as(FILE *f, const msgpack_object *obj, void *mode)
{
    return wren__render_print(f, obj, *(const wren__arrays_mode *)mode);
}
