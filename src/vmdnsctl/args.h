/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * args.h - vmdnsctl's command line, parsed into one struct.
 *
 * Global options (where Redis is) may come anywhere; the first other word
 * is the command, and the rest belongs to it. Every number, duration and
 * port is checked here so that a typo is a usage error, not a write.
 */
#ifndef VMDNSCTL_ARGS_H
#define VMDNSCTL_ARGS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    CMD_ZONE_CREATE,
    CMD_REGISTER,
    CMD_DEREGISTER,
    CMD_RENEW,
    CMD_SET,
    CMD_LIST,
    CMD_GC,
    CMD_CONFIRM_DROP,
} ctl_cmd_t;

typedef struct ctl_args {
    /* global */
    char **redis, **sentinels;
    size_t n_redis, n_sentinels;
    const char *master, *username, *password, *prefix, *suffix;
    int db;
    uint32_t timeout_ms;
    int min_replicas_set;         /* --min-replicas given */
    unsigned min_replicas;        /* a number, or VMDNS_MIN_REPLICAS_AUTO */
    uint32_t replicas_timeout_ms; /* --min-replicas-timeout (0: default) */
    /* command */
    ctl_cmd_t cmd;
    const char *name; /* FQDN or ZONE (NULL for list-all, gc) */
    const char *ipv4, *ipv6, *mbox;
    char **ns, **wait_visible, **rdata;
    size_t n_ns, n_wait_visible, n_rdata;
    uint16_t ssh_port, type;
    uint32_t ttl, lease_s, wait_timeout_ms;
} ctl_args_t;

enum { ARGS_OK = 0, ARGS_HELP = 1, ARGS_BAD = 2 };

/* Parse argv into a (which points into argv). ARGS_BAD fills why. */
int args_parse(int argc, char **argv, ctl_args_t *a, char *why, size_t wl);

/* Free the lists args_parse allocated. */
void args_free(ctl_args_t *a);

#endif
