/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * view.c - the RCU-protected store of zones and owner names (see view.h).
 *
 * Layout. The view is a lock-free hash (liburcu cds_lfht; zones are few and
 * change rarely) of zones keyed by apex; each zone indexes its owner names
 * in a name_table (an RCU open-addressing table tuned for one writer and
 * many readers, see name_table.h). A node is one allocation: the header,
 * the owner name, the RRset table and the rendered RR bytes, so a lookup
 * touches few cache lines and a replacement is one pointer store followed
 * by call_rcu to free the old node once no reader can still see it.
 *
 * Empty non-terminals are real nodes with no RRsets; every node counts its
 * direct children (written by the zone's single writer, under the zone
 * mutex, never read by workers), which tells the writer when an ENT is no
 * longer needed. Workers only ever ask "is there a node for this name".
 */
#include "view/view.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/rcu.h"
#include <urcu/rculfhash.h>

#include "dns/wire.h"
#include "view/name_table.h"
#include "view/view_node.h"
#include "libvmdns/wire_name.h"

struct view_zone {
    struct cds_lfht_node ht; /* in view->zones */
    struct rcu_head rcu;
    name_table_t names;   /* owner name -> node (RCU reads, writes under lock) */
    pthread_mutex_t lock; /* serialises writers of this zone */
    unsigned long delegations;
    unsigned long size;
    uint32_t serial;
    bool published;
    const char *owner; /* the plugin that publishes it (static name), or NULL */
    uint8_t apex_len;
    uint8_t apex_labels;
    uint8_t apex[NAME_MAX_WIRE];
};

struct view {
    struct cds_lfht *zones;
    pthread_mutex_t lock; /* serialises zone publish/remove */
    unsigned min_labels;  /* label counts of the shortest and longest apex, */
    unsigned max_labels;  /* to bound the probes of view_find_zone */
};

/* ---- nodes ---- */

typedef struct rr_index {
    const view_rr_t *rr;
    size_t order;
} rr_index_t;

/* Type, then content, then input order: duplicates end up side by side,
 * the first given first. */
static int compare_rr_content(const void *a, const void *b)
{
    const view_rr_t *x = ((const rr_index_t *)a)->rr, *y = ((const rr_index_t *)b)->rr;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    if (x->rdlen != y->rdlen)
        return x->rdlen < y->rdlen ? -1 : 1;
    int c = memcmp(x->rdata, y->rdata, x->rdlen);
    if (c != 0)
        return c;
    size_t oa = ((const rr_index_t *)a)->order, ob = ((const rr_index_t *)b)->order;
    return oa < ob ? -1 : (oa > ob);
}

/* Type, then input order: the order records are answered in. */
static int compare_rr(const void *a, const void *b)
{
    const view_rr_t *x = ((const rr_index_t *)a)->rr, *y = ((const rr_index_t *)b)->rr;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    size_t oa = ((const rr_index_t *)a)->order, ob = ((const rr_index_t *)b)->order;
    return oa < ob ? -1 : (oa > ob);
}

static bool same_rr(const view_rr_t *x, const view_rr_t *y)
{
    return x->type == y->type && x->rdlen == y->rdlen && memcmp(x->rdata, y->rdata, x->rdlen) == 0;
}

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

view_node_t *view_node_new(const uint8_t *owner, size_t owner_len, const view_rr_t *rrs, size_t n,
                           int64_t expires)
{
    if (!name_is_valid_wire(owner, owner_len))
        return NULL;
    rr_index_t stack_idx[16];
    rr_index_t *idx = n <= 16 ? stack_idx : malloc(n * sizeof(*idx));
    if (!idx)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        idx[i].rr = &rrs[i];
        idx[i].order = i;
    }
    /* O(n log n): sort by content so duplicates (RRsets are sets) are
     * neighbours, keep the first of each, then restore the given order. */
    qsort(idx, n, sizeof(*idx), compare_rr_content);
    size_t kept = 0, types = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        if (kept > 0 && same_rr(idx[kept - 1].rr, idx[i].rr))
            continue;
        idx[kept++] = idx[i];
    }
    qsort(idx, kept, sizeof(*idx), compare_rr);
    for (size_t i = 0; i < kept; i++) {
        if (i == 0 || idx[i - 1].rr->type != idx[i].rr->type)
            types++;
        bytes += 10 + idx[i].rr->rdlen;
    }
    if (types > UINT16_MAX || bytes > UINT32_MAX) {
        if (idx != stack_idx)
            free(idx);
        return NULL;
    }

    size_t head = align8(sizeof(view_node_t) + owner_len);
    size_t total = head + types * sizeof(view_rrset_t) + bytes;
    view_node_t *node = calloc(1, total);
    if (!node) {
        if (idx != stack_idx)
            free(idx);
        return NULL;
    }
    node->expires = expires;
    node->owner_len = (uint8_t)owner_len;
    memcpy(node->owner, owner, owner_len);
    name_lower(node->owner, owner_len);
    node->nrrsets = (uint16_t)types;
    node->rrsets = (view_rrset_t *)((uint8_t *)node + head);
    uint8_t *wire = (uint8_t *)(node->rrsets + types);
    if (owner_len >= 2 && owner[0] == 1 && owner[1] == '*')
        node->flags |= VIEW_NODE_WILDCARD;

    size_t t = 0;
    for (size_t i = 0; i < kept;) {
        uint16_t type = idx[i].rr->type;
        uint32_t ttl = idx[i].rr->ttl;
        size_t j = i;
        while (j < kept && idx[j].rr->type == type)
            j++;
        for (size_t k = 0; k < n; k++) /* duplicates count for the TTL too */
            if (rrs[k].type == type && rrs[k].ttl < ttl)
                ttl = rrs[k].ttl; /* O(n) per type: types are few */
        view_rrset_t *set = &node->rrsets[t++];
        set->type = type;
        set->ttl = ttl;
        set->count = (uint32_t)(j - i);
        set->wire = wire;
        for (; i < j; i++) {
            const view_rr_t *rr = idx[i].rr;
            wire_write_u16(wire, rr->type);
            wire_write_u16(wire + 2, WIRE_CLASS_IN);
            wire_write_u32(wire + 4, ttl);
            wire_write_u16(wire + 8, rr->rdlen);
            memcpy(wire + 10, rr->rdata, rr->rdlen);
            wire += 10 + rr->rdlen;
        }
        set->wire_len = (uint32_t)(wire - set->wire);
        if (type == WIRE_TYPE_CNAME)
            node->flags |= VIEW_NODE_CNAME;
    }
    if (idx != stack_idx)
        free(idx);
    return node;
}

void view_node_free(view_node_t *node)
{
    free(node);
}

static void node_free_rcu(struct rcu_head *head)
{
    VMDNS_RCU_CALLBACK_BEGIN();
    free(caa_container_of(head, view_node_t, rcu));
}

const view_rrset_t *view_node_rrset(const view_node_t *node, uint16_t type)
{
    for (uint16_t i = 0; i < node->nrrsets; i++)
        if (node->rrsets[i].type == type)
            return &node->rrsets[i];
    return NULL;
}

const view_rrset_t *view_node_rrsets(const view_node_t *node, size_t *count)
{
    *count = node->nrrsets;
    return node->rrsets;
}

unsigned view_node_flags(const view_node_t *node)
{
    return node->flags;
}

const uint8_t *view_node_owner(const view_node_t *node, size_t *len)
{
    *len = node->owner_len;
    return node->owner;
}

int64_t view_node_expires(const view_node_t *node)
{
    return node->expires;
}

/* ---- zones: lookups ---- */

typedef struct name_key {
    const uint8_t *name;
    size_t len;
} name_key_t;

static view_node_t *zone_find(const view_zone_t *zone, const uint8_t *name, size_t len)
{
    return name_table_lookup(&zone->names, name_hash(name, len), name, len);
}

const view_node_t *view_lookup(const view_zone_t *zone, const uint8_t *name, size_t len,
                               int64_t now)
{
    const view_node_t *node = zone_find(zone, name, len);
    if (node && node->expires != 0 && node->expires <= now)
        return NULL;
    return node;
}

const uint8_t *view_zone_apex(const view_zone_t *zone, size_t *len)
{
    *len = zone->apex_len;
    return zone->apex;
}

unsigned view_zone_apex_labels(const view_zone_t *zone)
{
    return zone->apex_labels;
}

bool view_zone_has_delegations(const view_zone_t *zone)
{
    return uatomic_read(&zone->delegations) != 0;
}

size_t view_zone_size(const view_zone_t *zone)
{
    return uatomic_read(&zone->size);
}

uint32_t view_zone_serial(const view_zone_t *zone)
{
    return uatomic_read(&zone->serial);
}

void view_zone_set_serial(view_zone_t *zone, uint32_t serial)
{
    uatomic_set(&zone->serial, serial);
}

/* ---- zones: writers ---- */

view_zone_t *view_zone_new(const uint8_t *apex, size_t apex_len)
{
    if (!name_is_valid_wire(apex, apex_len))
        return NULL;
    view_zone_t *zone = calloc(1, sizeof(*zone));
    if (!zone)
        return NULL;
    memcpy(zone->apex, apex, apex_len);
    name_lower(zone->apex, apex_len);
    zone->apex_len = (uint8_t)apex_len;
    zone->apex_labels = (uint8_t)name_label_count(apex, apex_len);
    pthread_mutex_init(&zone->lock, NULL);
    view_node_t *root = view_node_new(zone->apex, apex_len, NULL, 0, 0);
    int failed = 0;
    if (name_table_init(&zone->names, 0) != 0 || !root) {
        free(root);
        view_zone_free(zone);
        return NULL;
    }
    name_table_put(&zone->names, name_hash(root->owner, root->owner_len), root, &failed);
    zone->size = 1;
    return zone;
}

static void free_node_cb(view_node_t *node, void *ctx)
{
    (void)ctx;
    free(node);
}

void view_zone_free(view_zone_t *zone)
{
    if (!zone)
        return;
    if (zone->names.array) {
        rcu_read_lock();
        name_table_foreach(&zone->names, free_node_cb, NULL);
        rcu_read_unlock();
        name_table_destroy(&zone->names);
    }
    pthread_mutex_destroy(&zone->lock);
    free(zone);
}

/* Length of the parent name's suffix (strip the first label). */
static size_t parent_of(const uint8_t *name, size_t len, const uint8_t **parent)
{
    size_t skip = (size_t)name[0] + 1;
    *parent = name + skip;
    return len - skip;
}

/* Find a node ignoring leases (writer view of the tree). */
static view_node_t *zone_find_any(view_zone_t *zone, const uint8_t *name, size_t len)
{
    return zone_find(zone, name, len);
}

/* Insert a new ENT for name with one child; caller holds the lock and the
 * read lock. */
static view_node_t *insert_ent(view_zone_t *zone, const uint8_t *name, size_t len)
{
    view_node_t *ent = view_node_new(name, len, NULL, 0, 0);
    if (!ent)
        return NULL;
    ent->children = 1;
    int failed;
    name_table_put(&zone->names, name_hash(name, len), ent, &failed);
    if (failed) {
        free(ent);
        return NULL;
    }
    uatomic_inc(&zone->size);
    return ent;
}

/* A new name appeared: count it in its parent, creating ENTs upwards. */
static void link_to_parent(view_zone_t *zone, const uint8_t *name, size_t len)
{
    while (len > zone->apex_len) {
        const uint8_t *parent;
        size_t plen = parent_of(name, len, &parent);
        view_node_t *p = zone_find_any(zone, parent, plen);
        if (p) {
            p->children++;
            return;
        }
        if (!insert_ent(zone, parent, plen))
            return; /* out of memory: the name is still served, lookups of
                       the missing ENT answer NXDOMAIN instead of NODATA */
        name = parent;
        len = plen;
    }
}

static bool is_apex(const view_zone_t *zone, const uint8_t *name, size_t len)
{
    return len == zone->apex_len && memcmp(name, zone->apex, len) == 0;
}

static uint32_t soa_serial_of(const view_node_t *node, bool *found)
{
    const view_rrset_t *soa = view_node_rrset(node, WIRE_TYPE_SOA);
    *found = false;
    if (!soa)
        return 0;
    const uint8_t *rdata = soa->wire + 10;
    size_t p = vmdns_wire_soa_serial_off(rdata, wire_read_u16(soa->wire + 8));
    if (p == 0)
        return 0;
    *found = true;
    return wire_read_u32(rdata + p);
}

int view_zone_put(view_zone_t *zone, view_node_t *node)
{
    if (!name_is_below_or_equal(node->owner, node->owner_len, zone->apex, zone->apex_len)) {
        free(node);
        return -1;
    }
    bool apex = is_apex(zone, node->owner, node->owner_len);
    if (!apex && view_node_rrset(node, WIRE_TYPE_NS))
        node->flags |= VIEW_NODE_DELEGATION;

    pthread_mutex_lock(&zone->lock);
    rcu_read_lock();
    /* One walk of the table: insert, or replace the node of the same name.
     * `children` is writer-only (readers never look at it), so copying it
     * after the node became visible is fine. */
    int failed;
    view_node_t *old =
        name_table_put(&zone->names, name_hash(node->owner, node->owner_len), node, &failed);
    if (failed) {
        rcu_read_unlock();
        pthread_mutex_unlock(&zone->lock);
        free(node);
        return -1;
    }
    if (old) {
        node->children = old->children;
        if (old->flags & VIEW_NODE_DELEGATION)
            uatomic_dec(&zone->delegations);
        call_rcu(&old->rcu, node_free_rcu);
    } else {
        uatomic_inc(&zone->size);
        link_to_parent(zone, node->owner, node->owner_len);
    }
    if (node->flags & VIEW_NODE_DELEGATION)
        uatomic_inc(&zone->delegations);
    rcu_read_unlock();

    bool has_soa;
    uint32_t soa_serial = apex ? soa_serial_of(node, &has_soa) : (has_soa = false, 0);
    if (!zone->published) {
        if (has_soa)
            uatomic_set(&zone->serial, soa_serial);
    } else {
        uint32_t next = uatomic_read(&zone->serial) + 1;
        if (has_soa && (int32_t)(soa_serial - next) > 0) /* RFC 1982 "greater" */
            next = soa_serial;
        uatomic_set(&zone->serial, next);
    }
    pthread_mutex_unlock(&zone->lock);
    return 0;
}

/* Remove node from the table (caller holds lock + read lock). */
static void unlink_node(view_zone_t *zone, view_node_t *node)
{
    name_table_remove(&zone->names, name_hash(node->owner, node->owner_len), node->owner,
                      node->owner_len);
    uatomic_dec(&zone->size);
    if (node->flags & VIEW_NODE_DELEGATION)
        uatomic_dec(&zone->delegations);
    call_rcu(&node->rcu, node_free_rcu);
}

/* A name went away: uncount it in its parent, removing ENTs left empty. */
static void unlink_from_parent(view_zone_t *zone, const uint8_t *name, size_t len)
{
    while (len > zone->apex_len) {
        const uint8_t *parent;
        size_t plen = parent_of(name, len, &parent);
        view_node_t *p = zone_find_any(zone, parent, plen);
        if (!p)
            return;
        if (p->children > 0)
            p->children--;
        if (p->children > 0 || p->nrrsets > 0 || is_apex(zone, parent, plen))
            return;
        unlink_node(zone, p);
        name = parent;
        len = plen;
    }
}

/* Delete one name; with expired_at != 0 only if its lease ended by then
 * (checked under the lock, so a lease renewed meanwhile is kept). */
static int delete_name(view_zone_t *zone, const uint8_t *owner, size_t owner_len,
                       int64_t expired_at)
{
    int removed = 0;
    pthread_mutex_lock(&zone->lock);
    rcu_read_lock();
    view_node_t *node = zone_find_any(zone, owner, owner_len);
    if (node && expired_at != 0 && (node->expires == 0 || node->expires > expired_at))
        node = NULL;
    if (node && node->nrrsets > 0) {
        removed = 1;
        if (node->children > 0 || is_apex(zone, owner, owner_len)) {
            /* Still has descendants (or is the apex): keep it as an ENT. */
            view_node_t *ent = view_node_new(node->owner, node->owner_len, NULL, 0, 0);
            if (ent) {
                ent->children = node->children;
                int failed; /* a replace never grows the table */
                name_table_put(&zone->names, name_hash(ent->owner, ent->owner_len), ent, &failed);
                if (node->flags & VIEW_NODE_DELEGATION)
                    uatomic_dec(&zone->delegations);
                call_rcu(&node->rcu, node_free_rcu);
            }
        } else {
            unlink_node(zone, node);
            unlink_from_parent(zone, owner, owner_len);
        }
    }
    rcu_read_unlock();
    if (removed && zone->published)
        uatomic_inc(&zone->serial);
    pthread_mutex_unlock(&zone->lock);
    return removed;
}

int view_zone_delete(view_zone_t *zone, const uint8_t *owner, size_t owner_len)
{
    return delete_name(zone, owner, owner_len, 0);
}

/* Names whose lease ended, collected before deleting them (the parent
 * bookkeeping of a delete may remove other nodes too). */
typedef struct expired_names {
    int64_t now;
    size_t n, cap;
    uint8_t (*names)[NAME_MAX_WIRE];
    uint8_t *lens;
} expired_names_t;

static void collect_expired(view_node_t *node, void *ctx)
{
    expired_names_t *e = ctx;
    if (node->expires == 0 || node->expires > e->now)
        return;
    if (e->n == e->cap) {
        size_t ncap = e->cap ? e->cap * 2 : 64;
        void *a = realloc(e->names, ncap * NAME_MAX_WIRE);
        if (a)
            e->names = a;
        void *b = a ? realloc(e->lens, ncap) : NULL;
        if (b)
            e->lens = b;
        if (!a || !b)
            return; /* out of memory: the rest waits for the next sweep */
        e->cap = ncap;
    }
    memcpy(e->names[e->n], node->owner, node->owner_len);
    e->lens[e->n++] = node->owner_len;
}

size_t view_zone_expire(view_zone_t *zone, int64_t now)
{
    expired_names_t e = {.now = now};
    size_t removed = 0;
    rcu_read_lock();
    name_table_foreach(&zone->names, collect_expired, &e);
    rcu_read_unlock();
    for (size_t i = 0; i < e.n; i++)
        removed += (size_t)delete_name(zone, e.names[i], e.lens[i], now);
    free(e.names);
    free(e.lens);
    return removed;
}

/* ---- the view ---- */

static int match_zone(struct cds_lfht_node *ht, const void *key)
{
    const view_zone_t *zone = caa_container_of(ht, view_zone_t, ht);
    const name_key_t *k = key;
    return zone->apex_len == k->len && memcmp(zone->apex, k->name, k->len) == 0;
}

view_t *view_new(void)
{
    view_t *view = calloc(1, sizeof(*view));
    if (!view)
        return NULL;
    view->zones = cds_lfht_new(16, 16, 0, CDS_LFHT_AUTO_RESIZE, NULL);
    if (!view->zones) {
        free(view);
        return NULL;
    }
    pthread_mutex_init(&view->lock, NULL);
    view->min_labels = NAME_MAX_LABELS;
    view->max_labels = 0;
    return view;
}

void view_free(view_t *view)
{
    if (!view)
        return;
    struct cds_lfht_iter iter;
    struct cds_lfht_node *ht;
    size_t n = 0, cap = 0;
    view_zone_t **zones = NULL;
    rcu_read_lock();
    cds_lfht_for_each(view->zones, &iter, ht) /* not _for_each_entry: see view_zone_expire */
    {
        view_zone_t *zone = caa_container_of(ht, view_zone_t, ht);
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            view_zone_t **grown = realloc(zones, ncap * sizeof(*zones));
            if (!grown)
                break; /* leak the rest rather than crash at exit */
            zones = grown;
            cap = ncap;
        }
        cds_lfht_del(view->zones, &zone->ht);
        zones[n++] = zone;
    }
    rcu_read_unlock();
    synchronize_rcu();
    rcu_barrier(); /* pending call_rcu frees of replaced nodes */
    for (size_t i = 0; i < n; i++)
        view_zone_free(zones[i]);
    free(zones);
    cds_lfht_destroy(view->zones, NULL);
    pthread_mutex_destroy(&view->lock);
    free(view);
}

static view_zone_t *zones_find(const view_t *view, const uint8_t *apex, size_t len)
{
    struct cds_lfht_iter iter;
    name_key_t key = {apex, len};
    cds_lfht_lookup(view->zones, name_hash(apex, len), match_zone, &key, &iter);
    struct cds_lfht_node *ht = cds_lfht_iter_get_node(&iter);
    if (ht == NULL)
        return NULL;
    view_zone_t *zone = caa_container_of(ht, view_zone_t, ht);
    VMDNS_TSAN_ACQUIRE(zone); /* published by view_publish_zone */
    return zone;
}

static void recompute_label_bounds(view_t *view)
{
    struct cds_lfht_iter iter;
    struct cds_lfht_node *ht;
    unsigned lo = NAME_MAX_LABELS, hi = 0;
    cds_lfht_for_each(view->zones, &iter, ht) /* not _for_each_entry: see view_zone_expire */
    {
        const view_zone_t *zone = caa_container_of(ht, view_zone_t, ht);
        if (zone->apex_labels < lo)
            lo = zone->apex_labels;
        if (zone->apex_labels > hi)
            hi = zone->apex_labels;
    }
    uatomic_set(&view->min_labels, lo);
    uatomic_set(&view->max_labels, hi);
}

void view_zone_prefetch(view_zone_t *zone, const uint8_t *owner, size_t owner_len)
{
    name_table_prefetch(&zone->names, name_hash(owner, owner_len));
}

void view_zone_reserve(view_zone_t *zone, size_t names)
{
    pthread_mutex_lock(&zone->lock);
    name_table_reserve(&zone->names, names); /* best effort: puts grow it anyway */
    pthread_mutex_unlock(&zone->lock);
}

/* A replaced or removed zone, once no reader can still be in it: on the
 * call_rcu thread, so the writer (a Redis backend under the merge lock,
 * the control thread) never waits for a grace period. */
static void zone_free_rcu(struct rcu_head *head)
{
    VMDNS_RCU_CALLBACK_BEGIN();
    view_zone_free(caa_container_of(head, view_zone_t, rcu));
}

/* Same owner (both NULL counts as the same). */
static bool same_owner(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

void view_zone_set_owner(view_zone_t *zone, const char *owner)
{
    zone->owner = owner;
}

const char *view_zone_owner(const view_zone_t *zone)
{
    return zone->owner;
}

const char *view_zone_holder(view_t *view, const uint8_t *apex, size_t apex_len)
{
    pthread_mutex_lock(&view->lock);
    rcu_read_lock();
    const view_zone_t *zone = zones_find(view, apex, apex_len);
    const char *owner = zone != NULL ? zone->owner : NULL;
    bool found = zone != NULL;
    rcu_read_unlock();
    pthread_mutex_unlock(&view->lock);
    return found ? (owner != NULL ? owner : "") : NULL;
}

int view_publish_zone(view_t *view, view_zone_t *zone, const char **holder)
{
    /* Sized for what a bulk load put in it, so lookups walk about one node
     * per bucket (auto-resize lags behind a fast bulk load). */
    view_zone_reserve(zone, uatomic_read(&zone->size));
    pthread_mutex_lock(&view->lock);
    rcu_read_lock();
    view_zone_t *old = zones_find(view, zone->apex, zone->apex_len);
    if (old && !same_owner(old->owner, zone->owner)) {
        /* Another plugin's zone: it stays, this one is not published. */
        if (holder != NULL)
            *holder = old->owner != NULL ? old->owner : "";
        rcu_read_unlock();
        pthread_mutex_unlock(&view->lock);
        return -1;
    }
    zone->published = true;
    VMDNS_TSAN_RELEASE(zone); /* what a reader of the zone finds was written before */
    if (old) {
        name_key_t key = {zone->apex, zone->apex_len};
        cds_lfht_add_replace(view->zones, name_hash(zone->apex, zone->apex_len), match_zone, &key,
                             &zone->ht);
        /* Serial never goes backwards across a swap (RFC 1982). */
        uint32_t o = uatomic_read(&old->serial), n = uatomic_read(&zone->serial);
        if ((int32_t)(n - o) <= 0)
            uatomic_set(&zone->serial, o + 1);
    } else {
        cds_lfht_add(view->zones, name_hash(zone->apex, zone->apex_len), &zone->ht);
    }
    recompute_label_bounds(view);
    rcu_read_unlock();
    pthread_mutex_unlock(&view->lock);
    if (old)
        call_rcu(&old->rcu, zone_free_rcu); /* no writer waits for readers */
    return 0;
}

int view_remove_zone(view_t *view, const uint8_t *apex, size_t apex_len, const char *owner)
{
    pthread_mutex_lock(&view->lock);
    rcu_read_lock();
    view_zone_t *old = zones_find(view, apex, apex_len);
    if (old && !same_owner(old->owner, owner))
        old = NULL; /* another plugin's: not ours to remove */
    if (old) {
        cds_lfht_del(view->zones, &old->ht);
        recompute_label_bounds(view);
    }
    rcu_read_unlock();
    pthread_mutex_unlock(&view->lock);
    if (!old)
        return 0;
    call_rcu(&old->rcu, zone_free_rcu);
    return 1;
}

view_zone_t *view_zone_get(view_t *view, const uint8_t *apex, size_t apex_len)
{
    rcu_read_lock();
    view_zone_t *zone = zones_find(view, apex, apex_len);
    rcu_read_unlock();
    return zone;
}

const view_zone_t *view_find_zone(const view_t *view, const uint8_t *qname, size_t qname_len,
                                  const uint8_t *label_off, unsigned labels)
{
    unsigned lo = uatomic_read(&view->min_labels), hi = uatomic_read(&view->max_labels);
    if (lo > hi)
        return NULL;
    /* Suffix i has labels - i labels; try the longest first. */
    for (unsigned i = 0; i <= labels; i++) {
        unsigned n = labels - i;
        if (n > hi)
            continue;
        if (n < lo)
            break;
        size_t off = i < labels ? label_off[i] : qname_len - 1;
        const view_zone_t *zone = zones_find(view, qname + off, qname_len - off);
        if (zone)
            return zone;
    }
    return NULL;
}

/* Collects node pointers for view_zone_snapshot. */
typedef struct snapshot_ctx {
    const view_node_t **nodes;
    size_t n, cap;
    bool oom;
} snapshot_ctx_t;

static void snapshot_add(view_node_t *node, void *arg)
{
    snapshot_ctx_t *s = arg;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        const view_node_t **grown = realloc(s->nodes, cap * sizeof(*grown));
        if (grown == NULL) {
            s->oom = true;
            return;
        }
        s->nodes = grown;
        s->cap = cap;
    }
    s->nodes[s->n++] = node;
}

size_t view_zone_snapshot(const view_zone_t *zone, const view_node_t ***out, uint32_t *serial)
{
    view_zone_t *z = (view_zone_t *)zone; /* the lock only: nothing changes */
    snapshot_ctx_t s = {NULL, 0, 0, false};
    size_t expect = view_zone_size(zone) + 64;
    s.nodes = malloc(expect * sizeof(*s.nodes)); /* before the lock: no realloc inside */
    s.cap = s.nodes ? expect : 0;
    pthread_mutex_lock(&z->lock);
    name_table_foreach(&z->names, snapshot_add, &s);
    *serial = z->serial;
    pthread_mutex_unlock(&z->lock);
    if (s.oom) {
        free(s.nodes);
        *out = NULL;
        return 0;
    }
    *out = s.nodes;
    return s.n;
}

void view_foreach_zone(const view_t *view, void (*fn)(const view_zone_t *zone, void *ctx),
                       void *ctx)
{
    struct cds_lfht_iter iter;
    struct cds_lfht_node *ht;
    cds_lfht_for_each(view->zones, &iter, ht) /* not _for_each_entry: see view_zone_expire */
    {
        const view_zone_t *zone = caa_container_of(ht, view_zone_t, ht);
        VMDNS_TSAN_ACQUIRE(zone);
        fn(zone, ctx);
    }
}
