/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_vmssh_ports.c - choosing a host port: the first free one from the
 * start point, wrapping inside the range, none when all are used; a port
 * held by a local socket (IPv4 or IPv6) found by the bind probe; the
 * fault-injection switch honoured only with VMSSH_TEST=1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

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

static void test_bound_probe(void **state)
{
    (void)state;
    /* A listener on a port the kernel picks: the probe sees it, IPv4 and
     * (a dual-stack socket) IPv6 alike; once closed the port is free. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)); /* as servers do */
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 1), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    uint16_t port = ntohs(a.sin_port);
    assert_int_equal(vmssh_port_bound(port), 1); /* even bound to 127.0.0.1 only */
    close(fd);
    assert_int_equal(vmssh_port_bound(port), 0);

    int fd6 = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd6 >= 0) {
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        if (bind(fd6, (struct sockaddr *)&a6, sizeof(a6)) == 0 && listen(fd6, 1) == 0) {
            len = sizeof(a6);
            assert_int_equal(getsockname(fd6, (struct sockaddr *)&a6, &len), 0);
            assert_int_equal(vmssh_port_bound(ntohs(a6.sin6_port)), 1);
        }
        close(fd6);
    }
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
        cmocka_unit_test(test_bound_probe),
        cmocka_unit_test(test_fault_switch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
