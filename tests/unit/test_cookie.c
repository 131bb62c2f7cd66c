/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_cookie.c - RFC 9018 server cookies: the examples of its Appendix A
 * made and checked, the age window, the client address forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "dns/cookie.h"

static void unhex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static size_t ip_of(const char *text, uint8_t out[COOKIE_IP_MAX])
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t len;
    if (strchr(text, ':') != NULL) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
        len = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
        len = sizeof(*s4);
    }
    return cookie_client_ip((struct sockaddr *)&ss, len, out);
}

typedef struct vector {
    const char *secret, *client, *ip;
    uint32_t at;
    const char *server;
} vector_t;

/* RFC 9018 Appendix A.1 .. A.4. */
static const vector_t made[] = {
    {"e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", 1559731985,
     "010000005cf79f111f8130c3eee29480"},
    {"e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", 1559734385,
     "010000005cf7a871d4a564a1442aca77"},
    {"e5e973e5a6b2a43f48e7dc849e37bfcf", "fc93fc62807ddb86", "203.0.113.203", 1559734700,
     "010000005cf7a9acf73a7810aca2381e"},
    {"445536bcd2513298075a5d379663c962", "22681ab97d52c298", "2001:db8:220:1:59de:d0f4:8769:82b8",
     1559741961, "010000005cf7c609a6bb79d16625507a"},
};

static void test_rfc9018_make(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
        uint8_t secret[16], client[8], want[16], got[16], ip[COOKIE_IP_MAX];
        unhex(made[i].secret, secret, 16);
        unhex(made[i].client, client, 8);
        unhex(made[i].server, want, 16);
        size_t ip_len = ip_of(made[i].ip, ip);
        cookie_make(secret, client, ip, ip_len, made[i].at, got);
        assert_memory_equal(got, want, 16);
        assert_true(cookie_matches(secret, client, want, 16, ip, ip_len));
        assert_int_equal(cookie_timestamp(got), made[i].at);
    }
}

/* What the clients of A.3 and A.4 send back: A.3's has reserved bytes
 * set by the client (hashed as received); A.4's was made with the secret
 * before the roll-over, and the new secret does not take it. */
static void test_rfc9018_verify(void **st)
{
    (void)st;
    uint8_t secret[16], client[8], server[16], ip[COOKIE_IP_MAX];
    unhex("e5e973e5a6b2a43f48e7dc849e37bfcf", secret, 16);
    unhex("fc93fc62807ddb86", client, 8);
    unhex("01abcdef5cf78f71a314227b6679ebf5", server, 16);
    size_t ip_len = ip_of("203.0.113.203", ip);
    assert_true(cookie_matches(secret, client, server, 16, ip, ip_len));
    ip_len = ip_of("203.0.113.204", ip);
    assert_false(cookie_matches(secret, client, server, 16, ip, ip_len)); /* another address */

    unhex("dd3bdf9344b678b185a6f5cb60fca715", secret, 16);
    unhex("22681ab97d52c298", client, 8);
    unhex("010000005cf7c57926556bd0934c72f8", server, 16);
    ip_len = ip_of("2001:db8:220:1:59de:d0f4:8769:82b8", ip);
    assert_int_equal(ip_len, 16);
    assert_true(cookie_matches(secret, client, server, 16, ip, ip_len));
    unhex("445536bcd2513298075a5d379663c962", secret, 16);
    assert_false(cookie_matches(secret, client, server, 16, ip, ip_len));
}

static void test_tampered(void **st)
{
    (void)st;
    uint8_t secret[16] = {1}, client[8] = {2}, ip[4] = {192, 0, 2, 1}, sc[16];
    cookie_make(secret, client, ip, 4, 1000000, sc);
    assert_true(cookie_matches(secret, client, sc, 16, ip, 4));
    for (size_t i = 0; i < 16; i++) {
        uint8_t bad[16];
        memcpy(bad, sc, 16);
        bad[i] ^= 0x40;
        assert_false(cookie_matches(secret, client, bad, 16, ip, 4));
    }
    client[0] ^= 1;
    assert_false(cookie_matches(secret, client, sc, 16, ip, 4));
    client[0] ^= 1;
    assert_false(cookie_matches(secret, client, sc, 8, ip, 4)); /* other lengths: not ours */
    sc[0] = 2;
    assert_false(cookie_matches(secret, client, sc, 16, ip, 4)); /* other versions */
}

static void test_fresh(void **st)
{
    (void)st;
    const uint32_t now = 1559731985;
    assert_true(cookie_fresh(now, now));
    assert_true(cookie_fresh(now - 3600, now));
    assert_false(cookie_fresh(now - 3601, now));
    assert_true(cookie_fresh(now + 300, now));
    assert_false(cookie_fresh(now + 301, now));
    assert_true(cookie_fresh(4294964696u, 1000)); /* an hour old across the wrap */
}

static void test_mapped_address(void **st)
{
    (void)st;
    uint8_t a[COOKIE_IP_MAX], b[COOKIE_IP_MAX];
    assert_int_equal(ip_of("::ffff:192.0.2.7", a), 4);
    assert_int_equal(ip_of("192.0.2.7", b), 4);
    assert_memory_equal(a, b, 4);
    assert_int_equal(cookie_client_ip(NULL, 0, a), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc9018_make),   cmocka_unit_test(test_rfc9018_verify),
        cmocka_unit_test(test_tampered),       cmocka_unit_test(test_fresh),
        cmocka_unit_test(test_mapped_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
