/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zone_builder.c - zones and queries from text for tests (see
 * zone_builder.h). Mirrors what plugins/file does with a zone file, in a
 * few lines, so the DNS core can be tested without the file plugin.
 */
#include "zone_builder.h"

#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/name.h"

/* One parsed record; rdata malloc'd. */
typedef struct zb_rec {
    uint8_t owner[NAME_MAX_WIRE];
    size_t owner_len;
    view_rr_t rr;
} zb_rec_t;

static void zb_die(const char *what, const char *text)
{
    fprintf(stderr, "zone_builder: %s: %s\n", what, text);
    abort();
}

size_t zb_name(const char *text, uint8_t out[NAME_MAX_WIRE])
{
    size_t len = name_from_text(text, out);
    if (len == 0)
        zb_die("bad name", text);
    return len;
}

/* Parse one record into rec (owner and names in RDATA lower-cased). */
static void zb_parse(const char *text, zb_rec_t *rec)
{
    ldns_rr *rr = NULL;
    if (ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL) != LDNS_STATUS_OK)
        zb_die("ldns cannot parse", text);
    const ldns_rdf *owner = ldns_rr_owner(rr);
    rec->owner_len = ldns_rdf_size(owner);
    memcpy(rec->owner, ldns_rdf_data(owner), rec->owner_len);
    name_lower(rec->owner, rec->owner_len);

    ldns_buffer *buf = ldns_buffer_new(512);
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
        size_t at = ldns_buffer_position(buf);
        if (ldns_rdf2buffer_wire(buf, rdf) != LDNS_STATUS_OK)
            zb_die("cannot render rdata", text);
        if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME)
            name_lower(ldns_buffer_at(buf, at), ldns_buffer_position(buf) - at);
    }
    size_t rdlen = ldns_buffer_position(buf);
    uint8_t *rdata = malloc(rdlen ? rdlen : 1);
    if (!rdata)
        zb_die("out of memory", text);
    memcpy(rdata, ldns_buffer_begin(buf), rdlen);
    rec->rr.type = (uint16_t)ldns_rr_get_type(rr);
    rec->rr.ttl = ldns_rr_ttl(rr);
    rec->rr.rdlen = (uint16_t)rdlen;
    rec->rr.rdata = rdata;
    ldns_buffer_free(buf);
    ldns_rr_free(rr);
}

void zb_zone_put(view_zone_t *zone, const char *const *rrs, size_t n, int64_t expires)
{
    zb_rec_t *recs = calloc(n ? n : 1, sizeof(*recs));
    view_rr_t *group = calloc(n ? n : 1, sizeof(*group));
    bool *done = calloc(n ? n : 1, sizeof(*done));
    if (!recs || !group || !done)
        zb_die("out of memory", "records");
    for (size_t i = 0; i < n; i++)
        zb_parse(rrs[i], &recs[i]);
    /* One node per owner, in order of first appearance. */
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        size_t g = 0;
        for (size_t j = i; j < n; j++) {
            if (!done[j] && recs[j].owner_len == recs[i].owner_len &&
                memcmp(recs[j].owner, recs[i].owner, recs[i].owner_len) == 0) {
                group[g++] = recs[j].rr;
                done[j] = true;
            }
        }
        view_node_t *node = view_node_new(recs[i].owner, recs[i].owner_len, group, g, expires);
        if (!node || view_zone_put(zone, node) != 0)
            zb_die("cannot put the node of", rrs[i]);
    }
    for (size_t i = 0; i < n; i++)
        free((void *)recs[i].rr.rdata);
    free(recs);
    free(group);
    free(done);
}

view_zone_t *zb_zone_new(const char *apex, const char *const *rrs, size_t n, int64_t expires)
{
    uint8_t wire[NAME_MAX_WIRE];
    size_t len = zb_name(apex, wire);
    view_zone_t *zone = view_zone_new(wire, len);
    if (!zone)
        zb_die("cannot make zone", apex);
    zb_zone_put(zone, rrs, n, expires);
    return zone;
}

view_zone_t *zb_publish(view_t *view, const char *apex, const char *const *rrs, size_t n)
{
    view_zone_t *zone = zb_zone_new(apex, rrs, n, 0);
    view_publish_zone(view, zone, NULL);
    return zone;
}

size_t zb_query(const char *name, uint16_t type, const zb_query_opts_t *opts, uint8_t *out,
                size_t cap)
{
    static const zb_query_opts_t none = {0};
    if (!opts)
        opts = &none;
    ldns_rdf *qname = ldns_dname_new_frm_str(name);
    if (!qname)
        zb_die("bad query name", name);
    ldns_pkt *pkt =
        ldns_pkt_query_new(qname, (ldns_rr_type)type,
                           opts->qclass ? (ldns_rr_class)opts->qclass : LDNS_RR_CLASS_IN, 0);
    if (!pkt)
        zb_die("cannot make query", name);
    ldns_pkt_set_id(pkt, opts->id);
    if (opts->edns) {
        ldns_pkt_set_edns_udp_size(pkt, opts->udp ? opts->udp : 1232);
        ldns_pkt_set_edns_version(pkt, opts->version);
        ldns_pkt_set_edns_do(pkt, opts->do_bit);
    }
    uint8_t *wire = NULL;
    size_t len = 0;
    if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK || len > cap)
        zb_die("cannot render query", name);
    memcpy(out, wire, len);
    free(wire);
    ldns_pkt_free(pkt);
    return len;
}
