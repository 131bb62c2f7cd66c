/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * record_parse.c - one zone-hash field value (JSON) to records in wire form.
 *
 * This is what vmdnsd runs on every value it loads, and what vmdnsctl list
 * runs to print a zone. It must never give up on a whole name because one of
 * its records is bad: each bad record is skipped, counted and its reason
 * kept, and the good ones are returned. Only a value that is not a JSON
 * object at all is an error.
 *
 * The JSON is read by json_lite (no allocation per value, see json_lite.h).
 * Records are collected in a growing scratch array with their rdata in one
 * growing byte buffer, then copied into a single allocation (records
 * followed by rdata), so a list costs one malloc to keep and one free.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "common/err.h"
#include "json_lite.h"
#include "record_limit.h"

/* Scratch state of one parse. */
typedef struct builder {
    vmdns_rr_t *rrs; /* rdata pointers unused here: offsets are in offs */
    size_t *offs;
    size_t n, cap;
    uint8_t *buf;
    size_t blen, bcap;
    size_t skipped;
    char first_error[256];
    uint32_t default_ttl;
    const char *zone; /* origin of relative names ("example.com."), or NULL */
    int oom;
} builder_t;

/* Count one skipped record and keep the first reason. */
static void skip(builder_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void skip(builder_t *b, const char *fmt, ...)
{
    if (b->skipped++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->first_error, sizeof(b->first_error), fmt, ap);
        va_end(ap);
    }
}

/* Make room for `more` rdata bytes; sets b->oom on failure. */
static uint8_t *reserve(builder_t *b, size_t more)
{
    if (b->blen + more > b->bcap) {
        size_t nc = b->bcap ? b->bcap * 2 : 512;
        while (nc < b->blen + more)
            nc *= 2;
        uint8_t *nb = realloc(b->buf, nc);
        if (!nb) {
            b->oom = 1;
            return NULL;
        }
        b->buf = nb;
        b->bcap = nc;
    }
    return b->buf + b->blen;
}

/* Commit `len` bytes written at the reserved spot as a record. */
static int commit(builder_t *b, uint16_t type, uint32_t ttl, size_t len)
{
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 8;
        vmdns_rr_t *nr = realloc(b->rrs, nc * sizeof(*nr));
        if (!nr)
            return b->oom = 1, -1;
        b->rrs = nr;
        size_t *no = realloc(b->offs, nc * sizeof(*no));
        if (!no)
            return b->oom = 1, -1;
        b->offs = no;
        b->cap = nc;
    }
    b->rrs[b->n] = (vmdns_rr_t){.type = type, .ttl = ttl, .rdlen = (uint16_t)len, .rdata = NULL};
    b->offs[b->n] = b->blen;
    b->n++;
    b->blen += len;
    return 0;
}

/* A JSON value inside the document being read. */
typedef struct jref {
    const jl_doc_t *d;
    uint32_t v; /* JL_NONE: absent */
} jref_t;

static jl_kind_t kind_of(jref_t r)
{
    return jl_at(r.d, r.v)->kind;
}

static bool is_null(jref_t r)
{
    return r.v == JL_NONE || kind_of(r) == JL_NULL;
}

/* A member of obj by case-insensitive key (absent: v = JL_NONE). The exact
 * spelling wins over others, as keys are unique only exactly. */
static jref_t member(jref_t obj, const char *key)
{
    jref_t out = {obj.d, JL_NONE};
    size_t klen = strlen(key);
    const jl_value_t *o = jl_at(obj.d, obj.v);
    for (uint32_t m = o->first; m != JL_NONE; m = obj.d->members[m].next) {
        const jl_member_t *mm = &obj.d->members[m];
        if (mm->key_len == klen && memcmp(jl_str(obj.d, mm->key), key, klen) == 0) {
            out.v = mm->value;
            return out;
        }
    }
    for (uint32_t m = o->first; m != JL_NONE; m = obj.d->members[m].next) {
        const jl_member_t *mm = &obj.d->members[m];
        if (mm->key_len == klen && strcasecmp(jl_str(obj.d, mm->key), key) == 0) {
            out.v = mm->value;
            return out;
        }
    }
    return out;
}

/* Key kinds at the top level of a value. */
enum { KEY_EXPIRES = -2, KEY_UNKNOWN = -1 };

/* Classify a top-level key: a type index, KEY_EXPIRES or KEY_UNKNOWN. */
static int classify(const char *key)
{
    char low[8];
    size_t i;
    for (i = 0; key[i] && i < sizeof(low) - 1; i++)
        low[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] - 'A' + 'a' : key[i]);
    if (key[i])
        return KEY_UNKNOWN;
    low[i] = '\0';
    if (strcmp(low, "expires") == 0)
        return KEY_EXPIRES;
    for (size_t t = 0; t < vmdns_codec_ntypes; t++)
        if (strcmp(low, vmdns_codec_types[t].key) == 0)
            return (int)t;
    return KEY_UNKNOWN;
}

/* A record's reason for being bad, built while parsing it. */
typedef struct why {
    char text[200];
} why_t;

static int bad(why_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(why_t *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->text, sizeof(w->text), fmt, ap);
    va_end(ap);
    return -1;
}

/* Unsigned integer member: absent or null gives `dflt`. */
static int get_uint(jref_t obj, const char *key, uint64_t max, uint64_t dflt, uint64_t *out,
                    why_t *w)
{
    jref_t v = member(obj, key);
    if (is_null(v)) {
        *out = dflt;
        return 0;
    }
    int64_t i = jl_at(v.d, v.v)->i;
    if (kind_of(v) != JL_INT || i < 0 || (uint64_t)i > max)
        return bad(w, "\"%s\" must be an integer from 0 to %llu", key, (unsigned long long)max);
    *out = (uint64_t)i;
    return 0;
}

/* Required string member. */
static const char *get_str(jref_t obj, const char *key, size_t *len, why_t *w)
{
    jref_t v = member(obj, key);
    if (is_null(v)) {
        bad(w, "missing \"%s\"", key);
        return NULL;
    }
    if (kind_of(v) != JL_STRING) {
        bad(w, "\"%s\" must be a string", key);
        return NULL;
    }
    *len = jl_at(v.d, v.v)->len;
    return jl_str(v.d, jl_at(v.d, v.v)->str);
}

/* The first of two spellings of a member that is present (rverst's data
 * says "mname" where arvancloud's says "ns"); `key` if neither is. */
static const char *either(jref_t obj, const char *key, const char *alias)
{
    return is_null(member(obj, key)) && !is_null(member(obj, alias)) ? alias : key;
}

/* True if s is one label with no trailing dot ("mail"): a name relative to
 * the zone, as rverst's plugin and zone files read it. A name of several
 * labels without the final dot ("mail.example.net") stays absolute, as
 * arvancloud's plugin reads it. */
static bool one_relative_label(const char *s, size_t sl)
{
    if (sl == 0 || strcmp(s, "@") == 0)
        return false;
    for (size_t i = 0; i < sl; i++) {
        if (s[i] == '\\' && i + 1 < sl)
            i++;
        else if (s[i] == '.')
            return false;
    }
    return true;
}

/* Required name member, written as wire form at out; returns its length or
 * 0. With a zone, "@" is the zone and a single relative label is completed
 * with it. */
static size_t get_name(const builder_t *b, jref_t obj, const char *key, uint8_t *out, why_t *w)
{
    size_t sl, len;
    vmdns_error_t e;
    const char *s = get_str(obj, key, &sl, w);
    if (!s)
        return 0;
    if (strlen(s) != sl) {
        bad(w, "NUL byte in \"%s\"", key);
        return 0;
    }
    char full[VMDNS_NAME_MAXTEXT + 2];
    if (b->zone != NULL && strcmp(s, "@") == 0) {
        s = b->zone; /* a missing final dot reads as absolute anyway */
    } else if (b->zone != NULL && one_relative_label(s, sl)) {
        bool root = strcmp(b->zone, ".") == 0;
        size_t zl = strlen(b->zone);
        const char *dot = zl > 0 && b->zone[zl - 1] == '.' ? "" : ".";
        if (snprintf(full, sizeof(full), "%s.%s%s", s, root ? "" : b->zone, root ? "" : dot) >=
            (int)sizeof(full)) {
            bad(w, "\"%s\": name too long", key);
            return 0;
        }
        s = full;
    }
    if (vmdns_name_to_wire(s, out, &len, &e) < 0) {
        bad(w, "\"%s\": %s", key, e.message);
        return 0;
    }
    return len;
}

/* Address member "ip" of family af into out. */
static int get_ip(jref_t obj, int af, uint8_t *out, why_t *w)
{
    size_t sl;
    const char *s = get_str(obj, "ip", &sl, w);
    if (!s)
        return -1;
    if (strlen(s) != sl || inet_pton(af, s, out) != 1)
        return bad(w, "bad %s address '%.60s'", af == AF_INET ? "IPv4" : "IPv6", s);
    return 0;
}

/* Write the rdata of one record object of type `type` at the reserved spot;
 * returns its length, or -1 with w set (or b->oom). */
static long write_rdata(builder_t *b, uint16_t type, jref_t rec, why_t *w)
{
    uint64_t u1, u2, u3;
    size_t sl, nl, nl2;
    const char *s;
    uint8_t *p;

    switch (type) {
    case VMDNS_TYPE_A:
        if (!(p = reserve(b, 4)) || get_ip(rec, AF_INET, p, w) < 0)
            return -1;
        return 4;
    case VMDNS_TYPE_AAAA:
        if (!(p = reserve(b, 16)) || get_ip(rec, AF_INET6, p, w) < 0)
            return -1;
        return 16;
    case VMDNS_TYPE_CNAME:
    case VMDNS_TYPE_NS:
    case VMDNS_TYPE_PTR: /* rverst's PTR says "name" */
        if (!(p = reserve(b, VMDNS_NAME_MAXWIRE)) ||
            !(nl = get_name(b, rec, type == VMDNS_TYPE_PTR ? either(rec, "host", "name") : "host",
                            p, w)))
            return -1;
        return (long)nl;
    case VMDNS_TYPE_MX:
        if (!(p = reserve(b, 2 + VMDNS_NAME_MAXWIRE)) ||
            get_uint(rec, "preference", 65535, 0, &u1, w) < 0 ||
            !(nl = get_name(b, rec, "host", p + 2, w)))
            return -1;
        codec_put16(p, (uint16_t)u1);
        return (long)(2 + nl);
    case VMDNS_TYPE_SRV:
        if (!(p = reserve(b, 6 + VMDNS_NAME_MAXWIRE)) ||
            get_uint(rec, "priority", 65535, 0, &u1, w) < 0 ||
            get_uint(rec, "weight", 65535, 0, &u2, w) < 0 ||
            get_uint(rec, "port", 65535, 0, &u3, w) < 0 ||
            !(nl = get_name(b, rec, "target", p + 6, w)))
            return -1;
        codec_put16(p, (uint16_t)u1);
        codec_put16(p + 2, (uint16_t)u2);
        codec_put16(p + 4, (uint16_t)u3);
        return (long)(6 + nl);
    case VMDNS_TYPE_TXT: {
        if (!(s = get_str(rec, "text", &sl, w)))
            return -1;
        size_t nstr = sl == 0 ? 1 : (sl + 254) / 255;
        if (sl + nstr > 65535)
            return bad(w, "\"text\" too long (%zu bytes)", sl);
        if (!(p = reserve(b, sl + nstr)))
            return -1;
        size_t o = 0;
        for (size_t i = 0; i < nstr; i++) {
            size_t chunk = sl - i * 255 > 255 ? 255 : sl - i * 255;
            p[o++] = (uint8_t)chunk;
            memcpy(p + o, s + i * 255, chunk);
            o += chunk;
        }
        return (long)o;
    }
    case VMDNS_TYPE_CAA: {
        size_t tl, vl;
        const char *tag, *val;
        if (get_uint(rec, "flag", 255, 0, &u1, w) < 0 || !(tag = get_str(rec, "tag", &tl, w)) ||
            !(val = get_str(rec, "value", &vl, w)))
            return -1;
        int tag_ok = tl >= 1 && tl <= 15;
        for (size_t i = 0; tag_ok && i < tl; i++)
            tag_ok = (tag[i] >= 'a' && tag[i] <= 'z') || (tag[i] >= 'A' && tag[i] <= 'Z') ||
                     (tag[i] >= '0' && tag[i] <= '9');
        if (!tag_ok)
            return bad(w, "bad CAA tag '%.20s' (1 to 15 letters and digits)", tag);
        if (2 + tl + vl > 65535)
            return bad(w, "\"value\" too long");
        if (!(p = reserve(b, 2 + tl + vl)))
            return -1;
        p[0] = (uint8_t)u1;
        p[1] = (uint8_t)tl;
        memcpy(p + 2, tag, tl);
        memcpy(p + 2 + tl, val, vl);
        return (long)(2 + tl + vl);
    }
    case VMDNS_TYPE_SOA: { /* arvancloud: ns/mbox/minttl; rverst: mname/rname/min_ttl */
        uint64_t serial, refresh, retry, expire, minttl;
        if (!(p = reserve(b, 2 * VMDNS_NAME_MAXWIRE + 20)) ||
            !(nl = get_name(b, rec, either(rec, "ns", "mname"), p, w)) ||
            !(nl2 = get_name(b, rec, either(rec, "mbox", "rname"), p + nl, w)) ||
            get_uint(rec, "serial", UINT32_MAX, 0, &serial, w) < 0 ||
            get_uint(rec, "refresh", UINT32_MAX, 0, &refresh, w) < 0 ||
            get_uint(rec, "retry", UINT32_MAX, 0, &retry, w) < 0 ||
            get_uint(rec, "expire", UINT32_MAX, 0, &expire, w) < 0 ||
            get_uint(rec, either(rec, "minttl", "min_ttl"), UINT32_MAX, 0, &minttl, w) < 0)
            return -1;
        uint8_t *q = p + nl + nl2;
        codec_put32(q, (uint32_t)serial);
        codec_put32(q + 4, (uint32_t)refresh);
        codec_put32(q + 8, (uint32_t)retry);
        codec_put32(q + 12, (uint32_t)expire);
        codec_put32(q + 16, (uint32_t)minttl);
        return (long)(nl + nl2 + 20);
    }
    }
    return bad(w, "unsupported type");
}

/* Parse one record object of type index ti; skips it if bad. */
static void parse_record(builder_t *b, size_t ti, size_t type_start, jref_t rec, const char *key,
                         size_t idx)
{
    const codec_type_t *t = &vmdns_codec_types[ti];
    why_t w = {{0}};
    uint64_t ttl;

    if (kind_of(rec) != JL_OBJECT) {
        skip(b, "%s[%zu]: not an object", key, idx);
        return;
    }
    jref_t tv = member(rec, "ttl");
    if (!is_null(tv) && kind_of(tv) == JL_INT && jl_at(tv.d, tv.v)->i == -1) {
        ttl = b->default_ttl; /* rverst: -1 is "the default TTL" */
    } else if (get_uint(rec, "ttl", VMDNS_MAX_TTL, b->default_ttl, &ttl, &w) < 0) {
        skip(b, "%s[%zu]: %s", key, idx, w.text);
        return;
    }
    long len = write_rdata(b, t->type, rec, &w);
    if (len < 0) {
        if (!b->oom)
            skip(b, "%s[%zu]: %s", key, idx, w.text);
        return;
    }
    if (t->type == VMDNS_TYPE_SOA && b->n > type_start) {
        skip(b, "%s[%zu]: more than one SOA", key, idx);
        return;
    }
    commit(b, t->type, (uint32_t)ttl, (size_t)len);
}

/* A record of one type, for finding duplicates. */
typedef struct dup_ref {
    const uint8_t *rdata;
    size_t len;
    size_t pos; /* index in the scratch list */
} dup_ref_t;

static int dup_cmp(const void *a, const void *b)
{
    const dup_ref_t *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    int c = memcmp(x->rdata, y->rdata, x->len);
    if (c != 0)
        return c;
    return x->pos < y->pos ? -1 : (x->pos > y->pos);
}

/* Drop exact duplicates among records [start, n) (one type), keeping the
 * first of each in the given order. Sorting makes it O(k log k): a value
 * with 100,000 records must not cost 10^10 comparisons. */
static void dedupe(builder_t *b, size_t start, const char *key)
{
    size_t k = b->n - start;
    if (k < 2)
        return;
    dup_ref_t *refs = malloc(k * sizeof(*refs));
    uint8_t *gone = calloc(k, 1);
    if (!refs || !gone) {
        free(refs);
        free(gone);
        b->oom = 1;
        return;
    }
    for (size_t i = 0; i < k; i++)
        refs[i] = (dup_ref_t){b->buf + b->offs[start + i], b->rrs[start + i].rdlen, i};
    qsort(refs, k, sizeof(*refs), dup_cmp);
    size_t dups = 0;
    for (size_t i = 1; i < k; i++) {
        if (refs[i].len == refs[i - 1].len &&
            memcmp(refs[i].rdata, refs[i - 1].rdata, refs[i].len) == 0) {
            gone[refs[i].pos] = 1;
            dups++;
        }
    }
    if (dups > 0) {
        size_t out = start;
        for (size_t i = 0; i < k; i++) {
            if (gone[i]) {
                skip(b, "%s[%zu]: duplicate record", key, i);
                continue;
            }
            b->rrs[out] = b->rrs[start + i];
            b->offs[out] = b->offs[start + i];
            out++;
        }
        b->n = out;
    }
    free(refs);
    free(gone);
}

/* Parse every record under the type key `key` (array, single object or null). */
static void parse_type(builder_t *b, size_t ti, size_t type_start, const char *key, jref_t v)
{
    if (is_null(v))
        return;
    if (kind_of(v) == JL_OBJECT) {
        parse_record(b, ti, type_start, v, key, 0);
        return;
    }
    if (kind_of(v) != JL_ARRAY) {
        skip(b, "\"%s\": not an array of records", key);
        return;
    }
    size_t i = 0;
    for (uint32_t m = jl_at(v.d, v.v)->first; m != JL_NONE; m = v.d->members[m].next, i++) {
        jref_t rec = {v.d, v.d->members[m].value};
        parse_record(b, ti, type_start, rec, key, i);
        if (b->oom)
            return;
    }
}

/* Drop records [from, to) from the scratch list. */
static void drop(builder_t *b, size_t from, size_t to)
{
    memmove(b->rrs + from, b->rrs + to, (b->n - to) * sizeof(*b->rrs));
    memmove(b->offs + from, b->offs + to, (b->n - to) * sizeof(*b->offs));
    b->n -= to - from;
}

/* Enforce "CNAME alone, and only one". */
static void cname_rule(builder_t *b)
{
    size_t from = b->n, to = b->n;
    for (size_t i = 0; i < b->n; i++) {
        if (b->rrs[i].type == VMDNS_TYPE_CNAME) {
            if (from == b->n)
                from = i;
            to = i + 1;
        }
    }
    if (from == b->n)
        return;
    if (to - from < b->n) {
        for (size_t i = from; i < to; i++)
            skip(b, "cname: CNAME beside other data");
        drop(b, from, to);
    } else if (to - from > 1) {
        for (size_t i = from + 1; i < to; i++)
            skip(b, "cname[%zu]: more than one CNAME", i - from);
        drop(b, from + 1, to);
    }
}

/* Move the scratch records into one allocation in out. */
static int finish(builder_t *b, vmdns_rrlist_t *out)
{
    size_t total = 0;
    for (size_t i = 0; i < b->n; i++)
        total += b->rrs[i].rdlen;
    if (b->n == 0)
        return 0;
    vmdns_rr_t *rrs = malloc(b->n * sizeof(*rrs) + total);
    if (!rrs)
        return -1;
    uint8_t *data = (uint8_t *)(rrs + b->n);
    for (size_t i = 0; i < b->n; i++) {
        rrs[i] = b->rrs[i];
        rrs[i].rdata = data;
        memcpy(data, b->buf + b->offs[i], b->rrs[i].rdlen);
        data += b->rrs[i].rdlen;
    }
    out->rrs = rrs;
    out->n = b->n;
    return 0;
}

/* Read the vmdns lease. */
static void parse_expires(builder_t *b, jref_t v, vmdns_rrlist_t *out)
{
    if (is_null(v))
        return;
    if (kind_of(v) != JL_INT || jl_at(v.d, v.v)->i < 0) {
        skip(b, "\"expires\" must be a non-negative integer (unix seconds)");
        return;
    }
    out->expires = jl_at(v.d, v.v)->i;
}

/* One reusable JSON document and record scratch per thread: parsing a
 * value allocates nothing but its result once the buffers have grown to
 * the largest value seen (the load path parses millions). */
typedef struct parse_scratch {
    jl_doc_t doc;
    vmdns_rr_t *rrs;
    size_t *offs;
    size_t cap;
    uint8_t *buf;
    size_t bcap;
} parse_scratch_t;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free_records(parse_scratch_t *s)
{
    free(s->rrs);
    free(s->offs);
    free(s->buf);
    s->rrs = NULL;
    s->offs = NULL;
    s->buf = NULL;
    s->cap = s->bcap = 0;
}

static void scratch_destroy(void *p)
{
    parse_scratch_t *s = p;
    vmdns_jl_doc_free(&s->doc);
    scratch_free_records(s);
    free(s);
}

static void scratch_key_init(void)
{
    (void)pthread_key_create(&scratch_key, scratch_destroy);
}

static parse_scratch_t *thread_scratch(void)
{
    pthread_once(&scratch_once, scratch_key_init);
    parse_scratch_t *s = pthread_getspecific(scratch_key);
    if (!s && (s = calloc(1, sizeof(*s))) != NULL && pthread_setspecific(scratch_key, s) != 0) {
        free(s);
        s = NULL;
    }
    return s;
}

/* One huge value must not pin its buffers to this thread for good. */
static void release_big(jl_doc_t *doc)
{
    if (doc->cappool > (1u << 20) || doc->capvalues > (1u << 16) || doc->capmembers > (1u << 16))
        vmdns_jl_doc_free(doc);
}

/* Give the builder's buffers back to the thread's scratch (or free them
 * if one huge value grew them). */
static void scratch_keep(parse_scratch_t *s, builder_t *b)
{
    s->rrs = b->rrs;
    s->offs = b->offs;
    s->cap = b->cap;
    s->buf = b->buf;
    s->bcap = b->bcap;
    if (s->cap > (1u << 12) || s->bcap > (1u << 20))
        scratch_free_records(s);
}

/* Records a value holds before any is parsed: array lengths under the type
 * keys (an object counts one). */
static size_t count_records(const jl_doc_t *doc, const jl_value_t *ro)
{
    size_t total = 0;
    for (uint32_t m = ro->first; m != JL_NONE; m = doc->members[m].next) {
        if (classify(jl_str(doc, doc->members[m].key)) < 0)
            continue;
        const jl_value_t *v = jl_at(doc, doc->members[m].value);
        total += v->kind == JL_ARRAY ? v->count : v->kind == JL_OBJECT ? 1 : 0;
    }
    return total;
}

int vmdns_record_parse_json(const char *json, size_t len, uint32_t default_ttl, vmdns_rrlist_t *out,
                            vmdns_error_t *err)
{
    return vmdns_record_parse_json_zone(json, len, default_ttl, NULL, out, err);
}

int vmdns_record_parse_json_zone(const char *json, size_t len, uint32_t default_ttl,
                                 const char *zone, vmdns_rrlist_t *out, vmdns_error_t *err)
{
    return vmdns_record_parse_json_max(json, len, default_ttl, zone, 0, out, err);
}

int vmdns_record_parse_json_max(const char *json, size_t len, uint32_t default_ttl,
                                const char *zone, size_t max_records, vmdns_rrlist_t *out,
                                vmdns_error_t *err)
{
    memset(out, 0, sizeof(*out));
    parse_scratch_t *scratch = thread_scratch();
    if (!scratch)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory parsing a record value");
    jl_doc_t *doc = &scratch->doc;
    uint32_t rootv = vmdns_jl_parse(doc, json, len);
    if (rootv == JL_NONE)
        return vmdns_fail(err, VMDNS_ERR_JSON, "not JSON: %s at offset %zu", doc->error,
                          doc->error_pos);
    jref_t root = {doc, rootv};
    if (kind_of(root) != JL_OBJECT)
        return vmdns_fail(err, VMDNS_ERR_JSON, "not a JSON object");

    /* the zone is only looked at for a relative name (get_name): nothing to
     * prepare per value, which the load path parses millions of */
    builder_t b = {.default_ttl = default_ttl,
                   .zone = zone != NULL && zone[0] ? zone : NULL,
                   .rrs = scratch->rrs,
                   .offs = scratch->offs,
                   .cap = scratch->cap,
                   .buf = scratch->buf,
                   .bcap = scratch->bcap};
    const jl_value_t *ro = jl_at(doc, rootv);
    if (max_records > 0) {
        size_t n = count_records(doc, ro);
        if (n > max_records) {
            release_big(doc);
            return vmdns_fail(err, VMDNS_ERR_SPACE, "%zu records, more than the limit of %zu", n,
                              max_records);
        }
    }
    int kinds[32];
    size_t nk = 0;
    int many = ro->count > sizeof(kinds) / sizeof(kinds[0]);
    for (uint32_t m = ro->first; m != JL_NONE; m = doc->members[m].next) {
        const char *key = jl_str(doc, doc->members[m].key);
        jref_t v = {doc, doc->members[m].value};
        int k = classify(key);
        if (!many)
            kinds[nk++] = k;
        if (k == KEY_EXPIRES)
            parse_expires(&b, v, out);
        else if (k == KEY_UNKNOWN)
            skip(&b, "unsupported type key \"%.60s\"", key);
    }
    /* Records in the writer's type order, whatever the order of the keys. */
    for (size_t ti = 0; ti < vmdns_codec_ntypes && !b.oom; ti++) {
        size_t type_start = b.n, i = 0;
        for (uint32_t m = ro->first; m != JL_NONE; m = doc->members[m].next, i++) {
            const char *key = jl_str(doc, doc->members[m].key);
            if ((many ? classify(key) : kinds[i]) == (int)ti)
                parse_type(&b, ti, type_start, key, (jref_t){doc, doc->members[m].value});
        }
        if (!b.oom)
            dedupe(&b, type_start, vmdns_codec_types[ti].key);
    }
    cname_rule(&b);
    release_big(doc);

    int rc = b.oom ? -1 : finish(&b, out);
    out->skipped = b.skipped;
    memcpy(out->first_error, b.first_error, sizeof(out->first_error));
    scratch_keep(scratch, &b);
    if (rc < 0) {
        vmdns_rrlist_free(out);
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory parsing a record value");
    }
    vmdns_ok(err);
    return 0;
}

void vmdns_rrlist_free(vmdns_rrlist_t *l)
{
    if (!l)
        return;
    free(l->rrs);
    memset(l, 0, sizeof(*l));
}
