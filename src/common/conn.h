/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/conn.h - one blocking Redis connection to the current master,
 * with failover (hiredis, synchronous).
 *
 * The writer side of vmdns (libvmdns, and the libraries beside it) talks
 * to Redis through this: it finds the master among the configured nodes or
 * through the sentinels (common/sentinel.h parses their answers), checks
 * ROLE before trusting it, and on a broken connection, a timeout or a
 * READONLY/MASTERDOWN/LOADING reply fails over and sends the batch again,
 * once. Not thread-safe: the owner serialises calls.
 */
#ifndef VMDNS_COMMON_CONN_H
#define VMDNS_COMMON_CONN_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "common/batch.h"
#include "common/hostport.h"
#include "vmdns/error.h"

/* What to connect to (strings are copied by vmdns_conn_init). */
typedef struct vmdns_conn_opts {
    const char *const *nodes; /* "host:port", "[v6]:port" or "/unix/socket"; tried in order */
    size_t n_nodes;
    const char *const *sentinels; /* instead of nodes: sentinel "host:port"s ... */
    size_t n_sentinels;
    const char *master_name; /* ... and the master they watch */
    const char *sentinel_password;
    const char *username, *password; /* AUTH for the data nodes (NULL: none) */
    int db;
    uint32_t connect_timeout_ms;  /* 0: 1000 */
    uint32_t command_timeout_ms;  /* 0: 2000 */
    uint32_t failover_timeout_ms; /* how long to look for a master (0: one pass) */
} vmdns_conn_opts_t;

typedef struct vmdns_conn {
    vmdns_hostport_t *nodes; /* port 0: a unix socket path */
    size_t n_nodes, cur;
    vmdns_hostport_t *sentinels;
    size_t n_sentinels;
    char *master_name, *sentinel_password, *username, *password;
    int db;
    uint32_t connect_timeout_ms, command_timeout_ms, failover_timeout_ms;
    redisContext *ctx;
    char where[300]; /* the master we talk to, for messages */
} vmdns_conn_t;

/* Check and copy the options (no I/O). 0, or -1 with err. */
int vmdns_conn_init(vmdns_conn_t *c, const vmdns_conn_opts_t *o, vmdns_error_t *err);

/* Connect to a master now (looking for one up to failover_timeout_ms). */
int vmdns_conn_ensure(vmdns_conn_t *c, vmdns_error_t *err);

/* Close the connection and free the options. */
void vmdns_conn_destroy(vmdns_conn_t *c);

/* Send the batch and read one reply per command into *replies (an array of
 * b->ncmd replies, free with vmdns_conn_free_replies). On an I/O error, a
 * timeout or a READONLY/MASTERDOWN/LOADING reply it fails over and sends
 * the whole batch again, once. `writes` says whether the batch changes
 * data (a lost batch is then VMDNS_ERR_UNCONFIRMED, not _CONNECT). */
int vmdns_conn_run(vmdns_conn_t *c, const vmdns_batch_t *b, int writes, redisReply ***replies,
                   vmdns_error_t *err);

/* Free what vmdns_conn_run returned. */
void vmdns_conn_free_replies(redisReply **replies, size_t n);

#endif
