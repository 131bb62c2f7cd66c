/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_answer.c - unit tests of src/dns/answer.c against a view built from
 * presentation-format records (zone_builder.c). Every answering rule of
 * DESIGN.md "Answering" has a test here: queries are rendered with ldns,
 * parsed with wire_parse_query(), answered with answer_query(), and the
 * response is parsed back with ldns_wire2pkt() and compared record by
 * record (as text, so a wrong name, TTL or compression pointer shows).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>
#include "core/rcu.h"

#include "dns/answer.h"
#include "dns/wire.h"
#include "view/view.h"
#include "zone_builder.h"

#define NOW 1700000000

static const char *const example_rrs[] = {
    ("example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 3600 600 "
     "86400 300"),
    "example.com. 3600 IN NS ns1.example.com.",
    "example.com. 3600 IN NS ns2.example.com.",
    "example.com. 300 IN MX 10 mail.example.com.",
    "example.com. 300 IN MX 20 mx.elsewhere.net.",
    "example.com. 300 IN TXT \"apex\"",
    "ns1.example.com. 3600 IN A 192.0.2.53",
    "ns1.example.com. 3600 IN AAAA 2001:db8::53",
    "ns2.example.com. 3600 IN A 192.0.2.54",
    "mail.example.com. 300 IN A 192.0.2.25",
    "mail.example.com. 300 IN AAAA 2001:db8::25",
    "www.example.com. 300 IN A 192.0.2.80",
    "vm-abc.example.com. 30 IN A 10.1.2.3",
    "vm-abc.example.com. 30 IN AAAA fd00::3",
    "_ssh._tcp.vm-abc.example.com. 30 IN SRV 0 0 38291 vm-abc.example.com.",
    "c1.example.com. 300 IN CNAME c2.example.com.",
    "c2.example.com. 300 IN CNAME c3.example.com.",
    "c3.example.com. 300 IN CNAME www.example.com.",
    "dangling.example.com. 300 IN CNAME nothere.example.com.",
    "out.example.com. 300 IN CNAME www.example.net.",
    "loop1.example.com. 300 IN CNAME loop2.example.com.",
    "loop2.example.com. 300 IN CNAME loop1.example.com.",
    "self.example.com. 300 IN CNAME self.example.com.",
    "*.wild.example.com. 300 IN A 192.0.2.99",
    "host.wild.example.com. 300 IN A 192.0.2.98",
    "*.wc.example.com. 300 IN CNAME www.example.com.",
    "a.b.ent.example.com. 300 IN A 192.0.2.7",
    "sub.example.com. 3600 IN NS ns.sub.example.com.",
    "sub.example.com. 3600 IN NS ns.other.net.",
    "sub.example.com. 3600 IN DS 12345 8 1 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE",
    "ns.sub.example.com. 3600 IN A 192.0.2.153",
    "tosub.example.com. 300 IN CNAME www.sub.example.com.",
};

/* A zone without delegations (another code path for wildcards) whose SOA
 * TTL is below its minimum. */
static const char *const other_rrs[] = {
    "other.test. 60 IN SOA ns.other.test. h.other.test. 7 3600 600 86400 600",
    "other.test. 60 IN NS ns.other.test.",
    "*.w.other.test. 60 IN TXT \"wild\"",
    "h.w.other.test. 60 IN A 192.0.2.1",
    "x.y.z.other.test. 60 IN A 192.0.2.2",
};

static int setup(void **state)
{
    view_t *view = view_new();
    zb_publish(view, "example.com.", example_rrs, sizeof(example_rrs) / sizeof(example_rrs[0]));
    zb_publish(view, "other.test.", other_rrs, sizeof(other_rrs) / sizeof(other_rrs[0]));
    /* a sub-zone served here too: its names are not in the parent */
    const char *inner[] = {
        "inner.example.com. 60 IN SOA ns1.example.com. h.example.com. 1 3600 600 86400 60",
        "x.inner.example.com. 60 IN A 192.0.2.200",
    };
    zb_publish(view, "inner.example.com.", inner, 2);
    /* 60 A records: too big for 512 bytes */
    char big[60][64];
    const char *big_rrs[60];
    for (int i = 0; i < 60; i++) {
        snprintf(big[i], sizeof(big[i]), "big.example.com. 300 IN A 198.51.100.%d", i + 1);
        big_rrs[i] = big[i];
    }
    uint8_t apex[NAME_MAX_WIRE];
    size_t apex_len = zb_name("example.com.", apex);
    zb_zone_put(view_zone_get(view, apex, apex_len), big_rrs, 60, 0);
    *state = view;
    return 0;
}

static int teardown(void **state)
{
    view_free(*state);
    return 0;
}

/* One query and its response. */
typedef struct exchange {
    uint8_t query[1024];
    size_t qlen;
    wire_query_t q;
    uint8_t resp[WIRE_MAX_UDP];
    size_t len;
    answer_meta_t meta;
    ldns_pkt *pkt;
} exchange_t;

static void exchange_free(exchange_t *x)
{
    ldns_pkt_free(x->pkt);
    free(x);
}

/* Answer the query in x->query within max bytes; parse it back. */
static exchange_t *answer_raw(const view_t *view, exchange_t *x, size_t max, int64_t now)
{
    answer_limits_t lim = {.edns_udp_size = 1232, .now = now};
    assert_int_equal(wire_parse_query(x->query, x->qlen, &x->q), WIRE_ANSWER);
    rcu_read_lock();
    x->len = answer_query(view, &x->q, &lim, x->resp, max, &x->meta);
    rcu_read_unlock();
    assert_true(x->len >= WIRE_HEADER_SIZE);
    assert_true(x->len <= max);
    assert_int_equal(ldns_wire2pkt(&x->pkt, x->resp, x->len), LDNS_STATUS_OK);
    assert_int_equal(ldns_pkt_id(x->pkt), x->q.id);
    assert_true(ldns_pkt_qr(x->pkt));
    /* the question is echoed byte for byte */
    assert_int_equal(ldns_pkt_qdcount(x->pkt), 1);
    assert_memory_equal(x->resp + WIRE_HEADER_SIZE, x->query + WIRE_HEADER_SIZE,
                        x->q.question_end - WIRE_HEADER_SIZE);
    return x;
}

static exchange_t *ask_opts(const view_t *view, const char *name, uint16_t type,
                            const zb_query_opts_t *opts, size_t max)
{
    exchange_t *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    x->qlen = zb_query(name, type, opts, x->query, sizeof(x->query));
    return answer_raw(view, x, max, NOW);
}

/* Plain query (id 0x4242, no EDNS) over TCP-sized limits. */
static exchange_t *ask(void **state, const char *name, uint16_t type)
{
    zb_query_opts_t o = {.id = 0x4242};
    return ask_opts(*state, name, type, &o, WIRE_MAX_UDP);
}

/* The records of a section as "owner ttl IN TYPE rdata" lines, compared in
 * order with `want` (NULL-terminated). */
static void expect_section(const ldns_pkt *pkt, ldns_pkt_section section, const char *const *want)
{
    ldns_rr_list *list = ldns_pkt_get_section_clone(pkt, section);
    size_t n = list ? ldns_rr_list_rr_count(list) : 0, w = 0;
    while (want[w])
        w++;
    for (size_t i = 0; i < n || i < w; i++) {
        char *text = i < n ? ldns_rr2str(ldns_rr_list_rr(list, i)) : NULL;
        if (text) {
            for (char *c = text; *c; c++)
                if (*c == '\t')
                    *c = ' ';
            size_t l = strlen(text);
            if (l && text[l - 1] == '\n')
                text[l - 1] = '\0';
        }
        if (i >= w || i >= n || strcmp(text, want[i]) != 0)
            fail_msg("section %d record %zu: got \"%s\", want \"%s\"", (int)section, i,
                     text ? text : "(none)", i < w ? want[i] : "(none)");
        free(text);
    }
    ldns_rr_list_deep_free(list);
}

#define EXPECT(x, section, ...)                                                                    \
    do {                                                                                           \
        const char *const want_[] = {__VA_ARGS__, NULL};                                           \
        expect_section((x)->pkt, section, want_);                                                  \
    } while (0)

static const ldns_rr_list *section_of(const exchange_t *x, ldns_pkt_section s)
{
    switch (s) {
    case LDNS_SECTION_ANSWER:
        return ldns_pkt_answer(x->pkt);
    case LDNS_SECTION_AUTHORITY:
        return ldns_pkt_authority(x->pkt);
    default:
        return ldns_pkt_additional(x->pkt);
    }
}

static size_t count(const exchange_t *x, ldns_pkt_section s)
{
    return ldns_rr_list_rr_count(section_of(x, s));
}

static void expect_rcode(const exchange_t *x, ldns_pkt_rcode rcode, bool aa)
{
    assert_int_equal(ldns_pkt_get_rcode(x->pkt), rcode);
    assert_int_equal(x->meta.rcode, rcode);
    assert_int_equal(ldns_pkt_aa(x->pkt), aa);
    assert_int_equal(x->meta.authoritative, aa);
}

static uint32_t zone_serial(void **state, const char *apex_text)
{
    uint8_t apex[NAME_MAX_WIRE];
    size_t len = zb_name(apex_text, apex);
    return view_zone_serial(view_zone_get(*state, apex, len));
}

/* The SOA in authority of a negative answer: owner, TTL and serial. */
static void expect_negative_soa(void **state, const exchange_t *x, const char *apex, uint32_t ttl)
{
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 0);
    assert_int_equal(count(x, LDNS_SECTION_AUTHORITY), 1);
    ldns_rr *soa = ldns_rr_list_rr(section_of(x, LDNS_SECTION_AUTHORITY), 0);
    assert_int_equal(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
    char *owner = ldns_rdf2str(ldns_rr_owner(soa));
    assert_string_equal(owner, apex);
    free(owner);
    assert_int_equal(ldns_rr_ttl(soa), ttl);
    assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)), zone_serial(state, apex));
}

/* ---- the tests ---- */

static void positive_answer(void **state)
{
    exchange_t *x = ask(state, "www.example.com.", LDNS_RR_TYPE_A);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    EXPECT(x, LDNS_SECTION_ANSWER, "www.example.com. 300 IN A 192.0.2.80");
    assert_int_equal(count(x, LDNS_SECTION_AUTHORITY), 0); /* minimal responses */
    assert_int_equal(count(x, LDNS_SECTION_ADDITIONAL), 0);
    assert_false(ldns_pkt_tc(x->pkt));
    assert_int_equal(ldns_pkt_get_opcode(x->pkt), LDNS_PACKET_QUERY);
    assert_false(ldns_pkt_edns(x->pkt)); /* no OPT asked, none given */
    exchange_free(x);
}

static void refused_outside_zones(void **state)
{
    const char *names[] = {"www.example.net.", "com.", ".", "xexample.com."};
    for (size_t i = 0; i < 4; i++) {
        exchange_t *x = ask(state, names[i], LDNS_RR_TYPE_A);
        expect_rcode(x, LDNS_RCODE_REFUSED, false);
        assert_int_equal(count(x, LDNS_SECTION_ANSWER) + count(x, LDNS_SECTION_AUTHORITY), 0);
        assert_null(x->meta.zone);
        exchange_free(x);
    }
    /* class other than IN: not ours either */
    zb_query_opts_t o = {.id = 1, .qclass = LDNS_RR_CLASS_CH};
    exchange_t *x = ask_opts(*state, "www.example.com.", LDNS_RR_TYPE_TXT, &o, 512);
    expect_rcode(x, LDNS_RCODE_REFUSED, false);
    exchange_free(x);
}

static void nxdomain_and_nodata(void **state)
{
    exchange_t *x = ask(state, "nothere.example.com.", LDNS_RR_TYPE_A);
    expect_rcode(x, LDNS_RCODE_NXDOMAIN, true);
    expect_negative_soa(state, x, "example.com.", 300); /* min(3600, 300) */
    assert_int_equal(
        ldns_rdf2native_int32(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_authority(x->pkt), 0), 2)),
        zone_serial(state, "example.com."));
    exchange_free(x);

    x = ask(state, "www.example.com.", LDNS_RR_TYPE_AAAA);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    expect_negative_soa(state, x, "example.com.", 300);
    exchange_free(x);

    /* SOA TTL below the minimum: the TTL wins */
    x = ask(state, "nothere.other.test.", LDNS_RR_TYPE_A);
    expect_rcode(x, LDNS_RCODE_NXDOMAIN, true);
    expect_negative_soa(state, x, "other.test.", 60);
    exchange_free(x);

    /* names of a sub-zone served here are answered from it */
    x = ask(state, "nothere.inner.example.com.", LDNS_RR_TYPE_A);
    expect_rcode(x, LDNS_RCODE_NXDOMAIN, true);
    expect_negative_soa(state, x, "inner.example.com.", 60);
    exchange_free(x);
    x = ask(state, "x.inner.example.com.", LDNS_RR_TYPE_A);
    EXPECT(x, LDNS_SECTION_ANSWER, "x.inner.example.com. 60 IN A 192.0.2.200");
    exchange_free(x);
}

static void serial_follows_changes(void **state)
{
    uint8_t apex[NAME_MAX_WIRE];
    size_t apex_len = zb_name("other.test.", apex);
    view_zone_t *zone = view_zone_get(*state, apex, apex_len);
    uint32_t before = view_zone_serial(zone);
    assert_int_equal(before, 7);
    const char *rr = "new.other.test. 60 IN A 192.0.2.9";
    zb_zone_put(zone, &rr, 1, 0);
    assert_int_equal(view_zone_serial(zone), before + 1);

    exchange_t *x = ask(state, "nothere.other.test.", LDNS_RR_TYPE_A);
    expect_negative_soa(state, x, "other.test.", 60);
    assert_int_equal(
        ldns_rdf2native_int32(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_authority(x->pkt), 0), 2)),
        before + 1);
    exchange_free(x);
    /* the SOA asked for directly carries the same serial */
    x = ask(state, "other.test.", LDNS_RR_TYPE_SOA);
    EXPECT(x, LDNS_SECTION_ANSWER,
           "other.test. 60 IN SOA ns.other.test. h.other.test. 8 3600 600 86400 600");
    exchange_free(x);
    uint8_t owner[NAME_MAX_WIRE];
    size_t olen = zb_name("new.other.test.", owner);
    assert_int_equal(view_zone_delete(zone, owner, olen), 1);
    x = ask(state, "other.test.", LDNS_RR_TYPE_SOA);
    EXPECT(x, LDNS_SECTION_ANSWER,
           "other.test. 60 IN SOA ns.other.test. h.other.test. 9 3600 600 86400 600");
    exchange_free(x);
}

static void empty_non_terminal(void **state)
{
    const char *ents[] = {"ent.example.com.", "b.ent.example.com."};
    for (int i = 0; i < 2; i++) {
        exchange_t *x = ask(state, ents[i], LDNS_RR_TYPE_A);
        expect_rcode(x, LDNS_RCODE_NOERROR, true); /* NODATA, not NXDOMAIN */
        expect_negative_soa(state, x, "example.com.", 300);
        exchange_free(x);
    }
    exchange_t *x = ask(state, "x.ent.example.com.", LDNS_RR_TYPE_A);
    expect_rcode(x, LDNS_RCODE_NXDOMAIN, true);
    exchange_free(x);
    x = ask(state, "a.b.ent.example.com.", LDNS_RR_TYPE_A);
    EXPECT(x, LDNS_SECTION_ANSWER, "a.b.ent.example.com. 300 IN A 192.0.2.7");
    exchange_free(x);
    /* the same in a zone without delegations */
    x = ask(state, "y.z.other.test.", LDNS_RR_TYPE_A);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    expect_negative_soa(state, x, "other.test.", 60);
    exchange_free(x);
}

static void cname_chain(void **state)
{
    exchange_t *x = ask(state, "c1.example.com.", LDNS_RR_TYPE_A);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    EXPECT(x, LDNS_SECTION_ANSWER, "c1.example.com. 300 IN CNAME c2.example.com.",
           "c2.example.com. 300 IN CNAME c3.example.com.",
           "c3.example.com. 300 IN CNAME www.example.com.", "www.example.com. 300 IN A 192.0.2.80");
    exchange_free(x);

    /* asking for the CNAME itself: no following */
    x = ask(state, "c1.example.com.", LDNS_RR_TYPE_CNAME);
    EXPECT(x, LDNS_SECTION_ANSWER, "c1.example.com. 300 IN CNAME c2.example.com.");
    exchange_free(x);

    /* chain ending in NODATA / NXDOMAIN: the SOA of the last zone */
    x = ask(state, "c1.example.com.", LDNS_RR_TYPE_AAAA);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 3);
    assert_int_equal(count(x, LDNS_SECTION_AUTHORITY), 1);
    exchange_free(x);
    x = ask(state, "dangling.example.com.", LDNS_RR_TYPE_A);
    expect_rcode(x, LDNS_RCODE_NXDOMAIN, true); /* RFC 6604: rcode of the last name */
    EXPECT(x, LDNS_SECTION_ANSWER, "dangling.example.com. 300 IN CNAME nothere.example.com.");
    assert_int_equal(count(x, LDNS_SECTION_AUTHORITY), 1);
    exchange_free(x);
}

static void cname_loop_and_out_of_zone(void **state)
{
    exchange_t *x = ask(state, "loop1.example.com.", LDNS_RR_TYPE_A);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    EXPECT(x, LDNS_SECTION_ANSWER, "loop1.example.com. 300 IN CNAME loop2.example.com.",
           "loop2.example.com. 300 IN CNAME loop1.example.com.");
    exchange_free(x);
    x = ask(state, "self.example.com.", LDNS_RR_TYPE_A);
    EXPECT(x, LDNS_SECTION_ANSWER, "self.example.com. 300 IN CNAME self.example.com.");
    exchange_free(x);

    x = ask(state, "out.example.com.", LDNS_RR_TYPE_A);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    EXPECT(x, LDNS_SECTION_ANSWER, "out.example.com. 300 IN CNAME www.example.net.");
    assert_int_equal(count(x, LDNS_SECTION_AUTHORITY), 0);
    assert_int_equal(count(x, LDNS_SECTION_ADDITIONAL), 0);
    exchange_free(x);
}

static void wildcards(void **state)
{
    /* synthesized, owner = the query name */
    exchange_t *x = ask(state, "foo.wild.example.com.", LDNS_RR_TYPE_A);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    EXPECT(x, LDNS_SECTION_ANSWER, "foo.wild.example.com. 300 IN A 192.0.2.99");
    exchange_free(x);
    x = ask(state, "a.b.wild.example.com.", LDNS_RR_TYPE_A);
    EXPECT(x, LDNS_SECTION_ANSWER, "a.b.wild.example.com. 300 IN A 192.0.2.99");
    exchange_free(x);
    /* wildcard NODATA */
    x = ask(state, "foo.wild.example.com.", LDNS_RR_TYPE_AAAA);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    expect_negative_soa(state, x, "example.com.", 300);
    exchange_free(x);
    /* an existing name is never covered by the wildcard ... */
    x = ask(state, "host.wild.example.com.", LDNS_RR_TYPE_A);
    EXPECT(x, LDNS_SECTION_ANSWER, "host.wild.example.com. 300 IN A 192.0.2.98");
    exchange_free(x);
    x = ask(state, "host.wild.example.com.", LDNS_RR_TYPE_TXT);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 0);
    exchange_free(x);
    /* ... nor a name below an existing one (closest encloser host.wild) */
    x = ask(state, "x.host.wild.example.com.", LDNS_RR_TYPE_A);
    expect_rcode(x, LDNS_RCODE_NXDOMAIN, true);
    exchange_free(x);
    /* the parent of the wildcard is an ENT */
    x = ask(state, "wild.example.com.", LDNS_RR_TYPE_A);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 0);
    exchange_free(x);
    /* wildcard CNAME: owner is the query name, target followed */
    x = ask(state, "Any.WC.example.com.", LDNS_RR_TYPE_A);
    EXPECT(x, LDNS_SECTION_ANSWER, "Any.WC.example.com. 300 IN CNAME www.example.com.",
           "www.example.com. 300 IN A 192.0.2.80");
    exchange_free(x);

    /* the same rules in a zone without delegations */
    x = ask(state, "q.w.other.test.", LDNS_RR_TYPE_TXT);
    EXPECT(x, LDNS_SECTION_ANSWER, "q.w.other.test. 60 IN TXT \"wild\"");
    exchange_free(x);
    x = ask(state, "h.w.other.test.", LDNS_RR_TYPE_TXT);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 0);
    exchange_free(x);
    x = ask(state, "x.h.w.other.test.", LDNS_RR_TYPE_TXT);
    expect_rcode(x, LDNS_RCODE_NXDOMAIN, true);
    exchange_free(x);
    x = ask(state, "q.z.other.test.", LDNS_RR_TYPE_TXT); /* z is an ENT, no wildcard */
    expect_rcode(x, LDNS_RCODE_NXDOMAIN, true);
    exchange_free(x);
}

static void referral(void **state)
{
    const char *names[] = {"www.sub.example.com.", "sub.example.com.", "ns.sub.example.com.",
                           "a.b.c.sub.example.com."};
    for (int i = 0; i < 4; i++) {
        exchange_t *x = ask(state, names[i], i == 1 ? LDNS_RR_TYPE_NS : LDNS_RR_TYPE_A);
        expect_rcode(x, LDNS_RCODE_NOERROR, false); /* no AA below a cut */
        assert_int_equal(count(x, LDNS_SECTION_ANSWER), 0);
        EXPECT(x, LDNS_SECTION_AUTHORITY, "sub.example.com. 3600 IN NS ns.sub.example.com.",
               "sub.example.com. 3600 IN NS ns.other.net.");
        EXPECT(x, LDNS_SECTION_ADDITIONAL, "ns.sub.example.com. 3600 IN A 192.0.2.153");
        exchange_free(x);
    }
    /* DS at the cut is the parent's: answered with AA */
    exchange_t *x = ask(state, "sub.example.com.", LDNS_RR_TYPE_DS);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 1);
    assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(x->pkt), 0)),
                     LDNS_RR_TYPE_DS);
    exchange_free(x);
    /* DS below the cut: a referral */
    x = ask(state, "x.sub.example.com.", LDNS_RR_TYPE_DS);
    expect_rcode(x, LDNS_RCODE_NOERROR, false);
    assert_int_equal(count(x, LDNS_SECTION_AUTHORITY), 2);
    exchange_free(x);
    /* a CNAME into the delegation: the CNAME, then the referral */
    x = ask(state, "tosub.example.com.", LDNS_RR_TYPE_A);
    EXPECT(x, LDNS_SECTION_ANSWER, "tosub.example.com. 300 IN CNAME www.sub.example.com.");
    assert_int_equal(count(x, LDNS_SECTION_AUTHORITY), 2);
    exchange_free(x);
}

static void additional_addresses(void **state)
{
    exchange_t *x = ask(state, "example.com.", LDNS_RR_TYPE_MX);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    EXPECT(x, LDNS_SECTION_ANSWER, "example.com. 300 IN MX 10 mail.example.com.",
           "example.com. 300 IN MX 20 mx.elsewhere.net.");
    EXPECT(x, LDNS_SECTION_ADDITIONAL, "mail.example.com. 300 IN A 192.0.2.25",
           "mail.example.com. 300 IN AAAA 2001:db8::25");
    exchange_free(x);

    x = ask(state, "example.com.", LDNS_RR_TYPE_NS);
    EXPECT(x, LDNS_SECTION_ANSWER, "example.com. 3600 IN NS ns1.example.com.",
           "example.com. 3600 IN NS ns2.example.com.");
    EXPECT(x, LDNS_SECTION_ADDITIONAL, "ns1.example.com. 3600 IN A 192.0.2.53",
           "ns1.example.com. 3600 IN AAAA 2001:db8::53", "ns2.example.com. 3600 IN A 192.0.2.54");
    assert_int_equal(count(x, LDNS_SECTION_AUTHORITY), 0);
    exchange_free(x);

    x = ask(state, "_ssh._tcp.vm-abc.example.com.", LDNS_RR_TYPE_SRV);
    EXPECT(x, LDNS_SECTION_ANSWER,
           "_ssh._tcp.vm-abc.example.com. 30 IN SRV 0 0 38291 vm-abc.example.com.");
    EXPECT(x, LDNS_SECTION_ADDITIONAL, "vm-abc.example.com. 30 IN A 10.1.2.3",
           "vm-abc.example.com. 30 IN AAAA fd00::3");
    exchange_free(x);

    /* other types get nothing extra */
    x = ask(state, "example.com.", LDNS_RR_TYPE_TXT);
    EXPECT(x, LDNS_SECTION_ANSWER, "example.com. 300 IN TXT \"apex\"");
    assert_int_equal(count(x, LDNS_SECTION_ADDITIONAL), 0);
    exchange_free(x);
}

static void edns(void **state)
{
    /* OPT in, OPT out, with our size; DO echoed */
    zb_query_opts_t o = {.id = 7, .edns = true, .udp = 4096, .do_bit = true};
    exchange_t *x = ask_opts(*state, "www.example.com.", LDNS_RR_TYPE_A, &o, 1232);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    assert_true(ldns_pkt_edns(x->pkt));
    assert_int_equal(ldns_pkt_edns_udp_size(x->pkt), 1232);
    assert_int_equal(ldns_pkt_edns_version(x->pkt), 0);
    assert_true(ldns_pkt_edns_do(x->pkt));
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 1);
    exchange_free(x);

    o.do_bit = false;
    x = ask_opts(*state, "nothere.example.com.", LDNS_RR_TYPE_A, &o, 1232);
    expect_rcode(x, LDNS_RCODE_NXDOMAIN, true);
    assert_true(ldns_pkt_edns(x->pkt));
    assert_false(ldns_pkt_edns_do(x->pkt));
    exchange_free(x);

    /* version 1: BADVERS (extended rcode 16 = 1 in OPT, 0 in header), no data */
    o.version = 1;
    x = ask_opts(*state, "www.example.com.", LDNS_RR_TYPE_A, &o, 1232);
    assert_int_equal(x->meta.rcode, WIRE_RCODE_BADVERS);
    assert_int_equal(ldns_pkt_get_rcode(x->pkt), 0);
    assert_int_equal(ldns_pkt_edns_extended_rcode(x->pkt), 1);
    assert_int_equal(ldns_pkt_edns_version(x->pkt), 0);
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 0);
    exchange_free(x);

    /* REFUSED keeps the OPT too */
    o.version = 0;
    x = ask_opts(*state, "example.net.", LDNS_RR_TYPE_A, &o, 1232);
    expect_rcode(x, LDNS_RCODE_REFUSED, false);
    assert_true(ldns_pkt_edns(x->pkt));
    exchange_free(x);

    /* unknown options are not echoed: our OPT has no RDATA */
    x = calloc(1, sizeof(*x));
    x->qlen = zb_query("www.example.com.", LDNS_RR_TYPE_A, &o, x->query, sizeof(x->query));
    static const uint8_t options[] = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0xfd, 0xe9, 0, 1, 0x55};
    wire_write_u16(x->query + x->qlen - 2, sizeof(options));
    memcpy(x->query + x->qlen, options, sizeof(options));
    x->qlen += sizeof(options);
    answer_raw(*state, x, 1232, NOW);
    assert_true(x->q.has_edns);
    assert_memory_equal(x->resp + x->len - 11, "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00", 11);
    exchange_free(x);
}

static void udp_limit(void **state)
{
    answer_limits_t lim = {.edns_udp_size = 1232, .now = NOW};
    wire_query_t q;
    uint8_t buf[512];
    zb_query_opts_t o = {.edns = true};
    size_t len = zb_query("a.example.com.", LDNS_RR_TYPE_A, NULL, buf, sizeof(buf));
    assert_int_equal(wire_parse_query(buf, len, &q), WIRE_ANSWER);
    assert_int_equal(answer_udp_limit(&q, &lim), 512);
    const struct {
        uint16_t client, ours, want;
    } cases[] = {{4096, 1232, 1232},
                 {1000, 1232, 1000},
                 {100, 1232, 512},
                 {4096, 4096, 4096},
                 {512, 1232, 512}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        o.udp = cases[i].client;
        lim.edns_udp_size = cases[i].ours;
        len = zb_query("a.example.com.", LDNS_RR_TYPE_A, &o, buf, sizeof(buf));
        assert_int_equal(wire_parse_query(buf, len, &q), WIRE_ANSWER);
        assert_int_equal(answer_udp_limit(&q, &lim), cases[i].want);
    }
}

static void truncation(void **state)
{
    /* 512 bytes: header 12 + question 21 = 33; 60 A RRs of 16 bytes do
     * not fit: TC=1 and empty sections (as Knot and NSD), not the 29 that
     * would fit */
    zb_query_opts_t o = {.id = 99};
    exchange_t *x = ask_opts(*state, "big.example.com.", LDNS_RR_TYPE_A, &o, 512);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    assert_true(ldns_pkt_tc(x->pkt));
    assert_true(x->meta.truncated);
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 0);
    assert_int_equal(count(x, LDNS_SECTION_AUTHORITY), 0);
    assert_int_equal(count(x, LDNS_SECTION_ADDITIONAL), 0);
    assert_int_equal(x->len, 33);
    exchange_free(x);

    /* with EDNS at 512: the OPT is kept, still no record */
    o.edns = true;
    o.udp = 512;
    x = ask_opts(*state, "big.example.com.", LDNS_RR_TYPE_A, &o, 512);
    assert_true(ldns_pkt_tc(x->pkt));
    assert_true(ldns_pkt_edns(x->pkt));
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 0);
    assert_int_equal(x->len, 33 + 11);
    exchange_free(x);

    /* 1232, 4096 and 65535: all 60 */
    o.udp = 4096;
    x = ask_opts(*state, "big.example.com.", LDNS_RR_TYPE_A, &o, 4096);
    assert_false(ldns_pkt_tc(x->pkt));
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 60);
    exchange_free(x);
    o.udp = 1232;
    x = ask_opts(*state, "big.example.com.", LDNS_RR_TYPE_A, &o, 1232);
    assert_false(ldns_pkt_tc(x->pkt));
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 60);
    exchange_free(x);
    o.edns = false;
    x = ask_opts(*state, "big.example.com.", LDNS_RR_TYPE_A, &o, WIRE_MAX_UDP);
    assert_false(ldns_pkt_tc(x->pkt));
    assert_false(x->meta.truncated);
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 60);
    exchange_free(x);
}

/* An RRset of more records than a 16-bit count holds (100,000 A) is never
 * wrapped into a short or empty NOERROR answer: it does not fit even a
 * 65,535-byte TCP message, so it is answered TC=1 with empty sections over
 * TCP as over UDP (as Knot and NSD answer). */
static void huge_rrset(void **state)
{
    (void)state;
    view_t *view = view_new(); /* its own: the shared one stays as the others expect it */
    zb_publish(view, "example.com.", example_rrs, sizeof(example_rrs) / sizeof(example_rrs[0]));
    enum { N = 100000 };
    view_rr_t *rrs = calloc(N, sizeof(*rrs));
    uint8_t *ips = calloc(N, 4);
    assert_non_null(rrs);
    assert_non_null(ips);
    for (size_t i = 0; i < N; i++) {
        ips[4 * i] = 10;
        ips[4 * i + 1] = (uint8_t)(i >> 16);
        ips[4 * i + 2] = (uint8_t)(i >> 8);
        ips[4 * i + 3] = (uint8_t)i;
        rrs[i] = (view_rr_t){LDNS_RR_TYPE_A, 300, 4, ips + 4 * i};
    }
    uint8_t owner[NAME_MAX_WIRE], apex[NAME_MAX_WIRE];
    size_t owner_len = zb_name("huge.example.com.", owner);
    size_t apex_len = zb_name("example.com.", apex);
    view_node_t *node = view_node_new(owner, owner_len, rrs, N, 0);
    assert_non_null(node);
    assert_int_equal(view_node_rrset(node, LDNS_RR_TYPE_A)->count, N);
    assert_int_equal(view_zone_put(view_zone_get(view, apex, apex_len), node), 0);
    free(rrs);
    free(ips);

    zb_query_opts_t o = {.id = 7};
    /* TCP: header 12 + question 22 = 34, 16 bytes per RR */
    exchange_t *x = ask_opts(view, "huge.example.com.", LDNS_RR_TYPE_A, &o, 65535);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    assert_true(ldns_pkt_tc(x->pkt));
    assert_true(x->meta.truncated);
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 0);
    exchange_free(x);
    /* UDP */
    o.edns = true;
    o.udp = 1232;
    x = ask_opts(view, "huge.example.com.", LDNS_RR_TYPE_A, &o, 1232);
    assert_true(ldns_pkt_tc(x->pkt));
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 0);
    exchange_free(x);
    view_free(view);
}

static void question_case_preserved(void **state)
{
    exchange_t *x = ask(state, "Vm-AbC.ExAmple.COM", LDNS_RR_TYPE_A);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    assert_memory_equal(x->query + 12,
                        "\x06Vm-AbC\x07"
                        "ExAmple\x03"
                        "COM",
                        20); /* the query itself had the mixed case */
    EXPECT(x, LDNS_SECTION_ANSWER, "Vm-AbC.ExAmple.COM. 30 IN A 10.1.2.3");
    ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(x->pkt), 0);
    char *qn = ldns_rdf2str(ldns_rr_owner(q));
    assert_string_equal(qn, "Vm-AbC.ExAmple.COM.");
    free(qn);
    exchange_free(x);
    /* negative answers too: the SOA owner points into the question */
    x = ask(state, "NoThere.EXAMPLE.com.", LDNS_RR_TYPE_A);
    expect_rcode(x, LDNS_RCODE_NXDOMAIN, true);
    ldns_rr *soa = ldns_rr_list_rr(ldns_pkt_authority(x->pkt), 0);
    char *owner = ldns_rdf2str(ldns_rr_owner(soa));
    assert_string_equal(owner, "EXAMPLE.com.");
    free(owner);
    exchange_free(x);
}

static void any_query(void **state)
{
    exchange_t *x = ask(state, "example.com.", LDNS_RR_TYPE_ANY);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    size_t n = count(x, LDNS_SECTION_ANSWER);
    assert_true(n >= 1);
    ldns_rr_type t = ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(x->pkt), 0));
    for (size_t i = 1; i < n; i++) /* one RRset: one type */
        assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(x->pkt), i)), t);
    exchange_free(x);
    x = ask(state, "vm-abc.example.com.", LDNS_RR_TYPE_ANY);
    EXPECT(x, LDNS_SECTION_ANSWER, "vm-abc.example.com. 30 IN A 10.1.2.3");
    exchange_free(x);
    x = ask(state, "ent.example.com.", LDNS_RR_TYPE_ANY);
    expect_rcode(x, LDNS_RCODE_NOERROR, true);
    expect_negative_soa(state, x, "example.com.", 300);
    exchange_free(x);
}

static void compression(void **state)
{
    exchange_t *x = ask(state, "example.com.", LDNS_RR_TYPE_SOA);
    /* the serial is the zone's (the big RRset was added after publishing) */
    char soa[160];
    snprintf(soa, sizeof(soa),
             "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. %u 3600 600 "
             "86400 300",
             (unsigned)zone_serial(state, "example.com."));
    assert_int_equal(zone_serial(state, "example.com."), 2024010102u);
    EXPECT(x, LDNS_SECTION_ANSWER, soa);
    /* header 12 + question 17 + owner pointer 2 + 10 + rdata: "ns1" + ptr
     * (6) + "hostmaster" + ptr (13) + 20 */
    assert_int_equal(x->len, 12 + 17 + 2 + 10 + 6 + 13 + 20);
    exchange_free(x);

    x = ask(state, "example.com.", LDNS_RR_TYPE_NS);
    /* the second NS reuses "example.com" from the question, the additional
     * owners point at the NS targets */
    assert_int_equal(x->len, 12 + 17 + 2 * (2 + 10 + 6) + 2 * (2 + 10 + 4) + (2 + 10 + 16));
    exchange_free(x);

    x = ask(state, "example.com.", LDNS_RR_TYPE_MX);
    /* "mx.elsewhere.net." cannot be compressed: 18 bytes */
    assert_int_equal(x->len,
                     12 + 17 + (2 + 10 + 2 + 7) + (2 + 10 + 2 + 18) + (2 + 10 + 4) + (2 + 10 + 16));
    exchange_free(x);
}

static void leases(void **state)
{
    uint8_t apex[NAME_MAX_WIRE];
    size_t apex_len = zb_name("other.test.", apex);
    const char *rr = "vm-lease.other.test. 30 IN A 10.9.9.9";
    zb_zone_put(view_zone_get(*state, apex, apex_len), &rr, 1, NOW + 10);
    exchange_t *x = calloc(1, sizeof(*x));
    x->qlen = zb_query("vm-lease.other.test.", LDNS_RR_TYPE_A, NULL, x->query, sizeof(x->query));
    answer_raw(*state, x, 512, NOW + 9);
    EXPECT(x, LDNS_SECTION_ANSWER, "vm-lease.other.test. 30 IN A 10.9.9.9");
    ldns_pkt_free(x->pkt);
    answer_raw(*state, x, 512, NOW + 10);
    expect_rcode(x, LDNS_RCODE_NXDOMAIN, true);
    exchange_free(x);
}

static void special_types(void **state)
{
    exchange_t *x = ask(state, "example.com.", LDNS_RR_TYPE_AXFR);
    assert_int_not_equal(ldns_pkt_get_rcode(x->pkt), LDNS_RCODE_NOERROR);
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 0);
    exchange_free(x);
    x = ask(state, "example.com.", LDNS_RR_TYPE_MAILA);
    expect_rcode(x, LDNS_RCODE_NOTIMPL, false);
    exchange_free(x);
    x = ask(state, "example.com.", LDNS_RR_TYPE_OPT);
    expect_rcode(x, LDNS_RCODE_FORMERR, false);
    exchange_free(x);
}

static void error_responses(void **state)
{
    answer_limits_t lim = {.edns_udp_size = 1232, .now = NOW};
    uint8_t query[512], out[512];
    zb_query_opts_t o = {.id = 0xbeef, .edns = true, .do_bit = true};
    size_t qlen = zb_query("Www.Example.com.", LDNS_RR_TYPE_A, &o, query, sizeof(query));
    query[2] |= 0x01; /* RD */
    query[3] |= 0x10; /* CD */
    wire_query_t q;
    assert_int_equal(wire_parse_query(query, qlen, &q), WIRE_ANSWER);
    size_t len = answer_error(&q, WIRE_RCODE_FORMERR, &lim, out, sizeof(out));
    ldns_pkt *pkt = NULL;
    assert_int_equal(ldns_wire2pkt(&pkt, out, len), LDNS_STATUS_OK);
    assert_int_equal(ldns_pkt_id(pkt), 0xbeef);
    assert_true(ldns_pkt_qr(pkt));
    assert_true(ldns_pkt_rd(pkt));
    assert_true(ldns_pkt_cd(pkt));
    assert_false(ldns_pkt_aa(pkt));
    assert_int_equal(ldns_pkt_get_rcode(pkt), LDNS_RCODE_FORMERR);
    assert_int_equal(ldns_pkt_qdcount(pkt), 1);
    assert_true(ldns_pkt_edns(pkt));
    assert_true(ldns_pkt_edns_do(pkt));
    assert_memory_equal(out + 12, query + 12, q.question_end - 12);
    ldns_pkt_free(pkt);

    /* NOTIMP for an opcode we do not do: header and question echoed */
    query[2] = (uint8_t)((query[2] & 0x87) | (4 << 3)); /* NOTIFY */
    assert_int_equal(wire_parse_query(query, qlen, &q), WIRE_NOTIMP);
    len = answer_error(&q, WIRE_RCODE_NOTIMP, &lim, out, sizeof(out));
    assert_int_equal(ldns_wire2pkt(&pkt, out, len), LDNS_STATUS_OK);
    assert_int_equal(ldns_pkt_get_opcode(pkt), LDNS_PACKET_NOTIFY);
    assert_int_equal(ldns_pkt_get_rcode(pkt), LDNS_RCODE_NOTIMPL);
    assert_true(ldns_pkt_edns(pkt)); /* the query had an OPT */
    ldns_pkt_free(pkt);

    /* FORMERR without a question: a bare header */
    uint8_t bare[12] = {0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(wire_parse_query(bare, 12, &q), WIRE_FORMERR);
    len = answer_error(&q, WIRE_RCODE_FORMERR, &lim, out, sizeof(out));
    assert_int_equal(len, 12);
    assert_memory_equal(out, "\x12\x34\x80\x01\0\0\0\0\0\0\0\0", 12);
}

/* What rate limiting reads in the metadata: kind, wildcard, charged name. */
static void expect_meta(void **state, const char *qname, uint16_t type, answer_kind_t kind,
                        bool wildcard, const char *charged)
{
    exchange_t *x = ask(state, qname, type);
    uint8_t want[NAME_MAX_WIRE];
    size_t wlen = zb_name(charged, want);
    if (x->meta.kind != kind || x->meta.wildcard != wildcard || x->meta.charged_len != wlen ||
        memcmp(x->meta.charged, want, wlen) != 0)
        fail_msg("%s type %u: kind %d wildcard %d charged_len %u, want kind %d wildcard %d %s",
                 qname, type, (int)x->meta.kind, (int)x->meta.wildcard,
                 (unsigned)x->meta.charged_len, (int)kind, (int)wildcard, charged);
    exchange_free(x);
}

static void response_kinds(void **state)
{
    /* answers: charged to the QNAME (lower-cased) */
    expect_meta(state, "WWW.example.com.", LDNS_RR_TYPE_A, ANSWER_KIND_ANSWER, false,
                "www.example.com.");
    expect_meta(state, "c1.example.com.", LDNS_RR_TYPE_A, ANSWER_KIND_ANSWER, false,
                "c1.example.com.");
    expect_meta(state, "example.com.", LDNS_RR_TYPE_ANY, ANSWER_KIND_ANSWER, false, "example.com.");
    /* wildcard answers: charged to the wildcard, also behind a CNAME */
    expect_meta(state, "foo.wild.example.com.", LDNS_RR_TYPE_A, ANSWER_KIND_ANSWER, true,
                "*.wild.example.com.");
    expect_meta(state, "a.b.wild.example.com.", LDNS_RR_TYPE_A, ANSWER_KIND_ANSWER, true,
                "*.wild.example.com.");
    expect_meta(state, "x.wc.example.com.", LDNS_RR_TYPE_A, ANSWER_KIND_ANSWER, true,
                "*.wc.example.com.");
    expect_meta(state, "h.w.other.test.", LDNS_RR_TYPE_A, ANSWER_KIND_ANSWER, false,
                "h.w.other.test.");
    expect_meta(state, "q.w.other.test.", LDNS_RR_TYPE_TXT, ANSWER_KIND_ANSWER, true,
                "*.w.other.test.");
    /* NODATA and NXDOMAIN: charged to the apex (a wildcard NODATA too) */
    expect_meta(state, "www.example.com.", LDNS_RR_TYPE_TXT, ANSWER_KIND_NODATA, false,
                "example.com.");
    expect_meta(state, "ent.example.com.", LDNS_RR_TYPE_A, ANSWER_KIND_NODATA, false,
                "example.com.");
    expect_meta(state, "foo.wild.example.com.", LDNS_RR_TYPE_AAAA, ANSWER_KIND_NODATA, true,
                "example.com.");
    expect_meta(state, "nothere.example.com.", LDNS_RR_TYPE_A, ANSWER_KIND_NXDOMAIN, false,
                "example.com.");
    expect_meta(state, "dangling.example.com.", LDNS_RR_TYPE_A, ANSWER_KIND_NXDOMAIN, false,
                "example.com.");
    expect_meta(state, "nope.other.test.", LDNS_RR_TYPE_A, ANSWER_KIND_NXDOMAIN, false,
                "other.test.");
    /* referrals: charged to the delegation point, also behind a CNAME */
    expect_meta(state, "a.b.c.sub.example.com.", LDNS_RR_TYPE_A, ANSWER_KIND_REFERRAL, false,
                "sub.example.com.");
    expect_meta(state, "tosub.example.com.", LDNS_RR_TYPE_A, ANSWER_KIND_REFERRAL, false,
                "sub.example.com.");
    /* errors: the root when no zone was found */
    expect_meta(state, "www.example.net.", LDNS_RR_TYPE_A, ANSWER_KIND_ERROR, false, ".");
    expect_meta(state, "www.example.com.", LDNS_RR_TYPE_MAILA, ANSWER_KIND_ERROR, false, ".");
}

static void truncate_to_slip(void **state)
{
    /* answer_truncate turns any built answer into header + question + OPT,
     * TC set, rcode and AA kept */
    zb_query_opts_t o = {.id = 7, .edns = true, .udp = 4096, .do_bit = true};
    exchange_t *x = ask_opts(*state, "big.example.com.", LDNS_RR_TYPE_A, &o, WIRE_MAX_UDP);
    assert_int_equal(count(x, LDNS_SECTION_ANSWER), 60);
    answer_limits_t lim = {.edns_udp_size = 1232, .now = NOW};
    size_t len = answer_truncate(&x->q, &lim, x->resp, x->len, 1232, &x->meta);
    assert_true(x->meta.truncated);
    assert_int_equal(len, x->q.question_end + 11);
    ldns_pkt *pkt = NULL;
    assert_int_equal(ldns_wire2pkt(&pkt, x->resp, len), LDNS_STATUS_OK);
    assert_true(ldns_pkt_tc(pkt));
    assert_true(ldns_pkt_aa(pkt));
    assert_int_equal(ldns_pkt_get_rcode(pkt), LDNS_RCODE_NOERROR);
    assert_int_equal(ldns_pkt_ancount(pkt), 0);
    assert_int_equal(ldns_pkt_nscount(pkt), 0);
    assert_int_equal(ldns_pkt_edns_udp_size(pkt), 1232);
    assert_true(ldns_pkt_edns_do(pkt));
    ldns_pkt_free(pkt);
    exchange_free(x);
}

int main(void)
{
    rcu_register_thread();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(positive_answer),
        cmocka_unit_test(refused_outside_zones),
        cmocka_unit_test(nxdomain_and_nodata),
        cmocka_unit_test(serial_follows_changes),
        cmocka_unit_test(empty_non_terminal),
        cmocka_unit_test(cname_chain),
        cmocka_unit_test(cname_loop_and_out_of_zone),
        cmocka_unit_test(wildcards),
        cmocka_unit_test(referral),
        cmocka_unit_test(additional_addresses),
        cmocka_unit_test(edns),
        cmocka_unit_test(udp_limit),
        cmocka_unit_test(truncation),
        cmocka_unit_test(huge_rrset),
        cmocka_unit_test(question_case_preserved),
        cmocka_unit_test(any_query),
        cmocka_unit_test(compression),
        cmocka_unit_test(leases),
        cmocka_unit_test(special_types),
        cmocka_unit_test(error_responses),
        cmocka_unit_test(response_kinds),
        cmocka_unit_test(truncate_to_slip),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    rcu_unregister_thread();
    return rc;
}
