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
    /* Called once per connection handle with a line about a dangerous
     * setting of the master (eviction, no persistence): see redis_info.h. */
    void (*warn)(const char *msg, void *ud);
    void *warn_ud;
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
    char where[300];            /* the master we talk to, for messages */
    vmdns_hostport_t master;    /* ... and its address */
    unsigned online_replicas;   /* replicas in sync with it (INFO replication) */
    unsigned known_replicas;    /* replicas a write must also wait for (see conn.c) */
    vmdns_hostport_t listed[4]; /* replicas the sentinels list for it, not down */
    size_t n_listed;
    uint64_t replicas_read_ms; /* when online_replicas was read (monotonic) */
    void (*warn)(const char *msg, void *ud);
    void *warn_ud;
    int warned; /* the risk warning was given */
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

/* Run one command on the current connection, without failover; NULL if
 * there is no connection or it broke (then it is dropped). */
redisReply *vmdns_conn_cmd(vmdns_conn_t *c, int argc, const char **argv);

/* Re-read online_replicas if it is older than max_age_ms (0: always).
 * 0, or -1 if the connection broke (it is then dropped). */
int vmdns_conn_read_replicas(vmdns_conn_t *c, uint32_t max_age_ms);

/* Is the node we write to still the master? 0 = yes, 1 = no longer (ROLE
 * says replica, or the first sentinel that answers names another master,
 * or the connection broke: it is then dropped). */
int vmdns_conn_master_moved(vmdns_conn_t *c);

/* Drop the connection: the next run looks for the master again. */
void vmdns_conn_drop(vmdns_conn_t *c);

/* Monotonic milliseconds. */
uint64_t vmdns_conn_now_ms(void);

/* Free what vmdns_conn_run returned. */
void vmdns_conn_free_replies(redisReply **replies, size_t n);

#endif
