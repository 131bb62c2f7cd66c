/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_backend.h - one configured Redis backend, run by its own thread.
 *
 * Each backend has a thread with its own libevent loop and its own hiredis
 * connections, so backends load in parallel, and nothing a backend does
 * (connect, wait, read 250,000 fields) ever happens on a DNS worker thread.
 * The thread is registered with liburcu because it writes the view (through
 * the merge).
 *
 * What it does, in order:
 *   1. find a node: the configured addresses in order, or the sentinels'
 *      current master and replicas (redis_sentinel.h); on failure the next
 *      one at once, and after a full round a capped, jittered exponential
 *      backoff;
 *   2. load every zone (redis_loader.c) while already following the change
 *      stream (redis_stream.c) from the id it had before the load began;
 *   3. keep following; reload in the background when the stream was
 *      trimmed past its position, every resync_interval, and for single
 *      zones when keyspace notifications say a writer bypassed the stream
 *      (redis_notify.c).
 * A lost connection starts again at 1, keeping the view as it was and
 * resuming the stream from the last id applied.
 */
#ifndef VMDNS_REDIS_BACKEND_H
#define VMDNS_REDIS_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "redis/redis_config.h"
#include "redis/redis_merge.h"
#include "redis/redis_stats.h"

typedef struct redis_backend redis_backend_t;

/* Create the backend cfg->backends[which], writing to the merge as `slot`
 * (not started). cfg must outlive it. NULL on failure. */
redis_backend_t *redis_backend_new(const redis_config_t *cfg, size_t which, unsigned slot,
                                   merge_t *merge, redis_stats_t *stats);

/* Have its thread run its once-a-second work now (merge_tick: a new order
 * of the backends taken into the index). Any thread. */
void redis_backend_kick(redis_backend_t *b);

/* Start its thread. Returns 0 or -1. */
int redis_backend_start(redis_backend_t *b);

/* Ask its thread to stop, without waiting for it (control thread). */
void redis_backend_stop(redis_backend_t *b);

/* True once its thread has ended (or never started): redis_backend_free
 * will not wait. */
bool redis_backend_stopped(const redis_backend_t *b);

/* Stop the thread (if started; waits for it), close everything and free. */
void redis_backend_free(redis_backend_t *b);

/* True once the first load finished, or once the backend proved
 * unreachable at startup (it is then merged in later, in the background). */
bool redis_backend_settled(const redis_backend_t *b);

#endif
