/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_cfg.c - the config tree, its YAML reader, the typed readers and the
 * server options (listen/workers/limits): good files load with the right
 * values, and every kind of mistake is one "FILE:LINE: problem" line that
 * points at the right line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/cfg.h"
#include "config/server_config.h"

/* Parse YAML text under the name "t.yaml"; asserts it parses. */
static cfg_node_t *parse_ok(const char *text)
{
    cfg_error_t err = {{0}};
    cfg_node_t *root = cfg_parse_yaml(text, strlen(text), "t.yaml", &err);
    if (root == NULL) {
        fail_msg("unexpected error: %s", err.msg);
    }
    return root;
}

/* Parse YAML text that must fail; returns the message. */
static const char *parse_err(const char *text, cfg_error_t *err)
{
    cfg_node_t *root = cfg_parse_yaml(text, strlen(text), "t.yaml", err);
    assert_null(root);
    return err->msg;
}

/* Read the server options from YAML text that must be rejected. */
static const char *server_err(const char *text, cfg_error_t *err)
{
    cfg_node_t *root = parse_ok(text);
    cfg_server_t s;
    assert_int_equal(cfg_server_read(root, &s, err), -1);
    assert_int_equal(s.opts.nlisten, 0);
    cfg_free(root);
    return err->msg;
}

static void test_good_file(void **state)
{
    cfg_error_t err = {{0}};
    cfg_node_t *root = cfg_load_yaml(VMDNS_TEST_DATA "/good.yaml", &err);
    assert_non_null(root);
    assert_string_equal(root->file, VMDNS_TEST_DATA "/good.yaml");

    cfg_server_t s;
    assert_int_equal(cfg_server_read(root, &s, &err), 0);
    assert_int_equal(s.opts.nlisten, 2);
    assert_string_equal(s.opts.listen[0], "127.0.0.1:5300");
    assert_string_equal(s.opts.listen[1], "[::1]:5301");
    assert_int_equal(s.opts.workers, 3);
    assert_int_equal(s.opts.limits.edns_udp_size, 1400);
    assert_int_equal(s.opts.tcp_max_connections, 50);
    assert_int_equal(s.opts.tcp_idle_timeout_ms, 90000);
    assert_int_equal(s.opts.tcp_max_per_client, 5);
    assert_int_equal(s.opts.tcp_io_timeout_ms, 250);

    /* zones is left for the file plugin: reported until someone reads it. */
    assert_int_equal(cfg_check_unused(root, &err), -1);
    assert_string_equal(err.msg, VMDNS_TEST_DATA "/good.yaml:6: unknown key 'zones'");

    cfg_node_t *zones = cfg_get(root, "zones");
    assert_non_null(zones);
    assert_int_equal(zones->kind, CFG_SEQ);
    assert_int_equal(zones->n, 1);
    assert_int_equal(zones->items[0]->line, 7);
    const char *origin, *file;
    assert_int_equal(cfg_string(cfg_get(zones->items[0], "origin"), &origin, &err), 0);
    assert_int_equal(cfg_string(cfg_get(zones->items[0], "file"), &file, &err), 0);
    assert_string_equal(origin, "test.example.");
    assert_string_equal(file, "test.zone");
    assert_int_equal(cfg_check_unused(root, &err), 0);

    cfg_server_free(&s);
    cfg_free(root);
}

static void test_defaults(void **state)
{
    cfg_node_t *root = parse_ok("# nothing but a comment\n");
    assert_int_equal(root->kind, CFG_MAP);
    assert_int_equal(root->n, 0);
    cfg_error_t err = {{0}};
    cfg_server_t s;
    assert_int_equal(cfg_server_read(root, &s, &err), 0);
    assert_int_equal(s.opts.nlisten, 1);
    assert_string_equal(s.opts.listen[0], CFG_DEFAULT_LISTEN);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(s.opts.workers, cpus < 1 ? 1 : cpus);
    assert_int_equal(s.opts.limits.edns_udp_size, 1232);
    assert_int_equal(s.opts.tcp_max_connections, 1024);
    assert_int_equal(s.opts.tcp_idle_timeout_ms, 10000);
    assert_int_equal(s.opts.tcp_max_per_client, 32);
    assert_int_equal(s.opts.tcp_io_timeout_ms, 500);
    assert_int_equal(cfg_check_unused(root, &err), 0);
    cfg_server_free(&s);
    cfg_free(root);

    root = parse_ok("listen: \"[::]:53\"\nworkers: auto\n");
    assert_int_equal(cfg_server_read(root, &s, &err), 0);
    assert_int_equal(s.opts.nlisten, 1);
    assert_string_equal(s.opts.listen[0], "[::]:53");
    assert_int_equal(s.opts.workers, cpus < 1 ? 1 : cpus);
    cfg_server_free(&s);
    cfg_free(root);
}

static void test_unknown_key_file(void **state)
{
    cfg_error_t err = {{0}};
    cfg_node_t *root = cfg_load_yaml(VMDNS_TEST_DATA "/unknown_key.yaml", &err);
    assert_non_null(root);
    cfg_server_t s;
    assert_int_equal(cfg_server_read(root, &s, &err), 0);
    assert_int_equal(cfg_check_unused(root, &err), -1);
    assert_string_equal(err.msg,
                        VMDNS_TEST_DATA "/unknown_key.yaml:5: unknown key 'tcp_idle_timout'");
    cfg_server_free(&s);
    cfg_free(root);
}

static void test_unknown_key_order_and_line(void **state)
{
    /* The first unread key in file order, at the line of the key itself
     * even when its value starts on a later line. */
    cfg_node_t *root = parse_ok("listen: \"127.0.0.1:53\"\n"
                                "zonez:\n"
                                "  - origin: x.\n"
                                "bogus: 1\n");
    cfg_error_t err = {{0}};
    cfg_server_t s;
    assert_int_equal(cfg_server_read(root, &s, &err), 0);
    assert_int_equal(cfg_check_unused(root, &err), -1);
    assert_string_equal(err.msg, "t.yaml:2: unknown key 'zonez'");
    cfg_get(root, "zonez");
    assert_int_equal(cfg_check_unused(root, &err), -1);
    assert_string_equal(err.msg, "t.yaml:3: unknown key 'origin'");
    cfg_get(cfg_get(root, "zonez")->items[0], "origin");
    assert_int_equal(cfg_check_unused(root, &err), -1);
    assert_string_equal(err.msg, "t.yaml:4: unknown key 'bogus'");
    cfg_get(root, "bogus");
    assert_int_equal(cfg_check_unused(root, &err), 0);
    cfg_server_free(&s);
    cfg_free(root);
}

static void test_bad_address(void **state)
{
    cfg_error_t err = {{0}};
    const char *msg = server_err("workers: 1\nlisten:\n  - \"127.0.0.1:5300\"\n"
                                 "  - \"127.0.0.300:5300\"\n",
                                 &err);
    assert_true(strncmp(msg, "t.yaml:4: ", 10) == 0);
    assert_non_null(strstr(msg, "127.0.0.300"));

    msg = server_err("listen: \"::1:53\"\n", &err);
    assert_true(strncmp(msg, "t.yaml:1: ", 10) == 0);
    msg = server_err("listen: \"127.0.0.1\"\n", &err);
    assert_true(strncmp(msg, "t.yaml:1: ", 10) == 0);
    msg = server_err("listen: \"127.0.0.1:65536\"\n", &err);
    assert_true(strncmp(msg, "t.yaml:1: ", 10) == 0);
    msg = server_err("listen: \"localhost:53\"\n", &err);
    assert_true(strncmp(msg, "t.yaml:1: ", 10) == 0);
    msg = server_err("listen: []\n", &err);
    assert_true(strncmp(msg, "t.yaml:1: ", 10) == 0);
    msg = server_err("listen: {a: b}\n", &err);
    assert_true(strncmp(msg, "t.yaml:1: ", 10) == 0);
    msg = server_err("listen: [\"127.0.0.1:53\", \"127.0.0.1:53\"]\n", &err);
    assert_non_null(strstr(msg, "twice"));
}

static void test_bad_numbers(void **state)
{
    cfg_error_t err = {{0}};
    const char *msg = server_err("workers: many\n", &err);
    assert_string_equal(msg, "t.yaml:1: workers: expected 'auto' or a number from 1 to 1024, "
                             "got 'many'");
    msg = server_err("workers: 0\n", &err);
    assert_true(strncmp(msg, "t.yaml:1: ", 10) == 0);
    msg = server_err("workers: -2\n", &err);
    assert_true(strncmp(msg, "t.yaml:1: ", 10) == 0);
    msg = server_err("\nlimits:\n  edns_udp_size: 100\n", &err);
    assert_string_equal(
        msg, "t.yaml:3: edns_udp_size: expected a whole number from 512 to 4096, got '100'");
    msg = server_err("limits:\n  tcp_max_connections: 99999999999999999999999\n", &err);
    assert_true(strncmp(msg, "t.yaml:2: ", 10) == 0);
    msg = server_err("limits:\n  tcp_max_connections: 0x10\n", &err);
    assert_true(strncmp(msg, "t.yaml:2: ", 10) == 0);
    msg = server_err("limits:\n  tcp_max_connections: [1]\n", &err);
    assert_true(strncmp(msg, "t.yaml:2: ", 10) == 0);
    msg = server_err("limits: 5\n", &err);
    assert_true(strncmp(msg, "t.yaml:1: ", 10) == 0);
}

static void test_bad_duration(void **state)
{
    cfg_error_t err = {{0}};
    const char *msg = server_err("limits:\n  tcp_idle_timeout: 10x\n", &err);
    assert_string_equal(
        msg, "t.yaml:2: tcp_idle_timeout: bad duration '10x' (use e.g. 10s, 500ms, 1m, 2h)");
    msg = server_err("limits:\n  tcp_idle_timeout: 0s\n", &err);
    assert_true(strncmp(msg, "t.yaml:2: ", 10) == 0);
    msg = server_err("limits:\n  tcp_idle_timeout: 2h\n", &err);
    assert_true(strncmp(msg, "t.yaml:2: ", 10) == 0);
    msg = server_err("limits:\n  tcp_io_timeout: 5ms\n", &err);
    assert_string_equal(msg, "t.yaml:2: tcp_io_timeout: must be from 10ms to 1m");
    msg = server_err("limits:\n  tcp_io_timeout: 2m\n", &err);
    assert_string_equal(msg, "t.yaml:2: tcp_io_timeout: must be from 10ms to 1m");
    msg = server_err("limits:\n  tcp_max_connections_per_client: 0\n", &err);
    assert_true(strncmp(msg, "t.yaml:2: ", 10) == 0);
}

static void test_durations(void **state)
{
    static const struct {
        const char *text;
        uint64_t ms;
    } good[] = {{"10s", 10000}, {"500ms", 500},   {"1m", 60000},    {"2h", 7200000},
                {"10", 10000},  {"1m30s", 90000}, {"1d", 86400000}, {"0", 0}};
    static const char *const bad[] = {"",    "s",    "10x",  "1.5s",
                                      "-1s", "10 s", "ms10", "99999999999999999999h"};
    cfg_error_t err = {{0}};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        cfg_node_t n = {.kind = CFG_SCALAR, .file = "d", .line = 1, .value = (char *)good[i].text};
        uint64_t ms = 12345;
        assert_int_equal(cfg_duration_ms(&n, &ms, &err), 0);
        assert_int_equal(ms, good[i].ms);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg_node_t n = {.kind = CFG_SCALAR, .file = "d", .line = 7, .value = (char *)bad[i]};
        uint64_t ms = 12345;
        assert_int_equal(cfg_duration_ms(&n, &ms, &err), -1);
        assert_int_equal(ms, 12345);
        assert_true(strncmp(err.msg, "d:7: bad duration", 17) == 0);
    }
}

static void test_typed_readers(void **state)
{
    cfg_node_t *root =
        parse_ok("a: yes\nb: off\nc: maybe\nd: [1]\ne: \"\"\nf: 18446744073709551615\n");
    cfg_error_t err = {{0}};
    bool v;
    assert_int_equal(cfg_bool(cfg_get(root, "a"), &v, &err), 0);
    assert_true(v);
    assert_int_equal(cfg_bool(cfg_get(root, "b"), &v, &err), 0);
    assert_false(v);
    assert_int_equal(cfg_bool(cfg_get(root, "c"), &v, &err), -1);
    assert_string_equal(err.msg, "t.yaml:3: c: expected true or false, got 'maybe'");
    const char *s;
    assert_int_equal(cfg_string(cfg_get(root, "d"), &s, &err), -1);
    assert_string_equal(err.msg, "t.yaml:4: d: expected a string, got a list");
    assert_int_equal(cfg_string(cfg_get(root, "e"), &s, &err), -1);
    uint64_t u;
    assert_int_equal(cfg_uint(cfg_get(root, "f"), 0, UINT64_MAX, &u, &err), 0);
    assert_true(u == UINT64_MAX);
    /* List items are named by the list's key. */
    cfg_free(root);
    root = parse_ok("g:\n  - a\n  - [b]\n");
    assert_int_equal(cfg_string(cfg_get(root, "g")->items[1], &s, &err), -1);
    assert_string_equal(err.msg, "t.yaml:3: g: expected a string, got a list");
    assert_null(cfg_get(root, "missing"));
    assert_null(cfg_get(cfg_get(root, "a"), "x")); /* not a map */
    cfg_free(root);
}

static void test_yaml_errors(void **state)
{
    cfg_error_t err = {{0}};
    const char *msg = parse_err("listen: [\"a\"\nworkers: 1\n", &err);
    assert_true(strncmp(msg, "t.yaml:", 7) == 0);
    assert_non_null(strstr(msg, "YAML"));

    msg = parse_err("a: 1\nb: 2\na: 3\n", &err);
    assert_string_equal(msg, "t.yaml:3: duplicate key 'a' (first on line 1)");

    msg = parse_err("- a\n- b\n", &err);
    assert_true(strncmp(msg, "t.yaml:1: ", 10) == 0);

    msg = parse_err("a: 1\n---\nb: 2\n", &err);
    assert_string_equal(msg, "t.yaml:3: only one YAML document is allowed");

    msg = parse_err("? [a, b]\n: c\n", &err);
    assert_true(strncmp(msg, "t.yaml:1: ", 10) == 0);

    msg = parse_err("a: \"x\\0y\"\n", &err);
    assert_string_equal(msg, "t.yaml:1: NUL byte in a value");

    cfg_node_t *root = cfg_load_yaml(VMDNS_TEST_DATA "/does-not-exist.yaml", &err);
    assert_null(root);
    assert_true(strncmp(err.msg, VMDNS_TEST_DATA "/does-not-exist.yaml:0: cannot open",
                        strlen(VMDNS_TEST_DATA "/does-not-exist.yaml:0: cannot open")) == 0);
}

static void test_alias_bomb(void **state)
{
    /* Each level doubles: 2^30 nodes once expanded. Must fail, quickly. */
    char text[4096];
    size_t off = (size_t)snprintf(text, sizeof(text), "a0: &a0 [x, x]\n");
    for (int i = 1; i <= 30; i++) {
        off += (size_t)snprintf(text + off, sizeof(text) - off, "a%d: &a%d [*a%d, *a%d]\n", i, i,
                                i - 1, i - 1);
    }
    cfg_error_t err = {{0}};
    const char *msg = parse_err(text, &err);
    assert_non_null(strstr(msg, "too many nodes"));

    /* Aliases that stay small are fine and expand to copies. */
    cfg_node_t *root = parse_ok("base: &b {x: 1}\ncopy: *b\n");
    assert_int_equal(cfg_get(root, "copy")->kind, CFG_MAP);
    assert_string_equal(cfg_get(cfg_get(root, "copy"), "x")->value, "1");
    cfg_free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_unknown_key_file), cmocka_unit_test(test_unknown_key_order_and_line),
        cmocka_unit_test(test_bad_address),      cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_bad_duration),     cmocka_unit_test(test_durations),
        cmocka_unit_test(test_typed_readers),    cmocka_unit_test(test_yaml_errors),
        cmocka_unit_test(test_alias_bomb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
