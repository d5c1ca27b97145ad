/*
 * wren/status.h: the one list of status codes every wren function returns.
 *
 * A function that can fail returns a wren_status (WREN_OK is 0) and hands
 * objects back through out-parameters. The detail of a failure (HTTP status,
 * AWS error code, kernel message) lives on the object that failed.
 */
#ifndef WREN_STATUS_H
#define WREN_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(NAME, "message"): written once, expanded into the enum, the names and
 * the messages, so a code can never lack a message. */
#define WREN_STATUS_MAP(X)                                                   \
    X(OK, "success")                                                         \
    X(ENOMEM, "out of memory")                                               \
    X(EINVAL, "invalid argument")                                            \
    X(EBADINPUT, "malformed input")                                          \
    X(ETOOBIG, "payload too large")                                          \
    X(EIO, "input/output error")                                             \
    X(ENOTFOUND, "not found")                                                \
    X(EEXIST, "already exists")                                              \
    X(EPROTO, "protocol error")                                              \
    X(EHTTP, "HTTP transport error")                                         \
    X(ETIMEDOUT, "timed out")                                                \
    X(ECANCELLED, "cancelled")                                               \
    X(ETHROTTLED, "throttled")                                               \
    X(EUNKNOWNKERNEL, "unknown kernel")                                      \
    X(EKERNEL, "kernel reported an error")                                   \
    X(ECRASH, "worker crashed")                                              \
    X(ESTORE, "object store error")                                          \
    X(EAUTH, "authentication or authorization failed")                       \
    X(ESTATE, "operation not valid in the current state")                    \
    X(ESYS, "system call failed")

typedef enum wren_status {
#define WREN__STATUS_ENUM(name, msg) WREN_##name,
    WREN_STATUS_MAP(WREN__STATUS_ENUM)
#undef WREN__STATUS_ENUM
    WREN_STATUS_COUNT
} wren_status;

/* "WREN_ENOMEM" for WREN_ENOMEM; "WREN_UNKNOWN" for a value out of range. */
const char *wren_status_name(int status);

/* A short English message for a status; never NULL. */
const char *wren_strerror(int status);

#ifdef __cplusplus
}
#endif
#endif
