/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * codec.h - what the JSON reader, the JSON writer and the rdata checks of
 * the record codec share: the table of supported types (in the writer's
 * order) and small wire-reading helpers.
 */
#ifndef VMDNS_LIB_CODEC_H
#define VMDNS_LIB_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "vmdns/record.h"
#include "wire_name.h" /* vmdns_wire_name_len, vmdns_wire_soa_serial_off */

/* One supported type: its JSON key, its mnemonic, its number. */
typedef struct codec_type {
    const char *key;
    const char *mnemonic;
    uint16_t type;
} codec_type_t;

/* The supported types in the order the writer emits them. */
extern const codec_type_t vmdns_codec_types[];
extern const size_t vmdns_codec_ntypes;

/* Index of `type` in vmdns_codec_types, or -1 if unsupported. */
int vmdns_codec_type_index(uint16_t type);

/* True if s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int vmdns_codec_utf8_valid(const uint8_t *s, size_t len);

/* Big-endian readers/writers. */
static inline uint16_t codec_get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t codec_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void codec_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void codec_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
