/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zonefile.c - master file -> view zone (see zonefile.h).
 *
 * The file is read record by record with ldns_rr_new_frm_fp_l() rather than
 * ldns_zone_new_frm_fp_l(), so that we know the line of every record and can
 * point at it when a later check fails ("outside the zone", "CNAME and
 * other data"), not only when ldns itself gives up.
 *
 * Every record becomes a view_rr_t: type, TTL and the RDATA in uncompressed
 * wire form, names inside it lower-cased (the view's rule). Records are
 * then sorted by owner, and each owner's records become one immutable view
 * node. Empty non-terminals are made by view_zone_put().
 */
#include "file/zonefile.h"

#include <errno.h>
#include <ldns/ldns.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/name.h"
#include "dns/wire.h"
#include "libvmdns/wire_name.h"

#define ZONE_DEFAULT_TTL 3600

/* One record read from the file. */
typedef struct zone_rec {
    uint8_t owner[NAME_MAX_WIRE];
    uint8_t owner_len;
    uint16_t type;
    uint32_t ttl;
    int line;
    size_t order;   /* position in the file, to keep the sort stable */
    uint16_t rdlen; /* rdata is malloc'd, owned by the record list */
    uint8_t *rdata;
} zone_rec_t;

/* The growing list of records of one load. */
typedef struct zone_recs {
    zone_rec_t *v;
    size_t n, cap;
} zone_recs_t;

/* State of one load. */
typedef struct zone_load {
    const char *path;
    const uint8_t *origin;
    size_t origin_len;
    cfg_error_t *err;
    zone_recs_t recs;
} zone_load_t;

static int zone_fail(zone_load_t *z, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int zone_fail(zone_load_t *z, int line, const char *fmt, ...)
{
    int n = snprintf(z->err->msg, sizeof(z->err->msg), "%s:%d: ", z->path, line);
    size_t off = n < 0 ? 0 : (size_t)n < sizeof(z->err->msg) ? (size_t)n : sizeof(z->err->msg) - 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(z->err->msg + off, sizeof(z->err->msg) - off, fmt, ap);
    va_end(ap);
    return -1;
}

/* Name as text for messages (into a caller buffer). */
static const char *zone_name_text(const uint8_t *wire, size_t len, char *buf, size_t cap)
{
    if (name_to_text(wire, len, buf, cap) == 0) {
        snprintf(buf, cap, "(bad name)");
    }
    return buf;
}

/* Render the RDATA of rr into wire form, names lower-cased. */
static int zone_rdata(zone_load_t *z, const ldns_rr *rr, int line, zone_rec_t *rec)
{
    size_t total = 0;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        total += ldns_rdf_size(ldns_rr_rdf(rr, i));
    }
    if (total > UINT16_MAX) {
        return zone_fail(z, line, "record data longer than 65535 bytes");
    }
    uint8_t *rdata = malloc(total > 0 ? total : 1);
    if (rdata == NULL) {
        return zone_fail(z, line, "out of memory");
    }
    size_t off = 0;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
        size_t len = ldns_rdf_size(rdf);
        memcpy(rdata + off, ldns_rdf_data(rdf), len);
        if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME) {
            name_lower(rdata + off, len);
        }
        off += len;
    }
    rec->rdata = rdata;
    rec->rdlen = (uint16_t)total;
    return 0;
}

/* Check one record and append it to the list. */
static int zone_add(zone_load_t *z, const ldns_rr *rr, int line)
{
    char text[NAME_MAX_WIRE * 4 + 2];
    const ldns_rdf *owner = ldns_rr_owner(rr);
    uint16_t type = (uint16_t)ldns_rr_get_type(rr);

    if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
        return zone_fail(z, line, "only class IN is supported");
    }
    if (type == WIRE_TYPE_OPT || (type >= 249 && type <= 255) || type == 0) {
        return zone_fail(z, line, "record type %u cannot be in a zone", type);
    }
    if (ldns_rdf_size(owner) == 0 || ldns_rdf_size(owner) > NAME_MAX_WIRE) {
        return zone_fail(z, line, "bad owner name");
    }
    if (z->recs.n == z->recs.cap) {
        size_t cap = z->recs.cap ? z->recs.cap * 2 : 64;
        zone_rec_t *grown = realloc(z->recs.v, cap * sizeof(*grown));
        if (grown == NULL) {
            return zone_fail(z, line, "out of memory");
        }
        z->recs.v = grown;
        z->recs.cap = cap;
    }
    zone_rec_t *rec = &z->recs.v[z->recs.n];
    memset(rec, 0, sizeof(*rec));
    rec->owner_len = (uint8_t)ldns_rdf_size(owner);
    memcpy(rec->owner, ldns_rdf_data(owner), rec->owner_len);
    name_lower(rec->owner, rec->owner_len);
    if (!name_is_valid_wire(rec->owner, rec->owner_len)) {
        return zone_fail(z, line, "bad owner name");
    }
    if (!name_is_below_or_equal(rec->owner, rec->owner_len, z->origin, z->origin_len)) {
        char otext[NAME_MAX_WIRE * 4 + 2];
        return zone_fail(z, line, "%s is outside the zone %s",
                         zone_name_text(rec->owner, rec->owner_len, text, sizeof(text)),
                         zone_name_text(z->origin, z->origin_len, otext, sizeof(otext)));
    }
    rec->type = type;
    rec->ttl = ldns_rr_ttl(rr);
    rec->line = line;
    rec->order = z->recs.n;
    if (zone_rdata(z, rr, line, rec) != 0) {
        return -1;
    }
    z->recs.n++;
    return 0;
}

/* Where the next record starts: the text is scanned forward (never back)
 * from `pos`, over blanks, line ends and comments, counting lines. */
typedef struct zone_cursor {
    const char *text;
    size_t len;
    size_t pos;
    int line; /* line of text[pos], 1-based */
} zone_cursor_t;

/* Advance the cursor to `to`, then to the first character of a record or
 * directive; returns the line it is on. */
static int zone_cursor_next(zone_cursor_t *c, size_t to)
{
    for (; c->pos < to && c->pos < c->len; c->pos++) {
        c->line += c->text[c->pos] == '\n';
    }
    while (c->pos < c->len) {
        char ch = c->text[c->pos];
        if (ch == ';') {
            while (c->pos < c->len && c->text[c->pos] != '\n') {
                c->pos++;
            }
        } else if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
            c->line += ch == '\n';
            c->pos++;
        } else {
            break;
        }
    }
    return c->line;
}

/* Read all of fp (ldns then reads the copy, and we can map the offsets it
 * stops at back to lines). */
static char *zone_slurp(zone_load_t *z, FILE *fp, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, fp);
        if (n < cap) {
            break;
        }
        char *grown = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
        if (grown == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    if (buf == NULL) {
        zone_fail(z, 0, "out of memory");
        return NULL;
    }
    if (ferror(fp)) {
        zone_fail(z, 0, "read error: %s", strerror(errno));
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Read every record of the open file into z->recs. Records are reported by
 * the line they start on (ldns's own count points at the end of a record,
 * or past the blank lines after it). */
static int zone_read(zone_load_t *z, FILE *fp)
{
    char origin_text[NAME_MAX_WIRE * 4 + 2];
    zone_name_text(z->origin, z->origin_len, origin_text, sizeof(origin_text));
    size_t len = 0;
    char *text = zone_slurp(z, fp, &len);
    if (text == NULL) {
        return -1;
    }
    if (len == 0) {
        free(text);
        return 0; /* an empty file: "no SOA" is reported later */
    }
    FILE *mem = fmemopen(text, len, "r");
    ldns_rdf *origin = ldns_dname_new_frm_str(origin_text);
    ldns_rdf *prev = ldns_dname_new_frm_str(origin_text);
    uint32_t ttl = ZONE_DEFAULT_TTL;
    zone_cursor_t cur = {.text = text, .len = len, .line = 1};
    int ldns_line = 0, rc = 0;
    if (mem == NULL || origin == NULL || prev == NULL) {
        rc = zone_fail(z, 0, "out of memory");
        goto out;
    }
    long last = -1;
    for (;;) {
        long at = ftell(mem);
        int line = zone_cursor_next(&cur, at < 0 ? cur.pos : (size_t)at);
        if (cur.pos >= len) {
            break;
        }
        if (at <= last) { /* ldns consumed nothing: never loop forever */
            rc = zone_fail(z, line, "cannot parse this line");
            goto out;
        }
        last = at;
        ldns_rr *rr = NULL;
        ldns_status s = ldns_rr_new_frm_fp_l(&rr, mem, &ttl, &origin, &prev, &ldns_line);
        switch (s) {
        case LDNS_STATUS_OK:
            rc = zone_add(z, rr, line);
            ldns_rr_free(rr);
            if (rc != 0) {
                goto out;
            }
            break;
        case LDNS_STATUS_SYNTAX_EMPTY:
            if (feof(mem)) {
                goto out;
            }
            break;
        case LDNS_STATUS_SYNTAX_TTL:
        case LDNS_STATUS_SYNTAX_ORIGIN:
            break;
        case LDNS_STATUS_SYNTAX_INCLUDE:
            rc = zone_fail(z, line, "$INCLUDE is not supported");
            goto out;
        default:
            rc = zone_fail(z, line, "%s", ldns_get_errorstr_by_id(s));
            goto out;
        }
        if (feof(mem)) {
            break;
        }
    }
out:
    if (mem != NULL) {
        fclose(mem);
    }
    if (origin != NULL) {
        ldns_rdf_deep_free(origin);
    }
    if (prev != NULL) {
        ldns_rdf_deep_free(prev);
    }
    free(text);
    return rc;
}

static int zone_rec_cmp(const void *a, const void *b)
{
    const zone_rec_t *x = a, *y = b;
    size_t n = x->owner_len < y->owner_len ? x->owner_len : y->owner_len;
    int c = memcmp(x->owner, y->owner, n);
    if (c != 0) {
        return c;
    }
    if (x->owner_len != y->owner_len) {
        return x->owner_len < y->owner_len ? -1 : 1;
    }
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Whole-zone rules, checked on the sorted list. Sets *soa_at to the SOA. */
static int zone_check(zone_load_t *z, const zone_rec_t **soa_at)
{
    char text[NAME_MAX_WIRE * 4 + 2];
    *soa_at = NULL;
    for (size_t i = 0; i < z->recs.n;) {
        size_t j;
        const zone_rec_t *cname = NULL, *other = NULL;
        for (j = i; j < z->recs.n && z->recs.v[j].owner_len == z->recs.v[i].owner_len &&
                    memcmp(z->recs.v[j].owner, z->recs.v[i].owner, z->recs.v[i].owner_len) == 0;
             j++) {
            const zone_rec_t *r = &z->recs.v[j];
            bool apex =
                r->owner_len == z->origin_len && memcmp(r->owner, z->origin, z->origin_len) == 0;
            if (r->type == WIRE_TYPE_SOA) {
                if (!apex) {
                    return zone_fail(z, r->line, "SOA record for %s, which is not the apex",
                                     zone_name_text(r->owner, r->owner_len, text, sizeof(text)));
                }
                if (*soa_at != NULL && (*soa_at)->rdlen == r->rdlen &&
                    memcmp((*soa_at)->rdata, r->rdata, r->rdlen) == 0) {
                    continue; /* the same SOA twice is harmless */
                }
                if (*soa_at != NULL) {
                    return zone_fail(z, r->line, "second SOA record (first on line %d)",
                                     (*soa_at)->line);
                }
                *soa_at = r;
            }
            if (r->type == WIRE_TYPE_CNAME) {
                if (cname != NULL &&
                    !(cname->rdlen == r->rdlen && memcmp(cname->rdata, r->rdata, r->rdlen) == 0)) {
                    return zone_fail(z, r->line, "second CNAME for %s (first on line %d)",
                                     zone_name_text(r->owner, r->owner_len, text, sizeof(text)),
                                     cname->line);
                }
                cname = r;
            } else if (r->type != 46 /* RRSIG */ && r->type != 47 /* NSEC */) {
                other = r;
            }
            if (cname != NULL && other != NULL) {
                const zone_rec_t *later = cname->line > other->line ? cname : other;
                const zone_rec_t *earlier = later == cname ? other : cname;
                return zone_fail(z, later->line, "%s has a CNAME and other data (line %d)",
                                 zone_name_text(r->owner, r->owner_len, text, sizeof(text)),
                                 earlier->line);
            }
        }
        i = j;
    }
    if (*soa_at == NULL) {
        return zone_fail(z, 1, "no SOA record for the apex %s",
                         zone_name_text(z->origin, z->origin_len, text, sizeof(text)));
    }
    return 0;
}

/* The serial field of an SOA's RDATA (after the two names). */
static uint32_t zone_soa_serial(const zone_rec_t *soa)
{
    size_t p = vmdns_wire_soa_serial_off(soa->rdata, soa->rdlen);
    return p > 0 ? wire_read_u32(soa->rdata + p) : 0;
}

/* Build one node per owner and put it into a new zone. */
static view_zone_t *zone_build(zone_load_t *z)
{
    view_zone_t *zone = view_zone_new(z->origin, z->origin_len);
    view_rr_t *rrs = calloc(z->recs.n > 0 ? z->recs.n : 1, sizeof(*rrs));
    if (zone == NULL || rrs == NULL) {
        zone_fail(z, 0, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < z->recs.n;) {
        const zone_rec_t *first = &z->recs.v[i];
        size_t n = 0;
        for (; i < z->recs.n && z->recs.v[i].owner_len == first->owner_len &&
               memcmp(z->recs.v[i].owner, first->owner, first->owner_len) == 0;
             i++) {
            const zone_rec_t *r = &z->recs.v[i];
            rrs[n++] = (view_rr_t){r->type, r->ttl, r->rdlen, r->rdata};
        }
        view_node_t *node = view_node_new(first->owner, first->owner_len, rrs, n, 0);
        if (node == NULL) {
            zone_fail(z, first->line, "cannot store the records of this name");
            goto fail;
        }
        if (view_zone_put(zone, node) != 0) {
            zone_fail(z, first->line, "name is outside the zone");
            goto fail;
        }
    }
    free(rrs);
    return zone;
fail:
    free(rrs);
    view_zone_free(zone);
    return NULL;
}

view_zone_t *zone_file_read(FILE *fp, const char *name, const uint8_t *origin, size_t origin_len,
                            zone_file_stats_t *stats, cfg_error_t *err)
{
    zone_load_t z = {.path = name, .origin = origin, .origin_len = origin_len, .err = err};
    view_zone_t *zone = NULL;
    if (zone_read(&z, fp) != 0) {
        goto out;
    }
    if (z.recs.n > 0) {
        qsort(z.recs.v, z.recs.n, sizeof(*z.recs.v), zone_rec_cmp);
    }
    const zone_rec_t *soa;
    if (zone_check(&z, &soa) != 0) {
        goto out;
    }
    uint32_t serial = zone_soa_serial(soa);
    zone = zone_build(&z);
    if (zone == NULL) {
        goto out;
    }
    view_zone_set_serial(zone, serial);
    if (stats != NULL) {
        stats->records = z.recs.n;
        stats->names = view_zone_size(zone);
        stats->serial = serial;
    }
out:
    for (size_t i = 0; i < z.recs.n; i++) {
        free(z.recs.v[i].rdata);
    }
    free(z.recs.v);
    return zone;
}

view_zone_t *zone_file_load(const char *path, const uint8_t *origin, size_t origin_len,
                            zone_file_stats_t *stats, cfg_error_t *err)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        snprintf(err->msg, sizeof(err->msg), "%s:0: cannot open zone file: %s", path,
                 strerror(errno));
        return NULL;
    }
    view_zone_t *zone = zone_file_read(fp, path, origin, origin_len, stats, err);
    fclose(fp);
    return zone;
}

int zone_file_peek_serial(const char *path, const uint8_t *origin, size_t origin_len,
                          uint32_t *serial)
{
    char origin_text[NAME_MAX_WIRE * 4 + 2];
    if (name_to_text(origin, origin_len, origin_text, sizeof(origin_text)) == 0) {
        return -1;
    }
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        return -1;
    }
    ldns_rdf *orig = ldns_dname_new_frm_str(origin_text);
    ldns_rdf *prev = ldns_dname_new_frm_str(origin_text);
    uint32_t ttl = ZONE_DEFAULT_TTL;
    int line = 0, rc = -1;
    for (int n = 0; orig != NULL && prev != NULL && n < ZONE_PEEK_MAX_LINES && !feof(fp); n++) {
        ldns_rr *rr = NULL;
        ldns_status s = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &orig, &prev, &line);
        if (s == LDNS_STATUS_SYNTAX_EMPTY || s == LDNS_STATUS_SYNTAX_TTL ||
            s == LDNS_STATUS_SYNTAX_ORIGIN) {
            continue;
        }
        if (s != LDNS_STATUS_OK) {
            break;
        }
        bool soa = ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) >= 3;
        if (soa) {
            *serial = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
            rc = 0;
        }
        ldns_rr_free(rr);
        if (soa) {
            break;
        }
    }
    if (orig != NULL) {
        ldns_rdf_deep_free(orig);
    }
    if (prev != NULL) {
        ldns_rdf_deep_free(prev);
    }
    fclose(fp);
    return rc;
}
