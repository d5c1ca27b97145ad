/*
 * emulator/http.c: the Invoke API and every instance's Runtime API, served
 * by one libmicrohttpd daemon.
 *
 * The daemon listens on the Invoke port itself; the supervisor accepts on
 * each instance's own Runtime API port and hands those sockets over with
 * MHD_add_connection. A connection's local port says which instance it
 * belongs to (looked up once, when it opens). Long polls (`next`) and sync
 * invokes waiting for their answer are suspended connections, so a thousand
 * of them cost a thousand sockets, not a thousand threads.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emulator_internal.h"

/* Marks a connection that arrived on the port of an instance already gone. */
static char s_stale_port;

static struct MHD_Response *s_json_response(const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r)
        MHD_add_response_header(r, "Content-Type", "application/json");
    return r;
}

struct MHD_Response *wren__aws_error(const char *type, const char *message)
{
    json_t *j = json_pack("{s:s, s:s}", "Type", "User", "message", message);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    struct MHD_Response *r = s_json_response(body ? body : "{}");
    free(body);
    json_decref(j);
    if (r)
        MHD_add_response_header(r, "x-amzn-ErrorType", type);
    return r;
}

/* A Runtime API error, in the shape Lambda's runtime API uses. */
static struct MHD_Response *s_runtime_error(const char *type, const char *message)
{
    json_t *j = json_pack("{s:s, s:s}", "errorMessage", message, "errorType", type);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    struct MHD_Response *r = s_json_response(body ? body : "{}");
    free(body);
    json_decref(j);
    return r;
}

struct MHD_Response *wren__invoke_response(wren__inv *inv, int func_error, const char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return NULL;
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "X-Amz-Executed-Version", "$LATEST");
    MHD_add_response_header(r, "x-amzn-RequestId", inv->id);
    if (func_error)
        MHD_add_response_header(r, "X-Amz-Function-Error", "Unhandled");
    if (inv->want_tail) {
        size_t n = inv->log.len, off = n > WREN__TAIL_BYTES ? n - WREN__TAIL_BYTES : 0;
        char *b64 = wren_base64_encode(inv->log.data ? inv->log.data + off : "", n - off, NULL);
        if (b64) {
            MHD_add_response_header(r, "X-Amz-Log-Result", b64);
            free(b64);
        }
    }
    return r;
}

struct MHD_Response *wren__next_response(wren__inv *inv)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(inv->payload_len, inv->payload, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return NULL;
    char deadline[32];
    snprintf(deadline, sizeof deadline, "%lld", (long long)inv->deadline_ms);
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Lambda-Runtime-Aws-Request-Id", inv->id);
    MHD_add_response_header(r, "Lambda-Runtime-Deadline-Ms", deadline);
    MHD_add_response_header(r, "Lambda-Runtime-Invoked-Function-Arn", inv->fn->arn);
    MHD_add_response_header(r, "Lambda-Runtime-Trace-Id", inv->trace_id);
    if (inv->client_context)
        MHD_add_response_header(r, "Lambda-Runtime-Client-Context", inv->client_context);
    return r;
}

static enum MHD_Result s_send(struct MHD_Connection *conn, unsigned int status, struct MHD_Response *r)
{
    if (!r)
        return MHD_NO;
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

/* The Runtime API's 202 {"status":"OK"}: built once, shared (MHD counts
 * the references each queued answer holds). */
static const char s_accepted_body[] = "{\"status\":\"OK\"}";

static enum MHD_Result s_send_accepted(wren_emulator *em, struct MHD_Connection *conn)
{
    if (em->accepted)
        return MHD_queue_response(conn, MHD_HTTP_ACCEPTED, em->accepted);
    return s_send(conn, MHD_HTTP_ACCEPTED, s_json_response(s_accepted_body));
}

/* "/2015-03-31/functions/NAME/invocations" where NAME is a name, a partial
 * or full ARN, with an optional ":qualifier". Writes the bare name. */
static int s_parse_invoke_path(const char *url, char *name, size_t cap)
{
    static const char prefix[] = "/2015-03-31/functions/";
    static const char suffix[] = "/invocations";
    size_t ul = strlen(url), pl = sizeof prefix - 1, sl = sizeof suffix - 1;
    if (ul <= pl + sl || strncmp(url, prefix, pl) || strcmp(url + ul - sl, suffix))
        return 0;
    const char *s = url + pl;
    size_t n = ul - pl - sl;
    if (n >= cap)
        return 0;
    char tmp[512];
    if (n >= sizeof tmp)
        return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    const char *start = tmp;
    char *f = strstr(tmp, ":function:");
    if (f)
        start = f + strlen(":function:");
    if (strlen(start) >= cap)
        return 0;
    memcpy(name, start, strlen(start) + 1);
    char *colon = strchr(name, ':');
    if (colon)
        *colon = '\0'; /* qualifiers are accepted; every one runs $LATEST */
    return 1;
}

static wren__req_kind s_runtime_route(const char *url, const char *method, char *id, size_t cap)
{
    static const char inv_prefix[] = "/2018-06-01/runtime/invocation/";
    if (!strcmp(method, "GET") && !strcmp(url, "/2018-06-01/runtime/invocation/next"))
        return WREN__REQ_NEXT;
    if (strcmp(method, "POST"))
        return WREN__REQ_OTHER;
    if (!strcmp(url, "/2018-06-01/runtime/init/error"))
        return WREN__REQ_INIT_ERROR;
    if (strncmp(url, inv_prefix, sizeof inv_prefix - 1))
        return WREN__REQ_OTHER;
    const char *s = url + sizeof inv_prefix - 1;
    const char *slash = strchr(s, '/');
    if (!slash || (size_t)(slash - s) >= cap || slash == s)
        return WREN__REQ_OTHER;
    memcpy(id, s, (size_t)(slash - s));
    id[slash - s] = '\0';
    if (!strcmp(slash, "/response"))
        return WREN__REQ_RESPONSE;
    if (!strcmp(slash, "/error"))
        return WREN__REQ_ERROR;
    return WREN__REQ_OTHER;
}

/* ---- Invoke API ----------------------------------------------------------- */

static enum MHD_Result s_invoke_final(wren_emulator *em, struct MHD_Connection *conn, wren__req *req)
{
    if (req->suspended) {
        /* Resumed: the engine left the answer on the invocation. */
        wren__inv *inv = req->inv;
        pthread_mutex_lock(&em->lock);
        struct MHD_Response *r = inv->resp;
        unsigned int status = inv->http_status;
        inv->resp = NULL;
        wren__unlock(em);
        return s_send(conn, status, r);
    }
    if (!req->fn) {
        char msg[400];
        const char *url_name = req->id;
        snprintf(msg, sizeof msg, "Function not found: arn:aws:lambda:%s:000000000000:function:%s", em->region, url_name);
        return s_send(conn, MHD_HTTP_NOT_FOUND, wren__aws_error("ResourceNotFoundException", msg));
    }
    const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Amz-Invocation-Type");
    int is_async = 0, dry = 0;
    if (!type || !strcmp(type, "RequestResponse")) {
    } else if (!strcmp(type, "Event")) {
        is_async = 1;
    } else if (!strcmp(type, "DryRun")) {
        dry = 1;
    } else {
        return s_send(conn, MHD_HTTP_BAD_REQUEST,
                      wren__aws_error("InvalidParameterValueException",
                                      "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun"));
    }
    size_t limit = is_async ? WREN__ASYNC_MAX_BYTES : WREN__SYNC_MAX_BYTES;
    if (req->too_big || req->body.len > limit) {
        char msg[160];
        snprintf(msg, sizeof msg, "Request must be smaller than %zu bytes for the %s operation", limit,
                 is_async ? "InvokeAsync" : "InvokeFunction");
        return s_send(conn, 413, wren__aws_error("RequestEntityTooLargeException", msg));
    }
    const char *payload = req->body.len ? req->body.data : "{}";
    size_t plen = req->body.len ? req->body.len : 2;
    json_error_t jerr;
    json_t *parsed = json_loadb(payload, plen, JSON_DECODE_ANY, &jerr);
    if (!parsed) {
        char msg[300];
        snprintf(msg, sizeof msg, "Could not parse request body into json: %s at line %d column %d", jerr.text,
                 jerr.line, jerr.column);
        return s_send(conn, MHD_HTTP_BAD_REQUEST, wren__aws_error("InvalidRequestContentException", msg));
    }
    json_decref(parsed);
    if (dry) {
        struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        return s_send(conn, MHD_HTTP_NO_CONTENT, r);
    }
    wren__fn *fn = req->fn;
    pthread_mutex_lock(&em->lock);
    if (em->stopping) {
        wren__unlock(em);
        return s_send(conn, MHD_HTTP_SERVICE_UNAVAILABLE, wren__aws_error("ServiceException", "The emulator is stopping."));
    }
    if (is_async && fn->n_async_queued >= em->queue_max) {
        wren__unlock(em);
        struct MHD_Response *r = wren__aws_error("TooManyRequestsException", "Rate Exceeded.");
        return s_send(conn, MHD_HTTP_TOO_MANY_REQUESTS, r);
    }
    wren__inv *inv = wren__inv_new(fn, payload, plen, is_async);
    if (!inv) {
        wren__unlock(em);
        return s_send(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, wren__aws_error("ServiceException", "out of memory"));
    }
    const char *trace = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Amzn-Trace-Id");
    if (trace && strlen(trace) < sizeof inv->trace_id)
        snprintf(inv->trace_id, sizeof inv->trace_id, "%s", trace);
    const char *cc = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Amz-Client-Context");
    if (cc) {
        unsigned char *dec = NULL;
        size_t dn = 0;
        if (wren_base64_decode(cc, strlen(cc), &dec, &dn) == WREN_OK)
            inv->client_context = (char *)dec;
    }
    if (is_async) {
        char id[WREN__REQUEST_ID_LEN + 1];
        memcpy(id, inv->id, sizeof id);
        wren__enqueue(fn, inv);
        wren__unlock(em);
        struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (r)
            MHD_add_response_header(r, "x-amzn-RequestId", id);
        return s_send(conn, MHD_HTTP_ACCEPTED, r);
    }
    const char *lt = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Amz-Log-Type");
    inv->want_tail = lt && !strcmp(lt, "Tail");
    inv->refs++; /* one for this request, one for the engine */
    inv->conn = conn;
    req->inv = inv;
    req->suspended = 1;
    MHD_suspend_connection(conn);
    wren__enqueue(fn, inv);
    wren__unlock(em);
    return MHD_YES;
}

/* ---- Runtime API ---------------------------------------------------------- */

static enum MHD_Result s_runtime_final(wren_emulator *em, struct MHD_Connection *conn, wren__req *req)
{
    wren__inst *inst = req->inst;
    switch (req->kind) {
    case WREN__REQ_NEXT: {
        if (req->suspended) {
            pthread_mutex_lock(&em->lock);
            struct MHD_Response *r = req->resp;
            int dead = req->dead;
            req->resp = NULL;
            wren__unlock(em);
            if (dead || !r) {
                if (r)
                    MHD_destroy_response(r);
                return MHD_NO;
            }
            return s_send(conn, MHD_HTTP_OK, r);
        }
        pthread_mutex_lock(&em->lock);
        int got = wren__on_next(inst, req, conn);
        struct MHD_Response *r = got == 1 ? req->resp : NULL;
        if (got == 1)
            req->resp = NULL;
        wren__unlock(em);
        if (got == 0)
            return MHD_YES;
        if (got < 0)
            return MHD_NO;
        return s_send(conn, MHD_HTTP_OK, r);
    }
    case WREN__REQ_RESPONSE:
    case WREN__REQ_ERROR: {
        pthread_mutex_lock(&em->lock);
        if (!inst->cur || strcmp(inst->cur->id, req->id)) {
            wren__unlock(em);
            return s_send(conn, MHD_HTTP_BAD_REQUEST, s_runtime_error("InvalidRequestID", "Invalid request ID"));
        }
        if (req->kind == WREN__REQ_RESPONSE && req->too_big) {
            char msg[160];
            snprintf(msg, sizeof msg, "RequestId: %s Error: Response payload size exceeded maximum allowed payload size (%zu bytes).",
                     inst->cur->id, WREN__RESPONSE_MAX_BYTES);
            json_t *j = json_pack("{s:s, s:s}", "errorMessage", msg, "errorType", "Function.ResponseSizeTooLarge");
            char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
            wren__complete(inst, 1, body ? body : "{}", body ? strlen(body) : 2);
            free(body);
            json_decref(j);
            wren__unlock(em);
            char m2[128];
            snprintf(m2, sizeof m2, "Exceeded maximum allowed payload size (%zu bytes).", WREN__RESPONSE_MAX_BYTES);
            return s_send(conn, 413, s_runtime_error("RequestEntityTooLarge", m2));
        }
        if (req->kind == WREN__REQ_RESPONSE) {
            wren__complete(inst, 0, req->body.data ? req->body.data : "", req->body.len);
        } else {
            /* The body is the error as the runtime wrote it; one that is not
             * a JSON object is wrapped so the caller still gets the shape. */
            json_t *j = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, NULL);
            if (j && json_is_object(j) && !req->too_big) {
                wren__complete(inst, 1, req->body.data, req->body.len);
            } else {
                const char *hdr = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Lambda-Runtime-Function-Error-Type");
                json_t *w = json_pack("{s:s%, s:s}", "errorMessage", req->body.data ? req->body.data : "",
                                      req->body.len, "errorType", hdr ? hdr : "Runtime.Unknown");
                char *body = w ? json_dumps(w, JSON_COMPACT) : NULL;
                wren__complete(inst, 1, body ? body : "{}", body ? strlen(body) : 2);
                free(body);
                json_decref(w);
            }
            json_decref(j);
        }
        wren__unlock(em);
        return s_send_accepted(em, conn);
    }
    case WREN__REQ_INIT_ERROR: {
        pthread_mutex_lock(&em->lock);
        if (inst->inited) {
            wren__unlock(em);
            return s_send(conn, MHD_HTTP_FORBIDDEN,
                          s_runtime_error("InvalidStateTransition", "init/error is only valid before the first next"));
        }
        const char *hdr = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Lambda-Runtime-Function-Error-Type");
        json_t *j = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, NULL);
        if (!j || !json_is_object(j)) {
            json_decref(j);
            j = json_pack("{s:s%}", "errorMessage", req->body.data ? req->body.data : "", req->body.len);
        }
        if (j && !json_is_string(json_object_get(j, "errorType")))
            json_object_set_new(j, "errorType", json_string(hdr ? hdr : "Runtime.InitError"));
        char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
        wren__on_init_error(inst, body ? body : "{}", body ? strlen(body) : 2);
        free(body);
        json_decref(j);
        wren__unlock(em);
        return s_send_accepted(em, conn);
    }
    default:
        return s_send(conn, MHD_HTTP_NOT_FOUND, s_runtime_error("NotFound", "unknown Runtime API path"));
    }
}

/* ---- libmicrohttpd hooks --------------------------------------------------- */

static enum MHD_Result s_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    wren_emulator *em = cls;
    wren__req *req = *con_cls;
    (void)version;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        *con_cls = req;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        void *sc = ci ? ci->socket_context : NULL;
        if (sc == &s_stale_port) {
            req->kind = WREN__REQ_OTHER;
            req->max_bytes = 1;
        } else if (sc) {
            req->inst = sc;
            req->kind = s_runtime_route(url, method, req->id, sizeof req->id);
            req->max_bytes = req->kind == WREN__REQ_RESPONSE ? WREN__RESPONSE_MAX_BYTES : WREN__ERROR_MAX_BYTES;
        } else {
            req->kind = WREN__REQ_INVOKE;
            char name[256];
            if (!strcmp(method, "POST") && s_parse_invoke_path(url, name, sizeof name)) {
                req->fn = wren__find_fn(em, name);
                snprintf(req->id, sizeof req->id, "%.40s", name);
            } else {
                snprintf(req->id, sizeof req->id, "%.40s", url);
            }
            /* Read up to the sync limit; the Event limit is checked at the end,
             * once the invocation type is known for certain. */
            req->max_bytes = WREN__SYNC_MAX_BYTES;
        }
        wren_buf_init(&req->body, 0);
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!req->too_big) {
            if (req->body.len + *upload_data_size > req->max_bytes) {
                req->too_big = 1;
                wren_buf_clean_up(&req->body); /* the rest is read and dropped */
            } else if (wren_buf_append(&req->body, upload_data, *upload_data_size) != WREN_OK) {
                return MHD_NO;
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->kind == WREN__REQ_INVOKE)
        return s_invoke_final(em, conn, req);
    return s_runtime_final(em, conn, req);
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    wren_emulator *em = cls;
    wren__req *req = *con_cls;
    (void)conn;
    (void)toe;
    if (!req)
        return;
    pthread_mutex_lock(&em->lock);
    if (req->inst && req->inst->next_req == req) {
        req->inst->next_req = NULL;
        req->inst->next_conn = NULL;
    }
    if (req->inv) {
        if (req->inv->conn == conn)
            req->inv->conn = NULL; /* the caller went away; the engine keeps the invocation */
        wren__inv_unref(req->inv);
    }
    if (req->resp)
        MHD_destroy_response(req->resp);
    wren__unlock(em);
    wren_buf_clean_up(&req->body);
    free(req);
    *con_cls = NULL;
}

static void s_notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                                enum MHD_ConnectionNotificationCode toe)
{
    wren_emulator *em = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = NULL;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci)
            return;
        struct sockaddr_in sa;
        socklen_t len = sizeof sa;
        if (getsockname(ci->connect_fd, (struct sockaddr *)&sa, &len) < 0 || sa.sin_family != AF_INET)
            return;
        int port = ntohs(sa.sin_port);
        if (port == em->port)
            return;
        pthread_mutex_lock(&em->lock);
        wren__inst *inst = wren__find_inst_by_port(em, port);
        if (inst) {
            inst->refs++;
            *socket_context = inst;
        } else {
            *socket_context = &s_stale_port;
        }
        wren__unlock(em);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        if (*socket_context && *socket_context != &s_stale_port) {
            pthread_mutex_lock(&em->lock);
            wren__inst_unref(*socket_context);
            wren__unlock(em);
        }
        *socket_context = NULL;
    }
}

int wren__http_start(wren_emulator *em, int listen_fd)
{
    em->accepted = MHD_create_response_from_buffer(sizeof s_accepted_body - 1, (void *)s_accepted_body,
                                                   MHD_RESPMEM_PERSISTENT);
    if (em->accepted)
        MHD_add_response_header(em->accepted, "Content-Type", "application/json");
    /* poll(), not epoll: libmicrohttpd takes a suspended connection out of
     * its epoll set and puts it back on resume (epoll_ctl DEL, ADD, and an
     * extra loop turn for the edge-triggered EPOLLOUT that follows), and a
     * sync invoke suspends and resumes two connections (the caller's and the
     * runtime's `next`). poll() has none of that: 18 syscalls per invoke in
     * the daemon's thread instead of 24, and a fifth less emulator CPU per
     * invoke (docs/emulator.md). Suspended connections are not in the poll
     * set, so a thousand waiting callers or idle instances cost nothing per
     * loop turn; only connections with work in flight are polled. Measured:
     * a gain up to ~64 callers in flight, a loss (+20 % CPU) at 200. */
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
                         MHD_USE_TURBO;
    em->mhd = MHD_start_daemon(flags, 0, NULL, NULL, s_handler, em, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
                               MHD_OPTION_NOTIFY_COMPLETED, s_completed, em, MHD_OPTION_NOTIFY_CONNECTION,
                               s_notify_connection, em, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)0,
                               MHD_OPTION_CONNECTION_LIMIT, (unsigned int)20000,
                               /* libmicrohttpd zeroes a connection's whole pool for every request on a
                                * kept-alive connection; 16 KB holds any Lambda client's headers and
                                * halves that cost against the 32 KB default. */
                               MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384, MHD_OPTION_LISTEN_BACKLOG_SIZE,
                               (unsigned int)1024, MHD_OPTION_END);
    if (!em->mhd) {
        close(listen_fd);
        return WREN_ESYS;
    }
    return WREN_OK;
}
