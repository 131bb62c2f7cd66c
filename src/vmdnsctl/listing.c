/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listing.c - `vmdnsctl list`: collect every stored name, sort zones and
 * names in DNS canonical order (apex first, then by labels right to left),
 * and print them like a zone file, one absolute record per line. A lease
 * and any bad data are shown as comments, so a listing explains what
 * vmdnsd will serve and why something is missing.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "listing.h"

/* One name, rendered. */
typedef struct item {
    char *zone;
    uint8_t key[256]; /* owner in wire form, lower-cased, for sorting */
    size_t klen;
    char *text; /* the lines to print */
} item_t;

typedef struct items {
    item_t *v;
    size_t n, cap;
    int oom;
    int64_t now;
} items_t;

/* Growing string. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf_t;

static void sb_add(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    for (int pass = 0; pass < 2 && !b->oom; pass++) {
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + (size_t)n + 1)
            nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = nc;
    }
}

/* Compare two lower-cased wire names in canonical order (RFC 4034 6.1). */
static int canon_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    size_t ao[128], bo[128], an = 0, bn = 0;
    for (size_t p = 0; p < al && a[p] && an < 128; p += 1 + a[p])
        ao[an++] = p;
    for (size_t p = 0; p < bl && b[p] && bn < 128; p += 1 + b[p])
        bo[bn++] = p;
    while (an && bn) {
        const uint8_t *x = a + ao[--an], *y = b + bo[--bn];
        size_t m = x[0] < y[0] ? x[0] : y[0];
        int c = memcmp(x + 1, y + 1, m);
        if (c)
            return c;
        if (x[0] != y[0])
            return x[0] < y[0] ? -1 : 1;
    }
    return an ? 1 : bn ? -1 : 0;
}

static int item_cmp(const void *pa, const void *pb)
{
    const item_t *a = pa, *b = pb;
    int c = strcmp(a->zone, b->zone);
    return c ? c : canon_cmp(a->key, a->klen, b->key, b->klen);
}

/* Render one entry into lines. */
static void render(const vmdns_entry_t *e, int64_t now, sbuf_t *b)
{
    char line[70000];
    if (!e->records) {
        sb_add(b, "; %s: value is not a JSON object, not served: %.60s\n", e->owner, e->json);
        return;
    }
    const vmdns_rrlist_t *l = e->records;
    if (l->skipped)
        sb_add(b, "; %s: %zu bad record%s not served (%s)\n", e->owner, l->skipped,
               l->skipped == 1 ? "" : "s", l->first_error);
    if (l->expires) {
        char when[64];
        time_t t = (time_t)l->expires;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (l->expires <= now)
            sb_add(b, "; %s expired at %s, not served\n", e->owner, when);
        else
            sb_add(b, "; %s expires %s (in %llds)\n", e->owner, when,
                   (long long)(l->expires - now));
    }
    /* SOA first, as in a zone file; then the codec's order. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < l->n; i++) {
            if ((l->rrs[i].type == VMDNS_TYPE_SOA) != (pass == 0))
                continue;
            if (vmdns_rr_to_text(e->owner, &l->rrs[i], line, sizeof(line)) < 0)
                sb_add(b, "; %s: record %zu cannot be shown\n", e->owner, i);
            else
                sb_add(b, "%s\n", line);
        }
    }
}

static int on_entry(const vmdns_entry_t *e, void *ud)
{
    items_t *it = ud;
    if (it->n == it->cap) {
        size_t nc = it->cap ? it->cap * 2 : 64;
        item_t *nv = realloc(it->v, nc * sizeof(*nv));
        if (!nv)
            return it->oom = 1;
        it->v = nv;
        it->cap = nc;
    }
    item_t *x = &it->v[it->n];
    memset(x, 0, sizeof(*x));
    if (vmdns_name_to_wire(e->owner, x->key, &x->klen, NULL) < 0)
        x->klen = 0;
    for (size_t i = 0; i < x->klen; i++)
        if (x->key[i] >= 'A' && x->key[i] <= 'Z')
            x->key[i] = (uint8_t)(x->key[i] - 'A' + 'a');
    sbuf_t b = {0};
    render(e, it->now, &b);
    x->zone = strdup(e->zone);
    x->text = b.s;
    it->n++;
    if (b.oom || !x->zone || !x->text)
        it->oom = 1;
    return it->oom;
}

int listing_print(vmdns_registrar_t *r, const char *zone, FILE *out, vmdns_error_t *err)
{
    items_t it = {.now = (int64_t)time(NULL)};
    int rc = vmdns_list(r, zone, on_entry, &it, err);
    if (rc == 0 && it.oom) {
        err->code = VMDNS_ERR_NOMEM;
        snprintf(err->message, sizeof(err->message), "out of memory");
        rc = -1;
    }
    if (rc == 0) {
        qsort(it.v, it.n, sizeof(*it.v), item_cmp);
        const char *cur = NULL;
        for (size_t i = 0; i < it.n; i++) {
            /* HSCAN may return a field twice: print it once. */
            if (i > 0 && item_cmp(&it.v[i - 1], &it.v[i]) == 0)
                continue;
            if (!cur || strcmp(cur, it.v[i].zone) != 0) {
                fprintf(out, "%s; zone %s\n", cur ? "\n" : "", it.v[i].zone);
                cur = it.v[i].zone;
            }
            fputs(it.v[i].text, out);
        }
    }
    for (size_t i = 0; i < it.n; i++) {
        free(it.v[i].zone);
        free(it.v[i].text);
    }
    free(it.v);
    return rc;
}
