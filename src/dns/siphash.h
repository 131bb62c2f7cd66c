/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * siphash.h - SipHash-2-4 (Aumasson and Bernstein, 2012), the MAC of the
 * interoperable DNS server cookies of RFC 9018.
 *
 * A small keyed hash of its own file, written from the paper's
 * description: no allocation, no state, safe on any thread.
 */
#ifndef VMDNS_DNS_SIPHASH_H
#define VMDNS_DNS_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_SIZE 16

/* SipHash-2-4 of data[0..len) under the 16-byte key (read as two
 * little-endian 64-bit words, as in the paper). The result's
 * little-endian bytes are the 8-byte tag the reference implementation
 * writes out (siphash_tag). */
uint64_t siphash24(const uint8_t key[SIPHASH_KEY_SIZE], const uint8_t *data, size_t len);

/* The tag as 8 bytes, little-endian (the byte order of the paper's test
 * vectors and of RFC 9018's Hash field). */
void siphash24_tag(const uint8_t key[SIPHASH_KEY_SIZE], const uint8_t *data, size_t len,
                   uint8_t out[8]);

#endif
