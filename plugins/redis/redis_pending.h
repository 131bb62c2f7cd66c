/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_pending.h - not lame while loading (issues 12.7 and 11.13).
 *
 * Between vmdnsd's start and the end of a Redis backend's first load, the
 * zones of that backend are not in the view yet, and a query for them
 * would get REFUSED - which resolvers read as a lame delegation and
 * remember. Knot and NSD answer SERVFAIL for a configured zone they have
 * not loaded (yet, or at all); so do we, for every zone we know belongs to
 * a backend that has not loaded: the zones its `zones:` list names, and
 * the zones it served in the last run, which are kept in a small state
 * file (`state_file:`; lines "BACKEND ZONE", rewritten atomically when the
 * set changes). Names under no such zone stay REFUSED; a zone the view
 * already serves (another backend, a zone file) is answered from it.
 */
#ifndef VMDNS_REDIS_PENDING_H
#define VMDNS_REDIS_PENDING_H

#include <stddef.h>

#include "core/plugin.h"
#include "redis/redis_config.h"
#include "redis/redis_merge.h"
#include "redis/redis_stats.h"

typedef struct redis_pending redis_pending_t;

/* At setup (control thread): the pending zones of the n backends of cfg,
 * backend i running in merge slot slot[i] with stats stats_by_slot[slot[i]];
 * reads cfg->state_file (or the default) and, if there is a file to keep,
 * starts a timer on env->control that rewrites it when the zones served
 * change. NULL when out of memory (then nothing is pending: REFUSED as
 * before). */
redis_pending_t *redis_pending_new(const plugin_env_t *env, const redis_config_t *cfg,
                                   merge_t *merge, const unsigned *slot,
                                   redis_stats_t *stats_by_slot);

/* The query hook (worker): SERVFAIL for a name under a pending zone that
 * no loaded zone of the view covers more closely. No allocation, no lock. */
plugin_result_t redis_pending_query(redis_pending_t *p, request_t *req);

/* Write the state file now if the zones served changed (control thread). */
void redis_pending_save(redis_pending_t *p);

/* Stop the timer and free (control thread). */
void redis_pending_free(redis_pending_t *p);

/* Parse state file text: for each valid "BACKEND ZONE" line, fn(arg,
 * backend, zone wire, len). Bad lines are skipped. Returns the number of
 * lines taken. (Exposed for the fuzz harness.) */
size_t redis_pending_parse(const char *text, size_t len,
                           void (*fn)(void *arg, const char *backend, const uint8_t *zone,
                                      size_t zone_len),
                           void *arg);

#endif
