/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * answer.h - build the response to one parsed query from the view.
 *
 * Implements the answering rules of DESIGN.md ("Answering"): AA, REFUSED
 * outside every zone, NXDOMAIN/NODATA with the SOA, empty non-terminals,
 * CNAME chains, RFC 4592 wildcards, referrals with glue, additional A/AAAA,
 * EDNS0, truncation, RFC 8482 ANY. The caller holds rcu_read_lock(). No
 * allocation: the response is written into the caller's buffer.
 */
#ifndef VMDNS_DNS_ANSWER_H
#define VMDNS_DNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"
#include "view/view.h"

/* Limits that shape a response. */
typedef struct answer_limits {
    uint16_t edns_udp_size; /* our advertised/maximum UDP payload (default 1232) */
    int64_t now;            /* unix seconds, for leases */
} answer_limits_t;

/* The kind of a response, as response rate limiting classes them (Knot's
 * mod-rrl, NSD's rrl.c): an attacker who floods with random names makes
 * NXDOMAINs, one who floods one name makes answers, and each kind is
 * limited on its own. */
typedef enum {
    ANSWER_KIND_ANSWER = 0, /* data in the answer section (or a CNAME chain) */
    ANSWER_KIND_NODATA,     /* the name exists, not the type: SOA in authority */
    ANSWER_KIND_NXDOMAIN,   /* the name does not exist */
    ANSWER_KIND_REFERRAL,   /* below a zone cut: NS in authority, no AA */
    ANSWER_KIND_ERROR,      /* REFUSED, FORMERR, NOTIMP, SERVFAIL, BADVERS */
} answer_kind_t;

/* What the builder decided, for logs, metrics and rate limiting. The
 * charged name points into the query or into the zone data, which stays
 * valid while the caller holds rcu_read_lock() (through the respond and
 * done hooks); nothing is copied. */
typedef struct answer_meta {
    uint8_t rcode;           /* full rcode (BADVERS = 16) */
    bool authoritative;      /* AA set */
    bool truncated;          /* TC set */
    bool wildcard;           /* a wildcard (RFC 4592) synthesised the answer */
    answer_kind_t kind;      /* see above */
    const view_zone_t *zone; /* zone answered from, or NULL */
    /* The name the response is charged to (lower-cased wire), as Knot and
     * NSD charge it: the QNAME for answers, the wildcard's owner ("*.x")
     * for wildcard answers, the zone apex for NXDOMAIN and NODATA, the
     * delegation point for referrals; for errors the zone apex, or the
     * root when no zone was found. */
    const uint8_t *charged;
    uint8_t charged_len;
} answer_meta_t;

/* Set meta to an error response (kind ERROR, charged to zone's apex or the
 * root). For plugins that answer errors themselves. */
void answer_meta_error(answer_meta_t *meta, uint8_t rcode, const view_zone_t *zone);

/* Set meta to a positive answer for the query's name from `zone`, charged
 * to the QNAME (plugins that synthesise an answer, e.g. `any`). */
void answer_meta_answer(answer_meta_t *meta, const wire_query_t *q, const view_zone_t *zone);

/* Build the response for a query that wire_parse_query() accepted (verdict
 * WIRE_ANSWER). `max_size` is the largest message allowed: for UDP the
 * payload size negotiated by answer_udp_limit(), for TCP 65535. Returns the
 * response length (> 0). `out` must hold at least max_size bytes. */
size_t answer_query(const view_t *view, const wire_query_t *q, const answer_limits_t *lim,
                    uint8_t *out, size_t max_size, answer_meta_t *meta);

/* Build a bare error response (FORMERR, NOTIMP, REFUSED, SERVFAIL) for a
 * parsed or half-parsed query: header, the question if it was parsed, and an
 * OPT if the query had one. Returns the length. */
size_t answer_error(const wire_query_t *q, uint8_t rcode, const answer_limits_t *lim, uint8_t *out,
                    size_t max_size);

/* The frame of a response, for plugins that answer themselves:
 * answer_write_header() writes the header (ID, QR, the query's opcode, RD
 * and CD; out holds at least 12 bytes) and, if it fits in max, the
 * question as the client wrote it (QDCOUNT 1); leave answer_opt_size(q)
 * bytes free for the OPT;
 * answer_finish() sets the rcode and appends the OPT (our UDP size, the
 * extended rcode, version 0, DO echoed, no options) if the query had one.
 * Returns the final length. */
size_t answer_write_header(const wire_query_t *q, uint8_t *out, size_t max);
size_t answer_opt_size(const wire_query_t *q);
size_t answer_finish(const wire_query_t *q, const answer_limits_t *lim, uint8_t *out, size_t len,
                     size_t max, uint8_t rcode);

/* Turn the response in out (built for q, `len` bytes, described by meta)
 * into a "slip": TC=1, header and question only, empty sections, plus an
 * OPT if the query had one (the response's own, options included, when it
 * ends with one), as DESIGN.md wants for a UDP reply that does not fit and
 * as rate limiting sends instead of the answer. Keeps the rcode and AA;
 * sets meta->truncated. Returns the new length. */
size_t answer_truncate(const wire_query_t *q, const answer_limits_t *lim, uint8_t *out, size_t len,
                       size_t max_size, answer_meta_t *meta);

/* The largest UDP response for this query: min(client EDNS size, configured),
 * at least 512; 512 without EDNS. */
size_t answer_udp_limit(const wire_query_t *q, const answer_limits_t *lim);

#endif
