/* check_aws_config: credentials, region and endpoints from the environment
 * and from ~/.aws files in a temporary HOME, in the AWS tools' order. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws_config.h"

static char s_home[256];

static const char *const s_vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                                     "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
                                     "AWS_CONFIG_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
                                     "AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_IAM",
                                     "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"};

static void s_setup(void)
{
    snprintf(s_home, sizeof s_home, "/tmp/wren-check-aws.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s_home));
    for (size_t i = 0; i < sizeof s_vars / sizeof *s_vars; i++)
        unsetenv(s_vars[i]);
    setenv("HOME", s_home, 1);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/.aws", s_home);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
}

static void s_teardown(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_home);
    ck_assert_int_eq(system(cmd), 0);
}

static void s_write(const char *rel, const char *text)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", s_home, rel);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static wren_aws_config *s_load(void)
{
    wren_aws_config *cfg = NULL;
    char err[256];
    int rc = wren_aws_config_load(&cfg, err, sizeof err);
    ck_assert_msg(rc == WREN_OK, "load: %s", err);
    return cfg;
}

static const char s_creds[] = "# comment\n"
                              "[default]\n"
                              "aws_access_key_id = AKIDDEFAULT\n"
                              "aws_secret_access_key = secret/default+=\n"
                              "\n"
                              "[dev]\r\n"
                              "aws_access_key_id=AKIDDEV\r\n"
                              "  ; indented comment\r\n"
                              "aws_secret_access_key\t=\tsecretdev\r\n"
                              "aws_session_token = tokendev\r\n";

static const char s_conf[] = "[default]\n"
                             "region = eu-west-1\n"
                             "[profile dev]\n"
                             "region = ap-south-1\n"
                             "endpoint_url = http://127.0.0.1:5000\n"
                             "s3 =\n"
                             "  endpoint_url = http://nested.example\n"
                             "[dev]\n"
                             "region = not-this-one\n"
                             "[profile cfgonly]\n"
                             "aws_access_key_id = AKIDCFG\n"
                             "aws_secret_access_key = secretcfg\n"
                             "region = us-west-2\n";

START_TEST(test_nothing_configured)
{
    wren_aws_config *cfg = s_load();
    ck_assert(!wren_aws_config_has_credentials(cfg));
    ck_assert_ptr_null(cfg->access_key_id);
    ck_assert_ptr_null(cfg->region);
    ck_assert_str_eq(cfg->profile, "default");
    ck_assert_ptr_null(wren_aws_config_endpoint(cfg, "s3"));
    ck_assert_str_eq(cfg->credentials_source, "");
    wren_aws_config_destroy(cfg);
    wren_aws_config_destroy(NULL);
}
END_TEST

START_TEST(test_environment_wins)
{
    s_write(".aws/credentials", s_creds);
    s_write(".aws/config", s_conf);
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
    setenv("AWS_SESSION_TOKEN", "tokenenv", 1);
    setenv("AWS_DEFAULT_REGION", "us-east-2", 1);
    wren_aws_config *cfg = s_load();
    ck_assert_str_eq(cfg->access_key_id, "AKIDENV");
    ck_assert_str_eq(cfg->secret_access_key, "secretenv");
    ck_assert_str_eq(cfg->session_token, "tokenenv");
    ck_assert_str_eq(cfg->region, "us-east-2"); /* AWS_DEFAULT_REGION over the file */
    ck_assert_str_eq(cfg->credentials_source, "environment");
    wren_aws_config_destroy(cfg);
    setenv("AWS_REGION", "sa-east-1", 1); /* AWS_REGION over AWS_DEFAULT_REGION */
    cfg = s_load();
    ck_assert_str_eq(cfg->region, "sa-east-1");
    wren_aws_config_destroy(cfg);
}
END_TEST

START_TEST(test_default_and_named_profiles_from_files)
{
    s_write(".aws/credentials", s_creds);
    s_write(".aws/config", s_conf);
    wren_aws_config *cfg = s_load();
    ck_assert_str_eq(cfg->access_key_id, "AKIDDEFAULT");
    ck_assert_str_eq(cfg->secret_access_key, "secret/default+=");
    ck_assert_ptr_null(cfg->session_token);
    ck_assert_str_eq(cfg->region, "eu-west-1");
    ck_assert_ptr_null(cfg->endpoint_url);
    ck_assert_str_eq(cfg->credentials_source, "credentials file");
    wren_aws_config_destroy(cfg);

    setenv("AWS_PROFILE", "dev", 1);
    cfg = s_load();
    ck_assert_str_eq(cfg->profile, "dev");
    ck_assert_str_eq(cfg->access_key_id, "AKIDDEV");
    ck_assert_str_eq(cfg->secret_access_key, "secretdev"); /* tabs and CRLF trimmed */
    ck_assert_str_eq(cfg->session_token, "tokendev");
    ck_assert_str_eq(cfg->region, "ap-south-1");          /* [profile dev], not [dev] */
    ck_assert_str_eq(cfg->endpoint_url, "http://127.0.0.1:5000"); /* not the nested one */
    ck_assert_str_eq(wren_aws_config_endpoint(cfg, "s3"), "http://127.0.0.1:5000");
    wren_aws_config_destroy(cfg);

    setenv("AWS_PROFILE", "cfgonly", 1);
    cfg = s_load();
    ck_assert_str_eq(cfg->access_key_id, "AKIDCFG");
    ck_assert_str_eq(cfg->secret_access_key, "secretcfg");
    ck_assert_str_eq(cfg->region, "us-west-2");
    ck_assert_str_eq(cfg->credentials_source, "config file");
    wren_aws_config_destroy(cfg);

    setenv("AWS_PROFILE", "missing", 1);
    cfg = s_load();
    ck_assert(!wren_aws_config_has_credentials(cfg));
    ck_assert_ptr_null(cfg->region);
    wren_aws_config_destroy(cfg);
}
END_TEST

START_TEST(test_file_locations_from_environment)
{
    s_write("elsewhere-creds", "[default]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = s2\n");
    s_write("elsewhere-conf", "[default]\nregion = me-south-1\n");
    s_write(".aws/credentials", s_creds);
    s_write(".aws/config", s_conf);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere-creds", 1);
    char path[400];
    snprintf(path, sizeof path, "%s/elsewhere-conf", s_home);
    setenv("AWS_CONFIG_FILE", path, 1);
    wren_aws_config *cfg = s_load();
    ck_assert_str_eq(cfg->access_key_id, "AKIDOTHER");
    ck_assert_str_eq(cfg->region, "me-south-1");
    wren_aws_config_destroy(cfg);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/creds", 1);
    cfg = s_load();
    ck_assert(!wren_aws_config_has_credentials(cfg));
    wren_aws_config_destroy(cfg);
}
END_TEST

START_TEST(test_endpoints_service_then_generic)
{
    s_write(".aws/config", s_conf);
    setenv("AWS_PROFILE", "dev", 1);
    setenv("AWS_ENDPOINT_URL", "http://generic:1", 1);
    setenv("AWS_ENDPOINT_URL_S3", "http://s3:2", 1);
    setenv("AWS_ENDPOINT_URL_LAMBDA", "http://lambda:3", 1);
    setenv("AWS_ENDPOINT_URL_IAM", "http://iam:4", 1);
    wren_aws_config *cfg = s_load();
    ck_assert_str_eq(wren_aws_config_endpoint(cfg, "s3"), "http://s3:2");
    ck_assert_str_eq(wren_aws_config_endpoint(cfg, "lambda"), "http://lambda:3");
    ck_assert_str_eq(wren_aws_config_endpoint(cfg, "iam"), "http://iam:4");
    ck_assert_str_eq(wren_aws_config_endpoint(cfg, "sts"), "http://generic:1"); /* env over profile */
    wren_aws_config_destroy(cfg);
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    cfg = s_load();
    ck_assert_ptr_null(wren_aws_config_endpoint(cfg, "s3"));
    ck_assert_ptr_null(wren_aws_config_endpoint(cfg, "iam"));
    ck_assert_ptr_null(wren_aws_config_endpoint(cfg, "sts"));
    wren_aws_config_destroy(cfg);
}
END_TEST

START_TEST(test_half_a_key_pair_is_refused_without_showing_it)
{
    setenv("AWS_ACCESS_KEY_ID", "AKIDHALF", 1);
    wren_aws_config *cfg = (wren_aws_config *)0x1;
    char err[256];
    ck_assert_int_eq(wren_aws_config_load(&cfg, err, sizeof err), WREN_EINVAL);
    ck_assert_ptr_null(cfg);
    ck_assert_str_eq(err, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    unsetenv("AWS_ACCESS_KEY_ID");
    s_write(".aws/credentials", "[default]\naws_secret_access_key = TOPSECRET\n");
    ck_assert_int_eq(wren_aws_config_load(&cfg, err, sizeof err), WREN_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "only half a key pair"));
    ck_assert_ptr_null(strstr(err, "TOPSECRET"));
    ck_assert_int_eq(wren_aws_config_load(NULL, err, sizeof err), WREN_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("aws_config");
    TCase *tc = tcase_create("aws_config");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_add_test(tc, test_nothing_configured);
    tcase_add_test(tc, test_environment_wins);
    tcase_add_test(tc, test_default_and_named_profiles_from_files);
    tcase_add_test(tc, test_file_locations_from_environment);
    tcase_add_test(tc, test_endpoints_service_then_generic);
    tcase_add_test(tc, test_half_a_key_pair_is_refused_without_showing_it);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
