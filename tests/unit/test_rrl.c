/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_rrl.c - response rate limiting: the token bucket and its penalty
 * window, client prefixes, account keys, the table's bound, the respond
 * hook's decisions (slip, TCP, cookies, zones, report-only) and the
 * config's defaults and errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "core/plugin.h"
#include "rrl/rrl.h"
#include "rrl/rrl_config.h"
#include "rrl/rrl_table.h"

#define NS_PER_S 1000000000ull

static uint32_t at_s(double s)
{
    return rrl_ticks((uint64_t)(s * NS_PER_S) + 1000 * NS_PER_S);
}

static rrl_client_t client4(const char *ip, unsigned len)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &sin.sin_addr);
    rrl_client_t c;
    assert_true(rrl_client_of((struct sockaddr *)&sin, sizeof(sin), len, 56, &c));
    return c;
}

static rrl_client_t client6(const char *ip, unsigned len)
{
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, ip, &sin6.sin6_addr);
    rrl_client_t c;
    assert_true(rrl_client_of((struct sockaddr *)&sin6, sizeof(sin6), 24, len, &c));
    return c;
}

/* 5 per second, window 15: a burst of 5 passes, then limited; the debt of
 * a flood is capped at window * rate, paid back at the rate. */
static void test_bucket(void **state)
{
    rrl_table_t *t = rrl_table_new(64);
    rrl_limit_t lim;
    rrl_limit_init(&lim, 5000, 15);
    rrl_client_t c = client4("192.0.2.1", 24);
    uint64_t key = rrl_key(t, &c, RRL_ANSWER, 1, (const uint8_t *)"\1a\0", 3);
    for (int i = 0; i < 5; i++) {
        assert_false(rrl_table_charge(t, key, &lim, at_s(0)));
    }
    assert_true(rrl_table_charge(t, key, &lim, at_s(0)));
    for (int i = 0; i < 1000; i++) {
        assert_true(rrl_table_charge(t, key, &lim, at_s(0)));
    }
    assert_int_equal(rrl_table_balance(t, key), -75); /* floor: -window * rate */
    /* One second later: 5 tokens back, still in debt. */
    assert_true(rrl_table_charge(t, key, &lim, at_s(1.5)));
    /* After the window (15 s of silence pays 75 tokens) it answers again. */
    assert_false(rrl_table_charge(t, key, &lim, at_s(17.5)));
    /* Credit never exceeds one second's worth: an hour of silence, then a
     * burst of 5 passes and the 6th does not. */
    for (int i = 0; i < 5; i++) {
        assert_false(rrl_table_charge(t, key, &lim, at_s(3600)));
    }
    assert_true(rrl_table_charge(t, key, &lim, at_s(3600)));
    /* A steady client at the rate is never limited. */
    uint64_t steady = rrl_key(t, &c, RRL_ANSWER, 1, (const uint8_t *)"\1b\0", 3);
    for (int i = 0; i < 500; i++) {
        assert_false(rrl_table_charge(t, steady, &lim, at_s(4000 + i * 0.2)));
    }
    /* Rate 0: never limited. */
    rrl_limit_t off;
    rrl_limit_init(&off, 0, 15);
    for (int i = 0; i < 100; i++) {
        assert_false(rrl_table_charge(t, key, &off, at_s(3600)));
    }
    rrl_table_unref(t);
}

/* Half a response per second: one answer, then one every two seconds. */
static void test_fractional_rate(void **state)
{
    rrl_table_t *t = rrl_table_new(4);
    rrl_limit_t lim;
    rrl_limit_init(&lim, 500, 2);
    rrl_client_t c = client4("192.0.2.1", 24);
    uint64_t key = rrl_key(t, &c, RRL_ERROR, 0, NULL, 0);
    assert_false(rrl_table_charge(t, key, &lim, at_s(0)));
    assert_true(rrl_table_charge(t, key, &lim, at_s(0.1)));
    /* Debt at most window * rate = 1 token: 4 s of silence repay it. */
    assert_true(rrl_table_charge(t, key, &lim, at_s(1)));
    assert_false(rrl_table_charge(t, key, &lim, at_s(5.1)));
    rrl_table_unref(t);
}

static void test_prefixes(void **state)
{
    rrl_client_t a = client4("127.0.1.5", 24), b = client4("127.0.1.200", 24),
                 other = client4("127.0.2.5", 24);
    assert_memory_equal(&a, &b, sizeof(a));
    assert_memory_not_equal(&a, &other, sizeof(a));
    assert_int_equal(a.family, 4);
    assert_int_equal(a.addr[3], 0);
    assert_int_equal(a.addr[2], 1);
    /* /32 keeps the whole address, /20 cuts inside a byte. */
    rrl_client_t full = client4("127.0.1.5", 32);
    assert_int_equal(full.addr[3], 5);
    rrl_client_t p20 = client4("10.1.255.9", 20);
    assert_int_equal(p20.addr[2], 0xf0);
    assert_int_equal(p20.addr[3], 0);
    /* IPv6 /56; an IPv4-mapped address is its IPv4 client. */
    rrl_client_t x = client6("2001:db8:1:2ff::1", 56), y = client6("2001:db8:1:200::9", 56),
                 z = client6("2001:db8:1:300::1", 56);
    assert_memory_equal(&x, &y, sizeof(x));
    assert_memory_not_equal(&x, &z, sizeof(x));
    assert_int_equal(x.family, 6);
    rrl_client_t mapped = client6("::ffff:127.0.1.77", 56);
    assert_memory_equal(&mapped, &a, sizeof(a));
    /* Neither family: not accounted. */
    struct sockaddr sa = {.sa_family = AF_UNIX};
    rrl_client_t none;
    assert_false(rrl_client_of(&sa, sizeof(sa), 24, 56, &none));
    assert_false(rrl_client_of(NULL, 0, 24, 56, &none));
}

static void test_keys(void **state)
{
    rrl_table_t *t = rrl_table_new(4);
    rrl_client_t a = client4("127.0.1.5", 24), b = client4("127.0.2.5", 24);
    const uint8_t *n1 = (const uint8_t *)"\3foo\0", *n2 = (const uint8_t *)"\3bar\0";
    uint64_t k = rrl_key(t, &a, RRL_ANSWER, 1, n1, 5);
    assert_int_equal(k, rrl_key(t, &a, RRL_ANSWER, 1, n1, 5));
    assert_int_not_equal(k, rrl_key(t, &b, RRL_ANSWER, 1, n1, 5));
    assert_int_not_equal(k, rrl_key(t, &a, RRL_ANSWER, 28, n1, 5));
    assert_int_not_equal(k, rrl_key(t, &a, RRL_NODATA, 1, n1, 5));
    assert_int_not_equal(k, rrl_key(t, &a, RRL_ANSWER, 1, n2, 5));
    /* Another table has another secret. */
    rrl_table_t *t2 = rrl_table_new(4);
    assert_int_not_equal(k, rrl_key(t2, &a, RRL_ANSWER, 1, n1, 5));
    rrl_table_unref(t2);
    rrl_table_unref(t);
}

/* The table never grows: 10,000 accounts in 8 buckets evict each other
 * (a new account starts full), and the most recent ones stay. */
static void test_table_bound(void **state)
{
    rrl_table_t *t = rrl_table_new(5);
    assert_int_equal(rrl_table_size(t), 8);
    rrl_limit_t lim;
    rrl_limit_init(&lim, 1000, 15);
    rrl_client_t c = client4("192.0.2.1", 24);
    for (uint32_t i = 0; i < 10000; i++) {
        uint8_t name[6] = {4, (uint8_t)i, (uint8_t)(i >> 8), 'x', 'y', 0};
        uint64_t key = rrl_key(t, &c, RRL_ANSWER, 1, name, sizeof(name));
        assert_false(rrl_table_charge(t, key, &lim, at_s(i * 0.001)));
    }
    assert_int_equal(rrl_table_size(t), 8);
    assert_true(atomic_load(&t->evictions) >= 10000 - 8);
    /* The one account charged last is still there, one token spent. */
    uint8_t last[6] = {4, (uint8_t)9999, (uint8_t)(9999 >> 8), 'x', 'y', 0};
    assert_int_equal(rrl_table_balance(t, rrl_key(t, &c, RRL_ANSWER, 1, last, 6)), 0);
    rrl_table_unref(t);
}

/* ---- the plugin's respond hook ---- */

typedef struct hook {
    cfg_node_t *root;
    void *conf;
    void *state;
} hook_t;

static void hook_setup(hook_t *h, const char *yaml)
{
    cfg_error_t err = {{0}};
    h->root = cfg_parse_yaml(yaml, strlen(yaml), "t.yaml", &err);
    assert_non_null(h->root);
    if (plugin_rrl.parse(NULL, cfg_get(h->root, "rrl"), &h->conf, &err) != 0) {
        fail_msg("parse: %s", err.msg);
    }
    plugin_env_t env = {0};
    assert_int_equal(plugin_rrl.setup(&env, h->conf, &h->state, &err), 0);
}

static void hook_free(hook_t *h)
{
    plugin_rrl.teardown(h->state);
    plugin_rrl.conf_free(h->conf);
    cfg_free(h->root);
}

typedef struct query {
    wire_query_t q;
    struct sockaddr_in peer;
    request_t req;
} query_t;

static respond_action_t ask(hook_t *h, const char *from, const char *qname, answer_kind_t kind,
                            double t)
{
    query_t x;
    memset(&x, 0, sizeof(x));
    x.q.qname_len = (uint8_t)name_from_text(qname, x.q.qname);
    x.q.qtype = 1;
    x.q.has_question = true;
    x.peer.sin_family = AF_INET;
    inet_pton(AF_INET, from, &x.peer.sin_addr);
    x.req.q = &x.q;
    x.req.proto = REQ_UDP;
    x.req.peer = (struct sockaddr *)&x.peer;
    x.req.peer_len = sizeof(x.peer);
    x.req.start_ns = (uint64_t)(t * NS_PER_S) + 1000 * NS_PER_S;
    x.req.meta.kind = kind;
    /* NXDOMAIN and errors are charged to the zone (what answer.c says). */
    static const uint8_t zone[] = "\2vm\4test";
    x.req.meta.charged = zone;
    x.req.meta.charged_len = sizeof(zone);
    return plugin_rrl.respond(h->state, &x.req);
}

static void test_respond_slip(void **state)
{
    hook_t h;
    hook_setup(&h, "rrl:\n  responses-per-second: 2\n  slip-ratio: 3\n  zones: [vm.test]\n");
    assert_int_equal(ask(&h, "127.0.1.1", "a.vm.test", ANSWER_KIND_ANSWER, 0), RESPOND_SEND);
    assert_int_equal(ask(&h, "127.0.1.2", "a.vm.test", ANSWER_KIND_ANSWER, 0), RESPOND_SEND);
    /* Same /24, same name: limited; every 3rd limited one slips. */
    respond_action_t want[] = {RESPOND_DROP, RESPOND_DROP, RESPOND_TRUNCATE,
                               RESPOND_DROP, RESPOND_DROP, RESPOND_TRUNCATE};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(ask(&h, "127.0.1.9", "a.vm.test", ANSWER_KIND_ANSWER, 0.01), want[i]);
    }
    /* Another /24, another name, a name outside the zones: untouched. */
    assert_int_equal(ask(&h, "127.0.2.1", "a.vm.test", ANSWER_KIND_ANSWER, 0.01), RESPOND_SEND);
    assert_int_equal(ask(&h, "127.0.1.1", "b.vm.test", ANSWER_KIND_ANSWER, 0.01), RESPOND_SEND);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(ask(&h, "127.0.1.1", "a.other.test", ANSWER_KIND_ANSWER, 0.01),
                         RESPOND_SEND);
    }
    /* NXDOMAIN for random names is one account (the zone). */
    assert_int_equal(ask(&h, "127.0.3.1", "x1.vm.test", ANSWER_KIND_NXDOMAIN, 0), RESPOND_SEND);
    assert_int_equal(ask(&h, "127.0.3.1", "x2.vm.test", ANSWER_KIND_NXDOMAIN, 0), RESPOND_SEND);
    assert_int_not_equal(ask(&h, "127.0.3.1", "x3.vm.test", ANSWER_KIND_NXDOMAIN, 0), RESPOND_SEND);
    /* Errors: one account per client, whatever the name. */
    assert_int_equal(ask(&h, "127.0.4.1", "e1.vm.test", ANSWER_KIND_ERROR, 0), RESPOND_SEND);
    assert_int_equal(ask(&h, "127.0.4.1", "e2.vm.test", ANSWER_KIND_ERROR, 0), RESPOND_SEND);
    assert_int_not_equal(ask(&h, "127.0.4.1", "e3.vm.test", ANSWER_KIND_ERROR, 0), RESPOND_SEND);

    /* TCP and a valid server cookie are never limited. */
    query_t x;
    memset(&x, 0, sizeof(x));
    x.q.qname_len = (uint8_t)name_from_text("a.vm.test", x.q.qname);
    x.q.qtype = 1;
    x.peer.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.1.9", &x.peer.sin_addr);
    x.req = (request_t){.q = &x.q,
                        .proto = REQ_TCP,
                        .peer = (struct sockaddr *)&x.peer,
                        .peer_len = sizeof(x.peer),
                        .start_ns = 1000 * NS_PER_S};
    for (int i = 0; i < 10; i++) {
        assert_int_equal(plugin_rrl.respond(h.state, &x.req), RESPOND_SEND);
    }
    x.req.proto = REQ_UDP;
    x.req.server_cookie_ok = true;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(plugin_rrl.respond(h.state, &x.req), RESPOND_SEND);
    }
    x.req.server_cookie_ok = false;
    assert_int_not_equal(plugin_rrl.respond(h.state, &x.req), RESPOND_SEND);
    hook_free(&h);
}

/* slip-ratio 0 drops every limited response; 1 truncates every one. */
static void test_slip_extremes(void **state)
{
    hook_t h;
    hook_setup(&h, "rrl:\n  responses-per-second: 1\n  slip-ratio: 0\n");
    assert_int_equal(ask(&h, "127.0.1.1", "a.vm.test", ANSWER_KIND_ANSWER, 0), RESPOND_SEND);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(ask(&h, "127.0.1.1", "a.vm.test", ANSWER_KIND_ANSWER, 0), RESPOND_DROP);
    }
    hook_free(&h);
    hook_setup(&h, "rrl:\n  responses-per-second: 1\n  slip-ratio: 1\n");
    assert_int_equal(ask(&h, "127.0.1.1", "a.vm.test", ANSWER_KIND_ANSWER, 0), RESPOND_SEND);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(ask(&h, "127.0.1.1", "a.vm.test", ANSWER_KIND_ANSWER, 0),
                         RESPOND_TRUNCATE);
    }
    hook_free(&h);
}

/* report-only sends everything; requests-per-second limits whatever the
 * response; per-kind allowances default to responses-per-second. */
static void test_report_only_and_requests(void **state)
{
    hook_t h;
    hook_setup(&h, "rrl:\n  responses-per-second: 1\n  report-only: true\n");
    for (int i = 0; i < 20; i++) {
        assert_int_equal(ask(&h, "127.0.1.1", "a.vm.test", ANSWER_KIND_ANSWER, 0), RESPOND_SEND);
    }
    hook_free(&h);

    hook_setup(&h, "rrl:\n  requests-per-second: 3\n  slip-ratio: 0\n");
    /* Responses are not limited (responses-per-second 0), requests are:
     * three distinct names pass, the fourth does not. */
    assert_int_equal(ask(&h, "127.0.1.1", "a.vm.test", ANSWER_KIND_ANSWER, 0), RESPOND_SEND);
    assert_int_equal(ask(&h, "127.0.1.1", "b.vm.test", ANSWER_KIND_NXDOMAIN, 0), RESPOND_SEND);
    assert_int_equal(ask(&h, "127.0.1.1", "c.vm.test", ANSWER_KIND_ERROR, 0), RESPOND_SEND);
    assert_int_equal(ask(&h, "127.0.1.1", "d.vm.test", ANSWER_KIND_ANSWER, 0), RESPOND_DROP);
    assert_int_equal(ask(&h, "127.0.9.1", "d.vm.test", ANSWER_KIND_ANSWER, 0), RESPOND_SEND);
    hook_free(&h);

    hook_setup(&h, "rrl:\n  responses-per-second: 1\n  nxdomains-per-second: 0\n");
    const rrl_conf_t *c = h.conf;
    assert_int_equal(c->rate_milli[RRL_NODATA], 1000);
    assert_int_equal(c->rate_milli[RRL_ERROR], 1000);
    assert_int_equal(c->rate_milli[RRL_NXDOMAIN], 0);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(ask(&h, "127.0.1.1", "n.vm.test", ANSWER_KIND_NXDOMAIN, 0), RESPOND_SEND);
    }
    hook_free(&h);
}

/* The table lives for the process (plugin_kept): a new instance (a
 * reload, another server block) takes the table of its max-table-size,
 * with its accounts; another size gets a table of its own, and the first
 * size finds its table again. */
static void test_kept_tables(void **state)
{
    static plugin_shared_t shared; /* zero: what main starts with */
    plugin_env_t env = {.shared = &shared};
    cfg_error_t err = {{0}};
    const char *yaml[] = {"rrl: {responses-per-second: 1}\n",
                          "rrl: {responses-per-second: 5, max-table-size: 64}\n"};
    cfg_node_t *root[2];
    void *conf[2], *a, *b, *c;
    for (int i = 0; i < 2; i++) {
        root[i] = cfg_parse_yaml(yaml[i], strlen(yaml[i]), "t.yaml", &err);
        assert_int_equal(plugin_rrl.parse(NULL, cfg_get(root[i], "rrl"), &conf[i], &err), 0);
    }
    assert_int_equal(plugin_rrl.setup(&env, conf[0], &a, &err), 0);
    assert_int_equal(plugin_rrl.setup(&env, conf[1], &b, &err), 0);
    assert_ptr_not_equal(rrl_instance_table(a), rrl_instance_table(b));
    assert_int_equal(rrl_table_size(rrl_instance_table(b)), 64);
    /* An account limited in the first instance ... */
    rrl_table_t *t = rrl_instance_table(a);
    rrl_client_t cl = client4("127.0.1.1", 24);
    uint64_t key = rrl_key(t, &cl, RRL_ERROR, 0, NULL, 0);
    assert_int_equal(ask(&(hook_t){.state = a}, "127.0.1.1", "x.vm.test", ANSWER_KIND_ERROR, 0),
                     RESPOND_SEND);
    assert_int_equal(rrl_table_balance(t, key), 0);
    /* ... is still limited after a "reload" (a new instance, old torn down). */
    plugin_rrl.teardown(a);
    assert_int_equal(plugin_rrl.setup(&env, conf[0], &c, &err), 0);
    assert_ptr_equal(rrl_instance_table(c), t);
    assert_int_not_equal(ask(&(hook_t){.state = c}, "127.0.1.1", "y.vm.test", ANSWER_KIND_ERROR, 0),
                         RESPOND_SEND);
    plugin_rrl.teardown(b);
    plugin_rrl.teardown(c);
    for (int i = 0; i < 2; i++) {
        plugin_rrl.conf_free(conf[i]);
        cfg_free(root[i]);
    }
    plugin_kept_free_all(&shared);
}

/* ---- config ---- */

static void expect_conf_error(const char *yaml, const char *want)
{
    cfg_error_t err = {{0}};
    cfg_node_t *root = cfg_parse_yaml(yaml, strlen(yaml), "t.yaml", &err);
    assert_non_null(root);
    void *conf = NULL;
    assert_int_equal(rrl_conf_parse(cfg_get(root, "rrl"), &conf, &err), -1);
    assert_null(conf);
    assert_string_equal(err.msg, want);
    cfg_free(root);
}

static void test_config(void **state)
{
    const char *yaml = "rrl: {}\n";
    cfg_error_t err = {{0}};
    cfg_node_t *root = cfg_parse_yaml(yaml, strlen(yaml), "t.yaml", &err);
    void *conf = NULL;
    assert_int_equal(rrl_conf_parse(cfg_get(root, "rrl"), &conf, &err), 0);
    const rrl_conf_t *c = conf;
    assert_int_equal(c->window_s, 15);
    assert_int_equal(c->v4_prefix, 24);
    assert_int_equal(c->v6_prefix, 56);
    assert_int_equal(c->slip, 2);
    assert_int_equal(c->table_size, 100000);
    assert_false(c->report_only);
    assert_true(c->all_zones);
    for (int k = 0; k < RRL_NKINDS; k++) {
        assert_int_equal(c->rate_milli[k], 0);
    }
    void *conf2 = NULL;
    assert_int_equal(rrl_conf_parse(cfg_get(root, "rrl"), &conf2, &err), 0);
    assert_true(rrl_conf_equal(conf, conf2));
    ((rrl_conf_t *)conf2)->slip = 3;
    assert_false(rrl_conf_equal(conf, conf2));
    rrl_conf_free(conf2);
    rrl_conf_free(conf);
    cfg_free(root);

    yaml = "rrl:\n  window: 5\n  responses-per-second: 0.25\n  zones: [Vm.Test, .]\n";
    root = cfg_parse_yaml(yaml, strlen(yaml), "t.yaml", &err);
    assert_int_equal(rrl_conf_parse(cfg_get(root, "rrl"), &conf, &err), 0);
    c = conf;
    assert_int_equal(c->window_s, 5);
    assert_int_equal(c->rate_milli[RRL_ANSWER], 250);
    assert_int_equal(c->nzones, 2);
    assert_true(c->all_zones);
    assert_memory_equal(c->zones[0].wire, "\2vm\4test", 9);
    rrl_conf_free(conf);
    cfg_free(root);

    expect_conf_error("rrl:\n  responses-per-second: fast\n",
                      "t.yaml:2: rrl: responses-per-second: expected a number of responses per "
                      "second from 0 to 100000 (at most 3 decimals), got 'fast'");
    expect_conf_error("rrl:\n  errors-per-second: 1.2345\n",
                      "t.yaml:2: rrl: errors-per-second: expected a number of responses per "
                      "second from 0 to 100000 (at most 3 decimals), got '1.2345'");
    expect_conf_error("rrl:\n  ipv4-prefix-length: 33\n",
                      "t.yaml:2: ipv4-prefix-length: expected a whole number from 1 to 32, got "
                      "'33'");
    expect_conf_error("rrl:\n  window: 0\n",
                      "t.yaml:2: rrl: window: expected whole seconds from 1 to 3600");
    expect_conf_error("rrl:\n  slip-ratio: 101\n",
                      "t.yaml:2: slip-ratio: expected a whole number from 0 to 100, got '101'");
    expect_conf_error("rrl:\n  max-table-size: 0\n",
                      "t.yaml:2: max-table-size: expected a whole number from 4 to 16777216, got "
                      "'0'");
    expect_conf_error("rrl:\n  window: 3600\n  responses-per-second: 1000\n",
                      "t.yaml:2: rrl: responses-per-second times window must be at most 500000 "
                      "(a flood's debt); lower the rate or the window");
    expect_conf_error("rrl:\n  zones: vm.test\n", "t.yaml:2: rrl: zones: expected a list of zone "
                                                  "names");
    expect_conf_error("rrl: [1]\n", "t.yaml:1: rrl: expected a map of options (or true/false)");

    /* rrl: false: configured off (no state, every response sent). */
    yaml = "rrl: false\n";
    root = cfg_parse_yaml(yaml, strlen(yaml), "t.yaml", &err);
    assert_int_equal(rrl_conf_parse(cfg_get(root, "rrl"), &conf, &err), 0);
    assert_null(conf);
    cfg_free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket),        cmocka_unit_test(test_fractional_rate),
        cmocka_unit_test(test_prefixes),      cmocka_unit_test(test_keys),
        cmocka_unit_test(test_table_bound),   cmocka_unit_test(test_respond_slip),
        cmocka_unit_test(test_slip_extremes), cmocka_unit_test(test_report_only_and_requests),
        cmocka_unit_test(test_kept_tables),   cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
