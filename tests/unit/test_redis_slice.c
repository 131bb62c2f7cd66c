/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_redis_slice.c - unit tests of plugins/redis/redis_slice.c: the HSCAN
 * COUNT of a load halves while batches take more than 5 ms of CPU (big
 * values), never below 16, and grows back to 1,000 while they are quick.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "redis/redis_backend_int.h"

static void count_adapts(void **state)
{
    (void)state;
    assert_int_equal(slice_count(0), REDIS_SCAN_COUNT);
    unsigned c = 0;
    for (int i = 0; i < 20; i++)
        c = slice_next_count(c, 50000); /* 50 ms a batch */
    assert_int_equal(c, 16);
    c = slice_next_count(c, 3000); /* in range: stays */
    assert_int_equal(c, 16);
    for (int i = 0; i < 20; i++)
        c = slice_next_count(c, 100);
    assert_int_equal(c, REDIS_SCAN_COUNT);
    assert_int_equal(slice_next_count(0, 6000), REDIS_SCAN_COUNT / 2);
}

static void cpu_clock_moves(void **state)
{
    (void)state;
    uint64_t t0 = slice_clock_us();
    volatile uint64_t x = 0;
    for (uint64_t i = 0; i < 50000000; i++)
        x += i;
    assert_true(x > 0); /* read it: the loop is the point, not the sum */
    assert_true(slice_clock_us() > t0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(count_adapts),
        cmocka_unit_test(cpu_clock_moves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
