/* store/store_s3.c: the s3:// backend (in progress). */
#include "store_internal.h"

int wren__store_s3_open(const char *url, const char *bucket_and_prefix, wren_store **out)
{
    (void)url;
    (void)bucket_and_prefix;
    *out = NULL;
    return WREN_EINVAL;
}
