/* Replies: the sync response, the status object and error typing, as exact
 * compact JSON built with jansson (key order is insertion order). */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap.h"

void wren__error_type(const char *kernel_type, int status, char *out, size_t out_size)
{
    if (kernel_type && kernel_type[0]) {
        if (strchr(kernel_type, '.'))
            snprintf(out, out_size, "%s", kernel_type);
        else
            snprintf(out, out_size, "Wren.%s", kernel_type);
        return;
    }
    switch (status) {
    case WREN_EBADINPUT:
        snprintf(out, out_size, "Wren.BadInput");
        break;
    case WREN_EUNKNOWNKERNEL:
        snprintf(out, out_size, "Wren.UnknownKernel");
        break;
    case WREN_ECRASH:
        snprintf(out, out_size, "Wren.KernelCrash");
        break;
    case WREN_ESTORE:
        snprintf(out, out_size, "Wren.StoreError");
        break;
    case WREN_ETIMEDOUT:
        snprintf(out, out_size, "Sandbox.Timedout");
        break;
    default:
        snprintf(out, out_size, "Wren.KernelError");
        break;
    }
}

const char *wren__signal_name(int sig, char *buf, size_t buf_size)
{
    /* sigabbrev_np is glibc >= 2.32; a table keeps this portable and exact. */
    static const struct {
        int sig;
        const char *name;
    } names[] = {
        {SIGSEGV, "SIGSEGV"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
        {SIGILL, "SIGILL"},   {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"}, {SIGINT, "SIGINT"},
        {SIGHUP, "SIGHUP"},   {SIGPIPE, "SIGPIPE"}, {SIGQUIT, "SIGQUIT"}, {SIGTRAP, "SIGTRAP"},
        {SIGSYS, "SIGSYS"},   {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"}, {SIGALRM, "SIGALRM"},
        {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig)
            return names[i].name;
    snprintf(buf, buf_size, "signal %d", sig);
    return buf;
}

typedef struct s_dump_ctx {
    wren_buf *out;
    int rc; /* the first append failure: WREN_ETOOBIG (cap) or WREN_ENOMEM */
} s_dump_ctx;

static int s_dump_cb(const char *bytes, size_t size, void *data)
{
    s_dump_ctx *d = data;
    int rc = wren_buf_append(d->out, bytes, size);
    if (rc != WREN_OK && d->rc == WREN_OK)
        d->rc = rc;
    return rc == WREN_OK ? 0 : -1;
}

/* Appends json (any value) to out, compact; consumes the reference. */
static int s_dump(json_t *json, wren_buf *out)
{
    if (!json)
        return WREN_ENOMEM;
    s_dump_ctx d = {out, WREN_OK};
    int rc = json_dump_callback(json, s_dump_cb, &d, JSON_COMPACT | JSON_ENCODE_ANY) == 0 ? WREN_OK : WREN_ENOMEM;
    if (rc != WREN_OK && d.rc != WREN_OK)
        rc = d.rc;
    json_decref(json);
    return rc;
}

/* FLOP counts are integral almost always; print them as integers when exact. */
static json_t *s_flops(double flops)
{
    if (isfinite(flops) && flops == floor(flops) && fabs(flops) < 9007199254740992.0)
        return json_integer((json_int_t)flops);
    return isfinite(flops) ? json_real(flops) : json_null();
}

/* A time in epoch seconds, or null when the stage was never reached. */
static json_t *s_time(double t)
{
    return t > 0 ? json_real(t) : json_null();
}

/* A JSON string from text that may not be valid UTF-8 (kernel logs and
 * messages): when jansson refuses it, non-ASCII bytes become '?'. */
static json_t *s_text(const char *text)
{
    json_t *j = json_string(text);
    if (j)
        return j;
    char *copy = strdup(text);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}


int wren__response_json(const char *kernel, const char *result, size_t result_len, int as_msgpack, double flops,
                        const wren__timings *t, wren_buf *out)
{
    int rc = WREN_OK;
    json_t *root = NULL;
    json_t *res = NULL;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    if (as_msgpack) {
        size_t n = 0;
        char *b64 = wren_base64_encode(result, result_len, &n);
        res = b64 ? json_stringn(b64, n) : NULL;
        free(b64);
        if (!res) {
            rc = WREN_ENOMEM;
            goto cleanup;
        }
    } else {
        msgpack_object obj;
        if ((rc = wren_msgpack_unpack_one(result, result_len, &zone, &obj)) != WREN_OK)
            goto cleanup;
        res = wren_msgpack_to_json(&obj);
        if (!res) {
            rc = wren_msgpack_depth(&obj, WREN_MAX_NESTING) > WREN_MAX_NESTING ? WREN_EBADINPUT : WREN_ENOMEM;
            goto cleanup;
        }
    }
    /* The object's frame is written here and each value dumped by jansson:
     * the same bytes as dumping a jansson object with these keys in this
     * order (compact), without building it (two objects, eight hashed keys)
     * or jansson's loop check on each object (an snprintf of its address and
     * a hash table per dump), which were most of this function's time in a
     * profile of a warm echo invocation. test_response_json_exact holds the
     * bytes. */
    {
        int r = wren_buf_append_str(out, "{\"wren\":1,\"kernel\":");
        if (r == WREN_OK)
            r = s_dump(s_text(kernel), out);
        if (r == WREN_OK)
            r = wren_buf_append_str(out, as_msgpack ? ",\"result_b64\":" : ",\"result\":");
        if (r == WREN_OK) {
            r = s_dump(res, out); /* consumes it */
            res = NULL;
        }
        if (r == WREN_OK)
            r = wren_buf_append_str(out, ",\"flops\":");
        if (r == WREN_OK)
            r = s_dump(s_flops(flops), out);
        if (r == WREN_OK)
            r = wren_buf_append_str(out, ",\"timings\":{\"received\":");
        if (r == WREN_OK)
            r = s_dump(s_time(t->received), out);
        if (r == WREN_OK)
            r = wren_buf_append_str(out, ",\"setup_done\":");
        if (r == WREN_OK)
            r = s_dump(s_time(t->setup_done), out);
        if (r == WREN_OK)
            r = wren_buf_append_str(out, ",\"kernel_done\":");
        if (r == WREN_OK)
            r = s_dump(s_time(t->kernel_done), out);
        if (r == WREN_OK)
            r = wren_buf_append_str(out, "}}");
        rc = r;
    }
cleanup:
    json_decref(res);
    json_decref(root);
    msgpack_zone_destroy(&zone);
    return rc;
}

/* ---- the status object, written directly ----------------------------------
 * Same bytes as dumping a jansson object with these keys in this order
 * (compact), without building it: the object (17 hashed keys), jansson's loop
 * check (an snprintf of the object's address) and a value allocated per key
 * were 30 % of a warm worker's instructions per Event task in callgrind.
 * Strings of plain printable ASCII (ids, names, most logs) are copied between
 * quotes, which is what jansson writes for them; anything else (escapes,
 * UTF-8, bytes that are not UTF-8) goes through jansson as before, and so do
 * the reals (its "%.17g" form). test_status_json_exact holds the bytes. */
typedef struct s_frame {
    wren_buf *out;
    int rc;
} s_frame;

static void s_raw(s_frame *f, const char *text)
{
    if (f->rc == WREN_OK)
        f->rc = wren_buf_append_str(f->out, text);
}

static void s_value(s_frame *f, json_t *value)
{
    if (f->rc == WREN_OK)
        f->rc = s_dump(value, f->out); /* consumes it, NULL included */
    else
        json_decref(value);
}

static void s_str(s_frame *f, const char *text)
{
    if (f->rc != WREN_OK)
        return;
    size_t n = strlen(text);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
            s_value(f, s_text(text));
            return;
        }
    }
    int rc = wren_buf_reserve(f->out, n + 2);
    if (rc == WREN_OK) {
        f->out->data[f->out->len++] = '"';
        memcpy(f->out->data + f->out->len, text, n);
        f->out->len += n;
        f->out->data[f->out->len++] = '"';
        f->out->data[f->out->len] = '\0';
    }
    f->rc = rc;
}

static void s_int(s_frame *f, long long v)
{
    if (f->rc == WREN_OK)
        f->rc = wren_buf_printf(f->out, "%lld", v);
}

int wren__status_json(const wren__status_info *in, wren_buf *out)
{
    s_frame f = {out, WREN_OK};
    s_raw(&f, "{\"wren\":1,\"job\":");
    s_str(&f, in->job ? in->job : "");
    s_raw(&f, ",\"call\":");
    s_str(&f, in->call ? in->call : "");
    s_raw(&f, ",\"attempt\":");
    s_int(&f, in->attempt);
    s_raw(&f, ",\"kernel\":");
    s_str(&f, in->kernel ? in->kernel : "");
    s_raw(&f, in->ok ? ",\"ok\":true" : ",\"ok\":false");
    if (!in->ok) {
        s_raw(&f, ",\"error\":{\"type\":");
        s_str(&f, in->error_type ? in->error_type : "Wren.KernelError");
        s_raw(&f, ",\"message\":");
        s_str(&f, in->error_message ? in->error_message : "");
        s_raw(&f, "}");
    } else {
        if (in->result_key) {
            s_raw(&f, ",\"result_key\":");
            s_str(&f, in->result_key);
        } else {
            size_t n = 0;
            char *b64 = wren_base64_encode(in->result ? in->result : "", in->result_len, &n);
            s_raw(&f, ",\"result_b64\":\"");
            if (!b64 && f.rc == WREN_OK)
                f.rc = WREN_ENOMEM;
            if (f.rc == WREN_OK)
                f.rc = wren_buf_append(out, b64, n); /* base64 needs no escaping */
            s_raw(&f, "\"");
            free(b64);
        }
        s_raw(&f, ",\"result_bytes\":");
        s_int(&f, (long long)in->result_bytes);
    }
    s_raw(&f, ",\"flops\":");
    s_value(&f, s_flops(in->flops));
    s_raw(&f, ",\"t_submit\":");
    s_value(&f, in->has_t_submit ? json_real(in->t_submit) : json_null());
    s_raw(&f, ",\"t_start\":");
    s_value(&f, s_time(in->t_start));
    s_raw(&f, ",\"t_setup\":");
    s_value(&f, s_time(in->t_setup));
    s_raw(&f, ",\"t_kernel\":");
    s_value(&f, s_time(in->t_kernel));
    s_raw(&f, ",\"t_written\":");
    s_value(&f, s_time(in->t_written));
    s_raw(&f, ",\"instance\":");
    s_str(&f, in->instance ? in->instance : "");
    s_raw(&f, in->cold ? ",\"cold\":true" : ",\"cold\":false");
    s_raw(&f, ",\"log_tail\":");
    s_str(&f, in->log_tail ? in->log_tail : "");
    s_raw(&f, "}");
    return f.rc;
}
