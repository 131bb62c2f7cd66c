/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_records.c - build view nodes from hash field values (see
 * redis_records.h).
 *
 * The codec returns records in wire form; they go into view_node_new as
 * they are, except for the apex SOA, whose serial is raised to the zone's
 * time-based base, and the SOA/NS defaults an apex gets when it has none.
 */
#include "redis/redis_records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/name.h"
#include "dns/wire.h"
#include "vmdns/record.h"
#include "libvmdns/record_limit.h"
#include "libvmdns/wire_name.h"

#define SOA_RDATA_MAX (2 * NAME_MAX_WIRE + 20)

/* Render an SOA RDATA from the defaults into out; returns its length. */
static size_t default_soa_rdata(const redis_zone_ctx_t *z, uint8_t out[SOA_RDATA_MAX])
{
    const redis_defaults_t *d = z->defaults;
    size_t p = 0;
    if (d->mname_len > 0) {
        memcpy(out, d->mname, d->mname_len);
        p = d->mname_len;
    } else if (d->nns > 0) {
        memcpy(out, d->ns[0], d->ns_len[0]);
        p = d->ns_len[0];
    } else {
        memcpy(out, z->apex, z->apex_len);
        p = z->apex_len;
    }
    static const uint8_t hostmaster[] = "\x0ahostmaster";
    if (d->mbox_len > 0) {
        memcpy(out + p, d->mbox, d->mbox_len);
        p += d->mbox_len;
    } else if (z->apex_len + sizeof(hostmaster) - 1 <= NAME_MAX_WIRE) {
        memcpy(out + p, hostmaster, sizeof(hostmaster) - 1);
        memcpy(out + p + sizeof(hostmaster) - 1, z->apex, z->apex_len);
        p += sizeof(hostmaster) - 1 + z->apex_len;
    } else {
        memcpy(out + p, z->apex, z->apex_len);
        p += z->apex_len;
    }
    wire_write_u32(out + p, z->serial_base);
    wire_write_u32(out + p + 4, d->refresh);
    wire_write_u32(out + p + 8, d->retry);
    wire_write_u32(out + p + 12, d->expire);
    wire_write_u32(out + p + 16, d->minttl);
    return p + 20;
}

/* Add the default SOA/NS an apex lacks, with storage in soa_buf. Returns the
 * new count (rrs has room for n + 1 + nns). */
static size_t complete_apex(const redis_zone_ctx_t *z, view_rr_t *rrs, size_t n,
                            uint8_t soa_buf[SOA_RDATA_MAX])
{
    bool has_soa = false, has_ns = false;
    for (size_t i = 0; i < n; i++) {
        has_soa |= rrs[i].type == WIRE_TYPE_SOA;
        has_ns |= rrs[i].type == WIRE_TYPE_NS;
    }
    if (!has_soa) {
        rrs[n++] = (view_rr_t){WIRE_TYPE_SOA, z->defaults->ttl,
                               (uint16_t)default_soa_rdata(z, soa_buf), soa_buf};
    }
    if (!has_ns) {
        for (size_t i = 0; i < z->defaults->nns; i++) {
            rrs[n++] = (view_rr_t){WIRE_TYPE_NS, z->defaults->ttl, (uint16_t)z->defaults->ns_len[i],
                                   z->defaults->ns[i]};
        }
    }
    return n;
}

view_node_t *redis_default_apex(const redis_zone_ctx_t *z)
{
    view_rr_t rrs[1 + REDIS_MAX_DEFAULT_NS];
    uint8_t soa[SOA_RDATA_MAX];
    size_t n = complete_apex(z, rrs, 0, soa);
    return view_node_new(z->apex, z->apex_len, rrs, n, 0);
}

static void note_skip(redis_parse_t *res, size_t count, const char *why)
{
    if (res->skipped == 0) {
        snprintf(res->why, sizeof(res->why), "%s", why);
    }
    res->skipped += count;
}

view_node_t *redis_node_from_json(const redis_zone_ctx_t *z, const uint8_t *owner, size_t owner_len,
                                  const char *json, size_t len, redis_parse_t *res)
{
    res->skipped = 0;
    res->over_limit = false;
    res->too_big = false;
    res->why[0] = '\0';
    vmdns_rrlist_t list;
    vmdns_error_t err;
    /* The zone's name as text, for relative names in the value: rendered
     * once per zone and thread, not once per field (a load parses millions). */
    static _Thread_local uint8_t last_apex[NAME_MAX_WIRE];
    static _Thread_local size_t last_apex_len;
    static _Thread_local char zone[NAME_MAX_WIRE * 4 + 2];
    if (last_apex_len != z->apex_len || memcmp(last_apex, z->apex, z->apex_len) != 0) {
        if (name_to_text(z->apex, z->apex_len, zone, sizeof(zone)) == 0) {
            zone[0] = '\0';
        }
        memcpy(last_apex, z->apex, z->apex_len);
        last_apex_len = z->apex_len;
    }
    if (vmdns_record_parse_json_max(json, len, z->default_ttl, zone[0] ? zone : NULL,
                                    z->max_records, &list, &err) != 0) {
        res->over_limit = err.code == VMDNS_ERR_SPACE;
        note_skip(res, 1, err.message);
        vmdns_rrlist_free(&list);
        return NULL;
    }
    if (list.skipped > 0) {
        note_skip(res, list.skipped, list.first_error);
    }
    bool apex = owner_len == z->apex_len && memcmp(owner, z->apex, owner_len) == 0;
    view_rr_t stack[32];
    size_t cap = list.n + 1 + REDIS_MAX_DEFAULT_NS;
    view_rr_t *rrs = cap <= 32 ? stack : malloc(cap * sizeof(*rrs));
    view_node_t *node = NULL;
    if (rrs == NULL) {
        note_skip(res, list.n, "out of memory");
        goto out;
    }
    size_t n = 0;
    for (size_t i = 0; i < list.n; i++) {
        vmdns_rr_t *rr = &list.rrs[i];
        if (rr->type == WIRE_TYPE_SOA) {
            size_t off = vmdns_wire_soa_serial_off(rr->rdata, rr->rdlen);
            if (!apex || off == 0) {
                note_skip(res, 1, apex ? "malformed SOA" : "SOA outside the zone apex");
                continue;
            }
            if (wire_read_u32(rr->rdata + off) < z->serial_base) {
                wire_write_u32(rr->rdata + off, z->serial_base);
            }
        }
        rrs[n++] = (view_rr_t){rr->type, rr->ttl, rr->rdlen, rr->rdata};
    }
    /* A value that holds no record at all ({}, empty arrays) is a name that
     * exists with no data (NODATA; it hides a wildcard), as in the CoreDNS
     * redis plugins; a value whose every record was bad is not. */
    bool holds_nothing = list.n == 0 && list.skipped == 0;
    uint8_t soa[SOA_RDATA_MAX];
    if ((n > 0 || holds_nothing) && apex) {
        n = complete_apex(z, rrs, n, soa);
    }
    if (n > 0 || holds_nothing) {
        node = view_node_new(owner, owner_len, rrs, n, list.expires);
        if (node == NULL) {
            note_skip(res, n, "out of memory");
        } else {
            size_t nsets;
            const view_rrset_t *sets = view_node_rrsets(node, &nsets);
            for (size_t i = 0; i < nsets; i++) {
                res->too_big |= sets[i].wire_len > WIRE_MAX_UDP - WIRE_HEADER_SIZE;
            }
        }
    }
out:
    if (rrs != stack) {
        free(rrs);
    }
    vmdns_rrlist_free(&list);
    return node;
}

size_t redis_node_records(const view_node_t *node)
{
    size_t count, total = 0;
    const view_rrset_t *sets = view_node_rrsets(node, &count);
    for (size_t i = 0; i < count; i++) {
        total += sets[i].count;
    }
    return total;
}

bool redis_node_equal(const view_node_t *a, const view_node_t *b)
{
    size_t na, nb;
    const view_rrset_t *sa = view_node_rrsets(a, &na), *sb = view_node_rrsets(b, &nb);
    if (na != nb || view_node_expires(a) != view_node_expires(b)) {
        return false;
    }
    for (size_t i = 0; i < na; i++) {
        if (sa[i].type != sb[i].type || sa[i].count != sb[i].count || sa[i].ttl != sb[i].ttl ||
            sa[i].wire_len != sb[i].wire_len || memcmp(sa[i].wire, sb[i].wire, sa[i].wire_len)) {
            return false;
        }
    }
    return true;
}

view_node_t *redis_node_clone(const view_node_t *node)
{
    size_t nsets, total = redis_node_records(node), owner_len;
    const view_rrset_t *sets = view_node_rrsets(node, &nsets);
    const uint8_t *owner = view_node_owner(node, &owner_len);
    view_rr_t stack[32];
    view_rr_t *rrs = total <= 32 ? stack : malloc(total * sizeof(*rrs));
    if (rrs == NULL) {
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < nsets; i++) {
        const uint8_t *p = sets[i].wire;
        for (uint32_t k = 0; k < sets[i].count; k++) {
            uint16_t rdlen = wire_read_u16(p + 8);
            rrs[n++] = (view_rr_t){wire_read_u16(p), wire_read_u32(p + 4), rdlen, p + 10};
            p += 10 + rdlen;
        }
    }
    view_node_t *copy = view_node_new(owner, owner_len, rrs, n, view_node_expires(node));
    if (rrs != stack) {
        free(rrs);
    }
    return copy;
}
