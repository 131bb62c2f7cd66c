/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_corefile.c - the `redis` Corefile directive, as the `redis:` section.
 *
 *   Corefile                              tree (as YAML, see redis_config.h)
 *   redis [ZONES...] {                    redis: {backends: [{name: redisN, addresses: [A, ...],
 *       address A...; username U;                  username, password, prefix, suffix, db,
 *       password P; prefix P; suffix S;            zones: [ZONES]}, ...],
 *       database N (db N); name NAME;          connect_timeout: MSms, read_timeout: MSms,
 *       connect_timeout MS; read_timeout MS;   default_ttl: N,
 *       ttl N; fallthrough [ZONES];            max_drop: P%, drop_confirm: D}
 *       max_drop P%; drop_confirm D; state_file PATH }
 *
 * Every other key of the YAML section has a Corefile line of the same
 * name, with the YAML's value syntax (durations: a bare number is seconds,
 * as in YAML; only connect_timeout and read_timeout take the CoreDNS
 * plugins' bare milliseconds): resync_interval, max_backoff,
 * notify_interval, stream_maxlen, keyspace_notifications, default_ttl
 * (= ttl), addresses (= address), and the groups, each a block of lines
 * (redis_corefile_groups.c):
 *
 *       limits { records_per_name N; value_bytes N; names_per_zone N;
 *                zones_per_backend N }
 *       defaults { soa { ns N; mbox M; ttl T; refresh R; retry R;
 *                        expire E; minttl M }
 *                  ns NS... }
 *       sentinel { addresses A...; master NAME; username U; password P }
 *
 * This reads the option set of the CoreDNS redis plugin family (arvancloud,
 * rverst, codysnider and their forks) so their Corefiles work unchanged:
 * a bare `redis` is localhost:6379; an address may be a unix socket path
 * (`/run/redis.sock`, `unix:///run/redis.sock`) or a comma-separated list
 * of nodes; an option whose value is empty (`password ""`, `password
 * {$UNSET}`) is not set; options of forks that mean nothing here (pool
 * sizes, retries, local caches) are accepted with one warning line.
 *
 * Several address lines are nodes of one backend; several redis blocks (in
 * one server block or several) are several backends, named redis1, redis2,
 * ... unless a block says `name`. The options that apply to every backend
 * (timeouts, ttl, limits, defaults ...) must then say the same thing in
 * every block. The values are checked by redis_config.c, like the YAML's,
 * at the Corefile line that gave them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config/corefile_plugin.h"
#include "core/log.h"
#include "redis/redis_config.h"
#include "redis/redis_corefile.h"

/* Options of redis plugin forks that have no meaning in vmdnsd (connection
 * pools, retries, client-side caches, features of one fork): accepted, so
 * their Corefiles load, with a warning that they are ignored. */
static const char *const fork_options[] = {"write_timeout",
                                           "max_retries",
                                           "pool_size",
                                           "pool_timeout",
                                           "idle_timeout",
                                           "max_idle",
                                           "max_active",
                                           "min_idle_conns",
                                           "max_conn_age",
                                           "local_cache_expire_ms",
                                           "referral_prefix",
                                           "root_host",
                                           "key_prefix_ttl",
                                           "wait",
                                           "tls",
                                           "cluster",
                                           "sentinel_password"};

/* A bare number of milliseconds (the CoreDNS redis plugins' unit) gets
 * its unit; anything else is left for the duration parser to judge. */
static void redis_cf_ms(const char *text, char *out, size_t cap)
{
    bool digits = text[0] != '\0' && strspn(text, "0123456789") == strlen(text);
    snprintf(out, cap, "%s%s", text, digits ? "ms" : "");
}

int redis_cf_set(cfg_node_t *map, const char *key, const cf_line_t *l, const char *value,
                 const char *what, cfg_error_t *err)
{
    const cf_token_t *at = &l->args[0];
    cfg_node_t *old = cfg_peek(map, key);
    if (old == NULL) {
        return cf_put(map, key, at, value, err);
    }
    if (strcmp(old->value, value) != 0) {
        return cf_fail(err, at, "%s: %s differs from %s:%d (it applies to all redis blocks)", what,
                       l->opt->text, old->file, old->line);
    }
    return 0;
}

const char *redis_cf_value(const cf_line_t *l, const char *what, cfg_error_t *err)
{
    if (l->block) {
        cf_fail(err, l->opt, "%s: %s takes no block", what, l->opt->text);
        return NULL;
    }
    if (l->nargs != 1) {
        cf_fail(err, l->opt, "%s: %s takes one value", what, l->opt->text);
        return NULL;
    }
    return l->args[0].text;
}

/* Add one node address ("host:port", "/path", "unix:///path"). */
static int redis_cf_address(cfg_node_t *be, cfg_node_t **addrs, const cf_token_t *at,
                            const char *text, size_t len, cfg_error_t *err)
{
    char one[512];
    if (len == 0) {
        return 0;
    }
    if (len >= sizeof(one)) {
        return cf_fail(err, at, "redis: address too long");
    }
    memcpy(one, text, len);
    one[len] = '\0';
    const char *addr = one;
    if (strncmp(addr, "unix://", 7) == 0) {
        addr += 7;
    } else if (strncmp(addr, "unix:", 5) == 0) {
        addr += 5;
    }
    if (*addrs == NULL && (*addrs = cf_put_node(be, "addresses", at, CFG_SEQ, err)) == NULL) {
        return -1;
    }
    return cf_add(*addrs, at, addr, err);
}

int redis_cf_addresses(cfg_node_t *map, cfg_node_t **addrs, const cf_line_t *l, const char *what,
                       cfg_error_t *err)
{
    if (l->block) {
        return cf_fail(err, l->opt, "%s: %s takes no block", what, l->opt->text);
    }
    if (l->nargs == 0) {
        return cf_fail(err, l->opt, "%s: %s needs HOST:PORT or a socket path", what, l->opt->text);
    }
    for (size_t k = 0; k < l->nargs; k++) { /* "a:6379,b:6379" is two nodes too */
        const char *p = l->args[k].text;
        for (const char *comma; (comma = strchr(p, ',')) != NULL; p = comma + 1) {
            if (redis_cf_address(map, addrs, &l->args[k], p, (size_t)(comma - p), err) != 0) {
                return -1;
            }
        }
        if (redis_cf_address(map, addrs, &l->args[k], p, strlen(p), err) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Options of the whole redis section that are one value, as in YAML
 * (same key, same value syntax); every redis block must agree. */
static const char *const global_options[] = {
    "max_drop",        "drop_confirm",  "state_file",  "resync_interval",       "max_backoff",
    "notify_interval", "stream_maxlen", "default_ttl", "keyspace_notifications"};

/* One option line of a redis block. */
static int redis_cf_option(cfg_node_t *redis, cfg_node_t *be, cfg_node_t **addrs,
                           const cf_line_t *l, cfg_error_t *err)
{
    static const char *const single[] = {"password", "username", "prefix", "suffix", "db", "name"};
    const cf_token_t *t = l->opt;
    if (strcmp(t->text, "address") == 0 || strcmp(t->text, "addresses") == 0) {
        return redis_cf_addresses(be, addrs, l, "redis", err);
    }
    for (size_t i = 0; i < sizeof(fork_options) / sizeof(fork_options[0]); i++) {
        if (strcmp(t->text, fork_options[i]) == 0) {
            log_warn("%s:%d: redis: option '%s' (of a fork of the CoreDNS redis plugin) has no "
                     "effect in vmdnsd; ignored",
                     t->file, t->line, t->text);
            return 0;
        }
    }
    if (strcmp(t->text, "limits") == 0) {
        return redis_cf_limits(redis, l, err);
    }
    if (strcmp(t->text, "defaults") == 0) {
        return redis_cf_defaults(redis, l, err);
    }
    if (strcmp(t->text, "sentinel") == 0) {
        return redis_cf_sentinel(be, l, err);
    }
    if (l->block) {
        return cf_fail(err, t, "redis: %s takes no block", t->text);
    }
    if (strcmp(t->text, "fallthrough") == 0) {
        return 0; /* every source answers from one view: nothing to fall through to */
    }
    const char *v = redis_cf_value(l, "redis", err);
    if (v == NULL) {
        return -1;
    }
    const char *key = strcmp(t->text, "database") == 0 ? "db" : t->text;
    for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++) {
        if (strcmp(key, single[i]) != 0) {
            continue;
        }
        if (cfg_peek(be, single[i]) != NULL) {
            return cf_fail(err, t, "redis: %s given twice", t->text);
        }
        return cf_put(be, single[i], &l->args[0], v, err);
    }
    char ms[64];
    if (strcmp(t->text, "connect_timeout") == 0 || strcmp(t->text, "read_timeout") == 0) {
        redis_cf_ms(v, ms, sizeof(ms));
        return redis_cf_set(redis, t->text, l, ms, "redis", err);
    }
    if (strcmp(t->text, "ttl") == 0) {
        return redis_cf_set(redis, "default_ttl", l, v, "redis", err);
    }
    for (size_t i = 0; i < sizeof(global_options) / sizeof(global_options[0]); i++) {
        if (strcmp(t->text, global_options[i]) == 0) {
            return redis_cf_set(redis, t->text, l, v, "redis", err);
        }
    }
    return cf_fail(err, t, "redis: unknown option '%s'", t->text);
}

/* The zone arguments of `redis ZONES...` into the backend's `zones:`. */
static int redis_cf_zones(cfg_node_t *be, const cf_directive_t *d, cfg_error_t *err)
{
    if (d->nargs == 0) {
        return 0; /* every zone found in Redis */
    }
    cfg_node_t *zones = cf_put_node(be, "zones", d->name, CFG_SEQ, err);
    if (zones == NULL) {
        return -1;
    }
    for (size_t i = 0; i < d->nargs; i++) {
        char zone[CF_ZONE_TEXT];
        if (cf_zone_name(&d->args[i], d->args[i].text, zone, err) != 0 ||
            cf_add(zones, &d->args[i], zone, err) != 0) {
            return -1;
        }
    }
    return 0;
}

int redis_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    cfg_node_t *redis = cf_section(ctx, "redis", d->name, CFG_MAP, err);
    if (redis == NULL) {
        return -1;
    }
    cfg_node_t *backends = cfg_peek(redis, "backends");
    if (backends == NULL &&
        (backends = cf_put_node(redis, "backends", d->name, CFG_SEQ, err)) == NULL) {
        return -1;
    }
    cfg_node_t *be = cf_add_node(backends, d->name, CFG_MAP, err);
    if (be == NULL || redis_cf_zones(be, d, err) != 0) {
        return -1;
    }
    cfg_node_t *addrs = NULL;
    cf_line_t l;
    for (size_t pos = 0; d->block && cf_next_line(d, &pos, &l);) {
        if (redis_cf_option(redis, be, &addrs, &l, err) != 0) {
            return -1;
        }
    }
    cfg_node_t *sentinel = cfg_peek(be, "sentinel");
    if (addrs != NULL && sentinel != NULL) {
        return cfg_fail(err, sentinel,
                        "redis: sentinel: a redis block has either address lines or a "
                        "sentinel, not both");
    }
    if (addrs == NULL && sentinel == NULL &&
        redis_cf_address(be, &addrs, d->name, "localhost:6379", strlen("localhost:6379"), err) !=
            0) {
        return -1; /* no address: the plugins' default */
    }
    if (cfg_peek(be, "name") == NULL) {
        char name[32];
        snprintf(name, sizeof(name), "redis%zu", backends->n);
        return cf_put(be, "name", d->name, name, err);
    }
    return 0;
}
