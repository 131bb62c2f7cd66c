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

#include "config/corefile_plugin.h"
#include "core/httpd.h"
#include "core/plugin.h"

#define HEALTH_DEFAULT_LISTEN  ":8080" /* every address, dual-stack: CoreDNS */
#define HEALTH_MAX_LAMEDUCK_MS (3600u * 1000u)

typedef struct health {
    httpd_endpoint_t http;
} health_t;

static void health_http(struct evhttp_request *req, void *arg)
{
    httpd_reply_text(req, 200, "OK", "OK");
}

static void health_teardown(void *state)
{
    health_t *h = state;
    if (h == NULL) {
        return;
    }
    httpd_endpoint_close(&h->http);
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
    httpd_endpoint_keep(env, c->listen, &((const health_t *)state)->http);
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
