/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * opt.h - the one writer of EDNS(0) OPT records (RFC 6891).
 *
 * Every response that carries an OPT gets it from opt_write(): the core's
 * answers and errors (answer.c), plugins that answer themselves (`any`),
 * and respond-stage plugins that add an option (a server COOKIE). One
 * writer keeps the rules of DESIGN.md "Answering" in one place: the OPT is
 * the last record of the message, its owner is the root, the extended
 * rcode goes into its TTL field, DO is echoed, and only the options the
 * caller lists are written (unknown options of the query are never
 * echoed). Nothing here allocates.
 */
#ifndef VMDNS_DNS_OPT_H
#define VMDNS_DNS_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPT_RR_HEADER 11 /* root owner, type, class, ttl, rdlength */

/* EDNS option codes vmdns knows by name. */
enum {
    OPT_CODE_NSID = 3,
    OPT_CODE_CLIENT_SUBNET = 8,
    OPT_CODE_COOKIE = 10,
    OPT_CODE_TCP_KEEPALIVE = 11,
    OPT_CODE_PADDING = 12,
    OPT_CODE_EDE = 15,
};

/* One option to write: code, length, data (not copied until written). */
typedef struct opt_option {
    uint16_t code;
    uint16_t len;
    const uint8_t *data;
} opt_option_t;

/* What the OPT record says. */
typedef struct opt_record {
    uint16_t udp_size; /* our payload size (CLASS field) */
    uint16_t rcode;    /* the full rcode: bits 4..11 go into the OPT */
    uint8_t version;   /* EDNS version (0) */
    bool do_bit;       /* DNSSEC OK, echoed from the query */
    const opt_option_t *options;
    size_t noptions;
} opt_record_t;

/* Bytes the OPT record takes. */
size_t opt_size(const opt_record_t *opt);

/* Append the OPT record to the message msg[0..len) (header included) and
 * add one to its ARCOUNT. Returns the new length, or 0 (message unchanged)
 * if it does not fit in cap. */
size_t opt_write(uint8_t *msg, size_t len, size_t cap, const opt_record_t *opt);

/* The offset of the OPT record when it is the last record of the message
 * msg[0..len) (as every writer here puts it), or 0 if the message has no
 * OPT there or is malformed. Walks the records: for plugins, not the hot
 * path. */
size_t opt_find(const uint8_t *msg, size_t len);

/* Append one option to the OPT record that ends the message msg[0..*len)
 * and starts at opt_off (from opt_find; e.g. a server cookie added by a
 * respond hook). Returns false (message unchanged) if it does not fit in
 * cap or if there is no OPT at opt_off. */
bool opt_add_option(uint8_t *msg, size_t *len, size_t cap, size_t opt_off, uint16_t code,
                    const uint8_t *data, uint16_t data_len);

#endif
