/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tsig.h - TSIG (RFC 8945): verify a signed query, sign its response(s).
 *
 * Secondaries (knotd, nsd, BIND) sign their SOA queries and zone transfers
 * with a shared key; the server checks the MAC and signs what it sends
 * back, every message of an AXFR included. A query signed with a key the
 * server does not have gets NOTAUTH with an unsigned TSIG saying BADKEY
 * (RFC 8945 5.2), never an unsigned answer.
 *
 * The HMAC is OpenSSL's (libcrypto, EVP_MAC). It allocates a little per
 * message, which is why only signed messages (rare: a secondary's SOA
 * checks and transfers) ever reach it.
 */
#ifndef VMDNS_DNS_TSIG_H
#define VMDNS_DNS_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/name.h"
#include "dns/wire.h"

#define TSIG_MAX_MAC    64 /* SHA-512 */
#define TSIG_MAX_SECRET 256

/* TSIG error codes (RFC 8945 4.3 / the RCODE registry). */
enum { TSIG_OK = 0, TSIG_BADSIG = 16, TSIG_BADKEY = 17, TSIG_BADTIME = 18, TSIG_BADTRUNC = 22 };

#define WIRE_RCODE_NOTAUTH 9

/* One shared secret. */
typedef struct tsig_key {
    uint8_t name[NAME_MAX_WIRE]; /* lower-cased wire */
    size_t name_len;
    uint8_t alg[NAME_MAX_WIRE]; /* the algorithm it is restricted to; alg_len 0: any */
    size_t alg_len;
    uint8_t secret[TSIG_MAX_SECRET];
    size_t secret_len;
} tsig_key_t;

/* The keys a server knows. */
typedef struct tsig_keyring {
    const tsig_key_t *keys;
    size_t n;
} tsig_keyring_t;

/* What a verified query leaves for signing its response(s). */
typedef struct tsig_state {
    const tsig_key_t *key; /* NULL: not verified (nothing to sign with) */
    uint8_t alg[NAME_MAX_WIRE];
    size_t alg_len;
    uint8_t mac[TSIG_MAX_MAC]; /* the request's MAC, then the last one sent */
    size_t mac_len;
    uint16_t error;       /* the check's result: BADTIME is signed (key set),
                           * BADKEY/BADSIG get an unsigned TSIG (key NULL) */
    uint64_t time_signed; /* the request's (for BADTIME's Other Data) */
    bool signed_one;      /* a response message was signed already */
} tsig_state_t;

/* Parse "hmac-sha256" / "hmac-sha256." etc. into wire form; true if it is
 * one of the algorithms this server computes. */
bool tsig_algorithm_from_text(const char *text, uint8_t out[NAME_MAX_WIRE], size_t *len);

/* Decode a base64 secret into key->secret; false if it is not base64 or
 * too long. */
bool tsig_secret_from_base64(const char *b64, tsig_key_t *key);

/* The key named like the query's TSIG, or NULL. */
const tsig_key_t *tsig_key_find(const tsig_keyring_t *ring, const wire_query_t *q);

/* Check the TSIG of q (q->tsig.present) against ring at time now: returns
 * TSIG_OK and fills st (st->key set), or TSIG_BADKEY / TSIG_BADSIG /
 * TSIG_BADTIME (st->key set for BADTIME only: that error is signed). */
uint16_t tsig_verify_query(const tsig_keyring_t *ring, const wire_query_t *q, int64_t now,
                           tsig_state_t *st);

/* Append a TSIG RR signing msg[0..len) (a complete response, ARCOUNT not
 * counting the TSIG yet) into msg (cap bytes): the first message covers
 * the request MAC and every TSIG variable, later ones (a zone transfer's)
 * the previous MAC and the timers (RFC 8945 5.3.1). Returns the new length,
 * or 0 if it does not fit or the HMAC failed. */
size_t tsig_sign(tsig_state_t *st, uint8_t *msg, size_t len, size_t cap, int64_t now);

/* Append to the response msg[0..len) (NOTAUTH) the unsigned TSIG RR of a
 * query whose TSIG failed with `error` (BADKEY, BADSIG): the query's key
 * and algorithm, its time, MAC size 0, the error (RFC 8945 5.2.1, 5.2.2);
 * ARCOUNT grows by one. Returns the new length, or 0 if it does not fit. */
size_t tsig_append_error(const wire_query_t *q, uint16_t error, uint8_t *msg, size_t len,
                         size_t cap);

#endif
