/*
 * runtime/runtime_internal.h: the pure pieces of the Runtime API client,
 * exposed to test/check_runtime.c so they can be tested byte for byte.
 * No I/O here.
 */
#ifndef WREN_RUNTIME_INTERNAL_H
#define WREN_RUNTIME_INTERNAL_H

#include <stddef.h>

#include "wren_common.h"

/* Longest error type we send (header and JSON), in bytes, without the NUL. */
#define WREN__ERROR_TYPE_MAX_BYTES 255

/* Copies an error type into out (size > WREN__ERROR_TYPE_MAX_BYTES) keeping
 * only printable ASCII (0x21..0x7E and inner spaces): CR, LF, other control
 * bytes and non-ASCII bytes are dropped, so the value is safe as an HTTP
 * header. Leading and trailing spaces are trimmed; longer values are cut at
 * WREN__ERROR_TYPE_MAX_BYTES. NULL or a type left empty becomes
 * "Runtime.Unknown". */
void wren__error_type_clean(const char *type, char *out, size_t out_size);

/* Appends the body of /invocation/{id}/error and /init/error to out:
 * {"errorMessage":M,"errorType":T,"stackTrace":[]} in that order, compact,
 * where T is `clean_type` (already cleaned) and M is message made valid UTF-8
 * by wren_utf8_sanitize and escaped by jansson (quotes, backslashes and
 * control characters escaped, other UTF-8 kept as is). NULL message is "". */
int wren__error_body(const char *clean_type, const char *message, wren_buf *out);

#endif
