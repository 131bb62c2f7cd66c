/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_names.h - how zones and owner names are spelled in Redis.
 *
 * A zone is one hash whose key is prefix + zone FQDN (trailing dot) +
 * suffix; each field is an owner name relative to the zone ("@" for the
 * apex, "vm-abc", "_ssh._tcp.vm-abc", "*"). The layout (keys, the change
 * stream, the SCAN pattern, stream entries) is common/redis_schema.h, the
 * one copy shared with the registrar; these helpers turn keys and fields
 * into lower-cased wire names and back.
 */
#ifndef VMDNS_REDIS_NAMES_H
#define VMDNS_REDIS_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "dns/name.h"

/* The zone apex (lower-cased wire) named by a key, or 0 if the key is not
 * prefix + "<name>." + suffix. */
size_t redis_key_to_apex(const char *key, size_t key_len, const char *prefix, const char *suffix,
                         uint8_t apex[NAME_MAX_WIRE]);

/* The key of a zone: prefix + apex text (with the final dot) + suffix.
 * Returns its length, or 0 if cap is too small. */
size_t redis_zone_key(const char *prefix, const uint8_t *apex, size_t apex_len, const char *suffix,
                      char *out, size_t cap);

/* The owner (lower-cased wire) of a hash field in the zone `apex`: "@" is
 * the apex, "a.b" is a.b.<apex>, and a name with a final dot is taken as
 * absolute (it must then lie in the zone). Returns the wire length, or 0
 * if the field is not a name in this zone (empty label, too long...). */
size_t redis_field_to_owner(const char *field, size_t len, const uint8_t *apex, size_t apex_len,
                            uint8_t owner[NAME_MAX_WIRE]);

/* A zone name as given in a stream entry ("vm.example.com." or without the
 * final dot) to lower-cased wire. Returns the length or 0. */
size_t redis_zone_from_text(const char *text, size_t len, uint8_t apex[NAME_MAX_WIRE]);

#endif
