/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * name.h - domain names in wire form.
 *
 * Everything inside vmdnsd keys on lower-cased, uncompressed wire names
 * ("\x02vm\x07example\x03com\x00"). Lower-casing once at the edge (query
 * parse, record load) makes every later comparison a memcmp and every hash
 * stable. These helpers never allocate; they are used on the hot path.
 */
#ifndef VMDNS_DNS_NAME_H
#define VMDNS_DNS_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NAME_MAX_WIRE   255 /* RFC 1035 2.3.4, including the root label */
#define NAME_MAX_LABEL  63
#define NAME_MAX_LABELS 128

/* Lower-case the ASCII letters of a wire name in place. */
void name_lower(uint8_t *wire, size_t len);

/* Parse presentation form ("vm-1.Example.com." or relative-free "a.b") into
 * lower-cased wire form. A missing final dot is accepted (treated as absolute).
 * Handles \DDD and \X escapes. Returns the wire length, or 0 on error.
 * (vmdns_name_to_wire, lower-cased.) */
size_t name_from_text(const char *text, uint8_t out[NAME_MAX_WIRE]);

/* Render a wire name as text with the trailing dot ("." for the root),
 * escaping as zone files do (\. \\ \" \( \) \; \@ \$ and \DDD).
 * Returns the text length, or 0 if cap is too small or the name is bad.
 * (vmdns_name_to_text.) */
size_t name_to_text(const uint8_t *wire, size_t len, char *out, size_t cap);

/* Fill offs[i] with the offset of label i (0 = leftmost); returns the label
 * count, not counting the root. The name must be valid wire form. */
unsigned name_label_offsets(const uint8_t *wire, size_t len, uint8_t offs[NAME_MAX_LABELS]);

/* Number of labels (root not counted). */
unsigned name_label_count(const uint8_t *wire, size_t len);

/* True if `name` equals `parent` or lies below it (both lower-cased wire). */
bool name_is_below_or_equal(const uint8_t *name, size_t len, const uint8_t *parent, size_t plen);

/* Validate uncompressed wire form: label lengths, total length, root end. */
bool name_is_valid_wire(const uint8_t *wire, size_t len);

/* 64-bit hash of a lower-cased wire name (same input -> same hash). */
uint64_t name_hash(const uint8_t *wire, size_t len);

#endif
