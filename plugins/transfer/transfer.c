/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * transfer.c - the `transfer` plugin: zone transfers out (AXFR, IXFR as a
 * full transfer) and NOTIFY to the secondaries, as CoreDNS's `transfer`.
 *
 *   transfer:                              Corefile:
 *     zones: [vm.example.com.]  # optional   transfer [ZONES...] {
 *     to: ["*"]                 # or IPs,        to ADDRESS...
 *                               # IP:PORT, CIDR }
 *     notify_timeout: 1s        # optional: first retry after; doubled
 *     notify_tries: 5           # optional: NOTIFY sends in all
 *
 * A transfer of a zone in `zones` (every zone when none are given; in a
 * Corefile the server block's zones) from a client whose address matches a
 * `to` entry (`*`: anyone) is streamed over TCP by the transfer thread
 * (xfr_stream.h) from one snapshot of the view: file and Redis zones
 * alike. A query that carried a TSIG is served only if it verified (the
 * `tsig` plugin, whose `require AXFR` makes TSIG mandatory); its messages
 * are signed. Everyone else gets REFUSED. Over UDP an allowed client gets
 * an empty TC=1 reply: ask again over TCP.
 *
 * NOTIFY (xfr_notifier.h): once a second the control thread looks at each
 * zone's serial; when it changed (or the zone appeared) a NOTIFY goes to
 * every `to` address that is a host (port 53 unless given), so at most one
 * per zone and peer per second however fast Redis changes, and it is
 * retried until answered (`notify_timeout`, doubled per try, `notify_tries`
 * sends in all). Counters: vmdns_transfer_* on /metrics.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/corefile_plugin.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/plugin.h"
#include "transfer/xfr_notifier.h"
#include "transfer/xfr_stream.h"

#define XFR_MAX_ZONES 256
#define XFR_MAX_PEERS 64

/* One `to` entry. */
typedef struct xfr_peer {
    bool any;
    int family; /* AF_INET / AF_INET6 */
    uint8_t addr[16];
    unsigned prefix; /* bits that must match (32/128 for a host) */
    bool host;       /* a single address: NOTIFY goes to it */
    uint16_t port;   /* NOTIFY port */
} xfr_peer_t;

typedef struct xfr_conf {
    uint8_t zones[XFR_MAX_ZONES][NAME_MAX_WIRE];
    uint8_t zone_lens[XFR_MAX_ZONES];
    size_t nzones;
    xfr_peer_t peers[XFR_MAX_PEERS];
    size_t npeers;
    uint64_t notify_timeout_ms; /* before the first retry; doubled per try */
    uint64_t notify_tries;      /* sends in all */
    answer_limits_t limits;
    cfg_pos_t at;
} xfr_conf_t;

typedef struct xfr_plugin {
    const xfr_conf_t *conf;
    const view_t *view;
    xfr_stream_t stream;
    xfr_notifier_t *notifier;
    /* the next instance of the same configuration: /metrics sums them all
     * (xfr_join links them; control thread only) */
    struct xfr_plugin *next_in_gen;
} xfr_plugin_t;

/* ---- config ---- */

static int xfr_read_peer(cfg_node_t *item, xfr_peer_t *p, cfg_error_t *err)
{
    const char *s;
    if (cfg_string(item, &s, err) != 0) {
        return -1;
    }
    memset(p, 0, sizeof(*p));
    if (strcmp(s, "*") == 0) {
        p->any = true;
        return 0;
    }
    char host[INET6_ADDRSTRLEN + 8];
    p->port = 53;
    const char *slash = strchr(s, '/');
    size_t hl = slash ? (size_t)(slash - s) : strlen(s);
    if (hl >= sizeof(host)) {
        return cfg_fail(err, item, "transfer: bad address '%s'", s);
    }
    memcpy(host, s, hl);
    host[hl] = '\0';
    char *h = host;
    if (!slash && h[0] == '[') { /* [v6]:port */
        char *close = strchr(h, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
            return cfg_fail(err, item, "transfer: bad address '%s'", s);
        }
        if (close[1] == ':') {
            p->port = (uint16_t)atoi(close + 2);
        }
        *close = '\0';
        h++;
    } else if (!slash && strchr(h, ':') == strrchr(h, ':') && strchr(h, ':') != NULL) {
        char *colon = strchr(h, ':'); /* v4:port */
        p->port = (uint16_t)atoi(colon + 1);
        *colon = '\0';
    }
    if (p->port == 0) {
        return cfg_fail(err, item, "transfer: bad port in '%s'", s);
    }
    if (inet_pton(AF_INET, h, p->addr) == 1) {
        p->family = AF_INET;
        p->prefix = 32;
    } else if (inet_pton(AF_INET6, h, p->addr) == 1) {
        p->family = AF_INET6;
        p->prefix = 128;
    } else {
        return cfg_fail(err, item,
                        "transfer: '%s' is not an IP address, IP:PORT, CIDR prefix or '*'", s);
    }
    p->host = true;
    if (slash != NULL) {
        char *end;
        long bits = strtol(slash + 1, &end, 10);
        if (*end != '\0' || bits < 0 || bits > (long)p->prefix) {
            return cfg_fail(err, item, "transfer: bad prefix length in '%s'", s);
        }
        p->prefix = (unsigned)bits;
        p->host = false;
    }
    return 0;
}

static int xfr_read_list(cfg_node_t *n, const char *what, size_t max, size_t *count,
                         cfg_error_t *err)
{
    *count = n->kind == CFG_SEQ ? n->n : 1;
    if (n->kind == CFG_MAP || *count == 0 || *count > max) {
        return cfg_fail(err, n, "transfer: '%s' must be a list of 1 to %zu items", what, max);
    }
    return 0;
}

/* No `zones` of its own: the server block's (every zone for a "." block,
 * as in a Corefile, where the block's zones are the directive's default).
 * -1 if they do not fit. */
static int xfr_block_zones(const plugin_parse_env_t *penv, xfr_conf_t *c)
{
    const uint8_t *wire;
    size_t len;
    for (size_t i = 0; plugin_block_zone(penv, i, &wire, &len); i++) {
        if (len == 1) { /* "." */
            c->nzones = 0;
            return 0;
        }
        if (c->nzones == XFR_MAX_ZONES) {
            return -1;
        }
        memcpy(c->zones[c->nzones], wire, len);
        c->zone_lens[c->nzones++] = (uint8_t)len;
    }
    return 0;
}

static int xfr_parse(const plugin_parse_env_t *penv, cfg_node_t *cfg, void **conf, cfg_error_t *err)
{
    if (cfg->kind != CFG_MAP) {
        return cfg_fail(err, cfg, "transfer: expected a map with 'to'");
    }
    cfg_node_t *to = cfg_get(cfg, "to"), *zones = cfg_get(cfg, "zones");
    cfg_node_t *ntimeout = cfg_get(cfg, "notify_timeout"), *ntries = cfg_get(cfg, "notify_tries");
    if (to == NULL) {
        return cfg_fail(err, cfg,
                        "transfer: 'to' is required (addresses allowed to transfer, "
                        "or \"*\")");
    }
    xfr_conf_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return cfg_fail(err, cfg, "transfer: out of memory");
    }
    cfg_pos_of(cfg, &c->at);
    if (penv->limits != NULL) {
        c->limits = *penv->limits;
    }
    c->notify_timeout_ms = XFR_NOTIFY_DEFAULT_TIMEOUT;
    c->notify_tries = XFR_NOTIFY_DEFAULT_TRIES;
    if (ntimeout != NULL) {
        if (cfg_duration_ms(ntimeout, &c->notify_timeout_ms, err) != 0) {
            goto fail;
        }
        if (c->notify_timeout_ms < 10 || c->notify_timeout_ms > 600000) {
            cfg_fail(err, ntimeout, "transfer: notify_timeout must be 10ms to 10m");
            goto fail;
        }
    }
    if (ntries != NULL && cfg_uint(ntries, 1, 10, &c->notify_tries, err) != 0) {
        goto fail;
    }
    if (xfr_read_list(to, "to", XFR_MAX_PEERS, &c->npeers, err) != 0) {
        goto fail;
    }
    for (size_t i = 0; i < c->npeers; i++) {
        if (xfr_read_peer(to->kind == CFG_SEQ ? to->items[i] : to, &c->peers[i], err) != 0) {
            goto fail;
        }
    }
    if (zones != NULL) {
        if (xfr_read_list(zones, "zones", XFR_MAX_ZONES, &c->nzones, err) != 0) {
            goto fail;
        }
        for (size_t i = 0; i < c->nzones; i++) {
            cfg_node_t *item = zones->kind == CFG_SEQ ? zones->items[i] : zones;
            const char *s;
            if (cfg_string(item, &s, err) != 0) {
                goto fail;
            }
            size_t len = name_from_text(s, c->zones[i]);
            if (len == 0) {
                cfg_fail(err, item, "transfer: bad zone '%s'", s);
                goto fail;
            }
            c->zone_lens[i] = (uint8_t)len;
        }
    } else if (xfr_block_zones(penv, c) != 0) {
        cfg_fail(err, cfg, "transfer: more than %d zones in the server block", XFR_MAX_ZONES);
        goto fail;
    }
    *conf = c;
    return 0;
fail:
    free(c);
    return -1;
}

static bool xfr_conf_equal(const void *a, const void *b)
{
    const xfr_conf_t *x = a, *y = b;
    return x->nzones == y->nzones && x->npeers == y->npeers &&
           x->notify_timeout_ms == y->notify_timeout_ms && x->notify_tries == y->notify_tries &&
           memcmp(x->zones, y->zones, sizeof(x->zones)) == 0 &&
           memcmp(x->zone_lens, y->zone_lens, sizeof(x->zone_lens)) == 0 &&
           memcmp(x->peers, y->peers, sizeof(x->peers)) == 0 &&
           x->limits.edns_udp_size == y->limits.edns_udp_size;
}

static void xfr_conf_free(void *conf)
{
    free(conf);
}

/* ---- who may transfer what ---- */

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned bytes = bits / 8, rest = bits % 8;
    if (memcmp(a, b, bytes) != 0) {
        return false;
    }
    return rest == 0 || ((a[bytes] ^ b[bytes]) & (uint8_t)(0xFF << (8 - rest))) == 0;
}

static bool xfr_peer_allowed(const xfr_conf_t *c, const struct sockaddr *sa)
{
    uint8_t addr[16];
    int family = sa->sa_family;
    if (family == AF_INET) {
        memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (family == AF_INET6) {
        const uint8_t *a6 = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
        if (memcmp(a6, mapped, 12) == 0) { /* v4 on a dual-stack socket */
            family = AF_INET;
            memcpy(addr, a6 + 12, 4);
        } else {
            memcpy(addr, a6, 16);
        }
    } else {
        return false;
    }
    for (size_t i = 0; i < c->npeers; i++) {
        const xfr_peer_t *p = &c->peers[i];
        if (p->any || (p->family == family && prefix_match(p->addr, addr, p->prefix))) {
            return true;
        }
    }
    return false;
}

static bool xfr_zone_listed(const xfr_conf_t *c, const uint8_t *apex, size_t len)
{
    if (c->nzones == 0) {
        return true;
    }
    for (size_t i = 0; i < c->nzones; i++) {
        if (c->zone_lens[i] == len && memcmp(c->zones[i], apex, len) == 0) {
            return true;
        }
    }
    return false;
}

/* The serial of an IXFR's authority SOA (the client's version), if any. */
static bool ixfr_client_serial(const wire_query_t *q, uint32_t *serial)
{
    const uint8_t *pkt = q->pkt;
    if (wire_read_u16(pkt + 6) != 0 || wire_read_u16(pkt + 8) < 1) {
        return false;
    }
    size_t pos = q->question_end;
    if (!wire_skip_name(pkt, q->len, &pos) || pos + 10 > q->len ||
        wire_read_u16(pkt + pos) != WIRE_TYPE_SOA) {
        return false;
    }
    size_t end = pos + 10 + wire_read_u16(pkt + pos + 8);
    pos += 10;
    if (end > q->len || !wire_skip_name(pkt, end, &pos) || !wire_skip_name(pkt, end, &pos) ||
        pos + 4 > end) {
        return false;
    }
    *serial = wire_read_u32(pkt + pos);
    return true;
}

/* ---- query hook (workers) ---- */

static plugin_result_t xfr_refuse(const xfr_plugin_t *x, request_t *req)
{
    req->resp_len =
        answer_error(req->q, WIRE_RCODE_REFUSED, &x->conf->limits, req->resp, req->resp_cap);
    answer_meta_error(&req->meta, WIRE_RCODE_REFUSED, NULL);
    return PLUGIN_DONE;
}

static plugin_result_t xfr_query(void *state, request_t *req)
{
    xfr_plugin_t *x = state;
    const wire_query_t *q = req->q;
    if ((q->qtype != WIRE_TYPE_AXFR && q->qtype != WIRE_TYPE_IXFR) || q->qclass != WIRE_CLASS_IN) {
        return PLUGIN_NEXT;
    }
    const view_zone_t *zone =
        view_find_zone(x->view, q->qname, q->qname_len, q->label_off, q->qname_labels);
    size_t apex_len = 0;
    const uint8_t *apex = zone ? view_zone_apex(zone, &apex_len) : NULL;
    if (zone == NULL || apex_len != q->qname_len || memcmp(apex, q->qname, apex_len) != 0 ||
        !xfr_zone_listed(x->conf, apex, apex_len) || !xfr_peer_allowed(x->conf, req->peer) ||
        (q->tsig.present && req->tsig.key == NULL)) {
        return xfr_refuse(x, req);
    }
    if (req->proto != REQ_TCP) { /* an empty TC=1 reply: "ask again over TCP" */
        req->resp_len =
            answer_error(q, WIRE_RCODE_NOERROR, &x->conf->limits, req->resp, req->resp_cap);
        answer_meta_answer(&req->meta, q, zone);
        req->action = RESPOND_TRUNCATE;
        return PLUGIN_DONE;
    }
    xfr_job_t job;
    memset(&job, 0, sizeof(job));
    job.id = q->id;
    job.rd = q->flags & WIRE_FLAG_RD;
    job.qtype = q->qtype;
    job.question_len = (uint16_t)(q->question_end - WIRE_HEADER_SIZE);
    memcpy(job.question, q->pkt + WIRE_HEADER_SIZE, job.question_len);
    memcpy(job.apex, apex, apex_len);
    job.apex_len = (uint8_t)apex_len;
    job.has_client_serial = q->qtype == WIRE_TYPE_IXFR && ixfr_client_serial(q, &job.client_serial);
    if (req->tsig.key != NULL) {
        job.tsig = true;
        job.tsig_state = req->tsig;
        job.tsig_key = *req->tsig.key;
        req->tsig.key = NULL; /* the thread signs; the respond hook must not */
    }
    job.fd = req->tcp_fd >= 0 ? dup(req->tcp_fd) : -1;
    if (job.fd < 0 || !xfr_stream_submit(&x->stream, &job)) {
        if (job.fd >= 0) {
            close(job.fd);
        }
        req->resp_len =
            answer_error(q, WIRE_RCODE_SERVFAIL, &x->conf->limits, req->resp, req->resp_cap);
        answer_meta_error(&req->meta, WIRE_RCODE_SERVFAIL, zone);
        return PLUGIN_DONE;
    }
    /* The transfer thread writes the answer; this worker sends nothing. */
    answer_meta_answer(&req->meta, q, zone);
    req->resp_len = 0;
    req->action = RESPOND_DROP;
    return PLUGIN_DONE;
}

/* ---- NOTIFY and metrics (control thread) ---- */

static bool xfr_listed_cb(const void *ctx, const uint8_t *apex, size_t len)
{
    return xfr_zone_listed(ctx, apex, len);
}

/* The `to` entries that are hosts, as NOTIFY targets. */
static size_t xfr_targets(const xfr_conf_t *c, struct sockaddr_storage *out)
{
    size_t n = 0;
    for (size_t i = 0; i < c->npeers && n < XFR_NOTIFY_MAX_TARGETS; i++) {
        const xfr_peer_t *p = &c->peers[i];
        if (!p->host) {
            continue;
        }
        struct sockaddr_storage *ss = &out[n++];
        memset(ss, 0, sizeof(*ss));
        if (p->family == AF_INET) {
            struct sockaddr_in *sin = (struct sockaddr_in *)ss;
            sin->sin_family = AF_INET;
            sin->sin_port = htons(p->port);
            memcpy(&sin->sin_addr, p->addr, 4);
        } else {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
            sin6->sin6_family = AF_INET6;
            sin6->sin6_port = htons(p->port);
            memcpy(&sin6->sin6_addr, p->addr, 16);
        }
    }
    return n;
}

/* The counters of every instance in a configuration, summed. */
typedef struct xfr_totals {
    xfr_notify_stats_t notify;
    uint64_t transfers, failed;
} xfr_totals_t;

static void xfr_sum(const xfr_plugin_t *first, xfr_totals_t *t)
{
    memset(t, 0, sizeof(*t));
    for (const xfr_plugin_t *x = first; x != NULL; x = x->next_in_gen) {
        const xfr_notify_stats_t *st = xfr_notifier_stats(x->notifier);
        t->notify.sent += st->sent;
        t->notify.retried += st->retried;
        t->notify.answered += st->answered;
        t->notify.failed += st->failed;
        t->notify.replaced += st->replaced;
        t->transfers += atomic_load_explicit(&x->stream.transfers, memory_order_relaxed);
        t->failed += atomic_load_explicit(&x->stream.failed, memory_order_relaxed);
    }
}

static void xfr_collect(void *ctx, metrics_out_t *out)
{
    xfr_totals_t t;
    xfr_sum(ctx, &t);
    const xfr_notify_stats_t *st = &t.notify;
    static const struct {
        const char *name, *help;
        size_t off;
    } counters[] = {
        {"vmdns_transfer_notify_sent_total", "NOTIFY datagrams sent, retries included.",
         offsetof(xfr_notify_stats_t, sent)},
        {"vmdns_transfer_notify_retried_total", "NOTIFY datagrams sent again, unanswered.",
         offsetof(xfr_notify_stats_t, retried)},
        {"vmdns_transfer_notify_answered_total", "NOTIFYs a secondary answered.",
         offsetof(xfr_notify_stats_t, answered)},
        {"vmdns_transfer_notify_failed_total", "NOTIFYs given up: no answer after the last try.",
         offsetof(xfr_notify_stats_t, failed)},
        {"vmdns_transfer_notify_replaced_total",
         "NOTIFYs still unanswered when the zone changed again (a new one replaced them).",
         offsetof(xfr_notify_stats_t, replaced)},
    };
    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
        metrics_family(out, counters[i].name, "counter", counters[i].help);
        metrics_sample_u64(out, counters[i].name, NULL,
                           *(const uint64_t *)(const void *)((const char *)st + counters[i].off));
    }
    metrics_family(out, "vmdns_transfer_zone_transfers_total", "counter",
                   "Zone transfers (AXFR, IXFR) streamed to the end.");
    metrics_sample_u64(out, "vmdns_transfer_zone_transfers_total", NULL, t.transfers);
    metrics_family(out, "vmdns_transfer_zone_transfers_failed_total", "counter",
                   "Zone transfers cut off or failed.");
    metrics_sample_u64(out, "vmdns_transfer_zone_transfers_failed_total", NULL, t.failed);
}

static void xfr_join(void *state, const void *conf, const plugin_env_t *env)
{
    (void)conf;
    if (state == NULL || env->gen == NULL) {
        return;
    }
    /* one collector per configuration (a family appears once on /metrics),
     * on the first instance, which links the others and sums them */
    xfr_plugin_t *x = state;
    const metrics_registry_t *m = &env->gen->metrics;
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->c[i].name, "transfer") != 0) {
            continue;
        }
        xfr_plugin_t *last = m->c[i].ctx;
        for (;; last = last->next_in_gen) {
            if (last == x) {
                return; /* already linked (one instance serving two blocks) */
            }
            if (last->next_in_gen == NULL) {
                break;
            }
        }
        x->next_in_gen = NULL;
        last->next_in_gen = x;
        return;
    }
    x->next_in_gen = NULL;
    metrics_register_collector(&env->gen->metrics, "transfer", xfr_collect, state);
}

/* ---- lifetime ---- */

static int xfr_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    const xfr_conf_t *c = conf;
    xfr_plugin_t *x = calloc(1, sizeof(*x));
    if (x == NULL) {
        return cfg_fail_pos(err, &c->at, "transfer: out of memory");
    }
    x->conf = c;
    x->view = env->view;
    if (xfr_stream_start(&x->stream, env->view) != 0) {
        free(x);
        return cfg_fail_pos(err, &c->at, "transfer: cannot start the transfer thread");
    }
    struct sockaddr_storage targets[XFR_NOTIFY_MAX_TARGETS];
    size_t ntargets = xfr_targets(c, targets);
    x->notifier =
        xfr_notifier_new(env->control, env->view, targets, ntargets, (unsigned)c->notify_timeout_ms,
                         (unsigned)c->notify_tries, xfr_listed_cb, c);
    if (x->notifier == NULL) {
        xfr_stream_stop(&x->stream);
        free(x);
        return cfg_fail_pos(err, &c->at,
                            "transfer: cannot start NOTIFY (out of memory or sockets)");
    }
    *state = x;
    return 0;
}

static void xfr_teardown(void *state)
{
    xfr_plugin_t *x = state;
    if (x == NULL) {
        return;
    }
    xfr_notifier_free(x->notifier);
    xfr_stream_stop(&x->stream);
    free(x);
}

/* `transfer [ZONES...] { to ADDRESS... }` into `transfer:`. */
static int xfr_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    int seen = cf_once(ctx, d, err);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    cfg_node_t *sec = cf_section(ctx, "transfer", d->name, CFG_MAP, err);
    if (sec == NULL) {
        return -1;
    }
    cfg_node_t *zones = NULL;
    size_t nz = d->nargs > 0 ? d->nargs : cf_block_nzones(ctx);
    for (size_t i = 0; i < nz; i++) {
        char zone[CF_ZONE_TEXT];
        const cf_token_t *at = d->nargs > 0 ? &d->args[i] : d->name;
        const char *text = d->nargs > 0 ? d->args[i].text : cf_block_zone(ctx, i, NULL);
        if (cf_zone_name(at, text, zone, err) != 0) {
            return -1;
        }
        if (strcmp(zone, ".") == 0) {
            continue; /* the root block: every zone */
        }
        if (zones == NULL && (zones = cf_put_node(sec, "zones", d->name, CFG_SEQ, err)) == NULL) {
            return -1;
        }
        if (cf_add(zones, at, zone, err) != 0) {
            return -1;
        }
    }
    cfg_node_t *to = NULL;
    cf_line_t l;
    for (size_t pos = 0; d->block && cf_next_line(d, &pos, &l);) {
        if (strcmp(l.opt->text, "to") != 0) {
            return cf_fail(err, l.opt, "transfer: unknown option '%s' (only 'to')", l.opt->text);
        }
        if (l.nargs == 0) {
            return cf_fail(err, l.opt, "transfer: 'to' needs at least one address or *");
        }
        if (to == NULL && (to = cf_put_node(sec, "to", l.opt, CFG_SEQ, err)) == NULL) {
            return -1;
        }
        for (size_t i = 0; i < l.nargs; i++) {
            if (cf_add(to, &l.args[i], l.args[i].text, err) != 0) {
                return -1;
            }
        }
    }
    if (to == NULL) {
        return cf_fail(err, d->name, "transfer: give 'to ADDRESS...' (or 'to *') in a block");
    }
    return 0;
}

const plugin_t plugin_transfer = {
    .name = "transfer",
    .config_key = "transfer",
    .view_data = PLUGIN_VIEW_READS,
    .corefile = xfr_corefile,
    .parse = xfr_parse,
    .conf_equal = xfr_conf_equal,
    .conf_free = xfr_conf_free,
    .setup = xfr_setup,
    .join = xfr_join,
    .query = xfr_query,
    .teardown = xfr_teardown,
};
