/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_httpd.c - the HTTP endpoint helper that health, ready and prometheus
 * share: a section reads as the address to serve, the endpoint answers its
 * path over a real loopback connection (and 404 elsewhere), a reload keeps
 * the very socket through the pool, and a failure is one "FILE:LINE: KEY:
 * cannot listen on ADDR: why" line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/cfg.h"
#include "core/httpd.h"
#include "core/plugin.h"

/* The handler under test: says which context it was given. */
static void hello(struct evhttp_request *req, void *ctx)
{
    httpd_reply_text(req, 200, "OK", (const char *)ctx);
}

/* GET `path` from 127.0.0.1:port while running `base`; the whole reply. */
static void http_get(struct event_base *base, uint16_t port, const char *path, char *out,
                     size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* The kernel completes the handshake from the listen backlog. */
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    char req[256];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: t\r\n\r\n", path);
    assert_int_equal(write(fd, req, (size_t)n), n);
    size_t len = 0;
    for (int rounds = 0; rounds < 500; rounds++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 10) <= 0) {
            continue;
        }
        ssize_t got = read(fd, out + len, cap - 1 - len);
        if (got <= 0) {
            break; /* HTTP/1.0: the server closes after the reply */
        }
        len += (size_t)got;
    }
    out[len] = '\0';
    close(fd);
}

/* A section node "KEY: {listen: ADDR}" in a tree of its own. */
static cfg_node_t *section(const char *yaml, const char *key, cfg_node_t **root)
{
    cfg_error_t err = {{0}};
    *root = cfg_parse_yaml(yaml, strlen(yaml), "t.yaml", &err);
    if (*root == NULL) {
        fail_msg("unexpected error: %s", err.msg);
    }
    return cfg_get(*root, key);
}

static void test_config(void **state)
{
    cfg_node_t *root;
    cfg_error_t err = {{0}};
    const char *listen;
    bool enabled;

    cfg_node_t *n = section("health: true\n", "health", &root);
    assert_int_equal(
        httpd_endpoint_config(n, "localhost:8080", "{listen: ADDR}", &listen, &enabled, &err), 0);
    assert_string_equal(listen, "localhost:8080");
    assert_true(enabled);
    cfg_free(root);

    n = section("ready:\n  listen: 127.0.0.1:81\n  other: 1\n", "ready", &root);
    assert_int_equal(
        httpd_endpoint_config(n, "localhost:8181", "{listen: ADDR}", &listen, &enabled, &err), 0);
    assert_string_equal(listen, "127.0.0.1:81");
    assert_non_null(cfg_peek(n, "other")); /* left for the plugin */
    cfg_free(root);

    n = section("metrics: [1]\n", "metrics", &root);
    assert_int_equal(
        httpd_endpoint_config(n, "localhost:9153", "{listen: ADDR}", &listen, &enabled, &err), -1);
    assert_string_equal(err.msg, "t.yaml:1: metrics: expected true/false or {listen: ADDR}");
    cfg_free(root);

    /* The address is checked even when the endpoint is off. */
    n = section("metrics:\n  listen: nowhere\n", "metrics", &root);
    assert_int_equal(
        httpd_endpoint_config(n, "localhost:9153", "{listen: ADDR}", &listen, &enabled, &err), -1);
    assert_string_equal(err.msg,
                        "t.yaml:2: metrics: bad address 'nowhere' (expected host:port or :port)");
    cfg_free(root);
}

static void test_serve_and_reload(void **state)
{
    struct event_base *base = event_base_new();
    assert_non_null(base);
    httpd_pool_t pool = {0};
    plugin_env_t env = {.control = base, .httpd = &pool};
    cfg_node_t *root;
    cfg_node_t *n = section("health: true\n", "health", &root);
    cfg_error_t err = {{0}};
    cfg_pos_t at;
    cfg_pos_of(n, &at);

    httpd_pool_begin(&pool);
    httpd_endpoint_t ep = {0};
    assert_int_equal(httpd_endpoint_open(&ep, &env, "health", &at, "127.0.0.1:0", "/health", hello,
                                         "first", &err),
                     0);
    httpd_pool_commit(&pool);
    assert_true(ep.port != 0);

    char reply[2048];
    http_get(base, ep.port, "/health", reply, sizeof(reply));
    assert_non_null(strstr(reply, " 200 OK\r\n"));
    assert_non_null(strstr(reply, "\r\n\r\nfirst"));
    http_get(base, ep.port, "/elsewhere", reply, sizeof(reply));
    assert_non_null(strstr(reply, " 404 "));
    assert_non_null(strstr(reply, "404 page not found"));

    /* A reload: the next configuration gets the same socket while the
     * old one still serves, then takes over. */
    httpd_pool_begin(&pool);
    httpd_endpoint_t next = {0};
    assert_int_equal(httpd_endpoint_open(&next, &env, "health", &at, "127.0.0.1:0", "/health",
                                         hello, "second", &err),
                     0);
    assert_int_equal(next.port, ep.port);
    httpd_pool_commit(&pool);
    httpd_endpoint_close(&ep);
    httpd_endpoint_close(&ep); /* twice is fine */
    http_get(base, next.port, "/health", reply, sizeof(reply));
    assert_non_null(strstr(reply, "\r\n\r\nsecond"));

    /* Another endpoint on that port, without the pool: in use. */
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)next.port);
    plugin_env_t bare = {.control = base};
    httpd_endpoint_t clash = {0};
    assert_int_equal(
        httpd_endpoint_open(&clash, &bare, "health", &at, addr, "/health", hello, "x", &err), -1);
    char want[200];
    snprintf(want, sizeof(want), "t.yaml:1: health: cannot listen on %s: %s", addr,
             strerror(EADDRINUSE));
    assert_string_equal(err.msg, want);
    assert_null(clash.http);

    httpd_endpoint_close(&next);
    httpd_pool_close(&pool);
    cfg_free(root);
    event_base_free(base);
}

/* Two endpoints of one configuration: on ":0" each gets a port of its own
 * and answers its own path (a reload that keeps both keeps each one's
 * socket); on one explicit address the second is refused, not left to
 * answer 404 for the first one's path half of the time. */
static void test_two_endpoints(void **state)
{
    struct event_base *base = event_base_new();
    assert_non_null(base);
    httpd_pool_t pool = {0};
    plugin_env_t env = {.control = base, .httpd = &pool};
    cfg_node_t *root;
    cfg_node_t *n = section("health: true\n", "health", &root);
    cfg_error_t err = {{0}};
    cfg_pos_t at;
    cfg_pos_of(n, &at);

    httpd_pool_begin(&pool);
    httpd_endpoint_t a = {0}, b = {0};
    assert_int_equal(
        httpd_endpoint_open(&a, &env, "health", &at, "127.0.0.1:0", "/health", hello, "a", &err),
        0);
    assert_int_equal(
        httpd_endpoint_open(&b, &env, "ready", &at, "127.0.0.1:0", "/ready", hello, "b", &err), 0);
    httpd_pool_commit(&pool);
    assert_true(a.port != 0 && b.port != 0);
    assert_int_not_equal(a.port, b.port);
    char reply[2048];
    for (int i = 0; i < 4; i++) { /* every connection, not just some */
        http_get(base, a.port, "/health", reply, sizeof(reply));
        assert_non_null(strstr(reply, "\r\n\r\na"));
        http_get(base, b.port, "/ready", reply, sizeof(reply));
        assert_non_null(strstr(reply, "\r\n\r\nb"));
    }

    /* A reload that keeps both instances keeps both sockets. */
    httpd_pool_begin(&pool);
    httpd_endpoint_keep(&env, "127.0.0.1:0", &a);
    httpd_endpoint_keep(&env, "127.0.0.1:0", &b);
    httpd_pool_commit(&pool);
    assert_int_equal(pool.n, 2);
    http_get(base, b.port, "/ready", reply, sizeof(reply));
    assert_non_null(strstr(reply, "\r\n\r\nb"));

    /* One explicit address for two endpoints of a configuration. */
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)a.port);
    httpd_endpoint_close(&a);
    httpd_endpoint_close(&b);
    httpd_pool_close(&pool);
    httpd_pool_begin(&pool);
    httpd_endpoint_t c = {0}, d = {0};
    assert_int_equal(
        httpd_endpoint_open(&c, &env, "health", &at, addr, "/health", hello, "c", &err), 0);
    assert_int_equal(httpd_endpoint_open(&d, &env, "ready", &at, addr, "/ready", hello, "d", &err),
                     -1);
    char want[300];
    snprintf(want, sizeof(want),
             "t.yaml:1: health: cannot listen on %s: another HTTP endpoint (health, ready, "
             "prometheus) listens there already; give each its own address",
             addr);
    assert_string_equal(err.msg, want);
    assert_null(d.http);
    httpd_pool_commit(&pool);

    httpd_endpoint_close(&c);
    httpd_pool_close(&pool);
    cfg_free(root);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_serve_and_reload),
        cmocka_unit_test(test_two_endpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
