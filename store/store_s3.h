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

/* Same as wren_aws_ca_bundle() (aws_config.h), kept for the S3 tests. */
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
