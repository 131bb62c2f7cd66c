/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics.h - Prometheus text exposition, and the collectors behind it.
 *
 * The `prometheus` plugin owns the /metrics endpoint and the CoreDNS
 * coredns_* metrics. Other parts of vmdnsd export their own numbers (the
 * redis plugin: backends up/down, records, conflicts, stream lag...) by
 * registering a collector in the registry of their configuration
 * (env->gen->metrics, plugin_gen_t in core/plugin.h; /metrics shows the
 * running configuration's):
 *
 *     static void redis_collect(void *ctx, metrics_out_t *out)
 *     {
 *         const redis_state_t *st = ctx;
 *         metrics_family(out, "vmdns_backend_up", "gauge", "1 if the backend is connected.");
 *         for (size_t i = 0; i < st->nbackends; i++) {
 *             const char *labels[] = {"backend", st->b[i].name, NULL};
 *             metrics_sample(out, "vmdns_backend_up", labels, st->b[i].up ? 1 : 0);
 *         }
 *     }
 *     ... in the plugin's join hook (after setup, and when a reload keeps
 *     the instance): metrics_register_collector(&env->gen->metrics, "redis",
 *                                               redis_collect, state);
 *     (a configuration's registry goes with it: nothing to unregister)
 *
 * Threading: registration, unregistration and scraping all happen on the
 * control thread (setup/teardown run there, and so does the HTTP server), so
 * the registry needs no lock. A collector runs on the control thread while
 * the workers and backend threads keep going: it must read what other
 * threads write with atomics (relaxed loads are enough for counters) or
 * under the owner's own lock, and must not block.
 *
 * Output rules (so every collector renders the same way): one
 * metrics_family() per metric name, then its samples; label values are
 * escaped here; values are printed the way the Prometheus Go client prints
 * them (shortest round-trip form, "+Inf", "NaN").
 */
#ifndef VMDNS_CORE_METRICS_H
#define VMDNS_CORE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable text buffer the exposition is written into. */
typedef struct metrics_out {
    char *buf;
    size_t len;
    size_t cap;
    bool failed; /* an allocation failed: the text is incomplete */
} metrics_out_t;

/* A collector appends its families and samples to `out`. */
typedef void (*metrics_collect_fn)(void *ctx, metrics_out_t *out);

#define METRICS_MAX_COLLECTORS 32

typedef struct metrics_collector {
    char name[32]; /* for messages only */
    metrics_collect_fn fn;
    void *ctx;
} metrics_collector_t;

/* The registry: zero-initialised storage, no constructor needed. */
typedef struct metrics_registry {
    size_t n;
    metrics_collector_t c[METRICS_MAX_COLLECTORS];
} metrics_registry_t;

/* Add a collector (called in registration order at every scrape).
 * Returns 0, or -1 if the registry is full. */
int metrics_register_collector(metrics_registry_t *r, const char *name, metrics_collect_fn fn,
                               void *ctx);

/* Remove every collector registered with this ctx. */
void metrics_unregister_collector(metrics_registry_t *r, void *ctx);

/* Run every collector into out. */
void metrics_collect_all(const metrics_registry_t *r, metrics_out_t *out);

/* ---- writing the text format ---- */

/* Empty the buffer (keeps the memory) / free it. */
void metrics_out_reset(metrics_out_t *out);
void metrics_out_free(metrics_out_t *out);

/* Append raw text. */
void metrics_write(metrics_out_t *out, const char *text, size_t len);
void metrics_printf(metrics_out_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "# HELP name help" and "# TYPE name type" (counter, gauge, histogram). */
void metrics_family(metrics_out_t *out, const char *name, const char *type, const char *help);

/* One sample: name{k1="v1",k2="v2"} value. `labels` is a NULL-terminated
 * list of key, value, key, value...; NULL for none. Values are escaped. */
void metrics_sample(metrics_out_t *out, const char *name, const char *const *labels, double value);

/* The same with an exact unsigned integer value (counters past 2^53). */
void metrics_sample_u64(metrics_out_t *out, const char *name, const char *const *labels,
                        uint64_t value);

/* One histogram child: name_bucket{...,le="b"} for each bound (cumulative)
 * and "+Inf", then name_sum and name_count. `counts` has nbounds + 1
 * per-bucket (not cumulative) entries, the last one for values above every
 * bound; bounds are in increasing order. */
void metrics_histogram(metrics_out_t *out, const char *name, const char *const *labels,
                       const double *bounds, size_t nbounds, const uint64_t *counts, double sum);

/* Format a double the way Prometheus clients do: shortest text that reads
 * back to the same value; "+Inf", "-Inf", "NaN". Returns buf. */
const char *metrics_format_double(double v, char *buf, size_t cap);

#endif
