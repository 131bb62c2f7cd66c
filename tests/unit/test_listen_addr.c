/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_listen_addr.c - server_parse_listen: which listen addresses the
 * config may name, what they turn into, and that bad ones say why.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/server.h"

static void parse_ok(const char *text, int family, const char *host, uint16_t port)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    char err[256] = "";
    char buf[INET6_ADDRSTRLEN];

    if (server_parse_listen(text, &ss, &len, err, sizeof(err)) != 0)
        fail_msg("'%s' rejected: %s", text, err);
    assert_int_equal(ss.ss_family, family);
    if (family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
        assert_int_equal(len, sizeof(*sin));
        assert_non_null(inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)));
        assert_int_equal(ntohs(sin->sin_port), port);
    } else {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
        assert_int_equal(len, sizeof(*sin6));
        assert_non_null(inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf)));
        assert_int_equal(ntohs(sin6->sin6_port), port);
    }
    assert_string_equal(buf, host);
}

/* Rejected, and the message names the address and contains `why`. */
static void parse_bad(const char *text, const char *why)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    char err[256] = "";

    if (server_parse_listen(text, &ss, &len, err, sizeof(err)) == 0)
        fail_msg("'%s' accepted", text);
    if (strstr(err, why) == NULL)
        fail_msg("'%s': error '%s' does not say '%s'", text, err, why);
    if (text[0] != '\0' && strstr(err, text) == NULL)
        fail_msg("'%s': error '%s' does not name the address", text, err);
}

static void test_ipv4(void **state)
{
    (void)state;
    parse_ok("127.0.0.1:5300", AF_INET, "127.0.0.1", 5300);
    parse_ok("0.0.0.0:53", AF_INET, "0.0.0.0", 53);
    parse_ok("10.1.2.3:65535", AF_INET, "10.1.2.3", 65535);
    parse_ok("127.0.0.1:0", AF_INET, "127.0.0.1", 0);
    parse_ok("127.0.0.1:00053", AF_INET, "127.0.0.1", 53);
}

static void test_ipv6(void **state)
{
    (void)state;
    parse_ok("[::1]:5300", AF_INET6, "::1", 5300);
    parse_ok("[::]:53", AF_INET6, "::", 53);
    parse_ok("[fd00::3]:1053", AF_INET6, "fd00::3", 1053);
    parse_ok("[2001:db8:0:0:0:0:0:1]:53", AF_INET6, "2001:db8::1", 53);
    parse_ok("[::ffff:127.0.0.1]:53", AF_INET6, "::ffff:127.0.0.1", 53);
}

static void test_ipv6_zone(void **state)
{
    struct sockaddr_storage ss;
    socklen_t len;
    char err[256];
    (void)state;
    /* The loopback interface is "lo" on Linux; a numeric zone always works. */
    assert_int_equal(server_parse_listen("[fe80::1%lo]:53", &ss, &len, err, sizeof(err)), 0);
    assert_int_not_equal(((struct sockaddr_in6 *)&ss)->sin6_scope_id, 0);
    assert_int_equal(server_parse_listen("[fe80::1%7]:53", &ss, &len, err, sizeof(err)), 0);
    assert_int_equal(((struct sockaddr_in6 *)&ss)->sin6_scope_id, 7);
    parse_bad("[fe80::1%nosuchif0]:53", "unknown interface");
    parse_bad("[fe80::1%]:53", "unknown interface");
}

static void test_bad_ports(void **state)
{
    (void)state;
    parse_bad("127.0.0.1", "missing ':port'");
    parse_bad("127.0.0.1:", "bad port");
    parse_bad("127.0.0.1:65536", "bad port");
    parse_bad("127.0.0.1:100000", "bad port");
    parse_bad("127.0.0.1:-1", "bad port");
    parse_bad("127.0.0.1:+53", "bad port");
    parse_bad("127.0.0.1:53x", "bad port");
    parse_bad("127.0.0.1: 53", "bad port");
    parse_bad("[::1]", "missing ':port'");
    parse_bad("[::1]:", "bad port");
    parse_bad("[::1]:70000", "bad port");
    parse_bad("[::1]53", "missing ':port'");
}

static void test_bad_hosts(void **state)
{
    (void)state;
    parse_bad("localhost:53", "not an IPv4 address");
    parse_bad("256.0.0.1:53", "not an IPv4 address");
    parse_bad("1.2.3:53", "not an IPv4 address");
    parse_bad(":", "bad port");
    parse_bad(":5x", "bad port");
    parse_bad("::1:53", "[addr]:port");
    parse_bad("[::1:53", "missing ']'");
    parse_bad("[]:53", "bad IPv6 address");
    parse_bad("[127.0.0.1]:53", "not an IPv6 address");
    parse_bad("[::g]:53", "not an IPv6 address");
    parse_bad("", "empty");
}

/* ":PORT": every address. Parsing gives both wildcards, [::] marked
 * optional, on every host: whether this one can bind IPv6 is decided by
 * server_start, not here. */
static void test_every_address(void **state)
{
    server_addr_t a[2];
    char err[256] = "";
    (void)state;
    parse_ok(":53", AF_INET, "0.0.0.0", 53);
    assert_int_equal(server_listen_addrs(":5300", a, err, sizeof(err)), 2);
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a[0].ss;
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a[1].ss;
    assert_int_equal(v4->sin_family, AF_INET);
    assert_int_equal(v4->sin_addr.s_addr, htonl(INADDR_ANY));
    assert_int_equal(ntohs(v4->sin_port), 5300);
    assert_false(a[0].optional);
    assert_int_equal(v6->sin6_family, AF_INET6);
    assert_true(IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr));
    assert_int_equal(ntohs(v6->sin6_port), 5300);
    assert_int_equal(a[1].len, sizeof(*v6));
    assert_true(a[1].optional);
    /* A named address is itself, never optional. */
    assert_int_equal(server_listen_addrs("[::]:53", a, err, sizeof(err)), 1);
    assert_false(a[0].optional);
    assert_int_equal(server_listen_addrs(":99999", a, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "bad port"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4),      cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_ipv6_zone), cmocka_unit_test(test_bad_ports),
        cmocka_unit_test(test_bad_hosts), cmocka_unit_test(test_every_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
