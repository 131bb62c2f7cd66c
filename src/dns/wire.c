/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wire.c - hand-written query parser for the hot path (see wire.h).
 *
 * The rules (DESIGN.md "Answering"): fewer than 12 bytes or QR=1 is dropped
 * silently (never answer a response: that is how reflection loops start);
 * an opcode other than QUERY gets NOTIMP; QDCOUNT != 1, a question that is
 * cut short or uses a compression pointer, a malformed record in the other
 * sections, more than one OPT, or bytes after the last record get FORMERR.
 * Every FORMERR and NOTIMP to a query whose OPT could be read carries an
 * OPT (RFC 6891 section 7), also without a question (QDCOUNT 0 or 2).
 */
#include "dns/wire.h"

#include <string.h>

/* Parse the question name at pkt[*pos]: no compression allowed. Writes the
 * lower-cased name and label offsets into q. */
static bool parse_qname(const uint8_t *pkt, size_t len, size_t *pos, wire_query_t *q)
{
    size_t p = *pos, out = 0;
    unsigned labels = 0;
    for (;;) {
        if (p >= len)
            return false;
        uint8_t l = pkt[p];
        if (l == 0) {
            q->qname[out++] = 0;
            p++;
            break;
        }
        if (l > NAME_MAX_LABEL) /* compression pointer or reserved label type */
            return false;
        if (p + 1 + l > len || out + 1 + l + 1 > NAME_MAX_WIRE)
            return false;
        q->label_off[labels++] = (uint8_t)out;
        q->qname[out++] = l;
        for (uint8_t k = 0; k < l; k++) {
            uint8_t c = pkt[p + 1 + k];
            q->qname[out++] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
        }
        p += (size_t)l + 1;
    }
    q->qname_len = (uint8_t)out;
    q->qname_labels = (uint8_t)labels;
    *pos = p;
    return true;
}

bool wire_skip_name(const uint8_t *pkt, size_t len, size_t *pos)
{
    size_t p = *pos, total = 0;
    for (;;) {
        if (p >= len)
            return false;
        uint8_t l = pkt[p];
        if (l == 0) {
            p++;
            break;
        }
        if ((l & 0xC0) == 0xC0) {
            if (p + 2 > len)
                return false;
            p += 2;
            break;
        }
        if (l > NAME_MAX_LABEL)
            return false;
        total += (size_t)l + 1;
        if (total > NAME_MAX_WIRE || p + 1 + l > len)
            return false;
        p += (size_t)l + 1;
    }
    *pos = p;
    return true;
}

/* Walk the options inside an OPT RDATA at pkt[off..off+rdlen): they must
 * tile it exactly. Remembers where they are and checks a COOKIE (RFC 7873
 * 5.2.2: a length other than 8 or 16..40 is FORMERR). The common query has
 * no option or one, so this is one or two turns of the loop. */
enum { OPTIONS_OK = 1, OPTIONS_BAD = 0, OPTIONS_BAD_COOKIE = -1 };

static int parse_options(const uint8_t *pkt, size_t off, size_t rdlen, wire_query_t *q)
{
    const uint8_t *rdata = pkt + off;
    size_t p = 0;
    bool bad_cookie = false;
    while (p < rdlen) {
        if (p + 4 > rdlen)
            return OPTIONS_BAD;
        uint16_t code = wire_read_u16(rdata + p);
        size_t olen = wire_read_u16(rdata + p + 2);
        if (code == WIRE_EDNS_COOKIE && q->cookie == NULL && !bad_cookie) {
            if (olen != WIRE_COOKIE_CLIENT && (olen < WIRE_COOKIE_CLIENT + WIRE_COOKIE_SERVER_MIN ||
                                               olen > WIRE_COOKIE_CLIENT + WIRE_COOKIE_SERVER_MAX))
                bad_cookie = true;
            else if (p + 4 + olen <= rdlen) {
                q->cookie = rdata + p + 4;
                q->cookie_len = (uint8_t)olen;
            }
        }
        p += 4 + olen;
    }
    if (p != rdlen || bad_cookie) {
        q->cookie = NULL;
        return p != rdlen ? OPTIONS_BAD : OPTIONS_BAD_COOKIE;
    }
    q->edns_opt_off = (uint16_t)off;
    q->edns_opt_len = (uint16_t)rdlen;
    return OPTIONS_OK;
}

bool wire_edns_option_next(const wire_query_t *q, size_t *pos, uint16_t *code, const uint8_t **data,
                           uint16_t *len)
{
    size_t p = *pos;
    if (p + 4 > q->edns_opt_len)
        return false;
    const uint8_t *o = q->pkt + q->edns_opt_off + p;
    *code = wire_read_u16(o);
    *len = wire_read_u16(o + 2);
    *data = o + 4;
    *pos = p + 4 + *len; /* the parser checked the options tile the RDATA */
    return true;
}

bool wire_edns_option_find(const wire_query_t *q, uint16_t code, const uint8_t **data,
                           uint16_t *len)
{
    size_t pos = 0;
    uint16_t c;
    while (wire_edns_option_next(q, &pos, &c, data, len))
        if (c == code)
            return true;
    return false;
}

/* The uncompressed name at pkt[*pos]: moves past it; its length, or 0. */
static size_t plain_name(const uint8_t *pkt, size_t len, size_t *pos)
{
    size_t p = *pos;
    while (p < len && pkt[p] != 0) {
        if (pkt[p] > 63)
            return 0; /* a pointer or a bad label */
        p += 1 + pkt[p];
    }
    if (p >= len || p + 1 - *pos > NAME_MAX_WIRE)
        return 0;
    size_t n = p + 1 - *pos;
    *pos = p + 1;
    return n;
}

/* Read a TSIG record (RFC 8945 4.2) starting at owner, RDATA at rd. */
static bool parse_tsig(const uint8_t *pkt, size_t owner, size_t rd, uint16_t rdlen, wire_query_t *q)
{
    wire_tsig_t *t = &q->tsig;
    size_t p = owner, end = rd + rdlen;
    t->key_off = (uint16_t)owner;
    if ((t->key_len = (uint8_t)plain_name(pkt, end, &p)) == 0 || p + 10 != rd)
        return false;
    if (wire_read_u16(pkt + p + 2) != 255 || wire_read_u32(pkt + p + 4) != 0)
        return false; /* class ANY, TTL 0 */
    p = rd;
    t->alg_off = (uint16_t)p;
    if ((t->alg_len = (uint8_t)plain_name(pkt, end, &p)) == 0 || p + 10 > end)
        return false;
    t->time_signed = ((uint64_t)wire_read_u16(pkt + p) << 32) | wire_read_u32(pkt + p + 2);
    t->fudge = wire_read_u16(pkt + p + 6);
    t->mac_len = wire_read_u16(pkt + p + 8);
    p += 10;
    if (p + t->mac_len + 6 > end)
        return false;
    t->mac_off = (uint16_t)p;
    p += t->mac_len;
    t->orig_id = wire_read_u16(pkt + p);
    t->error = wire_read_u16(pkt + p + 2);
    t->other_len = wire_read_u16(pkt + p + 4);
    t->other_off = (uint16_t)(p + 6);
    if (p + 6 + t->other_len != end)
        return false;
    t->rr_off = (uint16_t)owner;
    t->present = true;
    return true;
}

/* Parse one resource record of the answer/authority/additional sections;
 * records an OPT in the additional section into q. Returns OPTIONS_OK,
 * OPTIONS_BAD for a malformed record, OPTIONS_BAD_COOKIE for a well-formed
 * OPT whose COOKIE is not. */
static int parse_rr(const uint8_t *pkt, size_t len, size_t *pos, bool additional, bool last,
                    wire_query_t *q)
{
    size_t p = *pos;
    size_t owner = p;
    if (!wire_skip_name(pkt, len, &p) || p + 10 > len)
        return OPTIONS_BAD;
    uint16_t type = wire_read_u16(pkt + p);
    uint16_t rdlen = wire_read_u16(pkt + p + 8);
    if (p + 10 + rdlen > len)
        return OPTIONS_BAD;
    if (type == WIRE_TYPE_OPT) {
        /* RFC 6891 6.1.1: only in additional, only once, owner is root. */
        if (!additional || q->has_edns || pkt[owner] != 0 || p != owner + 1)
            return OPTIONS_BAD;
        q->has_edns = true;
        q->edns_udp = wire_read_u16(pkt + p + 2);
        q->edns_version = pkt[p + 5];
        q->edns_do = (pkt[p + 6] & 0x80) != 0;
        int r = parse_options(pkt, p + 10, rdlen, q);
        if (r != OPTIONS_OK)
            return r;
    }
    if (type == WIRE_TYPE_TSIG) {
        /* RFC 8945 5.1: only as the last record, in the additional section */
        if (!additional || !last || len > 65535 || !parse_tsig(pkt, owner, p + 10, rdlen, q))
            return OPTIONS_BAD;
    }
    *pos = p + 10 + rdlen;
    return OPTIONS_OK;
}

wire_verdict_t wire_parse_query(const uint8_t *pkt, size_t len, wire_query_t *q)
{
    q->pkt = pkt;
    q->len = len;
    q->has_question = false;
    q->has_edns = false;
    q->edns_version = 0;
    q->edns_do = false;
    q->edns_udp = 0;
    q->edns_opt_off = 0;
    q->edns_opt_len = 0;
    q->cookie = NULL;
    q->cookie_len = 0;
    q->tsig.present = false;
    if (len < WIRE_HEADER_SIZE)
        return WIRE_DROP;
    q->id = wire_read_u16(pkt);
    q->flags = wire_read_u16(pkt + 2);
    if (q->flags & WIRE_FLAG_QR)
        return WIRE_DROP;

    uint16_t qdcount = wire_read_u16(pkt + 4);
    uint16_t ancount = wire_read_u16(pkt + 6);
    uint16_t nscount = wire_read_u16(pkt + 8);
    uint16_t arcount = wire_read_u16(pkt + 10);
    size_t pos = WIRE_HEADER_SIZE;

    if (qdcount == 1) {
        if (parse_qname(pkt, len, &pos, q) && pos + 4 <= len) {
            q->qtype = wire_read_u16(pkt + pos);
            q->qclass = wire_read_u16(pkt + pos + 2);
            pos += 4;
            q->question_end = pos;
            q->has_question = true;
        }
    }
    bool query = WIRE_OPCODE(q->flags) == WIRE_OPCODE_QUERY;
    if (!q->has_question) {
        /* No question we answer (QDCOUNT 0 or > 1, or a bad one): still
         * look for an OPT behind the questions, so the FORMERR/NOTIMP
         * carries one (RFC 6891 7). */
        pos = WIRE_HEADER_SIZE;
        bool ok = qdcount != 1;
        for (unsigned i = 0; ok && i < qdcount; i++) {
            ok = wire_skip_name(pkt, len, &pos) && pos + 4 <= len;
            pos += 4;
        }
        unsigned total = ok ? (unsigned)ancount + nscount + arcount : 0;
        for (unsigned i = 0; i < total && ok; i++)
            ok = parse_rr(pkt, len, &pos, i >= (unsigned)ancount + nscount, i + 1 == total, q) ==
                 OPTIONS_OK;
        q->tsig.present = false; /* nothing to sign: the reply has no question */
        if (!ok) {
            q->has_edns = false;
            q->edns_opt_len = 0;
            q->cookie = NULL;
        }
        return query ? WIRE_FORMERR : WIRE_NOTIMP;
    }

    /* The other sections are read for an OPT, also for opcodes we do not
     * implement: their NOTIMP carries an OPT when the query had one. */
    unsigned total = (unsigned)ancount + nscount + arcount;
    for (unsigned i = 0; i < total; i++) {
        int r = parse_rr(pkt, len, &pos, i >= (unsigned)ancount + nscount, i + 1 == total, q);
        if (r != OPTIONS_OK) {
            /* Do not trust a half-parsed OPT; but a bad COOKIE in a good
             * OPT gets its FORMERR with an OPT (RFC 7873 5.2.2). */
            q->has_edns = r == OPTIONS_BAD_COOKIE;
            if (!q->has_edns) {
                q->edns_opt_len = 0;
                q->cookie = NULL;
            }
            return query ? WIRE_FORMERR : WIRE_NOTIMP;
        }
    }
    if (!query)
        return WIRE_NOTIMP;
    if (pos != len)
        return WIRE_FORMERR; /* trailing garbage */
    return WIRE_ANSWER;
}
