/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/redis_info.h - what a Redis node's INFO says about how safe it is
 * to keep DNS data in it, read once for every client.
 *
 * The registrar (libvmdns, at connect) and vmdnsd (its redis plugin) both
 * want to know, of a node: is it a master, how many replicas follow it
 * and are in sync (a write confirmed by WAIT on one of them survives a
 * failover), may it evict keys (maxmemory-policy other than noeviction:
 * whole zone hashes can vanish), and does it keep its data over a restart
 * (appendonly, save). The text of `INFO replication memory persistence`
 * and the value of `CONFIG GET save` are parsed here, without I/O, and
 * turned into one warning line an operator can act on.
 */
#ifndef VMDNS_COMMON_REDIS_INFO_H
#define VMDNS_COMMON_REDIS_INFO_H

#include <stdbool.h>
#include <stddef.h>

typedef struct vmdns_redis_info {
    char role[16];               /* "master", "slave", "" if not said */
    char maxmemory_policy[32];   /* "" if not said */
    int aof_enabled;             /* 1, 0, or -1 if not said */
    int rdb_save;                /* 1 if `save` has a schedule, 0 if "", -1 if unknown */
    unsigned connected_replicas; /* connected_slaves */
    unsigned online_replicas;    /* slaveN lines with state=online */
    char replid[48];             /* master_replid: its replication history */
    char replid2[48];            /* master_replid2: the one before its promotion */
} vmdns_redis_info_t;

/* The value of `key` (the first "key:value" line of INFO text, read within
 * len bytes whatever they hold) into out (NUL-ended, cut to cap - 1 bytes);
 * false (out "") if there is none or cap is 0. For the fields the redis
 * plugin follows one by one (run_id, master_repl_offset...). */
bool vmdns_redis_info_get(const char *text, size_t len, const char *key, char *out, size_t cap);

/* The value of `key` as a number, or dflt if absent or not a number. */
long long vmdns_redis_info_num(const char *text, size_t len, const char *key, long long dflt);

/* Parse INFO text (any sections, "key:value" lines, CRLF or LF) into out.
 * Unknown keys are ignored; out->rdb_save is left -1. */
void vmdns_redis_info_parse(const char *text, size_t len, vmdns_redis_info_t *out);

/* The dangerous settings of a node as one line into out (empty if none):
 * an eviction policy other than noeviction; no persistence (AOF off and no
 * RDB schedule) on a node without replicas (has_replicas also counts
 * replicas the caller knows of otherwise, e.g. from Sentinel). Returns the
 * number of problems found. */
int vmdns_redis_info_risks(const vmdns_redis_info_t *i, int has_replicas, char *out, size_t cap);

#endif
