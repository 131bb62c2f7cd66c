/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_redis_names.c - unit tests of plugins/redis/redis_names.c (zone keys
 * with prefix and suffix, hash fields to owner names; the key layout itself
 * is tested with common/redis_schema.c in test_common.c), redis_strset.c (the small string
 * sets of the backend threads) and the stream id order of redis_stream.c.
 * Sentinel answers are parsed by src/common (test_common.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns/name.h"
#include "redis/redis_backend_int.h"
#include "redis/redis_names.h"
#include "redis/redis_strset.h"

static size_t wire(const char *text, uint8_t out[NAME_MAX_WIRE])
{
    size_t len = name_from_text(text, out);
    assert_true(len > 0);
    return len;
}

static void test_key_to_apex(void **state)
{
    uint8_t apex[NAME_MAX_WIRE], want[NAME_MAX_WIRE];
    size_t wlen = wire("vm.example.com.", want);
    const char *k = "vm.Example.com.";
    assert_int_equal(redis_key_to_apex(k, strlen(k), "", "", apex), wlen);
    assert_memory_equal(apex, want, wlen); /* lower-cased */
    k = "dns:vm.example.com.:v1";
    assert_int_equal(redis_key_to_apex(k, strlen(k), "dns:", ":v1", apex), wlen);
    assert_memory_equal(apex, want, wlen);
    /* no trailing dot (the change stream's key), wrong prefix or suffix */
    k = "vmdns:changes";
    assert_int_equal(redis_key_to_apex(k, strlen(k), "", "", apex), 0);
    k = "other:vm.example.com.:v1";
    assert_int_equal(redis_key_to_apex(k, strlen(k), "dns:", ":v1", apex), 0);
    k = "dns:vm.example.com.:v2";
    assert_int_equal(redis_key_to_apex(k, strlen(k), "dns:", ":v1", apex), 0);
    k = "dns::v1";
    assert_int_equal(redis_key_to_apex(k, strlen(k), "dns:", ":v1", apex), 0);
    k = "a..b.";
    assert_int_equal(redis_key_to_apex(k, strlen(k), "", "", apex), 0);
}

static void test_zone_key_round_trip(void **state)
{
    uint8_t apex[NAME_MAX_WIRE], back[NAME_MAX_WIRE];
    size_t len = wire("vm.example.com.", apex);
    char key[300];
    assert_int_equal(redis_zone_key("p:", apex, len, ":s", key, sizeof(key)),
                     strlen("p:vm.example.com.:s"));
    assert_string_equal(key, "p:vm.example.com.:s");
    assert_int_equal(redis_key_to_apex(key, strlen(key), "p:", ":s", back), len);
    assert_int_equal(redis_zone_key("p:", apex, len, ":s", key, 10), 0);
}

static void test_field_to_owner(void **state)
{
    uint8_t apex[NAME_MAX_WIRE], owner[NAME_MAX_WIRE], want[NAME_MAX_WIRE];
    size_t alen = wire("vm.example.com.", apex), wlen;

    assert_int_equal(redis_field_to_owner("@", 1, apex, alen, owner), alen);
    assert_memory_equal(owner, apex, alen);

    wlen = wire("_ssh._tcp.vm-abc.vm.example.com.", want);
    assert_int_equal(redis_field_to_owner("_ssh._tcp.VM-abc", 16, apex, alen, owner), wlen);
    assert_memory_equal(owner, want, wlen);

    wlen = wire("*.vm.example.com.", want);
    assert_int_equal(redis_field_to_owner("*", 1, apex, alen, owner), wlen);
    assert_memory_equal(owner, want, wlen);

    /* absolute names must be inside the zone */
    wlen = wire("x.vm.example.com.", want);
    assert_int_equal(redis_field_to_owner("x.vm.example.com.", 17, apex, alen, owner), wlen);
    assert_int_equal(redis_field_to_owner("x.example.org.", 14, apex, alen, owner), 0);

    /* empty labels, empty field, a label over 63 bytes, a name over 255 */
    assert_int_equal(redis_field_to_owner("a..b", 4, apex, alen, owner), 0);
    assert_int_equal(redis_field_to_owner("", 0, apex, alen, owner), 0);
    char label[70];
    memset(label, 'a', 64);
    assert_int_equal(redis_field_to_owner(label, 64, apex, alen, owner), 0);
    char longname[300];
    for (int i = 0; i < 60; i++) {
        memcpy(longname + 4 * i, "abc.", 4);
    }
    assert_int_equal(redis_field_to_owner(longname, 239, apex, alen, owner), 0); /* 240+17 */
}

static void test_zone_from_text(void **state)
{
    uint8_t apex[NAME_MAX_WIRE], want[NAME_MAX_WIRE];
    size_t wlen = wire("vm.example.com.", want);
    assert_int_equal(redis_zone_from_text("VM.example.com", 14, apex), wlen);
    assert_memory_equal(apex, want, wlen);
    assert_int_equal(redis_zone_from_text(".", 1, apex), 1);
    assert_int_equal(redis_zone_from_text("", 0, apex), 0);
}

static void count_cb(void *ctx, const void *key, size_t len, long count)
{
    *(long *)ctx += count;
}

static void test_strset(void **state)
{
    strset_t *s = strset_new();
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(strset_add(s, key, strlen(key)), 1);
    }
    assert_int_equal(strset_add(s, "k7", 2), 0);
    assert_int_equal(strset_count(s), 1000);
    assert_true(strset_has(s, "k999", 4));
    assert_false(strset_has(s, "k1000", 5));
    assert_true(strset_remove(s, "k5", 2));
    assert_false(strset_remove(s, "k5", 2));
    assert_false(strset_has(s, "k5", 2));
    assert_int_equal(strset_add2(s, "ab", 2, "cd", 2), 1);
    assert_true(strset_has(s, "abcd", 4));
    assert_true(strset_has2(s, "a", 1, "bcd", 3));
    long *c = strset_counter(s, "k1", 2);
    *c += 5;
    *strset_counter(s, "new", 3) += 2;
    long total = 0;
    strset_each(s, count_cb, &total);
    assert_int_equal(total, 7);
    strset_clear(s);
    assert_int_equal(strset_count(s), 0);
    assert_false(strset_has(s, "k1", 2));
    strset_free(s);
}

static void test_stream_id_order(void **state)
{
    assert_true(stream_id_cmp("0-0", "1-0") < 0);
    assert_true(stream_id_cmp("1700000000000-5", "1700000000000-10") < 0);
    assert_true(stream_id_cmp("1700000000001-0", "1700000000000-99") > 0);
    assert_int_equal(stream_id_cmp("5-3", "5-3"), 0);
    assert_true(stream_id_cmp("10-0", "9-0") > 0); /* numeric, not text order */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_to_apex),    cmocka_unit_test(test_zone_key_round_trip),
        cmocka_unit_test(test_field_to_owner), cmocka_unit_test(test_zone_from_text),
        cmocka_unit_test(test_strset),         cmocka_unit_test(test_stream_id_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
