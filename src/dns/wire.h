/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wire.h - the query parser of the hot path.
 *
 * Parses the 12-byte header, the single question and an optional EDNS0 OPT
 * record by hand (no ldns, no allocation) into a wire_query_t on the
 * caller's stack, deciding on the way whether the packet is dropped,
 * answered with FORMERR/NOTIMP, or passed on to be answered.
 */
#ifndef VMDNS_DNS_WIRE_H
#define VMDNS_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/name.h"

#define WIRE_HEADER_SIZE 12
#define WIRE_MAX_UDP     65535
#define WIRE_MIN_UDP     512

/* Record types and classes vmdns knows by name. */
enum {
    WIRE_TYPE_A = 1,
    WIRE_TYPE_NS = 2,
    WIRE_TYPE_CNAME = 5,
    WIRE_TYPE_SOA = 6,
    WIRE_TYPE_PTR = 12,
    WIRE_TYPE_HINFO = 13,
    WIRE_TYPE_MX = 15,
    WIRE_TYPE_TXT = 16,
    WIRE_TYPE_AAAA = 28,
    WIRE_TYPE_SRV = 33,
    WIRE_TYPE_DNAME = 39,
    WIRE_TYPE_OPT = 41,
    WIRE_TYPE_DS = 43,
    WIRE_TYPE_IXFR = 251,
    WIRE_TYPE_AXFR = 252,
    WIRE_TYPE_MAILB = 253,
    WIRE_TYPE_MAILA = 254,
    WIRE_TYPE_ANY = 255,
    WIRE_TYPE_CAA = 257,
    WIRE_TYPE_TSIG = 250,
};
#define WIRE_CLASS_IN  1
#define WIRE_CLASS_ANY 255

/* Response codes (the low 4 bits; BADVERS is extended, via OPT). */
enum {
    WIRE_RCODE_NOERROR = 0,
    WIRE_RCODE_FORMERR = 1,
    WIRE_RCODE_SERVFAIL = 2,
    WIRE_RCODE_NXDOMAIN = 3,
    WIRE_RCODE_NOTIMP = 4,
    WIRE_RCODE_REFUSED = 5,
    WIRE_RCODE_BADVERS = 16,
};

/* Header flag bits in the second 16-bit word. */
#define WIRE_FLAG_QR       0x8000
#define WIRE_FLAG_AA       0x0400
#define WIRE_FLAG_TC       0x0200
#define WIRE_FLAG_RD       0x0100
#define WIRE_FLAG_RA       0x0080
#define WIRE_FLAG_AD       0x0020
#define WIRE_FLAG_CD       0x0010
#define WIRE_OPCODE(flags) (((flags) >> 11) & 0xF)
#define WIRE_OPCODE_QUERY  0

/* What to do with a packet after parsing. */
typedef enum {
    WIRE_ANSWER,  /* well-formed query: answer it */
    WIRE_DROP,    /* shorter than a header, or QR=1: send nothing */
    WIRE_FORMERR, /* reply FORMERR (question echoed only if has_question) */
    WIRE_NOTIMP,  /* opcode other than QUERY */
} wire_verdict_t;

/* The TSIG record of a query (RFC 8945 4.2), pointing into the packet. */
typedef struct wire_tsig {
    bool present;
    uint16_t rr_off;  /* where the TSIG RR starts (the signed part ends) */
    uint16_t key_off; /* the key name (owner), uncompressed wire */
    uint8_t key_len;
    uint16_t alg_off; /* the algorithm name, uncompressed wire */
    uint8_t alg_len;
    uint64_t time_signed; /* 48-bit seconds */
    uint16_t fudge;
    uint16_t mac_off;
    uint16_t mac_len;
    uint16_t orig_id;
    uint16_t error;
    uint16_t other_off;
    uint16_t other_len;
} wire_tsig_t;

/* A parsed query. Lives on the worker's stack; points into the packet. */
typedef struct wire_query {
    const uint8_t *pkt; /* the packet as received */
    size_t len;         /* its length */
    uint16_t id;        /* header ID */
    uint16_t flags;     /* header flags word as received */
    bool has_question;  /* question parsed (qname..qclass valid) */
    uint16_t qtype;
    uint16_t qclass;
    uint8_t qname[NAME_MAX_WIRE];       /* lower-cased wire form */
    uint8_t qname_len;                  /* bytes, including the root label */
    uint8_t qname_labels;               /* labels, root not counted */
    uint8_t label_off[NAME_MAX_LABELS]; /* offset of each label in qname */
    size_t question_end;                /* offset in pkt just after QCLASS */
    bool has_edns;                      /* an OPT record was present */
    uint8_t edns_version;
    bool edns_do;      /* DO bit */
    uint16_t edns_udp; /* client's advertised payload size */
    /* The OPT's options: pkt[edns_opt_off .. +edns_opt_len), well formed
     * (see wire_edns_option_next); 0/0 without EDNS. */
    uint16_t edns_opt_off;
    uint16_t edns_opt_len;
    /* RFC 7873 COOKIE, checked: the 8-byte client cookie, then (when
     * cookie_len > 8) the 8..32-byte server cookie; NULL if absent. A COOKIE
     * of any other length makes the query FORMERR. Points into pkt. */
    const uint8_t *cookie;
    uint8_t cookie_len;
    /* RFC 8945 TSIG: the last record of the additional section, checked
     * for form (names uncompressed, RDATA fields tiling it); tsig.present
     * false if absent. A TSIG anywhere else, or malformed, is FORMERR. */
    wire_tsig_t tsig;
} wire_query_t;

#define WIRE_EDNS_COOKIE       10 /* option code */
#define WIRE_COOKIE_CLIENT     8  /* client cookie length */
#define WIRE_COOKIE_SERVER_MIN 8  /* server cookie length bounds */
#define WIRE_COOKIE_SERVER_MAX 32

/* Parse a query packet. Always fills q->id/flags when len >= 12. */
wire_verdict_t wire_parse_query(const uint8_t *pkt, size_t len, wire_query_t *q);

/* Skip the possibly compressed name at pkt[*pos] (a record owner, not the
 * question): checks only that it is well formed enough to find its end,
 * and moves *pos past it. False if it is cut short or malformed. */
bool wire_skip_name(const uint8_t *pkt, size_t len, size_t *pos);

/* Iterate over the EDNS options of a parsed query: start with *pos = 0;
 * each call gives the next option's code and data (pointing into the
 * packet) and returns true, false after the last one. */
bool wire_edns_option_next(const wire_query_t *q, size_t *pos, uint16_t *code, const uint8_t **data,
                           uint16_t *len);

/* The first EDNS option with this code: true and its data, or false. */
bool wire_edns_option_find(const wire_query_t *q, uint16_t code, const uint8_t **data,
                           uint16_t *len);

static inline uint16_t wire_read_u16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t wire_read_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void wire_write_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void wire_write_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
