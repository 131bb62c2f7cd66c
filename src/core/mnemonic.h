/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mnemonic.h - the text names of record types, classes and rcodes.
 *
 * The query log, the metrics and the error log print "AAAA", "IN",
 * "NXDOMAIN" exactly as CoreDNS (miekg/dns) does. These lookups are plain
 * switches: no allocation, no ldns, safe on the hot path.
 */
#ifndef VMDNS_CORE_MNEMONIC_H
#define VMDNS_CORE_MNEMONIC_H

#include <stdint.h>

/* Room for "TYPE65535", "CLASS65535" and the like. */
#define MNEMONIC_BUF 16

/* Type mnemonic ("A", "HTTPS"), or "TYPEnnn" written into buf (RFC 3597). */
const char *mnemonic_type(uint16_t type, char buf[MNEMONIC_BUF]);

/* Class mnemonic ("IN", "CH", "HS", "NONE", "ANY"), or "CLASSnnn" in buf. */
const char *mnemonic_class(uint16_t qclass, char buf[MNEMONIC_BUF]);

/* Rcode name ("NOERROR", "NXDOMAIN", "BADVERS"...), or NULL if unknown. */
const char *mnemonic_rcode(unsigned rcode);

#endif
