/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_record.c - the record codec: what the registrar writes, the server
 * reads back identically (every type), what other tools write is read
 * leniently, and every kind of bad data is skipped and counted without
 * losing the good records beside it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "vmdns/record.h"

/* Parse json (must succeed), return the list. */
static vmdns_rrlist_t parse_ok(const char *json, uint32_t dttl)
{
    vmdns_rrlist_t l;
    vmdns_error_t e;
    int rc = vmdns_record_parse_json(json, strlen(json), dttl, &l, &e);
    if (rc != 0)
        fail_msg("parse of %s failed: %s", json, e.message);
    return l;
}

/* JSON -> records -> JSON must give the same bytes. */
static void assert_json_round_trip(const char *json)
{
    vmdns_rrlist_t l = parse_ok(json, VMDNS_DEFAULT_TTL);
    vmdns_error_t e;
    if (l.skipped)
        fail_msg("%s: skipped %zu: %s", json, l.skipped, l.first_error);
    char *out = vmdns_record_to_json(l.rrs, l.n, l.expires, &e);
    if (!out)
        fail_msg("encode of %s failed: %s", json, e.message);
    assert_string_equal(out, json);
    /* and records -> JSON -> records gives the same records */
    vmdns_rrlist_t l2 = parse_ok(out, 7);
    assert_int_equal(l2.n, l.n);
    assert_int_equal(l2.expires, l.expires);
    for (size_t i = 0; i < l.n; i++) {
        assert_int_equal(l2.rrs[i].type, l.rrs[i].type);
        assert_int_equal(l2.rrs[i].ttl, l.rrs[i].ttl);
        assert_int_equal(l2.rrs[i].rdlen, l.rrs[i].rdlen);
        assert_memory_equal(l2.rrs[i].rdata, l.rrs[i].rdata, l.rrs[i].rdlen);
    }
    free(out);
    vmdns_rrlist_free(&l);
    vmdns_rrlist_free(&l2);
}

/* The single record of json must have this type, ttl and rdata. */
static void assert_one(const char *json, uint16_t type, uint32_t ttl, const void *rdata,
                       size_t rdlen)
{
    vmdns_rrlist_t l = parse_ok(json, 300);
    assert_int_equal(l.skipped, 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.rrs[0].type, type);
    assert_int_equal(l.rrs[0].ttl, ttl);
    assert_int_equal(l.rrs[0].rdlen, rdlen);
    assert_memory_equal(l.rrs[0].rdata, rdata, rdlen);
    vmdns_rrlist_free(&l);
}

static void round_trip_every_type(void **state)
{
    (void)state;
    assert_json_round_trip("{\"a\":[{\"ip\":\"10.1.2.3\",\"ttl\":30}]}");
    assert_json_round_trip("{\"aaaa\":[{\"ip\":\"fd00::3\",\"ttl\":30}]}");
    assert_json_round_trip("{\"cname\":[{\"host\":\"other.example.com.\",\"ttl\":30}]}");
    assert_json_round_trip("{\"ns\":[{\"host\":\"ns1.example.com.\",\"ttl\":3600}]}");
    assert_json_round_trip("{\"txt\":[{\"text\":\"hello\",\"ttl\":30}]}");
    assert_json_round_trip("{\"txt\":[{\"text\":\"\",\"ttl\":30}]}");
    assert_json_round_trip("{\"txt\":[{\"text\":\"quote \\\" back \\\\ caf\xc3\xa9\",\"ttl\":1}]}");
    assert_json_round_trip(
        "{\"mx\":[{\"host\":\"mx.example.com.\",\"preference\":10,\"ttl\":30}]}");
    assert_json_round_trip("{\"mx\":[{\"host\":\".\",\"preference\":0,\"ttl\":30}]}");
    assert_json_round_trip("{\"srv\":[{\"target\":\"vm-abc123.vm.example.com.\",\"port\":38291,"
                           "\"priority\":0,\"weight\":0,\"ttl\":30}]}");
    assert_json_round_trip("{\"ptr\":[{\"host\":\"vm-abc123.vm.example.com.\",\"ttl\":30}]}");
    assert_json_round_trip(
        "{\"caa\":[{\"flag\":128,\"tag\":\"issue\",\"value\":\"letsencrypt.org\",\"ttl\":30}]}");
    assert_json_round_trip("{\"soa\":{\"ttl\":300,\"ns\":\"ns1.example.com.\",\"mbox\":"
                           "\"hostmaster.example.com.\",\"refresh\":3600,\"retry\":600,"
                           "\"expire\":86400,\"minttl\":30}}");
    assert_json_round_trip("{\"soa\":{\"ttl\":300,\"ns\":\"ns1.example.com.\",\"mbox\":"
                           "\"host\\\\.master.example.com.\",\"refresh\":1,\"retry\":2,"
                           "\"expire\":3,\"minttl\":4,\"serial\":2024010101}}");
    /* everything at once (but CNAME, which stands alone), with a lease */
    assert_json_round_trip(
        "{\"a\":[{\"ip\":\"10.1.2.3\",\"ttl\":30},{\"ip\":\"10.1.2.4\",\"ttl\":30}],"
        "\"aaaa\":[{\"ip\":\"fd00::3\",\"ttl\":30}],"
        "\"ns\":[{\"host\":\"ns1.example.com.\",\"ttl\":3600}],"
        "\"txt\":[{\"text\":\"v=spf1 -all\",\"ttl\":30}],"
        "\"mx\":[{\"host\":\"mx.example.com.\",\"preference\":10,\"ttl\":30}],"
        "\"srv\":[{\"target\":\"t.example.com.\",\"port\":22,\"priority\":1,\"weight\":2,"
        "\"ttl\":30}],"
        "\"ptr\":[{\"host\":\"p.example.com.\",\"ttl\":30}],"
        "\"caa\":[{\"flag\":0,\"tag\":\"iodef\",\"value\":\"mailto:a@example.com\",\"ttl\":30}],"
        "\"soa\":{\"ttl\":300,\"ns\":\"ns1.example.com.\",\"mbox\":\"h.example.com.\","
        "\"refresh\":3600,\"retry\":600,\"expire\":86400,\"minttl\":30},"
        "\"expires\":1700000000}");
    assert_json_round_trip("{}");
}

static void rdata_is_wire_form(void **state)
{
    (void)state;
    assert_one("{\"a\":[{\"ip\":\"10.1.2.3\",\"ttl\":30}]}", 1, 30, "\x0a\x01\x02\x03", 4);
    assert_one("{\"aaaa\":[{\"ip\":\"fd00::3\",\"ttl\":5}]}", 28, 5,
               "\xfd\x00\0\0\0\0\0\0\0\0\0\0\0\0\0\x03", 16);
    assert_one("{\"mx\":[{\"host\":\"mx.Example.com.\",\"preference\":10,\"ttl\":30}]}", 15, 30,
               "\x00\x0a\x02mx\x07"
               "Example\x03"
               "com\x00",
               18);
    assert_one("{\"srv\":[{\"target\":\"vm.x.\",\"port\":38291,\"priority\":1,\"weight\":2}]}", 33,
               300, "\x00\x01\x00\x02\x95\x93\x02vm\x01x\x00", 12);
    assert_one("{\"caa\":[{\"flag\":0,\"tag\":\"issue\",\"value\":\"ca.org\"}]}", 257, 300,
               "\x00\x05issueca.org", 13);
    assert_one("{\"soa\":{\"ttl\":60,\"ns\":\"a.\",\"mbox\":\"b.\",\"refresh\":1,\"retry\":2,"
               "\"expire\":3,\"minttl\":4}}",
               6, 60,
               "\x01"
               "a\x00\x01"
               "b\x00"
               "\0\0\0\0\0\0\0\x01\0\0\0\x02\0\0\0\x03\0\0\0\x04",
               26);
}

static void txt_split_every_255_bytes(void **state)
{
    (void)state;
    char text[601], json[800];
    memset(text, 'x', 600);
    text[600] = '\0';
    snprintf(json, sizeof(json), "{\"txt\":[{\"text\":\"%s\",\"ttl\":30}]}", text);
    vmdns_rrlist_t l = parse_ok(json, 300);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.rrs[0].rdlen, 603);
    assert_int_equal(l.rrs[0].rdata[0], 255);
    assert_int_equal(l.rrs[0].rdata[256], 255);
    assert_int_equal(l.rrs[0].rdata[512], 90);
    vmdns_rrlist_free(&l);
    assert_json_round_trip(json);
    /* exactly 255 bytes: one string */
    text[255] = '\0';
    snprintf(json, sizeof(json), "{\"txt\":[{\"text\":\"%s\",\"ttl\":30}]}", text);
    l = parse_ok(json, 300);
    assert_int_equal(l.rrs[0].rdlen, 256);
    vmdns_rrlist_free(&l);
    assert_json_round_trip(json);
}

static void other_writers_are_read_leniently(void **state)
{
    (void)state;
    /* keys in any case; a single object instead of an array; nulls */
    assert_one("{\"A\":[{\"IP\":\"10.0.0.1\",\"TTL\":5}]}", 1, 5, "\x0a\0\0\x01", 4);
    assert_one("{\"Mx\":{\"Host\":\"m.x\",\"Preference\":1}}", 15, 300, "\x00\x01\x01m\x01x\x00",
               7);
    assert_one("{\"a\":[{\"ip\":\"10.0.0.1\",\"ttl\":null}],\"aaaa\":null,\"expires\":null}", 1,
               300, "\x0a\0\0\x01", 4);
    /* no trailing dot: the same absolute name */
    assert_one("{\"cname\":[{\"host\":\"other.example.com\",\"ttl\":1}]}", 5, 1,
               "\x05other\x07"
               "example\x03"
               "com\x00",
               19);
    /* default TTL is the caller's */
    vmdns_rrlist_t l = parse_ok("{\"a\":[{\"ip\":\"10.0.0.1\"}]}", 42);
    assert_int_equal(l.rrs[0].ttl, 42);
    vmdns_rrlist_free(&l);
    /* explicit ttl 0 stays 0; missing numbers are 0 */
    assert_one("{\"srv\":[{\"target\":\"t.\",\"ttl\":0}]}", 33, 0, "\0\0\0\0\0\0\x01t\x00", 9);
    /* escapes in names */
    assert_one("{\"ptr\":[{\"host\":\"a\\\\.b.c.\"}]}", 12, 300,
               "\x03"
               "a.b\x01"
               "c\x00",
               7);
    /* expires in any case */
    l = parse_ok("{\"a\":[{\"ip\":\"10.0.0.1\"}],\"Expires\":1700000000}", 1);
    assert_int_equal(l.expires, 1700000000);
    vmdns_rrlist_free(&l);
}

/* json must parse, keep `kept` records, skip `skipped`, and name `reason`. */
static void assert_skips(const char *json, size_t kept, size_t skipped, const char *reason)
{
    vmdns_rrlist_t l = parse_ok(json, 300);
    if (l.n != kept || l.skipped != skipped || !strstr(l.first_error, reason))
        fail_msg("%s: kept %zu skipped %zu (%s); wanted %zu, %zu, '%s'", json, l.n, l.skipped,
                 l.first_error, kept, skipped, reason);
    vmdns_rrlist_free(&l);
}

/* 100,000 A records (with duplicates) parse in O(n log n): well under a
 * second, duplicates skipped and counted, the given order kept. */
static void big_values_parse_fast(void **state)
{
    (void)state;
    enum { N = 100000 };
    size_t cap = (size_t)N * 32 + 64, len = 0;
    char *json = malloc(cap);
    assert_non_null(json);
    len += (size_t)snprintf(json + len, cap - len, "{\"a\":[");
    for (size_t i = 0; i < N; i++) {
        size_t v = i % (N - 100); /* the last 100 repeat the first 100 */
        len += (size_t)snprintf(json + len, cap - len, "%s{\"ip\":\"10.%zu.%zu.%zu\"}",
                                i ? "," : "", v >> 16, (v >> 8) & 255, v & 255);
    }
    len += (size_t)snprintf(json + len, cap - len, "]}");
    struct timespec t0, t1;
    vmdns_rrlist_t l;
    vmdns_error_t e;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(vmdns_record_parse_json(json, len, 300, &l, &e), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    assert_true(ms < 1000);
    assert_int_equal(l.n, N - 100);
    assert_int_equal(l.skipped, 100);
    assert_non_null(strstr(l.first_error, "duplicate"));
    assert_int_equal(l.rrs[1].rdata[3], 1);
    assert_int_equal(l.rrs[N - 101].rdata[3], (N - 101) & 255);
    vmdns_rrlist_free(&l);
    free(json);
}

static void bad_records_are_skipped_and_counted(void **state)
{
    (void)state;
    assert_skips("{\"a\":[{\"ip\":\"300.1.2.3\"},{\"ip\":\"10.0.0.1\"}]}", 1, 1,
                 "bad IPv4 address '300.1.2.3'");
    assert_skips("{\"a\":[{\"ip\":\"fd00::1\"}]}", 0, 1, "bad IPv4");
    assert_skips("{\"aaaa\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"fd00::1\"}]}", 1, 1, "bad IPv6");
    assert_skips("{\"a\":[{\"ip\":\"10.0.0.1x\"}]}", 0, 1, "bad IPv4");
    assert_skips("{\"a\":[{\"ip\":\"10.0.0.1\\u0000\"}]}", 0, 1, "bad IPv4");
    assert_skips("{\"a\":[{\"ttl\":30}]}", 0, 1, "missing \"ip\"");
    assert_skips("{\"a\":[{\"ip\":10}]}", 0, 1, "\"ip\" must be a string");
    assert_skips("{\"a\":[\"10.0.0.1\"]}", 0, 1, "not an object");
    assert_skips("{\"a\":\"10.0.0.1\"}", 0, 1, "not an array");
    assert_skips("{\"a\":[{\"ip\":\"10.0.0.1\",\"ttl\":\"30\"}]}", 0, 1, "\"ttl\" must be");
    assert_skips("{\"a\":[{\"ip\":\"10.0.0.1\",\"ttl\":-2}]}", 0, 1, "\"ttl\" must be");
    assert_skips("{\"a\":[{\"ip\":\"10.0.0.1\",\"ttl\":2147483648}]}", 0, 1, "\"ttl\" must be");
    assert_skips("{\"a\":[{\"ip\":\"10.0.0.1\",\"ttl\":30.5}]}", 0, 1, "\"ttl\" must be");
    assert_skips("{\"mx\":[{\"preference\":10}]}", 0, 1, "missing \"host\"");
    assert_skips("{\"mx\":[{\"host\":\"m.x.\",\"preference\":65536}]}", 0, 1, "preference");
    assert_skips("{\"srv\":[{\"target\":\"t.\",\"port\":70000}]}", 0, 1, "\"port\"");
    assert_skips("{\"srv\":[{\"port\":22}]}", 0, 1, "missing \"target\"");
    assert_skips("{\"caa\":[{\"flag\":0,\"value\":\"x\"}]}", 0, 1, "missing \"tag\"");
    assert_skips("{\"caa\":[{\"flag\":0,\"tag\":\"is-sue\",\"value\":\"x\"}]}", 0, 1, "CAA tag");
    assert_skips("{\"caa\":[{\"flag\":256,\"tag\":\"issue\",\"value\":\"x\"}]}", 0, 1, "flag");
    assert_skips("{\"txt\":[{\"ttl\":1}]}", 0, 1, "missing \"text\"");
    assert_skips("{\"soa\":{\"ns\":\"a.\"}}", 0, 1, "missing \"mbox\"");
    assert_skips("{\"soa\":{\"ns\":\"a.\",\"mbox\":\"b.\",\"refresh\":4294967296}}", 0, 1,
                 "refresh");
    assert_skips("{\"soa\":[{\"ns\":\"a.\",\"mbox\":\"b.\"},{\"ns\":\"c.\",\"mbox\":\"d.\"}]}", 1,
                 1, "more than one SOA");
    /* names: label too long, name too long, empty label */
    char json[1200], label[70], longname[400];
    memset(label, 'a', 64);
    label[64] = '\0';
    snprintf(json, sizeof(json), "{\"cname\":[{\"host\":\"%s.example.com.\"}]}", label);
    assert_skips(json, 0, 1, "longer than 63");
    longname[0] = '\0';
    for (int i = 0; i < 9; i++)
        strcat(longname, "abcdefghijklmnopqrstuvwxyz0123456789.");
    snprintf(json, sizeof(json), "{\"ns\":[{\"host\":\"%s\"}]}", longname);
    assert_skips(json, 0, 1, "longer than 255");
    assert_skips("{\"ptr\":[{\"host\":\"a..b.\"}]}", 0, 1, "empty label");
    assert_skips("{\"ptr\":[{\"host\":\"\"}]}", 0, 1, "empty name");
    /* unsupported type keys, duplicates, CNAME rules */
    assert_skips("{\"hinfo\":[{\"cpu\":\"x\"}],\"a\":[{\"ip\":\"10.0.0.1\"}]}", 1, 1,
                 "unsupported type key \"hinfo\"");
    assert_skips("{\"a\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"10.0.0.1\",\"ttl\":5}]}", 1, 1,
                 "duplicate");
    assert_skips("{\"cname\":[{\"host\":\"x.\"}],\"a\":[{\"ip\":\"10.0.0.1\"}]}", 1, 1,
                 "CNAME beside other data");
    assert_skips("{\"cname\":[{\"host\":\"x.\"},{\"host\":\"y.\"}]}", 1, 1, "more than one CNAME");
    assert_skips("{\"a\":[{\"ip\":\"10.0.0.1\"}],\"expires\":\"soon\"}", 1, 1, "expires");
    assert_skips("{\"a\":[{\"ip\":\"10.0.0.1\"}],\"expires\":-5}", 1, 1, "expires");
    /* the kept CNAME-beside-data record is the A, not the CNAME */
    vmdns_rrlist_t l = parse_ok("{\"cname\":[{\"host\":\"x.\"}],\"a\":[{\"ip\":\"10.0.0.1\"}]}", 1);
    assert_int_equal(l.rrs[0].type, VMDNS_TYPE_A);
    vmdns_rrlist_free(&l);
}

static void unusable_values_are_errors(void **state)
{
    (void)state;
    const char *bad[] = {"",        "not json", "{\"a\":[", "[1,2]",
                         "\"str\"", "42",       "null",     "{\"a\":[]} trailing",
                         "{'a':1}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vmdns_rrlist_t l;
        vmdns_error_t e = {0};
        assert_int_equal(vmdns_record_parse_json(bad[i], strlen(bad[i]), 300, &l, &e), -1);
        assert_int_equal(e.code, VMDNS_ERR_JSON);
        assert_true(e.message[0] != '\0');
        assert_int_equal(l.n, 0);
        assert_null(l.rrs);
    }
    /* len is honoured: the value need not be NUL-terminated */
    vmdns_rrlist_t l;
    const char *s = "{\"a\":[{\"ip\":\"10.0.0.1\"}]}GARBAGE";
    assert_int_equal(vmdns_record_parse_json(s, strlen(s) - 7, 300, &l, NULL), 0);
    assert_int_equal(l.n, 1);
    vmdns_rrlist_free(&l);
}

static void encoder_refuses_what_it_cannot_write(void **state)
{
    (void)state;
    vmdns_error_t e;
    uint8_t two_strings[] = {1, 'a', 1, 'b'};
    vmdns_rr_t txt = {VMDNS_TYPE_TXT, 30, sizeof(two_strings), two_strings};
    assert_null(vmdns_record_to_json(&txt, 1, 0, &e));
    assert_int_equal(e.code, VMDNS_ERR_UNSUPPORTED);
    uint8_t latin1[] = {3, 'c', 'a', 0xe9};
    vmdns_rr_t txt2 = {VMDNS_TYPE_TXT, 30, sizeof(latin1), latin1};
    assert_null(vmdns_record_to_json(&txt2, 1, 0, &e));
    assert_non_null(strstr(e.message, "UTF-8"));
    uint8_t a3[] = {10, 0, 0};
    vmdns_rr_t a = {VMDNS_TYPE_A, 30, 3, a3};
    assert_null(vmdns_record_to_json(&a, 1, 0, &e));
    assert_int_equal(e.code, VMDNS_ERR_RDATA);
    uint8_t a4[] = {10, 0, 0, 1};
    vmdns_rr_t hinfo = {13, 30, 4, a4};
    assert_null(vmdns_record_to_json(&hinfo, 1, 0, &e));
    assert_int_equal(e.code, VMDNS_ERR_UNSUPPORTED);
    vmdns_rr_t big_ttl = {VMDNS_TYPE_A, 2147483648u, 4, a4};
    assert_null(vmdns_record_to_json(&big_ttl, 1, 0, &e));
    assert_int_equal(e.code, VMDNS_ERR_TTL);
    vmdns_rr_t ok = {VMDNS_TYPE_A, 30, 4, a4};
    assert_null(vmdns_record_to_json(&ok, 1, -1, &e));
    uint8_t soa[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    vmdns_rr_t soas[2] = {{VMDNS_TYPE_SOA, 1, sizeof(soa), soa},
                          {VMDNS_TYPE_SOA, 1, sizeof(soa), soa}};
    assert_null(vmdns_record_to_json(soas, 2, 0, &e));
    assert_int_equal(e.code, VMDNS_ERR_CONFLICT);
    uint8_t ptr_pointer[] = {0xc0, 0x0c};
    vmdns_rr_t ptr = {VMDNS_TYPE_PTR, 1, 2, ptr_pointer};
    assert_null(vmdns_record_to_json(&ptr, 1, 0, &e));
    assert_int_equal(e.code, VMDNS_ERR_RDATA);
    /* types are grouped in the writer's order whatever the input order */
    uint8_t six[16] = {0xfd};
    vmdns_rr_t mixed[2] = {{VMDNS_TYPE_AAAA, 1, 16, six}, {VMDNS_TYPE_A, 1, 4, a4}};
    char *js = vmdns_record_to_json(mixed, 2, 0, &e);
    assert_string_equal(js, "{\"a\":[{\"ip\":\"10.0.0.1\",\"ttl\":1}],\"aaaa\":[{\"ip\":\"fd00::\","
                            "\"ttl\":1}]}");
    free(js);
}

static void records_render_as_zone_file_lines(void **state)
{
    (void)state;
    char out[512];
    uint8_t a4[] = {10, 1, 2, 3};
    vmdns_rr_t a = {VMDNS_TYPE_A, 30, 4, a4};
    assert_true(vmdns_rr_to_text("vm-1.vm.example.com", &a, out, sizeof(out)) > 0);
    assert_string_equal(out, "vm-1.vm.example.com.\t30\tIN\tA\t10.1.2.3");
    uint8_t srv[] = {0, 0, 0, 0, 0x95, 0x93, 2, 'v', 'm', 1, 'x', 0};
    vmdns_rr_t s = {VMDNS_TYPE_SRV, 30, sizeof(srv), srv};
    assert_true(vmdns_rr_to_text("_ssh._tcp.vm.x.", &s, out, sizeof(out)) > 0);
    assert_string_equal(out, "_ssh._tcp.vm.x.\t30\tIN\tSRV\t0 0 38291 vm.x.");
    assert_int_equal(vmdns_rr_to_text("vm.x.", &s, out, 10), -1);
    assert_int_equal(vmdns_rr_to_text("bad..name", &s, out, sizeof(out)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_every_type),
        cmocka_unit_test(rdata_is_wire_form),
        cmocka_unit_test(txt_split_every_255_bytes),
        cmocka_unit_test(other_writers_are_read_leniently),
        cmocka_unit_test(bad_records_are_skipped_and_counted),
        cmocka_unit_test(big_values_parse_fast),
        cmocka_unit_test(unusable_values_are_errors),
        cmocka_unit_test(encoder_refuses_what_it_cannot_write),
        cmocka_unit_test(records_render_as_zone_file_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
