/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_strset.h - a small set of byte strings.
 *
 * The backend threads need short-lived sets: the names the change stream
 * touched while a reload was reading the same hash (the reload must not
 * overwrite them with what it read earlier), the zones it deleted, and the
 * bad (key, field) pairs already logged. One owner, no locking.
 */
#ifndef VMDNS_REDIS_STRSET_H
#define VMDNS_REDIS_STRSET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct strset strset_t;

/* An empty set. NULL on allocation failure. */
strset_t *strset_new(void);

/* Free the set and its strings. */
void strset_free(strset_t *s);

/* Add a string (len bytes); returns 1 if added, 0 if already there, -1 on
 * allocation failure. */
int strset_add(strset_t *s, const void *key, size_t len);

/* Add the concatenation a + b (a zone and a name). */
int strset_add2(strset_t *s, const void *a, size_t alen, const void *b, size_t blen);

/* Remove a string; returns true if it was there. */
bool strset_remove(strset_t *s, const void *key, size_t len);

/* Membership of a string / of a + b. */
bool strset_has(const strset_t *s, const void *key, size_t len);
bool strset_has2(const strset_t *s, const void *a, size_t alen, const void *b, size_t blen);

/* A counter attached to each string: the one of `key`, added (at 0) if
 * absent. NULL on allocation failure. */
long *strset_counter(strset_t *s, const void *key, size_t len);

/* Call fn for every string with its counter. */
void strset_each(const strset_t *s, void (*fn)(void *ctx, const void *key, size_t len, long count),
                 void *ctx);

/* Number of strings. */
size_t strset_count(const strset_t *s);

/* Remove every string (keeps the set usable). */
void strset_clear(strset_t *s);

#endif
