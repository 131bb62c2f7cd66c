/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_limits.h - how much one backend may load, and what happens over it.
 *
 * A value of 100,000 records, a 600 MB reply or a zone of fifty million
 * names must not stall or sink the server: every piece of data a backend
 * reads is bounded here. The limits sit in the `redis:` section:
 *
 *   redis:
 *     limits:
 *       records_per_name: 1000       # as vmdnsctl refuses more
 *       value_bytes: 1048576         # one hash field's JSON value
 *       names_per_zone: 10000000     # HLEN of one zone hash
 *       zones_per_backend: 100000    # zone keys one backend may hold
 *     notify_interval: 500ms         # a zone changed behind the stream is
 *                                    # reread at most once per interval
 *
 * Over a limit the thing is skipped whole (a name, a zone, the zones past
 * the limit in key order), never loaded in part; each hit is counted
 * (vmdns_redis_limit_skipped_total{backend,limit}) and logged once per
 * key/field. Replies are capped from the same numbers (redis_reply_caps).
 */
#ifndef VMDNS_REDIS_LIMITS_H
#define VMDNS_REDIS_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/reply_cap.h"
#include "config/cfg.h"

typedef enum {
    REDIS_LIMIT_RECORDS = 0, /* records in one name */
    REDIS_LIMIT_VALUE_BYTES, /* bytes of one value */
    REDIS_LIMIT_NAMES,       /* names in one zone */
    REDIS_LIMIT_ZONES,       /* zones in one backend */
    REDIS_LIMIT_COUNT
} redis_limit_kind_t;

typedef struct redis_limits {
    uint64_t records_per_name;
    uint64_t value_bytes;
    uint64_t names_per_zone;
    uint64_t zones_per_backend;
    uint64_t notify_interval_ms;
} redis_limits_t;

/* The defaults (see above). */
void redis_limits_default(redis_limits_t *l);

/* Read `limits:` and `notify_interval` of the `redis:` map into l (which
 * holds the defaults). 0, or -1 with err ("FILE:LINE: problem"). */
int redis_limits_read(cfg_node_t *redis, redis_limits_t *l, cfg_error_t *err);

/* True if both give the same limits. */
bool redis_limits_equal(const redis_limits_t *a, const redis_limits_t *b);

/* The metric label of a limit ("records_per_name", ...). */
const char *redis_limit_name(redis_limit_kind_t kind);

/* The reply caps that go with these limits: a string up to 4 values (at
 * least 1 MiB), a reply up to 16 values (at least 64 MiB). */
void redis_limits_reply_caps(const redis_limits_t *l, vmdns_reply_cap_t *cap);

#endif
