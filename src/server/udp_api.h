/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * udp_api.h - the I/O seam of the UDP hot path (private to src/server/).
 *
 * A worker's UDP loop (udp.c) is the same whatever moves the packets:
 * receive a batch, answer every packet in it through the chain, send the
 * answers, repeat until the socket is drained or the worker has done its
 * share. What differs is how packets come in and go out: recvmmsg/sendmmsg
 * on a kernel socket today (udp_mmsg.c), an AF_XDP ring tomorrow. That part
 * is a backend behind this table, as Knot's udp_api_t: the loop calls the
 * table once per batch (never per packet), and each backend's `handle`
 * walks its own buffers calling udp_answer() for every packet, so the chain
 * and the loop never learn which backend runs.
 *
 * A backend's context is per worker, allocated once by init: nothing is
 * allocated per packet or per batch.
 */
#ifndef VMDNS_SERVER_UDP_API_H
#define VMDNS_SERVER_UDP_API_H

#include "server/worker.h"

#define UDP_BATCH     64   /* datagrams per batch */
#define UDP_ROUNDS    16   /* batches per readiness event before yielding */
#define UDP_QUERY_MAX 4096 /* a larger datagram is not a query we answer: dropped */

typedef struct udp_api {
    const char *name;
    /* The worker's context: buffers for UDP_BATCH packets in and out.
     * NULL if out of memory. */
    void *(*init)(worker_t *w);
    void (*deinit)(void *ctx);
    /* Receive one batch on us: the number of packets (> 0), 0 when there
     * is nothing to read, -1 on an error (errno; EINTR: try again). */
    int (*recv)(void *ctx, udp_sock_t *us);
    /* Answer the batch just received (udp_answer() for each packet). */
    void (*handle)(void *ctx, worker_t *w, udp_sock_t *us);
    /* Send the answers of the batch. */
    void (*send)(void *ctx, udp_sock_t *us);
} udp_api_t;

/* recvmmsg/sendmmsg on the worker's SO_REUSEPORT sockets (udp_mmsg.c). */
extern const udp_api_t udp_api_mmsg;

/* Answer one received datagram into out (cap bytes) for worker w; start_ns
 * is when its batch arrived. Returns the response length, 0 to send
 * nothing. Called by the backends' handle for every packet. */
static inline size_t udp_answer(worker_t *w, const udp_sock_t *us, const uint8_t *pkt, size_t len,
                                const struct sockaddr *peer, socklen_t peer_len, uint64_t start_ns,
                                uint8_t *out, size_t cap)
{
    chain_packet_t p = {
        .pkt = pkt,
        .len = len,
        .proto = REQ_UDP,
        .peer = peer,
        .peer_len = peer_len,
        .worker = w->index,
        .slot = w->slot,
        .start_ns = start_ns,
        .listener = us->listener,
    };
    return worker_answer(w, &p, out, cap);
}

/* The largest response chain_process() may write for UDP: the negotiated
 * payload never exceeds the configured EDNS size (at least 512). */
static inline size_t udp_out_cap(const answer_limits_t *lim)
{
    size_t cap = lim->edns_udp_size ? lim->edns_udp_size : 1232;
    return cap < WIRE_MIN_UDP ? WIRE_MIN_UDP : cap;
}

#endif
