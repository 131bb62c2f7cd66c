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

/* What the builder decided, for logs and metrics. */
typedef struct answer_meta {
    uint8_t rcode;           /* full rcode (BADVERS = 16) */
    bool authoritative;      /* AA set */
    bool truncated;          /* TC set */
    const view_zone_t *zone; /* zone answered from, or NULL */
} answer_meta_t;

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

/* The largest UDP response for this query: min(client EDNS size, configured),
 * at least 512; 512 without EDNS. */
size_t answer_udp_limit(const wire_query_t *q, const answer_limits_t *lim);

#endif
