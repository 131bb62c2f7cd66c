/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_guard.c - hold back a reload's drop that the source cannot be
 * trusted with (see redis_guard.h for the rules).
 *
 * A reload notes what it sees (merge_mark_begin); before its sweep, the
 * guard counts, zone by zone, the names the sweep would drop
 * (merge_mark_count) and whether the zone's key was seen at all. Zones a
 * delzone entry asked to delete are exempt when their hash is gone (the
 * stream says so). Then:
 *   - confirmed (operator, or held for drop_confirm): sweep everything;
 *   - more than max_drop of the backend's names: sweep nothing;
 *   - some zone's hash gone: sweep the other zones, keep those;
 *   - else: sweep, and (full reload) the backend is healthy again.
 * The kept names stay in the merge exactly as they were, so they keep
 * being answered, and a later reload that finds them again changes
 * nothing.
 */
#include "redis/redis_guard.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/name.h"
#include "redis/redis_backend_int.h"
#include "redis/redis_names.h"

#define GUARD_RECHECK_MS 5000 /* while degraded: look again this often */
#define GUARD_LOGGED_MAX 10000

static void on_recheck(evutil_socket_t fd, short what, void *arg)
{
    redis_backend_t *b = arg;
    if (b->guard.degraded) {
        b->want_full = true;
        backend_next_load(b);
    }
}

int guard_init(redis_backend_t *b)
{
    redis_guard_t *g = &b->guard;
    g->unknown = strset_new();
    g->unknown_n = strset_new();
    g->delzones = strset_new();
    g->logged = strset_new();
    g->recheck = evtimer_new(b->base, on_recheck, b);
    return g->unknown && g->unknown_n && g->delzones && g->logged && g->recheck ? 0 : -1;
}

void guard_free(redis_backend_t *b)
{
    redis_guard_t *g = &b->guard;
    if (g->recheck != NULL) {
        event_free(g->recheck);
    }
    strset_free(g->unknown);
    strset_free(g->unknown_n);
    strset_free(g->delzones);
    strset_free(g->logged);
    memset(g, 0, sizeof(*g));
}

long guard_load_begin(redis_backend_t *b)
{
    return ++b->guard.seq;
}

/* The zone as text, for messages. */
static void zone_text(const uint8_t *apex, size_t len, char *out, size_t cap)
{
    if (name_to_text(apex, len, out, cap) == 0) {
        snprintf(out, cap, "?");
    }
}

/* Log a message about a zone once (per kind). */
static bool first_time(redis_backend_t *b, char kind, const uint8_t *apex, size_t len)
{
    return strset_count(b->guard.logged) < GUARD_LOGGED_MAX &&
           strset_add2(b->guard.logged, &kind, 1, apex, len) == 1;
}

static void arm_recheck(redis_backend_t *b)
{
    redis_guard_t *g = &b->guard;
    uint64_t delay = GUARD_RECHECK_MS, confirm = b->gcfg->drop_confirm_ms;
    if (confirm > 0) {
        uint64_t due = g->since_ms + confirm, now = backend_now_ms();
        uint64_t left = due > now ? due - now : 0;
        if (left < delay) {
            delay = left < 50 ? 50 : left + 10;
        }
    }
    struct timeval tv = {(time_t)(delay / 1000), (suseconds_t)((delay % 1000) * 1000)};
    evtimer_add(g->recheck, &tv);
}

/* ---- counting what a sweep would drop ---- */

typedef struct tally {
    redis_backend_t *b;
    size_t total;          /* b's names in scope */
    size_t unseen;         /* in zones whose key was seen, not seen again */
    size_t vanished_names; /* in zones whose key was not seen */
    size_t vanished_zones;
    strset_t *gone; /* vanished zones (apex) */
    bool keep_all;  /* hold everything but exempt zones */
    uint8_t example[NAME_MAX_WIRE];
    size_t example_len;
} tally_t;

static void tally_zone(void *arg, const uint8_t *apex, size_t len, size_t names, size_t unseen,
                       bool seen)
{
    tally_t *t = arg;
    t->total += names;
    if (strset_has(t->b->guard.delzones, apex, len)) {
        return; /* a delzone entry matches: its diff is the stream's word */
    }
    if (!seen) {
        if (names > 0) {
            t->vanished_zones++;
            t->vanished_names += names;
            strset_add(t->gone, apex, len);
            if (t->example_len == 0) {
                memcpy(t->example, apex, len);
                t->example_len = len;
            }
        }
        return;
    }
    t->unseen += unseen;
}

static bool keep_zone(void *arg, const uint8_t *apex, size_t len)
{
    tally_t *t = arg;
    if (strset_has(t->b->guard.delzones, apex, len)) {
        return false;
    }
    return t->keep_all || strset_has(t->gone, apex, len);
}

/* ---- stream entries the load decides ---- */

typedef struct pending {
    redis_backend_t *b;
    long seq;
    const uint8_t *apex; /* scope; NULL: all */
    size_t apex_len;
    uint8_t (*list)[NAME_MAX_WIRE];
    uint8_t *lens;
    size_t n, cap;
} pending_t;

static void collect(void *arg, const void *key, size_t len, long seq)
{
    pending_t *p = arg;
    if (seq >= p->seq || len > NAME_MAX_WIRE ||
        (p->apex != NULL && (len != p->apex_len || memcmp(key, p->apex, len) != 0))) {
        return; /* arrived after the load began, or out of its scope */
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        void *l = realloc(p->list, cap * NAME_MAX_WIRE), *ls = realloc(p->lens, cap);
        p->list = l ? l : p->list;
        p->lens = ls ? ls : p->lens;
        if (l == NULL || ls == NULL) {
            return;
        }
        p->cap = cap;
    }
    memcpy(p->list[p->n], key, len);
    p->lens[p->n++] = (uint8_t)len;
}

static bool has_zone(redis_backend_t *b, const uint8_t *apex, size_t len)
{
    merge_lock(b->merge);
    bool has = merge_zone_has(b->merge, b->index, apex, len);
    merge_unlock(b->merge);
    return has;
}

/* The load has read these zones after the entries came: decide them. */
static void resolve(redis_backend_t *b, long seq, const uint8_t *apex, size_t apex_len)
{
    redis_guard_t *g = &b->guard;
    char zone[1024];
    pending_t p = {.b = b, .seq = seq, .apex = apex, .apex_len = apex_len};
    strset_each(g->unknown, collect, &p);
    for (size_t i = 0; i < p.n; i++) {
        long *count = strset_counter(g->unknown_n, p.list[i], p.lens[i]);
        long n = count ? *count : 1;
        strset_remove(g->unknown, p.list[i], p.lens[i]);
        strset_remove(g->unknown_n, p.list[i], p.lens[i]);
        if (has_zone(b, p.list[i], p.lens[i])) {
            continue; /* a new zone: loaded now, entries and all */
        }
        redis_stat_add(&b->stats->stream_ignored, n);
        if (first_time(b, 'u', p.list[i], p.lens[i])) {
            zone_text(p.list[i], p.lens[i], zone, sizeof(zone));
            log_warn("redis: backend %s: %ld change-stream entr%s for zone %s ignored: the "
                     "backend has no hash for that zone (counted in "
                     "vmdns_redis_stream_ignored_total; logged once per zone)",
                     b->cfg->name, n, n == 1 ? "y" : "ies", zone);
        }
    }
    p.n = 0;
    strset_each(g->delzones, collect, &p);
    for (size_t i = 0; i < p.n; i++) {
        strset_remove(g->delzones, p.list[i], p.lens[i]);
        zone_text(p.list[i], p.lens[i], zone, sizeof(zone));
        if (!has_zone(b, p.list[i], p.lens[i])) {
            log_info("redis: backend %s: zone %s deleted (delzone, and its hash is gone)",
                     b->cfg->name, zone);
            continue;
        }
        redis_stat_add(&b->stats->stream_ignored, 1);
        if (first_time(b, 'd', p.list[i], p.lens[i])) {
            log_warn("redis: backend %s: a delzone entry for zone %s ignored: its hash still "
                     "exists (the zone keeps what the hash holds; logged once per zone)",
                     b->cfg->name, zone);
        }
    }
    free(p.list);
    free(p.lens);
}

/* Ask for the types of the vanished zones' keys (a key of the wrong type
 * is reported as such), a bounded number. */
static void probe_gone(void *arg, const void *apex, size_t len, long unused)
{
    redis_backend_t *b = arg;
    char key[REDIS_KEY_MAX];
    if (strset_count(b->guard.logged) < GUARD_LOGGED_MAX &&
        redis_zone_key(b->cfg->prefix, apex, len, b->cfg->suffix, key, sizeof(key)) != 0) {
        guard_wrong_type(b, key);
    }
}

size_t guard_load_end(redis_backend_t *b, long seq, const uint8_t *apex, size_t apex_len,
                      bool sweep, int64_t now)
{
    redis_guard_t *g = &b->guard;
    bool full = apex == NULL;
    size_t dropped;
    if (!sweep) {
        dropped = merge_mark_end(b->merge, b->index, apex, apex_len, false, now);
        resolve(b, seq, apex, apex_len);
        return dropped;
    }
    tally_t t = {.b = b, .gone = strset_new()};
    if (t.gone == NULL) {
        /* cannot judge: be safe, drop nothing this time */
        return merge_mark_end(b->merge, b->index, apex, apex_len, false, now);
    }
    merge_mark_count(b->merge, b->index, apex, apex_len, tally_zone, &t);
    uint64_t base = full ? t.total : atomic_load(&b->stats->names);
    uint64_t drop = t.unseen + t.vanished_names;
    uint32_t pct = b->gcfg->max_drop_pct;
    bool over = pct < 100 && drop * 100 > (uint64_t)pct * base;
    bool zones = pct < 100 && t.vanished_zones > 0;
    uint64_t now_ms = backend_now_ms();
    bool timed = g->degraded && b->gcfg->drop_confirm_ms > 0 &&
                 now_ms - g->since_ms >= b->gcfg->drop_confirm_ms;
    bool confirmed = full && (g->confirm || timed);
    char zone[1024] = "";
    if (t.example_len > 0) {
        zone_text(t.example, t.example_len, zone, sizeof(zone));
    }

    if ((over || zones) && !confirmed) {
        t.keep_all = over;
        dropped = merge_mark_end_keep(b->merge, b->index, apex, apex_len, true, keep_zone, &t, now);
        uint64_t held = over ? drop : t.vanished_names;
        redis_stat_add(&b->stats->drops_held, 1);
        if (full) {
            atomic_store(&b->stats->names_held, held);
        } else {
            redis_stat_add(&b->stats->names_held, (int64_t)held);
        }
        if (!g->degraded) {
            g->degraded = true;
            g->since_ms = now_ms;
            atomic_store(&b->stats->degraded, true);
            char confirm[64];
            if (b->gcfg->drop_confirm_ms > 0) {
                snprintf(confirm, sizeof(confirm), "or until they stay gone for %llus",
                         (unsigned long long)(b->gcfg->drop_confirm_ms / 1000));
            } else {
                snprintf(confirm, sizeof(confirm), "(drop_confirm is 0: only then)");
            }
            log_warn("redis: backend %s: DEGRADED: a reload from %s would drop %llu of its %llu "
                     "names (%zu zone%s whose hash is gone%s%s) without change-stream entries "
                     "saying so; keeping them served (stale) until confirmed with `vmdnsctl "
                     "confirm-drop %s` %s",
                     b->cfg->name, b->cmd ? redis_conn_peer(b->cmd) : "?", (unsigned long long)held,
                     (unsigned long long)base, t.vanished_zones, t.vanished_zones == 1 ? "" : "s",
                     zone[0] ? ", e.g. " : "", zone, b->cfg->name, confirm);
        }
        strset_each(t.gone, probe_gone, b);
        arm_recheck(b);
    } else {
        dropped = merge_mark_end(b->merge, b->index, apex, apex_len, true, now);
        if (full && g->degraded) {
            if (confirmed) {
                redis_stat_add(&b->stats->drops_confirmed, 1);
                log_warn("redis: backend %s: the held drop applied (%s): %zu names removed",
                         b->cfg->name,
                         g->confirm ? "confirmed with vmdnsctl confirm-drop"
                                    : "the names stayed gone for drop_confirm",
                         dropped);
            } else {
                log_info("redis: backend %s: no longer degraded: the data is back (%zu names "
                         "gone, within max_drop)",
                         b->cfg->name, dropped);
            }
            g->degraded = false;
            atomic_store(&b->stats->degraded, false);
            atomic_store(&b->stats->names_held, 0);
            event_del(g->recheck);
        }
    }
    if (full) {
        g->confirm = false;
    }
    strset_free(t.gone);
    resolve(b, seq, apex, apex_len);
    return dropped;
}

bool guard_entry_zone(redis_backend_t *b, const uint8_t *apex, size_t apex_len)
{
    if (merge_zone_has(b->merge, b->index, apex, apex_len)) {
        return true;
    }
    redis_guard_t *g = &b->guard;
    long *seq = strset_counter(g->unknown, apex, apex_len);
    long *n = strset_counter(g->unknown_n, apex, apex_len);
    if (seq != NULL) {
        *seq = g->seq;
    }
    if (n != NULL) {
        ++*n;
    }
    strset_add(b->dirty_zones, apex, apex_len);
    return false;
}

void guard_delzone(redis_backend_t *b, const uint8_t *apex, size_t apex_len)
{
    long *seq = strset_counter(b->guard.delzones, apex, apex_len);
    if (seq != NULL) {
        *seq = b->guard.seq;
    }
    strset_add(b->dirty_zones, apex, apex_len);
}

void guard_confirm(redis_backend_t *b, const char *name, size_t len)
{
    if (!(len == 1 && name[0] == '*') &&
        (strlen(b->cfg->name) != len || memcmp(b->cfg->name, name, len) != 0)) {
        return; /* another backend's */
    }
    if (!b->guard.degraded) {
        log_info("redis: backend %s: confirm-drop received, but no drop is held back: ignored",
                 b->cfg->name);
        return;
    }
    log_warn("redis: backend %s: confirm-drop received: applying the held drop now", b->cfg->name);
    b->guard.confirm = true;
    b->want_full = true;
}

/* ---- keys of the wrong type ---- */

typedef struct type_probe {
    redis_backend_t *b;
    char key[];
} type_probe_t;

static void on_type(redis_conn_t *c, redisReply *r, void *privdata)
{
    type_probe_t *p = privdata;
    if (c != NULL && r != NULL && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "none") != 0 &&
        strcmp(r->str, "hash") != 0) {
        redis_backend_t *b = p->b;
        redis_stat_add(&b->stats->wrong_type, 1);
        if (strset_add2(b->guard.logged, "t", 1, p->key, strlen(p->key)) == 1) {
            log_warn("redis: backend %s: key '%s' is a %s, not a hash: that zone is not loaded "
                     "from it (the backend keeps serving its other zones; logged once)",
                     b->cfg->name, p->key, r->str);
        }
    }
    free(p);
}

void guard_wrong_type(redis_backend_t *b, const char *key)
{
    size_t len = strlen(key);
    if (strset_has2(b->guard.logged, "t", 1, key, len)) {
        redis_stat_add(&b->stats->wrong_type, 1);
        return;
    }
    type_probe_t *p = malloc(sizeof(*p) + len + 1);
    if (p == NULL) {
        return;
    }
    p->b = b;
    memcpy(p->key, key, len + 1);
    if (b->cmd == NULL || redis_conn_cmd(b->cmd, on_type, p, "TYPE %s", key) != 0) {
        free(p);
    }
}
