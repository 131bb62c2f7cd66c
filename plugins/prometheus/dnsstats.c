/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dnsstats.c - count queries per worker; sum and render them on a scrape.
 *
 * dnsstats_record() is on the hot path (every answered query, from the
 * `done` hook): a pointer-keyed cache probe, a few array indexes and plain
 * adds into the worker's own slot. A zone or plugin seen for the first time
 * is numbered under the store's lock (claim path); see dnsstats.h. dnsstats_render() runs on the
 * control thread, allocates freely, and writes the text the way the Prometheus Go client (and so
 * CoreDNS) does: families sorted by name, one child per label combination that has been observed.
 */
#include "prometheus/dnsstats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mnemonic.h"

const double dnsstats_duration_bounds[DNSSTATS_DUR_BOUNDS] = {
    0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032,
    0.064,   0.128,  0.256, 0.512, 1.024, 2.048, 4.096, 8.192,
};

const double dnsstats_size_bounds[DNSSTATS_SIZE_BOUNDS] = {
    0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16000, 32000, 48000, 64000,
};

/* The qtypes CoreDNS reports by name (plugin/metrics/vars/monitor.go);
 * every other type is counted as "other", the last index. */
static const struct {
    uint16_t type;
    const char *label;
} dnsstats_types[DNSSTATS_TYPES - 1] = {
    {1, "A"},      {28, "AAAA"}, {5, "CNAME"},  {48, "DNSKEY"}, {43, "DS"},    {15, "MX"},
    {50, "NSEC3"}, {47, "NSEC"}, {2, "NS"},     {12, "PTR"},    {46, "RRSIG"}, {6, "SOA"},
    {33, "SRV"},   {16, "TXT"},  {65, "HTTPS"}, {251, "IXFR"},  {252, "AXFR"}, {255, "ANY"},
};

static const char *const dnsstats_proto_label[2] = {"udp", "tcp"};
static const char *const dnsstats_family_label[2] = {"1", "2"};

static inline void ctr_add(dnsstats_ctr_t *c, uint64_t v)
{
    /* Single writer: a relaxed load and store compile to a plain add. */
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

static inline uint64_t ctr_get(const dnsstats_ctr_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

unsigned dnsstats_type_index(uint16_t qtype)
{
    /* Direct tests for the common ones, the table for the rest. */
    if (qtype == 1) {
        return 0;
    }
    if (qtype == 28) {
        return 1;
    }
    for (unsigned i = 2; i < DNSSTATS_TYPES - 1; i++) {
        if (dnsstats_types[i].type == qtype) {
            return i;
        }
    }
    return DNSSTATS_TYPES - 1;
}

const char *dnsstats_type_label(unsigned index)
{
    return index < DNSSTATS_TYPES - 1 ? dnsstats_types[index].label : "other";
}

unsigned dnsstats_duration_bucket(uint64_t ns)
{
    /* Bounds are 0.25 ms * 2^i; compare in integer nanoseconds. */
    uint64_t bound = 250000;
    for (unsigned i = 0; i < DNSSTATS_DUR_BOUNDS; i++, bound *= 2) {
        if (ns <= bound) {
            return i;
        }
    }
    return DNSSTATS_DUR_BOUNDS;
}

unsigned dnsstats_size_bucket(size_t bytes)
{
    for (unsigned i = 0; i < DNSSTATS_SIZE_BOUNDS; i++) {
        if ((double)bytes <= dnsstats_size_bounds[i]) {
            return i;
        }
    }
    return DNSSTATS_SIZE_BOUNDS;
}

dnsstats_t *dnsstats_new(unsigned nslots)
{
    dnsstats_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    strcpy(s->zone_label[DNSSTATS_ZONE_NONE], ".");
    strcpy(s->zone_label[DNSSTATS_ZONE_OTHER], "other");
    atomic_init(&s->nzones, 2);
    atomic_init(&s->plugin[0], "");
    atomic_init(&s->nplugins, 1);
    if (dnsstats_reserve(s, nslots) != 0) {
        dnsstats_free(s);
        return NULL;
    }
    return s;
}

void dnsstats_free(dnsstats_t *s)
{
    if (s == NULL) {
        return;
    }
    uint32_t n = atomic_load_explicit(&s->nslots, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) {
        free(atomic_load_explicit(&s->slot[i], memory_order_relaxed));
    }
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int dnsstats_reserve(dnsstats_t *s, unsigned nslots)
{
    if (nslots > DNSSTATS_MAX_SLOTS) {
        return -1;
    }
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    uint32_t n = atomic_load_explicit(&s->nslots, memory_order_relaxed);
    for (; n < nslots; n++) {
        dnsstats_slot_t *slot = aligned_alloc(_Alignof(dnsstats_slot_t), sizeof(*slot));
        if (slot == NULL) {
            rc = -1;
            break;
        }
        memset(slot, 0, sizeof(*slot));
        atomic_store_explicit(&s->slot[n], slot, memory_order_release);
        atomic_store_explicit(&s->nslots, n + 1, memory_order_release);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static inline size_t dnsstats_map_hash(const void *zone)
{
    uint64_t h = (uint64_t)(uintptr_t)zone * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 58) & (DNSSTATS_ZONE_MAP - 1); /* top 6 bits: 64 entries */
}

static inline const char *dnsstats_srv(const char *server)
{
    return server != NULL ? server : "";
}

/* Is pair i (published) (server, label)? */
static inline bool dnsstats_zone_is(const dnsstats_t *s, uint32_t i, const char *server,
                                    const char *label)
{
    return strcmp(s->zone_label[i], label) == 0 &&
           strcmp(s->server_label[i], dnsstats_srv(server)) == 0;
}

/* The number of this pair among the first n (published), or 0. */
static uint32_t dnsstats_zone_find(const dnsstats_t *s, uint32_t n, const char *server,
                                   const char *label)
{
    for (uint32_t i = 2; i < n; i++) {
        if (dnsstats_zone_is(s, i, server, label)) {
            return i;
        }
    }
    return 0;
}

/* The number of this pair: a lock-free look at the published ones, else
 * (a pair never seen by any worker) a new number under the lock. */
static uint32_t dnsstats_zone_number(dnsstats_t *s, const char *server, const char *label)
{
    uint32_t n = atomic_load_explicit(&s->nzones, memory_order_acquire);
    uint32_t i = dnsstats_zone_find(s, n, server, label);
    if (i != 0 || n >= DNSSTATS_ZONES) {
        return i != 0 ? i : DNSSTATS_ZONE_OTHER;
    }
    pthread_mutex_lock(&s->lock);
    n = atomic_load_explicit(&s->nzones, memory_order_relaxed);
    i = dnsstats_zone_find(s, n, server, label); /* claimed meanwhile? */
    if (i == 0) {
        i = DNSSTATS_ZONE_OTHER;
        if (n < DNSSTATS_ZONES && strlen(label) < DNSSTATS_LABEL_MAX &&
            strlen(dnsstats_srv(server)) < DNSSTATS_SERVER_MAX) {
            strcpy(s->zone_label[n], label);
            strcpy(s->server_label[n], dnsstats_srv(server));
            i = n;
            /* The names are written before the number is published. */
            atomic_store_explicit(&s->nzones, n + 1, memory_order_release);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return i;
}

/* Slow path: number the pair, then cache its pointer in the slot. */
static uint32_t dnsstats_zone_claim(dnsstats_t *s, dnsstats_slot_t *w, const void *zone,
                                    const char *server, const char *label)
{
    uint32_t index = dnsstats_zone_number(s, server, label);
    if (w->map_used >= DNSSTATS_ZONE_MAP * 3 / 4) {
        memset(w->map, 0, sizeof(w->map)); /* a cache: forget and refill */
        w->map_used = 0;
    }
    size_t h = dnsstats_map_hash(zone);
    while (w->map[h].zone != NULL) {
        h = (h + 1) & (DNSSTATS_ZONE_MAP - 1);
    }
    w->map[h].zone = zone;
    w->map[h].index = index;
    w->map_used++;
    return index;
}

static inline uint32_t dnsstats_zone_index(dnsstats_t *s, dnsstats_slot_t *w, const void *zone,
                                           const char *server, const char *label)
{
    if (zone == NULL || label == NULL) {
        return DNSSTATS_ZONE_NONE;
    }
    size_t h = dnsstats_map_hash(zone);
    while (w->map[h].zone != NULL) {
        if (w->map[h].zone == zone) {
            uint32_t i = w->map[h].index;
            /* A freed pointer may come back for other names: check.
             * Published names never change, so this reads them unlocked. */
            if (i == DNSSTATS_ZONE_OTHER || dnsstats_zone_is(s, i, server, label)) {
                return i;
            }
            w->map[h].zone = (const void *)&w->map; /* tombstone: never a zone */
            break;
        }
        h = (h + 1) & (DNSSTATS_ZONE_MAP - 1);
    }
    return dnsstats_zone_claim(s, w, zone, server, label);
}

/* The number of a plugin name among the first n published, or 0. */
static unsigned dnsstats_plugin_find(const dnsstats_t *s, uint32_t n, const char *plugin,
                                     bool by_text)
{
    for (uint32_t i = 1; i < n; i++) {
        const char *p = atomic_load_explicit(&s->plugin[i], memory_order_relaxed);
        if (p == plugin || (by_text && strcmp(p, plugin) == 0)) {
            return i;
        }
    }
    return 0;
}

static inline unsigned dnsstats_plugin_index(dnsstats_t *s, const char *plugin)
{
    if (plugin == NULL || plugin[0] == '\0') {
        return 0;
    }
    uint32_t n = atomic_load_explicit(&s->nplugins, memory_order_acquire);
    unsigned i = dnsstats_plugin_find(s, n, plugin, false);
    if (i != 0 || n >= DNSSTATS_PLUGINS) {
        return i;
    }
    pthread_mutex_lock(&s->lock); /* claim path: a plugin never seen before */
    n = atomic_load_explicit(&s->nplugins, memory_order_relaxed);
    i = dnsstats_plugin_find(s, n, plugin, true);
    if (i == 0 && n < DNSSTATS_PLUGINS) {
        atomic_store_explicit(&s->plugin[n], plugin, memory_order_relaxed);
        atomic_store_explicit(&s->nplugins, n + 1, memory_order_release);
        i = n;
    }
    pthread_mutex_unlock(&s->lock);
    return i;
}

void dnsstats_record(dnsstats_t *s, dnsstats_slot_t *w, const dnsstats_obs_t *o)
{
    dnsstats_zone_t *z = &w->zone[dnsstats_zone_index(s, w, o->zone, o->server, o->label)];
    unsigned proto = o->proto ? 1 : 0;
    unsigned type = dnsstats_type_index(o->qtype);
    unsigned rcode = o->rcode < DNSSTATS_RCODES - 1 ? o->rcode : DNSSTATS_RCODES - 1;

    ctr_add(&z->requests[proto][o->family ? 1 : 0][type], 1);
    if (o->do_bit) {
        ctr_add(&z->do_requests, 1);
    }
    ctr_add(&z->duration[type][dnsstats_duration_bucket(o->duration_ns)], 1);
    ctr_add(&z->duration_sum_ns[type], o->duration_ns);
    ctr_add(&z->req_size[proto][dnsstats_size_bucket(o->req_size)], 1);
    ctr_add(&z->req_size_sum[proto], o->req_size);
    if (!o->dropped) {
        ctr_add(&z->responses[rcode][dnsstats_plugin_index(s, o->plugin)], 1);
        ctr_add(&z->resp_size[proto][dnsstats_size_bucket(o->resp_size)], 1);
        ctr_add(&z->resp_size_sum[proto], o->resp_size);
    }
}

/* ---- scrape side ---- */

/* One zone summed over every slot. */
typedef struct sum_zone {
    const char *server;
    const char *label;
    uint64_t requests[2][2][DNSSTATS_TYPES];
    uint64_t do_requests;
    uint64_t responses[DNSSTATS_RCODES][DNSSTATS_PLUGINS];
    uint64_t duration[DNSSTATS_TYPES][DNSSTATS_DUR_BOUNDS + 1];
    uint64_t duration_sum_ns[DNSSTATS_TYPES];
    uint64_t req_size[2][DNSSTATS_SIZE_BOUNDS + 1];
    uint64_t req_size_sum[2];
    uint64_t resp_size[2][DNSSTATS_SIZE_BOUNDS + 1];
    uint64_t resp_size_sum[2];
} sum_zone_t;

typedef struct sum {
    size_t nzones;
    sum_zone_t *zones; /* sorted by label */
    size_t nplugins;
    const char *plugins[DNSSTATS_PLUGINS];
} sum_t;

static void sum_add_zone(sum_zone_t *d, const dnsstats_zone_t *z)
{
    for (int p = 0; p < 2; p++) {
        for (int f = 0; f < 2; f++) {
            for (int t = 0; t < DNSSTATS_TYPES; t++) {
                d->requests[p][f][t] += ctr_get(&z->requests[p][f][t]);
            }
        }
        for (int b = 0; b <= DNSSTATS_SIZE_BOUNDS; b++) {
            d->req_size[p][b] += ctr_get(&z->req_size[p][b]);
            d->resp_size[p][b] += ctr_get(&z->resp_size[p][b]);
        }
        d->req_size_sum[p] += ctr_get(&z->req_size_sum[p]);
        d->resp_size_sum[p] += ctr_get(&z->resp_size_sum[p]);
    }
    d->do_requests += ctr_get(&z->do_requests);
    for (int r = 0; r < DNSSTATS_RCODES; r++) {
        for (int p = 0; p < DNSSTATS_PLUGINS; p++) {
            d->responses[r][p] += ctr_get(&z->responses[r][p]);
        }
    }
    for (int t = 0; t < DNSSTATS_TYPES; t++) {
        for (int b = 0; b <= DNSSTATS_DUR_BOUNDS; b++) {
            d->duration[t][b] += ctr_get(&z->duration[t][b]);
        }
        d->duration_sum_ns[t] += ctr_get(&z->duration_sum_ns[t]);
    }
}

static int sum_zone_cmp(const void *a, const void *b)
{
    const sum_zone_t *x = a, *y = b;
    int c = strcmp(x->server, y->server);
    return c != 0 ? c : strcmp(x->label, y->label);
}

/* Sum every slot, released ones included, into `sum` (zones sorted by
 * label). Returns 0 or -1. */
static int dnsstats_sum(dnsstats_t *s, const char *server, sum_t *sum)
{
    memset(sum, 0, sizeof(*sum));
    sum->nplugins = atomic_load_explicit(&s->nplugins, memory_order_acquire);
    for (size_t p = 0; p < sum->nplugins; p++) {
        sum->plugins[p] = atomic_load_explicit(&s->plugin[p], memory_order_relaxed);
    }
    sum->nzones = atomic_load_explicit(&s->nzones, memory_order_acquire);
    sum->zones = calloc(sum->nzones, sizeof(*sum->zones));
    if (sum->zones == NULL) {
        return -1;
    }
    uint32_t nslots = atomic_load_explicit(&s->nslots, memory_order_acquire);
    for (uint32_t i = 0; i < nslots; i++) {
        const dnsstats_slot_t *w = atomic_load_explicit(&s->slot[i], memory_order_acquire);
        for (size_t z = 0; z < sum->nzones; z++) {
            sum_add_zone(&sum->zones[z], &w->zone[z]);
        }
    }
    for (size_t z = 0; z < sum->nzones; z++) {
        sum->zones[z].label = s->zone_label[z];
        sum->zones[z].server = s->server_label[z][0] != '\0' ? s->server_label[z] : server;
    }
    qsort(sum->zones, sum->nzones, sizeof(*sum->zones), sum_zone_cmp);
    return 0;
}

static bool any_nonzero(const uint64_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i] != 0) {
            return true;
        }
    }
    return false;
}

static void render_do_requests(const sum_t *sum, metrics_out_t *out)
{
    bool header = false;
    for (size_t i = 0; i < sum->nzones; i++) {
        const sum_zone_t *z = &sum->zones[i];
        if (z->do_requests == 0) {
            continue;
        }
        if (!header) {
            metrics_family(out, "coredns_dns_do_requests_total", "counter",
                           "Counter of DNS requests with DO bit set per zone.");
            header = true;
        }
        const char *labels[] = {"server", z->server, "zone", z->label, "view", "", NULL};
        metrics_sample_u64(out, "coredns_dns_do_requests_total", labels, z->do_requests);
    }
}

/* The duration histogram per server and zone: the types summed (CoreDNS's
 * mixin and dashboards aggregate by server, zone and le). */
static void render_duration(const sum_t *sum, metrics_out_t *out)
{
    bool header = false;
    for (size_t i = 0; i < sum->nzones; i++) {
        const sum_zone_t *z = &sum->zones[i];
        uint64_t counts[DNSSTATS_DUR_BOUNDS + 1] = {0};
        uint64_t sum_ns = 0;
        for (unsigned t = 0; t < DNSSTATS_TYPES; t++) {
            for (unsigned b = 0; b <= DNSSTATS_DUR_BOUNDS; b++) {
                counts[b] += z->duration[t][b];
            }
            sum_ns += z->duration_sum_ns[t];
        }
        if (!any_nonzero(counts, DNSSTATS_DUR_BOUNDS + 1)) {
            continue;
        }
        if (!header) {
            metrics_family(out, "coredns_dns_request_duration_seconds", "histogram",
                           "Histogram of the time (in seconds) each request took per zone.");
            header = true;
        }
        const char *labels[] = {"server", z->server, "zone", z->label, "view", "", NULL};
        metrics_histogram(out, "coredns_dns_request_duration_seconds", labels,
                          dnsstats_duration_bounds, DNSSTATS_DUR_BOUNDS, counts,
                          (double)sum_ns / 1e9);
    }
}

static void render_size(const sum_t *sum, bool request, metrics_out_t *out)
{
    const char *name =
        request ? "coredns_dns_request_size_bytes" : "coredns_dns_response_size_bytes";
    bool header = false;
    for (size_t i = 0; i < sum->nzones; i++) {
        const sum_zone_t *z = &sum->zones[i];
        for (unsigned p = 0; p < 2; p++) {
            const uint64_t *counts = request ? z->req_size[p] : z->resp_size[p];
            if (!any_nonzero(counts, DNSSTATS_SIZE_BOUNDS + 1)) {
                continue;
            }
            if (!header) {
                metrics_family(out, name, "histogram",
                               request ? "Size of the request in bytes per zone and protocol."
                                       : "Size of the returned response in bytes.");
                header = true;
            }
            const char *labels[] = {"server", z->server, "zone",  z->label,
                                    "view",   "",        "proto", dnsstats_proto_label[p],
                                    NULL};
            metrics_histogram(out, name, labels, dnsstats_size_bounds, DNSSTATS_SIZE_BOUNDS, counts,
                              (double)(request ? z->req_size_sum[p] : z->resp_size_sum[p]));
        }
    }
}

static void render_requests(const sum_t *sum, metrics_out_t *out)
{
    bool header = false;
    for (size_t i = 0; i < sum->nzones; i++) {
        const sum_zone_t *z = &sum->zones[i];
        for (unsigned p = 0; p < 2; p++) {
            for (unsigned f = 0; f < 2; f++) {
                for (unsigned t = 0; t < DNSSTATS_TYPES; t++) {
                    if (z->requests[p][f][t] == 0) {
                        continue;
                    }
                    if (!header) {
                        metrics_family(
                            out, "coredns_dns_requests_total", "counter",
                            "Counter of DNS requests made per zone, protocol and family.");
                        header = true;
                    }
                    const char *labels[] = {"server", z->server,
                                            "zone",   z->label,
                                            "view",   "",
                                            "proto",  dnsstats_proto_label[p],
                                            "family", dnsstats_family_label[f],
                                            "type",   dnsstats_type_label(t),
                                            NULL};
                    metrics_sample_u64(out, "coredns_dns_requests_total", labels,
                                       z->requests[p][f][t]);
                }
            }
        }
    }
}

static void render_responses(const sum_t *sum, metrics_out_t *out)
{
    bool header = false;
    for (size_t i = 0; i < sum->nzones; i++) {
        const sum_zone_t *z = &sum->zones[i];
        for (unsigned r = 0; r < DNSSTATS_RCODES; r++) {
            char rbuf[16];
            const char *rcode = mnemonic_rcode(r);
            if (r == DNSSTATS_RCODES - 1) {
                rcode = "other";
            } else if (rcode == NULL) {
                snprintf(rbuf, sizeof(rbuf), "RCODE%u", r);
                rcode = rbuf;
            }
            for (size_t p = 0; p < sum->nplugins; p++) {
                if (z->responses[r][p] == 0) {
                    continue;
                }
                if (!header) {
                    metrics_family(out, "coredns_dns_responses_total", "counter",
                                   "Counter of response status codes.");
                    header = true;
                }
                const char *labels[] = {"server", z->server, "zone",   z->label,        "view", "",
                                        "rcode",  rcode,     "plugin", sum->plugins[p], NULL};
                metrics_sample_u64(out, "coredns_dns_responses_total", labels, z->responses[r][p]);
            }
        }
    }
}

void dnsstats_render(dnsstats_t *s, const char *server, metrics_out_t *out)
{
    sum_t sum;
    if (dnsstats_sum(s, server, &sum) != 0) {
        out->failed = true;
        return;
    }
    /* Sorted by family name, as the Go client writes them. */
    render_do_requests(&sum, out);
    render_duration(&sum, out);
    render_size(&sum, true, out);
    render_requests(&sum, out);
    render_size(&sum, false, out);
    render_responses(&sum, out);
    free(sum.zones);
}
