/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_strset.c - chained hash set of byte strings (see redis_strset.h).
 */
#include "redis/redis_strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/name.h"

#define KEY_MAX 1024

typedef struct strset_item {
    struct strset_item *next;
    long count;
    size_t len;
    unsigned char key[];
} strset_item_t;

struct strset {
    strset_item_t **table;
    size_t nbuckets, count;
};

strset_t *strset_new(void)
{
    strset_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    s->nbuckets = 64;
    s->table = calloc(s->nbuckets, sizeof(*s->table));
    if (s->table == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

void strset_clear(strset_t *s)
{
    for (size_t i = 0; i < s->nbuckets; i++) {
        for (strset_item_t *it = s->table[i], *next; it != NULL; it = next) {
            next = it->next;
            free(it);
        }
        s->table[i] = NULL;
    }
    s->count = 0;
}

void strset_free(strset_t *s)
{
    if (s == NULL) {
        return;
    }
    strset_clear(s);
    free(s->table);
    free(s);
}

static size_t bucket(const strset_t *s, const void *key, size_t len)
{
    return name_hash(key, len) & (s->nbuckets - 1);
}

static void grow(strset_t *s)
{
    size_t n = s->nbuckets * 2;
    strset_item_t **table = calloc(n, sizeof(*table));
    if (table == NULL) {
        return;
    }
    for (size_t i = 0; i < s->nbuckets; i++) {
        for (strset_item_t *it = s->table[i], *next; it != NULL; it = next) {
            next = it->next;
            size_t b = name_hash(it->key, it->len) & (n - 1);
            it->next = table[b];
            table[b] = it;
        }
    }
    free(s->table);
    s->table = table;
    s->nbuckets = n;
}

static strset_item_t *find(const strset_t *s, const void *key, size_t len)
{
    for (strset_item_t *it = s->table[bucket(s, key, len)]; it != NULL; it = it->next) {
        if (it->len == len && memcmp(it->key, key, len) == 0) {
            return it;
        }
    }
    return NULL;
}

static strset_item_t *insert(strset_t *s, const void *key, size_t len)
{
    strset_item_t *it = malloc(sizeof(*it) + len);
    if (it == NULL) {
        return NULL;
    }
    it->count = 0;
    it->len = len;
    memcpy(it->key, key, len);
    size_t b = bucket(s, key, len);
    it->next = s->table[b];
    s->table[b] = it;
    if (++s->count > s->nbuckets) {
        grow(s);
    }
    return it;
}

int strset_add(strset_t *s, const void *key, size_t len)
{
    if (find(s, key, len) != NULL) {
        return 0;
    }
    return insert(s, key, len) ? 1 : -1;
}

long *strset_counter(strset_t *s, const void *key, size_t len)
{
    strset_item_t *it = find(s, key, len);
    if (it == NULL) {
        it = insert(s, key, len);
    }
    return it ? &it->count : NULL;
}

void strset_each(const strset_t *s, void (*fn)(void *ctx, const void *key, size_t len, long count),
                 void *ctx)
{
    for (size_t i = 0; i < s->nbuckets; i++) {
        for (strset_item_t *it = s->table[i]; it != NULL; it = it->next) {
            fn(ctx, it->key, it->len, it->count);
        }
    }
}

/* Concatenate into buf; returns the length or 0 if too long. */
static size_t join(unsigned char buf[KEY_MAX], const void *a, size_t alen, const void *b,
                   size_t blen)
{
    if (alen + blen > KEY_MAX) {
        return 0;
    }
    memcpy(buf, a, alen);
    memcpy(buf + alen, b, blen);
    return alen + blen;
}

int strset_add2(strset_t *s, const void *a, size_t alen, const void *b, size_t blen)
{
    unsigned char buf[KEY_MAX];
    size_t len = join(buf, a, alen, b, blen);
    return len ? strset_add(s, buf, len) : -1;
}

bool strset_has2(const strset_t *s, const void *a, size_t alen, const void *b, size_t blen)
{
    unsigned char buf[KEY_MAX];
    size_t len = join(buf, a, alen, b, blen);
    return len ? strset_has(s, buf, len) : false;
}

bool strset_has(const strset_t *s, const void *key, size_t len)
{
    return find(s, key, len) != NULL;
}

bool strset_remove(strset_t *s, const void *key, size_t len)
{
    for (strset_item_t **p = &s->table[bucket(s, key, len)]; *p != NULL; p = &(*p)->next) {
        if ((*p)->len == len && memcmp((*p)->key, key, len) == 0) {
            strset_item_t *it = *p;
            *p = it->next;
            free(it);
            s->count--;
            return true;
        }
    }
    return false;
}

size_t strset_count(const strset_t *s)
{
    return s->count;
}
