/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * record_text.c - records in presentation (zone file) form, via ldns.
 *
 * People and scripts give rdata as text ("10 mx.example.com.") and read
 * zones back as text (vmdnsctl list). ldns knows every type's syntax, so it
 * does the parsing and printing; the result is then held to the schema's
 * rules with vmdns_rdata_check. None of this is on vmdnsd's query path.
 */
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "common/err.h"

/* True if text has a ';' (a zone-file comment) outside double quotes. */
static int has_comment(const char *text)
{
    int quoted = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\\' && p[1])
            p++;
        else if (*p == '"')
            quoted = !quoted;
        else if (*p == ';' && !quoted)
            return 1;
    }
    return 0;
}

/* ldns takes "70000" for a 16-bit field and keeps the low bits, so the
 * plain numeric fields are range-checked here first: for each type, which
 * leading whitespace-separated tokens are numbers, and their maximum. */
static int check_numbers(uint16_t type, const char *text, const char *mn, vmdns_error_t *err)
{
    unsigned first = 0, count = 0;
    unsigned long long max = 0;
    switch (type) {
    case VMDNS_TYPE_MX:
        count = 1, max = 65535;
        break;
    case VMDNS_TYPE_SRV:
        count = 3, max = 65535;
        break;
    case VMDNS_TYPE_CAA:
        count = 1, max = 255;
        break;
    case VMDNS_TYPE_SOA:
        first = 2, count = 5, max = UINT32_MAX; /* "1h"-style periods are left to ldns */
        break;
    default:
        return 0;
    }
    const char *p = text;
    for (unsigned i = 0; i < first + count; i++) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *tok = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (i < first)
            continue;
        int digits = p > tok;
        for (const char *q = tok; q < p; q++)
            digits &= *q >= '0' && *q <= '9';
        if (!digits && (type != VMDNS_TYPE_SOA || p == tok || *tok == '-'))
            return vmdns_fail(err, VMDNS_ERR_RDATA,
                              "bad %s rdata '%.100s': field %u is not a "
                              "number",
                              mn, text, i + 1);
        if (digits && (p - tok > 10 || strtoull(tok, NULL, 10) > max))
            return vmdns_fail(err, VMDNS_ERR_RDATA, "bad %s rdata '%.100s': field %u is above %llu",
                              mn, text, i + 1, max);
    }
    return 0;
}

int vmdns_rdata_from_text(uint16_t type, const char *text, const char *origin, uint8_t *out,
                          size_t cap, size_t *len, vmdns_error_t *err)
{
    const char *mn = vmdns_type_name(type);
    if (!mn)
        return vmdns_fail(err, VMDNS_ERR_UNSUPPORTED, "record type %u is not supported",
                          (unsigned)type);
    if (!text || !*text || strpbrk(text, "\n\r") || has_comment(text))
        return vmdns_fail(err, VMDNS_ERR_RDATA,
                          "%s: empty rdata, a newline, or a ';' outside quotes in it", mn);
    if (check_numbers(type, text, mn, err) < 0)
        return -1;

    ldns_rdf *org = ldns_dname_new_frm_str(origin && *origin ? origin : ".");
    if (!org)
        return vmdns_fail(err, VMDNS_ERR_NAME, "bad origin '%.100s'", origin);
    size_t ll = strlen(text) + 32;
    char *line = malloc(ll);
    if (!line) {
        ldns_rdf_deep_free(org);
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    }
    snprintf(line, ll, "x. 0 IN %s %s", mn, text);
    ldns_rr *rr = NULL;
    ldns_status st = ldns_rr_new_frm_str(&rr, line, 0, org, NULL);
    free(line);
    ldns_rdf_deep_free(org);
    if (st != LDNS_STATUS_OK || !rr) {
        return vmdns_fail(err, VMDNS_ERR_RDATA, "bad %s rdata '%.100s': %s", mn, text,
                          ldns_get_errorstr_by_id(st));
    }
    int rc = 0;
    ldns_buffer *buf = ldns_buffer_new(256);
    if (!buf) {
        rc = vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    } else if (ldns_rr_get_type(rr) != type || ldns_rr_rd_count(rr) == 0) {
        rc = vmdns_fail(err, VMDNS_ERR_RDATA, "bad %s rdata '%.100s'", mn, text);
    } else if (ldns_rr_rdata2buffer_wire(buf, rr) != LDNS_STATUS_OK) {
        rc = vmdns_fail(err, VMDNS_ERR_RDATA, "bad %s rdata '%.100s'", mn, text);
    } else if (ldns_buffer_position(buf) > cap) {
        rc = vmdns_fail(err, VMDNS_ERR_SPACE, "%s rdata longer than %zu bytes", mn, cap);
    } else {
        *len = ldns_buffer_position(buf);
        memcpy(out, ldns_buffer_begin(buf), *len);
        vmdns_error_t e;
        if (vmdns_rdata_check(type, out, *len, &e) < 0)
            rc = vmdns_fail(err, e.code, "%s rdata '%.100s': %s", mn, text, e.message);
    }
    ldns_buffer_free(buf);
    ldns_rr_free(rr);
    if (rc == 0)
        vmdns_ok(err);
    return rc;
}

int vmdns_rr_to_text(const char *owner, const vmdns_rr_t *rr, char *out, size_t cap)
{
    uint8_t owire[VMDNS_NAME_MAXWIRE];
    size_t nl, pos = 0;
    if (!rr || (rr->rdlen && !rr->rdata) || vmdns_name_to_wire(owner, owire, &nl, NULL) < 0 ||
        cap == 0)
        return -1;
    uint8_t *wire = malloc(nl + 10 + (size_t)rr->rdlen);
    if (!wire)
        return -1;
    memcpy(wire, owire, nl);
    size_t w = nl;
    codec_put16(wire + w, rr->type);
    codec_put16(wire + w + 2, 1); /* IN */
    codec_put32(wire + w + 4, rr->ttl);
    codec_put16(wire + w + 8, rr->rdlen);
    memcpy(wire + w + 10, rr->rdata, rr->rdlen);
    w += 10 + rr->rdlen;

    ldns_rr *lr = NULL;
    ldns_status st = ldns_wire2rr(&lr, wire, w, &pos, LDNS_SECTION_ANSWER);
    free(wire);
    if (st != LDNS_STATUS_OK || pos != w) {
        ldns_rr_free(lr);
        return -1;
    }
    char *s = ldns_rr2str(lr);
    ldns_rr_free(lr);
    if (!s)
        return -1;
    size_t sl = strlen(s);
    while (sl > 0 && (s[sl - 1] == '\n' || s[sl - 1] == ' '))
        sl--;
    /* ldns prints a CAA record with an empty value without its "", which
     * it then cannot read back: add it (found by fuzz_rdata_text). */
    const char *tail = rr->type == VMDNS_TYPE_CAA && rr->rdlen >= 2 &&
                               (size_t)rr->rdlen == 2 + (size_t)rr->rdata[1] &&
                               !(sl >= 2 && s[sl - 1] == '"' && s[sl - 2] == '"')
                           ? " \"\""
                           : "";
    int rc = -1;
    if (sl + strlen(tail) < cap) {
        memcpy(out, s, sl);
        strcpy(out + sl, tail);
        rc = (int)(sl + strlen(tail));
    }
    free(s);
    return rc;
}
