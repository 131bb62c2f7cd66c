/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_redis_corefile.c - the `redis` Corefile directive can say all the
 * YAML `redis:` section can: a Corefile using every option and the YAML
 * that says the same are read (redis_config_read) into equal configs,
 * field by field, with values that differ from the defaults so a dropped
 * option shows; and each mistake in the new syntax is one "FILE:LINE:
 * problem" at the right line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/cfg.h"
#include "config/corefile.h"
#include "redis/redis_config.h"

/* Read the `redis:` section of a parsed tree; the tree must have no key
 * the readers left unused. */
static void read_tree(cfg_node_t *root, redis_config_t *cfg)
{
    cfg_error_t err = {{0}};
    if (root == NULL) {
        fail_msg("parse error: %s", err.msg);
    }
    cfg_node_t *node = cfg_get(root, "redis");
    assert_non_null(node);
    if (redis_config_read(node, cfg, &err) != 0) {
        fail_msg("redis_config_read: %s", err.msg);
    }
    if (cfg_check_unused(node, &err) != 0) {
        fail_msg("unused key: %s", err.msg);
    }
}

static void read_corefile(const char *text, redis_config_t *cfg, cfg_node_t **root)
{
    cfg_error_t err = {{0}};
    *root = cfg_parse_corefile(text, strlen(text), "t/Corefile", &err);
    if (*root == NULL) {
        fail_msg("unexpected Corefile error: %s", err.msg);
    }
    read_tree(*root, cfg);
}

static void read_yaml(const char *text, redis_config_t *cfg, cfg_node_t **root)
{
    cfg_error_t err = {{0}};
    *root = cfg_parse_yaml(text, strlen(text), "t/vmdns.yaml", &err);
    if (*root == NULL) {
        fail_msg("unexpected YAML error: %s", err.msg);
    }
    read_tree(*root, cfg);
}

/* Every option of the YAML section, in both spellings. */
static const char corefile_all[] = "vm.example.com {\n"
                                   "  redis vm.example.com {\n"
                                   "    address 10.0.0.1:6379 10.0.0.2\n"
                                   "    username vmdns\n"
                                   "    password secret\n"
                                   "    db 3\n"
                                   "    prefix dns:\n"
                                   "    suffix :v1\n"
                                   "    name us-east\n"
                                   "    connect_timeout 250\n"
                                   "    read_timeout 2s\n"
                                   "    resync_interval 0\n"
                                   "    max_backoff 2s\n"
                                   "    notify_interval 250ms\n"
                                   "    stream_maxlen 5000\n"
                                   "    default_ttl 60\n"
                                   "    keyspace_notifications false\n"
                                   "    max_drop 30%\n"
                                   "    drop_confirm 90s\n"
                                   "    state_file /var/lib/vmdns/z\n"
                                   "    limits {\n"
                                   "      records_per_name 2\n"
                                   "      value_bytes 4096\n"
                                   "      names_per_zone 500\n"
                                   "      zones_per_backend 7\n"
                                   "    }\n"
                                   "    defaults {\n"
                                   "      soa {\n"
                                   "        ns ns1.vm.example.com.\n"
                                   "        mbox hostmaster.vm.example.com.\n"
                                   "        ttl 120\n"
                                   "        refresh 1\n"
                                   "        retry 2\n"
                                   "        expire 3\n"
                                   "        minttl 4\n"
                                   "      }\n"
                                   "      ns ns1.vm.example.com. ns2.vm.example.com.\n"
                                   "    }\n"
                                   "  }\n"
                                   "  redis {\n"
                                   "    sentinel {\n"
                                   "      addresses 10.1.0.1:26379,10.1.0.2\n"
                                   "      master eu\n"
                                   "      username sentinel-user\n"
                                   "      password s\n"
                                   "    }\n"
                                   "    password node-secret\n"
                                   "    resync_interval 0\n"
                                   "    limits { records_per_name 2 }\n"
                                   "  }\n"
                                   "}\n";

static const char yaml_all[] =
    "redis:\n"
    "  backends:\n"
    "    - name: us-east\n"
    "      addresses: [\"10.0.0.1:6379\", \"10.0.0.2\"]\n"
    "      username: vmdns\n"
    "      password: secret\n"
    "      db: 3\n"
    "      prefix: \"dns:\"\n"
    "      suffix: \":v1\"\n"
    "      zones: [vm.example.com.]\n"
    "    - name: redis2\n"
    "      sentinel: {addresses: [\"10.1.0.1:26379\", \"10.1.0.2\"], master: eu,\n"
    "                 username: sentinel-user, password: s}\n"
    "      password: node-secret\n"
    "  connect_timeout: 250ms\n"
    "  read_timeout: 2s\n"
    "  resync_interval: 0\n"
    "  max_backoff: 2s\n"
    "  notify_interval: 250ms\n"
    "  stream_maxlen: 5000\n"
    "  default_ttl: 60\n"
    "  keyspace_notifications: false\n"
    "  max_drop: 30%\n"
    "  drop_confirm: 90s\n"
    "  state_file: /var/lib/vmdns/z\n"
    "  limits: {records_per_name: 2, value_bytes: 4096, names_per_zone: 500,\n"
    "           zones_per_backend: 7}\n"
    "  defaults:\n"
    "    soa: {ns: ns1.vm.example.com., mbox: hostmaster.vm.example.com., ttl: 120,\n"
    "          refresh: 1, retry: 2, expire: 3, minttl: 4}\n"
    "    ns: [ns1.vm.example.com., ns2.vm.example.com.]\n";

static void test_every_option_as_yaml(void **state)
{
    (void)state;
    redis_config_t c, y;
    cfg_node_t *croot, *yroot;
    read_corefile(corefile_all, &c, &croot);
    read_yaml(yaml_all, &y, &yroot);
    /* field by field first, so a failure names the field */
    assert_int_equal(c.nbackends, 2);
    assert_int_equal(c.resync_interval_ms, y.resync_interval_ms);
    assert_int_equal(c.resync_interval_ms, 0);
    assert_int_equal(c.max_backoff_ms, 2000);
    assert_int_equal(c.max_backoff_ms, y.max_backoff_ms);
    assert_int_equal(c.stream_maxlen, 5000);
    assert_int_equal(c.stream_maxlen, y.stream_maxlen);
    assert_false(c.keyspace_notifications);
    assert_int_equal(c.keyspace_notifications, y.keyspace_notifications);
    assert_int_equal(c.default_ttl, 60);
    assert_int_equal(c.connect_timeout_ms, 250);
    assert_int_equal(c.read_timeout_ms, 2000);
    assert_int_equal(c.max_drop_pct, 30);
    assert_int_equal(c.drop_confirm_ms, 90000);
    assert_string_equal(c.state_file, y.state_file);
    assert_int_equal(c.limits.records_per_name, 2);
    assert_int_equal(c.limits.value_bytes, 4096);
    assert_int_equal(c.limits.names_per_zone, 500);
    assert_int_equal(c.limits.zones_per_backend, 7);
    assert_int_equal(c.limits.notify_interval_ms, 250);
    assert_true(redis_limits_equal(&c.limits, &y.limits));
    assert_int_equal(c.defaults.ttl, 120);
    assert_int_equal(c.defaults.refresh, 1);
    assert_int_equal(c.defaults.retry, 2);
    assert_int_equal(c.defaults.expire, 3);
    assert_int_equal(c.defaults.minttl, 4);
    assert_int_equal(c.defaults.nns, 2);
    assert_true(c.defaults.mbox_len > 0);
    assert_true(c.defaults.mname_len > 0);
    assert_true(redis_defaults_equal(&c.defaults, &y.defaults));
    redis_backend_config_t *s = &c.backends[1];
    assert_true(s->sentinel);
    assert_string_equal(s->master, "eu");
    assert_string_equal(s->sentinel_username, "sentinel-user");
    assert_string_equal(s->sentinel_password, "s");
    assert_string_equal(s->password, "node-secret");
    assert_int_equal(s->naddrs, 2);
    assert_int_equal(s->addrs[1].port, 26379); /* the sentinel port by default */
    assert_int_equal(c.backends[0].nzones, 1);
    /* and the whole of it */
    assert_true(redis_config_equal(&c, &y));
    redis_config_free(&c);
    redis_config_free(&y);
    cfg_free(croot);
    cfg_free(yroot);
}

/* A Corefile without the new options reads as before: the defaults. */
static void test_bare_as_yaml(void **state)
{
    (void)state;
    redis_config_t c, y;
    cfg_node_t *croot, *yroot;
    read_corefile(". {\n  redis\n}\n", &c, &croot);
    read_yaml("redis:\n  backends: [{name: redis1, addresses: [\"localhost:6379\"]}]\n", &y,
              &yroot);
    assert_true(redis_config_equal(&c, &y));
    assert_int_equal(c.limits.records_per_name, 1000);
    assert_int_equal(c.resync_interval_ms, 60000);
    redis_config_free(&c);
    redis_config_free(&y);
    cfg_free(croot);
    cfg_free(yroot);
}

/* The groups one line at a time, over several blocks: merged. */
static void test_groups_over_blocks(void **state)
{
    (void)state;
    redis_config_t c;
    cfg_node_t *root;
    read_corefile("a.test {\n redis a.test {\n  address h:1\n  limits {\n   value_bytes 4096\n  }\n"
                  "  defaults {\n   soa {\n    ttl 60\n   }\n  }\n }\n}\n"
                  "b.test {\n redis b.test {\n  address h:2\n  limits {\n   value_bytes 4096\n"
                  "   names_per_zone 9\n  }\n  defaults {\n   soa {\n    minttl 5\n   }\n"
                  "   ns ns.b.test.\n  }\n }\n}\n",
                  &c, &root);
    assert_int_equal(c.nbackends, 2);
    assert_int_equal(c.limits.value_bytes, 4096);
    assert_int_equal(c.limits.names_per_zone, 9);
    assert_int_equal(c.limits.records_per_name, 1000);
    assert_int_equal(c.defaults.ttl, 60);
    assert_int_equal(c.defaults.minttl, 5);
    assert_int_equal(c.defaults.nns, 1);
    redis_config_free(&c);
    cfg_free(root);
}

/* text must fail, in the Corefile reader or in redis_config_read, with
 * exactly `want`. */
static void expect_error(const char *text, const char *want)
{
    cfg_error_t err = {{0}};
    cfg_node_t *root = cfg_parse_corefile(text, strlen(text), "t/Corefile", &err);
    if (root != NULL) {
        redis_config_t cfg;
        cfg_node_t *node = cfg_get(root, "redis");
        assert_non_null(node);
        if (redis_config_read(node, &cfg, &err) == 0) {
            redis_config_free(&cfg);
            cfg_free(root);
            fail_msg("no error, wanted '%s'", want);
        }
        cfg_free(root);
    }
    assert_string_equal(err.msg, want);
}

static void test_errors(void **state)
{
    (void)state;
    /* values: checked by redis_config.c, at the Corefile line */
    expect_error(". {\n redis {\n  limits {\n   records_per_name 0\n  }\n }\n}\n",
                 "t/Corefile:4: records_per_name: expected a whole number from 1 to 10000000, "
                 "got '0'");
    expect_error(". {\n redis {\n  limits {\n   value_bytes 1k\n  }\n }\n}\n",
                 "t/Corefile:4: value_bytes: expected a whole number from 64 to 268435456, "
                 "got '1k'");
    expect_error(
        ". {\n redis {\n  resync_interval soon\n }\n}\n",
        "t/Corefile:3: resync_interval: bad duration 'soon' (use e.g. 10s, 500ms, 1m, 2h)");
    expect_error(". {\n redis {\n  keyspace_notifications maybe\n }\n}\n",
                 "t/Corefile:3: keyspace_notifications: expected true or false, got 'maybe'");
    expect_error(". {\n redis {\n  stream_maxlen 0\n }\n}\n",
                 "t/Corefile:3: stream_maxlen: expected a whole number from 1 to "
                 "18446744073709551615, got '0'");
    expect_error(". {\n redis {\n  defaults {\n   soa {\n    mbox bad..name\n   }\n  }\n }\n}\n",
                 "t/Corefile:5: bad domain name 'bad..name'");
    expect_error(". {\n redis {\n  defaults {\n   ns a. b..c\n  }\n }\n}\n",
                 "t/Corefile:4: bad domain name 'b..c'");
    /* the syntax: the Corefile reader */
    expect_error(". {\n redis {\n  limits {\n   records_per_nam 2\n  }\n }\n}\n",
                 "t/Corefile:4: redis: limits: unknown option 'records_per_nam'");
    expect_error(". {\n redis {\n  limits 5\n }\n}\n",
                 "t/Corefile:3: redis: limits needs a block of lines (limits { ... })");
    expect_error(". {\n redis {\n  limits x {\n  }\n }\n}\n",
                 "t/Corefile:3: redis: limits takes no arguments before its block");
    expect_error(". {\n redis {\n  limits {\n   value_bytes 1 2\n  }\n }\n}\n",
                 "t/Corefile:4: redis: limits: value_bytes takes one value");
    expect_error(". {\n redis {\n  stream_maxlen {\n  }\n }\n}\n",
                 "t/Corefile:3: redis: stream_maxlen takes no block");
    expect_error(". {\n redis {\n  defaults {\n   soa {\n    serial 1\n   }\n  }\n }\n}\n",
                 "t/Corefile:5: redis: defaults: soa: unknown option 'serial'");
    expect_error(". {\n redis {\n  defaults {\n   mbox x.\n  }\n }\n}\n",
                 "t/Corefile:4: redis: defaults: unknown option 'mbox' (soa or ns)");
    expect_error(". {\n redis {\n  defaults {\n   ns\n  }\n }\n}\n",
                 "t/Corefile:4: redis: defaults: ns needs at least one name");
    expect_error(". {\n redis {\n  address h:1\n  sentinel {\n   addresses s:1\n   master m\n  }\n"
                 " }\n}\n",
                 "t/Corefile:4: redis: sentinel: a redis block has either address lines or a "
                 "sentinel, not both");
    expect_error(". {\n redis {\n  sentinel {\n   addresses s:1\n  }\n }\n}\n",
                 "t/Corefile:3: sentinel: 'master' is required");
    expect_error(". {\n redis {\n  sentinel {\n   master m\n   master n\n  }\n }\n}\n",
                 "t/Corefile:5: redis: sentinel: master given twice");
    expect_error(
        ". {\n redis {\n  limits {\n   records_per_name 5\n  }\n }\n"
        " redis {\n  address h:2\n  limits {\n   records_per_name 6\n  }\n }\n}\n",
        "t/Corefile:10: redis: limits: records_per_name differs from t/Corefile:4 (it applies "
        "to all redis blocks)");
    expect_error(". {\n redis {\n  defaults {\n   ns a.\n  }\n }\n"
                 " redis {\n  address h:2\n  defaults {\n   ns b.\n  }\n }\n}\n",
                 "t/Corefile:10: redis: defaults: ns differs from t/Corefile:4 (it applies to "
                 "all redis blocks)");
    expect_error(". {\n redis {\n  resync_interval 1s\n }\n redis {\n  address h:2\n"
                 "  resync_interval 2s\n }\n}\n",
                 "t/Corefile:7: redis: resync_interval differs from t/Corefile:3 (it applies to "
                 "all redis blocks)");
    expect_error(". {\n redis {\n  defaults {\n   soa {\n    ttl 60\n   }\n  }\n }\n"
                 " redis {\n  address h:2\n  defaults { soa { ttl 61 } }\n }\n}\n",
                 "t/Corefile:11: redis: defaults: soa: ttl differs from t/Corefile:5 (it applies "
                 "to all redis blocks)");
    expect_error(". {\n redis {\n  notify_interval 1s\n  limits {\n   notify_interval 2s\n"
                 "  }\n }\n}\n",
                 "t/Corefile:5: redis: limits: notify_interval differs from t/Corefile:3 (it "
                 "applies to all redis blocks)");
    /* the shape of nested blocks */
    expect_error(". {\n redis {\n  defaults {\n   soa {\n    x {\n    }\n   }\n  }\n }\n}\n",
                 "t/Corefile:5: redis: blocks nest at most 3 deep");
    expect_error(". {\n redis {\n  limits\n  {\n  }\n }\n}\n",
                 "t/Corefile:4: '{' must be on the line of its option");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_option_as_yaml),
        cmocka_unit_test(test_bare_as_yaml),
        cmocka_unit_test(test_groups_over_blocks),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
