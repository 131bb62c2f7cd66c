/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_packet.c - libFuzzer harness for the hot path: query parser +
 * answer builder.
 *
 * Any bytes a client can send go through wire_parse_query() and then
 * answer_query() or answer_error(), exactly as a worker does, with the
 * response limited to 512 bytes (plain UDP), to the negotiated UDP size and
 * to 65535 (TCP). The zone behind it (built once) has every feature the
 * answer path handles: CNAME chains and a loop, wildcards, an empty
 * non-terminal, a delegation with glue, MX/SRV/NS targets, a big RRset,
 * a sub-zone. Checked on every response:
 *   - nothing is sent for < 12 bytes or QR=1, always something otherwise;
 *   - the length is within the limit, ID echoed, QR set, opcode echoed;
 *   - ldns parses the response, its rcode matches what the builder says,
 *     the question is echoed byte for byte, OPT present iff the query had
 *     one, and a 65535-byte response is never truncated;
 *   - a smaller limit changes nothing when the full response fits in it;
 *     otherwise it sets TC with empty sections (the OPT alone in
 *     additional), or leaves out only (optional) additional records;
 *   - what the respond stage adds (a server COOKIE as the cookie plugin
 *     makes it, an NSID) still parses, and the server cookie made for the
 *     query's client cookie is recognised, a changed one is not.
 */
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>

#include "dns/answer.h"
#include "dns/cookie.h"
#include "dns/opt.h"
#include "dns/wire.h"
#include "view/view.h"
#include "zone_builder.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_packet: check failed: %s (line %d)\n", #cond, __LINE__);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const char *const zone_rrs[] = {
    "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 7 3600 600 86400 300",
    "example.com. 3600 IN NS ns1.example.com.",
    "example.com. 3600 IN NS ns2.other.net.",
    "example.com. 300 IN MX 10 mail.example.com.",
    "example.com. 300 IN TXT \"v=spf1 -all\" \"second string\"",
    "example.com. 300 IN CAA 0 issue \"letsencrypt.org\"",
    "ns1.example.com. 300 IN A 192.0.2.53",
    "ns1.example.com. 300 IN AAAA 2001:db8::53",
    "mail.example.com. 300 IN A 192.0.2.25",
    "www.example.com. 300 IN A 192.0.2.80",
    "www.example.com. 300 IN AAAA 2001:db8::80",
    "c1.example.com. 300 IN CNAME c2.example.com.",
    "c2.example.com. 300 IN CNAME c3.example.com.",
    "c3.example.com. 300 IN CNAME www.example.com.",
    "out.example.com. 300 IN CNAME www.example.net.",
    "loop1.example.com. 300 IN CNAME loop2.example.com.",
    "loop2.example.com. 300 IN CNAME loop1.example.com.",
    "*.wild.example.com. 300 IN A 192.0.2.99",
    "*.wild.example.com. 300 IN TXT \"wild\"",
    "host.wild.example.com. 300 IN A 192.0.2.98",
    "wc.example.com. 300 IN CNAME x.wild.example.com.",
    "a.b.ent.example.com. 300 IN A 192.0.2.7",
    "sub.example.com. 300 IN NS ns.sub.example.com.",
    "sub.example.com. 300 IN DS 12345 8 1 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE",
    "ns.sub.example.com. 300 IN A 192.0.2.54",
    "_ssh._tcp.vm-1.example.com. 30 IN SRV 0 0 38291 vm-1.example.com.",
    "vm-1.example.com. 30 IN A 10.1.2.3",
    "vm-1.example.com. 30 IN AAAA fd00::3",
    "1.2.1.10.in-addr.example.com. 30 IN PTR vm-1.example.com.",
};

static const char *const inner_rrs[] = {
    "inner.example.com. 60 IN SOA ns1.example.com. h.example.com. 1 3600 600 86400 60",
    "inner.example.com. 60 IN NS ns1.example.com.",
    "x.inner.example.com. 60 IN A 192.0.2.200",
};

/* The view, built on the first call (libFuzzer has no per-process setup
 * hook that the replay main also calls). */
static view_t *fuzz_view(void)
{
    static view_t *view;
    if (view)
        return view;
    rcu_register_thread();
    view = view_new();
    FUZZ_CHECK(view != NULL);
    zb_publish(view, "example.com.", zone_rrs, sizeof(zone_rrs) / sizeof(zone_rrs[0]));
    zb_publish(view, "inner.example.com.", inner_rrs, sizeof(inner_rrs) / sizeof(inner_rrs[0]));
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
    return view;
}

/* Check one response against the query and the limit. */
static void check_response(const wire_query_t *q, const uint8_t *out, size_t len, size_t max,
                           int rcode)
{
    FUZZ_CHECK(len >= WIRE_HEADER_SIZE && len <= max);
    FUZZ_CHECK(wire_read_u16(out) == q->id);
    uint16_t flags = wire_read_u16(out + 2);
    FUZZ_CHECK(flags & WIRE_FLAG_QR);
    FUZZ_CHECK(WIRE_OPCODE(flags) == WIRE_OPCODE(q->flags));
    FUZZ_CHECK((flags & 0x0F) == (rcode & 0x0F));
    if (q->has_question && wire_read_u16(out + 4) == 1)
        FUZZ_CHECK(memcmp(out + WIRE_HEADER_SIZE, q->pkt + WIRE_HEADER_SIZE,
                          q->question_end - WIRE_HEADER_SIZE) == 0);
    if (max == WIRE_MAX_UDP)
        FUZZ_CHECK(!(flags & WIRE_FLAG_TC));

    ldns_pkt *pkt = NULL;
    FUZZ_CHECK(ldns_wire2pkt(&pkt, out, len) == LDNS_STATUS_OK);
    FUZZ_CHECK(ldns_pkt_id(pkt) == q->id);
    FUZZ_CHECK(ldns_pkt_qr(pkt));
    FUZZ_CHECK(ldns_pkt_edns(pkt) == q->has_edns);
    if (q->has_edns)
        FUZZ_CHECK(ldns_pkt_edns_extended_rcode(pkt) == (rcode >> 4));
    ldns_pkt_free(pkt);
}

/* What the cookie and nsid plugins' respond hooks do to a response: add
 * the COOKIE (client cookie + a server cookie made for 192.0.2.1) when the
 * query had one, and an NSID when it asked; the result still parses, and
 * the cookie made is the one recognised. Works on a copy. */
static void respond_stage(const wire_query_t *q, const uint8_t *resp, size_t len, size_t max,
                          int rcode)
{
    static uint8_t msg[WIRE_MAX_UDP];
    static const uint8_t secret[COOKIE_SECRET_SIZE] = {7, 1, 2,  3,  4,  5,  6,  7,
                                                       8, 9, 10, 11, 12, 13, 14, 15};
    static const uint8_t ip[4] = {192, 0, 2, 1};
    memcpy(msg, resp, len);
    size_t off = opt_find(msg, len);
    FUZZ_CHECK((off > 0) == q->has_edns);
    if (off == 0)
        return;
    if (q->cookie != NULL) {
        uint8_t c[COOKIE_CLIENT_SIZE + COOKIE_SERVER_SIZE];
        memcpy(c, q->cookie, COOKIE_CLIENT_SIZE);
        cookie_make(secret, q->cookie, ip, sizeof(ip), 1700000000, c + COOKIE_CLIENT_SIZE);
        FUZZ_CHECK(cookie_matches(secret, q->cookie, c + 8, 16, ip, sizeof(ip)));
        FUZZ_CHECK(cookie_fresh(cookie_timestamp(c + 8), 1700000000));
        if (q->cookie_len > COOKIE_CLIENT_SIZE) {
            /* the query's own server cookie: ours only if it is this one */
            bool same = q->cookie_len == 24 && memcmp(q->cookie + 8, c + 8, 16) == 0;
            bool match = cookie_matches(secret, q->cookie, q->cookie + 8, (size_t)q->cookie_len - 8,
                                        ip, sizeof(ip));
            FUZZ_CHECK(!same || match);
        }
        c[8 + (q->id % 16)] ^= 1;
        FUZZ_CHECK(!cookie_matches(secret, q->cookie, c + 8, 16, ip, sizeof(ip)));
        c[8 + (q->id % 16)] ^= 1;
        /* the answer builder left room for it */
        FUZZ_CHECK(opt_add_option(msg, &len, max, off, OPT_CODE_COOKIE, c, sizeof(c)));
    }
    const uint8_t *nsid;
    uint16_t nsid_len;
    if (wire_edns_option_find(q, OPT_CODE_NSID, &nsid, &nsid_len))
        opt_add_option(msg, &len, max, off, OPT_CODE_NSID, (const uint8_t *)"node-7", 6);
    FUZZ_CHECK(len <= max);
    ldns_pkt *pkt = NULL;
    FUZZ_CHECK(ldns_wire2pkt(&pkt, msg, len) == LDNS_STATUS_OK);
    FUZZ_CHECK(ldns_pkt_edns(pkt));
    FUZZ_CHECK(ldns_pkt_edns_extended_rcode(pkt) == (rcode >> 4));
    ldns_pkt_free(pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[WIRE_MAX_UDP], full[WIRE_MAX_UDP];
    size_t full_len = 0;
    const view_t *view = fuzz_view();
    answer_limits_t lim = {.edns_udp_size = 1232, .now = 1700000000};
    wire_query_t q;
    wire_verdict_t v = wire_parse_query(data, size, &q);

    if (size < WIRE_HEADER_SIZE || (data[2] & 0x80)) {
        FUZZ_CHECK(v == WIRE_DROP);
        return 0;
    }
    FUZZ_CHECK(v != WIRE_DROP);
    if (q.cookie != NULL) /* a checked COOKIE inside the packet */
        FUZZ_CHECK(q.has_edns && q.cookie > data && q.cookie + q.cookie_len <= data + size &&
                   (q.cookie_len == 8 || (q.cookie_len >= 16 && q.cookie_len <= 40)));
    if (v == WIRE_ANSWER) {
        FUZZ_CHECK(q.has_question);
        FUZZ_CHECK(q.qname_len >= 1 && name_is_valid_wire(q.qname, q.qname_len));
        FUZZ_CHECK(q.question_end <= size);
    }

    /* TCP size first: a smaller limit must give the same bytes when the
     * full response fits in it, and a prefix of its answer when not. */
    size_t limits[3] = {WIRE_MAX_UDP, answer_udp_limit(&q, &lim), WIRE_MIN_UDP};
    /* the room kept for the server cookie a respond hook adds (answer_opt_size):
     * a response fits a limit only with it */
    size_t cookie_room = q.has_edns && q.cookie != NULL ? 4 + 8 + 16 : 0;
    FUZZ_CHECK(limits[1] >= WIRE_MIN_UDP && limits[1] <= lim.edns_udp_size);
    for (int i = 0; i < 3; i++) {
        size_t len;
        int rcode;
        if (v == WIRE_ANSWER) {
            answer_meta_t meta;
            rcu_read_lock();
            len = answer_query(view, &q, &lim, out, limits[i], &meta);
            rcu_read_unlock();
            rcode = meta.rcode;
            FUZZ_CHECK(meta.truncated == ((wire_read_u16(out + 2) & WIRE_FLAG_TC) != 0));
            FUZZ_CHECK(meta.authoritative == ((wire_read_u16(out + 2) & WIRE_FLAG_AA) != 0));
            /* rate limiting reads these: always a name, and an error kind
             * exactly for the error rcodes */
            FUZZ_CHECK(meta.charged != NULL && name_is_valid_wire(meta.charged, meta.charged_len));
            FUZZ_CHECK((meta.kind == ANSWER_KIND_ERROR) ==
                       (meta.rcode != WIRE_RCODE_NOERROR && meta.rcode != WIRE_RCODE_NXDOMAIN));
        } else {
            rcode = v == WIRE_NOTIMP ? WIRE_RCODE_NOTIMP : WIRE_RCODE_FORMERR;
            len = answer_error(&q, (uint8_t)rcode, &lim, out, limits[i]);
        }
        check_response(&q, out, len, limits[i], rcode);
        if (q.has_question)
            respond_stage(&q, out, len, limits[i], rcode);
        if (i == 0) {
            full_len = len;
            memcpy(full, out, len);
        } else if (full_len + cookie_room <= limits[i]) {
            FUZZ_CHECK(len == full_len && memcmp(out, full, len) == 0);
        } else if (v == WIRE_ANSWER) {
            FUZZ_CHECK(memcmp(out + 4, full + 4, 2) == 0); /* same QDCOUNT */
            if (wire_read_u16(out + 2) & WIRE_FLAG_TC) {
                /* empty sections: nothing but the OPT */
                FUZZ_CHECK(wire_read_u16(out + 6) == 0 && wire_read_u16(out + 8) == 0);
                FUZZ_CHECK(wire_read_u16(out + 10) == (q.has_edns ? 1 : 0));
            } else {
                /* only optional additional records may be left out */
                FUZZ_CHECK(memcmp(out + 6, full + 6, 4) == 0);
                FUZZ_CHECK(wire_read_u16(out + 10) < wire_read_u16(full + 10));
            }
        }
    }
    return 0;
}
