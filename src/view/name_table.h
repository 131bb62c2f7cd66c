/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * name_table.h - the owner-name index of one zone: an RCU open-addressing
 * hash table of node pointers.
 *
 * Why not liburcu's cds_lfht: its split-ordered lists make every lookup
 * walk a bucket's dummy node and then the nodes themselves, one cache miss
 * each, and it pays for concurrent writers we do not have (a zone has one
 * writer at a time, under the zone mutex). Here a lookup reads one slot
 * (hash + pointer, 16 bytes) and then the node that matches: usually two
 * cache lines. Readers take no lock; they must be inside rcu_read_lock().
 *
 * Writers (serialised by the caller) insert, replace or remove in place:
 * the slot's hash is stored before its pointer is published with
 * rcu_assign_pointer, so a reader that sees the pointer sees the hash.
 * Removed entries become tombstones. When live entries plus tombstones pass
 * 3/4 of the slots, the writer builds a new array, publishes it, and frees
 * the old one after a grace period (call_rcu): readers still on the old
 * array see the nodes as they were, which are also only freed after a
 * grace period. Items are opaque here, compared through their owner name.
 */
#ifndef VMDNS_VIEW_NAME_TABLE_H
#define VMDNS_VIEW_NAME_TABLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct view_node view_node_t;
typedef struct name_array name_array_t;

typedef struct name_table {
    name_array_t *array; /* RCU-published */
    size_t live;         /* entries (writer-side) */
} name_table_t;

/* Set up an empty table with room for about `capacity` names. 0 or -1. */
int name_table_init(name_table_t *t, size_t capacity);

/* Free the slot array (not the nodes). No reader may use it any more. */
void name_table_destroy(name_table_t *t);

/* Reader: the node named (name, len) with this hash, or NULL. */
view_node_t *name_table_lookup(const name_table_t *t, uint64_t hash, const uint8_t *name,
                               size_t len);

/* Writer: insert node, or replace the node with the same owner. Returns the
 * replaced node (to be freed after a grace period) or NULL; on allocation
 * failure while growing, *failed is set and nothing changes. */
view_node_t *name_table_put(name_table_t *t, uint64_t hash, view_node_t *node, int *failed);

/* Writer: hint the CPU to fetch the slot a put/lookup of this hash will
 * read first (bulk loads issue it a few names ahead). */
void name_table_prefetch(const name_table_t *t, uint64_t hash);

/* Writer: remove the node with this owner; returns it, or NULL. */
view_node_t *name_table_remove(name_table_t *t, uint64_t hash, const uint8_t *name, size_t len);

/* Writer: make room for `names` entries without growing later. 0 or -1. */
int name_table_reserve(name_table_t *t, size_t names);

/* Iterate over the live nodes of the current array: by the writer, or by
 * anyone inside rcu_read_lock(). The callback must not change the table. */
void name_table_foreach(const name_table_t *t, void (*fn)(view_node_t *node, void *ctx), void *ctx);

#endif
