/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_corefile_groups.c - the options of the `redis` Corefile directive
 * that are groups in the YAML (a map under one key) and so a block of
 * lines of their own in the Corefile, with the YAML's key names:
 *
 *   redis {                                 redis:
 *       limits {                              limits:
 *           records_per_name 1000               records_per_name: 1000
 *           value_bytes 1048576                 value_bytes: 1048576
 *           names_per_zone 10000000             names_per_zone: 10000000
 *           zones_per_backend 100000            zones_per_backend: 100000
 *       }
 *       defaults {                            defaults:
 *           soa {                               soa:
 *               ns ns1.vm.example.com.            ns: ns1.vm.example.com.
 *               mbox hostmaster.vm.example.com.   mbox: hostmaster.vm.example.com.
 *               ttl 300                           ttl: 300  (refresh, retry,
 *           }                                     expire, minttl alike)
 *           ns ns1.vm.example.com. ns2...       ns: [ns1.vm.example.com., ns2...]
 *       }
 *       sentinel {                            backends: [{sentinel:
 *           addresses 10.1.0.1:26379 ...        {addresses: [10.1.0.1:26379, ...],
 *           master eu-west                       master: eu-west,
 *           username U                           username: U, password: P}}]
 *           password P
 *       }
 *   }
 *
 * limits and defaults apply to every backend: every redis block that gives
 * one of their values must give the same. sentinel is the block's backend
 * (instead of address lines). Values are left as text: redis_config.c and
 * redis_limits.c check them, at the Corefile line, as they do the YAML's.
 */
#include <stdbool.h>
#include <string.h>

#include "redis/redis_corefile.h"

/* The map `key` under parent for group line l (which must be `KEY {
 * ... }` with no arguments): the one an earlier block made, else a new
 * one. NULL with err. */
static cfg_node_t *redis_cf_group(cfg_node_t *parent, const char *key, const char *what,
                                  const cf_line_t *l, cfg_error_t *err)
{
    if (!l->block) {
        cf_fail(err, l->opt, "%s: %s needs a block of lines (%s { ... })", what, l->opt->text,
                l->opt->text);
        return NULL;
    }
    if (l->nargs != 0) {
        cf_fail(err, &l->args[0], "%s: %s takes no arguments before its block", what, l->opt->text);
        return NULL;
    }
    cfg_node_t *n = cfg_peek(parent, key);
    return n != NULL ? n : cf_put_node(parent, key, l->opt, CFG_MAP, err);
}

/* Is word one of the n names? */
static bool redis_cf_known(const char *word, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(word, names[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* The lines of a group whose options are one value each, among `names`,
 * into map (every block the same). */
static int redis_cf_scalars(cfg_node_t *map, const cf_line_t *group, const char *what,
                            const char *const *names, size_t nnames, cfg_error_t *err)
{
    cf_directive_t d;
    cf_line_t o;
    cf_line_block(group, &d);
    for (size_t pos = 0; cf_next_line(&d, &pos, &o);) {
        if (!redis_cf_known(o.opt->text, names, nnames)) {
            return cf_fail(err, o.opt, "%s: unknown option '%s'", what, o.opt->text);
        }
        const char *v = redis_cf_value(&o, what, err);
        if (v == NULL || redis_cf_set(map, o.opt->text, &o, v, what, err) != 0) {
            return -1;
        }
    }
    return 0;
}

int redis_cf_limits(cfg_node_t *redis, const cf_line_t *l, cfg_error_t *err)
{
    static const char *const names[] = {"records_per_name", "value_bytes", "names_per_zone",
                                        "zones_per_backend"};
    cfg_node_t *limits = redis_cf_group(redis, "limits", "redis", l, err);
    if (limits == NULL) {
        return -1;
    }
    cf_directive_t d;
    cf_line_t o;
    cf_line_block(l, &d);
    for (size_t pos = 0; cf_next_line(&d, &pos, &o);) {
        const char *v;
        if (strcmp(o.opt->text, "notify_interval") == 0) {
            /* the YAML has it beside limits:, redis_limits.h reads it with them */
            if ((v = redis_cf_value(&o, "redis: limits", err)) == NULL ||
                redis_cf_set(redis, "notify_interval", &o, v, "redis: limits", err) != 0) {
                return -1;
            }
            continue;
        }
        if (!redis_cf_known(o.opt->text, names, sizeof(names) / sizeof(names[0]))) {
            return cf_fail(err, o.opt, "redis: limits: unknown option '%s'", o.opt->text);
        }
        if ((v = redis_cf_value(&o, "redis: limits", err)) == NULL ||
            redis_cf_set(limits, o.opt->text, &o, v, "redis: limits", err) != 0) {
            return -1;
        }
    }
    return 0;
}

/* `ns NAME...` of defaults: the list, the same in every block. */
static int redis_cf_default_ns(cfg_node_t *defaults, const cf_line_t *l, cfg_error_t *err)
{
    if (l->block) {
        return cf_fail(err, l->opt, "redis: defaults: ns takes no block");
    }
    if (l->nargs == 0) {
        return cf_fail(err, l->opt, "redis: defaults: ns needs at least one name");
    }
    cfg_node_t *old = cfg_peek(defaults, "ns");
    if (old == NULL) {
        cfg_node_t *ns = cf_put_node(defaults, "ns", l->opt, CFG_SEQ, err);
        if (ns == NULL) {
            return -1;
        }
        for (size_t i = 0; i < l->nargs; i++) {
            if (cf_add(ns, &l->args[i], l->args[i].text, err) != 0) {
                return -1;
            }
        }
        return 0;
    }
    bool same = old->n == l->nargs;
    for (size_t i = 0; same && i < l->nargs; i++) {
        same = strcmp(old->items[i]->value, l->args[i].text) == 0;
    }
    return same ? 0
                : cf_fail(err, l->opt,
                          "redis: defaults: ns differs from %s:%d (it applies to all redis blocks)",
                          old->file, old->line);
}

int redis_cf_defaults(cfg_node_t *redis, const cf_line_t *l, cfg_error_t *err)
{
    static const char *const soa_names[] = {"ns",    "mbox",   "ttl",   "refresh",
                                            "retry", "expire", "minttl"};
    cfg_node_t *defaults = redis_cf_group(redis, "defaults", "redis", l, err);
    if (defaults == NULL) {
        return -1;
    }
    cf_directive_t d;
    cf_line_t o;
    cf_line_block(l, &d);
    for (size_t pos = 0; cf_next_line(&d, &pos, &o);) {
        if (strcmp(o.opt->text, "ns") == 0) {
            if (redis_cf_default_ns(defaults, &o, err) != 0) {
                return -1;
            }
            continue;
        }
        if (strcmp(o.opt->text, "soa") != 0) {
            return cf_fail(err, o.opt, "redis: defaults: unknown option '%s' (soa or ns)",
                           o.opt->text);
        }
        cfg_node_t *soa = redis_cf_group(defaults, "soa", "redis: defaults", &o, err);
        if (soa == NULL || redis_cf_scalars(soa, &o, "redis: defaults: soa", soa_names,
                                            sizeof(soa_names) / sizeof(soa_names[0]), err) != 0) {
            return -1;
        }
    }
    return 0;
}

int redis_cf_sentinel(cfg_node_t *be, const cf_line_t *l, cfg_error_t *err)
{
    static const char *const single[] = {"master", "username", "password"};
    cfg_node_t *old = cfg_peek(be, "sentinel");
    if (old != NULL) {
        return cf_fail(err, l->opt, "redis: sentinel given twice (first at %s:%d)", old->file,
                       old->line);
    }
    cfg_node_t *sentinel = redis_cf_group(be, "sentinel", "redis", l, err);
    if (sentinel == NULL) {
        return -1;
    }
    cfg_node_t *addrs = NULL;
    cf_directive_t d;
    cf_line_t o;
    cf_line_block(l, &d);
    for (size_t pos = 0; cf_next_line(&d, &pos, &o);) {
        const char *opt = o.opt->text;
        if (strcmp(opt, "address") == 0 || strcmp(opt, "addresses") == 0) {
            if (redis_cf_addresses(sentinel, &addrs, &o, "redis: sentinel", err) != 0) {
                return -1;
            }
            continue;
        }
        if (!redis_cf_known(opt, single, sizeof(single) / sizeof(single[0]))) {
            return cf_fail(err, o.opt, "redis: sentinel: unknown option '%s'", opt);
        }
        const char *v = redis_cf_value(&o, "redis: sentinel", err);
        if (v == NULL) {
            return -1;
        }
        if (cfg_peek(sentinel, opt) != NULL) {
            return cf_fail(err, o.opt, "redis: sentinel: %s given twice", opt);
        }
        if (cf_put(sentinel, opt, &o.args[0], v, err) != 0) {
            return -1;
        }
    }
    return 0;
}
