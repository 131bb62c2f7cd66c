/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/sentinel.h - what Redis Sentinel answers, read once.
 *
 * Two clients ask the sentinels where a deployment's nodes are: libvmdns
 * (blocking hiredis, wants the master to write to) and vmdnsd's redis
 * plugin (hiredis async on libevent, reads from the master or any healthy
 * replica). Their I/O differs; the replies they parse and the way they
 * turn them into a list of nodes to try are the same, and live here:
 *
 *   SENTINEL get-master-addr-by-name <m>  -> [ip, port] or nil
 *   SENTINEL replicas <m>                 -> [[k, v, k, v ...], ...]
 *   +switch-master message                -> "m old-ip old-port new-ip new-port"
 *
 * Both clients run the same discovery round (vmdns_sentinel_round_t): the
 * sentinels are asked in the configured order, a sentinel that cannot be
 * reached, answers with an error or knows no node of the master is
 * skipped (and why is kept for the message), and the first that names
 * nodes wins. The round does no I/O: the client connects, sends the
 * questions round.want says, and feeds the replies back. A node named by a
 * sentinel is still checked (ROLE) before it is trusted.
 */
#ifndef VMDNS_COMMON_SENTINEL_H
#define VMDNS_COMMON_SENTINEL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/hostport.h"

#define VMDNS_SENTINEL_MAX_NODES 16 /* replicas kept from one answer */

struct redisReply;

/* The reply to get-master-addr-by-name into out: 0, or -1 if it names no
 * usable address (nil for an unknown master, an error, a bad port). */
int vmdns_sentinel_parse_master(const struct redisReply *r, vmdns_hostport_t *out);

/* One entry of a SENTINEL replicas reply (a flat key/value array) into
 * out; 0 if it is a usable replica (not s_down, o_down or disconnected). */
int vmdns_sentinel_parse_replica(const struct redisReply *r, vmdns_hostport_t *out);

/* A +switch-master message about `master` into out (the new master): 0, or
 * -1 if it is about another master or malformed. */
int vmdns_sentinel_parse_switch(const char *msg, const char *master, vmdns_hostport_t *out);

/* The nodes to try, in order, from what one sentinel said: the master (if
 * master is not NULL) first, then the replicas that are not the master,
 * without duplicates. Returns how many were written to out (at most cap). */
size_t vmdns_sentinel_nodes(const vmdns_hostport_t *master, const vmdns_hostport_t *replicas,
                            size_t n_replicas, vmdns_hostport_t *out, size_t cap);

/* One discovery round over a list of sentinels. */
typedef struct vmdns_sentinel_round {
    const vmdns_hostport_t *sentinels;
    size_t n_sentinels, next;
    bool want_replicas;          /* also ask SENTINEL replicas (readers) */
    const vmdns_hostport_t *cur; /* the sentinel being asked */
    int answers;                 /* replies in from it */
    bool have_master;
    vmdns_hostport_t master;
    vmdns_hostport_t replicas[VMDNS_SENTINEL_MAX_NODES];
    size_t n_replicas;
    char why[300]; /* why the last sentinel was skipped */
} vmdns_sentinel_round_t;

/* Start a round over n sentinels (kept by reference). */
void vmdns_sentinel_round_start(vmdns_sentinel_round_t *r, const vmdns_hostport_t *sentinels,
                                size_t n, bool want_replicas);

/* The next sentinel to ask (forgetting what the previous one said), or
 * NULL when none is left (why then says what went wrong last). */
const vmdns_hostport_t *vmdns_sentinel_round_next(vmdns_sentinel_round_t *r);

/* The current sentinel is no good (cannot connect, AUTH refused ...). */
void vmdns_sentinel_round_fail(vmdns_sentinel_round_t *r, const char *why);

/* Feed the reply to get-master-addr-by-name, or to SENTINEL replicas.
 * Returns 1 when the current sentinel has answered everything and named
 * at least one node (take them with vmdns_sentinel_round_nodes), 0 when
 * another reply is awaited, -1 when this sentinel is skipped (an error
 * reply, or no node known: ask the next one). */
int vmdns_sentinel_round_master(vmdns_sentinel_round_t *r, const struct redisReply *rep);
int vmdns_sentinel_round_replicas(vmdns_sentinel_round_t *r, const struct redisReply *rep);

/* The nodes the current sentinel named, master first (vmdns_sentinel_nodes). */
size_t vmdns_sentinel_round_nodes(const vmdns_sentinel_round_t *r, vmdns_hostport_t *out,
                                  size_t cap);

#endif
