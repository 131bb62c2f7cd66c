/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * corefile_cidr.c - CIDR notation to a reverse zone (corefile_cidr.h).
 *
 * Apart from corefile.c so the arithmetic has a file (and a unit test) of
 * its own. CoreDNS splits a prefix that does not end on a label (an
 * IPv4 /17) into the zones it covers; vmdnsd serves one zone per key, so
 * such a prefix is refused with a message saying how to write it.
 */
#include "config/corefile_cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cf_cidr_zone(const char *text, char *out, size_t cap, char *why, size_t whylen)
{
    const char *slash = strchr(text, '/');
    if (slash == NULL) {
        return 0;
    }
    char addr[INET6_ADDRSTRLEN];
    size_t alen = (size_t)(slash - text);
    char *end;
    unsigned long len = strtoul(slash + 1, &end, 10);
    if (alen == 0 || alen >= sizeof(addr) || slash[1] < '0' || slash[1] > '9' || *end != '\0') {
        snprintf(why, whylen, "'%s': not a zone name nor a CIDR prefix", text);
        return -1;
    }
    memcpy(addr, text, alen);
    addr[alen] = '\0';
    unsigned char b[16];
    size_t off = 0;
    int n;
    if (inet_pton(AF_INET, addr, b) == 1) {
        if (len > 32 || len % 8 != 0) {
            snprintf(why, whylen,
                     "'%s': an IPv4 prefix length must be 0, 8, 16, 24 or 32 to name one reverse "
                     "zone (list the in-addr.arpa zones it covers instead)",
                     text);
            return -1;
        }
        out[0] = '\0';
        for (size_t i = len / 8; i > 0; i--) {
            n = snprintf(out + off, cap - off, "%u.", (unsigned)b[i - 1]);
            off += n < 0 ? 0 : (size_t)n;
        }
        n = snprintf(out + off, cap - off, "in-addr.arpa.");
    } else if (inet_pton(AF_INET6, addr, b) == 1) {
        if (len > 128 || len % 4 != 0) {
            snprintf(why, whylen,
                     "'%s': an IPv6 prefix length must be a multiple of 4 to name one reverse "
                     "zone (list the ip6.arpa zones it covers instead)",
                     text);
            return -1;
        }
        out[0] = '\0';
        for (size_t i = len / 4; i > 0; i--) {
            unsigned nib = (i - 1) % 2 == 0 ? b[(i - 1) / 2] >> 4 : b[(i - 1) / 2] & 15;
            n = snprintf(out + off, cap - off, "%x.", nib);
            off += n < 0 ? 0 : (size_t)n;
        }
        n = snprintf(out + off, cap - off, "ip6.arpa.");
    } else {
        snprintf(why, whylen, "'%s': '%s' is not an IP address", text, addr);
        return -1;
    }
    if (n < 0 || off + (size_t)n >= cap) {
        snprintf(why, whylen, "'%s': reverse zone name too long", text);
        return -1;
    }
    return 1;
}
