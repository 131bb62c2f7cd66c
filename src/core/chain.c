/*
 * chain.c - the plugin chain: set-up at startup, one pass per packet.
 *
 * At startup every compiled-in plugin (plugin_registry[], generated from
 * plugins/plugin.cfg) is set up in order, if its config key is present (or
 * it has none). The query, respond and done hooks of the plugins that were
 * set up are then copied into three flat arrays, so the per-packet cost of
 * the chain is a loop over the hooks that exist: a plugin that is not
 * configured, or has no per-query work (data sources like `file`), costs
 * nothing at all.
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
#include <urcu.h>

/* A plugin that was set up, and the state its setup returned. */
typedef struct chain_slot {
    const plugin_t *plugin;
    void *state;
} chain_slot_t;

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
    chain_slot_t *slots; /* set-up plugins in chain order */
    size_t nquery;
    chain_query_hook_t *query;
    size_t nrespond;
    chain_respond_hook_t *respond;
    size_t ndone;
    chain_done_hook_t *done;
};

/* Tear down the first `n` set-up plugins in reverse order. */
static void chain_teardown(chain_t *chain, size_t n)
{
    while (n > 0) {
        n--;
        const chain_slot_t *s = &chain->slots[n];
        if (s->plugin->teardown != NULL) {
            s->plugin->teardown(s->state);
        }
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
        nq += chain->slots[i].plugin->query != NULL;
        nr += chain->slots[i].plugin->respond != NULL;
        nd += chain->slots[i].plugin->done != NULL;
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
        const chain_slot_t *s = &chain->slots[i];
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

chain_t *chain_new_from(const plugin_t *const *plugins, size_t nplugins, const plugin_env_t *env,
                        cfg_node_t *root, cfg_error_t *err)
{
    chain_t *chain = calloc(1, sizeof(*chain));
    if (chain == NULL ||
        (nplugins > 0 && (chain->slots = calloc(nplugins, sizeof(*chain->slots))) == NULL)) {
        free(chain);
        snprintf(err->msg, sizeof(err->msg), "out of memory setting up plugins");
        return NULL;
    }
    for (size_t i = 0; i < nplugins; i++) {
        const plugin_t *p = plugins[i];
        cfg_node_t *section = NULL;
        if (p->config_key != NULL) {
            section = cfg_get(root, p->config_key);
            if (section == NULL) {
                continue; /* not configured: not in the chain */
            }
        }
        void *state = NULL;
        if (p->setup != NULL && p->setup(env, section, &state, err) != 0) {
            chain_teardown(chain, chain->nslots);
            chain_free_arrays(chain);
            return NULL;
        }
        chain->slots[chain->nslots++] = (chain_slot_t){p, state};
    }
    if (chain_build_hooks(chain) != 0) {
        chain_teardown(chain, chain->nslots);
        chain_free_arrays(chain);
        snprintf(err->msg, sizeof(err->msg), "out of memory setting up plugins");
        return NULL;
    }
    return chain;
}

chain_t *chain_new(const plugin_env_t *env, cfg_node_t *root, cfg_error_t *err)
{
    return chain_new_from(plugin_registry, plugin_registry_count, env, root, err);
}

int chain_start(chain_t *chain, cfg_error_t *err)
{
    for (size_t i = 0; i < chain->nslots; i++) {
        const chain_slot_t *s = &chain->slots[i];
        if (s->plugin->start != NULL && s->plugin->start(s->state) != 0) {
            snprintf(err->msg, sizeof(err->msg), "plugin %s failed to start", s->plugin->name);
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
        const chain_slot_t *s = &chain->slots[i];
        char reason[256] = "";
        if (s->plugin->ready == NULL || s->plugin->ready(s->state, reason, sizeof(reason))) {
            continue;
        }
        ready = false;
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
    return i < chain->nslots ? chain->slots[i].plugin->name : NULL;
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
        req->resp_len = answer_truncate(req->q, lim, req->resp, req->resp_cap, &req->meta);
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
