/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_limits.c - read the backend limits and derive the reply caps (see
 * redis_limits.h). Kept apart from redis_config.c so the limits and their
 * checks live in one place.
 */
#include "redis/redis_limits.h"

#include <string.h>

#define MIB (1024u * 1024u)

void redis_limits_default(redis_limits_t *l)
{
    l->records_per_name = 1000;
    l->value_bytes = MIB;
    l->names_per_zone = 10000000;
    l->zones_per_backend = 100000;
    l->notify_interval_ms = 500;
}

static int read_one(cfg_node_t *map, const char *key, uint64_t min, uint64_t max, uint64_t *out,
                    cfg_error_t *err)
{
    cfg_node_t *n = cfg_get(map, key);
    return n == NULL ? 0 : cfg_uint(n, min, max, out, err);
}

int redis_limits_read(cfg_node_t *redis, redis_limits_t *l, cfg_error_t *err)
{
    cfg_node_t *n = cfg_get(redis, "notify_interval");
    if (n != NULL && cfg_duration_ms(n, &l->notify_interval_ms, err) != 0) {
        return -1;
    }
    cfg_node_t *lim = cfg_get(redis, "limits");
    if (lim == NULL) {
        return 0;
    }
    if (lim->kind != CFG_MAP) {
        return cfg_fail(err, lim, "redis: 'limits' must be a map");
    }
    /* value_bytes: at most 256 MiB, so the reply caps derived from it
     * (16 values) stay addressable and sane */
    if (read_one(lim, "records_per_name", 1, 10000000, &l->records_per_name, err) != 0 ||
        read_one(lim, "value_bytes", 64, 256 * (uint64_t)MIB, &l->value_bytes, err) != 0 ||
        read_one(lim, "names_per_zone", 1, UINT32_MAX, &l->names_per_zone, err) != 0 ||
        read_one(lim, "zones_per_backend", 1, UINT32_MAX, &l->zones_per_backend, err) != 0) {
        return -1;
    }
    return 0;
}

bool redis_limits_equal(const redis_limits_t *a, const redis_limits_t *b)
{
    return a->records_per_name == b->records_per_name && a->value_bytes == b->value_bytes &&
           a->names_per_zone == b->names_per_zone && a->zones_per_backend == b->zones_per_backend &&
           a->notify_interval_ms == b->notify_interval_ms;
}

const char *redis_limit_name(redis_limit_kind_t kind)
{
    static const char *const names[REDIS_LIMIT_COUNT] = {"records_per_name", "value_bytes",
                                                         "names_per_zone", "zones_per_backend"};
    return kind < REDIS_LIMIT_COUNT ? names[kind] : "?";
}

void redis_limits_reply_caps(const redis_limits_t *l, vmdns_reply_cap_t *cap)
{
    uint64_t bulk = 4 * l->value_bytes, total = 16 * l->value_bytes;
    vmdns_reply_cap_init(cap, bulk < MIB ? MIB : bulk, total < 64 * MIB ? 64 * MIB : total);
}
