/*
 * test_vmssh_ports.c - choosing a host port: the first free one from the
 * start point, wrapping inside the range, none when all are used; local
 * listeners read from /proc/net/tcp text; the fault-injection switch
 * honoured only with VMSSH_TEST=1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmssh_int.h"

static uint8_t used[65536 / 8];

static void mark(unsigned p)
{
    used[p >> 3] |= (uint8_t)(1u << (p & 7));
}

static void test_choose(void **state)
{
    (void)state;
    memset(used, 0, sizeof(used));
    assert_int_equal(vmssh_port_choose(30000, 30009, used, 30000), 30000);
    assert_int_equal(vmssh_port_choose(30000, 30009, used, 30005), 30005);
    assert_int_equal(vmssh_port_choose(30000, 30009, used, 1), 30000); /* start outside */
    mark(30005);
    mark(30006);
    assert_int_equal(vmssh_port_choose(30000, 30009, used, 30005), 30007);
    for (unsigned p = 30007; p <= 30009; p++)
        mark(p);
    assert_int_equal(vmssh_port_choose(30000, 30009, used, 30005), 30000); /* wraps */
    for (unsigned p = 30000; p <= 30004; p++)
        mark(p);
    assert_int_equal(vmssh_port_choose(30000, 30009, used, 30005), 0); /* full */
    assert_int_equal(vmssh_port_choose(30010, 30010, used, 30010), 30010);
    mark(65535);
    assert_int_equal(vmssh_port_choose(65534, 65535, used, 65535), 65534);
    assert_int_equal(vmssh_port_choose(0, 10, used, 0), 0);
    assert_int_equal(vmssh_port_choose(20, 10, used, 15), 0);
}

static void test_proc_listeners(void **state)
{
    (void)state;
    memset(used, 0, sizeof(used));
    const char *text =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
        "   0: 00000000:7531 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n"
        "   1: 0100007F:7532 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0\n"
        "   2: 00000000000000000000000000000000:7533 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000     0\n";
    vmssh_ports_mark_proc_text(text, used);
    /* 0x7531 = 30001 listens; 30002 is an established connection's port. */
    assert_int_equal(vmssh_port_choose(30001, 30003, used, 30001), 30002);
    assert_int_equal(vmssh_port_choose(30003, 30003, used, 30003), 0); /* tcp6 listener */
    vmssh_error_t err;
    assert_int_equal(vmssh_ports_mark_listeners(used, &err), 0);
}

static void test_fault_switch(void **state)
{
    (void)state;
    unsetenv("VMSSH_TEST");
    setenv("VMSSH_FAIL_AT", "dns", 1);
    assert_false(vmssh_fault("dns")); /* not without VMSSH_TEST=1 */
    setenv("VMSSH_TEST", "1", 1);
    assert_true(vmssh_fault("dns"));
    assert_false(vmssh_fault("port"));
    setenv("VMSSH_FAIL_AT", "port,forward:2", 1);
    assert_true(vmssh_fault("port"));
    assert_true(vmssh_fault("forward:2"));
    assert_false(vmssh_fault("forward"));
    unsetenv("VMSSH_TEST");
    unsetenv("VMSSH_FAIL_AT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_choose),
        cmocka_unit_test(test_proc_listeners),
        cmocka_unit_test(test_fault_switch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
