/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * generation.h - everything one reading of the config file turns into.
 *
 * A generation is the config tree, the server options read from it, a
 * view, and the plugin chain set up against that view (which fills it:
 * zone files, Redis backends). vmdnsd starts with generation 1; every
 * reload (SIGHUP, the `reload` plugin) builds a new generation next to the
 * running one, which keeps answering meanwhile. Only a generation that
 * loaded without a single error is switched to (main does the switch:
 * server_swap, or new listeners); a broken one is freed and the running
 * one stays.
 *
 * A new generation keeps from the running one what its config did not
 * change (config lifetime apart from data lifetime):
 *  - the view, when the data sources allow it (chain_view_keepable: a data
 *    source dropped from the config takes its zones out at the switch,
 *    plugin_t.drop; redis keeps it unless the new backends outnumber the
 *    free slots, plugin_t.view_keepable). The view is counted and freed
 *    with the last generation that holds it;
 *  - every plugin instance whose config is equal (conf_equal): on a kept
 *    view the whole redis instance; on any view the plugins that do not
 *    touch it (PLUGIN_VIEW_NONE: the query log's writer, the HTTP
 *    endpoints, the reload timer...) (chain_build);
 *  - on a kept view, a changed `file` takes the zones whose file did not
 *    change (path, size, mtime) over from the running instance, and reads
 *    only the others; a changed `redis` keeps every backend whose own
 *    settings did not change (connection, stream position, data), loads
 *    new ones hidden next to the served data, and at the switch (the
 *    plugins' activate hook, gen_activate) the new order of backends is
 *    applied to the data in memory (plugins/redis/redis_merge.h).
 * A reload that changes only `log` therefore sets up one plugin and
 * touches neither the view nor Redis. When the view cannot be kept the
 * data sources are set up again on a new view, as at startup (every zone
 * file read, every backend loaded).
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
    unsigned dns_port;   /* -dns.port: Corefile keys without a port (0: 53) */
} gen_ctx_t;

typedef struct gen {
    unsigned id; /* 1, then +1 per reload attempt */
    cfg_node_t *cfg;
    cfg_server_t server_cfg;
    view_t *view;          /* held through `held` (shared with other generations) */
    struct gen_view *held; /* the counted holder of view */
    bool view_kept;        /* view is the previous generation's */
    chain_t *chain;
    plugin_gen_t plugin; /* its plugins' collectors and lameduck period */
} gen_t;

/* Read the config file, check it whole (every plugin's parse, the
 * unknown-key check; --check-config also reads the zone files and stops
 * there), then set up what changed against `prev` (the running generation,
 * or NULL at startup): see the top of this file. NULL with "FILE:LINE:
 * problem" in err; nothing is left behind, prev is as it was. */
gen_t *gen_load(const gen_ctx_t *ctx, unsigned id, const gen_t *prev, cfg_error_t *err);

/* Call the plugins' start hooks (timers, writer threads). -1 with err. */
int gen_start(gen_t *g, const gen_ctx_t *ctx, cfg_error_t *err);

/* Make g the running generation for the plugins, taking over from prev
 * (NULL at startup): its context (collectors, lameduck period) becomes
 * shared->active, its chain shared->chain, and its plugins' activate
 * hooks run, and the drop hooks of plugins prev has and g not
 * (chain_activate). */
void gen_activate(gen_t *g, const gen_t *prev, plugin_shared_t *shared);

/* True if a and b want the same listeners and worker options (so the
 * running server can be kept and only its view and chain swapped). */
bool gen_same_server(const gen_t *a, const gen_t *b);

/* Tear the plugins down and free everything. The workers must no longer
 * use g's view or chain. NULL is fine. */
void gen_free(gen_t *g);

/* The same, except the view, when g held it last: returned to be freed by
 * the caller (view_free, slow for a big view: main does it on a job
 * thread, core/bgjob.h); NULL when another generation still holds it. */
view_t *gen_free_but_view(gen_t *g);

#endif
