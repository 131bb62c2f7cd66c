/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * name.c - wire-form domain name helpers (see name.h).
 *
 * Hot-path functions (lower-casing, hashing, suffix tests) are written for
 * short names and touch each byte once. Text conversion is for config,
 * logs and tests; it is libvmdns's (vmdns_name_to_wire/_to_text, the one
 * text<->wire converter, which the registrar and the record codec use
 * too), with the server's lower-casing on top. Walking labels is
 * libvmdns/wire_name.h's, the one walker shared with the codec.
 */
#include "dns/name.h"

#include <string.h>

#include "libvmdns/wire_name.h"
#include "vmdns/record.h"

void name_lower(uint8_t *wire, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = wire[i];
        if (c >= 'A' && c <= 'Z')
            wire[i] = (uint8_t)(c + 32);
    }
}

size_t name_from_text(const char *text, uint8_t out[NAME_MAX_WIRE])
{
    size_t len;
    if (vmdns_name_to_wire(text, out, &len, NULL) != 0)
        return 0;
    name_lower(out, len);
    return len;
}

size_t name_to_text(const uint8_t *wire, size_t len, char *out, size_t cap)
{
    int n = vmdns_name_to_text(wire, len, out, cap);
    return n < 0 ? 0 : (size_t)n;
}

unsigned name_label_offsets(const uint8_t *wire, size_t len, uint8_t offs[NAME_MAX_LABELS])
{
    unsigned n = 0;
    size_t i = 0;
    while (i < len && wire[i] != 0 && n < NAME_MAX_LABELS) {
        offs[n++] = (uint8_t)i;
        i += (size_t)wire[i] + 1;
    }
    return n;
}

unsigned name_label_count(const uint8_t *wire, size_t len)
{
    unsigned n = 0;
    size_t i = 0;
    while (i < len && wire[i] != 0) {
        n++;
        i += (size_t)wire[i] + 1;
    }
    return n;
}

bool name_is_below_or_equal(const uint8_t *name, size_t len, const uint8_t *parent, size_t plen)
{
    if (plen > len)
        return false;
    size_t target = len - plen;
    size_t i = 0;
    /* Walk label starts until we reach the suffix offset exactly. */
    while (i < target) {
        if (name[i] == 0)
            return false;
        i += (size_t)name[i] + 1;
    }
    return i == target && memcmp(name + i, parent, plen) == 0;
}

bool name_is_valid_wire(const uint8_t *wire, size_t len)
{
    return len > 0 && vmdns_wire_name_len(wire, 0, len) == len;
}

uint64_t name_hash(const uint8_t *wire, size_t len)
{
    /* Multiply-xorshift over 8-byte words; good spread for short names. */
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, wire + i, 8);
        h ^= w;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint64_t tail = 0;
    for (size_t k = 0; i < len; i++, k++)
        tail |= (uint64_t)wire[i] << (8 * k);
    h ^= tail;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 32;
    return h;
}
