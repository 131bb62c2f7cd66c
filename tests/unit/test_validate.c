/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_validate.c - the checks the registrar runs before writing anything:
 * host names and owner names (LDH, 63/255 limits, no empty labels), name
 * text <-> wire form, and record data in presentation format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vmdns/record.h"

/* A name of `labels` labels of `len` letters each, dot-separated. */
static void make_name(char *out, int labels, int len)
{
    char *p = out;
    for (int i = 0; i < labels; i++) {
        memset(p, 'a' + (i % 26), (size_t)len);
        p += len;
        *p++ = i + 1 < labels ? '.' : '\0';
    }
}

static void hostnames(void **state)
{
    (void)state;
    vmdns_error_t e;
    const char *good[] = {
        "vm-abc123.vm.example.com", "vm-abc123.vm.example.com.", "a.b", "x", "1.2.3.4.in-addr.arpa",
        "VM-1.Example.COM",         "xn--bcher-kva.de"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (vmdns_hostname_check(good[i], &e) != 0)
            fail_msg("'%s' refused: %s", good[i], e.message);
    const char *bad[] = {"",      ".",     "a..b",    ".a.b",          "a.b..",
                         "-a.b",  "a-.b",  "a_b.c",   "_ssh._tcp.a",   "*.a.b",
                         "a b.c", "a/b.c", "a\\.b.c", "caf\xc3\xa9.fr"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        e.code = VMDNS_OK;
        if (vmdns_hostname_check(bad[i], &e) != -1)
            fail_msg("'%s' accepted", bad[i]);
        assert_int_equal(e.code, VMDNS_ERR_NAME);
        assert_true(e.message[0] != '\0');
    }
    char name[400];
    make_name(name, 2, 63);
    assert_int_equal(vmdns_hostname_check(name, NULL), 0);
    make_name(name, 2, 64);
    assert_int_equal(vmdns_hostname_check(name, &e), -1);
    assert_non_null(strstr(e.message, "63"));
    /* 255 bytes in wire form is the limit: 4 x 63 + 1 + 1 + 1 = 255 */
    make_name(name, 4, 63);
    name[strlen(name) - 2] = '\0'; /* labels 63+63+63+61: 255 bytes in wire form */
    assert_int_equal(vmdns_hostname_check(name, NULL), 0);
    strcat(name, ".a"); /* 257 */
    assert_int_equal(vmdns_hostname_check(name, &e), -1);
    assert_non_null(strstr(e.message, "255"));
}

static void owner_names(void **state)
{
    (void)state;
    assert_int_equal(vmdns_owner_name_check("_ssh._tcp.vm-1.vm.example.com", NULL), 0);
    assert_int_equal(vmdns_owner_name_check("_acme-challenge.example.com.", NULL), 0);
    assert_int_equal(vmdns_owner_name_check("*.vm.example.com", NULL), 0);
    assert_int_equal(vmdns_owner_name_check("vm.*.example.com", NULL), -1);
    assert_int_equal(vmdns_owner_name_check("**.example.com", NULL), -1);
    assert_int_equal(vmdns_owner_name_check("_.example.com", NULL), -1);
    assert_int_equal(vmdns_owner_name_check("a_b.example.com", NULL), -1);
    assert_int_equal(vmdns_owner_name_check("a..example.com", NULL), -1);
}

static void name_wire_and_text(void **state)
{
    (void)state;
    uint8_t w[VMDNS_NAME_MAXWIRE];
    size_t len;
    char text[VMDNS_NAME_MAXTEXT];
    vmdns_error_t e;

    assert_int_equal(vmdns_name_to_wire("vm.Example.com", w, &len, &e), 0);
    assert_int_equal(len, 16);
    assert_memory_equal(w,
                        "\x02vm\x07"
                        "Example\x03"
                        "com",
                        16);
    uint8_t w2[VMDNS_NAME_MAXWIRE];
    size_t len2;
    assert_int_equal(vmdns_name_to_wire("vm.Example.com.", w2, &len2, &e), 0);
    assert_int_equal(len2, len);
    assert_memory_equal(w, w2, len);
    assert_int_equal(vmdns_name_to_wire(".", w, &len, &e), 0);
    assert_int_equal(len, 1);
    assert_int_equal(vmdns_name_to_text(w, len, text, sizeof(text)), 1);
    assert_string_equal(text, ".");

    /* escapes both ways */
    assert_int_equal(vmdns_name_to_wire("a\\.b\\032c.d", w, &len, &e), 0);
    assert_memory_equal(w,
                        "\x05"
                        "a.b c\x01"
                        "d\x00",
                        9);
    assert_true(vmdns_name_to_text(w, len, text, sizeof(text)) > 0);
    assert_string_equal(text, "a\\.b\\032c.d.");
    assert_int_equal(vmdns_name_to_wire("a\\256.b", w, &len, &e), -1);
    assert_int_equal(vmdns_name_to_wire("a\\", w, &len, &e), -1);

    /* limits */
    char name[400];
    make_name(name, 4, 63);
    name[strlen(name) - 3] = '\0';
    assert_int_equal(vmdns_name_to_wire(name, w, &len, &e), 0);
    assert_int_equal(len, 254);
    strcat(name, "a"); /* 255 wire: still fine */
    assert_int_equal(vmdns_name_to_wire(name, w, &len, &e), 0);
    assert_int_equal(len, 255);
    strcat(name, "a");
    assert_int_equal(vmdns_name_to_wire(name, w, &len, &e), -1);
    assert_int_equal(e.code, VMDNS_ERR_NAME);
    assert_int_equal(vmdns_name_to_wire("", w, &len, &e), -1);
    assert_int_equal(vmdns_name_to_wire("a..b", w, &len, &e), -1);

    /* malformed wire is refused by to_text */
    assert_int_equal(vmdns_name_to_text((const uint8_t *)"\x03"
                                                         "ab",
                                        3, text, sizeof(text)),
                     -1);
    assert_int_equal(vmdns_name_to_text((const uint8_t *)"\xc0\x0c", 2, text, sizeof(text)), -1);
    assert_int_equal(vmdns_name_to_text((const uint8_t *)"\x01"
                                                         "a\x00",
                                        3, text, 2),
                     -1);

    /* canonical: lower case, final dot */
    assert_int_equal(vmdns_name_canonical("VM-1.Example.COM", text, sizeof(text), &e), 0);
    assert_string_equal(text, "vm-1.example.com.");
}

/* rdata text must parse to exactly these bytes. */
static void assert_rdata(uint16_t type, const char *text, const void *want, size_t wl)
{
    uint8_t out[1024];
    size_t len;
    vmdns_error_t e;
    if (vmdns_rdata_from_text(type, text, NULL, out, sizeof(out), &len, &e) != 0)
        fail_msg("%s '%s' refused: %s", vmdns_type_name(type), text, e.message);
    assert_int_equal(len, wl);
    assert_memory_equal(out, want, wl);
}

/* rdata text must be refused with this code. */
static void assert_rdata_bad(uint16_t type, const char *text, vmdns_status_t code)
{
    uint8_t out[1024];
    size_t len;
    vmdns_error_t e = {0};
    if (vmdns_rdata_from_text(type, text, NULL, out, sizeof(out), &len, &e) != -1)
        fail_msg("%s '%s' accepted", vmdns_type_name(type) ? vmdns_type_name(type) : "?", text);
    if (e.code != code)
        fail_msg("%s '%s': code %d, wanted %d (%s)", vmdns_type_name(type), text, e.code, code,
                 e.message);
}

static void rdata_presentation_format(void **state)
{
    (void)state;
    assert_rdata(VMDNS_TYPE_A, "10.1.2.3", "\x0a\x01\x02\x03", 4);
    assert_rdata(VMDNS_TYPE_AAAA, "fd00::3", "\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x03", 16);
    assert_rdata(VMDNS_TYPE_MX, "10 mx.example.com.",
                 "\x00\x0a\x02mx\x07"
                 "example\x03"
                 "com",
                 18);
    /* no final dot: absolute, not relative to anything */
    assert_rdata(VMDNS_TYPE_MX, "10 mx.example.com",
                 "\x00\x0a\x02mx\x07"
                 "example\x03"
                 "com",
                 18);
    assert_rdata(VMDNS_TYPE_CNAME, "t.x.", "\x01t\x01x", 5);
    assert_rdata(VMDNS_TYPE_SRV, "0 0 38291 vm.x.", "\0\0\0\0\x95\x93\x02vm\x01x", 12);
    assert_rdata(VMDNS_TYPE_TXT, "\"hello world\"", "\x0bhello world", 12);
    assert_rdata(VMDNS_TYPE_TXT, "\"v=DKIM1; k=rsa\"", "\x0ev=DKIM1; k=rsa", 15);
    assert_rdata(VMDNS_TYPE_TXT, "\"a\\\"b;\"",
                 "\x04"
                 "a\"b;",
                 5);
    assert_rdata(VMDNS_TYPE_CAA, "0 issue \"letsencrypt.org\"", "\x00\x05issueletsencrypt.org", 22);
    assert_rdata(VMDNS_TYPE_SOA, "a. b. 1 2 3 4 5",
                 "\x01"
                 "a\x00\x01"
                 "b\x00\0\0\0\x01\0\0\0\x02\0\0\0\x03\0\0\0\x04\0\0\0\x05",
                 26);
    uint8_t out[16];
    size_t len;
    vmdns_error_t e;
    assert_int_equal(vmdns_rdata_from_text(VMDNS_TYPE_CNAME, "t", "x.", out, sizeof(out), &len, &e),
                     0);
    assert_memory_equal(out, "\x01t\x01x", 5); /* relative to the given origin */

    assert_rdata_bad(VMDNS_TYPE_A, "300.1.2.3", VMDNS_ERR_RDATA);
    assert_rdata_bad(VMDNS_TYPE_A, "1.2.3", VMDNS_ERR_RDATA);
    assert_rdata_bad(VMDNS_TYPE_A, "", VMDNS_ERR_RDATA);
    assert_rdata_bad(VMDNS_TYPE_AAAA, "10.0.0.1", VMDNS_ERR_RDATA);
    assert_rdata_bad(VMDNS_TYPE_MX, "mx.example.com.", VMDNS_ERR_RDATA);
    assert_rdata_bad(VMDNS_TYPE_MX, "70000 mx.example.com.", VMDNS_ERR_RDATA);
    assert_rdata_bad(VMDNS_TYPE_SRV, "0 0 x.", VMDNS_ERR_RDATA);
    assert_rdata_bad(VMDNS_TYPE_SRV, "0 0 65536 x.", VMDNS_ERR_RDATA);
    assert_rdata_bad(VMDNS_TYPE_SRV, "-1 0 22 x.", VMDNS_ERR_RDATA);
    assert_rdata_bad(VMDNS_TYPE_CAA, "256 issue \"x\"", VMDNS_ERR_RDATA);
    assert_rdata_bad(VMDNS_TYPE_SOA, "a. b. 4294967296 2 3 4 5", VMDNS_ERR_RDATA);
    assert_rdata_bad(VMDNS_TYPE_CNAME, "a..b.", VMDNS_ERR_RDATA);
    assert_rdata_bad(VMDNS_TYPE_A, "10.0.0.1\n10.0.0.2", VMDNS_ERR_RDATA);
    assert_rdata_bad(VMDNS_TYPE_A, "10.0.0.1 ; comment", VMDNS_ERR_RDATA);
    /* two character-strings cannot be held by the schema's one "text" */
    assert_rdata_bad(VMDNS_TYPE_TXT, "hello world", VMDNS_ERR_UNSUPPORTED);
    assert_rdata_bad(13 /* HINFO */, "\"cpu\" \"os\"", VMDNS_ERR_UNSUPPORTED);
    assert_int_equal(
        vmdns_rdata_from_text(VMDNS_TYPE_MX, "10 mx.example.com.", NULL, out, 4, &len, &e), -1);
    assert_int_equal(e.code, VMDNS_ERR_SPACE);
}

static void type_names(void **state)
{
    (void)state;
    assert_int_equal(vmdns_type_from_name("mx"), VMDNS_TYPE_MX);
    assert_int_equal(vmdns_type_from_name("AAAA"), VMDNS_TYPE_AAAA);
    assert_int_equal(vmdns_type_from_name("Caa"), VMDNS_TYPE_CAA);
    assert_int_equal(vmdns_type_from_name("HINFO"), 0);
    assert_int_equal(vmdns_type_from_name(NULL), 0);
    assert_string_equal(vmdns_type_name(VMDNS_TYPE_SRV), "SRV");
    assert_null(vmdns_type_name(99));
    for (int c = VMDNS_OK; c <= VMDNS_ERR_BUSY; c++)
        assert_true(strlen(vmdns_strerror((vmdns_status_t)c)) > 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hostnames),          cmocka_unit_test(owner_names),
        cmocka_unit_test(name_wire_and_text), cmocka_unit_test(rdata_presentation_format),
        cmocka_unit_test(type_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
