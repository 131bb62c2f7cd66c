/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zone_builder.h - test helper: view zones and DNS queries from text.
 *
 * The unit tests of the answer path and the fuzz harnesses need zones with
 * many record types and queries with and without EDNS. Writing RDATA by
 * hand is slow and error prone, so this helper lets ldns parse
 * presentation-format records ("www.example.com. 300 IN A 192.0.2.1") and
 * queries, and turns them into what the view and the parser take: owner
 * names and names inside RDATA lower-cased, uncompressed wire form, records
 * grouped by owner into view nodes. It is test code: it allocates freely and
 * aborts on malformed input so a typo in a test fails loudly.
 */
#ifndef VMDNS_TESTS_ZONE_BUILDER_H
#define VMDNS_TESTS_ZONE_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "view/view.h"

/* Make an unpublished zone for `apex` (text) holding the records of `rrs`
 * (presentation format, one record per string, absolute owners). Records
 * are grouped by owner; each owner becomes one node with lease `expires`
 * (0: none). Aborts on a record ldns cannot parse or outside the zone. */
view_zone_t *zb_zone_new(const char *apex, const char *const *rrs, size_t n, int64_t expires);

/* Put (add or replace) the records of `rrs` into `zone`, one node per owner,
 * with lease `expires`. Aborts on a parse error. */
void zb_zone_put(view_zone_t *zone, const char *const *rrs, size_t n, int64_t expires);

/* zb_zone_new() then view_publish_zone(); returns the published zone. */
view_zone_t *zb_publish(view_t *view, const char *apex, const char *const *rrs, size_t n);

/* Convert a name in text to lower-cased wire form; aborts if it is bad. */
size_t zb_name(const char *text, uint8_t out[NAME_MAX_WIRE]);

/* Options of a test query. */
typedef struct zb_query_opts {
    uint16_t id;
    uint16_t qclass; /* 0: IN */
    bool edns;       /* add an OPT record */
    uint16_t udp;    /* its payload size (0: 1232) */
    uint8_t version; /* its EDNS version */
    bool do_bit;     /* its DO bit */
} zb_query_opts_t;

/* Render a query for `name` (text, letter case kept) and `type` into out
 * with ldns; returns its length. Aborts if it does not fit. */
size_t zb_query(const char *name, uint16_t type, const zb_query_opts_t *opts, uint8_t *out,
                size_t cap);

#endif
