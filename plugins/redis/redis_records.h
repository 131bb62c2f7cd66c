/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_records.h - one hash field's JSON value -> one view node.
 *
 * The JSON itself is read by the shared record codec
 * (vmdns_record_parse_json, also used by libvmdns); this layer adds what
 * only the server knows: where the owner sits in its zone (an SOA is only
 * allowed at the apex), and what an apex needs to be answerable (an SOA and
 * NS records, taken from the config defaults when the field has none, and a
 * time-based SOA serial so restarts never make it go backwards).
 */
#ifndef VMDNS_REDIS_RECORDS_H
#define VMDNS_REDIS_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "redis/redis_config.h"
#include "view/view.h"

/* What building a node left out. */
typedef struct redis_parse {
    size_t skipped;  /* bad records left out (1 for a value that is not JSON) */
    bool over_limit; /* more records than max_records: nothing built (why says so) */
    bool too_big;    /* an RRset that cannot fit a DNS message (answered with TC) */
    char why[256];   /* the first reason ("" if none) */
} redis_parse_t;

/* How to build nodes for one zone. */
typedef struct redis_zone_ctx {
    const redis_defaults_t *defaults;
    uint32_t default_ttl;
    uint32_t serial_base; /* the lowest SOA serial answered (unix time at load) */
    const uint8_t *apex;
    size_t apex_len;
    size_t max_records; /* records in one name (0: no limit; redis_limits.h) */
} redis_zone_ctx_t;

/* Build the node of `owner` from its JSON value. Returns NULL when nothing
 * is left to serve (a value that is not JSON, or no good record); `res`
 * says what was skipped and why. An apex node always has an SOA. */
view_node_t *redis_node_from_json(const redis_zone_ctx_t *z, const uint8_t *owner, size_t owner_len,
                                  const char *json, size_t len, redis_parse_t *res);

/* The apex node made only of the defaults (SOA, plus NS if configured),
 * for a zone whose backends give no `@`. */
view_node_t *redis_default_apex(const redis_zone_ctx_t *z);

/* Number of records in a node (all RRsets). */
size_t redis_node_records(const view_node_t *node);

/* True if two nodes hold the same RRsets and lease. */
bool redis_node_equal(const view_node_t *a, const view_node_t *b);

/* A private copy of a node (for keeping a shadowed backend's data). */
view_node_t *redis_node_clone(const view_node_t *node);

#endif
