/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis.h - what the redis plugin shows the rest of vmdnsd: its per-backend
 * counters (for the metrics exporter). The plugin itself is
 * `plugin_redis` (config key "redis"), found through the plugin registry.
 */
#ifndef VMDNS_REDIS_H
#define VMDNS_REDIS_H

#include <stdbool.h>
#include <stddef.h>

#include "redis/redis_stats.h"

/* Number of configured backends of a redis plugin state (the `state` the
 * plugin's setup returned). */
size_t redis_plugin_backend_count(const void *state);

/* Snapshot of backend i's counters, in config order; false if i is out of
 * range. Safe from any thread while the plugin runs. */
bool redis_plugin_backend_stats(const void *state, size_t i, redis_stats_snapshot_t *out);

#endif
