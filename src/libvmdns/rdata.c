/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rdata.c - the table of supported types and the check that a record's
 * wire rdata is well-formed and representable in the JSON schema.
 *
 * The writer refuses what the reader could not give back identically, so
 * this check is where "round trip" is enforced: TXT character-strings must
 * split where the reader would split them (every 255 bytes), and text must
 * be UTF-8 because JSON strings are.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "common/err.h"

const codec_type_t vmdns_codec_types[] = {
    {"a", "A", VMDNS_TYPE_A},
    {"aaaa", "AAAA", VMDNS_TYPE_AAAA},
    {"cname", "CNAME", VMDNS_TYPE_CNAME},
    {"ns", "NS", VMDNS_TYPE_NS},
    {"txt", "TXT", VMDNS_TYPE_TXT},
    {"mx", "MX", VMDNS_TYPE_MX},
    {"srv", "SRV", VMDNS_TYPE_SRV},
    {"ptr", "PTR", VMDNS_TYPE_PTR},
    {"caa", "CAA", VMDNS_TYPE_CAA},
    {"soa", "SOA", VMDNS_TYPE_SOA},
};
const size_t vmdns_codec_ntypes = sizeof(vmdns_codec_types) / sizeof(vmdns_codec_types[0]);

int vmdns_codec_type_index(uint16_t type)
{
    for (size_t i = 0; i < vmdns_codec_ntypes; i++)
        if (vmdns_codec_types[i].type == type)
            return (int)i;
    return -1;
}

const char *vmdns_type_name(uint16_t type)
{
    int i = vmdns_codec_type_index(type);
    return i < 0 ? NULL : vmdns_codec_types[i].mnemonic;
}

uint16_t vmdns_type_from_name(const char *name)
{
    for (size_t i = 0; name && i < vmdns_codec_ntypes; i++)
        if (strcasecmp(vmdns_codec_types[i].mnemonic, name) == 0)
            return vmdns_codec_types[i].type;
    return 0;
}

int vmdns_codec_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + n >= len)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n + 1;
    }
    return 1;
}

/* rdata[off..len) must be exactly one name. */
static int check_name_tail(const uint8_t *rdata, size_t off, size_t len, const char *what,
                           vmdns_error_t *err)
{
    size_t nl = vmdns_wire_name_len(rdata, off, len);
    if (nl == 0 || off + nl != len)
        return vmdns_fail(err, VMDNS_ERR_RDATA, "%s: malformed name in rdata", what);
    return 0;
}

static int check_txt(const uint8_t *rdata, size_t len, vmdns_error_t *err)
{
    size_t pos = 0, k = 0;
    if (len == 0)
        return vmdns_fail(err, VMDNS_ERR_RDATA, "TXT: empty rdata");
    while (pos < len) {
        size_t sl = rdata[pos];
        if (pos + 1 + sl > len)
            return vmdns_fail(err, VMDNS_ERR_RDATA, "TXT: character-string runs past rdata");
        if (pos + 1 + sl < len && sl != 255)
            return vmdns_fail(err, VMDNS_ERR_UNSUPPORTED,
                              "TXT with several character-strings cannot be stored in the "
                              "schema's one \"text\"; give one quoted string");
        if (k > 0 && sl == 0)
            return vmdns_fail(err, VMDNS_ERR_UNSUPPORTED,
                              "TXT: empty trailing character-string cannot be stored");
        pos += 1 + sl;
        k++;
    }
    /* UTF-8 is checked on the joined text, not per character-string: the
     * reader splits every 255 bytes, which may fall inside a multi-byte
     * character (found by fuzz_record_json). */
    uint8_t *text = malloc(len);
    if (!text)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    size_t tl = 0;
    for (pos = 0; pos < len; pos += 1 + (size_t)rdata[pos]) {
        memcpy(text + tl, rdata + pos + 1, rdata[pos]);
        tl += rdata[pos];
    }
    int ok = vmdns_codec_utf8_valid(text, tl);
    free(text);
    if (!ok)
        return vmdns_fail(err, VMDNS_ERR_UNSUPPORTED, "TXT: text is not UTF-8");
    return 0;
}

static int check_caa(const uint8_t *rdata, size_t len, vmdns_error_t *err)
{
    if (len < 2)
        return vmdns_fail(err, VMDNS_ERR_RDATA, "CAA: rdata too short");
    size_t tl = rdata[1];
    if (tl < 1 || tl > 15 || 2 + tl > len)
        return vmdns_fail(err, VMDNS_ERR_RDATA, "CAA: tag length must be 1..15");
    for (size_t i = 0; i < tl; i++)
        if (!isalnum(rdata[2 + i]))
            return vmdns_fail(err, VMDNS_ERR_RDATA, "CAA: tag must be letters and digits");
    if (!vmdns_codec_utf8_valid(rdata + 2 + tl, len - 2 - tl))
        return vmdns_fail(err, VMDNS_ERR_UNSUPPORTED, "CAA: value is not UTF-8");
    return 0;
}

int vmdns_rdata_check(uint16_t type, const uint8_t *rdata, size_t len, vmdns_error_t *err)
{
    if (len > 65535)
        return vmdns_fail(err, VMDNS_ERR_RDATA, "rdata longer than 65535 bytes");
    switch (type) {
    case VMDNS_TYPE_A:
        if (len != 4)
            return vmdns_fail(err, VMDNS_ERR_RDATA, "A: rdata must be 4 bytes");
        return 0;
    case VMDNS_TYPE_AAAA:
        if (len != 16)
            return vmdns_fail(err, VMDNS_ERR_RDATA, "AAAA: rdata must be 16 bytes");
        return 0;
    case VMDNS_TYPE_CNAME:
    case VMDNS_TYPE_NS:
    case VMDNS_TYPE_PTR:
        return check_name_tail(rdata, 0, len, vmdns_type_name(type), err);
    case VMDNS_TYPE_MX:
        if (len < 3)
            return vmdns_fail(err, VMDNS_ERR_RDATA, "MX: rdata too short");
        return check_name_tail(rdata, 2, len, "MX", err);
    case VMDNS_TYPE_SRV:
        if (len < 7)
            return vmdns_fail(err, VMDNS_ERR_RDATA, "SRV: rdata too short");
        return check_name_tail(rdata, 6, len, "SRV", err);
    case VMDNS_TYPE_SOA: {
        size_t serial = vmdns_wire_soa_serial_off(rdata, len);
        if (serial == 0 || serial + 20 != len)
            return vmdns_fail(err, VMDNS_ERR_RDATA, "SOA: malformed rdata");
        return 0;
    }
    case VMDNS_TYPE_TXT:
        return check_txt(rdata, len, err);
    case VMDNS_TYPE_CAA:
        return check_caa(rdata, len, err);
    default:
        return vmdns_fail(err, VMDNS_ERR_UNSUPPORTED, "record type %u is not supported",
                          (unsigned)type);
    }
}
