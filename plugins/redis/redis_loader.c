/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_loader.c - read a backend's zones: all of them, or one.
 *
 * A full load is: (the first time) note the change stream's newest id, so
 * the follower can start from there at once and nothing written during the
 * load is lost; SCAN for the zone keys (MATCH prefix*.suffix TYPE hash);
 * then HSCAN each zone, 1,000 fields at a time, parsing a batch outside the
 * merge lock and applying it under the lock. A one-zone load (a keyspace
 * notification said a writer bypassed the stream) is the same for one key.
 *
 * The merge notes what the load sees (merge_mark_begin); at the end,
 * whatever the backend held in scope and the load did not see is deleted
 * (merge_mark_end), so a reload is a diff: names that did not change are
 * not touched at all, and each changed name changes atomically.
 *
 * A load interrupted by a lost connection is restarted from the beginning
 * on the next session; what it already applied stays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redis/redis_backend_int.h"
#include "redis/redis_names.h"

typedef enum { LOAD_STREAM_ID, LOAD_SCAN, LOAD_ZONES } load_phase_t;

static void on_hlen(redis_conn_t *c, redisReply *r, void *privdata);

struct redis_load {
    bool full;
    bool first; /* the backend's first load: zones wait to be published */
    uint8_t apex[NAME_MAX_WIRE];
    size_t apex_len;
    load_phase_t phase;
    bool scan_without_type; /* the server does not know SCAN ... TYPE */
    char **keys;
    size_t nkeys, cap, next_key;
    char cursor[32];
    /* the zone being read */
    uint8_t zone[NAME_MAX_WIRE];
    size_t zone_len;
    bool zone_added;
    bool zone_over;       /* more names than limits.names_per_zone: skipped whole */
    unsigned hscan_count; /* fields asked per HSCAN (redis_slice.c); 0: not set yet */
    bool sweep;           /* the backend held names in scope when the load began */
    bool waiting;         /* all read: its end waits for fields parsed off the thread */
    long seq;             /* guard_load_begin */
    size_t names;
    struct timespec started;
};

static void load_step(redis_backend_t *b);

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

void loader_free(redis_load_t *load)
{
    if (load == NULL) {
        return;
    }
    for (size_t i = 0; i < load->nkeys; i++) {
        free(load->keys[i]);
    }
    free(load->keys);
    free(load);
}

static int add_key(redis_load_t *load, const char *key, size_t len)
{
    if (load->nkeys == load->cap) {
        size_t cap = load->cap ? load->cap * 2 : 64;
        char **grown = realloc(load->keys, cap * sizeof(*grown));
        if (grown == NULL) {
            return -1;
        }
        load->keys = grown;
        load->cap = cap;
    }
    char *copy = strndup(key, len);
    if (copy == NULL) {
        return -1;
    }
    load->keys[load->nkeys++] = copy;
    return 0;
}

void loader_abort(redis_backend_t *b)
{
    redis_load_t *load = b->load;
    if (load == NULL) {
        return;
    }
    b->load = NULL;
    b->full_started_ms = 0;
    defer_load_forget(b); /* what it still had parsed off the thread is not applied */
    merge_mark_end(b->merge, b->index, load->full ? NULL : load->apex, load->apex_len, false,
                   now_s());
    strset_clear(b->touched);
    strset_clear(b->touched_zones);
    if (!load->full) {
        strset_add(b->dirty_zones, load->apex, load->apex_len);
    }
    loader_free(load);
}

static void load_finish(redis_backend_t *b)
{
    redis_load_t *load = b->load;
    int64_t now = now_s();
    if (load->first) {
        merge_lock(b->merge);
        merge_set_loading(b->merge, b->index, false);
        merge_publish_pending(b->merge);
        merge_unlock(b->merge);
    }
    size_t dropped = guard_load_end(b, load->seq, load->full ? NULL : load->apex, load->apex_len,
                                    load->sweep, now);
    strset_clear(b->touched);
    strset_clear(b->touched_zones);
    b->load = NULL;
    b->full_started_ms = 0;

    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ms = (double)(end.tv_sec - load->started.tv_sec) * 1e3 +
                (double)(end.tv_nsec - load->started.tv_nsec) / 1e6;
    if (!load->full) {
        notify_zone_read(b, load->apex, load->apex_len, (uint64_t)ms);
    }
    if (load->full || load->names > 10000) {
        backend_trim_later(b);
    }
    if (load->full) {
        redis_stat_add(&b->stats->reloads, 1);
        atomic_store(&b->stats->loaded, true);
        log_info("redis: backend %s: %s %zu zones, %zu names in %.0f ms from %s "
                 "(%zu names gone since the last load)",
                 b->cfg->name, load->first ? "loaded" : "reloaded", load->nkeys, load->names, ms,
                 b->cmd ? redis_conn_peer(b->cmd) : "?", dropped);
        if (!b->loaded_once) {
            backend_lower_priority(b);
        }
        b->loaded_once = true;
        atomic_store(&b->settled, true);
    }
    loader_free(load);
    backend_next_load(b);
}

/* Everything is read: end the load once the fields it parses off the
 * thread are applied (its sweep must see them). */
static void load_end(redis_backend_t *b)
{
    if (defer_load_pending(b) > 0) {
        b->load->waiting = true; /* loader_parsed ends it */
        return;
    }
    load_finish(b);
}

void loader_parsed(redis_backend_t *b)
{
    if (b->load != NULL && b->load->waiting && defer_load_pending(b) == 0) {
        load_finish(b);
    }
}

/* Move on to the next zone key, or finish. */
static void next_zone(redis_backend_t *b)
{
    redis_load_t *load = b->load;
    while (load->next_key < load->nkeys) {
        const char *key = load->keys[load->next_key];
        load->zone_len =
            redis_key_to_apex(key, strlen(key), b->cfg->prefix, b->cfg->suffix, load->zone);
        if (load->zone_len == 0 || strset_has(b->touched_zones, load->zone, load->zone_len) ||
            !redis_backend_serves(b->cfg, load->zone, load->zone_len)) {
            load->next_key++; /* not a zone key, deleted by the stream meanwhile, or not
                                 one of the zones this backend is configured to serve */
            continue;
        }
        load->zone_added = false;
        load->zone_over = false;
        snprintf(load->cursor, sizeof(load->cursor), "0");
        /* HLEN first (pipelined with the first HSCAN): the tables are sized
         * once instead of growing all the way. */
        if (redis_conn_cmd(b->cmd, on_hlen, b, "HLEN %s", key) != 0) {
            backend_session_failed(b, "cannot send HLEN");
            return;
        }
        load_step(b);
        return;
    }
    load_end(b);
}

/* Hand a field read by the load to redis_defer.c: parsed off the thread
 * if big (it->offload), else parsed already and waiting behind a change
 * of its name. On failure (out of memory) it is parsed here and now, and
 * -1 returned: the caller applies it in line. */
static int defer_field(redis_backend_t *b, const redis_zone_ctx_t *ctx, const char *key,
                       const redisReply *f, const redisReply *v, bool hashed, apply_item_t *it)
{
    char field[320];
    snprintf(field, sizeof(field), "%.*s", (int)(f->len < 300 ? f->len : 300), f->str);
    bool big = it->offload;
    if (defer_loaded(b, ctx, it, hashed, big ? v->str : NULL, v->len, key, field) == 0) {
        return 0;
    }
    if (big) {
        apply_parse_field(b, ctx, key, f->str, f->len, v->str, v->len, false, it);
    }
    return -1;
}

/* Parse a HSCAN batch outside the lock, apply it under the lock. */
static void apply_batch(redis_backend_t *b, const char *key, const redisReply *items)
{
    redis_load_t *load = b->load;
    size_t n = items->elements / 2;
    apply_item_t *parsed = backend_scratch(b, (n ? n : 1) * sizeof(*parsed));
    if (parsed == NULL) {
        return;
    }
    redis_zone_ctx_t ctx = {&b->gcfg->defaults,   b->gcfg->default_ttl,
                            (uint32_t)time(NULL), load->zone,
                            load->zone_len,       b->gcfg->limits.records_per_name};
    /* A zone reread for notifications keeps its values' hashes: what did
     * not change since it was applied is not parsed (redis_fieldhash.h). */
    bool hashed =
        b->fieldhash != NULL && fieldhash_tracked(b->fieldhash, load->zone, load->zone_len);
    /* Changes waiting for a value parsed off the thread (redis_defer.c):
     * a field of a name among them waits behind them. */
    bool fifo = defer_must_wait(b, NULL, 0, NULL, 0);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const redisReply *f = items->element[2 * i], *v = items->element[2 * i + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
            continue;
        }
        apply_item_t *it = &parsed[k];
        it->value_hash = hashed ? fieldhash_value(v->str, v->len) : 0;
        it->unchanged = false;
        it->field_idx = i;
        bool wait = false;
        if (hashed || fifo) {
            it->owner_len =
                redis_field_to_owner(f->str, f->len, load->zone, load->zone_len, it->owner);
            wait = fifo && it->owner_len > 0 &&
                   defer_must_wait(b, load->zone, load->zone_len, it->owner, it->owner_len);
            if (hashed && !wait && it->owner_len > 0 &&
                fieldhash_get(b->fieldhash, load->zone, load->zone_len, it->owner, it->owner_len) ==
                    it->value_hash) {
                it->unchanged = true;
                it->node = NULL;
                k++;
                continue;
            }
        }
        if (!apply_parse_field(b, &ctx, key, f->str, f->len, v->str, v->len, true, it)) {
            continue;
        }
        if ((it->offload || wait) && defer_field(b, &ctx, key, f, v, hashed, it) == 0) {
            fifo = true;
            load->names++;
            continue;
        }
        k++;
    }
    int64_t now = now_s();
    merge_lock(b->merge);
    if (!load->zone_added) {
        merge_zone_add(b->merge, b->index, load->zone, load->zone_len);
        load->zone_added = true;
    }
    for (size_t i = 0; i < k; i++) {
        /* The index is bigger than the caches: fetch ahead of use. */
        if (i + 16 < k) {
            merge_prefetch(b->merge, load->zone, load->zone_len, parsed[i + 16].owner,
                           parsed[i + 16].owner_len, 0);
        }
        if (i + 8 < k) {
            merge_prefetch(b->merge, load->zone, load->zone_len, parsed[i + 8].owner,
                           parsed[i + 8].owner_len, 1);
        }
        apply_item_t *it = &parsed[i];
        if (it->unchanged &&
            merge_touch(b->merge, b->index, load->zone, load->zone_len, it->owner, it->owner_len)) {
            continue; /* the same value as applied: nothing to do */
        }
        if (it->unchanged) { /* the name went meanwhile (a lease): parse it after all */
            const redisReply *f = items->element[2 * it->field_idx],
                             *v = items->element[2 * it->field_idx + 1];
            apply_parse_field(b, &ctx, key, f->str, f->len, v->str, v->len, true, it);
            if (it->offload && defer_field(b, &ctx, key, f, v, hashed, it) == 0) {
                continue;
            }
        }
        bool applied = apply_loaded(b, load->zone, load->zone_len, it, now);
        if (hashed) {
            fieldhash_set(b->fieldhash, load->zone, load->zone_len, it->owner, it->owner_len,
                          applied ? it->value_hash : 0);
        }
    }
    merge_unlock(b->merge);
    load->names += k;
}

static void on_hlen(redis_conn_t *c, redisReply *r, void *privdata)
{
    redis_backend_t *b = privdata;
    if (c == NULL || b->load == NULL || b->load->phase != LOAD_ZONES) {
        return;
    }
    redis_load_t *load = b->load;
    if (r->type == REDIS_REPLY_INTEGER &&
        !limits_zone_names_ok(b, load->keys[load->next_key], r->integer)) {
        load->zone_over = true; /* the HSCAN replies that follow are dropped */
        return;
    }
    if (r->type == REDIS_REPLY_INTEGER && r->integer > 0 && !load->zone_added) {
        merge_lock(b->merge);
        if (merge_zone_reserve(b->merge, b->index, load->zone, load->zone_len,
                               (size_t)r->integer) == 0) {
            load->zone_added = true;
        }
        merge_unlock(b->merge);
    }
}

static void on_hscan(redis_conn_t *c, redisReply *r, void *privdata)
{
    redis_backend_t *b = privdata;
    if (c == NULL || b->load == NULL || b->load->phase != LOAD_ZONES) {
        return;
    }
    redis_load_t *load = b->load;
    const char *key = load->keys[load->next_key];
    if (r->type == REDIS_REPLY_ERROR) {
        if (strncmp(r->str, "WRONGTYPE", 9) != 0) {
            backend_session_failed(b, r->str);
            return;
        }
        guard_wrong_type(b, key); /* reported once; the other zones load */
        load->next_key++;
        next_zone(b);
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY) {
        backend_session_failed(b, "unexpected HSCAN reply");
        return;
    }
    if (load->zone_over) { /* over limits.names_per_zone: nothing of it is loaded */
        load->next_key++;
        next_zone(b);
        return;
    }
    snprintf(load->cursor, sizeof(load->cursor), "%s", r->element[0]->str);
    bool last = strcmp(load->cursor, "0") == 0;
    if (!last) {
        /* Ask for the next batch before parsing this one: Redis reads it
         * while this thread parses (the COUNT adapts one batch later). A
         * batch that puts the zone over a limit makes the reply to this
         * request be dropped (zone_over, above). */
        load_step(b);
        if (b->load != load || !b->up) {
            return; /* the command could not be sent: the session is gone */
        }
    }
    if (r->element[1]->elements > 0) {
        uint64_t t0 = slice_clock_us();
        apply_batch(b, key, r->element[1]);
        load->hscan_count = slice_next_count(load->hscan_count, slice_clock_us() - t0);
    }
    if (last) {
        limits_zone_loaded(b, load->zone, load->zone_len); /* within the limits (again) */
        load->next_key++;
        next_zone(b);
    }
}

static void on_scan(redis_conn_t *c, redisReply *r, void *privdata)
{
    redis_backend_t *b = privdata;
    if (c == NULL || b->load == NULL || b->load->phase != LOAD_SCAN) {
        return;
    }
    redis_load_t *load = b->load;
    if (r->type == REDIS_REPLY_ERROR && !load->scan_without_type) {
        load->scan_without_type = true; /* Redis < 6: no TYPE option */
        load_step(b);
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY) {
        backend_session_failed(b, r->type == REDIS_REPLY_ERROR ? r->str : "unexpected SCAN reply");
        return;
    }
    const redisReply *keys = r->element[1];
    for (size_t i = 0; i < keys->elements; i++) {
        if (keys->element[i]->type == REDIS_REPLY_STRING &&
            add_key(load, keys->element[i]->str, keys->element[i]->len) != 0) {
            backend_session_failed(b, "out of memory");
            return;
        }
    }
    snprintf(load->cursor, sizeof(load->cursor), "%s", r->element[0]->str);
    if (strcmp(load->cursor, "0") != 0) {
        load_step(b);
        return;
    }
    load->nkeys = limits_zones(b, load->keys, load->nkeys);
    load->phase = LOAD_ZONES;
    load->next_key = 0;
    next_zone(b);
}

/* The stream's newest id before anything is read: the follower's start. */
static void on_stream_id(redis_conn_t *c, redisReply *r, void *privdata)
{
    redis_backend_t *b = privdata;
    if (c == NULL || b->load == NULL || b->load->phase != LOAD_STREAM_ID) {
        return;
    }
    snprintf(b->last_id, sizeof(b->last_id), "0-0");
    b->last_id_base = 0;
    if (r->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
            const redisReply *k = r->element[i], *v = r->element[i + 1];
            if (k->type != REDIS_REPLY_STRING) {
                continue;
            }
            if (strcmp(k->str, "last-generated-id") == 0 && v->type == REDIS_REPLY_STRING &&
                v->len < sizeof(b->last_id)) {
                snprintf(b->last_id, sizeof(b->last_id), "%s", v->str);
            } else if (strcmp(k->str, "entries-added") == 0 && v->type == REDIS_REPLY_INTEGER) {
                b->last_id_base = v->integer;
            }
        }
    } /* an error: no stream yet, follow it from the start once it exists */
    b->have_last_id = true;
    stream_start(b);
    b->load->phase = LOAD_SCAN;
    snprintf(b->load->cursor, sizeof(b->load->cursor), "0");
    load_step(b);
}

/* Send the command for the current phase. */
static void load_step(redis_backend_t *b)
{
    redis_load_t *load = b->load;
    int rc = 0;
    switch (load->phase) {
    case LOAD_STREAM_ID:
        rc = redis_conn_cmd(b->cmd, on_stream_id, b, "XINFO STREAM %s", b->stream_key);
        break;
    case LOAD_SCAN:
        rc = load->scan_without_type
                 ? redis_conn_cmd(b->cmd, on_scan, b, "SCAN %s MATCH %s COUNT %d", load->cursor,
                                  b->pattern, REDIS_SCAN_COUNT)
                 : redis_conn_cmd(b->cmd, on_scan, b, "SCAN %s MATCH %s COUNT %d TYPE hash",
                                  load->cursor, b->pattern, REDIS_SCAN_COUNT);
        break;
    case LOAD_ZONES:
        rc = redis_conn_cmd(b->cmd, on_hscan, b, "HSCAN %s %s COUNT %u", load->keys[load->next_key],
                            load->cursor, slice_count(load->hscan_count));
        break;
    }
    if (rc != 0) {
        backend_session_failed(b, "cannot send a command");
    }
}

void loader_run(redis_backend_t *b)
{
    redis_load_t *load = b->load;
    if (load == NULL || b->cmd == NULL || !redis_conn_ready(b->cmd)) {
        return;
    }
    if (load->waiting) {
        return; /* all read already: it ends when its deferred fields are applied */
    }
    /* starting over: what it parses off the thread is read again */
    defer_load_forget(b);
    snprintf(load->cursor, sizeof(load->cursor), "0");
    load->next_key = 0;
    if (load->full) {
        for (size_t i = 0; i < load->nkeys; i++) {
            free(load->keys[i]);
        }
        load->nkeys = 0;
        load->phase = b->have_last_id ? LOAD_SCAN : LOAD_STREAM_ID;
        load_step(b);
    } else {
        load->phase = LOAD_ZONES;
        next_zone(b);
    }
}

int loader_begin(redis_backend_t *b, const uint8_t *apex, size_t apex_len)
{
    if (b->load != NULL) {
        return 0;
    }
    redis_load_t *load = calloc(1, sizeof(*load));
    if (load == NULL) {
        return -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &load->started);
    load->seq = guard_load_begin(b);
    b->load_seq = load->seq;
    defer_load_forget(b);
    load->full = apex == NULL;
    load->first = load->full && !b->loaded_once;
    if (load->full) {
        b->full_started_ms = backend_now_ms();
    }
    if (!load->full) {
        char key[REDIS_KEY_MAX];
        memcpy(load->apex, apex, apex_len);
        load->apex_len = apex_len;
        /* a zone reread for notifications: keep its values' hashes from now on */
        if (b->fieldhash == NULL) {
            b->fieldhash = fieldhash_new();
        }
        if (b->fieldhash != NULL) {
            fieldhash_track(b->fieldhash, apex, apex_len);
        }
        if (redis_zone_key(b->cfg->prefix, apex, apex_len, b->cfg->suffix, key, sizeof(key)) == 0 ||
            add_key(load, key, strlen(key)) != 0) {
            loader_free(load);
            return -1;
        }
    }
    strset_clear(b->touched);
    strset_clear(b->touched_zones);
    merge_lock(b->merge);
    load->sweep =
        merge_mark_begin(b->merge, b->index, load->full ? NULL : load->apex, load->apex_len);
    if (load->first) {
        merge_set_loading(b->merge, b->index, true);
    }
    merge_unlock(b->merge);
    b->load = load;
    loader_run(b);
    return 0;
}
