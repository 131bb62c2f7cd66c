/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_merge.h - the union of every backend's zones, as the view serves it.
 *
 * Several backends may hold the same zone, and even the same owner name.
 * The view holds one node per name, so something must decide which one is
 * served and remember the others: this module. For every name it keeps a
 * bit mask of the backends that have it; the first backend listed wins (its
 * node is in the view), the others' nodes are kept aside ("shadows") so that
 * when the winner deletes the name the next one shows at once, even if that
 * backend is down. A conflict is counted on the hidden backend and logged
 * once per backend.
 *
 * An index entry is small (the name relative to the zone, the mask, a lease
 * slot) and shadows exist only for names held twice, so the cost over the
 * view itself stays well below the data.
 *
 * Each zone's apex also has a virtual last backend, the config defaults: it
 * provides the SOA (and NS) of a zone no backend gives an `@` for, and
 * shows again if every backend deletes its `@`.
 *
 * Leases: the winner's `expires` is kept in a per-zone min-heap; expired
 * names are dropped from the view as if their backend had deleted them
 * (merge_expire), and a value that is already expired is treated as absent.
 *
 * Zones appear when a backend first has them and disappear when no backend
 * has them any more. A zone created while its backend is loading is
 * published when a load finishes (merge_publish_pending), so a zone is
 * never answered half-loaded at startup; later ones are published at once.
 *
 * Slots and priority: each backend has a slot (its bit in the masks) for
 * as long as it runs, and a rank (its place in the config). A reload that
 * keeps the merge (redis.c) keeps the running backends in their slots and
 * gives new ones free slots, where they load hidden: their data is kept
 * aside as shadows, never answered, and their zones stay unpublished. When
 * the new configuration takes over, merge_order says which slots serve, in
 * which order; the slots it does not list are dead at once (their changes
 * are ignored). merge_apply (or the next merge_tick) then walks the index
 * once: conflicts are decided again by rank from the data in memory, the
 * new backends' names go into the view, the dead slots' names leave it
 * (the next backend's copy showing instead). Each name changes with one
 * view update, so a name held before and after never goes missing.
 *
 * Locking: every function except merge_new/merge_free/merge_mark_end and
 * the slot functions (merge_slot_*, merge_order, merge_apply, merge_tick,
 * which take the lock themselves) must be called with merge_lock() held;
 * backend threads take it once per batch of changes.
 * The caller must be an RCU-registered thread.
 */
#ifndef VMDNS_REDIS_MERGE_H
#define VMDNS_REDIS_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redis/redis_config.h"
#include "redis/redis_records.h"
#include "redis/redis_stats.h"
#include "view/view.h"

typedef struct merge merge_t;

/* What merge_new needs: the view, the backends (names for messages, stats
 * to keep, by slot), and how default apex records are made (copied). */
typedef struct merge_params {
    view_t *view;
    size_t nbackends;
    const char *const *names; /* nbackends names */
    redis_stats_t *stats;     /* nbackends counters */
    const redis_defaults_t *defaults;
    uint32_t default_ttl;
} merge_params_t;

/* Create an empty merge whose first nbackends slots (0..nbackends-1, in
 * that priority order) serve. NULL on allocation failure. */
merge_t *merge_new(const merge_params_t *p);

/* A free slot for a new backend, hidden until a merge_order lists it:
 * name for messages, and its counters at stats_by_slot[slot] (both must
 * outlive the slot). -1 if all 31 slots are taken (or being emptied). */
int merge_slot_add(merge_t *m, const char *name, redis_stats_t *stats_by_slot);

/* The name messages use for a slot (a reload's copy of the same config). */
void merge_slot_name(merge_t *m, unsigned slot, const char *name);

/* The slots that serve from now on, first-listed wins; every other slot
 * in use is dead from now on (its changes are ignored). Takes effect in
 * the index at the next merge_apply/merge_tick. */
void merge_order(merge_t *m, const unsigned *slots, size_t n);

/* The SOA/NS given to a zone no backend gives an `@` (redis_records.h),
 * from the next merge_apply/merge_tick on. Copied. */
void merge_set_defaults(merge_t *m, const redis_defaults_t *defaults, uint32_t default_ttl);

/* The backend of `slot` is stopping: its changes are ignored from now on
 * and its data goes at the next merge_apply/merge_tick. */
void merge_slot_retire(merge_t *m, unsigned slot);

/* The backend of `slot` is stopped (its thread joined): the slot is free
 * again once its data is gone (at once if merge_apply dropped it). */
void merge_slot_release(merge_t *m, unsigned slot);

/* The configuration no longer has `redis` but keeps the view: take every
 * published zone out of it and ignore whatever the backends still send
 * until they are stopped. Only merge_free is left to do. */
void merge_unpublish(merge_t *m);

/* Apply what merge_order and merge_slot_release asked for (one walk of the
 * index under the lock). Returns false if there was nothing to do. Any
 * RCU-registered thread. */
bool merge_apply(merge_t *m, int64_t now);

/* Once a second, from every backend thread: merge_apply if needed, and
 * (once per second for all) merge_expire and merge_retry_held. */
void merge_tick(merge_t *m, int64_t now);

/* Free the index and shadows. Published zones stay in the view (the view's
 * owner frees them); zones never published are freed here. */
void merge_free(merge_t *m);

void merge_lock(merge_t *m);
void merge_unlock(merge_t *m);

/* While a backend is loading, zones it creates wait for merge_publish_pending. */
void merge_set_loading(merge_t *m, unsigned backend, bool loading);

/* Publish every zone still waiting. */
void merge_publish_pending(merge_t *m);

/* Backend `b` has a key for this zone: create the zone if needed.
 * Returns 0, or -1 on allocation failure. */
int merge_zone_add(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len);

/* The context to build nodes for a zone (valid until the lock is
 * released); the zone is created for backend b if needed. -1 on failure. */
int merge_zone_ctx(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len,
                   redis_zone_ctx_t *ctx);

/* Backend b's data for `owner` (at or below apex) is `node` (taken over;
 * NULL or an expired node means b has nothing there, as merge_del).
 * Returns 0, or -1 on failure (node freed). */
int merge_set(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len, const uint8_t *owner,
              size_t owner_len, view_node_t *node, int64_t now);

/* A hint before merge_set of many names: start loading the index memory
 * for `owner` (stage 0: its bucket; stage 1: the entry the bucket points
 * to, once the bucket is in cache). Has no effect on the result. */
void merge_prefetch(merge_t *m, const uint8_t *apex, size_t apex_len, const uint8_t *owner,
                    size_t owner_len, int stage);

/* Backend b still has `owner` with the value it last set (a reload that
 * found the field unchanged, redis_fieldhash.h): note it as seen, change
 * nothing. Returns 1, or 0 if b does not hold the name (then set it). */
int merge_touch(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len, const uint8_t *owner,
                size_t owner_len);

/* Backend b no longer has `owner`. Returns 1 if it had it. */
int merge_del(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len, const uint8_t *owner,
              size_t owner_len, int64_t now);

/* Backend b no longer has the zone: drop all its names there. */
void merge_delzone(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len, int64_t now);

/* A reload of backend b (of the zone `apex`, or of all its zones when apex
 * is NULL) begins: from now on merge_set and merge_zone_add note what b
 * still has. Returns false if b holds no name in scope (a first load:
 * nothing can be left over, merge_mark_end need not look). */
bool merge_mark_begin(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len);

/* The reload ended: b's names in scope that were not set since
 * merge_mark_begin are deleted (unless `sweep` is false), and b lets go of
 * zones in scope it did not add and holds no name in. Returns the names
 * deleted. Unlike the rest, call it WITHOUT the lock: it takes the lock
 * for a slice of the index at a time, so changes keep flowing meanwhile. */
size_t merge_mark_end(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len, bool sweep,
                      int64_t now);

/* merge_mark_end, except that the zones for which keep(arg, apex, len)
 * returns true are left as they are (neither swept nor let go of): a
 * drop held back by the guard (redis_guard.h). */
typedef bool (*merge_keep_fn)(void *arg, const uint8_t *apex, size_t apex_len);
size_t merge_mark_end_keep(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len, bool sweep,
                           merge_keep_fn keep, void *arg, int64_t now);

/* Before merge_mark_end: for each zone in scope that b holds, call fn with
 * b's names there, how many of them the reload has not seen (would be
 * dropped), and whether the reload saw the zone's key at all. Call
 * WITHOUT the lock (taken a slice at a time). */
typedef void (*merge_count_fn)(void *arg, const uint8_t *apex, size_t apex_len, size_t names,
                               size_t unseen, bool seen);
void merge_mark_count(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len,
                      merge_count_fn fn, void *arg);

/* True if backend b has a key for this zone (under the lock). */
bool merge_zone_has(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len);

/* Backend b is about to load `names` names into this zone (creating it):
 * size the tables for that many (names already there count: a reload
 * does not grow them). -1 on allocation failure. */
int merge_zone_reserve(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len, size_t names);

/* Drop names whose lease ended at or before now. Returns how many. */
size_t merge_expire(merge_t *m, int64_t now);

/* Number of zones in the merge (published or pending). */
size_t merge_zone_count(const merge_t *m);

/* Try again to publish the zones held back because another plugin served
 * them (it may have let go). Cheap when there are none. Under the lock. */
void merge_retry_held(merge_t *m);

/* The apexes of the zones backend b holds, copied (free both *lens and the
 * result; *n of them); NULL when out of memory. Any thread. */
uint8_t (*merge_zones_of(merge_t *m, unsigned b, uint8_t **lens, size_t *n))[NAME_MAX_WIRE];

#endif
