/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cookie.h - DNS server cookies (RFC 7873) in the interoperable format of
 * RFC 9018, made and checked with SipHash-2-4.
 *
 * A server cookie is 16 bytes: Version (1), Reserved (3), Timestamp (4,
 * unix seconds, big-endian) and Hash (8), the SipHash-2-4 under the
 * server's 16-byte secret of
 *     Client Cookie | Version | Reserved | Timestamp | Client-IP
 * (the client's address: 4 bytes for IPv4, 16 for IPv6). Pure functions:
 * the secret and the time are the caller's; nothing here allocates or
 * keeps state, so workers call it on the hot path.
 */
#ifndef VMDNS_DNS_COOKIE_H
#define VMDNS_DNS_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/siphash.h"

#define COOKIE_CLIENT_SIZE 8
#define COOKIE_SERVER_SIZE 16 /* RFC 9018 version 1 */
#define COOKIE_SECRET_SIZE SIPHASH_KEY_SIZE
#define COOKIE_VERSION     1
#define COOKIE_LIFETIME    3600 /* RFC 9018 4.3: older cookies are not valid */
#define COOKIE_SKEW        300  /* ... nor those more than 5 minutes ahead */
#define COOKIE_RENEW       1800 /* a valid cookie older than this gets a new one */
#define COOKIE_IP_MAX      16

/* The client address bytes that go into the hash: 4 for IPv4 (also an
 * IPv4-mapped IPv6 address), 16 for IPv6. Returns the length, 0 for
 * another family. */
size_t cookie_client_ip(const struct sockaddr *sa, socklen_t len, uint8_t out[COOKIE_IP_MAX]);

/* Make the server cookie for this client cookie, address and time under
 * secret (version 1, reserved 0). */
void cookie_make(const uint8_t secret[COOKIE_SECRET_SIZE], const uint8_t client[COOKIE_CLIENT_SIZE],
                 const uint8_t *ip, size_t ip_len, uint32_t now, uint8_t out[COOKIE_SERVER_SIZE]);

/* Is `server` (server_len bytes, as received) a cookie made with secret
 * for this client cookie and address? Only the hash is checked (in
 * constant time), not the age: see cookie_fresh. */
bool cookie_matches(const uint8_t secret[COOKIE_SECRET_SIZE],
                    const uint8_t client[COOKIE_CLIENT_SIZE], const uint8_t *server,
                    size_t server_len, const uint8_t *ip, size_t ip_len);

/* The timestamp of a 16-byte server cookie. */
uint32_t cookie_timestamp(const uint8_t server[COOKIE_SERVER_SIZE]);

/* Is a cookie stamped `ts` still usable at `now` (at most an hour old, at
 * most five minutes ahead; serial arithmetic, so the 2106 wrap is fine)? */
bool cookie_fresh(uint32_t ts, uint32_t now);

#endif
