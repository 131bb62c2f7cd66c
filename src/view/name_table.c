/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * name_table.c - RCU open-addressing index of a zone's owner names (see
 * name_table.h for the why and the concurrency rules).
 */
#include "view/name_table.h"

#include <stdlib.h>
#include <string.h>
#include "core/rcu.h"

#include "view/view_node.h"

#define MIN_SLOTS 1024

typedef struct name_slot {
    uint64_t hash;     /* valid when node is a real node */
    view_node_t *node; /* NULL: never used; TOMBSTONE: removed */
} name_slot_t;

struct name_array {
    struct rcu_head rcu;
    size_t mask; /* slots - 1 (a power of two minus one) */
    size_t used; /* live + tombstones */
    name_slot_t slots[];
};

/* A removed entry: probing continues past it; an insert may reuse it. */
static view_node_t tombstone_node;
#define TOMBSTONE (&tombstone_node)

static name_array_t *array_new(size_t slots)
{
    name_array_t *a = calloc(1, sizeof(*a) + slots * sizeof(name_slot_t));
    if (a)
        a->mask = slots - 1;
    return a;
}

static size_t slots_for(size_t names)
{
    size_t slots = MIN_SLOTS;
    while (slots / 4 * 3 <= names && slots < ((size_t)1 << 40))
        slots <<= 1;
    return slots;
}

static void array_free_rcu(struct rcu_head *head)
{
    VMDNS_RCU_CALLBACK_BEGIN();
    free(caa_container_of(head, name_array_t, rcu));
}

int name_table_init(name_table_t *t, size_t capacity)
{
    t->live = 0;
    t->array = array_new(slots_for(capacity));
    return t->array ? 0 : -1;
}

void name_table_destroy(name_table_t *t)
{
    free(t->array);
    t->array = NULL;
    t->live = 0;
}

static int same_owner(const view_node_t *node, const uint8_t *name, size_t len)
{
    return node->owner_len == len && memcmp(node->owner, name, len) == 0;
}

view_node_t *name_table_lookup(const name_table_t *t, uint64_t hash, const uint8_t *name,
                               size_t len)
{
    const name_array_t *a = rcu_dereference(t->array);
    size_t i = hash & a->mask;
    for (size_t probes = 0; probes <= a->mask; probes++, i = (i + 1) & a->mask) {
        view_node_t *node = rcu_dereference(a->slots[i].node);
        if (node == NULL)
            return NULL;
        if (node != TOMBSTONE && uatomic_read(&a->slots[i].hash) == hash &&
            same_owner(node, name, len))
            return node;
    }
    return NULL;
}

/* Copy the live entries of `from` into `to` (not yet published). */
static void rehash_into(const name_array_t *from, name_array_t *to)
{
    for (size_t i = 0; i <= from->mask; i++) {
        view_node_t *node = from->slots[i].node;
        if (node == NULL || node == TOMBSTONE)
            continue;
        size_t j = from->slots[i].hash & to->mask;
        while (to->slots[j].node != NULL)
            j = (j + 1) & to->mask;
        to->slots[j] = from->slots[i];
        to->used++;
    }
}

/* Replace the array with one sized for `names` live entries. */
static int rebuild(name_table_t *t, size_t names)
{
    name_array_t *old = t->array;
    name_array_t *fresh = array_new(slots_for(names));
    if (!fresh)
        return -1;
    rehash_into(old, fresh);
    rcu_assign_pointer(t->array, fresh);
    call_rcu(&old->rcu, array_free_rcu);
    return 0;
}

int name_table_reserve(name_table_t *t, size_t names)
{
    if (slots_for(names) <= t->array->mask + 1)
        return 0;
    return rebuild(t, names);
}

view_node_t *name_table_put(name_table_t *t, uint64_t hash, view_node_t *node, int *failed)
{
    *failed = 0;
    name_array_t *a = t->array;
    if ((a->used + 1) > (a->mask + 1) / 4 * 3) {
        if (rebuild(t, t->live + 1) != 0) {
            *failed = 1;
            return NULL;
        }
        a = t->array;
    }
    size_t i = hash & a->mask, reuse = (size_t)-1;
    for (;; i = (i + 1) & a->mask) {
        view_node_t *cur = a->slots[i].node;
        if (cur == NULL)
            break;
        if (cur == TOMBSTONE) {
            if (reuse == (size_t)-1)
                reuse = i;
            continue;
        }
        if (a->slots[i].hash == hash && same_owner(cur, node->owner, node->owner_len)) {
            rcu_assign_pointer(a->slots[i].node, node);
            return cur;
        }
    }
    if (reuse != (size_t)-1) {
        i = reuse;
    } else {
        a->used++;
    }
    uatomic_set(&a->slots[i].hash, hash);
    rcu_assign_pointer(a->slots[i].node, node);
    t->live++;
    return NULL;
}

void name_table_prefetch(const name_table_t *t, uint64_t hash)
{
    const name_array_t *a = t->array;
    __builtin_prefetch(&a->slots[hash & a->mask]);
}

view_node_t *name_table_remove(name_table_t *t, uint64_t hash, const uint8_t *name, size_t len)
{
    name_array_t *a = t->array;
    size_t i = hash & a->mask;
    for (size_t probes = 0; probes <= a->mask; probes++, i = (i + 1) & a->mask) {
        view_node_t *cur = a->slots[i].node;
        if (cur == NULL)
            return NULL;
        if (cur != TOMBSTONE && a->slots[i].hash == hash && same_owner(cur, name, len)) {
            rcu_assign_pointer(a->slots[i].node, TOMBSTONE);
            t->live--;
            return cur;
        }
    }
    return NULL;
}

void name_table_foreach(const name_table_t *t, void (*fn)(view_node_t *node, void *ctx), void *ctx)
{
    const name_array_t *a = rcu_dereference(t->array);
    for (size_t i = 0; i <= a->mask; i++) {
        view_node_t *node = rcu_dereference(a->slots[i].node);
        if (node != NULL && node != TOMBSTONE)
            fn(node, ctx);
    }
}
