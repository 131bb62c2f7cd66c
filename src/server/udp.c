/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * udp.c - the UDP hot path: read a batch, answer it, send a batch.
 *
 * When a worker's UDP socket becomes readable, the loop below asks the
 * worker's backend (udp_api.h: recvmmsg/sendmmsg today, AF_XDP later) for
 * a batch of up to UDP_BATCH datagrams, has it answer every one through the
 * chain and send the answers; this repeats until the socket is drained or
 * UDP_ROUNDS batches were done, so one busy socket cannot starve the
 * worker's other sockets and TCP connections. The backend is called once
 * per batch, never per packet.
 */
#include <errno.h>
#include <time.h>

#include "server/udp_api.h"

int udp_worker_init(worker_t *w)
{
    w->udp_api = &udp_api_mmsg;
    w->udp_ctx = w->udp_api->init(w);
    return w->udp_ctx != NULL ? 0 : -1;
}

void udp_worker_free(worker_t *w)
{
    if (w->udp_ctx == NULL)
        return;
    w->udp_api->deinit(w->udp_ctx);
    w->udp_ctx = NULL;
}

void udp_on_readable(evutil_socket_t fd, short what, void *arg)
{
    udp_sock_t *us = arg;
    worker_t *w = us->w;
    const udp_api_t *api = w->udp_api;
    void *ctx = w->udp_ctx;

    (void)fd;
    (void)what;
    w->lim.now = (int64_t)time(NULL);
    for (int round = 0; round < UDP_ROUNDS; round++) {
        int n = api->recv(ctx, us);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return; /* drained, or an error to retry on the next event */
        }
        api->handle(ctx, w, us);
        api->send(ctx, us);
        if (n < UDP_BATCH)
            return; /* the socket had less than a batch: it is drained */
    }
}
