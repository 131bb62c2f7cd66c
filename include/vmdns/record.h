/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmdns/record.h - the record codec shared by vmdnsd and libvmdns.
 *
 * A zone lives in Redis as one hash; each field (an owner name relative to
 * the zone) holds a JSON object in the CoreDNS `redis` plugin schema:
 *
 *   {"a":[{"ip":"10.1.2.3","ttl":30}], "aaaa":[{"ip":"fd00::3","ttl":30}],
 *    "cname":[{"host":"x.example.com.","ttl":30}], "ns":[{"host":...}],
 *    "ptr":[{"host":...}], "txt":[{"text":"hello","ttl":30}],
 *    "mx":[{"host":"mx.example.com.","preference":10,"ttl":30}],
 *    "srv":[{"target":"t.example.com.","port":22,"priority":0,"weight":0,"ttl":30}],
 *    "caa":[{"flag":0,"tag":"issue","value":"letsencrypt.org","ttl":30}],
 *    "soa":{"ttl":300,"ns":"ns1.example.com.","mbox":"hostmaster.example.com.",
 *           "refresh":3600,"retry":600,"expire":86400,"minttl":30},
 *    "expires":1700000000}
 *
 * The server reads these values (vmdns_record_parse_json), the registrar
 * writes them (vmdns_record_to_json); both directions live here so that what
 * one writes the other reads back identically. Rules of the reader:
 *
 *  - JSON keys (type keys and field keys) are matched case-insensitively.
 *  - A record without "ttl" (or with "ttl": null) gets `default_ttl`
 *    (VMDNS_DEFAULT_TTL = 300 is what vmdnsd and the CoreDNS plugin use).
 *    An explicit "ttl": 0 means 0. TTLs above 2^31-1 are bad (RFC 2181).
 *  - Missing numeric fields (preference, port, priority, weight, flag and
 *    the SOA timers) are 0, like the Go plugins' zero values; a missing
 *    string field (ip, host, target, text, tag, value, ns, mbox) is bad.
 *  - Names are absolute; "example.com" and "example.com." are the same name.
 *    "\DDD" and "\X" escapes are understood. Letter case is kept in rdata.
 *  - A type value may be an array of records or a single record object.
 *  - "expires" (vmdns lease): integer unix seconds; absent or 0 = no lease.
 *  - TXT "text" longer than 255 bytes is split into 255-byte strings.
 *  - A bad record is skipped: a bad address, a bad or too long name, a
 *    field of the wrong JSON type, an unsupported type key, a duplicate
 *    record, a CNAME beside other data (the CNAMEs are dropped, the other
 *    data kept) or a second CNAME. Skips are counted, the first reason kept.
 *
 * The returned records are grouped by type in the writer's order:
 * a, aaaa, cname, ns, txt, mx, srv, ptr, caa, soa.
 *
 * Thread safety: every function here is reentrant (no shared state).
 */
#ifndef VMDNS_RECORD_H
#define VMDNS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmdns/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VMDNS_DEFAULT_TTL  300        /* TTL of a stored record without "ttl" */
#define VMDNS_MAX_TTL      2147483647 /* RFC 2181 section 8 */
#define VMDNS_NAME_MAXWIRE 255        /* longest wire name, root label included */
#define VMDNS_NAME_MAXTEXT 1024       /* enough for any name in text, escapes included */

/* The record types the schema can hold. */
enum {
    VMDNS_TYPE_A = 1,
    VMDNS_TYPE_NS = 2,
    VMDNS_TYPE_CNAME = 5,
    VMDNS_TYPE_SOA = 6,
    VMDNS_TYPE_PTR = 12,
    VMDNS_TYPE_MX = 15,
    VMDNS_TYPE_TXT = 16,
    VMDNS_TYPE_AAAA = 28,
    VMDNS_TYPE_SRV = 33,
    VMDNS_TYPE_CAA = 257,
};

/* One record of class IN; rdata is uncompressed wire form. */
typedef struct vmdns_rr {
    uint16_t type;
    uint32_t ttl;
    uint16_t rdlen;
    uint8_t *rdata;
} vmdns_rr_t;

/* The records of one field value. `rrs` and all rdata are one allocation,
 * owned by the list (vmdns_rrlist_free). */
typedef struct vmdns_rrlist {
    vmdns_rr_t *rrs;
    size_t n;
    int64_t expires;       /* unix seconds; 0 = no lease */
    size_t skipped;        /* bad records left out */
    char first_error[256]; /* why the first one was left out ("" if none) */
} vmdns_rrlist_t;

/* Parse one field value (`len` bytes, need not be NUL-terminated) into
 * `out` (overwritten; free with vmdns_rrlist_free even on success with
 * n == 0). Bad records are skipped and counted (see above). Returns 0, or -1
 * with err (VMDNS_ERR_JSON) if the value is not JSON or not an object; out
 * is then empty. */
VMDNS_API int vmdns_record_parse_json(const char *json, size_t len, uint32_t default_ttl,
                                      vmdns_rrlist_t *out, vmdns_error_t *err);

/* vmdns_record_parse_json for a value of the zone `zone` (text, e.g.
 * "example.com."; NULL: none): "@" in a name field is the zone and a name
 * of one label without a final dot ("mail") is relative to it, as the
 * rverst redis plugin's data writes it. Other names are absolute with or
 * without the final dot (the arvancloud plugin's reading). */
VMDNS_API int vmdns_record_parse_json_zone(const char *json, size_t len, uint32_t default_ttl,
                                           const char *zone, vmdns_rrlist_t *out,
                                           vmdns_error_t *err);

/* Free what vmdns_record_parse_json put in `l` and empty it. */
VMDNS_API void vmdns_rrlist_free(vmdns_rrlist_t *l);

/* Encode records (of one owner) as the schema's JSON, compact, keys in the
 * writer's order, "ttl" always written, "expires" written iff non-zero.
 * Fails (NULL, err) on an unsupported type, malformed rdata, more than one
 * SOA, or data the schema cannot represent (a TXT record split into
 * character-strings other than at 255 bytes, text that is not UTF-8).
 * The result is NUL-terminated; free it with free(). */
VMDNS_API char *vmdns_record_to_json(const vmdns_rr_t *rrs, size_t n, int64_t expires,
                                     vmdns_error_t *err);

/* Check that rdata is well-formed for `type` and representable in the
 * schema. Returns 0 or -1 with err. */
VMDNS_API int vmdns_rdata_check(uint16_t type, const uint8_t *rdata, size_t len,
                                vmdns_error_t *err);

/* Parse presentation-format rdata ("10 mx.example.com.") with ldns into
 * wire form in out[cap]; names without a final dot are relative to `origin`
 * (NULL = the root, i.e. absolute). The result is also checked with
 * vmdns_rdata_check. Returns 0 and sets *len, or -1 with err. */
VMDNS_API int vmdns_rdata_from_text(uint16_t type, const char *text, const char *origin,
                                    uint8_t *out, size_t cap, size_t *len, vmdns_error_t *err);

/* Render one record as a zone-file line without newline
 * ("vm-1.vm.example.com.\t30\tIN\tA\t10.1.2.3"). Returns the text length,
 * or -1 if the owner or rdata is bad or cap is too small. */
VMDNS_API int vmdns_rr_to_text(const char *owner, const vmdns_rr_t *rr, char *out, size_t cap);

/* The mnemonic of a supported type ("MX"), or NULL. */
VMDNS_API const char *vmdns_type_name(uint16_t type);

/* The supported type with this mnemonic (any case), or 0. */
VMDNS_API uint16_t vmdns_type_from_name(const char *name);

/* --- names ------------------------------------------------------------- */

/* Text ("vm-1.Example.com", final dot optional, escapes allowed) to
 * uncompressed wire form, letter case kept. "." is the root. Rejects empty
 * names and labels, labels over 63 bytes, names over 255 bytes. */
VMDNS_API int vmdns_name_to_wire(const char *text, uint8_t out[VMDNS_NAME_MAXWIRE], size_t *len,
                                 vmdns_error_t *err);

/* Wire form to text with the final dot, escaping what needs it. Returns the
 * text length, or -1 if the wire name is bad or cap is too small. */
VMDNS_API int vmdns_name_to_text(const uint8_t *wire, size_t len, char *out, size_t cap);

/* A host name: LDH labels (letters, digits, '-' not first or last), 1..63
 * bytes each, 255 in wire form, final dot optional, not the root.
 * Returns 0 or -1 with err (VMDNS_ERR_NAME) saying which label is wrong. */
VMDNS_API int vmdns_hostname_check(const char *name, vmdns_error_t *err);

/* An owner name for arbitrary records: as a host name, but labels may also
 * start with '_' (service labels like _ssh._tcp) and the first label may be
 * '*' (a wildcard). Returns 0 or -1 with err (VMDNS_ERR_NAME). */
VMDNS_API int vmdns_owner_name_check(const char *name, vmdns_error_t *err);

/* Normalise a name to lower case with a final dot into out[cap]
 * (at least VMDNS_NAME_MAXTEXT for any name). 0 or -1 with err. */
VMDNS_API int vmdns_name_canonical(const char *name, char *out, size_t cap, vmdns_error_t *err);

#ifdef __cplusplus
}
#endif

#endif
