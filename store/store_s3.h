/*
 * store/store_s3.h: internal hooks of the S3 backend, for tests and for
 * modules that need the same CA bundle (the Lambda invoker).
 */
#ifndef WREN_STORE_S3_H
#define WREN_STORE_S3_H

#include <stdint.h>

#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The CA bundle to give libcurl: WREN_CA_BUNDLE, else the first readable of
 * Amazon Linux's, Debian's and other distributions' usual paths; NULL if
 * none (then libcurl's built-in default). Static storage or the env value. */
const char *wren__s3_ca_bundle(void);

/* HTTP attempts made by an s3:// store so far (retries included); 0 for
 * other stores. */
uint64_t wren__s3_attempts(const wren_store *st);

/* "scheme://host[:port]" requests go to; NULL for other stores. */
const char *wren__s3_origin(const wren_store *st);

#ifdef __cplusplus
}
#endif
#endif
