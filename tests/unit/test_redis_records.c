/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_redis_records.c - unit tests of plugins/redis/redis_records.c: JSON
 * field values to view nodes. An apex gets the default SOA/NS when it has
 * none, its SOA serial never goes below the zone's time base; an SOA below
 * the apex, bad addresses, unsupported types, a CNAME beside other data and
 * values that are not JSON are skipped and counted, the rest kept; node
 * comparison and copies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns/name.h"
#include "dns/wire.h"
#include "redis/redis_records.h"

typedef struct ctx_holder {
    redis_defaults_t d;
    uint8_t apex[NAME_MAX_WIRE];
    redis_zone_ctx_t ctx;
} ctx_holder_t;

static ctx_holder_t h;

static int setup(void **state)
{
    memset(&h, 0, sizeof(h));
    h.d = (redis_defaults_t){
        .ttl = 300, .refresh = 3600, .retry = 600, .expire = 86400, .minttl = 30};
    h.d.ns_len[0] = name_from_text("ns1.vm.example.", h.d.ns[0]);
    h.d.ns_len[1] = name_from_text("ns2.vm.example.", h.d.ns[1]);
    h.d.nns = 2;
    size_t len = name_from_text("vm.example.", h.apex);
    h.ctx = (redis_zone_ctx_t){&h.d, 300, 1700000000u, h.apex, len, 0};
    return 0;
}

static view_node_t *build(const char *owner, const char *json, redis_parse_t *res)
{
    uint8_t own[NAME_MAX_WIRE];
    size_t len = name_from_text(owner, own);
    assert_true(len > 0);
    return redis_node_from_json(&h.ctx, own, len, json, strlen(json), res);
}

static uint32_t soa_serial(const view_node_t *n)
{
    const view_rrset_t *soa = view_node_rrset(n, WIRE_TYPE_SOA);
    assert_non_null(soa);
    const uint8_t *rd = soa->wire + 10;
    size_t p = 0;
    for (int i = 0; i < 2; i++) {
        while (rd[p] != 0) {
            p += rd[p] + 1;
        }
        p++;
    }
    return wire_read_u32(rd + p);
}

static void test_apex_gets_defaults(void **state)
{
    redis_parse_t res;
    view_node_t *n = build("vm.example.", "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", &res);
    assert_non_null(n);
    assert_int_equal(res.skipped, 0);
    assert_non_null(view_node_rrset(n, WIRE_TYPE_A));
    assert_int_equal(view_node_rrset(n, WIRE_TYPE_NS)->count, 2);
    assert_int_equal(soa_serial(n), 1700000000u);
    assert_int_equal(view_node_rrset(n, WIRE_TYPE_SOA)->ttl, 300);
    view_node_free(n);

    n = redis_default_apex(&h.ctx);
    assert_int_equal(redis_node_records(n), 3);
    view_node_free(n);
}

static void test_apex_soa_serial(void **state)
{
    redis_parse_t res;
    view_node_t *n = build(
        "vm.example.", "{\"soa\":{\"ns\":\"ns.vm.example.\",\"mbox\":\"h.vm.example.\"}}", &res);
    assert_int_equal(soa_serial(n), 1700000000u);                 /* 0 raised to the base */
    assert_int_equal(view_node_rrset(n, WIRE_TYPE_NS)->count, 2); /* NS from the defaults */
    view_node_free(n);
    n = build("vm.example.",
              "{\"soa\":{\"ns\":\"ns.vm.example.\",\"mbox\":\"h.vm.example.\",\"serial\":"
              "1800000000},\"ns\":[{\"host\":\"own.ns.\"}]}",
              &res);
    assert_int_equal(soa_serial(n), 1800000000u);
    assert_int_equal(view_node_rrset(n, WIRE_TYPE_NS)->count, 1);
    view_node_free(n);
}

static void test_bad_records_skipped(void **state)
{
    redis_parse_t res;
    view_node_t *n = build("x.vm.example.",
                           "{\"a\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"300.1.2.3\"}],"
                           "\"soa\":{\"ns\":\"ns.vm.example.\",\"mbox\":\"h.vm.example.\"}}",
                           &res);
    assert_non_null(n);
    assert_int_equal(res.skipped, 2); /* the bad address and the SOA below the apex */
    assert_int_equal(view_node_rrset(n, WIRE_TYPE_A)->count, 1);
    assert_null(view_node_rrset(n, WIRE_TYPE_SOA));
    view_node_free(n);

    assert_null(build("x.vm.example.", "not json", &res));
    assert_int_equal(res.skipped, 1);
    assert_true(strlen(res.why) > 0);

    n = build("x.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.1\"}],\"loc\":[{\"x\":1}]}", &res);
    assert_non_null(n);
    assert_int_equal(res.skipped, 1);
    view_node_free(n);

    n = build("x.vm.example.",
              "{\"a\":[{\"ip\":\"10.0.0.1\"}],\"cname\":[{\"host\":\"y.vm.example.\"}]}", &res);
    assert_non_null(n);
    assert_int_equal(res.skipped, 1);
    assert_null(view_node_rrset(n, WIRE_TYPE_CNAME));
    view_node_free(n);

    /* A value that holds no record is a name that exists with no data
     * (NODATA, it hides a wildcard), as in the CoreDNS redis plugins. */
    n = build("x.vm.example.", "{}", &res);
    assert_non_null(n);
    assert_int_equal(res.skipped, 0);
    assert_int_equal(redis_node_records(n), 0);
    view_node_free(n);
    n = build("x.vm.example.", "{\"a\":[],\"txt\":[]}", &res);
    assert_non_null(n);
    assert_int_equal(redis_node_records(n), 0);
    view_node_free(n);
    /* ... but a value whose every record is bad is no name */
    assert_null(build("x.vm.example.", "{\"a\":[{\"ip\":\"bad\"}]}", &res));
    assert_int_equal(res.skipped, 1);
}

/* The rverst redis plugin's dialect: SOA mname/rname/min_ttl, PTR "name",
 * "ttl": -1 as the default TTL, one-label names relative to the zone. */
static void test_rverst_dialect(void **state)
{
    (void)state;
    redis_parse_t res;
    view_node_t *n = build("vm.example.",
                           "{\"SOA\":{\"ttl\":-1,\"mname\":\"ns1\",\"rname\":\"hostmaster\","
                           "\"serial\":5,\"refresh\":44,\"retry\":55,\"expire\":66,"
                           "\"min_ttl\":100},\"NS\":[{\"ttl\":-1,\"host\":\"ns1\"}]}",
                           &res);
    assert_non_null(n);
    assert_int_equal(res.skipped, 0);
    const view_rrset_t *soa = view_node_rrset(n, WIRE_TYPE_SOA);
    assert_non_null(soa);
    assert_int_equal(soa->ttl, 300); /* -1: the default TTL of the test context */
    static const uint8_t mname[] = "\x03ns1\x02vm\x07"
                                   "example";
    static const uint8_t rname[] = "\x0a"
                                   "hostmaster\x02vm\x07"
                                   "example";
    const uint8_t *rd = soa->wire + 10;
    assert_memory_equal(rd, mname, sizeof(mname));
    assert_memory_equal(rd + sizeof(mname), rname, sizeof(rname));
    const uint8_t *tail = rd + sizeof(mname) + sizeof(rname);
    assert_int_equal(wire_read_u32(tail + 16), 100); /* min_ttl */
    const view_rrset_t *ns = view_node_rrset(n, WIRE_TYPE_NS);
    assert_non_null(ns);
    assert_memory_equal(ns->wire + 10, mname, sizeof(mname));
    view_node_free(n);

    n = build("ptr.vm.example.", "{\"PTR\":[{\"ttl\":60,\"name\":\"host.example.net.\"}]}", &res);
    assert_non_null(n);
    assert_int_equal(res.skipped, 0);
    assert_non_null(view_node_rrset(n, WIRE_TYPE_PTR));
    view_node_free(n);

    /* several labels without the final dot stay absolute (arvancloud) */
    n = build("x.vm.example.", "{\"cname\":[{\"host\":\"target.example.net\"}]}", &res);
    assert_non_null(n);
    static const uint8_t abs_target[] = "\x06target\x07"
                                        "example\x03net";
    assert_memory_equal(view_node_rrset(n, WIRE_TYPE_CNAME)->wire + 10, abs_target,
                        sizeof(abs_target));
    view_node_free(n);
    n = build("x.vm.example.", "{\"mx\":[{\"host\":\"mail\",\"preference\":10}]}", &res);
    assert_non_null(n);
    static const uint8_t rel_target[] = "\x04mail\x02vm\x07"
                                        "example";
    assert_memory_equal(view_node_rrset(n, WIRE_TYPE_MX)->wire + 12, rel_target,
                        sizeof(rel_target));
    view_node_free(n);
}

static void test_equal_and_clone(void **state)
{
    redis_parse_t res;
    view_node_t *a =
        build("x.vm.example.",
              "{\"a\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"10.0.0.2\"}],\"txt\":[{\"text\":"
              "\"hi\"}],\"expires\":1900000000}",
              &res);
    view_node_t *b = redis_node_clone(a);
    assert_non_null(b);
    assert_true(redis_node_equal(a, b));
    assert_int_equal(redis_node_records(b), 3);
    assert_int_equal(view_node_expires(b), 1900000000);
    view_node_t *c =
        build("x.vm.example.",
              "{\"a\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"10.0.0.3\"}],\"txt\":[{\"text\":"
              "\"hi\"}],\"expires\":1900000000}",
              &res);
    assert_false(redis_node_equal(a, c));
    view_node_t *d =
        build("x.vm.example.",
              "{\"a\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"10.0.0.2\"}],\"txt\":[{\"text\":"
              "\"hi\"}]}",
              &res);
    assert_false(redis_node_equal(a, d)); /* the lease differs */
    view_node_free(a);
    view_node_free(b);
    view_node_free(c);
    view_node_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_apex_gets_defaults, setup),
        cmocka_unit_test_setup(test_apex_soa_serial, setup),
        cmocka_unit_test_setup(test_bad_records_skipped, setup),
        cmocka_unit_test_setup(test_equal_and_clone, setup),
        cmocka_unit_test_setup(test_rverst_dialect, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
