/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_vmssh_forward.c - what the two forward backends say to the kernel,
 * without running them: the nft batch text (table, map, set, chains and
 * rules, the elements with their comment and timeout), the parsing of
 * `nft -j list`, the three iptables rules' argv, and the parsing of
 * iptables-save output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmssh_int.h"

static vmssh_config_t cfg(void)
{
    vmssh_config_t c = {0};
    strcpy(c.external_interface, "eth0");
    c.port_lo = 30000;
    c.port_hi = 39999;
    c.vm_ssh_port = 22;
    return c;
}

static vmssh_entry_t entry(int64_t expires)
{
    vmssh_entry_t e = {.port = 38291, .vm_port = 22, .expires = expires};
    strcpy(e.vm_id, "vm-abc123");
    strcpy(e.vm_ip, "10.1.2.3");
    strcpy(e.name, "vm-abc123.vm.example.com");
    return e;
}

static void has_line(const char *text, const char *line)
{
    const char *p = strstr(text, line);
    if (!p || (p != text && p[-1] != '\n') || p[strlen(line)] != '\n')
        fail_msg("no line '%s' in:\n%s", line, text);
}

static void test_nft_batch_add(void **state)
{
    (void)state;
    vmssh_config_t c = cfg();
    vmssh_entry_t e = entry(1000 + 7200);
    char *b = vmssh_nft_batch_add(&c, &e, 1000, true);
    assert_non_null(b);
    has_line(b, "add table ip vmssh");
    has_line(b, "add map ip vmssh ports { type inet_service : ipv4_addr . inet_service ; flags "
                "timeout ; }");
    has_line(b, "add set ip vmssh vm_addrs { type ipv4_addr . inet_service ; flags timeout ; }");
    has_line(b, "flush chain ip vmssh prerouting");
    has_line(b, "add rule ip vmssh prerouting iifname \"eth0\" dnat ip to tcp dport map @ports");
    has_line(b, "add rule ip vmssh forward iifname \"eth0\" ip daddr . tcp dport @vm_addrs accept");
    has_line(b, "add rule ip vmssh postrouting ip saddr . tcp sport @vm_addrs masquerade");
    has_line(b, "create element ip vmssh ports { 38291 timeout 7200s comment \"vm-abc123 "
                "vm-abc123.vm.example.com\" : 10.1.2.3 . 22 }");
    has_line(b, "create element ip vmssh vm_addrs { 10.1.2.3 . 22 timeout 7200s comment "
                "\"vm-abc123\" }");
    has_line(b, "add map ip vmssh vm_ids { type mark . mark : inet_service . ipv4_addr ; flags "
                "timeout ; }");
    char want[300];
    uint64_t h = vmssh_id_hash("vm-abc123");
    snprintf(want, sizeof(want),
             "create element ip vmssh vm_ids { 0x%08x . 0x%08x timeout 7200s comment "
             "\"vm-abc123 vm-abc123.vm.example.com\" : 38291 . 10.1.2.3 }",
             (unsigned)(h >> 32), (unsigned)h);
    has_line(b, want);
    /* Nothing outside the table: no bare "flush ruleset", no other table. */
    assert_null(strstr(b, "flush ruleset"));
    assert_null(strstr(b, "table inet"));
    free(b);

    e = entry(0); /* no lease: no timeout; no setup: the elements alone */
    b = vmssh_nft_batch_add(&c, &e, 1000, false);
    has_line(b, "create element ip vmssh ports { 38291 comment \"vm-abc123 "
                "vm-abc123.vm.example.com\" : 10.1.2.3 . 22 }");
    assert_null(strstr(b, "add table"));
    assert_null(strstr(b, "add rule"));
    free(b);
}

static void test_nft_batch_del_renew(void **state)
{
    (void)state;
    vmssh_config_t c = cfg();
    vmssh_entry_t e = entry(0);
    uint64_t h = vmssh_id_hash("vm-abc123");
    char want[1024];
    char *b = vmssh_nft_batch_del(&c, &e);
    snprintf(want, sizeof(want),
             "delete element ip vmssh ports { 38291 }\n"
             "delete element ip vmssh vm_addrs { 10.1.2.3 . 22 }\n"
             "delete element ip vmssh vm_ids { 0x%08x . 0x%08x }\n",
             (unsigned)(h >> 32), (unsigned)h);
    assert_string_equal(b, want);
    free(b);
    b = vmssh_nft_batch_renew(&c, &e, 5000 + 3600, 5000);
    snprintf(want, sizeof(want),
             "delete element ip vmssh ports { 38291 }\n"
             "delete element ip vmssh vm_addrs { 10.1.2.3 . 22 }\n"
             "delete element ip vmssh vm_ids { 0x%08x . 0x%08x }\n"
             "create element ip vmssh ports { 38291 timeout 3600s comment "
             "\"vm-abc123 vm-abc123.vm.example.com\" : 10.1.2.3 . 22 }\n"
             "create element ip vmssh vm_addrs { 10.1.2.3 . 22 timeout 3600s "
             "comment \"vm-abc123\" }\n"
             "create element ip vmssh vm_ids { 0x%08x . 0x%08x timeout 3600s comment "
             "\"vm-abc123 vm-abc123.vm.example.com\" : 38291 . 10.1.2.3 }\n",
             (unsigned)(h >> 32), (unsigned)h, (unsigned)(h >> 32), (unsigned)h);
    assert_string_equal(b, want);
    free(b);
}

static void test_nft_id_hash(void **state)
{
    (void)state;
    /* FNV-1a 64: stable across versions (it is the key in the kernel). */
    assert_true(vmssh_id_hash("") == 0xcbf29ce484222325ull);
    assert_true(vmssh_id_hash("a") == 0xaf63dc4c8601ec8cull);
}

static void test_nft_comment(void **state)
{
    (void)state;
    vmssh_entry_t e = entry(0), back = {0};
    char buf[VMSSH_COMMENT_MAX + 1];
    assert_int_equal(vmssh_nft_comment(&e, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "vm-abc123 vm-abc123.vm.example.com");
    assert_int_equal(vmssh_nft_parse_comment(buf, &back), 0);
    assert_string_equal(back.vm_id, "vm-abc123");
    assert_string_equal(back.name, "vm-abc123.vm.example.com");
    assert_int_equal(vmssh_nft_parse_comment("nospace", &back), -1);
    assert_int_equal(vmssh_nft_parse_comment("bad\"id x.y", &back), -1);
}

static void test_nft_parse_list(void **state)
{
    (void)state;
    /* As nft 1.0.6 prints `nft -j list map ip vmssh ports`. */
    const char *json =
        "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}}, {\"map\": {\"family\": "
        "\"ip\", \"name\": \"ports\", \"table\": \"vmssh\", \"type\": \"inet_service\", "
        "\"handle\": 1, \"map\": \"ipv4_addr . inet_service\", \"flags\": [\"timeout\"], "
        "\"elem\": [[{\"elem\": {\"val\": 30001, \"timeout\": 7200, \"expires\": 7199, "
        "\"comment\": \"vm-1 vm-1.vm.example.com\"}}, {\"concat\": [\"10.0.0.2\", 22]}], "
        "[{\"elem\": {\"val\": 30002, \"comment\": \"vm-2 vm-2.vm.example.com\"}}, "
        "{\"concat\": [\"10.0.0.3\", 22]}], "
        "[30003, {\"concat\": [\"10.0.0.4\", 22]}]]}}]}";
    vmssh_fwd_list_t l = {0};
    vmssh_error_t err;
    assert_int_equal(vmssh_nft_parse_list(json, 1000, &l, &err), 0);
    assert_int_equal(l.n, 2); /* the untagged element is not a VM of ours */
    assert_string_equal(l.v[0].vm_id, "vm-1");
    assert_int_equal(l.v[0].port, 30001);
    assert_string_equal(l.v[0].vm_ip, "10.0.0.2");
    assert_int_equal(l.v[0].vm_port, 22);
    assert_string_equal(l.v[0].name, "vm-1.vm.example.com");
    assert_int_equal(l.v[0].expires, 1000 + 7199);
    assert_int_equal(l.v[1].expires, 0);
    assert_non_null(vmssh_fwd_find(&l, "vm-2"));
    assert_null(vmssh_fwd_find(&l, "vm-3"));
    vmssh_fwd_list_free(&l);
    /* An empty map, and garbage. */
    assert_int_equal(
        vmssh_nft_parse_list("{\"nftables\": [{\"map\": {\"name\": \"ports\"}}]}", 0, &l, &err), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(vmssh_nft_parse_list("{not json", 0, &l, &err), -1);
    assert_int_equal(err.code, VMSSH_ERR_FIREWALL);
    vmssh_fwd_list_free(&l);
}

static void argv_is(const vmssh_config_t *c, const vmssh_entry_t *e, int which, char op,
                    const char *want)
{
    char buf[1024], joined[1024] = "";
    const char *argv[VMSSH_IPT_MAX_ARGS + 1];
    int n = vmssh_ipt_rule_argv(c, e, which, op, buf, sizeof(buf), argv);
    assert_true(n > 0);
    assert_null(argv[n]);
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(joined, "|");
        strcat(joined, argv[i]);
    }
    assert_string_equal(joined, want);
}

static void test_iptables_argv(void **state)
{
    (void)state;
    vmssh_config_t c = cfg();
    vmssh_entry_t e = entry(1700000000);
    const char *cm = "vmssh:vm-abc123:38291:vm-abc123.vm.example.com:1700000000";
    char want[512];
    snprintf(want, sizeof(want),
             "-w|-t|nat|-A|PREROUTING|-i|eth0|-p|tcp|--dport|38291|-m|comment|--comment|%s|-j|"
             "DNAT|--to-destination|10.1.2.3:22",
             cm);
    argv_is(&c, &e, 0, 'A', want);
    snprintf(want, sizeof(want),
             "-w|-t|filter|-I|FORWARD|1|-p|tcp|-m|conntrack|--ctstate|DNAT|--ctreplsrc|"
             "10.1.2.3/32|--ctreplsrcport|22|--ctorigdstport|38291|-m|comment|--comment|%s|-j|"
             "ACCEPT",
             cm);
    argv_is(&c, &e, 1, 'A', want);
    snprintf(want, sizeof(want),
             "-w|-t|filter|-D|FORWARD|-p|tcp|-m|conntrack|--ctstate|DNAT|--ctreplsrc|10.1.2.3/32|"
             "--ctreplsrcport|22|--ctorigdstport|38291|-m|comment|--comment|%s|-j|ACCEPT",
             cm);
    argv_is(&c, &e, 1, 'D', want);
    snprintf(want, sizeof(want),
             "-w|-t|nat|-A|POSTROUTING|-s|10.1.2.3/32|-p|tcp|--sport|22|-m|comment|--comment|%s|"
             "-j|MASQUERADE",
             cm);
    argv_is(&c, &e, 2, 'A', want);
    char buf[16];
    const char *argv[VMSSH_IPT_MAX_ARGS + 1];
    assert_int_equal(vmssh_ipt_rule_argv(&c, &e, 0, 'A', buf, sizeof(buf), argv), -1);
    assert_int_equal(vmssh_ipt_rule_argv(&c, &e, 3, 'A', buf, sizeof(buf), argv), -1);
}

static void test_iptables_comment(void **state)
{
    (void)state;
    vmssh_entry_t e = {0};
    assert_int_equal(vmssh_ipt_parse_comment("vmssh:vm-1:30001:vm-1.example.com:0", &e), 0);
    assert_string_equal(e.vm_id, "vm-1");
    assert_int_equal(e.port, 30001);
    assert_string_equal(e.name, "vm-1.example.com");
    assert_int_equal(e.expires, 0);
    assert_int_equal(vmssh_ipt_parse_comment("vmssh:vm-1:30001:vm-1.example.com:0x", &e), -1);
    assert_int_equal(vmssh_ipt_parse_comment("vmssh:vm-1:0:vm-1.example.com:0", &e), -1);
    assert_int_equal(vmssh_ipt_parse_comment("kube:vm-1:1:a.b:0", &e), -1);
}

static void test_iptables_parse_save(void **state)
{
    (void)state;
    /* As iptables-save 1.8.9 (nf_tables) prints them, plus foreign rules. */
    const char *nat =
        "# Generated by iptables-save v1.8.9 (nf_tables)\n*nat\n:PREROUTING ACCEPT [0:0]\n"
        "-A PREROUTING -i eth0 -p tcp -m tcp --dport 30001 -m comment --comment "
        "\"vmssh:vm-1:30001:vm-1.vm.example.com:1700000000\" -j DNAT --to-destination "
        "10.0.0.2:22\n"
        "-A PREROUTING -p tcp --dport 80 -m comment --comment \"web\" -j DNAT "
        "--to-destination 10.9.9.9:80\n"
        "-A POSTROUTING -s 10.0.0.2/32 -p tcp -m tcp --sport 22 -m comment --comment "
        "\"vmssh:vm-1:30001:vm-1.vm.example.com:1700000000\" -j MASQUERADE\n"
        "-A FORWARD -p tcp -m conntrack --ctstate DNAT --ctreplsrc 10.0.0.8 --ctorigdstport "
        "30008 --ctreplsrcport 22 -m comment --comment \"vmssh:vm-8:30008:vm-8.vm.example.com:0\" "
        "-j ACCEPT\n"
        "-A POSTROUTING -s 10.0.0.7/32 -p tcp -m tcp --sport 22 -m comment --comment "
        "\"vmssh:vm-7:30007:vm-7.vm.example.com:0\" -j MASQUERADE\n"
        "COMMIT\n";
    vmssh_fwd_list_t l = {0};
    vmssh_error_t err;
    assert_int_equal(vmssh_ipt_parse_save(nat, &l, &err), 0);
    assert_int_equal(l.n, 3);
    const vmssh_entry_t *e = vmssh_fwd_find(&l, "vm-1");
    assert_non_null(e);
    assert_int_equal(e->port, 30001);
    assert_string_equal(e->vm_ip, "10.0.0.2");
    assert_int_equal(e->vm_port, 22);
    assert_string_equal(e->name, "vm-1.vm.example.com");
    assert_int_equal(e->expires, 1700000000);
    /* A half-added forward (only its MASQUERADE left) is still listed. */
    e = vmssh_fwd_find(&l, "vm-7");
    assert_non_null(e);
    assert_int_equal(e->port, 30007);
    assert_string_equal(e->vm_ip, "10.0.0.7");
    e = vmssh_fwd_find(&l, "vm-8"); /* only its FORWARD rule left */
    assert_non_null(e);
    assert_string_equal(e->vm_ip, "10.0.0.8");
    vmssh_fwd_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nft_batch_add),    cmocka_unit_test(test_nft_batch_del_renew),
        cmocka_unit_test(test_nft_id_hash),      cmocka_unit_test(test_nft_comment),
        cmocka_unit_test(test_nft_parse_list),   cmocka_unit_test(test_iptables_argv),
        cmocka_unit_test(test_iptables_comment), cmocka_unit_test(test_iptables_parse_save),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
