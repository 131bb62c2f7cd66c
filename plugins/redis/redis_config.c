/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_config.c - read and check the `redis:` config section.
 *
 * The reader walks the tree once, filling plain structs; every problem is
 * reported at the line of the offending key with cfg_fail(). Durations use
 * the shared syntax (cfg_duration_ms: "1s", "500ms"), names the shared name
 * parser, so a bad default SOA name fails at startup rather than at the
 * first zone that needs it.
 */
#include "redis/redis_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/name.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 1000
#define DEFAULT_READ_TIMEOUT_MS    5000
#define DEFAULT_RESYNC_MS          60000
#define DEFAULT_MAX_BACKOFF_MS     5000
#define DEFAULT_STREAM_MAXLEN      1000000
#define DEFAULT_TTL                300
#define DEFAULT_MAX_DROP_PCT       50
#define DEFAULT_DROP_CONFIRM_MS    (5 * 60 * 1000)

/* An optional string: copy it, or leave NULL when absent. */
static int opt_string(cfg_node_t *map, const char *key, char **out, cfg_error_t *err)
{
    cfg_node_t *n = cfg_get(map, key);
    const char *s;
    if (n == NULL) {
        return 0;
    }
    if (cfg_string(n, &s, err) != 0) {
        return -1;
    }
    *out = strdup(s);
    return *out ? 0 : cfg_fail(err, n, "out of memory");
}

static int opt_duration(cfg_node_t *map, const char *key, uint64_t *out, cfg_error_t *err)
{
    cfg_node_t *n = cfg_get(map, key);
    return n == NULL ? 0 : cfg_duration_ms(n, out, err);
}

/* A share of names: "50%" or 50 (0..100). */
static int opt_percent(cfg_node_t *map, const char *key, uint32_t *out, cfg_error_t *err)
{
    cfg_node_t *n = cfg_get(map, key);
    const char *s;
    if (n == NULL) {
        return 0;
    }
    if (cfg_string(n, &s, err) != 0) {
        return -1;
    }
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || (*end != '\0' && strcmp(end, "%") != 0) || v > 100) {
        return cfg_fail(err, n, "redis: %s must be a percentage from 0%% to 100%% (e.g. 50%%)",
                        key);
    }
    *out = (uint32_t)v;
    return 0;
}

static int opt_u32(cfg_node_t *map, const char *key, uint32_t max, uint32_t *out, cfg_error_t *err)
{
    cfg_node_t *n = cfg_get(map, key);
    uint64_t v;
    if (n == NULL) {
        return 0;
    }
    if (cfg_uint(n, 0, max, &v, err) != 0) {
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/* A list of addresses (a sequence of strings, or one string). */
static int read_addrs(cfg_node_t *n, uint16_t default_port, redis_addr_t **out, size_t *count,
                      cfg_error_t *err)
{
    size_t total = n->kind == CFG_SEQ ? n->n : 1;
    if (n->kind == CFG_MAP || total == 0) {
        return cfg_fail(err, n, "addresses: expected a list of \"host:port\"");
    }
    *out = calloc(total, sizeof(**out));
    if (*out == NULL) {
        return cfg_fail(err, n, "out of memory");
    }
    for (size_t i = 0; i < total; i++) {
        cfg_node_t *item = n->kind == CFG_SEQ ? n->items[i] : n;
        const char *s;
        if (cfg_string(item, &s, err) != 0) {
            return -1;
        }
        char why[300];
        if (vmdns_hostport_parse(s, VMDNS_HP_UNIX, default_port, &(*out)[i], why, sizeof(why)) !=
            0) {
            return cfg_fail(err, item, "bad address %s (expected host:port or /socket/path)", why);
        }
    }
    *count = total;
    return 0;
}

static int read_sentinel(cfg_node_t *n, redis_backend_config_t *b, cfg_error_t *err)
{
    if (n->kind != CFG_MAP) {
        return cfg_fail(err, n, "sentinel: expected {addresses: [...], master: NAME}");
    }
    cfg_node_t *addrs = cfg_get(n, "addresses");
    cfg_node_t *master = cfg_get(n, "master");
    const char *m;
    if (addrs == NULL) {
        return cfg_fail(err, n, "sentinel: 'addresses' is required");
    }
    if (master == NULL) {
        return cfg_fail(err, n, "sentinel: 'master' is required");
    }
    if (cfg_string(master, &m, err) != 0) {
        return -1;
    }
    if ((b->master = strdup(m)) == NULL) {
        return cfg_fail(err, master, "out of memory");
    }
    b->sentinel = true;
    if (opt_string(n, "username", &b->sentinel_username, err) != 0 ||
        opt_string(n, "password", &b->sentinel_password, err) != 0) {
        return -1;
    }
    return read_addrs(addrs, 26379, &b->addrs, &b->naddrs, err);
}

/* `zones:` of a backend: a list of zone names (or one). */
static int read_zones(cfg_node_t *n, redis_backend_config_t *b, cfg_error_t *err)
{
    size_t total = n->kind == CFG_SEQ ? n->n : 1;
    if (n->kind == CFG_MAP) {
        return cfg_fail(err, n, "zones: expected a list of zone names");
    }
    b->zones = calloc(total ? total : 1, sizeof(*b->zones));
    b->zone_lens = calloc(total ? total : 1, sizeof(*b->zone_lens));
    if (b->zones == NULL || b->zone_lens == NULL) {
        return cfg_fail(err, n, "out of memory");
    }
    for (size_t i = 0; i < total; i++) {
        cfg_node_t *item = n->kind == CFG_SEQ ? n->items[i] : n;
        const char *s;
        if (cfg_string(item, &s, err) != 0) {
            return -1;
        }
        if ((b->zone_lens[i] = name_from_text(s, b->zones[i])) == 0) {
            return cfg_fail(err, item, "zones: bad zone name '%s'", s);
        }
        b->nzones = i + 1;
    }
    return 0;
}

bool redis_backend_serves(const redis_backend_config_t *b, const uint8_t *apex, size_t apex_len)
{
    if (b->nzones == 0) {
        return true;
    }
    for (size_t i = 0; i < b->nzones; i++) {
        if (b->zone_lens[i] == apex_len && memcmp(b->zones[i], apex, apex_len) == 0) {
            return true;
        }
    }
    return false;
}

static int read_backend(cfg_node_t *n, redis_backend_config_t *b, cfg_error_t *err)
{
    if (n->kind != CFG_MAP) {
        return cfg_fail(err, n, "backends: each entry must be a map with 'name'");
    }
    cfg_node_t *name = cfg_get(n, "name");
    cfg_node_t *addrs = cfg_get(n, "addresses");
    cfg_node_t *sentinel = cfg_get(n, "sentinel");
    cfg_node_t *db = cfg_get(n, "db");
    if (name == NULL) {
        return cfg_fail(err, n, "backend without 'name'");
    }
    if (opt_string(n, "name", &b->name, err) != 0 || opt_string(n, "username", &b->username, err) ||
        opt_string(n, "password", &b->password, err) != 0 ||
        opt_string(n, "prefix", &b->prefix, err) != 0 ||
        opt_string(n, "suffix", &b->suffix, err) != 0) {
        return -1;
    }
    if (b->name[0] == '\0') {
        return cfg_fail(err, name, "backend name must not be empty");
    }
    if (b->username != NULL && b->password == NULL) {
        return cfg_fail(err, n, "backend '%s': 'username' needs 'password'", b->name);
    }
    if ((addrs == NULL) == (sentinel == NULL)) {
        return cfg_fail(err, n, "backend '%s': give either 'addresses' or 'sentinel'", b->name);
    }
    if (db != NULL) {
        uint64_t v;
        if (cfg_uint(db, 0, 1000000, &v, err) != 0) {
            return -1;
        }
        b->db = (unsigned)v;
    }
    cfg_node_t *zones = cfg_get(n, "zones");
    if (zones != NULL && read_zones(zones, b, err) != 0) {
        return -1;
    }
    if ((b->prefix == NULL && (b->prefix = strdup("")) == NULL) ||
        (b->suffix == NULL && (b->suffix = strdup("")) == NULL)) {
        return cfg_fail(err, n, "out of memory");
    }
    return addrs ? read_addrs(addrs, 6379, &b->addrs, &b->naddrs, err)
                 : read_sentinel(sentinel, b, err);
}

static int read_name(cfg_node_t *n, uint8_t out[NAME_MAX_WIRE], size_t *len, cfg_error_t *err)
{
    const char *s;
    if (cfg_string(n, &s, err) != 0) {
        return -1;
    }
    *len = name_from_text(s, out);
    return *len ? 0 : cfg_fail(err, n, "bad domain name '%s'", s);
}

static int read_defaults(cfg_node_t *n, redis_defaults_t *d, cfg_error_t *err)
{
    if (n->kind != CFG_MAP) {
        return cfg_fail(err, n, "defaults: expected {soa: {...}, ns: [...]}");
    }
    cfg_node_t *soa = cfg_get(n, "soa");
    cfg_node_t *ns = cfg_get(n, "ns");
    if (soa != NULL) {
        cfg_node_t *mname, *mbox;
        if (soa->kind != CFG_MAP) {
            return cfg_fail(err, soa, "defaults.soa: expected a map");
        }
        if ((mname = cfg_get(soa, "ns")) != NULL && read_name(mname, d->mname, &d->mname_len, err))
            return -1;
        if ((mbox = cfg_get(soa, "mbox")) != NULL && read_name(mbox, d->mbox, &d->mbox_len, err))
            return -1;
        if (opt_u32(soa, "ttl", 0x7fffffff, &d->ttl, err) != 0 ||
            opt_u32(soa, "refresh", UINT32_MAX, &d->refresh, err) != 0 ||
            opt_u32(soa, "retry", UINT32_MAX, &d->retry, err) != 0 ||
            opt_u32(soa, "expire", UINT32_MAX, &d->expire, err) != 0 ||
            opt_u32(soa, "minttl", UINT32_MAX, &d->minttl, err) != 0) {
            return -1;
        }
    }
    if (ns != NULL) {
        size_t total = ns->kind == CFG_SEQ ? ns->n : 1;
        if (ns->kind == CFG_MAP || total > REDIS_MAX_DEFAULT_NS) {
            return cfg_fail(err, ns, "defaults.ns: expected a list of at most %d names",
                            REDIS_MAX_DEFAULT_NS);
        }
        for (size_t i = 0; i < total; i++) {
            cfg_node_t *item = ns->kind == CFG_SEQ ? ns->items[i] : ns;
            if (read_name(item, d->ns[i], &d->ns_len[i], err) != 0) {
                return -1;
            }
        }
        d->nns = total;
    }
    return 0;
}

int redis_config_read(cfg_node_t *node, redis_config_t *cfg, cfg_error_t *err)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
    cfg->read_timeout_ms = DEFAULT_READ_TIMEOUT_MS;
    cfg->resync_interval_ms = DEFAULT_RESYNC_MS;
    cfg->max_backoff_ms = DEFAULT_MAX_BACKOFF_MS;
    cfg->stream_maxlen = DEFAULT_STREAM_MAXLEN;
    cfg->default_ttl = DEFAULT_TTL;
    cfg->keyspace_notifications = true;
    redis_limits_default(&cfg->limits);
    cfg->max_drop_pct = DEFAULT_MAX_DROP_PCT;
    cfg->drop_confirm_ms = DEFAULT_DROP_CONFIRM_MS;
    cfg->defaults = (redis_defaults_t){
        .ttl = 300, .refresh = 3600, .retry = 600, .expire = 86400, .minttl = 30};

    if (node->kind != CFG_MAP) {
        return cfg_fail(err, node, "redis: expected a map with 'backends'");
    }
    cfg_node_t *backends = cfg_get(node, "backends");
    cfg_node_t *maxlen = cfg_get(node, "stream_maxlen");
    cfg_node_t *notify = cfg_get(node, "keyspace_notifications");
    cfg_node_t *defaults = cfg_get(node, "defaults");
    int rc = -1;
    if (backends == NULL || backends->kind != CFG_SEQ || backends->n == 0) {
        cfg_fail(err, backends ? backends : node, "redis: 'backends' must be a non-empty list");
        goto out;
    }
    if (backends->n > REDIS_MAX_BACKENDS) {
        cfg_fail(err, backends, "redis: at most %d backends", REDIS_MAX_BACKENDS);
        goto out;
    }
    cfg->backends = calloc(backends->n, sizeof(*cfg->backends));
    if (cfg->backends == NULL) {
        cfg_fail(err, backends, "out of memory");
        goto out;
    }
    cfg->nbackends = backends->n;
    for (size_t i = 0; i < backends->n; i++) {
        if (read_backend(backends->items[i], &cfg->backends[i], err) != 0) {
            goto out;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cfg->backends[j].name, cfg->backends[i].name) == 0) {
                cfg_fail(err, backends->items[i], "backend name '%s' used twice",
                         cfg->backends[i].name);
                goto out;
            }
        }
    }
    if (opt_duration(node, "connect_timeout", &cfg->connect_timeout_ms, err) != 0 ||
        opt_duration(node, "read_timeout", &cfg->read_timeout_ms, err) != 0 ||
        opt_duration(node, "resync_interval", &cfg->resync_interval_ms, err) != 0 ||
        opt_duration(node, "max_backoff", &cfg->max_backoff_ms, err) != 0 ||
        opt_duration(node, "drop_confirm", &cfg->drop_confirm_ms, err) != 0 ||
        opt_percent(node, "max_drop", &cfg->max_drop_pct, err) != 0 ||
        opt_string(node, "state_file", &cfg->state_file, err) != 0 ||
        opt_u32(node, "default_ttl", 0x7fffffff, &cfg->default_ttl, err) != 0) {
        goto out;
    }
    if (cfg->connect_timeout_ms == 0 || cfg->read_timeout_ms == 0) {
        cfg_fail(err, node, "redis: connect_timeout and read_timeout must be above 0");
        goto out;
    }
    if (cfg->max_backoff_ms < 100) {
        cfg->max_backoff_ms = 100;
    }
    if (maxlen != NULL && cfg_uint(maxlen, 1, UINT64_MAX, &cfg->stream_maxlen, err) != 0) {
        goto out;
    }
    if (notify != NULL && cfg_bool(notify, &cfg->keyspace_notifications, err) != 0) {
        goto out;
    }
    if (defaults != NULL && read_defaults(defaults, &cfg->defaults, err) != 0) {
        goto out;
    }
    if (redis_limits_read(node, &cfg->limits, err) != 0) {
        goto out;
    }
    rc = 0;
out:
    if (rc != 0) {
        redis_config_free(cfg);
    }
    return rc;
}

void redis_config_free(redis_config_t *cfg)
{
    free(cfg->state_file);
    for (size_t i = 0; i < cfg->nbackends; i++) {
        redis_backend_config_t *b = &cfg->backends[i];
        free(b->name);
        free(b->addrs);
        free(b->master);
        free(b->sentinel_username);
        free(b->sentinel_password);
        free(b->username);
        free(b->password);
        free(b->prefix);
        free(b->suffix);
        free(b->zones);
        free(b->zone_lens);
    }
    free(cfg->backends);
    memset(cfg, 0, sizeof(*cfg));
}

/* Two optional strings are the same (NULL only equals NULL). */
static bool same_str(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static bool same_backend(const redis_backend_config_t *a, const redis_backend_config_t *b)
{
    if (!same_str(a->name, b->name) || a->naddrs != b->naddrs || a->sentinel != b->sentinel ||
        !same_str(a->master, b->master) || !same_str(a->sentinel_username, b->sentinel_username) ||
        !same_str(a->sentinel_password, b->sentinel_password) ||
        !same_str(a->username, b->username) || !same_str(a->password, b->password) ||
        a->db != b->db || !same_str(a->prefix, b->prefix) || !same_str(a->suffix, b->suffix)) {
        return false;
    }
    if (a->nzones != b->nzones) {
        return false;
    }
    for (size_t i = 0; i < a->nzones; i++) {
        if (a->zone_lens[i] != b->zone_lens[i] ||
            memcmp(a->zones[i], b->zones[i], a->zone_lens[i]) != 0) {
            return false;
        }
    }
    for (size_t i = 0; i < a->naddrs; i++) {
        if (a->addrs[i].port != b->addrs[i].port ||
            strcmp(a->addrs[i].host, b->addrs[i].host) != 0) {
            return false;
        }
    }
    return true;
}

bool redis_defaults_equal(const redis_defaults_t *a, const redis_defaults_t *b)
{
    if (a->mname_len != b->mname_len || memcmp(a->mname, b->mname, a->mname_len) != 0 ||
        a->mbox_len != b->mbox_len || memcmp(a->mbox, b->mbox, a->mbox_len) != 0 ||
        a->ttl != b->ttl || a->refresh != b->refresh || a->retry != b->retry ||
        a->expire != b->expire || a->minttl != b->minttl || a->nns != b->nns) {
        return false;
    }
    for (size_t i = 0; i < a->nns; i++) {
        if (a->ns_len[i] != b->ns_len[i] || memcmp(a->ns[i], b->ns[i], a->ns_len[i]) != 0) {
            return false;
        }
    }
    return true;
}

bool redis_config_equal(const redis_config_t *a, const redis_config_t *b)
{
    if (a->nbackends != b->nbackends || a->connect_timeout_ms != b->connect_timeout_ms ||
        a->read_timeout_ms != b->read_timeout_ms ||
        a->resync_interval_ms != b->resync_interval_ms || a->max_backoff_ms != b->max_backoff_ms ||
        a->stream_maxlen != b->stream_maxlen || a->default_ttl != b->default_ttl ||
        a->keyspace_notifications != b->keyspace_notifications ||
        !redis_limits_equal(&a->limits, &b->limits) || a->max_drop_pct != b->max_drop_pct ||
        a->drop_confirm_ms != b->drop_confirm_ms || !same_str(a->state_file, b->state_file) ||
        !redis_defaults_equal(&a->defaults, &b->defaults)) {
        return false;
    }
    for (size_t i = 0; i < a->nbackends; i++) {
        if (!same_backend(&a->backends[i], &b->backends[i])) {
            return false;
        }
    }
    return true;
}

bool redis_config_backend_equal(const redis_config_t *a, size_t i, const redis_config_t *b,
                                size_t j)
{
    return a->connect_timeout_ms == b->connect_timeout_ms &&
           a->read_timeout_ms == b->read_timeout_ms &&
           a->resync_interval_ms == b->resync_interval_ms &&
           a->max_backoff_ms == b->max_backoff_ms &&
           a->keyspace_notifications == b->keyspace_notifications &&
           a->max_drop_pct == b->max_drop_pct && a->drop_confirm_ms == b->drop_confirm_ms &&
           same_backend(&a->backends[i], &b->backends[j]);
}

bool redis_config_data_equal(const redis_config_t *a, const redis_config_t *b)
{
    return a->default_ttl == b->default_ttl && redis_defaults_equal(&a->defaults, &b->defaults) &&
           redis_limits_equal(&a->limits, &b->limits);
}
