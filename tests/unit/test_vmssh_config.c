/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_vmssh_config.c - vmssh.yaml: every key read into the config, the
 * defaults, and "FILE:LINE: problem" for each kind of mistake, with the
 * line of the offending key or value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmssh_int.h"

#define BASE "external_interface: eth0\nport_range: 30000-39999\npublic_ipv4: 203.0.113.10\n"

static void parse_ok(const char *text, vmssh_config_t *c)
{
    vmssh_error_t err;
    if (vmssh_config_parse(text, strlen(text), "t.yaml", c, &err) != 0)
        fail_msg("refused: %s", err.message);
}

/* The text must be refused with a message starting with `want`. */
static void parse_bad(const char *text, const char *want)
{
    vmssh_config_t c;
    vmssh_error_t err;
    if (vmssh_config_parse(text, strlen(text), "t.yaml", &c, &err) == 0)
        fail_msg("accepted: %s", text);
    assert_int_equal(err.code, VMSSH_ERR_CONFIG);
    if (strncmp(err.message, want, strlen(want)) != 0)
        fail_msg("message '%s' does not start with '%s'", err.message, want);
}

static void test_full_example(void **state)
{
    (void)state;
    vmssh_config_t c;
    parse_ok("backend: iptables   # comment\n"
             "external_interface: eth0\n"
             "port_range: 30000-39999\n"
             "vm_ssh_port: 2222\n"
             "public_ipv4: 203.0.113.10\n"
             "public_ipv6: 2001:db8::10\n"
             "state_dir: /run/vmssh\n"
             "dns:\n"
             "  redis: [\"127.0.0.1:6379\", \"[::1]:6380\"]\n"
             "  password: secret\n"
             "  prefix: p-\n"
             "  ttl: 30\n"
             "  lease: 2h\n"
             "  timeout: 3s\n"
             "  min_replicas: 2\n"
             "  min_replicas_timeout: 250ms\n",
             &c);
    assert_int_equal(c.backend, VMSSH_BACKEND_IPTABLES);
    assert_string_equal(c.external_interface, "eth0");
    assert_int_equal(c.port_lo, 30000);
    assert_int_equal(c.port_hi, 39999);
    assert_int_equal(c.vm_ssh_port, 2222);
    assert_string_equal(c.public_ipv4, "203.0.113.10");
    assert_string_equal(c.public_ipv6, "2001:db8::10");
    assert_string_equal(c.state_dir, "/run/vmssh");
    assert_true(c.dns.enabled);
    assert_int_equal(c.dns.n_nodes, 2);
    assert_string_equal(c.dns.nodes[1], "[::1]:6380");
    assert_string_equal(c.dns.password, "secret");
    assert_string_equal(c.dns.prefix, "p-");
    assert_int_equal(c.dns.ttl, 30);
    assert_int_equal(c.dns.lease_s, 7200);
    assert_int_equal(c.dns.timeout_ms, 3000);
    assert_true(c.dns.min_replicas_set);
    assert_int_equal(c.dns.min_replicas, 2);
    assert_int_equal(c.dns.min_replicas_timeout_ms, 250);
    vmssh_config_free(&c);
}

static void test_defaults_and_sentinel(void **state)
{
    (void)state;
    vmssh_config_t c;
    parse_ok(BASE, &c);
    assert_int_equal(c.backend, VMSSH_BACKEND_NFT);
    assert_int_equal(c.vm_ssh_port, 22);
    assert_string_equal(c.state_dir, "/run/vmssh");
    assert_string_equal(c.nft_path, "nft");
    assert_false(c.dns.enabled);
    assert_int_equal(c.dns.lease_s, 0);
    vmssh_config_free(&c);

    parse_ok(BASE "dns:\n  sentinel: {addresses: [\"10.0.0.1:26379\"], master: mymaster}\n"
                  "  lease: 4m50s\n",
             &c);
    assert_true(c.dns.enabled);
    assert_int_equal(c.dns.n_sentinels, 1);
    assert_string_equal(c.dns.master, "mymaster");
    assert_int_equal(c.dns.lease_s, 290);
    assert_false(c.dns.min_replicas_set); /* libvmdns's default: auto */
    vmssh_config_free(&c);
    parse_ok(BASE "dns:\n  redis: [\"127.0.0.1:6379\"]\n  min_replicas: auto\n", &c);
    assert_int_equal(c.dns.min_replicas, VMDNS_MIN_REPLICAS_AUTO);
    vmssh_config_free(&c);
}

static void test_errors_name_file_and_line(void **state)
{
    (void)state;
    parse_bad("external_interface: eth0\nport_range: 40000-30000\n", "t.yaml:2: port_range:");
    parse_bad("external_interface: eth0\nport_range: 0-10\n", "t.yaml:2: port_range:");
    parse_bad("external_interface: eth0\nport_range: 30000\n", "t.yaml:2: port_range:");
    parse_bad(BASE "backend: pf\n", "t.yaml:4: backend: 'pf'");
    parse_bad(BASE "vm_ssh_port: 70000\n", "t.yaml:4: vm_ssh_port:");
    parse_bad(BASE "dns:\n  redis: [\"127.0.0.1:6379\"]\n  min_replicas: some\n",
              "t.yaml:6: dns.min_replicas");
    parse_bad(BASE "dns:\n  redis: [\"127.0.0.1:6379\"]\n  min_replicas_timeout: 2m\n",
              "t.yaml:6: dns.min_replicas_timeout");
    parse_bad(BASE "vm_ssh_port: 0\n", "t.yaml:4: vm_ssh_port:");
    parse_bad(BASE "public_ipv6: 10.0.0.1\n", "t.yaml:4: public_ipv6:");
    parse_bad("external_interface: eth0\nport_range: 1-2\npublic_ipv4: 300.1.1.1\n",
              "t.yaml:3: public_ipv4:");
    parse_bad("external_interface: \"eth 0\"\n", "t.yaml:1: external_interface:");
    parse_bad("external_interface: averyveryverylongname\n", "t.yaml:1: external_interface:");
    parse_bad(BASE "state_dir: run/vmssh\n", "t.yaml:4: state_dir:");
    parse_bad(BASE "colour: blue\n", "t.yaml:4: unknown key 'colour'");
    parse_bad(BASE "dns:\n  redis: [\"h:99999\"]\n", "t.yaml:5: dns.redis:");
    parse_bad(BASE "dns:\n  lease: soon\n", "t.yaml:5: dns.lease: bad duration");
    parse_bad(BASE "dns:\n  ttl: -1\n", "t.yaml:5: dns.ttl:");
    parse_bad(BASE "dns:\n  redis: [\"a:1\"]\n  sentinel: {addresses: [\"b:2\"], master: m}\n",
              "t.yaml:4: dns: give redis or sentinel");
    parse_bad(BASE "dns:\n  sentinel: {addresses: [\"b:2\"]}\n", "t.yaml:5: dns.sentinel needs");
    parse_bad(BASE "dns:\n  wat: 1\n", "t.yaml:5: dns: unknown key 'wat'");
    parse_bad("external_interface: eth0\nport_range: [1, 2\n", "t.yaml:3:");
    parse_bad("port_range: 1-2\npublic_ipv4: 1.2.3.4\n", "t.yaml:1: missing external_interface");
    parse_bad("", "t.yaml:1: empty file");
    parse_bad("- a\n- b\n", "t.yaml:1: top level: expected a mapping");
}

static void test_load_missing_file(void **state)
{
    (void)state;
    vmssh_error_t err;
    assert_null(vmssh_new("/nonexistent/vmssh.yaml", &err));
    assert_int_equal(err.code, VMSSH_ERR_CONFIG);
    assert_non_null(strstr(err.message, "/nonexistent/vmssh.yaml:0: cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_example),
        cmocka_unit_test(test_defaults_and_sentinel),
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_load_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
