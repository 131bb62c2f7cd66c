/*
 * ref_record_parse_jansson.c - the first implementation of
 * vmdns_record_parse_json, on jansson, kept as the reference that
 * fuzz_json_lite_diff.c compares the production reader (json_lite) with.
 * Test code only: it exists so that the faster reader can be shown to read
 * every input exactly as jansson-based code did.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "ref_record_parse.h"
#include "err.h"

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

/* A member of obj by case-insensitive key, or NULL. The exact (lower-case)
 * key is a hash lookup and the common case; other spellings need a scan. */
static json_t *member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (v)
        return v;
    const char *k;
    json_object_foreach(obj, k, v)
    {
        if (strcasecmp(k, key) == 0)
            return v;
    }
    return NULL;
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
    for (size_t t = 0; t < codec_ntypes; t++)
        if (strcmp(low, codec_types[t].key) == 0)
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
static int get_uint(json_t *obj, const char *key, uint64_t max, uint64_t dflt, uint64_t *out,
                    why_t *w)
{
    json_t *v = member(obj, key);
    if (!v || json_is_null(v)) {
        *out = dflt;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return bad(w, "\"%s\" must be an integer from 0 to %llu", key, (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* Required string member. */
static const char *get_str(json_t *obj, const char *key, size_t *len, why_t *w)
{
    json_t *v = member(obj, key);
    if (!v || json_is_null(v)) {
        bad(w, "missing \"%s\"", key);
        return NULL;
    }
    if (!json_is_string(v)) {
        bad(w, "\"%s\" must be a string", key);
        return NULL;
    }
    *len = json_string_length(v);
    return json_string_value(v);
}

/* Required name member, written as wire form at out; returns its length or 0. */
static size_t get_name(json_t *obj, const char *key, uint8_t *out, why_t *w)
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
    if (vmdns_name_to_wire(s, out, &len, &e) < 0) {
        bad(w, "\"%s\": %s", key, e.message);
        return 0;
    }
    return len;
}

/* Address member "ip" of family af into out. */
static int get_ip(json_t *obj, int af, uint8_t *out, why_t *w)
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
static long write_rdata(builder_t *b, uint16_t type, json_t *rec, why_t *w)
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
    case VMDNS_TYPE_PTR:
        if (!(p = reserve(b, VMDNS_NAME_MAXWIRE)) || !(nl = get_name(rec, "host", p, w)))
            return -1;
        return (long)nl;
    case VMDNS_TYPE_MX:
        if (!(p = reserve(b, 2 + VMDNS_NAME_MAXWIRE)) ||
            get_uint(rec, "preference", 65535, 0, &u1, w) < 0 ||
            !(nl = get_name(rec, "host", p + 2, w)))
            return -1;
        codec_put16(p, (uint16_t)u1);
        return (long)(2 + nl);
    case VMDNS_TYPE_SRV:
        if (!(p = reserve(b, 6 + VMDNS_NAME_MAXWIRE)) ||
            get_uint(rec, "priority", 65535, 0, &u1, w) < 0 ||
            get_uint(rec, "weight", 65535, 0, &u2, w) < 0 ||
            get_uint(rec, "port", 65535, 0, &u3, w) < 0 ||
            !(nl = get_name(rec, "target", p + 6, w)))
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
    case VMDNS_TYPE_SOA: {
        uint64_t serial, refresh, retry, expire, minttl;
        if (!(p = reserve(b, 2 * VMDNS_NAME_MAXWIRE + 20)) || !(nl = get_name(rec, "ns", p, w)) ||
            !(nl2 = get_name(rec, "mbox", p + nl, w)) ||
            get_uint(rec, "serial", UINT32_MAX, 0, &serial, w) < 0 ||
            get_uint(rec, "refresh", UINT32_MAX, 0, &refresh, w) < 0 ||
            get_uint(rec, "retry", UINT32_MAX, 0, &retry, w) < 0 ||
            get_uint(rec, "expire", UINT32_MAX, 0, &expire, w) < 0 ||
            get_uint(rec, "minttl", UINT32_MAX, 0, &minttl, w) < 0)
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
static void parse_record(builder_t *b, size_t ti, size_t type_start, json_t *rec, const char *key,
                         size_t idx)
{
    const codec_type_t *t = &codec_types[ti];
    why_t w = {{0}};
    uint64_t ttl;

    if (!json_is_object(rec)) {
        skip(b, "%s[%zu]: not an object", key, idx);
        return;
    }
    if (get_uint(rec, "ttl", VMDNS_MAX_TTL, b->default_ttl, &ttl, &w) < 0) {
        skip(b, "%s[%zu]: %s", key, idx, w.text);
        return;
    }
    long len = write_rdata(b, t->type, rec, &w);
    if (len < 0) {
        if (!b->oom)
            skip(b, "%s[%zu]: %s", key, idx, w.text);
        return;
    }
    const uint8_t *rd = b->buf + b->blen;
    for (size_t i = type_start; i < b->n; i++) {
        if (b->rrs[i].rdlen == (size_t)len && memcmp(b->buf + b->offs[i], rd, (size_t)len) == 0) {
            skip(b, "%s[%zu]: duplicate record", key, idx);
            return;
        }
    }
    if (t->type == VMDNS_TYPE_SOA && b->n > type_start) {
        skip(b, "%s[%zu]: more than one SOA", key, idx);
        return;
    }
    commit(b, t->type, (uint32_t)ttl, (size_t)len);
}

/* Parse every record under the type key `key` (array, single object or null). */
static void parse_type(builder_t *b, size_t ti, size_t type_start, const char *key, json_t *v)
{
    if (json_is_null(v))
        return;
    if (json_is_object(v)) {
        parse_record(b, ti, type_start, v, key, 0);
        return;
    }
    if (!json_is_array(v)) {
        skip(b, "\"%s\": not an array of records", key);
        return;
    }
    size_t i;
    json_t *rec;
    json_array_foreach(v, i, rec)
    {
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
static void parse_expires(builder_t *b, json_t *v, vmdns_rrlist_t *out)
{
    if (json_is_null(v))
        return;
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        skip(b, "\"expires\" must be a non-negative integer (unix seconds)");
        return;
    }
    out->expires = json_integer_value(v);
}

int ref_record_parse_json(const char *json, size_t len, uint32_t default_ttl, vmdns_rrlist_t *out,
                          vmdns_error_t *err)
{
    memset(out, 0, sizeof(*out));
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_ALLOW_NUL, &jerr);
    if (!root)
        return vmdns_fail(err, VMDNS_ERR_JSON, "not JSON: %s at offset %d", jerr.text,
                          jerr.position);
    if (!json_is_object(root)) {
        json_decref(root);
        return vmdns_fail(err, VMDNS_ERR_JSON, "not a JSON object");
    }

    builder_t b = {.default_ttl = default_ttl};
    const char *key;
    json_t *v;
    int kinds[32];
    size_t nk = 0;
    int many = json_object_size(root) > sizeof(kinds) / sizeof(kinds[0]);
    json_object_foreach(root, key, v)
    {
        int k = classify(key);
        if (!many)
            kinds[nk++] = k;
        if (k == KEY_EXPIRES)
            parse_expires(&b, v, out);
        else if (k == KEY_UNKNOWN)
            skip(&b, "unsupported type key \"%.60s\"", key);
    }
    /* Records in the writer's type order, whatever the order of the keys. */
    for (size_t ti = 0; ti < codec_ntypes && !b.oom; ti++) {
        size_t type_start = b.n, i = 0;
        json_object_foreach(root, key, v)
        {
            if ((many ? classify(key) : kinds[i]) == (int)ti)
                parse_type(&b, ti, type_start, key, v);
            i++;
        }
    }
    cname_rule(&b);
    json_decref(root);

    int rc = b.oom ? -1 : finish(&b, out);
    out->skipped = b.skipped;
    memcpy(out->first_error, b.first_error, sizeof(out->first_error));
    free(b.rrs);
    free(b.offs);
    free(b.buf);
    if (rc < 0) {
        vmdns_rrlist_free(out);
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory parsing a record value");
    }
    vmdns_ok(err);
    return 0;
}
