/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_config.h - the `redis:` section of the config, read once at setup.
 *
 *   redis:
 *     backends:
 *       - name: us-east
 *         addresses: ["10.0.0.1:6379", "10.0.0.2:6379"]  # one deployment, tried in order
 *         username: vmdns          # optional (Redis ACLs)
 *         password: secret         # optional
 *         db: 0
 *         prefix: ""               # key = prefix + zone FQDN + suffix
 *         suffix: ""
 *         zones: [vm.example.com.] # optional: serve only these zones
 *       - name: eu-west
 *         sentinel: {addresses: ["10.1.0.1:26379"], master: eu-west}
 *     connect_timeout: 1s
 *     read_timeout: 5s
 *     resync_interval: 60s        # 0: never
 *     stream_maxlen: 1000000
 *     default_ttl: 300
 *     max_backoff: 5s
 *     keyspace_notifications: true
 *     max_drop: 50%               # a reload removing more is held (stale) until confirmed
 *     drop_confirm: 5m            # ... by the names staying gone this long (0: only vmdnsctl)
 *     state_file: /var/lib/vmdns/redis-zones  # zones SERVFAIL (not REFUSED) while loading
 *     defaults:
 *       soa: {ns: ns1.vm.example.com., mbox: hostmaster.vm.example.com., ttl: 300,
 *             refresh: 3600, retry: 600, expire: 86400, minttl: 30}
 *       ns: [ns1.vm.example.com., ns2.vm.example.com.]
 *
 * Everything is checked here, with "FILE:LINE: problem" errors, so the
 * backend threads never meet a config they cannot use. The result is plain
 * data owned by one redis_config_t and read-only after setup.
 */
#ifndef VMDNS_REDIS_CONFIG_H
#define VMDNS_REDIS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hostport.h"
#include "config/cfg.h"
#include "dns/name.h"
#include "redis/redis_limits.h"

#define REDIS_MAX_BACKENDS   31 /* one bit each in a 32-bit mask, plus the defaults */
#define REDIS_MAX_DEFAULT_NS 13

/* One TCP endpoint (parsed by the one host:port parser, common/hostport.h). */
typedef vmdns_hostport_t redis_addr_t;

/* One Redis deployment: a list of nodes, or the sentinels that know them. */
typedef struct redis_backend_config {
    char *name;
    redis_addr_t *addrs; /* nodes, or sentinels when `sentinel` is set */
    size_t naddrs;
    bool sentinel;
    char *master;            /* sentinel: the monitored master's name */
    char *sentinel_username; /* sentinel: AUTH for the sentinels (optional) */
    char *sentinel_password;
    char *username; /* AUTH for the data nodes (optional) */
    char *password;
    unsigned db;
    char *prefix;
    char *suffix;
    /* `zones:` (Corefile `redis ZONES...`): the only zones this backend
     * serves; its other zone hashes and stream entries are ignored. None
     * (nzones 0): every zone found in Redis. */
    uint8_t (*zones)[NAME_MAX_WIRE];
    size_t *zone_lens;
    size_t nzones;
} redis_backend_config_t;

/* The SOA and NS records given to a zone whose `@` has none. */
typedef struct redis_defaults {
    uint8_t mname[NAME_MAX_WIRE]; /* SOA MNAME; empty: the first NS, else the apex */
    size_t mname_len;
    uint8_t mbox[NAME_MAX_WIRE]; /* SOA RNAME; empty: hostmaster.<apex> */
    size_t mbox_len;
    uint32_t ttl, refresh, retry, expire, minttl;
    uint8_t ns[REDIS_MAX_DEFAULT_NS][NAME_MAX_WIRE];
    size_t ns_len[REDIS_MAX_DEFAULT_NS];
    size_t nns;
} redis_defaults_t;

typedef struct redis_config {
    redis_backend_config_t *backends;
    size_t nbackends;
    uint64_t connect_timeout_ms;
    uint64_t read_timeout_ms;
    uint64_t resync_interval_ms; /* 0: no periodic reload */
    uint64_t max_backoff_ms;
    uint64_t stream_maxlen; /* what writers trim the stream to (for operators; the
                               server only reads) */
    uint32_t default_ttl;   /* TTL of a stored record without "ttl" */
    bool keyspace_notifications;
    redis_limits_t limits;    /* redis_limits.h: sizes, notify_interval */
    uint32_t max_drop_pct;    /* a reload dropping more of a backend's names is held */
    uint64_t drop_confirm_ms; /* a held drop applies after this long (0: only when confirmed) */
    /* `state_file:` the zones served last time, answered SERVFAIL until
     * their backend's first load (redis_pending.h). NULL: the default,
     * $STATE_DIRECTORY/redis-zones when systemd gives one, else none. */
    char *state_file;
    redis_defaults_t defaults;
} redis_config_t;

/* True if backend b serves the zone at apex (its `zones:` list names it,
 * or it has none). */
bool redis_backend_serves(const redis_backend_config_t *b, const uint8_t *apex, size_t apex_len);

/* Read the `redis:` node into cfg (zeroed first). Returns 0, or -1 with err
 * ("FILE:LINE: problem"); cfg is then empty (nothing to free). */
int redis_config_read(cfg_node_t *node, redis_config_t *cfg, cfg_error_t *err);

/* True if a and b configure the same backends the same way (a reload with
 * an equal config keeps the running backends and their data). */
bool redis_config_equal(const redis_config_t *a, const redis_config_t *b);

/* True if backend i of a and backend j of b would run the same way: same
 * own settings (name, nodes, auth, db, prefix, suffix) and the same
 * connection settings (timeouts, resync, backoff, notifications). A
 * reload keeps such a backend running, with its data. */
bool redis_config_backend_equal(const redis_config_t *a, size_t i, const redis_config_t *b,
                                size_t j);

/* True if a and b give the same default SOA and NS. */
bool redis_defaults_equal(const redis_defaults_t *a, const redis_defaults_t *b);

/* True if records read under a would be built the same under b (default
 * TTL, default SOA/NS): the data in memory can serve for b. */
bool redis_config_data_equal(const redis_config_t *a, const redis_config_t *b);

/* Free what redis_config_read allocated. */
void redis_config_free(redis_config_t *cfg);

struct cf_plugin_ctx;
struct cf_directive;

/* Read one `redis { ... }` Corefile directive into the `redis:` section
 * (plugin_t.corefile; redis_corefile.c). */
int redis_corefile(struct cf_plugin_ctx *ctx, const struct cf_directive *d, cfg_error_t *err);

#endif
