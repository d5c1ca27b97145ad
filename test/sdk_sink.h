/*
 * test/sdk_sink.h: a stand-in for the Lambda Invoke API, for the SDK's tests
 * and bench/bench_map: it records each request body and answers at once
 * (202 by default; the first `fail_first` requests get `fail_code`).
 * libmicrohttpd on 127.0.0.1, port chosen by the OS. Header-only.
 */
#ifndef WREN_TEST_SDK_SINK_H
#define WREN_TEST_SDK_SINK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

typedef struct sdk_sink {
    struct MHD_Daemon *d;
    int port;
    int record;          /* keep bodies (tests) or only count (bench) */
    pthread_mutex_t mu;
    char **bodies;
    size_t n, cap;
    size_t count;        /* requests answered */
    int fail_first;      /* answer this many requests with fail_code */
    int fail_code;
} sdk_sink;

typedef struct sdk_sink_req {
    char *data;
    size_t len, cap;
} sdk_sink_req;

static inline enum MHD_Result sdk_sink_handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                       const char *version, const char *upload, size_t *upload_size, void **ctx)
{
    sdk_sink *s = cls;
    (void)url;
    (void)method;
    (void)version;
    sdk_sink_req *r = *ctx;
    if (!r) {
        r = calloc(1, sizeof *r);
        *ctx = r;
        return r ? MHD_YES : MHD_NO;
    }
    if (*upload_size) {
        if (s->record) {
            if (r->len + *upload_size + 1 > r->cap) {
                size_t cap = (r->len + *upload_size + 1) * 2;
                char *p = realloc(r->data, cap);
                if (!p)
                    return MHD_NO;
                r->data = p;
                r->cap = cap;
            }
            memcpy(r->data + r->len, upload, *upload_size);
            r->len += *upload_size;
            r->data[r->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    unsigned code = 202;
    pthread_mutex_lock(&s->mu);
    if (s->fail_first > 0) {
        s->fail_first--;
        code = (unsigned)s->fail_code;
    } else if (s->record) {
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 64;
            s->bodies = realloc(s->bodies, s->cap * sizeof *s->bodies);
        }
        s->bodies[s->n++] = r->data ? r->data : strdup("");
        r->data = NULL;
    }
    s->count++;
    pthread_mutex_unlock(&s->mu);
    static const char body[] = "{}";
    struct MHD_Response *resp = MHD_create_response_from_buffer(2, (void *)body, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(c, code, resp);
    MHD_destroy_response(resp);
    return ret;
}

static inline void sdk_sink_done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    sdk_sink_req *r = *ctx;
    if (r) {
        free(r->data);
        free(r);
    }
    *ctx = NULL;
}

/* A thread per connection: with an epoll thread, libmicrohttpd 0.9.75 held
 * each keep-alive answer ~20 ms here, which hid the client's own speed.
 * `threads` is kept for callers; unused. */
static inline int sdk_sink_start(sdk_sink *s, int record, unsigned threads)
{
    memset(s, 0, sizeof *s);
    s->record = record;
    pthread_mutex_init(&s->mu, NULL);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                            sdk_sink_handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_NOTIFY_COMPLETED, sdk_sink_done, s, MHD_OPTION_CONNECTION_LIMIT, 4096u,
                            MHD_OPTION_END);
    (void)threads;
    if (!s->d)
        return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    return s->port ? 0 : -1;
}

static inline void sdk_sink_stop(sdk_sink *s)
{
    if (s->d)
        MHD_stop_daemon(s->d);
    for (size_t i = 0; i < s->n; i++)
        free(s->bodies[i]);
    free(s->bodies);
    pthread_mutex_destroy(&s->mu);
    memset(s, 0, sizeof *s);
}

static inline size_t sdk_sink_count(sdk_sink *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->record ? s->n : s->count;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* A copy of body i (NULL if not there yet); the caller frees it. */
static inline char *sdk_sink_body(sdk_sink *s, size_t i)
{
    pthread_mutex_lock(&s->mu);
    char *b = i < s->n ? strdup(s->bodies[i]) : NULL;
    pthread_mutex_unlock(&s->mu);
    return b;
}

#endif
