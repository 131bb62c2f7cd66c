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
 * Both clients ask the sentinels in the configured order, the first that
 * answers wins, and a node named by a sentinel is still checked (ROLE)
 * before it is trusted.
 */
#ifndef VMDNS_COMMON_SENTINEL_H
#define VMDNS_COMMON_SENTINEL_H

#include <stddef.h>

#include "common/hostport.h"

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

#endif
