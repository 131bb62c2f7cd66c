/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * name.c - domain names for the codec and the registrar: text <-> wire and
 * the validation rules a registrar applies before writing anything.
 *
 * vmdnsd has its own hot-path name code (src/dns/name.c); this one serves
 * the library and the record codec, which must not depend on the server.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "vmdns/record.h"

/* Append one byte to the label being built; -1 when a limit is hit. */
static int put_byte(uint8_t *out, size_t *w, size_t *ll, uint8_t b, const char *text,
                    vmdns_error_t *err)
{
    if (*ll == 63)
        return vmdns_fail(err, VMDNS_ERR_NAME, "label longer than 63 bytes in '%.100s'", text);
    if (*w >= VMDNS_NAME_MAXWIRE - 1)
        return vmdns_fail(err, VMDNS_ERR_NAME, "name longer than 255 bytes: '%.100s...'", text);
    out[(*w)++] = b;
    (*ll)++;
    return 0;
}

int vmdns_name_to_wire(const char *text, uint8_t out[VMDNS_NAME_MAXWIRE], size_t *len,
                       vmdns_error_t *err)
{
    if (!text || !*text)
        return vmdns_fail(err, VMDNS_ERR_NAME, "empty name");
    if (strcmp(text, ".") == 0) {
        out[0] = 0;
        *len = 1;
        return 0;
    }
    size_t ls = 0, w = 1, ll = 0; /* length byte of the open label, write pos, its length */
    for (const char *p = text; *p; p++) {
        if (*p == '.') {
            if (ll == 0)
                return vmdns_fail(err, VMDNS_ERR_NAME, "empty label in '%.200s'", text);
            out[ls] = (uint8_t)ll;
            ls = w++;
            ll = 0;
            continue;
        }
        uint8_t b = (uint8_t)*p;
        if (*p == '\\') {
            if (isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
                isdigit((unsigned char)p[3])) {
                int v = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
                if (v > 255)
                    return vmdns_fail(err, VMDNS_ERR_NAME, "bad escape in '%.200s'", text);
                b = (uint8_t)v;
                p += 3;
            } else if (p[1]) {
                b = (uint8_t)p[1];
                p++;
            } else {
                return vmdns_fail(err, VMDNS_ERR_NAME, "dangling '\\' in '%.200s'", text);
            }
        }
        if (put_byte(out, &w, &ll, b, text, err) < 0)
            return -1;
    }
    if (ll > 0) {
        out[ls] = (uint8_t)ll;
        out[w++] = 0;
    } else {
        out[ls] = 0; /* the text ended with a dot: the reserved byte is the root */
        w = ls + 1;
    }
    *len = w;
    return 0;
}

/* True for bytes that must be escaped in presentation form. */
static int needs_escape(uint8_t c)
{
    return c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' || c == '@' ||
           c == '$';
}

int vmdns_name_to_text(const uint8_t *wire, size_t len, char *out, size_t cap)
{
    size_t pos = 0, o = 0;
    if (len == 0 || len > VMDNS_NAME_MAXWIRE || cap == 0)
        return -1;
    while (pos < len && wire[pos] != 0) {
        uint8_t ll = wire[pos];
        if (ll > 63 || pos + 1 + ll >= len)
            return -1;
        for (size_t i = 0; i < ll; i++) {
            uint8_t c = wire[pos + 1 + i];
            char tmp[5];
            size_t tl;
            if (c <= 0x20 || c >= 0x7f) {
                snprintf(tmp, sizeof(tmp), "\\%03u", c);
                tl = 4;
            } else if (needs_escape(c)) {
                tmp[0] = '\\';
                tmp[1] = (char)c;
                tl = 2;
            } else {
                tmp[0] = (char)c;
                tl = 1;
            }
            if (o + tl + 1 >= cap)
                return -1;
            memcpy(out + o, tmp, tl);
            o += tl;
        }
        if (o + 2 > cap)
            return -1;
        out[o++] = '.';
        pos += 1 + ll;
    }
    if (pos + 1 != len)
        return -1; /* no root label, or bytes after it */
    if (o == 0) {
        if (cap < 2)
            return -1;
        out[o++] = '.';
    }
    out[o] = '\0';
    return (int)o;
}

/* Kinds of label a check accepts. */
enum { ALLOW_LDH = 0, ALLOW_SERVICE = 1, ALLOW_WILDCARD = 2 };

/* Check a name label by label against the LDH rule, optionally letting
 * labels start with '_' and the first label be '*'. */
static int check_labels(const char *name, int allow, vmdns_error_t *err)
{
    if (!name || !*name)
        return vmdns_fail(err, VMDNS_ERR_NAME, "empty name");
    if (strcmp(name, ".") == 0)
        return vmdns_fail(err, VMDNS_ERR_NAME, "the root is not a host name");
    size_t total = 1, nlabels = 0;
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t ll = dot ? (size_t)(dot - p) : strlen(p);
        if (ll == 0)
            return vmdns_fail(err, VMDNS_ERR_NAME, "empty label in '%.200s'", name);
        if (ll > 63)
            return vmdns_fail(err, VMDNS_ERR_NAME, "label '%.20s...' longer than 63 bytes", p);
        int wild = (allow & ALLOW_WILDCARD) && nlabels == 0 && ll == 1 && p[0] == '*';
        int service = (allow & ALLOW_SERVICE) && p[0] == '_';
        if (!wild) {
            for (size_t i = service ? 1 : 0; i < ll; i++) {
                char c = p[i];
                if (!(isalnum((unsigned char)c) || c == '-'))
                    return vmdns_fail(err, VMDNS_ERR_NAME,
                                      "bad character '%c' in label '%.*s' of '%.100s' "
                                      "(letters, digits and '-' only)",
                                      isprint((unsigned char)c) ? c : '?', (int)ll, p, name);
            }
            if (service && ll == 1)
                return vmdns_fail(err, VMDNS_ERR_NAME, "label '_' in '%.200s'", name);
            if (p[service ? 1 : 0] == '-' || p[ll - 1] == '-')
                return vmdns_fail(err, VMDNS_ERR_NAME,
                                  "label '%.*s' of '%.100s' starts or ends with '-'", (int)ll, p,
                                  name);
        }
        total += ll + 1;
        nlabels++;
        if (total > VMDNS_NAME_MAXWIRE)
            return vmdns_fail(err, VMDNS_ERR_NAME, "name longer than 255 bytes: '%.100s...'", name);
        if (!dot)
            break;
        p = dot + 1;
    }
    return 0;
}

int vmdns_hostname_check(const char *name, vmdns_error_t *err)
{
    return check_labels(name, ALLOW_LDH, err);
}

int vmdns_owner_name_check(const char *name, vmdns_error_t *err)
{
    return check_labels(name, ALLOW_SERVICE | ALLOW_WILDCARD, err);
}

int vmdns_name_canonical(const char *name, char *out, size_t cap, vmdns_error_t *err)
{
    uint8_t wire[VMDNS_NAME_MAXWIRE];
    size_t len;
    if (vmdns_name_to_wire(name, wire, &len, err) < 0)
        return -1;
    /* Length bytes are <= 63, below 'A' (65): lower-casing every byte is safe. */
    for (size_t i = 0; i < len; i++)
        if (wire[i] >= 'A' && wire[i] <= 'Z')
            wire[i] = (uint8_t)(wire[i] - 'A' + 'a');
    if (vmdns_name_to_text(wire, len, out, cap) < 0)
        return vmdns_fail(err, VMDNS_ERR_SPACE, "name '%.100s' too long for the buffer", name);
    return 0;
}
