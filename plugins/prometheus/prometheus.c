/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * prometheus.c - the `prometheus` plugin: CoreDNS's metrics on /metrics.
 *
 *   metrics:
 *     listen: "127.0.0.1:9153"   # default "localhost:9153"; also `metrics: true`
 *   Corefile: prometheus [ADDR]
 *
 * An operator moving from CoreDNS keeps their dashboards: the names, labels
 * and buckets are CoreDNS's (coredns_build_info, coredns_dns_requests_total,
 * coredns_dns_responses_total, coredns_dns_request_duration_seconds,
 * coredns_dns_request_size_bytes, coredns_dns_response_size_bytes,
 * coredns_dns_do_requests_total, coredns_panics_total,
 * coredns_plugin_enabled), followed by process_* and by whatever other
 * plugins of the running configuration registered (vmdns_*; see
 * plugin_gen_t in core/plugin.h).
 *
 * The `done` hook counts each answered query into its worker slot's own
 * block (dnsstats.c, kept across reloads; see there who writes a slot). A reply the respond stage
 * dropped (rate limiting) counts as a request (requests_total, request size, duration, DO) but not
 * as a response: responses_total and response_size_bytes count what was sent, so requests_total -
 * responses_total is what was dropped. (CoreDNS reports a reply its rrl plugin dropped as a NOERROR
 * response of 0 bytes, which hides the drops.) A truncated "slip" was sent, with its own rcode and
 * size, and counts as a response. The HTTP endpoint is an evhttp on the control thread's
 * event_base, never on a worker, and sums the blocks when scraped.
 */
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/corefile_plugin.h"
#include "core/chain.h"
#include "core/httpd.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/plugin.h"
#include "prometheus/dnsstats.h"
#include "prometheus/process.h"

#define PROM_DEFAULT_LISTEN "localhost:9153"

#ifndef VMDNS_REVISION
#define VMDNS_REVISION ""
#endif

typedef struct prom {
    dnsstats_t *stats; /* kept across reloads (plugin_kept), or owned */
    bool owns_stats;   /* no shared state (tests): ours to free */
    httpd_endpoint_t http;
    char server[300]; /* the `server` label: "dns://127.0.0.1:53" */
    plugin_shared_t *shared;
    metrics_out_t out;   /* reused between scrapes */
    process_info_t proc; /* process_* metrics */
} prom_t;

static void prom_render_build_info(metrics_out_t *out)
{
    metrics_family(out, "coredns_build_info", "gauge",
                   "A metric with a constant '1' value labeled by version, revision, and "
                   "goversion from which CoreDNS was built.");
    const char *labels[] = {"version",   VMDNS_VERSION,     "revision", VMDNS_REVISION,
                            "goversion", "cc " __VERSION__, NULL};
    metrics_sample(out, "coredns_build_info", labels, 1);
}

static void prom_render_plugins(const prom_t *p, metrics_out_t *out)
{
    metrics_family(out, "coredns_panics_total", "counter",
                   "A metrics that counts the number of panics.");
    metrics_sample(out, "coredns_panics_total", NULL, 0);

    const chain_t *chain = p->shared != NULL ? p->shared->chain : NULL;
    if (chain == NULL) {
        return;
    }
    metrics_family(out, "coredns_plugin_enabled", "gauge",
                   "A metric that indicates whether a plugin is enabled on per server and zone "
                   "basis.");
    /* Per server block, as CoreDNS: each listener and zone of the block,
     * each plugin it runs (data sources are shared by every block). */
    for (size_t b = 0; b < chain_blocks(chain); b++) {
        const char *server, *zone, *name;
        for (size_t s = 0; (server = chain_block_server(chain, b, s)) != NULL; s++) {
            for (size_t z = 0; (zone = chain_block_zone(chain, b, z)) != NULL; z++) {
                for (size_t i = 0; (name = chain_plugin_name(chain, i)) != NULL; i++) {
                    bool in_block = false;
                    const char *bn;
                    for (size_t k = 0; (bn = chain_block_plugin(chain, b, k)) != NULL; k++) {
                        in_block = in_block || strcmp(bn, name) == 0;
                    }
                    if (!in_block && !chain_plugin_global_name(chain, name)) {
                        continue;
                    }
                    const char *labels[] = {"server", server, "zone", zone, "view",
                                            "",       "name", name,   NULL};
                    metrics_sample(out, "coredns_plugin_enabled", labels, 1);
                }
            }
        }
    }
}

/* Render everything /metrics shows into p->out. */
static void prom_render(prom_t *p)
{
    metrics_out_t *out = &p->out;
    metrics_out_reset(out);
    prom_render_build_info(out);
    dnsstats_render(p->stats, p->server, out);
    prom_render_plugins(p, out);
    process_render(&p->proc, out);
    if (p->shared != NULL && p->shared->active != NULL) {
        metrics_collect_all(&p->shared->active->metrics, out);
    }
}

static void prom_http(struct evhttp_request *req, void *arg)
{
    prom_t *p = arg;
    prom_render(p);
    if (p->out.failed) {
        httpd_reply_text(req, 500, "Internal Server Error", "out of memory\n");
        return;
    }
    httpd_reply(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", p->out.buf, p->out.len);
}

static void prom_teardown(void *state)
{
    prom_t *p = state;
    if (p == NULL) {
        return;
    }
    httpd_endpoint_close(&p->http);
    if (p->owns_stats) {
        dnsstats_free(p->stats);
    }
    metrics_out_free(&p->out);
    free(p);
}

#define PROM_KEPT_STATS "prometheus.dnsstats"

static void prom_free_kept_stats(void *ptr)
{
    dnsstats_free(ptr);
}

static int prom_reserve_kept_stats(void *ptr, unsigned nslots)
{
    return dnsstats_reserve(ptr, nslots);
}

/* The query counters: the ones a previous configuration counted into, so a
 * reload does not reset them; else new ones, kept for the next reload
 * (main makes them grow with the worker slots it hands out). Without
 * shared state (tests), counters of our own for `workers` slots. */
static int prom_attach_stats(prom_t *p, const plugin_env_t *env, unsigned workers)
{
    if (env->shared == NULL) {
        p->stats = dnsstats_new(workers);
        p->owns_stats = true;
        return p->stats != NULL ? 0 : -1;
    }
    p->stats = plugin_kept_get(env->shared, PROM_KEPT_STATS);
    if (p->stats != NULL) {
        return 0;
    }
    dnsstats_t *s = dnsstats_new(0);
    if (s == NULL || plugin_kept_put(env->shared, PROM_KEPT_STATS, s, prom_free_kept_stats,
                                     prom_reserve_kept_stats) != 0) {
        dnsstats_free(s);
        return -1;
    }
    p->stats = s;
    return 0;
}

/* The parsed `metrics:` section, with what the state is sized and
 * labelled by. */
typedef struct prom_conf {
    bool enabled;
    char *listen;
    unsigned workers; /* resolved: never 0 */
    char server[300]; /* the `server` label: "dns://127.0.0.1:53" */
    cfg_pos_t at;
} prom_conf_t;

static void prom_conf_free(void *conf)
{
    prom_conf_t *c = conf;
    if (c != NULL) {
        free(c->listen);
        free(c);
    }
}

static bool prom_conf_equal(const void *a, const void *b)
{
    const prom_conf_t *x = a, *y = b;
    return x->enabled == y->enabled && x->workers == y->workers &&
           strcmp(x->listen, y->listen) == 0;
}

static int prom_parse(const plugin_parse_env_t *penv, cfg_node_t *cfg, void **conf,
                      cfg_error_t *err)
{
    const char *listen;
    prom_conf_t c = {0};
    /* `metrics: true` or `metrics: {listen: ADDR}`. */
    if (httpd_endpoint_config(cfg, PROM_DEFAULT_LISTEN, "{listen: ADDR}", &listen, &c.enabled,
                              err) != 0) {
        return -1;
    }
    c.workers = penv->workers;
    if (c.workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c.workers = n > 0 ? (unsigned)n : 1;
    }
    snprintf(c.server, sizeof(c.server), "dns://%s",
             penv->listen != NULL && penv->nlisten > 0 ? penv->listen[0] : ":53");
    cfg_pos_of(cfg, &c.at);
    prom_conf_t *out = malloc(sizeof(*out));
    if (out == NULL || (c.listen = strdup(listen)) == NULL) {
        free(out);
        return cfg_fail(err, cfg, "metrics: out of memory");
    }
    *out = c;
    *conf = out;
    return 0;
}

/* A reload that keeps the instance keeps its socket. */
static void prom_join(void *state, const void *conf, const plugin_env_t *env)
{
    const prom_conf_t *c = conf;
    if (c->enabled) {
        httpd_endpoint_keep(env, c->listen, &((const prom_t *)state)->http);
    }
}

static int prom_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    const prom_conf_t *c = conf;
    *state = NULL;
    if (!c->enabled) {
        return 0; /* `metrics: false`: in the chain, idle (prom_done checks) */
    }
    prom_t *p = calloc(1, sizeof(*p));
    if (p == NULL || prom_attach_stats(p, env, c->workers) != 0) {
        free(p);
        return cfg_fail_pos(err, &c->at, "metrics: out of memory");
    }
    p->shared = env->shared;
    memcpy(p->server, c->server, sizeof(p->server));
    process_init(&p->proc);
    if (httpd_endpoint_open(&p->http, env, "prometheus", &c->at, c->listen, "/metrics", prom_http,
                            p, err) != 0) {
        prom_teardown(p);
        return -1;
    }
    *state = p;
    return 0;
}

static void prom_done(void *state, request_t *req)
{
    prom_t *p = state;
    dnsstats_slot_t *slot = p != NULL ? dnsstats_slot(p->stats, req->slot) : NULL;
    if (slot == NULL) {
        return;
    }
    const wire_query_t *q = req->q;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    /* The plugin that wrote the answer: a query hook's, else the data
     * source that owns the zone it came from ("file", "redis"). */
    const char *plugin = req->answered_by;
    if (plugin == NULL && req->meta.zone != NULL) {
        plugin = view_zone_owner(req->meta.zone);
    }
    dnsstats_obs_t o = {
        .zone = req->zone_label != NULL ? (const void *)((uintptr_t)req->zone_label ^
                                                         ((uintptr_t)req->server_label << 7))
                                        : NULL,
        .server = req->server_label,
        .label = req->zone_label,
        .proto = req->proto == REQ_TCP,
        .family = req->peer != NULL && req->peer->sa_family == AF_INET6,
        .qtype = q->qtype,
        .do_bit = q->has_edns && q->edns_do,
        .rcode = req->meta.rcode,
        .plugin = plugin,
        .req_size = q->len,
        .dropped = req->action == RESPOND_DROP,
        .resp_size = req->resp_len,
        .duration_ns = now > req->start_ns ? now - req->start_ns : 0,
    };
    dnsstats_record(p->stats, slot, &o);
}

/* `prometheus [ADDR] [{ runtime_metrics }]` in a Corefile: `metrics:
 * {listen: ADDR}`. runtime_metrics asks CoreDNS for the Go runtime's
 * metrics; vmdnsd has no Go runtime and always exports its process
 * metrics (process_*), so the option is accepted and changes nothing. */
static int prom_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    cf_line_t l;
    for (size_t pos = 0; cf_next_line(d, &pos, &l);) {
        if (strcmp(l.opt->text, "runtime_metrics") != 0) {
            return cf_fail(err, l.opt, "prometheus: unknown option '%s'", l.opt->text);
        }
        if (l.nargs != 0) {
            return cf_fail(err, l.opt, "prometheus: runtime_metrics takes no argument");
        }
    }
    cf_directive_t plain = *d; /* the block is read: the address is the rest */
    plain.block = false;
    return httpd_endpoint_corefile(ctx, &plain, "metrics", err);
}

const plugin_t plugin_prometheus = {
    .name = "prometheus",
    .config_key = "metrics",
    .parse = prom_parse,
    .conf_equal = prom_conf_equal,
    .conf_free = prom_conf_free,
    .setup = prom_setup,
    .corefile = prom_corefile,
    .join = prom_join,
    .done = prom_done,
    .sees_dropped = true,
    .teardown = prom_teardown,
};
