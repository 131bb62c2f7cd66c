/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_corefile.h - helpers shared by the two files that read the `redis`
 * Corefile directive: redis_corefile.c (the directive and its one-line
 * options) and redis_corefile_groups.c (the options with a block of their
 * own: limits, defaults, sentinel). Internal to the redis plugin.
 */
#ifndef VMDNS_REDIS_COREFILE_H
#define VMDNS_REDIS_COREFILE_H

#include "config/cfg.h"
#include "config/corefile_plugin.h"

/* `key: value` in map for option line l, for an option that applies to
 * every redis block: set the first time, the same value again is fine, a
 * different one is "FILE:LINE: WHAT: OPT differs from FILE:LINE (it
 * applies to all redis blocks)" (WHAT: "redis", "redis: limits" ...).
 * 0, or -1 with err. */
int redis_cf_set(cfg_node_t *map, const char *key, const cf_line_t *l, const char *value,
                 const char *what, cfg_error_t *err);

/* The one value of option line l, checked: one argument and no block,
 * else "FILE:LINE: WHAT: OPT takes one value" (WHAT is "redis" or
 * "redis: limits" ...). NULL with err. */
const char *redis_cf_value(const cf_line_t *l, const char *what, cfg_error_t *err);

/* The addresses on line l (each argument one node, or a comma-separated
 * list of nodes; `unix://PATH` is PATH) added to the `addresses` list of
 * map, made at the first (*addrs NULL). 0, or -1 with err. */
int redis_cf_addresses(cfg_node_t *map, cfg_node_t **addrs, const cf_line_t *l, const char *what,
                       cfg_error_t *err);

/* `limits { records_per_name N ... }` into redis.limits (every block the
 * same). 0, or -1 with err. */
int redis_cf_limits(cfg_node_t *redis, const cf_line_t *l, cfg_error_t *err);

/* `defaults { soa { ns N mbox M ttl T ... } ns NS... }` into
 * redis.defaults (every block the same). 0, or -1 with err. */
int redis_cf_defaults(cfg_node_t *redis, const cf_line_t *l, cfg_error_t *err);

/* `sentinel { addresses A...; master NAME; username U; password P }` into
 * the backend be's `sentinel` map. 0, or -1 with err. */
int redis_cf_sentinel(cfg_node_t *be, const cf_line_t *l, cfg_error_t *err);

#endif
