/* Reading a finished (or running) job back from a store: the manifest the
 * executor writes when keeping data, and every status object under JOB/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdk_internal.h"
#include "store.h"

/* A job's call count is bounded by its 8-digit call ids. */
#define S_MAX_CALLS 100000000u

/* wren__job_call.shown: which kind of status a call shows (0: none yet). */
#define S_SHOWN_FAILURE 1
#define S_SHOWN_SUCCESS 2

typedef struct s_status_key {
    char *key;
    int attempt; /* the attempt the key names */
} s_status_key;

typedef struct s_list {
    s_status_key *keys; /* status keys, in listing order */
    size_t n, cap;
    size_t prefix_len;
    size_t *ins; /* calls whose arguments are at JOB/CALL/in (for the cost) */
    size_t n_ins, cap_ins;
} s_list;

static int s_parse_call(const char *s, size_t *idx);

static int s_collect(const char *key, uint64_t size, void *user)
{
    s_list *l = user;
    (void)size;
    size_t klen = strlen(key);
    size_t idx;
    if (klen == l->prefix_len + 8 + 3 && !strcmp(key + l->prefix_len + 8, "/in") &&
        s_parse_call(key + l->prefix_len, &idx)) {
        if (l->n_ins == l->cap_ins) {
            size_t cap = l->cap_ins ? l->cap_ins * 2 : 64;
            size_t *p = realloc(l->ins, cap * sizeof *p);
            if (!p)
                return 1;
            l->ins = p;
            l->cap_ins = cap;
        }
        l->ins[l->n_ins++] = idx;
        return 0;
    }
    /* JOB/CALL/status (attempt 0) or JOB/CALL/status.N (attempt N). */
    if (klen < l->prefix_len + 9 || key[l->prefix_len + 8] != '/')
        return 0;
    int attempt = wren__status_key_attempt(key + l->prefix_len + 9, klen - l->prefix_len - 9);
    if (attempt < 0)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        s_status_key *k = realloc(l->keys, cap * sizeof *k);
        if (!k)
            return 1;
        l->keys = k;
        l->cap = cap;
    }
    l->keys[l->n] = (s_status_key){strdup(key), attempt};
    if (l->keys[l->n].key)
        l->n++;
    return 0;
}

static int s_parse_call(const char *s, size_t *idx)
{
    size_t v = 0;
    for (int i = 0; i < 8; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *idx = v;
    return 1;
}

/* Whether a status of ATTEMPT (a success if OK) is to be shown instead of the
 * one shown so far for the call, so that a kept job shows what the executor
 * returned: a success beats any failure (the executor takes the first
 * success, and ignores a superseded attempt's failure); of two successes the
 * earlier attempt's (the same result, for a deterministic kernel); of two
 * failures the latest attempt's (the one no retry followed). */
static int s_better(const wren__job_call *jc, int ok, int attempt)
{
    if (!jc->shown)
        return 1;
    if (ok)
        return jc->shown == S_SHOWN_FAILURE || attempt < jc->attempt;
    return jc->shown == S_SHOWN_FAILURE && attempt > jc->attempt;
}

static int s_grow(wren__job *j, size_t n)
{
    if (n <= j->n_calls)
        return WREN_OK;
    if (n > S_MAX_CALLS)
        return WREN_EBADINPUT;
    wren__job_call *c = realloc(j->calls, n * sizeof *c);
    if (!c)
        return WREN_ENOMEM;
    memset(c + j->n_calls, 0, (n - j->n_calls) * sizeof *c);
    for (size_t i = j->n_calls; i < n; i++) {
        snprintf(c[i].call, sizeof c[i].call, "%08u", (unsigned)(i % S_MAX_CALLS));
        c[i].attempt_max = -1;
    }
    j->calls = c;
    j->n_calls = n;
    return WREN_OK;
}

void wren__job_destroy(wren__job *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n_calls; i++) {
        free(j->calls[i].kernel);
        free(j->calls[i].error_type);
        free(j->calls[i].error_message);
        free(j->calls[i].result);
    }
    free(j->calls);
    free(j->job);
    free(j);
}

static void s_set(char **dst, const char *src)
{
    free(*dst);
    *dst = src ? strdup(src) : NULL;
}

int wren__job_load(const char *store_url, const char *job, int load_results, wren__job **out, char *err,
                   size_t err_size)
{
    *out = NULL;
    if (!job || !wren_is_safe_id(job, strlen(job))) {
        snprintf(err, err_size, "bad job id '%s'", job ? job : "");
        return WREN_EINVAL;
    }
    wren_store *st = NULL;
    wren__job *j = NULL;
    s_list l = {0};
    wren_buf b;
    wren_buf_init(&b, 1u << 28);
    json_t *man = NULL;
    int rc = wren_store_open(store_url, &st);
    if (rc != WREN_OK) {
        snprintf(err, err_size, "cannot open store %s: %s", store_url, wren_strerror(rc));
        goto cleanup;
    }
    rc = WREN_ENOMEM;
    j = calloc(1, sizeof *j);
    if (!j || !(j->job = strdup(job)))
        goto cleanup;
    char key[200];
    snprintf(key, sizeof key, "%s/manifest", job);
    if (wren_store_get(st, key, &b) == WREN_OK) {
        json_error_t jerr;
        man = json_loadb(b.data, b.len, 0, &jerr);
        json_t *calls = json_object_get(man, "calls");
        if (!json_is_array(calls)) {
            snprintf(err, err_size, "%s is not a wren manifest", key);
            rc = WREN_EBADINPUT;
            goto cleanup;
        }
        if ((rc = s_grow(j, json_array_size(calls))) != WREN_OK)
            goto cleanup;
        j->has_manifest = 1;
        json_t *mem = json_object_get(man, "memory_mb");
        j->memory_mb = json_is_integer(mem) && json_integer_value(mem) > 0 && json_integer_value(mem) <= 1 << 20
                           ? (int)json_integer_value(mem)
                           : 0;
        json_t *s3 = json_object_get(man, "sdk_s3");
        json_t *put = json_object_get(s3, "put"), *get = json_object_get(s3, "get"), *lst = json_object_get(s3, "list");
        if (json_is_integer(put) && json_is_integer(get) && json_is_integer(lst) && json_integer_value(put) >= 0 &&
            json_integer_value(get) >= 0 && json_integer_value(lst) >= 0) {
            j->has_sdk_s3 = 1;
            j->sdk_s3 = (wren__s3_counts){(uint64_t)json_integer_value(put), (uint64_t)json_integer_value(get),
                                          (uint64_t)json_integer_value(lst)};
        }
        for (size_t i = 0; i < j->n_calls; i++) {
            json_t *c = json_array_get(calls, i);
            wren__job_call *jc = &j->calls[i];
            s_set(&jc->kernel, json_string_value(json_object_get(c, "kernel")));
            const char *state = json_string_value(json_object_get(c, "state"));
            jc->state = !state ? WREN_FUTURE_PENDING
                        : !strcmp(state, "done")      ? WREN_FUTURE_DONE
                        : !strcmp(state, "failed")    ? WREN_FUTURE_FAILED
                        : !strcmp(state, "cancelled") ? WREN_FUTURE_CANCELLED
                                                      : WREN_FUTURE_PENDING;
            json_t *e = json_object_get(c, "error");
            s_set(&jc->error_type, json_string_value(json_object_get(e, "type")));
            s_set(&jc->error_message, json_string_value(json_object_get(e, "message")));
            json_t *ts = json_object_get(c, "t_submit");
            jc->tm.t_submit = json_is_number(ts) ? json_number_value(ts) : 0;
            json_t *at = json_object_get(c, "attempts");
            jc->attempts = json_is_integer(at) && json_integer_value(at) > 0 && json_integer_value(at) < 1000000
                               ? (int)json_integer_value(at)
                               : 0;
        }
    }
    char prefix[160];
    snprintf(prefix, sizeof prefix, "%s/", job);
    l.prefix_len = strlen(prefix);
    rc = wren_store_list(st, prefix, s_collect, &l);
    if (rc != WREN_OK) {
        snprintf(err, err_size, "cannot list %s: %s", prefix, wren_store_errmsg(st));
        goto cleanup;
    }
    if (!j->has_manifest && l.n == 0) {
        snprintf(err, err_size, "no job '%s' in %s", job, store_url);
        rc = WREN_ENOTFOUND;
        goto cleanup;
    }
    for (size_t k = 0; k < l.n; k++) {
        size_t idx;
        const char *skey = l.keys[k].key;
        if (!s_parse_call(skey + l.prefix_len, &idx))
            continue;
        if ((rc = s_grow(j, idx + 1)) != WREN_OK)
            goto cleanup;
        wren__job_call *jc = &j->calls[idx];
        /* The manifest's host-side verdict (cancelled, timed out) stands;
         * the status still gives the timings (for the cost). */
        int verdict = j->has_manifest && jc->state != WREN_FUTURE_DONE && jc->state != WREN_FUTURE_PENDING;
        wren_buf_reset(&b);
        wren__status s;
        int readable = wren_store_get(st, skey, &b) == WREN_OK && wren__status_parse(b.data, b.len, &s) == WREN_OK;
        /* A worker from before per-attempt keys wrote every attempt to
         * JOB/CALL/status: the status's own attempt counts too. */
        int attempt = l.keys[k].attempt;
        if (readable && s.attempt > attempt)
            attempt = s.attempt;
        if (attempt > jc->attempt_max)
            jc->attempt_max = attempt;
        if (!readable) {
            /* A status that cannot be read is an outcome of its own, named:
             * not a bare "done" without a result (found by it_faults_endpoint). */
            if (!verdict && s_better(jc, 0, attempt)) {
                jc->shown = S_SHOWN_FAILURE;
                jc->attempt = attempt;
                free(jc->result);
                jc->result = NULL;
                jc->state = WREN_FUTURE_FAILED;
                s_set(&jc->error_type, "Wren.StoreError");
                char msg[300];
                snprintf(msg, sizeof msg, "%s: unreadable or malformed status", skey);
                s_set(&jc->error_message, msg);
            }
            continue;
        }
        if (!s_better(jc, s.ok, attempt)) {
            wren__status_clean_up(&s);
            continue;
        }
        jc->shown = s.ok ? S_SHOWN_SUCCESS : S_SHOWN_FAILURE;
        free(jc->result);
        jc->result = NULL;
        jc->result_len = 0;
        if (!jc->kernel)
            s_set(&jc->kernel, s.kernel);
        jc->attempt = attempt;
        jc->tm.t_start = s.t_start;
        jc->tm.t_setup = s.t_setup;
        jc->tm.t_kernel = s.t_kernel;
        jc->tm.t_written = s.t_written;
        jc->tm.flops = s.flops;
        jc->tm.cold = s.cold;
        if (s.t_submit > 0)
            jc->tm.t_submit = s.t_submit;
        if (verdict) {
            /* timings only */
        } else if (s.ok) {
            jc->state = WREN_FUTURE_DONE;
            s_set(&jc->error_type, NULL);
            s_set(&jc->error_message, NULL);
            jc->out_store = s.result_key != NULL;
            if (load_results) {
                if (s.has_result_b64) {
                    jc->result = s.result;
                    jc->result_len = s.result_len;
                    s.result = NULL;
                } else {
                    wren_buf ob;
                    wren_buf_init(&ob, (size_t)1 << 31);
                    if (wren__result_key_ok(s.result_key, job, jc->call, s.attempt) &&
                        wren_store_get(st, s.result_key, &ob) == WREN_OK)
                        jc->result = (unsigned char *)wren_buf_detach(&ob, &jc->result_len);
                    wren_buf_clean_up(&ob);
                    if (!jc->result) {
                        jc->state = WREN_FUTURE_FAILED;
                        s_set(&jc->error_type, "Wren.StoreError");
                        char msg[300];
                        snprintf(msg, sizeof msg, "%s: result object missing or unreadable", s.result_key);
                        s_set(&jc->error_message, msg);
                    }
                }
            }
        } else {
            jc->state = WREN_FUTURE_FAILED;
            jc->out_store = 0;
            s_set(&jc->error_type, s.error_type);
            s_set(&jc->error_message, s.error_message);
        }
        wren__status_clean_up(&s);
    }
    for (size_t k = 0; k < l.n_ins; k++)
        if (l.ins[k] < j->n_calls)
            j->calls[l.ins[k]].in_store = 1;
    *out = j;
    j = NULL;
    rc = WREN_OK;
cleanup:
    for (size_t k = 0; k < l.n; k++)
        free(l.keys[k].key);
    free(l.keys);
    free(l.ins);
    json_decref(man);
    wren_buf_clean_up(&b);
    wren__job_destroy(j);
    wren_store_destroy(st);
    return rc;
}
