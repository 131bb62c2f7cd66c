/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_opt.c - the OPT writer (src/dns/opt.c): the fixed part (root owner,
 * payload size, extended rcode, version, DO), options written in order,
 * ARCOUNT, no room, and adding an option to an OPT that ends a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns/opt.h"
#include "dns/wire.h"

/* A 12-byte header with ARCOUNT 0 in msg. */
static size_t header(uint8_t *msg)
{
    memset(msg, 0, WIRE_HEADER_SIZE);
    wire_write_u16(msg, 0x1234);
    return WIRE_HEADER_SIZE;
}

static void bare_opt(void **state)
{
    uint8_t msg[64];
    size_t len = header(msg);
    opt_record_t opt = {.udp_size = 1232, .rcode = 0, .do_bit = true};
    assert_int_equal(opt_size(&opt), 11);
    len = opt_write(msg, len, sizeof(msg), &opt);
    assert_int_equal(len, 23);
    static const uint8_t want[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0};
    assert_memory_equal(msg + 12, want, sizeof(want));
    assert_int_equal(wire_read_u16(msg + 10), 1);

    /* BADVERS (16): upper bits in the OPT, DO off, version 0 */
    len = header(msg);
    opt = (opt_record_t){.udp_size = 512, .rcode = WIRE_RCODE_BADVERS};
    len = opt_write(msg, len, sizeof(msg), &opt);
    assert_int_equal(msg[12 + 5], 1); /* 16 >> 4 */
    assert_int_equal(msg[12 + 7], 0);
    assert_int_equal(wire_read_u16(msg + 12 + 3), 512);
}

static void with_options(void **state)
{
    uint8_t msg[128];
    size_t len = header(msg);
    wire_write_u16(msg + 10, 2); /* two records already in additional */
    static const uint8_t cookie[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t ede[] = {0, 18, 'x'};
    opt_option_t o[] = {
        {OPT_CODE_COOKIE, sizeof(cookie), cookie},
        {OPT_CODE_NSID, 0, NULL},
        {OPT_CODE_EDE, sizeof(ede), ede},
    };
    opt_record_t opt = {.udp_size = 1232, .version = 0, .options = o, .noptions = 3};
    size_t size = opt_size(&opt);
    assert_int_equal(size, 11 + 4 + 16 + 4 + 4 + 3);
    assert_int_equal(opt_write(msg, len, len + size - 1, &opt), 0); /* no room */
    assert_int_equal(wire_read_u16(msg + 10), 2);                   /* unchanged */
    size_t n = opt_write(msg, len, sizeof(msg), &opt);
    assert_int_equal(n, len + size);
    assert_int_equal(wire_read_u16(msg + 10), 3);
    const uint8_t *rd = msg + len + 11;
    assert_int_equal(wire_read_u16(msg + len + 9), size - 11);
    assert_int_equal(wire_read_u16(rd), OPT_CODE_COOKIE);
    assert_int_equal(wire_read_u16(rd + 2), 16);
    assert_memory_equal(rd + 4, cookie, 16);
    assert_int_equal(wire_read_u16(rd + 20), OPT_CODE_NSID);
    assert_int_equal(wire_read_u16(rd + 22), 0);
    assert_int_equal(wire_read_u16(rd + 24), OPT_CODE_EDE);
    assert_int_equal(wire_read_u16(rd + 26), 3);
    assert_memory_equal(rd + 28, ede, 3);
}

static void add_option(void **state)
{
    uint8_t msg[64];
    size_t len = header(msg);
    opt_record_t opt = {.udp_size = 1232};
    size_t opt_off = len;
    len = opt_write(msg, len, sizeof(msg), &opt);
    static const uint8_t data[] = {0xaa, 0xbb};
    assert_true(opt_add_option(msg, &len, sizeof(msg), opt_off, 0xfde9, data, 2));
    assert_int_equal(len, 12 + 11 + 6);
    assert_int_equal(wire_read_u16(msg + opt_off + 9), 6);
    assert_memory_equal(msg + opt_off + 11, "\xfd\xe9\x00\x02\xaa\xbb", 6);
    assert_int_equal(wire_read_u16(msg + 10), 1); /* still one OPT */

    /* no room, not an OPT, not the last record: refused, nothing changed */
    size_t before = len;
    assert_false(opt_add_option(msg, &len, len + 5, opt_off, 1, data, 2));
    assert_false(opt_add_option(msg, &len, sizeof(msg), opt_off + 1, 1, data, 2));
    len--;
    assert_false(opt_add_option(msg, &len, sizeof(msg), opt_off, 1, data, 2));
    assert_int_equal(len, before - 1);
}

static void find(void **state)
{
    /* header, question "a." A IN, one A record (pointer owner), the OPT */
    uint8_t msg[128];
    size_t len = header(msg);
    wire_write_u16(msg + 4, 1);
    memcpy(msg + len,
           "\x01"
           "a\x00\x00\x01\x00\x01",
           7);
    len += 7;
    assert_int_equal(opt_find(msg, len), 0); /* no record at all */
    static const uint8_t rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1};
    memcpy(msg + len, rr, sizeof(rr));
    len += sizeof(rr);
    wire_write_u16(msg + 6, 1);
    assert_int_equal(opt_find(msg, len), 0); /* the last record is not an OPT */
    size_t at = len;
    opt_record_t opt = {.udp_size = 1232};
    len = opt_write(msg, len, sizeof(msg), &opt);
    assert_int_equal(opt_find(msg, len), at);
    assert_int_equal(opt_find(msg, len - 1), 0); /* cut short */
    wire_write_u16(msg + 10, 2);
    assert_int_equal(opt_find(msg, len), 0); /* counts that say more */
    assert_int_equal(opt_find(msg, 11), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bare_opt),
        cmocka_unit_test(with_options),
        cmocka_unit_test(add_option),
        cmocka_unit_test(find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
