/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ready.c - the `ready` plugin: a readiness probe, as CoreDNS's.
 *
 *   ready:
 *     listen: "127.0.0.1:8181"   # default ":8181" (all addresses, v4+v6); also `ready: true`
 *   Corefile: ready [ADDR]
 *
 * GET /ready answers 200 "OK" once every plugin in the chain says it is
 * ready (chain_ready(): e.g. the redis backends have done their first
 * load), and 503 with the names of what is not ready otherwise, one per
 * line. A ready plugin may add a detail: the body is then "OK", a newline
 * and the details (e.g. a redis backend serving stale names, degraded). It also answers 503 while
 * main is in lameduck (shutting down but still answering), so a load balancer stops sending queries
 * before the listeners close.
 */
#include <event2/http.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/corefile_plugin.h"
#include "core/chain.h"
#include "core/httpd.h"
#include "core/plugin.h"

#define READY_DEFAULT_LISTEN ":8181" /* every address, dual-stack: CoreDNS */

typedef struct ready {
    httpd_endpoint_t http;
    plugin_shared_t *shared;
} ready_t;

static void ready_http(struct evhttp_request *req, void *arg)
{
    ready_t *r = arg;
    char why[1024];
    if (r->shared == NULL || r->shared->chain == NULL) {
        httpd_reply_text(req, 503, "Service Unavailable", "starting\n");
        return;
    }
    if (atomic_load(&r->shared->lameduck)) {
        httpd_reply_text(req, 503, "Service Unavailable", "shutting down (lameduck)\n");
        return;
    }
    if (chain_ready(r->shared->chain, why, sizeof(why))) {
        if (why[0] == '\0') {
            httpd_reply_text(req, 200, "OK", "OK");
            return;
        }
        char detail[1100]; /* ready, with something to say (degraded) */
        snprintf(detail, sizeof(detail), "OK\n%s\n", why);
        httpd_reply_text(req, 200, "OK", detail);
        return;
    }
    char body[1100];
    snprintf(body, sizeof(body), "%s\n", why);
    httpd_reply_text(req, 503, "Service Unavailable", body);
}

static void ready_teardown(void *state)
{
    ready_t *r = state;
    if (r == NULL) {
        return;
    }
    httpd_endpoint_close(&r->http);
    free(r);
}

/* The parsed `ready:` section. */
typedef struct ready_conf {
    bool enabled;
    char *listen;
    cfg_pos_t at;
} ready_conf_t;

static void ready_conf_free(void *conf)
{
    ready_conf_t *c = conf;
    if (c != NULL) {
        free(c->listen);
        free(c);
    }
}

static bool ready_conf_equal(const void *a, const void *b)
{
    const ready_conf_t *x = a, *y = b;
    return x->enabled == y->enabled && strcmp(x->listen, y->listen) == 0;
}

static int ready_parse(const plugin_parse_env_t *penv, cfg_node_t *cfg, void **conf,
                       cfg_error_t *err)
{
    const char *listen;
    ready_conf_t c = {0};
    /* `ready: true` or `ready: {listen: ADDR}`. */
    if (httpd_endpoint_config(cfg, READY_DEFAULT_LISTEN, "{listen: ADDR}", &listen, &c.enabled,
                              err) != 0) {
        return -1;
    }
    cfg_pos_of(cfg, &c.at);
    ready_conf_t *out = malloc(sizeof(*out));
    if (out == NULL || (c.listen = strdup(listen)) == NULL) {
        free(out);
        return cfg_fail(err, cfg, "ready: out of memory");
    }
    *out = c;
    *conf = out;
    return 0;
}

/* A reload that keeps the instance keeps its socket. */
static void ready_join(void *state, const void *conf, const plugin_env_t *env)
{
    const ready_conf_t *c = conf;
    if (c->enabled) {
        httpd_endpoint_keep(env, c->listen, &((const ready_t *)state)->http);
    }
}

static int ready_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    const ready_conf_t *c = conf;
    *state = NULL;
    if (!c->enabled) {
        return 0;
    }
    ready_t *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return cfg_fail_pos(err, &c->at, "ready: out of memory");
    }
    r->shared = env->shared;
    if (httpd_endpoint_open(&r->http, env, "ready", &c->at, c->listen, "/ready", ready_http, r,
                            err) != 0) {
        ready_teardown(r);
        return -1;
    }
    *state = r;
    return 0;
}

/* `ready [ADDR] [{ monitor until-ready|continuously }]` in a Corefile:
 * `ready: {listen: ADDR}`. vmdnsd's /ready always says what is true now
 * (CoreDNS's `continuously`): 503 again during lameduck or while a
 * reload waits; `until-ready` is accepted and behaves the same. */
static int ready_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    cf_line_t l;
    for (size_t pos = 0; cf_next_line(d, &pos, &l);) {
        if (strcmp(l.opt->text, "monitor") != 0) {
            return cf_fail(err, l.opt, "ready: unknown option '%s'", l.opt->text);
        }
        if (l.nargs != 1 || (strcmp(l.args[0].text, "until-ready") != 0 &&
                             strcmp(l.args[0].text, "continuously") != 0)) {
            return cf_fail(err, l.opt, "ready: monitor until-ready|continuously");
        }
    }
    cf_directive_t plain = *d; /* the block is read: the address is the rest */
    plain.block = false;
    return httpd_endpoint_corefile(ctx, &plain, "ready", err);
}

const plugin_t plugin_ready = {
    .name = "ready",
    .config_key = "ready",
    .parse = ready_parse,
    .conf_equal = ready_conf_equal,
    .conf_free = ready_conf_free,
    .setup = ready_setup,
    .corefile = ready_corefile,
    .join = ready_join,
    .teardown = ready_teardown,
};
