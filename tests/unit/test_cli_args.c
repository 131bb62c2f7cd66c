/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_cli_args.c - vmdnsd's command line (src/cli_args.c): vmdnsd's long
 * options and CoreDNS's Go flags, as a CoreDNS unit file, container or
 * user writes them; and reverse zones from CIDR notation
 * (src/config/corefile_cidr.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cli_args.h"
#include "config/corefile_cidr.h"

/* Parse a NULL-terminated argument list (after "vmdnsd"). */
static int parse(cli_args_t *a, char *err, const char *first, ...)
{
    char *argv[32] = {"vmdnsd"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *s = first; s != NULL && argc < 31; s = va_arg(ap, const char *)) {
        argv[argc++] = (char *)s;
    }
    va_end(ap);
    argv[argc] = NULL;
    err[0] = '\0';
    return cli_args_parse(argc, argv, a, err, 256);
}

static void test_coredns_flags(void **state)
{
    (void)state;
    cli_args_t a;
    char err[256];
    /* The stock coredns.service */
    assert_int_equal(parse(&a, err, "-conf=/etc/coredns/Corefile", NULL), 0);
    assert_string_equal(a.path, "/etc/coredns/Corefile");
    assert_true(a.corefile);
    assert_int_equal(a.action, CLI_RUN);
    /* Container args, two dashes, separate values */
    assert_int_equal(parse(&a, err, "--conf", "/Corefile", "-dns.port", "1053", "--pidfile=/run/p",
                           "-quiet", NULL),
                     0);
    assert_string_equal(a.path, "/Corefile");
    assert_int_equal(a.dns_port, 1053);
    assert_string_equal(a.pidfile, "/run/p");
    assert_true(a.quiet);
    /* Bool flags: Go's spellings */
    assert_int_equal(parse(&a, err, "-quiet=false", "-conf", "C", NULL), 0);
    assert_false(a.quiet);
    assert_int_equal(parse(&a, err, "-quiet=T", "-conf", "C", NULL), 0);
    assert_true(a.quiet);
    /* No arguments: ./Corefile */
    assert_int_equal(parse(&a, err, NULL), 0);
    assert_string_equal(a.path, "Corefile");
    assert_true(a.path_defaulted && a.corefile);
    assert_int_equal(parse(&a, err, "-version", NULL), 0);
    assert_int_equal(a.action, CLI_VERSION);
    assert_int_equal(parse(&a, err, "--plugins", NULL), 0);
    assert_int_equal(a.action, CLI_PLUGINS);
    /* "--" ends the flags; an empty -pidfile writes none (as CoreDNS) */
    assert_int_equal(parse(&a, err, "-pidfile=", "--", NULL), 0);
    assert_null(a.pidfile);
}

static void test_vmdnsd_options(void **state)
{
    (void)state;
    cli_args_t a;
    char err[256];
    assert_int_equal(parse(&a, err, "-c", "vmdns.yaml", NULL), 0);
    assert_string_equal(a.path, "vmdns.yaml");
    assert_false(a.corefile);
    assert_int_equal(parse(&a, err, "--config=vmdns.yaml", NULL), 0);
    assert_false(a.corefile);
    assert_int_equal(parse(&a, err, "--check-config", "v.yaml", NULL), 0);
    assert_true(a.check_only);
    assert_int_equal(parse(&a, err, "--check", "--corefile", "Corefile", NULL), 0);
    assert_true(a.check_only && a.corefile);
    assert_int_equal(parse(&a, err, "-h", NULL), 0);
    assert_int_equal(a.action, CLI_HELP);
    assert_int_equal(parse(&a, err, "-V", NULL), 0);
    assert_int_equal(a.action, CLI_VERSION);
}

static void test_bad_command_lines(void **state)
{
    (void)state;
    cli_args_t a;
    char err[256];
    assert_int_equal(parse(&a, err, "-conf", NULL), -1);
    assert_string_equal(err, "-conf needs a value");
    assert_int_equal(parse(&a, err, "-dns.port=65536", "-conf", "C", NULL), -1);
    assert_string_equal(err, "-dns.port=65536: '65536' is not a port (1-65535)");
    assert_int_equal(parse(&a, err, "-dns.port=53", "-c", "v.yaml", NULL), -1);
    assert_string_equal(err, "-dns.port is for a Corefile (a YAML config names its ports)");
    assert_int_equal(parse(&a, err, "-conf", "a", "--config", "b", NULL), -1);
    assert_string_equal(err, "give one config file (--config 'b' after 'a')");
    assert_int_equal(parse(&a, err, "-log", NULL), -1);
    assert_string_equal(err, "unknown option: -log");
    assert_int_equal(parse(&a, err, "---conf", "C", NULL), -1);
    assert_string_equal(err, "bad flag syntax: ---conf");
    assert_int_equal(parse(&a, err, "-quiet=yes", NULL), -1);
    assert_int_equal(parse(&a, err, "Corefile", NULL), -1);
    assert_int_equal(parse(&a, err, "-conf", "", NULL), -1);
}

static void test_cidr_zones(void **state)
{
    (void)state;
    char out[300], why[300];
    assert_int_equal(cf_cidr_zone("example.com", out, sizeof(out), why, sizeof(why)), 0);
    assert_int_equal(cf_cidr_zone("10.0.0.0/8", out, sizeof(out), why, sizeof(why)), 1);
    assert_string_equal(out, "10.in-addr.arpa.");
    assert_int_equal(cf_cidr_zone("192.168.1.77/24", out, sizeof(out), why, sizeof(why)), 1);
    assert_string_equal(out, "1.168.192.in-addr.arpa."); /* host bits ignored */
    assert_int_equal(cf_cidr_zone("0.0.0.0/0", out, sizeof(out), why, sizeof(why)), 1);
    assert_string_equal(out, "in-addr.arpa.");
    assert_int_equal(cf_cidr_zone("2001:db8::/32", out, sizeof(out), why, sizeof(why)), 1);
    assert_string_equal(out, "8.b.d.0.1.0.0.2.ip6.arpa.");
    assert_int_equal(cf_cidr_zone("fd00::/8", out, sizeof(out), why, sizeof(why)), 1);
    assert_string_equal(out, "d.f.ip6.arpa.");
    assert_int_equal(cf_cidr_zone("10.0.0.0/17", out, sizeof(out), why, sizeof(why)), -1);
    assert_int_equal(cf_cidr_zone("fd00::/9", out, sizeof(out), why, sizeof(why)), -1);
    assert_int_equal(cf_cidr_zone("10.0.0.0/33", out, sizeof(out), why, sizeof(why)), -1);
    assert_int_equal(cf_cidr_zone("10.0.0/8", out, sizeof(out), why, sizeof(why)), -1);
    assert_int_equal(cf_cidr_zone("/8", out, sizeof(out), why, sizeof(why)), -1);
    assert_int_equal(cf_cidr_zone("10.0.0.0/x", out, sizeof(out), why, sizeof(why)), -1);
    assert_string_equal(why, "'10.0.0.0/x': not a zone name nor a CIDR prefix");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coredns_flags),
        cmocka_unit_test(test_vmdnsd_options),
        cmocka_unit_test(test_bad_command_lines),
        cmocka_unit_test(test_cidr_zones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
