/*
 * redis_names.c - zone keys, fields and patterns (see redis_names.h).
 *
 * Names are parsed with the server's own text-to-wire parser
 * (name_from_text), which lower-cases and understands \DDD escapes, so a
 * name means the same thing here as in a zone file.
 */
#include "redis/redis_names.h"

#include <stdbool.h>
#include <string.h>

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
    size_t plen = strlen(prefix), slen = strlen(suffix);
    if (key_len < plen + slen + 1 || memcmp(key, prefix, plen) != 0 ||
        memcmp(key + key_len - slen, suffix, slen) != 0) {
        return 0;
    }
    const char *name = key + plen;
    size_t len = key_len - plen - slen;
    if (name[len - 1] != '.') {
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
    size_t plen = strlen(prefix), slen = strlen(suffix);
    if (plen >= cap) {
        return 0;
    }
    memcpy(out, prefix, plen);
    size_t n = name_to_text(apex, apex_len, out + plen, cap - plen);
    if (n == 0 || plen + n + slen >= cap) {
        return 0;
    }
    memcpy(out + plen + n, suffix, slen);
    out[plen + n + slen] = '\0';
    return plen + n + slen;
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

/* Append s with the glob metacharacters escaped. */
static bool glob_append(const char *s, char *out, size_t cap, size_t *pos)
{
    for (; *s != '\0'; s++) {
        bool meta = strchr("*?[]\\", *s) != NULL;
        if (*pos + 1 + meta >= cap) {
            return false;
        }
        if (meta) {
            out[(*pos)++] = '\\';
        }
        out[(*pos)++] = *s;
    }
    return true;
}

size_t redis_scan_pattern(const char *prefix, const char *suffix, char *out, size_t cap)
{
    size_t pos = 0;
    if (!glob_append(prefix, out, cap, &pos) || pos + 2 >= cap) {
        return 0;
    }
    out[pos++] = '*';
    out[pos++] = '.';
    if (!glob_append(suffix, out, cap, &pos)) {
        return 0;
    }
    out[pos] = '\0';
    return pos;
}

size_t redis_stream_key(const char *prefix, const char *suffix, char *out, size_t cap)
{
    size_t plen = strlen(prefix), slen = strlen(suffix);
    static const char mid[] = "vmdns:changes";
    size_t total = plen + sizeof(mid) - 1 + slen;
    if (total >= cap) {
        return 0;
    }
    memcpy(out, prefix, plen);
    memcpy(out + plen, mid, sizeof(mid) - 1);
    memcpy(out + plen + sizeof(mid) - 1, suffix, slen);
    out[total] = '\0';
    return total;
}
