/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_guard.h - never trust an empty or shrunken source (issue 13).
 *
 * A Redis node restarted without persistence, an empty replica taken over,
 * a lying Sentinel or an eviction all look, to a reload, like "the names
 * are gone". Applying that blindly takes every VM name down. The guard
 * sits between a reload and its sweep (merge_mark_end):
 *
 *  - a reload that would drop more than max_drop of the backend's names,
 *    or any zone whose hash is gone, without matching stream entries
 *    (del / delzone), is held back: the old names stay served (stale), the
 *    backend is degraded (logged, vmdns_redis_degraded, /ready detail);
 *  - while degraded, a full reload runs every few seconds: if the data
 *    came back, the backend recovers; if the names stayed gone for
 *    drop_confirm, or an operator ran `vmdnsctl confirm-drop BACKEND` (a
 *    stream entry, op confirm-drop), the drop is applied;
 *  - stream entries for a zone the backend has no hash for are not
 *    applied: the zone is reread on its own; if it has a hash (a new zone)
 *    it is loaded, else the entries are counted as ignored and logged once;
 *  - a delzone entry only deletes the zone if its hash is really gone
 *    (checked by rereading the zone); else it is counted and logged.
 *
 * All of it runs on the backend's thread.
 */
#ifndef VMDNS_REDIS_GUARD_H
#define VMDNS_REDIS_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redis/redis_strset.h"

struct event;
typedef struct redis_backend redis_backend_t;

typedef struct redis_guard {
    bool degraded;
    uint64_t since_ms;   /* monotonic: when the drop was first held */
    bool confirm;        /* an operator confirmed: the next full reload applies the drop */
    long seq;            /* loads begun (a load covers entries noted before it began) */
    strset_t *unknown;   /* apex -> seq of the last entry for a zone without a key */
    strset_t *unknown_n; /* apex -> entries ignored for it so far */
    strset_t *delzones;  /* apex -> seq of the last delzone entry, not decided yet */
    strset_t *logged;    /* zones already logged (no hash / stray delzone / wrong type) */
    struct event *recheck;
} redis_guard_t;

/* Set up / tear down (the backend's event base exists). 0 or -1. */
int guard_init(redis_backend_t *b);
void guard_free(redis_backend_t *b);

/* A load begins: returns its sequence number. */
long guard_load_begin(redis_backend_t *b);

/* A load (full: apex NULL) that began as `seq` ended: decide what its
 * sweep may drop, and end the marking (merge_mark_end). Returns the names
 * dropped. */
size_t guard_load_end(redis_backend_t *b, long seq, const uint8_t *apex, size_t apex_len,
                      bool sweep, int64_t now);

/* Under the merge lock, for a set/del entry: true if the backend has a key
 * for the zone (apply it); else the entry is noted, the zone queued for a
 * reread, and false returned. */
bool guard_entry_zone(redis_backend_t *b, const uint8_t *apex, size_t apex_len);

/* A delzone entry: queue the zone's reread, which decides. */
void guard_delzone(redis_backend_t *b, const uint8_t *apex, size_t apex_len);

/* A confirm-drop entry naming `name` (len bytes; "*": every backend). */
void guard_confirm(redis_backend_t *b, const char *name, size_t len);

/* A zone key that is not a hash (WRONGTYPE): report it once, with its
 * type (asked with TYPE on the command connection). */
void guard_wrong_type(redis_backend_t *b, const char *key);

#endif
