/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * record_encode.c - records in wire form to one zone-hash field value (JSON).
 *
 * The registrar writes what this produces, and vmdnsd reads it back with
 * record_parse.c; the two must agree exactly. So the writer is canonical:
 * type keys in a fixed order, record fields in a fixed order, every "ttl"
 * written, names with their final dot, compact JSON. Anything the reader
 * could not give back unchanged is refused here rather than written.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "common/err.h"

/* Name at rdata[off] as a JSON string; *used gets its wire length. */
static json_t *name_json(const uint8_t *rdata, size_t off, size_t len, size_t *used)
{
    char text[VMDNS_NAME_MAXTEXT];
    size_t nl = vmdns_wire_name_len(rdata, off, len);
    if (!nl || vmdns_name_to_text(rdata + off, nl, text, sizeof(text)) < 0)
        return NULL;
    if (used)
        *used = nl;
    return json_string(text);
}

/* Set obj[key] = v, taking v; -1 if v is NULL or the set fails. */
static int put(json_t *obj, const char *key, json_t *v)
{
    if (!v)
        return -1;
    return json_object_set_new(obj, key, v);
}

/* The JSON object of one record (rdata already checked). */
static json_t *record_json(const vmdns_rr_t *rr)
{
    json_t *o = json_object();
    const uint8_t *d = rr->rdata;
    size_t len = rr->rdlen, nl = 0;
    char ip[INET6_ADDRSTRLEN];
    int rc = 0;

    if (!o)
        return NULL;
    switch (rr->type) {
    case VMDNS_TYPE_A:
    case VMDNS_TYPE_AAAA:
        if (!inet_ntop(rr->type == VMDNS_TYPE_A ? AF_INET : AF_INET6, d, ip, sizeof(ip)))
            rc = -1;
        else
            rc = put(o, "ip", json_string(ip));
        break;
    case VMDNS_TYPE_CNAME:
    case VMDNS_TYPE_NS:
    case VMDNS_TYPE_PTR:
        rc = put(o, "host", name_json(d, 0, len, NULL));
        break;
    case VMDNS_TYPE_MX:
        rc = put(o, "host", name_json(d, 2, len, NULL));
        rc |= put(o, "preference", json_integer(codec_get16(d)));
        break;
    case VMDNS_TYPE_SRV:
        rc = put(o, "target", name_json(d, 6, len, NULL));
        rc |= put(o, "port", json_integer(codec_get16(d + 4)));
        rc |= put(o, "priority", json_integer(codec_get16(d)));
        rc |= put(o, "weight", json_integer(codec_get16(d + 2)));
        break;
    case VMDNS_TYPE_TXT: {
        /* Join the character-strings (checked: split every 255 bytes). */
        char *text = malloc(len ? len : 1);
        size_t o2 = 0;
        if (!text) {
            rc = -1;
            break;
        }
        for (size_t pos = 0; pos < len; pos += 1 + (size_t)d[pos]) {
            memcpy(text + o2, d + pos + 1, d[pos]);
            o2 += d[pos];
        }
        rc = put(o, "text", json_stringn(text, o2));
        free(text);
        break;
    }
    case VMDNS_TYPE_CAA:
        rc = put(o, "flag", json_integer(d[0]));
        rc |= put(o, "tag", json_stringn((const char *)d + 2, d[1]));
        rc |= put(o, "value", json_stringn((const char *)d + 2 + d[1], len - 2 - d[1]));
        break;
    case VMDNS_TYPE_SOA: {
        size_t nl2 = 0;
        rc = put(o, "ttl", json_integer(rr->ttl));
        rc |= put(o, "ns", name_json(d, 0, len, &nl));
        rc |= put(o, "mbox", name_json(d, nl, len, &nl2));
        const uint8_t *q = d + nl + nl2;
        rc |= put(o, "refresh", json_integer(codec_get32(q + 4)));
        rc |= put(o, "retry", json_integer(codec_get32(q + 8)));
        rc |= put(o, "expire", json_integer(codec_get32(q + 12)));
        rc |= put(o, "minttl", json_integer(codec_get32(q + 16)));
        if (codec_get32(q) != 0)
            rc |= put(o, "serial", json_integer(codec_get32(q)));
        break;
    }
    default:
        rc = -1;
    }
    if (rr->type != VMDNS_TYPE_SOA)
        rc |= put(o, "ttl", json_integer(rr->ttl));
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

char *vmdns_record_to_json(const vmdns_rr_t *rrs, size_t n, int64_t expires, vmdns_error_t *err)
{
    size_t soas = 0;
    for (size_t i = 0; i < n; i++) {
        vmdns_error_t e;
        if (vmdns_rdata_check(rrs[i].type, rrs[i].rdata, rrs[i].rdlen, &e) < 0)
            return vmdns_fail(err, e.code, "record %zu: %s", i, e.message), NULL;
        if (rrs[i].ttl > VMDNS_MAX_TTL)
            return vmdns_fail(err, VMDNS_ERR_TTL, "TTL %u above %u", rrs[i].ttl, VMDNS_MAX_TTL),
                   NULL;
        if (rrs[i].type == VMDNS_TYPE_SOA && ++soas > 1)
            return vmdns_fail(err, VMDNS_ERR_CONFLICT, "more than one SOA record"), NULL;
    }
    if (expires < 0)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "negative expiry time"), NULL;

    json_t *root = json_object();
    int rc = root ? 0 : -1;
    for (size_t ti = 0; ti < vmdns_codec_ntypes && rc == 0; ti++) {
        uint16_t type = vmdns_codec_types[ti].type;
        json_t *arr = NULL;
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (rrs[i].type != type)
                continue;
            json_t *rec = record_json(&rrs[i]);
            if (!rec) {
                rc = -1;
            } else if (type == VMDNS_TYPE_SOA) {
                rc = json_object_set_new(root, vmdns_codec_types[ti].key, rec);
            } else {
                if (!arr && (!(arr = json_array()) ||
                             json_object_set_new(root, vmdns_codec_types[ti].key, arr) < 0))
                    rc = -1;
                if (rc == 0)
                    rc = json_array_append_new(arr, rec);
            }
        }
    }
    if (rc == 0 && expires > 0)
        rc = json_object_set_new(root, "expires", json_integer(expires));
    char *out = rc == 0 ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!out)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory encoding records"), NULL;
    vmdns_ok(err);
    return out;
}
