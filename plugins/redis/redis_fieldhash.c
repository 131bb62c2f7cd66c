/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_fieldhash.c - per-zone tables of value hashes (see
 * redis_fieldhash.h): one open-addressing table per tracked zone, keyed by
 * a 64-bit hash of the owner name, linear probing, tombstones on forget,
 * grown at 50% load.
 */
#include "redis/redis_fieldhash.h"

#include <stdlib.h>
#include <string.h>

#define TOMB 1u /* a forgotten slot's key */

typedef struct slot {
    uint64_t key; /* owner hash (0: empty, TOMB: forgotten) */
    uint64_t val;
} slot_t;

typedef struct zone_table {
    struct zone_table *next;
    uint8_t apex[256];
    size_t apex_len;
    slot_t *slots;
    size_t cap, used, live; /* used counts tombstones too */
} zone_table_t;

struct fieldhash {
    zone_table_t *zones;
    size_t live;
};

/* 64-bit mix of 8-byte words (a murmur-style finaliser per word): fast
 * enough for megabytes of values, and only compared for equality. */
static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_bytes(const void *p, size_t len, uint64_t seed)
{
    const uint8_t *s = p;
    uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
        s += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, len);
    h = mix(h ^ w ^ ((uint64_t)len << 56));
    return h;
}

uint64_t fieldhash_value(const void *value, size_t len)
{
    uint64_t h = hash_bytes(value, len, 0x51ed270b27a5f1c3ULL);
    return h == 0 ? 1 : h; /* 0 means "none" */
}

static uint64_t owner_key(const uint8_t *owner, size_t len)
{
    uint64_t h = hash_bytes(owner, len, 0x2545f4914f6cdd1dULL);
    return h <= TOMB ? h + 2 : h;
}

fieldhash_t *fieldhash_new(void)
{
    return calloc(1, sizeof(fieldhash_t));
}

void fieldhash_free(fieldhash_t *fh)
{
    if (fh == NULL) {
        return;
    }
    while (fh->zones != NULL) {
        zone_table_t *z = fh->zones;
        fh->zones = z->next;
        free(z->slots);
        free(z);
    }
    free(fh);
}

static zone_table_t *zone_find(const fieldhash_t *fh, const uint8_t *apex, size_t apex_len,
                               zone_table_t ***link)
{
    zone_table_t **l = (zone_table_t **)&fh->zones;
    for (zone_table_t *z = fh->zones; z != NULL; l = &z->next, z = z->next) {
        if (z->apex_len == apex_len && memcmp(z->apex, apex, apex_len) == 0) {
            if (link) {
                *link = l;
            }
            return z;
        }
    }
    return NULL;
}

void fieldhash_track(fieldhash_t *fh, const uint8_t *apex, size_t apex_len)
{
    if (apex_len > sizeof(((zone_table_t *)0)->apex) || zone_find(fh, apex, apex_len, NULL)) {
        return;
    }
    zone_table_t *z = calloc(1, sizeof(*z));
    if (z == NULL) {
        return; /* without a table the zone is parsed in full: only slower */
    }
    memcpy(z->apex, apex, apex_len);
    z->apex_len = apex_len;
    z->next = fh->zones;
    fh->zones = z;
}

bool fieldhash_tracked(const fieldhash_t *fh, const uint8_t *apex, size_t apex_len)
{
    return zone_find(fh, apex, apex_len, NULL) != NULL;
}

void fieldhash_drop_zone(fieldhash_t *fh, const uint8_t *apex, size_t apex_len)
{
    zone_table_t **link;
    zone_table_t *z = zone_find(fh, apex, apex_len, &link);
    if (z == NULL) {
        return;
    }
    *link = z->next;
    fh->live -= z->live;
    free(z->slots);
    free(z);
}

static slot_t *probe(const zone_table_t *z, uint64_t key, bool for_insert)
{
    if (z->cap == 0) {
        return NULL;
    }
    size_t mask = z->cap - 1, i = (size_t)key & mask;
    slot_t *tomb = NULL;
    for (;;) {
        slot_t *s = &z->slots[i];
        if (s->key == key) {
            return s;
        }
        if (s->key == 0) {
            return for_insert ? (tomb ? tomb : s) : NULL;
        }
        if (s->key == TOMB && tomb == NULL) {
            tomb = s;
        }
        i = (i + 1) & mask;
    }
}

static int grow(zone_table_t *z)
{
    size_t cap = z->cap ? z->cap * 2 : 1024;
    while (z->live * 2 >= cap) {
        cap *= 2;
    }
    slot_t *slots = calloc(cap, sizeof(*slots));
    if (slots == NULL) {
        return -1;
    }
    zone_table_t n = *z;
    n.slots = slots;
    n.cap = cap;
    n.used = n.live = 0;
    for (size_t i = 0; i < z->cap; i++) {
        if (z->slots[i].key > TOMB) {
            slot_t *s = probe(&n, z->slots[i].key, true);
            *s = z->slots[i];
            n.used++;
            n.live++;
        }
    }
    free(z->slots);
    z->slots = n.slots;
    z->cap = n.cap;
    z->used = n.used;
    z->live = n.live;
    return 0;
}

uint64_t fieldhash_get(const fieldhash_t *fh, const uint8_t *apex, size_t apex_len,
                       const uint8_t *owner, size_t owner_len)
{
    zone_table_t *z = zone_find(fh, apex, apex_len, NULL);
    if (z == NULL) {
        return 0;
    }
    slot_t *s = probe(z, owner_key(owner, owner_len), false);
    return s ? s->val : 0;
}

void fieldhash_set(fieldhash_t *fh, const uint8_t *apex, size_t apex_len, const uint8_t *owner,
                   size_t owner_len, uint64_t h)
{
    zone_table_t *z = zone_find(fh, apex, apex_len, NULL);
    if (z == NULL) {
        return;
    }
    uint64_t key = owner_key(owner, owner_len);
    if (h == 0) {
        slot_t *s = probe(z, key, false);
        if (s != NULL) {
            s->key = TOMB;
            s->val = 0;
            z->live--;
            fh->live--;
        }
        return;
    }
    if ((z->used + 1) * 2 > z->cap && grow(z) != 0) {
        slot_t *s = probe(z, key, false); /* cannot record: at least forget */
        if (s != NULL) {
            s->key = TOMB;
            z->live--;
            fh->live--;
        }
        return;
    }
    slot_t *s = probe(z, key, true);
    if (s->key != key) {
        if (s->key == 0) {
            z->used++;
        }
        s->key = key;
        z->live++;
        fh->live++;
    }
    s->val = h;
}

size_t fieldhash_count(const fieldhash_t *fh)
{
    return fh->live;
}
