/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dnsstats.h - the per-query DNS counters behind CoreDNS's coredns_dns_*.
 *
 * Counting must never slow the hot path, so the counters are kept per
 * worker slot: a cache-line aligned block of plain counters that exactly
 * one thread writes (relaxed atomic load + store: a normal add, no lock
 * prefix, no shared cache line). A scrape (control thread) reads every
 * block with relaxed loads and sums them, so a scrape may see one query
 * counted in one metric and not yet in the next; totals are exact once
 * queries stop.
 *
 * Who writes a slot: main gives every server its own range of worker slots
 * (request_t.slot, core/plugin.h), so while a reload with new listeners runs
 * two servers side by side, their workers never share a slot. A server's
 * slots are released when it is freed; they keep their totals (a scrape
 * sums every slot ever used) and are handed to a later server, whose
 * workers then continue them. The counters therefore never go backwards.
 * The store is kept across reloads (plugin_kept) and grows when main hands
 * out a slot past its end (dnsstats_reserve), before any worker uses it.
 *
 * Labels are small indexes, not strings: proto, family, qtype (the types
 * CoreDNS monitors, else "other"), rcode, the answering plugin, and the
 * (server, zone) pair: the listener and the server block's zone that took
 * the query, as in CoreDNS ("dropped" for a name no block serves). Pairs
 * and plugin names are numbered once for the whole store (slot 0 is "."
 * for queries with no zone, 1 is "other" once the table is full): a worker
 * finds a pair through a small cache of its own keyed by a pointer and
 * checked against the names, so a query allocates nothing and hashes
 * nothing but a pointer. Only a pair or plugin seen for the first time
 * takes the store's lock (the claim path); lookups never do. A reload's
 * new blocks (new pointers, same names) find their old numbers.
 */
#ifndef VMDNS_PROMETHEUS_DNSSTATS_H
#define VMDNS_PROMETHEUS_DNSSTATS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/metrics.h"
#include "dns/name.h"

#define DNSSTATS_ZONES       32 /* zone numbers, including "." and "other" */
#define DNSSTATS_ZONE_NONE   0  /* slot of answers from no zone: "." */
#define DNSSTATS_ZONE_OTHER  1  /* slot of zones past the table: "other" */
#define DNSSTATS_ZONE_MAP    64 /* pointer -> slot cache entries (power of 2) */
#define DNSSTATS_TYPES       19 /* monitored qtypes + "other" */
#define DNSSTATS_RCODES      25 /* rcodes 0..23 by number, the last for the rest */
#define DNSSTATS_PLUGINS     8  /* answering plugins; slot 0 = none (the view) */
#define DNSSTATS_DUR_BOUNDS  16
#define DNSSTATS_SIZE_BOUNDS 14
#define DNSSTATS_LABEL_MAX   (NAME_MAX_WIRE * 4 + 2) /* zone name as text */
#define DNSSTATS_SERVER_MAX  128                     /* "dns://[v6 address]:port" */
#define DNSSTATS_MAX_SLOTS   4096 /* worker slots: two servers of 2x1024 workers */

/* CoreDNS's buckets: duration in seconds, sizes in bytes. */
extern const double dnsstats_duration_bounds[DNSSTATS_DUR_BOUNDS];
extern const double dnsstats_size_bounds[DNSSTATS_SIZE_BOUNDS];

typedef _Atomic uint64_t dnsstats_ctr_t;

/* The counters of one zone in one slot. Histograms keep per-bucket counts
 * (the last for +Inf); they are made cumulative when rendered. */
typedef struct dnsstats_zone {
    dnsstats_ctr_t requests[2][2][DNSSTATS_TYPES]; /* proto, family, type */
    dnsstats_ctr_t do_requests;
    dnsstats_ctr_t responses[DNSSTATS_RCODES][DNSSTATS_PLUGINS];
    dnsstats_ctr_t duration[DNSSTATS_TYPES][DNSSTATS_DUR_BOUNDS + 1];
    dnsstats_ctr_t duration_sum_ns[DNSSTATS_TYPES];
    dnsstats_ctr_t req_size[2][DNSSTATS_SIZE_BOUNDS + 1]; /* proto */
    dnsstats_ctr_t req_size_sum[2];
    dnsstats_ctr_t resp_size[2][DNSSTATS_SIZE_BOUNDS + 1];
    dnsstats_ctr_t resp_size_sum[2];
} dnsstats_zone_t;

/* One worker slot: its counters, and its writer's zone cache. Written by
 * one thread at a time (the worker the slot is handed to). */
typedef struct dnsstats_slot {
    _Alignas(64) struct {
        const void *zone; /* NULL: free entry */
        uint32_t index;
    } map[DNSSTATS_ZONE_MAP]; /* zone pointer -> zone number (a cache) */
    uint32_t map_used;
    dnsstats_zone_t zone[DNSSTATS_ZONES];
} dnsstats_slot_t;

/* The whole store: every slot, and the zone and plugin names they share. */
typedef struct dnsstats {
    pthread_mutex_t lock;    /* claim paths only: new zone, new plugin, growth */
    _Atomic uint32_t nslots; /* slots allocated; published after slot[i] */
    _Atomic(dnsstats_slot_t *) slot[DNSSTATS_MAX_SLOTS];
    _Atomic uint32_t nzones; /* zone numbers in use; published after the name */
    char server_label[DNSSTATS_ZONES][DNSSTATS_SERVER_MAX]; /* "" : the render's default */
    char zone_label[DNSSTATS_ZONES][DNSSTATS_LABEL_MAX];
    _Atomic uint32_t nplugins;                      /* plugin numbers in use; [0] = "" (the view) */
    _Atomic(const char *) plugin[DNSSTATS_PLUGINS]; /* static names */
} dnsstats_t;

/* What one answered query contributes. */
typedef struct dnsstats_obs {
    const void *zone;   /* identity of the (server, zone) pair (a pointer that
                         * stays with these names while it lives), or NULL */
    const char *server; /* `server` label ("dns://127.0.0.1:53"); NULL: the
                         * render's default */
    const char *label;  /* `zone` label ("example.com.", "dropped"); ignored
                         * if zone is NULL */
    unsigned proto;     /* 0 udp, 1 tcp */
    unsigned family;    /* 0 IPv4, 1 IPv6 */
    uint16_t qtype;
    bool do_bit;
    unsigned rcode;
    const char *plugin; /* answering plugin (static string), NULL: the view */
    size_t req_size;
    bool dropped; /* the respond stage dropped the reply: not a response */
    size_t resp_size;
    uint64_t duration_ns;
} dnsstats_obs_t;

/* A new, empty store with `nslots` slots (dnsstats_reserve). NULL if out
 * of memory. */
dnsstats_t *dnsstats_new(unsigned nslots);

/* Free the store (no worker may be counting into it). NULL is fine. */
void dnsstats_free(dnsstats_t *s);

/* Make sure slots 0..nslots-1 exist (control thread, before a worker is
 * given one of them). Existing slots keep their counts. Returns 0, or -1
 * if out of memory or past DNSSTATS_MAX_SLOTS. */
int dnsstats_reserve(dnsstats_t *s, unsigned nslots);

/* The slot a worker counts into, or NULL if the store does not have it. */
static inline dnsstats_slot_t *dnsstats_slot(dnsstats_t *s, unsigned slot)
{
    if (slot >= atomic_load_explicit(&s->nslots, memory_order_acquire)) {
        return NULL;
    }
    return atomic_load_explicit(&s->slot[slot], memory_order_acquire);
}

/* Count one query in a slot (only the slot's worker may call this). */
void dnsstats_record(dnsstats_t *s, dnsstats_slot_t *slot, const dnsstats_obs_t *o);

/* Index helpers (exposed for tests). */
unsigned dnsstats_type_index(uint16_t qtype);
const char *dnsstats_type_label(unsigned index);
unsigned dnsstats_duration_bucket(uint64_t ns);
unsigned dnsstats_size_bucket(size_t bytes);

/* Sum every slot and write the coredns_dns_* families (requests,
 * do_requests, responses, duration, request/response size) with the given
 * `server` label ("dns://127.0.0.1:53"). Families with no samples yet are
 * left out, as the Go client does. */
void dnsstats_render(dnsstats_t *s, const char *server, metrics_out_t *out);

#endif
