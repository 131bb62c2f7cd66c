/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_redis_config.c - unit tests of plugins/redis/redis_config.c: a full
 * `redis:` section with every key, the defaults when keys are absent, and
 * one error per kind of mistake, each pointing at the right line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/cfg.h"
#include "redis/redis_config.h"

static cfg_node_t *root;

/* Parse text and read its `redis:` node; returns 0/-1 as redis_config_read. */
static int read_config(const char *text, redis_config_t *cfg, cfg_error_t *err)
{
    cfg_free(root);
    root = cfg_parse_yaml(text, strlen(text), "test.yaml", err);
    assert_non_null(root);
    cfg_node_t *node = cfg_get(root, "redis");
    assert_non_null(node);
    return redis_config_read(node, cfg, err);
}

static void test_full_config(void **state)
{
    redis_config_t cfg;
    cfg_error_t err;
    const char *text = "redis:\n"
                       "  backends:\n"
                       "    - name: us-east\n"
                       "      addresses: [\"10.0.0.1:6379\", \"10.0.0.2\", \"[fd00::1]:7000\"]\n"
                       "      username: vmdns\n"
                       "      password: secret\n"
                       "      db: 3\n"
                       "      prefix: \"dns:\"\n"
                       "      suffix: \":v1\"\n"
                       "    - name: eu-west\n"
                       "      sentinel: {addresses: [\"10.1.0.1:26379\", \"10.1.0.2\"], master: "
                       "eu, password: s}\n"
                       "  connect_timeout: 250ms\n"
                       "  read_timeout: 2s\n"
                       "  resync_interval: 0\n"
                       "  stream_maxlen: 5000\n"
                       "  default_ttl: 60\n"
                       "  max_backoff: 2s\n"
                       "  keyspace_notifications: false\n"
                       "  defaults:\n"
                       "    soa: {ns: ns1.vm.example.com., mbox: hostmaster.vm.example.com., "
                       "ttl: 120, refresh: 1, retry: 2, expire: 3, minttl: 4}\n"
                       "    ns: [ns1.vm.example.com., ns2.vm.example.com.]\n";
    assert_int_equal(read_config(text, &cfg, &err), 0);
    assert_int_equal(cfg_check_unused(root, &err), 0);
    assert_int_equal(cfg.nbackends, 2);
    redis_backend_config_t *a = &cfg.backends[0], *b = &cfg.backends[1];
    assert_string_equal(a->name, "us-east");
    assert_int_equal(a->naddrs, 3);
    assert_string_equal(a->addrs[0].host, "10.0.0.1");
    assert_int_equal(a->addrs[1].port, 6379);
    assert_string_equal(a->addrs[2].host, "fd00::1");
    assert_int_equal(a->addrs[2].port, 7000);
    assert_string_equal(a->username, "vmdns");
    assert_string_equal(a->password, "secret");
    assert_int_equal(a->db, 3);
    assert_string_equal(a->prefix, "dns:");
    assert_string_equal(a->suffix, ":v1");
    assert_false(a->sentinel);
    assert_true(b->sentinel);
    assert_string_equal(b->master, "eu");
    assert_string_equal(b->sentinel_password, "s");
    assert_int_equal(b->addrs[1].port, 26379);
    assert_string_equal(b->prefix, "");
    assert_int_equal(cfg.connect_timeout_ms, 250);
    assert_int_equal(cfg.read_timeout_ms, 2000);
    assert_int_equal(cfg.resync_interval_ms, 0);
    assert_int_equal(cfg.stream_maxlen, 5000);
    assert_int_equal(cfg.default_ttl, 60);
    assert_int_equal(cfg.max_backoff_ms, 2000);
    assert_false(cfg.keyspace_notifications);
    assert_int_equal(cfg.defaults.ttl, 120);
    assert_int_equal(cfg.defaults.minttl, 4);
    assert_int_equal(cfg.defaults.nns, 2);
    assert_true(cfg.defaults.mbox_len > 0);
    assert_true(cfg.defaults.mname_len > 0);
    redis_config_free(&cfg);
}

static void test_defaults(void **state)
{
    redis_config_t cfg;
    cfg_error_t err;
    assert_int_equal(
        read_config("redis:\n  backends:\n    - {name: a, addresses: [\"h\"]}\n", &cfg, &err), 0);
    assert_int_equal(cfg.connect_timeout_ms, 1000);
    assert_int_equal(cfg.resync_interval_ms, 60000);
    assert_int_equal(cfg.stream_maxlen, 1000000);
    assert_int_equal(cfg.default_ttl, 300);
    assert_true(cfg.keyspace_notifications);
    assert_int_equal(cfg.max_drop_pct, 50);
    assert_int_equal(cfg.drop_confirm_ms, 300000);
    assert_int_equal(cfg.defaults.refresh, 3600);
    assert_int_equal(cfg.defaults.nns, 0);
    assert_int_equal(cfg.backends[0].db, 0);
    assert_null(cfg.state_file); /* $STATE_DIRECTORY/redis-zones, else none */
    redis_config_free(&cfg);
    assert_int_equal(read_config("redis:\n  backends:\n    - {name: a, addresses: [\"h\"]}\n"
                                 "  state_file: /var/lib/vmdns/z\n",
                                 &cfg, &err),
                     0);
    assert_string_equal(cfg.state_file, "/var/lib/vmdns/z");
    redis_config_free(&cfg);
}

/* The drop guard's settings (issue 13): "30%" or 30; 100% is off. */
static void test_drop_guard(void **state)
{
    redis_config_t cfg;
    cfg_error_t err;
    assert_int_equal(read_config("redis:\n  backends:\n    - {name: a, addresses: [\"h\"]}\n"
                                 "  max_drop: 30%\n  drop_confirm: 90s\n",
                                 &cfg, &err),
                     0);
    assert_int_equal(cfg.max_drop_pct, 30);
    assert_int_equal(cfg.drop_confirm_ms, 90000);
    redis_config_free(&cfg);
    cfg_free(root);
    root = NULL;
    assert_int_equal(read_config("redis:\n  backends:\n    - {name: a, addresses: [\"h\"]}\n"
                                 "  max_drop: 100\n  drop_confirm: 0\n",
                                 &cfg, &err),
                     0);
    assert_int_equal(cfg.max_drop_pct, 100);
    assert_int_equal(cfg.drop_confirm_ms, 0);
    redis_config_free(&cfg);
}

/* The config must fail with an error mentioning `what` at `line`. */
static void expect_error(const char *text, int line, const char *what)
{
    redis_config_t cfg;
    cfg_error_t err;
    assert_int_equal(read_config(text, &cfg, &err), -1);
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "test.yaml:%d:", line);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0 || strstr(err.msg, what) == NULL) {
        fail_msg("want '%s...%s', got '%s'", prefix, what, err.msg);
    }
}

static void test_errors(void **state)
{
    expect_error("redis:\n  connect_timeout: 1s\n", 2, "backends");
    expect_error("redis:\n  backends: []\n", 2, "backends");
    expect_error("redis:\n  backends:\n    - {addresses: [\"h\"]}\n", 3, "name");
    expect_error("redis:\n  backends:\n    - {name: a}\n", 3, "either");
    expect_error("redis:\n  backends:\n    - name: a\n      addresses: [\"h\"]\n"
                 "      sentinel: {addresses: [\"h\"], master: m}\n",
                 3, "either");
    expect_error("redis:\n  backends:\n    - name: a\n      addresses: [\"h:99999\"]\n", 4,
                 "bad address");
    expect_error("redis:\n  backends:\n    - {name: a, addresses: [h]}\n    - {name: a, "
                 "addresses: [h]}\n",
                 4, "twice");
    expect_error("redis:\n  backends:\n    - name: a\n      sentinel: {addresses: [h]}\n", 4,
                 "master");
    expect_error("redis:\n  backends:\n    - {name: a, addresses: [h]}\n  connect_timeout: soon\n",
                 4, "duration");
    expect_error("redis:\n  backends:\n    - {name: a, addresses: [h]}\n  defaults:\n"
                 "    soa: {mbox: \"a..b\"}\n",
                 5, "bad domain name");
    expect_error("redis:\n  backends:\n    - {name: a, addresses: [h], db: x}\n", 3, "");
    expect_error("redis:\n  backends:\n    - {name: a, addresses: [h], username: u}\n", 3,
                 "needs 'password'");
    expect_error("redis:\n  backends:\n    - {name: a, addresses: [h]}\n  max_drop: 101%\n", 4,
                 "max_drop must be a percentage");
    expect_error("redis:\n  backends:\n    - {name: a, addresses: [h]}\n  max_drop: half\n", 4,
                 "max_drop must be a percentage");
    expect_error("redis:\n  backends:\n    - {name: a, addresses: [h]}\n  drop_confirm: x\n", 4,
                 "duration");
}

static int teardown(void **state)
{
    cfg_free(root);
    root = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_drop_guard),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
