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
#include <stdlib.h>
#include <string.h>
#include "core/rcu.h"

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

struct chain {
    size_t nslots;
    chain_inst_t **slots; /* set-up plugins in chain order */
    size_t nquery;
    chain_query_hook_t *query;
    size_t nrespond;
    chain_respond_hook_t *respond;
    size_t ndone;
    chain_done_hook_t *done;
};

/* One parsed section. */
typedef struct chain_conf_slot {
    const plugin_t *plugin;
    void *conf;
} chain_conf_slot_t;

struct chain_conf {
    size_t n;
    chain_conf_slot_t *slots;
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
    free(cc->slots);
    free(cc);
}

chain_conf_t *chain_parse_from(const plugin_t *const *plugins, size_t nplugins,
                               const plugin_parse_env_t *penv, cfg_node_t *root, cfg_error_t *err)
{
    chain_conf_t *cc = calloc(1, sizeof(*cc));
    if (cc == NULL ||
        (nplugins > 0 && (cc->slots = calloc(nplugins, sizeof(*cc->slots))) == NULL)) {
        free(cc);
        snprintf(err->msg, sizeof(err->msg), "out of memory reading the plugins' config");
        return NULL;
    }
    for (size_t i = 0; i < nplugins; i++) {
        const plugin_t *p = plugins[i];
        cfg_node_t *section = NULL;
        if (p->config_key != NULL) {
            section = cfg_get(root, p->config_key);
            if (section == NULL && !p->default_on) {
                continue; /* not configured: not in the chain */
            }
        }
        void *conf = NULL;
        if (p->parse != NULL && p->parse(penv, section, &conf, err) != 0) {
            chain_conf_free(cc);
            return NULL;
        }
        cc->slots[cc->n++] = (chain_conf_slot_t){p, conf};
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
    free(chain->slots);
    free(chain->query);
    free(chain->respond);
    free(chain->done);
    free(chain);
}

/* Copy the hooks of the set-up plugins into the per-query arrays. */
static int chain_build_hooks(chain_t *chain)
{
    size_t nq = 0, nr = 0, nd = 0;
    for (size_t i = 0; i < chain->nslots; i++) {
        nq += chain->slots[i]->plugin->query != NULL;
        nr += chain->slots[i]->plugin->respond != NULL;
        nd += chain->slots[i]->plugin->done != NULL;
    }
    if (nq > 0 && (chain->query = calloc(nq, sizeof(*chain->query))) == NULL) {
        return -1;
    }
    if (nr > 0 && (chain->respond = calloc(nr, sizeof(*chain->respond))) == NULL) {
        return -1;
    }
    if (nd > 0 && (chain->done = calloc(nd, sizeof(*chain->done))) == NULL) {
        return -1;
    }
    for (size_t i = 0; i < chain->nslots; i++) {
        const chain_inst_t *s = chain->slots[i];
        if (s->plugin->query != NULL) {
            chain->query[chain->nquery++] =
                (chain_query_hook_t){s->plugin->query, s->state, s->plugin->name};
        }
        if (s->plugin->respond != NULL) {
            chain->respond[chain->nrespond++] =
                (chain_respond_hook_t){s->plugin->respond, s->state, s->plugin->name};
        }
        if (s->plugin->done != NULL) {
            chain->done[chain->ndone++] = (chain_done_hook_t){s->plugin->done, s->state};
        }
    }
    return 0;
}

/* The instance of plugin p in chain, or NULL. */
static chain_inst_t *chain_find(const chain_t *chain, const plugin_t *p)
{
    for (size_t i = 0; chain != NULL && i < chain->nslots; i++) {
        if (chain->slots[i]->plugin == p) {
            return chain->slots[i];
        }
    }
    return NULL;
}

/* Would an instance set up from `old` serve for `conf`? */
static bool chain_conf_same(const plugin_t *p, const void *old, const void *conf)
{
    if (old == NULL || conf == NULL) {
        return old == NULL && conf == NULL && p->conf_equal != NULL;
    }
    return p->conf_equal != NULL && p->conf_equal(old, conf);
}

chain_t *chain_build(const plugin_env_t *env, chain_conf_t *cc, const chain_t *prev, bool view_kept,
                     cfg_error_t *err)
{
    chain_t *chain = calloc(1, sizeof(*chain));
    if (chain == NULL ||
        (cc->n > 0 && (chain->slots = calloc(cc->n, sizeof(*chain->slots))) == NULL)) {
        free(chain);
        chain_conf_free(cc);
        snprintf(err->msg, sizeof(err->msg), "out of memory setting up plugins");
        return NULL;
    }
    for (size_t i = 0; i < cc->n; i++) {
        chain_conf_slot_t *cs = &cc->slots[i];
        const plugin_t *p = cs->plugin;
        chain_inst_t *old = chain_find(prev, p);
        bool per_worker = p->query != NULL || p->respond != NULL || p->done != NULL;
        bool view_ok = view_kept || p->view_data == PLUGIN_VIEW_NONE;
        if (old != NULL && view_ok && !(per_worker && env->new_server) &&
            chain_conf_same(p, old->conf, cs->conf)) {
            old->refs++; /* unchanged: the running instance serves on */
            chain->slots[chain->nslots++] = old;
            if (p->join != NULL) {
                p->join(old->state, old->conf, env);
            }
            continue;
        }
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
        if (p->join != NULL) {
            p->join(in->state, in->conf, env);
        }
    }
    if (chain_build_hooks(chain) != 0) {
        snprintf(err->msg, sizeof(err->msg), "out of memory setting up plugins");
        goto fail;
    }
    chain_conf_free(cc); /* what is left: configs of reused instances */
    return chain;
fail:
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
static request_t request_of(const wire_query_t *q, const chain_packet_t *p, uint8_t *out,
                            size_t cap)
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
    };
}

/* The respond stage, then the done hooks. Returns the bytes to send (0:
 * drop). The caller holds rcu_read_lock(). */
static size_t finish_request(const chain_t *chain, const answer_limits_t *lim, request_t *req)
{
    for (size_t i = 0; i < chain->nrespond; i++) {
        const chain_respond_hook_t *h = &chain->respond[i];
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
    for (size_t i = 0; i < chain->ndone; i++) {
        chain->done[i].fn(chain->done[i].state, req);
    }
    return req->action == RESPOND_DROP ? 0 : req->resp_len;
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
        request_t req = request_of(&q, p, out, max);
        req.resp_len = n;
        answer_meta_error(&req.meta, error_rcode, NULL);
        rcu_read_lock();
        n = finish_request(chain, lim, &req);
        rcu_read_unlock();
        return n;
    }
    if (p->proto == REQ_UDP) {
        max = answer_udp_limit(&q, lim);
        if (max > cap) {
            max = cap;
        }
    }

    request_t req = request_of(&q, p, out, max);

    rcu_read_lock();
    bool answered = false;
    for (size_t i = 0; i < chain->nquery; i++) {
        const chain_query_hook_t *h = &chain->query[i];
        if (h->fn(h->state, &req) == PLUGIN_DONE) {
            if (req.answered_by == NULL) {
                req.answered_by = h->name;
            }
            answered = true;
            break;
        }
    }
    if (!answered) {
        req.resp_len = answer_query(view, &q, lim, out, max, &req.meta);
    }
    size_t n = finish_request(chain, lim, &req);
    rcu_read_unlock();
    return n;
}
