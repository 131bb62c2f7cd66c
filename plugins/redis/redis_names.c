/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_names.c - zone keys, fields and patterns (see redis_names.h).
 *
 * Names are parsed with the server's own text-to-wire parser
 * (name_from_text), which lower-cases and understands \DDD escapes, so a
 * name means the same thing here as in a zone file. The key layout itself
 * is common/redis_schema.h, shared with the registrar.
 */
#include "redis/redis_names.h"

#include <stdbool.h>
#include <string.h>

#include "common/redis_schema.h"

/* Parse len bytes of name text (not NUL-terminated) to wire. */
static size_t text_to_wire(const char *text, size_t len, uint8_t out[NAME_MAX_WIRE])
{
    char buf[NAME_MAX_WIRE * 4 + 2];
    if (len == 0 || len >= sizeof(buf) || memchr(text, '\0', len) != NULL) {
        return 0;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    return name_from_text(buf, out);
}

size_t redis_key_to_apex(const char *key, size_t key_len, const char *prefix, const char *suffix,
                         uint8_t apex[NAME_MAX_WIRE])
{
    const char *name;
    size_t len = vmdns_schema_key_zone(key, key_len, prefix, suffix, &name);
    if (len == 0) {
        return 0;
    }
    if (len == 1) { /* the root zone */
        apex[0] = 0;
        return 1;
    }
    return text_to_wire(name, len, apex);
}

size_t redis_zone_key(const char *prefix, const uint8_t *apex, size_t apex_len, const char *suffix,
                      char *out, size_t cap)
{
    char zone[NAME_MAX_WIRE * 4 + 2];
    size_t n = name_to_text(apex, apex_len, zone, sizeof(zone));
    return n == 0 ? 0 : vmdns_schema_zone_key(prefix, zone, n, suffix, out, cap);
}

size_t redis_field_to_owner(const char *field, size_t len, const uint8_t *apex, size_t apex_len,
                            uint8_t owner[NAME_MAX_WIRE])
{
    if (len == 1 && field[0] == '@') {
        memcpy(owner, apex, apex_len);
        return apex_len;
    }
    uint8_t rel[NAME_MAX_WIRE];
    size_t rlen = text_to_wire(field, len, rel);
    if (rlen <= 1) { /* bad, or the root "." */
        return 0;
    }
    bool absolute = field[len - 1] == '.' && !(len >= 2 && field[len - 2] == '\\');
    if (absolute) {
        if (!name_is_below_or_equal(rel, rlen, apex, apex_len)) {
            return 0;
        }
        memcpy(owner, rel, rlen);
        return rlen;
    }
    size_t total = rlen - 1 + apex_len; /* drop rel's root label */
    if (total > NAME_MAX_WIRE) {
        return 0;
    }
    memcpy(owner, rel, rlen - 1);
    memcpy(owner + rlen - 1, apex, apex_len);
    return total;
}

size_t redis_zone_from_text(const char *text, size_t len, uint8_t apex[NAME_MAX_WIRE])
{
    if (len == 1 && text[0] == '.') {
        apex[0] = 0;
        return 1;
    }
    return text_to_wire(text, len, apex);
}
