/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_wire.c - unit tests of src/dns/wire.c, the hand-written query
 * parser: every verdict (drop, FORMERR, NOTIMP, answer), the EDNS0 fields,
 * lower-casing of the question name and its label offsets. Packets are
 * assembled byte by byte here so that each malformation is exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "dns/wire.h"

/* A packet under construction. */
typedef struct pkt {
    uint8_t b[2048];
    size_t len;
} pkt_t;

static void put(pkt_t *p, const void *bytes, size_t n)
{
    assert_true(p->len + n <= sizeof(p->b));
    memcpy(p->b + p->len, bytes, n);
    p->len += n;
}

static void put16(pkt_t *p, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(p, b, 2);
}

static void put32(pkt_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p, (uint16_t)v);
}

static void header(pkt_t *p, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
                   uint16_t ar)
{
    p->len = 0;
    put16(p, id);
    put16(p, flags);
    put16(p, qd);
    put16(p, an);
    put16(p, ns);
    put16(p, ar);
}

/* Dotted text -> wire labels, letter case kept, no escapes. */
static void put_name(pkt_t *p, const char *text)
{
    while (*text && strcmp(text, ".") != 0) {
        const char *dot = strchr(text, '.');
        size_t l = dot ? (size_t)(dot - text) : strlen(text);
        uint8_t lb = (uint8_t)l;
        put(p, &lb, 1);
        put(p, text, l);
        text += l + (dot ? 1 : 0);
    }
    uint8_t root = 0;
    put(p, &root, 1);
}

static void question(pkt_t *p, const char *name, uint16_t type, uint16_t klass)
{
    put_name(p, name);
    put16(p, type);
    put16(p, klass);
}

/* An OPT RR: root owner, payload size, extended rcode/version/flags,
 * `rdata` as given. */
static void opt(pkt_t *p, uint16_t udp, uint8_t version, bool do_bit, const uint8_t *rdata,
                uint16_t rdlen)
{
    uint8_t root = 0;
    put(p, &root, 1);
    put16(p, WIRE_TYPE_OPT);
    put16(p, udp);
    uint8_t ttl[4] = {0, version, do_bit ? 0x80 : 0, 0};
    put(p, ttl, 4);
    put16(p, rdlen);
    if (rdlen)
        put(p, rdata, rdlen);
}

/* A simple query: id 0x1234, RD, one question. */
static void simple(pkt_t *p, const char *name, uint16_t type)
{
    header(p, 0x1234, WIRE_FLAG_RD, 1, 0, 0, 0);
    question(p, name, type, WIRE_CLASS_IN);
}

static wire_verdict_t parse(const pkt_t *p, wire_query_t *q)
{
    return wire_parse_query(p->b, p->len, q);
}

static void valid_query(void **state)
{
    pkt_t p;
    wire_query_t q;
    simple(&p, "www.example.com", WIRE_TYPE_AAAA);
    assert_int_equal(parse(&p, &q), WIRE_ANSWER);
    assert_int_equal(q.id, 0x1234);
    assert_int_equal(q.flags, WIRE_FLAG_RD);
    assert_true(q.has_question);
    assert_int_equal(q.qtype, WIRE_TYPE_AAAA);
    assert_int_equal(q.qclass, WIRE_CLASS_IN);
    assert_int_equal(q.qname_len, 17);
    assert_memory_equal(q.qname,
                        "\x03www\x07"
                        "example\x03"
                        "com",
                        17);
    assert_int_equal(q.qname_labels, 3);
    assert_int_equal(q.label_off[0], 0);
    assert_int_equal(q.label_off[1], 4);
    assert_int_equal(q.label_off[2], 12);
    assert_int_equal(q.question_end, p.len);
    assert_ptr_equal(q.pkt, p.b);
    assert_int_equal(q.len, p.len);
    assert_false(q.has_edns);
}

static void root_query(void **state)
{
    pkt_t p;
    wire_query_t q;
    simple(&p, ".", WIRE_TYPE_NS);
    assert_int_equal(p.len, 17);
    assert_int_equal(parse(&p, &q), WIRE_ANSWER);
    assert_int_equal(q.qname_len, 1);
    assert_int_equal(q.qname[0], 0);
    assert_int_equal(q.qname_labels, 0);
}

static void lower_cases_qname(void **state)
{
    pkt_t p;
    wire_query_t q;
    simple(&p, "Vm-AbC.ExAmple.COM", WIRE_TYPE_A);
    pkt_t copy = p;
    assert_int_equal(parse(&p, &q), WIRE_ANSWER);
    assert_memory_equal(q.qname,
                        "\x06vm-abc\x07"
                        "example\x03"
                        "com",
                        20);
    /* the packet itself keeps the client's case (it is echoed) */
    assert_memory_equal(p.b, copy.b, p.len);
}

static void drops(void **state)
{
    pkt_t p;
    wire_query_t q;
    simple(&p, "example.com", WIRE_TYPE_A);
    for (size_t n = 0; n < WIRE_HEADER_SIZE; n++)
        assert_int_equal(wire_parse_query(p.b, n, &q), WIRE_DROP);
    /* QR=1: a response, never answered, whatever else it holds */
    p.b[2] |= 0x80;
    assert_int_equal(parse(&p, &q), WIRE_DROP);
    header(&p, 1, WIRE_FLAG_QR | (5 << 11), 0, 0, 0, 0);
    assert_int_equal(parse(&p, &q), WIRE_DROP);
    /* a bare 12-byte header with QR=0 is not dropped: FORMERR */
    header(&p, 1, 0, 0, 0, 0, 0);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    assert_int_equal(q.id, 1);
}

static void notimp(void **state)
{
    pkt_t p;
    wire_query_t q;
    const unsigned opcodes[] = {1, 2, 3, 4, 5, 6, 15};
    for (size_t i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++) {
        header(&p, 7, (uint16_t)(opcodes[i] << 11), 1, 0, 0, 0);
        question(&p, "example.com", WIRE_TYPE_SOA, WIRE_CLASS_IN);
        assert_int_equal(parse(&p, &q), WIRE_NOTIMP);
        assert_true(q.has_question); /* echoed in the NOTIMP reply */
        assert_int_equal(WIRE_OPCODE(q.flags), opcodes[i]);
    }
    /* the OPT of a NOTIMP query is read (the reply carries one), and a
     * malformed rest does not turn NOTIMP into FORMERR */
    header(&p, 7, 5 << 11, 1, 0, 0, 1);
    question(&p, "example.com", WIRE_TYPE_SOA, WIRE_CLASS_IN);
    opt(&p, 4096, 0, true, NULL, 0);
    assert_int_equal(parse(&p, &q), WIRE_NOTIMP);
    assert_true(q.has_edns);
    assert_true(q.edns_do);
    put(&p, "junk", 4);
    assert_int_equal(parse(&p, &q), WIRE_NOTIMP);
    p.b[11] = 2;
    assert_int_equal(parse(&p, &q), WIRE_NOTIMP);
    /* NOTIMP wins over a missing question */
    header(&p, 7, 4 << 11, 0, 0, 0, 0);
    assert_int_equal(parse(&p, &q), WIRE_NOTIMP);
    assert_false(q.has_question);
}

static void qdcount(void **state)
{
    pkt_t p;
    wire_query_t q;
    header(&p, 9, 0, 0, 0, 0, 0);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    assert_false(q.has_question);
    /* a question present but QDCOUNT 0: FORMERR as well */
    question(&p, "example.com", WIRE_TYPE_A, WIRE_CLASS_IN);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    assert_false(q.has_question);

    header(&p, 9, 0, 2, 0, 0, 0);
    question(&p, "a.example.com", WIRE_TYPE_A, WIRE_CLASS_IN);
    question(&p, "b.example.com", WIRE_TYPE_A, WIRE_CLASS_IN);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    assert_false(q.has_question);
    header(&p, 9, 0, 0xFFFF, 0, 0, 0);
    question(&p, "a.example.com", WIRE_TYPE_A, WIRE_CLASS_IN);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    assert_false(q.has_edns);
}

/* RFC 6891 7: a FORMERR or NOTIMP to a query whose OPT is readable carries
 * an OPT, also when there is no question to answer. */
static void no_question_opt_found(void **state)
{
    pkt_t p;
    wire_query_t q;
    static const uint8_t cookie[] = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    header(&p, 9, 0, 0, 0, 0, 1); /* QDCOUNT 0, an OPT with a client cookie */
    opt(&p, 1232, 0, true, cookie, sizeof(cookie));
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    assert_false(q.has_question);
    assert_true(q.has_edns);
    assert_true(q.edns_do);
    assert_int_equal(q.cookie_len, 8);

    header(&p, 9, 0, 2, 0, 0, 1); /* two questions, then the OPT */
    question(&p, "a.example.com", WIRE_TYPE_A, WIRE_CLASS_IN);
    question(&p, "b.example.com", WIRE_TYPE_A, WIRE_CLASS_IN);
    opt(&p, 1232, 0, false, NULL, 0);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    assert_true(q.has_edns);

    header(&p, 9, 5 << 11, 0, 0, 0, 1); /* UPDATE without a zone section */
    opt(&p, 1232, 0, false, NULL, 0);
    assert_int_equal(parse(&p, &q), WIRE_NOTIMP);
    assert_true(q.has_edns);

    header(&p, 9, 0, 0, 0, 0, 1); /* the OPT cut short: none */
    opt(&p, 1232, 0, false, cookie, sizeof(cookie));
    p.len -= 3;
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    assert_false(q.has_edns);
    assert_null(q.cookie);
}

static void truncated_question(void **state)
{
    pkt_t p;
    wire_query_t q;
    simple(&p, "vm-1.example.com", WIRE_TYPE_A);
    /* every prefix longer than the header is a cut question */
    for (size_t n = WIRE_HEADER_SIZE; n < p.len; n++) {
        assert_int_equal(wire_parse_query(p.b, n, &q), WIRE_FORMERR);
        assert_false(q.has_question);
    }
    assert_int_equal(parse(&p, &q), WIRE_ANSWER);
}

static void compression_in_question(void **state)
{
    pkt_t p;
    wire_query_t q;
    /* "www" + pointer to offset 12 (itself): a loop if followed */
    header(&p, 1, 0, 1, 0, 0, 0);
    put(&p, "\x03www\xc0\x0c", 6);
    put16(&p, WIRE_TYPE_A);
    put16(&p, WIRE_CLASS_IN);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    assert_false(q.has_question);
    /* a pointer as the whole name */
    header(&p, 1, 0, 1, 0, 0, 0);
    put(&p, "\xc0\x0c", 2);
    put16(&p, WIRE_TYPE_A);
    put16(&p, WIRE_CLASS_IN);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    /* reserved label types 01 and 10 */
    header(&p, 1, 0, 1, 0, 0, 0);
    put(&p, "\x41x\x00", 3);
    put16(&p, WIRE_TYPE_A);
    put16(&p, WIRE_CLASS_IN);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    p.b[12] = 0x80;
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
}

static void name_length_limit(void **state)
{
    pkt_t p;
    wire_query_t q;
    char text[400];
    /* 3 labels of 63 + one of 61: 255 bytes, the longest name */
    size_t t = 0;
    for (int l = 0; l < 3; l++) {
        memset(text + t, 'a', 63);
        t += 63;
        text[t++] = '.';
    }
    memset(text + t, 'b', 61);
    text[t + 61] = '\0';
    simple(&p, text, WIRE_TYPE_A);
    assert_int_equal(parse(&p, &q), WIRE_ANSWER);
    assert_int_equal(q.qname_len, NAME_MAX_WIRE);
    assert_int_equal(q.qname_labels, 4);
    assert_int_equal(q.label_off[3], 192);
    /* 256 bytes: FORMERR */
    memset(text + t, 'b', 62);
    text[t + 62] = '\0';
    simple(&p, text, WIRE_TYPE_A);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    assert_false(q.has_question);
    /* the most labels: 127 of one byte */
    t = 0;
    for (int l = 0; l < 127; l++) {
        text[t++] = 'x';
        text[t++] = '.';
    }
    text[t - 1] = '\0';
    simple(&p, text, WIRE_TYPE_A);
    assert_int_equal(parse(&p, &q), WIRE_ANSWER);
    assert_int_equal(q.qname_labels, 127);
    assert_int_equal(q.label_off[126], 252);
}

static void trailing_bytes(void **state)
{
    pkt_t p;
    wire_query_t q;
    simple(&p, "example.com", WIRE_TYPE_A);
    put(&p, "\x00", 1);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    assert_true(q.has_question); /* the FORMERR reply can echo it */
    simple(&p, "example.com", WIRE_TYPE_A);
    opt(&p, 1232, 0, false, NULL, 0);
    p.b[11] = 1;
    assert_int_equal(parse(&p, &q), WIRE_ANSWER);
    put(&p, "junk", 4);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
}

static void missing_records(void **state)
{
    pkt_t p;
    wire_query_t q;
    /* ARCOUNT says 1, nothing follows */
    header(&p, 1, 0, 1, 0, 0, 1);
    question(&p, "example.com", WIRE_TYPE_A, WIRE_CLASS_IN);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    /* an RR whose RDLENGTH runs past the end */
    header(&p, 1, 0, 1, 0, 1, 0);
    question(&p, "example.com", WIRE_TYPE_A, WIRE_CLASS_IN);
    put(&p, "\xc0\x0c", 2);
    put16(&p, WIRE_TYPE_A);
    put16(&p, WIRE_CLASS_IN);
    put32(&p, 60);
    put16(&p, 4);
    put(&p, "\x01\x02\x03", 3);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    put(&p, "\x04", 1);
    assert_int_equal(parse(&p, &q), WIRE_ANSWER); /* now it is complete */
}

static void records_in_other_sections(void **state)
{
    pkt_t p;
    wire_query_t q;
    /* a (compressed-owner) record in authority and additional, e.g. an
     * UPDATE-like or "known answer" record: parsed over, accepted */
    header(&p, 1, 0, 1, 0, 1, 2);
    question(&p, "example.com", WIRE_TYPE_A, WIRE_CLASS_IN);
    put(&p, "\x03www\xc0\x0c", 6);
    put16(&p, WIRE_TYPE_A);
    put16(&p, WIRE_CLASS_IN);
    put32(&p, 60);
    put16(&p, 4);
    put(&p, "\x01\x02\x03\x04", 4);
    opt(&p, 4096, 0, true, NULL, 0);
    put(&p, "\x04mail\xc0\x0c", 7);
    put16(&p, WIRE_TYPE_A);
    put16(&p, WIRE_CLASS_IN);
    put32(&p, 60);
    put16(&p, 4);
    put(&p, "\x01\x02\x03\x05", 4);
    assert_int_equal(parse(&p, &q), WIRE_ANSWER);
    assert_true(q.has_edns);
    assert_int_equal(q.edns_udp, 4096);
    assert_true(q.edns_do);
}

static void edns_fields(void **state)
{
    pkt_t p;
    wire_query_t q;
    simple(&p, "example.com", WIRE_TYPE_A);
    p.b[11] = 1;
    opt(&p, 4096, 0, true, NULL, 0);
    assert_int_equal(parse(&p, &q), WIRE_ANSWER);
    assert_true(q.has_edns);
    assert_int_equal(q.edns_udp, 4096);
    assert_int_equal(q.edns_version, 0);
    assert_true(q.edns_do);

    simple(&p, "example.com", WIRE_TYPE_A);
    p.b[11] = 1;
    opt(&p, 100, 1, false, NULL, 0);
    assert_int_equal(parse(&p, &q), WIRE_ANSWER); /* BADVERS is the answer's job */
    assert_true(q.has_edns);
    assert_int_equal(q.edns_udp, 100);
    assert_int_equal(q.edns_version, 1);
    assert_false(q.edns_do);

    /* well-formed options (a cookie and an unknown code) are accepted */
    static const uint8_t opts[] = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0xfd, 0xe9, 0, 0};
    simple(&p, "example.com", WIRE_TYPE_A);
    p.b[11] = 1;
    opt(&p, 1232, 0, false, opts, sizeof(opts));
    assert_int_equal(parse(&p, &q), WIRE_ANSWER);
    assert_true(q.has_edns);
    assert_int_equal(q.edns_udp, 1232);

    /* every parse starts afresh: no EDNS left over from the last packet */
    simple(&p, "example.com", WIRE_TYPE_A);
    assert_int_equal(parse(&p, &q), WIRE_ANSWER);
    assert_false(q.has_edns);
    assert_false(q.edns_do);
}

static void bad_opt(void **state)
{
    pkt_t p;
    wire_query_t q;
    /* two OPT records */
    simple(&p, "example.com", WIRE_TYPE_A);
    p.b[11] = 2;
    opt(&p, 1232, 0, false, NULL, 0);
    opt(&p, 1232, 0, false, NULL, 0);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    assert_false(q.has_edns);

    /* OPT with a non-root owner */
    simple(&p, "example.com", WIRE_TYPE_A);
    p.b[11] = 1;
    put(&p, "\x01x", 2);
    opt(&p, 1232, 0, false, NULL, 0);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    /* ... or a compressed pointer to the root at the end of the qname */
    simple(&p, "example.com", WIRE_TYPE_A);
    p.b[11] = 1;
    size_t root_at = p.len - 5;
    uint8_t ptr[2] = {(uint8_t)(0xC0 | (root_at >> 8)), (uint8_t)root_at};
    put(&p, ptr, 2);
    put16(&p, WIRE_TYPE_OPT);
    put16(&p, 1232);
    put32(&p, 0);
    put16(&p, 0);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);

    /* OPT outside the additional section */
    header(&p, 1, 0, 1, 1, 0, 0);
    question(&p, "example.com", WIRE_TYPE_A, WIRE_CLASS_IN);
    opt(&p, 1232, 0, false, NULL, 0);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    header(&p, 1, 0, 1, 0, 1, 0);
    question(&p, "example.com", WIRE_TYPE_A, WIRE_CLASS_IN);
    opt(&p, 1232, 0, false, NULL, 0);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);

    /* malformed options: length past the RDATA, a cut option header */
    static const uint8_t long_opt[] = {0, 10, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t cut_opt[] = {0, 10, 0};
    static const uint8_t short_opt[] = {0, 10, 0, 2, 1};
    const struct {
        const uint8_t *d;
        uint16_t n;
    } bad[] = {
        {long_opt, sizeof(long_opt)}, {cut_opt, sizeof(cut_opt)}, {short_opt, sizeof(short_opt)}};
    for (size_t i = 0; i < 3; i++) {
        simple(&p, "example.com", WIRE_TYPE_A);
        p.b[11] = 1;
        opt(&p, 1232, 0, true, bad[i].d, bad[i].n);
        assert_int_equal(parse(&p, &q), WIRE_FORMERR);
        assert_false(q.has_edns);
        assert_true(q.has_question);
    }

    /* an OPT cut inside its fixed part */
    simple(&p, "example.com", WIRE_TYPE_A);
    p.b[11] = 1;
    opt(&p, 1232, 0, false, NULL, 0);
    for (size_t n = p.len - 11; n < p.len; n++)
        assert_int_equal(wire_parse_query(p.b, n, &q), WIRE_FORMERR);
}

/* A query with the given OPT options, parsed into q. */
static wire_verdict_t parse_with_options(pkt_t *p, wire_query_t *q, const uint8_t *opts, uint16_t n)
{
    simple(p, "example.com", WIRE_TYPE_A);
    p->b[11] = 1;
    opt(p, 1232, 0, false, opts, n);
    return parse(p, q);
}

static void cookies(void **state)
{
    pkt_t p;
    wire_query_t q;
    /* absent: no cookie, with and without EDNS */
    assert_int_equal(parse_with_options(&p, &q, NULL, 0), WIRE_ANSWER);
    assert_null(q.cookie);
    assert_int_equal(q.cookie_len, 0);

    /* a client cookie alone, after an unknown option */
    static const uint8_t client[] = {0xfd, 0xe9, 0, 1, 0x55, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(parse_with_options(&p, &q, client, sizeof(client)), WIRE_ANSWER);
    assert_non_null(q.cookie);
    assert_int_equal(q.cookie_len, 8);
    assert_memory_equal(q.cookie, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    assert_true(q.cookie >= p.b && q.cookie + 8 <= p.b + p.len); /* points into the packet */

    /* client + server cookie: 8 + 8 and 8 + 32 */
    uint8_t both[4 + 40];
    for (uint16_t server = 8; server <= 32; server += 24) {
        both[0] = 0;
        both[1] = 10;
        both[2] = 0;
        both[3] = (uint8_t)(8 + server);
        for (size_t i = 0; i < 8u + server; i++)
            both[4 + i] = (uint8_t)(i + 1);
        assert_int_equal(parse_with_options(&p, &q, both, (uint16_t)(4 + 8 + server)), WIRE_ANSWER);
        assert_int_equal(q.cookie_len, 8 + server);
        assert_int_equal(q.cookie[8], 9); /* the server cookie follows the client's */
    }

    /* a good cookie in a good OPT, then a record that is not there: the
     * half-parsed OPT is not trusted, its cookie neither */
    simple(&p, "example.com", WIRE_TYPE_A);
    p.b[11] = 2;
    opt(&p, 1232, 0, false, client + 5, 12);
    assert_int_equal(parse(&p, &q), WIRE_FORMERR);
    assert_false(q.has_edns);
    assert_null(q.cookie);
    assert_false(wire_edns_option_find(&q, 10, &(const uint8_t *){NULL}, &(uint16_t){0}));

    /* malformed lengths (RFC 7873 5.2.2): FORMERR, with the OPT kept so the
     * FORMERR carries one; no cookie. 0, 7 (short client), 9..15 (short
     * server), 41 (long server). */
    static const uint16_t bad[] = {0, 7, 9, 15, 41};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        uint8_t o[4 + 41] = {0, 10, 0, (uint8_t)bad[k]};
        assert_int_equal(parse_with_options(&p, &q, o, (uint16_t)(4 + bad[k])), WIRE_FORMERR);
        assert_true(q.has_edns);
        assert_true(q.has_question);
        assert_null(q.cookie);
    }
}

static void edns_options(void **state)
{
    pkt_t p;
    wire_query_t q;
    static const uint8_t opts[] = {0,    3,    0, 0,                              /* NSID, empty */
                                   0,    10,   0, 8, 1,    2,   3, 4, 5, 6, 7, 8, /* COOKIE */
                                   0xfd, 0xe9, 0, 2, 0xab, 0xcd};                 /* local use */
    assert_int_equal(parse_with_options(&p, &q, opts, sizeof(opts)), WIRE_ANSWER);
    assert_int_equal(q.edns_opt_len, sizeof(opts));
    assert_memory_equal(q.pkt + q.edns_opt_off, opts, sizeof(opts));

    size_t pos = 0;
    uint16_t code, len;
    const uint8_t *data;
    static const uint16_t want_code[] = {3, 10, 0xfde9}, want_len[] = {0, 8, 2};
    for (int i = 0; i < 3; i++) {
        assert_true(wire_edns_option_next(&q, &pos, &code, &data, &len));
        assert_int_equal(code, want_code[i]);
        assert_int_equal(len, want_len[i]);
    }
    assert_false(wire_edns_option_next(&q, &pos, &code, &data, &len));

    assert_true(wire_edns_option_find(&q, 0xfde9, &data, &len));
    assert_int_equal(len, 2);
    assert_memory_equal(data, "\xab\xcd", 2);
    assert_true(wire_edns_option_find(&q, 3, &data, &len));
    assert_int_equal(len, 0);
    assert_false(wire_edns_option_find(&q, 8, &data, &len));

    /* no options, no EDNS: nothing to find */
    assert_int_equal(parse_with_options(&p, &q, NULL, 0), WIRE_ANSWER);
    assert_false(wire_edns_option_find(&q, 10, &data, &len));
    simple(&p, "example.com", WIRE_TYPE_A);
    assert_int_equal(parse(&p, &q), WIRE_ANSWER);
    pos = 0;
    assert_false(wire_edns_option_next(&q, &pos, &code, &data, &len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_query),
        cmocka_unit_test(root_query),
        cmocka_unit_test(lower_cases_qname),
        cmocka_unit_test(drops),
        cmocka_unit_test(notimp),
        cmocka_unit_test(qdcount),
        cmocka_unit_test(no_question_opt_found),
        cmocka_unit_test(truncated_question),
        cmocka_unit_test(compression_in_question),
        cmocka_unit_test(name_length_limit),
        cmocka_unit_test(trailing_bytes),
        cmocka_unit_test(missing_records),
        cmocka_unit_test(records_in_other_sections),
        cmocka_unit_test(edns_fields),
        cmocka_unit_test(bad_opt),
        cmocka_unit_test(cookies),
        cmocka_unit_test(edns_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
