/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_corefile.c - the `redis` Corefile directive, as the `redis:` section.
 *
 *   Corefile                              tree (as YAML, see redis_config.h)
 *   redis { address A; password P;        redis: {backends: [{name: redisN, addresses: [A, ...],
 *           prefix P; suffix S; db N;              password, prefix, suffix, db}, ...],
 *           connect_timeout MS;                   connect_timeout: MSms, read_timeout: MSms,
 *           read_timeout MS; ttl N }              default_ttl: N}
 *
 * Several address lines are nodes of one backend; several redis blocks (in
 * one server block or several) are several backends, named redis1, redis2,
 * ... unless a block says `name`. The options that apply to every backend
 * (timeouts, ttl) must then say the same thing in every block. The values
 * are checked by redis_config.c, like the YAML's.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config/corefile_plugin.h"
#include "redis/redis_config.h"

/* A bare number of milliseconds (the CoreDNS redis plugins' unit) gets
 * its unit; anything else is left for the duration parser to judge. */
static void redis_cf_ms(const char *text, char *out, size_t cap)
{
    bool digits = text[0] != '\0' && strspn(text, "0123456789") == strlen(text);
    snprintf(out, cap, "%s%s", text, digits ? "ms" : "");
}

/* A redis-wide option given in one redis block: the same in every block. */
static int redis_cf_global(cfg_node_t *redis, const char *key, const cf_line_t *l,
                           const char *value, cfg_error_t *err)
{
    const cf_token_t *at = &l->args[0];
    cfg_node_t *old = cfg_peek(redis, key);
    if (old == NULL) {
        return cf_put(redis, key, at, value, err);
    }
    if (strcmp(old->value, value) != 0) {
        return cf_fail(err, at, "redis: %s differs from %s:%d (it applies to all redis blocks)",
                       l->opt->text, old->file, old->line);
    }
    return 0;
}

/* One option line of a redis block. */
static int redis_cf_option(cfg_node_t *redis, cfg_node_t *be, cfg_node_t **addrs,
                           const cf_line_t *l, cfg_error_t *err)
{
    static const char *const single[] = {"password", "username", "prefix", "suffix", "db", "name"};
    const cf_token_t *t = l->opt;
    if (strcmp(t->text, "address") == 0) {
        if (l->nargs == 0) {
            return cf_fail(err, t, "redis: address needs HOST:PORT");
        }
        if (*addrs == NULL && (*addrs = cf_put_node(be, "addresses", t, CFG_SEQ, err)) == NULL) {
            return -1;
        }
        for (size_t k = 0; k < l->nargs; k++) {
            if (cf_add(*addrs, &l->args[k], l->args[k].text, err) != 0) {
                return -1;
            }
        }
        return 0;
    }
    if (l->nargs != 1) {
        return cf_fail(err, t, "redis: %s takes one value", t->text);
    }
    const cf_token_t *v = &l->args[0];
    for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++) {
        if (strcmp(t->text, single[i]) != 0) {
            continue;
        }
        if (cfg_peek(be, single[i]) != NULL) {
            return cf_fail(err, t, "redis: %s given twice", t->text);
        }
        if (v->text[0] == '\0' &&
            (strcmp(t->text, "prefix") == 0 || strcmp(t->text, "suffix") == 0)) {
            return 0; /* an empty prefix is the default */
        }
        return cf_put(be, single[i], v, v->text, err);
    }
    char ms[64];
    if (strcmp(t->text, "connect_timeout") == 0 || strcmp(t->text, "read_timeout") == 0) {
        redis_cf_ms(v->text, ms, sizeof(ms));
        return redis_cf_global(redis, t->text, l, ms, err);
    }
    if (strcmp(t->text, "ttl") == 0) {
        return redis_cf_global(redis, "default_ttl", l, v->text, err);
    }
    return cf_fail(err, t, "redis: unknown option '%s'", t->text);
}

int redis_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    if (d->nargs > 0) {
        return cf_fail(err, d->name,
                       "redis: takes no arguments (the zones are found in Redis); put the "
                       "options in a block");
    }
    if (!d->block) {
        return cf_fail(err, d->name, "redis: needs a block with at least one 'address'");
    }
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
    if (be == NULL) {
        return -1;
    }
    cfg_node_t *addrs = NULL;
    cf_line_t l;
    for (size_t pos = 0; cf_next_line(d, &pos, &l);) {
        if (redis_cf_option(redis, be, &addrs, &l, err) != 0) {
            return -1;
        }
    }
    if (addrs == NULL) {
        return cf_fail(err, d->name, "redis: give at least one 'address HOST:PORT'");
    }
    if (cfg_peek(be, "name") == NULL) {
        char name[32];
        snprintf(name, sizeof(name), "redis%zu", backends->n);
        return cf_put(be, "name", d->name, name, err);
    }
    return 0;
}
