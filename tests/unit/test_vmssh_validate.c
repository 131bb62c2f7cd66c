/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_vmssh_validate.c - what vmssh refuses before touching anything: VM
 * ids, IPv4 addresses, names, logins, interface names, port ranges; and
 * vmssh_vm_open refusing bad options without running nft or locking.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include <cmocka.h>

#include "vmssh_int.h"

static void test_vm_ids(void **state)
{
    (void)state;
    assert_true(vmssh_valid_vm_id("vm-abc123"));
    assert_true(vmssh_valid_vm_id("A.b_c-9"));
    assert_true(vmssh_valid_vm_id("x"));
    char long_id[80];
    memset(long_id, 'a', 63);
    long_id[63] = '\0';
    assert_true(vmssh_valid_vm_id(long_id));
    long_id[63] = 'a';
    long_id[64] = '\0';
    assert_false(vmssh_valid_vm_id(long_id));
    assert_false(vmssh_valid_vm_id(""));
    assert_false(vmssh_valid_vm_id(NULL));
    assert_false(vmssh_valid_vm_id("-vm"));
    assert_false(vmssh_valid_vm_id(".vm"));
    assert_false(vmssh_valid_vm_id("vm 1"));
    assert_false(vmssh_valid_vm_id("vm\"1"));
    assert_false(vmssh_valid_vm_id("vm:1"));
    assert_false(vmssh_valid_vm_id("vm;rm"));
    assert_false(vmssh_valid_vm_id("vm/1"));
}

static void test_addresses(void **state)
{
    (void)state;
    assert_true(vmssh_valid_ipv4("10.0.0.2"));
    assert_true(vmssh_valid_ipv4("255.255.255.255"));
    assert_false(vmssh_valid_ipv4("10.0.0"));
    assert_false(vmssh_valid_ipv4("10.0.0.256"));
    assert_false(vmssh_valid_ipv4("::1"));
    assert_false(vmssh_valid_ipv4("10.0.0.2/32"));
    assert_false(vmssh_valid_ipv4(" 10.0.0.2"));
    assert_false(vmssh_valid_ipv4(""));
    assert_false(vmssh_valid_ipv4(NULL));
}

static void test_names(void **state)
{
    (void)state;
    char out[256];
    assert_int_equal(vmssh_normalize_name("VM-abc123.VM.Example.com.", out, sizeof(out)), 0);
    assert_string_equal(out, "vm-abc123.vm.example.com");
    assert_true(vmssh_valid_name("vm-1.vm.example.com"));
    assert_false(vmssh_valid_name("localhost")); /* not fully qualified */
    assert_false(vmssh_valid_name("vm_1.example.com"));
    assert_false(vmssh_valid_name("-vm.example.com"));
    assert_false(vmssh_valid_name("vm-.example.com"));
    assert_false(vmssh_valid_name("vm..example.com"));
    assert_false(vmssh_valid_name(".example.com"));
    assert_false(vmssh_valid_name("vm example.com"));
    assert_false(vmssh_valid_name(""));
    assert_false(vmssh_valid_name("."));
    char label[80];
    memset(label, 'a', 64);
    strcpy(label + 64, ".com");
    assert_false(vmssh_valid_name(label));
    char big[300];
    memset(big, 'a', sizeof(big));
    for (int i = 10; i < 290; i += 10)
        big[i] = '.';
    big[290] = '\0';
    assert_false(vmssh_valid_name(big));
}

static void test_users_ifnames_ranges(void **state)
{
    (void)state;
    assert_true(vmssh_valid_user("runner"));
    assert_true(vmssh_valid_user("_ci-user.2"));
    assert_false(vmssh_valid_user("Runner"));
    assert_false(vmssh_valid_user("9lives"));
    assert_false(vmssh_valid_user("a b"));
    assert_false(vmssh_valid_user("root@x"));
    assert_true(vmssh_valid_ifname("eth0"));
    assert_true(vmssh_valid_ifname("br-ext.100"));
    assert_false(vmssh_valid_ifname("eth 0"));
    assert_false(vmssh_valid_ifname("a\"b"));
    assert_false(vmssh_valid_ifname("sixteencharslong"));
    uint16_t lo, hi;
    assert_int_equal(vmssh_parse_range("30000-39999", &lo, &hi), 0);
    assert_int_equal(lo, 30000);
    assert_int_equal(hi, 39999);
    assert_int_equal(vmssh_parse_range("5-5", &lo, &hi), 0);
    assert_int_equal(vmssh_parse_range("1-65535", &lo, &hi), 0);
    assert_int_equal(vmssh_parse_range("0-10", &lo, &hi), -1);
    assert_int_equal(vmssh_parse_range("10-65536", &lo, &hi), -1);
    assert_int_equal(vmssh_parse_range("20-10", &lo, &hi), -1);
    assert_int_equal(vmssh_parse_range("20", &lo, &hi), -1);
    assert_int_equal(vmssh_parse_range("-20", &lo, &hi), -1);
    assert_int_equal(vmssh_parse_range("1-2-3", &lo, &hi), -1);
    assert_int_equal(vmssh_parse_range("1 - 2", &lo, &hi), -1);
}

/* A handle whose nft and state_dir would fail loudly if ever used. */
static vmssh_t *untouchable(void)
{
    char path[] = "/tmp/vmssh-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "external_interface: eth0\nport_range: 30000-30010\n"
                       "public_ipv4: 203.0.113.10\nstate_dir: /nonexistent/dir\n"
                       "nft: /nonexistent/nft\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    vmssh_error_t err;
    vmssh_t *h = vmssh_new(path, &err);
    unlink(path);
    if (!h)
        fail_msg("%s", err.message);
    return h;
}

static void open_refused(vmssh_t *h, const char *id, const char *ip, const char *name,
                         uint32_t lease, const char *want)
{
    vmssh_open_opts_t o;
    vmssh_open_opts_init(&o);
    o.vm_id = id;
    o.vm_ip = ip;
    o.name = name;
    o.lease_s = lease;
    vmssh_error_t err;
    assert_int_equal(vmssh_vm_open(h, &o, NULL, &err), -1);
    assert_int_equal(err.code, VMSSH_ERR_INVALID);
    if (!strstr(err.message, want))
        fail_msg("'%s' lacks '%s'", err.message, want);
}

static void test_open_refuses_before_touching(void **state)
{
    (void)state;
    vmssh_t *h = untouchable();
    open_refused(h, "vm 1", "10.0.0.2", "vm-1.example.com", 0, "bad VM id");
    open_refused(h, "vm-1", "10.0.0.300", "vm-1.example.com", 0, "bad VM address");
    open_refused(h, "vm-1", "10.0.0.2", "vm_1.example.com", 0, "bad name");
    open_refused(h, "vm-1", "10.0.0.2", "vm-1.example.com", 400u * 86400u, "longer than a year");
    char name[200];
    memset(name, 'a', 60);
    strcpy(name + 60, ".bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example.com");
    open_refused(h, "vm-1", "10.0.0.2", name, 0, "too long");
    vmssh_open_opts_t o = {0}; /* struct_size not set */
    vmssh_error_t err;
    assert_int_equal(vmssh_vm_open(h, &o, NULL, &err), -1);
    assert_int_equal(err.code, VMSSH_ERR_INVALID);
    assert_int_equal(vmssh_vm_close(h, "bad id", NULL, &err), -1);
    assert_int_equal(err.code, VMSSH_ERR_INVALID);
    assert_int_equal(vmssh_vm_renew(h, "vm-1", 0, &err), -1); /* no lease anywhere */
    assert_int_equal(err.code, VMSSH_ERR_INVALID);
    const char *live[] = {"ok", "not ok"};
    assert_int_equal(vmssh_reconcile(h, live, 2, NULL, &err), -1);
    assert_int_equal(err.code, VMSSH_ERR_INVALID);
    /* A valid request reaches the state_dir lock, which fails here. */
    vmssh_open_opts_init(&o);
    o.vm_id = "vm-1";
    o.vm_ip = "10.0.0.2";
    o.name = "vm-1.example.com";
    vmssh_entry_t out = {0}; /* struct_size not set */
    assert_int_equal(vmssh_vm_open(h, &o, &out, &err), -1);
    assert_int_equal(err.code, VMSSH_ERR_INVALID);
    vmssh_entry_init(&out);
    assert_int_equal(out.struct_size, sizeof(out));
    assert_int_equal(vmssh_vm_open(h, &o, NULL, &err), -1);
    assert_int_equal(err.code, VMSSH_ERR_SYSTEM);
    assert_non_null(strstr(err.message, "nothing was left behind"));
    assert_string_equal(vmssh_strerror(VMSSH_ERR_NO_PORT), "no free port");
    vmssh_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vm_ids),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_users_ifnames_ranges),
        cmocka_unit_test(test_open_refuses_before_touching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
