/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_limits_apply.c - the backend side of the limits (redis_limits.h):
 * checks called by the loader and the apply code, with the count and the
 * once-per-key log line every hit gets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis/redis_backend_int.h"
#include "redis/redis_names.h"

#define LOGGED_MAX 10000

void limits_hit(redis_backend_t *b, redis_limit_kind_t kind, const char *key, const char *field,
                const char *detail)
{
    redis_stat_add(&b->stats->limit_skipped[kind], 1);
    char tag[REDIS_KEY_MAX + 8];
    snprintf(tag, sizeof(tag), "L%d %s", (int)kind, key);
    int fresh = strset_count(b->bad_logged) < LOGGED_MAX
                    ? strset_add2(b->bad_logged, tag, strlen(tag) + 1, field, strlen(field))
                    : -1;
    if (fresh == 1) {
        log_warn("redis: backend %s: key '%s'%s%s%s skipped whole: %s (limits.%s)", b->cfg->name,
                 key, field[0] ? " field '" : "", field, field[0] ? "'" : "", detail,
                 redis_limit_name(kind));
    } else if (fresh < 0) {
        log_once(&b->bad_more, LOG_LEVEL_WARN,
                 "redis: backend %s: more data over the limits (only counted from now on)",
                 b->cfg->name);
    }
}

bool limits_value_ok(redis_backend_t *b, const char *key, const char *field, size_t value_len)
{
    if (value_len <= b->gcfg->limits.value_bytes) {
        return true;
    }
    char detail[160];
    snprintf(detail, sizeof(detail), "value of %zu bytes, more than %llu", value_len,
             (unsigned long long)b->gcfg->limits.value_bytes);
    limits_hit(b, REDIS_LIMIT_VALUE_BYTES, key, field, detail);
    return false;
}

/* Remember that the zone of `key` is skipped for limit `kind`. */
static void note_over(redis_backend_t *b, const char *key, redis_limit_kind_t kind)
{
    uint8_t apex[NAME_MAX_WIRE];
    size_t len = redis_key_to_apex(key, strlen(key), b->cfg->prefix, b->cfg->suffix, apex);
    if (len == 0) {
        return;
    }
    if (b->over_limit == NULL && (b->over_limit = strset_new()) == NULL) {
        return;
    }
    long *k = strset_counter(b->over_limit, apex, len);
    if (k != NULL) {
        *k = (long)kind;
    }
}

void limits_zone_loaded(redis_backend_t *b, const uint8_t *apex, size_t apex_len)
{
    if (b->over_limit != NULL) {
        strset_remove(b->over_limit, apex, apex_len);
    }
}

bool limits_zone_skipped(redis_backend_t *b, const uint8_t *apex, size_t apex_len)
{
    if (b->over_limit == NULL || strset_count(b->over_limit) == 0 ||
        !strset_has(b->over_limit, apex, apex_len)) {
        return false;
    }
    long kind = *strset_counter(b->over_limit, apex, apex_len);
    redis_stat_add(&b->stats->limit_skipped[kind], 1);
    return true;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t limits_zones(redis_backend_t *b, char **keys, size_t nkeys)
{
    uint64_t max = b->gcfg->limits.zones_per_backend;
    if (nkeys <= max) {
        return nkeys;
    }
    qsort(keys, nkeys, sizeof(*keys), cmp_keys);
    char detail[160];
    for (size_t i = (size_t)max; i < nkeys; i++) {
        snprintf(detail, sizeof(detail), "zone %zu of %zu, more than %llu zones in the backend",
                 i + 1, nkeys, (unsigned long long)max);
        limits_hit(b, REDIS_LIMIT_ZONES, keys[i], "", detail);
        note_over(b, keys[i], REDIS_LIMIT_ZONES);
        free(keys[i]);
        keys[i] = NULL;
    }
    return (size_t)max;
}

bool limits_zone_names_ok(redis_backend_t *b, const char *key, long long names)
{
    if (names < 0 || (uint64_t)names <= b->gcfg->limits.names_per_zone) {
        return true;
    }
    char detail[160];
    snprintf(detail, sizeof(detail), "%lld names, more than %llu in one zone", names,
             (unsigned long long)b->gcfg->limits.names_per_zone);
    limits_hit(b, REDIS_LIMIT_NAMES, key, "", detail);
    note_over(b, key, REDIS_LIMIT_NAMES);
    return false;
}

void limits_note_too_big(redis_backend_t *b, const char *key, const char *field)
{
    char tag[REDIS_KEY_MAX + 8];
    snprintf(tag, sizeof(tag), "T %s", key);
    if (strset_count(b->bad_logged) < LOGGED_MAX &&
        strset_add2(b->bad_logged, tag, strlen(tag) + 1, field, strlen(field)) == 1) {
        log_warn("redis: backend %s: key '%s' field '%s': an RRset larger than a DNS message "
                 "(65,535 bytes): answered TC=1 with empty sections, over TCP too",
                 b->cfg->name, key, field);
    }
}
