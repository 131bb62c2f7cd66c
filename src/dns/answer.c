/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * answer.c - build a response from the view (see answer.h).
 *
 * The lookup follows RFC 1034 4.3.2 with the clarifications of RFC 2308
 * (negative answers), RFC 4592 (wildcards) and RFC 8482 (ANY):
 *
 *   1. the zone is the longest served apex above QNAME, else REFUSED;
 *   2. walking down from the apex, the first name with NS is a zone cut:
 *      a referral (NS in authority, glue in additional, no AA);
 *   3. an exact match answers, follows a CNAME, or is NODATA;
 *   4. no match: the closest encloser's wildcard answers if it exists,
 *      else NXDOMAIN. Negative answers carry the SOA with
 *      TTL = min(SOA TTL, SOA minimum).
 *
 * Records come pre-rendered from the view; the owner of every answer RR is
 * a pointer to the question (offset 12), which also echoes the client's
 * letter case. Names inside the RDATA of the types RFC 3597 allows to be
 * compressed (NS, CNAME, PTR, MX, SOA) are compressed against what is
 * already in the packet. Nothing here allocates.
 */
#include "dns/answer.h"

#include <string.h>

#include "dns/opt.h"
#include "libvmdns/wire_name.h"

#define MAX_CANDIDATES 64 /* name positions remembered for compression */
#define MAX_CHAIN      12 /* CNAMEs followed before giving up (loop limit) */
#define MAX_ADDITIONAL 32 /* targets for additional A/AAAA */
#define PTR_LIMIT      0x3FFF

typedef struct builder {
    uint8_t *out;
    size_t cap; /* bytes usable for sections (max size minus the OPT) */
    size_t len;
    uint16_t count[3]; /* answer, authority, additional */
    uint16_t cand[MAX_CANDIDATES];
    unsigned ncand;
    bool truncated;
} builder_t;

enum { SEC_ANSWER = 0, SEC_AUTHORITY = 1, SEC_ADDITIONAL = 2 };

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Does the (possibly compressed) name at packet offset `off` equal the
 * uncompressed wire name s? Case-insensitive. */
static bool packet_name_equals(const builder_t *b, size_t off, const uint8_t *s, size_t slen)
{
    size_t i = 0;
    int hops = 0;
    for (;;) {
        if (off >= b->len)
            return false;
        uint8_t l = b->out[off];
        if ((l & 0xC0) == 0xC0) {
            if (++hops > 32 || off + 1 >= b->len)
                return false;
            off = ((size_t)(l & 0x3F) << 8) | b->out[off + 1];
            continue;
        }
        if (i >= slen || s[i] != l)
            return false;
        if (l == 0)
            return i + 1 == slen;
        if (off + 1 + l > b->len || i + 1 + l > slen)
            return false;
        for (uint8_t k = 1; k <= l; k++)
            if (lower(b->out[off + k]) != lower(s[i + k]))
                return false;
        off += (size_t)l + 1;
        i += (size_t)l + 1;
    }
}

static void add_candidate(builder_t *b, size_t off)
{
    if (off <= PTR_LIMIT && b->ncand < MAX_CANDIDATES)
        b->cand[b->ncand++] = (uint16_t)off;
}

/* Write a name with compression. Returns the offset that names it (usable
 * as a pointer target), or -1 if it does not fit. */
static long write_name(builder_t *b, const uint8_t *name, size_t len)
{
    size_t start = 0;
    long target = -1;
    /* Longest suffix already in the packet. */
    while (start < len && name[start] != 0 && target < 0) {
        for (unsigned c = 0; c < b->ncand; c++)
            if (packet_name_equals(b, b->cand[c], name + start, len - start)) {
                target = b->cand[c];
                break;
            }
        if (target < 0)
            start += (size_t)name[start] + 1;
    }
    size_t need = start + (target >= 0 ? 2 : 1);
    if (b->len + need > b->cap)
        return -1;
    size_t at = b->len;
    for (size_t i = 0; i < start; i += (size_t)name[i] + 1) {
        add_candidate(b, b->len + i);
    }
    memcpy(b->out + b->len, name, start);
    b->len += start;
    if (target >= 0) {
        wire_write_u16(b->out + b->len, (uint16_t)(0xC000 | target));
        b->len += 2;
        return start == 0 ? target : (long)at;
    }
    b->out[b->len++] = 0;
    return (long)at;
}

/* Length of an uncompressed wire name inside rdata (0 if malformed). */
static inline size_t rdata_name_len(const uint8_t *p, size_t avail)
{
    return vmdns_wire_name_len(p, 0, avail);
}

/* Write one RR's RDATA, compressing names where allowed; `serial` (if
 * non-NULL) replaces an SOA serial. Returns false if it does not fit. */
static bool write_rdata(builder_t *b, uint16_t type, const uint8_t *rdata, size_t rdlen,
                        const uint32_t *serial, long *first_name)
{
    size_t names = 0, fixed = 0;
    switch (type) {
    case WIRE_TYPE_NS:
    case WIRE_TYPE_CNAME:
    case WIRE_TYPE_PTR:
        names = 1;
        break;
    case WIRE_TYPE_MX:
        fixed = 2;
        names = 1;
        break;
    case WIRE_TYPE_SOA:
        names = 2;
        break;
    default:
        break;
    }
    size_t p = 0;
    if (fixed) {
        if (fixed > rdlen || b->len + fixed > b->cap)
            return false;
        memcpy(b->out + b->len, rdata, fixed);
        b->len += fixed;
        p = fixed;
    }
    for (size_t n = 0; n < names; n++) {
        size_t nl = rdata_name_len(rdata + p, rdlen - p);
        if (nl == 0)
            break; /* malformed: copy the rest verbatim */
        long at = write_name(b, rdata + p, nl);
        if (at < 0)
            return false;
        if (n == 0 && first_name)
            *first_name = at;
        p += nl;
    }
    size_t rest = rdlen - p;
    if (b->len + rest > b->cap)
        return false;
    memcpy(b->out + b->len, rdata + p, rest);
    if (type == WIRE_TYPE_SOA && serial && rest >= 4)
        wire_write_u32(b->out + b->len, *serial);
    b->len += rest;
    return true;
}

/* How the owner of the RRs is written: a pointer to an offset already in
 * the packet, or a name to write (compressed). */
typedef struct owner_ref {
    long ptr;            /* >= 0: pointer target */
    const uint8_t *name; /* else: this name */
    size_t len;
} owner_ref_t;

/* Append a whole RRset to a section. On overflow nothing of the RRset is
 * kept and false is returned. ttl_cap, if non-NULL, lowers the TTL.
 * first_target receives the offset of the first RR's first rdata name. */
static bool write_rrset(builder_t *b, int section, const owner_ref_t *owner,
                        const view_rrset_t *set, const uint32_t *ttl_cap, const uint32_t *serial,
                        long *first_target)
{
    size_t mark = b->len;
    unsigned mark_cand = b->ncand;
    const uint8_t *rr = set->wire;
    long owner_at = owner->ptr;
    for (uint32_t i = 0; i < set->count; i++) {
        uint16_t rdlen = wire_read_u16(rr + 8);
        if (owner_at >= 0 && owner_at <= PTR_LIMIT) {
            if (b->len + 2 > b->cap)
                goto overflow;
            wire_write_u16(b->out + b->len, (uint16_t)(0xC000 | owner_at));
            b->len += 2;
        } else {
            owner_at = write_name(b, owner->name, owner->len);
            if (owner_at < 0)
                goto overflow;
        }
        if (b->len + 10 > b->cap)
            goto overflow;
        memcpy(b->out + b->len, rr, 8);
        if (ttl_cap && wire_read_u32(rr + 4) > *ttl_cap)
            wire_write_u32(b->out + b->len + 4, *ttl_cap);
        size_t rdlen_at = b->len + 8;
        b->len += 10;
        size_t rdata_at = b->len;
        if (!write_rdata(b, set->type, rr + 10, rdlen, serial, i == 0 ? first_target : NULL))
            goto overflow;
        wire_write_u16(b->out + rdlen_at, (uint16_t)(b->len - rdata_at));
        rr += 10 + rdlen;
    }
    b->count[section] += set->count;
    return true;
overflow:
    b->len = mark;
    b->ncand = mark_cand;
    return false;
}

/* ---- lookup ---- */

typedef struct lookup_ctx {
    const view_t *view;
    const wire_query_t *q;
    const answer_limits_t *lim;
    builder_t *b;
    uint16_t qtype;
    /* additional-section targets (names inside rdata in the packet) */
    const uint8_t *extra[MAX_ADDITIONAL];
    uint8_t extra_len[MAX_ADDITIONAL];
    const view_zone_t *extra_zone[MAX_ADDITIONAL];
    unsigned nextra;
    /* what the response is charged to (see answer_meta_t) */
    const uint8_t *wild_owner; /* owner of the first wildcard that matched */
    size_t wild_owner_len;
    const uint8_t *cut; /* delegation point of a referral */
    size_t cut_len;
} lookup_ctx_t;

/* Remember the targets of NS/MX/SRV records for additional A/AAAA. */
static void collect_targets(lookup_ctx_t *c, const view_zone_t *zone, const view_rrset_t *set)
{
    size_t skip;
    switch (set->type) {
    case WIRE_TYPE_NS:
        skip = 0;
        break;
    case WIRE_TYPE_MX:
        skip = 2;
        break;
    case WIRE_TYPE_SRV:
        skip = 6;
        break;
    default:
        return;
    }
    const uint8_t *rr = set->wire;
    for (uint32_t i = 0; i < set->count && c->nextra < MAX_ADDITIONAL; i++) {
        uint16_t rdlen = wire_read_u16(rr + 8);
        if (rdlen > skip) {
            size_t nl = rdata_name_len(rr + 10 + skip, rdlen - skip);
            if (nl > 1) {
                c->extra[c->nextra] = rr + 10 + skip;
                c->extra_len[c->nextra] = (uint8_t)nl;
                c->extra_zone[c->nextra] = zone;
                c->nextra++;
            }
        }
        rr += 10 + rdlen;
    }
}

/* Add A and AAAA of the collected targets that live in their zone. */
static void add_additional(lookup_ctx_t *c)
{
    for (unsigned i = 0; i < c->nextra; i++) {
        uint8_t name[NAME_MAX_WIRE];
        size_t len = c->extra_len[i];
        memcpy(name, c->extra[i], len);
        name_lower(name, len);
        bool seen = false;
        for (unsigned j = 0; j < i && !seen; j++)
            seen = c->extra_len[j] == len && memcmp(c->extra[j], c->extra[i], len) == 0;
        if (seen)
            continue;
        const view_zone_t *zone = c->extra_zone[i];
        size_t apex_len;
        const uint8_t *apex = view_zone_apex(zone, &apex_len);
        if (!name_is_below_or_equal(name, len, apex, apex_len))
            continue;
        const view_node_t *node = view_lookup(zone, name, len, c->lim->now);
        if (!node)
            continue;
        static const uint16_t types[2] = {WIRE_TYPE_A, WIRE_TYPE_AAAA};
        for (int t = 0; t < 2; t++) {
            const view_rrset_t *set = view_node_rrset(node, types[t]);
            owner_ref_t owner = {-1, name, len};
            if (set && !write_rrset(c->b, SEC_ADDITIONAL, &owner, set, NULL, NULL, NULL))
                return; /* additional data is optional: stop, no TC */
        }
    }
}

/* Write the zone's SOA into authority with the negative-caching TTL. */
static bool add_negative_soa(lookup_ctx_t *c, const view_zone_t *zone, long apex_ptr)
{
    size_t apex_len;
    const uint8_t *apex = view_zone_apex(zone, &apex_len);
    const view_node_t *node = view_lookup(zone, apex, apex_len, c->lim->now);
    const view_rrset_t *soa = node ? view_node_rrset(node, WIRE_TYPE_SOA) : NULL;
    if (!soa)
        return true;
    uint16_t rdlen = wire_read_u16(soa->wire + 8);
    uint32_t minimum = rdlen >= 4 ? wire_read_u32(soa->wire + 10 + rdlen - 4) : 0;
    uint32_t ttl = soa->ttl < minimum ? soa->ttl : minimum;
    uint32_t serial = view_zone_serial(zone);
    owner_ref_t owner = {apex_ptr, apex, apex_len};
    if (!write_rrset(c->b, SEC_AUTHORITY, &owner, soa, &ttl, &serial, NULL)) {
        c->b->truncated = true;
        return false;
    }
    return true;
}

/* Offset of a suffix of the question name (the apex of its zone, a cut
 * above it) in the packet, for pointers. -1 if name is not a suffix. */
static long qname_suffix_ptr(const wire_query_t *q, const uint8_t *name, size_t len)
{
    if (len > q->qname_len)
        return -1;
    size_t off = q->qname_len - len;
    if (memcmp(q->qname + off, name, len) != 0)
        return -1;
    /* must be a label boundary */
    for (unsigned i = 0; i < q->qname_labels; i++)
        if (q->label_off[i] == off)
            return WIRE_HEADER_SIZE + (long)off;
    if (off == (size_t)q->qname_len - 1)
        return WIRE_HEADER_SIZE + (long)off;
    return -1;
}

typedef enum { STEP_DONE, STEP_FOLLOW } step_t;

/* Answer name (lower-cased wire) in zone; owner_ptr is where the name is in
 * the packet (12 for the question). On a CNAME to follow, fills next. */
static step_t resolve(lookup_ctx_t *c, const view_zone_t *zone, const uint8_t *name, size_t len,
                      long owner_ptr, bool first, answer_meta_t *meta, const uint8_t **next,
                      size_t *next_len, long *next_ptr)
{
    builder_t *b = c->b;
    int64_t now = c->lim->now;
    size_t apex_len;
    const uint8_t *apex = view_zone_apex(zone, &apex_len);
    uint8_t offs[NAME_MAX_LABELS];
    unsigned labels = name_label_offsets(name, len, offs);
    unsigned apex_labels = view_zone_apex_labels(zone);
    long apex_ptr = first ? qname_suffix_ptr(c->q, apex, apex_len) : -1;

    /* Closest encloser so far (the apex always exists). */
    const uint8_t *encloser = apex;
    size_t encloser_len = apex_len;
    bool walked = false;

    /* 2. zone cuts between the apex and the name */
    if (view_zone_has_delegations(zone)) {
        walked = true;
        for (unsigned k = apex_labels + 1; k <= labels; k++) {
            size_t off = offs[labels - k];
            const view_node_t *node = view_lookup(zone, name + off, len - off, now);
            if (!node)
                break;
            encloser = name + off;
            encloser_len = len - off;
            if (!(view_node_flags(node) & VIEW_NODE_DELEGATION))
                continue;
            if (k == labels && c->qtype == WIRE_TYPE_DS)
                break; /* DS at the cut belongs to the parent side */
            if (first)
                meta->authoritative = false;
            meta->kind = ANSWER_KIND_REFERRAL;
            c->cut = view_node_owner(node, &c->cut_len);
            const view_rrset_t *ns = view_node_rrset(node, WIRE_TYPE_NS);
            owner_ref_t owner = {first ? qname_suffix_ptr(c->q, name + off, len - off) : -1,
                                 name + off, len - off};
            if (!write_rrset(b, SEC_AUTHORITY, &owner, ns, NULL, NULL, NULL)) {
                b->truncated = true;
                return STEP_DONE;
            }
            collect_targets(c, zone, ns);
            return STEP_DONE;
        }
    }

    /* 3. exact match */
    const view_node_t *node = view_lookup(zone, name, len, now);
    if (!node) {
        /* 4. wildcard at the closest encloser */
        if (!walked) {
            for (unsigned k = labels; k-- > apex_labels + 1;) {
                /* k labels: the ancestor with k labels */
                size_t off = offs[labels - k];
                if (view_lookup(zone, name + off, len - off, now)) {
                    encloser = name + off;
                    encloser_len = len - off;
                    break;
                }
            }
        }
        uint8_t wild[NAME_MAX_WIRE];
        if (encloser_len + 2 <= NAME_MAX_WIRE) {
            wild[0] = 1;
            wild[1] = '*';
            memcpy(wild + 2, encloser, encloser_len);
            node = view_lookup(zone, wild, encloser_len + 2, now);
        }
        if (!node) {
            meta->rcode = WIRE_RCODE_NXDOMAIN;
            meta->kind = ANSWER_KIND_NXDOMAIN;
            add_negative_soa(c, zone, apex_ptr);
            return STEP_DONE;
        }
        if (!meta->wildcard) {
            meta->wildcard = true;
            c->wild_owner = view_node_owner(node, &c->wild_owner_len);
        }
    }

    unsigned flags = view_node_flags(node);
    if ((flags & VIEW_NODE_CNAME) && c->qtype != WIRE_TYPE_CNAME) {
        const view_rrset_t *cname = view_node_rrset(node, WIRE_TYPE_CNAME);
        owner_ref_t owner = {owner_ptr, name, len};
        long target_at = -1;
        if (!write_rrset(b, SEC_ANSWER, &owner, cname, NULL, NULL, &target_at)) {
            b->truncated = true;
            return STEP_DONE;
        }
        uint16_t rdlen = wire_read_u16(cname->wire + 8);
        size_t nl = rdata_name_len(cname->wire + 10, rdlen);
        if (nl == 0)
            return STEP_DONE;
        *next = cname->wire + 10;
        *next_len = nl;
        *next_ptr = target_at;
        return STEP_FOLLOW;
    }

    const view_rrset_t *set = NULL;
    if (c->qtype == WIRE_TYPE_ANY) {
        size_t n;
        const view_rrset_t *all = view_node_rrsets(node, &n);
        if (n > 0)
            set = &all[0]; /* RFC 8482: one RRset is enough */
    } else {
        set = view_node_rrset(node, c->qtype);
    }
    if (!set) {
        meta->kind = ANSWER_KIND_NODATA;
        add_negative_soa(c, zone, apex_ptr);
        return STEP_DONE;
    }
    uint32_t serial = view_zone_serial(zone);
    owner_ref_t owner = {owner_ptr, name, len};
    if (!write_rrset(b, SEC_ANSWER, &owner, set, NULL, &serial, NULL)) {
        b->truncated = true; /* answer_query sends TC=1 with empty sections */
        return STEP_DONE;
    }
    collect_targets(c, zone, set);
    return STEP_DONE;
}

/* ---- response frame ---- */

static const uint8_t root_name[1] = {0};

void answer_meta_error(answer_meta_t *meta, uint8_t rcode, const view_zone_t *zone)
{
    meta->rcode = rcode;
    meta->authoritative = false;
    meta->truncated = false;
    meta->wildcard = false;
    meta->kind = ANSWER_KIND_ERROR;
    meta->zone = zone;
    size_t len = 1;
    meta->charged = zone ? view_zone_apex(zone, &len) : root_name;
    meta->charged_len = (uint8_t)len;
}

void answer_meta_answer(answer_meta_t *meta, const wire_query_t *q, const view_zone_t *zone)
{
    meta->rcode = WIRE_RCODE_NOERROR;
    meta->authoritative = true;
    meta->truncated = false;
    meta->wildcard = false;
    meta->kind = ANSWER_KIND_ANSWER;
    meta->zone = zone;
    meta->charged = q->qname;
    meta->charged_len = q->qname_len;
}

size_t answer_write_header(const wire_query_t *q, uint8_t *out, size_t max)
{
    wire_write_u16(out, q->id);
    uint16_t flags = WIRE_FLAG_QR | (q->flags & (0x7800 | WIRE_FLAG_RD | WIRE_FLAG_CD));
    wire_write_u16(out + 2, flags);
    memset(out + 4, 0, 8);
    size_t len = WIRE_HEADER_SIZE;
    if (q->has_question && q->question_end <= max) {
        memcpy(out + len, q->pkt + WIRE_HEADER_SIZE, q->question_end - WIRE_HEADER_SIZE);
        len = q->question_end;
        wire_write_u16(out + 4, 1);
    }
    return len;
}

size_t answer_opt_size(const wire_query_t *q)
{
    if (!q->has_edns)
        return 0;
    /* Room for the server cookie a respond hook adds to a query that
     * brought a COOKIE (RFC 7873: 8 + 16 bytes of option data). */
    return OPT_RR_HEADER + (q->cookie != NULL ? 4 + 8 + 16 : 0);
}

size_t answer_finish(const wire_query_t *q, const answer_limits_t *lim, uint8_t *out, size_t len,
                     size_t max, uint8_t rcode)
{
    out[3] = (uint8_t)((out[3] & 0xF0) | (rcode & 0x0F));
    if (!q->has_edns)
        return len;
    opt_record_t opt = {
        .udp_size = lim->edns_udp_size >= WIRE_MIN_UDP ? lim->edns_udp_size : WIRE_MIN_UDP,
        .rcode = rcode,
        .version = 0,
        .do_bit = q->edns_do,
    };
    size_t n = opt_write(out, len, max, &opt);
    return n > 0 ? n : len;
}

size_t answer_udp_limit(const wire_query_t *q, const answer_limits_t *lim)
{
    if (!q->has_edns)
        return WIRE_MIN_UDP;
    size_t size = q->edns_udp < lim->edns_udp_size ? q->edns_udp : lim->edns_udp_size;
    return size < WIRE_MIN_UDP ? WIRE_MIN_UDP : size;
}

size_t answer_error(const wire_query_t *q, uint8_t rcode, const answer_limits_t *lim, uint8_t *out,
                    size_t max_size)
{
    size_t len = answer_write_header(q, out, max_size - answer_opt_size(q));
    return answer_finish(q, lim, out, len, max_size, rcode);
}

size_t answer_truncate(const wire_query_t *q, const answer_limits_t *lim, uint8_t *out, size_t len,
                       size_t max_size, answer_meta_t *meta)
{
    /* Keep the response's own OPT (with what a respond hook added to it,
     * a server cookie say); else write the query's. */
    size_t opt_off = q->has_edns ? opt_find(out, len) : 0;
    size_t opt_len = opt_off > 0 ? len - opt_off : 0;
    if (opt_off > 0 && opt_off < q->question_end)
        opt_off = 0; /* cannot be: a response starts with the question */
    size_t n = answer_write_header(q, out, max_size - (opt_off > 0 ? opt_len : answer_opt_size(q)));
    uint16_t flags = (uint16_t)(wire_read_u16(out + 2) | WIRE_FLAG_TC);
    if (meta->authoritative)
        flags |= WIRE_FLAG_AA;
    wire_write_u16(out + 2, flags);
    meta->truncated = true;
    if (opt_off == 0)
        return answer_finish(q, lim, out, n, max_size, meta->rcode);
    out[3] = (uint8_t)((out[3] & 0xF0) | (meta->rcode & 0x0F));
    memmove(out + n, out + opt_off, opt_len);
    wire_write_u16(out + 10, 1);
    return n + opt_len;
}

size_t answer_query(const view_t *view, const wire_query_t *q, const answer_limits_t *lim,
                    uint8_t *out, size_t max_size, answer_meta_t *meta)
{
    uint8_t error = 0;
    if (q->has_edns && q->edns_version > 0)
        error = WIRE_RCODE_BADVERS;
    else if (q->qtype == WIRE_TYPE_OPT)
        error = WIRE_RCODE_FORMERR;
    else if (q->qtype == WIRE_TYPE_MAILA || q->qtype == WIRE_TYPE_MAILB)
        error = WIRE_RCODE_NOTIMP;
    if (error) {
        answer_meta_error(meta, error, NULL);
        return answer_error(q, error, lim, out, max_size);
    }
    const view_zone_t *zone = NULL;
    if (q->qclass == WIRE_CLASS_IN && q->qtype != WIRE_TYPE_AXFR && q->qtype != WIRE_TYPE_IXFR)
        zone = view_find_zone(view, q->qname, q->qname_len, q->label_off, q->qname_labels);
    if (!zone) {
        answer_meta_error(meta, WIRE_RCODE_REFUSED, NULL);
        return answer_error(q, WIRE_RCODE_REFUSED, lim, out, max_size);
    }
    answer_meta_answer(meta, q, zone);

    builder_t b = {
        .out = out, .cap = max_size - answer_opt_size(q), .ncand = 0, .truncated = false};
    b.len = answer_write_header(q, out, b.cap);
    b.count[0] = b.count[1] = b.count[2] = 0;
    for (unsigned i = 0; i < q->qname_labels; i++)
        add_candidate(&b, WIRE_HEADER_SIZE + q->label_off[i]);

    lookup_ctx_t c = {.view = view, .q = q, .lim = lim, .b = &b, .qtype = q->qtype, .nextra = 0};
    const uint8_t *name = q->qname;
    size_t len = q->qname_len;
    long owner_ptr = WIRE_HEADER_SIZE;
    uint8_t buf[2][NAME_MAX_WIRE];
    uint64_t seen[MAX_CHAIN + 1];
    seen[0] = name_hash(name, len);
    for (unsigned step = 0;; step++) {
        const uint8_t *next;
        size_t next_len;
        long next_ptr;
        if (resolve(&c, zone, name, len, owner_ptr, step == 0, meta, &next, &next_len, &next_ptr) ==
            STEP_DONE)
            break;
        if (step + 1 >= MAX_CHAIN)
            break;
        /* follow the CNAME if its target is served here and not a loop */
        uint8_t *target = buf[step & 1];
        memcpy(target, next, next_len);
        name_lower(target, next_len);
        uint8_t offs[NAME_MAX_LABELS];
        unsigned labels = name_label_offsets(target, next_len, offs);
        const view_zone_t *tz = view_find_zone(view, target, next_len, offs, labels);
        if (!tz)
            break;
        uint64_t h = name_hash(target, next_len);
        bool loop = false;
        for (unsigned i = 0; i <= step && !loop; i++)
            loop = seen[i] == h;
        if (loop)
            break;
        seen[step + 1] = h;
        zone = tz;
        name = target;
        len = next_len;
        owner_ptr = next_ptr;
    }

    if (!b.truncated)
        add_additional(&c);
    meta->truncated = b.truncated;
    switch (meta->kind) {
    case ANSWER_KIND_NODATA:
    case ANSWER_KIND_NXDOMAIN: {
        size_t apex_len;
        meta->charged = view_zone_apex(zone, &apex_len);
        meta->charged_len = (uint8_t)apex_len;
        break;
    }
    case ANSWER_KIND_REFERRAL:
        meta->charged = c.cut;
        meta->charged_len = (uint8_t)c.cut_len;
        break;
    default:
        if (meta->wildcard) {
            meta->charged = c.wild_owner;
            meta->charged_len = (uint8_t)c.wild_owner_len;
        }
        break;
    }
    if (b.truncated) {
        /* Too big: TC=1 and nothing but the question and the OPT, as Knot
         * and NSD answer. A partial answer would reflect up to the whole
         * buffer for one small query (amplification), and the client
         * retries over TCP anyway. */
        size_t n = answer_write_header(q, out, max_size - answer_opt_size(q));
        uint16_t flags = (uint16_t)(wire_read_u16(out + 2) | WIRE_FLAG_TC);
        if (meta->authoritative)
            flags |= WIRE_FLAG_AA;
        wire_write_u16(out + 2, flags);
        return answer_finish(q, lim, out, n, max_size, meta->rcode);
    }
    wire_write_u16(out + 6, b.count[SEC_ANSWER]);
    wire_write_u16(out + 8, b.count[SEC_AUTHORITY]);
    wire_write_u16(out + 10, b.count[SEC_ADDITIONAL]);
    uint16_t flags = wire_read_u16(out + 2);
    if (meta->authoritative)
        flags |= WIRE_FLAG_AA;
    wire_write_u16(out + 2, flags);
    return answer_finish(q, lim, out, b.len, max_size, meta->rcode);
}
