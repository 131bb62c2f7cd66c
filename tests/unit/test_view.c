/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_view.c - unit tests of src/view/view.c: node rendering, put /
 * replace / delete of single names, empty non-terminals coming and going,
 * the delegation and wildcard flags, leases, serials, whole-zone publish,
 * the longest-match zone lookup, and readers running while a writer
 * changes names and swaps zones (RCU: every lookup sees the old or the new
 * node, never a torn or freed one; run under ASan to catch use-after-free).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <pthread.h>
#include "core/rcu.h"

#include "dns/wire.h"
#include "view/view.h"
#include "zone_builder.h"

#define SOA(serial)                                                                                \
    "example.com. 3600 IN SOA ns1.example.com. h.example.com. " #serial " 3600 600 86400 300"

static view_zone_t *zone_new(const char *apex)
{
    uint8_t wire[NAME_MAX_WIRE];
    size_t len = zb_name(apex, wire);
    view_zone_t *zone = view_zone_new(wire, len);
    assert_non_null(zone);
    return zone;
}

static const view_node_t *lookup(const view_zone_t *zone, const char *name, int64_t now)
{
    uint8_t wire[NAME_MAX_WIRE];
    size_t len = zb_name(name, wire);
    return view_lookup(zone, wire, len, now);
}

static size_t rrset_count(const view_node_t *node)
{
    size_t n;
    view_node_rrsets(node, &n);
    return n;
}

static int del(view_zone_t *zone, const char *name)
{
    uint8_t wire[NAME_MAX_WIRE];
    size_t len = zb_name(name, wire);
    return view_zone_delete(zone, wire, len);
}

static void put1(view_zone_t *zone, const char *rr, int64_t expires)
{
    zb_zone_put(zone, &rr, 1, expires);
}

static void node_render(void **state)
{
    static const uint8_t a1[4] = {192, 0, 2, 1}, a2[4] = {192, 0, 2, 2};
    static const uint8_t txt[] = "\x05hello";
    static const uint8_t cname[] = "\x03www\x07"
                                   "example\x03"
                                   "com";
    const view_rr_t rrs[] = {
        {WIRE_TYPE_TXT, 60, 6, txt},
        {WIRE_TYPE_A, 300, 4, a1},
        {WIRE_TYPE_A, 100, 4, a2},
        {WIRE_TYPE_A, 300, 4, a1}, /* duplicate of the first A: dropped */
    };
    uint8_t owner[NAME_MAX_WIRE];
    size_t olen = name_from_text("Host.Example.COM.", owner);
    owner[1] = 'H'; /* an upper-case owner is lower-cased by the node */
    view_node_t *node = view_node_new(owner, olen, rrs, 4, 1234);
    assert_non_null(node);
    size_t len;
    const uint8_t *o = view_node_owner(node, &len);
    assert_int_equal(len, olen);
    assert_memory_equal(o,
                        "\x04host\x07"
                        "example\x03"
                        "com",
                        olen);
    assert_int_equal(view_node_expires(node), 1234);
    assert_int_equal(view_node_flags(node), 0);

    size_t n;
    const view_rrset_t *sets = view_node_rrsets(node, &n);
    assert_int_equal(n, 2);
    assert_int_equal(sets[0].type, WIRE_TYPE_A); /* type order */
    assert_int_equal(sets[1].type, WIRE_TYPE_TXT);
    const view_rrset_t *a = view_node_rrset(node, WIRE_TYPE_A);
    assert_ptr_equal(a, &sets[0]);
    assert_int_equal(a->count, 2);
    assert_int_equal(a->ttl, 100); /* the smallest */
    assert_int_equal(a->wire_len, 2 * 14);
    /* TYPE CLASS TTL RDLENGTH RDATA, first-given order, one TTL */
    static const uint8_t want[] = {0, 1, 0, 1, 0, 0, 0, 100, 0, 4, 192, 0, 2, 1,
                                   0, 1, 0, 1, 0, 0, 0, 100, 0, 4, 192, 0, 2, 2};
    assert_memory_equal(a->wire, want, sizeof(want));
    const view_rrset_t *t = view_node_rrset(node, WIRE_TYPE_TXT);
    assert_int_equal(t->count, 1);
    assert_int_equal(t->ttl, 60);
    assert_memory_equal(t->wire + 10, txt, 6);
    assert_null(view_node_rrset(node, WIRE_TYPE_AAAA));
    view_node_free(node);

    /* flags: CNAME, wildcard ("*" as the first label only) */
    const view_rr_t c = {WIRE_TYPE_CNAME, 60, sizeof(cname), cname};
    olen = name_from_text("*.wild.example.com.", owner);
    node = view_node_new(owner, olen, &c, 1, 0);
    assert_int_equal(view_node_flags(node), VIEW_NODE_CNAME | VIEW_NODE_WILDCARD);
    view_node_free(node);
    olen = name_from_text("x*.wild.example.com.", owner);
    node = view_node_new(owner, olen, &c, 1, 0);
    assert_int_equal(view_node_flags(node), VIEW_NODE_CNAME);
    view_node_free(node);
    olen = name_from_text("a.*.wild.example.com.", owner);
    node = view_node_new(owner, olen, NULL, 0, 0);
    assert_int_equal(view_node_flags(node), 0);
    assert_int_equal(rrset_count(node), 0);
    view_node_free(node);

    /* a bad owner is refused */
    assert_null(view_node_new((const uint8_t *)"\x05vm", 4, NULL, 0, 0));
    assert_null(view_node_new((const uint8_t *)"\x02vm", 3, NULL, 0, 0));
}

/* Building a node is O(n log n): 100,000 records (a tenth of them given
 * twice) take well under a second; duplicates go, the given order stays,
 * and counts above 65,535 are kept whole. */
static void big_nodes(void **state)
{
    (void)state;
    enum { N = 100000 };
    view_rr_t *rrs = calloc(N + N / 10, sizeof(*rrs));
    uint8_t *ips = calloc(N, 4);
    assert_non_null(rrs);
    assert_non_null(ips);
    for (size_t i = 0; i < N; i++) {
        size_t v = (i * 7919) % N; /* not in content order */
        ips[4 * i] = 10;
        ips[4 * i + 1] = (uint8_t)(v >> 16);
        ips[4 * i + 2] = (uint8_t)(v >> 8);
        ips[4 * i + 3] = (uint8_t)v;
        rrs[i] = (view_rr_t){WIRE_TYPE_A, 300, 4, ips + 4 * i};
    }
    for (size_t i = 0; i < N / 10; i++) {
        rrs[N + i] = rrs[i * 10];
        rrs[N + i].ttl = 60; /* a duplicate's TTL still counts */
    }
    uint8_t owner[NAME_MAX_WIRE];
    size_t owner_len = zb_name("big.example.com.", owner);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    view_node_t *node = view_node_new(owner, owner_len, rrs, N + N / 10, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_non_null(node);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    assert_true(ms < 1000);
    const view_rrset_t *a = view_node_rrset(node, WIRE_TYPE_A);
    assert_non_null(a);
    assert_int_equal(a->count, N);
    assert_int_equal(a->ttl, 60);
    assert_int_equal(a->wire_len, N * 14);
    for (size_t i = 0; i < N; i += 997)
        assert_memory_equal(a->wire + i * 14 + 10, ips + 4 * i, 4);
    view_node_free(node);

    /* exactly 65,536 records: not an empty RRset */
    node = view_node_new(owner, owner_len, rrs, 65536, 0);
    assert_non_null(node);
    assert_int_equal(view_node_rrset(node, WIRE_TYPE_A)->count, 65536);
    view_node_free(node);
    free(rrs);
    free(ips);
}

static void put_replace_delete(void **state)
{
    view_zone_t *zone = zone_new("example.com.");
    assert_int_equal(view_zone_size(zone), 1); /* the apex exists from the start */
    assert_non_null(lookup(zone, "example.com.", 0));
    assert_null(lookup(zone, "www.example.com.", 0));

    put1(zone, "www.example.com. 60 IN A 192.0.2.1", 0);
    const view_node_t *n = lookup(zone, "WWW.example.com.", 0);
    assert_non_null(n);
    assert_non_null(view_node_rrset(n, WIRE_TYPE_A));
    assert_int_equal(view_zone_size(zone), 2);

    /* replace: the new node is all there is, no merge with the old one */
    put1(zone, "www.example.com. 60 IN AAAA 2001:db8::1", 0);
    n = lookup(zone, "www.example.com.", 0);
    assert_null(view_node_rrset(n, WIRE_TYPE_A));
    assert_non_null(view_node_rrset(n, WIRE_TYPE_AAAA));
    assert_int_equal(view_zone_size(zone), 2);

    /* a name outside the zone is refused */
    uint8_t owner[NAME_MAX_WIRE];
    size_t olen = name_from_text("www.example.net.", owner);
    view_node_t *out = view_node_new(owner, olen, NULL, 0, 0);
    assert_int_equal(view_zone_put(zone, out), -1);
    assert_int_equal(view_zone_size(zone), 2);

    assert_int_equal(del(zone, "www.example.com."), 1);
    assert_null(lookup(zone, "www.example.com.", 0));
    assert_int_equal(del(zone, "www.example.com."), 0);
    assert_int_equal(del(zone, "nothere.example.com."), 0);
    assert_int_equal(view_zone_size(zone), 1);
    /* deleting the apex data keeps the apex */
    put1(zone, SOA(1), 0);
    assert_int_equal(rrset_count(lookup(zone, "example.com.", 0)), 1);
    assert_int_equal(del(zone, "example.com."), 1);
    assert_non_null(lookup(zone, "example.com.", 0));
    assert_int_equal(rrset_count(lookup(zone, "example.com.", 0)), 0);
    view_zone_free(zone);
}

static void empty_non_terminals(void **state)
{
    view_zone_t *zone = zone_new("example.com.");
    put1(zone, "a.b.c.example.com. 60 IN A 192.0.2.1", 0);
    assert_int_equal(view_zone_size(zone), 4);
    const view_node_t *ent = lookup(zone, "b.c.example.com.", 0);
    assert_non_null(ent);
    assert_int_equal(rrset_count(ent), 0);
    assert_non_null(lookup(zone, "c.example.com.", 0));
    assert_null(lookup(zone, "x.c.example.com.", 0));
    /* an ENT is not deletable data */
    assert_int_equal(del(zone, "b.c.example.com."), 0);
    assert_non_null(lookup(zone, "b.c.example.com.", 0));

    /* a second name under the same ENT */
    put1(zone, "x.c.example.com. 60 IN A 192.0.2.2", 0);
    assert_int_equal(view_zone_size(zone), 5);
    assert_int_equal(del(zone, "a.b.c.example.com."), 1);
    assert_null(lookup(zone, "a.b.c.example.com.", 0));
    assert_null(lookup(zone, "b.c.example.com.", 0));   /* no children left */
    assert_non_null(lookup(zone, "c.example.com.", 0)); /* still has x */
    assert_int_equal(view_zone_size(zone), 3);
    assert_int_equal(del(zone, "x.c.example.com."), 1);
    assert_null(lookup(zone, "c.example.com.", 0));
    assert_int_equal(view_zone_size(zone), 1);

    /* filling an ENT with data, then removing its child: it stays */
    put1(zone, "y.p.example.com. 60 IN A 192.0.2.3", 0);
    put1(zone, "p.example.com. 60 IN TXT \"p\"", 0);
    assert_int_equal(view_zone_size(zone), 3);
    assert_int_equal(del(zone, "y.p.example.com."), 1);
    assert_non_null(lookup(zone, "p.example.com.", 0));
    assert_int_equal(rrset_count(lookup(zone, "p.example.com.", 0)), 1);
    /* deleting a name that has children turns it into an ENT */
    put1(zone, "z.p.example.com. 60 IN A 192.0.2.4", 0);
    assert_int_equal(del(zone, "p.example.com."), 1);
    ent = lookup(zone, "p.example.com.", 0);
    assert_non_null(ent);
    assert_int_equal(rrset_count(ent), 0);
    /* and the ENT goes with its last child */
    assert_int_equal(del(zone, "z.p.example.com."), 1);
    assert_null(lookup(zone, "p.example.com.", 0));
    assert_int_equal(view_zone_size(zone), 1);

    /* replacing a parent keeps the count of its children */
    put1(zone, "k.q.example.com. 60 IN A 192.0.2.5", 0);
    put1(zone, "q.example.com. 60 IN A 192.0.2.6", 0);
    put1(zone, "q.example.com. 60 IN A 192.0.2.7", 0);
    assert_int_equal(del(zone, "q.example.com."), 1);
    assert_non_null(lookup(zone, "q.example.com.", 0)); /* ENT: k is below */
    assert_int_equal(del(zone, "k.q.example.com."), 1);
    assert_null(lookup(zone, "q.example.com.", 0));
    assert_int_equal(view_zone_size(zone), 1);
    view_zone_free(zone);
}

static void delegation_and_wildcard_flags(void **state)
{
    view_zone_t *zone = zone_new("example.com.");
    assert_false(view_zone_has_delegations(zone));
    put1(zone, "example.com. 3600 IN NS ns1.example.com.", 0);
    assert_false(view_zone_has_delegations(zone)); /* apex NS is no cut */
    assert_int_equal(view_node_flags(lookup(zone, "example.com.", 0)) & VIEW_NODE_DELEGATION, 0);

    put1(zone, "sub.example.com. 3600 IN NS ns.sub.example.com.", 0);
    assert_true(view_zone_has_delegations(zone));
    assert_true(view_node_flags(lookup(zone, "sub.example.com.", 0)) & VIEW_NODE_DELEGATION);
    /* glue below the cut is an ordinary name */
    put1(zone, "ns.sub.example.com. 3600 IN A 192.0.2.53", 0);
    assert_int_equal(view_node_flags(lookup(zone, "ns.sub.example.com.", 0)), 0);

    /* replaced without NS: no longer a cut */
    put1(zone, "sub.example.com. 60 IN TXT \"no longer\"", 0);
    assert_false(view_zone_has_delegations(zone));
    put1(zone, "sub.example.com. 3600 IN NS ns.sub.example.com.", 0);
    put1(zone, "sub2.example.com. 3600 IN NS ns.sub.example.com.", 0);
    assert_true(view_zone_has_delegations(zone));
    assert_int_equal(del(zone, "sub.example.com."), 1); /* ENT now: glue below */
    assert_true(view_zone_has_delegations(zone));
    assert_int_equal(del(zone, "sub2.example.com."), 1);
    assert_false(view_zone_has_delegations(zone));

    put1(zone, "*.wild.example.com. 60 IN A 192.0.2.9", 0);
    assert_true(view_node_flags(lookup(zone, "*.wild.example.com.", 0)) & VIEW_NODE_WILDCARD);
    assert_int_equal(rrset_count(lookup(zone, "wild.example.com.", 0)), 0);
    put1(zone, "cn.example.com. 60 IN CNAME www.example.com.", 0);
    assert_true(view_node_flags(lookup(zone, "cn.example.com.", 0)) & VIEW_NODE_CNAME);
    view_zone_free(zone);
}

static void leases(void **state)
{
    view_zone_t *zone = zone_new("example.com.");
    put1(zone, "vm-1.example.com. 30 IN A 10.0.0.1", 1000);
    put1(zone, "vm-2.example.com. 30 IN A 10.0.0.2", 2000);
    put1(zone, "a.leased.example.com. 30 IN A 10.0.0.3", 1000);
    put1(zone, "static.example.com. 30 IN A 10.0.0.4", 0);
    assert_int_equal(view_zone_size(zone), 6);

    assert_non_null(lookup(zone, "vm-1.example.com.", 999));
    assert_int_equal(view_node_expires(lookup(zone, "vm-1.example.com.", 999)), 1000);
    assert_null(lookup(zone, "vm-1.example.com.", 1000)); /* ended at 1000 */
    assert_null(lookup(zone, "vm-1.example.com.", 5000));
    assert_non_null(lookup(zone, "static.example.com.", INT64_MAX));

    assert_int_equal(view_zone_expire(zone, 999), 0);
    assert_int_equal(view_zone_size(zone), 6);
    assert_int_equal(view_zone_expire(zone, 1000), 2);
    assert_null(lookup(zone, "vm-1.example.com.", 0));   /* gone, not just hidden */
    assert_null(lookup(zone, "leased.example.com.", 0)); /* its ENT went with it */
    assert_non_null(lookup(zone, "vm-2.example.com.", 0));
    assert_int_equal(view_zone_size(zone), 3);
    assert_int_equal(view_zone_expire(zone, 1000), 0);
    /* a renewed lease (replace with a later end) survives */
    put1(zone, "vm-2.example.com. 30 IN A 10.0.0.2", 9000);
    assert_int_equal(view_zone_expire(zone, 5000), 0);
    assert_non_null(lookup(zone, "vm-2.example.com.", 5000));

    /* many leases: more than one batch of the expiry scan */
    char rr[100][80];
    const char *rrs[100];
    for (int i = 0; i < 100; i++) {
        snprintf(rr[i], sizeof(rr[i]), "e%d.example.com. 30 IN A 10.1.0.%d", i, i);
        rrs[i] = rr[i];
    }
    zb_zone_put(zone, rrs, 100, 3000);
    assert_int_equal(view_zone_expire(zone, 3000), 100);
    assert_int_equal(view_zone_size(zone), 3);
    view_zone_free(zone);
}

static void serials(void **state)
{
    view_t *view = view_new();
    view_zone_t *zone = zone_new("example.com.");
    put1(zone, SOA(100), 0);
    assert_int_equal(view_zone_serial(zone), 100); /* from the SOA while building */
    put1(zone, "www.example.com. 60 IN A 192.0.2.1", 0);
    assert_int_equal(view_zone_serial(zone), 100); /* unpublished: no bumps */
    view_publish_zone(view, zone, NULL);
    assert_int_equal(view_zone_serial(zone), 100);

    put1(zone, "www.example.com. 60 IN A 192.0.2.2", 0);
    assert_int_equal(view_zone_serial(zone), 101);
    assert_int_equal(del(zone, "www.example.com."), 1);
    assert_int_equal(view_zone_serial(zone), 102);
    assert_int_equal(del(zone, "www.example.com."), 0);
    assert_int_equal(view_zone_serial(zone), 102); /* nothing changed */
    /* a new apex SOA with a higher serial jumps to it, a lower one does not
     * make it go back */
    put1(zone, SOA(500), 0);
    assert_int_equal(view_zone_serial(zone), 500);
    put1(zone, SOA(7), 0);
    assert_int_equal(view_zone_serial(zone), 501);
    view_zone_set_serial(zone, 4000000000u);
    put1(zone, "www.example.com. 60 IN A 192.0.2.3", 0);
    assert_int_equal(view_zone_serial(zone), 4000000001u);
    view_free(view);
}

static void publish_replaces(void **state)
{
    view_t *view = view_new();
    uint8_t apex[NAME_MAX_WIRE];
    size_t apex_len = zb_name("example.com.", apex);
    const char *v1[] = {SOA(10), "old.example.com. 60 IN A 192.0.2.1"};
    const char *v2[] = {SOA(5), "new.example.com. 60 IN A 192.0.2.2"};
    view_zone_t *z1 = zb_publish(view, "example.com.", v1, 2);
    assert_ptr_equal(view_zone_get(view, apex, apex_len), z1);
    view_zone_t *z2 = zb_zone_new("example.com.", v2, 2, 0);
    view_publish_zone(view, z2, NULL); /* frees z1 after a grace period */
    assert_ptr_equal(view_zone_get(view, apex, apex_len), z2);

    rcu_read_lock();
    uint8_t q[NAME_MAX_WIRE], offs[NAME_MAX_LABELS];
    size_t ql = zb_name("old.example.com.", q);
    unsigned labels = name_label_offsets(q, ql, offs);
    const view_zone_t *z = view_find_zone(view, q, ql, offs, labels);
    assert_ptr_equal(z, z2);
    assert_null(view_lookup(z, q, ql, 0));
    assert_non_null(lookup(z, "new.example.com.", 0));
    rcu_read_unlock();
    /* the replacement's serial is above the old one although its SOA says 5 */
    assert_int_equal(view_zone_serial(z2), 11);

    assert_int_equal(view_remove_zone(view, apex, apex_len, NULL), 1);
    assert_null(view_zone_get(view, apex, apex_len));
    assert_int_equal(view_remove_zone(view, apex, apex_len, NULL), 0);
    view_free(view);
}

/* A zone has one owner: the first to publish an apex keeps it; another
 * owner can neither replace nor remove it; the owner itself can. */
static void zone_owners(void **state)
{
    view_t *view = view_new();
    uint8_t apex[NAME_MAX_WIRE];
    size_t apex_len = zb_name("example.com.", apex);
    const char *file_rrs[] = {SOA(10), "www.example.com. 60 IN A 192.0.2.1"};
    const char *redis_rrs[] = {SOA(20), "www.example.com. 60 IN A 198.51.100.1"};
    assert_null(view_zone_holder(view, apex, apex_len));

    view_zone_t *f1 = zb_zone_new("example.com.", file_rrs, 2, 0);
    view_zone_set_owner(f1, "file");
    assert_int_equal(view_publish_zone(view, f1, NULL), 0);
    assert_string_equal(view_zone_holder(view, apex, apex_len), "file");

    /* Redis finds the same zone: refused, the file's stays. */
    view_zone_t *r1 = zb_zone_new("example.com.", redis_rrs, 2, 0);
    view_zone_set_owner(r1, "redis");
    const char *holder = NULL;
    assert_int_equal(view_publish_zone(view, r1, &holder), -1);
    assert_string_equal(holder, "file");
    assert_ptr_equal(view_zone_get(view, apex, apex_len), f1);
    rcu_read_lock();
    assert_non_null(view_node_rrset(lookup(f1, "www.example.com.", 0), 1));
    rcu_read_unlock();
    /* An owner-less zone (tests) cannot take it either. */
    view_zone_t *anon = zb_zone_new("example.com.", redis_rrs, 2, 0);
    assert_int_equal(view_publish_zone(view, anon, NULL), -1);
    view_zone_free(anon);

    /* Redis drops the zone: not its to remove; the file's is answered. */
    assert_int_equal(view_remove_zone(view, apex, apex_len, "redis"), 0);
    assert_ptr_equal(view_zone_get(view, apex, apex_len), f1);

    /* The file re-read (same owner, compared by text): replaces. */
    view_zone_t *f2 = zb_zone_new("example.com.", file_rrs, 2, 0);
    static char file_name[] = "file";
    view_zone_set_owner(f2, file_name);
    assert_int_equal(view_publish_zone(view, f2, NULL), 0);
    assert_ptr_equal(view_zone_get(view, apex, apex_len), f2);
    assert_string_equal(view_zone_owner(f2), "file");

    /* The file lets go: now Redis may publish it, and remove it. */
    assert_int_equal(view_remove_zone(view, apex, apex_len, "file"), 1);
    assert_null(view_zone_holder(view, apex, apex_len));
    assert_int_equal(view_publish_zone(view, r1, NULL), 0);
    assert_string_equal(view_zone_holder(view, apex, apex_len), "redis");
    assert_int_equal(view_remove_zone(view, apex, apex_len, "file"), 0);
    assert_int_equal(view_remove_zone(view, apex, apex_len, "redis"), 1);
    view_free(view);
}

static const view_zone_t *find(const view_t *view, const char *name)
{
    uint8_t q[NAME_MAX_WIRE], offs[NAME_MAX_LABELS];
    size_t ql = zb_name(name, q);
    unsigned labels = name_label_offsets(q, ql, offs);
    return view_find_zone(view, q, ql, offs, labels);
}

static void find_zone_longest_match(void **state)
{
    view_t *view = view_new();
    assert_null(find(view, "example.com.")); /* empty view */
    view_zone_t *ex = zb_publish(view, "example.com.", NULL, 0);
    view_zone_t *sub = zb_publish(view, "sub.example.com.", NULL, 0);
    view_zone_t *deep = zb_publish(view, "a.b.c.d.example.org.", NULL, 0);

    rcu_read_lock();
    assert_ptr_equal(find(view, "example.com."), ex);
    assert_ptr_equal(find(view, "www.example.com."), ex);
    assert_ptr_equal(find(view, "sub.example.com."), sub);
    assert_ptr_equal(find(view, "x.y.SUB.example.com."), sub);
    assert_ptr_equal(find(view, "xsub.example.com."), ex);
    assert_ptr_equal(find(view, "z.a.b.c.d.example.org."), deep);
    assert_null(find(view, "b.c.d.example.org."));
    assert_null(find(view, "example.org."));
    assert_null(find(view, "com."));
    assert_null(find(view, "."));
    assert_null(find(view, "example.net."));
    rcu_read_unlock();

    uint8_t apex[NAME_MAX_WIRE];
    size_t apex_len = zb_name("sub.example.com.", apex);
    assert_int_equal(view_remove_zone(view, apex, apex_len, NULL), 1);
    apex_len = zb_name("a.b.c.d.example.org.", apex);
    assert_int_equal(view_remove_zone(view, apex, apex_len, NULL), 1);
    rcu_read_lock();
    assert_ptr_equal(find(view, "x.sub.example.com."), ex);
    assert_null(find(view, "z.a.b.c.d.example.org."));
    rcu_read_unlock();

    /* the root zone holds every name not in a longer zone */
    view_zone_t *root = zb_publish(view, ".", NULL, 0);
    rcu_read_lock();
    assert_ptr_equal(find(view, "."), root);
    assert_ptr_equal(find(view, "example.net."), root);
    assert_ptr_equal(find(view, "www.example.com."), ex);
    rcu_read_unlock();
    view_free(view);
}

/* ---- readers against a writer ---- */

typedef struct race {
    view_t *view;
    int stop; /* set by the writer, read by the readers (atomically) */
    unsigned long lookups, seen_absent;
    const char *error; /* first inconsistency a reader saw */
} race_t;

/* Check one node of a flipping name: A 10.0.0.1 with TTL 100, or A 10.0.0.2
 * with TTL 200 plus a TXT: any mix means a torn node. */
static const char *check_flip(const view_node_t *node, const uint8_t *name, size_t len)
{
    size_t olen;
    const uint8_t *owner = view_node_owner(node, &olen);
    if (olen != len || memcmp(owner, name, len) != 0)
        return "node has the wrong owner";
    const view_rrset_t *a = view_node_rrset(node, WIRE_TYPE_A);
    if (!a || a->count != 1 || a->wire_len != 14)
        return "A RRset missing or wrong size";
    uint8_t last = a->wire[13];
    size_t n;
    view_node_rrsets(node, &n);
    if (last == 1 && a->ttl == 100 && n == 1)
        return NULL;
    if (last == 2 && a->ttl == 200 && n == 2 && view_node_rrset(node, WIRE_TYPE_TXT))
        return NULL;
    return "node mixes old and new data";
}

static void *reader(void *arg)
{
    race_t *r = arg;
    rcu_register_thread();
    uint8_t names[8][NAME_MAX_WIRE], offs[8][NAME_MAX_LABELS];
    size_t lens[8];
    unsigned labels[8];
    for (int i = 0; i < 8; i++) {
        char text[64];
        snprintf(text, sizeof(text), "vm-%d.example.com.", i);
        lens[i] = zb_name(text, names[i]);
        labels[i] = name_label_offsets(names[i], lens[i], offs[i]);
    }
    while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED) &&
           !__atomic_load_n(&r->error, __ATOMIC_RELAXED)) {
        for (int i = 0; i < 8; i++) {
            rcu_read_lock();
            const view_zone_t *zone =
                view_find_zone(r->view, names[i], lens[i], offs[i], labels[i]);
            const view_node_t *node = zone ? view_lookup(zone, names[i], lens[i], 0) : NULL;
            const char *err = NULL;
            if (!zone)
                err = "zone missing during a swap";
            else if (node)
                err = check_flip(node, names[i], lens[i]);
            else if (i < 4)
                err = "a replaced (never deleted) name was missing";
            else
                __atomic_fetch_add(&r->seen_absent, 1, __ATOMIC_RELAXED);
            rcu_read_unlock();
            __atomic_fetch_add(&r->lookups, 1, __ATOMIC_RELAXED);
            if (err) {
                __atomic_store_n(&r->error, err, __ATOMIC_RELAXED);
                break;
            }
        }
    }
    rcu_unregister_thread();
    return NULL;
}

static void flip_rrs(char buf[2][96], const char *rrs[2], int i, int version)
{
    snprintf(buf[0], 96, "vm-%d.example.com. %d IN A 10.0.0.%d", i, version ? 200 : 100,
             version ? 2 : 1);
    snprintf(buf[1], 96, "vm-%d.example.com. 60 IN TXT \"v2\"", i);
    rrs[0] = buf[0];
    rrs[1] = buf[1];
}

static void readers_during_updates(void **state)
{
    race_t r = {0};
    r.view = view_new();
    view_zone_t *zone = zb_publish(r.view, "example.com.", NULL, 0);
    char buf[2][96];
    const char *rrs[2];
    for (int i = 0; i < 8; i++) {
        flip_rrs(buf, rrs, i, 0);
        zb_zone_put(zone, rrs, 1, 0);
    }
    pthread_t threads[2];
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_create(&threads[t], NULL, reader, &r), 0);

    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    unsigned long writes = 0, swaps = 0;
    uint8_t apex[NAME_MAX_WIRE];
    size_t apex_len = zb_name("example.com.", apex);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        double elapsed = (double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
        if (elapsed > 0.5 || __atomic_load_n(&r.error, __ATOMIC_RELAXED))
            break;
        int i = (int)(writes % 8), version = (int)((writes / 8) % 2);
        flip_rrs(buf, rrs, i, version);
        if (i >= 4 && version == 1 && (writes / 16) % 2 == 0) {
            /* names 4..7 also come and go */
            char text[64];
            snprintf(text, sizeof(text), "vm-%d.example.com.", i);
            del(zone, text);
        } else {
            zb_zone_put(zone, rrs, version ? 2 : 1, 0);
        }
        writes++;
        if (writes % 200 == 0) {
            /* swap in a whole new zone with every name at version 0 */
            view_zone_t *fresh = view_zone_new(apex, apex_len);
            for (int k = 0; k < 8; k++) {
                flip_rrs(buf, rrs, k, 0);
                zb_zone_put(fresh, rrs, 1, 0);
            }
            view_publish_zone(r.view, fresh, NULL);
            zone = fresh;
            swaps++;
        }
    }
    __atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
    for (int t = 0; t < 2; t++)
        pthread_join(threads[t], NULL);
    if (r.error)
        fail_msg("reader saw: %s", r.error);
    print_message("%lu writes, %lu zone swaps, %lu lookups (%lu absent)\n", writes, swaps,
                  r.lookups, r.seen_absent);
    assert_true(writes > 100);
    assert_true(swaps > 0);
    assert_true(r.lookups > 1000);
    assert_true(r.seen_absent > 0); /* the deletes were observed, too */
    view_free(r.view);
}

int main(void)
{
    rcu_register_thread();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(node_render),
        cmocka_unit_test(big_nodes),
        cmocka_unit_test(put_replace_delete),
        cmocka_unit_test(empty_non_terminals),
        cmocka_unit_test(delegation_and_wildcard_flags),
        cmocka_unit_test(leases),
        cmocka_unit_test(serials),
        cmocka_unit_test(publish_replaces),
        cmocka_unit_test(zone_owners),
        cmocka_unit_test(find_zone_longest_match),
        cmocka_unit_test(readers_during_updates),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rcu_unregister_thread();
    return rc;
}
