/*
 * name.c - wire-form domain name helpers (see name.h).
 *
 * Hot-path functions (lower-casing, hashing, suffix tests) are written for
 * short names and touch each byte once. Text conversion is for config,
 * logs and tests.
 */
#include "dns/name.h"

#include <string.h>

void name_lower(uint8_t *wire, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = wire[i];
        if (c >= 'A' && c <= 'Z')
            wire[i] = (uint8_t)(c + 32);
    }
}

static uint8_t lower_byte(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

size_t name_from_text(const char *text, uint8_t out[NAME_MAX_WIRE])
{
    size_t pos = 0;
    const char *p = text;
    if (p[0] == '.' && p[1] == '\0') {
        out[0] = 0;
        return 1;
    }
    if (*p == '\0')
        return 0;
    while (*p) {
        size_t label_start = pos++;
        size_t label_len = 0;
        if (*p == '.')
            return 0; /* empty label */
        while (*p && *p != '.') {
            uint8_t c;
            if (*p == '\\') {
                p++;
                if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
                    p[2] <= '9') {
                    int v = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
                    if (v > 255)
                        return 0;
                    c = (uint8_t)v;
                    p += 3;
                } else if (*p) {
                    c = (uint8_t)*p++;
                } else {
                    return 0;
                }
            } else {
                c = (uint8_t)*p++;
            }
            if (++label_len > NAME_MAX_LABEL || pos >= NAME_MAX_WIRE - 1)
                return 0;
            out[pos++] = lower_byte(c);
        }
        out[label_start] = (uint8_t)label_len;
        if (*p == '.')
            p++;
    }
    if (pos >= NAME_MAX_WIRE)
        return 0;
    out[pos++] = 0;
    return pos;
}

size_t name_to_text(const uint8_t *wire, size_t len, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    if (cap < 2 || len == 0)
        return 0;
    if (wire[0] == 0) {
        out[0] = '.';
        out[1] = '\0';
        return 1;
    }
    while (i < len && wire[i] != 0) {
        uint8_t l = wire[i++];
        if (l > NAME_MAX_LABEL || i + l > len)
            return 0;
        for (uint8_t k = 0; k < l; k++) {
            uint8_t c = wire[i + k];
            char buf[5];
            size_t n;
            if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')') {
                buf[0] = '\\';
                buf[1] = (char)c;
                n = 2;
            } else if (c <= 0x20 || c >= 0x7f) {
                buf[0] = '\\';
                buf[1] = (char)('0' + c / 100);
                buf[2] = (char)('0' + (c / 10) % 10);
                buf[3] = (char)('0' + c % 10);
                n = 4;
            } else {
                buf[0] = (char)c;
                n = 1;
            }
            if (o + n + 2 > cap)
                return 0;
            memcpy(out + o, buf, n);
            o += n;
        }
        i += l;
        out[o++] = '.';
    }
    out[o] = '\0';
    return o;
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
    size_t i = 0;
    if (len == 0 || len > NAME_MAX_WIRE)
        return false;
    while (i < len) {
        uint8_t l = wire[i];
        if (l == 0)
            return i + 1 == len;
        if (l > NAME_MAX_LABEL)
            return false;
        i += (size_t)l + 1;
    }
    return false;
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
