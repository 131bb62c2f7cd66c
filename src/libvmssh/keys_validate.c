/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keys_validate.c - the checks every SSH public key from GitHub passes
 * before it may reach a VM's authorized_keys, and the GitHub login check
 * done before any URL is built. Pure functions: no I/O, no allocation, so
 * they are unit-tested with ssh-keygen's keys and fuzzed (tests/fuzz).
 *
 * A key line is "TYPE BASE64 [COMMENT]". It is accepted only when TYPE is
 * one of the allowed types, BASE64 is strict base64 that decodes, the blob
 * is well formed for that type (the type string inside it equals TYPE, the
 * curve matches, lengths are exact, nothing trails) and an ssh-rsa modulus
 * has at least 2048 bits. Control characters anywhere refuse the line: a
 * newline would let a key smuggle a second line (with options) into
 * authorized_keys.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "vmssh_int.h"

/* OpenSSH refuses RSA moduli above 16384 bits; a blob of that is ~2.1 KiB. */
#define KEY_B64_MAX  8192
#define KEY_BLOB_MAX (KEY_B64_MAX / 4 * 3)
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 16384

typedef enum { K_ED25519, K_ECDSA, K_SK_ED25519, K_SK_ECDSA, K_RSA } key_kind_t;

static const struct {
    const char *type;
    key_kind_t kind;
    const char *curve; /* ECDSA: the curve name inside the blob */
    size_t point_len;  /* ECDSA: uncompressed point length */
} key_types[] = {
    {"ssh-ed25519", K_ED25519, NULL, 0},
    {"ecdsa-sha2-nistp256", K_ECDSA, "nistp256", 65},
    {"ecdsa-sha2-nistp384", K_ECDSA, "nistp384", 97},
    {"ecdsa-sha2-nistp521", K_ECDSA, "nistp521", 133},
    {"sk-ssh-ed25519@openssh.com", K_SK_ED25519, NULL, 0},
    {"sk-ecdsa-sha2-nistp256@openssh.com", K_SK_ECDSA, "nistp256", 65},
    {"ssh-rsa", K_RSA, NULL, 0},
};

const char *vmssh_key_strerror(vmssh_key_status_t st)
{
    switch (st) {
    case VMSSH_KEY_OK:
        return "valid";
    case VMSSH_KEY_EMPTY:
        return "empty line";
    case VMSSH_KEY_BAD_FORMAT:
        return "not a 'TYPE BASE64' line (or control characters in it)";
    case VMSSH_KEY_BAD_TYPE:
        return "key type not allowed";
    case VMSSH_KEY_BAD_BASE64:
        return "key data is not valid base64";
    case VMSSH_KEY_BAD_BLOB:
        return "key data is malformed for its type";
    case VMSSH_KEY_TYPE_MISMATCH:
        return "type inside the key data differs from the type given";
    case VMSSH_KEY_RSA_TOO_SHORT:
        return "RSA key shorter than 2048 bits";
    }
    return "unknown key problem";
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Strict base64 (length a multiple of 4, '=' only as final padding, unused
 * bits zero). Returns the decoded length, or -1. */
static long b64_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    if (len == 0 || len % 4 != 0)
        return -1;
    size_t pad = 0;
    if (in[len - 1] == '=')
        pad = (in[len - 2] == '=') ? 2 : 1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        bool last = i + 4 == len;
        for (int j = 0; j < 4; j++) {
            if (last && j >= 4 - (int)pad) {
                v[j] = 0;
                continue;
            }
            v[j] = b64_value((unsigned char)in[i + (size_t)j]);
            if (v[j] < 0)
                return -1;
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        size_t n = last ? 3 - pad : 3;
        if (last && pad == 2 && (v[1] & 0x0f))
            return -1; /* non-zero unused bits: not canonical */
        if (last && pad == 1 && (v[2] & 0x03))
            return -1;
        if (o + n > cap)
            return -1;
        for (size_t k = 0; k < n; k++)
            out[o++] = (unsigned char)(w >> (16 - 8 * k));
    }
    return (long)o;
}

/* An SSH wire-format reader over the decoded blob. */
typedef struct {
    const unsigned char *p;
    size_t left;
} blob_t;

/* Next length-prefixed string; 0 or -1 (truncated). */
static int blob_string(blob_t *b, const unsigned char **s, size_t *n)
{
    if (b->left < 4)
        return -1;
    uint32_t len =
        (uint32_t)b->p[0] << 24 | (uint32_t)b->p[1] << 16 | (uint32_t)b->p[2] << 8 | b->p[3];
    if (len > b->left - 4)
        return -1;
    *s = b->p + 4;
    *n = len;
    b->p += 4 + (size_t)len;
    b->left -= 4 + (size_t)len;
    return 0;
}

static bool str_is(const unsigned char *s, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(s, want, n) == 0;
}

/* A positive mpint in canonical form; *bits = its bit length. */
static int blob_mpint(blob_t *b, unsigned *bits)
{
    const unsigned char *s;
    size_t n;
    if (blob_string(b, &s, &n) < 0 || n == 0 || (s[0] & 0x80))
        return -1; /* empty (zero) or negative */
    if (s[0] == 0) {
        if (n == 1 || !(s[1] & 0x80))
            return -1; /* a leading zero only where the sign needs it */
        s++;
        n--;
    }
    if (n > RSA_MAX_BITS / 8 + 1)
        return -1;
    unsigned top = 0;
    for (unsigned char c = s[0]; c; c >>= 1)
        top++;
    *bits = (unsigned)(n - 1) * 8 + top;
    return 0;
}

static vmssh_key_status_t check_blob(const unsigned char *data, size_t len, size_t t,
                                     unsigned *bits)
{
    blob_t b = {data, len};
    const unsigned char *s;
    size_t n;
    if (blob_string(&b, &s, &n) < 0)
        return VMSSH_KEY_BAD_BLOB;
    if (!str_is(s, n, key_types[t].type))
        return VMSSH_KEY_TYPE_MISMATCH;
    *bits = 0;
    switch (key_types[t].kind) {
    case K_ED25519:
    case K_SK_ED25519:
        if (blob_string(&b, &s, &n) < 0 || n != 32)
            return VMSSH_KEY_BAD_BLOB;
        *bits = 256;
        break;
    case K_ECDSA:
    case K_SK_ECDSA:
        if (blob_string(&b, &s, &n) < 0)
            return VMSSH_KEY_BAD_BLOB;
        if (!str_is(s, n, key_types[t].curve))
            return VMSSH_KEY_TYPE_MISMATCH;
        if (blob_string(&b, &s, &n) < 0 || n != key_types[t].point_len || s[0] != 0x04)
            return VMSSH_KEY_BAD_BLOB;
        *bits = (unsigned)(key_types[t].point_len - 1) / 2 * 8;
        if (*bits == 528)
            *bits = 521;
        break;
    case K_RSA: {
        unsigned ebits, nbits;
        if (blob_mpint(&b, &ebits) < 0 || ebits > 64 || blob_mpint(&b, &nbits) < 0)
            return VMSSH_KEY_BAD_BLOB;
        if (b.left != 0)
            return VMSSH_KEY_BAD_BLOB;
        *bits = nbits;
        return nbits < RSA_MIN_BITS ? VMSSH_KEY_RSA_TOO_SHORT : VMSSH_KEY_OK;
    }
    }
    if (key_types[t].kind == K_SK_ED25519 || key_types[t].kind == K_SK_ECDSA) {
        /* The FIDO application, "ssh:" by default; any non-empty text. */
        if (blob_string(&b, &s, &n) < 0 || n == 0)
            return VMSSH_KEY_BAD_BLOB;
    }
    return b.left == 0 ? VMSSH_KEY_OK : VMSSH_KEY_BAD_BLOB;
}

vmssh_key_status_t vmssh_key_parse(const char *line, size_t len, vmssh_key_t *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return VMSSH_KEY_BAD_FORMAT;
    }
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    while (len > i && (line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    if (i == len)
        return VMSSH_KEY_EMPTY;
    size_t type_at = i;
    while (i < len && line[i] != ' ' && line[i] != '\t')
        i++;
    size_t type_len = i - type_at;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    size_t b64_at = i;
    while (i < len && line[i] != ' ' && line[i] != '\t')
        i++;
    size_t b64_len = i - b64_at;
    /* What follows (a comment) is not kept: the writer puts its own. */
    size_t t = 0, nt = sizeof key_types / sizeof key_types[0];
    while (t < nt && !(type_len == strlen(key_types[t].type) &&
                       memcmp(line + type_at, key_types[t].type, type_len) == 0))
        t++;
    if (t == nt) {
        /* An allowed type in second place: options before the key, which
         * only the config may give. */
        for (size_t k = 0; k < nt; k++) {
            if (b64_len == strlen(key_types[k].type) &&
                memcmp(line + b64_at, key_types[k].type, b64_len) == 0)
                return VMSSH_KEY_BAD_FORMAT;
        }
        /* A known-looking word of printable characters is a refused type;
         * anything else (options, one word) is not a key line at all. */
        for (size_t k = type_at; k < type_at + type_len; k++) {
            char c = line[k];
            if (!isalnum((unsigned char)c) && c != '-' && c != '@' && c != '.' && c != '_')
                return VMSSH_KEY_BAD_FORMAT;
        }
        return b64_len ? VMSSH_KEY_BAD_TYPE : VMSSH_KEY_BAD_FORMAT;
    }
    if (b64_len == 0)
        return VMSSH_KEY_BAD_FORMAT;
    if (b64_len > KEY_B64_MAX)
        return VMSSH_KEY_BAD_BASE64;
    unsigned char blob[KEY_BLOB_MAX];
    long n = b64_decode(line + b64_at, b64_len, blob, sizeof blob);
    if (n < 0)
        return VMSSH_KEY_BAD_BASE64;
    unsigned bits = 0;
    vmssh_key_status_t st = check_blob(blob, (size_t)n, t, &bits);
    out->type = key_types[t].type;
    out->b64 = line + b64_at;
    out->b64_len = b64_len;
    out->bits = bits;
    return st;
}

int vmssh_valid_github_login(const char *s)
{
    if (!s || !*s || *s == '-')
        return 0;
    size_t n = 0;
    for (const char *p = s; *p; p++, n++) {
        if (*p == '-') {
            if (p[1] == '-' || p[1] == '\0')
                return 0;
        } else if ((unsigned char)*p > 0x7f || !isalnum((unsigned char)*p)) {
            return 0;
        }
    }
    return n <= 39;
}
