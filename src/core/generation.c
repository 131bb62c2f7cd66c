/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * generation.c - load, start, activate and free one config generation.
 *
 * The order inside gen_load is the startup order of vmdnsd:
 *
 *   config tree (YAML or Corefile) -> server options -> every plugin's
 *   parse -> unknown-key check [-> zone file check, --check-config: stop]
 *   -> view (new, or the running one kept) -> set up what changed
 *
 * The first failure ends it with one "FILE:LINE: problem" message; nothing
 * binds, connects or starts a thread before the whole config is checked.
 * See generation.h for what a reload keeps, and why each generation has
 * its own plugin context.
 */
#include "core/generation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/corefile.h"
#include "core/log.h"

/* A view held by one or more generations (control thread only). */
typedef struct gen_view {
    view_t *view;
    unsigned refs;
} gen_view_t;

/* Drop one hold; the last one gets the view back (to free), else NULL. */
static view_t *gen_view_put(gen_view_t *held)
{
    if (held == NULL || --held->refs > 0) {
        return NULL;
    }
    view_t *view = held->view;
    free(held);
    return view;
}

/* One line on what a reload kept: "kept the view; plugins kept: redis,
 * file; set up: log" (what an operator wants to see after a SIGHUP). */
static void gen_log_kept(const gen_t *g, const gen_t *prev)
{
    char kept[256] = "", fresh[256] = "";
    size_t nk = 0, nf = 0;
    const char *name;
    for (size_t i = 0; (name = chain_plugin_name(g->chain, i)) != NULL; i++) {
        bool shared = chain_shares(g->chain, prev->chain, name);
        char *buf = shared ? kept : fresh;
        size_t *n = shared ? &nk : &nf;
        if (*n < sizeof(kept)) {
            int w = snprintf(buf + *n, sizeof(kept) - *n, "%s%s", *n ? ", " : "", name);
            *n += w < 0 ? 0 : (size_t)w;
        }
    }
    log_info("reload: configuration %u: %s view; plugins kept: %s; set up: %s", g->id,
             g->view_kept ? "kept the" : "a new", nk ? kept : "none", nf ? fresh : "none");
}

gen_t *gen_load(const gen_ctx_t *ctx, unsigned id, const gen_t *prev, cfg_error_t *err)
{
    gen_t *g = calloc(1, sizeof(*g));
    if (g == NULL) {
        snprintf(err->msg, sizeof(err->msg), "out of memory");
        return NULL;
    }
    g->id = id;
    g->plugin.id = id;
    g->cfg = ctx->format == GEN_COREFILE ? cfg_load_corefile_port(ctx->path, ctx->dns_port, err)
                                         : cfg_load_yaml(ctx->path, err);
    if (g->cfg == NULL || cfg_server_read(g->cfg, &g->server_cfg, err) != 0) {
        gen_free(g);
        return NULL;
    }
    const server_opts_t *o = &g->server_cfg.opts;
    plugin_parse_env_t penv = {
        .workers = server_threads_for(o->workers), /* UDP + TCP workers */
        .limits = &o->limits,
        .listen = o->listen,
        .nlisten = o->nlisten,
        .config_path = ctx->path,
        .listen_alias = g->server_cfg.alias,
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
    if (prev != NULL && prev->held != NULL && chain_view_keepable(cc, prev->chain)) {
        g->held = prev->held; /* same data sources: the running view serves on */
        g->held->refs++;
        g->view_kept = true;
    } else if ((g->held = calloc(1, sizeof(*g->held))) == NULL ||
               (g->held->view = view_new()) == NULL) {
        free(g->held);
        g->held = NULL;
        snprintf(err->msg, sizeof(err->msg), "out of memory");
        chain_conf_free(cc);
        gen_free(g);
        return NULL;
    } else {
        g->held->refs = 1;
    }
    g->view = g->held->view;
    plugin_env_t env = {
        .view = g->view,
        .control = ctx->control,
        .workers = server_threads_for(o->workers),
        .limits = &o->limits,
        .shared = ctx->shared,
        .gen = &g->plugin,
        .listen = o->listen,
        .nlisten = o->nlisten,
        .httpd = ctx->httpd,
        .config_path = ctx->path,
        .view_serving = g->view_kept,
        .reloading = prev != NULL,
        .new_server = prev != NULL && !gen_same_server(prev, g),
    };
    /* Instances whose config is equal are shared (on a new view, only
     * those that do not touch the view). */
    g->chain = chain_build(&env, cc, prev != NULL ? prev->chain : NULL, g->view_kept, err);
    if (g->chain == NULL) {
        gen_free(g);
        return NULL;
    }
    if (prev != NULL) {
        gen_log_kept(g, prev);
    }
    return g;
}

int gen_start(gen_t *g, const gen_ctx_t *ctx, cfg_error_t *err)
{
    (void)ctx;
    return chain_start(g->chain, err);
}

void gen_activate(gen_t *g, const gen_t *prev, plugin_shared_t *shared)
{
    shared->active = &g->plugin;
    shared->chain = g->chain;
    chain_activate(g->chain, prev != NULL ? prev->chain : NULL, g->view_kept);
}

bool gen_same_server(const gen_t *a, const gen_t *b)
{
    const server_opts_t *x = &a->server_cfg.opts, *y = &b->server_cfg.opts;
    if (x->nlisten != y->nlisten || x->workers != y->workers ||
        x->tcp_max_connections != y->tcp_max_connections ||
        x->tcp_idle_timeout_ms != y->tcp_idle_timeout_ms ||
        x->tcp_max_per_client != y->tcp_max_per_client ||
        x->tcp_io_timeout_ms != y->tcp_io_timeout_ms ||
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

view_t *gen_free_but_view(gen_t *g)
{
    if (g == NULL) {
        return NULL;
    }
    chain_free(g->chain); /* stops the plugins' threads before the view goes */
    view_t *view = gen_view_put(g->held);
    cfg_server_free(&g->server_cfg);
    cfg_free(g->cfg);
    free(g);
    return view;
}

void gen_free(gen_t *g)
{
    view_free(gen_free_but_view(g));
}
