/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_redis_merge.c - unit tests of plugins/redis/redis_merge.c: the union
 * of several backends over the view. Covers: names from different backends
 * side by side; a name on two backends (first listed wins, the conflict is
 * counted once, the other shows when the winner deletes it, whichever came
 * first); the default apex SOA/NS and its return when every backend drops
 * its `@`; leases (expired values are absent, expired names are dropped,
 * a hidden backend's value shows after the winner's lease ends); reload
 * sweeps (names not seen again go, names seen stay); delzone; zones waiting
 * for the end of a first load; unchanged values not touching the serial;
 * a zone another plugin (a zone file) serves: Redis's copy is held back
 * and counted, the file's stays when Redis drops it, and Redis's is
 * published once the file lets go. Slots kept across a reload
 * (merge_slot_add, merge_order, merge_apply, merge_slot_release): a new
 * order flips conflicts from the data in memory; a new backend loads hidden
 * (its names and zones unseen) until the order lists it; a removed one's
 * names go and the next backend's copies show; an abandoned new backend
 * leaves nothing; a freed slot is handed out again; merge_unpublish (redis
 * dropped, the view kept) takes every zone out and nothing comes back; new
 * defaults (merge_set_defaults) reach the default apex at merge_apply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include "core/rcu.h"

#include "dns/name.h"
#include "dns/wire.h"
#include "redis/redis_merge.h"
#include "redis/redis_records.h"

typedef struct fixture {
    view_t *view;
    merge_t *merge;
    redis_stats_t stats[REDIS_MAX_BACKENDS]; /* by slot */
    redis_defaults_t defaults;
} fixture_t;

static const char *const names[] = {"first", "second", "third"};

static int setup(void **state)
{
    rcu_register_thread();
    fixture_t *f = calloc(1, sizeof(*f));
    f->view = view_new();
    f->defaults = (redis_defaults_t){
        .ttl = 300, .refresh = 3600, .retry = 600, .expire = 86400, .minttl = 30};
    f->defaults.mbox_len = name_from_text("hostmaster.vm.example.", f->defaults.mbox);
    f->defaults.ns_len[0] = name_from_text("ns1.vm.example.", f->defaults.ns[0]);
    f->defaults.nns = 1;
    merge_params_t p = {f->view, 3, names, f->stats, &f->defaults, 300};
    f->merge = merge_new(&p);
    assert_non_null(f->merge);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    merge_free(f->merge);
    view_free(f->view);
    free(f);
    rcu_unregister_thread();
    return 0;
}

static size_t wire(const char *text, uint8_t out[NAME_MAX_WIRE])
{
    size_t len = name_from_text(text, out);
    assert_true(len > 0);
    return len;
}

/* Build backend data for `owner` in `zone` from JSON. */
static view_node_t *node(const char *zone, const char *owner, const char *json)
{
    uint8_t apex[NAME_MAX_WIRE], own[NAME_MAX_WIRE];
    size_t apex_len = wire(zone, apex), own_len = wire(owner, own);
    redis_defaults_t d = {.ttl = 300};
    redis_zone_ctx_t ctx = {&d, 300, 1000, apex, apex_len, 0};
    redis_parse_t res;
    view_node_t *n = redis_node_from_json(&ctx, own, own_len, json, strlen(json), &res);
    assert_non_null(n);
    return n;
}

static void set(fixture_t *f, unsigned b, const char *zone, const char *owner, const char *json,
                int64_t now)
{
    uint8_t apex[NAME_MAX_WIRE], own[NAME_MAX_WIRE];
    size_t apex_len = wire(zone, apex), own_len = wire(owner, own);
    merge_lock(f->merge);
    assert_int_equal(
        merge_set(f->merge, b, apex, apex_len, own, own_len, node(zone, owner, json), now), 0);
    merge_unlock(f->merge);
}

static int del(fixture_t *f, unsigned b, const char *zone, const char *owner)
{
    uint8_t apex[NAME_MAX_WIRE], own[NAME_MAX_WIRE];
    size_t apex_len = wire(zone, apex), own_len = wire(owner, own);
    merge_lock(f->merge);
    int rc = merge_del(f->merge, b, apex, apex_len, own, own_len, time(NULL));
    merge_unlock(f->merge);
    return rc;
}

static view_zone_t *zone_of(fixture_t *f, const char *zone)
{
    uint8_t apex[NAME_MAX_WIRE];
    size_t len = wire(zone, apex);
    return view_zone_get(f->view, apex, len);
}

/* The address of owner's A record as text ("" if no node, "-" if no A). */
static const char *a_of(fixture_t *f, const char *zone, const char *owner)
{
    static char out[INET_ADDRSTRLEN];
    view_zone_t *z = zone_of(f, zone);
    if (z == NULL) {
        return "";
    }
    uint8_t own[NAME_MAX_WIRE];
    size_t len = wire(owner, own);
    rcu_read_lock();
    const view_node_t *n = view_lookup(z, own, len, time(NULL));
    const view_rrset_t *a = n ? view_node_rrset(n, WIRE_TYPE_A) : NULL;
    snprintf(out, sizeof(out), "%s", n == NULL ? "" : "-");
    if (a != NULL) {
        inet_ntop(AF_INET, a->wire + 10, out, sizeof(out));
    }
    rcu_read_unlock();
    return out;
}

/* The RNAME of the apex SOA, as text ("" if none). */
static const char *soa_mbox(fixture_t *f, const char *zone)
{
    static char out[NAME_MAX_WIRE * 4];
    view_zone_t *z = zone_of(f, zone);
    uint8_t apex[NAME_MAX_WIRE];
    size_t len = wire(zone, apex);
    out[0] = '\0';
    if (z == NULL) {
        return out;
    }
    rcu_read_lock();
    const view_node_t *n = view_lookup(z, apex, len, 0);
    const view_rrset_t *soa = n ? view_node_rrset(n, WIRE_TYPE_SOA) : NULL;
    if (soa != NULL) {
        const uint8_t *rd = soa->wire + 10;
        size_t p = 0;
        while (rd[p] != 0) {
            p += rd[p] + 1;
        }
        p++;
        size_t q = p;
        while (rd[q] != 0) {
            q += rd[q] + 1;
        }
        name_to_text(rd + p, q + 1 - p, out, sizeof(out));
    }
    rcu_read_unlock();
    return out;
}

static uint64_t stat(atomic_uint_fast64_t *v)
{
    return atomic_load(v);
}

static void test_union_of_backends(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    set(f, 0, "vm.example.", "a.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
    set(f, 1, "vm.example.", "b.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.2\"}]}", now);
    set(f, 2, "other.example.", "c.other.example.", "{\"a\":[{\"ip\":\"10.0.0.3\"}]}", now);
    assert_string_equal(a_of(f, "vm.example.", "a.vm.example."), "10.0.0.1");
    assert_string_equal(a_of(f, "vm.example.", "b.vm.example."), "10.0.0.2");
    assert_string_equal(a_of(f, "other.example.", "c.other.example."), "10.0.0.3");
    assert_int_equal(merge_zone_count(f->merge), 2);
    assert_int_equal(stat(&f->stats[0].names), 1);
    assert_int_equal(stat(&f->stats[0].zones), 1);
    assert_int_equal(stat(&f->stats[1].zones), 1);
    assert_int_equal(stat(&f->stats[2].records), 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(stat(&f->stats[i].conflicts), 0);
    }
}

static void test_first_listed_wins_and_next_shows(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.", *x = "x.vm.example.";
    set(f, 1, z, x, "{\"a\":[{\"ip\":\"10.0.0.2\"}]}", now);
    set(f, 2, z, x, "{\"a\":[{\"ip\":\"10.0.0.3\"}]}", now);
    assert_string_equal(a_of(f, z, x), "10.0.0.2");
    assert_int_equal(stat(&f->stats[2].conflicts), 1);
    set(f, 0, z, x, "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now); /* the first listed arrives */
    assert_string_equal(a_of(f, z, x), "10.0.0.1");
    assert_int_equal(stat(&f->stats[1].conflicts), 1);
    set(f, 2, z, x, "{\"a\":[{\"ip\":\"10.0.0.33\"}]}", now); /* update of a hidden one */
    assert_string_equal(a_of(f, z, x), "10.0.0.1");
    assert_int_equal(stat(&f->stats[2].conflicts), 1); /* counted once */
    assert_int_equal(stat(&f->stats[2].names), 1);

    assert_int_equal(del(f, 0, z, x), 1);
    assert_string_equal(a_of(f, z, x), "10.0.0.2"); /* backend 1's copy survived */
    assert_int_equal(del(f, 1, z, x), 1);
    assert_string_equal(a_of(f, z, x), "10.0.0.33");
    assert_int_equal(del(f, 1, z, x), 0);
    assert_int_equal(del(f, 2, z, x), 1);
    assert_string_equal(a_of(f, z, x), "");
    for (int i = 0; i < 3; i++) {
        assert_int_equal(stat(&f->stats[i].records), 0);
    }
}

static void test_hidden_backend_delete_keeps_winner(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.", *x = "x.vm.example.";
    set(f, 0, z, x, "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
    set(f, 1, z, "keep.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.9\"}]}", now);
    set(f, 1, z, x, "{\"a\":[{\"ip\":\"10.0.0.2\"}]}", now);
    assert_int_equal(del(f, 1, z, x), 1);
    assert_string_equal(a_of(f, z, x), "10.0.0.1");
    assert_int_equal(del(f, 0, z, x), 1);
    assert_string_equal(a_of(f, z, x), "");
}

static void test_default_apex_and_its_return(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.";
    set(f, 0, z, "a.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
    assert_string_equal(soa_mbox(f, z), "hostmaster.vm.example.");
    set(f, 1, z, z,
        "{\"soa\":{\"ns\":\"ns.vm.example.\",\"mbox\":\"admin.vm.example.\",\"ttl\":60}}", now);
    assert_string_equal(soa_mbox(f, z), "admin.vm.example.");
    set(f, 0, z, z, "{\"soa\":{\"ns\":\"ns.vm.example.\",\"mbox\":\"root.vm.example.\"}}", now);
    assert_string_equal(soa_mbox(f, z), "root.vm.example.");
    del(f, 0, z, z);
    assert_string_equal(soa_mbox(f, z), "admin.vm.example.");
    del(f, 1, z, z);
    assert_string_equal(soa_mbox(f, z), "hostmaster.vm.example.");
}

static void test_leases(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.", *x = "x.vm.example.";
    char json[128];
    snprintf(json, sizeof(json), "{\"a\":[{\"ip\":\"10.0.0.1\"}],\"expires\":%lld",
             (long long)(now - 5));
    strcat(json, "}");
    set(f, 0, z, "keep.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.9\"}]}", now);
    set(f, 0, z, x, json, now); /* already expired: as if absent */
    assert_string_equal(a_of(f, z, x), "");
    assert_int_equal(stat(&f->stats[0].names), 1);

    snprintf(json, sizeof(json), "{\"a\":[{\"ip\":\"10.0.0.1\"}],\"expires\":%lld}",
             (long long)(now + 100));
    set(f, 0, z, x, json, now);
    set(f, 1, z, x, "{\"a\":[{\"ip\":\"10.0.0.2\"}]}", now);
    assert_string_equal(a_of(f, z, x), "10.0.0.1");
    merge_lock(f->merge);
    assert_int_equal(merge_expire(f->merge, now + 50), 0);
    assert_int_equal(merge_expire(f->merge, now + 100), 1);
    merge_unlock(f->merge);
    assert_string_equal(a_of(f, z, x), "10.0.0.2"); /* the hidden value shows */
    assert_int_equal(stat(&f->stats[0].names), 1);
    merge_lock(f->merge);
    assert_int_equal(merge_expire(f->merge, now + 1000), 0);
    merge_unlock(f->merge);
}

static void test_many_leases_expire_in_order(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.";
    char owner[64], json[128];
    for (int i = 0; i < 200; i++) {
        snprintf(owner, sizeof(owner), "vm-%d.vm.example.", i);
        snprintf(json, sizeof(json), "{\"a\":[{\"ip\":\"10.0.0.1\"}],\"expires\":%lld}",
                 (long long)(now + 1 + (i * 37) % 200));
        set(f, 0, z, owner, json, now);
    }
    assert_int_equal(stat(&f->stats[0].names), 200);
    merge_lock(f->merge);
    size_t gone = merge_expire(f->merge, now + 100);
    merge_unlock(f->merge);
    assert_int_equal(gone, 100);
    for (int i = 0; i < 200; i++) {
        snprintf(owner, sizeof(owner), "vm-%d.vm.example.", i);
        bool alive = now + 1 + (i * 37) % 200 > now + 100;
        assert_string_equal(a_of(f, z, owner), alive ? "10.0.0.1" : "");
    }
}

static void test_reload_sweep(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.";
    set(f, 0, z, "x.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
    set(f, 0, z, "y.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.2\"}]}", now);
    set(f, 0, "gone.example.", "g.gone.example.", "{\"a\":[{\"ip\":\"10.0.0.3\"}]}", now);
    set(f, 1, z, "y.vm.example.", "{\"a\":[{\"ip\":\"10.0.1.2\"}]}", now);
    merge_lock(f->merge);
    merge_mark_begin(f->merge, 0, NULL, 0);
    merge_unlock(f->merge);
    set(f, 0, z, "x.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
    assert_int_equal(merge_mark_end(f->merge, 0, NULL, 0, true, now), 2);
    assert_string_equal(a_of(f, z, "x.vm.example."), "10.0.0.1");
    assert_string_equal(a_of(f, z, "y.vm.example."), "10.0.1.2");
    assert_null(zone_of(f, "gone.example."));
    assert_int_equal(stat(&f->stats[0].zones), 1);
    assert_int_equal(stat(&f->stats[0].names), 1);
}

static void test_two_reloads_in_a_row(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.";
    char owner[64];
    for (int i = 0; i < 5000; i++) { /* enough buckets for several sweep slices */
        snprintf(owner, sizeof(owner), "vm-%d.vm.example.", i);
        set(f, 0, z, owner, "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
    }
    for (int round = 0; round < 2; round++) {
        merge_lock(f->merge);
        assert_true(merge_mark_begin(f->merge, 0, NULL, 0));
        merge_unlock(f->merge);
        /* this reload sees the even names only (round 0), then a third of those */
        int kept = 0;
        for (int i = 0; i < 5000; i++) {
            if (i % 2 != 0 || (round == 1 && i % 3 != 0)) {
                continue;
            }
            snprintf(owner, sizeof(owner), "vm-%d.vm.example.", i);
            set(f, 0, z, owner, "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
            kept++;
        }
        size_t before = stat(&f->stats[0].names);
        size_t gone = merge_mark_end(f->merge, 0, NULL, 0, true, now);
        assert_int_equal(gone, before - (size_t)kept);
        assert_int_equal(stat(&f->stats[0].names), (uint64_t)kept);
        /* a name set between reloads counts as seen by the next one only if
         * set again during it */
        set(f, 0, z, "between.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.2\"}]}", now);
    }
    assert_string_equal(a_of(f, z, "vm-6.vm.example."), "10.0.0.1");
    assert_string_equal(a_of(f, z, "vm-4.vm.example."), "");
    assert_string_equal(a_of(f, z, "vm-1.vm.example."), "");
    assert_string_equal(a_of(f, z, "between.vm.example."), "10.0.0.2");
}

/* What merge_mark_count reports, for the guard (redis_guard.c). */
typedef struct counted {
    size_t zones, names, unseen, unseen_zones;
} counted_t;

static void count_cb(void *arg, const uint8_t *apex, size_t apex_len, size_t held, size_t unseen,
                     bool seen)
{
    counted_t *c = arg;
    c->zones++;
    c->names += held;
    c->unseen += unseen;
    c->unseen_zones += !seen;
}

static bool keep_gone(void *arg, const uint8_t *apex, size_t apex_len)
{
    uint8_t gone[NAME_MAX_WIRE];
    size_t len = wire("gone.example.", gone);
    return apex_len == len && memcmp(apex, gone, len) == 0;
}

/* A drop held back (kept) leaves every name served; the next reload that
 * sees them gone again counts them again and may sweep them (a kept name
 * must not look "seen" to it). */
static void test_held_drop_then_swept(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.";
    set(f, 0, z, "x.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
    set(f, 0, z, "y.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.2\"}]}", now);
    set(f, 0, "gone.example.", "g.gone.example.", "{\"a\":[{\"ip\":\"10.0.0.3\"}]}", now);
    for (int round = 0; round < 3; round++) {
        merge_lock(f->merge);
        assert_true(merge_mark_begin(f->merge, 0, NULL, 0));
        merge_unlock(f->merge);
        set(f, 0, z, "x.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
        counted_t c = {0};
        merge_mark_count(f->merge, 0, NULL, 0, count_cb, &c);
        assert_int_equal(c.zones, 2);
        assert_int_equal(c.names, 3);
        assert_int_equal(c.unseen, 2);       /* y, and g in a zone not seen */
        assert_int_equal(c.unseen_zones, 1); /* gone.example. */
        if (round < 2) {
            /* round 0: hold everything; round 1: hold the vanished zone only */
            if (round == 0) {
                assert_int_equal(merge_mark_end(f->merge, 0, NULL, 0, false, now), 0);
                assert_string_equal(a_of(f, z, "y.vm.example."), "10.0.0.2");
            } else {
                assert_int_equal(
                    merge_mark_end_keep(f->merge, 0, NULL, 0, true, keep_gone, NULL, now), 1);
                assert_string_equal(a_of(f, z, "y.vm.example."), "");
                set(f, 0, z, "y.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.2\"}]}", now);
            }
            assert_string_equal(a_of(f, "gone.example.", "g.gone.example."), "10.0.0.3");
            continue;
        }
        /* round 2: confirmed, everything unseen goes */
        assert_int_equal(merge_mark_end(f->merge, 0, NULL, 0, true, now), 2);
    }
    assert_string_equal(a_of(f, z, "x.vm.example."), "10.0.0.1");
    assert_string_equal(a_of(f, z, "y.vm.example."), "");
    assert_null(zone_of(f, "gone.example."));
    uint8_t apex[NAME_MAX_WIRE];
    size_t len = wire(z, apex);
    merge_lock(f->merge);
    assert_true(merge_zone_has(f->merge, 0, apex, len));
    assert_false(merge_zone_has(f->merge, 1, apex, len));
    merge_unlock(f->merge);
}

static void test_one_zone_sweep_leaves_others(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    uint8_t apex[NAME_MAX_WIRE];
    size_t len = wire("vm.example.", apex);
    set(f, 0, "vm.example.", "x.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
    set(f, 0, "other.example.", "o.other.example.", "{\"a\":[{\"ip\":\"10.0.0.2\"}]}", now);
    merge_lock(f->merge);
    merge_mark_begin(f->merge, 0, apex, len);
    merge_unlock(f->merge);
    assert_int_equal(merge_mark_end(f->merge, 0, apex, len, true, now), 1);
    assert_null(zone_of(f, "vm.example."));
    assert_string_equal(a_of(f, "other.example.", "o.other.example."), "10.0.0.2");
}

static void test_delzone(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.";
    uint8_t apex[NAME_MAX_WIRE];
    size_t len = wire(z, apex);
    set(f, 0, z, "x.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
    set(f, 0, z, "y.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.2\"}]}", now);
    set(f, 1, z, "y.vm.example.", "{\"a\":[{\"ip\":\"10.0.1.2\"}]}", now);
    merge_lock(f->merge);
    merge_delzone(f->merge, 0, apex, len, now);
    merge_unlock(f->merge);
    assert_string_equal(a_of(f, z, "x.vm.example."), "");
    assert_string_equal(a_of(f, z, "y.vm.example."), "10.0.1.2");
    assert_int_equal(stat(&f->stats[0].zones), 0);
    merge_lock(f->merge);
    merge_delzone(f->merge, 1, apex, len, now);
    merge_unlock(f->merge);
    assert_null(zone_of(f, z));
    assert_int_equal(merge_zone_count(f->merge), 0);
}

/* The file plugin's zone: the first owner keeps it. */
static void test_zone_of_another_plugin(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.";
    uint8_t apex[NAME_MAX_WIRE];
    size_t len = wire(z, apex);
    view_zone_t *file = view_zone_new(apex, len);
    assert_non_null(file);
    uint8_t own[NAME_MAX_WIRE];
    size_t own_len = wire("x.vm.example.", own);
    static const uint8_t addr[4] = {192, 0, 2, 1};
    view_rr_t rr = {WIRE_TYPE_A, 60, 4, addr};
    assert_int_equal(view_zone_put(file, view_node_new(own, own_len, &rr, 1, 0)), 0);
    view_zone_set_owner(file, "file");
    assert_int_equal(view_publish_zone(f->view, file, NULL), 0);

    /* Redis has the zone too, on two backends: ignored, counted for each. */
    set(f, 0, z, "x.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
    set(f, 1, z, "y.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.2\"}]}", now);
    assert_ptr_equal(zone_of(f, z), file);
    assert_string_equal(a_of(f, z, "x.vm.example."), "192.0.2.1");
    assert_string_equal(a_of(f, z, "y.vm.example."), "");
    assert_int_equal(stat(&f->stats[0].zones_ignored), 1);
    assert_int_equal(stat(&f->stats[1].zones_ignored), 1);
    assert_int_equal(stat(&f->stats[2].zones_ignored), 0);
    merge_lock(f->merge);
    merge_retry_held(f->merge); /* still the file's */
    merge_unlock(f->merge);
    assert_ptr_equal(zone_of(f, z), file);

    /* One backend drops it: its count goes; the file's zone stays. */
    merge_lock(f->merge);
    merge_delzone(f->merge, 0, apex, len, now);
    merge_unlock(f->merge);
    assert_int_equal(stat(&f->stats[0].zones_ignored), 0);
    assert_int_equal(stat(&f->stats[1].zones_ignored), 1);
    assert_ptr_equal(zone_of(f, z), file);

    /* The file lets go (a reload dropped it): the next retry serves Redis's. */
    assert_int_equal(view_remove_zone(f->view, apex, len, "file"), 1);
    merge_lock(f->merge);
    merge_retry_held(f->merge);
    merge_unlock(f->merge);
    assert_string_equal(view_zone_holder(f->view, apex, len), "redis");
    assert_string_equal(a_of(f, z, "y.vm.example."), "10.0.0.2");
    assert_int_equal(stat(&f->stats[1].zones_ignored), 0);

    /* And Redis dropping it now removes it. */
    merge_lock(f->merge);
    merge_delzone(f->merge, 1, apex, len, now);
    merge_unlock(f->merge);
    assert_null(zone_of(f, z));
}

/* Redis drops a zone the file serves: the file's data is answered. */
static void test_redis_drop_leaves_file_zone(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.";
    uint8_t apex[NAME_MAX_WIRE];
    size_t len = wire(z, apex);
    view_zone_t *file = view_zone_new(apex, len);
    view_zone_set_owner(file, "file");
    assert_int_equal(view_publish_zone(f->view, file, NULL), 0);
    set(f, 0, z, "x.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
    del(f, 0, z, "x.vm.example."); /* the last name: Redis's zone goes */
    assert_int_equal(merge_zone_count(f->merge), 0);
    assert_ptr_equal(zone_of(f, z), file);
}

static void test_last_name_deleted_removes_zone(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    set(f, 0, "vm.example.", "x.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
    assert_non_null(zone_of(f, "vm.example."));
    del(f, 0, "vm.example.", "x.vm.example.");
    assert_null(zone_of(f, "vm.example."));
}

static void test_first_load_publishes_at_the_end(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    merge_lock(f->merge);
    merge_set_loading(f->merge, 0, true);
    merge_unlock(f->merge);
    set(f, 0, "vm.example.", "x.vm.example.", "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
    assert_null(zone_of(f, "vm.example."));
    merge_lock(f->merge);
    merge_set_loading(f->merge, 0, false);
    merge_publish_pending(f->merge);
    merge_unlock(f->merge);
    assert_string_equal(a_of(f, "vm.example.", "x.vm.example."), "10.0.0.1");
    /* the serial starts from the clock, so a restart never goes back */
    assert_true(view_zone_serial(zone_of(f, "vm.example.")) >= (uint32_t)now);
}

static void test_unchanged_value_keeps_serial(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.", *x = "x.vm.example.";
    set(f, 0, z, x, "{\"a\":[{\"ip\":\"10.0.0.1\"}]}", now);
    uint32_t serial = view_zone_serial(zone_of(f, z));
    set(f, 0, z, x, "{\"a\":[{\"ip\":\"10.0.0.1\",\"ttl\":300}]}", now);
    assert_int_equal(view_zone_serial(zone_of(f, z)), serial);
    set(f, 0, z, x, "{\"a\":[{\"ip\":\"10.0.0.5\"}]}", now);
    assert_int_equal(view_zone_serial(zone_of(f, z)), serial + 1);
}

#define A1 "{\"a\":[{\"ip\":\"10.0.0.1\"}]}"
#define A2 "{\"a\":[{\"ip\":\"10.0.0.2\"}]}"
#define A9 "{\"a\":[{\"ip\":\"10.0.0.9\"}]}"

static void apply(fixture_t *f)
{
    assert_true(merge_apply(f->merge, time(NULL)));
}

static void test_new_order_flips_conflicts(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.", *x = "x.vm.example.", *y = "y.vm.example.";
    set(f, 0, z, x, A1, now);
    set(f, 1, z, x, A2, now);
    set(f, 1, z, y, A9, now);
    assert_string_equal(a_of(f, z, x), "10.0.0.1");
    unsigned order[] = {1, 0, 2};
    merge_order(f->merge, order, 3);
    assert_string_equal(a_of(f, z, x), "10.0.0.1"); /* not before merge_apply */
    apply(f);
    assert_false(merge_apply(f->merge, now)); /* nothing left to do */
    assert_string_equal(a_of(f, z, x), "10.0.0.2");
    assert_string_equal(a_of(f, z, y), "10.0.0.9");
    assert_int_equal(stat(&f->stats[0].names), 1);
    assert_int_equal(stat(&f->stats[1].names), 2);
    assert_int_equal(stat(&f->stats[0].conflicts), 1); /* 0 loses x now */
    /* The loser's data was kept: it shows when the new winner lets go. */
    assert_int_equal(del(f, 1, z, x), 1);
    assert_string_equal(a_of(f, z, x), "10.0.0.1");
    /* And a later change follows the new order. */
    set(f, 1, z, x, A2, now);
    assert_string_equal(a_of(f, z, x), "10.0.0.2");
    set(f, 0, z, x, A9, now);
    assert_string_equal(a_of(f, z, x), "10.0.0.2");
}

static void test_added_backend_hidden_until_ordered(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.", *x = "x.vm.example.", *n = "n.vm.example.";
    set(f, 0, z, x, A1, now);
    int s = merge_slot_add(f->merge, "fourth", f->stats);
    assert_int_equal(s, 3);
    set(f, (unsigned)s, z, x, A9, now);
    set(f, (unsigned)s, z, n, A9, now);
    set(f, (unsigned)s, "new.example.", "a.new.example.", A9, now);
    assert_string_equal(a_of(f, z, x), "10.0.0.1");
    assert_string_equal(a_of(f, z, n), "");
    assert_null(zone_of(f, "new.example."));
    assert_int_equal(stat(&f->stats[s].names), 3);
    /* A served backend writing into that zone meanwhile is answered at
     * once: the zone waits only for hidden backends. */
    set(f, 1, "new.example.", "b.new.example.", A2, now);
    assert_string_equal(a_of(f, "new.example.", "b.new.example."), "10.0.0.2");
    assert_string_equal(a_of(f, "new.example.", "a.new.example."), "");
    unsigned order[] = {(unsigned)s, 0, 1, 2};
    merge_order(f->merge, order, 4);
    apply(f);
    assert_string_equal(a_of(f, z, x), "10.0.0.9");
    assert_string_equal(a_of(f, z, n), "10.0.0.9");
    assert_string_equal(a_of(f, "new.example.", "a.new.example."), "10.0.0.9");
    assert_int_equal(stat(&f->stats[0].conflicts), 1);
    assert_int_equal(del(f, (unsigned)s, z, x), 1);
    assert_string_equal(a_of(f, z, x), "10.0.0.1");
}

static void test_removed_backend_names_go(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.", *x = "x.vm.example.", *o = "o.vm.example.";
    set(f, 0, z, x, A1, now);
    set(f, 0, z, o, A1, now);
    set(f, 1, z, x, A2, now);
    set(f, 0, "gone.example.", "a.gone.example.", A1, now);
    unsigned order[] = {1, 2};
    merge_order(f->merge, order, 2);
    set(f, 0, z, "late.vm.example.", A1, now); /* dead: ignored */
    assert_int_equal(del(f, 0, z, x), 0);
    assert_string_equal(a_of(f, z, x), "10.0.0.1"); /* until merge_apply */
    apply(f);
    assert_string_equal(a_of(f, z, x), "10.0.0.2");
    assert_string_equal(a_of(f, z, o), "");
    assert_string_equal(a_of(f, z, "late.vm.example."), "");
    assert_null(zone_of(f, "gone.example."));
    assert_int_equal(merge_zone_count(f->merge), 1);
    assert_int_equal(stat(&f->stats[0].names), 0);
    assert_int_equal(stat(&f->stats[0].zones), 0);
    /* The slot is free once its backend is stopped and the merge emptied it
     * (it was: no second walk needed). */
    assert_int_equal(merge_slot_add(f->merge, "fourth", f->stats), 3);
    merge_slot_release(f->merge, 0);
    assert_false(merge_apply(f->merge, now));
    assert_int_equal(merge_slot_add(f->merge, "fifth", f->stats), 0);
}

static void test_abandoned_backend_leaves_nothing(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.", *x = "x.vm.example.";
    set(f, 0, z, x, A1, now);
    int s = merge_slot_add(f->merge, "fourth", f->stats);
    assert_true(s >= 0);
    set(f, (unsigned)s, z, x, A9, now);
    set(f, (unsigned)s, "new.example.", "a.new.example.", A9, now);
    assert_int_equal(merge_zone_count(f->merge), 2);
    merge_slot_retire(f->merge, (unsigned)s);            /* the reload was dropped */
    set(f, (unsigned)s, z, "late.vm.example.", A9, now); /* stopping: ignored */
    apply(f);
    assert_int_equal(merge_zone_count(f->merge), 1);
    assert_int_equal(merge_slot_add(f->merge, "fifth", f->stats), s + 1); /* not free yet */
    merge_slot_release(f->merge, (unsigned)s);                            /* its thread is joined */
    assert_int_equal(merge_slot_add(f->merge, "sixth", f->stats), s);
    assert_null(zone_of(f, "new.example."));
    assert_string_equal(a_of(f, z, x), "10.0.0.1");
    assert_int_equal(del(f, 0, z, x), 1);
    assert_string_equal(a_of(f, z, x), "");
}

static void test_unpublish_takes_everything_out(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    const char *z = "vm.example.", *x = "x.vm.example.";
    set(f, 0, z, x, A1, now);
    set(f, 1, "other.example.", "a.other.example.", A2, now);
    /* A zone held back for another plugin must not come back either. */
    uint8_t apex[NAME_MAX_WIRE];
    size_t len = wire("held.example.", apex);
    view_zone_t *file = view_zone_new(apex, len);
    view_zone_set_owner(file, "file");
    assert_int_equal(view_publish_zone(f->view, file, NULL), 0);
    set(f, 0, "held.example.", "a.held.example.", A9, now);
    merge_unpublish(f->merge);
    assert_null(zone_of(f, z));
    assert_null(zone_of(f, "other.example."));
    set(f, 0, z, x, A2, now); /* a backend still running: ignored */
    set(f, 2, "new.example.", "a.new.example.", A2, now);
    assert_null(zone_of(f, z));
    assert_null(zone_of(f, "new.example."));
    view_remove_zone(f->view, apex, len, "file"); /* the file lets go */
    merge_tick(f->merge, now + 1);
    assert_null(zone_of(f, "held.example."));
    assert_false(merge_apply(f->merge, now));
}

static void test_new_defaults_at_apply(void **state)
{
    fixture_t *f = *state;
    int64_t now = time(NULL);
    set(f, 0, "vm.example.", "x.vm.example.", A1, now);
    assert_string_equal(soa_mbox(f, "vm.example."), "hostmaster.vm.example.");
    redis_defaults_t d = f->defaults;
    d.mbox_len = name_from_text("admin.vm.example.", d.mbox);
    merge_set_defaults(f->merge, &d, 300);
    assert_string_equal(soa_mbox(f, "vm.example."), "hostmaster.vm.example.");
    apply(f);
    assert_string_equal(soa_mbox(f, "vm.example."), "admin.vm.example.");
    merge_set_defaults(f->merge, &d, 300); /* the same again: nothing to do */
    assert_false(merge_apply(f->merge, now));
    /* A zone created from now on gets them too. */
    set(f, 1, "new.example.", "a.new.example.", A1, now);
    assert_string_equal(soa_mbox(f, "new.example."), "admin.vm.example.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_union_of_backends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_listed_wins_and_next_shows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hidden_backend_delete_keeps_winner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_apex_and_its_return, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_leases_expire_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_reloads_in_a_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_zone_sweep_leaves_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_held_drop_then_swept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delzone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zone_of_another_plugin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redis_drop_leaves_file_zone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_name_deleted_removes_zone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_load_publishes_at_the_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unchanged_value_keeps_serial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_order_flips_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_added_backend_hidden_until_ordered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_backend_names_go, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abandoned_backend_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unpublish_takes_everything_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_defaults_at_apply, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
