/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_merge.c - the union of the backends (see redis_merge.h).
 *
 * Data structures, all owned by the merge and touched only under its lock:
 *
 *  - zones: a chained hash of merge_zone_t keyed by apex; each zone points
 *    to its view_zone_t (published, or pending until a load ends);
 *  - per zone, a chained hash of merge_entry_t, one per owner name that some
 *    backend holds data for, keyed by the name relative to the apex; the
 *    entry's mask says which backends hold it; the lowest bit is the winner
 *    whose node is in the view; the others' nodes hang off the entry as
 *    shadows, sorted by backend;
 *  - per zone, a binary min-heap of the winners' lease ends, each entry
 *    knowing its heap slot so a change or delete costs O(log n).
 *
 * Zones have one owner in the view (view.h): a zone that another plugin
 * (a zone file) serves already is not published; its Redis data is kept
 * here, unpublished and not answered ("held"), counted per backend
 * (vmdns_redis_zones_ignored) and logged once. If the other plugin lets go
 * of it (a reload drops the zone file), the next tick publishes it. When
 * Redis drops such a zone, the other plugin's zone is left alone.
 */
#include "redis/redis_merge.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/rcu.h"

#include "core/log.h"
#include "dns/name.h"

typedef struct merge_shadow {
    struct merge_shadow *next;
    view_node_t *node;
    unsigned backend;
} merge_shadow_t;

typedef struct merge_entry {
    struct merge_entry *next;
    merge_shadow_t *shadows;
    uint32_t mask;
    uint32_t seen;  /* per backend: the zone's parity bit when it last set this name */
    uint32_t lease; /* slot in the lease heap + 1; 0: none */
    uint8_t len;
    uint8_t rel[]; /* owner labels above the apex (no root) */
} merge_entry_t;

typedef struct merge_lease {
    int64_t expires;
    merge_entry_t *entry;
} merge_lease_t;

typedef struct merge_zone {
    struct merge_zone *next;
    view_zone_t *vz;
    bool published;
    bool held;         /* another plugin serves the apex: not published */
    uint32_t backends; /* backends with a key for this zone */
    uint32_t seen;     /* backends that saw the zone since their reload began */
    uint32_t parity;   /* per backend, flipped when a reload begins (see seen) */
    /* Per backend: it had no name here when its reload began (or the zone
     * is newer than that), so every name it has now was set by this reload
     * and is seen: the end of the reload need not walk the zone (a first
     * load, the usual startup, then costs no walk at all). */
    uint32_t clean;
    uint32_t serial_base;  /* unix time when the zone was created */
    uint32_t *names;       /* per backend (and the defaults): names held */
    merge_entry_t **table; /* entries */
    size_t nbuckets, count;
    merge_lease_t *heap;
    size_t nheap, heap_cap;
    uint8_t apex_len;
    uint8_t apex[NAME_MAX_WIRE];
} merge_zone_t;

#define MERGE_SWEEP_SLICE 4096               /* buckets swept per hold of the lock */
#define DEF               REDIS_MAX_BACKENDS /* the slot of the config defaults */
#define DEF_BIT           (1u << DEF)
#define NONE              (DEF + 1) /* no visible holder */

/* Slots (see redis_merge.h): a backend keeps its slot, its bit in every
 * mask, for as long as it runs; its priority is rank[slot]. `vis` and
 * `rank` are what the index is consistent with; want_vis/want_rank what
 * the running configuration asked for (merge_order), taken by merge_apply. */
struct merge {
    pthread_mutex_t lock;
    view_t *view;
    uint32_t live;     /* slots handed to a backend (merge_slot_add) */
    uint32_t vis;      /* slots whose data may win (applied) */
    uint32_t dead;     /* slots whose changes are ignored and whose data goes */
    uint32_t emptied;  /* dead slots whose data merge_apply has dropped */
    uint32_t want_vis; /* asked for by merge_order, not applied yet */
    uint8_t rank[DEF + 1], want_rank[DEF + 1];
    bool dirty;          /* want_* differ from what is applied */
    bool dropped;        /* merge_unpublish: nothing reaches the view any more */
    int64_t last_expire; /* second of the last merge_tick sweep */
    const char *names[REDIS_MAX_BACKENDS];
    redis_stats_t *stats[REDIS_MAX_BACKENDS];
    redis_defaults_t defaults; /* of the default apex (applied) */
    uint32_t default_ttl;
    redis_defaults_t want_defaults; /* asked for by merge_set_defaults */
    uint32_t want_ttl;
    bool defaults_changed; /* want_defaults differ from defaults */
    bool loading[REDIS_MAX_BACKENDS];
    bool marking[REDIS_MAX_BACKENDS]; /* a reload is noting what it sees */
    log_once_t conflict_logged[REDIS_MAX_BACKENDS];
    merge_zone_t **zones;
    size_t zone_buckets, nzones;
    size_t nheld; /* zones held back (another plugin serves them) */
};

#define MERGE_OWNER "redis" /* our zones' owner in the view (view.h) */

/* ---- small helpers ---- */

static unsigned lowest_bit(uint32_t mask)
{
    return (unsigned)__builtin_ctz(mask);
}

/* The holder in mask that wins under (vis, rank): the visible slot of the
 * lowest rank, else the defaults, else NONE. */
static unsigned pick_in(uint32_t mask, uint32_t vis, const uint8_t *rank)
{
    uint32_t c = mask & (vis | DEF_BIT);
    if (c == 0) {
        return NONE;
    }
    if ((c & (c - 1)) == 0) {
        return lowest_bit(c);
    }
    unsigned best = NONE, best_rank = 256;
    for (; c != 0; c &= c - 1) {
        unsigned s = lowest_bit(c);
        if (rank[s] < best_rank) {
            best_rank = rank[s];
            best = s;
        }
    }
    return best;
}

static unsigned pick(const merge_t *m, uint32_t mask)
{
    return pick_in(mask, m->vis, m->rank);
}

static bool slot_dead(const merge_t *m, unsigned b)
{
    return b >= REDIS_MAX_BACKENDS || (m->dead & (1u << b)) != 0;
}

static uint64_t rel_hash(const uint8_t *rel, size_t len)
{
    return name_hash(rel, len);
}

static void owner_text(const merge_zone_t *z, const merge_entry_t *e, char *out, size_t cap)
{
    uint8_t owner[NAME_MAX_WIRE];
    memcpy(owner, e->rel, e->len);
    memcpy(owner + e->len, z->apex, z->apex_len);
    if (name_to_text(owner, e->len + z->apex_len, out, cap) == 0) {
        snprintf(out, cap, "?");
    }
}

static redis_zone_ctx_t zone_ctx(const merge_t *m, const merge_zone_t *z)
{
    return (redis_zone_ctx_t){&m->defaults, m->default_ttl, z->serial_base,
                              z->apex,      z->apex_len,    0};
}

/* ---- lease heap ---- */

static void heap_set(merge_zone_t *z, size_t i, merge_lease_t item)
{
    z->heap[i] = item;
    item.entry->lease = (uint32_t)i + 1;
}

static void heap_sift_up(merge_zone_t *z, size_t i)
{
    merge_lease_t item = z->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (z->heap[parent].expires <= item.expires) {
            break;
        }
        heap_set(z, i, z->heap[parent]);
        i = parent;
    }
    heap_set(z, i, item);
}

static void heap_sift_down(merge_zone_t *z, size_t i)
{
    merge_lease_t item = z->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= z->nheap) {
            break;
        }
        if (child + 1 < z->nheap && z->heap[child + 1].expires < z->heap[child].expires) {
            child++;
        }
        if (item.expires <= z->heap[child].expires) {
            break;
        }
        heap_set(z, i, z->heap[child]);
        i = child;
    }
    heap_set(z, i, item);
}

static void heap_remove(merge_zone_t *z, merge_entry_t *e)
{
    if (e->lease == 0) {
        return;
    }
    size_t i = e->lease - 1;
    e->lease = 0;
    z->nheap--;
    if (i == z->nheap) {
        return;
    }
    merge_entry_t *moved = z->heap[z->nheap].entry;
    heap_set(z, i, z->heap[z->nheap]);
    heap_sift_up(z, i);
    heap_sift_down(z, moved->lease - 1);
}

/* Track the winner's lease of e (0: none). */
static void heap_update(merge_zone_t *z, merge_entry_t *e, int64_t expires)
{
    if (expires == 0) {
        heap_remove(z, e);
        return;
    }
    if (e->lease != 0) {
        size_t i = e->lease - 1;
        z->heap[i].expires = expires;
        heap_sift_up(z, i);
        heap_sift_down(z, e->lease - 1);
        return;
    }
    if (z->nheap == z->heap_cap) {
        size_t cap = z->heap_cap ? z->heap_cap * 2 : 64;
        merge_lease_t *grown = realloc(z->heap, cap * sizeof(*grown));
        if (grown == NULL) {
            return; /* out of memory: view_lookup still hides it at expiry */
        }
        z->heap = grown;
        z->heap_cap = cap;
    }
    z->heap[z->nheap] = (merge_lease_t){expires, e};
    e->lease = (uint32_t)++z->nheap;
    heap_sift_up(z, z->nheap - 1);
}

/* ---- entries ---- */

static merge_entry_t **entry_slot(merge_zone_t *z, const uint8_t *rel, size_t len)
{
    merge_entry_t **slot = &z->table[rel_hash(rel, len) & (z->nbuckets - 1)];
    for (; *slot != NULL; slot = &(*slot)->next) {
        if ((*slot)->len == len && memcmp((*slot)->rel, rel, len) == 0) {
            break;
        }
    }
    return slot;
}

static void table_grow(merge_zone_t *z)
{
    size_t n = z->nbuckets * 2;
    merge_entry_t **table = calloc(n, sizeof(*table));
    if (table == NULL) {
        return; /* stays correct, just slower */
    }
    for (size_t i = 0; i < z->nbuckets; i++) {
        for (merge_entry_t *e = z->table[i], *next; e != NULL; e = next) {
            next = e->next;
            merge_entry_t **slot = &table[rel_hash(e->rel, e->len) & (n - 1)];
            e->next = *slot;
            *slot = e;
        }
    }
    free(z->table);
    z->table = table;
    z->nbuckets = n;
}

/* Grow the table to hold `want` entries at about one per bucket. */
static void table_reserve(merge_zone_t *z, size_t want)
{
    while (z->nbuckets < want && z->nbuckets < ((size_t)1 << 40)) {
        size_t before = z->nbuckets;
        table_grow(z);
        if (z->nbuckets == before) {
            return; /* out of memory: stays correct, just slower */
        }
    }
}

static merge_entry_t *entry_add(merge_zone_t *z, merge_entry_t **slot, const uint8_t *rel,
                                size_t len)
{
    merge_entry_t *e = malloc(sizeof(*e) + len);
    if (e == NULL) {
        return NULL;
    }
    e->next = NULL;
    e->shadows = NULL;
    e->mask = 0;
    e->seen = 0;
    e->lease = 0;
    e->len = (uint8_t)len;
    memcpy(e->rel, rel, len);
    *slot = e;
    if (++z->count > z->nbuckets) {
        table_grow(z);
    }
    return e;
}

static void entry_free(merge_entry_t *e)
{
    for (merge_shadow_t *s = e->shadows, *next; s != NULL; s = next) {
        next = s->next;
        view_node_free(s->node);
        free(s);
    }
    free(e);
}

/* Unlink e (found by its name) from the table and free it. */
static void entry_remove(merge_zone_t *z, merge_entry_t *e)
{
    merge_entry_t **slot = entry_slot(z, e->rel, e->len);
    if (*slot == e) {
        *slot = e->next;
        z->count--;
    }
    heap_remove(z, e);
    entry_free(e);
}

/* The shadow of backend b, detached from e (or NULL). */
static view_node_t *shadow_take(merge_entry_t *e, unsigned b)
{
    for (merge_shadow_t **p = &e->shadows; *p != NULL; p = &(*p)->next) {
        if ((*p)->backend == b) {
            merge_shadow_t *s = *p;
            view_node_t *node = s->node;
            *p = s->next;
            free(s);
            return node;
        }
    }
    return NULL;
}

/* Store node as b's shadow, replacing any; returns the old node or NULL.
 * On allocation failure the node is freed and *failed set. */
static view_node_t *shadow_put(merge_entry_t *e, unsigned b, view_node_t *node, bool *failed)
{
    merge_shadow_t **p = &e->shadows;
    for (; *p != NULL && (*p)->backend < b; p = &(*p)->next) {
    }
    if (*p != NULL && (*p)->backend == b) {
        view_node_t *old = (*p)->node;
        (*p)->node = node;
        return old;
    }
    merge_shadow_t *s = malloc(sizeof(*s));
    if (s == NULL) {
        view_node_free(node);
        *failed = true;
        return NULL;
    }
    s->node = node;
    s->backend = b;
    s->next = *p;
    *p = s;
    return NULL;
}

/* ---- zones ---- */

static merge_zone_t **zone_slot(merge_t *m, const uint8_t *apex, size_t len)
{
    merge_zone_t **slot = &m->zones[name_hash(apex, len) & (m->zone_buckets - 1)];
    for (; *slot != NULL; slot = &(*slot)->next) {
        if ((*slot)->apex_len == len && memcmp((*slot)->apex, apex, len) == 0) {
            break;
        }
    }
    return slot;
}

static void zones_grow(merge_t *m)
{
    size_t n = m->zone_buckets * 2;
    merge_zone_t **table = calloc(n, sizeof(*table));
    if (table == NULL) {
        return;
    }
    for (size_t i = 0; i < m->zone_buckets; i++) {
        for (merge_zone_t *z = m->zones[i], *next; z != NULL; z = next) {
            next = z->next;
            merge_zone_t **slot = &table[name_hash(z->apex, z->apex_len) & (n - 1)];
            z->next = *slot;
            *slot = z;
        }
    }
    free(m->zones);
    m->zones = table;
    m->zone_buckets = n;
}

static void zone_free_index(merge_zone_t *z)
{
    for (size_t i = 0; i < z->nbuckets; i++) {
        for (merge_entry_t *e = z->table[i], *next; e != NULL; e = next) {
            next = e->next;
            entry_free(e);
        }
    }
    free(z->table);
    free(z->heap);
    free(z->names);
    free(z);
}

/* Count a held zone in (delta 1) or out of (-1) its backends' gauges. */
static void zone_held_count(merge_t *m, const merge_zone_t *z, int delta)
{
    for (unsigned b = 0; b < REDIS_MAX_BACKENDS; b++) {
        if (z->backends & (1u << b)) {
            redis_stat_add(&m->stats[b]->zones_ignored, delta);
        }
    }
}

static void zone_publish(merge_t *m, merge_zone_t *z)
{
    if (m->dropped) {
        return;
    }
    uint32_t serial = view_zone_serial(z->vz);
    if ((int32_t)(z->serial_base - serial) > 0) {
        view_zone_set_serial(z->vz, z->serial_base);
    }
    const char *holder = NULL;
    char name[NAME_MAX_WIRE * 4 + 2];
    if (name_to_text(z->apex, z->apex_len, name, sizeof(name)) == 0) {
        snprintf(name, sizeof(name), "?");
    }
    if (view_publish_zone(m->view, z->vz, &holder) != 0) {
        if (!z->held) {
            z->held = true;
            m->nheld++;
            zone_held_count(m, z, 1);
            log_warn("redis: zone %s is served by the %s plugin: its data in Redis is ignored "
                     "(a zone has one owner, the first to serve it)",
                     name, holder[0] ? holder : "another");
        }
        return;
    }
    if (z->held) {
        z->held = false;
        m->nheld--;
        zone_held_count(m, z, -1);
        log_info("redis: zone %s is served from Redis now (no other plugin serves it)", name);
    }
    z->published = true;
}

/* Is unpublished z held back only because hidden backends (a reload's new
 * ones) created it? Not if a served backend holding it still loads its
 * first data (then its load end publishes it), nor for b itself hidden or
 * loading. */
static bool zone_waits_for_hidden(const merge_t *m, const merge_zone_t *z, unsigned b)
{
    if (!(m->vis & (1u << b)) || m->loading[b]) {
        return false;
    }
    for (uint32_t v = z->backends & m->vis; v != 0; v &= v - 1) {
        if (m->loading[lowest_bit(v)]) {
            return false;
        }
    }
    return true;
}

/* Find the zone, or create it (empty but for the default apex) for b. */
static merge_zone_t *zone_get(merge_t *m, unsigned b, const uint8_t *apex, size_t len, bool create)
{
    merge_zone_t **slot = zone_slot(m, apex, len);
    merge_zone_t *z = *slot;
    if (create && slot_dead(m, b)) {
        return NULL; /* a backend on its way out adds nothing */
    }
    if (z != NULL || !create) {
        if (z != NULL && create) {
            if (!(z->backends & (1u << b))) {
                z->backends |= 1u << b;
                redis_stat_add(&m->stats[b]->zones, 1);
                if (z->held) {
                    redis_stat_add(&m->stats[b]->zones_ignored, 1);
                }
            }
            if (m->marking[b]) {
                z->seen |= 1u << b;
            }
            if (!z->published && !z->held && zone_waits_for_hidden(m, z, b)) {
                zone_publish(m, z); /* held back only for a hidden backend */
            }
        }
        return z;
    }
    z = calloc(1, sizeof(*z));
    if (z == NULL) {
        return NULL;
    }
    memcpy(z->apex, apex, len);
    z->apex_len = (uint8_t)len;
    z->serial_base = (uint32_t)time(NULL);
    z->nbuckets = 64;
    z->table = calloc(z->nbuckets, sizeof(*z->table));
    z->names = calloc(DEF + 1, sizeof(*z->names));
    z->vz = view_zone_new(apex, len);
    if (z->vz != NULL) {
        view_zone_set_owner(z->vz, MERGE_OWNER);
    }
    redis_zone_ctx_t ctx = zone_ctx(m, z);
    view_node_t *apex_node = z->vz ? redis_default_apex(&ctx) : NULL;
    static const uint8_t at_apex[1] = {0}; /* the apex: an empty relative name */
    merge_entry_t *e =
        z->table && z->names ? entry_add(z, entry_slot(z, at_apex, 0), at_apex, 0) : NULL;
    if (e == NULL || apex_node == NULL || view_zone_put(z->vz, apex_node) != 0) {
        if (e == NULL) {
            view_node_free(apex_node);
        }
        if (z->vz != NULL) {
            view_zone_free(z->vz);
        }
        zone_free_index(z);
        return NULL;
    }
    e->mask = DEF_BIT;
    z->names[DEF] = 1;
    z->backends = 1u << b;
    z->seen = m->marking[b] ? 1u << b : 0;
    z->clean = ~0u; /* nobody has a name here yet */
    redis_stat_add(&m->stats[b]->zones, 1);
    *slot = z;
    if (++m->nzones > m->zone_buckets) {
        zones_grow(m);
    }
    if (!m->loading[b] && (m->vis & (1u << b))) {
        zone_publish(m, z); /* a hidden backend's zone waits for merge_apply */
    }
    return z;
}

/* Remove a zone no backend has any more. */
static void zone_remove(merge_t *m, merge_zone_t *z)
{
    merge_zone_t **slot = zone_slot(m, z->apex, z->apex_len);
    *slot = z->next;
    m->nzones--;
    if (z->held) {
        m->nheld--;
    }
    if (z->published) {
        view_remove_zone(m->view, z->apex, z->apex_len, MERGE_OWNER);
    } else {
        view_zone_free(z->vz);
    }
    zone_free_index(z);
}

/* b lets go of zone z; it goes away when nobody has it. Returns true if the
 * zone was removed. */
static bool zone_release(merge_t *m, merge_zone_t *z, unsigned b)
{
    if (z->backends & (1u << b)) {
        z->backends &= ~(1u << b);
        redis_stat_add(&m->stats[b]->zones, -1);
        if (z->held) {
            redis_stat_add(&m->stats[b]->zones_ignored, -1);
        }
    }
    if (z->backends == 0) {
        zone_remove(m, z);
        return true;
    }
    return false;
}

/* ---- the union ---- */

/* The view's node for e (the winner's), inside rcu_read_lock. */
static const view_node_t *winner_node(const merge_zone_t *z, const uint8_t *owner, size_t len)
{
    return view_lookup(z->vz, owner, len, 0);
}

static void count_names(merge_t *m, merge_zone_t *z, unsigned b, int delta)
{
    z->names[b] = (uint32_t)((int64_t)z->names[b] + delta);
    if (b != DEF) {
        redis_stat_add(&m->stats[b]->names, delta);
    }
}

static void count_records(merge_t *m, unsigned b, const view_node_t *node, int sign)
{
    if (b != DEF && node != NULL) {
        redis_stat_add(&m->stats[b]->records, sign * (int64_t)redis_node_records(node));
    }
}

static bool expired(const view_node_t *node, int64_t now)
{
    int64_t exp = view_node_expires(node);
    return exp != 0 && exp <= now;
}

/* The winner of e went away: show the next backend's data, or delete the
 * name when nobody else has it. */
static void promote(merge_t *m, merge_zone_t *z, merge_entry_t *e, const uint8_t *owner,
                    size_t owner_len, int64_t now)
{
    unsigned w;
    while ((w = pick(m, e->mask)) != NONE) {
        view_node_t *node;
        if (w == DEF) {
            redis_zone_ctx_t ctx = zone_ctx(m, z);
            node = redis_default_apex(&ctx);
        } else {
            node = shadow_take(e, w);
        }
        if (node != NULL && !expired(node, now)) {
            int64_t exp = view_node_expires(node);
            if (view_zone_put(z->vz, node) == 0) {
                heap_update(z, e, exp);
                return;
            }
            node = NULL; /* freed by view_zone_put */
        }
        if (node != NULL) {
            count_records(m, w, node, -1);
            view_node_free(node);
        }
        e->mask &= ~(1u << w);
        count_names(m, z, w, -1);
    }
    view_zone_delete(z->vz, owner, owner_len);
    if (e->mask == 0) {
        entry_remove(z, e); /* else only hidden backends hold it */
    }
}

static void note_conflict(merge_t *m, merge_zone_t *z, merge_entry_t *e, unsigned loser,
                          unsigned winner)
{
    if (loser >= REDIS_MAX_BACKENDS || winner >= REDIS_MAX_BACKENDS) {
        return;
    }
    redis_stat_add(&m->stats[loser]->conflicts, 1);
    char name[NAME_MAX_WIRE * 4 + 2];
    owner_text(z, e, name, sizeof(name));
    log_once(&m->conflict_logged[loser], LOG_LEVEL_WARN,
             "redis: backend %s: %s is also on backend %s, listed first, which wins "
             "(further conflicts are only counted)",
             m->names[loser], name, m->names[winner]);
}

int merge_set(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len, const uint8_t *owner,
              size_t owner_len, view_node_t *node, int64_t now)
{
    if (node == NULL || expired(node, now) || slot_dead(m, b)) {
        view_node_free(node);
        merge_del(m, b, apex, apex_len, owner, owner_len, now);
        return 0;
    }
    merge_zone_t *z = zone_get(m, b, apex, apex_len, true);
    if (z == NULL || owner_len < apex_len) {
        view_node_free(node);
        return -1;
    }
    const uint8_t *rel = owner;
    size_t rel_len = owner_len - apex_len;
    merge_entry_t **slot = entry_slot(z, rel, rel_len);
    merge_entry_t *e = *slot;
    if (e == NULL && (e = entry_add(z, slot, rel, rel_len)) == NULL) {
        view_node_free(node);
        return -1;
    }
    uint32_t bit = 1u << b;
    int64_t exp = view_node_expires(node);
    bool fresh = !(e->mask & bit);
    e->seen = (e->seen & ~bit) | (z->parity & bit); /* seen in b's current reload epoch */
    unsigned w = pick(m, e->mask);
    bool visible = (m->vis & bit) != 0;

    if (visible && (w == NONE || w == b || m->rank[b] < m->rank[w])) {
        /* b is (or becomes) the winner: its node goes into the view. */
        rcu_read_lock();
        const view_node_t *cur = w != NONE ? winner_node(z, owner, owner_len) : NULL;
        if (cur != NULL && b == w && redis_node_equal(cur, node)) {
            rcu_read_unlock();
            view_node_free(node);
            return 0;
        }
        if (b != w && cur != NULL && w != DEF && w != NONE) {
            bool failed = false;
            view_node_t *copy = redis_node_clone(cur);
            if (copy != NULL) {
                shadow_put(e, w, copy, &failed);
            }
            if (copy == NULL || failed) { /* cannot keep w's data: w loses the name */
                count_records(m, w, cur, -1);
                e->mask &= ~(1u << w);
                count_names(m, z, w, -1);
            }
            note_conflict(m, z, e, w, b);
        }
        if (b == w && cur != NULL) {
            count_records(m, b, cur, -1);
        }
        rcu_read_unlock();
        count_records(m, b, node, +1);
        if (fresh) {
            e->mask |= bit;
            count_names(m, z, b, +1);
        }
        if (view_zone_put(z->vz, node) != 0) {
            return -1;
        }
        heap_update(z, e, exp);
        return 0;
    }

    /* An earlier backend wins (or b is hidden): keep b's data aside. */
    bool failed = false;
    int64_t records = (int64_t)redis_node_records(node);
    view_node_t *old = shadow_put(e, b, node, &failed);
    if (failed) {
        return -1;
    }
    redis_stat_add(&m->stats[b]->records, records);
    count_records(m, b, old, -1);
    view_node_free(old);
    if (fresh) {
        e->mask |= bit;
        count_names(m, z, b, +1);
        if (visible && w != NONE) {
            note_conflict(m, z, e, b, w);
        }
    }
    return 0;
}

void merge_prefetch(merge_t *m, const uint8_t *apex, size_t apex_len, const uint8_t *owner,
                    size_t owner_len, int stage)
{
    merge_zone_t *z = *zone_slot(m, apex, apex_len);
    if (z == NULL || owner_len < apex_len) {
        return;
    }
    merge_entry_t **slot = &z->table[rel_hash(owner, owner_len - apex_len) & (z->nbuckets - 1)];
    if (stage == 0) {
        __builtin_prefetch(slot);
        if (z->vz != NULL)
            view_zone_prefetch(z->vz, owner, owner_len); /* the view's slot too */
    } else if (*slot != NULL) {
        __builtin_prefetch(*slot);
    }
}

int merge_del(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len, const uint8_t *owner,
              size_t owner_len, int64_t now)
{
    merge_zone_t *z = zone_get(m, b, apex, apex_len, false);
    if (z == NULL || owner_len < apex_len) {
        return 0;
    }
    merge_entry_t *e = *entry_slot(z, owner, owner_len - apex_len);
    uint32_t bit = b < REDIS_MAX_BACKENDS ? 1u << b : 0;
    if (e == NULL || !(e->mask & bit) || slot_dead(m, b)) {
        return 0;
    }
    unsigned w = pick(m, e->mask);
    e->mask &= ~bit;
    count_names(m, z, b, -1);
    if (b == w) {
        rcu_read_lock();
        count_records(m, b, winner_node(z, owner, owner_len), -1);
        rcu_read_unlock();
        heap_remove(z, e);
        promote(m, z, e, owner, owner_len, now);
    } else {
        view_node_t *old = shadow_take(e, b);
        count_records(m, b, old, -1);
        view_node_free(old);
    }
    if (z->names[b] == 0) {
        zone_release(m, z, b);
    }
    return 1;
}

/* Delete the names of b in buckets [from, to) of z, all of them or only
 * those not set since b's reload began (seen bit != the zone's parity).
 * Returns how many; *removed is set if z went away. */
static size_t zone_drop_names(merge_t *m, merge_zone_t *z, unsigned b, bool only_unseen,
                              size_t from, size_t to, int64_t now, bool *removed)
{
    size_t dropped = 0, cap = 0, n = 0;
    uint8_t(*owners)[NAME_MAX_WIRE] = NULL;
    uint8_t *lens = NULL;
    uint32_t bit = 1u << b;
    /* Collect first: deleting reshapes the table. */
    for (size_t i = from; i < to && i < z->nbuckets; i++) {
        for (merge_entry_t *e = z->table[i]; e != NULL; e = e->next) {
            if (!(e->mask & bit) || (only_unseen && !((e->seen ^ z->parity) & bit))) {
                continue;
            }
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                void *a = realloc(owners, ncap * NAME_MAX_WIRE), *l = realloc(lens, ncap);
                owners = a ? a : owners;
                lens = l ? l : lens;
                if (a == NULL || l == NULL) {
                    goto apply;
                }
                cap = ncap;
            }
            memcpy(owners[n], e->rel, e->len);
            memcpy(owners[n] + e->len, z->apex, z->apex_len);
            lens[n++] = (uint8_t)(e->len + z->apex_len);
        }
    }
apply:;
    uint8_t apex[NAME_MAX_WIRE];
    size_t apex_len = z->apex_len;
    memcpy(apex, z->apex, apex_len);
    for (size_t i = 0; i < n; i++) {
        dropped += (size_t)merge_del(m, b, apex, apex_len, owners[i], lens[i], now);
    }
    free(owners);
    free(lens);
    *removed = zone_get(m, b, apex, apex_len, false) == NULL;
    return dropped;
}

/* Every name of b in buckets [from, to) of z counts as seen by the
 * current reload. */
static void zone_mark_seen(merge_zone_t *z, unsigned b, size_t from, size_t to)
{
    uint32_t bit = 1u << b;
    for (size_t i = from; i < to && i < z->nbuckets; i++) {
        for (merge_entry_t *e = z->table[i]; e != NULL; e = e->next) {
            if (e->mask & bit) {
                e->seen = (e->seen & ~bit) | (z->parity & bit);
            }
        }
    }
}

void merge_delzone(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len, int64_t now)
{
    merge_zone_t *z = zone_get(m, b, apex, apex_len, false);
    bool removed;
    if (z == NULL || slot_dead(m, b)) {
        return;
    }
    zone_drop_names(m, z, b, false, 0, z->nbuckets, now, &removed);
    if (!removed && (z = zone_get(m, b, apex, apex_len, false)) != NULL) {
        z->seen &= ~(1u << b);
        zone_release(m, z, b);
    }
}

/* The apexes of the zones in scope (all, or the one given) that b has a
 * key or names in; malloc'd, *n set. */
static uint8_t (*scope_zones(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len,
                             uint8_t **lens, size_t *n))[NAME_MAX_WIRE]
{
    uint8_t(*apexes)[NAME_MAX_WIRE] = malloc((m->nzones + 1) * NAME_MAX_WIRE);
    *lens = malloc(m->nzones + 1);
    *n = 0;
    if (apexes == NULL || *lens == NULL) {
        free(apexes);
        free(*lens);
        *lens = NULL;
        return NULL;
    }
    for (size_t i = 0; i < m->zone_buckets; i++) {
        for (merge_zone_t *z = m->zones[i]; z != NULL; z = z->next) {
            if (apex != NULL && (z->apex_len != apex_len || memcmp(z->apex, apex, apex_len))) {
                continue;
            }
            if ((z->backends & (1u << b)) || z->names[b] > 0) {
                memcpy(apexes[*n], z->apex, z->apex_len);
                (*lens)[(*n)++] = z->apex_len;
            }
        }
    }
    return apexes;
}

bool merge_mark_begin(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len)
{
    uint32_t bit = 1u << b;
    bool any = false;
    m->marking[b] = true;
    for (size_t i = 0; i < m->zone_buckets; i++) {
        for (merge_zone_t *z = m->zones[i]; z != NULL; z = z->next) {
            if (apex != NULL && (z->apex_len != apex_len || memcmp(z->apex, apex, apex_len))) {
                continue;
            }
            z->seen &= ~bit;
            z->parity ^= bit; /* every name of b here is now "not seen yet" */
            z->clean = z->names[b] == 0 ? z->clean | bit : z->clean & ~bit;
            any |= z->names[b] > 0;
        }
    }
    return any;
}

size_t merge_mark_end(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len, bool sweep,
                      int64_t now)
{
    return merge_mark_end_keep(m, b, apex, apex_len, sweep, NULL, NULL, now);
}

size_t merge_mark_end_keep(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len, bool sweep,
                           merge_keep_fn keep, void *arg, int64_t now)
{
    size_t dropped = 0, n;
    uint8_t *lens;
    merge_lock(m);
    uint8_t(*apexes)[NAME_MAX_WIRE] = scope_zones(m, b, apex, apex_len, &lens, &n);
    m->marking[b] = false;
    merge_unlock(m);
    for (size_t i = 0; i < n; i++) {
        bool kept = keep != NULL && keep(arg, apexes[i], lens[i]);
        /* A slice of buckets per lock hold: the stream keeps being applied
         * meanwhile. The table may grow between slices; names it moves to
         * buckets already swept are looked at twice, which is harmless. */
        for (size_t cursor = 0;; cursor += MERGE_SWEEP_SLICE) {
            merge_lock(m);
            merge_zone_t *z = zone_get(m, b, apexes[i], lens[i], false);
            bool removed = false;
            if (cursor == 0 && z != NULL && (z->clean & (1u << b))) {
                cursor = z->nbuckets; /* nothing unseen: nothing to mark or sweep */
            }
            if (z != NULL && cursor < z->nbuckets && (kept || !sweep)) {
                /* not swept: what stays counts as seen, so that the next
                 * reload (which flips the parity) starts from "all unseen" */
                zone_mark_seen(z, b, cursor, cursor + MERGE_SWEEP_SLICE);
                merge_unlock(m);
                continue;
            }
            if (kept) {
                merge_unlock(m);
                break; /* held: neither swept nor let go of */
            }
            if (z != NULL && cursor < z->nbuckets) {
                if (sweep && z->names[b] > 0) {
                    dropped += zone_drop_names(m, z, b, true, cursor, cursor + MERGE_SWEEP_SLICE,
                                               now, &removed);
                }
                merge_unlock(m);
                if (removed) {
                    break;
                }
                continue;
            }
            if (z != NULL && z->names[b] == 0 && !(z->seen & (1u << b))) {
                zone_release(m, z, b);
            }
            merge_unlock(m);
            break;
        }
    }
    free(apexes);
    free(lens);
    return dropped;
}

void merge_mark_count(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len,
                      merge_count_fn fn, void *arg)
{
    size_t n;
    uint8_t *lens;
    uint32_t bit = 1u << b;
    merge_lock(m);
    uint8_t(*apexes)[NAME_MAX_WIRE] = scope_zones(m, b, apex, apex_len, &lens, &n);
    merge_unlock(m);
    for (size_t i = 0; i < n; i++) {
        size_t names = 0, unseen = 0;
        bool seen = false, gone = false;
        /* a slice per lock hold, as merge_mark_end */
        for (size_t cursor = 0;; cursor += MERGE_SWEEP_SLICE) {
            merge_lock(m);
            merge_zone_t *z = zone_get(m, b, apexes[i], lens[i], false);
            if (z == NULL) {
                merge_unlock(m);
                gone = true;
                break;
            }
            if (cursor == 0) {
                names = z->names[b];
                seen = (z->seen & bit) != 0;
            }
            if (cursor >= z->nbuckets || names == 0 || (z->clean & bit)) {
                merge_unlock(m);
                break;
            }
            for (size_t k = cursor; k < cursor + MERGE_SWEEP_SLICE && k < z->nbuckets; k++) {
                for (merge_entry_t *e = z->table[k]; e != NULL; e = e->next) {
                    unseen += (e->mask & bit) && ((e->seen ^ z->parity) & bit) != 0;
                }
            }
            merge_unlock(m);
        }
        if (!gone) {
            fn(arg, apexes[i], lens[i], names, unseen < names ? unseen : names, seen);
        }
    }
    free(apexes);
    free(lens);
}

bool merge_zone_has(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len)
{
    merge_zone_t *z = zone_get(m, b, apex, apex_len, false);
    return z != NULL && (z->backends & (1u << b)) != 0;
}

size_t merge_expire(merge_t *m, int64_t now)
{
    size_t dropped = 0;
    for (size_t i = 0; i < m->zone_buckets; i++) {
        for (merge_zone_t *z = m->zones[i], *next; z != NULL; z = next) {
            next = z->next;
            uint8_t apex[NAME_MAX_WIRE];
            size_t apex_len = z->apex_len;
            memcpy(apex, z->apex, apex_len);
            while (z != NULL && z->nheap > 0 && z->heap[0].expires <= now) {
                merge_entry_t *e = z->heap[0].entry;
                uint8_t owner[NAME_MAX_WIRE];
                memcpy(owner, e->rel, e->len);
                memcpy(owner + e->len, apex, apex_len);
                unsigned w = pick(m, e->mask);
                heap_remove(z, e);
                dropped += (size_t)merge_del(m, w, apex, apex_len, owner, e->len + apex_len, now);
                z = zone_get(m, w, apex, apex_len, false);
            }
        }
    }
    return dropped;
}

/* ---- setup and small entry points ---- */

int merge_zone_add(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len)
{
    return zone_get(m, b, apex, apex_len, true) ? 0 : -1;
}

int merge_zone_reserve(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len, size_t names)
{
    merge_zone_t *z = zone_get(m, b, apex, apex_len, true);
    if (z == NULL) {
        return -1;
    }
    /* `names` is what the hash holds: on a reload most of them are here
     * already, so size for the larger of the two, not their sum (which
     * doubled both tables at every resync and kept them doubled). */
    table_reserve(z, names > z->count ? names : z->count);
    size_t held = view_zone_size(z->vz);
    if (names > held) {
        view_zone_reserve(z->vz, names);
    }
    return 0;
}

int merge_zone_ctx(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len,
                   redis_zone_ctx_t *ctx)
{
    merge_zone_t *z = zone_get(m, b, apex, apex_len, true);
    if (z == NULL) {
        return -1;
    }
    *ctx = zone_ctx(m, z);
    return 0;
}

void merge_set_loading(merge_t *m, unsigned backend, bool loading)
{
    m->loading[backend] = loading;
}

void merge_publish_pending(merge_t *m)
{
    for (size_t i = 0; i < m->zone_buckets; i++) {
        for (merge_zone_t *z = m->zones[i]; z != NULL; z = z->next) {
            if (!z->published && (z->backends & m->vis)) {
                zone_publish(m, z);
            }
        }
    }
}

void merge_retry_held(merge_t *m)
{
    if (m->nheld == 0 || m->dropped) {
        return;
    }
    for (size_t i = 0; i < m->zone_buckets; i++) {
        for (merge_zone_t *z = m->zones[i]; z != NULL; z = z->next) {
            if (z->held) {
                zone_publish(m, z);
            }
        }
    }
}

size_t merge_zone_count(const merge_t *m)
{
    return m->nzones;
}

merge_t *merge_new(const merge_params_t *p)
{
    if (p->nbackends > REDIS_MAX_BACKENDS) {
        return NULL;
    }
    merge_t *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return NULL;
    }
    m->zone_buckets = 64;
    m->zones = calloc(m->zone_buckets, sizeof(*m->zones));
    if (m->zones == NULL) {
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    m->view = p->view;
    m->defaults = m->want_defaults = *p->defaults;
    m->default_ttl = m->want_ttl = p->default_ttl;
    m->rank[DEF] = m->want_rank[DEF] = UINT8_MAX;
    for (size_t i = 0; i < p->nbackends; i++) {
        m->names[i] = p->names[i];
        m->stats[i] = &p->stats[i];
        m->rank[i] = m->want_rank[i] = (uint8_t)i;
        m->live |= 1u << i;
    }
    m->vis = m->want_vis = m->live;
    return m;
}

int merge_slot_add(merge_t *m, const char *name, redis_stats_t *stats_by_slot)
{
    merge_lock(m);
    uint32_t busy = m->live | m->dead | m->vis | m->want_vis;
    int slot = -1;
    for (unsigned s = 0; s < REDIS_MAX_BACKENDS && slot < 0; s++) {
        if (!(busy & (1u << s))) {
            slot = (int)s;
        }
    }
    if (slot >= 0) {
        unsigned s = (unsigned)slot;
        m->live |= 1u << s;
        m->emptied &= ~(1u << s);
        m->names[s] = name;
        m->stats[s] = &stats_by_slot[s];
        m->rank[s] = m->want_rank[s] = UINT8_MAX - 1; /* hidden: never the winner */
        m->loading[s] = m->marking[s] = false;
        m->conflict_logged[s] = (log_once_t){0};
    }
    merge_unlock(m);
    return slot;
}

void merge_slot_name(merge_t *m, unsigned slot, const char *name)
{
    merge_lock(m);
    if (slot < REDIS_MAX_BACKENDS) {
        m->names[slot] = name;
    }
    merge_unlock(m);
}

void merge_order(merge_t *m, const unsigned *slots, size_t n)
{
    merge_lock(m);
    uint32_t want = 0;
    for (size_t i = 0; i < n; i++) {
        if (slots[i] < REDIS_MAX_BACKENDS) {
            want |= 1u << slots[i];
            m->want_rank[slots[i]] = (uint8_t)i;
        }
    }
    uint32_t dead = m->dead | (m->live & ~want); /* listed no more: ignored from now on */
    want &= ~dead;
    bool same = dead == m->dead && want == m->want_vis &&
                memcmp(m->want_rank, m->rank, sizeof(m->rank)) == 0;
    m->dead = dead;
    m->want_vis = want;
    m->dirty = m->dirty || !same;
    merge_unlock(m);
}

void merge_set_defaults(merge_t *m, const redis_defaults_t *defaults, uint32_t default_ttl)
{
    merge_lock(m);
    if (!redis_defaults_equal(&m->want_defaults, defaults) || m->want_ttl != default_ttl) {
        m->want_defaults = *defaults;
        m->want_ttl = default_ttl;
        m->defaults_changed = true;
        m->dirty = true;
    }
    merge_unlock(m);
}

void merge_slot_release(merge_t *m, unsigned slot)
{
    if (slot >= REDIS_MAX_BACKENDS) {
        return;
    }
    uint32_t bit = 1u << slot;
    merge_lock(m);
    m->live &= ~bit;
    m->want_vis &= ~bit;
    if (m->emptied & bit) { /* nothing left of it: free at once */
        m->dead &= ~bit;
        m->emptied &= ~bit;
    } else {
        m->dead |= bit;
        m->dirty = true;
    }
    merge_unlock(m);
}

void merge_slot_retire(merge_t *m, unsigned slot)
{
    if (slot >= REDIS_MAX_BACKENDS) {
        return;
    }
    merge_lock(m);
    if (!(m->dead & (1u << slot))) {
        m->dead |= 1u << slot;
        m->want_vis &= ~(1u << slot);
        m->dirty = true;
    }
    merge_unlock(m);
}

/* merge_apply for one entry: drop the dead slots' data, and if the winner
 * changed from `ow` (under the previous vis/rank), put the new one's node
 * into the view (keeping the old winner's data as a shadow). */
static void entry_apply(merge_t *m, merge_zone_t *z, merge_entry_t *e, unsigned ow,
                        uint32_t old_vis, int64_t now)
{
    for (uint32_t d = e->mask & m->dead & ~(ow < DEF ? 1u << ow : 0); d != 0; d &= d - 1) {
        unsigned s = lowest_bit(d);
        view_node_t *old = shadow_take(e, s);
        count_records(m, s, old, -1);
        view_node_free(old);
        e->mask &= ~(1u << s);
        count_names(m, z, s, -1);
    }
    if (e->mask == 0) { /* only dead slots held it: it was not in the view */
        entry_remove(z, e);
        return;
    }
    unsigned nw = pick(m, e->mask);
    if (nw < REDIS_MAX_BACKENDS) { /* who loses to the winner now, and did not before */
        uint32_t losers = e->mask & m->vis & ~(1u << nw) & ~old_vis;
        if (ow != nw && ow < REDIS_MAX_BACKENDS && (m->vis & (1u << ow))) {
            losers |= 1u << ow;
        }
        for (; losers != 0; losers &= losers - 1) {
            note_conflict(m, z, e, lowest_bit(losers), nw);
        }
    }
    if (nw == ow) {
        return;
    }
    uint8_t owner[NAME_MAX_WIRE];
    size_t owner_len = e->len + z->apex_len;
    memcpy(owner, e->rel, e->len);
    memcpy(owner + e->len, z->apex, z->apex_len);
    if (ow != NONE) {
        rcu_read_lock();
        const view_node_t *cur = winner_node(z, owner, owner_len);
        bool drop = ow != DEF && (m->dead & (1u << ow)) != 0;
        if (!drop && ow != DEF && cur != NULL) {
            bool failed = false;
            view_node_t *copy = redis_node_clone(cur);
            if (copy != NULL) {
                shadow_put(e, ow, copy, &failed);
            }
            drop = copy == NULL || failed; /* cannot keep its data: it loses the name */
        }
        if (drop) {
            count_records(m, ow, cur, -1);
            e->mask &= ~(1u << ow);
            count_names(m, z, ow, -1);
        }
        rcu_read_unlock();
        heap_remove(z, e);
    }
    promote(m, z, e, owner, owner_len, now); /* the new winner, or out of the view */
}

/* merge_apply for one zone; returns false if the zone went away. */
static bool zone_apply(merge_t *m, merge_zone_t *z, uint32_t old_vis, const uint8_t *old_rank,
                       int64_t now)
{
    for (size_t i = 0; i < z->nbuckets; i++) {
        for (merge_entry_t *e = z->table[i], *next; e != NULL; e = next) {
            next = e->next;
            unsigned ow = pick_in(e->mask, old_vis, old_rank);
            uint32_t changed = (e->mask & m->dead) | (e->mask & (old_vis ^ m->vis));
            if (changed == 0 && ((e->mask & ~DEF_BIT) & ((e->mask & ~DEF_BIT) - 1)) == 0) {
                continue; /* one holder, still in the same state */
            }
            entry_apply(m, z, e, ow, old_vis, now);
        }
    }
    static const uint8_t at_apex[1] = {0};
    merge_entry_t *apex = *entry_slot(z, at_apex, 0);
    if (m->defaults_changed && apex != NULL && pick(m, apex->mask) == DEF) {
        redis_zone_ctx_t ctx = zone_ctx(m, z); /* no backend gives an `@`: new defaults */
        view_node_t *node = redis_default_apex(&ctx);
        if (node != NULL) {
            view_zone_put(z->vz, node);
        }
    }
    for (uint32_t d = z->backends & m->dead; d != 0; d &= d - 1) {
        unsigned s = lowest_bit(d);
        z->seen &= ~(1u << s);
        if (zone_release(m, z, s)) {
            return false;
        }
    }
    if (!z->published && (z->backends & m->vis)) {
        zone_publish(m, z);
    }
    return true;
}

/* Bring the index to want_vis/want_rank and drop the dead slots' data. */
static bool apply_locked(merge_t *m, int64_t now)
{
    if (!m->dirty || m->dropped) {
        return false;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint32_t dropped = m->dead & m->vis; /* served until now */
    uint32_t old_vis = m->vis;
    uint8_t old_rank[DEF + 1];
    memcpy(old_rank, m->rank, sizeof(old_rank));
    m->vis = m->want_vis & ~m->dead;
    memcpy(m->rank, m->want_rank, sizeof(m->rank));
    if (m->defaults_changed) {
        m->defaults = m->want_defaults;
        m->default_ttl = m->want_ttl;
    }
    m->rank[DEF] = UINT8_MAX;
    for (size_t i = 0; i < m->zone_buckets; i++) {
        for (merge_zone_t *z = m->zones[i], *next; z != NULL; z = next) {
            next = z->next;
            zone_apply(m, z, old_vis, old_rank, now);
        }
    }
    for (uint32_t d = m->dead & ~m->live; d != 0; d &= d - 1) {
        unsigned s = lowest_bit(d);
        m->loading[s] = m->marking[s] = false;
    }
    m->defaults_changed = false;
    m->emptied = m->dead & m->live; /* stopping: freed by merge_slot_release */
    m->dead &= m->live;             /* released slots are free again */
    m->dirty = false;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ms = (long long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    log_info("redis: backends served: %u (were %u), %u dropped; %zu zones gone over in %lld ms",
             (unsigned)__builtin_popcount(m->vis), (unsigned)__builtin_popcount(old_vis),
             (unsigned)__builtin_popcount(dropped), m->nzones, ms);
    return true;
}

void merge_unpublish(merge_t *m)
{
    merge_lock(m);
    m->dropped = true;
    m->dead = (1u << REDIS_MAX_BACKENDS) - 1; /* every change ignored from now on */
    m->vis = m->want_vis = 0;
    size_t n = 0;
    for (size_t i = 0; i < m->zone_buckets; i++) {
        for (merge_zone_t *z = m->zones[i]; z != NULL; z = z->next) {
            if (z->published) {
                view_remove_zone(m->view, z->apex, z->apex_len, MERGE_OWNER);
                z->published = false;
                z->vz = NULL; /* the view frees it (after a grace period) */
                n++;
            }
        }
    }
    merge_unlock(m);
    log_info("redis: %zu zones no longer served (redis dropped from the configuration)", n);
}

bool merge_apply(merge_t *m, int64_t now)
{
    merge_lock(m);
    bool done = apply_locked(m, now);
    merge_unlock(m);
    return done;
}

void merge_tick(merge_t *m, int64_t now)
{
    merge_lock(m);
    apply_locked(m, now);
    if (m->last_expire != now) {
        m->last_expire = now;
        merge_expire(m, now);
        merge_retry_held(m);
    }
    merge_unlock(m);
}

void merge_free(merge_t *m)
{
    if (m == NULL) {
        return;
    }
    for (size_t i = 0; i < m->zone_buckets; i++) {
        for (merge_zone_t *z = m->zones[i], *next; z != NULL; z = next) {
            next = z->next;
            if (!z->published) {
                view_zone_free(z->vz);
            }
            zone_free_index(z);
        }
    }
    free(m->zones);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void merge_lock(merge_t *m)
{
    pthread_mutex_lock(&m->lock);
}

void merge_unlock(merge_t *m)
{
    pthread_mutex_unlock(&m->lock);
}

int merge_touch(merge_t *m, unsigned b, const uint8_t *apex, size_t apex_len, const uint8_t *owner,
                size_t owner_len)
{
    merge_zone_t *z = zone_get(m, b, apex, apex_len, false);
    if (z == NULL || owner_len < apex_len || b >= REDIS_MAX_BACKENDS || slot_dead(m, b)) {
        return 0;
    }
    merge_entry_t *e = *entry_slot(z, owner, owner_len - apex_len);
    uint32_t bit = 1u << b;
    if (e == NULL || !(e->mask & bit)) {
        return 0;
    }
    e->seen = (e->seen & ~bit) | (z->parity & bit); /* seen in b's current reload epoch */
    return 1;
}

uint8_t (*merge_zones_of(merge_t *m, unsigned b, uint8_t **lens, size_t *n))[NAME_MAX_WIRE]
{
    merge_lock(m);
    uint8_t(*apexes)[NAME_MAX_WIRE] = scope_zones(m, b, NULL, 0, lens, n);
    merge_unlock(m);
    return apexes;
}
