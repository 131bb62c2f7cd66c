/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_stats.h - the numbers each Redis backend keeps about itself.
 *
 * One redis_stats_t per configured backend, written by that backend's
 * thread and by the merge (under its lock), read at any time by whoever
 * exports metrics: every field is atomic, relaxed loads are enough.
 * redis_stats_read() copies them into a plain snapshot.
 */
#ifndef VMDNS_REDIS_STATS_H
#define VMDNS_REDIS_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define REDIS_STATS_LIMITS 4 /* REDIS_LIMIT_COUNT (redis_limits.h) */

typedef struct redis_stats {
    atomic_bool up;                     /* connected to a node now */
    atomic_bool loaded;                 /* first full load finished */
    atomic_uint_fast64_t names;         /* owner names this backend holds (served or shadowed) */
    atomic_uint_fast64_t records;       /* records in them */
    atomic_uint_fast64_t zones;         /* zones this backend has a key for */
    atomic_uint_fast64_t zones_ignored; /* of those, zones another plugin serves */
    atomic_uint_fast64_t bad_records;   /* records skipped as bad (every time seen) */
    atomic_uint_fast64_t conflicts; /* times one of its names was hidden by an earlier backend */
    atomic_uint_fast64_t changes;   /* change-stream entries applied */
    atomic_int_fast64_t
        last_change_ms; /* unix ms when the last stream entry was applied (0: never) */
    atomic_int_fast64_t stream_lag_ms; /* newest stream id's time minus the last applied one's */
    atomic_uint_fast64_t reloads;      /* full loads finished (first load included) */
    atomic_uint_fast64_t reconnects;   /* sessions lost */
    atomic_uint_fast64_t failovers;    /* sessions that came up on another node than the last one */
    atomic_uint_fast64_t limit_skipped[REDIS_STATS_LIMITS]; /* by redis_limit_kind_t */
    atomic_uint_fast64_t parsed_off; /* values parsed off the backend thread (redis_parse.h) */
    /* trust in the source (redis_guard.c, redis_identity.c) */
    atomic_bool degraded;                 /* a drop is held back: old names served stale */
    atomic_uint_fast64_t names_held;      /* names a held drop keeps serving */
    atomic_uint_fast64_t drops_held;      /* reloads whose drop was held back */
    atomic_uint_fast64_t drops_confirmed; /* held drops applied (confirmed or timed out) */
    atomic_uint_fast64_t
        stream_ignored; /* stream entries ignored (zone without a hash, stray delzone) */
    atomic_uint_fast64_t discontinuities; /* node or stream identity changes seen */
    atomic_uint_fast64_t wrong_type;      /* keys of the wrong type met (stream or zone) */
    atomic_bool unsafe_eviction;          /* the node may evict keys (maxmemory-policy) */
    atomic_bool unsafe_persistence;       /* no persistence and no replica */
} redis_stats_t;

/* A plain copy, for exporters. */
typedef struct redis_stats_snapshot {
    const char *name; /* the backend's configured name */
    bool up, loaded;
    uint64_t names, records, zones, zones_ignored, bad_records, conflicts, changes, reloads,
        reconnects, failovers, parsed_off;
    int64_t last_change_ms, stream_lag_ms;
    uint64_t limit_skipped[REDIS_STATS_LIMITS];
    bool degraded, unsafe_eviction, unsafe_persistence;
    uint64_t names_held, drops_held, drops_confirmed, stream_ignored, discontinuities, wrong_type;
} redis_stats_snapshot_t;

/* Copy s into out (name is set by the caller). */
static inline void redis_stats_read(const redis_stats_t *s, redis_stats_snapshot_t *out)
{
    out->up = atomic_load_explicit(&s->up, memory_order_relaxed);
    out->loaded = atomic_load_explicit(&s->loaded, memory_order_relaxed);
    out->names = atomic_load_explicit(&s->names, memory_order_relaxed);
    out->records = atomic_load_explicit(&s->records, memory_order_relaxed);
    out->zones = atomic_load_explicit(&s->zones, memory_order_relaxed);
    out->zones_ignored = atomic_load_explicit(&s->zones_ignored, memory_order_relaxed);
    out->bad_records = atomic_load_explicit(&s->bad_records, memory_order_relaxed);
    out->conflicts = atomic_load_explicit(&s->conflicts, memory_order_relaxed);
    out->changes = atomic_load_explicit(&s->changes, memory_order_relaxed);
    out->reloads = atomic_load_explicit(&s->reloads, memory_order_relaxed);
    out->reconnects = atomic_load_explicit(&s->reconnects, memory_order_relaxed);
    out->failovers = atomic_load_explicit(&s->failovers, memory_order_relaxed);
    out->parsed_off = atomic_load_explicit(&s->parsed_off, memory_order_relaxed);
    out->last_change_ms = atomic_load_explicit(&s->last_change_ms, memory_order_relaxed);
    out->stream_lag_ms = atomic_load_explicit(&s->stream_lag_ms, memory_order_relaxed);
    for (int i = 0; i < REDIS_STATS_LIMITS; i++) {
        out->limit_skipped[i] = atomic_load_explicit(&s->limit_skipped[i], memory_order_relaxed);
    }
    out->degraded = atomic_load_explicit(&s->degraded, memory_order_relaxed);
    out->unsafe_eviction = atomic_load_explicit(&s->unsafe_eviction, memory_order_relaxed);
    out->unsafe_persistence = atomic_load_explicit(&s->unsafe_persistence, memory_order_relaxed);
    out->names_held = atomic_load_explicit(&s->names_held, memory_order_relaxed);
    out->drops_held = atomic_load_explicit(&s->drops_held, memory_order_relaxed);
    out->drops_confirmed = atomic_load_explicit(&s->drops_confirmed, memory_order_relaxed);
    out->stream_ignored = atomic_load_explicit(&s->stream_ignored, memory_order_relaxed);
    out->discontinuities = atomic_load_explicit(&s->discontinuities, memory_order_relaxed);
    out->wrong_type = atomic_load_explicit(&s->wrong_type, memory_order_relaxed);
}

/* Relaxed add/subtract helpers. */
static inline void redis_stat_add(atomic_uint_fast64_t *v, int64_t delta)
{
    if (delta >= 0) {
        atomic_fetch_add_explicit(v, (uint_fast64_t)delta, memory_order_relaxed);
    } else {
        atomic_fetch_sub_explicit(v, (uint_fast64_t)-delta, memory_order_relaxed);
    }
}

#endif
