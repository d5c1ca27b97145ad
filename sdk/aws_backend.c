/* The AWS backend: configuration and SigV4 signing of Lambda invocations.
 * Everything else (futures, waits, retries, deadlines) is the executor's. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "aws_backend.h"
#include "aws_config.h"
#include "sigv4.h"
#include "wren_common.h"

#define S_MAX_HEADERS 32
#define S_MAX_PARAMS 32

struct wren__aws {
    wren_aws_config *cfg;
    char *store_url;
    char *invoke_url;
    char *function;
    double rate_per_s;
    wren_sigv4_key_cache cache;
};

int wren__aws_wanted(const wren_config *cfg)
{
    const char *b = getenv("WREN_BACKEND");
    return cfg->backend == WREN_BACKEND_LOCAL && b && !strcasecmp(b, "aws");
}

void wren__aws_destroy(wren__aws *aws)
{
    if (!aws)
        return;
    wren_aws_config_destroy(aws->cfg);
    wren_sigv4_key_cache_clean_up(&aws->cache);
    free(aws->store_url);
    free(aws->invoke_url);
    free(aws->function);
    free(aws);
}

double wren__aws_rate_per_s(const wren__aws *aws)
{
    return aws ? aws->rate_per_s : 0;
}

int wren__aws_new(const wren_config *cfg, wren_config *resolved, wren__aws **out, char *err, size_t err_size)
{
    *out = NULL;
    int rc = WREN_ENOMEM;
    wren__aws *aws = calloc(1, sizeof *aws);
    if (!aws)
        return WREN_ENOMEM;
    char cerr[256] = "";
    rc = wren_aws_config_load(&aws->cfg, cerr, sizeof cerr);
    if (rc != WREN_OK) {
        snprintf(err, err_size, "AWS configuration: %s", cerr[0] ? cerr : wren_strerror(rc));
        goto cleanup;
    }
    rc = WREN_EAUTH;
    if (!wren_aws_config_has_credentials(aws->cfg)) {
        snprintf(err, err_size, "AWS backend: no credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                                "or a profile in ~/.aws/credentials)");
        goto cleanup;
    }
    rc = WREN_EINVAL;
    if (!aws->cfg->region) {
        snprintf(err, err_size, "AWS backend: no region (set AWS_REGION or a profile's region)");
        goto cleanup;
    }
    const char *store = cfg->store_url ? cfg->store_url : getenv("WREN_STORE");
    if (!store || strncmp(store, "s3://", 5) || !store[5]) {
        snprintf(err, err_size, "AWS backend: the store must be s3://bucket/prefix (--store or $WREN_STORE), not %s",
                 store ? store : "unset");
        goto cleanup;
    }
    const char *fn = cfg->function_name ? cfg->function_name : getenv("WREN_FUNCTION");
    if (!fn || !fn[0])
        fn = "wren";
    rc = WREN_ENOMEM;
    aws->store_url = strdup(store);
    aws->function = strdup(fn);
    const char *ep = cfg->invoke_url ? cfg->invoke_url : wren_aws_config_endpoint(aws->cfg, "lambda");
    if (ep) {
        aws->invoke_url = strdup(ep);
    } else {
        char url[256];
        snprintf(url, sizeof url, "https://lambda.%s.amazonaws.com", aws->cfg->region);
        aws->invoke_url = strdup(url);
    }
    if (!aws->store_url || !aws->function || !aws->invoke_url)
        goto cleanup;
    const char *rate = getenv("WREN_INVOKE_RATE");
    if (rate && rate[0]) {
        char *end = NULL;
        double r = strtod(rate, &end);
        if (*end || !(r > 0 && r <= 1e7)) {
            snprintf(err, err_size, "bad WREN_INVOKE_RATE '%s' (requests per second)", rate);
            rc = WREN_EINVAL;
            goto cleanup;
        }
        aws->rate_per_s = r;
    }
    *resolved = *cfg;
    resolved->backend = WREN_BACKEND_AWS;
    resolved->store_url = aws->store_url;
    resolved->invoke_url = aws->invoke_url;
    resolved->function_name = aws->function;
    *out = aws;
    aws = NULL;
    rc = WREN_OK;
cleanup:
    wren__aws_destroy(aws);
    return rc;
}

static int s_hex(int c)
{
    return isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10);
}

/* Percent-decodes s[0..len) into a new string ('+' stays '+'). */
static char *s_decode(const char *s, size_t len)
{
    char *o = malloc(len + 1), *p = o;
    if (!o)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
            *p++ = (char)(s_hex((unsigned char)s[i + 1]) * 16 + s_hex((unsigned char)s[i + 2]));
            i += 2;
        } else {
            *p++ = s[i];
        }
    }
    *p = '\0';
    return o;
}

static int s_sign(const char *akid, const char *secret, const char *token, const char *region, const char *service,
                  int s3_rules, int64_t time_s, wren_sigv4_key_cache *cache, const char *method, const char *url,
                  const char *body, size_t len, struct curl_slist **headers)
{
    const char *hs = strstr(url, "://");
    if (!hs)
        return WREN_EINVAL;
    int https = !strncasecmp(url, "https", 5);
    hs += 3;
    const char *path = hs + strcspn(hs, "/?");
    char host[256];
    size_t hl = (size_t)(path - hs);
    if (hl == 0 || hl >= sizeof host)
        return WREN_EINVAL;
    memcpy(host, hs, hl);
    host[hl] = '\0';
    /* curl leaves the default port out of Host: sign what it sends. */
    const char *dflt = https ? ":443" : ":80";
    size_t dl = strlen(dflt);
    if (hl > dl && !strcmp(host + hl - dl, dflt))
        host[hl - dl] = '\0';
    const char *q = strchr(path, '?');
    size_t path_len = q ? (size_t)(q - path) : strlen(path);
    char pathbuf[2048];
    if (path_len >= sizeof pathbuf)
        return WREN_EINVAL;
    memcpy(pathbuf, path, path_len);
    pathbuf[path_len] = '\0';

    int rc = WREN_EINVAL;
    char line[4096] = "";
    wren_sigv4_header h[S_MAX_HEADERS];
    char *owned[S_MAX_HEADERS * 2 + S_MAX_PARAMS * 2];
    size_t n_owned = 0, nh = 0, nq = 0;
    wren_sigv4_param params[S_MAX_PARAMS];
    wren_sigv4_result res;
    memset(&res, 0, sizeof res);
    h[nh++] = (wren_sigv4_header){"Host", host};
    for (struct curl_slist *l = *headers; l; l = l->next) {
        const char *c = strchr(l->data, ':');
        if (!c)
            continue;
        const char *v = c + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (!*v) /* "Expect:" removes a header curl would add: nothing sent, nothing signed */
            continue;
        if (nh == S_MAX_HEADERS)
            goto cleanup;
        char *name = strndup(l->data, (size_t)(c - l->data));
        if (!name) {
            rc = WREN_ENOMEM;
            goto cleanup;
        }
        owned[n_owned++] = name;
        h[nh++] = (wren_sigv4_header){name, v};
    }
    if (q) {
        const char *s = q + 1;
        while (*s) {
            size_t pl = strcspn(s, "&");
            if (pl) {
                if (nq == S_MAX_PARAMS)
                    goto cleanup;
                const char *eq = memchr(s, '=', pl);
                size_t kl = eq ? (size_t)(eq - s) : pl;
                char *k = s_decode(s, kl);
                char *v = eq ? s_decode(eq + 1, pl - kl - 1) : strdup("");
                if (k)
                    owned[n_owned++] = k;
                if (v)
                    owned[n_owned++] = v;
                if (!k || !v) {
                    rc = WREN_ENOMEM;
                    goto cleanup;
                }
                params[nq++] = (wren_sigv4_param){k, v};
            }
            s += pl;
            if (*s == '&')
                s++;
        }
    }
    wren_sigv4_request req = {
        .method = method,
        .path = pathbuf,
        .query = params,
        .query_count = nq,
        .headers = h,
        .header_count = nh,
        .body = body,
        .body_len = len,
    };
    wren_sigv4_config sc = {
        .access_key_id = akid,
        .secret_access_key = secret,
        .session_token = token,
        .region = region,
        .service = service,
        .time_s = time_s,
        .s3_rules = s3_rules,
        .key_cache = cache,
    };
    rc = wren_sigv4_sign(&req, &sc, &res);
    if (rc != WREN_OK)
        goto cleanup;
    rc = WREN_ENOMEM;
    snprintf(line, sizeof line, "X-Amz-Date: %s", res.amz_date);
    struct curl_slist *l = curl_slist_append(*headers, line);
    if (!l)
        goto cleanup;
    *headers = l;
    if (s3_rules) {
        snprintf(line, sizeof line, "X-Amz-Content-SHA256: %s", res.payload_hash);
        if (!(l = curl_slist_append(*headers, line)))
            goto cleanup;
    }
    if (token && token[0]) {
        if ((size_t)snprintf(line, sizeof line, "X-Amz-Security-Token: %s", token) >= sizeof line)
            goto cleanup;
        if (!(l = curl_slist_append(*headers, line)))
            goto cleanup;
    }
    if ((size_t)snprintf(line, sizeof line, "Authorization: %s", res.authorization.data) >= sizeof line)
        goto cleanup;
    if (!(l = curl_slist_append(*headers, line)))
        goto cleanup;
    rc = WREN_OK;
cleanup:
    OPENSSL_cleanse(line, sizeof line);
    wren_buf_clean_up(&res.authorization);
    for (size_t i = 0; i < n_owned; i++)
        free(owned[i]);
    return rc;
}

int wren__sigv4_curl_sign(const char *access_key_id, const char *secret, const char *token, const char *region,
                          const char *service, int64_t time_s, const char *method, const char *url,
                          const char *body, size_t len, struct curl_slist **headers)
{
    return s_sign(access_key_id, secret, token, region, service, !strcmp(service, "s3"), time_s, NULL, method, url,
                  body, len, headers);
}

int wren__aws_sign(void *user, const char *method, const char *url, const char *body, size_t len,
                   struct curl_slist **headers)
{
    wren__aws *aws = user;
    int rc = s_sign(aws->cfg->access_key_id, aws->cfg->secret_access_key, aws->cfg->session_token,
                    aws->cfg->region, "lambda", 0, (int64_t)time(NULL), &aws->cache, method, url, body, len, headers);
    return rc == WREN_EINVAL ? WREN_EAUTH : rc;
}
