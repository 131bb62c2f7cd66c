/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics.c - the collector registry and the Prometheus text writer.
 *
 * Scrapes are rare (every 15-30 s) and happen on the control thread, so
 * this side is written for clarity: a growable buffer, printf, and a label
 * escaper. The hot path never comes here; per-query counting lives with the
 * code that counts (per-worker blocks, summed by its collector).
 */
#include "core/metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int metrics_register_collector(metrics_registry_t *r, const char *name, metrics_collect_fn fn,
                               void *ctx)
{
    if (r->n >= METRICS_MAX_COLLECTORS || fn == NULL) {
        return -1;
    }
    metrics_collector_t *c = &r->c[r->n++];
    snprintf(c->name, sizeof(c->name), "%s", name != NULL ? name : "");
    c->fn = fn;
    c->ctx = ctx;
    return 0;
}

void metrics_unregister_collector(metrics_registry_t *r, void *ctx)
{
    size_t kept = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (r->c[i].ctx != ctx) {
            r->c[kept++] = r->c[i];
        }
    }
    r->n = kept;
}

void metrics_collect_all(const metrics_registry_t *r, metrics_out_t *out)
{
    for (size_t i = 0; i < r->n; i++) {
        r->c[i].fn(r->c[i].ctx, out);
    }
}

void metrics_out_reset(metrics_out_t *out)
{
    out->len = 0;
    out->failed = false;
    if (out->buf != NULL) {
        out->buf[0] = '\0';
    }
}

void metrics_out_free(metrics_out_t *out)
{
    free(out->buf);
    *out = (metrics_out_t){0};
}

/* Make room for `more` bytes plus a terminating NUL. */
static bool metrics_reserve(metrics_out_t *out, size_t more)
{
    if (out->failed) {
        return false;
    }
    if (out->len + more + 1 <= out->cap) {
        return true;
    }
    size_t cap = out->cap > 0 ? out->cap : 4096;
    while (cap < out->len + more + 1) {
        cap *= 2;
    }
    char *buf = realloc(out->buf, cap);
    if (buf == NULL) {
        out->failed = true;
        return false;
    }
    out->buf = buf;
    out->cap = cap;
    return true;
}

void metrics_write(metrics_out_t *out, const char *text, size_t len)
{
    if (!metrics_reserve(out, len)) {
        return;
    }
    memcpy(out->buf + out->len, text, len);
    out->len += len;
    out->buf[out->len] = '\0';
}

void metrics_printf(metrics_out_t *out, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n < sizeof(small)) {
        metrics_write(out, small, (size_t)n);
        return;
    }
    if (!metrics_reserve(out, (size_t)n)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(out->buf + out->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    out->len += (size_t)n;
}

void metrics_family(metrics_out_t *out, const char *name, const char *type, const char *help)
{
    metrics_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label value escaping of the text format: backslash, quote, newline. */
static void metrics_write_escaped(metrics_out_t *out, const char *v)
{
    const char *run = v;
    for (const char *p = v; *p != '\0'; p++) {
        const char *esc = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
        if (esc != NULL) {
            metrics_write(out, run, (size_t)(p - run));
            metrics_write(out, esc, 2);
            run = p + 1;
        }
    }
    metrics_write(out, run, strlen(run));
}

/* name{labels[,extra_key="extra_val"]} */
static void metrics_write_series(metrics_out_t *out, const char *name, const char *const *labels,
                                 const char *extra_key, const char *extra_val)
{
    metrics_write(out, name, strlen(name));
    bool any = (labels != NULL && labels[0] != NULL) || extra_key != NULL;
    if (!any) {
        return;
    }
    metrics_write(out, "{", 1);
    bool first = true;
    for (size_t i = 0; labels != NULL && labels[i] != NULL && labels[i + 1] != NULL; i += 2) {
        metrics_printf(out, "%s%s=\"", first ? "" : ",", labels[i]);
        metrics_write_escaped(out, labels[i + 1]);
        metrics_write(out, "\"", 1);
        first = false;
    }
    if (extra_key != NULL) {
        metrics_printf(out, "%s%s=\"", first ? "" : ",", extra_key);
        metrics_write_escaped(out, extra_val);
        metrics_write(out, "\"", 1);
    }
    metrics_write(out, "}", 1);
}

const char *metrics_format_double(double v, char *buf, size_t cap)
{
    if (isnan(v)) {
        snprintf(buf, cap, "NaN");
    } else if (isinf(v)) {
        snprintf(buf, cap, "%s", v > 0 ? "+Inf" : "-Inf");
    } else if (v == 0) {
        snprintf(buf, cap, "0");
    } else {
        /* Go's strconv.FormatFloat(v, 'g', -1, 64): the fewest significant
         * digits that read back exactly, in exponent form when the decimal
         * exponent is below -4 or at least 6 (100 -> "100", 1e6 -> "1e+06",
         * 0.00025 -> "0.00025", 5e-05 -> "5e-05"). */
        int digits = 1;
        for (; digits < 17; digits++) {
            snprintf(buf, cap, "%.*e", digits - 1, v);
            if (strtod(buf, NULL) == v) {
                break;
            }
        }
        snprintf(buf, cap, "%.*e", digits - 1, v);
        int exp = atoi(strchr(buf, 'e') + 1);
        if (exp >= -4 && exp < 6) {
            int decimals = digits - 1 - exp;
            snprintf(buf, cap, "%.*f", decimals > 0 ? decimals : 0, v);
        }
    }
    return buf;
}

void metrics_sample(metrics_out_t *out, const char *name, const char *const *labels, double value)
{
    char num[40];
    metrics_write_series(out, name, labels, NULL, NULL);
    metrics_printf(out, " %s\n", metrics_format_double(value, num, sizeof(num)));
}

void metrics_sample_u64(metrics_out_t *out, const char *name, const char *const *labels,
                        uint64_t value)
{
    metrics_write_series(out, name, labels, NULL, NULL);
    metrics_printf(out, " %llu\n", (unsigned long long)value);
}

void metrics_histogram(metrics_out_t *out, const char *name, const char *const *labels,
                       const double *bounds, size_t nbounds, const uint64_t *counts, double sum)
{
    char series[128], num[40];
    uint64_t cumulative = 0;
    snprintf(series, sizeof(series), "%s_bucket", name);
    for (size_t i = 0; i <= nbounds; i++) {
        cumulative += counts[i];
        const char *le = i < nbounds ? metrics_format_double(bounds[i], num, sizeof(num)) : "+Inf";
        metrics_write_series(out, series, labels, "le", le);
        metrics_printf(out, " %llu\n", (unsigned long long)cumulative);
    }
    snprintf(series, sizeof(series), "%s_sum", name);
    metrics_sample(out, series, labels, sum);
    snprintf(series, sizeof(series), "%s_count", name);
    metrics_sample_u64(out, series, labels, cumulative);
}
