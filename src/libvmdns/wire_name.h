/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wire_name.h - walk uncompressed wire-form names inside RDATA.
 *
 * The record codec (libvmdns) checks and renders names in RDATA, and the
 * server (answer.c, the view, the file and redis plugins) finds the names
 * of NS/CNAME/MX/SRV/SOA records and the SOA serial behind them. Both walk
 * the same labels the same way, so there is one walker, here. It is
 * header-only (static inline): vmdnsd and libvmdns compile the same lines
 * and neither library exports a symbol for it. Nothing here allocates; the
 * server calls it on the hot path.
 */
#ifndef VMDNS_LIB_WIRE_NAME_H
#define VMDNS_LIB_WIRE_NAME_H

#include <stddef.h>
#include <stdint.h>

#define VMDNS_WIRE_NAME_MAX  255 /* RFC 1035 2.3.4, root label included */
#define VMDNS_WIRE_LABEL_MAX 63

/* Length of the uncompressed wire name at buf[off..len), root label
 * included, or 0 if there is none: a label over 63 bytes (or a compression
 * pointer), a name over 255 bytes, or one that runs past len. */
static inline size_t vmdns_wire_name_len(const uint8_t *buf, size_t off, size_t len)
{
    size_t pos = off;
    while (pos < len) {
        uint8_t ll = buf[pos];
        if (ll == 0) {
            size_t n = pos + 1 - off;
            return n <= VMDNS_WIRE_NAME_MAX ? n : 0;
        }
        if (ll > VMDNS_WIRE_LABEL_MAX)
            return 0;
        pos += 1 + (size_t)ll;
    }
    return 0;
}

/* Offset of the SERIAL field in an SOA RDATA of len bytes (after MNAME and
 * RNAME), or 0 if a name is malformed or fewer than the 20 bytes of
 * SERIAL..MINIMUM follow. */
static inline size_t vmdns_wire_soa_serial_off(const uint8_t *rdata, size_t len)
{
    size_t m = vmdns_wire_name_len(rdata, 0, len);
    size_t r = m ? vmdns_wire_name_len(rdata, m, len) : 0;
    return r && m + r + 20 <= len ? m + r : 0;
}

#endif
