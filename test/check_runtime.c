/*
 * check_runtime: the Lambda Runtime API client against a real fake Runtime
 * API (libmicrohttpd, in this process, on 127.0.0.1 with a port the kernel
 * picks), plus the error-body bytes checked exactly.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../runtime/runtime_internal.h"
#include "wren/runtime.h"
#include "wren_common.h"

/* ---- the fake Runtime API ------------------------------------------------ */

#define FAKE_MAX_EVENTS 16
#define FAKE_MAX_REQUESTS 64
#define FAKE_MAX_OVERRIDES 4

typedef struct fake_event {
    const char *request_id; /* NULL: header omitted */
    const char *deadline;   /* NULL: header omitted */
    const char *arn, *trace, *client_context, *cognito; /* NULL: omitted */
    const char *body;
    size_t body_len; /* 0: strlen(body) */
    int close_after; /* answer with Connection: close */
} fake_event;

typedef struct fake_request {
    char method[8];
    char url[256];
    char content_type[128];
    char error_type[512];
    int has_error_type;
    int has_expect;
    char *body; /* owned */
    size_t body_len;
} fake_request;

typedef struct fake_api {
    struct MHD_Daemon *daemon;
    unsigned short port;
    pthread_mutex_t mu;
    fake_event events[FAKE_MAX_EVENTS];
    int n_events, next_event;
    struct {
        char request_id[64];
        int status;
    } overrides[FAKE_MAX_OVERRIDES];
    int n_overrides;
    fake_request reqs[FAKE_MAX_REQUESTS];
    int n_reqs;
    int connections;
    int next_delay_ms;
    char endpoint[64];
} fake_api;

typedef struct fake_conn {
    wren_buf body;
} fake_conn;

static void s_notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                                enum MHD_ConnectionNotificationCode toe)
{
    fake_api *api = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        pthread_mutex_lock(&api->mu);
        api->connections++;
        pthread_mutex_unlock(&api->mu);
    }
}

static void s_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    fake_conn *fc = *con_cls;
    if (fc) {
        wren_buf_clean_up(&fc->body);
        free(fc);
        *con_cls = NULL;
    }
}

static enum MHD_Result s_queue(struct MHD_Connection *c, unsigned status, const char *body, size_t len,
                               const fake_event *ev)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (ev) {
        if (ev->request_id)
            MHD_add_response_header(r, "Lambda-Runtime-Aws-Request-Id", ev->request_id);
        if (ev->deadline)
            MHD_add_response_header(r, "Lambda-Runtime-Deadline-Ms", ev->deadline);
        if (ev->arn)
            MHD_add_response_header(r, "Lambda-Runtime-Invoked-Function-Arn", ev->arn);
        if (ev->trace)
            MHD_add_response_header(r, "Lambda-Runtime-Trace-Id", ev->trace);
        if (ev->client_context)
            MHD_add_response_header(r, "Lambda-Runtime-Client-Context", ev->client_context);
        if (ev->cognito)
            MHD_add_response_header(r, "Lambda-Runtime-Cognito-Identity", ev->cognito);
    }
    if (ev && ev->close_after)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result s_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    fake_api *api = cls;
    fake_conn *fc = *con_cls;
    if (!fc) {
        fc = calloc(1, sizeof *fc);
        wren_buf_init(&fc->body, 0);
        *con_cls = fc;
        return MHD_YES;
    }
    if (*upload_data_size) {
        wren_buf_append(&fc->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }

    pthread_mutex_lock(&api->mu);
    fake_request *rq = api->n_reqs < FAKE_MAX_REQUESTS ? &api->reqs[api->n_reqs++] : NULL;
    if (rq) {
        snprintf(rq->method, sizeof rq->method, "%s", method);
        snprintf(rq->url, sizeof rq->url, "%s", url);
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
        snprintf(rq->content_type, sizeof rq->content_type, "%s", ct ? ct : "");
        const char *et = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Lambda-Runtime-Function-Error-Type");
        rq->has_error_type = et != NULL;
        snprintf(rq->error_type, sizeof rq->error_type, "%s", et ? et : "");
        rq->has_expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect") != NULL;
        rq->body = wren_buf_detach(&fc->body, &rq->body_len);
    }
    int delay_ms = api->next_delay_ms;
    pthread_mutex_unlock(&api->mu);

    if (strcmp(method, "GET") == 0 && strcmp(url, "/2018-06-01/runtime/invocation/next") == 0) {
        if (delay_ms)
            usleep((useconds_t)delay_ms * 1000);
        pthread_mutex_lock(&api->mu);
        fake_event ev = {0};
        int have = api->next_event < api->n_events;
        if (have)
            ev = api->events[api->next_event++];
        pthread_mutex_unlock(&api->mu);
        if (!have) {
            const char *b = "{\"errorMessage\":\"no more events\",\"errorType\":\"Test.Done\"}";
            return s_queue(c, 500, b, strlen(b), NULL);
        }
        return s_queue(c, 200, ev.body, ev.body_len ? ev.body_len : strlen(ev.body), &ev);
    }
    if (strcmp(method, "POST") == 0 && strncmp(url, "/2018-06-01/runtime/", 20) == 0) {
        unsigned status = 202;
        pthread_mutex_lock(&api->mu);
        for (int i = 0; i < api->n_overrides; i++) {
            char want[128];
            snprintf(want, sizeof want, "/2018-06-01/runtime/invocation/%s/", api->overrides[i].request_id);
            if (strncmp(url, want, strlen(want)) == 0)
                status = (unsigned)api->overrides[i].status;
        }
        pthread_mutex_unlock(&api->mu);
        const char *b = status == 202 ? "{\"status\":\"OK\"}" : "{\"errorMessage\":\"refused by test\"}";
        return s_queue(c, status, b, strlen(b), NULL);
    }
    return s_queue(c, 404, "{}", 2, NULL);
}

static fake_api *fake_start(void)
{
    fake_api *api = calloc(1, sizeof *api);
    ck_assert_ptr_nonnull(api);
    pthread_mutex_init(&api->mu, NULL);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    api->daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                                   s_handler, api, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                   MHD_OPTION_NOTIFY_CONNECTION, s_notify_connection, api,
                                   MHD_OPTION_NOTIFY_COMPLETED, s_completed, api, MHD_OPTION_END);
    ck_assert_ptr_nonnull(api->daemon);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(api->daemon, MHD_DAEMON_INFO_BIND_PORT);
    api->port = info->port;
    ck_assert_uint_ne(api->port, 0);
    snprintf(api->endpoint, sizeof api->endpoint, "127.0.0.1:%u", api->port);
    return api;
}

static void fake_stop(fake_api *api)
{
    MHD_stop_daemon(api->daemon);
    for (int i = 0; i < api->n_reqs; i++)
        free(api->reqs[i].body);
    pthread_mutex_destroy(&api->mu);
    free(api);
}

static void fake_add(fake_api *api, fake_event ev)
{
    pthread_mutex_lock(&api->mu);
    ck_assert_int_lt(api->n_events, FAKE_MAX_EVENTS);
    api->events[api->n_events++] = ev;
    pthread_mutex_unlock(&api->mu);
}

static void fake_override(fake_api *api, const char *request_id, int status)
{
    pthread_mutex_lock(&api->mu);
    snprintf(api->overrides[api->n_overrides].request_id, 64, "%s", request_id);
    api->overrides[api->n_overrides++].status = status;
    pthread_mutex_unlock(&api->mu);
}

static fake_event simple_event(const char *id, const char *body)
{
    return (fake_event){.request_id = id, .deadline = "4102444800000", .body = body};
}

static int fake_n_reqs(fake_api *api)
{
    pthread_mutex_lock(&api->mu);
    int n = api->n_reqs;
    pthread_mutex_unlock(&api->mu);
    return n;
}

static int fake_connections(fake_api *api)
{
    pthread_mutex_lock(&api->mu);
    int n = api->connections;
    pthread_mutex_unlock(&api->mu);
    return n;
}

static void assert_req(fake_api *api, int i, const char *method, const char *url)
{
    ck_assert_int_lt(i, fake_n_reqs(api));
    ck_assert_str_eq(api->reqs[i].method, method);
    ck_assert_str_eq(api->reqs[i].url, url);
}

static double s_now_ms(void)
{
    return (double)wren_mono_ns() / 1e6;
}

/* A port nothing listens on: bind, read the port, close. */
static unsigned short closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    return ntohs(sa.sin_port);
}

/* ---- the pure parts: bytes of an error ------------------------------------ */

static void check_sanitize(const char *in, size_t in_len, const char *want, size_t want_len)
{
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren_utf8_sanitize(in, in_len, &b), WREN_OK);
    ck_assert_uint_eq(b.len, want_len);
    ck_assert_msg(memcmp(b.data ? b.data : "", want, b.len) == 0, "sanitize gave wrong bytes for case of %zu bytes",
                  in_len);
    wren_buf_clean_up(&b);
}

#define R "\xEF\xBF\xBD" /* U+FFFD */
#define SAN(lit, want) check_sanitize(lit, sizeof(lit) - 1, want, sizeof(want) - 1)

START_TEST(test_utf8_sanitize_keeps_valid_and_replaces_maximal_subparts)
{
    SAN("", "");
    SAN("plain ASCII \x01\x7f", "plain ASCII \x01\x7f");
    SAN("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF");
    SAN("\xEF\xBF\xBD", R);                 /* U+FFFD itself is valid */
    SAN("a\xFF" "b", "a" R "b");               /* never valid */
    SAN("\x80", R);                         /* lone continuation */
    SAN("\xC0\xAF", R R);                   /* overlong '/': C0 is never a lead */
    SAN("\xC1\xBF", R R);
    SAN("\xE0\x80\xAF", R R R);             /* overlong 3-byte */
    SAN("\xF0\x80\x80\xAF", R R R R);       /* overlong 4-byte */
    SAN("\xED\xA0\x80", R R R);             /* surrogate U+D800 */
    SAN("\xED\xBF\xBF", R R R);             /* surrogate U+DFFF */
    SAN("\xED\x9F\xBF", "\xED\x9F\xBF");     /* U+D7FF is fine */
    SAN("\xF4\x90\x80\x80", R R R R);       /* past U+10FFFF */
    SAN("\xF5\x80\x80\x80", R R R R);
    SAN("\xE2\x82", R);                     /* cut short at the end: one */
    SAN("\xE2\x82x", R "x");                /* cut short before ASCII */
    SAN("\xF0\x9F\x98", R);                 /* 4-byte cut after 3 */
    SAN("\xF0\x9F\x98\xE2\x82\xAC", R "\xE2\x82\xAC"); /* cut, then a valid one */
    SAN("\xC3", R);
    SAN("\xC3\xC3\xA9", R "\xC3\xA9");
    /* Unicode 15, table 3-11 example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 */
    SAN("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", "a" R R R "b" R "c" R R "d");
    /* NUL bytes in the middle are data, kept for JSON to escape */
    SAN("a\0b", "a\0b");
}
END_TEST

START_TEST(test_utf8_sanitize_respects_the_buffer_cap)
{
    wren_buf b;
    wren_buf_init(&b, 4);
    ck_assert_int_eq(wren_utf8_sanitize("\xFF\xFF", 2, &b), WREN_ETOOBIG);
    wren_buf_clean_up(&b);
}
END_TEST

START_TEST(test_error_type_is_a_safe_header_value)
{
    char out[WREN__ERROR_TYPE_MAX_BYTES + 1];
    wren__error_type_clean("Wren.UnknownKernel", out, sizeof out);
    ck_assert_str_eq(out, "Wren.UnknownKernel");
    wren__error_type_clean("Bad\r\nX-Injected: yes", out, sizeof out);
    ck_assert_str_eq(out, "BadX-Injected: yes");
    wren__error_type_clean("  caf\xC3\xA9\tType\x7f\x01  ", out, sizeof out);
    ck_assert_str_eq(out, "cafType");
    wren__error_type_clean("\r\n", out, sizeof out);
    ck_assert_str_eq(out, "Runtime.Unknown");
    wren__error_type_clean(NULL, out, sizeof out);
    ck_assert_str_eq(out, "Runtime.Unknown");
    char lng[600];
    memset(lng, 'x', sizeof lng - 1);
    lng[sizeof lng - 1] = '\0';
    wren__error_type_clean(lng, out, sizeof out);
    ck_assert_uint_eq(strlen(out), WREN__ERROR_TYPE_MAX_BYTES);
    char small[4];
    wren__error_type_clean("abcdef", small, sizeof small);
    ck_assert_str_eq(small, "abc");
}
END_TEST

/* The message every error test uses, and its exact JSON. */
static const char s_nasty_message[] = "say \"hi\"\\ \n\t\x01 caf\xC3\xA9 \xF0\x9F\x98\x80 \xFF \xC0\xAF \xED\xA0\x80 \xE2\x82";
static const char s_nasty_json[] =
    "{\"errorMessage\":\"say \\\"hi\\\"\\\\ \\n\\t\\u0001 caf\xC3\xA9 \xF0\x9F\x98\x80 " R " " R R " " R R R " " R
    "\",\"errorType\":\"Test.Nasty\",\"stackTrace\":[]}";

START_TEST(test_error_body_exact_bytes)
{
    wren_buf b;
    wren_buf_init(&b, 0);
    ck_assert_int_eq(wren__error_body("Test.Nasty", s_nasty_message, &b), WREN_OK);
    ck_assert_str_eq(b.data, s_nasty_json);
    wren_buf_reset(&b);
    ck_assert_int_eq(wren__error_body("T", NULL, &b), WREN_OK);
    ck_assert_str_eq(b.data, "{\"errorMessage\":\"\",\"errorType\":\"T\",\"stackTrace\":[]}");
    wren_buf_clean_up(&b);
}
END_TEST

START_TEST(test_outcome_constructors_copy_and_clean_up)
{
    char payload[] = "{\"x\":1}";
    wren_outcome o = wren_outcome_success(payload, 7, NULL);
    payload[0] = 'X';
    ck_assert_int_eq(o.success, 1);
    ck_assert_uint_eq(o.payload_len, 7);
    ck_assert_str_eq(o.payload, "{\"x\":1}");
    ck_assert_str_eq(o.content_type, "application/json");
    wren_outcome_clean_up(&o);
    ck_assert_ptr_null(o.payload);
    wren_outcome_clean_up(&o); /* twice is fine */
    wren_outcome_clean_up(NULL);
    o = wren_outcome_failure("Wren.X", "boom");
    ck_assert_int_eq(o.success, 0);
    ck_assert_str_eq(o.error_type, "Wren.X");
    ck_assert_str_eq(o.error_message, "boom");
    wren_outcome_clean_up(&o);
    o = wren_outcome_success(NULL, 5, "text/plain");
    ck_assert_int_eq(o.success, 0);
    ck_assert_str_eq(o.error_type, "Runtime.InvalidResponse");
    wren_outcome_clean_up(&o);
    o = wren_outcome_success(NULL, 0, "text/plain");
    ck_assert_int_eq(o.success, 1);
    ck_assert_uint_eq(o.payload_len, 0);
    ck_assert_str_eq(o.content_type, "text/plain");
    wren_outcome_clean_up(&o);
}
END_TEST

START_TEST(test_new_validates_the_endpoint)
{
    wren_runtime *rt = (wren_runtime *)1;
    unsetenv("AWS_LAMBDA_RUNTIME_API");
    ck_assert_int_eq(wren_runtime_new(NULL, &rt), WREN_EINVAL);
    ck_assert_ptr_null(rt);
    ck_assert_int_eq(wren_runtime_new("", &rt), WREN_EINVAL);
    ck_assert_int_eq(wren_runtime_new("http://127.0.0.1:9001", &rt), WREN_EINVAL);
    ck_assert_int_eq(wren_runtime_new("127.0.0.1:9001/x", &rt), WREN_EINVAL);
    ck_assert_int_eq(wren_runtime_new("127.0.0.1 9001", &rt), WREN_EINVAL);
    setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001", 1);
    ck_assert_int_eq(wren_runtime_new(NULL, &rt), WREN_OK);
    ck_assert_str_eq(wren_runtime_endpoint(rt), "127.0.0.1:9001");
    ck_assert_int_eq(wren_runtime_http_status(rt), 0);
    wren_runtime_destroy(rt);
    wren_runtime_destroy(NULL);
    /* Lambda would refuse the id; so do we, before any request. */
    ck_assert_int_eq(wren_runtime_new("127.0.0.1:9", &rt), WREN_OK);
    ck_assert_int_eq(wren_runtime_respond(rt, "../x", "", 0, NULL), WREN_EINVAL);
    ck_assert_int_eq(wren_runtime_fail(rt, NULL, "T", "m"), WREN_EINVAL);
    ck_assert_int_eq(wren_runtime_respond(rt, "ok-id", NULL, 3, NULL), WREN_EINVAL);
    ck_assert_int_eq(wren_runtime_http_status(rt), 0); /* nothing was sent */
    wren_runtime_destroy(rt);
    unsetenv("AWS_LAMBDA_RUNTIME_API");
}
END_TEST

/* ---- the verbs against the fake API --------------------------------------- */

START_TEST(test_next_parses_every_header_and_the_payload)
{
    fake_api *api = fake_start();
    static const char body[] = "{\"a\":1}\0tail\xFF";
    int64_t deadline = wren_now_ms() + 30000;
    char deadline_s[32];
    snprintf(deadline_s, sizeof deadline_s, "%" PRId64, deadline);
    fake_add(api, (fake_event){.request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
                               .deadline = deadline_s,
                               .arn = "arn:aws:lambda:us-east-2:123456789012:function:custom-runtime",
                               .trace = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
                               .client_context = "{\"client\":{\"app_title\":\"t\"}}",
                               .cognito = "{\"cognitoIdentityId\":\"id\",\"cognitoIdentityPoolId\":\"pool\"}",
                               .body = body,
                               .body_len = sizeof body - 1});
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(api->endpoint, &rt), WREN_OK);
    wren_invocation inv;
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_OK);
    ck_assert_int_eq(wren_runtime_http_status(rt), 200);
    ck_assert_str_eq(inv.request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
    ck_assert_int_eq(inv.deadline_ms, deadline);
    ck_assert_str_eq(inv.function_arn, "arn:aws:lambda:us-east-2:123456789012:function:custom-runtime");
    ck_assert_str_eq(inv.xray_trace_id, "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1");
    ck_assert_str_eq(inv.client_context, "{\"client\":{\"app_title\":\"t\"}}");
    ck_assert_str_eq(inv.cognito_identity, "{\"cognitoIdentityId\":\"id\",\"cognitoIdentityPoolId\":\"pool\"}");
    ck_assert_uint_eq(inv.payload_len, sizeof body - 1);
    ck_assert(memcmp(inv.payload, body, sizeof body - 1) == 0);
    ck_assert_int_eq(inv.payload[inv.payload_len], '\0');
    int64_t left = wren_invocation_remaining_ms(&inv);
    ck_assert_int_le(left, 30000);
    ck_assert_int_gt(left, 20000);
    ck_assert_str_eq(getenv("_X_AMZN_TRACE_ID"), inv.xray_trace_id);
    wren_runtime_destroy(rt);
    /* The runtime's buffer must not outlive it in the environment. */
    ck_assert_ptr_null(getenv("_X_AMZN_TRACE_ID"));
    fake_stop(api);
}
END_TEST

START_TEST(test_absent_headers_are_empty_and_trace_env_is_unset)
{
    fake_api *api = fake_start();
    fake_event a = simple_event("req-a", "1");
    a.trace = "Root=1-aaaa;Sampled=0";
    fake_event b = simple_event("req-b", "2");
    fake_event c = simple_event("req-c", "3");
    c.trace = "Root=1-cccc;Sampled=1";
    fake_add(api, a);
    fake_add(api, b);
    fake_add(api, c);
    setenv("_X_AMZN_TRACE_ID", "stale-from-before", 1);
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(api->endpoint, &rt), WREN_OK);
    wren_invocation inv;
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_OK);
    ck_assert_str_eq(getenv("_X_AMZN_TRACE_ID"), "Root=1-aaaa;Sampled=0");
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_OK);
    ck_assert_str_eq(inv.request_id, "req-b");
    ck_assert_str_eq(inv.xray_trace_id, "");
    ck_assert_str_eq(inv.function_arn, "");
    ck_assert_str_eq(inv.client_context, "");
    ck_assert_str_eq(inv.cognito_identity, "");
    ck_assert_ptr_null(getenv("_X_AMZN_TRACE_ID"));
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_OK);
    ck_assert_str_eq(getenv("_X_AMZN_TRACE_ID"), "Root=1-cccc;Sampled=1");
    wren_runtime_destroy(rt);
    fake_stop(api);
}
END_TEST

START_TEST(test_respond_posts_the_exact_body_and_content_type_without_expect)
{
    fake_api *api = fake_start();
    fake_add(api, simple_event("req-1", "{}"));
    fake_add(api, simple_event("req-2", "{}"));
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(api->endpoint, &rt), WREN_OK);
    wren_invocation inv;
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_OK);
    /* 2 MiB: past the 1 MiB where curl would otherwise send Expect: 100-continue */
    size_t big_len = (size_t)2 << 20;
    char *big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)(i * 31 + 7);
    ck_assert_int_eq(wren_runtime_respond(rt, inv.request_id, big, big_len, "application/octet-stream"), WREN_OK);
    ck_assert_int_eq(wren_runtime_http_status(rt), 202);
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_OK);
    ck_assert_int_eq(wren_runtime_respond(rt, inv.request_id, "{\"ok\":true}", 11, NULL), WREN_OK);

    ck_assert_int_eq(fake_n_reqs(api), 4);
    assert_req(api, 1, "POST", "/2018-06-01/runtime/invocation/req-1/response");
    ck_assert_str_eq(api->reqs[1].content_type, "application/octet-stream");
    ck_assert_int_eq(api->reqs[1].has_expect, 0);
    ck_assert_int_eq(api->reqs[1].has_error_type, 0);
    ck_assert_uint_eq(api->reqs[1].body_len, big_len);
    ck_assert(memcmp(api->reqs[1].body, big, big_len) == 0);
    assert_req(api, 3, "POST", "/2018-06-01/runtime/invocation/req-2/response");
    ck_assert_str_eq(api->reqs[3].content_type, "application/json");
    ck_assert_str_eq(api->reqs[3].body, "{\"ok\":true}");
    ck_assert_int_eq(fake_connections(api), 1);
    free(big);
    wren_runtime_destroy(rt);
    fake_stop(api);
}
END_TEST

START_TEST(test_fail_posts_the_exact_header_and_json_body)
{
    fake_api *api = fake_start();
    fake_add(api, simple_event("req-f", "{}"));
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(api->endpoint, &rt), WREN_OK);
    wren_invocation inv;
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_OK);
    ck_assert_int_eq(wren_runtime_fail(rt, inv.request_id, "Test.Nasty", s_nasty_message), WREN_OK);
    ck_assert_int_eq(wren_runtime_fail(rt, inv.request_id, "Evil\r\nX-Injected: 1\xC3\xA9", "m"), WREN_OK);
    ck_assert_int_eq(fake_n_reqs(api), 3);
    assert_req(api, 1, "POST", "/2018-06-01/runtime/invocation/req-f/error");
    ck_assert_str_eq(api->reqs[1].content_type, "application/json");
    ck_assert_int_eq(api->reqs[1].has_error_type, 1);
    ck_assert_str_eq(api->reqs[1].error_type, "Test.Nasty");
    ck_assert_int_eq(api->reqs[1].has_expect, 0);
    ck_assert_uint_eq(api->reqs[1].body_len, strlen(s_nasty_json));
    ck_assert_str_eq(api->reqs[1].body, s_nasty_json);
    ck_assert_str_eq(api->reqs[2].error_type, "EvilX-Injected: 1");
    ck_assert_str_eq(api->reqs[2].body, "{\"errorMessage\":\"m\",\"errorType\":\"EvilX-Injected: 1\",\"stackTrace\":[]}");
    wren_runtime_destroy(rt);
    fake_stop(api);
}
END_TEST

START_TEST(test_init_error_posts_to_init_error)
{
    fake_api *api = fake_start();
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(api->endpoint, &rt), WREN_OK);
    ck_assert_int_eq(wren_runtime_init_error(rt, "Wren.InitFailed", "no kernels \xFF"), WREN_OK);
    ck_assert_int_eq(wren_runtime_http_status(rt), 202);
    ck_assert_int_eq(fake_n_reqs(api), 1);
    assert_req(api, 0, "POST", "/2018-06-01/runtime/init/error");
    ck_assert_str_eq(api->reqs[0].error_type, "Wren.InitFailed");
    ck_assert_str_eq(api->reqs[0].content_type, "application/json");
    ck_assert_str_eq(api->reqs[0].body,
                     "{\"errorMessage\":\"no kernels " R "\",\"errorType\":\"Wren.InitFailed\",\"stackTrace\":[]}");
    wren_runtime_destroy(rt);
    fake_stop(api);
}
END_TEST

START_TEST(test_post_statuses_map_413_4xx_and_500)
{
    fake_api *api = fake_start();
    fake_override(api, "big", 413);
    fake_override(api, "done", 400);
    fake_override(api, "gone", 500);
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(api->endpoint, &rt), WREN_OK);
    ck_assert_int_eq(wren_runtime_respond(rt, "big", "x", 1, NULL), WREN_ETOOBIG);
    ck_assert_int_eq(wren_runtime_http_status(rt), 413);
    ck_assert_ptr_nonnull(strstr(wren_runtime_errmsg(rt), "HTTP 413 from POST http://127.0.0.1:"));
    ck_assert_ptr_nonnull(strstr(wren_runtime_errmsg(rt), "/2018-06-01/runtime/invocation/big/response: "
                                                          "{\"errorMessage\":\"refused by test\"}"));
    ck_assert_int_eq(wren_runtime_fail(rt, "big", "T", "m"), WREN_ETOOBIG);
    ck_assert_int_eq(wren_runtime_respond(rt, "done", "x", 1, NULL), WREN_ESTATE);
    ck_assert_int_eq(wren_runtime_http_status(rt), 400);
    ck_assert_int_eq(wren_runtime_respond(rt, "gone", "x", 1, NULL), WREN_EHTTP);
    ck_assert_int_eq(wren_runtime_http_status(rt), 500);
    ck_assert_int_eq(wren_runtime_respond(rt, "fine", "x", 1, NULL), WREN_OK);
    wren_runtime_destroy(rt);
    fake_stop(api);
}
END_TEST

START_TEST(test_missing_request_id_or_bad_deadline_is_eproto)
{
    fake_api *api = fake_start();
    fake_event no_id = simple_event(NULL, "{}");
    fake_event bad_deadline = simple_event("req-d", "{}");
    bad_deadline.deadline = "12abc";
    fake_event no_deadline = simple_event("req-e", "{}");
    no_deadline.deadline = NULL;
    fake_event unsafe_id = simple_event("a/../b", "{}");
    fake_add(api, no_id);
    fake_add(api, bad_deadline);
    fake_add(api, no_deadline);
    fake_add(api, unsafe_id);
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(api->endpoint, &rt), WREN_OK);
    wren_invocation inv;
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_EPROTO);
    ck_assert_str_eq(inv.request_id, "");
    ck_assert_ptr_nonnull(strstr(wren_runtime_errmsg(rt), "has no Lambda-Runtime-Aws-Request-Id header"));
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_EPROTO);
    ck_assert_str_eq(inv.request_id, "req-d");
    ck_assert_ptr_nonnull(strstr(wren_runtime_errmsg(rt), "Lambda-Runtime-Deadline-Ms \"12abc\" is not a count"));
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_EPROTO);
    ck_assert_str_eq(inv.request_id, "req-e");
    ck_assert_ptr_nonnull(strstr(wren_runtime_errmsg(rt), "is missing"));
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_EPROTO);
    ck_assert_str_eq(inv.request_id, "");
    ck_assert_ptr_nonnull(strstr(wren_runtime_errmsg(rt), "unsafe Lambda-Runtime-Aws-Request-Id"));
    /* No events left: the fake answers 500, which is the end. */
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_EHTTP);
    ck_assert_int_eq(wren_runtime_http_status(rt), 500);
    wren_runtime_destroy(rt);
    fake_stop(api);
}
END_TEST

START_TEST(test_event_over_the_cap_is_toobig_and_the_connection_survives)
{
    fake_api *api = fake_start();
    char *big = malloc(5001);
    memset(big, 'a', 5000);
    big[5000] = '\0';
    fake_add(api, simple_event("req-big", big));
    fake_add(api, simple_event("req-small", "{\"n\":2}"));
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(api->endpoint, &rt), WREN_OK);
    wren_runtime_set_max_event_bytes(rt, 1024);
    wren_invocation inv;
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_ETOOBIG);
    ck_assert_str_eq(inv.request_id, "req-big");
    ck_assert_uint_eq(inv.payload_len, 0);
    ck_assert_str_eq(wren_runtime_errmsg(rt),
                     "event of 5000 bytes is larger than the cap of 1024 bytes (request req-big)");
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_OK);
    ck_assert_str_eq(inv.request_id, "req-small");
    ck_assert_str_eq(inv.payload, "{\"n\":2}");
    ck_assert_int_eq(fake_connections(api), 1);
    free(big);
    wren_runtime_destroy(rt);
    fake_stop(api);
}
END_TEST

START_TEST(test_default_cap_takes_8_mib_and_refuses_one_byte_more)
{
    fake_api *api = fake_start();
    size_t cap = WREN_RUNTIME_DEFAULT_MAX_EVENT_BYTES;
    ck_assert_uint_eq(cap, (size_t)8 << 20);
    char *big = malloc(cap + 2);
    memset(big, 'z', cap + 1);
    big[cap + 1] = '\0';
    fake_event at_cap = simple_event("req-at-cap", big);
    at_cap.body_len = cap;
    fake_add(api, at_cap);
    fake_add(api, simple_event("req-over-cap", big)); /* cap + 1 bytes */
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(api->endpoint, &rt), WREN_OK);
    wren_invocation inv;
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_OK);
    ck_assert_uint_eq(inv.payload_len, cap);
    ck_assert_int_eq(inv.payload[cap - 1], 'z');
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_ETOOBIG);
    ck_assert_str_eq(inv.request_id, "req-over-cap");
    ck_assert_ptr_nonnull(strstr(wren_runtime_errmsg(rt), "event of 8388609 bytes is larger than the cap of 8388608 bytes"));
    ck_assert_int_eq(fake_connections(api), 1);
    free(big);
    wren_runtime_destroy(rt);
    fake_stop(api);
}
END_TEST

START_TEST(test_a_connection_closed_by_the_server_is_reopened)
{
    fake_api *api = fake_start();
    fake_event a = simple_event("req-a", "{}");
    a.close_after = 1;
    fake_add(api, a);
    fake_add(api, simple_event("req-b", "{}"));
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(api->endpoint, &rt), WREN_OK);
    wren_invocation inv;
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_OK);
    ck_assert_int_eq(wren_runtime_respond(rt, inv.request_id, "1", 1, NULL), WREN_OK);
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_OK);
    ck_assert_str_eq(inv.request_id, "req-b");
    ck_assert_int_eq(wren_runtime_respond(rt, inv.request_id, "2", 1, NULL), WREN_OK);
    /* One new connection after the close, then kept again. */
    ck_assert_int_eq(fake_connections(api), 2);
    ck_assert_int_eq(fake_n_reqs(api), 4);
    ck_assert_str_eq(api->reqs[1].body, "1");
    ck_assert_str_eq(api->reqs[3].body, "2");
    wren_runtime_destroy(rt);
    fake_stop(api);
}
END_TEST

START_TEST(test_connection_refused_is_ehttp_at_once)
{
    char endpoint[32];
    snprintf(endpoint, sizeof endpoint, "127.0.0.1:%u", closed_port());
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(endpoint, &rt), WREN_OK);
    wren_invocation inv;
    double t0 = s_now_ms();
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_EHTTP);
    ck_assert_double_lt(s_now_ms() - t0, 500.0);
    ck_assert_int_eq(wren_runtime_http_status(rt), 0);
    ck_assert_ptr_nonnull(strstr(wren_runtime_errmsg(rt), "GET http://127.0.0.1:"));
    ck_assert_ptr_nonnull(strstr(wren_runtime_errmsg(rt), "(curl 7)")); /* CURLE_COULDNT_CONNECT */
    ck_assert_str_eq(inv.request_id, "");
    ck_assert_int_eq(wren_runtime_respond(rt, "x", "", 0, NULL), WREN_EHTTP);
    wren_runtime_destroy(rt);
}
END_TEST

/* A listener whose accept queue is full drops new SYNs: the connect never
 * completes, so only the connect timeout can end the wait. */
START_TEST(test_connect_timeout_bounds_an_unanswering_listener)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(lfd, 0), 0);
    socklen_t sl = sizeof sa;
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    /* Fill the queue (backlog 0 holds one); never accept. */
    int fillers[4];
    for (int i = 0; i < 4; i++) {
        fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fillers[i], (struct sockaddr *)&sa, sizeof sa);
    }
    usleep(100 * 1000);
    char endpoint[32];
    snprintf(endpoint, sizeof endpoint, "127.0.0.1:%u", ntohs(sa.sin_port));
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(endpoint, &rt), WREN_OK);
    wren_runtime_set_connect_timeout_ms(rt, 300);
    wren_invocation inv;
    double t0 = s_now_ms();
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_EHTTP);
    double took = s_now_ms() - t0;
    ck_assert_double_ge(took, 250.0);
    ck_assert_double_lt(took, 3000.0);
    ck_assert_ptr_nonnull(strstr(wren_runtime_errmsg(rt), "(curl 28)")); /* CURLE_OPERATION_TIMEDOUT */
    wren_runtime_destroy(rt);
    for (int i = 0; i < 4; i++)
        close(fillers[i]);
    close(lfd);
}
END_TEST

START_TEST(test_next_waits_past_the_connect_timeout)
{
    fake_api *api = fake_start();
    api->next_delay_ms = 900;
    fake_add(api, simple_event("req-slow", "{}"));
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(api->endpoint, &rt), WREN_OK);
    wren_runtime_set_connect_timeout_ms(rt, 200);
    wren_invocation inv;
    double t0 = s_now_ms();
    ck_assert_int_eq(wren_runtime_next(rt, &inv), WREN_OK);
    ck_assert_double_ge(s_now_ms() - t0, 850.0);
    ck_assert_str_eq(inv.request_id, "req-slow");
    wren_runtime_destroy(rt);
    fake_stop(api);
}
END_TEST

/* ---- the loop ------------------------------------------------------------- */

static int s_handled;

static wren_outcome s_test_handler(const wren_invocation *inv, void *user)
{
    s_handled++;
    if (strcmp(inv->payload, "fail") == 0)
        return wren_outcome_failure("Test.Failure", "asked to fail");
    if (strcmp(inv->payload, "oom") == 0) {
        wren_outcome o = {0}; /* what wren_outcome_failure gives when out of memory */
        return o;
    }
    return wren_outcome_success(inv->payload, inv->payload_len, "application/json");
}

START_TEST(test_run_carries_on_after_413_and_exits_nonzero_when_done)
{
    fake_api *api = fake_start();
    fake_add(api, simple_event("req-1", "{\"n\":1}"));
    fake_add(api, simple_event("req-2", "fail"));
    fake_add(api, simple_event("req-3", "{\"n\":3}"));
    fake_add(api, simple_event("req-4", "oom"));
    fake_override(api, "req-1", 413);
    setenv("AWS_LAMBDA_RUNTIME_API", api->endpoint, 1);
    s_handled = 0;
    /* After the last event the fake answers `next` with 500. */
    int rc = wren_runtime_run(s_test_handler, NULL);
    ck_assert_int_eq(rc, WREN_EHTTP);
    ck_assert_int_eq(s_handled, 4);
    ck_assert_int_eq(fake_n_reqs(api), 10);
    assert_req(api, 0, "GET", "/2018-06-01/runtime/invocation/next");
    assert_req(api, 1, "POST", "/2018-06-01/runtime/invocation/req-1/response");
    assert_req(api, 2, "POST", "/2018-06-01/runtime/invocation/req-1/error");
    ck_assert_str_eq(api->reqs[2].error_type, "Wren.OutputTooLarge");
    ck_assert_ptr_nonnull(strstr(api->reqs[2].body, "\"errorMessage\":\"response of 7 bytes refused: HTTP 413 from POST"));
    assert_req(api, 3, "GET", "/2018-06-01/runtime/invocation/next");
    assert_req(api, 4, "POST", "/2018-06-01/runtime/invocation/req-2/error");
    ck_assert_str_eq(api->reqs[4].error_type, "Test.Failure");
    ck_assert_str_eq(api->reqs[4].body,
                     "{\"errorMessage\":\"asked to fail\",\"errorType\":\"Test.Failure\",\"stackTrace\":[]}");
    assert_req(api, 5, "GET", "/2018-06-01/runtime/invocation/next");
    assert_req(api, 6, "POST", "/2018-06-01/runtime/invocation/req-3/response");
    ck_assert_str_eq(api->reqs[6].body, "{\"n\":3}");
    assert_req(api, 7, "GET", "/2018-06-01/runtime/invocation/next");
    assert_req(api, 8, "POST", "/2018-06-01/runtime/invocation/req-4/error");
    ck_assert_str_eq(api->reqs[8].error_type, "Runtime.OutOfMemory");
    assert_req(api, 9, "GET", "/2018-06-01/runtime/invocation/next");
    /* Every request of the run on one keep-alive connection. */
    ck_assert_int_eq(fake_connections(api), 1);
    unsetenv("AWS_LAMBDA_RUNTIME_API");
    fake_stop(api);
}
END_TEST

START_TEST(test_loop_exits_on_500_to_a_response)
{
    fake_api *api = fake_start();
    fake_add(api, simple_event("req-1", "{}"));
    fake_add(api, simple_event("req-2", "{}"));
    fake_override(api, "req-1", 500);
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(api->endpoint, &rt), WREN_OK);
    s_handled = 0;
    ck_assert_int_eq(wren_runtime_loop(rt, s_test_handler, NULL), WREN_EHTTP);
    ck_assert_int_eq(s_handled, 1);
    ck_assert_int_eq(wren_runtime_http_status(rt), 500);
    /* next, response(500), and nothing after: req-2 was never fetched. */
    ck_assert_int_eq(fake_n_reqs(api), 2);
    assert_req(api, 1, "POST", "/2018-06-01/runtime/invocation/req-1/response");
    ck_assert_int_eq(api->next_event, 1);
    wren_runtime_destroy(rt);
    fake_stop(api);
}
END_TEST

START_TEST(test_loop_reports_oversized_and_malformed_events_and_goes_on)
{
    fake_api *api = fake_start();
    char big[300];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    fake_add(api, simple_event("req-big", big));
    fake_event bad = simple_event("req-bad", "{}");
    bad.deadline = "soon";
    fake_add(api, bad);
    fake_add(api, simple_event("req-ok", "{}"));
    fake_add(api, simple_event(NULL, "{}")); /* no id: nothing to answer, exit */
    fake_add(api, simple_event("req-never", "{}"));
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(api->endpoint, &rt), WREN_OK);
    wren_runtime_set_max_event_bytes(rt, 100);
    s_handled = 0;
    ck_assert_int_eq(wren_runtime_loop(rt, s_test_handler, NULL), WREN_EPROTO);
    ck_assert_int_eq(s_handled, 1);
    ck_assert_int_eq(fake_n_reqs(api), 7);
    assert_req(api, 1, "POST", "/2018-06-01/runtime/invocation/req-big/error");
    ck_assert_str_eq(api->reqs[1].error_type, "Wren.EventTooLarge");
    ck_assert_str_eq(api->reqs[1].body, "{\"errorMessage\":\"event of 299 bytes is larger than the cap of 100 bytes "
                                        "(request req-big)\",\"errorType\":\"Wren.EventTooLarge\",\"stackTrace\":[]}");
    assert_req(api, 3, "POST", "/2018-06-01/runtime/invocation/req-bad/error");
    ck_assert_str_eq(api->reqs[3].error_type, "Wren.MalformedEvent");
    assert_req(api, 5, "POST", "/2018-06-01/runtime/invocation/req-ok/response");
    assert_req(api, 6, "GET", "/2018-06-01/runtime/invocation/next");
    ck_assert_int_eq(fake_connections(api), 1);
    wren_runtime_destroy(rt);
    fake_stop(api);
}
END_TEST

START_TEST(test_one_connection_serves_many_invocations)
{
    fake_api *api = fake_start();
    char ids[10][16];
    for (int i = 0; i < 10; i++) {
        snprintf(ids[i], sizeof ids[i], "req-%d", i);
        fake_add(api, simple_event(ids[i], i % 3 == 2 ? "fail" : "{}"));
    }
    wren_runtime *rt = NULL;
    ck_assert_int_eq(wren_runtime_new(api->endpoint, &rt), WREN_OK);
    s_handled = 0;
    ck_assert_int_eq(wren_runtime_loop(rt, s_test_handler, NULL), WREN_EHTTP);
    ck_assert_int_eq(s_handled, 10);
    ck_assert_int_eq(fake_n_reqs(api), 21);
    ck_assert_int_eq(fake_connections(api), 1);
    wren_runtime_destroy(rt);
    fake_stop(api);
}
END_TEST

int main(void)
{
    /* Quiet the loop's warnings about the failures these tests provoke. */
    setenv("WREN_LOG", "error", 0);
    Suite *s = suite_create("runtime");
    TCase *tc = tcase_create("bytes");
    tcase_add_test(tc, test_utf8_sanitize_keeps_valid_and_replaces_maximal_subparts);
    tcase_add_test(tc, test_utf8_sanitize_respects_the_buffer_cap);
    tcase_add_test(tc, test_error_type_is_a_safe_header_value);
    tcase_add_test(tc, test_error_body_exact_bytes);
    tcase_add_test(tc, test_outcome_constructors_copy_and_clean_up);
    tcase_add_test(tc, test_new_validates_the_endpoint);
    suite_add_tcase(s, tc);
    tc = tcase_create("verbs");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_next_parses_every_header_and_the_payload);
    tcase_add_test(tc, test_absent_headers_are_empty_and_trace_env_is_unset);
    tcase_add_test(tc, test_respond_posts_the_exact_body_and_content_type_without_expect);
    tcase_add_test(tc, test_fail_posts_the_exact_header_and_json_body);
    tcase_add_test(tc, test_init_error_posts_to_init_error);
    tcase_add_test(tc, test_post_statuses_map_413_4xx_and_500);
    tcase_add_test(tc, test_missing_request_id_or_bad_deadline_is_eproto);
    tcase_add_test(tc, test_event_over_the_cap_is_toobig_and_the_connection_survives);
    tcase_add_test(tc, test_default_cap_takes_8_mib_and_refuses_one_byte_more);
    tcase_add_test(tc, test_a_connection_closed_by_the_server_is_reopened);
    tcase_add_test(tc, test_connection_refused_is_ehttp_at_once);
    tcase_add_test(tc, test_connect_timeout_bounds_an_unanswering_listener);
    tcase_add_test(tc, test_next_waits_past_the_connect_timeout);
    suite_add_tcase(s, tc);
    tc = tcase_create("loop");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_run_carries_on_after_413_and_exits_nonzero_when_done);
    tcase_add_test(tc, test_loop_exits_on_500_to_a_response);
    tcase_add_test(tc, test_loop_reports_oversized_and_malformed_events_and_goes_on);
    tcase_add_test(tc, test_one_connection_serves_many_invocations);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
