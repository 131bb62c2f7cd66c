/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_fieldhash.h - what each field of a zone held when it was last
 * applied, as a 64-bit hash, so a re-read parses only what changed.
 *
 * A keyspace notification for a hash says only "this key changed", not
 * which field (Redis publishes the key and the event name, e.g. "hset").
 * So a zone changed behind the stream's back has to be read again, and the
 * only choice is how much that costs. Reading it is unavoidable (HSCAN);
 * parsing every value and comparing nodes is what made a 1M-name zone cost
 * seconds per HSET. Here each applied value's hash is kept, per zone that
 * has been re-read for a notification (zones never written behind the
 * stream's back pay nothing): a field whose value hashes the same as the
 * last applied one is only marked "still there" (merge_touch), not parsed.
 *
 * Soundness: the hash is recorded only for a value a load applied, and
 * forgotten whenever the stream changes the name (its value in the view is
 * then the stream's), and for the whole zone when the zone goes. A hit
 * also needs the merge to still hold the name for this backend, else the
 * value is parsed as usual. 16 bytes per name (open addressing on a 64-bit
 * hash of the owner), never the owner itself.
 */
#ifndef VMDNS_REDIS_FIELDHASH_H
#define VMDNS_REDIS_FIELDHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fieldhash fieldhash_t;

/* An empty store (no zone tracked). NULL on allocation failure. */
fieldhash_t *fieldhash_new(void);
void fieldhash_free(fieldhash_t *fh);

/* Start keeping hashes for a zone (no-op if kept already). */
void fieldhash_track(fieldhash_t *fh, const uint8_t *apex, size_t apex_len);

/* True if the zone's hashes are kept. */
bool fieldhash_tracked(const fieldhash_t *fh, const uint8_t *apex, size_t apex_len);

/* Stop keeping them (the zone is gone). */
void fieldhash_drop_zone(fieldhash_t *fh, const uint8_t *apex, size_t apex_len);

/* Hash of a value. */
uint64_t fieldhash_value(const void *value, size_t len);

/* The value hash recorded for owner (0: none). */
uint64_t fieldhash_get(const fieldhash_t *fh, const uint8_t *apex, size_t apex_len,
                       const uint8_t *owner, size_t owner_len);

/* Record (h != 0) or forget (h == 0) owner's value hash, if the zone is
 * tracked. */
void fieldhash_set(fieldhash_t *fh, const uint8_t *apex, size_t apex_len, const uint8_t *owner,
                   size_t owner_len, uint64_t h);

/* Names recorded in all zones (for tests and logs). */
size_t fieldhash_count(const fieldhash_t *fh);

#endif
