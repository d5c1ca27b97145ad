/* check_common: buffers, base64, msgpack<->JSON, ids, status strings. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "wren_common.h"

START_TEST(test_status_names_and_messages)
{
    ck_assert_str_eq(wren_status_name(WREN_OK), "WREN_OK");
    ck_assert_str_eq(wren_status_name(WREN_ETIMEDOUT), "WREN_ETIMEDOUT");
    ck_assert_str_eq(wren_strerror(WREN_EUNKNOWNKERNEL), "unknown kernel");
    ck_assert_str_eq(wren_status_name(9999), "WREN_UNKNOWN");
    for (int s = 0; s < WREN_STATUS_COUNT; s++)
        ck_assert_str_ne(wren_strerror(s), "unknown status");
}
END_TEST

START_TEST(test_buf_cap_refuses_and_keeps_contents)
{
    wren_buf b;
    wren_buf_init(&b, 8);
    ck_assert_int_eq(wren_buf_append_str(&b, "abcde"), WREN_OK);
    ck_assert_int_eq(wren_buf_append_str(&b, "fghij"), WREN_ETOOBIG);
    ck_assert_int_eq(b.failed, 1);
    ck_assert_str_eq(b.data, "abcde");
    ck_assert_int_eq(wren_buf_printf(&b, "%d", 12), WREN_OK);
    ck_assert_str_eq(b.data, "abcde12");
    size_t n;
    char *p = wren_buf_detach(&b, &n);
    ck_assert_uint_eq(n, 7);
    ck_assert_ptr_null(b.data);
    free(p);
    wren_buf_clean_up(&b);
}
END_TEST

START_TEST(test_base64_round_trip_and_strict_decode)
{
    const char *cases[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n;
        char *e = wren_base64_encode(cases[i], strlen(cases[i]), &n);
        ck_assert_str_eq(e, want[i]);
        unsigned char *d;
        size_t dn;
        ck_assert_int_eq(wren_base64_decode(e, n, &d, &dn), WREN_OK);
        ck_assert_uint_eq(dn, strlen(cases[i]));
        ck_assert_mem_eq(d, cases[i], dn);
        free(d);
        free(e);
    }
    unsigned char *d;
    size_t dn;
    ck_assert_int_eq(wren_base64_decode("Zm9", 3, &d, &dn), WREN_EBADINPUT);
    ck_assert_int_eq(wren_base64_decode("Zm=v", 4, &d, &dn), WREN_EBADINPUT);
    ck_assert_int_eq(wren_base64_decode("Zm9*", 4, &d, &dn), WREN_EBADINPUT);
    ck_assert_int_eq(wren_base64_decode("Zm 9", 4, &d, &dn), WREN_EBADINPUT);
}
END_TEST

START_TEST(test_json_msgpack_round_trip)
{
    const char *text = "{\"a\":[1,-2,3.5,\"x\",null,true,false],\"b\":{\"c\":\"\xc3\xa9\"}}";
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    ck_assert_ptr_nonnull(j);
    wren_buf b;
    wren_buf_init(&b, 0);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, wren_buf_msgpack_write);
    ck_assert_int_eq(wren_json_to_msgpack(j, &pk), WREN_OK);
    msgpack_zone z;
    msgpack_zone_init(&z, 1024);
    msgpack_object o;
    ck_assert_int_eq(wren_msgpack_unpack_one(b.data, b.len, &z, &o), WREN_OK);
    json_t *back = wren_msgpack_to_json(&o);
    ck_assert(json_equal(j, back));
    /* A truncated object and trailing garbage are both refused. */
    ck_assert_int_eq(wren_msgpack_unpack_one(b.data, b.len - 1, &z, &o), WREN_EBADINPUT);
    wren_buf_append(&b, "\xc0", 1);
    ck_assert_int_eq(wren_msgpack_unpack_one(b.data, b.len, &z, &o), WREN_EBADINPUT);
    json_decref(back);
    json_decref(j);
    msgpack_zone_destroy(&z);
    wren_buf_clean_up(&b);
}
END_TEST

START_TEST(test_bin_renders_as_base64)
{
    wren_buf b;
    wren_buf_init(&b, 0);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, wren_buf_msgpack_write);
    msgpack_pack_bin_with_body(&pk, "foo", 3);
    msgpack_zone z;
    msgpack_zone_init(&z, 256);
    msgpack_object o;
    ck_assert_int_eq(wren_msgpack_unpack_one(b.data, b.len, &z, &o), WREN_OK);
    json_t *j = wren_msgpack_to_json(&o);
    ck_assert_str_eq(json_string_value(j), "Zm9v");
    json_decref(j);
    msgpack_zone_destroy(&z);
    wren_buf_clean_up(&b);
}
END_TEST

START_TEST(test_safe_ids)
{
    ck_assert(wren_is_safe_id("job-1_a.b", 9));
    ck_assert(!wren_is_safe_id("..", 2));
    ck_assert(!wren_is_safe_id(".", 1));
    ck_assert(!wren_is_safe_id("a/b", 3));
    ck_assert(!wren_is_safe_id("", 0));
    ck_assert(!wren_is_safe_id("a\0b", 3));
    char hex[33];
    ck_assert_int_eq(wren_random_hex(hex, 16), WREN_OK);
    ck_assert_uint_eq(strlen(hex), 32);
    ck_assert(wren_is_safe_id(hex, 32));
}
END_TEST

/* Outcome keys per attempt (docs/wire.md), and the attempt a key names. */
START_TEST(test_outcome_keys_per_attempt)
{
    char k[64];
    ck_assert_int_eq(wren__outcome_key(k, sizeof k, "j", "00000007", 0, "status"), 17);
    ck_assert_str_eq(k, "j/00000007/status");
    wren__outcome_key(k, sizeof k, "j", "00000007", 12, "out");
    ck_assert_str_eq(k, "j/00000007/out.12");
    static const struct {
        const char *seg;
        int attempt;
    } cases[] = {{"status", 0},       {"status.1", 1},   {"status.1000000", 1000000}, {"status.1000001", -1},
                 {"status.01", -1},   {"status.0", -1},  {"status.", -1},             {"status.1a", -1},
                 {"status.12345678", -1}, {"statu", -1}, {"statusx", -1},             {"out.1", -1},
                 {"status.-1", -1},   {"", -1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(wren__status_key_attempt(cases[i].seg, strlen(cases[i].seg)) == cases[i].attempt,
                      "'%s' -> %d", cases[i].seg, wren__status_key_attempt(cases[i].seg, strlen(cases[i].seg)));
    /* The length bounds the segment: "status.12" read as its first 8 bytes. */
    ck_assert_int_eq(wren__status_key_attempt("status.12", 8), 1);
}
END_TEST


static int s_unpack(const char *bytes, size_t len)
{
    msgpack_zone z;
    msgpack_zone_init(&z, 256);
    msgpack_object o;
    int rc = wren_msgpack_unpack_one(bytes, len, &z, &o);
    msgpack_zone_destroy(&z);
    return rc;
}

START_TEST(test_unpack_refuses_counts_the_bytes_cannot_hold)
{
    /* array32 of 4 billion elements in 5 bytes: refused before any allocation */
    ck_assert_int_eq(s_unpack("\xdd\xff\xff\xff\xff", 5), WREN_EBADINPUT);
    ck_assert_int_eq(s_unpack("\xdf\x00\x00\x00\x02\x01\x02\x03", 8), WREN_EBADINPUT);
    ck_assert_int_eq(s_unpack("\xdb\xff\xff\xff\xff" "abc", 8), WREN_EBADINPUT);
    ck_assert_int_eq(s_unpack("\x92\x01\x02", 3), WREN_OK);
    ck_assert_int_eq(s_unpack("\xc1", 1), WREN_EBADINPUT);
}
END_TEST

START_TEST(test_nesting_limit_is_the_same_both_ways)
{
    /* 31 nested arrays around a scalar is depth 32: accepted both ways;
     * one more level is refused both ways with EBADINPUT, never ENOMEM. */
    for (int levels = 30; levels <= 33; levels++) {
        char bytes[64];
        memset(bytes, 0x91, (size_t)levels);
        bytes[levels] = 0x01;
        int want = levels + 1 <= WREN_MAX_NESTING ? WREN_OK : WREN_EBADINPUT;
        ck_assert_int_eq(s_unpack(bytes, (size_t)levels + 1), want);
        json_t *j = json_integer(1);
        for (int i = 0; i < levels; i++)
            j = json_pack("[o]", j);
        wren_buf b;
        wren_buf_init(&b, 0);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &b, wren_buf_msgpack_write);
        ck_assert_int_eq(wren_json_to_msgpack(j, &pk), want);
        if (want == WREN_OK)
            ck_assert_int_eq(s_unpack(b.data, b.len), WREN_OK);
        json_decref(j);
        wren_buf_clean_up(&b);
    }
}
END_TEST

START_TEST(test_ext_renders_only_where_its_object_fits)
{
    /* An ext (fixext1) renders as {"ext": t, "data": b64}, one level deeper
     * than it sits in msgpack: inside 30 arrays it renders and packs back;
     * inside 31 (the deepest a scalar may sit) it is refused, not rendered
     * into JSON that wren_json_to_msgpack would then refuse. */
    for (int levels = 30; levels <= 31; levels++) {
        char bytes[64];
        memset(bytes, 0x91, (size_t)levels);
        memcpy(bytes + levels, "\xd4\x05\x2a", 3);
        msgpack_zone z;
        msgpack_zone_init(&z, 256);
        msgpack_object o;
        ck_assert_int_eq(wren_msgpack_unpack_one(bytes, (size_t)levels + 3, &z, &o), WREN_OK);
        json_t *j = wren_msgpack_to_json(&o);
        if (levels == 30) {
            ck_assert_ptr_nonnull(j);
            wren_buf b;
            wren_buf_init(&b, 0);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &b, wren_buf_msgpack_write);
            ck_assert_int_eq(wren_json_to_msgpack(j, &pk), WREN_OK);
            wren_buf_clean_up(&b);
            json_decref(j);
        } else {
            ck_assert_ptr_null(j);
        }
        msgpack_zone_destroy(&z);
    }
}
END_TEST

START_TEST(test_container_keys_render_within_a_bound)
{
    /* {[1, "a"]: 2} renders its key as JSON text */
    msgpack_zone z;
    msgpack_zone_init(&z, 256);
    msgpack_object o;
    ck_assert_int_eq(wren_msgpack_unpack_one("\x81\x92\x01\xa1\x61\x02", 6, &z, &o), WREN_OK);
    json_t *j = wren_msgpack_to_json(&o);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "[1,\"a\"]")), 2);
    json_decref(j);
    msgpack_zone_destroy(&z);

    /* Keys inside keys, 30 deep, {{{...{"q": 1}: 1}...}: 1}: each level
     * escapes the one below, so the text doubles per level (2^30 bytes at the
     * top). Refused at WREN_MAX_KEY_TEXT_BYTES, after a few kilobytes. */
    char bytes[128];
    size_t n = 0;
    for (int i = 0; i < 30; i++)
        bytes[n++] = (char)0x81;          /* a map of one entry, whose key follows; */
    memcpy(bytes + n, "\xa1q\x01", 3); /* the 30th is {"q": 1} */
    n += 3;
    for (int i = 0; i < 29; i++)
        bytes[n++] = 0x01;                /* each outer level's value */
    msgpack_zone_init(&z, 256);
    ck_assert_int_eq(wren_msgpack_unpack_one(bytes, n, &z, &o), WREN_OK);
    ck_assert_ptr_null(wren_msgpack_to_json(&o));
    msgpack_zone_destroy(&z);
}
END_TEST

static char *s_render(const char *bytes, size_t len)
{
    msgpack_zone z;
    msgpack_zone_init(&z, 256);
    msgpack_object o;
    ck_assert_int_eq(wren_msgpack_unpack_one(bytes, len, &z, &o), WREN_OK);
    json_t *j = wren_msgpack_to_json(&o);
    ck_assert_ptr_nonnull(j);
    char *text = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(j);
    msgpack_zone_destroy(&z);
    return text;
}

START_TEST(test_render_repairs_utf8_and_keeps_key_bytes)
{
    char *t = s_render("\xa2\xff" "a", 3); /* str "\xff a" */
    ck_assert_str_eq(t, "\"\xef\xbf\xbd" "a\"");
    free(t);
    t = s_render("\x81\xa2\xc3\x28\x01", 5); /* {"\xc3(": 1} */
    ck_assert_str_eq(t, "{\"\xef\xbf\xbd(\":1}");
    free(t);
    t = s_render("\x81\xa3" "a\0b" "\x01", 6); /* a key with a NUL inside */
    ck_assert_str_eq(t, "{\"a\\u0000b\":1}");
    free(t);
    t = s_render("\x81\xa0\xa0", 3); /* {"": ""} */
    ck_assert_str_eq(t, "{\"\":\"\"}");
    free(t);
    t = s_render("\x81\x01\x02", 3); /* {1: 2} */
    ck_assert_str_eq(t, "{\"1\":2}");
    free(t);
}
END_TEST

START_TEST(test_base64_refuses_noncanonical_padding_bits)
{
    unsigned char *d;
    size_t dn;
    ck_assert_int_eq(wren_base64_decode("Zh==", 4, &d, &dn), WREN_EBADINPUT);
    ck_assert_int_eq(wren_base64_decode("Zm9=", 4, &d, &dn), WREN_EBADINPUT);
    ck_assert_int_eq(wren_base64_decode("Zm8=", 4, &d, &dn), WREN_OK);
    free(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_status_names_and_messages);
    tcase_add_test(tc, test_buf_cap_refuses_and_keeps_contents);
    tcase_add_test(tc, test_base64_round_trip_and_strict_decode);
    tcase_add_test(tc, test_json_msgpack_round_trip);
    tcase_add_test(tc, test_bin_renders_as_base64);
    tcase_add_test(tc, test_safe_ids);
    tcase_add_test(tc, test_unpack_refuses_counts_the_bytes_cannot_hold);
    tcase_add_test(tc, test_nesting_limit_is_the_same_both_ways);
    tcase_add_test(tc, test_ext_renders_only_where_its_object_fits);
    tcase_add_test(tc, test_container_keys_render_within_a_bound);
    tcase_add_test(tc, test_render_repairs_utf8_and_keeps_key_bytes);
    tcase_add_test(tc, test_base64_refuses_noncanonical_padding_bits);
    tcase_add_test(tc, test_outcome_keys_per_attempt);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
