/*
 * generation.c - load, start, activate and free one config generation.
 *
 * The order inside gen_load is the startup order of vmdnsd: config tree
 * (YAML or Corefile) -> server options -> view -> plugins -> unknown-key
 * check; the first failure ends it with one "FILE:LINE: problem" message.
 * See generation.h for why each generation has its own plugin context.
 */
#include "core/generation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/corefile.h"

gen_t *gen_load(const gen_ctx_t *ctx, unsigned id, cfg_error_t *err)
{
    gen_t *g = calloc(1, sizeof(*g));
    if (g == NULL) {
        snprintf(err->msg, sizeof(err->msg), "out of memory");
        return NULL;
    }
    g->id = id;
    g->plugin.id = id;
    g->cfg = ctx->format == GEN_COREFILE ? cfg_load_corefile(ctx->path, err)
                                         : cfg_load_yaml(ctx->path, err);
    if (g->cfg == NULL || cfg_server_read(g->cfg, &g->server_cfg, err) != 0) {
        gen_free(g);
        return NULL;
    }
    const server_opts_t *o = &g->server_cfg.opts;
    plugin_parse_env_t penv = {
        .workers = o->workers,
        .limits = &o->limits,
        .listen = o->listen,
        .nlisten = o->nlisten,
        .config_path = ctx->path,
    };
    /* The whole config is read and checked before anything starts. */
    chain_conf_t *cc = chain_parse(&penv, g->cfg, err);
    if (cc == NULL || cfg_check_unused(g->cfg, err) != 0 ||
        (ctx->check_only && chain_check(cc, err) != 0)) {
        chain_conf_free(cc);
        gen_free(g);
        return NULL;
    }
    if (ctx->check_only) {
        chain_conf_free(cc); /* --check-config starts nothing */
        return g;
    }
    if ((g->view = view_new()) == NULL) {
        snprintf(err->msg, sizeof(err->msg), "out of memory");
        chain_conf_free(cc);
        gen_free(g);
        return NULL;
    }
    plugin_env_t env = {
        .view = g->view,
        .control = ctx->control,
        .workers = o->workers,
        .limits = &o->limits,
        .shared = ctx->shared,
        .gen = &g->plugin,
        .listen = o->listen,
        .nlisten = o->nlisten,
        .httpd = ctx->httpd,
        .config_path = ctx->path,
    };
    g->chain = chain_build(&env, cc, NULL, false, err);
    if (g->chain == NULL) {
        gen_free(g);
        return NULL;
    }
    return g;
}

int gen_start(gen_t *g, const gen_ctx_t *ctx, cfg_error_t *err)
{
    (void)ctx;
    return chain_start(g->chain, err);
}

void gen_activate(gen_t *g, plugin_shared_t *shared)
{
    shared->active = &g->plugin;
    shared->chain = g->chain;
}

bool gen_same_server(const gen_t *a, const gen_t *b)
{
    const server_opts_t *x = &a->server_cfg.opts, *y = &b->server_cfg.opts;
    if (x->nlisten != y->nlisten || x->workers != y->workers ||
        x->tcp_max_connections != y->tcp_max_connections ||
        x->tcp_idle_timeout_ms != y->tcp_idle_timeout_ms ||
        x->limits.edns_udp_size != y->limits.edns_udp_size) {
        return false;
    }
    for (size_t i = 0; i < x->nlisten; i++) {
        if (strcmp(x->listen[i], y->listen[i]) != 0) {
            return false;
        }
    }
    return true;
}

void gen_free(gen_t *g)
{
    if (g == NULL) {
        return;
    }
    chain_free(g->chain); /* stops the plugins' threads before the view goes */
    view_free(g->view);
    cfg_server_free(&g->server_cfg);
    cfg_free(g->cfg);
    free(g);
}
