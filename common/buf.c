#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wren_common.h"

void wren_buf_init(wren_buf *buf, size_t max_bytes)
{
    memset(buf, 0, sizeof *buf);
    buf->max_bytes = max_bytes;
}

void wren_buf_clean_up(wren_buf *buf)
{
    if (!buf)
        return;
    free(buf->data);
    size_t max = buf->max_bytes;
    wren_buf_init(buf, max);
}

void wren_buf_reset(wren_buf *buf)
{
    buf->len = 0;
    buf->failed = 0;
    if (buf->data)
        buf->data[0] = '\0';
}

int wren_buf_reserve(wren_buf *buf, size_t extra)
{
    size_t limit = buf->max_bytes ? buf->max_bytes : SIZE_MAX / 2;
    if (extra > limit || buf->len > limit - extra) {
        buf->failed = 1;
        return WREN_ETOOBIG;
    }
    size_t need = buf->len + extra + 1; /* +1: the trailing NUL */
    if (need <= buf->cap)
        return WREN_OK;
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 4 ? need : cap * 2;
    char *p = realloc(buf->data, cap);
    if (!p) {
        buf->failed = 1;
        return WREN_ENOMEM;
    }
    buf->data = p;
    buf->cap = cap;
    return WREN_OK;
}

int wren_buf_append(wren_buf *buf, const void *bytes, size_t len)
{
    int rc = wren_buf_reserve(buf, len);
    if (rc != WREN_OK)
        return rc;
    if (len)
        memcpy(buf->data + buf->len, bytes, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return WREN_OK;
}

int wren_buf_append_str(wren_buf *buf, const char *s)
{
    return wren_buf_append(buf, s, strlen(s));
}

int wren_buf_printf(wren_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        buf->failed = 1;
        return WREN_EINVAL;
    }
    int rc = wren_buf_reserve(buf, (size_t)n);
    if (rc != WREN_OK)
        return rc;
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return WREN_OK;
}

char *wren_buf_detach(wren_buf *buf, size_t *len_out)
{
    char *p = buf->data;
    if (!p)
        p = calloc(1, 1);
    if (len_out)
        *len_out = buf->len;
    size_t max = buf->max_bytes;
    wren_buf_init(buf, max);
    return p;
}

int wren_buf_msgpack_write(void *data, const char *bytes, size_t len)
{
    wren_buf *buf = data;
    if (buf->failed)
        return -1;
    return wren_buf_append(buf, bytes, len) == WREN_OK ? 0 : -1;
}
