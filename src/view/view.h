/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * view.h - the in-memory image of every zone vmdnsd serves.
 *
 * Workers read it with no locks: they call view_* lookups between
 * rcu_read_lock() and rcu_read_unlock() (liburcu, memb flavour) and may use
 * what they got only inside that section. Writers (the control thread, a
 * Redis backend thread) change it name by name, or swap a whole zone, while
 * the workers keep answering: every owner name is one immutable view_node_t,
 * replaced as a whole and freed after a grace period (call_rcu).
 *
 * A node holds its RRsets pre-rendered in wire form, owner omitted, so the
 * answer path only copies bytes. Writers to one zone are serialised by the
 * zone's own mutex; readers never take it.
 */
#ifndef VMDNS_VIEW_H
#define VMDNS_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/name.h"

/* One RRset: `count` records rendered back to back, each as
 * TYPE(2) CLASS(2) TTL(4) RDLENGTH(2) RDATA, the owner left for the answer
 * builder to write (usually a pointer to the question). Names inside RDATA
 * are uncompressed, lower-case as loaded. */
typedef struct view_rrset {
    uint16_t type;
    uint32_t count;    /* never truncated: an RRset may hold more than 65,535 records */
    uint32_t ttl;      /* one TTL per RRset (RFC 2181 5.2): the smallest given */
    uint32_t wire_len; /* bytes in wire */
    const uint8_t *wire;
} view_rrset_t;

/* One owner name. A node with no RRsets is an empty non-terminal (it exists,
 * so queries for it get NODATA, not NXDOMAIN). */
typedef struct view_node view_node_t;

/* One zone: its apex and the hash of its owner names. */
typedef struct view_zone view_zone_t;

/* All zones. */
typedef struct view view_t;

/* A record to put into a node: type, TTL and RDATA in uncompressed wire form
 * (names lower-cased by the caller). Class is always IN. */
typedef struct view_rr {
    uint16_t type;
    uint32_t ttl;
    uint16_t rdlen;
    const uint8_t *rdata;
} view_rr_t;

/* Flags of a node, for the answer path. */
#define VIEW_NODE_DELEGATION 0x1u /* has NS and is not the apex: a zone cut */
#define VIEW_NODE_CNAME      0x2u /* has a CNAME RRset */
#define VIEW_NODE_WILDCARD   0x4u /* owner's first label is "*" */

/* ---- building (no RCU needed; the node is private until put) ---- */

/* Build an immutable node from records in any order: groups them into RRsets
 * sorted by type, drops exact duplicates, renders the wire. `expires` is a
 * lease end in unix seconds (0: no lease). Returns NULL on allocation failure
 * or a bad owner. The RRset TTL is the smallest TTL given for that type. */
view_node_t *view_node_new(const uint8_t *owner, size_t owner_len, const view_rr_t *rrs, size_t n,
                           int64_t expires);

/* Free a node that was never put into a zone. */
void view_node_free(view_node_t *node);

/* ---- writers ---- */

/* Create an empty view. Threads that read it must be registered with
 * rcu_register_thread(). */
view_t *view_new(void);

/* Free the view and every zone in it. No reader may be running. */
void view_free(view_t *view);

/* Create an unpublished zone for `apex` (lower-cased wire). */
view_zone_t *view_zone_new(const uint8_t *apex, size_t apex_len);

/* Free a zone that is not published (or was unpublished and a grace period
 * has passed; view_zone_retire does both). */
void view_zone_free(view_zone_t *zone);

/* Add or replace the node for its owner name, which must be at or below the
 * apex; creates empty non-terminals between it and the apex. Takes ownership
 * of the node (freed on error too). Safe while readers run; the zone serial
 * goes up by one. Returns 0, or -1 if the owner is outside the zone. */
int view_zone_put(view_zone_t *zone, view_node_t *node);

/* Remove one owner name (and empty non-terminals left without children).
 * If the name still has descendants it stays as an empty non-terminal.
 * Returns 1 if something was removed, 0 if the name was absent. */
int view_zone_delete(view_zone_t *zone, const uint8_t *owner, size_t owner_len);

/* Drop every node whose lease ended at or before `now`; returns how many. */
size_t view_zone_expire(view_zone_t *zone, int64_t now);

/* Set the SOA serial answered for this zone (the serial in the apex SOA's
 * RDATA is replaced by this number when answering). view_zone_put of the
 * apex node also takes the serial from its SOA if that is higher. */
void view_zone_set_serial(view_zone_t *zone, uint32_t serial);
uint32_t view_zone_serial(const view_zone_t *zone);

/* Every zone has one owner: the plugin that publishes it ("file",
 * "redis"; a static string, compared by text; NULL for none, as in tests).
 * A zone is published only over nothing or over its owner's own zone with
 * the same apex, and removed only by its owner. So when two plugins serve
 * the same apex, the first to publish keeps it, whatever the other does:
 * a zone file's data never vanishes because Redis dropped the zone. Set
 * the owner before publishing. */
void view_zone_set_owner(view_zone_t *zone, const char *owner);
const char *view_zone_owner(const view_zone_t *zone);

/* The owner of the published zone with this apex ("" if it has none), or
 * NULL if there is no such zone. Any writer thread. */
const char *view_zone_holder(view_t *view, const uint8_t *apex, size_t apex_len);

/* Publish `zone`, replacing the zone with the same apex if there is one and
 * it has the same owner. The replaced zone is freed after a grace period,
 * by call_rcu: this call does not wait for readers (call it from a writer
 * thread, never a worker). Returns 0, or -1 if another owner's zone has that apex: nothing
 * changes, `zone` stays the caller's (unpublished), and *holder (if not
 * NULL) is set to the other owner. */
int view_publish_zone(view_t *view, view_zone_t *zone, const char **holder);

/* Unpublish the zone with this apex if `owner` owns it, and free it after a
 * grace period (call_rcu, no wait); returns 1 if it did, 0 if there is no
 * such zone or another owner's. */
int view_remove_zone(view_t *view, const uint8_t *apex, size_t apex_len, const char *owner);

/* The published zone with exactly this apex, or NULL (writer side: the
 * caller must be the only thread that removes zones). */
view_zone_t *view_zone_get(view_t *view, const uint8_t *apex, size_t apex_len);

/* Hint: a put of this owner follows soon (bulk loads call it a few names
 * ahead, so the table slot is in cache by then). Writer thread only. */
void view_zone_prefetch(view_zone_t *zone, const uint8_t *owner, size_t owner_len);

/* For a zone transfer: every node of the zone as of one moment (the zone's
 * writers wait while the pointers are copied, a few ms per 100k names),
 * into a new array *out (free() it), and the serial of that moment.
 * Call and use the nodes inside one rcu_read_lock() section: they stay
 * valid until it ends. Returns the count; *out NULL if out of memory. */
size_t view_zone_snapshot(const view_zone_t *zone, const view_node_t ***out, uint32_t *serial);

/* Call fn for every published zone (inside rcu_read_lock(); the zones
 * stay valid until it ends). */
void view_foreach_zone(const view_t *view, void (*fn)(const view_zone_t *zone, void *ctx),
                       void *ctx);

/* Number of owner names (including empty non-terminals) in a zone. */
size_t view_zone_size(const view_zone_t *zone);

/* Size the zone's name table for about `names` names before a bulk load
 * (auto-resize lags behind fast inserts, and lookups then walk long
 * chains). Writer thread, outside any read-side critical section. */
void view_zone_reserve(view_zone_t *zone, size_t names);

/* ---- readers (inside rcu_read_lock) ---- */

/* The zone whose apex is the longest suffix of qname, or NULL. label_off and
 * labels are as filled by name_label_offsets(). */
const view_zone_t *view_find_zone(const view_t *view, const uint8_t *qname, size_t qname_len,
                                  const uint8_t *label_off, unsigned labels);

/* The zone's apex (lower-cased wire) and its label count. */
const uint8_t *view_zone_apex(const view_zone_t *zone, size_t *len);
unsigned view_zone_apex_labels(const view_zone_t *zone);

/* True if the zone has any delegation (cut) below its apex. */
bool view_zone_has_delegations(const view_zone_t *zone);

/* The node for an exact owner name, or NULL. A node whose lease has ended
 * at `now` (unix seconds) is reported absent. */
const view_node_t *view_lookup(const view_zone_t *zone, const uint8_t *name, size_t len,
                               int64_t now);

/* The RRset of a type at a node, or NULL. */
const view_rrset_t *view_node_rrset(const view_node_t *node, uint16_t type);

/* All RRsets of a node (for ANY), in type order. */
const view_rrset_t *view_node_rrsets(const view_node_t *node, size_t *count);

/* VIEW_NODE_* flags of a node. */
unsigned view_node_flags(const view_node_t *node);

/* The node's owner name (lower-cased wire). */
const uint8_t *view_node_owner(const view_node_t *node, size_t *len);

/* Lease end of a node (0: none). */
int64_t view_node_expires(const view_node_t *node);

#endif
