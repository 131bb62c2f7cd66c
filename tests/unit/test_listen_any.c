/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_listen_any.c - ":PORT" (every address, what a Corefile server block
 * without `bind` listens on) is decided when the server binds, not when
 * the config is read: on a host without IPv6 the server listens on
 * 0.0.0.0 only and starts; with IPv6 on [::] too; an address named
 * explicitly is never dropped; the same socket address given twice is
 * bound once.
 *
 * "A host without IPv6" is simulated: this executable defines socket(),
 * which the server's calls resolve to, and refuses AF_INET6 while
 * `no_ipv6` is set (as a kernel booted with ipv6.disable=1 does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/cfg.h"
#include "core/chain.h"
#include "server/server.h"
#include "view/view.h"

static bool no_ipv6;

int socket(int domain, int type, int protocol)
{
    if (domain == AF_INET6 && no_ipv6) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    return (int)syscall(SYS_socket, domain, type, protocol);
}

/* Can the real host bind IPv6? */
static bool host_has_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    if (fd < 0) {
        return false;
    }
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

typedef struct fixture {
    view_t *view;
    chain_t *chain;
} fixture_t;

static int setup(void **state)
{
    static fixture_t f;
    cfg_error_t err = {{0}};
    f.view = view_new();
    assert_non_null(f.view);
    plugin_env_t env = {.view = f.view, .workers = 1};
    f.chain = chain_new_from(NULL, 0, &env, NULL, &err);
    assert_non_null(f.chain);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    chain_free(f->chain);
    view_free(f->view);
    no_ipv6 = false;
    return 0;
}

/* A server for these listen addresses (one worker), not started. */
static server_t *server_for(const fixture_t *f, const char **listen, size_t n)
{
    char err[256];
    server_opts_t o = {.listen = listen, .nlisten = n, .workers = 1};
    server_t *s = server_new(&o, f->view, f->chain, err, sizeof(err));
    if (s == NULL) {
        fail_msg("server_new: %s", err);
    }
    return s;
}

/* The addresses bound for ":0", with or without IPv6 on the host. */
static void test_every_address(void **state)
{
    fixture_t *f = *state;
    const char *listen[] = {":0"};
    char got[256];

    no_ipv6 = true;
    server_t *s = server_for(f, listen, 1);
    server_describe(s, got, sizeof(got));
    assert_string_equal(got, "0.0.0.0:0, [::]:0"); /* before binding: both candidates */
    assert_int_equal(server_start(s), 0);          /* no IPv6: still starts */
    server_describe(s, got, sizeof(got));
    assert_null(strchr(got, ','));
    assert_int_equal(strncmp(got, "0.0.0.0:", 8), 0);
    assert_int_not_equal(server_bound_port(s, 0), 0);
    server_free(s);

    no_ipv6 = false;
    if (!host_has_ipv6()) {
        return;
    }
    s = server_for(f, listen, 1);
    assert_int_equal(server_start(s), 0);
    server_describe(s, got, sizeof(got));
    assert_int_equal(strncmp(got, "0.0.0.0:", 8), 0);
    assert_non_null(strstr(got, ", [::]:"));
    server_free(s);
}

/* "[::]:0" asked for by name is not optional: no IPv6, no start. */
static void test_named_ipv6_required(void **state)
{
    fixture_t *f = *state;
    const char *listen[] = {"127.0.0.1:0", "[::]:0"};
    no_ipv6 = true;
    server_t *s = server_for(f, listen, 2);
    assert_int_equal(server_start(s), -1);
    server_free(s);
}

/* The same socket address from two listen addresses is one listener; it
 * stays required if either names it. */
static void test_same_address_once(void **state)
{
    fixture_t *f = *state;
    const char *listen[] = {"0.0.0.0:5353", ":5353", "[::]:5353", "127.0.0.1:5353"};
    char got[256];
    server_t *s = server_for(f, listen, 4);
    server_describe(s, got, sizeof(got));
    assert_string_equal(got, "0.0.0.0:5353, [::]:5353, 127.0.0.1:5353");
    server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_named_ipv6_required, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_address_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
