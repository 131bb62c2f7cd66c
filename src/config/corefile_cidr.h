/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * corefile_cidr.h - a zone written in CIDR notation (`10.0.0.0/8 { ... }`,
 * `file db.rev 192.168.1.0/24`), as CoreDNS accepts it, as its reverse
 * zone (`10.in-addr.arpa.`).
 */
#ifndef VMDNS_CONFIG_COREFILE_CIDR_H
#define VMDNS_CONFIG_COREFILE_CIDR_H

#include <stddef.h>

/* If text is ADDR/LEN, write its reverse zone ("...in-addr.arpa." or
 * "...ip6.arpa.", lower case, final dot) to out and return 1; 0 if text
 * has no '/'; -1 with a reason in why when it is not a prefix vmdnsd can
 * name with one zone (the length must be a multiple of 8 for IPv4, of 4
 * for IPv6; host bits are ignored, as CoreDNS masks them). */
int cf_cidr_zone(const char *text, char *out, size_t cap, char *why, size_t whylen);

#endif
