/*
 * redis.c - the `redis` plugin: zones served from Redis backends.
 *
 * A data source, like `file`: it has no per-query hook. At setup it reads
 * the `redis:` config, builds the merge (the union of all backends over the
 * view) and starts one thread per backend, which load in parallel and then
 * follow their change streams. Workers never wait for any of it; they
 * answer from the view, which fills as loads finish. /ready says "not
 * ready" (naming the backends) until every reachable backend has finished
 * its first load. The backends' counters are exported as vmdns_redis_*
 * metrics (redis_metrics.c) by a collector registered at setup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/plugin.h"
#include "redis/redis.h"
#include "redis/redis_backend.h"
#include "redis/redis_config.h"
#include "redis/redis_merge.h"
#include "redis/redis_metrics.h"

/* The parsed `redis:` section. */
typedef struct redis_conf {
    redis_config_t cfg;
    cfg_pos_t at;
} redis_conf_t;

typedef struct redis_plugin {
    const redis_config_t *cfg; /* in the instance's redis_conf_t */
    redis_stats_t *stats;
    const char **names;
    merge_t *merge;
    redis_backend_t **backends;
    size_t n;
} redis_plugin_t;

static void redis_teardown(void *state)
{
    redis_plugin_t *p = state;
    if (p == NULL) {
        return;
    }
    for (size_t i = 0; i < p->n; i++) {
        redis_backend_free(p->backends[i]); /* stops its thread first */
    }
    merge_free(p->merge);
    free(p->backends);
    free(p->names);
    free(p->stats);
    free(p);
}

static int redis_parse(const plugin_parse_env_t *penv, cfg_node_t *node, void **conf,
                       cfg_error_t *err)
{
    redis_conf_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return cfg_fail(err, node, "out of memory");
    }
    if (redis_config_read(node, &c->cfg, err) != 0) {
        free(c);
        return -1;
    }
    cfg_pos_of(node, &c->at);
    *conf = c;
    return 0;
}

static bool redis_conf_equal(const void *a, const void *b)
{
    const redis_conf_t *x = a, *y = b;
    return redis_config_equal(&x->cfg, &y->cfg);
}

static void redis_conf_free(void *conf)
{
    redis_conf_t *c = conf;
    if (c != NULL) {
        redis_config_free(&c->cfg);
        free(c);
    }
}

static int redis_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    const redis_conf_t *c = conf;
    const cfg_pos_t *node = &c->at;
    *state = NULL;
    redis_plugin_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return cfg_fail_pos(err, node, "out of memory");
    }
    p->cfg = &c->cfg;
    size_t n = p->cfg->nbackends;
    p->stats = calloc(n, sizeof(*p->stats));
    p->names = calloc(n, sizeof(*p->names));
    p->backends = calloc(n, sizeof(*p->backends));
    if (p->stats == NULL || p->names == NULL || p->backends == NULL) {
        redis_teardown(p);
        return cfg_fail_pos(err, node, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        p->names[i] = p->cfg->backends[i].name;
    }
    merge_params_t mp = {env->view, n, p->names, p->stats, &p->cfg->defaults, p->cfg->default_ttl};
    p->merge = merge_new(&mp);
    if (p->merge == NULL) {
        redis_teardown(p);
        return cfg_fail_pos(err, node, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        p->backends[i] = redis_backend_new(p->cfg, (unsigned)i, p->merge, &p->stats[i]);
        if (p->backends[i] == NULL) {
            cfg_fail_pos(err, node, "cannot create backend '%s'", p->cfg->backends[i].name);
            redis_teardown(p);
            return -1;
        }
        p->n = i + 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (redis_backend_start(p->backends[i]) != 0) {
            cfg_fail_pos(err, node, "cannot start the thread of backend '%s'",
                         p->cfg->backends[i].name);
            redis_teardown(p);
            return -1;
        }
    }
    log_info("redis: %zu backend(s), loading in parallel", n);
    *state = p;
    return 0;
}

/* Our collector in each configuration the instance serves (env->gen,
 * core/plugin.h): after setup, and when a reload keeps the backends. */
static void redis_join(void *state, const void *conf, const plugin_env_t *env)
{
    if (state != NULL && env->gen != NULL &&
        redis_metrics_register(&env->gen->metrics, state) != 0) {
        log_warn("redis: metrics registry full: no vmdns_redis_* metrics");
    }
}

static bool redis_ready(void *state, char *why, size_t why_len)
{
    redis_plugin_t *p = state;
    size_t len = 0;
    bool ready = true;
    if (why_len > 0) {
        why[0] = '\0';
    }
    for (size_t i = 0; p != NULL && i < p->n; i++) {
        if (redis_backend_settled(p->backends[i])) {
            continue;
        }
        if (ready && why_len > 0) {
            len += (size_t)snprintf(why + len, why_len - len, "redis backends loading:");
        }
        ready = false;
        if (len < why_len) {
            len += (size_t)snprintf(why + len, why_len - len, " %s", p->names[i]);
        }
    }
    return ready;
}

size_t redis_plugin_backend_count(const void *state)
{
    const redis_plugin_t *p = state;
    return p ? p->n : 0;
}

bool redis_plugin_backend_stats(const void *state, size_t i, redis_stats_snapshot_t *out)
{
    const redis_plugin_t *p = state;
    if (p == NULL || i >= p->n) {
        return false;
    }
    redis_stats_read(&p->stats[i], out);
    out->name = p->names[i];
    return true;
}

const plugin_t plugin_redis = {
    .name = "redis",
    .config_key = "redis",
    .view_data = PLUGIN_VIEW_BOUND,
    .parse = redis_parse,
    .conf_equal = redis_conf_equal,
    .conf_free = redis_conf_free,
    .setup = redis_setup,
    .corefile = redis_corefile,
    .join = redis_join,
    .ready = redis_ready,
    .teardown = redis_teardown,
};
