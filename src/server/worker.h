/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * worker.h - what one worker thread owns (private to src/server/).
 *
 * A worker is an event_base plus, for every listen address, one UDP socket
 * (a UDP worker) or one TCP listening socket (a TCP worker) of its own
 * (SO_REUSEPORT), plus the buffers its hot path works in, allocated once at
 * start. Nothing in a worker is touched by another thread except the
 * shared TCP connection counters (atomics in the server), the generation
 * pointer (swapped under RCU by server_swap) and the stop eventfd that
 * server_stop()/server_drain() write to.
 * (So the event_bases need no locks, and libevent no evthread setup.)
 */
#ifndef VMDNS_SERVER_WORKER_H
#define VMDNS_SERVER_WORKER_H

#include <event2/event.h>
#include <event2/event_struct.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/rcu.h"

#include "core/chain.h"
#include "core/log.h"
#include "server/server.h"

struct worker;
struct udp_api;
struct tcp_conn;

/* One UDP socket of one worker. */
typedef struct udp_sock {
    int fd;
    unsigned listener; /* chain_packet_t.listener of what comes in here */
    bool pktinfo;      /* bound to a wildcard: reply from the address the query came to */
    struct event ev;
    struct worker *w;
} udp_sock_t;

/* One TCP listening socket of one worker. */
typedef struct tcp_listener {
    int fd;
    unsigned listener; /* chain_packet_t.listener of its connections */
    bool paused;       /* accept() ran out of fds/memory: waiting on `retry` */
    log_once_t paused_logged;
    struct event ev;    /* readable: connections to accept */
    struct event retry; /* re-enables ev after a pause */
    struct worker *w;
} tcp_listener_t;

/* What the workers answer with. Replaced as a whole by server_swap():
 * workers read the pointer with rcu_dereference() inside a read-side
 * section, so a reload never pauses them. */
typedef struct worker_gen {
    const chain_t *chain;
    const view_t *view;
} worker_gen_t;

/* What server_stop()/server_drain() asked of the workers. */
enum { WORKER_RUN = 0, WORKER_DRAIN = 1, WORKER_STOP = 2 };

/* The two lists of TCP connections that may be evicted (worker_t.evict_head). */
enum { TCP_FRESH = 0, TCP_STALLED = 1 };

/* State shared by all workers of one server (owned by the server). */
typedef struct worker_shared {
    worker_gen_t *gen; /* RCU-protected; see worker_answer() */
    atomic_int mode;   /* WORKER_RUN/DRAIN/STOP, read when stop_fd fires */
    uint32_t drain_ms; /* WORKER_DRAIN: how long TCP may take to finish */
    answer_limits_t limits;
    uint32_t tcp_max;                                   /* 0: no limit */
    uint32_t tcp_idle_ms;                               /* 0: no idle timeout */
    uint32_t tcp_io_ms;                                 /* 0: no I/O timeout */
    atomic_uint_fast32_t tcp_open;                      /* open TCP connections, all workers */
    atomic_uint_fast64_t tcp_closed[TCP_CLOSE_REASONS]; /* server.h: by reason */
    /* Open TCP connections per client address (tcp_client.c): a table of
     * counters indexed by a keyed hash of the address, allocated once. */
    uint32_t tcp_per_client; /* 0: no limit (and no table) */
    atomic_uint_least32_t *tcp_clients;
    uint32_t tcp_clients_mask; /* table size - 1 (a power of two) */
    uint64_t tcp_clients_key[2];
} worker_shared_t;

typedef struct worker {
    bool is_tcp;    /* a TCP worker (tcp listeners), else a UDP worker (udp sockets) */
    unsigned index; /* request_t.worker: UDP workers first, then TCP workers */
    unsigned slot;  /* request_t.slot: index + the server's slot base */
    worker_shared_t *shared;
    struct event_base *base;
    pthread_t thread;
    bool started; /* thread was created and not yet joined */
    int stop_fd;  /* eventfd: server_stop()/server_drain() write, the worker acts */
    struct event stop_ev;
    bool draining;            /* WORKER_DRAIN seen: no new connections, finish the open ones */
    struct event drain_timer; /* the end of the drain, whatever is still open */
    struct event drain_grace; /* tcp.c: end of the wait for first queries */
    bool drain_grace_over;
    answer_limits_t lim; /* shared->limits with `now` refreshed per event */

    udp_sock_t *udp;     /* UDP workers: one per listen address, else NULL */
    tcp_listener_t *tcp; /* TCP workers: one per listen address, else NULL */
    size_t naddr;

    /* UDP I/O backend (udp_api.h) and its per-worker context (buffers) */
    const struct udp_api *udp_api;
    void *udp_ctx;

    /* TCP (tcp.c) */
    uint8_t *tcp_in;  /* read scratch */
    uint8_t *tcp_out; /* response scratch, flushed with one send() */
    size_t tcp_out_len;
    struct tcp_conn *conns; /* open connections (doubly linked) */
    /* Connections that may give up their slot when the table is full, oldest
     * first: [TCP_FRESH] sent no complete query yet, [TCP_STALLED] have
     * answers waiting that the client does not take (tcp.c). */
    struct tcp_conn *evict_head[2];
    struct tcp_conn *evict_tail[2];
    const struct timeval *idle_tv; /* common timeout of the base, or NULL */
    const struct timeval *io_tv;   /* common timeout of the base, or NULL */
} worker_t;

/* ---- sock.c ---- */

/* A bound, non-blocking SO_REUSEPORT UDP socket with big buffers (and
 * IP_PKTINFO/IPV6_RECVPKTINFO when `pktinfo`). -1 with err filled on failure. */
int sock_udp_open(const struct sockaddr *sa, socklen_t len, bool pktinfo, char *err, size_t errlen);

/* A bound, listening, non-blocking SO_REUSEPORT TCP socket. */
int sock_tcp_open(const struct sockaddr *sa, socklen_t len, char *err, size_t errlen);

/* Can this host bind a socket of this address family at all? (Containers
 * often run with IPv6 turned off.) A probe: a UDP socket bound to the
 * family's wildcard address and an ephemeral port, closed at once. */
bool sock_family_usable(int family);

/* sa as "1.2.3.4:53" or "[::1]:53", for messages. */
void sock_addr_text(const struct sockaddr *sa, char *out, size_t cap);

/* True if sa is 0.0.0.0 or ::. */
bool sock_is_wildcard(const struct sockaddr *sa);

/* The local port of a bound socket, or 0. */
uint16_t sock_local_port(int fd);

/* Answer one packet with the current generation (worker threads). */
static inline size_t worker_answer(worker_t *w, const chain_packet_t *p, uint8_t *out, size_t cap)
{
    rcu_read_lock();
    const worker_gen_t *g = rcu_dereference(w->shared->gen);
    size_t n = chain_process(g->chain, g->view, &w->lim, p, out, cap);
    rcu_read_unlock();
    return n;
}

/* ---- udp.c ---- */

/* Pick the worker's UDP backend and allocate its batch buffers. 0 or -1. */
int udp_worker_init(worker_t *w);
void udp_worker_free(worker_t *w);

/* Event callback of a udp_sock_t: read, answer and send in batches. */
void udp_on_readable(evutil_socket_t fd, short what, void *arg);

/* ---- tcp_client.c ---- */

/* Allocate the per-client table of sh (when sh->tcp_per_client > 0) for
 * about `max_conn` connections. 0, or -1 if out of memory. */
int tcp_clients_init(worker_shared_t *sh, uint32_t max_conn);
void tcp_clients_free(worker_shared_t *sh);

/* Count a new connection from peer: its bucket in *bucket, true if the
 * client was under its limit (then tcp_client_release must follow).
 * Lock-free; any worker thread. */
bool tcp_client_take(worker_shared_t *sh, const struct sockaddr_storage *peer, uint32_t *bucket);
void tcp_client_release(worker_shared_t *sh, uint32_t bucket);

/* ---- tcp.c ---- */

/* Allocate the worker's TCP scratch buffers, set up the idle timeout. */
int tcp_worker_init(worker_t *w);

/* Close every connection of the worker and free its TCP buffers (the
 * worker's thread, after its loop ended, or after a failed start). */
void tcp_worker_free(worker_t *w);

/* Event callback of a tcp_listener_t: accept new connections. */
void tcp_on_accept(evutil_socket_t fd, short what, void *arg);

/* Timer callback of a tcp_listener_t: resume accepting after a pause. */
void tcp_on_retry(evutil_socket_t fd, short what, void *arg);

/* Start draining (w->draining is set): accept what is in the backlog,
 * close the listening sockets, close the connections that have nothing
 * left to do; the others close as soon as they have answered what they
 * sent. The worker's loop is broken when its last connection is gone. */
void tcp_worker_drain(worker_t *w);

#endif
