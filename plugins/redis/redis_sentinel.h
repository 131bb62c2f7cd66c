/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_sentinel.h - ask Redis Sentinel where a backend's nodes are.
 *
 * For a backend configured with `sentinel`, each connection round starts
 * here: the sentinels are asked in order (the first that answers wins)
 * for the current master (SENTINEL get-master-addr-by-name) and its
 * replicas (SENTINEL replicas). The result is a list of nodes to try,
 * master first, then the replicas that the sentinel does not consider
 * down: the server only reads, so a replica serves as well while a
 * failover is under way. The replies are parsed, and the list is built, by
 * common/sentinel.h, which libvmdns's blocking client uses too.
 */
#ifndef VMDNS_REDIS_SENTINEL_H
#define VMDNS_REDIS_SENTINEL_H

#include <stddef.h>
#include <stdint.h>

#include "common/sentinel.h"
#include "redis/redis_config.h"

struct event_base;

#define SENTINEL_MAX_NODES VMDNS_SENTINEL_MAX_NODES

/* The answer: n nodes (0 if no sentinel answered; why says what failed). */
typedef void (*sentinel_done_fn)(void *arg, const redis_addr_t *nodes, size_t n, const char *why);

typedef struct sentinel_query sentinel_query_t;

/* Start asking; done is called exactly once, from the event loop, unless
 * the query is cancelled first. NULL on allocation failure (done is then
 * never called). */
sentinel_query_t *sentinel_query_start(struct event_base *base, const redis_backend_config_t *cfg,
                                       uint64_t connect_timeout_ms, uint64_t read_timeout_ms,
                                       sentinel_done_fn done, void *arg);

/* Stop a query that has not called done yet, and free it. */
void sentinel_query_cancel(sentinel_query_t *q);

/* A failover: the sentinels now name (host, port) as the master. */
typedef void (*sentinel_switch_fn)(void *arg, const char *host, uint16_t port);

typedef struct sentinel_watch sentinel_watch_t;

/* Keep a subscription to +switch-master on one of the sentinels (the next
 * one, a second later, whenever it drops) and call fn when the backend's
 * master changes, so a failover is followed at once rather than when the
 * old master is finally demoted. NULL on allocation failure. */
sentinel_watch_t *sentinel_watch_start(struct event_base *base, const redis_backend_config_t *cfg,
                                       uint64_t connect_timeout_ms, sentinel_switch_fn fn,
                                       void *arg);

/* Stop watching and free. */
void sentinel_watch_free(sentinel_watch_t *w);

#endif
