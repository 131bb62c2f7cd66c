/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis.c - the `redis` plugin: zones served from Redis backends.
 *
 * A data source, like `file`. At setup it reads
 * the `redis:` config, builds the merge (the union of all backends over the
 * view) and starts one thread per backend, which load in parallel and then
 * follow their change streams. Workers never wait for any of it; they
 * answer from the view, which fills as loads finish; until a backend's
 * first load, names of the zones it is known to serve get SERVFAIL, not
 * REFUSED (the query hook, redis_pending.h). /ready says "not ready"
 * (naming the backends) until every backend has finished its first load. The backends' counters are
 * exported as vmdns_redis_* metrics (redis_metrics.c) by a collector registered at setup.
 *
 * Reloads (PLUGIN_VIEW_HANDOVER): a changed `redis:` section keeps the
 * view and the merge (redis_core_t). Every backend whose own settings and
 * record settings (default_ttl, defaults: records are parsed with them)
 * are unchanged (redis_config_backend_equal, redis_config_data_equal)
 * keeps running in its merge slot, with its connections, stream position
 * and data; new or changed ones get a free slot and load hidden. At the
 * switch (activate) the merge is given the new order and defaults:
 * conflicts are decided again from memory, the new backends' names show,
 * the dropped backends' names go (redis_merge.h). A reload that is
 * dropped before the switch stops its new backends, whose hidden data
 * then goes. A configuration without `redis` takes every Redis zone out
 * of the kept view at the switch (drop).
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
#include "redis/redis_pending.h"

/* The parsed `redis:` section. Counted: the instance set up from it holds
 * it, and so does every backend still running from it (a backend kept by
 * a reload points into the config it was started with). Control thread. */
typedef struct redis_conf {
    redis_config_t cfg;
    cfg_pos_t at;
    unsigned refs;
} redis_conf_t;

/* One backend in the shared state: which config entry it runs from, and
 * how many instances list it. */
typedef struct redis_slot {
    redis_backend_t *backend; /* NULL: free */
    redis_conf_t *conf;       /* held */
    size_t which;             /* its index in conf->cfg.backends */
    unsigned users;
    bool stopping; /* no user left: its thread was told to stop, not joined yet */
} redis_slot_t;

/* What the instances of one view share: the merge and the backends, by
 * slot (redis_merge.h). A reload hands it to the new instance
 * (env->prev_state), which keeps the backends it lists unchanged, starts
 * the others hidden, and at the switch (activate) gives the merge the new
 * order. Control thread, but stats (atomics). */
typedef struct redis_core {
    merge_t *merge;
    redis_stats_t stats[REDIS_MAX_BACKENDS];
    redis_slot_t slots[REDIS_MAX_BACKENDS];
    unsigned users;
} redis_core_t;

/* One instance: the backends of its config, in config order. */
typedef struct redis_plugin {
    redis_core_t *core;
    const redis_config_t *cfg; /* in the instance's redis_conf_t */
    size_t n;
    unsigned slot[REDIS_MAX_BACKENDS];
    bool started[REDIS_MAX_BACKENDS]; /* this instance started the thread */
    bool ordered;                     /* its order was given to the merge */
    redis_pending_t *pending;         /* SERVFAIL while loading (redis_pending.h) */
} redis_plugin_t;

static void redis_conf_put(redis_conf_t *c)
{
    if (c != NULL && --c->refs == 0) {
        redis_config_free(&c->cfg);
        free(c);
    }
}

/* Free the backends told to stop whose thread has ended (all of them,
 * waiting, when `wait`): their slots go back to the merge. */
static void core_reap(redis_core_t *core, bool wait)
{
    for (unsigned s = 0; s < REDIS_MAX_BACKENDS; s++) {
        redis_slot_t *sl = &core->slots[s];
        if (!sl->stopping || (!wait && !redis_backend_stopped(sl->backend))) {
            continue;
        }
        redis_backend_free(sl->backend);
        merge_slot_release(core->merge, s);
        redis_conf_put(sl->conf);
        *sl = (redis_slot_t){0};
    }
}

/* Drop one instance's hold on a slot. The last one tells the backend to
 * stop and the merge to ignore it and drop its data (at the next tick of
 * another backend); the thread is joined later (core_reap), so the
 * control thread never waits for it (it may be busy with a long
 * merge_apply). */
static void core_slot_put(redis_core_t *core, unsigned s)
{
    redis_slot_t *sl = &core->slots[s];
    if (sl->users == 0 || --sl->users > 0) {
        return;
    }
    merge_slot_retire(core->merge, s);
    redis_backend_stop(sl->backend);
    sl->stopping = true;
}

static void core_put(redis_core_t *core)
{
    if (core == NULL) {
        return;
    }
    core_reap(core, false);
    if (--core->users > 0) {
        return;
    }
    for (unsigned s = 0; s < REDIS_MAX_BACKENDS; s++) {
        core->slots[s].users = core->slots[s].users > 0 ? 1 : 0;
        core_slot_put(core, s);
    }
    core_reap(core, true);
    merge_free(core->merge);
    free(core);
}

static void redis_teardown(void *state)
{
    redis_plugin_t *p = state;
    if (p == NULL) {
        return;
    }
    if (p->pending != NULL) { /* the zones served, for the next start */
        redis_pending_save(p->pending);
        redis_pending_free(p->pending);
    }
    for (size_t i = 0; p->core != NULL && i < p->n; i++) {
        core_slot_put(p->core, p->slot[i]);
    }
    core_put(p->core);
    free(p);
}

/* The new configuration has no `redis` but keeps the view: our zones go
 * now (teardown stops the backends later). */
static void redis_drop(void *state)
{
    redis_plugin_t *p = state;
    if (p != NULL) {
        merge_unpublish(p->core->merge);
    }
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
    c->refs = 1;
    *conf = c;
    return 0;
}

static bool redis_conf_equal(const void *a, const void *b)
{
    const redis_conf_t *x = a, *y = b;
    return redis_config_equal(&x->cfg, &y->cfg);
}

/* Can backend j of a, running, serve as backend i of b? Same settings
 * of its own, of its connections, and records built alike. */
static bool redis_same_backend(const redis_config_t *a, size_t j, const redis_config_t *b, size_t i)
{
    return redis_config_backend_equal(a, j, b, i) && redis_config_data_equal(a, b);
}

/* Would backend i of b be kept from a (not matched yet)? */
static bool redis_keeps(const redis_config_t *a, const redis_config_t *b, size_t i, bool *taken)
{
    for (size_t j = 0; j < a->nbackends; j++) {
        if (!taken[j] && redis_same_backend(a, j, b, i)) {
            taken[j] = true;
            return true;
        }
    }
    return false;
}

/* The new backends load next to the running ones, each in a slot of its
 * own: keep the view only if there are slots enough (else, as at startup,
 * a new view loaded from scratch). */
static bool redis_view_keepable(const void *old_conf, const void *new_conf)
{
    const redis_config_t *a = &((const redis_conf_t *)old_conf)->cfg;
    const redis_config_t *b = &((const redis_conf_t *)new_conf)->cfg;
    bool taken[REDIS_MAX_BACKENDS] = {false};
    size_t fresh = 0;
    for (size_t i = 0; i < b->nbackends; i++) {
        fresh += !redis_keeps(a, b, i, taken);
    }
    return a->nbackends + fresh <= REDIS_MAX_BACKENDS;
}

static void redis_conf_free(void *conf)
{
    redis_conf_put(conf);
}

static redis_core_t *core_new(view_t *view, redis_conf_t *c)
{
    redis_core_t *core = calloc(1, sizeof(*core));
    if (core == NULL) {
        return NULL;
    }
    merge_params_t mp = {view, 0, NULL, core->stats, &c->cfg.defaults, c->cfg.default_ttl};
    core->merge = merge_new(&mp);
    if (core->merge == NULL) {
        free(core);
        return NULL;
    }
    return core;
}

/* The running backend that backend i of the new config can be (same
 * settings, not taken yet), as a slot; -1 if none. */
static int redis_kept_slot(const redis_plugin_t *prev, const redis_plugin_t *p, size_t i)
{
    for (size_t j = 0; prev != NULL && j < prev->n; j++) {
        unsigned s = prev->slot[j];
        const redis_slot_t *sl = &prev->core->slots[s];
        bool taken = false;
        for (size_t k = 0; k < i; k++) {
            taken = taken || p->slot[k] == s;
        }
        if (!taken && redis_same_backend(&sl->conf->cfg, sl->which, p->cfg, i)) {
            return (int)s;
        }
    }
    return -1;
}

static int redis_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    redis_conf_t *c = (redis_conf_t *)conf;
    const cfg_pos_t *node = &c->at;
    const redis_plugin_t *prev = env->prev_state;
    *state = NULL;
    redis_plugin_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return cfg_fail_pos(err, node, "out of memory");
    }
    p->cfg = &c->cfg;
    p->core = prev != NULL ? prev->core : core_new(env->view, c);
    if (p->core == NULL) {
        free(p);
        return cfg_fail_pos(err, node, "out of memory");
    }
    core_reap(p->core, false); /* slots of backends stopped since */
    p->core->users++;
    redis_core_t *core = p->core;
    size_t kept = 0;
    for (size_t i = 0; i < p->cfg->nbackends; i++) {
        int s = redis_kept_slot(prev, p, i);
        if (s >= 0) { /* unchanged: it runs on, with its connection and data */
            p->slot[i] = (unsigned)s;
            core->slots[s].users++;
            p->n = i + 1;
            kept++;
            continue;
        }
        const char *name = p->cfg->backends[i].name;
        s = merge_slot_add(core->merge, name, core->stats);
        redis_backend_t *b = NULL;
        if (s >= 0) {
            memset(&core->stats[s], 0, sizeof(core->stats[s])); /* nobody writes a free slot */
            b = redis_backend_new(p->cfg, i, (unsigned)s, core->merge, &core->stats[s]);
            if (b == NULL) {
                merge_slot_release(core->merge, (unsigned)s);
            }
        }
        if (b == NULL) {
            cfg_fail_pos(err, node,
                         s < 0 ? "backend '%s': no free backend slot (a reload "
                                 "still dropping old ones?)"
                               : "cannot create backend '%s'",
                         name);
            redis_teardown(p);
            return -1;
        }
        core->slots[s] = (redis_slot_t){.backend = b, .conf = c, .which = i, .users = 1};
        c->refs++;
        p->slot[i] = (unsigned)s;
        p->started[i] = true;
        p->n = i + 1;
    }
    p->pending = redis_pending_new(env, p->cfg, core->merge, p->slot, core->stats);
    if (!env->view_serving) { /* nobody answers from this view yet: serve at once */
        merge_order(core->merge, p->slot, p->n);
        merge_apply(core->merge, 0);
        p->ordered = true;
    }
    for (size_t i = 0; i < p->n; i++) {
        if (p->started[i] && redis_backend_start(core->slots[p->slot[i]].backend) != 0) {
            cfg_fail_pos(err, node, "cannot start the thread of backend '%s'",
                         p->cfg->backends[i].name);
            redis_teardown(p);
            return -1;
        }
    }
    if (prev != NULL) {
        log_info("redis: %zu backend(s): %zu kept running with their data, %zu loading", p->n, kept,
                 p->n - kept);
    } else {
        log_info("redis: %zu backend(s), loading in parallel", p->n);
    }
    *state = p;
    return 0;
}

/* This configuration takes over: its backends serve, in its order; those
 * it dropped leave the view (merge_order, applied by a backend thread). */
static void redis_activate(void *state)
{
    redis_plugin_t *p = state;
    if (p == NULL || p->ordered) {
        return;
    }
    p->ordered = true;
    merge_set_defaults(p->core->merge, &p->cfg->defaults, p->cfg->default_ttl);
    merge_order(p->core->merge, p->slot, p->n);
    redis_backend_kick(p->core->slots[p->slot[0]].backend);
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

/* Worker: SERVFAIL for names of zones still loading (redis_pending.h). */
static plugin_result_t redis_query(void *state, request_t *req)
{
    redis_plugin_t *p = state;
    return p != NULL ? redis_pending_query(p->pending, req) : PLUGIN_NEXT;
}

static bool redis_ready(void *state, char *why, size_t why_len)
{
    redis_plugin_t *p = state;
    size_t len = 0, degraded_len = 0;
    bool ready = true;
    if (why_len > 0) {
        why[0] = '\0';
    }
    for (size_t i = 0; p != NULL && i < p->n; i++) {
        /* Serving: not ready until a first load, even for a backend that
         * proved unreachable (its zones answer SERVFAIL until then). A
         * reload's configuration not serving yet waits only until its new
         * backends have loaded or proved unreachable, then switches. */
        if (atomic_load(&p->core->stats[p->slot[i]].loaded) ||
            (!p->ordered && redis_backend_settled(p->core->slots[p->slot[i]].backend))) {
            continue;
        }
        if (ready && why_len > 0) {
            len += (size_t)snprintf(why + len, why_len - len, "redis backends loading:");
        }
        ready = false;
        if (len < why_len) {
            len += (size_t)snprintf(why + len, why_len - len, " %s", p->cfg->backends[i].name);
        }
    }
    for (size_t i = 0; ready && p != NULL && i < p->n; i++) {
        /* ready, but serving names the source no longer has: say so */
        const redis_stats_t *st = &p->core->stats[p->slot[i]];
        if (!atomic_load(&st->degraded) || len >= why_len) {
            continue;
        }
        len += (size_t)snprintf(why + len, why_len - len,
                                "%sbackend %s degraded: %llu names served stale (a drop held "
                                "back; vmdnsctl confirm-drop %s)",
                                degraded_len > 0 ? "; " : "", p->cfg->backends[i].name,
                                (unsigned long long)atomic_load(&st->names_held),
                                p->cfg->backends[i].name);
        degraded_len = len;
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
    redis_stats_read(&p->core->stats[p->slot[i]], out);
    out->name = p->cfg->backends[i].name;
    return true;
}

const plugin_t plugin_redis = {
    .name = "redis",
    .config_key = "redis",
    .view_data = PLUGIN_VIEW_HANDOVER,
    .view_keepable = redis_view_keepable,
    .activate = redis_activate,
    .drop = redis_drop,
    .parse = redis_parse,
    .conf_equal = redis_conf_equal,
    .conf_free = redis_conf_free,
    .setup = redis_setup,
    .corefile = redis_corefile,
    .corefile_blocks = true,
    .join = redis_join,
    .ready = redis_ready,
    .query = redis_query,
    .teardown = redis_teardown,
};
