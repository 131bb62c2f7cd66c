/*
 * generation.h - everything one reading of the config file turns into.
 *
 * A generation is the config tree, the server options read from it, a
 * view, and the plugin chain set up against that view (which fills it:
 * zone files, Redis backends). vmdnsd starts with generation 1; every
 * reload (SIGHUP, the `reload` plugin) builds a complete new generation
 * next to the running one, which keeps answering meanwhile. Only a
 * generation that loaded without a single error is switched to (main does
 * the switch: server_swap, or new listeners); a broken one is freed and
 * the running one stays.
 *
 * Two generations are alive at once during a reload. So that the running
 * one is not disturbed, each generation has its own plugin context
 * (plugin_gen_t: the metrics collectors and the lameduck period its
 * plugins register), given to its plugins in env->gen; it becomes the one
 * main and /metrics use only when the generation takes over (gen_activate).
 */
#ifndef VMDNS_CORE_GENERATION_H
#define VMDNS_CORE_GENERATION_H

#include <stdbool.h>
#include <stdint.h>

#include "config/cfg.h"
#include "config/server_config.h"
#include "core/chain.h"
#include "core/httpd.h"
#include "core/plugin.h"
#include "view/view.h"

/* The syntax of the config file. */
typedef enum { GEN_YAML, GEN_COREFILE } gen_format_t;

/* What every generation is built with (owned by main, for the process). */
typedef struct gen_ctx {
    const char *path; /* the config file */
    gen_format_t format;
    struct event_base *control; /* the control thread's loop */
    plugin_shared_t *shared;
    httpd_pool_t *httpd; /* HTTP sockets kept across reloads */
    bool check_only;     /* --check-config */
} gen_ctx_t;

typedef struct gen {
    unsigned id; /* 1, then +1 per reload attempt */
    cfg_node_t *cfg;
    cfg_server_t server_cfg;
    view_t *view;
    chain_t *chain;
    plugin_gen_t plugin; /* its plugins' collectors and lameduck period */
} gen_t;

/* Read the config file and set its plugins up against a new view (zone
 * files are read, Redis loads start), including the unknown-key check.
 * NULL with "FILE:LINE: problem" in err; nothing is left behind. */
gen_t *gen_load(const gen_ctx_t *ctx, unsigned id, cfg_error_t *err);

/* Call the plugins' start hooks (timers, writer threads). -1 with err. */
int gen_start(gen_t *g, const gen_ctx_t *ctx, cfg_error_t *err);

/* Make g the running generation for the plugins: its context (collectors,
 * lameduck period) becomes shared->active, its chain shared->chain. */
void gen_activate(gen_t *g, plugin_shared_t *shared);

/* True if a and b want the same listeners and worker options (so the
 * running server can be kept and only its view and chain swapped). */
bool gen_same_server(const gen_t *a, const gen_t *b);

/* Tear the plugins down and free everything. The workers must no longer
 * use g's view or chain. NULL is fine. */
void gen_free(gen_t *g);

#endif
