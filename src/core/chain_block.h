/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * chain_block.h - server blocks: which block answers a query (core only).
 *
 * As in CoreDNS, each server block of the config is a server of its own:
 * its zones, its listen addresses, its plugin instances. A query that
 * comes in on a listener is handled by the block on that listener whose
 * zone is the longest suffix of the query name ("." matches every name);
 * no such block: REFUSED (metrics: zone "dropped"). The data is one view
 * shared by every block, so one more rule keeps a split horizon tight: a
 * name that a block on another listener claims with a longer zone is
 * REFUSED here too (`internal.example` served on 127.0.0.2 is not
 * answered on 127.0.0.1 by a `.` block there, whatever the view holds).
 *
 * chain.c builds these from the parsed config; this file only matches
 * names. Everything here is read by the workers: no allocation, no lock.
 */
#ifndef VMDNS_CORE_CHAIN_BLOCK_H
#define VMDNS_CORE_CHAIN_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "dns/name.h"
#include "dns/wire.h"

/* One zone of a block. */
typedef struct chain_zone {
    uint8_t wire[NAME_MAX_WIRE]; /* lower-cased */
    uint8_t len;
    uint8_t labels;
    char *text; /* "example.com." (the metrics' zone label) */
} chain_zone_t;

/* The zones and listeners of one block (hooks live in chain.c). */
typedef struct chain_scope {
    size_t nzones;
    chain_zone_t *zones;
    bool every_listener; /* a config without `servers`: one block everywhere */
    size_t nlisten;
    unsigned *listen; /* listener numbers (first aliases) it is on */
} chain_scope_t;

/* Read a block's `zones` (a name or a list; absent: ".") into scope.
 * -1 with "FILE:LINE: problem". */
int chain_scope_zones(chain_scope_t *scope, cfg_node_t *zones, const cfg_node_t *at,
                      cfg_error_t *err);

/* Free what a scope holds (not the scope). */
void chain_scope_free(chain_scope_t *scope);

/* True if the block is on listener l. */
bool chain_scope_on(const chain_scope_t *scope, unsigned l);

/* Labels of the longest zone of scope that is a suffix of q's name, or -1. */
int chain_scope_match(const chain_scope_t *scope, const wire_query_t *q, size_t *zone);

#endif
