/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * chain.c - the plugin chain: set-up at startup, one pass per packet.
 *
 * Building a chain has two steps. chain_parse() runs every compiled-in
 * plugin's `parse` (plugin_registry[], generated from plugins/plugin.cfg),
 * in order, if its config key is present (or it has none): the config is
 * checked whole, nothing is started. chain_build() then makes one instance
 * per plugin: a new one (`setup`), or, on a reload, the running chain's
 * instance when its config is equal (`conf_equal`), shared by both chains
 * and counted, torn down when the last chain drops it. The query, respond
 * and done hooks of the instances are then copied into three flat arrays, so the
 * per-packet cost of the chain is a loop over the hooks that exist: a
 * plugin that is not configured, or has no per-query work (data sources
 * like `file`), costs nothing at all.
 *
 * Server blocks (the config's `servers` list, one per Corefile server
 * block; a config without it is one block for every name on every
 * listener): data sources (file, redis: plugins whose data lives in the
 * view) are set up once from the top level and fill the one view; every
 * other plugin gets an instance per block from the block's own section
 * (or the top-level one it inherits), and blocks whose sections are equal
 * (conf_equal) share one instance. Each block has its own hook arrays. A
 * packet runs the hooks of the block chain_block.h picks for its listener
 * and name; no block: REFUSED, seen only by plugins that count drops.
 *
 * Per packet, inside one RCU read-side section (the view's data, which the
 * response metadata points into, stays alive until the done hooks return):
 *
 *   parse          -> drop, FORMERR/NOTIMP, or a query to answer
 *   query hooks    -> the first PLUGIN_DONE answers; else the view answers
 *   respond hooks  -> SEND, DROP or TRUNCATE; the first non-SEND wins
 *   done hooks     -> logs and metrics, seeing req->action
 *
 * As in Knot (mod-rrl runs at the end of query processing), the respond
 * stage sees every response that has a question, errors included, so rate
 * limiting and cookies cannot be bypassed with a malformed query. Errors
 * without a question (a header alone, never larger than the query) skip
 * every hook. The request lives on the caller's stack; nothing is
 * allocated, nothing blocks.
 */
#include "core/chain.h"

#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/chain_block.h"
#include "core/rcu.h"

#define CHAIN_DEFAULT_LISTEN "0.0.0.0:53" /* config/server_config.h's */

/* One set-up plugin: its config, the state its setup returned, and how
 * many chains hold it (a reload's new chain shares the running instance of
 * a plugin whose config did not change). Control thread only. */
typedef struct chain_inst {
    const plugin_t *plugin;
    void *conf;
    void *state;
    unsigned refs;
    bool started;
} chain_inst_t;

/* One per-query hook, with what it needs at hand. */
typedef struct chain_query_hook {
    plugin_result_t (*fn)(void *state, request_t *req);
    void *state;
    const char *name;
} chain_query_hook_t;

typedef struct chain_respond_hook {
    respond_action_t (*fn)(void *state, request_t *req);
    void *state;
    const char *name;
} chain_respond_hook_t;

typedef struct chain_done_hook {
    void (*fn)(void *state, request_t *req);
    void *state;
} chain_done_hook_t;

/* One server block of a chain: where and for what it answers, and the
 * hooks of its instances. */
typedef struct chain_block {
    chain_scope_t scope;
    size_t ninst;
    chain_inst_t **inst; /* its instances, chain order (shared with others) */
    size_t nquery;
    chain_query_hook_t *query;
    size_t nrespond;
    chain_respond_hook_t *respond;
    size_t ndone;
    chain_done_hook_t *done;
} chain_block_t;

struct chain {
    size_t nslots;
    chain_inst_t **slots; /* set-up plugins in chain order, each once */
    size_t nblocks;
    chain_block_t *blocks;
    size_t ndropped;
    chain_done_hook_t *dropped; /* done hooks of plugins that count drops */
    size_t nlabels;
    char **labels;   /* listener l's `server` label: "dns://127.0.0.1:53" */
    size_t *longest; /* listener l: blocks elsewhere have longer zones (0/1) */
};

/* One parsed section: a data source's (global), or one or more blocks'. */
typedef struct chain_conf_slot {
    const plugin_t *plugin;
    void *conf;
    bool global;
} chain_conf_slot_t;

/* One block of a parsed config: its scope and its slots. */
typedef struct chain_conf_block {
    chain_scope_t scope;
    size_t n;
    size_t *slot;            /* indexes into chain_conf.slots */
    cfg_node_t *item;        /* its item of `servers`, or NULL */
    plugin_parse_env_t penv; /* what its plugins are parsed with */
    const char **listen;     /* penv.listen when it has its own */
} chain_conf_block_t;

struct chain_conf {
    size_t n;
    chain_conf_slot_t *slots;
    size_t nblocks;
    chain_conf_block_t *blocks;
    size_t nlabels;
    char **labels;
};

void chain_conf_free(chain_conf_t *cc)
{
    if (cc == NULL) {
        return;
    }
    for (size_t i = 0; i < cc->n; i++) {
        const plugin_t *p = cc->slots[i].plugin;
        if (p->conf_free != NULL) {
            p->conf_free(cc->slots[i].conf);
        }
    }
    for (size_t b = 0; b < cc->nblocks; b++) {
        chain_scope_free(&cc->blocks[b].scope);
        free(cc->blocks[b].slot);
        free(cc->blocks[b].listen);
    }
    for (size_t i = 0; i < cc->nlabels; i++) {
        free(cc->labels[i]);
    }
    free(cc->labels);
    free(cc->blocks);
    free(cc->slots);
    free(cc);
}

/* Would an instance set up from `old` serve for `conf`? */
static bool chain_conf_same(const plugin_t *p, const void *old, const void *conf)
{
    if (old == NULL || conf == NULL) {
        return old == NULL && conf == NULL && p->conf_equal != NULL;
    }
    return p->conf_equal != NULL && p->conf_equal(old, conf);
}

/* Does the plugin fill the shared view (one instance, top-level section)? */
static bool chain_plugin_global(const plugin_t *p)
{
    return p->view_data == PLUGIN_VIEW_HANDOVER || p->view_data == PLUGIN_VIEW_BOUND;
}

/* Append a slot (cc->slots has room for every plugin of every block). */
static size_t chain_conf_add(chain_conf_t *cc, const plugin_t *p, void *conf, bool global)
{
    cc->slots[cc->n] = (chain_conf_slot_t){p, conf, global};
    return cc->n++;
}

/* Parse plugin p for block b from `section` (may be NULL), sharing the
 * slot of an earlier block when the configs are equal. */
static int chain_conf_block_add(chain_conf_t *cc, chain_conf_block_t *b, const plugin_t *p,
                                const plugin_parse_env_t *penv, cfg_node_t *section,
                                cfg_error_t *err)
{
    void *conf = NULL;
    if (p->parse != NULL && p->parse(penv, section, &conf, err) != 0) {
        return -1;
    }
    size_t at = cc->n;
    for (size_t i = 0; i < cc->n; i++) {
        if (cc->slots[i].plugin == p && !cc->slots[i].global &&
            chain_conf_same(p, cc->slots[i].conf, conf)) {
            at = i;
            break;
        }
    }
    if (at != cc->n) {
        if (p->conf_free != NULL) {
            p->conf_free(conf); /* another block's instance serves for this one */
        }
    } else {
        chain_conf_add(cc, p, conf, false);
    }
    b->slot[b->n++] = at;
    return 0;
}

/* The `server` label of listener i: "dns://" and the address as given. */
static int chain_conf_labels(chain_conf_t *cc, const plugin_parse_env_t *penv, cfg_error_t *err)
{
    size_t n = penv->listen != NULL && penv->nlisten > 0 ? penv->nlisten : 1;
    if ((cc->labels = calloc(n, sizeof(*cc->labels))) == NULL) {
        snprintf(err->msg, sizeof(err->msg), "out of memory reading the plugins' config");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *addr = penv->listen != NULL && penv->nlisten > 0 ? penv->listen[i] : ":53";
        size_t len = strlen(addr) + 7;
        if ((cc->labels[i] = malloc(len)) == NULL) {
            snprintf(err->msg, sizeof(err->msg), "out of memory reading the plugins' config");
            return -1;
        }
        snprintf(cc->labels[i], len, "dns://%s", addr);
        cc->nlabels++;
    }
    return 0;
}

/* A block's listeners: its `listen` addresses (default: the server's
 * default) as numbers of the server's list (first alias). */
static int chain_conf_block_listen(chain_scope_t *scope, cfg_node_t *listen,
                                   const plugin_parse_env_t *penv, const cfg_node_t *at,
                                   cfg_error_t *err)
{
    size_t count = listen == NULL ? 1 : listen->kind == CFG_SEQ ? listen->n : 1;
    if (listen != NULL && listen->kind == CFG_MAP) {
        return cfg_fail(err, listen, "listen: expected an address or a list of addresses");
    }
    if ((scope->listen = calloc(count > 0 ? count : 1, sizeof(*scope->listen))) == NULL) {
        return cfg_fail(err, at, "out of memory");
    }
    for (size_t i = 0; i < count; i++) {
        const cfg_node_t *item = listen == NULL            ? NULL
                                 : listen->kind == CFG_SEQ ? listen->items[i]
                                                           : listen;
        const char *text = CHAIN_DEFAULT_LISTEN;
        if (item != NULL && cfg_string(item, &text, err) != 0) {
            return -1;
        }
        size_t l = 0;
        while (l < penv->nlisten && strcmp(penv->listen[l], text) != 0) {
            l++;
        }
        if (l == penv->nlisten) {
            return cfg_fail(err, item != NULL ? item : at, "listen: '%s' is not served", text);
        }
        scope->listen[scope->nlisten++] =
            penv->listen_alias != NULL ? penv->listen_alias[l] : (unsigned)l;
    }
    return 0;
}

/* Read the zones and listeners of one server block (item of `servers`,
 * or NULL for a config without it: every name, every listener) into
 * cc->blocks[cc->nblocks]. */
static int chain_conf_scope(chain_conf_t *cc, size_t nplugins, const plugin_parse_env_t *penv,
                            cfg_node_t *root, cfg_node_t *item, cfg_error_t *err)
{
    chain_conf_block_t *b = &cc->blocks[cc->nblocks++];
    b->item = item;
    b->penv = *penv;
    if ((b->slot = calloc(nplugins > 0 ? nplugins : 1, sizeof(*b->slot))) == NULL) {
        snprintf(err->msg, sizeof(err->msg), "out of memory reading the plugins' config");
        return -1;
    }
    b->penv.block = &b->scope;
    if (item == NULL) {
        b->scope.every_listener = true;
        return chain_scope_zones(&b->scope, NULL, root, err);
    }
    if (item->kind != CFG_MAP) {
        return cfg_fail(err, item, "servers: each server is a map (zones, listen, plugins)");
    }
    if (chain_scope_zones(&b->scope, cfg_get(item, "zones"), item, err) != 0 ||
        chain_conf_block_listen(&b->scope, cfg_get(item, "listen"), penv, item, err) != 0) {
        return -1;
    }
    /* What the block's plugins see as the DNS listen addresses. */
    cfg_node_t *ln = cfg_peek(item, "listen");
    size_t nl = ln == NULL ? 0 : ln->kind == CFG_SEQ ? ln->n : 1;
    if (nl > 0) {
        if ((b->listen = calloc(nl, sizeof(*b->listen))) == NULL) {
            return cfg_fail(err, item, "out of memory");
        }
        for (size_t i = 0; i < nl; i++) {
            const cfg_node_t *li = ln->kind == CFG_SEQ ? ln->items[i] : ln;
            b->listen[i] = li->kind == CFG_SCALAR ? li->value : CHAIN_DEFAULT_LISTEN;
        }
        b->penv.listen = b->listen;
        b->penv.nlisten = nl;
    }
    return 0;
}

bool plugin_block_zone(const plugin_parse_env_t *penv, size_t i, const uint8_t **wire, size_t *len)
{
    const chain_scope_t *scope = penv->block;
    if (scope == NULL || i >= scope->nzones) {
        return false;
    }
    *wire = scope->zones[i].wire;
    *len = scope->zones[i].len;
    return true;
}

/* Plugin p in block b: its section (the block's, or the top-level one it
 * inherits), parsed, or nothing if neither has one. */
static int chain_conf_block_plugin(chain_conf_t *cc, chain_conf_block_t *b, const plugin_t *p,
                                   cfg_node_t *root, cfg_error_t *err)
{
    cfg_node_t *item = b->item;
    if (chain_plugin_global(p)) {
        cfg_node_t *own =
            item != NULL && p->config_key != NULL && strcmp(p->config_key, "zones") != 0
                ? cfg_peek(item, p->config_key)
                : NULL;
        if (own != NULL) {
            return cfg_fail(err, own,
                            "%s: a data source fills the view every server shares: give it at "
                            "the top level",
                            p->config_key);
        }
        return 0;
    }
    cfg_node_t *section = NULL;
    if (p->config_key != NULL) {
        cfg_node_t *top = root != NULL ? cfg_get(root, p->config_key) : NULL; /* inherited */
        section = item != NULL ? cfg_get(item, p->config_key) : NULL;
        section = section != NULL ? section : top;
        if (section == NULL && !p->default_on) {
            return 0; /* not configured for this block */
        }
    }
    return chain_conf_block_add(cc, b, p, &b->penv, section, err);
}

/* As CoreDNS: one zone on one listener is in one server block only (which
 * one would take its queries?). -1 with "FILE:LINE: problem". */
static int chain_conf_check_dupes(const chain_conf_t *cc, const plugin_parse_env_t *penv,
                                  const cfg_node_t *servers, cfg_error_t *err)
{
    for (size_t b = 0; servers != NULL && b < cc->nblocks; b++) {
        const chain_scope_t *x = &cc->blocks[b].scope;
        for (size_t a = 0; a < b; a++) {
            const chain_scope_t *y = &cc->blocks[a].scope;
            for (size_t l = 0; l < x->nlisten; l++) {
                if (!chain_scope_on(y, x->listen[l])) {
                    continue;
                }
                for (size_t i = 0; i < x->nzones; i++) {
                    for (size_t j = 0; j < y->nzones; j++) {
                        if (x->zones[i].len == y->zones[j].len &&
                            memcmp(x->zones[i].wire, y->zones[j].wire, x->zones[i].len) == 0) {
                            return cfg_fail(err, servers->items[b],
                                            "zone %s on %s is in two server blocks (the other "
                                            "starts on line %d)",
                                            x->zones[i].text, penv->listen[x->listen[l]],
                                            servers->items[a]->line);
                        }
                    }
                }
            }
        }
    }
    return 0;
}

chain_conf_t *chain_parse_from(const plugin_t *const *plugins, size_t nplugins,
                               const plugin_parse_env_t *penv, cfg_node_t *root, cfg_error_t *err)
{
    cfg_node_t *servers = root != NULL ? cfg_get(root, "servers") : NULL;
    size_t nblocks = 1;
    if (servers != NULL) {
        if (servers->kind != CFG_SEQ || servers->n == 0) {
            cfg_fail(err, servers, "servers: expected a list of servers (zones, listen, plugins)");
            return NULL;
        }
        nblocks = servers->n;
    }
    chain_conf_t *cc = calloc(1, sizeof(*cc));
    if (cc == NULL ||
        (cc->slots = calloc(nplugins * (nblocks + 1) + 1, sizeof(*cc->slots))) == NULL ||
        (cc->blocks = calloc(nblocks, sizeof(*cc->blocks))) == NULL) {
        if (cc != NULL) {
            free(cc->slots);
        }
        free(cc);
        snprintf(err->msg, sizeof(err->msg), "out of memory reading the plugins' config");
        return NULL;
    }
    if (chain_conf_labels(cc, penv, err) != 0) {
        chain_conf_free(cc);
        return NULL;
    }
    for (size_t b = 0; b < nblocks; b++) {
        if (chain_conf_scope(cc, nplugins, penv, root, servers != NULL ? servers->items[b] : NULL,
                             err) != 0) {
            chain_conf_free(cc);
            return NULL;
        }
    }
    if (chain_conf_check_dupes(cc, penv, servers, err) != 0) {
        chain_conf_free(cc);
        return NULL;
    }
    /* In chain order: a data source once (file before redis: the first to
     * publish a zone keeps it), every other plugin once per block. */
    for (size_t i = 0; i < nplugins; i++) {
        const plugin_t *p = plugins[i];
        for (size_t b = 0; b < nblocks; b++) {
            if (chain_conf_block_plugin(cc, &cc->blocks[b], p, root, err) != 0) {
                chain_conf_free(cc);
                return NULL;
            }
        }
        if (!chain_plugin_global(p)) {
            continue;
        }
        cfg_node_t *section = NULL;
        if (p->config_key != NULL) {
            section = root != NULL ? cfg_get(root, p->config_key) : NULL;
            if (section == NULL && !p->default_on) {
                continue; /* not configured: not in the chain */
            }
        }
        void *conf = NULL;
        if (p->parse != NULL && p->parse(penv, section, &conf, err) != 0) {
            chain_conf_free(cc);
            return NULL;
        }
        chain_conf_add(cc, p, conf, true);
    }
    return cc;
}

chain_conf_t *chain_parse(const plugin_parse_env_t *penv, cfg_node_t *root, cfg_error_t *err)
{
    return chain_parse_from(plugin_registry, plugin_registry_count, penv, root, err);
}

int chain_check(const chain_conf_t *cc, cfg_error_t *err)
{
    for (size_t i = 0; i < cc->n; i++) {
        const plugin_t *p = cc->slots[i].plugin;
        if (p->check != NULL && p->check(cc->slots[i].conf, err) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Drop one hold on an instance; the last one tears it down. */
static void chain_inst_put(chain_inst_t *in)
{
    if (in == NULL || --in->refs > 0) {
        return;
    }
    if (in->plugin->teardown != NULL) {
        in->plugin->teardown(in->state);
    }
    if (in->plugin->conf_free != NULL) {
        in->plugin->conf_free(in->conf);
    }
    free(in);
}

/* Drop the first `n` instances in reverse order. */
static void chain_teardown(chain_t *chain, size_t n)
{
    while (n > 0) {
        n--;
        chain_inst_put(chain->slots[n]);
    }
}

static void chain_free_arrays(chain_t *chain)
{
    for (size_t b = 0; b < chain->nblocks; b++) {
        chain_block_t *blk = &chain->blocks[b];
        chain_scope_free(&blk->scope);
        free(blk->inst);
        free(blk->query);
        free(blk->respond);
        free(blk->done);
    }
    for (size_t i = 0; i < chain->nlabels; i++) {
        free(chain->labels[i]);
    }
    free(chain->labels);
    free(chain->longest);
    free(chain->blocks);
    free(chain->dropped);
    free(chain->slots);
    free(chain);
}

/* Copy the hooks of a block's instances into its per-query arrays. */
static int chain_block_hooks(chain_block_t *blk)
{
    size_t n = blk->ninst > 0 ? blk->ninst : 1;
    if ((blk->query = calloc(n, sizeof(*blk->query))) == NULL ||
        (blk->respond = calloc(n, sizeof(*blk->respond))) == NULL ||
        (blk->done = calloc(n, sizeof(*blk->done))) == NULL) {
        return -1;
    }
    for (size_t i = 0; i < blk->ninst; i++) {
        const chain_inst_t *s = blk->inst[i];
        if (s->plugin->query != NULL) {
            blk->query[blk->nquery++] =
                (chain_query_hook_t){s->plugin->query, s->state, s->plugin->name};
        }
        if (s->plugin->respond != NULL) {
            blk->respond[blk->nrespond++] =
                (chain_respond_hook_t){s->plugin->respond, s->state, s->plugin->name};
        }
        if (s->plugin->done != NULL) {
            blk->done[blk->ndone++] = (chain_done_hook_t){s->plugin->done, s->state};
        }
    }
    return 0;
}

/* For each listener: is there a block elsewhere whose zones could take a
 * name from the blocks here (so chain_pick must look at every block)? */
static void chain_longest(chain_t *chain)
{
    for (size_t l = 0; l < chain->nlabels; l++) {
        for (size_t b = 0; b < chain->nblocks && !chain->longest[l]; b++) {
            chain->longest[l] = !chain_scope_on(&chain->blocks[b].scope, (unsigned)l);
        }
    }
}

/* The blocks (from cc) and the drop-counting hooks of a built chain;
 * slot_inst[i] is the instance of cc->slots[i]. */
static int chain_build_blocks(chain_t *chain, chain_conf_t *cc, chain_inst_t **slot_inst)
{
    size_t n = cc->nblocks > 0 ? cc->nblocks : 1;
    if ((chain->blocks = calloc(n, sizeof(*chain->blocks))) == NULL ||
        (chain->dropped = calloc(chain->nslots + 1, sizeof(*chain->dropped))) == NULL ||
        (chain->longest = calloc(cc->nlabels + 1, sizeof(*chain->longest))) == NULL) {
        return -1;
    }
    for (size_t b = 0; b < cc->nblocks; b++) {
        chain_conf_block_t *cb = &cc->blocks[b];
        chain_block_t *blk = &chain->blocks[chain->nblocks++];
        blk->scope = cb->scope; /* taken over */
        memset(&cb->scope, 0, sizeof(cb->scope));
        if ((blk->inst = calloc(cb->n + cc->n + 1, sizeof(*blk->inst))) == NULL) {
            return -1;
        }
        for (size_t i = 0; i < cb->n; i++) {
            blk->inst[blk->ninst++] = slot_inst[cb->slot[i]];
        }
        /* A data source with a query hook (redis: SERVFAIL for its zones
         * while they load) answers in every block, after the block's own
         * plugins (data sources come last in plugin.cfg). */
        for (size_t i = 0; i < cc->n; i++) {
            if (cc->slots[i].global && slot_inst[i] != NULL &&
                slot_inst[i]->plugin->query != NULL) {
                blk->inst[blk->ninst++] = slot_inst[i];
            }
        }
        if (chain_block_hooks(blk) != 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < chain->nslots; i++) {
        const chain_inst_t *s = chain->slots[i];
        if (s->plugin->sees_dropped && s->plugin->done != NULL) {
            chain->dropped[chain->ndropped++] = (chain_done_hook_t){s->plugin->done, s->state};
        }
    }
    chain->labels = cc->labels; /* taken over */
    chain->nlabels = cc->nlabels;
    cc->labels = NULL;
    cc->nlabels = 0;
    chain_longest(chain);
    return 0;
}

/* The first instance of plugin p in chain, or NULL. */
static chain_inst_t *chain_find(const chain_t *chain, const plugin_t *p)
{
    for (size_t i = 0; chain != NULL && i < chain->nslots; i++) {
        if (chain->slots[i]->plugin == p) {
            return chain->slots[i];
        }
    }
    return NULL;
}

/* An instance of plugin p in chain set up from a config equal to conf. */
static chain_inst_t *chain_find_equal(const chain_t *chain, const plugin_t *p, const void *conf)
{
    for (size_t i = 0; chain != NULL && i < chain->nslots; i++) {
        chain_inst_t *in = chain->slots[i];
        if (in->plugin == p && chain_conf_same(p, in->conf, conf)) {
            return in;
        }
    }
    return NULL;
}

chain_t *chain_build(const plugin_env_t *env, chain_conf_t *cc, const chain_t *prev, bool view_kept,
                     cfg_error_t *err)
{
    chain_t *chain = calloc(1, sizeof(*chain));
    chain_inst_t **slot_inst = calloc(cc->n + 1, sizeof(*slot_inst));
    if (chain == NULL || slot_inst == NULL ||
        (chain->slots = calloc(cc->n + 1, sizeof(*chain->slots))) == NULL) {
        free(chain);
        free(slot_inst);
        chain_conf_free(cc);
        snprintf(err->msg, sizeof(err->msg), "out of memory setting up plugins");
        return NULL;
    }
    for (size_t i = 0; i < cc->n; i++) {
        chain_conf_slot_t *cs = &cc->slots[i];
        const plugin_t *p = cs->plugin;
        chain_inst_t *old = chain_find_equal(prev, p, cs->conf);
        bool per_worker = p->query != NULL || p->respond != NULL || p->done != NULL;
        bool view_ok = view_kept || p->view_data == PLUGIN_VIEW_NONE;
        if (old != NULL && view_ok && !(per_worker && env->new_server)) {
            old->refs++; /* unchanged: the running instance serves on */
            chain->slots[chain->nslots++] = old;
            slot_inst[i] = old;
            if (p->join != NULL) {
                p->join(old->state, old->conf, env);
            }
            continue;
        }
        old = chain_find(prev, p);
        plugin_env_t penv = *env;
        penv.prev_state = old != NULL && view_kept ? old->state : NULL;
        chain_inst_t *in = calloc(1, sizeof(*in));
        if (in == NULL) {
            snprintf(err->msg, sizeof(err->msg), "out of memory setting up plugins");
            goto fail;
        }
        *in = (chain_inst_t){.plugin = p, .conf = cs->conf, .refs = 1};
        if (p->setup != NULL && p->setup(&penv, cs->conf, &in->state, err) != 0) {
            free(in);
            goto fail;
        }
        cs->conf = NULL; /* the instance has it now */
        chain->slots[chain->nslots++] = in;
        slot_inst[i] = in;
        if (p->join != NULL) {
            p->join(in->state, in->conf, env);
        }
    }
    if (chain_build_blocks(chain, cc, slot_inst) != 0) {
        snprintf(err->msg, sizeof(err->msg), "out of memory setting up plugins");
        goto fail;
    }
    free(slot_inst);
    chain_conf_free(cc); /* what is left: configs of reused instances */
    return chain;
fail:
    free(slot_inst);
    chain_teardown(chain, chain->nslots);
    chain_free_arrays(chain);
    chain_conf_free(cc);
    return NULL;
}

bool chain_shares(const chain_t *chain, const chain_t *prev, const char *name)
{
    for (size_t i = 0; chain != NULL && i < chain->nslots; i++) {
        const chain_inst_t *in = chain->slots[i];
        if (strcmp(in->plugin->name, name) == 0) {
            return chain_find(prev, in->plugin) == in;
        }
    }
    return false;
}

bool chain_conf_keeps(const chain_conf_t *cc, const chain_t *prev, const char *name)
{
    const chain_conf_slot_t *cs = NULL;
    for (size_t i = 0; i < cc->n; i++) {
        if (strcmp(cc->slots[i].plugin->name, name) == 0) {
            cs = &cc->slots[i];
        }
    }
    const chain_inst_t *old = NULL;
    for (size_t i = 0; prev != NULL && i < prev->nslots; i++) {
        if (strcmp(prev->slots[i]->plugin->name, name) == 0) {
            old = prev->slots[i];
        }
    }
    if (cs == NULL || old == NULL) {
        return cs == NULL && old == NULL;
    }
    return chain_conf_same(cs->plugin, old->conf, cs->conf);
}

bool chain_view_keepable(const chain_conf_t *cc, const chain_t *prev)
{
    for (size_t i = 0; i < prev->nslots; i++) {
        const plugin_t *p = prev->slots[i]->plugin;
        if (p->view_data == PLUGIN_VIEW_NONE || p->view_data == PLUGIN_VIEW_READS) {
            continue;
        }
        bool in_cc = false;
        for (size_t j = 0; j < cc->n; j++) {
            in_cc = in_cc || cc->slots[j].plugin == p;
        }
        if (!in_cc && p->view_data == PLUGIN_VIEW_HANDOVER && p->drop != NULL) {
            continue; /* dropped: it takes its data out at the switch */
        }
        if (!in_cc || (p->view_data == PLUGIN_VIEW_BOUND && !chain_conf_keeps(cc, prev, p->name))) {
            return false;
        }
        for (size_t j = 0; j < cc->n && p->view_keepable != NULL; j++) {
            const void *old = prev->slots[i]->conf, *conf = cc->slots[j].conf;
            if (cc->slots[j].plugin == p && old != NULL && conf != NULL &&
                !p->view_keepable(old, conf)) {
                return false;
            }
        }
    }
    for (size_t j = 0; j < cc->n; j++) {
        const plugin_t *p = cc->slots[j].plugin;
        if (p->view_data == PLUGIN_VIEW_BOUND && chain_find(prev, p) == NULL) {
            return false; /* a new backend set: a fresh view, as at startup */
        }
    }
    return true;
}

void *chain_state(const chain_t *chain, const char *name)
{
    for (size_t i = 0; chain != NULL && i < chain->nslots; i++) {
        if (strcmp(chain->slots[i]->plugin->name, name) == 0) {
            return chain->slots[i]->state;
        }
    }
    return NULL;
}

chain_t *chain_new_from(const plugin_t *const *plugins, size_t nplugins, const plugin_env_t *env,
                        cfg_node_t *root, cfg_error_t *err)
{
    plugin_parse_env_t penv = {
        .workers = env->workers,
        .limits = env->limits,
        .listen = env->listen,
        .nlisten = env->nlisten,
        .config_path = env->config_path,
        .listen_alias = NULL,
    };
    chain_conf_t *cc = chain_parse_from(plugins, nplugins, &penv, root, err);
    return cc != NULL ? chain_build(env, cc, NULL, false, err) : NULL;
}

chain_t *chain_new(const plugin_env_t *env, cfg_node_t *root, cfg_error_t *err)
{
    return chain_new_from(plugin_registry, plugin_registry_count, env, root, err);
}

int chain_start(chain_t *chain, cfg_error_t *err)
{
    for (size_t i = 0; i < chain->nslots; i++) {
        chain_inst_t *s = chain->slots[i];
        if (s->started) {
            continue; /* reused: runs already */
        }
        if (s->plugin->start != NULL && s->plugin->start(s->state) != 0) {
            snprintf(err->msg, sizeof(err->msg), "plugin %s failed to start", s->plugin->name);
            return -1;
        }
        s->started = true;
    }
    return 0;
}

void chain_activate(chain_t *chain, const chain_t *prev, bool view_kept)
{
    for (size_t i = 0; chain != NULL && i < chain->nslots; i++) {
        const chain_inst_t *s = chain->slots[i];
        if (s->plugin->activate != NULL) {
            s->plugin->activate(s->state);
        }
    }
    for (size_t i = 0; view_kept && prev != NULL && i < prev->nslots; i++) {
        const chain_inst_t *s = prev->slots[i];
        if (s->plugin->drop != NULL && chain_find(chain, s->plugin) == NULL) {
            s->plugin->drop(s->state); /* not in the new chain: its data leaves the view */
        }
    }
}

int chain_failed(const chain_t *chain, cfg_error_t *err)
{
    for (size_t i = 0; i < chain->nslots; i++) {
        const chain_inst_t *s = chain->slots[i];
        if (s->plugin->failed != NULL && s->plugin->failed(s->state, err) != 0) {
            return -1;
        }
    }
    return 0;
}

bool chain_ready(const chain_t *chain, char *why, size_t why_len)
{
    bool ready = true;
    size_t off = 0;
    if (why_len > 0) {
        why[0] = '\0';
    }
    for (size_t i = 0; i < chain->nslots; i++) {
        const chain_inst_t *s = chain->slots[i];
        char reason[256] = "";
        bool ok = s->plugin->ready == NULL || s->plugin->ready(s->state, reason, sizeof(reason));
        if (ok && reason[0] == '\0') {
            continue;
        }
        ready = ready && ok; /* a ready plugin may still say something (a detail) */
        if (off < why_len) {
            int n = snprintf(why + off, why_len - off, "%s%s%s%s", off > 0 ? "; " : "",
                             s->plugin->name, reason[0] ? ": " : "", reason);
            off += n < 0 ? 0 : (size_t)n;
        }
    }
    return ready;
}

const char *chain_plugin_name(const chain_t *chain, size_t i)
{
    return i < chain->nslots ? chain->slots[i]->plugin->name : NULL;
}

void chain_free(chain_t *chain)
{
    if (chain == NULL) {
        return;
    }
    chain_teardown(chain, chain->nslots);
    chain_free_arrays(chain);
}

/* The request of a packet, before any plugin saw it. */
static request_t request_of(const chain_t *chain, const wire_query_t *q, const chain_packet_t *p,
                            uint8_t *out, size_t cap)
{
    return (request_t){
        .q = q,
        .proto = p->proto,
        .peer = p->peer,
        .peer_len = p->peer_len,
        .worker = p->worker,
        .slot = p->slot,
        .start_ns = p->start_ns,
        .resp = out,
        .resp_cap = cap,
        .server_label = chain->labels[p->listener < chain->nlabels ? p->listener : 0],
        .zone_label = "dropped",
        .tcp_fd = p->proto == REQ_TCP && p->fd > 0 ? p->fd : -1,
    };
}

/* A signed query's response gets its TSIG last, after every respond hook
 * (options added, truncation): signed with the verified key, or, for a key
 * no one knows or a bad MAC, the unsigned TSIG naming the error. A signed
 * reply that no longer fits is sent empty with TC=1, signed. */
static void tsig_finish(const answer_limits_t *lim, request_t *req)
{
    int64_t now = (int64_t)time(NULL);
    if (req->tsig.key != NULL) {
        size_t n = tsig_sign(&req->tsig, req->resp, req->resp_len, req->resp_cap, now);
        if (n == 0) {
            req->resp_len =
                answer_truncate(req->q, lim, req->resp, req->resp_len, req->resp_cap, &req->meta);
            n = tsig_sign(&req->tsig, req->resp, req->resp_len, req->resp_cap, now);
        }
        req->resp_len = n;
        return;
    }
    uint16_t error = req->tsig.error ? req->tsig.error : TSIG_BADKEY;
    req->resp_len = tsig_append_error(req->q, error, req->resp, req->resp_len, req->resp_cap);
}

/* The block that takes q on listener l (CoreDNS: the longest zone of the
 * blocks on l), with req->zone_label set; NULL if none may: no block on l
 * has a zone for the name, or a block elsewhere claims it with a longer
 * zone (chain_block.h). */
static const chain_block_t *chain_pick(const chain_t *chain, const wire_query_t *q, unsigned l,
                                       request_t *req)
{
    const chain_block_t *best = NULL;
    int best_labels = -1, elsewhere = -1;
    size_t best_zone = 0;
    bool check_all = l < chain->nlabels ? chain->longest[l] != 0 : true;
    for (size_t b = 0; b < chain->nblocks; b++) {
        const chain_block_t *blk = &chain->blocks[b];
        bool here = chain_scope_on(&blk->scope, l);
        if (!here && !check_all) {
            continue;
        }
        size_t zone;
        int labels = chain_scope_match(&blk->scope, q, &zone);
        if (!here) {
            elsewhere = labels > elsewhere ? labels : elsewhere;
        } else if (labels > best_labels) {
            best = blk;
            best_labels = labels;
            best_zone = zone;
        }
    }
    if (best == NULL || elsewhere > best_labels) {
        return NULL;
    }
    req->zone_label = best->scope.zones[best_zone].text;
    return best;
}

/* The respond stage, then the done hooks of the block. Returns the bytes
 * to send (0: drop). The caller holds rcu_read_lock(). */
static size_t finish_request(const chain_block_t *blk, const answer_limits_t *lim, request_t *req)
{
    for (size_t i = 0; i < blk->nrespond; i++) {
        const chain_respond_hook_t *h = &blk->respond[i];
        respond_action_t a = h->fn(h->state, req);
        if (a != RESPOND_SEND) {
            req->action = a;
            req->action_by = h->name;
            break;
        }
    }
    if (req->action == RESPOND_TRUNCATE) {
        req->resp_len =
            answer_truncate(req->q, lim, req->resp, req->resp_len, req->resp_cap, &req->meta);
    }
    if (req->q->tsig.present && req->action != RESPOND_DROP && req->resp_len > 0) {
        tsig_finish(lim, req);
    }
    for (size_t i = 0; i < blk->ndone; i++) {
        blk->done[i].fn(blk->done[i].state, req);
    }
    return req->action == RESPOND_DROP ? 0 : req->resp_len;
}

/* A query no block takes, seen by the plugins that count drops. */
static void chain_dropped(const chain_t *chain, request_t *req)
{
    for (size_t i = 0; i < chain->ndropped; i++) {
        chain->dropped[i].fn(chain->dropped[i].state, req);
    }
}

/* A query no block takes: REFUSED. */
static size_t chain_refuse(const chain_t *chain, const answer_limits_t *lim, request_t *req,
                           size_t max)
{
    req->resp_len = answer_error(req->q, WIRE_RCODE_REFUSED, lim, req->resp, max);
    answer_meta_error(&req->meta, WIRE_RCODE_REFUSED, NULL);
    if (req->q->tsig.present) { /* no block's key can check it: not signed back */
        req->tsig.error = TSIG_BADKEY;
        tsig_finish(lim, req);
    }
    chain_dropped(chain, req);
    return req->resp_len;
}

size_t chain_process(const chain_t *chain, const view_t *view, const answer_limits_t *lim,
                     const chain_packet_t *p, uint8_t *out, size_t cap)
{
    wire_query_t q;
    size_t max = p->proto == REQ_TCP ? WIRE_MAX_UDP : WIRE_MIN_UDP;
    if (max > cap) {
        max = cap;
    }
    uint8_t error_rcode = 0;
    switch (wire_parse_query(p->pkt, p->len, &q)) {
    case WIRE_DROP:
        return 0;
    case WIRE_FORMERR:
        error_rcode = WIRE_RCODE_FORMERR;
        break;
    case WIRE_NOTIMP:
        error_rcode = WIRE_RCODE_NOTIMP;
        break;
    case WIRE_ANSWER:
    default:
        break;
    }
    if (error_rcode) {
        size_t n = answer_error(&q, error_rcode, lim, out, max);
        if (!q.has_question) {
            return n; /* a header alone: nothing for a hook to look at */
        }
        /* Rate limiting, logs and metrics see these too, as in CoreDNS. */
        request_t req = request_of(chain, &q, p, out, max);
        const chain_block_t *blk = chain_pick(chain, &q, p->listener, &req);
        req.resp_len = n;
        answer_meta_error(&req.meta, error_rcode, NULL);
        rcu_read_lock();
        if (blk == NULL) {
            chain_dropped(chain, &req); /* the error stands; no block's hooks */
        } else {
            n = finish_request(blk, lim, &req);
        }
        rcu_read_unlock();
        return n;
    }
    if (p->proto == REQ_UDP) {
        max = answer_udp_limit(&q, lim);
        if (max > cap) {
            max = cap;
        }
    }

    request_t req = request_of(chain, &q, p, out, max);
    const chain_block_t *blk = chain_pick(chain, &q, p->listener, &req);

    rcu_read_lock();
    if (blk == NULL) {
        size_t n = chain_refuse(chain, lim, &req, max);
        rcu_read_unlock();
        return n;
    }
    bool answered = false;
    for (size_t i = 0; i < blk->nquery; i++) {
        const chain_query_hook_t *h = &blk->query[i];
        if (h->fn(h->state, &req) == PLUGIN_DONE) {
            if (req.answered_by == NULL) {
                req.answered_by = h->name;
            }
            answered = true;
            break;
        }
    }
    if (q.tsig.present && !req.tsig_checked) {
        /* signed with a key no plugin knows (no `tsig` configured): NOTAUTH,
         * BADKEY, never an unsigned answer (RFC 8945 5.2) */
        req.resp_len = answer_error(&q, WIRE_RCODE_NOTAUTH, lim, out, max);
        req.tsig.key = NULL;
        req.tsig.error = TSIG_BADKEY; /* its TSIG goes on last (tsig_finish) */
        answer_meta_error(&req.meta, WIRE_RCODE_NOTAUTH, NULL);
        req.answered_by = NULL;
        answered = true;
    }
    if (!answered) {
        req.resp_len = answer_query(view, &q, lim, out, max, &req.meta);
    }
    size_t n = finish_request(blk, lim, &req);
    rcu_read_unlock();
    return n;
}

size_t chain_blocks(const chain_t *chain)
{
    return chain->nblocks;
}

const char *chain_block_zone(const chain_t *chain, size_t b, size_t i)
{
    const chain_scope_t *s = &chain->blocks[b].scope;
    return i < s->nzones ? s->zones[i].text : NULL;
}

const char *chain_block_server(const chain_t *chain, size_t b, size_t i)
{
    const chain_scope_t *s = &chain->blocks[b].scope;
    if (s->every_listener) {
        return i < chain->nlabels ? chain->labels[i] : NULL;
    }
    return i < s->nlisten && s->listen[i] < chain->nlabels ? chain->labels[s->listen[i]] : NULL;
}

bool chain_plugin_global_name(const chain_t *chain, const char *name)
{
    for (size_t i = 0; i < chain->nslots; i++) {
        const plugin_t *p = chain->slots[i]->plugin;
        if (strcmp(p->name, name) == 0) {
            return chain_plugin_global(p);
        }
    }
    return false;
}

const char *chain_block_plugin(const chain_t *chain, size_t b, size_t i)
{
    const chain_block_t *blk = &chain->blocks[b];
    return i < blk->ninst ? blk->inst[i]->plugin->name : NULL;
}
