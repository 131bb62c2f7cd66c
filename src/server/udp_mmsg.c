/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * udp_mmsg.c - the recvmmsg/sendmmsg backend of the UDP loop (udp_api.h).
 *
 * recvmmsg() takes up to UDP_BATCH datagrams at once, chain_process()
 * answers each into its own output slot, and sendmmsg() sends every answer
 * in one call. Two system calls per batch instead of two per packet is
 * most of what makes a small authoritative server fast.
 *
 * All buffers are allocated once per worker (mmsg_init) and reused:
 * nothing is allocated per packet. Send errors (an ICMP-induced
 * ECONNREFUSED, EPERM from a firewall, a full socket buffer) only lose the
 * datagram concerned; they never stop the worker.
 *
 * On a socket bound to a wildcard address the kernel tells us each
 * datagram's destination address (IP_PKTINFO / IPV6_PKTINFO) and the
 * answer is sent from that address, as resolvers expect.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/wire.h"
#include "server/udp_api.h"

/* Slots are spaced by a cache line more than a power of two, so that the
 * starts of the slots do not all fall into the same cache set. */
#define UDP_IN_STRIDE (UDP_QUERY_MAX + 64)

/* Room for one IPv4 or IPv6 packet-info control message, aligned. */
typedef union udp_ctrl {
    struct cmsghdr align;
    uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
} udp_ctrl_t;

struct udp_batch {
    struct mmsghdr rmsg[UDP_BATCH];
    struct iovec riov[UDP_BATCH];
    struct sockaddr_storage peer[UDP_BATCH];
    udp_ctrl_t rctrl[UDP_BATCH];
    struct mmsghdr smsg[UDP_BATCH];
    struct iovec siov[UDP_BATCH];
    udp_ctrl_t sctrl[UDP_BATCH];
    size_t out_cap;    /* largest UDP response (the configured EDNS size) */
    size_t out_stride; /* distance between output slots */
    uint8_t *in;       /* UDP_BATCH slots of UDP_IN_STRIDE */
    uint8_t *out;      /* UDP_BATCH slots of out_stride */
    unsigned nrecv;    /* datagrams in the last batch (their headers to reset) */
    unsigned nout;     /* answers of the last batch */
    uint64_t start_ns; /* when the last batch arrived */
};

static void *mmsg_init(worker_t *w)
{
    struct udp_batch *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->out_cap = udp_out_cap(&w->lim);
    b->out_stride = ((b->out_cap + 63) & ~(size_t)63) + 64;
    b->in = malloc((size_t)UDP_BATCH * UDP_IN_STRIDE);
    b->out = malloc((size_t)UDP_BATCH * b->out_stride);
    if (b->in == NULL || b->out == NULL) {
        free(b->in);
        free(b->out);
        free(b);
        return NULL;
    }
    for (size_t i = 0; i < UDP_BATCH; i++) {
        struct msghdr *h = &b->rmsg[i].msg_hdr;
        b->riov[i].iov_base = b->in + i * UDP_IN_STRIDE;
        b->riov[i].iov_len = UDP_QUERY_MAX;
        h->msg_iov = &b->riov[i];
        h->msg_iovlen = 1;
        h->msg_name = &b->peer[i];
        h->msg_namelen = sizeof(b->peer[i]);
        b->smsg[i].msg_hdr.msg_iov = &b->siov[i];
        b->smsg[i].msg_hdr.msg_iovlen = 1;
    }
    b->nrecv = UDP_BATCH; /* every header is to be set up */
    return b;
}

static void mmsg_deinit(void *ctx)
{
    struct udp_batch *b = ctx;
    free(b->in);
    free(b->out);
    free(b);
}

/* Before each recvmmsg: reset the in/out lengths the kernel overwrote. */
static void udp_reset_recv(struct udp_batch *b, unsigned n, bool pktinfo)
{
    for (unsigned i = 0; i < n; i++) {
        struct msghdr *h = &b->rmsg[i].msg_hdr;
        h->msg_namelen = sizeof(b->peer[i]);
        h->msg_control = pktinfo ? b->rctrl[i].buf : NULL;
        h->msg_controllen = pktinfo ? sizeof(b->rctrl[i].buf) : 0;
        h->msg_flags = 0;
    }
}

/* Turn the destination address of received datagram i into the source
 * address of reply j. Without packet info the kernel picks the source. */
static void udp_set_source(struct udp_batch *b, unsigned i, unsigned j)
{
    struct msghdr *rh = &b->rmsg[i].msg_hdr;
    struct msghdr *sh = &b->smsg[j].msg_hdr;
    sh->msg_control = NULL;
    sh->msg_controllen = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(rh); c != NULL; c = CMSG_NXTHDR(rh, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo in;
            memcpy(&in, CMSG_DATA(c), sizeof(in));
            in.ipi_spec_dst = in.ipi_addr; /* reply from the address asked */
            in.ipi_ifindex = 0;            /* and let routing pick the way */
            sh->msg_control = b->sctrl[j].buf;
            sh->msg_controllen = CMSG_SPACE(sizeof(in));
            struct cmsghdr *o = CMSG_FIRSTHDR(sh);
            o->cmsg_level = IPPROTO_IP;
            o->cmsg_type = IP_PKTINFO;
            o->cmsg_len = CMSG_LEN(sizeof(in));
            memcpy(CMSG_DATA(o), &in, sizeof(in));
            return;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo in6; /* address and interface, for link-local */
            memcpy(&in6, CMSG_DATA(c), sizeof(in6));
            sh->msg_control = b->sctrl[j].buf;
            sh->msg_controllen = CMSG_SPACE(sizeof(in6));
            struct cmsghdr *o = CMSG_FIRSTHDR(sh);
            o->cmsg_level = IPPROTO_IPV6;
            o->cmsg_type = IPV6_PKTINFO;
            o->cmsg_len = CMSG_LEN(sizeof(in6));
            memcpy(CMSG_DATA(o), &in6, sizeof(in6));
            return;
        }
    }
}

/* Send replies 0..n-1. A datagram the kernel refuses is skipped; when the
 * socket buffer is full the rest of the batch is dropped (clients retry). */
static void mmsg_send(void *ctx, udp_sock_t *us)
{
    struct udp_batch *b = ctx;
    int fd = us->fd;
    unsigned n = b->nout;
    unsigned off = 0;
    while (off < n) {
        int r = sendmmsg(fd, b->smsg + off, n - off, MSG_DONTWAIT);
        if (r > 0) {
            off += (unsigned)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0 || errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        off++; /* this one failed (ECONNREFUSED, EPERM, ...): skip it */
    }
}

static int mmsg_recv(void *ctx, udp_sock_t *us)
{
    struct udp_batch *b = ctx;
    udp_reset_recv(b, b->nrecv, us->pktinfo);
    int n = recvmmsg(us->fd, b->rmsg, UDP_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) {
        b->nrecv = 0;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return n < 0 ? -1 : 0;
    }
    b->nrecv = (unsigned)n;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    b->start_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return n;
}

static void mmsg_handle(void *ctx, worker_t *w, udp_sock_t *us)
{
    struct udp_batch *b = ctx;
    unsigned nout = 0;
    for (unsigned i = 0; i < b->nrecv; i++) {
        struct msghdr *rh = &b->rmsg[i].msg_hdr;
        if (rh->msg_flags & MSG_TRUNC)
            continue;
        uint8_t *out = b->out + (size_t)nout * b->out_stride;
        size_t len = udp_answer(w, us, b->riov[i].iov_base, b->rmsg[i].msg_len,
                                (const struct sockaddr *)&b->peer[i], rh->msg_namelen, b->start_ns,
                                out, b->out_cap);
        if (len == 0)
            continue;
        struct msghdr *oh = &b->smsg[nout].msg_hdr;
        oh->msg_name = &b->peer[i];
        oh->msg_namelen = rh->msg_namelen;
        b->siov[nout].iov_base = out;
        b->siov[nout].iov_len = len;
        if (us->pktinfo) {
            udp_set_source(b, i, nout);
        } else {
            oh->msg_control = NULL; /* the batch is shared by all sockets */
            oh->msg_controllen = 0;
        }
        nout++;
    }
    b->nout = nout;
}

const udp_api_t udp_api_mmsg = {
    .name = "recvmmsg",
    .init = mmsg_init,
    .deinit = mmsg_deinit,
    .recv = mmsg_recv,
    .handle = mmsg_handle,
    .send = mmsg_send,
};
