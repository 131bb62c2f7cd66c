/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_vmssh_grace.c - the grace period: counting established connections
 * to a port through sock_diag against real loopback sockets (IPv4 and
 * IPv6), the wait's three outcomes and its lines, and the grace: section
 * of the config.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "vmssh_int.h"

#define MAX_CONN 8

typedef struct conns {
    uint16_t port;
    int l4, l6;                          /* listeners (l6 -1 without IPv6) */
    int cli[MAX_CONN], srv[MAX_CONN], n; /* both ends of each connection */
} conns_t;

/* An IPv4 listener on 127.0.0.1:0 and an IPv6-only one on the same port
 * of ::1 (when the host has IPv6 loopback). */
static void listen_both(conns_t *c)
{
    memset(c, 0, sizeof(*c));
    for (int tries = 0; tries < 20; tries++) {
        struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        c->l4 = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(c->l4 >= 0);
        assert_int_equal(bind(c->l4, (struct sockaddr *)&a4, sizeof(a4)), 0);
        socklen_t len = sizeof(a4);
        assert_int_equal(getsockname(c->l4, (struct sockaddr *)&a4, &len), 0);
        assert_int_equal(listen(c->l4, MAX_CONN), 0);
        c->port = ntohs(a4.sin_port);
        c->l6 = socket(AF_INET6, SOCK_STREAM, 0);
        if (c->l6 < 0)
            return;
        int on = 1;
        setsockopt(c->l6, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
                                  .sin6_addr = IN6ADDR_LOOPBACK_INIT,
                                  .sin6_port = htons(c->port)};
        if (bind(c->l6, (struct sockaddr *)&a6, sizeof(a6)) == 0) {
            assert_int_equal(listen(c->l6, MAX_CONN), 0);
            return;
        }
        close(c->l6);
        c->l6 = -1;
        if (errno != EADDRINUSE) /* no IPv6 loopback here */
            return;
        close(c->l4);
    }
    fail_msg("no port free on both 127.0.0.1 and ::1");
}

static void connect_one(conns_t *c, int family)
{
    assert_true(c->n < MAX_CONN);
    int fd = socket(family, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    int r;
    if (family == AF_INET) {
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                                .sin_port = htons(c->port)};
        r = connect(fd, (struct sockaddr *)&a, sizeof(a));
    } else {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6,
                                 .sin6_addr = IN6ADDR_LOOPBACK_INIT,
                                 .sin6_port = htons(c->port)};
        r = connect(fd, (struct sockaddr *)&a, sizeof(a));
    }
    assert_int_equal(r, 0);
    int s = accept(family == AF_INET ? c->l4 : c->l6, NULL, NULL);
    assert_true(s >= 0);
    c->cli[c->n] = fd;
    c->srv[c->n] = s;
    c->n++;
}

static void close_all(conns_t *c)
{
    for (int i = 0; i < c->n; i++) {
        close(c->cli[i]);
        close(c->srv[i]);
    }
    c->n = 0;
    close(c->l4);
    if (c->l6 >= 0)
        close(c->l6);
}

static int sessions(uint16_t port)
{
    vmssh_error_t err;
    int n = vmssh_tcp_sessions(port, &err);
    if (n < 0)
        fail_msg("vmssh_tcp_sessions: %s", err.message);
    return n;
}

static void test_count_loopback(void **state)
{
    (void)state;
    conns_t c;
    listen_both(&c);
    assert_int_equal(sessions(c.port), 0); /* listeners are not sessions */
    connect_one(&c, AF_INET);
    connect_one(&c, AF_INET);
    connect_one(&c, AF_INET);
    int want = 3;
    if (c.l6 >= 0) {
        connect_one(&c, AF_INET6);
        connect_one(&c, AF_INET6);
        want = 5;
    } else {
        fprintf(stderr, "note: no IPv6 loopback here; IPv4 only\n");
    }
    /* Only the accepted ends have the port as their local port. */
    assert_int_equal(sessions(c.port), want);
    close(c.cli[0]);
    close(c.srv[0]);
    c.cli[0] = c.srv[0] = -1;
    assert_int_equal(sessions(c.port), want - 1);
    close_all(&c);
    assert_int_equal(sessions(c.port), 0);
}

typedef struct said {
    char lines[8][160];
    int n;
} said_t;

static void collect(const char *line, void *ud)
{
    said_t *s = ud;
    if (s->n < 8)
        snprintf(s->lines[s->n], sizeof(s->lines[0]), "%s", line);
    s->n++;
}

static int run_grace(uint16_t port, int64_t max_ms, const char *max_text, said_t *s)
{
    vmssh_grace_opts_t o;
    vmssh_grace_opts_init(&o);
    o.port = port;
    o.max_ms = max_ms;
    o.interval_ms = 50;
    o.max_text = max_text;
    o.say = collect;
    o.ud = s;
    vmssh_error_t err;
    int r = vmssh_grace(NULL, &o, &err);
    if (r < 0)
        fail_msg("vmssh_grace: %s", err.message);
    return r;
}

static void test_grace_none_and_limit(void **state)
{
    (void)state;
    conns_t c;
    listen_both(&c);
    said_t s = {0};
    assert_int_equal(run_grace(c.port, 5000, NULL, &s), VMSSH_GRACE_NONE);
    assert_int_equal(s.n, 0); /* silent */
    connect_one(&c, AF_INET);
    memset(&s, 0, sizeof(s));
    assert_int_equal(run_grace(c.port, 200, NULL, &s), VMSSH_GRACE_LIMIT);
    assert_true(s.n >= 2);
    assert_string_equal(s.lines[0], "Job completed. SSH sessions active, waiting up to 200ms...");
    assert_string_equal(s.lines[1], "1 SSH session active");
    close_all(&c);
}

static void *close_later(void *arg)
{
    conns_t *c = arg;
    usleep(150 * 1000);
    close(c->cli[1]);
    close(c->srv[1]);
    usleep(150 * 1000);
    close(c->cli[0]);
    close(c->srv[0]);
    c->n = 0;
    return NULL;
}

static void test_grace_ended(void **state)
{
    (void)state;
    conns_t c;
    listen_both(&c);
    connect_one(&c, AF_INET);
    connect_one(&c, c.l6 >= 0 ? AF_INET6 : AF_INET);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, close_later, &c), 0);
    said_t s = {0};
    assert_int_equal(run_grace(c.port, 10000, "4m50s", &s), VMSSH_GRACE_ENDED);
    pthread_join(t, NULL);
    assert_string_equal(s.lines[0], "Job completed. SSH sessions active, waiting up to 4m50s...");
    assert_string_equal(s.lines[1], "2 SSH sessions active");
    assert_string_equal(s.lines[2], "1 SSH session active");
    assert_string_equal(s.lines[s.n - 1], "All SSH sessions ended");
    close_all(&c);
}

static void test_grace_config(void **state)
{
    (void)state;
    static const char base[] = "external_interface: eth0\nport_range: 30000-30010\n"
                               "public_ipv4: 203.0.113.10\n";
    vmssh_config_t cfg;
    vmssh_error_t err;
    assert_int_equal(vmssh_config_parse(base, strlen(base), "t.yaml", &cfg, &err), 0);
    assert_int_equal(cfg.grace_max_ms, 290000);
    assert_int_equal(cfg.grace_interval_ms, 10000);
    vmssh_config_free(&cfg);
    char text[256];
    snprintf(text, sizeof(text), "%sgrace: {max: 1m30s, interval: 500ms}\n", base);
    assert_int_equal(vmssh_config_parse(text, strlen(text), "t.yaml", &cfg, &err), 0);
    assert_int_equal(cfg.grace_max_ms, 90000);
    assert_int_equal(cfg.grace_interval_ms, 500);
    vmssh_config_free(&cfg);
    snprintf(text, sizeof(text), "%sgrace:\n  maximum: 1m\n", base);
    assert_int_equal(vmssh_config_parse(text, strlen(text), "t.yaml", &cfg, &err), -1);
    assert_int_equal(err.code, VMSSH_ERR_CONFIG);
    assert_non_null(strstr(err.message, "t.yaml:5:"));
    snprintf(text, sizeof(text), "%sgrace: {interval: 0s}\n", base);
    assert_int_equal(vmssh_config_parse(text, strlen(text), "t.yaml", &cfg, &err), -1);
    assert_non_null(strstr(err.message, "grace.interval"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_loopback),
        cmocka_unit_test(test_grace_none_and_limit),
        cmocka_unit_test(test_grace_ended),
        cmocka_unit_test(test_grace_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
