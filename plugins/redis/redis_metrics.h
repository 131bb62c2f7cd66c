/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_metrics.h - the redis plugin's vmdns_redis_* metrics on /metrics.
 *
 * The plugin registers one collector per running instance in the registry
 * of its configuration (env->gen->metrics); the `prometheus`
 * plugin runs it at each scrape. The collector reads the per-backend
 * counters through redis.h (atomics), so it never waits on a backend.
 */
#ifndef VMDNS_REDIS_METRICS_H
#define VMDNS_REDIS_METRICS_H

#include "core/metrics.h"

/* Add the collector of the plugin state `state` (whatever redis setup
 * returned) to a configuration's registry (the plugin's join hook; the
 * registry goes with the configuration, nothing to remove). Returns 0, or
 * -1 if the registry is full. */
int redis_metrics_register(metrics_registry_t *r, void *state);

struct redis_stats_snapshot;

/* vmdns_redis_limit_skipped_total{backend,limit} for n backends
 * (redis_metrics_limits.c). */
void redis_metrics_limits(metrics_out_t *out, const struct redis_stats_snapshot *snap, size_t n);

#endif
