/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_name.c - unit tests of src/dns/name.c: text <-> wire conversion with
 * escapes and the RFC 1035 limits, label offsets, the suffix test, wire
 * validation, lower-casing and the hash the view keys on; and of the one
 * wire-name walker (src/libvmdns/wire_name.h) that the server and the
 * record codec share: name lengths inside RDATA and the SOA serial.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/name.h"
#include "libvmdns/wire_name.h"

#define W(s) ((const uint8_t *)(s)), (sizeof(s) - 1)

static void from_text_basic(void **state)
{
    uint8_t out[NAME_MAX_WIRE];
    static const uint8_t want[] = "\x04vm-1\x07"
                                  "example\x03"
                                  "com";
    size_t len = name_from_text("vm-1.Example.COM.", out);
    assert_int_equal(len, sizeof(want)); /* includes the root byte */
    assert_memory_equal(out, want, sizeof(want));
    /* a missing final dot means the same absolute name */
    assert_int_equal(name_from_text("VM-1.example.com", out), sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
    assert_int_equal(name_from_text(".", out), 1);
    assert_int_equal(out[0], 0);
}

static void from_text_rejects(void **state)
{
    uint8_t out[NAME_MAX_WIRE];
    assert_int_equal(name_from_text("", out), 0);
    assert_int_equal(name_from_text("..", out), 0);
    assert_int_equal(name_from_text(".a", out), 0);
    assert_int_equal(name_from_text("a..b", out), 0);
    assert_int_equal(name_from_text("a.b..", out), 0);
    assert_int_equal(name_from_text("a\\", out), 0);     /* dangling escape */
    assert_int_equal(name_from_text("\\256.b", out), 0); /* \DDD above 255 */
}

static void from_text_escapes(void **state)
{
    uint8_t out[NAME_MAX_WIRE];
    /* "\." is a dot inside a label, "\\" a backslash, \DDD a byte */
    size_t len = name_from_text("a\\.b.c\\\\d.\\000\\255\\032.", out);
    static const uint8_t want[] = "\x03"
                                  "a.b\x03"
                                  "c\\d\x03\x00\xff\x20";
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
    /* \065 is 'A': names are lower-cased whatever the spelling */
    len = name_from_text("\\065Bc", out);
    assert_int_equal(len, 5);
    assert_memory_equal(out,
                        "\x03"
                        "abc",
                        5);
}

static void from_text_limits(void **state)
{
    uint8_t out[NAME_MAX_WIRE];
    char text[600];
    /* a 63-byte label is fine, 64 is not */
    memset(text, 'a', 63);
    strcpy(text + 63, ".com.");
    assert_int_equal(name_from_text(text, out), 1 + 63 + 4 + 1);
    assert_int_equal(out[0], 63);
    memset(text, 'a', 64);
    strcpy(text + 64, ".com.");
    assert_int_equal(name_from_text(text, out), 0);

    /* 3 labels of 63 + one of 61 = 3*64 + 62 + 1 = 255 bytes: the maximum */
    size_t t = 0;
    for (int l = 0; l < 3; l++) {
        memset(text + t, 'b', 63);
        t += 63;
        text[t++] = '.';
    }
    memset(text + t, 'c', 61);
    strcpy(text + t + 61, ".");
    assert_int_equal(name_from_text(text, out), NAME_MAX_WIRE);
    assert_true(name_is_valid_wire(out, NAME_MAX_WIRE));
    /* one byte more is too long */
    memset(text + t, 'c', 62);
    strcpy(text + t + 62, ".");
    assert_int_equal(name_from_text(text, out), 0);
}

static void to_text(void **state)
{
    char buf[1024];
    assert_int_equal(name_to_text(W("\x02vm\x07"
                                    "example\x03"
                                    "com\x00"),
                                  buf, sizeof(buf)),
                     strlen("vm.example.com."));
    assert_string_equal(buf, "vm.example.com.");
    assert_int_equal(name_to_text(W("\x00"), buf, sizeof(buf)), 1);
    assert_string_equal(buf, ".");
    /* special and non-printable bytes are escaped */
    name_to_text(W("\x03"
                   "a.b\x02\\\"\x03\x00\x20\x7f\x00"),
                 buf, sizeof(buf));
    assert_string_equal(buf, "a\\.b.\\\\\\\".\\000\\032\\127.");
    /* the escaped text parses back to the same wire */
    uint8_t back[NAME_MAX_WIRE];
    assert_int_equal(name_from_text(buf, back), 12);
    assert_memory_equal(back,
                        "\x03"
                        "a.b\x02\\\"\x03\x00\x20\x7f\x00",
                        12);
    /* too small a buffer, or a bad name: 0 */
    assert_int_equal(name_to_text(W("\x02vm\x00"), buf, 3), 0);
    assert_int_equal(name_to_text(W("\x02vm\x00"), buf, 4), 3); /* "vm." + NUL */
    assert_int_equal(name_to_text(W("\x05vm\x00"), buf, sizeof(buf)), 0);
    assert_int_equal(name_to_text(W("\x41vm\x00"), buf, sizeof(buf)), 0);
}

static void round_trip_longest(void **state)
{
    uint8_t wire[NAME_MAX_WIRE], back[NAME_MAX_WIRE];
    char text[NAME_MAX_WIRE * 4 + 2];
    size_t p = 0;
    /* 255 bytes of labels full of bytes that need \DDD escapes */
    for (int l = 0; l < 4; l++) {
        size_t ll = l < 3 ? 63 : 61;
        wire[p++] = (uint8_t)ll;
        for (size_t k = 0; k < ll; k++)
            wire[p++] = (uint8_t)(0x80 + k);
    }
    wire[p++] = 0;
    assert_int_equal(p, NAME_MAX_WIRE);
    size_t tl = name_to_text(wire, p, text, sizeof(text));
    assert_true(tl > 0);
    assert_int_equal(strlen(text), tl);
    assert_int_equal(name_from_text(text, back), NAME_MAX_WIRE);
    assert_memory_equal(back, wire, NAME_MAX_WIRE);
}

static void label_offsets(void **state)
{
    uint8_t offs[NAME_MAX_LABELS];
    const uint8_t name[] = "\x02vm\x07"
                           "example\x03"
                           "com";
    assert_int_equal(name_label_offsets(name, sizeof(name), offs), 3);
    assert_int_equal(offs[0], 0);
    assert_int_equal(offs[1], 3);
    assert_int_equal(offs[2], 11);
    assert_int_equal(name_label_count(name, sizeof(name)), 3);
    assert_int_equal(name_label_offsets((const uint8_t *)"", 1, offs), 0);
    assert_int_equal(name_label_count((const uint8_t *)"", 1), 0);

    /* the most labels a name can have: 127 one-byte labels + root */
    uint8_t many[NAME_MAX_WIRE];
    size_t p = 0;
    for (int i = 0; i < 127; i++) {
        many[p++] = 1;
        many[p++] = 'x';
    }
    many[p++] = 0;
    assert_int_equal(name_label_offsets(many, p, offs), 127);
    assert_int_equal(offs[126], 252);
}

static void below_or_equal(void **state)
{
    const uint8_t zone[] = "\x07"
                           "example\x03"
                           "com";
    const uint8_t apex[] = "\x07"
                           "example\x03"
                           "com";
    const uint8_t child[] = "\x02vm\x07"
                            "example\x03"
                            "com";
    const uint8_t deep[] = "\x01"
                           "a\x01"
                           "b\x07"
                           "example\x03"
                           "com";
    const uint8_t other[] = "\x08xexample\x03"
                            "com";
    const uint8_t com[] = "\x03"
                          "com";
    /* a label whose bytes end in "\3com\0": not a label boundary */
    const uint8_t fake[] = "\x05"
                           "a\x03"
                           "com";
    assert_true(name_is_below_or_equal(apex, sizeof(apex), zone, sizeof(zone)));
    assert_true(name_is_below_or_equal(child, sizeof(child), zone, sizeof(zone)));
    assert_true(name_is_below_or_equal(deep, sizeof(deep), zone, sizeof(zone)));
    assert_false(name_is_below_or_equal(other, sizeof(other), zone, sizeof(zone)));
    assert_false(name_is_below_or_equal(com, sizeof(com), zone, sizeof(zone)));
    assert_true(name_is_below_or_equal(zone, sizeof(zone), com, sizeof(com)));
    assert_true(name_is_below_or_equal(fake, sizeof(fake), (const uint8_t *)"", 1));
    assert_false(name_is_below_or_equal(fake, 7, com, sizeof(com)));
    assert_true(name_is_below_or_equal(child, sizeof(child), (const uint8_t *)"", 1));
}

static void valid_wire(void **state)
{
    assert_true(name_is_valid_wire(W("\x02vm\x00")));
    assert_true(name_is_valid_wire(W("\x00")));
    assert_false(name_is_valid_wire((const uint8_t *)"", 0));
    assert_false(name_is_valid_wire(W("\x02vm")));         /* no root */
    assert_false(name_is_valid_wire(W("\x02vm\x00\x00"))); /* bytes after root */
    assert_false(name_is_valid_wire(W("\x03vm\x00")));     /* label runs past the end */
    assert_false(name_is_valid_wire(W("\xc0\x0c")));       /* a pointer */
    /* 127 one-byte labels + root = 255 bytes: valid; one label of two
     * bytes more makes 256 (structurally fine, but too long) */
    uint8_t big[NAME_MAX_WIRE + 1];
    size_t p = 0;
    for (int i = 0; i < 127; i++) {
        big[p++] = 1;
        big[p++] = 'x';
    }
    big[p++] = 0;
    assert_true(name_is_valid_wire(big, p));
    big[0] = 2;
    memmove(big + 2, big + 1, p - 1);
    big[1] = 'y';
    assert_false(name_is_valid_wire(big, p + 1));
}

static void walker(void **state)
{
    /* a name inside RDATA, after 2 bytes (an MX preference), then junk */
    static const uint8_t mx[] = "\x00\x0a\x02mx\x07"
                                "example\x00\xff";
    assert_int_equal(vmdns_wire_name_len(mx, 2, sizeof(mx) - 1), 1 + 2 + 1 + 7 + 1);
    assert_int_equal(vmdns_wire_name_len((const uint8_t *)"\x00", 0, 1), 1); /* the root */
    /* runs past the end, a pointer, a reserved label type, empty input */
    assert_int_equal(vmdns_wire_name_len(mx, 2, 8), 0);
    assert_int_equal(vmdns_wire_name_len((const uint8_t *)"\x01a\xc0\x0c", 0, 4), 0);
    assert_int_equal(vmdns_wire_name_len((const uint8_t *)"\x40xx\x00", 0, 4), 0);
    assert_int_equal(vmdns_wire_name_len(mx, 5, 5), 0);
    /* 255 bytes is the limit */
    uint8_t big[300];
    size_t p = 0;
    for (int i = 0; i < 127; i++) {
        big[p++] = 1;
        big[p++] = 'x';
    }
    big[p++] = 0;
    assert_int_equal(vmdns_wire_name_len(big, 0, p), 255);
    memmove(big + 2, big, p);
    big[0] = 1;
    big[1] = 'y';
    assert_int_equal(vmdns_wire_name_len(big, 0, p + 2), 0);
}

static void soa_serial(void **state)
{
    /* ns.x. h.x. 7 3600 600 86400 60 */
    static const uint8_t soa[] = "\x02ns\x01x\x00\x01h\x01x\x00"
                                 "\x00\x00\x00\x07\x00\x00\x0e\x10\x00\x00\x02\x58"
                                 "\x00\x01\x51\x80\x00\x00\x00\x3c";
    size_t len = sizeof(soa) - 1;
    assert_int_equal(len, 6 + 5 + 20);
    assert_int_equal(vmdns_wire_soa_serial_off(soa, len), 11);
    assert_int_equal(soa[11 + 3], 7);
    /* the root as both names */
    static const uint8_t root[22] = {0};
    assert_int_equal(vmdns_wire_soa_serial_off(root, sizeof(root)), 2);
    /* numbers cut short, a bad name */
    assert_int_equal(vmdns_wire_soa_serial_off(soa, len - 1), 0);
    assert_int_equal(vmdns_wire_soa_serial_off(root, 21), 0);
    uint8_t bad[sizeof(soa)];
    memcpy(bad, soa, sizeof(soa));
    bad[6] = 0x41;
    assert_int_equal(vmdns_wire_soa_serial_off(bad, len), 0);
}

static void lower(void **state)
{
    uint8_t n[] = "\x03"
                  "AbZ\x04@[`\xc1\x00";
    name_lower(n, sizeof(n));
    assert_memory_equal(n,
                        "\x03"
                        "abz\x04@[`\xc1\x00",
                        sizeof(n));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void hash_stable(void **state)
{
    uint8_t a[NAME_MAX_WIRE], b[NAME_MAX_WIRE];
    size_t la = name_from_text("vm-abc123.vm.example.com.", a);
    size_t lb = name_from_text("VM-ABC123.Vm.Example.Com", b);
    assert_int_equal(la, lb);
    assert_int_equal(name_hash(a, la), name_hash(b, lb));
    assert_int_equal(name_hash(a, la), name_hash(a, la));
    /* one byte of difference anywhere changes the hash */
    for (size_t i = 1; i < la - 1; i++) {
        memcpy(b, a, la);
        b[i] ^= 1;
        assert_int_not_equal(name_hash(a, la), name_hash(b, la));
    }

    /* 20000 similar names: no 64-bit collision, and no bucket of a
     * 1024-bucket table gets more than 4x its share */
    enum { N = 20000, B = 1024 };
    static uint64_t h[N];
    static unsigned buckets[B];
    memset(buckets, 0, sizeof(buckets));
    for (int i = 0; i < N; i++) {
        char text[64];
        uint8_t w[NAME_MAX_WIRE];
        snprintf(text, sizeof(text), "vm-%06d.vm.example.com.", i);
        size_t l = name_from_text(text, w);
        h[i] = name_hash(w, l);
        buckets[h[i] % B]++;
    }
    qsort(h, N, sizeof(h[0]), cmp_u64);
    for (int i = 1; i < N; i++)
        assert_true(h[i - 1] != h[i]);
    for (int i = 0; i < B; i++)
        assert_true(buckets[i] < 4 * N / B);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(from_text_basic),   cmocka_unit_test(from_text_rejects),
        cmocka_unit_test(from_text_escapes), cmocka_unit_test(from_text_limits),
        cmocka_unit_test(to_text),           cmocka_unit_test(round_trip_longest),
        cmocka_unit_test(label_offsets),     cmocka_unit_test(below_or_equal),
        cmocka_unit_test(valid_wire),        cmocka_unit_test(lower),
        cmocka_unit_test(hash_stable),       cmocka_unit_test(walker),
        cmocka_unit_test(soa_serial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
