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

typedef struct redis_plugin {
    redis_config_t cfg;
    redis_stats_t *stats;
    const char **names;
    merge_t *merge;
    redis_backend_t **backends;
    size_t n;
    metrics_registry_t *metrics; /* where our collector is registered, or NULL */
} redis_plugin_t;

static void redis_teardown(void *state)
{
    redis_plugin_t *p = state;
    if (p == NULL) {
        return;
    }
    if (p->metrics != NULL) {
        redis_metrics_unregister(p->metrics, p);
    }
    for (size_t i = 0; i < p->n; i++) {
        redis_backend_free(p->backends[i]); /* stops its thread first */
    }
    merge_free(p->merge);
    free(p->backends);
    free(p->names);
    free(p->stats);
    redis_config_free(&p->cfg);
    free(p);
}

static int redis_setup(const plugin_env_t *env, cfg_node_t *node, void **state, cfg_error_t *err)
{
    *state = NULL;
    redis_plugin_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return cfg_fail(err, node, "out of memory");
    }
    if (redis_config_read(node, &p->cfg, err) != 0) {
        free(p);
        return -1;
    }
    if (env->check_only) {
        redis_teardown(p);
        return 0;
    }
    size_t n = p->cfg.nbackends;
    p->stats = calloc(n, sizeof(*p->stats));
    p->names = calloc(n, sizeof(*p->names));
    p->backends = calloc(n, sizeof(*p->backends));
    if (p->stats == NULL || p->names == NULL || p->backends == NULL) {
        redis_teardown(p);
        return cfg_fail(err, node, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        p->names[i] = p->cfg.backends[i].name;
    }
    merge_params_t mp = {env->view, n, p->names, p->stats, &p->cfg.defaults, p->cfg.default_ttl};
    p->merge = merge_new(&mp);
    if (p->merge == NULL) {
        redis_teardown(p);
        return cfg_fail(err, node, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        p->backends[i] = redis_backend_new(&p->cfg, (unsigned)i, p->merge, &p->stats[i]);
        if (p->backends[i] == NULL) {
            cfg_fail(err, node, "cannot create backend '%s'", p->cfg.backends[i].name);
            redis_teardown(p);
            return -1;
        }
        p->n = i + 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (redis_backend_start(p->backends[i]) != 0) {
            cfg_fail(err, node, "cannot start the thread of backend '%s'", p->cfg.backends[i].name);
            redis_teardown(p);
            return -1;
        }
    }
    /* Registered in the registry of the configuration being set up
     * (env->gen, core/plugin.h), unregistered from it at teardown. */
    if (env->gen != NULL) {
        if (redis_metrics_register(&env->gen->metrics, p) == 0) {
            p->metrics = &env->gen->metrics;
        } else {
            log_warn("redis: metrics registry full: no vmdns_redis_* metrics");
        }
    }
    log_info("redis: %zu backend(s), loading in parallel", n);
    *state = p;
    return 0;
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
    .setup = redis_setup,
    .corefile = redis_corefile,
    .ready = redis_ready,
    .teardown = redis_teardown,
};
