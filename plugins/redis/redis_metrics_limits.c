/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_metrics_limits.c - vmdns_redis_limit_skipped_total: what each
 * backend skipped because it was over a limit (redis_limits.h), by limit.
 * Every limit is shown (at 0 too), so an alert can use rate() from the
 * start.
 */
#include "redis/redis_limits.h"
#include "redis/redis_metrics.h"
#include "redis/redis_stats.h"

void redis_metrics_limits(metrics_out_t *out, const struct redis_stats_snapshot *snap, size_t n)
{
    static const char name[] = "vmdns_redis_limit_skipped_total";
    metrics_family(out, name, "counter",
                   "Names, values, zones skipped by a backend for being over a limit");
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < REDIS_LIMIT_COUNT; k++) {
            const char *labels[] = {"backend", snap[i].name, "limit",
                                    redis_limit_name((redis_limit_kind_t)k), NULL};
            metrics_sample_u64(out, name, labels, snap[i].limit_skipped[k]);
        }
    }
}
