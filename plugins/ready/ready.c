/*
 * ready.c - the `ready` plugin: a readiness probe, as CoreDNS's.
 *
 *   ready:
 *     listen: "127.0.0.1:8181"   # default "localhost:8181"; also `ready: true`
 *   Corefile: ready [ADDR]
 *
 * GET /ready answers 200 "OK" once every plugin in the chain says it is
 * ready (chain_ready(): e.g. the redis backends have done their first
 * load), and 503 with the names of what is not ready otherwise, one per
 * line. It also answers 503 while main is in lameduck (shutting down but
 * still answering), so a load balancer stops sending queries before the
 * listeners close.
 */
#include <event2/http.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "config/corefile_plugin.h"
#include "core/chain.h"
#include "core/httpd.h"
#include "core/plugin.h"

#define READY_DEFAULT_LISTEN "localhost:8181"

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
        httpd_reply_text(req, 200, "OK", "OK");
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

static int ready_setup(const plugin_env_t *env, cfg_node_t *cfg, void **state, cfg_error_t *err)
{
    const char *listen;
    bool enabled;
    *state = NULL;
    /* `ready: true` or `ready: {listen: ADDR}`. */
    if (httpd_endpoint_config(cfg, READY_DEFAULT_LISTEN, "{listen: ADDR}", &listen, &enabled,
                              err) != 0) {
        return -1;
    }
    if (!enabled) {
        return 0;
    }
    ready_t *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return cfg_fail(err, cfg, "ready: out of memory");
    }
    r->shared = env->shared;
    *state = r;
    if (env->check_only) {
        return 0;
    }
    if (httpd_endpoint_open(&r->http, env, "ready", cfg, listen, "/ready", ready_http, r, err) !=
        0) {
        ready_teardown(r);
        *state = NULL;
        return -1;
    }
    return 0;
}

/* `ready [ADDR]` in a Corefile: `ready: {listen: ADDR}`. */
static int ready_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    return httpd_endpoint_corefile(ctx, d, "ready", err);
}

const plugin_t plugin_ready = {
    .name = "ready",
    .config_key = "ready",
    .setup = ready_setup,
    .corefile = ready_corefile,
    .teardown = ready_teardown,
};
