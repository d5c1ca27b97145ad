/*
 * store/aws_config.c: credentials, region and endpoints from the
 * environment and the AWS shared files (see aws_config.h for the order).
 * The files are INI as the AWS tools write them: [section], key = value,
 * '#' or ';' comments, indented lines belonging to a nested block (skipped).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "aws_config.h"

#define S_FILE_MAX_BYTES (1u << 20)

static void s_free_secret(char *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

void wren_aws_config_destroy(wren_aws_config *cfg)
{
    if (!cfg)
        return;
    s_free_secret(cfg->access_key_id);
    s_free_secret(cfg->secret_access_key);
    s_free_secret(cfg->session_token);
    free(cfg->region);
    free(cfg->profile);
    free(cfg->endpoint_url);
    free(cfg->endpoint_url_s3);
    free(cfg->endpoint_url_lambda);
    OPENSSL_cleanse(cfg, sizeof *cfg);
    free(cfg);
}

static const char *s_env(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

/* Sets *dst to a copy of src unless *dst is already set. */
static int s_take(char **dst, const char *src)
{
    if (*dst || !src)
        return WREN_OK;
    *dst = strdup(src);
    return *dst ? WREN_OK : WREN_ENOMEM;
}

/* Reads a whole file (up to 1 MiB) into a NUL-terminated buffer; NULL if
 * absent or unreadable (the AWS tools treat those as empty too). */
static char *s_read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    wren_buf b;
    wren_buf_init(&b, S_FILE_MAX_BYTES);
    char chunk[4096];
    size_t n;
    int ok = 1;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (wren_buf_append(&b, chunk, n) != WREN_OK) {
            ok = 0;
            break;
        }
    OPENSSL_cleanse(chunk, sizeof chunk);
    fclose(f);
    if (!ok || wren_buf_append(&b, "", 0) != WREN_OK) {
        if (b.data)
            OPENSSL_cleanse(b.data, b.cap);
        wren_buf_clean_up(&b);
        return NULL;
    }
    return wren_buf_detach(&b, len_out);
}

static char *s_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

typedef struct s_wanted {
    const char *key;
    char **dst;
} s_wanted;

/* Scans INI text (modified in place) for `section` and fills each wanted
 * key not yet set. In the config file a profile's section is
 * "profile NAME" (or "default"); in the credentials file it is "NAME". */
static int s_ini_scan(char *text, const char *profile, int config_file, s_wanted *want, size_t nwant)
{
    int in_section = 0;
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (line[0] == ' ' || line[0] == '\t') {
            line = next; /* nested block ("s3 =\n  endpoint_url = ..."): not ours */
            continue;
        }
        char *t = s_trim(line);
        if (t[0] == '#' || t[0] == ';' || t[0] == '\0') {
            line = next;
            continue;
        }
        if (t[0] == '[') {
            char *end = strchr(t, ']');
            in_section = 0;
            if (end) {
                *end = '\0';
                char *name = s_trim(t + 1);
                if (config_file && !strncmp(name, "profile", 7) && (name[7] == ' ' || name[7] == '\t'))
                    in_section = !strcmp(s_trim(name + 8), profile);
                else if (config_file)
                    in_section = !strcmp(name, "default") && !strcmp(profile, "default");
                else
                    in_section = !strcmp(name, profile);
            }
            line = next;
            continue;
        }
        char *eq = strchr(t, '=');
        if (in_section && eq) {
            *eq = '\0';
            char *k = s_trim(t), *v = s_trim(eq + 1);
            for (size_t i = 0; i < nwant; i++)
                if (!strcasecmp(k, want[i].key) && v[0] && s_take(want[i].dst, v) != WREN_OK)
                    return WREN_ENOMEM;
        }
        line = next;
    }
    return WREN_OK;
}

/* Path of an AWS file: the override variable, else ~/.aws/NAME. */
static int s_aws_path(const char *env_name, const char *name, char *out, size_t cap)
{
    const char *p = s_env(env_name);
    if (p) {
        if (p[0] == '~' && p[1] == '/' && s_env("HOME"))
            snprintf(out, cap, "%s/%s", s_env("HOME"), p + 2);
        else
            snprintf(out, cap, "%s", p);
        return 1;
    }
    const char *home = s_env("HOME");
    if (!home)
        return 0;
    snprintf(out, cap, "%s/.aws/%s", home, name);
    return 1;
}

static int s_is_true(const char *v)
{
    return v && (!strcasecmp(v, "true") || !strcmp(v, "1"));
}

int wren_aws_config_load(wren_aws_config **out, char *err, size_t err_cap)
{
    if (err && err_cap)
        err[0] = '\0';
    if (!out)
        return WREN_EINVAL;
    *out = NULL;
    wren_aws_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return WREN_ENOMEM;
    int rc = WREN_OK;
    char *cred_text = NULL, *conf_text = NULL;
    size_t cred_len = 0, conf_len = 0;
    /* File values go to these first, so the environment can win per item. */
    char *f_akid = NULL, *f_secret = NULL, *f_token = NULL, *f_region = NULL, *f_endpoint = NULL;
    char *c_akid = NULL, *c_secret = NULL, *c_token = NULL;

    if ((rc = s_take(&cfg->profile, s_env("AWS_PROFILE") ? s_env("AWS_PROFILE") : "default")) != WREN_OK)
        goto cleanup;

    /* 1. Environment credentials: both halves or neither. */
    const char *e_akid = s_env("AWS_ACCESS_KEY_ID"), *e_secret = s_env("AWS_SECRET_ACCESS_KEY");
    if (!!e_akid != !!e_secret) {
        snprintf(cfg->errmsg, sizeof cfg->errmsg, "%s is set but %s is not", e_akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                 e_akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        rc = WREN_EINVAL;
        goto cleanup;
    }
    if (e_akid) {
        if ((rc = s_take(&cfg->access_key_id, e_akid)) != WREN_OK ||
            (rc = s_take(&cfg->secret_access_key, e_secret)) != WREN_OK ||
            (rc = s_take(&cfg->session_token, s_env("AWS_SESSION_TOKEN"))) != WREN_OK)
            goto cleanup;
        snprintf(cfg->credentials_source, sizeof cfg->credentials_source, "environment");
    }

    /* 2. The shared files. */
    char path[4096];
    if (s_aws_path("AWS_SHARED_CREDENTIALS_FILE", "credentials", path, sizeof path) &&
        (cred_text = s_read_file(path, &cred_len)) != NULL) {
        s_wanted w[] = {{"aws_access_key_id", &f_akid}, {"aws_secret_access_key", &f_secret},
                        {"aws_session_token", &f_token}};
        if ((rc = s_ini_scan(cred_text, cfg->profile, 0, w, 3)) != WREN_OK)
            goto cleanup;
    }
    if (s_aws_path("AWS_CONFIG_FILE", "config", path, sizeof path) &&
        (conf_text = s_read_file(path, &conf_len)) != NULL) {
        s_wanted w[] = {{"aws_access_key_id", &c_akid}, {"aws_secret_access_key", &c_secret},
                        {"aws_session_token", &c_token}, {"region", &f_region}, {"endpoint_url", &f_endpoint}};
        if ((rc = s_ini_scan(conf_text, cfg->profile, 1, w, 5)) != WREN_OK)
            goto cleanup;
    }
    if (!cfg->access_key_id && (f_akid || f_secret)) {
        if (!f_akid || !f_secret) {
            snprintf(cfg->errmsg, sizeof cfg->errmsg, "profile %.64s in the credentials file has only half a key pair",
                     cfg->profile);
            rc = WREN_EINVAL;
            goto cleanup;
        }
        cfg->access_key_id = f_akid;
        cfg->secret_access_key = f_secret;
        cfg->session_token = f_token;
        f_akid = f_secret = f_token = NULL;
        snprintf(cfg->credentials_source, sizeof cfg->credentials_source, "credentials file");
    }
    if (!cfg->access_key_id && (c_akid || c_secret)) {
        if (!c_akid || !c_secret) {
            snprintf(cfg->errmsg, sizeof cfg->errmsg, "profile %.64s in the config file has only half a key pair",
                     cfg->profile);
            rc = WREN_EINVAL;
            goto cleanup;
        }
        cfg->access_key_id = c_akid;
        cfg->secret_access_key = c_secret;
        cfg->session_token = c_token;
        c_akid = c_secret = c_token = NULL;
        snprintf(cfg->credentials_source, sizeof cfg->credentials_source, "config file");
    }

    /* 3. Region. */
    if ((rc = s_take(&cfg->region, s_env("AWS_REGION"))) != WREN_OK ||
        (rc = s_take(&cfg->region, s_env("AWS_DEFAULT_REGION"))) != WREN_OK ||
        (rc = s_take(&cfg->region, f_region)) != WREN_OK)
        goto cleanup;

    /* 4. Endpoints. */
    if (!s_is_true(s_env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))) {
        if ((rc = s_take(&cfg->endpoint_url, s_env("AWS_ENDPOINT_URL"))) != WREN_OK ||
            (rc = s_take(&cfg->endpoint_url, f_endpoint)) != WREN_OK ||
            (rc = s_take(&cfg->endpoint_url_s3, s_env("AWS_ENDPOINT_URL_S3"))) != WREN_OK ||
            (rc = s_take(&cfg->endpoint_url_lambda, s_env("AWS_ENDPOINT_URL_LAMBDA"))) != WREN_OK)
            goto cleanup;
    }
cleanup:
    if (cred_text) {
        OPENSSL_cleanse(cred_text, cred_len);
        free(cred_text);
    }
    if (conf_text) {
        OPENSSL_cleanse(conf_text, conf_len);
        free(conf_text);
    }
    s_free_secret(f_akid);
    s_free_secret(f_secret);
    s_free_secret(f_token);
    s_free_secret(c_akid);
    s_free_secret(c_secret);
    s_free_secret(c_token);
    free(f_region);
    free(f_endpoint);
    if (rc != WREN_OK) {
        if (err && err_cap)
            snprintf(err, err_cap, "%s", cfg->errmsg[0] ? cfg->errmsg : wren_strerror(rc));
        wren_aws_config_destroy(cfg);
        return rc;
    }
    *out = cfg;
    return WREN_OK;
}

const char *wren_aws_config_endpoint(const wren_aws_config *cfg, const char *service)
{
    if (!cfg || !service)
        return NULL;
    if (!strcasecmp(service, "s3") && cfg->endpoint_url_s3)
        return cfg->endpoint_url_s3;
    if (!strcasecmp(service, "lambda") && cfg->endpoint_url_lambda)
        return cfg->endpoint_url_lambda;
    if (strcasecmp(service, "s3") && strcasecmp(service, "lambda") &&
        !s_is_true(s_env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))) {
        /* Other services (iam for deploy, sts): AWS_ENDPOINT_URL_<ID> with
         * the id upper-cased and spaces or dashes as underscores. */
        char name[96] = "AWS_ENDPOINT_URL_";
        size_t n = strlen(name);
        for (const char *p = service; *p && n < sizeof name - 1; p++)
            name[n++] = (*p == ' ' || *p == '-') ? '_' : (char)toupper((unsigned char)*p);
        name[n] = '\0';
        if (s_env(name))
            return s_env(name);
    }
    return cfg->endpoint_url;
}

int wren_aws_config_has_credentials(const wren_aws_config *cfg)
{
    return cfg && cfg->access_key_id && cfg->access_key_id[0] && cfg->secret_access_key &&
           cfg->secret_access_key[0];
}

const char *wren_aws_ca_bundle(void)
{
    const char *env = getenv("WREN_CA_BUNDLE");
    if (env && env[0])
        return env;
    static const char *const paths[] = {"/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt",
                                        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/cert.pem",
                                        "/etc/ssl/ca-bundle.pem"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        if (access(paths[i], R_OK) == 0)
            return paths[i];
    return NULL;
}
