/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_metrics.c - per-backend state of the redis plugin as Prometheus
 * metrics (vmdns_redis_*, label `backend` = the configured name).
 *
 * Issue 5 asks for vmdns's own numbers next to CoreDNS's: is each backend
 * up, is its data served stale, how much it holds, what it skipped, how
 * fresh its changes are, how often it reloaded or moved. All of it is
 * already counted by the backends (redis_stats.h); this file only renders
 * it. A scrape takes one snapshot per backend first, so the values of one
 * backend within a scrape agree with each other (up vs stale).
 *
 * The families are a table: a name, a type, a help text, and either a
 * counter's field in the snapshot (printed as an exact integer) or a
 * function for the derived gauges. A function returning NaN means "no
 * sample for this backend" (e.g. the age of a change that never happened).
 */
#include "redis/redis_metrics.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>

#include "redis/redis.h"

typedef double (*redis_gauge_fn)(const redis_stats_snapshot_t *s, int64_t now_ms);

typedef struct redis_family {
    const char *name;
    const char *type;
    const char *help;
    size_t field;      /* offsetof a uint64_t in the snapshot, when fn is NULL */
    redis_gauge_fn fn; /* derived value, or NULL */
} redis_family_t;

static double gauge_up(const redis_stats_snapshot_t *s, int64_t now_ms)
{
    (void)now_ms;
    return s->up ? 1 : 0;
}

static double gauge_loaded(const redis_stats_snapshot_t *s, int64_t now_ms)
{
    (void)now_ms;
    return s->loaded ? 1 : 0;
}

/* Down, but what it loaded before is still in the view and answered. */
static double gauge_stale(const redis_stats_snapshot_t *s, int64_t now_ms)
{
    (void)now_ms;
    return s->loaded && !s->up ? 1 : 0;
}

static double gauge_last_change_ts(const redis_stats_snapshot_t *s, int64_t now_ms)
{
    (void)now_ms;
    return (double)s->last_change_ms / 1000.0;
}

static double gauge_last_change_age(const redis_stats_snapshot_t *s, int64_t now_ms)
{
    if (s->last_change_ms <= 0) {
        return NAN; /* never: no sample */
    }
    int64_t age = now_ms - s->last_change_ms;
    return (double)(age > 0 ? age : 0) / 1000.0;
}

static double gauge_stream_lag(const redis_stats_snapshot_t *s, int64_t now_ms)
{
    (void)now_ms;
    return (double)(s->stream_lag_ms > 0 ? s->stream_lag_ms : 0) / 1000.0;
}

static double gauge_degraded(const redis_stats_snapshot_t *s, int64_t now_ms)
{
    (void)now_ms;
    return s->degraded ? 1 : 0;
}

static double gauge_unsafe_eviction(const redis_stats_snapshot_t *s, int64_t now_ms)
{
    (void)now_ms;
    return s->unsafe_eviction ? 1 : 0;
}

static double gauge_unsafe_persistence(const redis_stats_snapshot_t *s, int64_t now_ms)
{
    (void)now_ms;
    return s->unsafe_persistence ? 1 : 0;
}

#define COUNTER(f) offsetof(redis_stats_snapshot_t, f), NULL

static const redis_family_t redis_families[] = {
    {"vmdns_redis_backend_up", "gauge",
     "1 if the backend has a working session to one of its nodes, else 0.", 0, gauge_up},
    {"vmdns_redis_backend_loaded", "gauge",
     "1 once the backend's first full load has finished, else 0.", 0, gauge_loaded},
    {"vmdns_redis_backend_stale", "gauge",
     "1 while the backend is down and the data it loaded before is still served.", 0, gauge_stale},
    {"vmdns_redis_zones", "gauge", "Zones the backend has a key for.", COUNTER(zones)},
    {"vmdns_redis_zones_ignored", "gauge",
     "Zones the backend has a key for that another plugin (a zone file) serves: their data in "
     "Redis is ignored.",
     COUNTER(zones_ignored)},
    {"vmdns_redis_names", "gauge",
     "Owner names the backend holds (served, or hidden by an earlier backend).", COUNTER(names)},
    {"vmdns_redis_records", "gauge", "Records in the backend's names.", COUNTER(records)},
    {"vmdns_redis_bad_records_total", "counter",
     "Records skipped as bad (bad JSON, address, name...), counted each time they are read.",
     COUNTER(bad_records)},
    {"vmdns_redis_conflicts_total", "counter",
     "Times one of the backend's names was hidden by the same name on a backend listed before it.",
     COUNTER(conflicts)},
    {"vmdns_redis_changes_total", "counter", "Change-stream entries applied.", COUNTER(changes)},
    {"vmdns_redis_parsed_off_thread_total", "counter",
     "Values big enough to be parsed off the backend thread (the stream goes on meanwhile).",
     COUNTER(parsed_off)},
    {"vmdns_redis_last_change_timestamp_seconds", "gauge",
     "Unix time when the last change-stream entry was applied (0: none yet).", 0,
     gauge_last_change_ts},
    {"vmdns_redis_last_change_seconds", "gauge",
     "Seconds since the last change-stream entry was applied (no sample before the first).", 0,
     gauge_last_change_age},
    {"vmdns_redis_stream_lag_seconds", "gauge",
     "Time between the newest entry of the change stream and the last one applied.", 0,
     gauge_stream_lag},
    {"vmdns_redis_reloads_total", "counter",
     "Full loads of the backend finished (the first one included).", COUNTER(reloads)},
    {"vmdns_redis_reconnects_total", "counter", "Sessions to the backend lost.",
     COUNTER(reconnects)},
    {"vmdns_redis_failovers_total", "counter",
     "Sessions that came up on another node of the backend than the previous one.",
     COUNTER(failovers)},
    {"vmdns_redis_degraded", "gauge",
     "1 while a reload that would drop more than max_drop of the backend's names (or a whole "
     "zone) is held back: the old names are served stale until the drop is confirmed.",
     0, gauge_degraded},
    {"vmdns_redis_names_held", "gauge",
     "Names a held-back drop keeps serving (gone from Redis, not confirmed yet).",
     COUNTER(names_held)},
    {"vmdns_redis_drops_held_total", "counter",
     "Reloads whose drop of names was held back (max_drop exceeded, or a zone hash gone).",
     COUNTER(drops_held)},
    {"vmdns_redis_drops_confirmed_total", "counter",
     "Held-back drops applied: confirmed by vmdnsctl confirm-drop, or gone for drop_confirm.",
     COUNTER(drops_confirmed)},
    {"vmdns_redis_stream_ignored_total", "counter",
     "Change-stream entries ignored: for a zone without a hash in the backend, or a delzone "
     "while the zone's hash still exists.",
     COUNTER(stream_ignored)},
    {"vmdns_redis_discontinuities_total", "counter",
     "Times the data source changed identity (another node, a restart, a replication id or "
     "stream change): each one triggers a full reload.",
     COUNTER(discontinuities)},
    {"vmdns_redis_wrong_type_total", "counter",
     "Times a zone key that is not a hash, or a change-stream key that is not a stream, was met.",
     COUNTER(wrong_type)},
    {"vmdns_redis_unsafe_eviction", "gauge",
     "1 if the node's maxmemory-policy may evict keys (anything but noeviction).", 0,
     gauge_unsafe_eviction},
    {"vmdns_redis_unsafe_persistence", "gauge",
     "1 if the node has neither persistence (appendonly, save) nor a replica.", 0,
     gauge_unsafe_persistence},
};

static int64_t redis_unix_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The collector: runs on the control thread at every scrape. */
static void redis_collect(void *ctx, metrics_out_t *out)
{
    size_t n = redis_plugin_backend_count(ctx);
    if (n == 0) {
        return;
    }
    redis_stats_snapshot_t *snap = calloc(n, sizeof(*snap));
    if (snap == NULL) {
        out->failed = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        redis_plugin_backend_stats(ctx, i, &snap[i]);
    }
    int64_t now_ms = redis_unix_ms();
    for (size_t f = 0; f < sizeof(redis_families) / sizeof(redis_families[0]); f++) {
        const redis_family_t *fam = &redis_families[f];
        metrics_family(out, fam->name, fam->type, fam->help);
        for (size_t i = 0; i < n; i++) {
            const char *labels[] = {"backend", snap[i].name, NULL};
            if (fam->fn == NULL) {
                uint64_t v = *(const uint64_t *)((const char *)&snap[i] + fam->field);
                metrics_sample_u64(out, fam->name, labels, v);
                continue;
            }
            double v = fam->fn(&snap[i], now_ms);
            if (!isnan(v)) {
                metrics_sample(out, fam->name, labels, v);
            }
        }
    }
    redis_metrics_limits(out, snap, n);
    free(snap);
}

int redis_metrics_register(metrics_registry_t *r, void *state)
{
    return metrics_register_collector(r, "redis", redis_collect, state);
}
