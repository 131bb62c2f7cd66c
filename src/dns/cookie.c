/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cookie.c - make and check RFC 9018 server cookies (see cookie.h).
 */
#include "dns/cookie.h"

#include <netinet/in.h>
#include <string.h>

size_t cookie_client_ip(const struct sockaddr *sa, socklen_t len, uint8_t out[COOKIE_IP_MAX])
{
    if (sa == NULL)
        return 0;
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 4;
    }
    if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, mapped, sizeof(mapped)) == 0) {
            memcpy(out, a + 12, 4);
            return 4;
        }
        memcpy(out, a, 16);
        return 16;
    }
    return 0;
}

/* The hash over client | the first 8 bytes of the server cookie | ip. */
static void cookie_hash(const uint8_t secret[COOKIE_SECRET_SIZE],
                        const uint8_t client[COOKIE_CLIENT_SIZE], const uint8_t head[8],
                        const uint8_t *ip, size_t ip_len, uint8_t out[8])
{
    uint8_t in[COOKIE_CLIENT_SIZE + 8 + COOKIE_IP_MAX];
    memcpy(in, client, COOKIE_CLIENT_SIZE);
    memcpy(in + COOKIE_CLIENT_SIZE, head, 8);
    memcpy(in + COOKIE_CLIENT_SIZE + 8, ip, ip_len);
    siphash24_tag(secret, in, COOKIE_CLIENT_SIZE + 8 + ip_len, out);
}

void cookie_make(const uint8_t secret[COOKIE_SECRET_SIZE], const uint8_t client[COOKIE_CLIENT_SIZE],
                 const uint8_t *ip, size_t ip_len, uint32_t now, uint8_t out[COOKIE_SERVER_SIZE])
{
    if (ip_len > COOKIE_IP_MAX)
        ip_len = COOKIE_IP_MAX;
    out[0] = COOKIE_VERSION;
    out[1] = out[2] = out[3] = 0;
    out[4] = (uint8_t)(now >> 24);
    out[5] = (uint8_t)(now >> 16);
    out[6] = (uint8_t)(now >> 8);
    out[7] = (uint8_t)now;
    cookie_hash(secret, client, out, ip, ip_len, out + 8);
}

bool cookie_matches(const uint8_t secret[COOKIE_SECRET_SIZE],
                    const uint8_t client[COOKIE_CLIENT_SIZE], const uint8_t *server,
                    size_t server_len, const uint8_t *ip, size_t ip_len)
{
    if (server_len != COOKIE_SERVER_SIZE || server[0] != COOKIE_VERSION || ip_len > COOKIE_IP_MAX)
        return false;
    uint8_t want[8];
    cookie_hash(secret, client, server, ip, ip_len, want);
    uint8_t diff = 0;
    for (unsigned i = 0; i < 8; i++)
        diff |= (uint8_t)(want[i] ^ server[8 + i]);
    return diff == 0;
}

uint32_t cookie_timestamp(const uint8_t server[COOKIE_SERVER_SIZE])
{
    return ((uint32_t)server[4] << 24) | ((uint32_t)server[5] << 16) | ((uint32_t)server[6] << 8) |
           server[7];
}

bool cookie_fresh(uint32_t ts, uint32_t now)
{
    uint32_t age = now - ts; /* mod 2^32 */
    if (age <= COOKIE_LIFETIME)
        return true;
    uint32_t ahead = ts - now;
    return ahead <= COOKIE_SKEW;
}
