/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_file_zone.c - the `file` plugin: master files into the view.
 *
 * A real zone file (data/test.zone) is loaded and looked up name by name:
 * owners and names inside RDATA lower-cased, $ORIGIN/$TTL/relative names,
 * RRset TTL, empty non-terminals, delegation and wildcard flags, SOA
 * serial. Broken files must fail with "FILE:LINE: problem" at the line of
 * the offending record, and a failed load must leave the view untouched.
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
#include "core/plugin.h"
#include "core/rcu.h"
#include "dns/name.h"
#include "dns/wire.h"
#include "file/zonefile.h"
#include "view/view.h"

extern const plugin_t plugin_file;

#define APEX "test.example."

static size_t wire(const char *text, uint8_t out[NAME_MAX_WIRE])
{
    size_t len = name_from_text(text, out);
    assert_true(len > 0);
    return len;
}

/* Load data/test.zone, publish it, and return the view. */
static view_t *load_test_zone(zone_file_stats_t *stats)
{
    uint8_t apex[NAME_MAX_WIRE];
    size_t apex_len = wire(APEX, apex);
    cfg_error_t err = {{0}};
    view_zone_t *zone = zone_file_load(VMDNS_TEST_DATA "/test.zone", apex, apex_len, stats, &err);
    if (zone == NULL) {
        fail_msg("load failed: %s", err.msg);
    }
    view_t *view = view_new();
    assert_non_null(view);
    view_publish_zone(view, zone, NULL);
    return view;
}

/* The node for `name` in the zone of APEX (inside rcu_read_lock). */
static const view_node_t *lookup(view_t *view, const char *name)
{
    uint8_t apex[NAME_MAX_WIRE], n[NAME_MAX_WIRE];
    size_t apex_len = wire(APEX, apex), len = wire(name, n);
    const view_zone_t *zone = view_zone_get(view, apex, apex_len);
    assert_non_null(zone);
    return view_lookup(zone, n, len, 0);
}

/* The RDATA of the first record of an RRset. */
static const uint8_t *first_rdata(const view_rrset_t *rs, uint16_t *rdlen)
{
    *rdlen = wire_read_u16(rs->wire + 8);
    return rs->wire + 10;
}

static void test_load_names(void **state)
{
    zone_file_stats_t st;
    view_t *view = load_test_zone(&st);
    assert_int_equal(st.serial, 2023120501);
    assert_int_equal(st.records, 53);
    /* 11 owners + ENTs b.ent, ent, wild, deep. */
    assert_int_equal(st.names, 15);

    uint8_t apex[NAME_MAX_WIRE];
    size_t apex_len = wire(APEX, apex);
    assert_int_equal(view_zone_serial(view_zone_get(view, apex, apex_len)), 2023120501);

    rcu_read_lock();
    /* Owner "Mixed" in the file: stored lower-case; two A, TTL the smaller. */
    const view_node_t *n = lookup(view, "mixed.test.example.");
    assert_non_null(n);
    const view_rrset_t *a = view_node_rrset(n, WIRE_TYPE_A);
    assert_non_null(a);
    assert_int_equal(a->count, 2);
    assert_int_equal(a->ttl, 300);
    uint16_t rdlen;
    const uint8_t *rd = first_rdata(a, &rdlen);
    assert_int_equal(rdlen, 4);
    assert_memory_equal(rd, "\xc0\x00\x02\x01", 4);

    /* CNAME target written "WWW.Other.Example." is lower-cased. */
    n = lookup(view, "www.test.example.");
    assert_non_null(n);
    assert_true(view_node_flags(n) & VIEW_NODE_CNAME);
    rd = first_rdata(view_node_rrset(n, WIRE_TYPE_CNAME), &rdlen);
    assert_int_equal(rdlen, 19);
    assert_memory_equal(rd, "\3www\5other\7example\0", 19);

    /* MX at the apex: preference, then the lower-cased exchange. */
    n = lookup(view, APEX);
    assert_non_null(n);
    rd = first_rdata(view_node_rrset(n, WIRE_TYPE_MX), &rdlen);
    assert_int_equal(rdlen, 2 + 19);
    assert_memory_equal(rd, "\0\12\4mail\4test\7example\0", 21);
    /* SOA with relative names made absolute by $ORIGIN, $TTL applied. */
    const view_rrset_t *soa = view_node_rrset(n, WIRE_TYPE_SOA);
    assert_non_null(soa);
    assert_int_equal(soa->ttl, 600);
    rd = first_rdata(soa, &rdlen);
    assert_memory_equal(rd, "\3ns1\4test\7example\0\12hostmaster\4test\7example\0", 43);
    assert_int_equal(wire_read_u32(rd + 43), 2023120501);
    assert_int_equal(wire_read_u32(rd + 59), 60);

    /* Empty non-terminals exist with no data; unknown names do not. */
    n = lookup(view, "b.ent.test.example.");
    assert_non_null(n);
    size_t count = 99;
    view_node_rrsets(n, &count);
    assert_int_equal(count, 0);
    assert_non_null(lookup(view, "ent.test.example."));
    assert_non_null(lookup(view, "a.b.ent.test.example."));
    assert_null(lookup(view, "c.ent.test.example."));
    assert_null(lookup(view, "nope.test.example."));

    /* A second $ORIGIN moves relative names; a TTL in the line wins. */
    n = lookup(view, "x.deep.test.example.");
    assert_non_null(n);
    assert_int_equal(view_node_rrset(n, WIRE_TYPE_AAAA)->ttl, 60);
    n = lookup(view, "big.deep.test.example.");
    rd = first_rdata(view_node_rrset(n, WIRE_TYPE_TXT), &rdlen);
    assert_int_equal(rdlen, 14);
    assert_memory_equal(rd, "\3one\3two\5three", 14);

    /* Flags the answer path depends on. */
    assert_true(view_node_flags(lookup(view, "sub.test.example.")) & VIEW_NODE_DELEGATION);
    assert_false(view_node_flags(lookup(view, APEX)) & VIEW_NODE_DELEGATION);
    assert_true(view_node_flags(lookup(view, "*.wild.test.example.")) & VIEW_NODE_WILDCARD);
    assert_int_equal(view_node_rrset(lookup(view, "many.test.example."), WIRE_TYPE_A)->count, 40);
    rcu_read_unlock();

    view_free(view);
}

/* Load zone text for origin "t." as if it were the file "z.zone". */
static view_zone_t *load_text(const char *text, cfg_error_t *err)
{
    uint8_t apex[NAME_MAX_WIRE];
    size_t apex_len = wire("t.", apex);
    FILE *fp = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(fp);
    view_zone_t *zone = zone_file_read(fp, "z.zone", apex, apex_len, NULL, err);
    fclose(fp);
    return zone;
}

/* Assert that zone text fails with exactly `want`. */
static void expect_error(const char *text, const char *want)
{
    cfg_error_t err = {{0}};
    view_zone_t *zone = load_text(text, &err);
    if (zone != NULL) {
        view_zone_free(zone);
        fail_msg("loaded, but expected: %s", want);
    }
    assert_string_equal(err.msg, want);
}

#define SOA "@ 300 IN SOA ns h 1 3600 600 86400 60\n"

static void test_bad_files(void **state)
{
    expect_error(SOA "a A 192.0.2.1\n\n; a comment\nb A 192.0.2\nc A 192.0.2.3\n",
                 "z.zone:5: Syntax error, could not parse the RR's rdata");
    expect_error(SOA "a BOGUS 1\n", "z.zone:2: Syntax error, could not parse the RR's rdata");
    expect_error(SOA "a A 192.0.2.1\nwww.elsewhere. A 192.0.2.2\n",
                 "z.zone:3: www.elsewhere. is outside the zone t.");
    expect_error("a A 192.0.2.1\n", "z.zone:1: no SOA record for the apex t.");
    expect_error("", "z.zone:1: no SOA record for the apex t.");
    expect_error(SOA "sub SOA ns h 1 2 3 4 5\n",
                 "z.zone:2: SOA record for sub.t., which is not the apex");
    expect_error(SOA "@ SOA ns h 2 3600 600 86400 60\n",
                 "z.zone:2: second SOA record (first on line 1)");
    expect_error(SOA "a CNAME b\na A 192.0.2.1\n",
                 "z.zone:3: a.t. has a CNAME and other data (line 2)");
    expect_error(SOA "a A 192.0.2.1\nx TXT hi\na CNAME b\n",
                 "z.zone:4: a.t. has a CNAME and other data (line 2)");
    expect_error(SOA "a CNAME b\na CNAME c\n", "z.zone:3: second CNAME for a.t. (first on line 2)");
    expect_error(SOA "a CH A 192.0.2.1\n", "z.zone:2: only class IN is supported");
    expect_error(SOA "$INCLUDE other.zone\n", "z.zone:2: $INCLUDE is not supported");
    /* A record spread over lines is reported at its first line. */
    expect_error("\n\n@ SOA ns h (\n  x 3600\n  600 86400 60 )\n",
                 "z.zone:3: Syntax error, could not parse the RR's rdata");

    cfg_error_t err = {{0}};
    view_zone_t *zone =
        zone_file_load(VMDNS_TEST_DATA "/no-such.zone", (const uint8_t *)"\1t", 3, NULL, &err);
    assert_null(zone);
    assert_non_null(strstr(err.msg, "no-such.zone:0: cannot open zone file"));
}

static void test_good_edge_cases(void **state)
{
    /* No final newline, CRLF line ends, a record continuing the previous
     * owner, the same SOA twice, duplicate records, a CNAME at a name with
     * only an RRSIG-free history, and a type known only by number. */
    cfg_error_t err = {{0}};
    view_zone_t *zone = load_text(SOA "a A 192.0.2.1\r\n  A 192.0.2.2\r\n" SOA "a A 192.0.2.1\n"
                                      "c CNAME a\nu TYPE65280 \\# 2 abcd\nlast A 192.0.2.3",
                                  &err);
    if (zone == NULL) {
        fail_msg("%s", err.msg);
    }
    uint8_t n[NAME_MAX_WIRE];
    rcu_read_lock();
    const view_node_t *node = view_lookup(zone, n, wire("a.t.", n), 0);
    assert_non_null(node);
    assert_int_equal(view_node_rrset(node, WIRE_TYPE_A)->count, 2);
    node = view_lookup(zone, n, wire("last.t.", n), 0);
    assert_non_null(node);
    node = view_lookup(zone, n, wire("u.t.", n), 0);
    assert_non_null(node);
    uint16_t rdlen;
    const uint8_t *rd = first_rdata(view_node_rrset(node, 65280), &rdlen);
    assert_int_equal(rdlen, 2);
    assert_memory_equal(rd, "\xab\xcd", 2);
    rcu_read_unlock();
    assert_int_equal(view_zone_serial(zone), 1);
    view_zone_free(zone);
}

/* Parse a `zones:` section and set the plugin up from it. */
static int parse_and_setup(const plugin_env_t *env, cfg_node_t *zones, void **conf, void **pstate,
                           cfg_error_t *err)
{
    plugin_parse_env_t penv = {.workers = 1, .limits = env->limits};
    *conf = NULL;
    if (plugin_file.parse(&penv, zones, conf, err) != 0) {
        *pstate = NULL;
        return -1;
    }
    return plugin_file.setup(env, *conf, pstate, err);
}

/* Run the plugin's parse and setup on YAML text (file name `name`). */
static int setup_plugin(view_t *view, const char *name, const char *text, cfg_error_t *err)
{
    cfg_node_t *root = cfg_parse_yaml(text, strlen(text), name, err);
    assert_non_null(root);
    answer_limits_t lim = {.edns_udp_size = 1232};
    plugin_env_t env = {.view = view, .workers = 1, .limits = &lim};
    void *pstate = (void *)1, *conf;
    cfg_node_t *zones = cfg_get(root, plugin_file.config_key);
    assert_non_null(zones);
    int rc = parse_and_setup(&env, zones, &conf, &pstate, err);
    plugin_file.conf_free(conf);
    if (rc == 0) {
        assert_int_equal(cfg_check_unused(root, err), 0);
        assert_non_null(pstate);
        plugin_file.teardown(pstate);
    } else {
        assert_null(pstate);
    }
    cfg_free(root);
    return rc;
}

static bool has_zone(view_t *view, const char *apex)
{
    uint8_t a[NAME_MAX_WIRE];
    size_t len = wire(apex, a);
    return view_zone_get(view, a, len) != NULL;
}

static void test_plugin_setup(void **state)
{
    view_t *view = view_new();
    cfg_error_t err = {{0}};
    cfg_node_t *root = cfg_load_yaml(VMDNS_TEST_DATA "/zones.yaml", &err);
    assert_non_null(root);
    answer_limits_t lim = {.edns_udp_size = 1232};
    plugin_env_t env = {.view = view, .workers = 1, .limits = &lim};
    void *pstate, *conf;
    /* The file name is relative to the config's directory, not the cwd. */
    assert_int_equal(parse_and_setup(&env, cfg_get(root, "zones"), &conf, &pstate, &err), 0);
    assert_int_equal(cfg_check_unused(root, &err), 0);
    assert_true(has_zone(view, APEX));
    assert_int_equal(plugin_file.start(pstate), 0);
    plugin_file.teardown(pstate);
    plugin_file.conf_free(conf);
    assert_true(has_zone(view, APEX)); /* the view owns the zones */
    cfg_free(root);
    view_free(view);
}

static void test_plugin_errors(void **state)
{
    view_t *view = view_new();
    cfg_error_t err = {{0}};
    char text[1024];

    assert_int_equal(setup_plugin(view, "t.yaml",
                                  "zones:\n  - origin: x.example.\n    file: /nonexistent/x.zone\n",
                                  &err),
                     -1);
    assert_string_equal(err.msg, "t.yaml:3: cannot open zone file '/nonexistent/x.zone': "
                                 "No such file or directory");

    assert_int_equal(setup_plugin(view, "t.yaml", "zones:\n  - origin: x.example.\n", &err), -1);
    assert_string_equal(err.msg, "t.yaml:2: zones: entry without 'file'");

    assert_int_equal(setup_plugin(view, "t.yaml", "zones:\n  - origin: a..b\n    file: f\n", &err),
                     -1);
    assert_string_equal(err.msg, "t.yaml:2: bad zone origin 'a..b'");

    assert_int_equal(setup_plugin(view, "t.yaml", "zones: test.zone\n", &err), -1);
    assert_string_equal(err.msg, "t.yaml:1: zones: expected a list of {origin, file}");

    /* The same origin twice. */
    snprintf(text, sizeof(text),
             "zones:\n  - origin: " APEX "\n    file: %s/test.zone\n"
             "  - origin: TEST.example\n    file: %s/test.zone\n",
             VMDNS_TEST_DATA, VMDNS_TEST_DATA);
    assert_int_equal(setup_plugin(view, "t.yaml", text, &err), -1);
    assert_string_equal(err.msg, "t.yaml:4: zone listed twice (also on line 2)");
    assert_false(has_zone(view, APEX));

    /* A good zone, then a broken one: nothing is published. The zone file
     * has names outside "other.example.", reported with its own line. */
    snprintf(text, sizeof(text),
             "zones:\n  - origin: " APEX "\n    file: %s/test.zone\n"
             "  - origin: other.example.\n    file: %s/test.zone\n",
             VMDNS_TEST_DATA, VMDNS_TEST_DATA);
    assert_int_equal(setup_plugin(view, "t.yaml", text, &err), -1);
    assert_string_equal(err.msg, VMDNS_TEST_DATA
                        "/test.zone:5: test.example. is outside the zone other.example.");
    assert_false(has_zone(view, APEX));

    /* Relative to the directory of the config file named in the tree. */
    assert_int_equal(setup_plugin(view, VMDNS_TEST_DATA "/virtual.yaml",
                                  "zones:\n  - origin: " APEX "\n    file: test.zone\n", &err),
                     0);
    assert_true(has_zone(view, APEX));
    view_free(view);
}

/* Write a small zone file for `origin` with `www` as the last octet. */
static void write_zone(const char *path, const char *origin, int serial, int www)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp,
            "$ORIGIN %s\n$TTL 300\n@ IN SOA ns1 hostmaster %d 3600 600 86400 30\n"
            "@ IN NS ns1\nns1 IN A 192.0.2.1\nwww IN A 192.0.2.%d\n",
            origin, serial, www);
    fclose(fp);
}

/* Parse `text` (a config in dir) and set the plugin up as a reload would:
 * on a view that serves, taking over from prev. */
static void *reload_setup(view_t *view, const char *text, void *prev, void **conf)
{
    cfg_error_t err = {{0}};
    cfg_node_t *root = cfg_parse_yaml(text, strlen(text), "t.yaml", &err);
    assert_non_null(root);
    answer_limits_t lim = {.edns_udp_size = 1232};
    plugin_env_t env = {
        .view = view, .workers = 1, .limits = &lim, .view_serving = true, .prev_state = prev};
    void *st = NULL;
    if (parse_and_setup(&env, cfg_get(root, "zones"), conf, &st, &err) != 0) {
        fail_msg("%s", err.msg);
    }
    cfg_free(root);
    return st;
}

/* A reload on a kept view: the zone whose file did not change is taken
 * over as it is (the very same published zone), the changed one is read
 * again and replaces it at start, and a zone dropped from the config is
 * removed. Nothing changes in the view before start. */
static void test_plugin_handover(void **state)
{
    char dir[] = "/tmp/vmdns-file-XXXXXX", a[64], b[64], text[512];
    assert_non_null(mkdtemp(dir));
    snprintf(a, sizeof(a), "%s/a.zone", dir);
    snprintf(b, sizeof(b), "%s/b.zone", dir);
    write_zone(a, "a.example.", 1, 10);
    write_zone(b, "b.example.", 1, 20);
    snprintf(text, sizeof(text),
             "zones:\n  - origin: a.example.\n    file: %s\n"
             "  - origin: b.example.\n    file: %s\n",
             a, b);
    view_t *view = view_new();
    uint8_t aw[NAME_MAX_WIRE], bw[NAME_MAX_WIRE];
    size_t alen = wire("a.example.", aw), blen = wire("b.example.", bw);

    void *c1, *c2, *c3;
    void *s1 = reload_setup(view, text, NULL, &c1);
    assert_int_equal(plugin_file.start(s1), 0);
    view_zone_t *za = view_zone_get(view, aw, alen), *zb = view_zone_get(view, bw, blen);
    assert_non_null(za);
    assert_non_null(zb);

    write_zone(b, "b.example.", 2, 21); /* a larger file: size and mtime change */
    void *s2 = reload_setup(view, text, s1, &c2);
    assert_false(plugin_file.conf_equal(c1, c2));
    assert_ptr_equal(view_zone_get(view, bw, blen), zb); /* not yet */
    assert_int_equal(plugin_file.start(s2), 0);
    assert_ptr_equal(view_zone_get(view, aw, alen), za); /* not read again */
    assert_ptr_not_equal(view_zone_get(view, bw, blen), zb);
    assert_non_null(view_zone_get(view, bw, blen));
    plugin_file.teardown(s1);
    plugin_file.conf_free(c1);

    snprintf(text, sizeof(text), "zones:\n  - origin: a.example.\n    file: %s\n", a);
    void *s3 = reload_setup(view, text, s2, &c3);
    assert_non_null(view_zone_get(view, bw, blen));
    assert_int_equal(plugin_file.start(s3), 0);
    assert_null(view_zone_get(view, bw, blen)); /* dropped from the config */
    assert_ptr_equal(view_zone_get(view, aw, alen), za);
    plugin_file.teardown(s2);
    plugin_file.conf_free(c2);
    plugin_file.teardown(s3);
    plugin_file.conf_free(c3);
    view_free(view);
    remove(a);
    remove(b);
    rmdir(dir);
}

static int group_setup(void **state)
{
    rcu_register_thread();
    return 0;
}

static int group_teardown(void **state)
{
    rcu_unregister_thread();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_names),      cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_good_edge_cases), cmocka_unit_test(test_plugin_setup),
        cmocka_unit_test(test_plugin_errors),   cmocka_unit_test(test_plugin_handover),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
