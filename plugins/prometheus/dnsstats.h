/*
 * dnsstats.h - the per-query DNS counters behind CoreDNS's coredns_dns_*.
 *
 * Counting must never slow the hot path, so every worker thread owns one
 * cache-line aligned block of plain counters and is the only thread that
 * writes it (relaxed atomic load + store: a normal add, no lock prefix, no
 * shared cache line). A scrape (control thread) reads every block with
 * relaxed loads and sums them, so a scrape may see one query counted in
 * one metric and not yet in the next; totals are exact once queries stop.
 *
 * Labels are small indexes, not strings: proto, family, qtype (the types
 * CoreDNS monitors, else "other"), rcode, the answering plugin, and the
 * zone. Zones map to a fixed number of slots per worker (slot 0 is "." for
 * answers from no zone, slot 1 is "other" once the table is full) through a
 * small open-addressing table keyed by the zone pointer and checked against
 * the apex, so a query allocates nothing and hashes nothing but a pointer.
 * A zone replaced in the view (new pointer, same apex) finds its old slot.
 * Each worker names its slots itself; the scrape merges them by name.
 */
#ifndef VMDNS_PROMETHEUS_DNSSTATS_H
#define VMDNS_PROMETHEUS_DNSSTATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/metrics.h"
#include "dns/name.h"

#define DNSSTATS_ZONES       32 /* per worker, including "." and "other" */
#define DNSSTATS_ZONE_NONE   0  /* slot of answers from no zone: "." */
#define DNSSTATS_ZONE_OTHER  1  /* slot of zones past the table: "other" */
#define DNSSTATS_ZONE_MAP    64 /* pointer -> slot cache entries (power of 2) */
#define DNSSTATS_TYPES       19 /* monitored qtypes + "other" */
#define DNSSTATS_RCODES      25 /* rcodes 0..23 by number, the last for the rest */
#define DNSSTATS_PLUGINS     8  /* answering plugins; slot 0 = none (the view) */
#define DNSSTATS_DUR_BOUNDS  16
#define DNSSTATS_SIZE_BOUNDS 14
#define DNSSTATS_LABEL_MAX   (NAME_MAX_WIRE * 4 + 2) /* zone name as text */

/* CoreDNS's buckets: duration in seconds, sizes in bytes. */
extern const double dnsstats_duration_bounds[DNSSTATS_DUR_BOUNDS];
extern const double dnsstats_size_bounds[DNSSTATS_SIZE_BOUNDS];

typedef _Atomic uint64_t dnsstats_ctr_t;

/* The counters of one zone slot. Histograms keep per-bucket counts (the
 * last for +Inf); they are made cumulative when rendered. */
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

/* One worker's block. Only its worker writes it; `nzones`/`nplugins` are
 * published with release stores after the slot's name is written. */
typedef struct dnsstats_worker {
    _Alignas(64) _Atomic uint32_t nzones;
    _Atomic uint32_t nplugins;
    struct {
        const void *zone; /* NULL: free entry */
        uint32_t slot;
    } map[DNSSTATS_ZONE_MAP]; /* worker-private cache */
    uint32_t map_used;
    uint8_t apex[DNSSTATS_ZONES][NAME_MAX_WIRE];
    uint8_t apex_len[DNSSTATS_ZONES];
    char zone_label[DNSSTATS_ZONES][DNSSTATS_LABEL_MAX];
    const char *plugin[DNSSTATS_PLUGINS]; /* static names; [0] = "" */
    dnsstats_zone_t zone[DNSSTATS_ZONES];
} dnsstats_worker_t;

/* What one answered query contributes. */
typedef struct dnsstats_obs {
    const void *zone;    /* zone answered from (its identity), or NULL */
    const uint8_t *apex; /* its apex, lower-cased wire (ignored if zone is NULL) */
    size_t apex_len;
    unsigned proto;  /* 0 udp, 1 tcp */
    unsigned family; /* 0 IPv4, 1 IPv6 */
    uint16_t qtype;
    bool do_bit;
    unsigned rcode;
    const char *plugin; /* answering plugin (static string), NULL: the view */
    size_t req_size;
    bool dropped; /* the respond stage dropped the reply: not a response */
    size_t resp_size;
    uint64_t duration_ns;
} dnsstats_obs_t;

/* Every worker's block; the scrape sums them. */
typedef struct dnsstats {
    unsigned nworkers;
    dnsstats_worker_t *workers; /* aligned array, one per worker */
} dnsstats_t;

/* Allocate zeroed blocks for n workers. Returns 0 or -1. */
int dnsstats_init(dnsstats_t *s, unsigned nworkers);
void dnsstats_free(dnsstats_t *s);

/* Count one query in worker w's block (only that worker may call this). */
void dnsstats_record(dnsstats_worker_t *w, const dnsstats_obs_t *o);

/* Index helpers (exposed for tests). */
unsigned dnsstats_type_index(uint16_t qtype);
const char *dnsstats_type_label(unsigned index);
unsigned dnsstats_duration_bucket(uint64_t ns);
unsigned dnsstats_size_bucket(size_t bytes);

/* Sum every worker and write the coredns_dns_* families (requests,
 * do_requests, responses, duration, request/response size) with the given
 * `server` label ("dns://127.0.0.1:53"). Families with no samples yet are
 * left out, as the Go client does. */
void dnsstats_render(const dnsstats_t *s, const char *server, metrics_out_t *out);

#endif
