/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/txn.h - the two shapes of an atomic write to a zone hash and its
 * change stream (common/redis_schema.h), for every writer of vmdns data.
 *
 * Blind writes are MULTI / HSET / HDEL / XADD... / EXEC, appended to a
 * batch (many can be pipelined). Read-modify-write edits run as one Lua
 * compare-and-set script. Either way the hash change and its stream
 * entries land together or not at all.
 */
#ifndef VMDNS_COMMON_TXN_H
#define VMDNS_COMMON_TXN_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "common/batch.h"
#include "common/conn.h"
#include "vmdns/error.h"

/* Where and how writes go; the strings belong to the owner. */
typedef struct vmdns_txn_ctx {
    vmdns_conn_t *conn;
    const char *stream_key;           /* vmdns_schema_stream_key() */
    const char *maxlen;               /* XADD MAXLEN ~, as text */
    unsigned min_replicas;            /* > 0: WAIT for that many replicas */
    uint32_t min_replicas_timeout_ms; /* the WAIT timeout */
} vmdns_txn_ctx_t;

/* One field's change: value NULL deletes it. */
typedef struct vmdns_change {
    const char *field;
    const char *value;
} vmdns_change_t;

/* Append MULTI, HSET/HDEL, one XADD per change, EXEC to b; returns the
 * index of the EXEC reply. */
size_t vmdns_txn_append(const vmdns_txn_ctx_t *t, vmdns_batch_t *b, const char *zone_key,
                        const char *zone, const vmdns_change_t *ch, size_t n);

/* 0 if an EXEC reply says every queued command succeeded; else -1 with err. */
int vmdns_txn_exec_ok(const redisReply *exec, vmdns_error_t *err);

/* min_replicas: wait for as many replicas as the master has (at least
 * one) when it has any, or the sentinels list a healthy one for it. */
#define VMDNS_TXN_REPLICAS_AUTO ((unsigned)-1)

/* Send a batch of writes and make it durable: with min_replicas, a WAIT
 * is appended and the batch counts as written only once enough replicas
 * hold it. A WAIT that comes back short is waited for again until
 * failover_timeout_ms; if meanwhile the node stopped being the master (a
 * failover began: ROLE, or the sentinels name another), the connection is
 * dropped and the whole (idempotent) batch is sent to the new master.
 * On success *replies holds b->ncmd replies (WAIT included: b is left
 * with it). 0, or -1 with err (VMDNS_ERR_UNCONFIRMED if not confirmed). */
int vmdns_txn_run(const vmdns_txn_ctx_t *t, vmdns_batch_t *b, redisReply ***replies,
                  vmdns_error_t *err);

/* Map an error reply to the caller's words: an OOM refusal becomes
 * "Redis is out of memory ..." (VMDNS_ERR_BACKEND). */
int vmdns_txn_reply_error(const char *what, const char *str, vmdns_error_t *err);

/* 0 if no reply of a queued transaction (MULTI..EXEC, replies[first..exec])
 * is an error; else -1 with the first error, as vmdns_txn_reply_error. */
int vmdns_txn_queued_ok(redisReply *const *replies, size_t first, size_t exec, vmdns_error_t *err);

/* One field of a compare-and-set. */
typedef struct vmdns_cas_item {
    const char *field;
    const char *expect; /* the value it must still hold (NULL: absent) */
    const char *value;  /* the new value (NULL: delete) ... */
    int keep;           /* ... or leave it as it is (checked only) */
} vmdns_cas_item_t;

/* Compare-and-set: if every field still holds its `expect`, apply the new
 * values with change-stream entries, atomically (Lua). 1 = applied, 0 =
 * something changed meanwhile, -1 = error. */
int vmdns_txn_cas(const vmdns_txn_ctx_t *t, const char *zone_key, const char *zone,
                  const vmdns_cas_item_t *items, size_t n, vmdns_error_t *err);

#endif
