/* `wren deploy`: IAM role, S3 bucket (public access block, encryption,
 * lifecycle), log group, layer, function and its async config, each read
 * first and changed only when it differs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <expat.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "aws_backend.h"
#include "aws_config.h"
#include "deploy.h"
#include "wren_common.h"

#define S_MAX_RESP (1u << 20)

typedef struct s_ctx {
    wren_aws_config *cfg;
    CURL *curl;
    char iam[512], s3[512], lambda[512], logs[512];
    char *err;
    size_t err_size;
    FILE *out;
} s_ctx;

typedef struct s_resp {
    long code;
    wren_buf body;
} s_resp;

static void s_fail(s_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_fail(s_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->err_size, fmt, ap);
    va_end(ap);
}

static size_t s_on_body(char *p, size_t size, size_t n, void *user)
{
    wren_buf *b = user;
    return wren_buf_append(b, p, size * n) == WREN_OK ? size * n : 0;
}

/* ---- XML: the text of the first element with a given name ------------------ */

typedef struct s_xml {
    const char *want;
    int depth_in; /* > 0 while inside the wanted element */
    int done;
    wren_buf text;
} s_xml;

static void XMLCALL s_xml_start(void *u, const XML_Char *name, const XML_Char **atts)
{
    (void)atts;
    s_xml *x = u;
    const char *local = strrchr(name, ' '); /* namespace-separated: "ns local" */
    local = local ? local + 1 : name;
    if (x->depth_in)
        x->depth_in++;
    else if (!x->done && !strcmp(local, x->want))
        x->depth_in = 1;
}

static void XMLCALL s_xml_end(void *u, const XML_Char *name)
{
    (void)name;
    s_xml *x = u;
    if (x->depth_in && --x->depth_in == 0)
        x->done = 1;
}

static void XMLCALL s_xml_text(void *u, const XML_Char *s, int len)
{
    s_xml *x = u;
    if (x->depth_in == 1)
        wren_buf_append(&x->text, s, (size_t)len);
}

/* Into out (cap bytes): the text of the first <name> element; "" if none. */
static void s_xml_find(const char *xml, size_t len, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    if (!len)
        return;
    s_xml x = {.want = name};
    wren_buf_init(&x.text, 1u << 16);
    XML_Parser p = XML_ParserCreateNS(NULL, ' ');
    if (!p)
        return;
    XML_SetUserData(p, &x);
    XML_SetElementHandler(p, s_xml_start, s_xml_end);
    XML_SetCharacterDataHandler(p, s_xml_text);
    if (XML_Parse(p, xml, (int)len, 1) != XML_STATUS_ERROR || x.done)
        snprintf(out, cap, "%s", x.text.data ? x.text.data : "");
    XML_ParserFree(p);
    wren_buf_clean_up(&x.text);
}

/* ---- one signed request ----------------------------------------------------- */

/* `extra`: NULL or a NULL-terminated list of "Name: value" headers, signed. */
static int s_call(s_ctx *c, const char *service, const char *region, const char *method, const char *url,
                  const char *content_type, const char *body, size_t len, const char *const *extra, s_resp *r)
{
    r->code = 0;
    wren_buf_reset(&r->body);
    struct curl_slist *h = NULL, *l;
    char line[512];
    int rc = WREN_ENOMEM;
    if (content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", content_type);
        if (!(l = curl_slist_append(h, line)))
            goto cleanup;
        h = l;
    }
    for (size_t i = 0; extra && extra[i]; i++) {
        if (!(l = curl_slist_append(h, extra[i])))
            goto cleanup;
        h = l;
    }
    rc = wren__sigv4_curl_sign(c->cfg->access_key_id, c->cfg->secret_access_key, c->cfg->session_token, region,
                               service, (int64_t)time(NULL), method, url, body, len, &h);
    if (rc != WREN_OK) {
        s_fail(c, "%s %s: cannot sign the request (%s)", method, url, wren_strerror(rc));
        goto cleanup;
    }
    if (!(l = curl_slist_append(h, "Expect:")))
        goto cleanup;
    h = l;
    CURL *e = c->curl;
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (body || strcmp(method, "GET")) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 300000L);
    const char *ca = wren_aws_ca_bundle();
    if (ca)
        curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    CURLcode cr = curl_easy_perform(e);
    if (cr != CURLE_OK) {
        s_fail(c, "%s %s: %s", method, url, curl_easy_strerror(cr));
        rc = WREN_EHTTP;
        goto cleanup;
    }
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->code);
    rc = WREN_OK;
cleanup:
    curl_slist_free_all(h);
    return rc;
}

static json_t *s_json(const s_resp *r)
{
    return r->body.data ? json_loadb(r->body.data, r->body.len, 0, NULL) : NULL;
}

/* The AWS error in a failed answer: XML (IAM, S3) or JSON (Lambda, Logs). */
static void s_api_error(s_ctx *c, const char *what, const s_resp *r)
{
    char code[128] = "", msg[512] = "";
    const char *b = r->body.data ? r->body.data : "";
    if (b[0] == '{') {
        json_t *j = json_loadb(b, r->body.len, 0, NULL);
        const char *t = json_string_value(json_object_get(j, "Type"));
        const char *m = json_string_value(json_object_get(j, "message"));
        if (!m)
            m = json_string_value(json_object_get(j, "Message"));
        const char *t2 = json_string_value(json_object_get(j, "__type"));
        snprintf(code, sizeof code, "%s", t2 ? t2 : t ? t : "");
        snprintf(msg, sizeof msg, "%s", m ? m : "");
        json_decref(j);
    } else {
        s_xml_find(b, r->body.len, "Code", code, sizeof code);
        s_xml_find(b, r->body.len, "Message", msg, sizeof msg);
    }
    s_fail(c, "%s: HTTP %ld %s%s%s", what, r->code, code[0] ? code : "(no error code)", msg[0] ? ": " : "", msg);
}

static int s_status_of(long code)
{
    return code == 401 || code == 403 ? WREN_EAUTH : code == 404 ? WREN_ENOTFOUND : WREN_EHTTP;
}

static void s_report(s_ctx *c, const char *what, const char *state)
{
    fprintf(c->out, "%-40s %s\n", what, state);
    fflush(c->out);
}

/* ---- IAM ---------------------------------------------------------------------- */

static char *s_escape(s_ctx *c, const char *s)
{
    return curl_easy_escape(c->curl, s, 0);
}

/* POST Action=...&Version=2010-05-08&k=v... to IAM; pairs are raw (escaped here). */
static int s_iam(s_ctx *c, const char *action, const char *const *pairs, size_t n_pairs, s_resp *r)
{
    wren_buf form;
    wren_buf_init(&form, 0);
    wren_buf_printf(&form, "Action=%s&Version=2010-05-08", action);
    for (size_t i = 0; i + 1 < n_pairs; i += 2) {
        char *v = s_escape(c, pairs[i + 1]);
        if (!v) {
            wren_buf_clean_up(&form);
            return WREN_ENOMEM;
        }
        /* Spaces as '+', as botocore's form encoding has them: moto checks
         * the signature over the body it re-encodes that way (AWS signs the
         * bytes sent, so either is right there). */
        wren_buf_printf(&form, "&%s=", pairs[i]);
        for (const char *p = v; *p; p++) {
            if (!strncmp(p, "%20", 3)) {
                wren_buf_append(&form, "+", 1);
                p += 2;
            } else {
                wren_buf_append(&form, p, 1);
            }
        }
        curl_free(v);
    }
    int rc = form.failed ? WREN_ENOMEM
                         : s_call(c, "iam", "us-east-1", "POST", c->iam,
                                  "application/x-www-form-urlencoded; charset=utf-8", form.data, form.len, NULL, r);
    wren_buf_clean_up(&form);
    return rc;
}

/* JSON text equal as JSON (IAM hands documents back URL-encoded). */
static int s_same_json(const char *a, const char *b)
{
    int n = 0;
    char *dec = curl_easy_unescape(NULL, a, 0, &n);
    json_t *ja = json_loads(dec ? dec : a, 0, NULL);
    if (!ja)
        ja = json_loads(a, 0, NULL);
    json_t *jb = json_loads(b, 0, NULL);
    int same = ja && jb && json_equal(ja, jb);
    json_decref(ja);
    json_decref(jb);
    curl_free(dec);
    return same;
}

static int s_role(s_ctx *c, const wren__deploy_opts *o, const char *role, char *arn, size_t arn_cap, int *created)
{
    s_resp r = {0};
    wren_buf_init(&r.body, S_MAX_RESP);
    char what[256], doc[2048], polname[] = "wren-job-bucket";
    int rc;
    *created = 0;
    snprintf(what, sizeof what, "role %s", role);
    const char *get[] = {"RoleName", role};
    if ((rc = s_iam(c, "GetRole", get, 2, &r)) != WREN_OK)
        goto cleanup;
    if (r.code == 200) {
        s_xml_find(r.body.data, r.body.len, "Arn", arn, arn_cap);
        s_report(c, what, "unchanged");
    } else if (r.code == 404) {
        const char *trust = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
                            "{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}";
        const char *create[] = {"RoleName", role, "AssumeRolePolicyDocument", trust, "Description",
                                "wren workers: the job bucket and their own logs only"};
        if ((rc = s_iam(c, "CreateRole", create, 6, &r)) != WREN_OK)
            goto cleanup;
        if (r.code != 200) {
            s_api_error(c, "CreateRole", &r);
            rc = s_status_of(r.code);
            goto cleanup;
        }
        s_xml_find(r.body.data, r.body.len, "Arn", arn, arn_cap);
        s_report(c, what, "created");
        *created = 1;
    } else {
        s_api_error(c, "GetRole", &r);
        rc = s_status_of(r.code);
        goto cleanup;
    }
    if (!arn[0]) {
        s_fail(c, "GetRole/CreateRole: no role ARN in the answer");
        rc = WREN_EHTTP;
        goto cleanup;
    }
    snprintf(doc, sizeof doc,
             "{\"Version\":\"2012-10-17\",\"Statement\":["
             "{\"Effect\":\"Allow\",\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::%s\"},"
             "{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"s3:PutObject\",\"s3:DeleteObject\","
             "\"s3:AbortMultipartUpload\"],\"Resource\":\"arn:aws:s3:::%s/*\"},"
             "{\"Effect\":\"Allow\",\"Action\":[\"logs:CreateLogStream\",\"logs:PutLogEvents\"],"
             "\"Resource\":\"arn:aws:logs:*:*:log-group:/aws/lambda/%s:*\"}]}",
             o->bucket, o->bucket, o->function);
    snprintf(what, sizeof what, "role policy %s", polname);
    const char *getp[] = {"RoleName", role, "PolicyName", polname};
    if ((rc = s_iam(c, "GetRolePolicy", getp, 4, &r)) != WREN_OK)
        goto cleanup;
    const char *state = "created";
    if (r.code == 200) {
        char have[4096];
        s_xml_find(r.body.data, r.body.len, "PolicyDocument", have, sizeof have);
        if (s_same_json(have, doc)) {
            s_report(c, what, "unchanged");
            goto cleanup;
        }
        state = "updated";
    } else if (r.code != 404) {
        s_api_error(c, "GetRolePolicy", &r);
        rc = s_status_of(r.code);
        goto cleanup;
    }
    const char *put[] = {"RoleName", role, "PolicyName", polname, "PolicyDocument", doc};
    if ((rc = s_iam(c, "PutRolePolicy", put, 6, &r)) != WREN_OK)
        goto cleanup;
    if (r.code != 200) {
        s_api_error(c, "PutRolePolicy", &r);
        rc = s_status_of(r.code);
        goto cleanup;
    }
    s_report(c, what, state);
cleanup:
    wren_buf_clean_up(&r.body);
    return rc;
}

/* ---- S3 ----------------------------------------------------------------------- */

/* "Content-MD5: base64" of a body: S3 requires it (or a checksum) on
 * lifecycle, public-access-block and encryption configurations. */
static void s_md5_header(const char *body, size_t len, char out[64])
{
    unsigned char md5[16];
    unsigned int md5_len = 0;
    EVP_Digest(body, len, md5, &md5_len, EVP_md5(), NULL);
    unsigned char b64[32];
    EVP_EncodeBlock(b64, md5, (int)md5_len);
    snprintf(out, 64, "Content-MD5: %s", b64);
}

/* PUT an XML configuration on a bucket sub-resource (?lifecycle, ...). */
static int s_s3_put_conf(s_ctx *c, const char *bucket, const char *sub, const char *op, const char *xml, s_resp *r)
{
    char url[1024], md5_header[64];
    snprintf(url, sizeof url, "%s/%s?%s", c->s3, bucket, sub);
    s_md5_header(xml, strlen(xml), md5_header);
    const char *extra[] = {md5_header, NULL};
    int rc = s_call(c, "s3", c->cfg->region, "PUT", url, "application/xml", xml, strlen(xml), extra, r);
    if (rc != WREN_OK)
        return rc;
    if (r->code != 200 && r->code != 204) {
        s_api_error(c, op, r);
        return s_status_of(r->code);
    }
    return WREN_OK;
}

/* GET a bucket sub-resource: WREN_OK with r->code 200 (read it) or 404
 * (none yet), else the failed call's status with the error said. */
static int s_s3_get_conf(s_ctx *c, const char *bucket, const char *sub, const char *op, s_resp *r)
{
    char url[1024];
    snprintf(url, sizeof url, "%s/%s?%s", c->s3, bucket, sub);
    int rc = s_call(c, "s3", c->cfg->region, "GET", url, NULL, NULL, 0, NULL, r);
    if (rc != WREN_OK)
        return rc;
    if (r->code != 200 && r->code != 404) {
        s_api_error(c, op, r);
        return s_status_of(r->code);
    }
    return WREN_OK;
}

/* Block Public Access, all four settings on (new buckets on AWS have it
 * already; older ones and other S3s may not). */
static int s_public_access_block(s_ctx *c, const char *bucket, s_resp *r)
{
    static const char *const names[] = {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                        "RestrictPublicBuckets"};
    const char *what = "public access block (all four on)";
    int rc = s_s3_get_conf(c, bucket, "publicAccessBlock", "GetPublicAccessBlock", r);
    if (rc != WREN_OK)
        return rc;
    const char *state = "created";
    if (r->code == 200) {
        int all = 1;
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            char v[16];
            s_xml_find(r->body.data, r->body.len, names[i], v, sizeof v);
            all &= !strcmp(v, "true");
        }
        if (all) {
            s_report(c, what, "unchanged");
            return WREN_OK;
        }
        state = "updated";
    }
    const char *xml = "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                      "<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>"
                      "<BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>"
                      "</PublicAccessBlockConfiguration>";
    if ((rc = s_s3_put_conf(c, bucket, "publicAccessBlock", "PutPublicAccessBlock", xml, r)) != WREN_OK)
        return rc;
    s_report(c, what, state);
    return WREN_OK;
}

/* Default encryption SSE-S3 (AES256). A bucket that already encrypts by
 * default with KMS keeps it: that is stronger, not something to undo. */
static int s_encryption(s_ctx *c, const char *bucket, s_resp *r)
{
    const char *what = "default encryption SSE-S3";
    int rc = s_s3_get_conf(c, bucket, "encryption", "GetBucketEncryption", r);
    if (rc != WREN_OK)
        return rc;
    const char *state = r->code == 200 ? "updated" : "created";
    if (r->code == 200) {
        char alg[64];
        s_xml_find(r->body.data, r->body.len, "SSEAlgorithm", alg, sizeof alg);
        if (!strcmp(alg, "AES256")) {
            s_report(c, what, "unchanged");
            return WREN_OK;
        }
        if (!strncmp(alg, "aws:kms", 7)) {
            char kept[128];
            snprintf(kept, sizeof kept, "default encryption %s", alg);
            s_report(c, kept, "unchanged (kept)");
            return WREN_OK;
        }
    }
    const char *xml = "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule>"
                      "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
                      "</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";
    if ((rc = s_s3_put_conf(c, bucket, "encryption", "PutBucketEncryption", xml, r)) != WREN_OK)
        return rc;
    s_report(c, what, state);
    return WREN_OK;
}

static int s_bucket(s_ctx *c, const wren__deploy_opts *o)
{
    s_resp r = {0};
    wren_buf_init(&r.body, S_MAX_RESP);
    char url[1024], what[256], xml[1024];
    int rc;
    snprintf(url, sizeof url, "%s/%s", c->s3, o->bucket);
    snprintf(what, sizeof what, "bucket %s", o->bucket);
    if ((rc = s_call(c, "s3", c->cfg->region, "HEAD", url, NULL, NULL, 0, NULL, &r)) != WREN_OK)
        goto cleanup;
    if (r.code == 200) {
        s_report(c, what, "unchanged");
    } else if (r.code == 404) {
        const char *body = NULL;
        if (strcmp(c->cfg->region, "us-east-1")) {
            snprintf(xml, sizeof xml,
                     "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                     "<LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>",
                     c->cfg->region);
            body = xml;
        }
        if ((rc = s_call(c, "s3", c->cfg->region, "PUT", url, body ? "application/xml" : NULL, body,
                         body ? strlen(body) : 0, NULL, &r)) != WREN_OK)
            goto cleanup;
        if (r.code != 200) {
            s_api_error(c, "CreateBucket", &r);
            rc = s_status_of(r.code);
            goto cleanup;
        }
        s_report(c, what, "created");
    } else {
        /* A HEAD answer has no body to say why: ask GetBucketLocation, whose
         * error names it (SignatureDoesNotMatch, AccessDenied, ...). */
        long head_code = r.code;
        snprintf(url, sizeof url, "%s/%s?location", c->s3, o->bucket);
        if ((rc = s_call(c, "s3", c->cfg->region, "GET", url, NULL, NULL, 0, NULL, &r)) == WREN_OK && r.code != 200) {
            char why[sizeof what + 64];
            snprintf(why, sizeof why, "HeadBucket %s: HTTP %ld; GetBucketLocation", o->bucket, head_code);
            s_api_error(c, why, &r);
        } else {
            s_fail(c, "HeadBucket %s: HTTP %ld", o->bucket, head_code);
        }
        rc = s_status_of(head_code);
        goto cleanup;
    }
    if ((rc = s_public_access_block(c, o->bucket, &r)) != WREN_OK || (rc = s_encryption(c, o->bucket, &r)) != WREN_OK)
        goto cleanup;
    /* The lifecycle rule: expire PREFIX/ after N days, abort stale uploads. */
    char prefix[512], days[32];
    snprintf(prefix, sizeof prefix, "%s/", o->prefix);
    snprintf(days, sizeof days, "%d", o->expire_days);
    snprintf(what, sizeof what, "lifecycle %s/ after %d days", o->prefix, o->expire_days);
    if ((rc = s_s3_get_conf(c, o->bucket, "lifecycle", "GetBucketLifecycleConfiguration", &r)) != WREN_OK)
        goto cleanup;
    const char *state = "created";
    if (r.code == 200) {
        char id[128], have_prefix[512], have_days[32];
        s_xml_find(r.body.data, r.body.len, "ID", id, sizeof id);
        s_xml_find(r.body.data, r.body.len, "Prefix", have_prefix, sizeof have_prefix);
        s_xml_find(r.body.data, r.body.len, "Days", have_days, sizeof have_days);
        if (!strcmp(id, "wren-expire-jobs") && !strcmp(have_prefix, prefix) && !strcmp(have_days, days)) {
            s_report(c, what, "unchanged");
            goto cleanup;
        }
        state = "updated";
    }
    char body[2048];
    snprintf(body, sizeof body,
                      "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule>"
                      "<ID>wren-expire-jobs</ID><Filter><Prefix>%s</Prefix></Filter><Status>Enabled</Status>"
                      "<Expiration><Days>%s</Days></Expiration><AbortIncompleteMultipartUpload>"
                      "<DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"
                      "</LifecycleConfiguration>",
                      prefix, days);
    if ((rc = s_s3_put_conf(c, o->bucket, "lifecycle", "PutBucketLifecycleConfiguration", body, &r)) != WREN_OK)
        goto cleanup;
    s_report(c, what, state);
cleanup:
    wren_buf_clean_up(&r.body);
    return rc;
}

/* ---- CloudWatch Logs --------------------------------------------------------- */

/* One call of the Logs JSON API (POST /, X-Amz-Target Logs_20140328.OP). */
static int s_logs(s_ctx *c, const char *op, json_t *req, s_resp *r)
{
    char *text = json_dumps(req, JSON_COMPACT);
    if (!text)
        return WREN_ENOMEM;
    char target[96];
    snprintf(target, sizeof target, "X-Amz-Target: Logs_20140328.%s", op);
    const char *extra[] = {target, NULL};
    char url[600];
    snprintf(url, sizeof url, "%s/", c->logs);
    int rc = s_call(c, "logs", c->cfg->region, "POST", url, "application/x-amz-json-1.1", text, strlen(text), extra, r);
    free(text);
    if (rc == WREN_OK && r->code != 200) {
        s_api_error(c, op, r);
        rc = s_status_of(r->code);
    }
    return rc;
}

/* The function's log group /aws/lambda/FUNCTION with a retention, made
 * before the function: else Lambda makes it on the first invocation, and
 * keeps its logs forever. */
static int s_log_group(s_ctx *c, const wren__deploy_opts *o)
{
    s_resp r = {0};
    wren_buf_init(&r.body, S_MAX_RESP);
    json_t *req = NULL, *j = NULL;
    char name[256], what[320];
    snprintf(name, sizeof name, "/aws/lambda/%s", o->function);
    snprintf(what, sizeof what, "log group %s (%d days)", name, o->log_retention_days);
    int rc = WREN_OK, found = 0;
    json_int_t have_days = 0;
    /* By prefix, then the exact name: "/aws/lambda/wren" also finds
     * "/aws/lambda/wren-2". Pages are 50 groups. */
    char token[2048] = "";
    for (int page = 0; page < 1000 && !found; page++) {
        json_decref(req);
        rc = WREN_ENOMEM;
        if (!(req = json_pack("{s:s}", "logGroupNamePrefix", name)) ||
            (token[0] && json_object_set_new(req, "nextToken", json_string(token))))
            goto cleanup;
        if ((rc = s_logs(c, "DescribeLogGroups", req, &r)) != WREN_OK)
            goto cleanup;
        json_decref(j);
        j = s_json(&r);
        size_t i;
        json_t *g;
        json_array_foreach(json_object_get(j, "logGroups"), i, g)
        {
            const char *n = json_string_value(json_object_get(g, "logGroupName"));
            if (n && !strcmp(n, name)) {
                found = 1;
                have_days = json_integer_value(json_object_get(g, "retentionInDays")); /* 0: never expires */
            }
        }
        const char *next = json_string_value(json_object_get(j, "nextToken"));
        if (!next || !next[0])
            break;
        snprintf(token, sizeof token, "%s", next);
    }
    if (found && have_days == o->log_retention_days) {
        s_report(c, what, "unchanged");
        rc = WREN_OK;
        goto cleanup;
    }
    if (!found) {
        json_decref(req);
        rc = WREN_ENOMEM;
        if (!(req = json_pack("{s:s}", "logGroupName", name)))
            goto cleanup;
        if ((rc = s_logs(c, "CreateLogGroup", req, &r)) != WREN_OK)
            goto cleanup;
    }
    json_decref(req);
    rc = WREN_ENOMEM;
    if (!(req = json_pack("{s:s, s:i}", "logGroupName", name, "retentionInDays", o->log_retention_days)))
        goto cleanup;
    if ((rc = s_logs(c, "PutRetentionPolicy", req, &r)) != WREN_OK)
        goto cleanup;
    s_report(c, what, found ? "updated" : "created");
cleanup:
    json_decref(req);
    json_decref(j);
    wren_buf_clean_up(&r.body);
    return rc;
}

/* ---- Lambda --------------------------------------------------------------------- */

static int s_read_file(const char *path, unsigned char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return WREN_ENOTFOUND;
    wren_buf b;
    wren_buf_init(&b, 250u << 20);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (wren_buf_append(&b, chunk, n) != WREN_OK)
            break;
    int bad = ferror(f) || b.failed;
    fclose(f);
    if (bad) {
        wren_buf_clean_up(&b);
        return WREN_EIO;
    }
    *data = (unsigned char *)wren_buf_detach(&b, len);
    return WREN_OK;
}

/* Lambda's CodeSha256: base64 of the SHA-256 of the zip. */
static void s_code_sha(const unsigned char *d, size_t n, char out[64])
{
    unsigned char h[32];
    unsigned int hl = 0;
    EVP_Digest(d, n, h, &hl, EVP_sha256(), NULL);
    EVP_EncodeBlock((unsigned char *)out, h, 32);
}

static char *s_b64(const unsigned char *d, size_t n)
{
    char *o = malloc(4 * ((n + 2) / 3) + 1);
    if (o)
        EVP_EncodeBlock((unsigned char *)o, d, (int)n);
    return o;
}

static int s_lambda(s_ctx *c, const char *method, const char *path, json_t *body, s_resp *r)
{
    char url[2048];
    snprintf(url, sizeof url, "%s%s", c->lambda, path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (body && !text)
        return WREN_ENOMEM;
    size_t len = text ? strlen(text) : 0;
    /* X-Amz-Content-SHA256 (the body's real hash) is signed on every Lambda
     * call, as the AWS SDK for JavaScript v3 sends it to every service.
     * AWS accepts it either way; moto_server 5 needs it on a bodiless GET,
     * where it otherwise checks the signature against a hash of the
     * request's own headers and refuses every client, botocore included
     * (docs/aws.md, test/integration/aws_deploy.sh). */
    unsigned char h[32];
    unsigned int hl = 0;
    char sha_header[96];
    EVP_Digest(text ? text : "", len, h, &hl, EVP_sha256(), NULL);
    int n = snprintf(sha_header, sizeof sha_header, "X-Amz-Content-SHA256: ");
    for (unsigned int i = 0; i < hl; i++)
        n += snprintf(sha_header + n, sizeof sha_header - (size_t)n, "%02x", h[i]);
    const char *extra[] = {sha_header, NULL};
    int rc = s_call(c, "lambda", c->cfg->region, method, url, body ? "application/json" : NULL, text, len, extra, r);
    free(text);
    return rc;
}

static int s_layer(s_ctx *c, const wren__deploy_opts *o, const char *name, char *arn, size_t arn_cap)
{
    unsigned char *zip = NULL;
    size_t zip_len = 0;
    s_resp r = {0};
    wren_buf_init(&r.body, S_MAX_RESP);
    json_t *j = NULL, *req = NULL;
    char *b64 = NULL;
    int rc = s_read_file(o->layer_zip, &zip, &zip_len);
    if (rc != WREN_OK) {
        s_fail(c, "cannot read the layer zip %s (build it: cmake --build build --target layer)", o->layer_zip);
        goto cleanup;
    }
    char sha[64], path[512], what[256];
    s_code_sha(zip, zip_len, sha);
    snprintf(path, sizeof path, "/2018-10-31/layers/%s/versions", name);
    if ((rc = s_lambda(c, "GET", path, NULL, &r)) != WREN_OK)
        goto cleanup;
    if (r.code == 200) {
        j = s_json(&r);
        json_int_t latest = 0;
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(j, "LayerVersions"), i, v)
        {
            json_int_t n = json_integer_value(json_object_get(v, "Version"));
            if (n > latest)
                latest = n;
        }
        json_decref(j);
        j = NULL;
        if (latest > 0) {
            snprintf(path, sizeof path, "/2018-10-31/layers/%s/versions/%lld", name, (long long)latest);
            if ((rc = s_lambda(c, "GET", path, NULL, &r)) != WREN_OK)
                goto cleanup;
            j = s_json(&r);
            const char *have = json_string_value(json_object_get(json_object_get(j, "Content"), "CodeSha256"));
            const char *have_arn = json_string_value(json_object_get(j, "LayerVersionArn"));
            if (r.code == 200 && have && have_arn && !strcmp(have, sha)) {
                snprintf(arn, arn_cap, "%s", have_arn);
                snprintf(what, sizeof what, "layer %s:%lld", name, (long long)latest);
                s_report(c, what, "unchanged");
                goto cleanup;
            }
            json_decref(j);
            j = NULL;
        }
    } else if (r.code != 404) {
        s_api_error(c, "ListLayerVersions", &r);
        rc = s_status_of(r.code);
        goto cleanup;
    }
    rc = WREN_ENOMEM;
    if (!(b64 = s_b64(zip, zip_len)))
        goto cleanup;
    req = json_pack("{s:s, s:{s:s}, s:[s,s], s:[s]}", "Description", "wren worker: bootstrap, kernels, libraries",
                    "Content", "ZipFile", b64, "CompatibleRuntimes", "provided.al2023", "provided.al2",
                    "CompatibleArchitectures", o->arch);
    if (!req)
        goto cleanup;
    snprintf(path, sizeof path, "/2018-10-31/layers/%s/versions", name);
    if ((rc = s_lambda(c, "POST", path, req, &r)) != WREN_OK)
        goto cleanup;
    if (r.code != 201 && r.code != 200) {
        s_api_error(c, "PublishLayerVersion", &r);
        rc = s_status_of(r.code);
        goto cleanup;
    }
    j = s_json(&r);
    const char *a = json_string_value(json_object_get(j, "LayerVersionArn"));
    if (!a) {
        s_fail(c, "PublishLayerVersion: no LayerVersionArn in the answer");
        rc = WREN_EHTTP;
        goto cleanup;
    }
    snprintf(arn, arn_cap, "%s", a);
    snprintf(what, sizeof what, "layer %s:%lld", name, (long long)json_integer_value(json_object_get(j, "Version")));
    s_report(c, what, "published");
    rc = WREN_OK;
cleanup:
    free(zip);
    free(b64);
    json_decref(j);
    json_decref(req);
    wren_buf_clean_up(&r.body);
    return rc;
}

/* An empty zip: the end-of-central-directory record alone. The layer's
 * /opt/bootstrap serves; a function package would hold user kernels. */
static const unsigned char s_empty_zip[22] = {0x50, 0x4b, 0x05, 0x06};

/* Waits while the function is Pending or an update is InProgress (AWS
 * refuses the next change meanwhile with ResourceConflictException). */
static int s_wait_ready(s_ctx *c, const char *fn, s_resp *r)
{
    char path[512];
    snprintf(path, sizeof path, "/2015-03-31/functions/%s/configuration", fn);
    for (int i = 0; i < 300; i++) {
        int rc = s_lambda(c, "GET", path, NULL, r);
        if (rc != WREN_OK)
            return rc;
        if (r->code != 200) {
            s_api_error(c, "GetFunctionConfiguration", r);
            return s_status_of(r->code);
        }
        json_t *j = s_json(r);
        const char *state = json_string_value(json_object_get(j, "State"));
        const char *upd = json_string_value(json_object_get(j, "LastUpdateStatus"));
        int busy = (state && !strcmp(state, "Pending")) || (upd && !strcmp(upd, "InProgress"));
        int failed = (state && !strcmp(state, "Failed")) || (upd && !strcmp(upd, "Failed"));
        char reason[256];
        const char *rs = json_string_value(json_object_get(j, "StateReason"));
        snprintf(reason, sizeof reason, "%s", rs ? rs : "");
        json_decref(j);
        if (failed) {
            s_fail(c, "function %s failed to update: %s", fn, reason);
            return WREN_EHTTP;
        }
        if (!busy)
            return WREN_OK;
        usleep(1000000);
    }
    s_fail(c, "function %s still updating after 300 s", fn);
    return WREN_ETIMEDOUT;
}

/* PUTs one update of the function (its code or its configuration), then
 * waits until AWS will take the next one. `op` names the call in errors. */
static int s_update_function(s_ctx *c, const char *fn, const char *what, const char *op, json_t *req, s_resp *r)
{
    char path[512];
    snprintf(path, sizeof path, "/2015-03-31/functions/%s/%s", fn, what);
    int rc = s_lambda(c, "PUT", path, req, r);
    if (rc != WREN_OK)
        return rc;
    if (r->code != 200) {
        s_api_error(c, op, r);
        return s_status_of(r->code);
    }
    return s_wait_ready(c, fn, r);
}

static int s_function(s_ctx *c, const wren__deploy_opts *o, const char *role_arn, const char *layer_arn,
                      int role_new)
{
    unsigned char *zip = NULL;
    size_t zip_len = 0;
    s_resp r = {0};
    wren_buf_init(&r.body, S_MAX_RESP);
    json_t *j = NULL, *req = NULL;
    char *b64 = NULL;
    int rc;
    if (o->function_zip) {
        if ((rc = s_read_file(o->function_zip, &zip, &zip_len)) != WREN_OK) {
            s_fail(c, "cannot read the function zip %s", o->function_zip);
            goto cleanup;
        }
    } else {
        rc = WREN_ENOMEM;
        if (!(zip = malloc(sizeof s_empty_zip)))
            goto cleanup;
        memcpy(zip, s_empty_zip, sizeof s_empty_zip);
        zip_len = sizeof s_empty_zip;
    }
    char sha[64], path[512], what[256];
    s_code_sha(zip, zip_len, sha);
    rc = WREN_ENOMEM;
    if (!(b64 = s_b64(zip, zip_len)))
        goto cleanup;
    snprintf(what, sizeof what, "function %s", o->function);
    snprintf(path, sizeof path, "/2015-03-31/functions/%s", o->function);
    if ((rc = s_lambda(c, "GET", path, NULL, &r)) != WREN_OK)
        goto cleanup;
    if (r.code == 404) {
        req = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}, s:i, s:i, s:[s], s:[s], s:s}", "FunctionName", o->function,
                        "Runtime", "provided.al2023", "Role", role_arn, "Handler", o->handler, "Code", "ZipFile", b64,
                        "MemorySize", o->memory_mb, "Timeout", o->timeout_s, "Architectures", o->arch, "Layers",
                        layer_arn, "Description", "wren worker");
        rc = WREN_ENOMEM;
        if (!req)
            goto cleanup;
        /* A new role takes a few seconds to be assumable by Lambda. */
        for (int attempt = 0;; attempt++) {
            if ((rc = s_lambda(c, "POST", "/2015-03-31/functions", req, &r)) != WREN_OK)
                goto cleanup;
            if (r.code == 201 || r.code == 200)
                break;
            int role_not_ready = r.code == 400 && r.body.data && strstr(r.body.data, "cannot be assumed");
            if (!(role_not_ready && role_new && attempt < 15)) {
                s_api_error(c, "CreateFunction", &r);
                rc = s_status_of(r.code);
                goto cleanup;
            }
            usleep(2000000);
        }
        s_report(c, what, "created");
        rc = s_wait_ready(c, o->function, &r);
        goto cleanup;
    }
    if (r.code != 200) {
        s_api_error(c, "GetFunction", &r);
        rc = s_status_of(r.code);
        goto cleanup;
    }
    j = s_json(&r);
    json_t *conf = json_object_get(j, "Configuration");
    const char *have_sha = json_string_value(json_object_get(conf, "CodeSha256"));
    int code_same = have_sha && !strcmp(have_sha, sha);
    const char *hl = json_string_value(json_object_get(json_array_get(json_object_get(conf, "Layers"), 0), "Arn"));
    const char *hr = json_string_value(json_object_get(conf, "Role"));
    const char *hh = json_string_value(json_object_get(conf, "Handler"));
    const char *hrt = json_string_value(json_object_get(conf, "Runtime"));
    int conf_same = hl && !strcmp(hl, layer_arn) && json_array_size(json_object_get(conf, "Layers")) == 1 && hr &&
                    !strcmp(hr, role_arn) && hh && !strcmp(hh, o->handler) && hrt &&
                    !strcmp(hrt, "provided.al2023") &&
                    json_integer_value(json_object_get(conf, "MemorySize")) == o->memory_mb &&
                    json_integer_value(json_object_get(conf, "Timeout")) == o->timeout_s;
    const char *arch = json_string_value(json_array_get(json_object_get(conf, "Architectures"), 0));
    int arch_same = !arch || !strcmp(arch, o->arch);
    if (code_same && conf_same && arch_same) {
        s_report(c, what, "unchanged");
        rc = WREN_OK;
        goto cleanup;
    }
    if (!code_same || !arch_same) {
        json_decref(req);
        rc = WREN_ENOMEM;
        if (!(req = json_pack("{s:s, s:[s]}", "ZipFile", b64, "Architectures", o->arch)))
            goto cleanup;
        if ((rc = s_update_function(c, o->function, "code", "UpdateFunctionCode", req, &r)) != WREN_OK)
            goto cleanup;
    }
    if (!conf_same) {
        json_decref(req);
        rc = WREN_ENOMEM;
        if (!(req = json_pack("{s:s, s:s, s:s, s:i, s:i, s:[s]}", "Runtime", "provided.al2023", "Role", role_arn,
                              "Handler", o->handler, "MemorySize", o->memory_mb, "Timeout", o->timeout_s, "Layers",
                              layer_arn)))
            goto cleanup;
        if ((rc = s_update_function(c, o->function, "configuration", "UpdateFunctionConfiguration", req, &r)) !=
            WREN_OK)
            goto cleanup;
    }
    s_report(c, what, !code_same && !conf_same ? "updated (code, configuration)"
                      : !code_same || !arch_same ? "updated (code)"
                                                 : "updated (configuration)");
    rc = WREN_OK;
cleanup:
    free(zip);
    free(b64);
    json_decref(j);
    json_decref(req);
    wren_buf_clean_up(&r.body);
    return rc;
}

static int s_async_config(s_ctx *c, const wren__deploy_opts *o)
{
    s_resp r = {0};
    wren_buf_init(&r.body, S_MAX_RESP);
    json_t *j = NULL, *req = NULL;
    char path[512];
    int rc;
    snprintf(path, sizeof path, "/2019-09-25/functions/%s/event-invoke-config", o->function);
    if ((rc = s_lambda(c, "GET", path, NULL, &r)) != WREN_OK)
        goto cleanup;
    const char *state = "created";
    if (r.code == 200) {
        j = s_json(&r);
        json_t *m = json_object_get(j, "MaximumRetryAttempts");
        json_t *a = json_object_get(j, "MaximumEventAgeInSeconds");
        if (json_is_integer(m) && json_integer_value(m) == 0 && json_is_integer(a) &&
            json_integer_value(a) == o->max_event_age_s) {
            s_report(c, "async invoke config (0 retries)", "unchanged");
            goto cleanup;
        }
        state = "updated";
    } else if (r.code != 404) {
        s_api_error(c, "GetFunctionEventInvokeConfig", &r);
        rc = s_status_of(r.code);
        goto cleanup;
    }
    rc = WREN_ENOMEM;
    if (!(req = json_pack("{s:i, s:i}", "MaximumRetryAttempts", 0, "MaximumEventAgeInSeconds", o->max_event_age_s)))
        goto cleanup;
    if ((rc = s_lambda(c, "PUT", path, req, &r)) != WREN_OK)
        goto cleanup;
    if (r.code != 200) {
        s_api_error(c, "PutFunctionEventInvokeConfig", &r);
        rc = s_status_of(r.code);
        goto cleanup;
    }
    s_report(c, "async invoke config (0 retries)", state);
cleanup:
    json_decref(j);
    json_decref(req);
    wren_buf_clean_up(&r.body);
    return rc;
}

/* ---- all of it ----------------------------------------------------------------- */

static void s_endpoint(char *out, size_t cap, const wren_aws_config *cfg, const char *service, const char *dflt)
{
    const char *ep = wren_aws_config_endpoint(cfg, service);
    snprintf(out, cap, "%s", ep ? ep : dflt);
    size_t n = strlen(out);
    while (n && out[n - 1] == '/')
        out[--n] = '\0';
}

int wren__deploy(const wren__deploy_opts *o, FILE *out, char *err, size_t err_size)
{
    s_ctx c = {.err = err, .err_size = err_size, .out = out};
    err[0] = '\0';
    char cerr[256] = "";
    int rc = wren_aws_config_load(&c.cfg, cerr, sizeof cerr);
    if (rc != WREN_OK) {
        snprintf(err, err_size, "AWS configuration: %s", cerr[0] ? cerr : wren_strerror(rc));
        return rc;
    }
    if (!wren_aws_config_has_credentials(c.cfg)) {
        snprintf(err, err_size, "no AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws/credentials)");
        rc = WREN_EAUTH;
        goto cleanup;
    }
    if (!c.cfg->region) {
        snprintf(err, err_size, "no AWS region (AWS_REGION or a profile's region)");
        rc = WREN_EINVAL;
        goto cleanup;
    }
    char dflt[256];
    s_endpoint(c.iam, sizeof c.iam, c.cfg, "iam", "https://iam.amazonaws.com");
    snprintf(dflt, sizeof dflt, "https://s3.%s.amazonaws.com", c.cfg->region);
    s_endpoint(c.s3, sizeof c.s3, c.cfg, "s3", dflt);
    snprintf(dflt, sizeof dflt, "https://lambda.%s.amazonaws.com", c.cfg->region);
    s_endpoint(c.lambda, sizeof c.lambda, c.cfg, "lambda", dflt);
    /* AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: the service id is "CloudWatch Logs". */
    snprintf(dflt, sizeof dflt, "https://logs.%s.amazonaws.com", c.cfg->region);
    s_endpoint(c.logs, sizeof c.logs, c.cfg, "cloudwatch logs", dflt);
    rc = WREN_ENOMEM;
    if (!(c.curl = curl_easy_init()))
        goto cleanup;
    char role[128], layer[128], role_arn[512] = "", layer_arn[512] = "";
    snprintf(role, sizeof role, "%s", o->role ? o->role : "");
    if (!o->role)
        snprintf(role, sizeof role, "%s-role", o->function);
    snprintf(layer, sizeof layer, "%s", o->layer_name ? o->layer_name : o->function);
    int role_new = 0;
    unsigned steps =
        o->steps ? o->steps : WREN__DEPLOY_IAM | WREN__DEPLOY_S3 | WREN__DEPLOY_LOGS | WREN__DEPLOY_LAMBDA;
    if (steps & WREN__DEPLOY_LAMBDA)
        steps |= WREN__DEPLOY_IAM;
    if ((steps & WREN__DEPLOY_IAM) && (rc = s_role(&c, o, role, role_arn, sizeof role_arn, &role_new)) != WREN_OK)
        goto cleanup;
    if ((steps & WREN__DEPLOY_S3) && (rc = s_bucket(&c, o)) != WREN_OK)
        goto cleanup;
    if ((steps & WREN__DEPLOY_LOGS) && (rc = s_log_group(&c, o)) != WREN_OK)
        goto cleanup;
    if (steps & WREN__DEPLOY_LAMBDA) {
        if ((rc = s_layer(&c, o, layer, layer_arn, sizeof layer_arn)) != WREN_OK)
            goto cleanup;
        if ((rc = s_function(&c, o, role_arn, layer_arn, role_new)) != WREN_OK)
            goto cleanup;
        if ((rc = s_async_config(&c, o)) != WREN_OK)
            goto cleanup;
    }
    fprintf(out, "store: s3://%s/%s\nrun:   WREN_BACKEND=aws WREN_STORE=s3://%s/%s WREN_FUNCTION=%s wren map ...\n",
            o->bucket, o->prefix, o->bucket, o->prefix, o->function);
cleanup:
    if (c.curl)
        curl_easy_cleanup(c.curl);
    wren_aws_config_destroy(c.cfg);
    return rc;
}
