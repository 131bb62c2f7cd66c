/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tsig.c - TSIG (RFC 8945) MACs over queries and responses (see tsig.h).
 *
 * What is signed is never copied: the HMAC is fed the header with the
 * fields TSIG changes (ID, ARCOUNT) rewritten in a 12-byte copy, then the
 * rest of the message in place, then the TSIG variables.
 */
#include "dns/tsig.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

/* The algorithms computed, by wire name (written out: a signed query's
 * algorithm is compared as it arrives, with no conversion per lookup). */
typedef struct tsig_alg {
    const char *wire; /* lower-case wire form; its NUL is the root label */
    size_t wire_len;
    const char *digest; /* OpenSSL's digest name */
    size_t size;
} tsig_alg_t;

#define TSIG_ALG(w, d, n)                                                                          \
    {                                                                                              \
        w, sizeof(w), d, n                                                                         \
    }
static const tsig_alg_t tsig_algs[] = {
    TSIG_ALG("\x08"
             "hmac-md5"
             "\x07"
             "sig-alg"
             "\x03"
             "reg"
             "\x03"
             "int",
             "MD5", 16),
    TSIG_ALG("\x09"
             "hmac-sha1",
             "SHA1", 20),
    TSIG_ALG("\x0b"
             "hmac-sha224",
             "SHA224", 28),
    TSIG_ALG("\x0b"
             "hmac-sha256",
             "SHA256", 32),
    TSIG_ALG("\x0b"
             "hmac-sha384",
             "SHA384", 48),
    TSIG_ALG("\x0b"
             "hmac-sha512",
             "SHA512", 64),
};
#define TSIG_NALGS (sizeof(tsig_algs) / sizeof(tsig_algs[0]))

/* The algorithm with this (lower-cased) wire name, or NULL. */
static const tsig_alg_t *alg_of_wire(const uint8_t *wire, size_t len)
{
    for (size_t i = 0; i < TSIG_NALGS; i++) {
        if (tsig_algs[i].wire_len == len && memcmp(tsig_algs[i].wire, wire, len) == 0) {
            return &tsig_algs[i];
        }
    }
    return NULL;
}

bool tsig_algorithm_from_text(const char *text, uint8_t out[NAME_MAX_WIRE], size_t *len)
{
    bool md5 = strcmp(text, "hmac-md5") == 0 || strcmp(text, "hmac-md5.") == 0;
    *len = name_from_text(md5 ? "hmac-md5.sig-alg.reg.int." : text, out);
    return *len > 0 && alg_of_wire(out, *len) != NULL;
}

bool tsig_secret_from_base64(const char *b64, tsig_key_t *key)
{
    size_t n = strlen(b64);
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > TSIG_MAX_SECRET) {
        return false;
    }
    int got = EVP_DecodeBlock(key->secret, (const unsigned char *)b64, (int)n);
    if (got < 0) {
        return false;
    }
    size_t pad = (b64[n - 1] == '=') + (n > 1 && b64[n - 2] == '=');
    key->secret_len = (size_t)got - pad;
    return key->secret_len > 0;
}

/* Lower-case copy of the wire name at p (len bytes). */
static void lower_copy(uint8_t *out, const uint8_t *p, size_t len)
{
    memcpy(out, p, len);
    name_lower(out, len);
}

const tsig_key_t *tsig_key_find(const tsig_keyring_t *ring, const wire_query_t *q)
{
    if (ring == NULL || !q->tsig.present) {
        return NULL;
    }
    uint8_t name[NAME_MAX_WIRE];
    lower_copy(name, q->pkt + q->tsig.key_off, q->tsig.key_len);
    for (size_t i = 0; i < ring->n; i++) {
        const tsig_key_t *k = &ring->keys[i];
        if (k->name_len == q->tsig.key_len && memcmp(k->name, name, k->name_len) == 0) {
            return k;
        }
    }
    return NULL;
}

static EVP_MAC *hmac_impl;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
    hmac_impl = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* An HMAC in progress. */
typedef struct hmac {
    EVP_MAC_CTX *ctx;
} hmac_t;

static bool hmac_begin(hmac_t *h, const tsig_key_t *key, const tsig_alg_t *alg)
{
    pthread_once(&hmac_once, hmac_fetch);
    h->ctx = hmac_impl ? EVP_MAC_CTX_new(hmac_impl) : NULL;
    if (h->ctx == NULL) {
        return false;
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)alg->digest, 0),
        OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(h->ctx, key->secret, key->secret_len, params) != 1) {
        EVP_MAC_CTX_free(h->ctx);
        h->ctx = NULL;
        return false;
    }
    return true;
}

static void hmac_add(hmac_t *h, const void *data, size_t len)
{
    if (h->ctx != NULL && len > 0) {
        (void)EVP_MAC_update(h->ctx, data, len);
    }
}

static void hmac_add_u16(hmac_t *h, uint16_t v)
{
    uint8_t b[2];
    wire_write_u16(b, v);
    hmac_add(h, b, 2);
}

static void hmac_add_time(hmac_t *h, uint64_t t)
{
    uint8_t b[6] = {(uint8_t)(t >> 40), (uint8_t)(t >> 32), (uint8_t)(t >> 24),
                    (uint8_t)(t >> 16), (uint8_t)(t >> 8),  (uint8_t)t};
    hmac_add(h, b, 6);
}

/* Finish into out (TSIG_MAX_MAC); returns the MAC length, 0 on failure. */
static size_t hmac_end(hmac_t *h, uint8_t *out)
{
    size_t n = 0;
    if (h->ctx == NULL || EVP_MAC_final(h->ctx, out, &n, TSIG_MAX_MAC) != 1) {
        n = 0;
    }
    EVP_MAC_CTX_free(h->ctx);
    h->ctx = NULL;
    return n;
}

/* Feed a message whose TSIG is not (or no longer) part of it: the header
 * with `id` and `arcount` rewritten, then the body. */
static void hmac_add_message(hmac_t *h, const uint8_t *msg, size_t len, uint16_t id,
                             uint16_t arcount)
{
    uint8_t head[WIRE_HEADER_SIZE];
    memcpy(head, msg, WIRE_HEADER_SIZE);
    wire_write_u16(head, id);
    wire_write_u16(head + 10, arcount);
    hmac_add(h, head, sizeof(head));
    hmac_add(h, msg + WIRE_HEADER_SIZE, len - WIRE_HEADER_SIZE);
}

/* Feed the TSIG variables (RFC 8945 4.3.3). */
static void hmac_add_variables(hmac_t *h, const uint8_t *key, size_t key_len, const uint8_t *alg,
                               size_t alg_len, uint64_t time_signed, uint16_t fudge, uint16_t error,
                               const uint8_t *other, uint16_t other_len)
{
    static const uint8_t class_ttl[6] = {0, 255, 0, 0, 0, 0}; /* ANY, TTL 0 */
    hmac_add(h, key, key_len);
    hmac_add(h, class_ttl, sizeof(class_ttl));
    hmac_add(h, alg, alg_len);
    hmac_add_time(h, time_signed);
    hmac_add_u16(h, fudge);
    hmac_add_u16(h, error);
    hmac_add_u16(h, other_len);
    hmac_add(h, other, other_len);
}

uint16_t tsig_verify_query(const tsig_keyring_t *ring, const wire_query_t *q, int64_t now,
                           tsig_state_t *st)
{
    const wire_tsig_t *t = &q->tsig;
    memset(st, 0, sizeof(*st));
    const tsig_key_t *key = tsig_key_find(ring, q);
    uint8_t alg[NAME_MAX_WIRE], name[NAME_MAX_WIRE];
    lower_copy(alg, q->pkt + t->alg_off, t->alg_len);
    lower_copy(name, q->pkt + t->key_off, t->key_len);
    const tsig_alg_t *a = alg_of_wire(alg, t->alg_len);
    if (key == NULL || a == NULL ||
        (key->alg_len > 0 && (key->alg_len != t->alg_len || memcmp(key->alg, alg, t->alg_len)))) {
        return st->error = TSIG_BADKEY;
    }
    /* A MAC may be truncated to half its size, not below 10 bytes (5.2.2.1). */
    size_t min = a->size / 2 > 10 ? a->size / 2 : 10;
    if (t->mac_len > a->size || t->mac_len < min) {
        return st->error = TSIG_BADSIG;
    }
    hmac_t h;
    if (!hmac_begin(&h, key, a)) {
        return st->error = TSIG_BADSIG;
    }
    hmac_add_message(&h, q->pkt, t->rr_off, t->orig_id, (uint16_t)(wire_read_u16(q->pkt + 10) - 1));
    hmac_add_variables(&h, name, t->key_len, alg, t->alg_len, t->time_signed, t->fudge, t->error,
                       q->pkt + t->other_off, t->other_len);
    uint8_t mac[TSIG_MAX_MAC];
    size_t n = hmac_end(&h, mac);
    /* constant time: the secret must not leak through timing */
    uint8_t diff = n == 0;
    for (size_t i = 0; i < t->mac_len && n > 0; i++) {
        diff |= (uint8_t)(mac[i] ^ q->pkt[t->mac_off + i]);
    }
    if (diff != 0) {
        return st->error = TSIG_BADSIG;
    }
    st->key = key;
    memcpy(st->alg, alg, t->alg_len);
    st->alg_len = t->alg_len;
    memcpy(st->mac, q->pkt + t->mac_off, t->mac_len);
    st->mac_len = t->mac_len;
    st->time_signed = t->time_signed;
    uint64_t lo = now > 0 ? (uint64_t)now : 0;
    if ((lo > t->time_signed ? lo - t->time_signed : t->time_signed - lo) > t->fudge) {
        st->error = TSIG_BADTIME;
        return TSIG_BADTIME;
    }
    return TSIG_OK;
}

#define TSIG_FUDGE 300

size_t tsig_sign(tsig_state_t *st, uint8_t *msg, size_t len, size_t cap, int64_t now)
{
    const tsig_alg_t *a = alg_of_wire(st->alg, st->alg_len);
    if (st->key == NULL || a == NULL || len < WIRE_HEADER_SIZE) {
        return 0;
    }
    uint64_t when = now > 0 ? (uint64_t)now : 0;
    uint8_t other[6];
    uint16_t other_len = 0;
    if (st->error == TSIG_BADTIME) { /* the server's time (RFC 8945 5.2.3) */
        other_len = 6;
        when = st->time_signed;
        uint64_t t = now > 0 ? (uint64_t)now : 0;
        for (int i = 0; i < 6; i++) {
            other[i] = (uint8_t)(t >> (40 - 8 * i));
        }
    }
    size_t rd = st->alg_len + 10 + a->size + 6 + other_len;
    size_t need = st->key->name_len + 10 + rd;
    if (len + need > cap || len + need > 65535) {
        return 0;
    }
    uint16_t id = wire_read_u16(msg), arcount = wire_read_u16(msg + 10);
    hmac_t h;
    if (!hmac_begin(&h, st->key, a)) {
        return 0;
    }
    hmac_add_u16(&h, (uint16_t)st->mac_len);
    hmac_add(&h, st->mac, st->mac_len);
    hmac_add_message(&h, msg, len, id, arcount);
    if (!st->signed_one) {
        hmac_add_variables(&h, st->key->name, st->key->name_len, st->alg, st->alg_len, when,
                           TSIG_FUDGE, st->error, other, other_len);
    } else { /* a later message of the same response: the timers only */
        hmac_add_time(&h, when);
        hmac_add_u16(&h, TSIG_FUDGE);
    }
    uint8_t mac[TSIG_MAX_MAC];
    size_t n = hmac_end(&h, mac);
    if (n != a->size) {
        return 0;
    }
    uint8_t *p = msg + len;
    memcpy(p, st->key->name, st->key->name_len);
    p += st->key->name_len;
    wire_write_u16(p, WIRE_TYPE_TSIG);
    wire_write_u16(p + 2, 255);
    wire_write_u32(p + 4, 0);
    wire_write_u16(p + 8, (uint16_t)rd);
    p += 10;
    memcpy(p, st->alg, st->alg_len);
    p += st->alg_len;
    for (int i = 0; i < 6; i++) {
        p[i] = (uint8_t)(when >> (40 - 8 * i));
    }
    wire_write_u16(p + 6, TSIG_FUDGE);
    wire_write_u16(p + 8, (uint16_t)n);
    memcpy(p + 10, mac, n);
    p += 10 + n;
    wire_write_u16(p, id);
    wire_write_u16(p + 2, st->error);
    wire_write_u16(p + 4, other_len);
    memcpy(p + 6, other, other_len);
    wire_write_u16(msg + 10, (uint16_t)(arcount + 1));
    memcpy(st->mac, mac, n);
    st->mac_len = n;
    st->signed_one = true;
    return len + need;
}

size_t tsig_append_error(const wire_query_t *q, uint16_t error, uint8_t *msg, size_t len,
                         size_t cap)
{
    const wire_tsig_t *t = &q->tsig;
    size_t rd = t->alg_len + 10 + 6;
    size_t need = t->key_len + 10 + rd;
    if (!t->present || len < WIRE_HEADER_SIZE || len + need > cap) {
        return 0;
    }
    uint8_t *p = msg + len;
    memcpy(p, q->pkt + t->key_off, t->key_len);
    p += t->key_len;
    wire_write_u16(p, WIRE_TYPE_TSIG);
    wire_write_u16(p + 2, 255);
    wire_write_u32(p + 4, 0);
    wire_write_u16(p + 8, (uint16_t)rd);
    p += 10;
    memcpy(p, q->pkt + t->alg_off, t->alg_len);
    p += t->alg_len;
    memcpy(p, q->pkt + t->mac_off - 10, 8); /* the request's time signed and fudge */
    wire_write_u16(p + 8, 0);               /* MAC size 0: unsigned */
    p += 10;
    wire_write_u16(p, t->orig_id);
    wire_write_u16(p + 2, error);
    wire_write_u16(p + 4, 0);
    wire_write_u16(msg + 10, (uint16_t)(wire_read_u16(msg + 10) + 1));
    return len + need;
}
