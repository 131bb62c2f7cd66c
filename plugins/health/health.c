/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * health.c - the `health` plugin: a liveness probe, as CoreDNS's.
 *
 *   health:
 *     listen: "127.0.0.1:8080"   # default ":8080" (all addresses, v4+v6); also `health: true`
 *     lameduck: 5s               # on SIGTERM, keep answering this long
 *   Corefile: health [ADDR] { lameduck DURATION }
 *
 * GET /health answers 200 "OK" for as long as the process runs its control
 * loop, including during lameduck (liveness is not readiness: `ready` is
 * what turns 503 then). The lameduck duration is handed to main through
 * env->gen->lameduck_ms (this configuration's; main uses the running
 * configuration's); main goes lameduck on SIGTERM, waits that long
 * while the workers keep answering, then stops.
 */
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/corefile_plugin.h"
#include "core/httpd.h"
#include "core/plugin.h"

#define HEALTH_DEFAULT_LISTEN  ":8080" /* every address, dual-stack: CoreDNS */
#define HEALTH_MAX_LAMEDUCK_MS (3600u * 1000u)

/* CoreDNS's health metrics, for every /health endpoint of the process
 * (kept across reloads; control thread only, where /health is served):
 * how long answering /health took, and how many could not be answered. */
#define HEALTH_KEPT_STATS "health.stats"
#define HEALTH_BOUNDS     5
static const double health_bounds[HEALTH_BOUNDS] = {0.00025, 0.0025, 0.025, 0.25, 2.5};

typedef struct health_stats {
    uint64_t counts[HEALTH_BOUNDS + 1];
    double sum;
    uint64_t failures;
} health_stats_t;

typedef struct health {
    httpd_endpoint_t http;
    health_stats_t *stats; /* kept, or our own (no shared state: tests) */
    bool owns_stats;
} health_t;

static double health_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void health_http(struct evhttp_request *req, void *arg)
{
    health_t *h = arg;
    double start = health_now();
    if (evhttp_request_get_connection(req) == NULL) {
        h->stats->failures++; /* the client is gone: nothing to answer */
        return;
    }
    httpd_reply_text(req, 200, "OK", "OK");
    double took = health_now() - start;
    unsigned b = 0;
    while (b < HEALTH_BOUNDS && took > health_bounds[b]) {
        b++;
    }
    h->stats->counts[b]++;
    h->stats->sum += took;
}

/* coredns_health_request_duration_seconds, coredns_health_request_failures_total. */
static void health_collect(void *ctx, metrics_out_t *out)
{
    const health_stats_t *st = ctx;
    metrics_family(out, "coredns_health_request_duration_seconds", "histogram",
                   "Histogram of the time (in seconds) each request took.");
    metrics_histogram(out, "coredns_health_request_duration_seconds", NULL, health_bounds,
                      HEALTH_BOUNDS, st->counts, st->sum);
    metrics_family(out, "coredns_health_request_failures_total", "counter",
                   "The number of times the health check failed.");
    metrics_sample_u64(out, "coredns_health_request_failures_total", NULL, st->failures);
}

static void health_free_stats(void *ptr)
{
    free(ptr);
}

static void health_teardown(void *state)
{
    health_t *h = state;
    if (h == NULL) {
        return;
    }
    httpd_endpoint_close(&h->http);
    if (h->owns_stats) {
        free(h->stats);
    }
    free(h);
}

/* `health: true` or `health: {listen: ADDR, lameduck: DURATION}`. */
static int health_read_config(cfg_node_t *cfg, const char **listen, uint64_t *lameduck_ms,
                              bool *enabled, cfg_error_t *err)
{
    *lameduck_ms = 0;
    if (httpd_endpoint_config(cfg, HEALTH_DEFAULT_LISTEN, "{listen: ADDR, lameduck: DURATION}",
                              listen, enabled, err) != 0) {
        return -1;
    }
    cfg_node_t *ld = cfg->kind == CFG_MAP ? cfg_get(cfg, "lameduck") : NULL;
    if (ld != NULL) {
        if (cfg_duration_ms(ld, lameduck_ms, err) != 0) {
            return -1;
        }
        if (*lameduck_ms > HEALTH_MAX_LAMEDUCK_MS) {
            return cfg_fail(err, ld, "health: lameduck longer than 1h");
        }
    }
    return 0;
}

/* The parsed `health:` section. */
typedef struct health_conf {
    bool enabled;
    char *listen;
    uint64_t lameduck_ms;
    cfg_pos_t at;
} health_conf_t;

static void health_conf_free(void *conf)
{
    health_conf_t *c = conf;
    if (c != NULL) {
        free(c->listen);
        free(c);
    }
}

static bool health_conf_equal(const void *a, const void *b)
{
    const health_conf_t *x = a, *y = b;
    return x->enabled == y->enabled && x->lameduck_ms == y->lameduck_ms &&
           strcmp(x->listen, y->listen) == 0;
}

static int health_parse(const plugin_parse_env_t *penv, cfg_node_t *cfg, void **conf,
                        cfg_error_t *err)
{
    const char *listen;
    health_conf_t c = {0};
    if (health_read_config(cfg, &listen, &c.lameduck_ms, &c.enabled, err) != 0) {
        return -1;
    }
    cfg_pos_of(cfg, &c.at);
    health_conf_t *out = malloc(sizeof(*out));
    if (out == NULL || (c.listen = strdup(listen)) == NULL) {
        free(out);
        return cfg_fail(err, cfg, "health: out of memory");
    }
    *out = c;
    *conf = out;
    return 0;
}

/* Hand the lameduck period to the configuration the instance serves in
 * (after setup, and again when a reload keeps the instance). */
static void health_join(void *state, const void *conf, const plugin_env_t *env)
{
    const health_conf_t *c = conf;
    if (!c->enabled) {
        return;
    }
    if (env->gen != NULL && c->lameduck_ms > env->gen->lameduck_ms) {
        env->gen->lameduck_ms = c->lameduck_ms; /* several blocks: the longest */
    }
    const health_t *h = state;
    httpd_endpoint_keep(env, c->listen, &h->http);
    /* One collector per configuration, whatever the number of blocks with
     * a `health` (they share the counters). */
    for (size_t i = 0; env->gen != NULL && i < env->gen->metrics.n; i++) {
        if (strcmp(env->gen->metrics.c[i].name, "health") == 0) {
            return;
        }
    }
    if (env->gen != NULL) {
        metrics_register_collector(&env->gen->metrics, "health", health_collect, h->stats);
    }
}

static int health_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    const health_conf_t *c = conf;
    *state = NULL;
    if (!c->enabled) {
        return 0;
    }
    health_t *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        return cfg_fail_pos(err, &c->at, "health: out of memory");
    }
    h->stats = env->shared != NULL ? plugin_kept_get(env->shared, HEALTH_KEPT_STATS) : NULL;
    if (h->stats == NULL) {
        h->stats = calloc(1, sizeof(*h->stats));
        h->owns_stats = true;
        if (h->stats != NULL && env->shared != NULL &&
            plugin_kept_put(env->shared, HEALTH_KEPT_STATS, h->stats, health_free_stats, NULL) ==
                0) {
            h->owns_stats = false;
        }
    }
    if (h->stats == NULL) {
        free(h);
        return cfg_fail_pos(err, &c->at, "health: out of memory");
    }
    if (httpd_endpoint_open(&h->http, env, "health", &c->at, c->listen, "/health", health_http, h,
                            err) != 0) {
        health_teardown(h);
        return -1;
    }
    *state = h;
    return 0;
}

/* `health [ADDR] { lameduck DURATION }` in a Corefile:
 * `health: {listen: ADDR, lameduck: DURATION}`. */
static int health_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    int seen = cf_once(ctx, d, err);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    if (cf_max_args(d, 1, err) != 0) {
        return -1;
    }
    cfg_node_t *m = cf_put_node(cf_root(ctx), "health", d->name, CFG_MAP, err);
    if (m == NULL || (d->nargs == 1 && cf_put(m, "listen", &d->args[0], d->args[0].text, err))) {
        return -1;
    }
    cf_line_t l;
    for (size_t pos = 0; cf_next_line(d, &pos, &l);) {
        const cf_token_t *t = l.opt;
        if (strcmp(t->text, "lameduck") != 0) {
            return cf_fail(err, t, "health: unknown option '%s'", t->text);
        }
        if (l.nargs != 1) {
            return cf_fail(err, t, "health: lameduck takes one duration (e.g. 5s)");
        }
        if (cfg_peek(m, "lameduck") != NULL) {
            return cf_fail(err, t, "health: lameduck given twice");
        }
        if (cf_put(m, "lameduck", &l.args[0], l.args[0].text, err) != 0) {
            return -1;
        }
    }
    return 0;
}

const plugin_t plugin_health = {
    .name = "health",
    .config_key = "health",
    .parse = health_parse,
    .conf_equal = health_conf_equal,
    .conf_free = health_conf_free,
    .setup = health_setup,
    .corefile = health_corefile,
    .join = health_join,
    .teardown = health_teardown,
};
