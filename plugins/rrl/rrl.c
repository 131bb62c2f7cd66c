/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rrl.c - the `rrl` plugin: response rate limiting (BIND/Knot/NSD RRL),
 * configured like CoreDNS's external rrl plugin (rrl_config.h).
 *
 * Why: vmdnsd answers every resolver and every spoofer on the Internet. A
 * spoofed flood makes it send answers to a victim; RRL bounds how many
 * identical answers one client network gets per second, so vmdnsd
 * reflects less than it receives, while a real client behind the same
 * prefix still gets every Nth answer as an empty TC=1 "slip" and retries
 * over TCP, which is never limited.
 *
 * Per UDP response (the `respond` hook, after the answer is built):
 *  - exempt: TCP, a valid server cookie (req->server_cookie_ok), a query
 *    outside the configured zones;
 *  - requests-per-second, if set, is charged to the client prefix alone;
 *  - the response is charged to its account: client prefix + kind
 *    (req->meta.kind) + name: QNAME and QTYPE for answers and NODATA, the
 *    wildcard's owner for wildcard answers, the zone for NXDOMAIN, the
 *    delegation point for referrals (req->meta.charged), nothing for
 *    errors (all errors of a client share one account);
 *  - over the allowance: every slip-ratio'th limited response of the
 *    worker is sent truncated (RESPOND_TRUNCATE), the others dropped;
 *    report-only counts and sends.
 *
 * State: the table (rrl_table.c) and the counters live for the process
 * (plugin_kept, "rrl"): a reload keeps the accounts and the metrics; a new
 * table is made only when max-table-size changes. Counters are per worker
 * slot (written by that slot's worker only), summed when /metrics is
 * scraped: coredns_rrl_responses_exceeded_total and
 * coredns_rrl_requests_exceeded_total (CoreDNS's names, without its
 * per-client label), plus vmdns_rrl_* for what was done about it.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/plugin.h"
#include "rrl/rrl.h"
#include "rrl/rrl_config.h"
#include "rrl/rrl_table.h"

#define RRL_KEPT "rrl"

/* One worker slot's counters. */
typedef struct rrl_stats {
    _Alignas(64) _Atomic uint64_t responses_exceeded;
    _Atomic uint64_t requests_exceeded;
    _Atomic uint64_t slipped;
    _Atomic uint64_t dropped;
    uint64_t limited; /* the slot's limited responses, for slip-ratio (its worker only) */
} rrl_stats_t;

/* Tables of different sizes kept at once (server blocks with their own
 * max-table-size); a further size replaces the least recently used. */
#define RRL_KEPT_TABLES 4

/* What lives for the process: the tables (one per max-table-size in use,
 * most recently used first) and every slot's counters. */
typedef struct rrl_keep {
    rrl_table_t *tables[RRL_KEPT_TABLES]; /* one reference each */
    rrl_stats_t *stats;                   /* PLUGIN_MAX_SLOTS */
} rrl_keep_t;

typedef struct rrl {
    const rrl_conf_t *conf;
    rrl_table_t *table; /* one reference */
    rrl_stats_t *stats;
    rrl_keep_t *own; /* no shared state (tests): ours to free */
    rrl_limit_t lim[RRL_NKINDS];
} rrl_t;

static void rrl_keep_free(void *ptr)
{
    rrl_keep_t *k = ptr;
    if (k != NULL) {
        for (int i = 0; i < RRL_KEPT_TABLES; i++) {
            rrl_table_unref(k->tables[i]);
        }
        free(k->stats);
        free(k);
    }
}

static rrl_keep_t *rrl_keep_new(void)
{
    rrl_keep_t *k = calloc(1, sizeof(*k));
    if (k == NULL) {
        return NULL;
    }
    k->stats = aligned_alloc(64, sizeof(*k->stats) * PLUGIN_MAX_SLOTS);
    if (k->stats == NULL) {
        free(k);
        return NULL;
    }
    memset(k->stats, 0, sizeof(*k->stats) * PLUGIN_MAX_SLOTS);
    return k;
}

/* Is the query's name in one of the configured zones? */
static bool rrl_in_zones(const rrl_conf_t *c, const wire_query_t *q)
{
    if (c->all_zones) {
        return true;
    }
    for (size_t i = 0; i < c->nzones; i++) {
        if (name_is_below_or_equal(q->qname, q->qname_len, c->zones[i].wire, c->zones[i].len)) {
            return true;
        }
    }
    return false;
}

/* The account a response is charged to (see the top of the file). */
static uint64_t rrl_response_key(const rrl_t *r, const rrl_client_t *cl, const request_t *req,
                                 rrl_kind_t kind)
{
    const wire_query_t *q = req->q;
    switch (kind) {
    case RRL_ANSWER:
        if (req->meta.wildcard && req->meta.charged != NULL) {
            return rrl_key(r->table, cl, kind, q->qtype, req->meta.charged, req->meta.charged_len);
        }
        return rrl_key(r->table, cl, kind, q->qtype, q->qname, q->qname_len);
    case RRL_NODATA:
        return rrl_key(r->table, cl, kind, q->qtype, q->qname, q->qname_len);
    case RRL_NXDOMAIN:
    case RRL_REFERRAL:
        return rrl_key(r->table, cl, kind, 0, req->meta.charged, req->meta.charged_len);
    default:
        return rrl_key(r->table, cl, RRL_ERROR, 0, NULL, 0);
    }
}

/* Before the answer is built: fetch the table line of the likely account
 * (an answer for QNAME and QTYPE), so that building the answer hides the
 * cache miss the charge would cost (with many clients and names, most
 * lines are cold). Never answers. */
static plugin_result_t rrl_query(void *state, request_t *req)
{
    rrl_t *r = state;
    if (r == NULL || req->proto != REQ_UDP || !r->lim[RRL_ANSWER].on) {
        return PLUGIN_NEXT;
    }
    rrl_client_t cl;
    if (rrl_client_of(req->peer, req->peer_len, r->conf->v4_prefix, r->conf->v6_prefix, &cl)) {
        rrl_table_prefetch(r->table, rrl_key(r->table, &cl, RRL_ANSWER, req->q->qtype,
                                             req->q->qname, req->q->qname_len));
    }
    return PLUGIN_NEXT;
}

static respond_action_t rrl_respond(void *state, request_t *req)
{
    rrl_t *r = state;
    if (r == NULL) {
        return RESPOND_SEND; /* rrl: false */
    }
    const rrl_conf_t *c = r->conf;
    if (req->proto != REQ_UDP || req->server_cookie_ok || !rrl_in_zones(c, req->q)) {
        return RESPOND_SEND;
    }
    rrl_client_t cl;
    if (!rrl_client_of(req->peer, req->peer_len, c->v4_prefix, c->v6_prefix, &cl)) {
        return RESPOND_SEND;
    }
    uint32_t now = rrl_ticks(req->start_ns);
    rrl_stats_t *st = req->slot < PLUGIN_MAX_SLOTS ? &r->stats[req->slot] : NULL;
    bool limited = false;
    if (r->lim[RRL_REQUEST].on) {
        uint64_t key = rrl_key(r->table, &cl, RRL_REQUEST, 0, NULL, 0);
        limited = rrl_table_charge(r->table, key, &r->lim[RRL_REQUEST], now);
        if (limited && st != NULL) {
            atomic_fetch_add_explicit(&st->requests_exceeded, 1, memory_order_relaxed);
        }
    }
    unsigned k = (unsigned)req->meta.kind;
    rrl_kind_t kind = k <= RRL_ERROR ? (rrl_kind_t)k : RRL_ERROR;
    if (!limited && r->lim[kind].on) {
        uint64_t key = rrl_response_key(r, &cl, req, kind);
        limited = rrl_table_charge(r->table, key, &r->lim[kind], now);
        if (limited && st != NULL) {
            atomic_fetch_add_explicit(&st->responses_exceeded, 1, memory_order_relaxed);
        }
    }
    if (!limited || c->report_only || st == NULL) {
        return RESPOND_SEND;
    }
    if (c->slip > 0 && ++st->limited % c->slip == 0) {
        atomic_fetch_add_explicit(&st->slipped, 1, memory_order_relaxed);
        return RESPOND_TRUNCATE;
    }
    atomic_fetch_add_explicit(&st->dropped, 1, memory_order_relaxed);
    return RESPOND_DROP;
}

static uint64_t rrl_sum(const rrl_t *r, size_t offset)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < PLUGIN_MAX_SLOTS; i++) {
        const _Atomic uint64_t *v =
            (const _Atomic uint64_t *)(const void *)((const char *)&r->stats[i] + offset);
        total += atomic_load_explicit(v, memory_order_relaxed);
    }
    return total;
}

static void rrl_collect(void *ctx, metrics_out_t *out)
{
    const rrl_t *r = ctx;
    metrics_family(out, "coredns_rrl_responses_exceeded_total", "counter",
                   "Counter of responses exceeding QPS limit.");
    metrics_sample_u64(out, "coredns_rrl_responses_exceeded_total", NULL,
                       rrl_sum(r, offsetof(rrl_stats_t, responses_exceeded)));
    metrics_family(out, "coredns_rrl_requests_exceeded_total", "counter",
                   "Counter of requests exceeding QPS limit.");
    metrics_sample_u64(out, "coredns_rrl_requests_exceeded_total", NULL,
                       rrl_sum(r, offsetof(rrl_stats_t, requests_exceeded)));
    metrics_family(out, "vmdns_rrl_slipped_total", "counter",
                   "Limited responses sent as an empty truncated (TC=1) answer.");
    metrics_sample_u64(out, "vmdns_rrl_slipped_total", NULL,
                       rrl_sum(r, offsetof(rrl_stats_t, slipped)));
    metrics_family(out, "vmdns_rrl_dropped_total", "counter", "Limited responses not sent at all.");
    metrics_sample_u64(out, "vmdns_rrl_dropped_total", NULL,
                       rrl_sum(r, offsetof(rrl_stats_t, dropped)));
    metrics_family(out, "vmdns_rrl_table_size", "gauge",
                   "Accounts the rate limiting table holds (max-table-size).");
    metrics_sample_u64(out, "vmdns_rrl_table_size", NULL, rrl_table_size(r->table));
    metrics_family(out, "vmdns_rrl_table_evictions_total", "counter",
                   "New accounts that took the bucket of an older one (table full).");
    metrics_sample_u64(out, "vmdns_rrl_table_evictions_total", NULL,
                       atomic_load_explicit(&r->table->evictions, memory_order_relaxed));
}

static void rrl_join(void *state, const void *conf, const plugin_env_t *env)
{
    if (state == NULL || env->gen == NULL) {
        return;
    }
    /* One collector per configuration: the instances of several server
     * blocks share the counters (and, at one size, the table), and a
     * family must appear once on /metrics. */
    const metrics_registry_t *m = &env->gen->metrics;
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->c[i].name, "rrl") == 0) {
            return;
        }
    }
    metrics_register_collector(&env->gen->metrics, "rrl", rrl_collect, state);
}

static void rrl_teardown(void *state)
{
    rrl_t *r = state;
    if (r == NULL) {
        return;
    }
    rrl_table_unref(r->table);
    rrl_keep_free(r->own);
    free(r);
}

/* The process's tables and counters (kept under "rrl"), made at the first
 * setup: the instance takes the kept table of its max-table-size (the
 * accounts survive the reload), or a new one. A running instance keeps
 * its own reference until it is torn down. */
static rrl_table_t *rrl_attach(const plugin_env_t *env, const rrl_conf_t *c, rrl_t *r)
{
    rrl_keep_t *k = env->shared != NULL ? plugin_kept_get(env->shared, RRL_KEPT) : NULL;
    if (k == NULL) {
        k = rrl_keep_new();
        if (k == NULL) {
            return NULL;
        }
        if (env->shared == NULL) {
            r->own = k;
        } else if (plugin_kept_put(env->shared, RRL_KEPT, k, rrl_keep_free, NULL) != 0) {
            rrl_keep_free(k);
            return NULL;
        }
    }
    r->stats = k->stats;
    size_t want = (size_t)((c->table_size + RRL_LINE - 1) / RRL_LINE * RRL_LINE);
    int at = RRL_KEPT_TABLES - 1; /* none of this size: the least recently used goes */
    for (int i = 0; i < RRL_KEPT_TABLES; i++) {
        if (k->tables[i] == NULL || rrl_table_size(k->tables[i]) == want) {
            at = i;
            break;
        }
    }
    rrl_table_t *t = k->tables[at];
    if (t == NULL || rrl_table_size(t) != want) {
        t = rrl_table_new((size_t)c->table_size);
        if (t == NULL) {
            return NULL;
        }
        rrl_table_unref(k->tables[at]);
    }
    /* Most recently used first. */
    memmove(&k->tables[1], &k->tables[0], (size_t)at * sizeof(k->tables[0]));
    k->tables[0] = t;
    return t;
}

static int rrl_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    const rrl_conf_t *c = conf;
    *state = NULL;
    if (c == NULL) {
        return 0; /* rrl: false */
    }
    rrl_t *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return cfg_fail_pos(err, &c->at, "rrl: out of memory");
    }
    r->conf = c;
    rrl_table_t *t = rrl_attach(env, c, r);
    if (t == NULL) {
        rrl_teardown(r);
        return cfg_fail_pos(err, &c->at, "rrl: out of memory for a table of %llu accounts",
                            (unsigned long long)c->table_size);
    }
    r->table = t;
    rrl_table_ref(r->table);
    for (int kind = 0; kind < RRL_NKINDS; kind++) {
        rrl_limit_init(&r->lim[kind], c->rate_milli[kind], c->window_s);
    }
    *state = r;
    return 0;
}

rrl_table_t *rrl_instance_table(void *state)
{
    return state != NULL ? ((rrl_t *)state)->table : NULL;
}

static int rrl_parse(const plugin_parse_env_t *penv, cfg_node_t *section, void **conf,
                     cfg_error_t *err)
{
    (void)penv;
    return rrl_conf_parse(section, conf, err);
}

const plugin_t plugin_rrl = {
    .name = "rrl",
    .config_key = "rrl",
    .corefile = rrl_corefile,
    .parse = rrl_parse,
    .conf_equal = rrl_conf_equal,
    .conf_free = rrl_conf_free,
    .setup = rrl_setup,
    .join = rrl_join,
    .query = rrl_query,
    .respond = rrl_respond,
    .teardown = rrl_teardown,
};
