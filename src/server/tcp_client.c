/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tcp_client.c - how many TCP connections each client address holds.
 *
 * `tcp_max_connections_per_client` caps the connections one client may
 * hold open, beside the global cap, so a single host cannot take every
 * slot. The count is kept in a table of atomic counters shared by all TCP
 * workers, allocated once when the server is made: a connection's
 * counter is found by a keyed hash of the client's address (an IPv4
 * address, or the /64 of an IPv6 address: an IPv6 host usually has a whole
 * /64 to pick addresses from). Taking and giving back a slot is one atomic
 * add each: no lock, no allocation on the accept path.
 *
 * The table has at least four counters per allowed connection, so
 * clients rarely share one; when two do, they share a limit (never more
 * than the configured cap is allowed per counter). The hash key is random
 * per server, so no client can aim at another's counter.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "server/worker.h"

#define CLIENTS_MIN (1u << 10)
#define CLIENTS_MAX (1u << 22)

int tcp_clients_init(worker_shared_t *sh, uint32_t max_conn)
{
    sh->tcp_clients = NULL;
    sh->tcp_clients_mask = 0;
    if (sh->tcp_per_client == 0)
        return 0;
    uint64_t want = max_conn > 0 ? 4ull * max_conn : CLIENTS_MAX;
    uint32_t size = CLIENTS_MIN;
    while (size < want && size < CLIENTS_MAX)
        size <<= 1;
    sh->tcp_clients = calloc(size, sizeof(*sh->tcp_clients));
    if (sh->tcp_clients == NULL)
        return -1;
    for (uint32_t i = 0; i < size; i++)
        atomic_init(&sh->tcp_clients[i], 0);
    sh->tcp_clients_mask = size - 1;
    if (getrandom(sh->tcp_clients_key, sizeof(sh->tcp_clients_key), GRND_NONBLOCK) !=
        (ssize_t)sizeof(sh->tcp_clients_key)) {
        /* No entropy yet (early boot): a weaker key still spreads clients. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        sh->tcp_clients_key[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32);
        sh->tcp_clients_key[1] = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull;
    }
    return 0;
}

void tcp_clients_free(worker_shared_t *sh)
{
    free(sh->tcp_clients);
    sh->tcp_clients = NULL;
}

/* A 64-bit mix (the finalizer of a well-known hash family). */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* The client's key: an IPv4 address (also when v4-mapped), or an IPv6 /64. */
static uint64_t client_key(const struct sockaddr_storage *peer, uint64_t *family)
{
    uint64_t k = 0;
    if (peer->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)peer)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            uint32_t v4;
            memcpy(&v4, a->s6_addr + 12, 4);
            *family = 4;
            return v4;
        }
        memcpy(&k, a->s6_addr, 8);
        *family = 6;
        return k;
    }
    uint32_t v4 = ((const struct sockaddr_in *)peer)->sin_addr.s_addr;
    *family = 4;
    return v4;
}

bool tcp_client_take(worker_shared_t *sh, const struct sockaddr_storage *peer, uint32_t *bucket)
{
    if (sh->tcp_clients == NULL) {
        *bucket = UINT32_MAX;
        return true;
    }
    uint64_t family;
    uint64_t k = client_key(peer, &family);
    uint64_t h = mix(mix(k ^ sh->tcp_clients_key[0]) ^ family ^ sh->tcp_clients_key[1]);
    uint32_t b = (uint32_t)h & sh->tcp_clients_mask;
    uint_least32_t had = atomic_fetch_add_explicit(&sh->tcp_clients[b], 1, memory_order_relaxed);
    if (had >= sh->tcp_per_client) {
        atomic_fetch_sub_explicit(&sh->tcp_clients[b], 1, memory_order_relaxed);
        return false;
    }
    *bucket = b;
    return true;
}

void tcp_client_release(worker_shared_t *sh, uint32_t bucket)
{
    if (sh->tcp_clients != NULL && bucket != UINT32_MAX)
        atomic_fetch_sub_explicit(&sh->tcp_clients[bucket], 1, memory_order_relaxed);
}
