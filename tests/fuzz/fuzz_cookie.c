/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_cookie.c - libFuzzer harness for the DNS cookie code (dns/cookie.c,
 * dns/siphash.c): what a client sends as a server cookie is read by
 * cookie_matches() (length, version, timestamp, hash) on every query.
 *
 * Input: secret (16) | client cookie (8) | family byte | address (16) |
 * now (4) | the server cookie the client sent (the rest, 0..40 bytes).
 * Checked:
 *   - a cookie made for (client, address, now) matches, is fresh at now,
 *     and no longer matches after any one bit of it is flipped, or for
 *     another address or client cookie;
 *   - the client's bytes match exactly when they are 16 bytes of version 1
 *     whose hash is the SipHash-2-4 of client | head | address (computed
 *     here independently);
 *   - cookie_fresh() accepts exactly the ages -300..3600 (mod 2^32);
 *   - cookie_client_ip() reads only what the address family has.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/cookie.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_cookie: check failed: %s (line %d)\n", #cond, __LINE__);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define HEAD (16 + 8 + 1 + 16 + 4)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEAD)
        return 0;
    const uint8_t *secret = data, *client = data + 16, *addr = data + 25;
    uint32_t now = ((uint32_t)data[41] << 24) | ((uint32_t)data[42] << 16) |
                   ((uint32_t)data[43] << 8) | data[44];
    const uint8_t *sent = data + HEAD;
    size_t sent_len = size - HEAD;

    /* the address as a socket address of the family the byte picks */
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t sl;
    int fam = data[24] % 3;
    if (fam == 0) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, addr, 4);
        sl = sizeof(*s4);
    } else if (fam == 1) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        memcpy(&s6->sin6_addr, addr, 16);
        sl = sizeof(*s6);
    } else {
        ss.ss_family = AF_UNIX;
        sl = sizeof(ss);
    }
    uint8_t ip[COOKIE_IP_MAX];
    size_t ip_len = cookie_client_ip((struct sockaddr *)&ss, sl, ip);
    FUZZ_CHECK(fam == 2 ? ip_len == 0 : (ip_len == 4 || ip_len == 16));
    FUZZ_CHECK(cookie_client_ip((struct sockaddr *)&ss, 2, ip) == 0); /* too short */
    ip_len = cookie_client_ip((struct sockaddr *)&ss, sl, ip);
    if (ip_len == 0)
        return 0;

    uint8_t made[COOKIE_SERVER_SIZE];
    cookie_make(secret, client, ip, ip_len, now, made);
    FUZZ_CHECK(made[0] == COOKIE_VERSION && cookie_timestamp(made) == now);
    FUZZ_CHECK(cookie_fresh(cookie_timestamp(made), now));
    FUZZ_CHECK(cookie_matches(secret, client, made, sizeof(made), ip, ip_len));
    unsigned bit = (unsigned)(now % (8 * COOKIE_SERVER_SIZE));
    made[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    FUZZ_CHECK(!cookie_matches(secret, client, made, sizeof(made), ip, ip_len));
    made[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    uint8_t other_ip[COOKIE_IP_MAX];
    memcpy(other_ip, ip, ip_len);
    other_ip[ip_len - 1] ^= 0x80;
    FUZZ_CHECK(!cookie_matches(secret, client, made, sizeof(made), other_ip, ip_len));
    uint8_t other_client[COOKIE_CLIENT_SIZE];
    memcpy(other_client, client, sizeof(other_client));
    other_client[now % 8] ^= 1;
    FUZZ_CHECK(!cookie_matches(secret, other_client, made, sizeof(made), ip, ip_len));

    /* the client's bytes, against an independent computation */
    bool want = false;
    if (sent_len == COOKIE_SERVER_SIZE && sent[0] == COOKIE_VERSION) {
        uint8_t in[8 + 8 + COOKIE_IP_MAX], tag[8];
        memcpy(in, client, 8);
        memcpy(in + 8, sent, 8);
        memcpy(in + 16, ip, ip_len);
        siphash24_tag(secret, in, 16 + ip_len, tag);
        want = memcmp(tag, sent + 8, 8) == 0;
    }
    FUZZ_CHECK(cookie_matches(secret, client, sent, sent_len, ip, ip_len) == want);
    if (sent_len >= 8) {
        uint32_t ts = cookie_timestamp(sent);
        uint32_t age = now - ts;
        FUZZ_CHECK(cookie_fresh(ts, now) == (age <= COOKIE_LIFETIME || ts - now <= COOKIE_SKEW));
    }
    return 0;
}
